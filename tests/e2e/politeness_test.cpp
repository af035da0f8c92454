// Politeness, robots.txt and retries, observed where a webmaster would see
// them: in the request log of a real server on 127.0.0.1. Several host
// names are pinned to the one server, which logs the Host of each request.
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <set>
#include <thread>

#include "dns_server.h"
#include "e2e_support.h"
#include "loopback.h"

namespace newshound::e2e {
namespace {

namespace json = boost::json;

using test::LogTimeMs;

// Gaps are read from the server's request log, which stamps a request when
// the server has read it: the server's own scheduling (slow under ASan, or
// beside other load) shifts single stamps by a few ms either way, so a
// gap may look that much shorter than the crawler made it. A real
// violation (a request sent early) is far shorter than this.
constexpr int64_t kLogJitterMs = 25;

// A site with a listing at / that links `articles` article pages, plus any
// extra files.
void WriteSite(const std::filesystem::path& root, int articles,
               const std::map<std::string, std::string>& extra = {}) {
  std::string index = "<html><head><title>home</title></head><body><ul>";
  for (int i = 1; i <= articles; ++i)
    index += "<li><a href=\"/articles/" + std::to_string(i) + ".html\">Article " + std::to_string(i) + "</a></li>";
  index += "</ul></body></html>";
  test::WriteFile(root / "index.html", index);
  for (int i = 1; i <= articles; ++i) {
    test::WriteFile(root / "articles" / (std::to_string(i) + ".html"),
                    "<html><head><title>Article " + std::to_string(i) + "</title></head><body><p>Text of article " +
                        std::to_string(i) + ".</p></body></html>");
  }
  for (const auto& [path, content] : extra) test::WriteFile(root / path, content);
}

struct Crawl {
  CliRun run;
  json::object summary;          // the site's summary
  json::object whole_summary;    // all of --summary
  std::vector<test::OutletLogEntry> log;
};

class PolitenessTest : public ::testing::Test {
 protected:
  // Crawls `hosts` (all pinned to one outlet-server over HTTP) with the
  // given YAML for the site's politeness/robots/retries settings. A start
  // path is requested on every host; an absolute start URL only as it is.
  Crawl Run(const std::vector<std::string>& hosts, const std::vector<std::string>& start_paths,
            const std::string& site_settings, const std::vector<std::string>& server_args = {},
            const std::string& crawler_settings = "") {
    test::OutletServerOptions options;
    options.root = root_.path();
    options.extra_args = server_args;
    server_ = std::make_unique<test::OutletServer>(options);
    std::string resolve, start_urls, host_list;
    for (const auto& host : hosts) {
      resolve += "    \"" + host + ":80\": \"127.0.0.1:" + std::to_string(server_->http_port()) + "\"\n";
      for (const auto& path : start_paths)
        if (path.front() == '/') start_urls += "      - \"http://" + host + path + "\"\n";
      host_list += (host_list.empty() ? "" : ", ") + host;
    }
    // An absolute start URL is one URL, not a path for every host.
    for (const auto& path : start_paths)
      if (path.front() != '/') start_urls += "      - \"" + path + "\"\n";
    const auto config = dir_.path() / "crawl.yaml";
    test::WriteFile(config, "crawler:\n  plugin_dir: " + std::string(NEWSHOUND_TEST_PLUGIN_DIR) +
                                "\n  user_agent: \"newshound/0.1 (+test)\"\n  max_in_flight: 32\n" + crawler_settings +
                                "network:\n" + test::kAllowLoopback + "  resolve:\n" + resolve +
                                "output:\n  jsonl: " + (dir_.path() / "articles.jsonl").string() +
                                "\nsites:\n  - name: test\n    plugin: testsite\n    hosts: [" + host_list +
                                "]\n    start_urls:\n" + start_urls + site_settings);
    Crawl crawl;
    const auto summary_path = dir_.path() / "summary.json";
    crawl.run = RunCli({"run", config.string(), "--summary", summary_path.string()});
    if (std::filesystem::exists(summary_path)) {
      crawl.whole_summary = json::parse(test::ReadFile(summary_path)).as_object();
      crawl.summary = crawl.whole_summary["sites"].as_array()[0].as_object();
    }
    crawl.log = server_->ReadLog();
    return crawl;
  }

  static int64_t Outcome(const json::object& summary, const char* kind) {
    return summary.at("outcomes").as_object().at(kind).as_int64();
  }

  // Every URL accepted ends in exactly one outcome.
  static void ExpectOutcomesBalance(const json::object& summary) {
    int64_t total = 0;
    for (const auto& [kind, count] : summary.at("outcomes").as_object()) total += count.as_int64();
    EXPECT_EQ(total, summary.at("urls_accepted").as_int64()) << json::serialize(summary);
  }

