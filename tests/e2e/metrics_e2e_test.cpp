// The metrics endpoint of a real crawl: `newshound serve` and `newshound run
// --metrics` crawling the bundled outlet served by outlet-server over HTTPS,
// scraped over loopback while and after they crawl. Every figure is checked
// against what the crawl did, as the outlet's request log and the JSONL
// output tell it, and the status page, loaded in headless Chromium
// (tests/support/chromium.h), must show the same figures as /metrics. A
// screenshot is kept (NEWSHOUND_TEST_ARTIFACT_DIR/status-page-serve.png).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>
#include <thread>

#include "chromium.h"
#include "e2e_support.h"
#include "loopback.h"
#include "metrics_test_support.h"
#include "status_page_dom.h"

#ifndef NEWSHOUND_TEST_ARTIFACT_DIR
#error "NEWSHOUND_TEST_ARTIFACT_DIR must name the directory for test artifacts"
#endif

namespace newshound::e2e {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;
using test::PromSample;
using test::PromText;
using namespace std::chrono_literals;

constexpr char kSite[] = "almaghribtoday-en";
constexpr char kDownSite[] = "down";
constexpr char kDownHost[] = "down.test";    // resolves to a closed loopback port
constexpr char kBrokenSite[] = "broken";
constexpr char kBrokenHost[] = "second.test";  // outlet-server answers 503 to everything

double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Polls until `done` holds (a wait, not a timing assertion); false after
// `limit`.
template <typename Predicate>
bool WaitFor(Predicate done, std::chrono::milliseconds limit = 60s) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < give_up) {
    if (done()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return done();
}

// The "message" of every JSON log line (--log-format json) on `stderr_text`;
// other lines (the CLI's own report) are skipped.
std::vector<std::string> LogMessages(const std::string& stderr_text) {
  std::vector<std::string> messages;
  std::size_t start = 0;
  while (start < stderr_text.size()) {
    std::size_t end = stderr_text.find('\n', start);
    if (end == std::string::npos) break;  // being written
    const std::string line = stderr_text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] != '{') continue;
    boost::system::error_code ec;
    json::value record = json::parse(line, ec);
    if (ec || !record.is_object()) continue;
    if (const json::value* message = record.as_object().if_contains("message"); message && message->is_string()) {
      messages.emplace_back(message->as_string());
    }
  }
  return messages;
}

bool Logged(const test::Subprocess& process, const std::string& text) {
  for (const std::string& message : LogMessages(process.Stderr()))
    if (message.find(text) != std::string::npos) return true;
  return false;
}

// The port of "metrics: http://127.0.0.1:PORT/metrics, status page
// http://127.0.0.1:PORT/", once logged; 0 before.
uint16_t MetricsPort(const test::Subprocess& process) {
  const std::string prefix = "metrics: http://127.0.0.1:";
  for (const std::string& message : LogMessages(process.Stderr())) {
    if (message.rfind(prefix, 0) != 0) continue;
    const std::size_t end = message.find("/metrics", prefix.size());
    if (end == std::string::npos) continue;
    const int port = std::stoi(message.substr(prefix.size(), end - prefix.size()));
    EXPECT_NE(message.find("status page http://127.0.0.1:" + std::to_string(port) + "/"), std::string::npos)
        << message;
    return static_cast<uint16_t>(port);
  }
  return 0;
}

PromText Scrape(uint16_t port) {
  const test::HttpResponse response = test::HttpGet(port, "/metrics");
  if (response.status != 200) throw std::runtime_error("/metrics answered " + std::to_string(response.status));
  return test::ParsePrometheusText(response.body);
}

double Sum(const PromText& metrics, const std::string& name, const std::map<std::string, std::string>& subset) {
  double sum = 0;
  for (const PromSample& sample : metrics.All(name, subset)) sum += sample.value;
  return sum;
}

// True if nothing accepts connections on 127.0.0.1:port any more.
bool Closed(uint16_t port) {
  try {
    test::RawHttpClient client(port, false, 2s);
    return false;
  } catch (const std::runtime_error&) {
    return true;
  }
}

