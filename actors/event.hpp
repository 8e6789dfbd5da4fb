#pragma once
// An event as it travels from publish to every receiving session: encoded once.
#include "actors/frame_sink.hpp"

#include <string>

namespace herald {

struct event_frame {
  std::string id;
  // `,"id":…,"channel":…,"event":…,"data":…,"ts":…}`: everything after the seq.
  shared_bytes tail;
};

// Builds an event with a fresh id; `data_json` must be valid JSON text.
event_frame make_event(const std::string& channel, const std::string& event,
                       const std::string& data_json);

// `{"type":"event","seq":<seq>` — the per-session head of an event frame.
std::string event_head(uint64_t seq);

// A random id with a prefix, e.g. "e-3f9a…" (16 hex digits).
std::string make_id(const char* prefix);

} // namespace herald