  static std::map<std::string, std::vector<test::OutletLogEntry>> ByHost(const std::vector<test::OutletLogEntry>& log) {
    std::map<std::string, std::vector<test::OutletLogEntry>> out;
    for (const auto& entry : log) out[entry.host.substr(0, entry.host.find(':'))].push_back(entry);
    for (auto& [host, entries] : out)
      std::sort(entries.begin(), entries.end(),
                [](const auto& a, const auto& b) { return LogTimeMs(a.time) < LogTimeMs(b.time); });
    return out;
  }

  test::TempDir root_;
  test::TempDir dir_;
  std::unique_ptr<test::OutletServer> server_;
};

TEST_F(PolitenessTest, Politeness_EachHostKeepsItsDelayAndHostsDoNotWaitForEachOther) {
  WriteSite(root_.path(), 5);
  const int delay_ms = 300;
  const std::vector<std::string> hosts = {"a.test", "b.test", "c.test", "d.test"};
  Crawl crawl = Run(hosts, {"/"}, "    politeness: {delay: 300ms, max_connections_per_host: 2}\n");
  ASSERT_TRUE(crawl.run.status.success()) << crawl.run.err;
  EXPECT_EQ(crawl.summary.at("articles_written").as_int64(), 20);
  ExpectOutcomesBalance(crawl.summary);

  const auto by_host = ByHost(crawl.log);
  ASSERT_EQ(by_host.size(), hosts.size());
  size_t requests_per_host = 0;
  int64_t first = INT64_MAX, last = 0;
  for (const auto& [host, entries] : by_host) {
    requests_per_host = std::max(requests_per_host, entries.size());
    EXPECT_EQ(entries.size(), 7u) << host;  // robots.txt, the listing, 5 articles
    for (size_t i = 1; i < entries.size(); ++i) {
      const int64_t gap = LogTimeMs(entries[i].time) - LogTimeMs(entries[i - 1].time);
      EXPECT_GE(gap, delay_ms - kLogJitterMs) << host << ": " << entries[i - 1].target << " then " << entries[i].target;
    }
    first = std::min(first, LogTimeMs(entries.front().time));
    last = std::max(last, LogTimeMs(entries.back().time));
  }
  // Hosts are crawled side by side: the whole crawl takes about as long as
  // one host's requests spaced by the delay, not four times that. (Twice the
  // ideal leaves room for a loaded machine; serializing would take 4x.)
  const int64_t ideal = static_cast<int64_t>(requests_per_host - 1) * delay_ms;
  EXPECT_LE(last - first, 2 * ideal) << "the hosts were not crawled in parallel";
}

TEST_F(PolitenessTest, Politeness_RetryAfterPausesTheWholeHost) {
  WriteSite(root_.path(), 3);
  Crawl crawl = Run({"e.test"}, {"/", "/articles/1.html", "/articles/2.html", "/articles/3.html"},
                    "    politeness: {delay: 0ms, max_connections_per_host: 1}\n"
                    "    retries: {max: 3, base: 50ms, cap: 100ms}\n",
                    {"--respond", "e.test@/=429+Retry-After:2"});
  ASSERT_TRUE(crawl.run.status.success()) << crawl.run.err;
  ExpectOutcomesBalance(crawl.summary);
  EXPECT_EQ(Outcome(crawl.summary, "fetched"), 4);
  EXPECT_EQ(crawl.summary.at("retries").as_int64(), 1);

  const auto entries = ByHost(crawl.log).at("e.test");
  auto throttled = std::find_if(entries.begin(), entries.end(), [](const auto& e) { return e.status == 429; });
  ASSERT_NE(throttled, entries.end());
  ASSERT_NE(throttled + 1, entries.end()) << "nothing was requested after the 429";
  const int64_t pause = LogTimeMs((throttled + 1)->time) - LogTimeMs(throttled->time);
  EXPECT_GE(pause, 2000 - kLogJitterMs) << "a request reached the host during its Retry-After";
  // The page itself was fetched after the pause.
  EXPECT_TRUE(std::any_of(throttled + 1, entries.end(), [](const auto& e) { return e.target == "/" && e.status == 200; }));
}

TEST_F(PolitenessTest, Robots_DisallowedUrlsAreNeverRequestedAndCrawlDelayApplies) {
  WriteSite(root_.path(), 5,
            {{"robots.txt",
              "User-agent: *\nDisallow: /articles/2.html\nCrawl-delay: 0.2\n\n"
              "User-agent: newshound\nDisallow: /articles/4\nCrawl-delay: 0.25\n\n"
              "User-agent: AhrefsBot\nDisallow: /\n"}});
  Crawl crawl = Run({"r.test"}, {"/"}, "    politeness: {delay: 0ms, max_crawl_delay: 10s}\n");
  ASSERT_TRUE(crawl.run.status.success()) << crawl.run.err;
  ExpectOutcomesBalance(crawl.summary);
  // Our group ("newshound", from the user agent) wins over "*": only /articles/4 is off limits.
  EXPECT_EQ(Outcome(crawl.summary, "robots_disallowed"), 1);
  EXPECT_EQ(crawl.summary.at("articles_written").as_int64(), 4);
  EXPECT_EQ(crawl.summary.at("robots_fetches").as_int64(), 1);
  const auto entries = ByHost(crawl.log).at("r.test");
  EXPECT_EQ(entries.front().target, "/robots.txt");
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_NE(entries[i].target, "/articles/4.html");
    if (i > 0) {
      EXPECT_GE(LogTimeMs(entries[i].time) - LogTimeMs(entries[i - 1].time), 250 - kLogJitterMs) << entries[i].target;
    }
  }
}

TEST_F(PolitenessTest, Robots_ServerErrorsHoldTheHostUntilRobotsAnswers) {
  WriteSite(root_.path(), 2, {{"robots.txt", "User-agent: *\nAllow: /\n"}});
  Crawl crawl = Run({"s.test"}, {"/"}, "    politeness: {delay: 0ms}\n    retries: {max: 3, base: 50ms, cap: 200ms}\n",
                    {"--respond", "/robots.txt=503,500"});
  ASSERT_TRUE(crawl.run.status.success()) << crawl.run.err;
  ExpectOutcomesBalance(crawl.summary);
  EXPECT_EQ(crawl.summary.at("articles_written").as_int64(), 2);
  const auto entries = ByHost(crawl.log).at("s.test");
  ASSERT_GE(entries.size(), 3u);
  EXPECT_EQ(entries[0].target, "/robots.txt");
  EXPECT_EQ(entries[0].status, 503);
  EXPECT_EQ(entries[1].target, "/robots.txt");
  EXPECT_EQ(entries[1].status, 500);
  EXPECT_EQ(entries[2].target, "/robots.txt");
  EXPECT_EQ(entries[2].status, 200);
  for (size_t i = 3; i < entries.size(); ++i) EXPECT_NE(entries[i].target, "/robots.txt");
}

TEST_F(PolitenessTest, Robots_UnreachableRobotsDisallowsEverything) {
  WriteSite(root_.path(), 2);
  Crawl crawl = Run({"u.test"}, {"/", "/articles/1.html"},
                    "    politeness: {delay: 0ms}\n    retries: {max: 2, base: 20ms, cap: 50ms}\n",
                    {"--respond", "/robots.txt=503,..."});
  ASSERT_TRUE(crawl.run.status.success()) << crawl.run.err;
  ExpectOutcomesBalance(crawl.summary);
  EXPECT_EQ(Outcome(crawl.summary, "robots_disallowed"), 2);
  EXPECT_EQ(crawl.summary.at("pages_fetched").as_int64(), 0);
  for (const auto& entry : crawl.log) EXPECT_EQ(entry.target, "/robots.txt");
  EXPECT_EQ(crawl.log.size(), 3u);  // the first try and 2 retries
}

TEST_F(PolitenessTest, Robots_MissingRobotsAllowsEverything) {
  WriteSite(root_.path(), 2);
  Crawl crawl = Run({"m.test"}, {"/"}, "    politeness: {delay: 0ms}\n");
  ASSERT_TRUE(crawl.run.status.success()) << crawl.run.err;
  ExpectOutcomesBalance(crawl.summary);
  EXPECT_EQ(crawl.summary.at("articles_written").as_int64(), 2);
  EXPECT_EQ(crawl.log.front().status, 404);
}

TEST_F(PolitenessTest, Retries_PermanentErrorsAreNotRetriedAndTransientOnesAre) {
  WriteSite(root_.path(), 3);
  Crawl crawl = Run({"t.test"}, {"/"}, "    politeness: {delay: 0ms}\n    retries: {max: 2, base: 20ms, cap: 50ms}\n",
                    {"--respond", "/articles/1.html=404", "--respond", "/articles/2.html=503,502",
                     "--respond", "/articles/3.html=500,..."});
  ASSERT_TRUE(crawl.run.status.success()) << crawl.run.err;
  ExpectOutcomesBalance(crawl.summary);
  std::map<std::string, int> requests;
  for (const auto& entry : crawl.log) ++requests[entry.target];
  EXPECT_EQ(requests["/articles/1.html"], 1);  // 404: final at once
  EXPECT_EQ(requests["/articles/2.html"], 3);  // 503, 502, then 200
  EXPECT_EQ(requests["/articles/3.html"], 3);  // 500 three times: given up after 2 retries
  EXPECT_EQ(crawl.summary.at("articles_written").as_int64(), 1);
  EXPECT_EQ(Outcome(crawl.summary, "http_error"), 2);
  EXPECT_EQ(crawl.summary.at("retries").as_int64(), 4);
}

TEST_F(PolitenessTest, Politeness_DomainKeyMakesSubdomainsShareOneClock) {
  WriteSite(root_.path(), 2);
  // Two hosts of one registrable domain: with key "domain" they share one
  // clock, so no two requests to either are closer than the delay.
  Crawl crawl = Run({"a.example.com", "b.example.com"}, {"/"}, "    politeness: {delay: 200ms, key: domain}\n");
  ASSERT_TRUE(crawl.run.status.success()) << crawl.run.err;
  std::vector<int64_t> times;
  for (const auto& entry : crawl.log) times.push_back(LogTimeMs(entry.time));
  std::sort(times.begin(), times.end());
  ASSERT_EQ(times.size(), 8u);  // per host: robots.txt, listing, 2 articles
  for (size_t i = 1; i < times.size(); ++i) EXPECT_GE(times[i] - times[i - 1], 200 - kLogJitterMs);
}

TEST_F(PolitenessTest, Politeness_IpKeyMakesHostsOnOneAddressShareOneClock) {
  WriteSite(root_.path(), 2);
  // Both names are pinned to 127.0.0.1: with key "ip" they are one server.
  Crawl crawl = Run({"x.test", "y.test"}, {"/"}, "    politeness: {delay: 200ms, key: ip}\n");
  ASSERT_TRUE(crawl.run.status.success()) << crawl.run.err;
  std::vector<int64_t> times;
  for (const auto& entry : crawl.log) times.push_back(LogTimeMs(entry.time));
  std::sort(times.begin(), times.end());
  ASSERT_EQ(times.size(), 8u);
  for (size_t i = 1; i < times.size(); ++i) EXPECT_GE(times[i] - times[i - 1], 200 - kLogJitterMs);
}

}  // namespace
}  // namespace newshound::e2e

