#include "persistence/redis_manager.hpp"

#include "config/contain.hpp"
#include "persistence/store.hpp"

#include <future>
#include <random>

namespace herald::persistence {

namespace {

constexpr size_t max_requests_per_turn = 256;
constexpr auto subscriber_poll = std::chrono::milliseconds(200);

using clock = std::chrono::steady_clock;

// Exponential backoff with jitter: between half and all of min * 2^attempt, capped.
std::chrono::milliseconds backoff_delay(const redis_options& o, int attempt) {
  thread_local std::mt19937 rng{std::random_device{}()};
  auto cap = o.backoff_min.count() << std::min(attempt, 16);
  auto full = std::min<int64_t>(o.backoff_max.count(), cap);
  std::uniform_int_distribution<int64_t> pick(full / 2, full);
  return std::chrono::milliseconds(pick(rng));
}

} // namespace

redis_manager::redis_manager(redis_options options) : options_(std::move(options)) {}

redis_manager::~redis_manager() {
  stop();
}

void redis_manager::subscribe(std::string channel) {
  channels_.insert(std::move(channel));
}
void redis_manager::on_message(message_fn fn) {
  on_message_ = std::move(fn);
}
void redis_manager::on_connected(std::function<void()> fn) {
  on_connected_ = std::move(fn);
}

void redis_manager::start() {
  command_thread_ = std::thread([this] { run_contained("redis", [this] { command_loop(); }); });
  if (!channels_.empty())
    subscriber_thread_ =
        std::thread([this] { run_contained("redis", [this] { subscriber_loop(); }); });
  else
    subscriber_up_ = true;
}

void redis_manager::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !command_thread_.joinable() && !subscriber_thread_.joinable())
      return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (command_thread_.joinable())
    command_thread_.join();
  if (subscriber_thread_.joinable())
    subscriber_thread_.join();
  fail_queued("redis manager stopped");
}

size_t redis_manager::waiting() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

void redis_manager::submit(std::vector<redis_command> commands, done_fn done) {
  const char* why = "redis is down";
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stopping_ && command_up_.load()) {
      if (queue_.size() < options_.queue_max) {
        queue_.push_back({std::move(commands), std::move(done)});
        wake_.notify_all();
        return;
      }
      why = "too many requests waiting for redis (redis.queue_max)";
      ++refused_;
    }
  }
  // Down, stopping or full: answer at once rather than make anyone wait.
  if (done)
    done(false, {}, why);
}

std::vector<redis_reply> redis_manager::call(std::vector<redis_command> commands) {
  auto result = std::make_shared<std::promise<std::pair<std::vector<redis_reply>, std::string>>>();
  auto future = result->get_future();
  submit(std::move(commands),
         [result](bool ok, std::vector<redis_reply> replies, const std::string& error) {
           result->set_value(
               {std::move(replies), ok ? std::string() : (error.empty() ? "failed" : error)});
         });
  // The command thread answers within command_timeout; the margin covers its queue.
  if (future.wait_for(options_.command_timeout * 2 + std::chrono::milliseconds(500)) !=
      std::future_status::ready)
    throw store_error("redis: no answer within command_timeout");
  auto [replies, error] = future.get();
  if (!error.empty())
    throw store_error("redis: " + error);
  return replies;
}

void redis_manager::fail_queued(const std::string& why) {
  std::deque<request> failed;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    failed.swap(queue_);
  }
  for (auto& r : failed)
    if (r.done)
      contain("redis", [&] { r.done(false, {}, why); });
}

bool redis_manager::backoff(int attempt, bool fail_requests) {
  auto until = clock::now() + backoff_delay(options_, attempt);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_ && clock::now() < until) {
    wake_.wait_until(lock, until);
    if (fail_requests && !queue_.empty()) {
      lock.unlock();
      fail_queued("redis is down");
      lock.lock();
    }
  }
  return !stopping_;
}

void redis_manager::set_command_up(bool up, const std::string& why) {
  command_up_ = up;
  if (!up) {
    latency_us_ = -1;
    fail_queued(why);
  }
}

void redis_manager::command_loop() {
  std::unique_ptr<redis_connection> conn;
  int attempt = 0;
  auto next_ping = clock::now();
  for (;;) {
    if (!conn) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_)
          return;
      }
      try {
        conn = std::make_unique<redis_connection>(options_.endpoint, options_.connect_timeout,
                                                  options_.command_timeout);
        // Up means Redis answers, not just that a socket accepted.
        auto t0 = clock::now();
        auto pong = conn->pipeline({{"PING"}});
        if (pong.empty() || pong[0].is_error())
          throw store_error("redis: PING refused: " + (pong.empty() ? std::string() : pong[0].str));
        latency_us_ =
            std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - t0).count();
        if (attempt > 0)
          ++reconnects_;
        attempt = 0;
        next_ping = clock::now() + options_.health_interval;
        command_up_ = true;
        if (on_connected_)
          on_connected_();
      } catch (const store_error& e) {
        conn.reset();
        set_command_up(false, e.what());
        if (!backoff(attempt++, true))
          return;
        continue;
      }
    }
    std::deque<request> batch;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_until(lock, next_ping, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_)
        return; // the connection closes as `conn` goes
      while (!queue_.empty() && batch.size() < max_requests_per_turn) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    try {
      if (batch.empty()) {
        auto t0 = clock::now();
        auto r = conn->pipeline({{"PING"}});
        latency_us_ =
            std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - t0).count();
        next_ping = clock::now() + options_.health_interval;
        continue;
      }
      std::vector<redis_command> all;
      for (auto& r : batch)
        all.insert(all.end(), r.commands.begin(), r.commands.end());
      auto replies = conn->pipeline(all);
      size_t at = 0;
      for (auto& r : batch) {
        std::vector<redis_reply> mine(
            std::make_move_iterator(replies.begin() + long(at)),
            std::make_move_iterator(replies.begin() + long(at + r.commands.size())));
        at += r.commands.size();
        if (r.done)
          contain("redis", [&] { r.done(true, std::move(mine), {}); });
      }
    } catch (const store_error& e) {
      conn.reset();
      for (auto& r : batch)
        if (r.done)
          contain("redis", [&] { r.done(false, {}, e.what()); });
      set_command_up(false, e.what());
    }
  }
}

void redis_manager::subscriber_loop() {
  std::unique_ptr<redis_connection> conn;
  int attempt = 0;
  bool ever = false;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_)
        return;
    }
    try {
      if (!conn) {
        conn = std::make_unique<redis_connection>(options_.endpoint, options_.connect_timeout,
                                                  options_.command_timeout);
        redis_command sub{"SUBSCRIBE"};
        sub.insert(sub.end(), channels_.begin(), channels_.end());
        conn->send(sub);
        if (ever)
          ++resubscribes_;
        ever = true;
        attempt = 0;
      }
      auto r = conn->read(subscriber_poll);
      if (!r)
        continue;
      if (r->type != redis_reply::kind::array || r->elements.size() < 3)
        continue;
      auto& what = r->elements[0].str;
      if (what == "subscribe") {
        // Up once the last channel is confirmed.
        if (r->elements[2].integer == int64_t(channels_.size()))
          subscriber_up_ = true;
      } else if (what == "message" && on_message_) {
        contain("redis", [&] { on_message_(r->elements[1].str, r->elements[2].str); });
      }
    } catch (const store_error&) {
      conn.reset();
      subscriber_up_ = false;
      if (!backoff(attempt++, false))
        return;
    }
  }
}

} // namespace herald::persistence
