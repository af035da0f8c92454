#include <gtest/gtest.h>

#include "newshound/url.h"
#include "policy/redirect_policy.h"

namespace newshound {
namespace {

std::string Resolve(const std::string& base, const std::string& ref) {
  auto r = ResolveUrl(base, ref);
  return r.ok() ? *r : "error: " + r.status().message();
}

TEST(Url, ParsesPartsWithDefaultPorts) {
  auto https = ParseHttpUrl("HTTPS://En.Example.TEST/news/?page=2");
  ASSERT_TRUE(https.ok());
  EXPECT_EQ(https->scheme, "https");
  EXPECT_EQ(https->host, "en.example.test");
  EXPECT_EQ(https->port, 443);
  EXPECT_EQ(https->target, "/news/?page=2");
  auto http = ParseHttpUrl("http://a.test:8080");
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http->port, 8080);
  EXPECT_EQ(http->target, "/");
  EXPECT_EQ(OriginKey(*http), "http://a.test:8080");
}

TEST(Url, RefusesOtherSchemesAndRelativeUrls) {
  EXPECT_FALSE(ParseHttpUrl("ftp://a.test/").ok());
  EXPECT_FALSE(ParseHttpUrl("/news/").ok());
  EXPECT_FALSE(ParseHttpUrl("mailto:a@b.test").ok());
}

TEST(Url, ResolvesLikeABrowser) {
  const std::string base = "https://en.example.test/news/world/index.html";
  EXPECT_EQ(Resolve(base, "/news/page/2/"), "https://en.example.test/news/page/2/");
  EXPECT_EQ(Resolve(base, "story-1.html"), "https://en.example.test/news/world/story-1.html");
  EXPECT_EQ(Resolve(base, "../economy/"), "https://en.example.test/news/economy/");
  EXPECT_EQ(Resolve(base, "//cdn.example.test/x"), "https://cdn.example.test/x");
  EXPECT_EQ(Resolve(base, "  /a b.html#frag \n"), "https://en.example.test/a%20b.html");
  EXPECT_EQ(Resolve(base, "\\news\\x.html"), "https://en.example.test/news/x.html");
  EXPECT_EQ(Resolve(base, "/n\tew\ns/"), "https://en.example.test/news/");
  EXPECT_EQ(Resolve(base, "/ar/مقال"), "https://en.example.test/ar/%D9%85%D9%82%D8%A7%D9%84");
  EXPECT_EQ(Resolve(base, "/100%/"), "https://en.example.test/100%25/");
  EXPECT_EQ(Resolve("https://a.test", "?q=1"), "https://a.test/?q=1");
  EXPECT_NE(Resolve(base, "javascript:void(0)").find("error:"), std::string::npos);
  EXPECT_NE(Resolve(base, "mailto:desk@example.test").find("error:"), std::string::npos);
}

TEST(Url, NormalizesForDeduplication) {
  EXPECT_EQ(*NormalizeUrl("HTTPS://A.Test:443/a/./b/../c?x=1#top"), "https://a.test/a/c?x=1");
  EXPECT_EQ(*NormalizeUrl("http://a.test:80"), "http://a.test/");
  EXPECT_EQ(*NormalizeUrl("http://a.test:8080/%7euser"), "http://a.test:8080/~user");
  EXPECT_EQ(*NormalizeUrl("http://a.test/?"), "http://a.test/");
  EXPECT_EQ(*NormalizeUrl("http://a.test/%c3%a9"), "http://a.test/%C3%A9");
}

std::string Normalize(const std::string& url, const NormalizeOptions& options = NormalizeOptions()) {
  auto r = NormalizeUrl(url, options);
  return r.ok() ? *r : "error: " + r.status().message();
}

TEST(Url, ParseHttpUrlGivesHostsAsTheStandardSerializesThem) {
  EXPECT_EQ(ParseHttpUrl("http://0x7f.1:8080/")->host, "127.0.0.1");
  EXPECT_EQ(ParseHttpUrl("https://Bücher.example/")->host, "xn--bcher-kva.example");
  auto v6 = ParseHttpUrl("http://[0:0::1]:8080/x");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");  // without brackets
  EXPECT_EQ(OriginKey(*v6), "http://[::1]:8080");
}

TEST(Url, ParseHttpUrlTargetIsAValidRequestTarget) {
  EXPECT_EQ(ParseHttpUrl("http://a.test/a b/%zz?q=é&r=%41")->target, "/a%20b/%25zz?q=%C3%A9&r=%41");
  EXPECT_EQ(ParseHttpUrl("http://a.test?x")->target, "/?x");
}

// Found by the http_response fuzz target: a redirect to //host:0 resolved,
// was followed, and then could not be fetched. Port 0 is a valid WHATWG
// URL, but no crawlable one: every entry point refuses it alike.
TEST(Url, PortZeroIsRefusedByResolveAndNormalizeAsByParse) {
  auto link = ResolveUrl("http://a.test/x.html", "//b.test:0/y");
  ASSERT_FALSE(link.ok());
  EXPECT_EQ(link.status().message(), "invalid link '//b.test:0/y': port 0");
  auto normal = NormalizeUrl("https://b.test:0/");
  ASSERT_FALSE(normal.ok());
  EXPECT_EQ(normal.status().message(), "invalid URL 'https://b.test:0/': port 0");
  auto redirect = policy::DecideRedirect({"http://a.test/x.html"}, "//~&1b:0", 5);
  EXPECT_FALSE(redirect.follow);
}

TEST(Url, ParseHttpUrlRefusesPortZeroAndNamesTheUrl) {
  auto zero = ParseHttpUrl("http://a.test:0/");
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().message(), "invalid URL 'http://a.test:0/': port 0");
  auto bad_host = ParseHttpUrl("http://a b.test/");
  ASSERT_FALSE(bad_host.ok());
  EXPECT_EQ(bad_host.status().message(), "invalid URL 'http://a b.test/': forbidden code point in the host");
  auto ftp = ParseHttpUrl("ftp://a.test/");
  ASSERT_FALSE(ftp.ok());
  EXPECT_EQ(ftp.status().message(), "unsupported URL 'ftp://a.test/': only http and https are crawled");
}