namespace newshound::e2e {
namespace {

// A misbehaving plugin costs the pages it fails on, nothing more.
TEST_F(PolitenessTest, Isolation_PluginThatThrowsOrOverrunsCostsOnlyThatPage) {
  WriteSite(root_.path(), 2,
            {{"slow/index.html", "<p>never finishes in time</p>"},
             {"throw/index.html", "<p>the plugin throws here</p>"},
             {"relative/index.html", "<a href=\"/articles/1.html\">1</a>"}});
  Crawl crawl = Run({"p.test"}, {"/", "/slow/", "/throw/", "/relative/"}, "    politeness: {delay: 0ms}\n", {},
                    "  plugin_timeout: 300ms\n");
  const CliRun& run = crawl.run;
  ASSERT_TRUE(run.status.success()) << run.err;
  const auto& site = crawl.summary;
  ExpectOutcomesBalance(site);
  EXPECT_EQ(Outcome(site, "plugin_error"), 2);  // /slow/ (over budget) and /throw/
  EXPECT_EQ(site.at("plugin_timeouts").as_int64(), 1);
  EXPECT_EQ(site.at("plugin_rejected_values").as_int64(), 1);  // the relative link
  EXPECT_EQ(site.at("articles_written").as_int64(), 2);        // the other pages are unharmed
  const auto& summary = crawl.whole_summary;
  const auto& plugin = summary.at("plugins").as_object().at("testsite").as_object();
  EXPECT_EQ(plugin.at("errors").as_int64(), 2);
  EXPECT_EQ(plugin.at("timeouts").as_int64(), 1);
  EXPECT_NE(run.out.find("plugins: testsite 2 failed (1 over time budget), 1 values refused"), std::string::npos)
      << run.out;
  EXPECT_NE(run.err.find("exceeded its time budget of 300 ms on http://p.test/slow/"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("thrown on purpose"), std::string::npos) << run.err;
}

// Every hop of a redirect is a request of its own through the frontier: it
// waits for its host's delay, and a hop to another origin waits for that
// origin's robots.txt, which may refuse it.
TEST_F(PolitenessTest, Redirects_EveryHopGoesThroughPolitenessAndRobots) {
  WriteSite(root_.path(), 2,
            {{"robots.txt", "User-agent: *\nDisallow: /private/\n"},
             {"articles/final.html", "<html><head><title>Final</title></head><body><p>Moved here.</p></body></html>"},
             {"private/x.html", "<html><body><p>never</p></body></html>"}});
  const int delay_ms = 300;
  Crawl crawl = Run({"a.test", "b.test"}, {"http://a.test/"},
                    "    politeness: {delay: 300ms, max_connections_per_host: 1}\n",
                    {"--respond", "a.test@/articles/1.html=301+Location:/articles/1b.html,...",
                     "--respond", "a.test@/articles/1b.html=302+Location:http://b.test/articles/final.html,...",
                     "--respond", "a.test@/articles/2.html=307+Location:http://b.test/private/x.html,..."});
  ASSERT_TRUE(crawl.run.status.success()) << crawl.run.err;
  ExpectOutcomesBalance(crawl.summary);
  EXPECT_EQ(crawl.summary.at("urls_accepted").as_int64(), 3);  // the listing and its two links
  EXPECT_EQ(Outcome(crawl.summary, "fetched"), 2);
  EXPECT_EQ(Outcome(crawl.summary, "robots_disallowed"), 1);

  const auto by_host = ByHost(crawl.log);
  // a.test: every request, redirect hops included, keeps the delay.
  const auto& a = by_host.at("a.test");
  for (size_t i = 1; i < a.size(); ++i) {
    const int64_t gap = LogTimeMs(a[i].time) - LogTimeMs(a[i - 1].time);
    EXPECT_GE(gap, delay_ms - kLogJitterMs) << a[i - 1].target << " then " << a[i].target;
  }
  EXPECT_TRUE(std::any_of(a.begin(), a.end(), [](const auto& e) { return e.target == "/articles/1b.html"; }));
  // b.test was only reached by redirects: its robots.txt came first, and
  // the disallowed target was never requested.
  const auto& b = by_host.at("b.test");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].target, "/robots.txt");
  EXPECT_EQ(b[1].target, "/articles/final.html");
  EXPECT_GE(LogTimeMs(b[1].time) - LogTimeMs(b[0].time), delay_ms - kLogJitterMs);

