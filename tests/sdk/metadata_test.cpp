#include "newshound/plugin/metadata.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "newshound/plugin/html.h"

namespace newshound::sdk {
namespace {

constexpr char kUrl[] = "https://news.example.test/world/a-1.html";

using Strings = std::vector<std::string>;

std::string JsonLd(std::string_view json) {
  return "<script type=\"application/ld+json\">" + std::string(json) + "</script>";
}

std::vector<ArticleMetadata> Read(std::string_view html) {
  return ReadJsonLd(Document::Parse("<html><head>" + std::string(html) + "</head><body></body></html>", kUrl));
}

Strings TypesOf(const std::vector<ArticleMetadata>& articles) {
  Strings out;
  for (const ArticleMetadata& article : articles) out.push_back(article.type);
  return out;
}

Strings HeadlinesOf(const std::vector<ArticleMetadata>& articles) {
  Strings out;
  for (const ArticleMetadata& article : articles) out.push_back(article.headline);
  return out;
}

// --- JSON-LD ---

TEST(JsonLd, ReadsTheFieldsOfANewsArticle) {
  const auto articles = Read(JsonLd(R"({
    "@context": "https://schema.org",
    "@type": "NewsArticle",
    "headline": "  Rabat   hosts summit ",
    "description": "Leaders meet.",
    "datePublished": "2017-10-10T20:04:00+01:00",
    "dateModified": "2017-10-11T09:03:51Z",
    "articleSection": "World",
    "articleBody": "First paragraph.\n\nSecond  paragraph.",
    "image": "/img/summit.jpg",
    "url": "https://news.example.test/world/a-1.html",
    "inLanguage": "en-US",
    "author": {"@type": "Person", "name": "Jane Doe"},
    "keywords": ["Morocco", "summit"]
  })"));
  ASSERT_EQ(articles.size(), 1u);
  const ArticleMetadata& a = articles[0];
  EXPECT_EQ(a.type, "NewsArticle");
  EXPECT_EQ(a.headline, "Rabat hosts summit");
  EXPECT_EQ(a.description, "Leaders meet.");
  EXPECT_EQ(a.date_published, "2017-10-10T20:04:00+01:00");
  EXPECT_EQ(a.date_modified, "2017-10-11T09:03:51Z");
  EXPECT_EQ(a.section, "World");
  EXPECT_EQ(a.body, "First paragraph.\n\nSecond paragraph.");
  EXPECT_EQ(a.image, "https://news.example.test/img/summit.jpg");
  EXPECT_EQ(a.url, "https://news.example.test/world/a-1.html");
  EXPECT_EQ(a.language, "en-US");
  EXPECT_EQ(a.authors, Strings{"Jane Doe"});
  EXPECT_EQ(a.keywords, (Strings{"Morocco", "summit"}));
}

TEST(JsonLd, ArticleLikeTypesOnly) {
  const auto articles = Read(JsonLd(R"([
    {"@type": "WebSite", "name": "site"},
    {"@type": "Article", "headline": "a"},
    {"@type": "ReportageNewsArticle", "headline": "b"},
    {"@type": "BlogPosting", "headline": "c"},
    {"@type": "Organization", "name": "org"},
    {"@type": ["WebPage", "schema:AnalysisNewsArticle"], "headline": "d"},
    {"@type": "https://schema.org/LiveBlogPosting", "headline": "e"},
    {"@type": "Person", "name": "p"},
    {"headline": "untyped"}
  ])"));
  EXPECT_EQ(TypesOf(articles),
            (Strings{"Article", "ReportageNewsArticle", "BlogPosting", "AnalysisNewsArticle", "LiveBlogPosting"}));
}

TEST(JsonLd, GraphIsSearchedAndReferencesAreFollowed) {
  // The shape Yoast SEO writes: the article names its author, image and
  // page by @id, defined elsewhere in the graph.
  const auto articles = Read(JsonLd(R"({
    "@context": "https://schema.org",
    "@graph": [
      {"@type": "WebPage", "@id": "https://news.example.test/world/a-1.html", "url": "https://news.example.test/world/a-1.html",
       "inLanguage": "ar"},
      {"@type": "ImageObject", "@id": "https://news.example.test/#primaryimage", "url": "https://cdn.example.test/1.jpg"},
      {"@type": "Article", "@id": "https://news.example.test/world/a-1.html#article",
       "headline": "From the graph",
       "author": {"@id": "https://news.example.test/#/schema/person/1"},
       "image": {"@id": "https://news.example.test/#primaryimage"},
       "mainEntityOfPage": {"@id": "https://news.example.test/world/a-1.html"},
       "inLanguage": "ar"},
      {"@type": "Person", "@id": "https://news.example.test/#/schema/person/1", "name": "Amal Idrissi"}
    ]
  })"));
  ASSERT_EQ(articles.size(), 1u);
  EXPECT_EQ(articles[0].headline, "From the graph");
  EXPECT_EQ(articles[0].authors, Strings{"Amal Idrissi"});
  EXPECT_EQ(articles[0].image, "https://cdn.example.test/1.jpg");
  EXPECT_EQ(articles[0].url, "https://news.example.test/world/a-1.html");
  EXPECT_EQ(articles[0].language, "ar");
}

TEST(JsonLd, MainEntityIsSearchedAtAnyDepth) {
  const auto articles = Read(JsonLd(R"({
    "@type": "WebPage",
    "mainEntity": {"@type": "NewsArticle", "headline": "main",
                   "mainEntity": {"@type": "BlogPosting", "headline": "nested"}}
  })"));
  EXPECT_EQ(HeadlinesOf(articles), (Strings{"main", "nested"}));
}

TEST(JsonLd, AnArticleGivenTwiceInOneBlockIsReadOnce) {
  const auto articles = Read(JsonLd(R"({"@graph": [
    {"@type": "WebPage", "mainEntity": {"@type": "NewsArticle", "@id": "#a", "headline": "x"}},
    {"@type": "NewsArticle", "@id": "#a", "headline": "x"}
  ]})"));
  EXPECT_EQ(HeadlinesOf(articles), Strings{"x"});
}

TEST(JsonLd, BlocksAreReadInDocumentOrder) {
  const auto articles = Read(JsonLd(R"({"@type": "NewsArticle", "headline": "one"})") +
                             "<script type='text/javascript'>var x = {\"@type\": \"Article\"};</script>" +
                             JsonLd(R"([{"@type": "Article", "headline": "two"}, {"@type": "Article", "headline": "three"}])") +
                             "<script type=' Application/LD+JSON; charset=utf-8 '>{\"@type\": \"Article\", \"headline\": \"four\"}</script>");
  EXPECT_EQ(HeadlinesOf(articles), (Strings{"one", "two", "three", "four"}));
}

TEST(JsonLd, BadJsonIsSkippedAndTheOtherBlocksStillRead) {
  const auto articles = Read(JsonLd(R"({"@type": "NewsArticle", "headline": "broken",)") + JsonLd("not json") +
                             JsonLd("") + JsonLd("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[") +
                             JsonLd(R"({"@type": "NewsArticle", "headline": "fine"})") + JsonLd("42") +
                             JsonLd(R"({"@type": 7, "headline": "odd type"})"));
  EXPECT_EQ(HeadlinesOf(articles), Strings{"fine"});
}

TEST(JsonLd, DeeplyNestedJsonIsSkippedWithoutCrashing) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "{\"mainEntity\":";
  EXPECT_TRUE(Read(JsonLd(deep)).empty());
}

