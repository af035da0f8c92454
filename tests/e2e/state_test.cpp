// The crawl state across runs, crashes and a growing outlet: `newshound run`
// against the bundled outlet served by outlet-server, with crawler.state_dir
// set, killed with SIGKILL and started again, or run again after the outlet
// published something. What the server was asked for is read from its
// request log.
#include <gtest/gtest.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "e2e_support.h"
#include "loopback.h"

namespace newshound::e2e {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr char kOrigin[] = "https://en.almaghribtoday.test";

using test::LogTimeMs;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class CrawlStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A copy of the outlet the test may change between runs.
    fs::copy(OutletDir("almaghribtoday") / "site", site_.path(), fs::copy_options::recursive);
    test::OutletServerOptions options;
    options.root = site_.path();
    options.http = false;
    options.tls = true;
    options.tls_names = {"en.almaghribtoday.test", "second.test"};
    server_ = std::make_unique<test::OutletServer>(options);
  }

  // `site` is added to the site's keys; `more` after the site.
  fs::path WriteConfig(const std::string& delay, const std::string& site = "", const std::string& more = "",
                       const std::string& start_url = "https://en.almaghribtoday.test/") {
    const auto config = dir_.path() / "crawl.yaml";
    test::WriteFile(config, "crawler:\n"
                            "  threads: 2\n"
                            "  max_in_flight: 8\n"
                            "  plugin_dir: " + std::string(NEWSHOUND_PLUGIN_DIR) + "\n"
                            "  state_dir: " + (dir_.path() / "state").string() + "\n"
                            "network:\n" + std::string(test::kAllowLoopback) +
                            "  resolve:\n"
                            "    \"en.almaghribtoday.test:443\": \"127.0.0.1:" + std::to_string(server_->https_port()) + "\"\n"
                            "    \"second.test:443\": \"127.0.0.1:" + std::to_string(server_->https_port()) + "\"\n"
                            "tls:\n"
                            "  ca_file: " + server_->ca_file().string() + "\n"
                            "politeness:\n"
                            "  delay: " + delay + "\n"
                            "  max_crawl_delay: 0s\n"
                            "  max_connections_per_host: 2\n"
                            "output:\n"
                            "  jsonl: " + Output().string() + "\n"
                            // Every finished page committed at once: the
                            // window in which a kill makes a page be fetched
                            // again is then only the answer's own processing.
                            "  flush_interval: 0ms\n"
                            "sites:\n"
                            "  - name: almaghribtoday-en\n"
                            "    plugin: almaghribtoday\n"
                            "    start_urls: [\"" + start_url + "\"]\n" + site + more);
    return config;
  }

  fs::path Output() const { return dir_.path() / "out" / "articles.jsonl"; }

  static std::vector<std::string> ExpectedPaths(const char* file) {
    std::vector<std::string> out;
    for (const auto& record : ReadJsonl(OutletDir("almaghribtoday") / "expected" / file))
      out.emplace_back(record.at("url").as_string());
    return out;
  }

  // Each article of the site once: by URL path, against the outlet's
  // expected list.
  void ExpectEveryArticleOnce(const std::vector<std::string>& extra = {}) {
    std::map<std::string, int> written;
    for (const auto& record : ReadJsonl(Output())) {
      if (record.at("site").as_string() != "almaghribtoday-en") continue;
      std::string url(record.at("url").as_string());
      ++written[url.substr(std::string(kOrigin).size())];
    }
    std::vector<std::string> expected = ExpectedPaths("articles.jsonl");
    expected.insert(expected.end(), extra.begin(), extra.end());
    for (const auto& path : expected) EXPECT_EQ(written[path], 1) << path;
    EXPECT_EQ(written.size(), expected.size());
  }

  test::TempDir site_;
  test::TempDir dir_;
  std::unique_ptr<test::OutletServer> server_;
};

