// The DNS cache: how long positive and negative answers are kept, and which
// entry goes when it is full, with the clock passed in.
#include "net/dns_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace newshound::net {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const DnsCache::Clock::time_point kT0 = DnsCache::Clock::time_point{} + std::chrono::hours(100);

DnsCacheOptions Options(milliseconds max_ttl = minutes(5), milliseconds negative_ttl = seconds(30),
                        size_t max_entries = 100) {
  return DnsCacheOptions{max_ttl, negative_ttl, max_entries};
}

TEST(DnsCache, DefaultsAreFiveMinutesAndThirtySeconds) {
  DnsCacheOptions options;
  EXPECT_EQ(options.max_ttl, minutes(5));
  EXPECT_EQ(options.negative_ttl, seconds(30));
}

TEST(DnsCache, UnknownHostIsAMiss) {
  DnsCache cache(Options());
  EXPECT_FALSE(cache.Lookup("a.test", kT0));
}

TEST(DnsCache, PositiveAnswerIsServedUntilItsTtlEnds) {
  DnsCache cache(Options());
  cache.PutPositive("a.test", {"192.0.2.1", "192.0.2.2"}, seconds(60), kT0);
  auto hit = cache.Lookup("a.test", kT0 + seconds(59) + milliseconds(999));
  ASSERT_TRUE(hit);
  EXPECT_FALSE(hit->negative());
  EXPECT_EQ(hit->addresses, (std::vector<std::string>{"192.0.2.1", "192.0.2.2"}));
  EXPECT_FALSE(cache.Lookup("a.test", kT0 + seconds(60)));
}

