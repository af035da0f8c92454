// Distributed crawling on Redis (frontier.backend: redis, docs/distributed.md):
// several real `newshound run` processes share one crawl through a real
// redis-server that each test starts on its own port. What must hold: the
// union of the workers' outputs is every article exactly once; a worker
// killed mid-crawl loses nothing (its leases expire, its URLs come back);
// the server never sees a host asked faster than its delay, whichever
// worker asks; a Redis restart (AOF on) is waited out and the crawl ends.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "e2e_support.h"
#include "loopback.h"
#include "distributed/redis_client.h"
#include "redis_server.h"

namespace newshound::e2e {
namespace {

namespace fs = std::filesystem;
using test::LogTimeMs;

// As in politeness_test.cpp: the server's log stamps shift by a few ms.
constexpr int64_t kLogJitterMs = 25;

std::string Letter(int h) { return std::string(1, static_cast<char>('a' + h)); }

// A generated site over plain HTTP: hosts a.test, b.test, ... each with
// paginated listings /<letter>/page/<k>/ of `per_page` article links (and
// the next page), articles /articles/<n>.html numbered across hosts (every
// host serves the same tree; the URL's host makes each page its own).
struct GeneratedSite {
  int hosts = 0;
  int articles_per_host = 0;
  std::set<std::string> articles;  // every article URL
  std::set<std::string> pages;     // every URL, listings included
};

GeneratedSite WriteGeneratedSite(const fs::path& root, int hosts, int articles_per_host, int per_page = 100) {
  GeneratedSite site;
  site.hosts = hosts;
  site.articles_per_host = articles_per_host;
  for (int h = 0; h < hosts; ++h) {
    const std::string host = Letter(h) + ".test";
    const int pages = (articles_per_host + per_page - 1) / per_page;
    for (int page = 1; page <= pages; ++page) {
      const std::string path = "/" + Letter(h) + "/page/" + std::to_string(page) + "/";
      std::string html = "<html><head><title>" + host + " page " + std::to_string(page) + "</title></head><body><ul>";
      for (int i = (page - 1) * per_page + 1; i <= std::min(page * per_page, articles_per_host); ++i) {
        const int n = h * articles_per_host + i;
        const std::string article = "/articles/" + std::to_string(n) + ".html";
        html += "<li><a href=\"" + article + "\">Article " + std::to_string(n) + "</a></li>";
        if (h == 0 || !fs::exists(root / ("articles/" + std::to_string(n) + ".html")))
          test::WriteFile(root / ("articles/" + std::to_string(n) + ".html"),
                          "<html><head><title>Article " + std::to_string(n) + "</title></head><body><p>Text of article " +
                              std::to_string(n) + ".</p></body></html>");
        site.articles.insert("http://" + host + article);
        site.pages.insert("http://" + host + article);
      }
      if (page < pages) html += "<a href=\"/" + Letter(h) + "/page/" + std::to_string(page + 1) + "/\">next</a>";
      html += "</ul></body></html>";
      test::WriteFile(root / (Letter(h) + "/page/" + std::to_string(page) + "/index.html"), html);
      site.pages.insert("http://" + host + path);
    }
  }
  return site;
}

class DistributedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::RedisServerAvailable()) GTEST_SKIP() << "redis-server is not installed (tools/quickstart installs it)";
  }

  // One worker's config: its own output and local state, the shared crawl.
  fs::path WorkerConfig(int worker, const std::string& redis_url, const std::string& body) {
    const fs::path config = dir_.path() / ("worker" + std::to_string(worker) + ".yaml");
    test::WriteFile(config, "crawler:\n"
                            "  threads: 1\n"
                            "  parse_threads: 1\n"
                            "  progress_interval: 0s\n"
                            "  state_dir: " + (dir_.path() / ("state" + std::to_string(worker))).string() + "\n" +
                            crawler_extra_ +
                            "frontier:\n"
                            "  backend: redis\n"
                            "  redis: " + redis_url + "\n"
                            "  crawl: test\n" + frontier_extra_ +
                            "output:\n"
                            "  jsonl: " + Output(worker).string() + "\n" + body);
    return config;
  }

  fs::path Output(int worker) const { return dir_.path() / ("out" + std::to_string(worker) + ".jsonl"); }

  // URL -> how many times it was written, over every worker's output.
  std::map<std::string, int> Union(int workers) const {
    std::map<std::string, int> written;
    for (int w = 1; w <= workers; ++w) {
      if (!fs::exists(Output(w))) continue;
      for (const auto& record : ReadJsonl(Output(w))) ++written[std::string(record.at("url").as_string())];
    }
    return written;
  }

  // Every URL of `expected` written exactly once over the outputs of
  // `workers` workers, and nothing else.
  void ExpectEveryArticleOnce(const std::set<std::string>& expected, int workers) const {
    const auto written = Union(workers);
    EXPECT_EQ(written.size(), expected.size());
    for (const auto& url : expected) EXPECT_EQ(written.count(url) ? written.at(url) : 0, 1) << url;
    for (const auto& [url, times] : written) EXPECT_EQ(times, 1) << url << " written " << times << " times";
  }

  // Configs for workers 1..n of one crawl.
  std::vector<fs::path> WorkerConfigs(int n, const std::string& redis_url, const std::string& body) {
    std::vector<fs::path> configs;
    for (int w = 1; w <= n; ++w) configs.push_back(WorkerConfig(w, redis_url, body));
    return configs;
  }

  // The config of the generated site on `server`, for the testsite plugin.
  std::string GeneratedSiteConfig(const GeneratedSite& site, const test::OutletServer& server,
                                  const std::string& politeness) const {
    std::string resolve, hosts, start_urls;
    for (int h = 0; h < site.hosts; ++h) {
      resolve += "    \"" + Letter(h) + ".test:80\": \"127.0.0.1:" + std::to_string(server.http_port()) + "\"\n";
      hosts += std::string(h ? ", " : "") + Letter(h) + ".test";
      start_urls += std::string(h ? ", " : "") + "\"http://" + Letter(h) + ".test/" + Letter(h) + "/page/1/\"";
    }
    return "network:\n" + std::string(test::kAllowLoopback) + "  resolve:\n" + resolve + "politeness:\n" + politeness +
           "sites:\n  - name: generated\n    plugin: testsite\n    hosts: [" + hosts + "]\n    start_urls: [" +
           start_urls + "]\n";
  }

  // The bundled outlet (English edition) over HTTPS.
  static test::OutletServerOptions OutletOptions() {
    test::OutletServerOptions options;
    options.root = OutletDir("almaghribtoday") / "site";
    options.http = false;
    options.tls = true;
    options.tls_names = {"en.almaghribtoday.test"};
    return options;
  }

  // The outlet's site in a worker's config; `politeness` and `site` are
  // added to those sections.
  static std::string OutletSiteConfig(const test::OutletServer& server, const std::string& politeness,
                                      const std::string& site) {
    return "network:\n" + std::string(test::kAllowLoopback) + "  resolve:\n    \"en.almaghribtoday.test:443\": \"127.0.0.1:" +
           std::to_string(server.https_port()) + "\"\ntls:\n  ca_file: " + server.ca_file().string() +
           "\npoliteness:\n  delay: 10ms\n  max_crawl_delay: 10ms\n" + politeness +
           "sites:\n  - name: almaghribtoday-en\n    plugin: almaghribtoday\n"
           "    start_urls: [\"https://en.almaghribtoday.test/\"]\n" + site;
  }

  std::vector<std::unique_ptr<test::Subprocess>> StartWorkers(const std::vector<fs::path>& configs) {
    std::vector<std::unique_ptr<test::Subprocess>> workers;
    for (const auto& config : configs)
      workers.push_back(std::make_unique<test::Subprocess>(
          std::vector<std::string>{std::string(NEWSHOUND_BIN_DIR) + "/newshound", "run", config.string()}));
    return workers;
  }

  static void ExpectAllSucceed(std::vector<std::unique_ptr<test::Subprocess>>& workers, size_t skip = SIZE_MAX,
                               std::chrono::seconds timeout = std::chrono::seconds(180)) {
    for (size_t i = 0; i < workers.size(); ++i) {
      if (i == skip) continue;
      auto status = workers[i]->Wait(timeout);
      if (!status) status = workers[i]->Terminate(SIGKILL);
      const std::string err = workers[i]->Stderr();
      EXPECT_TRUE(status->success()) << "worker " << i + 1 << ": " << status->ToString() << "\n"
                                     << err.substr(err.size() > 4000 ? err.size() - 4000 : 0);
    }
  }

  test::TempDir dir_;
  std::string crawler_extra_;
  std::string frontier_extra_;
};

