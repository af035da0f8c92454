#include "newshound/plugin/css.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "newshound/plugin/html.h"

namespace newshound::sdk {
namespace {

constexpr char kUrl[] = "https://news.example.test/world/a-1.html";

using Ids = std::vector<std::string>;

// The id of every matched element ("?" for one without), in order: what a
// test asserts is which elements match, not how the XPath is spelled.
Ids IdsOf(const std::vector<Node>& nodes) {
  Ids out;
  for (const Node& node : nodes) out.push_back(node.HasAttr("id") ? node.Attr("id") : "?");
  return out;
}

Ids Match(const Document& doc, std::string_view css) { return IdsOf(doc.SelectCss(css)); }

std::string ErrorOf(std::string_view css) {
  std::string error = "(none)";
  EXPECT_EQ(CssToXPath(css, &error), std::nullopt) << css;
  return error;
}

TEST(Css, TypeSelectorMatchesTagNamesCaseInsensitively) {
  const Document doc = Document::Parse("<div id=d><p id=p1>a</p><span id=s></span><p id=p2>b</p></div>", kUrl);
  EXPECT_EQ(Match(doc, "p"), (Ids{"p1", "p2"}));
  EXPECT_EQ(Match(doc, "P"), (Ids{"p1", "p2"}));
  EXPECT_EQ(Match(doc, "article"), Ids{});
}

TEST(Css, UniversalSelectorMatchesElementsOnly) {
  const Document doc = Document::Parse("<div id=d>text<!-- c --><p id=p>a</p></div>", kUrl);
  const auto div = doc.SelectCssFirst("div");
  ASSERT_TRUE(div.has_value());
  EXPECT_EQ(IdsOf(div->SelectCss("*")), Ids{"p"});
}

TEST(Css, ClassMatchesWholeClassNamesOnly) {
  const Document doc = Document::Parse(
      "<div id=a class='news-item lead'></div><div id=b class='news-items'></div>"
      "<div id=c class=' x\tnews-item\n'></div><div id=d class='lead'></div>",
      kUrl);
  EXPECT_EQ(Match(doc, ".news-item"), (Ids{"a", "c"}));
  EXPECT_EQ(Match(doc, "div.news-item.lead"), Ids{"a"});
  EXPECT_EQ(Match(doc, ".lead.news-item"), Ids{"a"});
  EXPECT_EQ(Match(doc, ".news"), Ids{});
}

TEST(Css, IdSelectorMatchesTheWholeId) {
  const Document doc = Document::Parse("<p id=main>a</p><p id=main-2>b</p><div id=main></div>", kUrl);
  EXPECT_EQ(IdsOf(doc.SelectCss("p#main")), Ids{"main"});
  EXPECT_EQ(doc.SelectCss("#main").size(), 2u);
}

TEST(Css, AttributePresenceAndEquality) {
  const Document doc = Document::Parse(
      "<a id=a href='/x'>1</a><a id=b>2</a><a id=c href=''>3</a><a id=d href='/x/y'>4</a>", kUrl);
  EXPECT_EQ(Match(doc, "a[href]"), (Ids{"a", "c", "d"}));
  EXPECT_EQ(Match(doc, "[href=\"/x\"]"), Ids{"a"});
  EXPECT_EQ(Match(doc, "[href='/x']"), Ids{"a"});
  EXPECT_EQ(Match(doc, "[href=\"\"]"), Ids{"c"});
  EXPECT_EQ(Match(doc, "[ href = '/x' ]"), Ids{"a"});
}

TEST(Css, UnquotedAttributeValueIsAnIdentifier) {
  const Document doc = Document::Parse("<div id=a data-kind=lead></div><div id=b data-kind=leads></div>", kUrl);
  EXPECT_EQ(Match(doc, "[data-kind=lead]"), Ids{"a"});
}

TEST(Css, AttributeNamesAreCaseInsensitiveValuesAreNot) {
  const Document doc = Document::Parse("<a id=a HREF='/X'>1</a>", kUrl);
  EXPECT_EQ(Match(doc, "[HREF='/X']"), Ids{"a"});
  EXPECT_EQ(Match(doc, "[href='/x']"), Ids{});
}

TEST(Css, TildeEqualsMatchesOneWholeWordOfTheList) {
  const Document doc = Document::Parse(
      "<a id=a rel='nofollow noopener'></a><a id=b rel='nofollowers'></a><a id=c rel='noopener'></a>", kUrl);
  EXPECT_EQ(Match(doc, "[rel~=noopener]"), (Ids{"a", "c"}));
  EXPECT_EQ(Match(doc, "[rel~=nofollow]"), Ids{"a"});
  // A value with a space, or none, can never be one word of the list.
  EXPECT_EQ(Match(doc, "[rel~='nofollow noopener']"), Ids{});
  EXPECT_EQ(Match(doc, "[rel~='']"), Ids{});
}

TEST(Css, PrefixSuffixAndSubstringMatches) {
  const Document doc = Document::Parse(
      "<a id=a href='https://x.test/news/1.html'></a><a id=b href='/news/2.htm'></a>"
      "<a id=c href='https://x.test/sport/3.html'></a><a id=d title='أخبار عاجلة'></a>",
      kUrl);
  EXPECT_EQ(Match(doc, "[href^='https://']"), (Ids{"a", "c"}));
  EXPECT_EQ(Match(doc, "[href$='.html']"), (Ids{"a", "c"}));
  EXPECT_EQ(Match(doc, "[href*='/news/']"), (Ids{"a", "b"}));
  // Characters, not bytes, for the suffix.
  EXPECT_EQ(Match(doc, "[title$='عاجلة']"), Ids{"d"});
  EXPECT_EQ(Match(doc, "[title^='أخبار']"), Ids{"d"});
  // An empty value matches nothing for these three operators.
  EXPECT_EQ(Match(doc, "[href^='']"), Ids{});
  EXPECT_EQ(Match(doc, "[href$='']"), Ids{});
  EXPECT_EQ(Match(doc, "[href*='']"), Ids{});
  // A value longer than the attribute.
  EXPECT_EQ(Match(doc, "[href$='xx/news/2.htm']"), Ids{});
}

TEST(Css, DashMatchIsTheValueOrItsDashedPrefix) {
  const Document doc = Document::Parse(
      "<p id=a lang=en>1</p><p id=b lang=en-US>2</p><p id=c lang=english>3</p><p id=d lang=fr>4</p>", kUrl);
  EXPECT_EQ(Match(doc, "[lang|=en]"), (Ids{"a", "b"}));
}

TEST(Css, DescendantCombinatorMatchesAtAnyDepth) {
  const Document doc = Document::Parse(
      "<article><div><p id=a>1</p></div><p id=b>2</p></article><p id=c>3</p>", kUrl);
  EXPECT_EQ(Match(doc, "article p"), (Ids{"a", "b"}));
  EXPECT_EQ(Match(doc, "article   div\n p"), Ids{"a"});
}

TEST(Css, ChildCombinatorMatchesDirectChildrenOnly) {
  const Document doc = Document::Parse(
      "<article><div><p id=a>1</p></div><p id=b>2</p></article><p id=c>3</p>", kUrl);
  EXPECT_EQ(Match(doc, "article > p"), Ids{"b"});
  EXPECT_EQ(Match(doc, "article>div>p"), Ids{"a"});
  EXPECT_EQ(Match(doc, "body > p"), Ids{"c"});
}

TEST(Css, AdjacentSiblingIsTheNextElementOnly) {
  const Document doc = Document::Parse(
      "<div><h2 id=h>t</h2> text <p id=a>1</p><p id=b>2</p><span id=s></span><p id=c>3</p></div>", kUrl);
  EXPECT_EQ(Match(doc, "h2 + p"), Ids{"a"});  // text between elements does not count
  EXPECT_EQ(Match(doc, "p+p"), Ids{"b"});
  EXPECT_EQ(Match(doc, "span + p"), Ids{"c"});
  EXPECT_EQ(Match(doc, "h2 + span"), Ids{});
}

TEST(Css, GeneralSiblingIsAnyFollowingSibling) {
  const Document doc = Document::Parse(
      "<div><p id=a>1</p><h2 id=h>t</h2><p id=b>2</p><div><p id=c>3</p></div><p id=d>4</p></div>", kUrl);
  EXPECT_EQ(Match(doc, "h2 ~ p"), (Ids{"b", "d"}));
}

TEST(Css, CombinatorsChainFromRightToLeft) {
  const Document doc = Document::Parse(
      "<main><section class=news><h2 id=h1>a</h2><ul><li><a id=a1 href=1>x</a></li></ul></section>"
      "<section><h2 id=h2>b</h2><ul><li><a id=a2 href=2>y</a></li></ul></section></main>",
      kUrl);
  EXPECT_EQ(Match(doc, "main section.news > h2 ~ ul li > a[href]"), Ids{"a1"});
  EXPECT_EQ(Match(doc, "main > section h2 + ul a"), (Ids{"a1", "a2"}));
}

TEST(Css, GroupsMatchInDocumentOrderWithoutDuplicates) {
  const Document doc = Document::Parse("<h2 id=a class=t>1</h2><h1 id=b class=t>2</h1><h3 id=c>3</h3>", kUrl);
  EXPECT_EQ(Match(doc, "h1, h2"), (Ids{"a", "b"}));
  EXPECT_EQ(Match(doc, "h1,h2 , .t"), (Ids{"a", "b"}));
  EXPECT_EQ(doc.SelectCssFirst("h3, h1")->Attr("id"), "b");
}

class NthChild : public testing::Test {
 protected:
  // Six element children (ids 1..6) with text and a comment between them,
  // which must not count.
  const Document doc_ = Document::Parse(
      "<ul><li id=1></li> x <li id=2></li><!-- c --><li id=3></li><li id=4></li><li id=5></li><li id=6></li>"
      "</ul>",
      kUrl);

