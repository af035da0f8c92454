#include "newshound/plugin/html.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace newshound::sdk {
namespace {

constexpr char kUrl[] = "https://en.almaghribtoday.test/news/world/a-1.html";

std::vector<std::string> Texts(const std::vector<Node>& nodes) {
  std::vector<std::string> out;
  for (const Node& node : nodes) out.push_back(node.Text());
  return out;
}

TEST(Html, ParseRepairsBrokenMarkup) {
  const Document doc = Document::Parse("<div><p>one<p>two <b>bold</div><p>three", kUrl);
  EXPECT_EQ(Texts(doc.Select("//p")), (std::vector<std::string>{"one", "two bold", "three"}));
  EXPECT_TRUE(doc.SelectFirst("/html/body").has_value());
}

TEST(Html, ParseOfNothingGivesAnEmptyDocument) {
  const Document doc = Document::Parse("", kUrl);
  EXPECT_TRUE(doc.Select("//*").empty());
  EXPECT_EQ(doc.SelectFirst("//p"), std::nullopt);
  EXPECT_EQ(doc.Root().Text(), "");
  EXPECT_EQ(doc.url(), kUrl);
}

TEST(Html, ParseOfBinaryGarbageDoesNotFail) {
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += static_cast<char>((i * 7919) % 256);
  const Document doc = Document::Parse(garbage, kUrl);
  EXPECT_EQ(doc.SelectFirst("//article"), std::nullopt);
  for (const Node& node : doc.Select("//*")) node.Text();  // must not crash
}

TEST(Html, InvalidXPathSelectsNothingAndPrintsNothing) {
  const Document doc = Document::Parse("<p>x</p>", kUrl);
  testing::internal::CaptureStderr();
  EXPECT_TRUE(doc.Select("//[").empty());
  EXPECT_TRUE(doc.Select("").empty());
  EXPECT_EQ(doc.SelectFirst("//p[1"), std::nullopt);
  EXPECT_EQ(doc.SelectFirst("p)"), std::nullopt);
  EXPECT_TRUE(doc.Select("//p[unknown-function()]").empty());
  EXPECT_TRUE(doc.Select(std::string_view("//p\0[1]", 7)).empty());
  // Valid but not a node set.
  EXPECT_TRUE(doc.Select("count(//p)").empty());
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(Html, XPathIsEvaluatedRelativeToTheNode) {
  const Document doc = Document::Parse(
      "<main><a href='/in'>in</a></main><aside><a href='/out'>out</a></aside>", kUrl);
  auto main = doc.SelectFirst("//main");
  ASSERT_TRUE(main.has_value());
  EXPECT_EQ(Texts(main->Select(".//a")), (std::vector<std::string>{"in"}));
  EXPECT_EQ(Texts(main->Select("//a")), (std::vector<std::string>{"in", "out"}));
  EXPECT_EQ(main->SelectFirst("a/@href")->Text(), "/in");
}

TEST(Html, ClassXPathMatchesWholeClassNames) {
  const Document doc = Document::Parse(
      "<div class='news-item lead'>a</div><div class='news-items'>b</div><div class=' x\tnews-item '>c</div>",
      kUrl);
  EXPECT_EQ(Texts(doc.Select("//div[" + ClassXPath("news-item") + "]")), (std::vector<std::string>{"a", "c"}));
}

TEST(Html, TextDecodesEntitiesAndNormalizesSpaces) {
  const Document doc = Document::Parse(
      "<p>\n  Syria&#x27;s&nbsp;&nbsp;army &amp; <i>allies</i>\u00a0 said&hellip; \t</p>", kUrl);
  EXPECT_EQ(doc.SelectFirst("//p")->Text(), "Syria's army & allies said\u2026");
}

TEST(Html, TextSeparatesBlocksAndBreaksButNotInlineElements) {
  const Document doc =
      Document::Parse("<div><p>One</p><p>Two</p>three<br>four <b>Fi</b>ve</div>", kUrl);
  EXPECT_EQ(doc.SelectFirst("//div")->Text(), "One Two three four Five");
}

TEST(Html, TextLeavesOutScriptAndStyle) {
  const Document doc =
      Document::Parse("<div>a<script>var x = 1;</script><style>p{}</style>b</div>", kUrl);
  EXPECT_EQ(doc.SelectFirst("//div")->Text(), "ab");
}

TEST(Html, AttrReturnsDecodedValueOrEmpty) {
  const Document doc = Document::Parse("<a HREF='/x?a=1&amp;b=2' data-id=7>t</a>", kUrl);
  const Node a = *doc.SelectFirst("//a");
  EXPECT_EQ(a.Attr("href"), "/x?a=1&b=2");
  EXPECT_EQ(a.Attr("HREF"), "/x?a=1&b=2");
  EXPECT_TRUE(a.HasAttr("data-id"));
  EXPECT_EQ(a.Attr("title"), "");
  EXPECT_FALSE(a.HasAttr("title"));
}

TEST(Html, HasClassMatchesOneClassExactly) {
  const Document doc = Document::Parse("<li class='next  disabled'>x</li>", kUrl);
  const Node li = *doc.SelectFirst("//li");
  EXPECT_TRUE(li.HasClass("next"));
  EXPECT_TRUE(li.HasClass("disabled"));
  EXPECT_FALSE(li.HasClass("nex"));
  EXPECT_FALSE(li.HasClass("next disabled"));
  EXPECT_FALSE(li.HasClass(""));
}

TEST(Html, NameIsLowerCaseTagOrNodeKind) {
  const Document doc = Document::Parse("<DIV ID=x>text<!-- c --></DIV>", kUrl);
  EXPECT_EQ(doc.SelectFirst("//div")->Name(), "div");
  EXPECT_EQ(doc.SelectFirst("//div/text()")->Name(), "#text");
  EXPECT_EQ(doc.SelectFirst("//div/comment()")->Name(), "#comment");
  EXPECT_EQ(doc.SelectFirst("//div/@id")->Name(), "id");
  EXPECT_EQ(doc.Root().Name(), "#document");
}

TEST(Html, ParentAndChildrenWalkElements) {
  const Document doc = Document::Parse("<ul><li>a</li> text <li>b</li></ul>", kUrl);
  const Node ul = *doc.SelectFirst("//ul");
  EXPECT_EQ(Texts(ul.Children()), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ul.Children()[0].Parent(), ul);
  EXPECT_EQ(doc.Root().Parent(), std::nullopt);
}

TEST(Html, ParagraphsSplitOnParagraphAndBlockquoteElements) {
  const Document doc = Document::Parse(
      "<div><p>First.</p>\n<blockquote>\"Quoted.\"</blockquote>\n<p> Last&nbsp;one. </p><p> </p></div>", kUrl);
  EXPECT_EQ(doc.SelectFirst("//div")->Paragraphs(),
            (std::vector<std::string>{"First.", "\"Quoted.\"", "Last one."}));
}

TEST(Html, ParagraphsSplitOnRunsOfBreaks) {
  const Document doc = Document::Parse(
      "<div>\nOne, at 10:30 GMT.<br><br>\nTwo <br> still two.<br> <br><br>Three <a href='/x'>link</a>.\n</div>", kUrl);
  EXPECT_EQ(doc.SelectFirst("//div")->Paragraphs(),
            (std::vector<std::string>{"One, at 10:30 GMT.", "Two still two.", "Three link."}));
}

TEST(Html, ParagraphsLeaveOutScriptsMediaAndCaptions) {
  const Document doc = Document::Parse(
      "<div><p>a</p><div class='inread-ad'><script>googletag.display('x');</script></div>"
      "<figure><img src='i.jpg' alt='alt text'><figcaption>Caption</figcaption></figure>"
      "<p>b <img src='j.jpg' alt='inline'>c</p><iframe src='v'>fallback</iframe><noscript>ns</noscript></div>",
      kUrl);
  EXPECT_EQ(doc.SelectFirst("//div")->Paragraphs(), (std::vector<std::string>{"a", "b c"}));
}

TEST(Html, ParagraphsSkipElementsThePredicateRejects) {
  const Document doc = Document::Parse(
      "<div><p>a</p><p class='read-also'>Read also: <a href='/y'>other</a></p>b<br><br>"
      "c <span class='credit'>(AFP)</span>d</div>",
      kUrl);
  const auto skip = [](const Node& node) { return node.HasClass("read-also") || node.HasClass("credit"); };
  EXPECT_EQ(doc.SelectFirst("//div")->Paragraphs(skip), (std::vector<std::string>{"a", "b", "c d"}));
}

TEST(Html, ParseIgnoresTheDeclaredCharset) {
  // The host has decoded a windows-1256 page to UTF-8 already.
  const Document doc = Document::Parse(
      "<html><head><meta charset=\"windows-1256\"></head><body><h1>أخبار المغرب</h1></body></html>", kUrl);
  EXPECT_EQ(doc.SelectFirst("//h1")->Text(), "أخبار المغرب");
}

TEST(Html, ParseReplacesInvalidUtf8) {
  const Document doc = Document::Parse("<p>caf\xe9 ok \xd8\xa3</p>", kUrl);
  EXPECT_EQ(doc.SelectFirst("//p")->Text(), "caf\uFFFD ok \u0623");
}

TEST(Html, ResolveUsesBaseHref) {
  const Document plain = Document::Parse("<a href='b.html'>x</a>", kUrl);
  EXPECT_EQ(plain.Resolve("b.html"), "https://en.almaghribtoday.test/news/world/b.html");
  const Document based = Document::Parse("<head><base href='/archive/'></head><a href='b.html'>x</a>", kUrl);
  EXPECT_EQ(based.base_url(), "https://en.almaghribtoday.test/archive/");
  EXPECT_EQ(based.Resolve("b.html"), "https://en.almaghribtoday.test/archive/b.html");
  EXPECT_EQ(based.Resolve("#"), std::nullopt);
  // Tag names are case-insensitive, and a base may come at the very end.
  const Document shouting = Document::Parse("<a href='b.html'>x</a><BaSe HREF='/upper/'>", kUrl);
  EXPECT_EQ(shouting.base_url(), "https://en.almaghribtoday.test/upper/");
  const Document basefont = Document::Parse("<basefont size=3><a href='b.html'>x</a>", kUrl);
  EXPECT_EQ(basefont.base_url(), kUrl);
}

TEST(Html, DeepNestingIsHandledWithoutRecursion) {
  // Within the parser's depth limit the whole text is reached.
  std::string html;
  for (int i = 0; i < 100; ++i) html += "<div><span>";
  html += "deep";
  const Document doc = Document::Parse(html, kUrl);
  EXPECT_EQ(doc.Root().Text(), "deep");
  EXPECT_EQ(doc.SelectFirst("//body")->Paragraphs(), (std::vector<std::string>{"deep"}));

  // Beyond it the parser stops descending; nothing may crash.
  std::string deeper;
  for (int i = 0; i < 200000; ++i) deeper += "<span>";
  const Document huge = Document::Parse(deeper + "x", kUrl);
  ASSERT_TRUE(huge.SelectFirst("//body").has_value());
  huge.Root().Text();
  huge.SelectFirst("//body")->Paragraphs();
}

TEST(Html, DocumentsParseConcurrentlyOnSeveralThreads) {
  std::vector<std::thread> threads;
  std::vector<std::string> results(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &results] {
      for (int i = 0; i < 50; ++i) {
        const std::string html = "<ul><li>" + std::to_string(t) + "</li><li>x&amp;y</li></ul><p>[</p>";
        const Document doc = Document::Parse(html, kUrl);
        doc.Select("//[");  // error path too
        results[t] = doc.SelectFirst("//li")->Text() + doc.Select("//li")[1].Text();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 8; ++t) EXPECT_EQ(results[t], std::to_string(t) + "x&y");
}

TEST(Html, MovedDocumentKeepsItsNodesValid) {
  Document doc = Document::Parse("<p>kept</p>", kUrl);
  const Node p = *doc.SelectFirst("//p");
  Document moved = std::move(doc);
  EXPECT_EQ(p.Text(), "kept");
  EXPECT_EQ(moved.url(), kUrl);
}

}  // namespace
}  // namespace newshound::sdk
