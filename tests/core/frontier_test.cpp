#include <gtest/gtest.h>

#include "frontier/frontier.h"

namespace newshound::frontier {
namespace {

using std::chrono::milliseconds;

CrawlItem Item(std::string url, std::string host, Priority priority = Priority::kLow) {
  CrawlItem item;
  item.url = std::move(url);
  item.host_key = std::move(host);
  item.priority = priority;
  return item;
}

TEST(Frontier, ListingPagesLeaveBeforeArticles) {
  Frontier frontier;
  HostPolicy policy{milliseconds(0), 10};
  frontier.Push(Item("article", "a"), policy);
  frontier.Push(Item("listing", "a", Priority::kHigh), policy);
  const auto now = Clock::now();
  EXPECT_EQ(frontier.PopReady(now)->url, "listing");
  frontier.Started("a", now);
  EXPECT_EQ(frontier.PopReady(now)->url, "article");
  EXPECT_FALSE(frontier.PopReady(now));
}

TEST(Frontier, HostWaitsForItsDelayWhileOtherHostsProceed) {
  Frontier frontier;
  HostPolicy policy{milliseconds(1000), 10};
  frontier.Push(Item("a1", "a"), policy);
  frontier.Push(Item("a2", "a"), policy);
  frontier.Push(Item("b1", "b"), policy);
  const auto t0 = Clock::now();
  EXPECT_EQ(frontier.PopReady(t0)->url, "a1");
  frontier.Started("a", t0);
  EXPECT_EQ(frontier.PopReady(t0)->url, "b1");
  frontier.Started("b", t0);
  EXPECT_FALSE(frontier.PopReady(t0 + milliseconds(999)));
  ASSERT_TRUE(frontier.NextReadyTime(t0));
  EXPECT_EQ(*frontier.NextReadyTime(t0), t0 + milliseconds(1000));
  EXPECT_EQ(frontier.PopReady(t0 + milliseconds(1000))->url, "a2");
}

TEST(Frontier, HostInFlightCapHoldsUntilFinished) {
  Frontier frontier;
  HostPolicy policy{milliseconds(0), 1};
  frontier.Push(Item("a1", "a"), policy);
  frontier.Push(Item("a2", "a"), policy);
  const auto t0 = Clock::now();
  EXPECT_EQ(frontier.PopReady(t0)->url, "a1");
  frontier.Started("a", t0);
  EXPECT_FALSE(frontier.PopReady(t0));
  EXPECT_FALSE(frontier.NextReadyTime(t0));  // waiting for a slot, not for time
  frontier.Finished("a");
  EXPECT_EQ(frontier.PopReady(t0)->url, "a2");
}

TEST(Frontier, PoppedButNotStartedLeavesTheHostClockAlone) {
  Frontier frontier;
  HostPolicy policy{milliseconds(1000), 1};
  frontier.Push(Item("a1", "a"), policy);
  frontier.Push(Item("a2", "a"), policy);
  const auto t0 = Clock::now();
  EXPECT_EQ(frontier.PopReady(t0)->url, "a1");  // e.g. disallowed by robots.txt: never started
  EXPECT_EQ(frontier.PopReady(t0)->url, "a2");
}

TEST(Frontier, BlockedHostIsSkippedUntilUnblocked) {
  Frontier frontier;
  HostPolicy policy{milliseconds(0), 4};
  frontier.Push(Item("a1", "a"), policy);
  frontier.Push(Item("b1", "b"), policy);
  frontier.Block("a");
  const auto t0 = Clock::now();
  EXPECT_EQ(frontier.PopReady(t0)->url, "b1");
  EXPECT_FALSE(frontier.PopReady(t0));
  frontier.Unblock("a");
  EXPECT_EQ(frontier.PopReady(t0)->url, "a1");
}

TEST(Frontier, PausedHostWaitsForTheWholePause) {
  Frontier frontier;
  HostPolicy policy{milliseconds(0), 4};
  frontier.Push(Item("a1", "a"), policy);
  const auto t0 = Clock::now();
  frontier.PauseUntil("a", t0 + milliseconds(2000));
  EXPECT_FALSE(frontier.PopReady(t0 + milliseconds(1999)));
  EXPECT_EQ(*frontier.NextReadyTime(t0), t0 + milliseconds(2000));
  EXPECT_EQ(frontier.PopReady(t0 + milliseconds(2000))->url, "a1");
}

TEST(Frontier, DelayedItemReturnsWhenDueAheadOfItsQueue) {
  Frontier frontier;
  HostPolicy policy{milliseconds(0), 4};
  frontier.Push(Item("a1", "a"), policy);
  const auto t0 = Clock::now();
  frontier.PushDelayed(Item("retry", "a"), t0 + milliseconds(500));
  EXPECT_EQ(frontier.queued(), 2u);
  EXPECT_EQ(*frontier.NextReadyTime(t0 + milliseconds(1)), t0 + milliseconds(1));
  EXPECT_EQ(frontier.PopReady(t0)->url, "a1");
  EXPECT_FALSE(frontier.PopReady(t0 + milliseconds(499)));
  EXPECT_EQ(*frontier.NextReadyTime(t0), t0 + milliseconds(500));
  EXPECT_EQ(frontier.PopReady(t0 + milliseconds(500))->url, "retry");
  EXPECT_EQ(frontier.queued(), 0u);
}

TEST(Frontier, DrainEmptiesEveryQueue) {
  Frontier frontier;
  HostPolicy policy{milliseconds(0), 1};
  frontier.Push(Item("a1", "a"), policy);
  frontier.Push(Item("b1", "b", Priority::kHigh), policy);
  frontier.PushDelayed(Item("c1", "c"), Clock::now() + std::chrono::hours(1));
  EXPECT_EQ(frontier.Drain().size(), 3u);
  EXPECT_EQ(frontier.queued(), 0u);
  EXPECT_FALSE(frontier.PopReady(Clock::now()));
}

}  // namespace
}  // namespace newshound::frontier
