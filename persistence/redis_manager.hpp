#pragma once
// The process's one way to Redis: one command connection and one
// subscriber connection, shared by everything that needs Redis (inbox,
// cluster bus, presence, node stats). Each connection has its own thread,
// so nothing else ever blocks on Redis.
//
// - Commands are queued and sent as one pipeline per turn; each caller's
//   callback gets its replies, or an error when Redis is down or slower
//   than command_timeout (never later than that: while the connection is
//   down, requests fail at once).
// - A health PING every health_interval measures latency and notices a
//   dead server even when idle.
// - Lost connections come back with exponential backoff and jitter; the
//   subscriber re-subscribes every channel after each reconnect.
#include "persistence/redis_connection.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

namespace herald::persistence {

struct redis_options {
  redis_endpoint endpoint;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds command_timeout{5000};
  std::chrono::milliseconds health_interval{1000};
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5000};
  size_t queue_max =
      100000; // requests waiting for the command connection; beyond → refused at once
};

class redis_manager {
public:
  using done_fn =
      std::function<void(bool ok, std::vector<redis_reply> replies, const std::string& error)>;
  using message_fn = std::function<void(const std::string& channel, const std::string& payload)>;

  explicit redis_manager(redis_options options);
  ~redis_manager();
  redis_manager(const redis_manager&) = delete;
  redis_manager& operator=(const redis_manager&) = delete;

  // Before start(): what the subscriber listens to, and who gets its messages
  // (called on the subscriber thread).
  void subscribe(std::string channel);
  void on_message(message_fn fn);
  // Called on the command thread each time the command connection comes up
  // (the first time too): what was written while Redis was away can be written again.
  void on_connected(std::function<void()> fn);
  // Starts both threads; they connect (and keep retrying) in the background.
  void start();
  // Fails what is queued, closes both connections, joins the threads. Idempotent.
  void stop();

  // Runs `commands` as one pipeline; `done` runs on the command thread.
  void submit(std::vector<redis_command> commands, done_fn done);
  // The same, waiting for the answer (for the store worker's thread only);
  // throws store_error when Redis fails or does not answer in time.
  std::vector<redis_reply> call(std::vector<redis_command> commands);

  bool up() const { return command_up_.load() && subscriber_up_.load(); }
  bool command_up() const { return command_up_.load(); }
  int64_t latency_us() const { return latency_us_.load(); }
  uint64_t reconnects() const { return reconnects_.load(); }
  uint64_t resubscribes() const { return resubscribes_.load(); }
  uint64_t refused() const { return refused_.load(); } // requests turned away by queue_max
  size_t waiting() const;                              // requests queued, not yet sent
  const redis_options& options() const { return options_; }

private:
  struct request {
    std::vector<redis_command> commands;
    done_fn done;
  };
  void command_loop();
  void subscriber_loop();
  void fail_queued(const std::string& why);
  // Sleeps the backoff for `attempt`; false when stopping.
  bool backoff(int attempt, bool fail_requests);
  void set_command_up(bool up, const std::string& why);

  redis_options options_;
  std::set<std::string> channels_;
  message_fn on_message_;
  std::function<void()> on_connected_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<request> queue_;
  bool stopping_ = false;

  std::atomic<bool> command_up_{false};
  std::atomic<bool> subscriber_up_{false};
  std::atomic<int64_t> latency_us_{-1};
  std::atomic<uint64_t> reconnects_{0};
  std::atomic<uint64_t> resubscribes_{0};
  std::atomic<uint64_t> refused_{0};
  std::thread command_thread_;
  std::thread subscriber_thread_;
};

} // namespace herald::persistence
