#include "actors/delivery_policy.hpp"

#include <algorithm>

namespace herald {

ms retry_delay(uint32_t attempt, ms base, ms max, double spread) {
  auto shift = std::min<uint32_t>(attempt == 0 ? 0 : attempt - 1, 30);
  double plain =
      std::min<double>(double(base.count()) * double(1ull << shift), double(max.count()));
  double jittered = plain * (0.8 + 0.4 * std::clamp(spread, 0.0, 1.0));
  return ms(int64_t(std::min<double>(jittered, double(max.count()))));
}

} // namespace herald
