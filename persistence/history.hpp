#pragma once
// Channel history: the last events of a channel, each with its offset (1, 2,
// … per channel, no gaps) and the channel's epoch, an id that changes only
// when the history was lost (docs/history.md). Kept by every store backend.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace herald::persistence {

// How much of a channel is kept (its [[channels]] entry).
struct history_rule {
  uint64_t size = 0; // events kept; 0: no history
  std::chrono::milliseconds ttl{600000};
  // How long a channel's epoch and offset outlive its last publish; after it
  // the channel starts again with a new epoch.
  std::chrono::milliseconds meta_ttl{std::chrono::hours(7 * 24)};
};

struct history_position {
  uint64_t offset = 0;
  std::string epoch;
};

struct history_item {
  uint64_t offset = 0;
  std::string event_id;
  std::string tail; // the event frame after its seq, without offset and epoch
  int64_t created_ms = 0;
};

struct history_page {
  std::string epoch;
  uint64_t top = 0;                // the newest offset given so far
  std::vector<history_item> items; // offset > the one asked for, kept and younger than the ttl
};

// An event's tail goes into every recipient's frame as it is: it must be the
// rest of a JSON object after its first member (",\"id\":…}"), nothing else.
// Checked wherever one comes from outside the process (the bus, Redis).
bool well_formed_tail(const std::string& tail);

// A new epoch: 16 hex digits from the kernel's CSPRNG.
std::string new_epoch();

// Whether `page` (read after `since`) proves that a client which saw the
// channel up to `since` misses nothing by taking page.items: same epoch, no
// offset beyond the newest, the first kept event right after `since` and the
// read reaching the newest.
bool recovers(const history_position& since, const history_page& page);

} // namespace herald::persistence
