#include "newshound/plugin/links.h"

#include <gtest/gtest.h>

namespace newshound::sdk {
namespace {

constexpr char kPage[] = "https://en.almaghribtoday.test/news/world/index.html";

TEST(Links, ResolveLinkResolvesRelativeReferences) {
  EXPECT_EQ(ResolveLink(kPage, "a-1.html"), "https://en.almaghribtoday.test/news/world/a-1.html");
  EXPECT_EQ(ResolveLink(kPage, "/news/"), "https://en.almaghribtoday.test/news/");
  EXPECT_EQ(ResolveLink(kPage, "../economy/"), "https://en.almaghribtoday.test/news/economy/");
  EXPECT_EQ(ResolveLink(kPage, "?page=2"), "https://en.almaghribtoday.test/news/world/index.html?page=2");
}

TEST(Links, ResolveLinkKeepsAbsoluteAndProtocolRelativeHosts) {
  EXPECT_EQ(ResolveLink(kPage, "http://other.test/x"), "http://other.test/x");
  EXPECT_EQ(ResolveLink(kPage, "//cdn.test/img.jpg"), "https://cdn.test/img.jpg");
}

TEST(Links, ResolveLinkDropsTheFragment) {
  EXPECT_EQ(ResolveLink(kPage, "/news/a-1.html#comments"), "https://en.almaghribtoday.test/news/a-1.html");
}

TEST(Links, ResolveLinkRefusesSelfLinksAndNonHttpSchemes) {
  for (const char* href : {"", "   ", "#", "#terms", " #top ", "javascript:void(0)", "JavaScript:alert(1)",
                           "java\nscript:alert(1)", "mailto:desk@almaghribtoday.test", "tel:+212500",
                           "data:text/html,hi", "ftp://files.test/a"}) {
    EXPECT_EQ(ResolveLink(kPage, href), std::nullopt) << "href: " << href;
  }
}

TEST(Links, ResolveLinkCleansHrefsLikeBrowsers) {
  EXPECT_EQ(ResolveLink(kPage, "  /news/\na-1.html\t "), "https://en.almaghribtoday.test/news/a-1.html");
  EXPECT_EQ(ResolveLink(kPage, "\\news\\b-2.html"), "https://en.almaghribtoday.test/news/b-2.html");
  EXPECT_EQ(ResolveLink(kPage, "/search?q=a b"), "https://en.almaghribtoday.test/search?q=a%20b");
}

TEST(Links, ResolveLinkRefusesWhenThePageUrlIsNotAbsoluteHttp) {
  EXPECT_EQ(ResolveLink("not a url", "/x"), std::nullopt);
  EXPECT_EQ(ResolveLink("file:///tmp/a.html", "b.html"), std::nullopt);
}

TEST(Links, PathOfDropsQueryAndFragment) {
  EXPECT_EQ(PathOf("https://en.almaghribtoday.test/news/a-1.html?x=1#f"), "/news/a-1.html");
  EXPECT_EQ(PathOf("https://en.almaghribtoday.test"), "/");
  EXPECT_EQ(PathOf("mailto:x@y"), "");
}

TEST(Links, HostOfIsLowerCaseWithoutPort) {
  EXPECT_EQ(HostOf("https://EN.AlmaghribToday.test:8443/x"), "en.almaghribtoday.test");
  EXPECT_EQ(HostOf("/relative/path"), "");
}

TEST(Links, OriginOfKeepsOnlyNonDefaultPorts) {
  EXPECT_EQ(OriginOf("https://en.almaghribtoday.test:443/x"), "https://en.almaghribtoday.test");
  EXPECT_EQ(OriginOf("http://127.0.0.1:8080/news/"), "http://127.0.0.1:8080");
  EXPECT_EQ(OriginOf("garbage"), "");
}

}  // namespace
}  // namespace newshound::sdk
