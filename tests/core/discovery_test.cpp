// The discovery parsers: sitemaps, sitemap indexes, Google News sitemaps,
// RSS and Atom, plain and gzip'd, on small inline documents, on the
// almaghribtoday snapshot (the project's copy under plugins/.../testdata),
// and on hostile input (bombs, XXE, junk), which must never crash, expand or
// load anything, and must say what was wrong.
#include "newshound/discovery.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "compress.h"
#include "discovery/date.h"
#include "discovery/internal.h"

namespace newshound::discovery {
namespace {

namespace fs = std::filesystem;

// --- Helpers -------------------------------------------------------------------

// Unix ms of a UTC calendar time, by the C library (not the code under test).
int64_t Ms(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

fs::path Snapshot(const std::string& edition) {
  return fs::path(NEWSHOUND_SOURCE_DIR) / "plugins" / "almaghribtoday" / "testdata" / edition;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string ReadSite(const std::string& edition, const std::string& file) {
  return ReadFile(Snapshot(edition) / "site" / file);
}

bool HasWarningContaining(const DiscoveryResult& result, const std::string& needle) {
  for (const std::string& warning : result.warnings) {
    if (warning.find(needle) != std::string::npos) return true;
  }
  return false;
}

std::string AllWarnings(const DiscoveryResult& result) {
  std::string all;
  for (const std::string& warning : result.warnings) all += "  " + warning + "\n";
  return all;
}

// gzip of head + `unit` repeated to `repeat_bytes` + tail, compressed a piece
// at a time: a bomb without holding its decoded size in memory.
std::string GzipStream(const std::string& head, const std::string& unit, uint64_t repeat_bytes,
                       const std::string& tail) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 9, Z_DEFAULT_STRATEGY);
  std::string block;
  while (block.size() < (1u << 20)) block += unit;
  std::string out;
  char buffer[16384];
  const auto put = [&](const std::string& data, int flush) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    do {
      z.next_out = reinterpret_cast<Bytef*>(buffer);
      z.avail_out = sizeof(buffer);
      deflate(&z, flush);
      out.append(buffer, sizeof(buffer) - z.avail_out);
    } while (z.avail_out == 0);
  };
  put(head, Z_NO_FLUSH);
  for (uint64_t done = 0; done < repeat_bytes; done += block.size()) put(block, Z_NO_FLUSH);
  put(tail, Z_FINISH);
  deflateEnd(&z);
  return out;
}

// Peak resident set size so far, KiB (Linux).
long PeakRssKib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

constexpr char kUrlsetOpen[] = R"(<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
)";

std::string Urlset(const std::string& urls) { return kUrlsetOpen + urls + "</urlset>\n"; }

std::string Rss(const std::string& items) {
  return R"(<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>Channel</title>
<link>https://example.test/channel-link</link>
<atom:link href="https://example.test/rss.xml" rel="self" type="application/rss+xml"/>
)" + items +
         "</channel>\n</rss>\n";
}

std::string Atom(const std::string& entries, const std::string& feed_attributes = "") {
  return R"(<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom")" +
         feed_attributes + R"(>
<title>Feed</title>
<link rel="self" href="https://example.test/atom.xml"/>
<link href="https://example.test/feed-home"/>
<updated>2024-03-01T00:00:00Z</updated>
)" + entries +
         "</feed>\n";
}

// --- Dates ---------------------------------------------------------------------

struct DateCase {
  const char* text;
  std::optional<int64_t> expected;
};

void ExpectDates(const std::vector<DateCase>& cases) {
  for (const DateCase& c : cases) {
    EXPECT_EQ(ParseDiscoveryDate(c.text), c.expected) << "'" << c.text << "'";
  }
}

TEST(DiscoveryDate, W3cDatetimeFromYearAloneToFractionsAndZones) {
  ExpectDates({
      {"2018", Ms(2018, 1, 1)},
      {"2018-03", Ms(2018, 3, 1)},
      {"2018-03-07", Ms(2018, 3, 7)},
      {"2018-03-07T09:05+01:00", Ms(2018, 3, 7, 8, 5)},
      {"2018-03-07T09:05:30Z", Ms(2018, 3, 7, 9, 5, 30)},
      {"2018-03-07T09:05:30.25Z", Ms(2018, 3, 7, 9, 5, 30) + 250},
      {"2018-03-07T09:05:30.123456-05:00", Ms(2018, 3, 7, 14, 5, 30) + 123},
      {"2018-01-24T11:03:16Z", Ms(2018, 1, 24, 11, 3, 16)},
      {"  2018-01-24T11:03:16Z\n", Ms(2018, 1, 24, 11, 3, 16)},
  });
}

TEST(DiscoveryDate, W3cLeniencySeenInTheWild) {
  ExpectDates({
      {"2018-03-07 09:05:30", Ms(2018, 3, 7, 9, 5, 30)},        // space, no zone: UTC
      {"2018-03-07t09:05:30z", Ms(2018, 3, 7, 9, 5, 30)},       // lower case
      {"2018-03-07T09:05:30+0300", Ms(2018, 3, 7, 6, 5, 30)},   // no colon in the zone
      {"2018-03-07T09:05:30+03", Ms(2018, 3, 7, 6, 5, 30)},     // hours only
      {"2018-03-07 09:05:30 +0000", Ms(2018, 3, 7, 9, 5, 30)},  // PHP's date('Y-m-d H:i:s O')
      {"2018-03-07T23:30:00-01:00", Ms(2018, 3, 8, 0, 30)},     // zone crosses midnight
      {"2016-12-31T23:59:60Z", Ms(2016, 12, 31, 23, 59, 59)},   // leap second
  });
}

TEST(DiscoveryDate, Rfc822WithObsoleteZonesAndTwoDigitYears) {
  ExpectDates({
      {"Wed, 24 Jan 2018 11:03:16 GMT", Ms(2018, 1, 24, 11, 3, 16)},
      {"Wed, 24 Jan 2018 11:03:16 +0000", Ms(2018, 1, 24, 11, 3, 16)},
      {"Wed, 24 Jan 2018 11:03:16 UT", Ms(2018, 1, 24, 11, 3, 16)},
      {"Wed, 24 Jan 2018 11:03:16 Z", Ms(2018, 1, 24, 11, 3, 16)},
      {"Wed, 24 Jan 2018 06:03:16 EST", Ms(2018, 1, 24, 11, 3, 16)},
      {"Wed, 24 Jan 2018 07:03:16 EDT", Ms(2018, 1, 24, 11, 3, 16)},
      {"Wed, 24 Jan 2018 03:03:16 PST", Ms(2018, 1, 24, 11, 3, 16)},
      {"Wed, 24 Jan 2018 14:03:16 +0300", Ms(2018, 1, 24, 11, 3, 16)},
      {"Wed, 24 Jan 2018 05:33:16 -0530", Ms(2018, 1, 24, 11, 3, 16)},
      {"Wed, 24 Jan 2018 11:03:16 A", Ms(2018, 1, 24, 11, 3, 16)},     // military: read as UTC
      {"24 Jan 18 11:03:16 GMT", Ms(2018, 1, 24, 11, 3, 16)},          // 00-49: 20xx
      {"Sun, 06 Nov 94 08:49:37 GMT", Ms(1994, 11, 6, 8, 49, 37)},     // 50-99: 19xx
      {"6 Nov 094 08:49:37 GMT", Ms(1994, 11, 6, 8, 49, 37)},          // three digits: +1900
      {"Sunday, 06-Nov-94 08:49:37 GMT", Ms(1994, 11, 6, 8, 49, 37)},  // RFC 850
      {"Wed, 24 Jan 2018 11:03 GMT", Ms(2018, 1, 24, 11, 3)},          // no seconds
      {"Wed, 24 Jan 2018 11:03:16", Ms(2018, 1, 24, 11, 3, 16)},       // no zone: UTC
      {"wed, 24 jan 2018 11:03:16 gmt", Ms(2018, 1, 24, 11, 3, 16)},   // any case
      {"Wednesday, 24 January 2018 11:03:16 GMT", Ms(2018, 1, 24, 11, 3, 16)},
      {"Wed, 24 Jan 2018 11:03:16 +0000 (UTC)", Ms(2018, 1, 24, 11, 3, 16)},
      {"Wed, 24 Jan 2018 12:03:16 CET", Ms(2018, 1, 24, 11, 3, 16)},
      {"Wed, 24 Jan 2018 14:03:16 GMT+03:00", Ms(2018, 1, 24, 11, 3, 16)},
      {"Mon, 24 Jan 2018 11:03:16 GMT", Ms(2018, 1, 24, 11, 3, 16)},  // wrong weekday: not checked
      {"Wed, 4 Jan 2018 9:03:16 GMT", Ms(2018, 1, 4, 9, 3, 16)},      // one-digit day and hour
  });
}