TEST(JsonLd, LenientJsonIsRead) {
  const auto articles = Read(
      "<script type='application/ld+json'><!--\n{\"@type\": \"Article\", /* why */ \"headline\": \"a\",}\n--></script>"
      "<script type='application/ld+json'>//<![CDATA[\n{\"@type\": \"Article\", \"headline\": \"b\"};\n//]]></script>");
  EXPECT_EQ(HeadlinesOf(articles), (Strings{"a", "b"}));
}

TEST(JsonLd, AuthorsFromStringObjectOrList) {
  const auto articles = Read(JsonLd(R"([
    {"@type": "Article", "author": "Jane Doe"},
    {"@type": "Article", "author": {"@type": "Person", "name": "Jane Doe", "url": "/jane"}},
    {"@type": "Article", "author": [{"@type": "Person", "name": "Jane Doe"}, "John Roe",
                                     {"@type": "Organization", "name": "Newswire"}, {"name": ""}, "Jane Doe"]},
    {"@type": "Article", "author": {"@type": "Person", "givenName": "Amal", "familyName": "Idrissi"}},
    {"@type": "Article", "author": [{"name": ["Listed", "Names"]}, 42, null]},
    {"@type": "Article"}
  ])"));
  ASSERT_EQ(articles.size(), 6u);
  EXPECT_EQ(articles[0].authors, Strings{"Jane Doe"});
  EXPECT_EQ(articles[1].authors, Strings{"Jane Doe"});
  EXPECT_EQ(articles[2].authors, (Strings{"Jane Doe", "John Roe", "Newswire"}));
  EXPECT_EQ(articles[3].authors, Strings{"Amal Idrissi"});
  EXPECT_EQ(articles[4].authors, Strings{"Listed"});
  EXPECT_EQ(articles[5].authors, Strings{});
}