  // The record keeps where the article was found and every hop.
  const auto lines = test::ReadFile(dir_.path() / "articles.jsonl");
  const auto record = json::parse(lines.substr(0, lines.find('\n'))).as_object();
  EXPECT_EQ(record.at("url").as_string(), "http://b.test/articles/final.html");
  const auto& redirects = record.at("redirects").as_array();
  ASSERT_EQ(redirects.size(), 2u) << json::serialize(record);
  EXPECT_EQ(redirects[0].as_string(), "http://a.test/articles/1.html");
  EXPECT_EQ(redirects[1].as_string(), "http://a.test/articles/1b.html");
}

TEST_F(PolitenessTest, Redirects_ATargetTheCrawlAlreadyHasIsNotFetchedAgain) {
  WriteSite(root_.path(), 2);
  Crawl crawl = Run({"a.test"}, {"/"}, "    politeness: {delay: 0ms}\n",
                    {"--respond", "/articles/1.html=301+Location:/articles/2.html,..."});
  ASSERT_TRUE(crawl.run.status.success()) << crawl.run.err;
  ExpectOutcomesBalance(crawl.summary);
  EXPECT_EQ(Outcome(crawl.summary, "duplicate"), 1);
  EXPECT_EQ(crawl.summary.at("articles_written").as_int64(), 1);
  EXPECT_EQ(std::count_if(crawl.log.begin(), crawl.log.end(),
                          [](const auto& e) { return e.target == "/articles/2.html"; }),
            1);
}

// Conditional GET across runs: what a run fetched whole is asked for with
// its validators next time; a 304 is `not_modified`, never reaches the
// plugin, and still leads to the pages it linked to. Articles an earlier run
// fetched are not fetched again (`seen_before`) until recrawl_after says so.
TEST_F(PolitenessTest, ConditionalGet_UnchangedPagesAreNotModifiedAndNotParsedAgain) {
  WriteSite(root_.path(), 5);
  const std::string crawler = "  state_dir: " + (dir_.path() / "state").string() + "\n";
  const std::string site = "    politeness: {delay: 0ms}\n";
  Crawl first = Run({"c.test"}, {"/"}, site, {}, crawler);
  ASSERT_TRUE(first.run.status.success()) << first.run.err;
  EXPECT_EQ(Outcome(first.summary, "fetched"), 6);
  EXPECT_EQ(first.summary.at("articles_written").as_int64(), 5);

  // The listing is asked for conditionally and is unchanged; its articles
  // are known from the first run and not requested at all.
  Crawl second = Run({"c.test"}, {"/"}, site, {}, crawler);
  ASSERT_TRUE(second.run.status.success()) << second.run.err;
  ExpectOutcomesBalance(second.summary);
  EXPECT_EQ(Outcome(second.summary, "not_modified"), 1) << json::serialize(second.summary);
  EXPECT_EQ(Outcome(second.summary, "seen_before"), 5) << json::serialize(second.summary);
  EXPECT_EQ(second.summary.at("pages_fetched").as_int64(), 0);
  EXPECT_EQ(second.summary.at("articles_written").as_int64(), 0);
  ASSERT_EQ(second.log.size(), 2u);  // robots.txt and the listing
  EXPECT_EQ(second.log[1].target, "/");
  EXPECT_EQ(second.log[1].status, 304);

  // With recrawl_after, articles are asked for again, conditionally: the
  // one that changed comes back whole and is written again, the others are
  // 304 and are not.
  test::WriteFile(root_.path() / "articles" / "3.html",
                  "<html><head><title>Article 3</title></head><body><p>Corrected text.</p></body></html>");
  Crawl third = Run({"c.test"}, {"/"}, site + "    recrawl_after: 1ms\n", {}, crawler);
  ASSERT_TRUE(third.run.status.success()) << third.run.err;
  ExpectOutcomesBalance(third.summary);
  EXPECT_EQ(Outcome(third.summary, "fetched"), 1) << json::serialize(third.summary);
  EXPECT_EQ(Outcome(third.summary, "not_modified"), 5) << json::serialize(third.summary);
  EXPECT_EQ(third.summary.at("articles_written").as_int64(), 1);
  int whole = 0;
  for (const auto& entry : third.log) {
    if (entry.target == "/robots.txt") continue;
    EXPECT_EQ(entry.status, entry.target == "/articles/3.html" ? 200 : 304) << entry.target;
    whole += entry.status == 200;
  }
  EXPECT_EQ(whole, 1);
  const std::string lines = test::ReadFile(dir_.path() / "articles.jsonl");
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 6);
  EXPECT_NE(lines.find("Corrected text."), std::string::npos);
}