TEST(DiscoveryDate, ImpossibleDatesAndJunkAreRejected) {
  ExpectDates({
      {"", std::nullopt},
      {"   ", std::nullopt},
      {"yesterday", std::nullopt},
      {"2018-02-30", std::nullopt},
      {"2018-13-01", std::nullopt},
      {"2018-1-5", std::nullopt},
      {"2018-01-05T25:00:00Z", std::nullopt},
      {"2018-01-05T10:00:00+25:00", std::nullopt},
      {"2018-01-05T10:00:00 Mars", std::nullopt},
      {"2019-02-29", std::nullopt},
      {"Wed, 30 Feb 2018 11:03:16 GMT", std::nullopt},
      {"Wed, 24 Foo 2018 11:03:16 GMT", std::nullopt},
      {"Wed, 24 Jan 2018", std::nullopt},               // RFC 822 needs a time
      {"Wed, 24 Jan 2018 11:03:16 XYZ", std::nullopt},  // unknown zone: no guess
      {"Wed, 24 Jan 2018 11:03:16 GMT trailing", std::nullopt},
      {"0000-01-01", std::nullopt},
      {"1516791796", std::nullopt},
  });
  EXPECT_EQ(ParseDiscoveryDate(std::string(100000, '9')), std::nullopt);
  EXPECT_EQ(ParseW3cDateTime("Wed, 24 Jan 2018 11:03:16 GMT"), std::nullopt);
  EXPECT_EQ(ParseRfc822DateTime("2018-01-24T11:03:16Z"), std::nullopt);
}

TEST(DiscoveryDate, LeapYearsFollowTheGregorianRule) {
  EXPECT_EQ(ParseDiscoveryDate("2000-02-29"), Ms(2000, 2, 29));
  EXPECT_EQ(ParseDiscoveryDate("2024-02-29"), Ms(2024, 2, 29));
  EXPECT_EQ(ParseDiscoveryDate("1900-02-29"), std::nullopt);
  EXPECT_EQ(ParseDiscoveryDate("1969-12-31T23:59:59Z"), int64_t{-1000});
}

// --- Sitemaps ------------------------------------------------------------------

TEST(DiscoverySitemap, UrlsetGivesLocAndLastmodInDocumentOrder) {
  const auto result = ParseDiscoveryDocument(Urlset(R"(
<url><loc>https://example.test/a</loc><lastmod>2024-03-01</lastmod><changefreq>daily</changefreq></url>
<url><loc>
   https://example.test/b?x=1&amp;y=2
</loc></url>
<url><loc><![CDATA[https://example.test/c]]></loc><lastmod>2024-03-02T10:00:00+02:00</lastmod></url>
)"),
                                             "https://example.test/sitemap.xml");
  EXPECT_EQ(result.kind, DocumentKind::kUrlset);
  ASSERT_EQ(result.pages.size(), 3u);
  EXPECT_TRUE(result.sitemaps.empty());
  EXPECT_EQ(result.pages[0].url, "https://example.test/a");
  EXPECT_EQ(result.pages[0].time_ms, Ms(2024, 3, 1));
  EXPECT_FALSE(result.pages[0].is_news);
  EXPECT_EQ(result.pages[1].url, "https://example.test/b?x=1&y=2");
  EXPECT_EQ(result.pages[1].time_ms, std::nullopt);
  EXPECT_EQ(result.pages[2].url, "https://example.test/c");
  EXPECT_EQ(result.pages[2].time_ms, Ms(2024, 3, 2, 8));
  EXPECT_TRUE(result.warnings.empty()) << AllWarnings(result);
}

TEST(DiscoverySitemap, UrlsetWithoutNamespaceIsAccepted) {
  const auto result = ParseDiscoveryDocument(
      "<urlset><url><loc>https://example.test/a</loc><lastmod>2024-03-01</lastmod></url></urlset>",
      "https://example.test/sitemap.xml");
  EXPECT_EQ(result.kind, DocumentKind::kUrlset);
  ASSERT_EQ(result.pages.size(), 1u);
  EXPECT_EQ(result.pages[0].time_ms, Ms(2024, 3, 1));
  EXPECT_TRUE(result.warnings.empty()) << AllWarnings(result);
}

TEST(DiscoverySitemap, ExtensionLocIsNeverTakenForTheUrlsLoc) {
  const auto result = ParseDiscoveryDocument(R"(<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
    xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
<url><image:image><image:loc>https://example.test/img.jpg</image:loc></image:image>
     <loc>https://example.test/page</loc></url>
<url><image:image><image:loc>https://example.test/only-image.jpg</image:loc></image:image></url>
</urlset>)",
                                             "https://example.test/sitemap.xml");
  ASSERT_EQ(result.pages.size(), 1u);
  EXPECT_EQ(result.pages[0].url, "https://example.test/page");
  EXPECT_EQ(result.dropped, 1);
  EXPECT_TRUE(HasWarningContaining(result, "entry without a URL dropped")) << AllWarnings(result);
}

TEST(DiscoverySitemap, IndexListsChildSitemapsWithTheirLastmod) {
  const auto result = ParseDiscoveryDocument(R"(<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://example.test/sitemap-1.xml.gz</loc><lastmod>2024-03-01T12:00:00Z</lastmod></sitemap>
  <sitemap><loc>/sitemap-2.xml</loc></sitemap>
</sitemapindex>)",
                                             "https://example.test/sitemap.xml");
  EXPECT_EQ(result.kind, DocumentKind::kSitemapIndex);
  EXPECT_TRUE(result.pages.empty());
  ASSERT_EQ(result.sitemaps.size(), 2u);
  EXPECT_EQ(result.sitemaps[0].url, "https://example.test/sitemap-1.xml.gz");
  EXPECT_EQ(result.sitemaps[0].time_ms, Ms(2024, 3, 1, 12));
  EXPECT_EQ(result.sitemaps[1].url, "https://example.test/sitemap-2.xml");
  EXPECT_EQ(result.sitemaps[1].time_ms, std::nullopt);
}

TEST(DiscoverySitemap, UrlInAnIndexIsIgnoredWithAWarning) {
  const auto result = ParseDiscoveryDocument(R"(<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://example.test/page</loc></url>
  <sitemap><loc>https://example.test/s.xml</loc></sitemap>
</sitemapindex>)",
                                             "https://example.test/sitemap.xml");
  EXPECT_TRUE(result.pages.empty());
  ASSERT_EQ(result.sitemaps.size(), 1u);
  EXPECT_TRUE(HasWarningContaining(result, "line 2: <url> in a sitemap index ignored")) << AllWarnings(result);
}

