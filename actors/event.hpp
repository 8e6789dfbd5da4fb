#pragma once
// An event as it travels from publish to every receiving session: encoded once.
#include "actors/clock.hpp"
#include "actors/frame_sink.hpp"
#include "persistence/history.hpp"
#include "persistence/inbox_pos.hpp"

#include <string>

namespace herald {

struct event_data {
  std::string id;
  // `,"id":…,"channel":…,"event":…,"data":…,"ts":…}`: everything after the seq.
  std::string tail;
  // Set once the event is in its user's durable inbox; empty otherwise.
  persistence::inbox_pos pos;
  // Steady-clock time it was made here (publish-to-write latency).
  int64_t made_ns = 0;
  // A frame that is no event (join, leave): `tail` is the whole frame, sent
  // without a seq and not kept for resume.
  bool control = false;
  // Set once the event is in its channel's history (docs/history.md); the
  // tail then carries them too. offset 0: not in a history. Kept next to
  // made_ns and control: a session reads all three for every event.
  persistence::history_position history;
  std::string channel;
};

// What travels to every receiving session: one pointer, so a fan-out to N
// sessions copies no bytes and allocates nothing per session for the payload.
struct event_frame {
  std::shared_ptr<const event_data> data;
  const std::string& id() const { return data->id; }
  // The tail as shared bytes, owned by the same allocation.
  shared_bytes tail() const { return shared_bytes(data, &data->tail); }
  const persistence::inbox_pos& pos() const { return data->pos; }
  bool stored() const { return !data->pos.empty(); }
  int64_t made_ns() const { return data->made_ns; }
  uint64_t offset() const { return data->history.offset; }
  // The same event, marked as kept at `pos` in the inbox.
  event_frame stored_at(persistence::inbox_pos pos) const;
};

// An event as it was kept (inbox replay) or received from another node;
// made_ns 0: made now.
event_frame restore_event(std::string id, std::string tail, persistence::inbox_pos pos,
                          int64_t made_ns = 0);

// The same event as kept in `channel`'s history at `at`: the tail starts
// with its offset and epoch.
event_frame in_history(const event_frame& ev, const std::string& channel,
                       const persistence::history_position& at);
// An event read back from a channel's history (`item.tail` as it was kept).
event_frame from_history(const std::string& channel, const std::string& epoch,
                         persistence::history_item item);
// An event from another node whose tail already carries `at`.
event_frame restore_history_event(std::string id, std::string tail, std::string channel,
                                  persistence::history_position at);

// A control frame (`frame` is its whole JSON text) with a fresh id.
event_frame make_control_frame(std::string frame);

// Builds an event with a fresh id; `data_json` must be valid JSON text.
event_frame make_event(const std::string& channel, const std::string& event,
                       const std::string& data_json);

// The event frame a session with sequence number `seq` sends:
// `{"type":"event","seq":<seq>` inline, then the shared tail.
out_frame event_out_frame(uint64_t seq, shared_bytes tail);

// Random values from the kernel's CSPRNG.
// A random id with a prefix, e.g. "e-3f9a…" (16 hex digits).
std::string make_id(const char* prefix);
uint64_t random_u64();
std::string random_hex(size_t words); // 16 hex digits per word

} // namespace herald
