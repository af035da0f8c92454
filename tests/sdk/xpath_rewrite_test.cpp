// RewriteDescendantSteps: which steps it rewrites, and that the rewritten
// expression selects the same nodes, in the same order, as the original,
// evaluated by libxml2 on the snapshot pages and on tag soup.
#include "sdk/xpath_rewrite.h"

#include <gtest/gtest.h>
#include <libxml/xpath.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "html_tree_dump.h"

namespace newshound::sdk {
namespace {

using internal::RewriteDescendantSteps;

TEST(XPathRewrite, RewritesStepsWhosePredicatesCannotBePositional) {
  EXPECT_EQ(RewriteDescendantSteps("//div[@class]"), "/descendant::div[@class]");
  EXPECT_EQ(RewriteDescendantSteps(".//a[@href]"), "./descendant::a[@href]");
  EXPECT_EQ(RewriteDescendantSteps("//head/link"), "/descendant::head/link");
  EXPECT_EQ(RewriteDescendantSteps("//*[@id='x']"), "/descendant::*[@id='x']");
  EXPECT_EQ(RewriteDescendantSteps("//text()"), "/descendant::text()");
  EXPECT_EQ(RewriteDescendantSteps("//article[contains(concat(' ', normalize-space(@class), ' '), ' a1 ')]"
                                   "[.//h1[@class='t']]"),
            "/descendant::article[contains(concat(' ', normalize-space(@class), ' '), ' a1 ')]"
            "[./descendant::h1[@class='t']]");
  EXPECT_EQ(RewriteDescendantSteps("//x:y[@a]"), "/descendant::x:y[@a]");
  EXPECT_EQ(RewriteDescendantSteps("//meta[@property='og:image'][@content]"),
            "/descendant::meta[@property='og:image'][@content]");
  EXPECT_EQ(RewriteDescendantSteps("//p[not(@class) and normalize-space(.) != '']"),
            "/descendant::p[not(@class) and normalize-space(.) != '']");
  EXPECT_EQ(RewriteDescendantSteps("//div[div]"), "/descendant::div[div]");
  EXPECT_EQ(RewriteDescendantSteps("//li [@a] [@b]"), "/descendant::li [@a] [@b]");
}

TEST(XPathRewrite, LeavesPositionalAndOtherStepsAsWritten) {
  for (const char* xpath : {"//li[1]",
                            "//li[last()]",
                            "//li[position() < 3]",
                            "//li[count(a)]",
                            "//li[$n]",
                            "//li[@a + 1]",
                            "//li[@a - @b]",
                            "//li[@a * 2]",
                            "//li[@a div @b]",
                            "//li[string-length(.)]",
                            "//li[ceiling(@x)]",
                            "//@href",
                            "//self::a[@b]",
                            "//child::a[@b]",
                            "//a[@b",
                            "'//a[@b]'",
                            "\"//x[@y]\"",
                            "//processing-instruction()",
                            "//li[number(@n)]",
                            "//li[-1]",
                            "//li[.5]",
                            "//li [1]",
                            "//li[@a] [2]"}) {
    EXPECT_EQ(RewriteDescendantSteps(xpath), xpath) << xpath;
  }
  // Only the step that may be positional keeps "//".
  EXPECT_EQ(RewriteDescendantSteps("//ul[@id]//li[2]"), "/descendant::ul[@id]//li[2]");
}

std::vector<xmlNode*> Evaluate(xmlDoc* doc, const std::string& xpath) {
  return newshound::testing::Libxml2XPath(doc, reinterpret_cast<xmlNode*>(doc), xpath);
}

// What plugins ask, as the SDK's ClassXPath and the plugins write it.
const char* const kQueries[] = {
    "//article[contains(concat(' ', normalize-space(@class), ' '), ' article-view ')]"
    "[.//h1[contains(concat(' ', normalize-space(@class), ' '), ' article-title ')]]",
    "//main[contains(concat(' ', normalize-space(@class), ' '), ' col-main ')]//a[@href]",
    "//head/link[@href][contains(concat(' ', normalize-space(translate(@rel, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
    "'abcdefghijklmnopqrstuvwxyz')), ' '), ' canonical ')]",
    "//head/meta[@property='og:image'][@content]",
    "//nav//a[@href]",
    "//section//li",
    "//li[.//a[@href][normalize-space(.) != '']]",
    "//*[self::h2 or self::h3 or self::h4]//a[@href]",
    "//div[@class]",
    "//p[not(@class)]",
    "//text()",
    "//node()",
    "//a[@href]//text()",
    "//div[p]",
    "//td[@id]|//tr[td]",
    "//b[..//i]",
    "//div[@id]/descendant::span[@class]",
};

void ExpectSameSelections(xmlDoc* doc, const std::string& label) {
  for (const char* query : kQueries) {
    const std::string rewritten = RewriteDescendantSteps(query);
    ASSERT_NE(rewritten, query) << query;  // each one is rewritten somewhere
    EXPECT_EQ(Evaluate(doc, rewritten), Evaluate(doc, query)) << label << ": " << query;
  }
}

TEST(XPathRewrite, SelectsWhatTheOriginalSelectsOnTheSnapshotPages) {
  const std::filesystem::path root =
      std::filesystem::path(NEWSHOUND_SOURCE_DIR) / "plugins" / "almaghribtoday" / "testdata" / "almaghribtoday";
  size_t pages = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.path().extension() != ".html") continue;
    xmlDoc* doc = newshound::testing::ParseWithLibxml2(newshound::testing::ReadPage(entry.path()), nullptr);
    ASSERT_NE(doc, nullptr);
    ExpectSameSelections(doc, entry.path().string());
    xmlFreeDoc(doc);
    ++pages;
  }
  EXPECT_GT(pages, 10u);
}

TEST(XPathRewrite, SelectsWhatTheOriginalSelectsOnTagSoup) {
  const char* const pieces[] = {"<div>",
                                "</div>",
                                "<div class=a id=d>",
                                "<p>",
                                "<p class=x>",
                                "</p>",
                                "<li>",
                                "<ul>",
                                "<a href=x>",
                                "</a>",
                                "<b>",
                                "<i>",
                                "</b>",
                                "<td id=t>",
                                "<tr>",
                                "text",
                                " ",
                                "<h2>",
                                "<span class=s>",
                                "<section>",
                                "<nav>",
                                "<article class=article-view>"};
  uint64_t state = 12345;
  for (int n = 0; n < 300; ++n) {
    std::string html;
    for (int i = 0; i < 30; ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      html += pieces[(state >> 33) % (sizeof(pieces) / sizeof(pieces[0]))];
    }
    xmlDoc* doc = newshound::testing::ParseWithLibxml2(html, nullptr);
    ASSERT_NE(doc, nullptr);
    ExpectSameSelections(doc, html);
    xmlFreeDoc(doc);
  }
}

}  // namespace
}  // namespace newshound::sdk
