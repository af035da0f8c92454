#include "policy/throttle.h"

#include <algorithm>

namespace newshound::policy {

AdaptiveThrottle::AdaptiveThrottle(const AdaptiveThrottleOptions& options, Millis base_delay)
    : options_(options), floor_(std::max(options.floor, base_delay)), delay_(floor_) {
  delay_ = Clamp(delay_);
}

Millis AdaptiveThrottle::Clamp(Millis value) const {
  const Millis ceiling = std::max(options_.ceiling, floor_);
  return std::clamp(value, floor_, ceiling);
}

void AdaptiveThrottle::OnSuccess(Millis latency) {
  const Millis target(static_cast<int64_t>(static_cast<double>(latency.count()) / options_.target_concurrency));
  delay_ = Clamp(std::max(target, (delay_ + target) / 2));
}

void AdaptiveThrottle::OnFailure() { delay_ = Clamp(std::max(delay_ * 2, Millis(1))); }

void AdaptiveThrottle::RaiseFloor(Millis floor) {
  floor_ = std::max(floor_, floor);
  delay_ = Clamp(delay_);
}

}  // namespace newshound::policy
