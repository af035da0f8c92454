// The SDK's own evaluation of simple XPath (framework/src/sdk/xpath_simple.h):
// what it takes on and what it leaves to libxml2, and that what it selects
// is exactly what libxml2 selects, node for node and in the same order, on
// the snapshot pages and on tag soup, for the plugins' own expressions and
// for random ones, from the document and from elements as context.
#include "sdk/xpath_simple.h"

#include <gtest/gtest.h>
#include <libxml/xpath.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "html_tree_dump.h"
#include "newshound/plugin/html.h"

namespace newshound::sdk {
namespace {

using internal::CompileSimplePath;
using internal::SelectSimplePath;

TEST(XPathSimple, TakesPathsOfNamesWithAttributeTests) {
  for (const std::string& xpath : std::vector<std::string>{"//div", ".//a[@href]", "//head/meta[@property='og:image'][@content]",
                                  "//main[" + ClassXPath("col-main") + "]//a[@href]", "//*[@id=\"x\"]",
                                  ".//ul[" + ClassXPath("pagination") + "]//li[" + ClassXPath("next") + "]/a[@href]",
                                  "//h1", "//section//li", "//x-y_z[@data-v='']", "//li[.//a[@href]]",
                                  "//article[" + ClassXPath("article-view") + "][.//h1[" + ClassXPath("t") + "]]",
                                  "//div[//meta[@property='x']]/p"}) {
    EXPECT_TRUE(CompileSimplePath(xpath).has_value()) << xpath;
  }
  const auto path = CompileSimplePath("//ul[@id='a']/li[" + ClassXPath("b") + "]//a[@href]");
  ASSERT_TRUE(path);
  EXPECT_TRUE(path->from_root);
  ASSERT_EQ(path->steps.size(), 3u);
  EXPECT_EQ(path->steps[0].name, "ul");
  EXPECT_FALSE(path->steps[1].descendant);
  EXPECT_TRUE(path->steps[2].descendant);
  ASSERT_EQ(path->steps[1].predicates.size(), 1u);
  EXPECT_EQ(path->steps[1].predicates[0].kind, internal::SimplePredicate::Kind::kNormalizedContains);
  EXPECT_EQ(path->steps[1].predicates[0].text, " b ");
  EXPECT_FALSE(CompileSimplePath(".//p")->from_root);
}

TEST(XPathSimple, LeavesEverythingElseToLibxml2) {
  for (const char* xpath :
       {"", "/", "//", "div", "/html/body", "./a", "..//a", "//li[1]", "//li[last()]", "//a/@href", "//text()",
        "//node()", "//a|//b", "//self::a", "//x:y", "//li [@a]", "//li[@a ]", "//li[@a = 'x']", "//li[@a='x]",
        "//li[not(@a)]", "//li[./a]", "//li[.//a", "//li[.//a[1]]", "//*[self::h2 or self::h3]", "(//a)[1]", "//a[@href][normalize-space(.) != '']",
        "//link[contains(concat(' ', normalize-space(translate(@rel, 'AB', 'ab')), ' '), ' next ')]",
        "//a[contains(@class, 'x')]", "//1a", "//-a", "//a//", "//a/", "//a[]", "//a[@]"}) {
    EXPECT_FALSE(CompileSimplePath(xpath).has_value()) << xpath;
  }
  EXPECT_FALSE(CompileSimplePath("//div[" + ClassXPath("it's") + "]").has_value());
  std::string deep = "//a";
  for (int i = 0; i < 64; ++i) deep += "/a";
  EXPECT_FALSE(CompileSimplePath(deep).has_value());  // past 64 steps
}

std::vector<xmlNode*> Libxml2Select(xmlDoc* doc, xmlNode* context, const std::string& xpath) {
  return newshound::testing::Libxml2XPath(doc, context, xpath);
}

std::vector<xmlNode*> SimpleSelect(xmlNode* context, const std::string& xpath, size_t limit = 0) {
  std::vector<xmlNode*> nodes;
  auto path = CompileSimplePath(xpath);
  EXPECT_TRUE(path) << xpath;
  if (path) SelectSimplePath(*path, context, limit, nodes);
  return nodes;
}

std::vector<xmlNode*> Elements(xmlDoc* doc) {
  std::vector<xmlNode*> out;
  for (xmlNode* node : Libxml2Select(doc, reinterpret_cast<xmlNode*>(doc), "//*")) out.push_back(node);
  return out;
}

// Random paths of the subset over the names, attributes and classes of
// news pages.
std::string RandomPath(std::mt19937& random) {
  static const char* const kNames[] = {"div", "a", "li", "ul", "p", "span", "h1", "h2", "meta", "link", "time",
                                       "section", "main", "article", "nav", "head", "img", "body", "*"};
  static const char* const kClasses[] = {"article-view", "col-main", "article-title", "pagination", "next",
                                         "main-nav", "related-news", "news-time", "article-text", "x", "a", "s"};
  static const char* const kAttributes[] = {"href", "class", "id", "rel", "property", "content", "src", "itemprop"};
  static const char* const kValues[] = {"og:image", "next", "datePublished", "", "a", "canonical", "t"};
  const auto pick = [&](const auto& list) { return list[random() % (sizeof(list) / sizeof(list[0]))]; };
  std::string xpath = random() % 3 == 0 ? ".//" : "//";
  const int steps = 1 + static_cast<int>(random() % 3);
  for (int s = 0; s < steps; ++s) {
    if (s > 0) xpath += random() % 2 == 0 ? "//" : "/";
    xpath += pick(kNames);
    const int predicates = static_cast<int>(random() % 3);
    for (int p = 0; p < predicates; ++p) {
      switch (random() % 4) {
        case 3:
          xpath += std::string("[.//") + pick(kNames) + (random() % 2 == 0 ? "" : "[@" + std::string(pick(kAttributes)) + "]") +
                   (random() % 2 == 0 ? "" : std::string("/") + pick(kNames)) + "]";
          break;
        case 0:
          xpath += std::string("[@") + pick(kAttributes) + "]";
          break;
        case 1:
          xpath += std::string("[@") + pick(kAttributes) + "='" + pick(kValues) + "']";
          break;
        default:
          xpath += "[" + ClassXPath(pick(kClasses)) + "]";
      }
    }
  }
  return xpath;
}

// The plugins' own expressions (almaghribtoday, generic) that are in the subset.
std::vector<std::string> PluginPaths() {
  return {"//article[" + ClassXPath("article-view") + "][.//h1[" + ClassXPath("article-title") + "]]",
          "//article[" + ClassXPath("article-view") + "]",
          "//main[" + ClassXPath("col-main") + "]",
          ".//a[@href]",
          ".//ul[" + ClassXPath("pagination") + "]//li[" + ClassXPath("next") + "]//a[@href]",
          "//nav[" + ClassXPath("main-nav") + "]//a[@href]",
          ".//h1[" + ClassXPath("article-title") + "]",
          ".//p[" + ClassXPath("article-source") + "]",
          ".//div[" + ClassXPath("article-text") + "]",
          "//head/meta[@property='og:image'][@content]",
          ".//div[" + ClassXPath("article-image") + "]//img[@src]",
          "//time[" + ClassXPath("last-update") + "]",
          ".//meta[@itemprop='datePublished']",
          "//meta[@property='article:published_time']",
          "//meta[@property='article:section']",
          "//section[" + ClassXPath("related-news") + "]//li",
          ".//*[" + ClassXPath("news-time") + "]",
          "//base[@href]"};
}

void ExpectSameAsLibxml2(xmlDoc* doc, const std::vector<std::string>& paths, const std::string& label) {
  std::vector<xmlNode*> contexts = {reinterpret_cast<xmlNode*>(doc)};
  const std::vector<xmlNode*> elements = Elements(doc);
  for (size_t i = 0; i < elements.size(); i += 7) contexts.push_back(elements[i]);
  for (const std::string& xpath : paths) {
    for (xmlNode* context : contexts) {
      const std::vector<xmlNode*> expected = Libxml2Select(doc, context, xpath);
      ASSERT_EQ(SimpleSelect(context, xpath), expected)
          << label << ": " << xpath << " from <" << (context->name ? (const char*)context->name : "doc") << ">";
      // SelectFirst's limit: the first of them.
      const std::vector<xmlNode*> first = SimpleSelect(context, xpath, 1);
      ASSERT_EQ(first.size(), expected.empty() ? 0u : 1u) << xpath;
      if (!expected.empty()) {
        ASSERT_EQ(first[0], expected[0]) << xpath;
      }
    }
  }
}

std::vector<std::filesystem::path> SnapshotPages() {
  std::vector<std::filesystem::path> pages;
  const std::filesystem::path root = std::filesystem::path(NEWSHOUND_SOURCE_DIR) / "plugins" / "almaghribtoday" / "testdata";
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().extension() == ".html") pages.push_back(entry.path());
  }
  return pages;
}

