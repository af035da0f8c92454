// Masking secrets for logs and printed output (newshound/redact.h), and the
// URL functions' part in it: userinfo never in a normal form or an error.
#include <gtest/gtest.h>

#include "newshound/redact.h"
#include "newshound/url.h"

namespace newshound {
namespace {

TEST(RedactUrl, MasksUserAndPassword) {
  EXPECT_EQ(RedactUrl("https://user:s3cret@a.test/x?q=1"), "https://***@a.test/x?q=1");
  EXPECT_EQ(RedactUrl("http://TOKEN@a.test/"), "http://***@a.test/");
  EXPECT_EQ(RedactUrl("http://u:p@ss@a.test:8080/"), "http://***@a.test:8080/");  // the last '@' ends it
  EXPECT_EQ(RedactUrl("http://:p@a.test/"), "http://***@a.test/");
}

TEST(RedactUrl, LeavesUrlsWithoutUserinfoAlone) {
  EXPECT_EQ(RedactUrl("https://a.test/path@2x.png"), "https://a.test/path@2x.png");
  EXPECT_EQ(RedactUrl("https://a.test/?mail=a@b.test"), "https://a.test/?mail=a@b.test");
  EXPECT_EQ(RedactUrl("https://a.test/#x@y"), "https://a.test/#x@y");
  EXPECT_EQ(RedactUrl("https://a.test/"), "https://a.test/");
  EXPECT_EQ(RedactUrl(""), "");
}

TEST(RedactUrl, MasksWhatNoParserAccepts) {
  // Invalid URLs are quoted in errors too.
  EXPECT_EQ(RedactUrl("http://u:s3cret@bad host/"), "http://***@bad host/");
  EXPECT_EQ(RedactUrl("http://u:s3cret@[::1/"), "http://***@[::1/");
  EXPECT_EQ(RedactUrl("http:u:s3cret@a.test/"), "http:***@a.test/");        // no slashes: still http
  EXPECT_EQ(RedactUrl("http:\\\\u:s3cret@a.test\\x"), "http:\\\\***@a.test\\x");
  EXPECT_EQ(RedactUrl("  http://u:s3cret@a.test/"), "  http://***@a.test/");
  EXPECT_EQ(RedactUrl("ht\ttp://u:s3c\nret@a.test/"), "http://***@a.test/");  // tabs and newlines are no cover
  EXPECT_EQ(RedactUrl("//u:s3cret@a.test/"), "//***@a.test/");               // scheme-relative
  EXPECT_EQ(RedactUrl("u:s3cret@a.test"), "u:***@a.test");                    // no scheme at all
  EXPECT_EQ(RedactUrl("mailto:desk@a.test"), "mailto:***@a.test");
}

TEST(RedactHeaderValue, CredentialHeadersAreMasked) {
  EXPECT_EQ(RedactHeaderValue("Authorization", "Bearer abc.def"), "Bearer ***");
  EXPECT_EQ(RedactHeaderValue("authorization", "Basic dXNlcjpwYXNz"), "Basic ***");
  EXPECT_EQ(RedactHeaderValue("Authorization", "abc"), "***");
  EXPECT_EQ(RedactHeaderValue("Proxy-Authorization", "Basic eDp5"), "Basic ***");
  EXPECT_EQ(RedactHeaderValue("X-Api-Key", "k-123"), "***");
  EXPECT_EQ(RedactHeaderValue("X-Auth-Token", "t"), "***");
  EXPECT_EQ(RedactHeaderValue("X-Session-Id", "s"), "***");
  EXPECT_EQ(RedactHeaderValue("Cookie", "session=abc; theme=dark"), "session=***; theme=***");
  EXPECT_EQ(RedactHeaderValue("Cookie", "justavalue"), "***");
  EXPECT_EQ(RedactHeaderValue("Set-Cookie", "sid=abc123; Path=/; HttpOnly"), "sid=***; Path=/; HttpOnly");
  EXPECT_EQ(RedactHeaderValue("Location", "https://u:p@a.test/x"), "https://***@a.test/x");
}

TEST(RedactHeaderValue, OrdinaryHeadersAreShown) {
  EXPECT_FALSE(IsCredentialHeader("Content-Type"));
  EXPECT_FALSE(IsCredentialHeader("Accept-Language"));
  EXPECT_EQ(RedactHeaderValue("Content-Type", "text/html; charset=utf-8"), "text/html; charset=utf-8");
  EXPECT_EQ(RedactHeaderValue("Location", "https://a.test/x"), "https://a.test/x");
}

TEST(UrlUserinfo, NormalFormHasNone) {
  auto normal = NormalizeUrl("https://user:s3cret@A.test/x");
  ASSERT_TRUE(normal.ok());
  EXPECT_EQ(*normal, "https://a.test/x");
  EXPECT_EQ(*NormalizeUrl("http://u%7e:p%3a@a.test/"), "http://a.test/");
  EXPECT_EQ(*NormalizeUrl("http://TOKEN@a.test/"), "http://a.test/");
  // One page, one entry in the seen set, with or without credentials.
  EXPECT_EQ(*NormalizeUrl("http://u:p@a.test/a"), *NormalizeUrl("http://a.test/a"));
}

TEST(UrlUserinfo, ParseHttpUrlSaysSoAndKeepsThemOutOfTheParts) {
  auto parts = ParseHttpUrl("https://user:s3cret@a.test:8443/x");
  ASSERT_TRUE(parts.ok());
  EXPECT_TRUE(parts->has_userinfo);
  EXPECT_EQ(parts->host, "a.test");
  EXPECT_EQ(parts->target, "/x");
  EXPECT_FALSE(ParseHttpUrl("https://a.test/x@y")->has_userinfo);
}

TEST(UrlUserinfo, ErrorsNeverQuoteThem) {
  for (const char* url : {"http://u:s3cret@bad host/", "http://u:s3cret@", "ftp://u:s3cret@a.test/",
                          "http://u:s3cret@a.test:99999/"}) {
    auto parsed = ParseHttpUrl(url);
    ASSERT_FALSE(parsed.ok()) << url;
    EXPECT_EQ(parsed.status().message().find("s3cret"), std::string::npos) << parsed.status().message();
    auto normal = NormalizeUrl(url);
    ASSERT_FALSE(normal.ok()) << url;
    EXPECT_EQ(normal.status().message().find("s3cret"), std::string::npos) << normal.status().message();
  }
  auto link = ResolveUrl("https://a.test/", "http://u:s3cret@bad host/");
  ASSERT_FALSE(link.ok());
  EXPECT_EQ(link.status().message().find("s3cret"), std::string::npos) << link.status().message();
}

}  // namespace
}  // namespace newshound