TEST(DiscoverySitemap, GoogleNewsBlockGivesTitleTimeAndMarksNews) {
  const auto result = ParseDiscoveryDocument(R"(<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url>
  <loc>https://example.test/news/1</loc>
  <lastmod>2024-03-05T00:00:00Z</lastmod>
  <news:news>
    <news:publication><news:name>Example &amp; Co</news:name><news:language>en</news:language></news:publication>
    <news:publication_date>2024-03-01T08:30:00+01:00</news:publication_date>
    <news:title>  Talks  resume
      in Rabat &amp; Fez </news:title>
  </news:news>
</url>
<url><loc>https://example.test/plain</loc><lastmod>2024-03-02</lastmod></url>
</urlset>)",
                                             "https://example.test/sitemap-news.xml");
  ASSERT_EQ(result.pages.size(), 2u);
  const DiscoveredEntry& news = result.pages[0];
  EXPECT_TRUE(news.is_news);
  // The publication date is the article's; lastmod only says it was edited.
  EXPECT_EQ(news.time_ms, Ms(2024, 3, 1, 7, 30));
  EXPECT_EQ(news.title, "Talks resume in Rabat & Fez");  // not the publication's name
  EXPECT_FALSE(result.pages[1].is_news);
  EXPECT_EQ(result.pages[1].title, "");
  EXPECT_EQ(result.pages[1].time_ms, Ms(2024, 3, 2));
}

TEST(DiscoverySitemap, UnreadablePublicationDateFallsBackToLastmod) {
  const auto result = ParseDiscoveryDocument(R"(<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
  xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>https://example.test/1</loc>
  <lastmod>2024-03-05</lastmod><news:news><news:publication_date>last tuesday</news:publication_date></news:news>
</url></urlset>)",
                                             "https://example.test/s.xml");
  ASSERT_EQ(result.pages.size(), 1u);
  EXPECT_EQ(result.pages[0].time_ms, Ms(2024, 3, 5));
}

TEST(DiscoverySitemap, SinceSkipsOldEntriesCountsThemAndKeepsUndatedOnes) {
  DiscoveryOptions options;
  options.since_ms = Ms(2024, 3, 1);
  const auto result = ParseDiscoveryDocument(Urlset(R"(
<url><loc>https://example.test/old</loc><lastmod>2024-02-29T23:59:59Z</lastmod></url>
<url><loc>https://example.test/exactly-since</loc><lastmod>2024-03-01T00:00:00Z</lastmod></url>
<url><loc>https://example.test/new</loc><lastmod>2024-03-02</lastmod></url>
<url><loc>https://example.test/undated</loc></url>
<url><loc>https://example.test/bad-date</loc><lastmod>soon</lastmod></url>
<url><loc>https://example.test/older</loc><lastmod>2019</lastmod></url>
)"),
                                             "https://example.test/sitemap.xml", options);
  EXPECT_EQ(result.skipped_old, 2);
  ASSERT_EQ(result.pages.size(), 4u);
  EXPECT_EQ(result.pages[0].url, "https://example.test/exactly-since");
  EXPECT_EQ(result.pages[1].url, "https://example.test/new");
  EXPECT_EQ(result.pages[2].url, "https://example.test/undated");
  EXPECT_EQ(result.pages[3].url, "https://example.test/bad-date");
  EXPECT_TRUE(HasWarningContaining(result, "line 8: date 'soon' not understood")) << AllWarnings(result);
}

TEST(DiscoverySitemap, SinceFiltersChildSitemapsByTheirLastmod) {
  DiscoveryOptions options;
  options.since_ms = Ms(2024, 3, 1);
  const auto result = ParseDiscoveryDocument(R"(<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://example.test/2023.xml</loc><lastmod>2023-12-31</lastmod></sitemap>
  <sitemap><loc>https://example.test/2024-03.xml</loc><lastmod>2024-03-10</lastmod></sitemap>
  <sitemap><loc>https://example.test/undated.xml</loc></sitemap>
</sitemapindex>)",
                                             "https://example.test/sitemap.xml", options);
  EXPECT_EQ(result.skipped_old, 1);
  ASSERT_EQ(result.sitemaps.size(), 2u);
  EXPECT_EQ(result.sitemaps[0].url, "https://example.test/2024-03.xml");
  EXPECT_EQ(result.sitemaps[1].url, "https://example.test/undated.xml");
}

TEST(DiscoverySitemap, FiftyThousandEntriesAreReadAndTheNextIsCutOff) {
  std::string urls;
  for (int i = 0; i <= 50000; ++i) {
    urls += "<url><loc>https://example.test/a/" + std::to_string(i) + "</loc><lastmod>2024-03-01</lastmod></url>\n";
  }
  const auto result = ParseDiscoveryDocument(Urlset(urls), "https://example.test/sitemap.xml");
  ASSERT_EQ(result.pages.size(), 50000u);
  EXPECT_EQ(result.pages.back().url, "https://example.test/a/49999");
  EXPECT_TRUE(result.truncated);
  EXPECT_TRUE(HasWarningContaining(result, "line 50003: more than 50000 entries")) << AllWarnings(result);
}

TEST(DiscoverySitemap, MaxEntriesCountsEveryEntryWhateverItsFate) {
  DiscoveryOptions options;
  options.max_entries = 2;
  options.since_ms = Ms(2024, 1, 1);
  const auto result = ParseDiscoveryDocument(Urlset(R"(
<url><loc>https://example.test/old</loc><lastmod>2020-01-01</lastmod></url>
<url><loc>mailto:someone@example.test</loc></url>
<url><loc>https://example.test/third</loc></url>
)"),
                                             "https://example.test/sitemap.xml", options);
  EXPECT_TRUE(result.pages.empty());
  EXPECT_EQ(result.skipped_old, 1);
  EXPECT_EQ(result.dropped, 1);
  EXPECT_TRUE(result.truncated);
}

TEST(DiscoverySitemap, OnlyAbsoluteHttpUrlsComeOutAndDropsAreCountedNotListed) {
  std::string urls;
  for (int i = 0; i < 10; ++i) urls += "<url><loc>ftp://example.test/" + std::to_string(i) + "</loc></url>\n";
  urls += "<url><loc>javascript:alert(1)</loc></url>\n<url><loc></loc></url>\n<url></url>\n";
  urls += "<url><loc>https://example.test/" + std::string(9000, 'x') + "</loc></url>\n";
  urls += "<url><loc>https://example.test/good</loc></url>\n<url><loc>/relative</loc></url>\n";
  const auto result = ParseDiscoveryDocument(Urlset(urls), "https://example.test/sitemap.xml");
  ASSERT_EQ(result.pages.size(), 2u);
  EXPECT_EQ(result.pages[0].url, "https://example.test/good");
  EXPECT_EQ(result.pages[1].url, "https://example.test/relative");
  EXPECT_EQ(result.dropped, 14);
  // Three spelled out, then one line for the rest.
  EXPECT_TRUE(HasWarningContaining(result, "line 3: entry dropped: unsupported link 'ftp://example.test/0'"))
      << AllWarnings(result);
  EXPECT_TRUE(HasWarningContaining(result, "11 more entries dropped for their URL not shown (14 in all)"))
      << AllWarnings(result);
  EXPECT_LE(result.warnings.size(), 5u) << AllWarnings(result);
}

TEST(DiscoverySitemap, UnexpectedNamespaceIsReadWithAWarning) {
  const auto result = ParseDiscoveryDocument(
      R"(<urlset xmlns="http://example.test/not-sitemaps"><url><loc>https://example.test/a</loc></url></urlset>)",
      "https://example.test/sitemap.xml");
  EXPECT_EQ(result.kind, DocumentKind::kUrlset);
  EXPECT_EQ(result.pages.size(), 1u);
  EXPECT_TRUE(HasWarningContaining(result, "not the sitemaps.org one")) << AllWarnings(result);
}

// --- The snapshot --------------------------------------------------------------

TEST(DiscoverySnapshot, SitemapIndexListsItsThreeChildren) {
  const auto result =
      ParseDiscoveryDocument(ReadSite("almaghribtoday", "sitemap.xml"), "https://en.almaghribtoday.test/sitemap.xml");
  EXPECT_EQ(result.kind, DocumentKind::kSitemapIndex);
  ASSERT_EQ(result.sitemaps.size(), 3u);
  EXPECT_EQ(result.sitemaps[0].url, "https://en.almaghribtoday.test/sitemap-sections.xml");
  EXPECT_EQ(result.sitemaps[1].url, "https://en.almaghribtoday.test/sitemap-articles.xml");
  EXPECT_EQ(result.sitemaps[2].url, "https://en.almaghribtoday.test/sitemap-news.xml");
  for (const DiscoveredEntry& sitemap : result.sitemaps) EXPECT_EQ(sitemap.time_ms, Ms(2018, 1, 24, 11, 3, 16));
  EXPECT_TRUE(result.warnings.empty()) << AllWarnings(result);
}