// Scope beyond hosts: RE2 patterns searched in each link's URL. A start
// URL need not match an include pattern; nothing may match an exclude one.
TEST_F(PolitenessTest, Scope_IncludeAndExcludePatternsDecideWhichLinksAreFollowed) {
  WriteSite(root_.path(), 5);
  Crawl crawl = Run({"p.test"}, {"/"},
                    "    politeness: {delay: 0ms}\n"
                    "    include: ['/articles/[1-3]\\.html$']\n"
                    "    exclude: ['/articles/2']\n");
  ASSERT_TRUE(crawl.run.status.success()) << crawl.run.err;
  ExpectOutcomesBalance(crawl.summary);
  EXPECT_EQ(Outcome(crawl.summary, "fetched"), 3);  // the listing, 1 and 3
  EXPECT_EQ(Outcome(crawl.summary, "out_of_scope"), 3);
  std::set<std::string> requested;
  for (const auto& entry : crawl.log) requested.insert(entry.target);
  EXPECT_EQ(requested, (std::set<std::string>{"/robots.txt", "/", "/articles/1.html", "/articles/3.html"}));
}

// Listing pages leave a host's queue before articles by default, so a crawl
// learns what exists first; `priorities:` turns that around.
TEST_F(PolitenessTest, Frontier_ListingsGoFirstUnlessPrioritiesSayOtherwise) {
  auto order = [this](const std::string& priorities) {
    WriteSite(root_.path(), 4,
              {{"index.html", "<html><body><a href=\"/articles/1.html\">1</a><a href=\"/articles/2.html\">2</a>"
                              "<a href=\"/more/\">more</a></body></html>"},
               {"more/index.html", "<html><body><a href=\"/articles/3.html\">3</a></body></html>"}});
    Crawl crawl = Run({"q.test"}, {"/"}, "    politeness: {delay: 0ms, max_connections_per_host: 1}\n" + priorities);
    EXPECT_TRUE(crawl.run.status.success()) << crawl.run.err;
    std::vector<std::string> targets;
    const auto by_host = ByHost(crawl.log);
    for (const auto& entry : by_host.at("q.test"))
      if (entry.target != "/robots.txt") targets.push_back(entry.target);
    return targets;
  };
  const auto by_default = order("");
  ASSERT_EQ(by_default.size(), 5u);
  EXPECT_EQ(by_default[1], "/more/");  // before the articles the home page linked first
  const auto articles_first = order("    priorities: {listing: low, article: high}\n");
  ASSERT_EQ(articles_first.size(), 5u);
  EXPECT_EQ(articles_first[1], "/articles/1.html");
  EXPECT_EQ(articles_first[2], "/articles/2.html");
  EXPECT_EQ(articles_first[3], "/more/");
}

