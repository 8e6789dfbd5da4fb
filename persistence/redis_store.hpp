#pragma once
// The store on Redis, for many nodes: each user's inbox is a Stream
// `{prefix}inbox:{user}` (XADD MAXLEN ~ inbox_max, entries older than the
// ttl trimmed with MINID, the key expiring after a ttl of silence); each
// cursor is a string `{prefix}cursor:{user}` holding a stream id, moved
// forward only (a small Lua script compares ids). Runs its commands through
// the shared redis_manager, on the store worker's thread.
#include "persistence/redis_manager.hpp"
#include "persistence/store.hpp"

namespace herald::persistence {

class redis_store final : public store {
public:
  redis_store(redis_manager& redis, std::string key_prefix, inbox_limits limits);
  const char* backend() const override { return "redis"; }

  inbox_pos inbox_append(const std::string& user, const std::string& event_id,
                         const std::string& tail, int64_t now_ms) override;
  std::vector<inbox_item> inbox_pending(const std::string& user, int64_t now_ms) override;
  void cursor_advance(const std::string& user, inbox_pos pos) override;
  inbox_pos cursor(const std::string& user) override;
  void expire(int64_t now_ms) override {}  // MINID trimming and key expiry do it

private:
  std::string inbox_key(const std::string& user) const { return prefix_ + "inbox:" + user; }
  std::string cursor_key(const std::string& user) const { return prefix_ + "cursor:" + user; }
  redis_reply one(redis_command command);

  redis_manager& redis_;
  std::string prefix_;
  inbox_limits limits_;
};

} // namespace herald::persistence