TEST(DiscoverySnapshot, NewsSitemapHasTenNewsEntriesWithTitlesAndTimes) {
  const auto result = ParseDiscoveryDocument(ReadSite("almaghribtoday", "sitemap-news.xml"),
                                             "https://en.almaghribtoday.test/sitemap-news.xml");
  EXPECT_EQ(result.kind, DocumentKind::kUrlset);
  ASSERT_EQ(result.pages.size(), 10u);
  for (const DiscoveredEntry& page : result.pages) {
    EXPECT_TRUE(page.is_news) << page.url;
    EXPECT_FALSE(page.title.empty()) << page.url;
    EXPECT_TRUE(page.time_ms.has_value()) << page.url;
  }
  EXPECT_EQ(result.pages[0].url,
            "https://en.almaghribtoday.test/news/world/new-hunt-for-flight-mh370-gets-under-way-48479.html");
  EXPECT_EQ(result.pages[0].title, "New hunt for flight MH370 gets under way");
  EXPECT_EQ(result.pages[0].time_ms, Ms(2018, 1, 24, 11, 3, 16));
  EXPECT_EQ(result.pages[9].title, "Maxwell says refused service over kneeling for anthem");
  EXPECT_EQ(result.pages[9].time_ms, Ms(2017, 10, 25, 17, 51, 46));
  EXPECT_TRUE(result.warnings.empty()) << AllWarnings(result);
}

TEST(DiscoverySnapshot, ArticlesSitemapListsAllTwentyFiveArticles) {
  const auto result = ParseDiscoveryDocument(ReadSite("almaghribtoday", "sitemap-articles.xml"),
                                             "https://en.almaghribtoday.test/sitemap-articles.xml");
  ASSERT_EQ(result.pages.size(), 25u);
  EXPECT_EQ(result.pages.front().url,
            "https://en.almaghribtoday.test/news/world/new-hunt-for-flight-mh370-gets-under-way-48479.html");
  EXPECT_EQ(result.pages.back().url, "https://en.almaghribtoday.test/news/variety/shireens-latest-out-soon-4127.html");
  EXPECT_EQ(result.pages.back().time_ms, Ms(2012, 1, 18, 5, 51, 24));
  for (const DiscoveredEntry& page : result.pages) {
    EXPECT_EQ(page.url.find("/uploads/"), std::string::npos) << "image:loc taken for loc: " << page.url;
  }
}

TEST(DiscoverySnapshot, SinceOnTheArticlesSitemapKeepsOnlyRecentOnes) {
  DiscoveryOptions options;
  options.since_ms = Ms(2018, 1, 1);
  const auto result = ParseDiscoveryDocument(ReadSite("almaghribtoday", "sitemap-articles.xml"),
                                             "https://en.almaghribtoday.test/sitemap-articles.xml", options);
  // 2018-01-24 (2), 01-23 (2), 01-22, 01-05: six of the 25 are from 2018.
  EXPECT_EQ(result.pages.size(), 6u);
  EXPECT_EQ(result.skipped_old, 19);
}

TEST(DiscoverySnapshot, SiteRssHasTwentyItems) {
  const auto result =
      ParseDiscoveryDocument(ReadSite("almaghribtoday", "rss.xml"), "https://en.almaghribtoday.test/rss.xml");
  EXPECT_EQ(result.kind, DocumentKind::kRss);
  ASSERT_EQ(result.pages.size(), 20u);
  EXPECT_EQ(result.pages[0].url,
            "https://en.almaghribtoday.test/news/world/new-hunt-for-flight-mh370-gets-under-way-48479.html");
  EXPECT_EQ(result.pages[0].time_ms, Ms(2018, 1, 24, 11, 3, 16));
  EXPECT_EQ(result.pages[0].title, "New hunt for flight MH370 gets under way");
  EXPECT_EQ(result.pages[19].url,
            "https://en.almaghribtoday.test/news/economy/exxonmobil-qatar-petroleum-sign-cyprus-gas-deal-17108.html");
  EXPECT_EQ(result.pages[19].time_ms, Ms(2017, 4, 6, 5, 38, 49));
  EXPECT_TRUE(result.warnings.empty()) << AllWarnings(result);
}

TEST(DiscoverySnapshot, SectionRssListsThatSection) {
  const auto result = ParseDiscoveryDocument(ReadSite("almaghribtoday", "news/world/rss.xml"),
                                             "https://en.almaghribtoday.test/news/world/rss.xml");
  ASSERT_EQ(result.pages.size(), 6u);
  for (const DiscoveredEntry& page : result.pages) {
    EXPECT_EQ(page.url.rfind("https://en.almaghribtoday.test/news/world/", 0), 0u) << page.url;
  }
}

TEST(DiscoverySnapshot, Windows1256RssIsDecodedToUtf8Titles) {
  const auto result = ParseDiscoveryDocument(ReadSite("almaghribtoday-ar", "news/morocco/rss.xml"),
                                             "https://www.almaghribtoday.test/news/morocco/rss.xml");
  ASSERT_EQ(result.pages.size(), 4u);
  EXPECT_EQ(result.pages[0].title, "مراكش تحتضن ملتقى وطنيا حول السلامة الطرقية");
  EXPECT_EQ(result.pages[1].title, "أمطار غزيرة تنعش حقينة السدود في الجنوب الشرقي");
  EXPECT_EQ(result.pages[2].title, "مهرجان «نغمات أندلسية» يستقطب جمهورا واسعا في فاس");
  EXPECT_EQ(result.pages[3].title, "افتتاح مكتبة عمومية جديدة في الرباط تضم فضاء مخصصا للأطفال");
  EXPECT_EQ(result.pages[0].url, "https://www.almaghribtoday.test/news/morocco/153066.html");
  EXPECT_EQ(result.pages[0].time_ms, Ms(2018, 1, 16, 18, 5, 26));
  EXPECT_TRUE(result.warnings.empty()) << AllWarnings(result);
}

// The feeds and the news sitemap say the same as the expected articles the
// plugin tests use (path, title, published), entry by entry.
TEST(DiscoverySnapshot, FeedsAgreeWithTheExpectedArticles) {
  struct Source {
    const char* edition;
    const char* origin;
    const char* file;
  };
  for (const Source& source :
       {Source{"almaghribtoday", "https://en.almaghribtoday.test", "rss.xml"},
        Source{"almaghribtoday", "https://en.almaghribtoday.test", "sitemap-news.xml"},
        Source{"almaghribtoday-ar", "https://www.almaghribtoday.test", "rss.xml"},
        Source{"almaghribtoday-ar", "https://www.almaghribtoday.test", "sitemap-news.xml"},
        Source{"almaghribtoday-ar", "https://www.almaghribtoday.test", "news/morocco/rss.xml"}}) {
    SCOPED_TRACE(std::string(source.edition) + "/" + source.file);
    std::map<std::string, boost::json::object> expected;
    std::istringstream lines(ReadFile(Snapshot(source.edition) / "expected" / "articles.jsonl"));
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      boost::json::object article = boost::json::parse(line).as_object();
      expected[std::string(article.at("url").as_string())] = article;
    }
    const auto result =
        ParseDiscoveryDocument(ReadSite(source.edition, source.file), std::string(source.origin) + "/" + source.file);
    ASSERT_FALSE(result.pages.empty());
    for (const DiscoveredEntry& page : result.pages) {
      const std::string path = page.url.substr(std::string(source.origin).size());
      auto it = expected.find(path);
      ASSERT_NE(it, expected.end()) << page.url;
      EXPECT_EQ(page.title, std::string(it->second.at("title").as_string())) << page.url;
      EXPECT_EQ(page.time_ms, ParseDiscoveryDate(std::string(it->second.at("published").as_string()))) << page.url;
    }
  }
}

// --- gzip ----------------------------------------------------------------------