// Killed at random moments and started again each time: in the end every
// article is written exactly once, and no page is fetched twice, but for a
// page the server had answered while the crawler had not yet recorded it
// when it was killed (the only window a crash can hit).
TEST_F(CrawlStateTest, Resume_KilledAtRandomMomentsEndsWithEveryArticleOnce) {
  const auto config = WriteConfig("40ms");
  const unsigned seed = std::random_device{}();
  std::mt19937 random(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  // kills[k] is when the k-th crawl was killed, restarts[k] when the next
  // one was started: an answer the server logged in between went to the
  // killed crawl (one crawl runs at a time), however late the server logged it.
  std::vector<int64_t> kills, restarts;
  int finished_alone = 0;
  for (int attempt = 0; attempt < 6; ++attempt) {
    if (restarts.size() < kills.size()) restarts.push_back(NowMs());
    test::Subprocess crawl({std::string(NEWSHOUND_BIN_DIR) + "/newshound", "run", config.string()});
    const auto after = std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 700)(random));
    if (auto status = crawl.Wait(after)) {
      // Nothing left to do: the crawl ended before this kill.
      ASSERT_TRUE(status->success()) << status->ToString() << crawl.Stderr();
      ++finished_alone;
      break;
    }
    crawl.Kill(SIGKILL);
    kills.push_back(NowMs());
    ASSERT_TRUE(crawl.Wait(std::chrono::seconds(10)));
  }
  EXPECT_FALSE(kills.empty()) << "no kill landed in the crawl";
  if (restarts.size() < kills.size()) restarts.push_back(NowMs());
  CliRun last = RunCli({"run", config.string()});
  ASSERT_TRUE(last.status.success()) << last.status.ToString() << last.err;

  ExpectEveryArticleOnce();

  // Every page answered 200 once, unless its first answer came just before
  // a kill (it was in flight, or between the answer and its commit), or
  // after the kill but before the next crawl started (its request was sent
  // by the killed crawl, and the server logged the answer when that crawl
  // was already gone).
  std::map<std::string, std::vector<int64_t>> answered;
  for (const auto& entry : server_->ReadLog())
    if (entry.status == 200 && entry.target != "/robots.txt") answered[entry.target].push_back(LogTimeMs(entry.time));
  for (const auto& [target, times] : answered) {
    for (size_t i = 0; i + 1 < times.size(); ++i) {
      bool in_flight_at_a_kill = false;
      for (size_t k = 0; k < kills.size(); ++k)
        in_flight_at_a_kill = in_flight_at_a_kill || (kills[k] - times[i] < 500 && times[i] < restarts[k]);
      std::string kills_after;  // how long after this answer each kill came, in ms
      for (int64_t kill : kills) kills_after += " " + std::to_string(kill - times[i]);
      EXPECT_TRUE(in_flight_at_a_kill) << target << " was fetched again after it had been recorded (answered at "
                                       << times[i] << " and " << times[i + 1] << "; kills after the first answer:"
                                       << kills_after << " ms)";
    }
  }
  std::set<std::string> all_pages;
  for (const auto& path : ExpectedPaths("articles.jsonl")) all_pages.insert(path);
  for (const auto& path : ExpectedPaths("listings.jsonl")) all_pages.insert(path);
  for (const auto& page : all_pages) EXPECT_TRUE(answered.count(page)) << page << " was never fetched";
}

