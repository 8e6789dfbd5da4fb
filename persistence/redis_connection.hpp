#pragma once
// One synchronous hiredis connection with Herald's timeouts: connect within
// connect_timeout, every read and write within command_timeout. Only the
// redis_manager's threads use it. A failed connection is thrown away, never
// reused.
#include "persistence/redis_reply.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

struct redisContext;

namespace herald::persistence {

struct redis_endpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  std::string password;
  // "redis://[[user]:password@]host[:port][/db]"; empty optional + `error` when it is not.
  static std::optional<redis_endpoint> parse(const std::string& url, std::string& error);
  std::string display() const; // host:port/db, without the password
};

// The replies in `bytes` (RESP as a server sends it), in order, through
// hiredis's reader; `protocol_error` says the bytes stopped being RESP.
// Incomplete trailing bytes are ignored. For tests and the fuzzer; a
// connection reads the same way.
std::vector<redis_reply> decode_replies(const std::string& bytes, bool& protocol_error);

// The most elements one reply array may declare (redis.max_reply_elements),
// set once at start; a reply declaring more fails its connection.
void set_max_reply_elements(uint64_t n);

class redis_connection {
public:
  // Connects, authenticates and selects the db; throws store_error.
  redis_connection(const redis_endpoint& where, std::chrono::milliseconds connect_timeout,
                   std::chrono::milliseconds command_timeout);
  ~redis_connection();
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  // Sends every command at once and reads every reply (Redis errors come
  // back as error replies); throws store_error when the connection fails.
  std::vector<redis_reply> pipeline(const std::vector<redis_command>& commands);
  // For a subscriber: send without reading, then read whatever comes.
  void send(const redis_command& command);
  // The next reply, or nothing when none arrived within `wait`; throws store_error.
  std::optional<redis_reply> read(std::chrono::milliseconds wait);

private:
  [[noreturn]] void fail(const std::string& what);
  void append(const redis_command& command); // into hiredis's output buffer
  redisContext* ctx_ = nullptr;
  std::string where_;
};

} // namespace herald::persistence