// The bundled outlet over HTTPS, three workers at once: every article of
// the expected list once in the union of their outputs, every page asked
// once of the server, robots.txt once (the others read it from Redis).
TEST_F(DistributedTest, ThreeWorkers_TheOutlet_EveryArticleOnceInTheUnionAndEveryPageAskedOnce) {
  test::RedisServer redis;
  test::OutletServer server(OutletOptions());
  crawler_extra_ = "  plugin_dir: " + std::string(NEWSHOUND_PLUGIN_DIR) + "\n";
  const std::string site = OutletSiteConfig(server, "  max_connections_per_host: 2\n", "");
  const auto configs = WorkerConfigs(3, redis.url(), site);
  auto workers = StartWorkers(configs);
  ExpectAllSucceed(workers);

  const auto written = Union(3);
  std::set<std::string> expected;
  for (const auto& record : ReadJsonl(OutletDir("almaghribtoday") / "expected" / "articles.jsonl"))
    expected.insert("https://en.almaghribtoday.test" + std::string(record.at("url").as_string()));
  for (const auto& url : expected) EXPECT_EQ(written.count(url) ? written.at(url) : 0, 1) << url;
  for (const auto& [url, times] : written) {
    EXPECT_TRUE(expected.count(url)) << url << " is not an article of the outlet";
    EXPECT_EQ(times, 1) << url << " written " << times << " times";
  }
  std::map<std::string, int> asked;
  for (const auto& entry : server.ReadLog()) ++asked[entry.target];
  for (const auto& [target, times] : asked) EXPECT_EQ(times, 1) << target << " asked " << times << " times";
  EXPECT_EQ(asked["/robots.txt"], 1);
}

