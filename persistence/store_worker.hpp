#pragma once
// The one thread that talks to the store. Actors and I/O threads post jobs
// and get a completion back on this thread; whatever a job waits for (disk,
// Redis) blocks only here. Jobs run in the order posted. Jobs that queued up
// together share one transaction (group commit), and each job's completion
// runs only once its write is durable.
#include "persistence/store.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace herald::persistence {

struct store_job {
  std::function<void(store&)> run; // may throw store_error
  // After the job's writes are durable (ok) or failed (the reason).
  std::function<void(bool ok, const std::string& error)> done;
};

class store_worker {
public:
  // `queue_max`: jobs waiting at most; beyond it post() refuses.
  store_worker(std::unique_ptr<store> s, size_t queue_max);
  ~store_worker();
  store_worker(const store_worker&) = delete;
  store_worker& operator=(const store_worker&) = delete;

  // False (and `done` is not called) when the queue is full or the worker stopped.
  bool post(store_job job);
  // Finishes the queued jobs, then ends the thread. Idempotent.
  void stop();

  const char* backend() const { return backend_; }
  bool shares_sink_limits() const { return shares_sink_limits_; }
  // False while the last job or batch failed.
  bool healthy() const { return healthy_.load(); }
  uint64_t refused() const { return refused_.load(); }

private:
  void loop();
  void run_batch(std::deque<store_job>& batch);

  std::unique_ptr<store> store_;
  const char* backend_;
  bool shares_sink_limits_;
  size_t queue_max_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<store_job> queue_;
  bool stopping_ = false;
  std::atomic<bool> healthy_{true};
  std::atomic<uint64_t> refused_{0};
  std::thread thread_;
};

} // namespace herald::persistence