class MetricsE2eTest : public ::testing::Test {
 protected:
  // outlet-server over HTTPS for the outlet's host and second.test, with
  // `respond` rules (tools/outlet-server/script.h).
  void StartOutlet(std::vector<std::string> respond = {}) {
    test::OutletServerOptions options;
    options.root = OutletDir("almaghribtoday") / "site";
    options.http = false;
    options.tls = true;
    options.tls_names = {"en.almaghribtoday.test", kBrokenHost};
    options.respond = std::move(respond);
    server_ = std::make_unique<test::OutletServer>(options);
  }

  // A config crawling the outlet (site kSite, plus `more_sites`), into a
  // JSONL file; `top` is added at the top level (metrics:, retries:).
  fs::path WriteConfig(const std::string& delay, const std::string& site_keys, const std::string& top,
                       const std::string& more_sites = "") {
    const auto config = dir_.path() / "crawl.yaml";
    const std::string outlet = "127.0.0.1:" + std::to_string(server_->https_port());
    test::WriteFile(config, "crawler:\n"
                            "  threads: 2\n"
                            "  max_in_flight: 8\n"
                            "  plugin_dir: " + std::string(NEWSHOUND_PLUGIN_DIR) + "\n"
                            "  state_dir: " + (dir_.path() / "state").string() + "\n"
                            "network:\n" + std::string(test::kAllowLoopback) +
                            "  resolve:\n"
                            "    \"en.almaghribtoday.test:443\": \"" + outlet + "\"\n"
                            "    \"" + kBrokenHost + ":443\": \"" + outlet + "\"\n"
                            "    \"" + kDownHost + ":443\": \"127.0.0.1:" + std::to_string(test::ClosedPort()) + "\"\n"
                            "tls:\n"
                            "  ca_file: " + server_->ca_file().string() + "\n"
                            "politeness:\n"
                            "  delay: " + delay + "\n"
                            "  max_crawl_delay: " + delay + "\n"
                            "  max_connections_per_host: 2\n"
                            "output:\n"
                            "  jsonl: " + Output().string() + "\n" + top +
                            "sites:\n"
                            "  - name: " + kSite + "\n"
                            "    plugin: almaghribtoday\n"
                            "    start_urls: [\"https://en.almaghribtoday.test/\"]\n" + site_keys + more_sites);
    return config;
  }

  fs::path Output() const { return dir_.path() / "out" / "articles.jsonl"; }

  std::vector<std::string> Cli(const std::string& command, const fs::path& config,
                               const std::vector<std::string>& more = {}) const {
    // "--log-format=json", not "--log-format json": main.cpp's check for an
    // unknown command takes a separate "json" for the command.
    std::vector<std::string> argv = {std::string(NEWSHOUND_BIN_DIR) + "/newshound", "--log-format=json", command,
                                     config.string()};
    argv.insert(argv.end(), more.begin(), more.end());
    return argv;
  }

  // The outlet's request log once it has `n` lines (it is written as the
  // server finishes each response, which may come just after the client
  // has it); as it is after 5 s otherwise.
  std::vector<test::OutletLogEntry> LogOf(std::size_t n) const {
    WaitFor([&] { return server_->ReadLog().size() >= n; }, 5s);
    return server_->ReadLog();
  }