// A frontier over its memory budget (frontier_memory_items: 4) spills to
// disk and brings URLs back as their hosts get to them: the crawl of three
// hosts with 60 articles each fetches every page once, writes every article
// once, and leaves no spill file behind.
TEST_F(PolitenessTest, Frontier_OverItsMemoryBudgetItSpillsToDiskAndLosesNothing) {
  WriteSite(root_.path(), 60);
  const auto state = dir_.path() / "state";
  Crawl crawl = Run({"a.test", "b.test", "c.test"}, {"/"}, "    politeness: {delay: 0ms, max_connections_per_host: 1}\n",
                    {}, "  frontier_memory_items: 4\n  state_dir: " + state.string() + "\n");
  ASSERT_TRUE(crawl.run.status.success()) << crawl.run.err;
  EXPECT_EQ(crawl.summary.at("articles_written").as_int64(), 180) << crawl.run.err;
  std::map<std::string, int> requests;
  for (const auto& entry : crawl.log) ++requests[entry.host + entry.target];
  EXPECT_EQ(requests.size(), 3u * 62);  // robots.txt, the home page and 60 articles on each host
  for (const auto& [request, count] : requests) EXPECT_EQ(count, 1) << request;
  EXPECT_NE(crawl.run.err.find("URLs went through the frontier's spill files"), std::string::npos) << crawl.run.err;
  for (const auto& entry : std::filesystem::directory_iterator(state))
    EXPECT_FALSE(entry.path().filename().string().starts_with("frontier-spill")) << entry.path();
}

