#include "persistence/store_worker.hpp"

#include "config/contain.hpp"

#include <vector>

namespace herald::persistence {

namespace {
constexpr size_t max_batch = 512;
}

store_worker::store_worker(std::unique_ptr<store> s, size_t queue_max)
    : store_(std::move(s)), backend_(store_->backend()),
      shares_sink_limits_(store_->shares_sink_limits()), queue_max_(queue_max) {
  thread_ = std::thread([this] { run_contained("store", [this] { loop(); }); });
}

store_worker::~store_worker() {
  stop();
}

bool store_worker::post(store_job job) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || queue_.size() >= queue_max_) {
      ++refused_;
      return false;
    }
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void store_worker::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable())
    thread_.join();
}

void store_worker::loop() {
  std::deque<store_job> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty())
        return; // stopping, and everything queued has run
      while (!queue_.empty() && batch.size() < max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    run_batch(batch);
    batch.clear();
  }
}

void store_worker::run_batch(std::deque<store_job>& batch) {
  std::vector<std::string> errors(batch.size());
  std::vector<char> ok(batch.size(), 0);
  auto run_alone = [&](size_t i) {
    try {
      batch[i].run(*store_);
      ok[i] = 1;
    } catch (const std::exception& e) {
      errors[i] = e.what();
    }
  };
  bool batched = false;
  if (batch.size() > 1) {
    try {
      store_->batch_begin();
      for (size_t i = 0; i < batch.size(); ++i) {
        batch[i].run(*store_);
        ok[i] = 1;
      }
      store_->batch_end();
      batched = true;
    } catch (const std::exception&) {
      // One failure spoils the shared transaction: undo it and run each job
      // on its own, so only the job that fails is told so.
      try {
        store_->batch_abort();
      } catch (const std::exception&) {
      }
      std::fill(ok.begin(), ok.end(), 0);
    }
  }
  if (!batched)
    for (size_t i = 0; i < batch.size(); ++i)
      run_alone(i);
  bool all_ok = true;
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!ok[i])
      all_ok = false;
    if (batch[i].done)
      contain("store", [&] { batch[i].done(ok[i] != 0, errors[i]); });
  }
  healthy_ = all_ok;
}

} // namespace herald::persistence
