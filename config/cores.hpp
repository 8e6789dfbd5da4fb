#pragma once
#include <sched.h>
#include <thread>

namespace herald {

// Cores this process may run on: its CPU affinity (taskset, cgroup cpusets),
// not the machine's count, so thread pools are not oversubscribed when pinned.
inline unsigned usable_cores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
    return static_cast<unsigned>(CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

} // namespace herald
