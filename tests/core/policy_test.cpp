// Retry/backoff, adaptive throttle and redirects: pure policies, driven
// without clocks.
#include <gtest/gtest.h>

#include "policy/redirect_policy.h"
#include "policy/retry_policy.h"
#include "policy/throttle.h"

namespace newshound::policy {
namespace {

using std::chrono::milliseconds;

RetryOptions Options(int max = 3, int base_ms = 1000, int cap_ms = 60000) {
  RetryOptions o;
  o.max = max;
  o.base = milliseconds(base_ms);
  o.cap = milliseconds(cap_ms);
  return o;
}

TEST(Retry, TransientFailuresAreRetried) {
  for (int status : {408, 425, 429, 500, 502, 503, 504})
    EXPECT_TRUE(RetryPolicy::IsTransient(OutcomeKind::kHttpError, status)) << status;
  for (auto kind : {OutcomeKind::kTimeout, OutcomeKind::kConnect, OutcomeKind::kNetwork, OutcomeKind::kTruncated})
    EXPECT_TRUE(RetryPolicy::IsTransient(kind, 0));
}

TEST(Retry, OtherClientErrorsAndPermanentFailuresAreNot) {
  for (int status : {400, 401, 403, 404, 410, 451, 501})
    EXPECT_FALSE(RetryPolicy::IsTransient(OutcomeKind::kHttpError, status)) << status;
  for (auto kind : {OutcomeKind::kTls, OutcomeKind::kTooLarge, OutcomeKind::kRedirectLoop, OutcomeKind::kRefusedScheme})
    EXPECT_FALSE(RetryPolicy::IsTransient(kind, 0));
}

TEST(Retry, GivesUpAfterMaxRetries) {
  RetryPolicy policy(Options(2), 1);
  EXPECT_TRUE(policy.NextDelay(OutcomeKind::kHttpError, 503, 1, std::nullopt));
  EXPECT_TRUE(policy.NextDelay(OutcomeKind::kHttpError, 503, 2, std::nullopt));
  EXPECT_FALSE(policy.NextDelay(OutcomeKind::kHttpError, 503, 3, std::nullopt));
  EXPECT_FALSE(policy.NextDelay(OutcomeKind::kHttpError, 404, 1, std::nullopt));
  RetryPolicy never(Options(0), 1);
  EXPECT_FALSE(never.NextDelay(OutcomeKind::kTimeout, 0, 1, std::nullopt));
}

TEST(Retry, FullJitterStaysWithinTheExponentialCeiling) {
  RetryPolicy policy(Options(10, 100, 1000), 42);
  for (int retry = 1; retry <= 8; ++retry) {
    const int64_t ceiling = std::min<int64_t>(1000, 100LL << (retry - 1));
    int64_t largest = 0;
    for (int i = 0; i < 200; ++i) {
      const auto delay = policy.Backoff(retry).count();
      EXPECT_GE(delay, 0);
      EXPECT_LE(delay, ceiling);
      largest = std::max(largest, delay);
    }
    // Jitter spreads over the whole range, not just near zero.
    EXPECT_GT(largest, ceiling / 2) << "retry " << retry;
  }
}

TEST(Retry, RetryAfterIsAFloorForTheWait) {
  RetryPolicy policy(Options(3, 10, 20), 7);
  auto delay = policy.NextDelay(OutcomeKind::kHttpError, 429, 1, milliseconds(2000));
  ASSERT_TRUE(delay);
  EXPECT_EQ(*delay, milliseconds(2000));
}

TEST(RetryAfter, ParsesSecondsAndHttpDates) {
  const auto now = std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37 GMT
  EXPECT_EQ(ParseRetryAfter("2", now), milliseconds(2000));
  EXPECT_EQ(ParseRetryAfter(" 120 ", now), milliseconds(120000));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:47 GMT", now), milliseconds(10000));
  EXPECT_EQ(ParseRetryAfter("Sunday, 06-Nov-94 08:49:47 GMT", now), milliseconds(10000));
  EXPECT_EQ(ParseRetryAfter("Sun Nov  6 08:49:47 1994", now), milliseconds(10000));
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now), milliseconds(0));  // in the past
  EXPECT_FALSE(ParseRetryAfter("soon", now));
  EXPECT_FALSE(ParseRetryAfter("", now));
  EXPECT_FALSE(ParseRetryAfter("-5", now));
}

AdaptiveThrottleOptions Adaptive(int floor_ms, int ceiling_ms, double target = 1.0) {
  AdaptiveThrottleOptions o;
  o.enabled = true;
  o.floor = milliseconds(floor_ms);
  o.ceiling = milliseconds(ceiling_ms);
  o.target_concurrency = target;
  return o;
}

