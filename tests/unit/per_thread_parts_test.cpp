#include "runtime/per_thread_parts.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <thread>
#include <vector>

using namespace herald;

TEST_CASE("a thread counter sums what every thread added, whenever it is read") {
  thread_counter c;
  CHECK(c.load() == 0);
  ++c;
  c += 9;
  CHECK(c.load() == 10);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&c] {
      for (int i = 0; i < 25'000; ++i)
        ++c;
      c += 1000;
    });
  for (auto& t : threads)
    t.join();
  CHECK(c.load() == 10 + 4 * (25'000 + 1000));
}

TEST_CASE("per-thread parts of a new object never reuse the parts of an earlier one") {
  for (int round = 0; round < 3; ++round) {
    auto c = std::make_unique<thread_counter>();
    CHECK(c->load() == 0);
    ++*c;
    CHECK(c->load() == 1);
  }
}

TEST_CASE("counters bumped in turn keep their own sums, more of them than a thread caches") {
  std::vector<std::unique_ptr<thread_counter>> counters;
  for (int i = 0; i < 11; ++i)
    counters.push_back(std::make_unique<thread_counter>());
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&counters] {
      for (int round = 0; round < 1000; ++round)
        for (size_t i = 0; i < counters.size(); ++i)
          *counters[i] += i + 1;
    });
  for (auto& t : threads)
    t.join();
  for (size_t i = 0; i < counters.size(); ++i)
    CHECK(counters[i]->load() == 3 * 1000 * (i + 1));
}
