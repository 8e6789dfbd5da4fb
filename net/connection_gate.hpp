#pragma once
// Who may hold a socket (docs/security.md): at most server.max_pending
// connections that have not finished their first request or upgrade (when
// full, the one that has waited longest is closed to make room, so slow
// clients cannot lock out new ones), and at most
// server.max_connections_per_ip open connections per client address.
// Called from every I/O thread: the one mutex here guards two small tables.
#include <boost/asio/ip/address.hpp>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace herald::net {

class connection_gate : public std::enable_shared_from_this<connection_gate> {
public:
  connection_gate(uint64_t max_pending, uint64_t max_per_ip)
      : max_pending_(max_pending), max_per_ip_(max_per_ip) {}

  // A connection's hold on its address's count; the count drops when the
  // last copy goes (the HTTP session, then the WebSocket that took it over).
  using ip_slot = std::shared_ptr<void>;

  // A slot for `addr`, or nullptr when its connections are at the limit.
  // With no per-IP limit every connection gets an empty (but non-null) slot.
  ip_slot admit(const boost::asio::ip::address& addr);

  // Marks a connection as pending; `evict` closes it (it is called on
  // whichever thread made room, so it must only post to the connection).
  // Returns the ticket to give back with finished() (once; evicted or not).
  struct entry;
  using ticket = std::shared_ptr<entry>;
  ticket waiting(std::function<void()> evict);
  void finished(const ticket& t);

  uint64_t pending() const;
  uint64_t evicted() const;
  uint64_t refused_per_ip() const;

  struct entry {
    std::function<void()> evict;
    std::list<ticket>::iterator at;
    bool listed = false;
  };

private:
  mutable std::mutex mutex_;
  uint64_t max_pending_;
  uint64_t max_per_ip_;
  std::list<ticket> pending_; // oldest first
  uint64_t pending_count_ = 0;
  uint64_t evicted_ = 0;
  uint64_t refused_per_ip_ = 0;
  std::unordered_map<std::string, uint64_t> per_ip_;
};

} // namespace herald::net