TEST(Url, ResolveFollowsTheStandardForOddReferences) {
  const std::string base = "https://en.example.test/news/world/index.html?page=2#top";
  EXPECT_EQ(Resolve(base, "#comments"), "https://en.example.test/news/world/index.html?page=2");
  EXPECT_EQ(Resolve(base, ""), "https://en.example.test/news/world/index.html?page=2");
  EXPECT_EQ(Resolve(base, "../../../../x"), "https://en.example.test/x");
  EXPECT_EQ(Resolve(base, "/a/%2e%2E/b"), "https://en.example.test/b");
  EXPECT_EQ(Resolve(base, "https:x"), "https://en.example.test/news/world/x");
  EXPECT_EQ(Resolve(base, "http:\\\\other.test\\y"), "http://other.test/y");
  EXPECT_EQ(Resolve(base, "//BÜCHER.example"), "https://xn--bcher-kva.example/");
  EXPECT_EQ(Resolve(base, "//0x7f.1:8443/"), "https://127.0.0.1:8443/");
}

TEST(Url, ResolveRefusesABaseThatIsNotAbsoluteHttpAndNamesIt) {
  EXPECT_EQ(Resolve("file:///tmp/a.html", "b.html"),
            "error: unsupported URL 'file:///tmp/a.html': only http and https are crawled");
  EXPECT_EQ(Resolve("/relative", "b.html"), "error: invalid URL '/relative': relative URL without a base");
  EXPECT_EQ(Resolve("https://a.test/", "http://[::1"), "error: invalid link 'http://[::1': invalid IPv6 address");
}

// Each thread remembers the last base it parsed; a new base must replace it.
TEST(Url, ResolveAgainstAlternatingBasesUsesEachBase) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Resolve("https://a.test/x/y", "z"), "https://a.test/x/z");
    EXPECT_EQ(Resolve("https://b.test/p/q", "z"), "https://b.test/p/z");
    EXPECT_EQ(Resolve("https://a b/", "z"), "error: invalid URL 'https://a b/': forbidden code point in the host");
  }
  EXPECT_EQ(*ParseUrl("z", "sc://h/a"), "sc://h/z");
  EXPECT_EQ(Resolve("https://a.test/x/y", "z"), "https://a.test/x/z");
}

