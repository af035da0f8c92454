#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

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
  frontier.Written("a", t0, /*first=*/true);
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
  frontier.Finished("a", /*written=*/false);
  EXPECT_EQ(frontier.PopReady(t0)->url, "a2");
}

// The server sees a request when it is written, after DNS, connect and TLS:
// the delay runs from there, and no other request is given to the host
// while one is on its way, so a slow connection setup never shortens the
// gap between two requests as they arrive.
TEST(Frontier, DelayCountsFromTheWriteAndWaitsForIt) {
  Frontier frontier;
  HostPolicy policy{milliseconds(1000), 4};
  for (const char* url : {"a1", "a2", "a3"}) frontier.Push(Item(url, "a"), policy);
  const auto t0 = Clock::now();
  EXPECT_EQ(frontier.PopReady(t0)->url, "a1");
  frontier.Started("a", t0);
  // Granted, not yet written: a whole delay later the host still waits,
  // for the write rather than for a time.
  EXPECT_FALSE(frontier.PopReady(t0 + milliseconds(1500)));
  EXPECT_FALSE(frontier.NextReadyTime(t0 + milliseconds(1500)));
  frontier.Written("a", t0 + milliseconds(800), /*first=*/true);  // 800 ms of connection setup
  EXPECT_EQ(frontier.NextStart("a"), t0 + milliseconds(1800));
  EXPECT_FALSE(frontier.PopReady(t0 + milliseconds(1799)));
  EXPECT_EQ(*frontier.NextReadyTime(t0 + milliseconds(1500)), t0 + milliseconds(1800));
  EXPECT_EQ(frontier.PopReady(t0 + milliseconds(1800))->url, "a2");
  frontier.Started("a", t0 + milliseconds(1800));
  // Written again (a fresh connection after a stale one): only the clock
  // moves, the host is not given another request before this one's first
  // write counted.
  frontier.Written("a", t0 + milliseconds(1810), /*first=*/true);
  frontier.Written("a", t0 + milliseconds(1900), /*first=*/false);
  EXPECT_EQ(frontier.NextStart("a"), t0 + milliseconds(2900));
  EXPECT_FALSE(frontier.PopReady(t0 + milliseconds(2899)));
  EXPECT_EQ(frontier.PopReady(t0 + milliseconds(2900))->url, "a3");
}

TEST(Frontier, ARequestThatFailedBeforeItsWriteFreesTheHost) {
  Frontier frontier;
  HostPolicy policy{milliseconds(1000), 4};
  frontier.Push(Item("a1", "a"), policy);
  frontier.Push(Item("a2", "a"), policy);
  const auto t0 = Clock::now();
  EXPECT_EQ(frontier.PopReady(t0)->url, "a1");
  frontier.Started("a", t0);
  frontier.Finished("a", /*written=*/false);  // connection refused, say
  EXPECT_FALSE(frontier.PopReady(t0 + milliseconds(999)));  // the delay still counts from the grant
  EXPECT_EQ(frontier.PopReady(t0 + milliseconds(1000))->url, "a2");
}

// Without a delay there is no clock to protect: requests granted and not
// yet written do not hold the host.
TEST(Frontier, WithoutADelayUnwrittenRequestsDoNotHoldTheHost) {
  Frontier frontier;
  HostPolicy policy{milliseconds(0), 4};
  frontier.Push(Item("a1", "a"), policy);
  frontier.Push(Item("a2", "a"), policy);
  const auto t0 = Clock::now();
  EXPECT_EQ(frontier.PopReady(t0)->url, "a1");
  frontier.Started("a", t0);
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

namespace newshound::frontier {
namespace {

class SpillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("newshound-spill-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  size_t FilesInDir() const {
    if (!std::filesystem::exists(dir_)) return 0;
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_), {}));
  }
  std::filesystem::path dir_;
};

// Many chains interleaved in one log, across segments: each comes back in
// its order; popped segments are deleted, and nothing is left at the end.
TEST_F(SpillTest, ChainsInterleavedAcrossSegmentsComeBackInOrderAndTheDiskEmpties) {
  SpillLog log(dir_.string(), /*segment_bytes=*/4096);
  std::vector<SpillLog::Chain> chains(7);
  for (int i = 0; i < 2000; ++i) {
    const std::string payload = "item-" + std::to_string(i) + std::string(static_cast<size_t>(i % 50), 'x');
    ASSERT_TRUE(log.Push(chains[static_cast<size_t>(i % 7)], payload).ok());
  }
  EXPECT_GT(FilesInDir(), 10u);
  EXPECT_GT(log.bytes(), 2000u * 12);
  std::string payload;
  for (size_t c = 0; c < chains.size(); ++c) {
    for (int i = static_cast<int>(c); i < 2000; i += 7) {
      ASSERT_TRUE(log.Pop(chains[c], payload).ok());
      EXPECT_EQ(payload, "item-" + std::to_string(i) + std::string(static_cast<size_t>(i % 50), 'x'));
    }
    EXPECT_EQ(chains[c].count, 0u);
    EXPECT_EQ(chains[c].head, SpillLog::kNone);
  }
  EXPECT_EQ(log.bytes(), 0u);
  EXPECT_LE(FilesInDir(), 1u) << "only the segment being written stays, emptied";
  EXPECT_FALSE(log.Pop(chains[0], payload).ok());
}

