#include "actors/per_thread_parts.hpp"

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