// Two `serve` workers with a schedule: each run of the site is one shared
// run that both join (one starts it), and over several runs every article
// is written once in all.
TEST_F(DistributedTest, Serve_TwoWorkersShareEachScheduledRunAndWriteEachArticleOnce) {
  test::RedisServer redis;
  test::OutletServer server(OutletOptions());
  crawler_extra_ = "  plugin_dir: " + std::string(NEWSHOUND_PLUGIN_DIR) + "\n";
  const std::string site = OutletSiteConfig(server, "", "    schedule: {every: 2s}\n");
  std::vector<std::unique_ptr<test::Subprocess>> workers;
  for (int w = 1; w <= 2; ++w)
    workers.push_back(std::make_unique<test::Subprocess>(std::vector<std::string>{
        std::string(NEWSHOUND_BIN_DIR) + "/newshound", "serve", WorkerConfig(w, redis.url(), site).string()}));
  auto finished_runs = [](const std::string& err) {
    int runs = 0;
    for (size_t at = 0; (at = err.find(": run ", at)) != std::string::npos; ++at)
      if (err.compare(err.find(' ', at + 6), 10, " finished:") == 0) ++runs;
    return runs;
  };
  for (int i = 0; i < 600 && (finished_runs(workers[0]->Stderr()) < 3 || finished_runs(workers[1]->Stderr()) < 3); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (auto& worker : workers) worker->Kill(SIGTERM);
  for (auto& worker : workers) {
    auto status = worker->Wait(std::chrono::seconds(30));
    ASSERT_TRUE(status);
    EXPECT_EQ(status->exit_code, 130) << status->ToString() << worker->Stderr();  // stopped by the signal
  }
  for (int run = 1; run <= 3; ++run) {
    const std::string joined = "joined shared run " + std::to_string(run) + " ";
    const std::string started = "started shared run " + std::to_string(run) + " ";
    const std::string a = workers[0]->Stderr(), b = workers[1]->Stderr();
    EXPECT_TRUE((a.find(started) != std::string::npos && b.find(joined) != std::string::npos) ||
                (b.find(started) != std::string::npos && a.find(joined) != std::string::npos))
        << "run " << run << " was not one run shared by both workers:\n" << a << "\n---\n" << b;
  }
  const auto written = Union(2);
  EXPECT_EQ(written.size(), 25u);
  for (const auto& [url, times] : written) EXPECT_EQ(times, 1) << url;
}

// 5,000 articles (and 50 listing pages) over five hosts, three workers:
// the union is the whole site once, every page was asked once, and the
// work was shared (every worker fetched some of it).
TEST_F(DistributedTest, ThreeWorkers_AGeneratedSiteOf5000Articles_TheUnionIsEveryArticleOnce) {
  test::TempDir root;
  const GeneratedSite site = WriteGeneratedSite(root.path(), 5, 1000);
  test::RedisServer redis;
  test::OutletServerOptions options;
  options.root = root.path();
  test::OutletServer server(options);
  crawler_extra_ = "  plugin_dir: " + std::string(NEWSHOUND_TEST_PLUGIN_DIR) + "\n  max_in_flight: 32\n";
  const std::string body = GeneratedSiteConfig(site, server, "  delay: 0ms\n  max_connections_per_host: 4\n");
  const auto configs = WorkerConfigs(3, redis.url(), body);
  auto workers = StartWorkers(configs);
  ExpectAllSucceed(workers);

  ExpectEveryArticleOnce(site.articles, 3);
  for (int w = 1; w <= 3; ++w) EXPECT_GT(ReadJsonl(Output(w)).size(), 0u) << "worker " << w << " wrote nothing";
  std::map<std::string, int> asked;
  for (const auto& entry : server.ReadLog())
    if (entry.target != "/robots.txt") ++asked["http://" + entry.host.substr(0, entry.host.find(':')) + entry.target];
  EXPECT_EQ(asked.size(), site.pages.size());
  for (const auto& [url, times] : asked) EXPECT_EQ(times, 1) << url << " asked " << times << " times";
}

// Four hosts with a 150 ms delay, leases of a few URLs so that hosts move
// from worker to worker: in the server's log no host is asked sooner than
// its delay after the request before, whichever worker sent each.
TEST_F(DistributedTest, Politeness_AcrossWorkersNoHostIsAskedSoonerThanItsDelay) {
  test::TempDir root;
  const GeneratedSite site = WriteGeneratedSite(root.path(), 4, 24, 12);
  test::RedisServer redis;
  test::OutletServerOptions options;
  options.root = root.path();
  test::OutletServer server(options);
  crawler_extra_ = "  plugin_dir: " + std::string(NEWSHOUND_TEST_PLUGIN_DIR) + "\n";
  frontier_extra_ = "  claim_batch: 3\n";
  constexpr int64_t kDelayMs = 150;
  const std::string body = GeneratedSiteConfig(site, server, "  delay: 150ms\n  max_connections_per_host: 1\n");
  const auto configs = WorkerConfigs(3, redis.url(), body);
  auto workers = StartWorkers(configs);
  ExpectAllSucceed(workers);

  ExpectEveryArticleOnce(site.articles, 3);
  std::map<std::string, std::vector<test::OutletLogEntry>> by_host;
  for (auto& entry : server.ReadLog()) by_host[entry.host].push_back(entry);
  ASSERT_EQ(by_host.size(), 4u);
  // Every pair, across workers or not: the delay counts from when a
  // request was written, so a connection's setup (slow under ASan and on a
  // loaded machine) does not come out of the gap after its first request,
  // and a host handed over waits a delay from the end of its last response.
  int handovers = 0;
  for (const auto& [host, entries] : by_host) {
    for (size_t i = 1; i < entries.size(); ++i) {
      handovers += entries[i].conn_id != entries[i - 1].conn_id;
      const int64_t gap = LogTimeMs(entries[i].time) - LogTimeMs(entries[i - 1].time);
      EXPECT_GE(gap, kDelayMs - kLogJitterMs) << host << ": " << entries[i - 1].target << " then " << entries[i].target;
    }
  }
  EXPECT_GT(handovers, 0) << "no host changed connection, so none changed worker";
  // The hosts did move between workers: some host's articles were written
  // by more than one of them.
  std::map<std::string, std::set<int>> writers;
  for (int w = 1; w <= 3; ++w)
    for (const auto& record : ReadJsonl(Output(w))) {
      const std::string url(record.at("url").as_string());
      writers[url.substr(0, url.find('/', 7))].insert(w);
    }
  const bool shared = std::any_of(writers.begin(), writers.end(), [](const auto& host) { return host.second.size() > 1; });
  EXPECT_TRUE(shared) << "no host was served by more than one worker: the test shows nothing";
}

// A worker SIGKILLed mid-crawl: the two others end with the whole site in
// the union of the three outputs (the killed one's included), once each:
// its leases expired and its URLs in flight were fetched by the others.
// The first worker crawls alone until it has written some articles and is
// killed at a moment it has URLs in flight; then the two others start.
TEST_F(DistributedTest, Sigkill_OneWorkerKilledMidCrawl_TheOthersEndCompleteWithNoDuplicates) {
  test::TempDir root;
  const GeneratedSite site = WriteGeneratedSite(root.path(), 4, 300, 50);
  test::RedisServer redis;
  test::OutletServerOptions options;
  options.root = root.path();
  options.delay_ms = 5;  // long enough for the kill to land mid-crawl
  test::OutletServer server(options);
  crawler_extra_ = "  plugin_dir: " + std::string(NEWSHOUND_TEST_PLUGIN_DIR) + "\n  max_in_flight: 16\n";
  frontier_extra_ = "  lease_ttl: 2s\n  claim_batch: 8\n";
  const std::string body = GeneratedSiteConfig(site, server, "  delay: 0ms\n  max_connections_per_host: 2\n");
  const auto configs = WorkerConfigs(3, redis.url(), body);
  auto workers = StartWorkers({configs[0]});
  for (int i = 0; i < 400 && (!fs::exists(Output(1)) || ReadJsonl(Output(1)).size() < 20); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  ASSERT_TRUE(workers[0]->Running()) << "worker 1 ended before the kill: " << workers[0]->Stderr();
  // Killed while it has URLs in flight in Redis (taken, their outcome not
  // yet flushed; right after one of its flushes it may briefly have none),
  // and alone, so that they are its own.
  distributed::RedisClient inspect(*distributed::ParseRedisUrl(redis.url()), distributed::RedisOptions{});
  ASSERT_TRUE(inspect.Connect().ok());
  auto in_flight = [&] {
    int64_t total = 0;
    auto keys = inspect.Call({"KEYS", "{nh:test}:inflight:*"});
    if (keys.ok())
      for (const auto& key : keys->elements) total += inspect.Call({"HLEN", key.text})->integer;
    return total;
  };
  for (int i = 0; i < 2000 && in_flight() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  workers[0]->Kill(SIGKILL);
  ASSERT_TRUE(workers[0]->Wait(std::chrono::seconds(10)));
  ASSERT_GT(in_flight(), 0) << "worker 1 had no URLs in flight when it was killed";
  auto others = StartWorkers({configs[1], configs[2]});
  for (auto& other : others) workers.push_back(std::move(other));
  ExpectAllSucceed(workers, /*skip=*/0);

  ExpectEveryArticleOnce(site.articles, 3);
  const std::string err = workers[1]->Stderr() + workers[2]->Stderr();
  EXPECT_NE(err.find("that a worker left in flight queued again"), std::string::npos)
      << "no worker took over the killed one's URLs in flight";
}

// A worker stopped by SIGTERM mid-crawl gives back what it held at once
// (no lease to wait for): a worker started after it ends the crawl, and the
// union of the two outputs is the whole site once.
TEST_F(DistributedTest, Sigterm_AStoppedWorkerGivesItsHostsBackAndAnotherEndsTheCrawl) {
  test::TempDir root;
  const GeneratedSite site = WriteGeneratedSite(root.path(), 4, 200, 50);
  test::RedisServer redis;
  test::OutletServerOptions options;
  options.root = root.path();
  options.delay_ms = 5;
  test::OutletServer server(options);
  crawler_extra_ = "  plugin_dir: " + std::string(NEWSHOUND_TEST_PLUGIN_DIR) + "\n  max_in_flight: 16\n";
  frontier_extra_ = "  lease_ttl: 60s\n";  // a lease left behind would stall the second worker for a minute
  const std::string body = GeneratedSiteConfig(site, server, "  delay: 0ms\n  max_connections_per_host: 2\n");
  const fs::path first = WorkerConfig(1, redis.url(), body);
  const fs::path second = WorkerConfig(2, redis.url(), body);
  auto workers = StartWorkers({first});
  for (int i = 0; i < 400 && (!fs::exists(Output(1)) || ReadJsonl(Output(1)).size() < 20); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  ASSERT_TRUE(workers[0]->Running()) << "worker 1 ended before it was stopped: " << workers[0]->Stderr();
  workers[0]->Kill(SIGTERM);
  auto stopped = workers[0]->Wait(std::chrono::seconds(30));
  ASSERT_TRUE(stopped);
  const size_t by_first = ReadJsonl(Output(1)).size();
  ASSERT_LT(by_first, site.articles.size()) << "worker 1 finished the crawl before it was stopped";

  const auto start = std::chrono::steady_clock::now();
  auto rest = StartWorkers({second});
  ExpectAllSucceed(rest, SIZE_MAX, std::chrono::seconds(50));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(50)) << "the second worker waited for a lease";

  ExpectEveryArticleOnce(site.articles, 2);
  EXPECT_GT(ReadJsonl(Output(2)).size(), 0u);
}

// Redis stopped for a second mid-crawl and started again on its AOF: the
// workers wait for it (reconnecting with backoff) and the crawl ends
// complete, once each.
TEST_F(DistributedTest, RedisRestartedMidCrawl_WorkersReconnectAndTheCrawlCompletes) {
  test::TempDir root;
  const GeneratedSite site = WriteGeneratedSite(root.path(), 4, 100, 25);
  test::RedisServer redis(test::RedisServerOptions{.append_only = true});
  test::OutletServerOptions options;
  options.root = root.path();
  test::OutletServer server(options);
  crawler_extra_ = "  plugin_dir: " + std::string(NEWSHOUND_TEST_PLUGIN_DIR) + "\n";
  const std::string body = GeneratedSiteConfig(site, server, "  delay: 20ms\n  max_connections_per_host: 1\n");
  const auto configs = WorkerConfigs(3, redis.url(), body);
  auto workers = StartWorkers(configs);
  for (int i = 0; i < 400 && Union(3).size() < 40; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  const size_t before = Union(3).size();
  ASSERT_LT(before, site.articles.size()) << "the crawl ended before the restart";
  redis.Restart(std::chrono::milliseconds(1000));
  ExpectAllSucceed(workers);

  ExpectEveryArticleOnce(site.articles, 3);
  std::string err;
  for (auto& worker : workers) err += worker->Stderr();
  EXPECT_NE(err.find("connected again"), std::string::npos) << "no worker saw Redis go away";
}

}  // namespace
}  // namespace newshound::e2e