TEST(JsonLd, KeywordsFromListOrCommaSeparatedString) {
  const auto articles = Read(JsonLd(R"([
    {"@type": "Article", "keywords": "politics, Morocco ,, elections "},
    {"@type": "Article", "keywords": ["politics", " Morocco ", ""]},
    {"@type": "Article", "keywords": [{"@type": "DefinedTerm", "name": "economy"}]}
  ])"));
  ASSERT_EQ(articles.size(), 3u);
  EXPECT_EQ(articles[0].keywords, (Strings{"politics", "Morocco", "elections"}));
  EXPECT_EQ(articles[1].keywords, (Strings{"politics", "Morocco"}));
  EXPECT_EQ(articles[2].keywords, Strings{"economy"});
}

TEST(JsonLd, HtmlEntitiesInStringsAreDecoded) {
  const auto articles = Read(JsonLd(R"({"@type": "NewsArticle",
    "headline": "Syria&#x27;s army &amp; allies&hellip; &#146;quoted&#146;",
    "description": "AT&T &unknown; & co&nbsp;&nbsp;ltd",
    "author": "Ren&eacute;e O&#39;Brien"})"));
  ASSERT_EQ(articles.size(), 1u);
  EXPECT_EQ(articles[0].headline, "Syria's army & allies\u2026 \u2019quoted\u2019");
  EXPECT_EQ(articles[0].description, "AT&T &unknown; & co ltd");
  EXPECT_EQ(articles[0].authors, Strings{"Ren\u00e9e O'Brien"});
}

TEST(JsonLd, JsonEscapesAreDecodedBeforeEntities) {
  const auto articles = Read(JsonLd(R"({"@type": "NewsArticle",
    "headline": "\u0645\u0631\u062d\u0628\u0627 \"quoted\" &amp;amp;"})"));
  ASSERT_EQ(articles.size(), 1u);
  // Entities are decoded once: "&amp;amp;" was written to mean "&amp;".
  EXPECT_EQ(articles[0].headline, "\u0645\u0631\u062d\u0628\u0627 \"quoted\" &amp;");
}

TEST(JsonLd, BodyKeepsParagraphsAndDropsMarkup) {
  const auto articles = Read(JsonLd(R"([
    {"@type": "Article", "articleBody": "<p>One &amp; <b>bold</b>.</p><p>Two.</p><figure><img src=x><figcaption>cap</figcaption></figure>"},
    {"@type": "Article", "articleBody": "&lt;p&gt;Escaped once more.&lt;/p&gt;&lt;p&gt;Two.&lt;/p&gt;"},
    {"@type": "Article", "articleBody": "Line one.\r\nLine\u00a0two.\n\n\n  Line three.  "},
    {"@type": "Article", "text": "Profits rose <5% while costs fell >3%."}
  ])"));
  ASSERT_EQ(articles.size(), 4u);
  EXPECT_EQ(articles[0].body, "One & bold.\n\nTwo.");
  EXPECT_EQ(articles[1].body, "Escaped once more.\n\nTwo.");
  EXPECT_EQ(articles[2].body, "Line one.\n\nLine two.\n\nLine three.");
  EXPECT_EQ(articles[3].body, "Profits rose <5% while costs fell >3%.");
}

