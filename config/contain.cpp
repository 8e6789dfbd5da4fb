#include "config/contain.hpp"

namespace herald {

std::atomic<uint64_t>& contained_failures() {
  static std::atomic<uint64_t> count{0};
  return count;
}

} // namespace herald
