// The shared frontier's protocol (distributed/shared_frontier.h) against a
// real redis-server the test starts: leases, the politeness clock handed
// over between workers, recovery of a dead worker's URLs, the article
// claim, and scripts sent twice after a lost reply.
#include "distributed/shared_frontier.h"

#include <gtest/gtest.h>

#include <thread>

#include "redis_server.h"

namespace newshound::distributed {
namespace {

using std::chrono::milliseconds;

class SharedFrontierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::RedisServerAvailable()) GTEST_SKIP() << "redis-server is not installed (tools/quickstart installs it)";
    redis_ = std::make_unique<test::RedisServer>();
  }

  std::unique_ptr<SharedFrontier> Worker(milliseconds ttl = milliseconds(10'000), int per_host = 16) {
    SharedFrontierOptions options;
    options.crawl = "unit";
    options.lease_ttl = ttl;
    options.claim_per_host = per_host;
    auto address = ParseRedisUrl(redis_->url());
    EXPECT_TRUE(address.ok());
    auto worker = SharedFrontier::Connect(*address, options);
    EXPECT_TRUE(worker.ok()) << worker.status().message();
    return std::move(*worker);
  }

  static SharedFrontier::Offer Queued(const std::string& url, const std::string& host, int64_t run = 1) {
    SharedItem item;
    item.site = "s";
    item.url = url;
    item.run = run;
    return {UrlFingerprint(url), host, item.Encode(), false};
  }

  // The (host, field) pairs that complete every URL of a claimed lease.
  static std::vector<std::pair<std::string, std::string>> Completions(const SharedFrontier::Claimed& lease) {
    std::vector<std::pair<std::string, std::string>> done;
    for (const auto& text : lease.items) {
      auto item = SharedItem::Decode(text);
      done.emplace_back(lease.host, SharedItem::Field(item->site, item->url));
    }
    return done;
  }

  static size_t Count(const std::vector<SharedFrontier::Claimed>& claimed) {
    size_t n = 0;
    for (const auto& lease : claimed) n += lease.items.size();
    return n;
  }

  std::unique_ptr<test::RedisServer> redis_;
};

TEST(SharedItem, EncodesAndDecodesEveryField) {
  SharedItem item;
  item.site = "site-1";
  item.url = "https://a.test/x?y=1";
  item.run = 7;
  item.depth = 3;
  item.high_priority = true;
  item.redirects = {"https://b.test/", "https://c.test/z"};
  auto back = SharedItem::Decode(item.Encode());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->site, item.site);
  EXPECT_EQ(back->url, item.url);
  EXPECT_EQ(back->run, 7);
  EXPECT_EQ(back->depth, 3);
  EXPECT_TRUE(back->high_priority);
  EXPECT_EQ(back->redirects, item.redirects);
  EXPECT_FALSE(SharedItem::Decode("s\thttps://a.test/\tx\t0\t0"));
  EXPECT_FALSE(SharedItem::Decode("s\thttps://a.test/\t1\t0"));
  EXPECT_FALSE(SharedItem::Decode(""));
}

TEST(RedisUrl, ParsesAndRefusesWithTheReason) {
  auto full = ParseRedisUrl("redis://10.0.0.5:6380/3");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->host, "10.0.0.5");
  EXPECT_EQ(full->port, 6380);
  EXPECT_EQ(full->db, 3);
  auto bare = ParseRedisUrl("redis://");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->ToString(), "redis://127.0.0.1:6379/0");
  auto v6 = ParseRedisUrl("redis://[::1]:7000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 7000);
  EXPECT_NE(ParseRedisUrl("http://x:1").status().message().find("not a redis:// URL"), std::string::npos);
  EXPECT_NE(ParseRedisUrl("redis://x:0").status().message().find("port"), std::string::npos);
  EXPECT_NE(ParseRedisUrl("redis://x:1/16").status().message().find("database"), std::string::npos);
  EXPECT_NE(ParseRedisUrl("redis://u:p@x:1").status().message().find("credentials"), std::string::npos);
}