// The outlet publishes one article on page 1 of a section between two runs:
// the second run asks for the listing pages again (conditionally; only the
// changed one comes back whole) and for the new article, and writes only it.
TEST_F(CrawlStateTest, Incremental_AGrowingOutletCostsOnlyItsListingsAndNewArticles) {
  const auto config = WriteConfig("0ms");
  CliRun first = RunCli({"run", config.string()});
  ASSERT_TRUE(first.status.success()) << first.status.ToString() << first.err;
  ASSERT_EQ(ReadJsonl(Output()).size(), 25u);
  const size_t first_requests = server_->ReadLog().size();

  // Publish: a new article page, and an item for it at the top of the
  // section's first page.
  const fs::path world = site_.path() / "news" / "world";
  std::string article = test::ReadFile(world / "in-libya-daesh-down-but-not-out-14428.html");
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"in-libya-daesh-down-but-not-out-14428", "a-new-story-99999"},
           {"In Libya, Daesh down but not out", "A new story"}}) {
    for (size_t at; (at = article.find(from)) != std::string::npos;) article.replace(at, from.size(), to);
  }
  test::WriteFile(world / "a-new-story-99999.html", article);
  std::string listing = test::ReadFile(world / "index.html");
  const size_t first_item = listing.find("<div class=\"news-item\">");
  ASSERT_NE(first_item, std::string::npos);
  listing.insert(first_item,
                 "<div class=\"news-item\">\n<div class=\"news-time\">GMT 12:00 2018 Thursday ,25 January</div>\n"
                 "<h2 class=\"news-title\"><a href=\"/news/world/a-new-story-99999.html\">A new story</a></h2>\n</div>\n");
  test::WriteFile(world / "index.html", listing);

  const auto summary_path = dir_.path() / "summary.json";
  CliRun second = RunCli({"run", config.string(), "--summary", summary_path.string()});
  ASSERT_TRUE(second.status.success()) << second.status.ToString() << second.err;
  ExpectEveryArticleOnce({"/news/world/a-new-story-99999.html"});

  const auto log = server_->ReadLog();
  std::set<std::string> listings;
  for (const auto& path : ExpectedPaths("listings.jsonl")) listings.insert(path);
  std::map<std::string, int> status_of;
  for (size_t i = first_requests; i < log.size(); ++i) {
    const auto& entry = log[i];
    if (entry.target == "/robots.txt") continue;
    EXPECT_TRUE(listings.count(entry.target) || entry.target == "/news/world/a-new-story-99999.html")
        << "the second run asked for " << entry.target;
    status_of[entry.target] = entry.status;
  }
  EXPECT_EQ(status_of["/news/world/a-new-story-99999.html"], 200);
  EXPECT_EQ(status_of["/news/world/"], 200);  // changed
  EXPECT_EQ(status_of["/news/"], 304);         // unchanged
  for (const auto& path : listings) EXPECT_TRUE(status_of.count(path)) << path << " was not revisited";

  const auto summary = json::parse(test::ReadFile(summary_path)).as_object().at("total").as_object();
  EXPECT_EQ(summary.at("articles_written").as_int64(), 1);
  EXPECT_EQ(summary.at("outcomes").at("seen_before").as_int64(), 25) << json::serialize(summary);
}

// Sitemaps and feeds are read by the core itself (the plugin never sees
// them): a feed alone leads to the articles it lists.
TEST_F(CrawlStateTest, Discovery_AFeedAloneLeadsToItsArticles) {
  const auto config = WriteConfig("0ms", "", "", "https://en.almaghribtoday.test/rss.xml");
  const auto summary_path = dir_.path() / "summary.json";
  CliRun run = RunCli({"run", config.string(), "--summary", summary_path.string()});
  ASSERT_TRUE(run.status.success()) << run.status.ToString() << run.err;
  EXPECT_NE(run.err.find("rss.xml: rss with 20 page(s)"), std::string::npos) << run.err;
  const auto records = ReadJsonl(Output());
  EXPECT_EQ(records.size(), 20u);  // the feed's 20 items, all articles
  const auto summary = json::parse(test::ReadFile(summary_path)).as_object().at("total").as_object();
  EXPECT_EQ(summary.at("outcomes").at("plugin_error").as_int64(), 0);
  EXPECT_EQ(summary.at("pages_fetched").as_int64(), 21);
}

// The Sitemap: lines of robots.txt lead to the sitemap index, its children,
// and the pages they list; `since` keeps only what is recent enough.
TEST_F(CrawlStateTest, Discovery_RobotsSitemapsWithASinceWindow) {
  // Keep entries from 2018-01-01 on: the window is relative to now.
  const int64_t cutoff_ms = 1514764800000;  // 2018-01-01T00:00:00Z
  const int64_t since_s = (NowMs() - cutoff_ms) / 1000;
  const auto config = WriteConfig("0ms",
                                  "    max_depth: 3\n"  // robots sitemaps (1), index children (2), their pages (3)
                                  "    discovery: {robots_sitemaps: true, since: " + std::to_string(since_s) + "s}\n",
                                  "", "https://en.almaghribtoday.test/static/css/main.css");
  CliRun run = RunCli({"run", config.string()});
  ASSERT_TRUE(run.status.success()) << run.status.ToString() << run.err;
  std::set<std::string> expected;
  for (const auto& record : ReadJsonl(OutletDir("almaghribtoday") / "expected" / "articles.jsonl"))
    if (std::string(record.at("published").as_string()) >= "2018-01-01") expected.insert(std::string(record.at("url").as_string()));
  ASSERT_FALSE(expected.empty());
  std::set<std::string> written;
  for (const auto& record : ReadJsonl(Output()))
    written.insert(std::string(record.at("url").as_string()).substr(std::string(kOrigin).size()));
  EXPECT_EQ(written, expected);
  std::set<std::string> requested;
  for (const auto& entry : server_->ReadLog()) requested.insert(entry.target);
  for (const char* sitemap : {"/sitemap.xml", "/sitemap-news.xml", "/sitemap-articles.xml", "/sitemap-sections.xml"})
    EXPECT_TRUE(requested.count(sitemap)) << sitemap;
}

