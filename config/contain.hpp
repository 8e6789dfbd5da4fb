#pragma once
// The guard every thread entry and callback boundary uses: an exception ends
// the unit of work it came from (a request, a tick, a callback) and is logged
// and counted, never std::terminate. (A stack overflow is not an exception:
// input depth is bounded where it enters, see config/text.hpp.)
#include "config/log.hpp"

#include <atomic>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

namespace herald {

// Exceptions contained by contain() since start (/metrics: herald_contained_failures_total).
std::atomic<uint64_t>& contained_failures();

// Runs `fn()`; true when it returned, false when it threw (logged at ERROR
// under `where`, counted).
template <class F> bool contain(std::string_view where, F&& fn) noexcept {
  std::string what;
  try {
    fn();
    return true;
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "an exception that is not a std::exception";
  }
  ++contained_failures();
  try {
    log::error(where, "failure contained: " + what);
  } catch (...) { // out of memory while logging: the count above still tells
  }
  return false;
}

// Runs `loop()` until it returns normally: a thread's body that throws is
// logged and entered again, so the thread and the process go on.
template <class F> void run_contained(std::string_view where, F&& loop) noexcept {
  while (!contain(where, loop)) {
  }
}

} // namespace herald
