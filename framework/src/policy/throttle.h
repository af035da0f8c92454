// Adaptive per-host delay (opt-in with politeness.adaptive.enabled), after
// Scrapy's AutoThrottle.
//
// The aim is that a host is serving about `target_concurrency` of our
// requests at any time. With L the latency of the last response (time from
// request start to the end of the body):
//
//   target = L / target_concurrency
//   success:  delay = max(target, (delay + target) / 2)
//   failure:  delay = 2 * delay          (timeouts, connection errors, 429, 5xx)
//   always:   delay = clamp(delay, max(floor, politeness.delay), ceiling)
//
// So a host that slows down (L grows) or fails gets fewer requests, and one
// that recovers is approached again gradually (the average halves the step).
// A failure never lowers the delay.
//
// Pure policy: no I/O, no clock. Thread safety: none (the engine's strand).
#ifndef NEWSHOUND_POLICY_THROTTLE_H_
#define NEWSHOUND_POLICY_THROTTLE_H_

#include <chrono>

#include "newshound/config.h"

namespace newshound::policy {

class AdaptiveThrottle {
 public:
  // `base_delay` is the site's politeness.delay (or a robots Crawl-delay):
  // the adaptive delay never goes below it.
  AdaptiveThrottle(const AdaptiveThrottleOptions& options, Millis base_delay);

  Millis delay() const { return delay_; }
  void OnSuccess(Millis latency);
  void OnFailure();
  // A new floor (e.g. a Crawl-delay learnt from robots.txt).
  void RaiseFloor(Millis floor);

 private:
  Millis Clamp(Millis value) const;

  AdaptiveThrottleOptions options_;
  Millis floor_;
  Millis delay_;
};

}  // namespace newshound::policy

#endif  // NEWSHOUND_POLICY_THROTTLE_H_
