// metrics::Registry (what it counts and how it renders as Prometheus text)
// and metrics::MetricsServer over real loopback sockets.
#include "metrics/metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "metrics/metrics_server.h"
#include "metrics_test_support.h"

namespace newshound::metrics {
namespace {

using newshound::test::HttpGet;
using newshound::test::HttpResponse;
using newshound::test::ParsePrometheusText;
using newshound::test::PromText;
using newshound::test::RawHttpClient;
using namespace std::chrono_literals;

PromText Scrape(const Registry& registry) { return ParsePrometheusText(registry.PrometheusText()); }

std::unique_ptr<MetricsServer> StartServer(const Registry& registry, const std::string& listen = "127.0.0.1:0") {
  Result<std::unique_ptr<MetricsServer>> server = MetricsServer::Start(listen, registry);
  if (!server.ok()) throw std::runtime_error(server.status().ToString());
  return std::move(server).value();
}

// --- Registry ---------------------------------------------------------------

TEST(Metrics, PrometheusText_ParsesAndCarriesTheValuesFed) {
  Registry registry;
  registry.RequestDone("lemonde", 200, "www.lemonde.fr", 1000, 0.2);
  registry.RequestDone("lemonde", 200, "www.lemonde.fr", 500, 0.02);
  registry.RequestDone("lemonde", 301, "lemonde.fr", 0, 0.01);
  registry.RequestDone("lemonde", 404, "www.lemonde.fr", 20, 0.01);
  registry.RequestDone("lemonde", 503, "cdn.lemonde.fr", 30, 1.5);
  registry.RequestDone("lemonde", 0, "cdn.lemonde.fr", 0, 10);
  registry.PolitenessWait("lemonde", 1.5);
  registry.PolitenessWait("lemonde", 0.25);
  registry.Retry("lemonde");
  registry.Retry("lemonde");
  registry.PluginError("lemonde");
  registry.ArticleEmitted("lemonde");
  registry.ArticleEmitted("lemonde");
  registry.ArticleEmitted("lemonde");
  registry.SetQueueDepth("lemonde", 42);
  registry.SetInFlight(7);
  registry.RunStarted("lemonde", 3, 1700000000123);
  registry.RunFinished("lemonde", 3, 1700000060500, true);
  registry.SetNextRun("lemonde", 1700000900000);

  const PromText text = Scrape(registry);
  const std::map<std::string, std::string> site = {{"site", "lemonde"}};
  auto with = [&](const char* key, const char* value) {
    auto labels = site;
    labels[key] = value;
    return labels;
  };
  EXPECT_EQ(text.Value("newshound_requests_total", with("class", "2xx")), 2);
  EXPECT_EQ(text.Value("newshound_requests_total", with("class", "3xx")), 1);
  EXPECT_EQ(text.Value("newshound_requests_total", with("class", "4xx")), 1);
  EXPECT_EQ(text.Value("newshound_requests_total", with("class", "5xx")), 1);
  EXPECT_EQ(text.Value("newshound_requests_total", with("class", "error")), 1);
  EXPECT_EQ(text.Value("newshound_response_bytes_total", site), 1550);
  EXPECT_EQ(text.Value("newshound_fetch_duration_seconds_count", site), 6);
  EXPECT_NEAR(text.Value("newshound_fetch_duration_seconds_sum", site), 0.2 + 0.02 + 0.01 + 0.01 + 1.5 + 10, 1e-9);
  EXPECT_EQ(text.Value("newshound_queue_depth", site), 42);
  EXPECT_EQ(text.Value("newshound_in_flight"), 7);
  EXPECT_EQ(text.Value("newshound_politeness_waits_total", site), 2);
  EXPECT_DOUBLE_EQ(text.Value("newshound_politeness_wait_seconds_total", site), 1.75);
  EXPECT_EQ(text.Value("newshound_retries_total", site), 2);
  EXPECT_EQ(text.Value("newshound_plugin_errors_total", site), 1);
  EXPECT_EQ(text.Value("newshound_articles_emitted_total", site), 3);
  EXPECT_EQ(text.Value("newshound_host_failures_total", with("host", "cdn.lemonde.fr")), 2);
  EXPECT_FALSE(text.Find("newshound_host_failures_total", with("host", "www.lemonde.fr")))
      << "a 404 is not a host failure";
  EXPECT_EQ(text.Value("newshound_run", site), 3);
  EXPECT_EQ(text.Value("newshound_running", site), 0);
  EXPECT_EQ(text.Value("newshound_runs_total", with("result", "ok")), 1);
  EXPECT_EQ(text.Value("newshound_runs_total", with("result", "failed")), 0);
  EXPECT_EQ(text.Value("newshound_last_run_ok", site), 1);
  EXPECT_DOUBLE_EQ(text.Value("newshound_last_run_start_timestamp_seconds", site), 1700000000.123);
  EXPECT_DOUBLE_EQ(text.Value("newshound_last_run_end_timestamp_seconds", site), 1700000060.5);
  EXPECT_DOUBLE_EQ(text.Value("newshound_last_success_timestamp_seconds", site), 1700000060.5);
  EXPECT_DOUBLE_EQ(text.Value("newshound_next_run_timestamp_seconds", site), 1700000900);
}

TEST(Metrics, PrometheusText_EveryFamilyHasHelpAndATypeMatchingItsName) {
  Registry registry;
  registry.AddSite("a");
  registry.RequestDone("a", 500, "h", 1, 0.1);
  registry.RunFinished("a", 1, 1000, false);
  registry.SetNextRun("a", 5000);
  const PromText text = Scrape(registry);
  ASSERT_FALSE(text.families.empty());
  for (const auto& [name, family] : text.families) {
    EXPECT_EQ(name.rfind("newshound_", 0), 0u) << name;
    EXPECT_FALSE(family.help.empty()) << name;
    ASSERT_FALSE(family.type.empty()) << name;
    const bool total = name.size() > 6 && name.compare(name.size() - 6, 6, "_total") == 0;
    EXPECT_EQ(total, family.type == "counter") << name << " is a " << family.type;
  }
  for (const auto& sample : text.samples) EXPECT_FALSE(std::isnan(sample.value)) << sample.name;
}

TEST(Metrics, Histogram_BucketsAreCumulativeWithInclusiveBoundsAndEndAtInf) {
  Registry registry;
  const std::vector<double> latencies = {0.001, 0.005 /* on a bound: counts in le="0.005" */, 0.3, 0.3, 7, 100};
  for (double latency : latencies) registry.RequestDone("s", 200, "h", 0, latency);
  const PromText text = Scrape(registry);
  const auto buckets = text.All("newshound_fetch_duration_seconds_bucket", {{"site", "s"}});
  ASSERT_EQ(buckets.size(), kFetchDurationBucketCount + 1);
  double previous_bound = -1;
  double previous_count = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    const std::string& le = buckets[i].labels.at("le");
    const double bound = i + 1 == buckets.size() ? INFINITY : std::stod(le);
    if (i + 1 == buckets.size()) {
      EXPECT_EQ(le, "+Inf");
    } else {
      EXPECT_DOUBLE_EQ(bound, kFetchDurationBuckets[i]);
    }
    EXPECT_GT(bound, previous_bound) << "buckets in increasing order";
    EXPECT_GE(buckets[i].value, previous_count) << "cumulative at le=" << le;
    double expected = 0;
    for (double latency : latencies) expected += latency <= bound ? 1 : 0;
    EXPECT_EQ(buckets[i].value, expected) << "le=" << le;
    previous_bound = bound;
    previous_count = buckets[i].value;
  }
  EXPECT_EQ(buckets.back().value, text.Value("newshound_fetch_duration_seconds_count", {{"site", "s"}}));
}

TEST(Metrics, Histogram_NegativeOrNaNLatencyCountsAsZero) {
  Registry registry;
  registry.RequestDone("s", 200, "h", 0, -3);
  registry.RequestDone("s", 200, "h", 0, std::nan(""));
  const PromText text = Scrape(registry);
  EXPECT_EQ(text.Value("newshound_fetch_duration_seconds_sum", {{"site", "s"}}), 0);
  EXPECT_EQ(text.Value("newshound_fetch_duration_seconds_bucket", {{"site", "s"}, {"le", "0.005"}}), 2);
}

TEST(Metrics, Labels_EscapeQuoteBackslashAndNewline) {
  Registry registry;
  const std::string site = "a \"quoted\" back\\slash\nnewline site";
  const std::string host = "h\\\"\n";
  registry.RequestDone(site, 0, host, 0, 0.1);
  const std::string raw = registry.PrometheusText();
  EXPECT_NE(raw.find(R"(site="a \"quoted\" back\\slash\nnewline site")"), std::string::npos) << raw;
  // Every sample stays on one line, and reads back to the original values.
  const PromText text = ParsePrometheusText(raw);
  EXPECT_EQ(text.Value("newshound_requests_total", {{"site", site}, {"class", "error"}}), 1);
  EXPECT_EQ(text.Value("newshound_host_failures_total", {{"site", site}, {"host", host}}), 1);
}

TEST(Metrics, StatusClass_FromTheStatusAndErrorForNoneOrOutOfRange) {
  Registry registry;
  for (int status : {200, 204, 299, 301, 399, 404, 451, 500, 599, 0, 99, 100, 600, -1}) {
    registry.RequestDone("s", status, "h", 0, 0);
  }
  const PromText text = Scrape(registry);
  auto count = [&](const char* cls) { return text.Value("newshound_requests_total", {{"site", "s"}, {"class", cls}}); };
  EXPECT_EQ(count("2xx"), 3);
  EXPECT_EQ(count("3xx"), 2);
  EXPECT_EQ(count("4xx"), 2);
  EXPECT_EQ(count("5xx"), 2);
  EXPECT_EQ(count("error"), 5);
  EXPECT_EQ(text.Value("newshound_host_failures_total", {{"site", "s"}, {"host", "h"}}), 7) << "5xx and error only";
}

TEST(Metrics, AddSite_ShowsWithZerosAndNoTimestampsBeforeItsFirstRun) {
  Registry registry;
  registry.AddSite("quiet");
  const PromText text = Scrape(registry);
  const std::map<std::string, std::string> site = {{"site", "quiet"}};
  EXPECT_EQ(text.Value("newshound_requests_total", {{"site", "quiet"}, {"class", "2xx"}}), 0);
  EXPECT_EQ(text.Value("newshound_articles_emitted_total", site), 0);
  EXPECT_EQ(text.Value("newshound_queue_depth", site), 0);
  EXPECT_EQ(text.Value("newshound_fetch_duration_seconds_bucket", {{"site", "quiet"}, {"le", "+Inf"}}), 0);
  EXPECT_EQ(text.Value("newshound_run", site), 0);
  EXPECT_FALSE(text.Find("newshound_last_success_timestamp_seconds", site));
  EXPECT_FALSE(text.Find("newshound_last_run_start_timestamp_seconds", site));
  EXPECT_FALSE(text.Find("newshound_next_run_timestamp_seconds", site));
  EXPECT_FALSE(text.Find("newshound_last_run_ok", site));
  EXPECT_TRUE(text.All("newshound_host_failures_total").empty());
  const auto snapshot = registry.Snapshot();
  ASSERT_EQ(snapshot.size(), 1u);
  EXPECT_EQ(snapshot[0].site, "quiet");
  EXPECT_EQ(snapshot[0].pages, 0);
  EXPECT_FALSE(snapshot[0].last_run_started_ms);
}

TEST(Metrics, Runs_StartFinishAndLastSuccessSurviveAFailedRun) {
  Registry registry;
  registry.RunStarted("s", 1, 1000);
  auto snap = registry.Snapshot().at(0);
  EXPECT_EQ(snap.run, 1);
  EXPECT_TRUE(snap.running);
  EXPECT_EQ(snap.last_run_started_ms, 1000);
  EXPECT_FALSE(snap.last_run_finished_ms);
  EXPECT_EQ(Scrape(registry).Value("newshound_running", {{"site", "s"}}), 1);

  registry.RunFinished("s", 1, 2000, true);
  registry.RunStarted("s", 2, 3000);
  registry.RunFinished("s", 2, 4000, false);
  snap = registry.Snapshot().at(0);
  EXPECT_EQ(snap.run, 2);
  EXPECT_FALSE(snap.running);
  EXPECT_EQ(snap.last_run_started_ms, 3000);
  EXPECT_EQ(snap.last_run_finished_ms, 4000);
  EXPECT_EQ(snap.last_run_ok, false);
  EXPECT_EQ(snap.last_success_ms, 2000) << "a failed run keeps the last success";
  const PromText text = Scrape(registry);
  EXPECT_EQ(text.Value("newshound_last_run_ok", {{"site", "s"}}), 0);
  EXPECT_DOUBLE_EQ(text.Value("newshound_last_success_timestamp_seconds", {{"site", "s"}}), 2);
  EXPECT_EQ(text.Value("newshound_runs_total", {{"site", "s"}, {"result", "failed"}}), 1);
  EXPECT_EQ(text.Value("newshound_runs_total", {{"site", "s"}, {"result", "ok"}}), 1);
}

TEST(Metrics, Runs_AnOlderRunEndingLateDoesNotHideTheCurrentOne) {
  Registry registry;
  registry.RunStarted("s", 1, 1000);
  registry.RunStarted("s", 2, 2000);
  registry.RunFinished("s", 1, 2500, true);
  const auto snap = registry.Snapshot().at(0);
  EXPECT_EQ(snap.run, 2);
  EXPECT_TRUE(snap.running);
  EXPECT_EQ(snap.last_run_started_ms, 2000);
  EXPECT_EQ(snap.last_success_ms, 2500);
}

TEST(Metrics, SetNextRun_NulloptRemovesTheSample) {
  Registry registry;
  registry.SetNextRun("s", 5000);
  EXPECT_TRUE(Scrape(registry).Find("newshound_next_run_timestamp_seconds", {{"site", "s"}}));
  registry.SetNextRun("s", std::nullopt);
  EXPECT_FALSE(Scrape(registry).Find("newshound_next_run_timestamp_seconds", {{"site", "s"}}));
  EXPECT_FALSE(registry.Snapshot().at(0).next_run_ms);
}

TEST(Metrics, Snapshot_FailingHostsMostFailuresFirstThenByNameTopFive) {
  Registry registry;
  auto fail = [&](const std::string& host, int times) {
    for (int i = 0; i < times; ++i) registry.RequestDone("s", i % 2 ? 502 : 0, host, 0, 0);
  };
  fail("b.example", 3);
  fail("a.example", 3);
  fail("c.example", 5);
  fail("d.example", 1);
  fail("e.example", 2);
  fail("f.example", 1);
  fail("g.example", 4);
  registry.RequestDone("s", 404, "never-fails.example", 0, 0);
  registry.PluginError("s");
  const auto snap = registry.Snapshot().at(0);
  const std::vector<std::pair<std::string, int64_t>> expected = {
      {"c.example", 5}, {"g.example", 4}, {"a.example", 3}, {"b.example", 3}, {"e.example", 2}};
  EXPECT_EQ(snap.failing_hosts, expected);
  EXPECT_EQ(snap.pages, 20);
  EXPECT_EQ(snap.errors, 19 + 1) << "failed fetches plus plugin errors";
}

TEST(Metrics, HostLabels_CappedPerSiteTheRestCountAsOther) {
  Registry registry;
  for (std::size_t i = 0; i < kMaxHostsPerSite + 10; ++i) {
    registry.RequestDone("s", 500, "host" + std::to_string(i) + ".example", 0, 0);
  }
  registry.RequestDone("s", 500, "host0.example", 0, 0);  // a tracked host stays tracked
  const PromText text = Scrape(registry);
  const auto hosts = text.All("newshound_host_failures_total", {{"site", "s"}});
  EXPECT_EQ(hosts.size(), kMaxHostsPerSite + 1);
  EXPECT_EQ(text.Value("newshound_host_failures_total", {{"site", "s"}, {"host", kOtherHosts}}), 10);
  EXPECT_EQ(text.Value("newshound_host_failures_total", {{"site", "s"}, {"host", "host0.example"}}), 2);
  double sum = 0;
  for (const auto& h : hosts) sum += h.value;
  EXPECT_EQ(sum, kMaxHostsPerSite + 11) << "no failure lost";
}

TEST(Metrics, Registry_ConcurrentUpdatesWhileScrapingAreAllCounted) {
  Registry registry;
  constexpr int kThreads = 6;
  constexpr int kPerThread = 20000;
  std::atomic<bool> done{false};
  std::thread scraper([&] {
    while (!done.load()) {
      (void)Scrape(registry);  // must always parse
      (void)registry.Snapshot();
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&registry, t] {
      const std::string site = t % 2 ? "odd" : "even";
      for (int i = 0; i < kPerThread; ++i) {
        registry.RequestDone(site, 200, "h", 2, 0.01);
        registry.ArticleEmitted(site);
        registry.SetInFlight(i);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  done = true;
  scraper.join();
  const PromText text = Scrape(registry);
  for (const char* site : {"odd", "even"}) {
    const double n = kThreads / 2 * kPerThread;
    EXPECT_EQ(text.Value("newshound_requests_total", {{"site", site}, {"class", "2xx"}}), n);
    EXPECT_EQ(text.Value("newshound_response_bytes_total", {{"site", site}}), 2 * n);
    EXPECT_EQ(text.Value("newshound_articles_emitted_total", {{"site", site}}), n);
    EXPECT_EQ(text.Value("newshound_fetch_duration_seconds_count", {{"site", site}}), n);
  }
}

// --- MetricsServer ----------------------------------------------------------

TEST(MetricsServer, Start_PortZeroPicksAFreePort) {
  Registry registry;
  auto server = StartServer(registry);
  EXPECT_NE(server->port(), 0);
  EXPECT_EQ(server->url(), "http://127.0.0.1:" + std::to_string(server->port()) + "/");
  EXPECT_EQ(HttpGet(server->port(), "/healthz").status, 200);
}

TEST(MetricsServer, Start_RefusesANonLoopbackAddressNamingIt) {
  Registry registry;
  for (const std::string listen : {"0.0.0.0:9464", "192.0.2.7:0", "[::]:0", "[2001:db8::1]:0", "example.com:0",
                                   "[::ffff:127.0.0.1]:0"}) {
    auto server = MetricsServer::Start(listen, registry);
    ASSERT_FALSE(server.ok()) << listen;
    EXPECT_EQ(server.status().code(), ErrorCode::kInvalidArgument) << listen;
    EXPECT_NE(server.status().message().find("'" + listen + "'"), std::string::npos) << server.status().message();
  }
  auto wildcard = MetricsServer::Start("0.0.0.0:9464", registry);
  EXPECT_NE(wildcard.status().message().find("loopback"), std::string::npos) << wildcard.status().message();
}

TEST(MetricsServer, Start_RefusesAMalformedAddress) {
  Registry registry;
  for (const std::string listen : {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:http", "[::1:0",
                                   "::1:0"}) {
    auto server = MetricsServer::Start(listen, registry);
    ASSERT_FALSE(server.ok()) << listen;
    EXPECT_EQ(server.status().code(), ErrorCode::kInvalidArgument) << listen;
  }
}

TEST(MetricsServer, Start_APortInUseIsAnIoErrorNamingTheAddress) {
  Registry registry;
  auto first = StartServer(registry);
  const std::string listen = "127.0.0.1:" + std::to_string(first->port());
  auto second = MetricsServer::Start(listen, registry);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kIo);
  EXPECT_NE(second.status().message().find(listen), std::string::npos) << second.status().message();
}

TEST(MetricsServer, Start_ServesIpv6LoopbackAndLocalhost) {
  Registry registry;
  auto v6 = StartServer(registry, "[::1]:0");
  EXPECT_EQ(v6->url(), "http://[::1]:" + std::to_string(v6->port()) + "/");
  RawHttpClient client(v6->port(), /*v6=*/true);
  EXPECT_EQ(client.Request("GET", "/healthz").status, 200);
  auto localhost = StartServer(registry, "localhost:0");
  EXPECT_EQ(HttpGet(localhost->port(), "/healthz").status, 200);
}

TEST(MetricsServer, Metrics_PrometheusContentTypeAndTheRegistrysCurrentText) {
  Registry registry;
  registry.ArticleEmitted("s");
  auto server = StartServer(registry);
  HttpResponse response = HttpGet(server->port(), "/metrics");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(ParsePrometheusText(response.body).Value("newshound_articles_emitted_total", {{"site", "s"}}), 1);
  // Updates after the start show in the next scrape.
  registry.ArticleEmitted("s");
  registry.SetInFlight(3);
  response = HttpGet(server->port(), "/metrics");
  const PromText text = ParsePrometheusText(response.body);
  EXPECT_EQ(text.Value("newshound_articles_emitted_total", {{"site", "s"}}), 2);
  EXPECT_EQ(text.Value("newshound_in_flight"), 3);
  EXPECT_EQ(response.body, registry.PrometheusText());
}

TEST(MetricsServer, Healthz_SaysOk) {
  Registry registry;
  auto server = StartServer(registry);
  const HttpResponse response = HttpGet(server->port(), "/healthz");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "ok\n");
}

TEST(MetricsServer, StatusPage_HtmlWithEachSitesFiguresAndEscapedNames) {
  Registry registry;
  registry.AddSite("<b>Le \"Monde\" & co</b>");
  registry.ArticleEmitted("<b>Le \"Monde\" & co</b>");
  registry.RequestDone("plain", 503, "bad<host>", 0, 0);
  auto server = StartServer(registry);
  const HttpResponse response = HttpGet(server->port(), "/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("content-type"), "text/html; charset=utf-8");
  const std::string& html = response.body;
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("<meta http-equiv=\"refresh\" content=\"5\">"), std::string::npos);
  EXPECT_EQ(html.find("<b>"), std::string::npos) << "site names are escaped";
  EXPECT_EQ(html.find("bad<host>"), std::string::npos) << "host names are escaped";
  EXPECT_NE(html.find("&lt;b&gt;Le &quot;Monde&quot; &amp; co&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(
      html.find("data-metric=\"articles\" data-site=\"&lt;b&gt;Le &quot;Monde&quot; &amp; co&lt;/b&gt;\">1<"),
      std::string::npos)
      << html;
  EXPECT_NE(html.find("data-metric=\"errors\" data-site=\"plain\">1<"), std::string::npos);
  EXPECT_NE(html.find("data-host=\"bad&lt;host&gt;\" data-failures=\"1\""), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos) << "no external resources";
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST(MetricsServer, UnknownPath_Is404) {
  Registry registry;
  auto server = StartServer(registry);
  EXPECT_EQ(HttpGet(server->port(), "/nope").status, 404);
  EXPECT_EQ(HttpGet(server->port(), "/metrics/extra").status, 404);
  EXPECT_EQ(HttpGet(server->port(), "/metrics?x=1").status, 200) << "a query string is ignored";
}

TEST(MetricsServer, OtherMethods_Are405WithAllow) {
  Registry registry;
  auto server = StartServer(registry);
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    RawHttpClient client(server->port());
    client.Send(std::string(method) + " /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
    const HttpResponse response = client.ReadResponse();
    EXPECT_EQ(response.status, 405) << method;
    EXPECT_EQ(response.Header("allow"), "GET, HEAD");
  }
}

TEST(MetricsServer, Head_GivesTheLengthOfAGetWithoutABody) {
  Registry registry;
  registry.AddSite("s");
  auto server = StartServer(registry);
  RawHttpClient client(server->port());
  for (const char* target : {"/metrics", "/healthz", "/"}) {
    const HttpResponse head = client.Request("HEAD", target);
    EXPECT_EQ(head.status, 200) << target;
    EXPECT_FALSE(head.Header("content-length").empty()) << target;
    // No body bytes came: the next response on this connection starts
    // right away with its status line.
    const HttpResponse get = client.Request("GET", target);
    EXPECT_EQ(get.status, 200) << target;
    // (The page's "as of" time may differ between the two.)
    if (std::string(target) != "/") {
      EXPECT_EQ(std::stoul(head.Header("content-length")), get.body.size()) << target;
    }
  }
}

TEST(MetricsServer, KeepAlive_ServesSeveralRequestsOnOneConnectionAndHonoursClose) {
  Registry registry;
  auto server = StartServer(registry);
  RawHttpClient client(server->port());
  // Pipelined: both requests in one write.
  client.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().body, "ok\n");
  EXPECT_EQ(client.ReadResponse().status, 200);
  client.Send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const HttpResponse last = client.ReadResponse();
  EXPECT_EQ(last.status, 200);
  EXPECT_EQ(last.Header("connection"), "close");
  EXPECT_TRUE(client.ClosedByPeer());
}

TEST(MetricsServer, OversizedRequestHead_Is400AndClosed) {
  Registry registry;
  auto server = StartServer(registry);
  RawHttpClient client(server->port());
  client.Send("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().status, 400);
}

TEST(MetricsServer, GarbageRequest_Is400) {
  Registry registry;
  auto server = StartServer(registry);
  RawHttpClient client(server->port());
  client.Send("NOT HTTP AT ALL\r\n\r\n");
  EXPECT_EQ(client.ReadResponse().status, 400);
}

TEST(MetricsServer, StalledClients_DoNotDelayAScrape) {
  Registry registry;
  registry.AddSite("s");
  auto server = StartServer(registry);
  // Half a request head each, then silence.
  std::vector<std::unique_ptr<RawHttpClient>> stalled;
  for (int i = 0; i < 10; ++i) {
    stalled.push_back(std::make_unique<RawHttpClient>(server->port()));
    stalled.back()->Send("GET /metrics HTTP/1.1\r\nHost: x\r\n");
  }
  // And one that asks and never reads: its response sits in the socket.
  RawHttpClient not_reading(server->port());
  not_reading.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) EXPECT_EQ(HttpGet(server->port(), "/metrics").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(MetricsServer, Stop_ClosesIdleConnectionsAndReturnsPromptly) {
  Registry registry;
  auto server = StartServer(registry);
  RawHttpClient idle(server->port());
  EXPECT_EQ(idle.Request("GET", "/healthz").status, 200);  // kept alive, now idle
  RawHttpClient half(server->port());
  half.Send("GET /metrics HTTP/1.1\r\n");
  const uint16_t port = server->port();
  const auto start = std::chrono::steady_clock::now();
  server->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_TRUE(idle.ClosedByPeer());
  EXPECT_TRUE(half.ClosedByPeer());
  server->Stop();  // again: nothing to do
  EXPECT_THROW(HttpGet(port, "/healthz"), std::runtime_error) << "nobody listens any more";
  server.reset();
}

}  // namespace
}  // namespace newshound::metrics