// Without pins, host names go through the crawl's DNS servers (c-ares, with
// a cache): each name is asked for once however many requests and
// connections it gets, and `politeness.key: ip` puts two names with one
// address on one clock.
TEST_F(PolitenessTest, Dns_EachHostIsResolvedOnceAndIpPolitenessUsesTheAnswer) {
  WriteSite(root_.path(), 3);
  test::DnsServer dns;
  dns.Add("a.test", "127.0.0.1");
  dns.Add("b.test", "127.0.0.1");
  test::OutletServerOptions options;
  options.root = root_.path();
  server_ = std::make_unique<test::OutletServer>(options);
  const std::string port = std::to_string(server_->http_port());
  const auto config = dir_.path() / "dns.yaml";
  test::WriteFile(config, "crawler:\n  plugin_dir: " + std::string(NEWSHOUND_TEST_PLUGIN_DIR) +
                              "\n  user_agent: \"newshound/0.1 (+test)\"\n"
                              "network:\n  dns_servers: [\"" + dns.address() + "\"]\n" + test::kAllowLoopback +
                              "output:\n  jsonl: " + (dir_.path() / "articles.jsonl").string() +
                              "\nsites:\n  - name: test\n    plugin: testsite\n"
                              "    start_urls: [\"http://a.test:" + port + "/\", \"http://b.test:" + port + "/\"]\n"
                              "    politeness: {delay: 200ms, max_connections_per_host: 2, key: ip}\n");
  CliRun run = RunCli({"run", config.string()});
  ASSERT_TRUE(run.status.success()) << run.err;
  EXPECT_EQ(ReadJsonl(dir_.path() / "articles.jsonl").size(), 6u);
  EXPECT_EQ(dns.Queries("a.test"), 1u);
  EXPECT_EQ(dns.Queries("b.test"), 1u);
  // One address, one clock: no two requests, whichever host, closer than
  // the delay.
  std::vector<int64_t> times;
  for (const auto& entry : server_->ReadLog()) times.push_back(LogTimeMs(entry.time));
  std::sort(times.begin(), times.end());
  ASSERT_EQ(times.size(), 10u);  // per host: robots.txt, the listing, 3 articles
  for (size_t i = 1; i < times.size(); ++i) EXPECT_GE(times[i] - times[i - 1], 200 - kLogJitterMs);
}

// The delay is kept as the server sees it: from one request's arrival to the
// next. A host's first request here waits 400 ms for its DNS answer; the
// delay (300 ms) runs from when it was finally sent, not from when the
// crawler granted it, or the next request would arrive right behind it.
TEST_F(PolitenessTest, Politeness_SlowConnectionSetupDoesNotShortenTheGap) {
  WriteSite(root_.path(), 2);
  test::DnsServer dns;
  dns.Add("a.test", "127.0.0.1");
  dns.Hold("a.test");
  test::OutletServerOptions options;
  options.root = root_.path();
  server_ = std::make_unique<test::OutletServer>(options);
  const std::string port = std::to_string(server_->http_port());
  const auto config = dir_.path() / "slow-dns.yaml";
  test::WriteFile(config, "crawler:\n  plugin_dir: " + std::string(NEWSHOUND_TEST_PLUGIN_DIR) +
                              "\n  user_agent: \"newshound/0.1 (+test)\"\n"
                              "network:\n  dns_servers: [\"" + dns.address() + "\"]\n" + test::kAllowLoopback +
                              "output:\n  jsonl: " + (dir_.path() / "articles.jsonl").string() +
                              "\nsites:\n  - name: test\n    plugin: testsite\n"
                              "    start_urls: [\"http://a.test:" + port + "/\"]\n"
                              "    politeness: {delay: 300ms}\n");
  // The answer comes 400 ms after the question (a wait for the test to
  // set up the slow lookup, not a measurement).
  std::thread slow_answer([&dns] {
    if (dns.WaitForQueries("a.test", 1, std::chrono::seconds(30)))
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
    dns.Release("a.test");
  });
  CliRun run = RunCli({"run", config.string()});
  slow_answer.join();
  ASSERT_TRUE(run.status.success()) << run.err;
  EXPECT_EQ(ReadJsonl(dir_.path() / "articles.jsonl").size(), 2u);
  auto log = ByHost(server_->ReadLog())["a.test"];
  ASSERT_EQ(log.size(), 4u);  // robots.txt, the listing, 2 articles
  EXPECT_EQ(log[0].target, "/robots.txt");
  for (size_t i = 1; i < log.size(); ++i) {
    EXPECT_GE(LogTimeMs(log[i].time) - LogTimeMs(log[i - 1].time), 300 - kLogJitterMs)
        << log[i - 1].target << " then " << log[i].target;
  }
}