  // The status page at `port` as Chromium renders it, with the scrape
  // taken right after it; every figure shown must equal the scrape (a serve
  // between runs does not change). The screenshot goes to artifacts/`png`.
  test::Figures LoadStatusPage(uint16_t port, const std::string& png_name, std::string& dom, PromText& metrics) {
    const fs::path chromium = test::FindChromium();
    if (chromium.empty()) throw std::runtime_error(test::kChromiumMissing);
    const std::vector<pid_t> children_before = test::ChildProcesses();
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
    test::TempDir scratch("newshound-chromium");
    const test::ChromiumRun dump = test::DumpDom(chromium, scratch / "dump", url);
    EXPECT_EQ(dump.exit_code, 0) << "chromium --dump-dom failed; stderr:\n" << dump.stderr_text;
    dom = dump.stdout_text;
    const fs::path artifacts = NEWSHOUND_TEST_ARTIFACT_DIR;
    fs::create_directories(artifacts);
    test::WriteFile(artifacts / (fs::path(png_name).stem().string() + ".html"), dom);
    if (dom.find("<title>newshound status</title>") == std::string::npos) {
      throw std::runtime_error("not the status page; chromium printed:\n" + dom.substr(0, 2000) + "\nstderr:\n" +
                               dump.stderr_text);
    }
    metrics = Scrape(port);
    test::Figures figures = test::ExpectPageShowsTheMetrics(dom, metrics);

    const fs::path png = artifacts / png_name;
    std::error_code ignored;
    fs::remove(png, ignored);
    const test::ChromiumRun shot = test::Screenshot(chromium, scratch / "shot", url, png, 1200, 800);
    EXPECT_EQ(shot.exit_code, 0) << "chromium --screenshot failed; stderr:\n" << shot.stderr_text;
    const std::string bytes = fs::exists(png) ? test::ReadFile(png) : "";
    uint32_t width = 0;
    uint32_t height = 0;
    EXPECT_TRUE(test::IsPng(bytes, width, height)) << png << " is not a PNG (" << bytes.size() << " bytes)";
    EXPECT_EQ(width, 1200u);
    EXPECT_EQ(height, 800u);
    EXPECT_GT(bytes.size(), 10'000u) << "a blank page compresses to almost nothing";
    std::printf("status page screenshot: %s\n", png.c_str());
    EXPECT_EQ(test::ChildProcesses(), children_before) << "chromium left processes behind";
    return figures;
  }

  test::TempDir dir_;
  std::unique_ptr<test::OutletServer> server_;
};

// serve, after its first run of the whole outlet: every figure of /metrics
// is what the crawl did (the outlet's request log, the JSONL output, the
// schedule), the status page in a browser shows the same, and SIGTERM takes
// the endpoint down with the process.
TEST_F(MetricsE2eTest, Serve_MetricsAndStatusPageTellWhatTheFirstRunDid) {
  StartOutlet();
  const auto config = WriteConfig("0ms", "    schedule: {every: 1h}\n", "metrics:\n  listen: 127.0.0.1:0\n");
  const double test_start = NowSeconds();
  test::Subprocess serve(Cli("serve", config));
  const std::string finished = std::string("site ") + kSite + ": run 1 finished";
  ASSERT_TRUE(WaitFor([&] { return Logged(serve, finished) || !serve.Running(); })) << serve.Stderr();
  ASSERT_TRUE(serve.Running()) << serve.exit_status()->ToString() << "\n" << serve.Stderr();
  ASSERT_TRUE(WaitFor([&] { return Logged(serve, std::string("site ") + kSite + ": next run in"); }, 5s))
      << serve.Stderr();
  const uint16_t port = MetricsPort(serve);
  ASSERT_NE(port, 0) << "no metrics address in the log:\n" << serve.Stderr();

  // What the crawl did.
  const std::size_t articles = ReadJsonl(Output()).size();
  ASSERT_EQ(articles, ReadJsonl(OutletDir("almaghribtoday") / "expected" / "articles.jsonl").size());
  ASSERT_EQ(articles, 25u);

  const PromText metrics = Scrape(port);
  const std::map<std::string, std::string> site = {{"site", kSite}};
  const double requests = Sum(metrics, "newshound_requests_total", site);
  const std::vector<test::OutletLogEntry> log = LogOf(static_cast<std::size_t>(requests));
  ASSERT_FALSE(log.empty());
  EXPECT_TRUE(std::any_of(log.begin(), log.end(), [](const auto& e) { return e.target == "/robots.txt"; }));
  std::size_t ok_responses = 0;
  std::uint64_t body_bytes = 0;
  for (const auto& entry : log) {
    ok_responses += entry.status >= 200 && entry.status < 300;
    body_bytes += entry.bytes;
  }

  EXPECT_EQ(metrics.Value("newshound_articles_emitted_total", site), articles);
  EXPECT_EQ(requests, log.size()) << "every request the outlet answered (robots.txt included), once";
  EXPECT_EQ(metrics.Value("newshound_requests_total", {{"site", kSite}, {"class", "2xx"}}), ok_responses);
  EXPECT_EQ(metrics.Value("newshound_requests_total", {{"site", kSite}, {"class", "5xx"}}), 0);
  EXPECT_EQ(metrics.Value("newshound_requests_total", {{"site", kSite}, {"class", "error"}}), 0);
  EXPECT_GT(metrics.Value("newshound_response_bytes_total", site), 0);
  EXPECT_EQ(metrics.Value("newshound_response_bytes_total", site), body_bytes)
      << "the body bytes the outlet sent (no compression)";
  EXPECT_EQ(metrics.Value("newshound_fetch_duration_seconds_count", site), requests);
  EXPECT_EQ(metrics.Value("newshound_fetch_duration_seconds_bucket", {{"site", kSite}, {"le", "+Inf"}}), requests);
  EXPECT_GT(metrics.Value("newshound_fetch_duration_seconds_sum", site), 0);
  EXPECT_EQ(metrics.All("newshound_host_failures_total", site).size(), 0u);

  EXPECT_EQ(metrics.Value("newshound_run", site), 1);
  EXPECT_EQ(metrics.Value("newshound_running", site), 0);
  EXPECT_EQ(metrics.Value("newshound_last_run_ok", site), 1);
  EXPECT_EQ(metrics.Value("newshound_runs_total", {{"site", kSite}, {"result", "ok"}}), 1);
  const double now = NowSeconds();
  const double started = metrics.Value("newshound_last_run_start_timestamp_seconds", site);
  const double ended = metrics.Value("newshound_last_run_end_timestamp_seconds", site);
  const std::optional<double> last_success = metrics.Find("newshound_last_success_timestamp_seconds", site);
  ASSERT_TRUE(last_success) << "no newshound_last_success_timestamp_seconds after a good run";
  EXPECT_GE(started, test_start - 1);  // the metrics have ms, the test's clock a little more
  EXPECT_LE(started, ended);
  EXPECT_EQ(*last_success, ended);
  EXPECT_LE(*last_success, now);
  const std::optional<double> next_run = metrics.Find("newshound_next_run_timestamp_seconds", site);
  ASSERT_TRUE(next_run) << "no newshound_next_run_timestamp_seconds while a run is scheduled";
  // every: 1h, counted from the run's start or its end.
  EXPECT_GE(*next_run, started + 3600 - 1);
  EXPECT_LE(*next_run, ended + 3600 + 1);
  EXPECT_EQ(metrics.Value("newshound_queue_depth", site), 0);
  EXPECT_EQ(metrics.Value("newshound_in_flight"), 0) << "nothing is in flight between runs";

  const test::HttpResponse health = test::HttpGet(port, "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");

  // The status page shows the same, and the figures are the crawl's.
  std::string dom;
  PromText page_metrics;
  const test::Figures figures = LoadStatusPage(port, "status-page-serve.png", dom, page_metrics);
  EXPECT_EQ(page_metrics.samples.size(), metrics.samples.size());
  for (const PromSample& sample : metrics.samples) {
    EXPECT_EQ(page_metrics.Find(sample.name, sample.labels), sample.value) << sample.name << " changed between runs";
  }
  ASSERT_TRUE(figures.count(kSite)) << dom;
  EXPECT_EQ(test::FigureNumber(figures, kSite, "pages"), static_cast<int64_t>(log.size()));
  EXPECT_EQ(test::FigureNumber(figures, kSite, "articles"), 25);
  EXPECT_EQ(test::FigureNumber(figures, kSite, "errors"), 0);
  EXPECT_EQ(test::FigureNumber(figures, kSite, "queued"), 0);
  EXPECT_EQ(figures.at(kSite).at("last_run_result").text, "ok");
  EXPECT_EQ(figures.at(kSite).at("last_run_finished").tag, "time");
  EXPECT_EQ(figures.at(kSite).at("next_run").tag, "time");
  EXPECT_EQ(figures.at(kSite).at("failing_hosts").text, "none");

  serve.Kill(SIGTERM);
  const auto status = serve.Wait(30s);
  ASSERT_TRUE(status) << "serve did not stop after SIGTERM";
  // docs/crawl-state.md: SIGINT/SIGTERM end serve with 130.
  EXPECT_EQ(status->exit_code, 130) << status->ToString() << "\n" << serve.Stderr();
  EXPECT_TRUE(Closed(port)) << "/metrics still reachable after serve ended";
}

// run --metrics: the endpoint lives as long as the run, and the figures
// move as it crawls: articles and requests only grow, and some scrape sees
// work queued or in flight.
TEST_F(MetricsE2eTest, RunWithMetrics_FiguresGrowWhileItCrawlsAndTheEndpointEndsWithIt) {
  StartOutlet();
  // 100 ms between requests to the host: the crawl takes a few seconds.
  const auto config = WriteConfig("100ms", "", "");
  test::Subprocess run(Cli("run", config, {"--metrics", "127.0.0.1:0"}));
  uint16_t port = 0;
  ASSERT_TRUE(WaitFor([&] { return (port = MetricsPort(run)) != 0 || !run.Running(); }, 30s)) << run.Stderr();
  ASSERT_NE(port, 0) << "no metrics address in the log:\n" << run.Stderr();

  const std::map<std::string, std::string> site = {{"site", kSite}};
  std::vector<PromText> scrapes;
  while (run.Running()) {
    try {
      scrapes.push_back(Scrape(port));
    } catch (const std::runtime_error& e) {
      // The endpoint closes as the crawl ends, a moment before the process
      // exits: a refused scrape then is the end, not a failure. One while
      // the process goes on running is.
      if (!run.Wait(10s)) ADD_FAILURE() << "a scrape during the run failed: " << e.what();
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  const auto status = run.Wait(120s);
  ASSERT_TRUE(status);
  ASSERT_TRUE(status->success()) << status->ToString() << "\n" << run.Stderr();
  ASSERT_GE(scrapes.size(), 5u) << "the run was too short to watch";
  EXPECT_TRUE(Closed(port)) << "/metrics still reachable after the run ended";

  bool busy = false;
  double articles = 0;
  double requests = 0;
  for (std::size_t i = 0; i < scrapes.size(); ++i) {
    SCOPED_TRACE("scrape " + std::to_string(i));
    const double a = scrapes[i].Find("newshound_articles_emitted_total", site).value_or(0);
    const double r = Sum(scrapes[i], "newshound_requests_total", site);
    EXPECT_GE(a, articles) << "articles_emitted_total went down";
    EXPECT_GE(r, requests) << "requests_total went down";
    articles = a;
    requests = r;
    busy = busy || scrapes[i].Find("newshound_queue_depth", site).value_or(0) > 0 ||
           scrapes[i].Value("newshound_in_flight") > 0;
  }
  EXPECT_GT(requests, Sum(scrapes.front(), "newshound_requests_total", site)) << "requests_total never grew";
  EXPECT_TRUE(busy) << "no scrape saw a URL queued or a fetch in flight";
  EXPECT_LE(articles, 25);
  EXPECT_EQ(ReadJsonl(Output()).size(), 25u);
  EXPECT_LE(requests, static_cast<double>(server_->ReadLog().size()));
}

// A site whose host does not answer (a closed port) and one whose host
// answers 503 to everything: their fetches count as failures of their hosts,
// and the status page lists those hosts as failing.
TEST_F(MetricsE2eTest, Serve_FailingHostsAreCountedAndListedOnTheStatusPage) {
  StartOutlet({std::string(kBrokenHost) + "@/*=503,..."});
  const std::string schedule = "    schedule: {every: 1h}\n";
  const auto site_on = [&](const std::string& name, const std::string& host) {
    return "  - name: " + name + "\n    plugin: almaghribtoday\n" +
           "    start_urls: [\"https://" + host + "/\"]\n" + schedule;
  };
  const auto config = WriteConfig("0ms", schedule + "    max_pages: 3\n",
                                  "metrics:\n  listen: 127.0.0.1:0\nretries:\n  max: 1\n  base: 10ms\n  cap: 10ms\n",
                                  site_on(kDownSite, kDownHost) + site_on(kBrokenSite, kBrokenHost));
  test::Subprocess serve(Cli("serve", config));
  for (const char* name : {kSite, kDownSite, kBrokenSite}) {
    const std::string finished = std::string("site ") + name + ": run 1 finished";
    ASSERT_TRUE(WaitFor([&] { return Logged(serve, finished) || !serve.Running(); })) << name << "\n" << serve.Stderr();
    ASSERT_TRUE(serve.Running()) << serve.exit_status()->ToString() << "\n" << serve.Stderr();
  }
  const uint16_t port = MetricsPort(serve);
  ASSERT_NE(port, 0) << "no metrics address in the log:\n" << serve.Stderr();

  const PromText metrics = Scrape(port);
  const auto failures = [&](const std::string& site, const std::string& host) {
    return metrics.Find("newshound_host_failures_total", {{"site", site}, {"host", host}});
  };
  std::string hosts_seen;
  for (const PromSample& s : metrics.All("newshound_host_failures_total"))
    hosts_seen += " {site=" + s.labels.at("site") + ", host=" + s.labels.at("host") + "} " + std::to_string(s.value);
  SCOPED_TRACE("host failures in /metrics:" + hosts_seen);

  // Every failed fetch is a failure of some host of its site...
  const double down_errors = metrics.Value("newshound_requests_total", {{"site", kDownSite}, {"class", "error"}});
  EXPECT_GT(down_errors, 0) << "every fetch of a closed port is a failure without a response";
  EXPECT_EQ(Sum(metrics, "newshound_host_failures_total", {{"site", kDownSite}}), down_errors);
  std::size_t answered_503 = 0;
  for (const auto& entry : server_->ReadLog()) answered_503 += entry.status == 503;
  EXPECT_GT(answered_503, 0u);
  EXPECT_EQ(metrics.Value("newshound_requests_total", {{"site", kBrokenSite}, {"class", "5xx"}}), answered_503);
  EXPECT_EQ(Sum(metrics, "newshound_host_failures_total", {{"site", kBrokenSite}}), answered_503);
  // ...and the host is the URL's host name, as a scraper would look it up.
  EXPECT_EQ(failures(kDownSite, kDownHost).value_or(0), down_errors)
      << "no newshound_host_failures_total{site=\"down\",host=\"down.test\"} with every failure of the site";
  EXPECT_EQ(failures(kBrokenSite, kBrokenHost).value_or(0), answered_503)
      << "no newshound_host_failures_total{site=\"broken\",host=\"second.test\"} with every 503 of the site";
  EXPECT_EQ(metrics.All("newshound_host_failures_total", {{"site", kSite}}).size(), 0u) << "the outlet is healthy";
  EXPECT_EQ(metrics.Value("newshound_last_run_ok", {{"site", kDownSite}}), 0) << "a run that fetched nothing failed";

  std::string dom;
  PromText page_metrics;
  const test::Figures figures = LoadStatusPage(port, "status-page-failing-hosts.png", dom, page_metrics);
  ASSERT_TRUE(figures.count(kDownSite) && figures.count(kBrokenSite)) << dom;
  const auto down_hosts = test::ShownHosts(dom, figures.at(kDownSite).at("failing_hosts"));
  EXPECT_TRUE(std::any_of(down_hosts.begin(), down_hosts.end(), [](const auto& h) { return h.first == kDownHost; }))
      << "the status page does not list " << kDownHost << " among the failing hosts of " << kDownSite;
  const auto broken_hosts = test::ShownHosts(dom, figures.at(kBrokenSite).at("failing_hosts"));
  EXPECT_TRUE(
      std::any_of(broken_hosts.begin(), broken_hosts.end(), [](const auto& h) { return h.first == kBrokenHost; }))
      << "the status page does not list " << kBrokenHost << " among the failing hosts of " << kBrokenSite;
  EXPECT_EQ(figures.at(kSite).at("failing_hosts").text, "none");
  EXPECT_EQ(figures.at(kDownSite).at("last_run_result").text, "failed");

  serve.Kill(SIGTERM);
  const auto status = serve.Wait(30s);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 130) << status->ToString() << "\n" << serve.Stderr();
  EXPECT_TRUE(Closed(port));
}

}  // namespace
}  // namespace newshound::e2e
