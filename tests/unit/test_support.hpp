#pragma once
// Helpers for driving actors deterministically: CAF's test_coordinator
// (simulated clock, messages run only when the test says so) and a frame_sink
// that records what a session would have written to its socket
// (recording_sink.hpp).
#include "recording_sink.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace herald::test {

struct deterministic_system {
  static caf::actor_system_config& make_config(caf::actor_system_config& cfg) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    return cfg;
  }
  caf::actor_system_config cfg;
  caf::actor_system sys{make_config(cfg)};
  caf::scheduler::test_coordinator& sched =
      dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  caf::scoped_actor self{sys};

  void run() { sched.run(); }
  // Moves the simulated clock forward, firing due timers, and runs everything.
  void advance(caf::timespan d) {
    sched.advance_time(d);
    sched.run();
  }
  // The next message waiting for the scoped actor, as type T.
  template <class T> T reply() {
    T out{};
    bool got = false;
    self->receive(
        [&](T& x) {
          out = std::move(x);
          got = true;
        },
        caf::after(std::chrono::seconds(0)) >> [] {});
    REQUIRE(got);
    return out;
  }
};

} // namespace herald::test