// The SSRF guard in a crawl: a page may link or redirect anywhere, but the
// crawl connects only to public addresses and to what network.allow opens,
// checked on the address each hop would connect to (after DNS).
TEST_F(PolitenessTest, Guard_NonPublicAddressesAreRefusedAtEveryHopUnlessAllowed) {
  WriteSite(root_.path(), 4);
  test::DnsServer dns;
  dns.Add("inside.test", "10.0.0.7");  // a public-looking name for a private address
  test::OutletServerOptions options;
  options.root = root_.path();
  options.extra_args = {"--respond", "/articles/2.html=302+Location:http://169.254.169.254/latest/meta-data/",
                        "--respond", "/articles/3.html=302+Location:http://127.0.0.2/articles/3.html",
                        "--respond", "/articles/4.html=301+Location:http://inside.test/articles/4.html"};
  server_ = std::make_unique<test::OutletServer>(options);
  auto write_config = [&](const std::string& name, const std::string& allow) {
    const auto config = dir_.path() / name;
    test::WriteFile(config, "crawler:\n  plugin_dir: " + std::string(NEWSHOUND_TEST_PLUGIN_DIR) +
                                "\nnetwork:\n  dns_servers: [\"" + dns.address() + "\"]\n" + allow +
                                "  resolve:\n    \"a.test:80\": \"127.0.0.1:" + std::to_string(server_->http_port()) +
                                "\"\noutput:\n  jsonl: " + (dir_.path() / (name + ".jsonl")).string() +
                                "\nsites:\n  - name: test\n    plugin: testsite\n"
                                "    hosts: [a.test, 169.254.169.254, 127.0.0.2, inside.test]\n"
                                "    start_urls: [\"http://a.test/\"]\n    retries: {max: 2, base: 10ms}\n"
                                "    politeness: {delay: 0ms}\n");
    return config.string();
  };

  // Opened for 127.0.0.1 only: the pinned outlet is crawled, the three
  // redirects are refused at their hop, without a request.
  const auto summary_path = dir_.path() / "summary.json";
  CliRun run = RunCli({"run", write_config("allowed.yaml", "  allow: [127.0.0.1/32]\n"), "--summary",
                       summary_path.string()});
  ASSERT_TRUE(run.status.success()) << run.status.ToString() << "\n" << run.err;
  const json::object summary = json::parse(test::ReadFile(summary_path)).at("sites").as_array()[0].as_object();
  EXPECT_EQ(Outcome(summary, "blocked_address"), 3) << json::serialize(summary);
  EXPECT_EQ(summary.at("articles_written").as_int64(), 1);
  ExpectOutcomesBalance(summary);
  EXPECT_NE(run.err.find("refused to connect to 169.254.169.254: link-local address, not opened by network.allow"),
            std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("refused to connect to 127.0.0.2: loopback address"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("refused to connect to inside.test at 10.0.0.7: private address"), std::string::npos)
      << run.err;
  // Checked on the address DNS gave (c-ares may ask again when an answer
  // is slow, so at least once).
  EXPECT_GE(dns.Queries("inside.test"), 1u);
  for (const auto& entry : server_->ReadLog()) EXPECT_EQ(entry.host.substr(0, entry.host.find(':')), "a.test");
  EXPECT_EQ(server_->ReadLog().size(), 6u);  // robots.txt, /, 4 articles; no hop went anywhere

  // Not opened: not one request, and the start URL says why.
  const size_t before = server_->ReadLog().size();
  CliRun closed = RunCli({"run", write_config("closed.yaml", ""), "--summary", summary_path.string()});
  ASSERT_TRUE(closed.status.success()) << closed.status.ToString() << "\n" << closed.err;
  const json::object closed_summary = json::parse(test::ReadFile(summary_path)).at("sites").as_array()[0].as_object();
  EXPECT_EQ(Outcome(closed_summary, "blocked_address"), 1) << json::serialize(closed_summary);
  EXPECT_EQ(closed_summary.at("urls_accepted").as_int64(), 1);
  EXPECT_EQ(server_->ReadLog().size(), before);
  EXPECT_NE(closed.err.find("refused to connect to a.test at 127.0.0.1: loopback address, not opened by network.allow"),
            std::string::npos)
      << closed.err;
}

}  // namespace
}  // namespace newshound::e2e