TEST(DiscoveryGzip, GzipIsRecognisedByItsMagicBytesNotItsName) {
  const std::string xml = ReadSite("almaghribtoday", "sitemap-news.xml");
  const auto plain = ParseDiscoveryDocument(xml, "https://en.almaghribtoday.test/sitemap-news.xml");
  // The URL says .xml, the bytes say gzip: the bytes win.
  const auto gzipped = ParseDiscoveryDocument(test::Gzip(xml), "https://en.almaghribtoday.test/sitemap-news.xml");
  ASSERT_EQ(gzipped.pages.size(), 10u);
  for (size_t i = 0; i < plain.pages.size(); ++i) {
    EXPECT_EQ(gzipped.pages[i].url, plain.pages[i].url);
    EXPECT_EQ(gzipped.pages[i].title, plain.pages[i].title);
    EXPECT_EQ(gzipped.pages[i].time_ms, plain.pages[i].time_ms);
  }
  EXPECT_TRUE(gzipped.warnings.empty()) << AllWarnings(gzipped);
  // And a .gz name on plain XML changes nothing.
  EXPECT_EQ(ParseDiscoveryDocument(xml, "https://en.almaghribtoday.test/sitemap-news.xml.gz").pages.size(), 10u);
}

TEST(DiscoveryGzip, ConcatenatedMembersAreOneDocument) {
  const std::string xml =
      Urlset("<url><loc>https://example.test/a</loc></url><url><loc>https://example.test/b</loc></url>");
  const size_t half = xml.size() / 2;
  const auto result = ParseDiscoveryDocument(test::Gzip(xml.substr(0, half)) + test::Gzip(xml.substr(half)),
                                             "https://example.test/s.xml.gz");
  EXPECT_EQ(result.pages.size(), 2u);
  EXPECT_TRUE(result.warnings.empty()) << AllWarnings(result);
}

TEST(DiscoveryGzip, BombIsCutOffAtTheCapWithBoundedMemory) {
  // A real entry, 200 MiB of whitespace (1000:1), then an entry past the cap.
  const std::string bomb =
      GzipStream(std::string(kUrlsetOpen) + "<url><loc>https://example.test/first</loc></url>\n", " ", 200ull << 20,
                 "<url><loc>https://example.test/after-cap</loc></url></urlset>");
  ASSERT_LT(bomb.size(), 1u << 20);
  const long rss_before = PeakRssKib();
  const auto result = ParseDiscoveryDocument(bomb, "https://example.test/sitemap.xml.gz");
  const long growth_kib = PeakRssKib() - rss_before;
  ASSERT_EQ(result.pages.size(), 1u);
  EXPECT_EQ(result.pages[0].url, "https://example.test/first");
  EXPECT_TRUE(result.truncated);
  EXPECT_TRUE(HasWarningContaining(result, "document decompresses to more than 52428800 bytes")) << AllWarnings(result);
  // The 50 MiB the cap lets through are parsed as they are inflated, never
  // held: far less than the cap is ever resident.
  EXPECT_LT(growth_kib, 16 * 1024) << "peak RSS grew by " << growth_kib << " KiB";
}

TEST(DiscoveryGzip, CapAppliesToPlainDocumentsToo) {
  DiscoveryOptions options;
  options.max_decoded_bytes = 200;
  std::string urls;
  for (int i = 0; i < 20; ++i) urls += "<url><loc>https://example.test/" + std::to_string(i) + "</loc></url>\n";
  const auto result = ParseDiscoveryDocument(Urlset(urls), "https://example.test/sitemap.xml", options);
  EXPECT_TRUE(result.truncated);
  EXPECT_GE(result.pages.size(), 1u);
  EXPECT_LT(result.pages.size(), 5u);
  EXPECT_TRUE(HasWarningContaining(result, "document is more than 200 bytes")) << AllWarnings(result);
  // The cut makes the XML end early; that is not reported as XML errors.
  EXPECT_FALSE(HasWarningContaining(result, "not well-formed")) << AllWarnings(result);
}

TEST(DiscoveryGzip, GzipOfZerosIsNotXmlAndStopsEarly) {
  const std::string zeros = GzipStream("", std::string(1, '\0'), 200ull << 20, "");
  const long rss_before = PeakRssKib();
  const auto result = ParseDiscoveryDocument(zeros, "https://example.test/sitemap.xml.gz");
  EXPECT_LT(PeakRssKib() - rss_before, 16 * 1024);
  EXPECT_EQ(result.kind, DocumentKind::kUnknown);
  EXPECT_TRUE(result.pages.empty());
  EXPECT_FALSE(result.warnings.empty());
}

TEST(DiscoveryGzip, TruncatedGzipKeepsTheEntriesBeforeTheCut) {
  std::string urls;
  for (int i = 0; i < 2000; ++i) urls += "<url><loc>https://example.test/" + std::to_string(i) + "</loc></url>\n";
  const std::string gz = test::Gzip(Urlset(urls));
  const auto result = ParseDiscoveryDocument(gz.substr(0, gz.size() / 2), "https://example.test/s.xml.gz");
  EXPECT_GT(result.pages.size(), 10u);
  EXPECT_LT(result.pages.size(), 2000u);
  EXPECT_EQ(result.pages[0].url, "https://example.test/0");
  EXPECT_TRUE(HasWarningContaining(result, "gzip data ends early")) << AllWarnings(result);
}

TEST(DiscoveryGzip, CorruptGzipIsReportedNotFatal) {
  std::string gz = test::Gzip(ReadSite("almaghribtoday", "sitemap-articles.xml"));
  for (size_t i = gz.size() / 2; i < gz.size() / 2 + 64; ++i) gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  const auto result = ParseDiscoveryDocument(gz, "https://en.almaghribtoday.test/sitemap-articles.xml.gz");
  EXPECT_LT(result.pages.size(), 25u);
  EXPECT_TRUE(HasWarningContaining(result, "gzip data")) << AllWarnings(result);
}

// --- Feeds ---------------------------------------------------------------------

TEST(DiscoveryFeed, RssItemGivesLinkTitleAndPubDateNotTheChannels) {
  const auto result = ParseDiscoveryDocument(Rss(R"(
<item>
  <title>First &amp; foremost</title>
  <link>https://example.test/news/1</link>
  <guid isPermaLink="false">id-1</guid>
  <pubDate>Fri, 01 Mar 2024 08:00:00 +0100</pubDate>
  <atom:link href="https://example.test/not-this" rel="alternate"/>
</item>
<item><title>Second</title><link>https://example.test/news/2</link></item>
)"),
                                             "https://example.test/rss.xml");
  EXPECT_EQ(result.kind, DocumentKind::kRss);
  ASSERT_EQ(result.pages.size(), 2u);
  EXPECT_EQ(result.pages[0].url, "https://example.test/news/1");
  EXPECT_EQ(result.pages[0].title, "First & foremost");
  EXPECT_EQ(result.pages[0].time_ms, Ms(2024, 3, 1, 7));
  EXPECT_FALSE(result.pages[0].is_news);
  EXPECT_EQ(result.pages[1].url, "https://example.test/news/2");
  EXPECT_EQ(result.pages[1].time_ms, std::nullopt);
  EXPECT_TRUE(result.warnings.empty()) << AllWarnings(result);
}

TEST(DiscoveryFeed, RssGuidIsTheLinkOnlyWhenItIsAPermalink) {
  const auto result = ParseDiscoveryDocument(Rss(R"(
<item><title>explicit permalink</title><guid isPermaLink="true">/news/explicit</guid></item>
<item><title>unmarked URL</title><guid>https://example.test/news/unmarked</guid></item>
<item><title>unmarked id</title><guid>tag:example.test,2024:17</guid></item>
<item><title>not a permalink</title><guid isPermaLink="false">https://example.test/news/false</guid></item>
<item><title>empty link</title><link>  </link><guid>https://example.test/news/after-empty-link</guid></item>
<item><title>link wins</title><link>https://example.test/news/link</link><guid>https://example.test/news/guid</guid></item>
)"),
                                             "https://example.test/rss.xml");
  std::vector<std::string> urls;
  for (const DiscoveredEntry& page : result.pages) urls.push_back(page.url);
  EXPECT_EQ(urls,
            (std::vector<std::string>{"https://example.test/news/explicit", "https://example.test/news/unmarked",
                                      "https://example.test/news/after-empty-link", "https://example.test/news/link"}));
  EXPECT_EQ(result.dropped, 2);
}