TEST_F(SharedFrontierTest, AUrlEntersARunOnceWhoeverOffersIt) {
  auto a = Worker(), b = Worker();
  auto join = a->JoinRun("s");
  ASSERT_TRUE(join.ok());
  EXPECT_TRUE(join->started);
  auto joined = b->JoinRun("s");
  ASSERT_TRUE(joined.ok());
  EXPECT_FALSE(joined->started);
  EXPECT_EQ(joined->run, join->run);
  auto first = a->OfferUrls("s", 1, {Queued("https://a.test/1", "host:a.test"), Queued("https://a.test/2", "host:a.test")});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, (std::vector<bool>{true, true}));
  auto again = b->OfferUrls("s", 1, {Queued("https://a.test/2", "host:a.test"), Queued("https://a.test/3", "host:a.test")});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, (std::vector<bool>{false, true}));
}

TEST_F(SharedFrontierTest, OneWorkerHoldsAHostAndTheNextWaitsForTheDelayItWasGivenBackWith) {
  auto a = Worker(), b = Worker();
  ASSERT_TRUE(a->JoinRun("s").ok());
  ASSERT_TRUE(a->OfferUrls("s", 1, {Queued("https://a.test/1", "host:a.test"), Queued("https://a.test/2", "host:a.test"),
                                   Queued("https://a.test/3", "host:a.test")}).ok());
  // Per host 1 URL at a time: a holds the host, b gets nothing of it.
  auto held = Worker(milliseconds(10'000), 1);
  auto claimed = held->Claim(0);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(claimed->size(), 1u);
  EXPECT_EQ((*claimed)[0].host, "host:a.test");
  auto none = b->Claim(0);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(Count(*none), 0u);
  // Given back with 300 ms still to wait: nobody gets it sooner.
  const auto released = std::chrono::steady_clock::now();
  ASSERT_TRUE(held->Release("host:a.test", milliseconds(300)).ok());
  size_t got = 0;
  while (got == 0 && std::chrono::steady_clock::now() - released < std::chrono::seconds(3)) {
    auto next = b->Claim(0);
    ASSERT_TRUE(next.ok());
    got = Count(*next);
    if (got == 0) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_GT(got, 0u);
  EXPECT_GE(std::chrono::steady_clock::now() - released, milliseconds(290));
}

TEST_F(SharedFrontierTest, ADeadWorkersUrlsInFlightGoBackToTheQueueWhenItsLeaseAndHeartbeatExpire) {
  auto dead = Worker(milliseconds(1'000));
  auto alive = Worker(milliseconds(1'000));
  ASSERT_TRUE(dead->JoinRun("s").ok());
  ASSERT_TRUE(dead->OfferUrls("s", 1, {Queued("https://a.test/1", "host:a.test"), Queued("https://a.test/2", "host:a.test")}).ok());
  ASSERT_TRUE(dead->SeedDone("s", 1).ok());
  auto taken = dead->Claim(0);
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(Count(*taken), 2u);
  // `dead` stops renewing. Within the TTL the host is still its own.
  auto early = alive->Claim(0);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(Count(*early), 0u);
  std::this_thread::sleep_for(milliseconds(1'300));
  auto recovered = alive->Claim(0);
  ASSERT_TRUE(recovered.ok());
  ASSERT_EQ(recovered->size(), 1u);
  EXPECT_EQ((*recovered)[0].recovered, 2);
  EXPECT_EQ((*recovered)[0].items.size(), 2u);
  // The run finishes when the new holder completes them, not before.
  auto finished = alive->RunFinished("s", 1);
  ASSERT_TRUE(finished.ok());
  EXPECT_FALSE(*finished);
  const auto done = Completions((*recovered)[0]);
  auto left = alive->Complete("s", 1, done);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, 0);
  EXPECT_TRUE(*alive->RunFinished("s", 1));
}

// A host whose queue ran dry while a live worker still has URLs of it in
// flight is looked at again only later (in case that worker dies); new
// URLs for it make it claimable at once all the same.
TEST_F(SharedFrontierTest, NewUrlsForAHostWaitingOnlyForCompletionsAreClaimableAtOnce) {
  auto a = Worker(), b = Worker();
  ASSERT_TRUE(a->JoinRun("s").ok());
  ASSERT_TRUE(a->OfferUrls("s", 1, {Queued("https://a.test/1", "host:a.test")}).ok());
  auto taken = a->Claim(0);
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(Count(*taken), 1u);
  ASSERT_TRUE(a->Release("host:a.test", milliseconds(0)).ok());  // fetched; its completion waits for a flush
  std::this_thread::sleep_for(milliseconds(250));                  // past the handover grace
  auto nothing = b->Claim(0);
  ASSERT_TRUE(nothing.ok());
  EXPECT_EQ(Count(*nothing), 0u);  // only a's URL in flight: nothing to take
  ASSERT_TRUE(b->OfferUrls("s", 1, {Queued("https://a.test/2", "host:a.test")}).ok());
  auto now_claimable = b->Claim(0);
  ASSERT_TRUE(now_claimable.ok());
  EXPECT_EQ(Count(*now_claimable), 1u);
}

TEST_F(SharedFrontierTest, AnArticleIsClaimedByOneWorkerAndTakenOverOnlyFromADeadOne) {
  auto a = Worker(milliseconds(1'000)), b = Worker(milliseconds(1'000));
  ASSERT_TRUE(a->Renew({}).ok());  // heartbeats
  ASSERT_TRUE(b->Renew({}).ok());
  EXPECT_TRUE(*a->ClaimArticle("s", "https://a.test/x", "h1"));
  EXPECT_FALSE(*b->ClaimArticle("s", "https://a.test/x", "h1"));  // a is alive and writing it
  EXPECT_FALSE(*a->ClaimArticle("s", "https://a.test/x", "h1"));  // nor twice by a
  EXPECT_TRUE(*b->ClaimArticle("s", "https://a.test/y", "h1"));
  ASSERT_TRUE(b->ConfirmArticles("s", {{"https://a.test/y", "h1"}}).ok());
  EXPECT_FALSE(*a->ClaimArticle("s", "https://a.test/y", "h1"));  // written
  EXPECT_TRUE(*a->ClaimArticle("s", "https://a.test/y", "h2"));   // changed: a new version
  // a dies before confirming x: once its heartbeat is gone, b takes it.
  std::this_thread::sleep_for(milliseconds(1'200));
  ASSERT_TRUE(b->Renew({}).ok());
  EXPECT_TRUE(*b->ClaimArticle("s", "https://a.test/x", "h1"));
}

TEST_F(SharedFrontierTest, AScriptSentAgainAfterALostReplyGetsTheSameReplyAndDoesNotActTwice) {
  auto a = Worker();
  ASSERT_TRUE(a->JoinRun("s").ok());
  RedisClient raw(*ParseRedisUrl(redis_->url()), RedisOptions{});
  ASSERT_TRUE(raw.Connect().ok());
  const std::string queue = a->prefix() + "q:host:a.test";
  // An offer sent twice: the URL is new once, queued once, and the repeat
  // answers "new" again (the reply the first call would have had).
  auto offered = a->OfferUrls("s", 1, {Queued("https://a.test/1", "host:a.test"), Queued("https://a.test/2", "host:a.test")});
  ASSERT_TRUE(offered.ok());
  auto repeated = a->RepeatLastCall();
  ASSERT_TRUE(repeated.ok());
  EXPECT_EQ(repeated->text, "11");
  EXPECT_EQ(raw.Call({"LLEN", queue})->integer, 2);
  // A claim sent twice: the same URLs come back, none more leave the queue.
  auto claimed = a->Claim(0);
  ASSERT_TRUE(claimed.ok());
  ASSERT_EQ(Count(*claimed), 2u);
  auto again = a->RepeatLastCall();
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->elements.size(), 5u);  // host, recovered, count, 2 items
  EXPECT_EQ(again->elements[3].text, (*claimed)[0].items[0]);
  EXPECT_EQ(raw.Call({"LLEN", queue})->integer, 0);
  EXPECT_EQ(raw.Call({"HLEN", a->prefix() + "inflight:host:a.test"})->integer, 2);
  // A completion sent twice closes each URL once.
  const auto done = Completions((*claimed)[0]);
  auto left = a->Complete("s", 1, done);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, 1);  // the seed token is still open
  auto left_again = a->RepeatLastCall();
  ASSERT_TRUE(left_again.ok());
  EXPECT_EQ(left_again->integer, 1);
  EXPECT_EQ(raw.Call({"GET", a->prefix() + "open:s:1"})->text, "1");
}

}  // namespace
}  // namespace newshound::distributed
