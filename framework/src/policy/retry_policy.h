// When a failed request is tried again, and after how long.
//
// Transient failures (connection errors, timeouts, truncated bodies, and the
// statuses 408, 425, 429, 500, 502, 503, 504) are retried up to `max_retries`
// times with exponential backoff and full jitter: the n-th retry waits a
// uniformly random time in [0, min(cap, base * 2^(n-1))], which spreads
// retries of many URLs instead of synchronizing them (the AWS "full jitter"
// scheme). Other 4xx and permanent failures are not retried. A Retry-After
// on 429 or 503 sets a floor for the wait, and the engine applies it to the
// whole host.
//
// Pure policy: no I/O, no clock; randomness from an injected seed.
// Thread safety: none (one owner, the engine's strand).
#ifndef NEWSHOUND_POLICY_RETRY_POLICY_H_
#define NEWSHOUND_POLICY_RETRY_POLICY_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "newshound/config.h"
#include "newshound/outcome.h"

namespace newshound::policy {

class RetryPolicy {
 public:
  RetryPolicy(RetryOptions options, uint64_t seed) : options_(options), rng_(seed) {}

  // Is a request that ended this way worth trying again?
  static bool IsTransient(OutcomeKind kind, int status);

  // The decision after attempt number `attempts` (1 = the first try) failed.
  // nullopt: give up. Otherwise the wait before the next attempt, at least
  // `retry_after` when the server sent one.
  std::optional<std::chrono::milliseconds> NextDelay(OutcomeKind kind, int status, int attempts,
                                                     std::optional<std::chrono::milliseconds> retry_after);

  // Full-jitter backoff for the n-th retry (n >= 1).
  std::chrono::milliseconds Backoff(int retry_number);

  const RetryOptions& options() const { return options_; }

 private:
  RetryOptions options_;
  std::mt19937_64 rng_;
};

// Reads a Retry-After value: delay-seconds or an HTTP-date (IMF-fixdate,
// RFC 850 or asctime), relative to `now`. A date in the past is a zero
// wait; garbage is nullopt.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

}  // namespace newshound::policy

#endif  // NEWSHOUND_POLICY_RETRY_POLICY_H_