TEST(DiscoveryFeed, RssDcDateServesWhenThereIsNoPubDate) {
  const auto result = ParseDiscoveryDocument(Rss(R"(
<item><link>https://example.test/1</link><dc:date>2024-03-01T10:00:00+02:00</dc:date></item>
<item><link>https://example.test/2</link><pubDate>Sat, 02 Mar 2024 00:00:00 GMT</pubDate><dc:date>2020-01-01</dc:date></item>
)"),
                                             "https://example.test/rss.xml");
  ASSERT_EQ(result.pages.size(), 2u);
  EXPECT_EQ(result.pages[0].time_ms, Ms(2024, 3, 1, 8));
  EXPECT_EQ(result.pages[1].time_ms, Ms(2024, 3, 2));
}

TEST(DiscoveryFeed, RssRelativeLinksResolveAgainstTheDocumentUrl) {
  const auto result = ParseDiscoveryDocument(Rss(R"(
<item><link>/news/root-relative</link></item>
<item><link>relative.html</link></item>
<item><link>//cdn.example.test/x</link></item>
<item><link> https://other.test/absolute#comments </link></item>
)"),
                                             "https://example.test/feeds/rss.xml?format=2");
  std::vector<std::string> urls;
  for (const DiscoveredEntry& page : result.pages) urls.push_back(page.url);
  EXPECT_EQ(urls, (std::vector<std::string>{"https://example.test/news/root-relative",
                                            "https://example.test/feeds/relative.html", "https://cdn.example.test/x",
                                            "https://other.test/absolute"}));
}

TEST(DiscoveryFeed, WithoutAnHttpDocumentUrlOnlyAbsoluteLinksAreUsed) {
  const auto result = ParseDiscoveryDocument(
      Rss("<item><link>/relative</link></item><item><link>https://example.test/abs</link></item>"), "");
  ASSERT_EQ(result.pages.size(), 1u);
  EXPECT_EQ(result.pages[0].url, "https://example.test/abs");
  EXPECT_EQ(result.dropped, 1);
  EXPECT_TRUE(HasWarningContaining(result, "no base URL")) << AllWarnings(result);
}

TEST(DiscoveryFeed, RssTitlesArePlainTextWithEntitiesDecodedOnce) {
  const auto result = ParseDiscoveryDocument(Rss(R"(
<item><link>https://example.test/1</link><title>It&amp;#8217;s &amp;quot;fine&amp;quot; &#8212; really</title></item>
<item><link>https://example.test/2</link><title><![CDATA[ Rock & roll
   <em>forever</em> ]]></title></item>
<item><link>https://example.test/3</link><title>Caf&eacute;&nbsp;society &hellip; &#146;quoted&#146;</title></item>
)"),
                                             "https://example.test/rss.xml");
  ASSERT_EQ(result.pages.size(), 3u);
  EXPECT_EQ(result.pages[0].title, "It’s \"fine\" — really");
  EXPECT_EQ(result.pages[1].title, "Rock & roll <em>forever</em>");
  // Undeclared HTML names, as sloppy feeds write them; &#146; as browsers read it.
  EXPECT_EQ(result.pages[2].title, "Café society … ’quoted’");
  EXPECT_TRUE(result.warnings.empty()) << AllWarnings(result);
}

TEST(DiscoveryFeed, Rss10RdfItemsAreRead) {
  const auto result = ParseDiscoveryDocument(R"(<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://example.test/"><title>Ch</title><link>https://example.test/</link></channel>
  <item rdf:about="https://example.test/1"><title>One</title><link>https://example.test/1</link>
    <dc:date>2024-03-01T00:00:00Z</dc:date></item>
</rdf:RDF>)",
                                             "https://example.test/index.rdf");
  EXPECT_EQ(result.kind, DocumentKind::kRss);
  ASSERT_EQ(result.pages.size(), 1u);
  EXPECT_EQ(result.pages[0].url, "https://example.test/1");
  EXPECT_EQ(result.pages[0].title, "One");
  EXPECT_EQ(result.pages[0].time_ms, Ms(2024, 3, 1));
}

TEST(DiscoveryFeed, SinceFiltersFeedItems) {
  DiscoveryOptions options;
  options.since_ms = Ms(2024, 3, 1);
  const auto result = ParseDiscoveryDocument(Rss(R"(
<item><link>https://example.test/old</link><pubDate>Thu, 29 Feb 2024 23:00:00 GMT</pubDate></item>
<item><link>https://example.test/new</link><pubDate>Fri, 01 Mar 2024 01:00:00 +0100</pubDate></item>
<item><link>https://example.test/undated</link></item>
)"),
                                             "https://example.test/rss.xml", options);
  EXPECT_EQ(result.skipped_old, 1);
  ASSERT_EQ(result.pages.size(), 2u);
  EXPECT_EQ(result.pages[0].url, "https://example.test/new");
  EXPECT_EQ(result.pages[1].url, "https://example.test/undated");
}

TEST(DiscoveryFeed, AtomAlternateLinkWinsAndPublishedBeatsUpdated) {
  const auto result = ParseDiscoveryDocument(Atom(R"(
<entry>
  <title>One</title>
  <link rel="self" href="https://example.test/entries/1.atom"/>
  <link rel="edit" href="https://example.test/edit/1"/>
  <link rel="alternate" type="application/pdf" href="https://example.test/1.pdf"/>
  <link rel="alternate" type="text/html" href="https://example.test/news/1"/>
  <id>tag:example.test,2024:1</id>
  <updated>2024-03-05T00:00:00Z</updated>
  <published>2024-03-01T10:00:00+01:00</published>
</entry>
<entry>
  <title>Two</title>
  <link href="https://example.test/news/2?a=1&amp;b=2"/>
  <updated>2024-03-02T00:00:00Z</updated>
  <source><link href="https://elsewhere.test/"/><updated>2000-01-01T00:00:00Z</updated></source>
</entry>
<entry><title>Only a PDF</title><link rel="alternate" type="application/pdf" href="/3.pdf"/></entry>
<entry><title>No alternate</title><link rel="related" href="https://example.test/related"/></entry>
)"),
                                             "https://example.test/atom.xml");
  EXPECT_EQ(result.kind, DocumentKind::kAtom);
  ASSERT_EQ(result.pages.size(), 3u);
  EXPECT_EQ(result.pages[0].url, "https://example.test/news/1");
  EXPECT_EQ(result.pages[0].time_ms, Ms(2024, 3, 1, 9));
  EXPECT_EQ(result.pages[0].title, "One");
  EXPECT_EQ(result.pages[1].url, "https://example.test/news/2?a=1&b=2");
  EXPECT_EQ(result.pages[1].time_ms, Ms(2024, 3, 2));
  EXPECT_EQ(result.pages[2].url, "https://example.test/3.pdf");
  EXPECT_EQ(result.dropped, 1);
}

TEST(DiscoveryFeed, AtomTitlesOfEveryTypeComeOutAsPlainText) {
  const auto result = ParseDiscoveryDocument(Atom(R"(
<entry><link href="/1"/><title type="text">Less &lt;than&gt; &amp;amp; more</title></entry>
<entry><link href="/2"/><title type="html">&lt;b&gt;Bold&lt;/b&gt; move&lt;br/&gt;ahead &amp;amp; &amp;#8220;up&amp;#8221;</title></entry>
<entry><link href="/3"/><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">An <em>inline</em> title</div></title></entry>
)"),
                                             "https://example.test/atom.xml");
  ASSERT_EQ(result.pages.size(), 3u);
  EXPECT_EQ(result.pages[0].title, "Less <than> &amp; more");
  EXPECT_EQ(result.pages[1].title, "Bold move ahead & “up”");
  EXPECT_EQ(result.pages[2].title, "An inline title");
}