TEST(JsonLd, MarkupInTextValuesIsDropped) {
  const auto articles = Read(JsonLd(R"({"@type": "Article", "headline": "<b>Breaking:</b> news",
                                         "description": "Profits <5%"})"));
  ASSERT_EQ(articles.size(), 1u);
  EXPECT_EQ(articles[0].headline, "Breaking: news");
  EXPECT_EQ(articles[0].description, "Profits <5%");
}

TEST(JsonLd, DatesAreReturnedAsWritten) {
  const auto articles = Read(JsonLd(R"({"@type": "NewsArticle", "datePublished": "Tue, 10 Oct 2017 20:04:00 GMT",
                                         "dateModified": ["2017-10-11", "2017-10-12"]})"));
  ASSERT_EQ(articles.size(), 1u);
  EXPECT_EQ(articles[0].date_published, "Tue, 10 Oct 2017 20:04:00 GMT");
  EXPECT_EQ(articles[0].date_modified, "2017-10-11");
}

TEST(JsonLd, ValuesOfOtherShapes) {
  const auto articles = Read(JsonLd(R"([
    {"@type": "Article", "name": "name stands in for headline", "articleSection": ["Sport", "Football"],
     "image": [{"@type": "ImageObject", "contentUrl": "//cdn.example.test/a.jpg"}, "https://cdn.example.test/b.jpg"],
     "mainEntityOfPage": "https://news.example.test/p/1", "inLanguage": {"@type": "Language", "name": "Arabic", "alternateName": "ar"}},
    {"@type": "Article", "headline": {"@value": "a value object"}, "image": "mailto:photo@example.test", "url": 5,
     "inLanguage": {"name": "French"}}
  ])"));
  ASSERT_EQ(articles.size(), 2u);
  EXPECT_EQ(articles[0].headline, "name stands in for headline");
  EXPECT_EQ(articles[0].section, "Sport");
  EXPECT_EQ(articles[0].image, "https://cdn.example.test/a.jpg");
  EXPECT_EQ(articles[0].url, "https://news.example.test/p/1");
  EXPECT_EQ(articles[0].language, "ar");
  EXPECT_EQ(articles[1].headline, "a value object");
  EXPECT_EQ(articles[1].image, "");  // not an http(s) URL
  EXPECT_EQ(articles[1].url, "");
  EXPECT_EQ(articles[1].language, "French");
}

TEST(JsonLd, PageWithoutJsonLdHasNone) {
  EXPECT_TRUE(Read("<title>x</title>").empty());
  EXPECT_TRUE(ReadJsonLd(Document::Parse("", kUrl)).empty());
}

// --- <meta>, <link>, <title>, <html lang> ---

TEST(Meta, ReadsOpenGraphNamesCanonicalTitleAndLanguage) {
  const Document doc = Document::Parse(R"(<html lang="ar-MA"><head>
      <title>  Summit &amp; more |
        News </title>
      <meta property="og:title" content="OG &quot;title&quot;">
      <meta property="og:url" content="https://news.example.test/world/a-1.html">
      <meta property="article:published_time" content="2017-10-10T20:04:00+01:00">
      <meta property="article:section" content="World">
      <meta name="description" content=" A   summit. ">
      <meta name="Author" content="Jane Doe">
      <meta name="KEYWORDS" content="a, b">
      <link rel="canonical" href="/world/a-1.html?ref=canon">
    </head><body></body></html>)",
                                       kUrl);
  const PageMeta meta = ReadMeta(doc);
  EXPECT_EQ(meta.property.at("og:title"), "OG \"title\"");
  EXPECT_EQ(meta.property.at("og:url"), "https://news.example.test/world/a-1.html");
  EXPECT_EQ(meta.property.at("article:published_time"), "2017-10-10T20:04:00+01:00");
  EXPECT_EQ(meta.property.at("article:section"), "World");
  EXPECT_EQ(meta.name.at("description"), "A summit.");
  EXPECT_EQ(meta.name.at("author"), "Jane Doe");
  EXPECT_EQ(meta.name.at("keywords"), "a, b");
  EXPECT_EQ(meta.canonical, "https://news.example.test/world/a-1.html?ref=canon");
  EXPECT_EQ(meta.title, "Summit & more | News");
  EXPECT_EQ(meta.language, "ar-MA");
}