TEST(XPathSimple, SelectsWhatLibxml2SelectsOnTheSnapshotPages) {
  std::mt19937 random(42);
  std::vector<std::string> paths = PluginPaths();
  for (int i = 0; i < 60; ++i) paths.push_back(RandomPath(random));
  const auto pages = SnapshotPages();
  ASSERT_GT(pages.size(), 20u);
  size_t selected = 0;
  for (const auto& page : pages) {
    xmlDoc* doc = newshound::testing::ParseWithLibxml2(newshound::testing::ReadPage(page), nullptr);
    ASSERT_NE(doc, nullptr);
    ExpectSameAsLibxml2(doc, paths, page.string());
    for (const std::string& xpath : PluginPaths()) selected += SimpleSelect(reinterpret_cast<xmlNode*>(doc), xpath).size();
    xmlFreeDoc(doc);
  }
  EXPECT_GT(selected, 1000u);  // the comparison was over pages where the paths find things
}

TEST(XPathSimple, SelectsWhatLibxml2SelectsOnTagSoup) {
  const char* const pieces[] = {"<div>", "</div>", "<div class='a  x\tb' id=d>", "<p>", "<p class=' x '>", "</p>",
                                "<li>", "<ul>", "<a href=x>", "<a href=''>", "</a>", "<span class=s>", "</span>",
                                "<section class=related-news>", "<nav class='main-nav'>", "<meta property=og:image>",
                                "<link rel=next href=n>", "text", " ", "<h1 class=article-title>", "<img src=i>"};
  std::mt19937 random(7);
  for (int n = 0; n < 150; ++n) {
    std::string html;
    for (int i = 0; i < 40; ++i) html += pieces[random() % (sizeof(pieces) / sizeof(pieces[0]))];
    xmlDoc* doc = newshound::testing::ParseWithLibxml2(html, nullptr);
    ASSERT_NE(doc, nullptr);
    std::vector<std::string> paths;
    for (int i = 0; i < 20; ++i) paths.push_back(RandomPath(random));
    ExpectSameAsLibxml2(doc, paths, html);
    xmlFreeDoc(doc);
  }
}