TEST(Throttle, DelayFollowsLatencyWithinFloorAndCeiling) {
  AdaptiveThrottle throttle(Adaptive(100, 5000), milliseconds(0));
  EXPECT_EQ(throttle.delay(), milliseconds(100));
  throttle.OnSuccess(milliseconds(1000));  // target 1000: max(1000, (100+1000)/2)
  EXPECT_EQ(throttle.delay(), milliseconds(1000));
  throttle.OnSuccess(milliseconds(200));  // max(200, (1000+200)/2) = 600: recovers gradually
  EXPECT_EQ(throttle.delay(), milliseconds(600));
  throttle.OnSuccess(milliseconds(20000));
  EXPECT_EQ(throttle.delay(), milliseconds(5000));  // ceiling
  for (int i = 0; i < 20; ++i) throttle.OnSuccess(milliseconds(1));
  EXPECT_EQ(throttle.delay(), milliseconds(100));  // floor
}

TEST(Throttle, HigherTargetConcurrencyAllowsShorterDelays) {
  AdaptiveThrottle throttle(Adaptive(0, 5000, 4.0), milliseconds(0));
  throttle.OnSuccess(milliseconds(800));
  EXPECT_EQ(throttle.delay(), milliseconds(200));
}

TEST(Throttle, FailuresDoubleTheDelayAndNeverLowerIt) {
  AdaptiveThrottle throttle(Adaptive(100, 1000), milliseconds(0));
  throttle.OnFailure();
  EXPECT_EQ(throttle.delay(), milliseconds(200));
  throttle.OnFailure();
  throttle.OnFailure();
  throttle.OnFailure();
  EXPECT_EQ(throttle.delay(), milliseconds(1000));
}

TEST(Throttle, ConfiguredDelayAndCrawlDelayAreFloors) {
  AdaptiveThrottle throttle(Adaptive(100, 10000), milliseconds(500));
  throttle.OnSuccess(milliseconds(1));
  EXPECT_EQ(throttle.delay(), milliseconds(500));
  throttle.RaiseFloor(milliseconds(2000));
  EXPECT_EQ(throttle.delay(), milliseconds(2000));
}

}  // namespace
}  // namespace newshound::policy

// Redirect decisions (policy/redirect_policy.h): the same rules inside one
// request and hop by hop through the frontier.
namespace newshound::policy {
namespace {

TEST(Redirect, OnlyTheFiveRedirectStatusesAreFollowed) {
  for (int status : {301, 302, 303, 307, 308}) EXPECT_TRUE(IsRedirectStatus(status)) << status;
  for (int status : {200, 300, 304, 305, 306, 309, 404}) EXPECT_FALSE(IsRedirectStatus(status)) << status;
}

TEST(Redirect, LocationIsResolvedAgainstTheLastHop) {
  auto decision = DecideRedirect({"http://a.test/x/one", "http://b.test/y/two"}, "../z#frag", 10);
  ASSERT_TRUE(decision.follow) << decision.detail;
  EXPECT_EQ(decision.target, "http://b.test/z");
}

TEST(Redirect, ATargetAlreadyInTheChainIsALoopEvenInAnotherSpelling) {
  auto decision = DecideRedirect({"http://a.test/one", "http://a.test/two"}, "HTTP://A.TEST:80/one", 10);
  EXPECT_FALSE(decision.follow);
  EXPECT_EQ(decision.outcome, OutcomeKind::kRedirectLoop);
  EXPECT_NE(decision.detail.find("http://a.test/two"), std::string::npos) << decision.detail;
}

TEST(Redirect, MaxRedirectsCountsTheHopsAfterTheFirstRequest) {
  std::vector<std::string> hops = {"http://a.test/0"};
  for (int i = 1; i <= 3; ++i) {
    auto decision = DecideRedirect(hops, "/" + std::to_string(i), 3);
    ASSERT_TRUE(decision.follow) << "hop " << i << ": " << decision.detail;
    hops.push_back(decision.target);
  }
  auto decision = DecideRedirect(hops, "/4", 3);
  EXPECT_FALSE(decision.follow);
  EXPECT_EQ(decision.outcome, OutcomeKind::kTooManyRedirects);
  EXPECT_FALSE(DecideRedirect({"http://a.test/"}, "/elsewhere", 0).follow);
}

TEST(Redirect, OnlyHttpAndHttpsTargetsAreFollowed) {
  for (const char* location : {"ftp://a.test/file", "javascript:alert(1)", "mailto:x@a.test", "data:text/html,x"}) {
    auto decision = DecideRedirect({"https://a.test/"}, location, 10);
    EXPECT_FALSE(decision.follow) << location;
    EXPECT_EQ(decision.outcome, OutcomeKind::kRefusedScheme) << location;
  }
  EXPECT_TRUE(DecideRedirect({"https://a.test/"}, "http://a.test/", 10).follow);  // a downgrade is still http(s)
}

}  // namespace
}  // namespace newshound::policy