TEST(DnsCache, TtlIsCappedByMaxTtl) {
  DnsCache cache(Options(/*max_ttl=*/minutes(5)));
  cache.PutPositive("a.test", {"192.0.2.1"}, seconds(86'400), kT0);
  EXPECT_TRUE(cache.Lookup("a.test", kT0 + minutes(5) - milliseconds(1)));
  EXPECT_FALSE(cache.Lookup("a.test", kT0 + minutes(5)));
}

TEST(DnsCache, TtlBelowMaxTtlIsKeptAsGiven) {
  DnsCache cache(Options(/*max_ttl=*/minutes(5)));
  cache.PutPositive("a.test", {"192.0.2.1"}, seconds(1), kT0);
  EXPECT_TRUE(cache.Lookup("a.test", kT0 + milliseconds(999)));
  EXPECT_FALSE(cache.Lookup("a.test", kT0 + seconds(1)));
}

TEST(DnsCache, ZeroTtlMeansDoNotCache) {
  DnsCache cache(Options());
  cache.PutPositive("a.test", {"192.0.2.1"}, seconds(0), kT0);
  EXPECT_FALSE(cache.Lookup("a.test", kT0));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DnsCache, NegativeTtlFromServerMeansDoNotCache) {
  DnsCache cache(Options());
  cache.PutPositive("a.test", {"192.0.2.1"}, seconds(-1), kT0);
  EXPECT_FALSE(cache.Lookup("a.test", kT0));
}

TEST(DnsCache, ZeroTtlAnswerDropsTheOlderOne) {
  DnsCache cache(Options());
  cache.PutPositive("a.test", {"192.0.2.1"}, seconds(60), kT0);
  cache.PutPositive("a.test", {"192.0.2.9"}, seconds(0), kT0 + seconds(1));
  EXPECT_FALSE(cache.Lookup("a.test", kT0 + seconds(2)));
}

TEST(DnsCache, MaxTtlZeroDisablesPositiveCaching) {
  DnsCache cache(Options(/*max_ttl=*/milliseconds(0)));
  cache.PutPositive("a.test", {"192.0.2.1"}, seconds(60), kT0);
  EXPECT_FALSE(cache.Lookup("a.test", kT0));
}

TEST(DnsCache, EmptyAddressListIsNotAPositiveAnswer) {
  DnsCache cache(Options());
  cache.PutPositive("a.test", {}, seconds(60), kT0);
  EXPECT_FALSE(cache.Lookup("a.test", kT0));
}

TEST(DnsCache, NegativeAnswerIsKeptForNegativeTtl) {
  DnsCache cache(Options(minutes(5), /*negative_ttl=*/seconds(30)));
  cache.PutNegative("gone.test", "cannot resolve gone.test: no such host (NXDOMAIN)", kT0);
  auto hit = cache.Lookup("gone.test", kT0 + seconds(29));
  ASSERT_TRUE(hit);
  EXPECT_TRUE(hit->negative());
  EXPECT_EQ(hit->error, "cannot resolve gone.test: no such host (NXDOMAIN)");
  EXPECT_FALSE(cache.Lookup("gone.test", kT0 + seconds(30)));
}

TEST(DnsCache, NegativeTtlIsIndependentOfMaxTtl) {
  DnsCache cache(Options(/*max_ttl=*/seconds(10), /*negative_ttl=*/seconds(30)));
  cache.PutNegative("gone.test", "no", kT0);
  EXPECT_TRUE(cache.Lookup("gone.test", kT0 + seconds(20)));
}

TEST(DnsCache, NegativeTtlZeroDisablesNegativeCaching) {
  DnsCache cache(Options(minutes(5), /*negative_ttl=*/milliseconds(0)));
  cache.PutNegative("gone.test", "no", kT0);
  EXPECT_FALSE(cache.Lookup("gone.test", kT0));
}

TEST(DnsCache, NewerAnswerReplacesOlderOfEitherKind) {
  DnsCache cache(Options());
  cache.PutNegative("a.test", "no", kT0);
  cache.PutPositive("a.test", {"192.0.2.1"}, seconds(60), kT0 + seconds(1));
  auto hit = cache.Lookup("a.test", kT0 + seconds(2));
  ASSERT_TRUE(hit);
  EXPECT_FALSE(hit->negative());

  cache.PutNegative("a.test", "gone now", kT0 + seconds(3));
  hit = cache.Lookup("a.test", kT0 + seconds(4));
  ASSERT_TRUE(hit);
  EXPECT_TRUE(hit->negative());
  EXPECT_EQ(hit->error, "gone now");
  EXPECT_EQ(cache.size(), 1u);
}

TEST(DnsCache, ReplacingRestartsTheTtl) {
  DnsCache cache(Options());
  cache.PutPositive("a.test", {"192.0.2.1"}, seconds(10), kT0);
  cache.PutPositive("a.test", {"192.0.2.2"}, seconds(10), kT0 + seconds(8));
  auto hit = cache.Lookup("a.test", kT0 + seconds(15));
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->addresses, std::vector<std::string>{"192.0.2.2"});
}

TEST(DnsCache, HostsAreKeptApart) {
  DnsCache cache(Options());
  cache.PutPositive("a.test", {"192.0.2.1"}, seconds(60), kT0);
  cache.PutPositive("b.test", {"192.0.2.2"}, seconds(60), kT0);
  EXPECT_EQ(cache.Lookup("a.test", kT0)->addresses, std::vector<std::string>{"192.0.2.1"});
  EXPECT_EQ(cache.Lookup("b.test", kT0)->addresses, std::vector<std::string>{"192.0.2.2"});
}

TEST(DnsCache, ExpiredEntryIsDroppedWhenLookedUp) {
  DnsCache cache(Options());
  cache.PutPositive("a.test", {"192.0.2.1"}, seconds(1), kT0);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_FALSE(cache.Lookup("a.test", kT0 + seconds(1)));
  EXPECT_EQ(cache.size(), 0u);
}

TEST(DnsCache, SizeCapEvictsTheLeastRecentlyUsed) {
  DnsCache cache(Options(minutes(5), seconds(30), /*max_entries=*/2));
  cache.PutPositive("a.test", {"192.0.2.1"}, seconds(60), kT0);
  cache.PutPositive("b.test", {"192.0.2.2"}, seconds(60), kT0);
  ASSERT_TRUE(cache.Lookup("a.test", kT0));  // a is now more recent than b
  cache.PutNegative("c.test", "no", kT0);
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_TRUE(cache.Lookup("a.test", kT0));
  EXPECT_FALSE(cache.Lookup("b.test", kT0));
  EXPECT_TRUE(cache.Lookup("c.test", kT0));
}

TEST(DnsCache, WithoutLookupsTheOldestIsEvictedFirst) {
  DnsCache cache(Options(minutes(5), seconds(30), /*max_entries=*/3));
  for (const char* host : {"a.test", "b.test", "c.test", "d.test", "e.test"})
    cache.PutPositive(host, {"192.0.2.1"}, seconds(60), kT0);
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_FALSE(cache.Lookup("a.test", kT0));
  EXPECT_FALSE(cache.Lookup("b.test", kT0));
  EXPECT_TRUE(cache.Lookup("c.test", kT0));
  EXPECT_TRUE(cache.Lookup("e.test", kT0));
}

TEST(DnsCache, ReplacingAnEntryDoesNotEvictAnother) {
  DnsCache cache(Options(minutes(5), seconds(30), /*max_entries=*/2));
  cache.PutPositive("a.test", {"192.0.2.1"}, seconds(60), kT0);
  cache.PutPositive("b.test", {"192.0.2.2"}, seconds(60), kT0);
  cache.PutPositive("a.test", {"192.0.2.3"}, seconds(60), kT0);
  EXPECT_TRUE(cache.Lookup("a.test", kT0));
  EXPECT_TRUE(cache.Lookup("b.test", kT0));
}

TEST(DnsCache, SizeCapZeroCachesNothing) {
  DnsCache cache(Options(minutes(5), seconds(30), /*max_entries=*/0));
  cache.PutPositive("a.test", {"192.0.2.1"}, seconds(60), kT0);
  cache.PutNegative("b.test", "no", kT0);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_FALSE(cache.Lookup("a.test", kT0));
}

}  // namespace
}  // namespace newshound::net
