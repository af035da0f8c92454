// The per-site cookie jar: RFC 6265 storage and matching rules, with the
// clock passed in.
#include "net/cookie_jar.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace newshound::net {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

const CookieJar::TimePoint kNow = std::chrono::system_clock::from_time_t(1'700'000'000);  // 2023-11-14

UrlParts Url(const std::string& text) {
  auto parts = ParseHttpUrl(text);
  EXPECT_TRUE(parts.ok()) << text;
  return *parts;
}

TEST(CookieJar, HostOnlyCookieIsSentToTheSameHostOnly) {
  CookieJar jar;
  EXPECT_TRUE(jar.SetCookie(Url("https://www.news.test/"), "a=1", kNow));
  EXPECT_EQ(jar.CookieHeader(Url("https://www.news.test/x"), kNow), "a=1");
  EXPECT_EQ(jar.CookieHeader(Url("https://sub.www.news.test/"), kNow), "");
  EXPECT_EQ(jar.CookieHeader(Url("https://news.test/"), kNow), "");
}

TEST(CookieJar, DomainCookieIsSentToSubdomains) {
  CookieJar jar;
  EXPECT_TRUE(jar.SetCookie(Url("https://www.news.test/"), "a=1; Domain=.News.Test", kNow));
  EXPECT_EQ(jar.CookieHeader(Url("https://news.test/"), kNow), "a=1");
  EXPECT_EQ(jar.CookieHeader(Url("https://img.news.test/"), kNow), "a=1");
  EXPECT_EQ(jar.CookieHeader(Url("https://othernews.test/"), kNow), "");
}

TEST(CookieJar, DomainThatDoesNotMatchTheHostIsRefused) {
  CookieJar jar;
  EXPECT_FALSE(jar.SetCookie(Url("https://www.news.test/"), "a=1; Domain=other.test", kNow));
  EXPECT_FALSE(jar.SetCookie(Url("https://news.test/"), "a=1; Domain=www.news.test", kNow));
  EXPECT_FALSE(jar.SetCookie(Url("https://badnews.test/"), "a=1; Domain=news.test", kNow));
  EXPECT_EQ(jar.size(), 0u);
}

TEST(CookieJar, PublicSuffixDomainIsRefused) {
  CookieJar jar;
  EXPECT_FALSE(jar.SetCookie(Url("https://www.bbc.co.uk/"), "a=1; Domain=co.uk", kNow));
  EXPECT_FALSE(jar.SetCookie(Url("https://www.example.com/"), "a=1; Domain=com", kNow));
  EXPECT_EQ(jar.size(), 0u);
  EXPECT_TRUE(jar.SetCookie(Url("https://www.bbc.co.uk/"), "b=2; Domain=bbc.co.uk", kNow));
  EXPECT_EQ(jar.CookieHeader(Url("https://news.bbc.co.uk/"), kNow), "b=2");
  EXPECT_EQ(jar.CookieHeader(Url("https://www.other.co.uk/"), kNow), "");
}

TEST(CookieJar, DefaultPathAndPathMatching) {
  CookieJar jar;
  // Default path: the request path up to (not including) its last '/'.
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/news/world/story.html?x=1"), "a=1", kNow));
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/news/world"), kNow), "a=1");
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/news/world/other"), kNow), "a=1");
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/news/worldwide"), kNow), "");
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/news/"), kNow), "");
  // A path directly under the root defaults to "/".
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/index.html"), "b=2", kNow));
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/anything"), kNow), "b=2");
  // A Path not starting with '/' is ignored (default path used).
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/a/b"), "c=3; Path=relative", kNow));
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/a/z"), kNow), "c=3; b=2");
  // An explicit Path ending in '/'.
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "d=4; Path=/docs/", kNow));
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/docs/x"), kNow), "d=4; b=2");
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/docs"), kNow), "b=2");
}

TEST(CookieJar, MaxAgeWinsOverExpires) {
  CookieJar jar;
  // Expires long past, Max-Age in the future: kept.
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT; Max-Age=60", kNow));
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/"), kNow), "a=1");
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/"), kNow + seconds(59)), "a=1");
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/"), kNow + seconds(60)), "");
  // Max-Age=0 with a future Expires: gone at once.
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "b=2; Max-Age=0; Expires=Fri, 01 Jan 2100 00:00:00 GMT", kNow));
  EXPECT_EQ(jar.size(), 0u);
}

