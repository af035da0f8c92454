#include <gtest/gtest.h>

#include "newshound/url.h"

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

}  // namespace
}  // namespace newshound