TEST(DiscoveryFeed, AtomXmlBaseIsRespected) {
  const auto result = ParseDiscoveryDocument(Atom(R"(
<entry xml:base="/blog/2024/"><link href="post-1.html"/></entry>
<entry><link xml:base="https://cdn.example.test/a/" href="b.html"/></entry>
<entry><link href="plain.html"/></entry>
)",
                                                  R"( xml:base="https://example.test/site/")"),
                                             "https://example.test/feeds/atom.xml");
  std::vector<std::string> urls;
  for (const DiscoveredEntry& page : result.pages) urls.push_back(page.url);
  EXPECT_EQ(urls,
            (std::vector<std::string>{"https://example.test/blog/2024/post-1.html", "https://cdn.example.test/a/b.html",
                                      "https://example.test/site/plain.html"}));
}

TEST(DiscoveryFeed, Utf16FeedWithByteOrderMarkIsDecoded) {
  std::string utf8 = Rss("<item><title>مرحبا bonjour</title><link>https://example.test/1</link></item>");
  utf8.replace(utf8.find("utf-8"), 5, "UTF-16");
  std::string xml;
  for (size_t i = 0; i < utf8.size();) {
    // Enough of a UTF-8 decoder for the BMP text above.
    const unsigned char c = static_cast<unsigned char>(utf8[i]);
    uint32_t cp = c;
    size_t n = 1;
    if (c >= 0xE0) {
      cp = ((c & 0x0F) << 12) | ((utf8[i + 1] & 0x3F) << 6) | (utf8[i + 2] & 0x3F);
      n = 3;
    } else if (c >= 0xC0) {
      cp = ((c & 0x1F) << 6) | (utf8[i + 1] & 0x3F);
      n = 2;
    }
    xml += static_cast<char>(cp & 0xFF);
    xml += static_cast<char>(cp >> 8);
    i += n;
  }
  const auto result = ParseDiscoveryDocument("\xFF\xFE" + xml, "https://example.test/rss.xml");
  ASSERT_EQ(result.pages.size(), 1u) << AllWarnings(result);
  EXPECT_EQ(result.pages[0].title, "مرحبا bonjour");
}

// --- Hostile and broken input --------------------------------------------------

TEST(DiscoverySafety, ExternalEntitiesAreNeverExpandedOrLoaded) {
  const auto result = ParseDiscoveryDocument(R"(<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
  <!ENTITY remote SYSTEM "http://127.0.0.1:9/evil">
  <!ENTITY % param SYSTEM "file:///etc/passwd">
  %param;
]>
<rss><channel>
<item><title>A&xxe;B&remote;C</title><link>https://example.test/&xxe;</link></item>
</channel></rss>)",
                                             "https://example.test/rss.xml");
  ASSERT_EQ(result.pages.size(), 1u);
  EXPECT_EQ(result.pages[0].title, "ABC");
  EXPECT_EQ(result.pages[0].url, "https://example.test/");
  for (const std::string& warning : result.warnings) EXPECT_EQ(warning.find("root:"), std::string::npos) << warning;
  EXPECT_TRUE(HasWarningContaining(result, "Entity 'xxe' not defined")) << AllWarnings(result);
}

TEST(DiscoverySafety, InternalEntitiesAreNotExpandedSoEntityBombsAreInert) {
  std::string dtd = "<!DOCTYPE rss [<!ENTITY lol0 \"lol\">";
  for (int i = 1; i <= 9; ++i) {
    dtd += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) dtd += "&lol" + std::to_string(i - 1) + ";";
    dtd += "\">";
  }
  dtd += "]>";
  const auto result = ParseDiscoveryDocument("<?xml version=\"1.0\"?>" + dtd +
                                                 "<rss><channel><item><title>x&lol9;y</title>"
                                                 "<link>https://example.test/1</link></item></channel></rss>",
                                             "https://example.test/rss.xml");
  ASSERT_EQ(result.pages.size(), 1u);
  EXPECT_EQ(result.pages[0].title, "xy");
}

TEST(DiscoverySafety, TruncatedXmlKeepsTheEntriesCompleteBeforeTheEnd) {
  const std::string xml = ReadSite("almaghribtoday", "rss.xml");
  const size_t cut = xml.find("</item>", xml.size() / 2) + 20;
  const auto result = ParseDiscoveryDocument(xml.substr(0, cut), "https://en.almaghribtoday.test/rss.xml");
  EXPECT_GT(result.pages.size(), 5u);
  EXPECT_LT(result.pages.size(), 20u);
  EXPECT_TRUE(HasWarningContaining(result, "not well-formed")) << AllWarnings(result);
}

TEST(DiscoverySafety, RecoveryModeKeepsEntitiesAfterAnError) {
  // libxml2 2.9 drops every entity reference after the first error in
  // recovery mode, &amp; included, unless told otherwise.
  const auto result = ParseDiscoveryDocument(Rss(R"(
<item><title>One &bogus; two</title><link>https://example.test/1</link></item>
<item><title>Tom &amp; Jerry &lt;3</title><link>https://example.test/2?a=1&amp;b=2</link></item>
)"),
                                             "https://example.test/rss.xml");
  ASSERT_EQ(result.pages.size(), 2u) << AllWarnings(result);
  EXPECT_EQ(result.pages[0].title, "One two");
  EXPECT_EQ(result.pages[1].url, "https://example.test/2?a=1&b=2");
  EXPECT_EQ(result.pages[1].title, "Tom & Jerry <3");
  EXPECT_TRUE(HasWarningContaining(result, "recovery mode")) << AllWarnings(result);
  // libxml2's own words, with the line and column it gives.
  EXPECT_TRUE(HasWarningContaining(result, "line 8: column ")) << AllWarnings(result);
  EXPECT_TRUE(HasWarningContaining(result, "Entity 'bogus' not defined")) << AllWarnings(result);
}

TEST(DiscoverySafety, WhereRecoveryLosesTheRestOfAnItemTheItemIsLostNotInvented) {
  const auto result = ParseDiscoveryDocument(Rss(R"(
<item><title>One</title><link>https://example.test/1</link><bad attr=></item>
<item><title>Two</title><link>https://example.test/2</link></item>
)"),
                                             "https://example.test/rss.xml");
  for (const DiscoveredEntry& page : result.pages) EXPECT_NE(page.url, "https://example.test/");
  EXPECT_TRUE(HasWarningContaining(result, "line 8: column ")) << AllWarnings(result);
}

TEST(DiscoveryInputFilter, BareAmpersandsAreEscapedAtEverySplitOfTheInput) {
  const std::string in =
      "<?xml version='1.0'?><!-- Q&A --><r a=\"x&y>z\" b='&amp;'>Q&A &amp; &#38; &#x26; &lt;"
      "<![CDATA[a & b]]>&nbsp; & &#; &toolongtobeanyentitynameatallxxxxxx; end&</r><![CDATA[x&";
  const std::string expected =
      "<?xml version='1.0'?><!-- Q&A --><r a=\"x&amp;y>z\" b='&amp;'>Q&amp;A &amp; &#38; &#x26; &lt;"
      "<![CDATA[a & b]]>&nbsp; &amp; &amp;#; &amp;toolongtobeanyentitynameatallxxxxxx; end&amp;</r><![CDATA[x&";
  for (size_t split = 0; split <= in.size(); ++split) {
    internal::XmlInputFilter filter;
    std::string out;
    filter.Feed(std::string_view(in).substr(0, split), &out);
    filter.Feed(std::string_view(in).substr(split), &out);
    filter.Finish(&out);
    ASSERT_EQ(out, expected) << "split at " << split;
    EXPECT_EQ(filter.repaired(), 6);
    EXPECT_FALSE(filter.stopped());
  }
  internal::XmlInputFilter byte_by_byte;
  std::string out;
  for (char c : in) byte_by_byte.Feed(std::string_view(&c, 1), &out);
  byte_by_byte.Finish(&out);
  EXPECT_EQ(out, expected);
}

