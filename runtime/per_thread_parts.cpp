#include "runtime/per_thread_parts.hpp"

namespace herald::detail {

uint64_t next_parts_instance() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1);
}

} // namespace herald::detail