TEST(Meta, FirstNonEmptyValueOfAKeyWins) {
  const PageMeta meta = ReadMeta(Document::Parse(
      "<meta property='og:title' content=''><meta property='og:title' content='first'>"
      "<meta property='OG:Title' content='second'><meta name='description' content='one'>"
      "<meta name='description' content='two'><meta name='robots'>",
      kUrl));
  EXPECT_EQ(meta.property.at("og:title"), "first");
  EXPECT_EQ(meta.name.at("description"), "one");
  EXPECT_EQ(meta.name.count("robots"), 0u);
}

TEST(Meta, ItempropValuesAreKeyedUnderItemprop) {
  const PageMeta meta = ReadMeta(Document::Parse(
      "<meta itemprop='datePublished dateCreated' content='2017-10-10'>"
      "<div><time itemprop='dateModified' datetime='2017-10-11T09:00Z'>Oct 11</time>"
      "<time itemprop='uploadDate'> 12 Oct </time>"
      "<link itemprop='thumbnailUrl' href='/t.jpg'><span itemprop='author'>Not read</span></div>",
      kUrl));
  EXPECT_EQ(meta.name.at("itemprop:datepublished"), "2017-10-10");
  EXPECT_EQ(meta.name.at("itemprop:datecreated"), "2017-10-10");
  EXPECT_EQ(meta.name.at("itemprop:datemodified"), "2017-10-11T09:00Z");
  EXPECT_EQ(meta.name.at("itemprop:uploaddate"), "12 Oct");
  EXPECT_EQ(meta.name.at("itemprop:thumbnailurl"), "https://news.example.test/t.jpg");
  EXPECT_EQ(meta.name.count("itemprop:author"), 0u);
}

TEST(Meta, CanonicalIsTheFirstThatResolvesAgainstTheBase) {
  const PageMeta meta = ReadMeta(Document::Parse(
      "<head><base href='https://m.example.test/x/'><link rel='alternate' href='/amp'>"
      "<link rel='canonical' href='javascript:void(0)'><link rel='Canonical nofollow' href='a-1.html'>"
      "<link rel='canonical' href='/other'></head>",
      kUrl));
  EXPECT_EQ(meta.canonical, "https://m.example.test/x/a-1.html");
}

TEST(Meta, TitleIgnoresSvgTitles) {
  const PageMeta meta = ReadMeta(Document::Parse(
      "<html><head></head><body><svg><title>icon</title></svg></body></html>", kUrl));
  EXPECT_EQ(meta.title, "");
  const PageMeta with_title = ReadMeta(Document::Parse(
      "<html><head><title>Page</title></head><body><svg><title>icon</title></svg></body></html>", kUrl));
  EXPECT_EQ(with_title.title, "Page");
}

TEST(Meta, LanguageFallsBackToXmlLang) {
  EXPECT_EQ(ReadMeta(Document::Parse("<html xml:lang='fr'><body></body></html>", kUrl)).language, "fr");
  EXPECT_EQ(ReadMeta(Document::Parse("<html><body><div lang='de'></div></body></html>", kUrl)).language, "");
}

TEST(Meta, EmptyOrBrokenPagesGiveEmptyMeta) {
  for (const char* html : {"", "<<<>>>", "\xff\xfe garbage", "<meta content='x'><link rel=canonical>"}) {
    const PageMeta meta = ReadMeta(Document::Parse(html, kUrl));
    EXPECT_TRUE(meta.property.empty()) << html;
    EXPECT_TRUE(meta.name.empty()) << html;
    EXPECT_EQ(meta.canonical, "") << html;
    EXPECT_EQ(meta.title, "") << html;
  }
}

}  // namespace
}  // namespace newshound::sdk