TEST_F(SpillTest, TheDestructorRemovesTheFiles) {
  {
    SpillLog log(dir_.string(), 4096);
    SpillLog::Chain chain;
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(log.Push(chain, std::string(100, 'y')).ok());
    EXPECT_GT(FilesInDir(), 1u);
  }
  EXPECT_EQ(FilesInDir(), 0u);
}

// Over its memory budget the frontier spills; every host keeps its next
// item in memory, each queue keeps its order (a spilled queue's new items
// follow it to disk), high priority still leaves first, and Drain returns
// what is on disk too.
TEST_F(SpillTest, FrontierOverItsBudgetSpillsKeepsOrderAndPriority) {
  FrontierOptions options;
  options.spill_directory = dir_.string();
  options.max_items_in_memory = 10;
  options.refill_batch = 4;
  Frontier frontier(options);
  HostPolicy policy{milliseconds(0), 1000};
  for (int i = 0; i < 300; ++i) {
    CrawlItem item = Item("u" + std::to_string(i), "h" + std::to_string(i % 3));
    item.site = 1;
    item.depth = i;
    item.origin = "https://h" + std::to_string(i % 3) + ".test";
    item.redirects = {"r" + std::to_string(i)};
    frontier.Push(std::move(item), policy);
  }
  frontier.Push(Item("urgent", "h0", Priority::kHigh), policy);
  EXPECT_EQ(frontier.queued(), 301u);
  EXPECT_LE(frontier.in_memory(), 13u);
  EXPECT_GE(frontier.spilled(), 288u);
  EXPECT_GT(frontier.spill_bytes(), 0u);

  std::map<std::string, int> last;  // per host, the index of the last item popped
  bool urgent_seen = false;
  const auto now = Clock::now();
  for (int n = 0; n < 200; ++n) {
    auto item = frontier.PopReady(now);
    ASSERT_TRUE(item);
    EXPECT_LE(frontier.in_memory(), 14u);
    if (item->url == "urgent") {
      urgent_seen = true;
      continue;
    }
    if (item->host_key == "h0") {
      EXPECT_TRUE(urgent_seen) << "the high-priority item leaves h0 first";
    }
    const int i = std::stoi(item->url.substr(1));
    EXPECT_EQ(item->host_key, "h" + std::to_string(i % 3));
    EXPECT_EQ(item->depth, i);
    EXPECT_EQ(item->site, 1u);
    EXPECT_EQ(item->origin, "https://h" + std::to_string(i % 3) + ".test");
    EXPECT_EQ(item->redirects, std::vector<std::string>{"r" + std::to_string(i)});
    EXPECT_EQ(item->priority, Priority::kLow);
    auto [at, fresh] = last.emplace(item->host_key, i);
    if (!fresh) {
      EXPECT_EQ(i, at->second + 3) << "order within " << item->host_key;
      at->second = i;
    }
  }
  auto rest = frontier.Drain();
  EXPECT_EQ(rest.size(), 101u);
  EXPECT_EQ(frontier.queued(), 0u);
  EXPECT_EQ(frontier.spill_bytes(), 0u);
  EXPECT_FALSE(frontier.failure());
}

// A spill directory that cannot be made: nothing is spilled, nothing lost
// (the items stay in memory, over the budget), and it says why.
TEST_F(SpillTest, ASpillThatCannotBeWrittenKeepsTheItemsInMemory) {
  std::filesystem::create_directories(dir_.parent_path());
  std::ofstream(dir_.string()) << "a file where the directory should be";
  FrontierOptions options;
  options.spill_directory = (dir_ / "spill").string();
  options.max_items_in_memory = 2;
  Frontier frontier(options);
  HostPolicy policy{milliseconds(0), 1000};
  for (int i = 0; i < 20; ++i) frontier.Push(Item("u" + std::to_string(i), "h"), policy);
  EXPECT_EQ(frontier.in_memory(), 20u);
  ASSERT_TRUE(frontier.spill_disabled());
  EXPECT_NE(frontier.spill_disabled()->find((dir_ / "spill").string()), std::string::npos) << *frontier.spill_disabled();
  EXPECT_FALSE(frontier.failure());
  int popped = 0;
  while (frontier.PopReady(Clock::now())) ++popped;
  EXPECT_EQ(popped, 20);
  std::filesystem::remove(dir_);
}

}  // namespace
}  // namespace newshound::frontier
