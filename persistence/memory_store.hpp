#pragma once
// The store in memory: for unit tests and `storage.backend = "memory"`
// (nothing survives a restart).
#include "persistence/store.hpp"

#include <deque>
#include <unordered_map>

namespace herald::persistence {

class memory_store final : public store {
public:
  explicit memory_store(inbox_limits limits) : limits_(limits) {}
  const char* backend() const override { return "memory"; }
  inbox_pos inbox_append(const std::string& user, const std::string& event_id,
                         const std::string& tail, int64_t now_ms) override;
  std::vector<inbox_item> inbox_pending(const std::string& user, int64_t now_ms) override;
  void cursor_advance(const std::string& user, inbox_pos pos) override;
  inbox_pos cursor(const std::string& user) override;
  void expire(int64_t now_ms) override;

private:
  inbox_limits limits_;
  uint64_t next_ = 1;
  std::unordered_map<std::string, std::deque<inbox_item>> inboxes_;
  std::unordered_map<std::string, inbox_pos> cursors_;
};

} // namespace herald::persistence