TEST(Url, NormalizeDropsTrackingParametersByDefault) {
  EXPECT_EQ(Normalize("https://a.test/x?utm_source=rss&id=7&UTM_Medium=feed&fbclid=abc&gclid=d"),
            "https://a.test/x?id=7");
  EXPECT_EQ(Normalize("https://a.test/x?utm_campaign=y"), "https://a.test/x");  // no '?' left behind
  EXPECT_EQ(Normalize("https://a.test/x?utm%5Fsource=y&sid=3"), "https://a.test/x?sid=3");  // names decoded first
  EXPECT_EQ(*NormalizeUrl("https://a.test/x?fbclid=1&b=2"), "https://a.test/x?b=2");
}

TEST(Url, NormalizeDropsParametersMatchingTheSiteGlobs) {
  NormalizeOptions options;
  options.drop_query_params = {"sid", "PHPSESSID", "ga_*_id", "*_ref"};
  EXPECT_EQ(Normalize("https://a.test/?sid=1&phpsessid=2&ga_x_id=3&from_ref=4&sidebar=5&ref=6", options),
            "https://a.test/?sidebar=5&ref=6");
  EXPECT_EQ(Normalize("https://a.test/?utm_source=x", options), "https://a.test/?utm_source=x");  // the list replaces
}

TEST(Url, NormalizeDropsSessionIdPathParameters) {
  NormalizeOptions options;
  options.drop_query_params = {"jsessionid"};
  EXPECT_EQ(Normalize("https://a.test/news/a.html;jsessionid=0A1B?jsessionid=2&x=1", options),
            "https://a.test/news/a.html?x=1");
  EXPECT_EQ(Normalize("https://a.test/a;v=1;JSESSIONID=2/b", options), "https://a.test/a;v=1/b");
  EXPECT_EQ(Normalize("https://a.test/a;v=1/b"), "https://a.test/a;v=1/b");
}

TEST(Url, NormalizeSortsParametersByNameStablyWhenAsked) {
  NormalizeOptions options;
  options.sort_query = true;
  EXPECT_EQ(Normalize("https://a.test/?b=2&a=1&c&b=1&a=0", options), "https://a.test/?a=1&a=0&b=2&b=1&c");
  EXPECT_EQ(Normalize("https://a.test/?b=2&a=1"), "https://a.test/?b=2&a=1");  // off by default
}

TEST(Url, NormalizeDropsEmptyParameters) {
  EXPECT_EQ(Normalize("https://a.test/?&a=1&&b=2&"), "https://a.test/?a=1&b=2");
  EXPECT_EQ(Normalize("https://a.test/?&"), "https://a.test/");
}

TEST(Url, NormalizeDecodesUnreservedEscapesAndUpperCasesTheRest) {
  EXPECT_EQ(Normalize("http://a.test/%41%2d%2E%5f%7E%3a%2f/?q=%7e%3d%zz"), "http://a.test/A-._~%3A%2F/?q=~%3D%25zz");
  // User name and password are no part of the normal form (redact_test.cpp).
  EXPECT_EQ(Normalize("http://u%7e:p%3a@a.test/"), "http://a.test/");
}

TEST(Url, NormalizeDoesNotLetDroppedPathParametersMakeADotSegment) {
  NormalizeOptions options;
  options.drop_query_params = {"jsessionid"};
  EXPECT_EQ(Normalize("http://a.test/a/..;jsessionid=1/b", options), "http://a.test/a/..;jsessionid=1/b");
}

TEST(Url, NormalFormIsAFixedPoint) {
  NormalizeOptions sorted;
  sorted.sort_query = true;
  sorted.drop_query_params = {"jsessionid", "utm_*"};
  for (const char* url : {"HTTPS://A.Test:443/a/./b/../%7ec;jsessionid=1?utm_x=1&b=%7e&a=%zz#f",
                          "http://[0:0::1]:80/%2e%2E/x?", "http://0x7f.1/a b/?q=é", "https://bücher.example/?&"}) {
    const std::string once = Normalize(url, sorted);
    ASSERT_EQ(once.find("error:"), std::string::npos) << url << ": " << once;
    EXPECT_EQ(Normalize(once, sorted), once) << url;
  }
}

}  // namespace
}  // namespace newshound