  Ids Nth(std::string_view argument) { return Match(doc_, "li:nth-child(" + std::string(argument) + ")"); }
};

TEST_F(NthChild, KeywordsOddAndEven) {
  EXPECT_EQ(Nth("odd"), (Ids{"1", "3", "5"}));
  EXPECT_EQ(Nth("even"), (Ids{"2", "4", "6"}));
  EXPECT_EQ(Nth(" EVEN "), (Ids{"2", "4", "6"}));
}

TEST_F(NthChild, PlainNumberIsOnePosition) {
  EXPECT_EQ(Nth("3"), Ids{"3"});
  EXPECT_EQ(Nth("+1"), Ids{"1"});
  EXPECT_EQ(Nth("0"), Ids{});
  EXPECT_EQ(Nth("7"), Ids{});
  EXPECT_EQ(Nth("-1"), Ids{});
}

TEST_F(NthChild, AnPlusBCountsFromB) {
  EXPECT_EQ(Nth("2n+1"), (Ids{"1", "3", "5"}));
  EXPECT_EQ(Nth("2n"), (Ids{"2", "4", "6"}));
  EXPECT_EQ(Nth("3n"), (Ids{"3", "6"}));
  EXPECT_EQ(Nth("3n+2"), (Ids{"2", "5"}));
  EXPECT_EQ(Nth("3n-1"), (Ids{"2", "5"}));
  EXPECT_EQ(Nth("n+4"), (Ids{"4", "5", "6"}));
  EXPECT_EQ(Nth("n"), (Ids{"1", "2", "3", "4", "5", "6"}));
  EXPECT_EQ(Nth("2n + 1"), (Ids{"1", "3", "5"}));
  EXPECT_EQ(Nth("2N-0"), (Ids{"2", "4", "6"}));
  EXPECT_EQ(Nth("4n+10"), Ids{});
}

TEST_F(NthChild, NegativeACountsTheFirstB) {
  EXPECT_EQ(Nth("-n+3"), (Ids{"1", "2", "3"}));
  EXPECT_EQ(Nth("-2n+5"), (Ids{"1", "3", "5"}));
  EXPECT_EQ(Nth("-n"), Ids{});
}

TEST_F(NthChild, CountsOnlyAmongTheSameParent) {
  const Document doc = Document::Parse(
      "<div><p id=a></p><p id=b></p></div><div><span></span><p id=c></p></div>", kUrl);
  EXPECT_EQ(Match(doc, "p:nth-child(2)"), (Ids{"b", "c"}));
}

TEST_F(NthChild, MalformedArgumentsAreInvalid) {
  for (const char* argument : {"", "n+", "+ 2", "2 n", "2n+-1", "odd+1", "1.5", "2n+1 of p", "x",
                               "99999999999999n"}) {
    EXPECT_NE(ErrorOf("li:nth-child(" + std::string(argument) + ")").find(":nth-child()"), std::string::npos)
        << argument;
  }
}

TEST(Css, FirstAndLastChildCountElementsOnly) {
  const Document doc = Document::Parse(
      "<ul> text <li id=a></li><li id=b></li><li id=c></li> <!-- c --> </ul><ul><li id=d></li></ul>", kUrl);
  EXPECT_EQ(Match(doc, "li:first-child"), (Ids{"a", "d"}));
  EXPECT_EQ(Match(doc, "li:last-child"), (Ids{"c", "d"}));
  EXPECT_EQ(Match(doc, "li:first-child:last-child"), Ids{"d"});
  EXPECT_EQ(Match(doc, "li:FIRST-CHILD"), (Ids{"a", "d"}));
}

TEST(Css, NotExcludesWhatItsArgumentMatches) {
  const Document doc = Document::Parse(
      "<ul><li id=a class=ad></li><li id=b></li><li id=c class=promo></li><li id=d lang=en></li></ul>", kUrl);
  EXPECT_EQ(Match(doc, "li:not(.ad)"), (Ids{"b", "c", "d"}));
  EXPECT_EQ(Match(doc, "li:not(:first-child)"), (Ids{"b", "c", "d"}));
  EXPECT_EQ(Match(doc, "li:not([lang])"), (Ids{"a", "b", "c"}));
  EXPECT_EQ(Match(doc, "li:not(#b)"), (Ids{"a", "c", "d"}));
  EXPECT_EQ(Match(doc, "ul :not(li)"), Ids{});
  // Level 4: compound selectors and lists.
  EXPECT_EQ(Match(doc, "li:not(.ad, .promo)"), (Ids{"b", "d"}));
  EXPECT_EQ(Match(doc, "li:not(li.ad)"), (Ids{"b", "c", "d"}));
  EXPECT_EQ(Match(doc, "li:not(:not(.ad))"), Ids{"a"});
}

TEST(Css, NotAcceptsComplexSelectors) {
  const Document doc = Document::Parse(
      "<aside><p id=a></p></aside><article><p id=b></p><div><p id=c></p></div></article>", kUrl);
  EXPECT_EQ(Match(doc, "p:not(aside p)"), (Ids{"b", "c"}));
  EXPECT_EQ(Match(doc, "p:not(article > p)"), (Ids{"a", "c"}));
}

TEST(Css, SelectsDescendantsOfTheContextNodeNeverItself) {
  const Document doc = Document::Parse(
      "<div id=outer><div id=inner><p id=a></p></div></div><p id=b></p>", kUrl);
  const auto inner = doc.SelectCssFirst("#inner");
  ASSERT_TRUE(inner.has_value());
  EXPECT_EQ(IdsOf(inner->SelectCss("p")), Ids{"a"});
  EXPECT_EQ(IdsOf(inner->SelectCss("div")), Ids{});
  EXPECT_EQ(IdsOf(doc.SelectCssFirst("#outer")->SelectCss("div")), Ids{"inner"});
}

TEST(Css, OnlyTheSubjectMustLieInsideTheContextLikeQuerySelectorAll) {
  const Document doc = Document::Parse(
      "<main class=site><section id=s><p id=a></p></section></main><section><p id=b></p></section>", kUrl);
  const auto section = doc.SelectCssFirst("#s");
  ASSERT_TRUE(section.has_value());
  // The <main> is outside the section, as in section.querySelectorAll().
  EXPECT_EQ(IdsOf(section->SelectCss("main.site p")), Ids{"a"});
  EXPECT_EQ(IdsOf(section->SelectCss("section > p")), Ids{"a"});
}

TEST(Css, XPathIsRelativeToTheContextNode) {
  EXPECT_EQ(CssToXPath("div.a"), ".//div[contains(concat(' ', normalize-space(@class), ' '), ' a ')]");
  EXPECT_EQ(CssToXPath("a, b"), ".//a | .//b");
  EXPECT_EQ(CssToXPath("p#x"), ".//p[@id='x']");
  // Usable directly with Select.
  const Document doc = Document::Parse("<div class=a id=x></div>", kUrl);
  EXPECT_EQ(IdsOf(doc.Select(*CssToXPath("div.a"))), Ids{"x"});
}

TEST(Css, ValuesWithQuotesMatchExactly) {
  const Document doc = Document::Parse(
      "<p id=a title=\"it's\"></p><p id=b title='say \"hi\"'></p>"
      "<p id=c title='it&#39;s \"both\"'></p><p id=d title=\"''\"></p><p id=e title='\"&#39;\"&#39;'></p>",
      kUrl);
  EXPECT_EQ(Match(doc, "[title=\"it's\"]"), Ids{"a"});
  EXPECT_EQ(Match(doc, "[title='say \"hi\"']"), Ids{"b"});
  EXPECT_EQ(Match(doc, "[title='it\\'s \"both\"']"), Ids{"c"});
  EXPECT_EQ(Match(doc, "[title^=\"it's \\\"b\"]"), Ids{"c"});
  EXPECT_EQ(Match(doc, "[title=\"''\"]"), Ids{"d"});
  EXPECT_EQ(Match(doc, "[title='\"\\'\"\\'']"), Ids{"e"});
  // XPath has no escapes: both kinds of quote need concat().
  EXPECT_NE(CssToXPath("[title='it\\'s \"both\"']")->find("concat("), std::string::npos);
}

TEST(Css, EscapesInIdentifiersAndStrings) {
  const Document doc = Document::Parse(
      "<div id=a class='md:flex w-1/2'></div><div id=123></div><div id=b class='a.b'></div>", kUrl);
  EXPECT_EQ(Match(doc, ".md\\:flex"), Ids{"a"});
  EXPECT_EQ(Match(doc, ".w-1\\/2"), Ids{"a"});
  EXPECT_EQ(Match(doc, ".a\\.b"), Ids{"b"});
  EXPECT_EQ(Match(doc, "#\\31 23"), Ids{"123"});   // hex escape, space ends it
  EXPECT_EQ(Match(doc, "[class='md\\3a flex w-1/2']"), Ids{"a"});
  EXPECT_EQ(Match(doc, "#123"), Ids{"123"});  // leniency: ids may start with a digit
}

TEST(Css, NonAsciiNamesAndValues) {
  const Document doc = Document::Parse(
      "<span id=a class='عاجل خبر'></span><span id=b data-section='رياضة'></span>", kUrl);
  EXPECT_EQ(Match(doc, ".عاجل"), Ids{"a"});
  EXPECT_EQ(Match(doc, "span.خبر.عاجل"), Ids{"a"});
  EXPECT_EQ(Match(doc, "[data-section=رياضة]"), Ids{"b"});
  EXPECT_EQ(Match(doc, "[data-section^='ر']"), Ids{"b"});
}

TEST(Css, NamesThatAreNotXPathNamesAreComparedByName) {
  // A ':' in an XPath name test would be read as a namespace prefix.
  EXPECT_EQ(CssToXPath("fb\\:like"), ".//*[name()='fb:like']");
  EXPECT_EQ(CssToXPath("[xml\\:lang]"), ".//*[@*[name()='xml:lang']]");
  EXPECT_EQ(CssToXPath("-x"), ".//*[name()='-x']");
}

TEST(Css, InvalidSelectorsNameTheProblemAndPosition) {
  struct Case {
    const char* selector;
    const char* error;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty selector at position 0"},
           {"  ", "empty selector at position 0"},
           {"div >", "expected a selector after '>' at position 5"},
           {"div > > p", "expected a selector after '>' at position 6"},
           {"> p", "selector starts with the combinator '>' at position 0"},
           {"div,", "expected a selector after ',' at position 4"},
           {", div", "expected a selector at position 0"},
           {"div,,p", "expected a selector after ',' at position 4"},
           {"div)", "unexpected ')' at position 3"},
           {"div]", "unexpected ']' at position 3"},
           {"p.", "expected a class name after '.' at position 2"},
           {"p.1a", "expected a class name after '.' at position 2"},
           {"#", "expected an id after '#' at position 1"},
           {"[", "expected an attribute name after '[' at position 1"},
           {"[href", "expected ']' or an operator such as '=' in the attribute selector at position 5"},
           {"[href=", "expected a value in the attribute selector at position 6"},
           {"[href='x'", "expected ']' at position 9"},
           {"[href='x", "unterminated string at position 6"},
           {"[href!=x]", "expected ']' or an operator such as '=' in the attribute selector at position 5"},
           {"[href=x i]", "attribute selector flags are not supported at position 8"},
           {"a:hover", "unsupported pseudo-class ':hover' at position 1"},
           {"li:nth-of-type(2)", "unsupported pseudo-class ':nth-of-type()' at position 2"},
           {"p::before", "pseudo-elements are not supported at position 1"},
           {"p:", "expected a pseudo-class name after ':' at position 2"},
           {"li:nth-child(2", "expected ')' at position 14"},
           {"p:not()", "expected a selector in ':not()' at position 6"},
           {"p:not(.a", "expected ')' at position 8"},
           {"p:not(.a]", "unexpected ']' at position 8"},
           {"svg|a", "namespaces are not supported at position 3"},
           {"[xlink|href]", "namespaces are not supported at position 6"},
           {"p!", "unexpected '!' at position 1"},
           {"p\\\n", "unexpected '\\' at position 1"},
       }) {
    EXPECT_EQ(ErrorOf(c.selector), c.error) << "selector: " << c.selector;
  }
}

TEST(Css, InvalidSelectorSelectsNothingQuietly) {
  const Document doc = Document::Parse("<div><p>x</p></div>", kUrl);
  testing::internal::CaptureStderr();
  EXPECT_TRUE(doc.SelectCss("div >").empty());
  EXPECT_EQ(doc.SelectCssFirst("p:hover"), std::nullopt);
  EXPECT_TRUE(doc.Root().SelectCss("").empty());
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  // Asking again (now from the cache) gives the same answer.
  EXPECT_TRUE(doc.SelectCss("div >").empty());
  EXPECT_EQ(doc.SelectCss("div > p").size(), 1u);
}

TEST(Css, HostileSelectorsAreRejectedNotCrashing) {
  EXPECT_EQ(ErrorOf(std::string_view("p\0a", 3)), "control character at position 1");
  EXPECT_EQ(ErrorOf("p.\xff"), "invalid UTF-8 at position 2");
  EXPECT_EQ(ErrorOf(std::string(20000, 'a')), "selector longer than 16384 bytes at position 16384");
  std::string deep;
  for (int i = 0; i < 1000; ++i) deep += ":not(";
  EXPECT_EQ(ErrorOf("p" + deep), "':not()' nested too deeply at position 41");
  std::string chain = "a";
  for (int i = 0; i < 100; ++i) chain += " a";
  EXPECT_NE(ErrorOf(chain).find("more than 32 compound selectors"), std::string::npos);
  // Escapes that would put control characters into the XPath.
  const Document doc = Document::Parse("<p id=x></p>", kUrl);
  EXPECT_TRUE(doc.SelectCss("#\\0 ").empty());
  EXPECT_TRUE(doc.SelectCss("#\\1 x").empty());
  EXPECT_TRUE(doc.SelectCss("#\\110000").empty());
}

TEST(Css, SelectorsAreSharedSafelyAcrossThreads) {
  std::vector<std::thread> threads;
  std::vector<size_t> counts(4);
  for (size_t t = 0; t < counts.size(); ++t) {
    threads.emplace_back([t, &counts] {
      const Document doc = Document::Parse("<ul><li class=a></li><li class=b></li><li class=a></li></ul>", kUrl);
      for (int i = 0; i < 200; ++i) {
        counts[t] += doc.SelectCss("ul > li.a").size();
        counts[t] += doc.SelectCss("li:nth-child(" + std::to_string(i % 3 + 1) + ")").size();
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t count : counts) EXPECT_EQ(count, 200u * 2 + 200u);
}

}  // namespace
}  // namespace newshound::sdk