// The walk carries the steps down the tree: a path of "//" steps over deep
// nesting is linear, not a search of every ancestor chain.
TEST(XPathSimple, DeepNestingSelectsEveryMatchOnce) {
  std::string html = "<body>";
  for (int i = 0; i < 3000; ++i) html += "<div>";
  xmlDoc* doc = newshound::testing::ParseWithLibxml2(html, nullptr);
  ASSERT_NE(doc, nullptr);
  const size_t divs = Libxml2Select(doc, reinterpret_cast<xmlNode*>(doc), "//div").size();
  ASSERT_GT(divs, 100u);  // as deep as libxml2 nests them
  EXPECT_EQ(SimpleSelect(reinterpret_cast<xmlNode*>(doc), "//div//div//div//div").size(), divs - 3);
  EXPECT_EQ(SimpleSelect(reinterpret_cast<xmlNode*>(doc), "//body/div/div").size(), 1u);
  xmlFreeDoc(doc);
}

// Through the SDK: Select and SelectFirst take the subset this way and still
// answer what is not in it.
TEST(XPathSimple, TheSdkAnswersInAndOutOfTheSubset) {
  const Document doc = Document::Parse(
      "<html><head><meta property='og:image' content='i.jpg'></head><body>"
      "<ul class='pagination'><li class='x next'><a href='/2'>2</a></li><li><a href='/3'>3</a></li></ul>"
      "</body></html>",
      "https://a.test/");
  EXPECT_EQ(doc.Select("//li[" + ClassXPath("next") + "]/a[@href]").size(), 1u);
  EXPECT_EQ(doc.Select("//a[@href]").size(), 2u);
  ASSERT_TRUE(doc.SelectFirst("//a[@href]"));
  EXPECT_EQ(doc.SelectFirst("//a[@href]")->Attr("href"), "/2");
  EXPECT_EQ(doc.SelectFirst("//head/meta[@property='og:image'][@content]")->Attr("content"), "i.jpg");
  EXPECT_EQ(doc.SelectFirst("(//a)[2]")->Attr("href"), "/3");  // libxml2's
  const auto ul = doc.SelectFirst("//ul");
  ASSERT_TRUE(ul);
  EXPECT_EQ(ul->Select(".//a[@href]").size(), 2u);
  EXPECT_EQ(ul->Select(".//ul").size(), 0u);  // from the context node, not the document
  EXPECT_EQ(ul->Select("//meta").size(), 1u);  // from the document
}

}  // namespace
}  // namespace newshound::sdk