TEST(DiscoveryInputFilter, StopsInsideATagWithTooManyAttributes) {
  std::string tag = "<item";
  for (int i = 0; i < 300; ++i) tag += " a" + std::to_string(i) + "='x=y'";
  internal::XmlInputFilter filter;
  std::string out;
  filter.Feed("<r><ok a='1' b=\"2\"/>" + tag + "/></r>", &out);
  filter.Finish(&out);
  EXPECT_TRUE(filter.stopped());
  EXPECT_EQ(out.rfind("<r><ok a='1' b=\"2\"/><item a0='x=y'", 0), 0u);
  EXPECT_LT(out.size(), 20 + tag.size());
}

TEST(DiscoverySafety, ElementWithTooManyAttributesEndsTheDocumentQuickly) {
  // libxml2 2.9 compares attributes pairwise: a million of them in one tag
  // would take hours.
  std::string attributes;
  for (int i = 0; i < 1000000; ++i) attributes += " a" + std::to_string(i) + "=''";
  const auto result = ParseDiscoveryDocument(Rss("<item><link>https://example.test/1</link></item><item" + attributes +
                                                 "><link>https://example.test/2</link></item>"),
                                             "https://example.test/rss.xml");
  ASSERT_EQ(result.pages.size(), 1u);
  EXPECT_EQ(result.pages[0].url, "https://example.test/1");
  EXPECT_TRUE(result.truncated);
  EXPECT_TRUE(HasWarningContaining(result, "an element has more than 256 attributes")) << AllWarnings(result);
  EXPECT_FALSE(HasWarningContaining(result, "not well-formed")) << AllWarnings(result);
}

TEST(DiscoverySafety, DeepNestingEndsTheDocumentWithBoundedMemory) {
  // 50 MiB of "<x>" would grow libxml2's push-parser stacks to gigabytes.
  const std::string bomb = GzipStream("<rss><channel><item><link>https://example.test/1</link></item>",
                                      "<x xml:base='a/'>", 100ull << 20, "</channel></rss>");
  const long rss_before = PeakRssKib();
  const auto result = ParseDiscoveryDocument(bomb, "https://example.test/rss.xml");
  EXPECT_LT(PeakRssKib() - rss_before, 16 * 1024);
  ASSERT_EQ(result.pages.size(), 1u);
  EXPECT_TRUE(result.truncated);
  EXPECT_TRUE(HasWarningContaining(result, "elements nested more than 256 deep")) << AllWarnings(result);
}

TEST(DiscoveryFeed, BareAmpersandsInLinksAndTitlesAreReadAsLiteral) {
  // libxml2's recovery alone would give "?a=1=2" and "QA".
  const auto result = ParseDiscoveryDocument(Rss(R"(
<item><title>Q&A: rates & prices</title><link>https://example.test/read?id=1&lang=en</link></item>
<item><title><![CDATA[R&D &amp; more]]></title><link>https://example.test/2</link></item>
)"),
                                             "https://example.test/rss.xml");
  ASSERT_EQ(result.pages.size(), 2u);
  EXPECT_EQ(result.pages[0].url, "https://example.test/read?id=1&lang=en");
  EXPECT_EQ(result.pages[0].title, "Q&A: rates & prices");
  // CDATA is literal; the RSS title rule then decodes the escaped &amp;.
  EXPECT_EQ(result.pages[1].title, "R&D & more");
  EXPECT_TRUE(HasWarningContaining(result, "3 '&' that start no entity reference were read as a literal '&'"))
      << AllWarnings(result);
}

TEST(DiscoverySafety, JunkEmptyAndHtmlAreUnknownWithAReason) {
  const auto junk = ParseDiscoveryDocument(std::string("junk \0\x01\xff not xml", 17), "https://example.test/x");
  EXPECT_EQ(junk.kind, DocumentKind::kUnknown);
  EXPECT_FALSE(junk.warnings.empty());

  const auto empty = ParseDiscoveryDocument("", "https://example.test/x");
  EXPECT_EQ(empty.kind, DocumentKind::kUnknown);
  EXPECT_TRUE(HasWarningContaining(empty, "empty document")) << AllWarnings(empty);

  const auto html = ParseDiscoveryDocument(ReadSite("almaghribtoday", "index.html"), "https://example.test/");
  EXPECT_EQ(html.kind, DocumentKind::kUnknown);
  EXPECT_TRUE(html.pages.empty());
  EXPECT_TRUE(HasWarningContaining(html, "is not a sitemap, sitemap index, RSS or Atom 1.0 feed")) << AllWarnings(html);

  const auto atom03 =
      ParseDiscoveryDocument(R"(<feed xmlns="http://purl.org/atom/ns#"><entry/></feed>)", "https://example.test/");
  EXPECT_EQ(atom03.kind, DocumentKind::kUnknown);
}

TEST(DiscoverySafety, InvalidUtf8BecomesReplacementCharacters) {
  const auto result = ParseDiscoveryDocument(
      Rss("<item><title>ok \xff\xfe bad \xd8\xa7</title><link>https://example.test/1</link></item>"),
      "https://example.test/rss.xml");
  ASSERT_EQ(result.pages.size(), 1u);
  const std::string& title = result.pages[0].title;
  EXPECT_EQ(title.rfind("ok ", 0), 0u) << title;
  for (size_t i = 0; i < title.size(); ++i) {
    // Nothing but valid UTF-8 comes out; no 0xFF/0xFE bytes survive.
    EXPECT_NE(static_cast<unsigned char>(title[i]), 0xFF);
    EXPECT_NE(static_cast<unsigned char>(title[i]), 0xFE);
  }
}

TEST(DiscoverySafety, HugeFieldsAreCappedNotCopied) {
  const std::string huge_title(1 << 20, 'T');
  const auto result =
      ParseDiscoveryDocument(Rss("<item><title>" + huge_title + "</title><link>https://example.test/1</link></item>"),
                             "https://example.test/rss.xml");
  ASSERT_EQ(result.pages.size(), 1u);
  EXPECT_EQ(result.pages[0].title.size(), 2048u);
}

TEST(DiscoverySafety, MangledDocumentsNeverCrash) {
  std::mt19937 rng(7);
  const std::vector<std::string> seeds = {
      ReadSite("almaghribtoday", "rss.xml"), ReadSite("almaghribtoday", "sitemap-news.xml"),
      ReadSite("almaghribtoday-ar", "news/morocco/rss.xml"),
      Atom("<entry xml:base='/b/'><link href='x'/><title type='html'>&lt;i&gt;t</title></entry>")};
  for (int round = 0; round < 400; ++round) {
    std::string doc = seeds[round % seeds.size()];
    doc.resize(std::uniform_int_distribution<size_t>(0, doc.size())(rng));
    const int flips = std::uniform_int_distribution<int>(0, 8)(rng);
    for (int i = 0; i < flips && !doc.empty(); ++i) {
      doc[std::uniform_int_distribution<size_t>(0, doc.size() - 1)(rng)] =
          static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    }
    if (round % 5 == 0) doc = test::Gzip(doc);
    const auto result = ParseDiscoveryDocument(doc, "https://example.test/doc.xml");
    for (const DiscoveredEntry& page : result.pages) {
      EXPECT_TRUE(page.url.rfind("http://", 0) == 0 || page.url.rfind("https://", 0) == 0) << page.url;
    }
    EXPECT_LE(result.warnings.size(), 30u);
  }
}

TEST(DiscoverySafety, ParsesFromSeveralThreadsAtOnce) {
  const std::string rss = ReadSite("almaghribtoday-ar", "news/morocco/rss.xml");
  const std::string news = test::Gzip(ReadSite("almaghribtoday", "sitemap-news.xml"));
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const auto a = ParseDiscoveryDocument(rss, "https://www.almaghribtoday.test/news/morocco/rss.xml");
        const auto b = ParseDiscoveryDocument(news, "https://en.almaghribtoday.test/sitemap-news.xml");
        if (a.pages.size() != 4 || b.pages.size() != 10 || !a.warnings.empty() || !b.warnings.empty()) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace newshound::discovery