TEST(CookieJar, ExpiresIsHonouredAndPastExpiryDeletes) {
  CookieJar jar;
  const auto when = std::chrono::system_clock::from_time_t(1'700'003'600);  // kNow + 1 hour
  ASSERT_EQ(ParseCookieDate("Tue, 14 Nov 2023 23:13:20 GMT"), when);
  ASSERT_EQ(ParseCookieDate("Tuesday, 14-Nov-23 23:13:20 GMT"), when);
  EXPECT_FALSE(ParseCookieDate("not a date").has_value());
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "a=1; Expires=Tue, 14 Nov 2023 23:13:20 GMT", kNow));
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/"), kNow + hours(1) - seconds(1)), "a=1");
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/"), kNow + hours(1)), "");
  EXPECT_EQ(jar.size(), 0u);
  // A cookie set again with a past date deletes the stored one.
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "b=2", kNow));
  EXPECT_EQ(jar.size(), 1u);
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "b=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT", kNow));
  EXPECT_EQ(jar.size(), 0u);
  // An unparseable Expires is ignored: a session cookie.
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "c=3; Expires=soon", kNow));
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/"), kNow + hours(24 * 365)), "c=3");
}

// Found by fuzzing (tests/fuzz/http_response/regressions/): a nanosecond
// system_clock ends in 2262, and converting a later Expires overflowed.
TEST(CookieJar, ExpiresBeyondTheClockRangeIsClampedNotOverflowed) {
  using Clock = std::chrono::system_clock;
  EXPECT_EQ(ParseCookieDate("Wed, 21 Oct 4074 07:28:00 GMT"), Clock::time_point::max());
  EXPECT_EQ(ParseCookieDate("Fri, 31 Dec 9999 23:59:59 GMT"), Clock::time_point::max());
  EXPECT_EQ(ParseCookieDate("Mon, 01 Jan 1601 00:00:00 GMT"), Clock::time_point::min());
  EXPECT_EQ(ParseCookieDate("Fri, 11 Apr 2262 23:47:15 GMT"), Clock::from_time_t(9'223'372'035));  // the last second
  CookieJar jar;
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "far=1; Expires=Fri, 31 Dec 9999 23:59:59 GMT", kNow));
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/"), kNow + hours(24 * 365 * 100)), "far=1");
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "far=gone; Expires=Mon, 01 Jan 1601 00:00:00 GMT", kNow));
  EXPECT_EQ(jar.size(), 0u);
}

TEST(CookieJar, SecureCookiesOnlyOverHttps) {
  CookieJar jar;
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "s=1; Secure", kNow));
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "p=2", kNow));
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/"), kNow), "s=1; p=2");
  EXPECT_EQ(jar.CookieHeader(Url("http://n.test/"), kNow), "p=2");
}

TEST(CookieJar, LongestPathFirstThenOldestFirst) {
  CookieJar jar;
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "root=1; Path=/", kNow));
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "deep=2; Path=/a/b", kNow));
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "mid=3; Path=/a", kNow));
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "root2=4; Path=/", kNow));
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/a/b/c"), kNow), "deep=2; mid=3; root=1; root2=4");
}

TEST(CookieJar, SameNameDomainAndPathIsOverwritten) {
  CookieJar jar;
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "a=1; Path=/", kNow));
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "b=2; Path=/", kNow));
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "a=new; Path=/", kNow));
  EXPECT_EQ(jar.size(), 2u);
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/"), kNow), "a=new; b=2");  // keeps its creation order
  // Another path is another cookie.
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), "a=x; Path=/sub", kNow));
  EXPECT_EQ(jar.size(), 3u);
}

TEST(CookieJar, GarbageIsIgnored) {
  CookieJar jar;
  EXPECT_FALSE(jar.SetCookie(Url("https://n.test/"), "", kNow));
  EXPECT_FALSE(jar.SetCookie(Url("https://n.test/"), "novalue", kNow));
  EXPECT_FALSE(jar.SetCookie(Url("https://n.test/"), "=nameless", kNow));
  EXPECT_FALSE(jar.SetCookie(Url("https://n.test/"), "; Path=/", kNow));
  EXPECT_FALSE(jar.SetCookie(Url("https://n.test/"), std::string("a=b\x01" "c"), kNow));
  EXPECT_EQ(jar.size(), 0u);
  // Unknown attributes and bad Max-Age are skipped, the cookie kept.
  EXPECT_TRUE(jar.SetCookie(Url("https://n.test/"), " a = 1 ; HttpOnly; SameSite=Lax; Max-Age=soon; Weird", kNow));
  EXPECT_EQ(jar.CookieHeader(Url("https://n.test/"), kNow), "a=1");
}

TEST(CookieJar, ConcurrentUseIsSafe) {
  CookieJar jar;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&jar, t] {
      for (int i = 0; i < 200; ++i) {
        jar.SetCookie(Url("https://n.test/"), "c" + std::to_string(t) + "=" + std::to_string(i), kNow);
        jar.CookieHeader(Url("https://n.test/"), kNow);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(jar.size(), 4u);
}

}  // namespace
}  // namespace newshound::net