// Polls until `done` holds (a wait, not a timing assertion); false after
// `limit`.
template <typename Predicate>
bool WaitFor(Predicate done, std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < give_up) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// `newshound serve`: each site runs on its schedule, run after run, until a
// signal; later runs cost only the listing pages (conditional GET) and
// write nothing twice.
TEST_F(CrawlStateTest, Serve_RunsTheSiteOnItsScheduleUntilSigterm) {
  const auto config = WriteConfig("0ms", "    schedule: {every: 1s}\n");
  test::Subprocess serve({std::string(NEWSHOUND_BIN_DIR) + "/newshound", "serve", config.string()});
  auto home_requests = [this] {
    std::vector<int64_t> times;
    for (const auto& entry : server_->ReadLog())
      if (entry.target == "/") times.push_back(LogTimeMs(entry.time));
    return times;
  };
  ASSERT_TRUE(WaitFor([&] { return home_requests().size() >= 3 || !serve.Running(); })) << serve.Stderr();
  ASSERT_TRUE(serve.Running()) << serve.Stderr();
  serve.Kill(SIGTERM);
  auto status = serve.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 130) << status->ToString() << serve.Stderr();

  // Runs start a schedule slot apart, never sooner. (From the second run
  // on: the first one asked for robots.txt before the home page, later
  // ones have it cached, so their home page request is the run's start.)
  const auto times = home_requests();
  ASSERT_GE(times.size(), 3u);
  for (size_t i = 2; i < times.size(); ++i) EXPECT_GE(times[i] - times[i - 1], 1000 - 10) << "run " << i + 1;
  ExpectEveryArticleOnce();
  EXPECT_NE(serve.Stderr().find("run 2 finished"), std::string::npos) << serve.Stderr();
  // The later runs asked for the home page conditionally and got 304.
  int not_modified = 0;
  for (const auto& entry : server_->ReadLog()) not_modified += entry.target == "/" && entry.status == 304;
  EXPECT_GE(not_modified, 2);
}

// SIGHUP: a config that does not load is refused with its error and the old
// one keeps running; a good one takes over (here: a second site).
TEST_F(CrawlStateTest, Serve_SighupRefusesABadConfigAndTakesAGoodOne) {
  const std::string schedule = "    schedule: {every: 1s}\n";
  const auto config = WriteConfig("0ms", schedule);
  test::Subprocess serve({std::string(NEWSHOUND_BIN_DIR) + "/newshound", "serve", config.string()});
  auto requests_of = [this](const std::string& host) {
    size_t n = 0;
    for (const auto& entry : server_->ReadLog()) n += entry.host.rfind(host, 0) == 0 && entry.target == "/";
    return n;
  };
  ASSERT_TRUE(WaitFor([&] { return requests_of("en.almaghribtoday.test") >= 1 || !serve.Running(); }));

  test::WriteFile(config, test::ReadFile(config) + "crawler_typo: {}\n");
  serve.Kill(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return serve.Stderr().find("new config refused") != std::string::npos; }))
      << serve.Stderr();
  EXPECT_NE(serve.Stderr().find(config.string() + ":"), std::string::npos) << serve.Stderr();  // names file:line
  const size_t before = requests_of("en.almaghribtoday.test");
  ASSERT_TRUE(WaitFor([&] { return requests_of("en.almaghribtoday.test") > before || !serve.Running(); }))
      << "the old config stopped running";
  ASSERT_TRUE(serve.Running()) << serve.Stderr();

  WriteConfig("0ms", schedule,
              "  - name: second\n"
              "    plugin: almaghribtoday\n"
              "    start_urls: [\"https://second.test/\"]\n"
              "    max_pages: 1\n" + schedule);
  serve.Kill(SIGHUP);
  ASSERT_TRUE(WaitFor([&] { return requests_of("second.test") >= 1 || !serve.Running(); })) << serve.Stderr();
  EXPECT_NE(serve.Stderr().find("reloaded"), std::string::npos) << serve.Stderr();
  serve.Kill(SIGTERM);
  auto status = serve.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 130) << status->ToString() << serve.Stderr();
  ExpectEveryArticleOnce();
}

}  // namespace
}  // namespace newshound::e2e
