// The status page as a browser shows it: a MetricsServer over a Registry the
// test fills, loaded by Debian's headless Chromium. Every figure the
// rendered DOM shows is compared with a scrape of /metrics from the same
// server, and a screenshot is kept as a test artifact
// (NEWSHOUND_TEST_ARTIFACT_DIR/status-page.png, with status-page.html).
// Running Chromium: tests/support/chromium.h; reading the page:
// tests/support/status_page_dom.h.
//
// Chromium is required: without it the test fails, naming
// tools/install-browser.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "chromium.h"
#include "metrics/metrics.h"
#include "metrics/metrics_server.h"
#include "metrics_test_support.h"
#include "status_page_dom.h"
#include "test_support.h"

#ifndef NEWSHOUND_TEST_ARTIFACT_DIR
#error "NEWSHOUND_TEST_ARTIFACT_DIR must name the directory for test artifacts"
#endif

namespace newshound::metrics {
namespace {

namespace fs = std::filesystem;
using newshound::test::ChromiumRun;
using newshound::test::FigureNumber;
using newshound::test::Figures;
using newshound::test::ParsePrometheusText;
using newshound::test::PromText;
using newshound::test::RawHttpClient;
using newshound::test::ShownHosts;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// --- The test -------------------------------------------------------------------

const std::string kLeMonde = "lemonde";
const std::string kFigaro = "Le Figaro & <Co> \"éd.\"";
const std::string kQuiet = "quiet";

void Fill(Registry& registry, int64_t now) {
  registry.AddSite(kQuiet);
  registry.AddSite(kLeMonde);
  registry.AddSite(kFigaro);

  registry.RunStarted(kLeMonde, 12, now - 150'123);
  for (int i = 0; i < 40; ++i) registry.RequestDone(kLeMonde, 200, "www.lemonde.fr", 30'000, 0.08 + i * 0.01);
  for (int i = 0; i < 3; ++i) registry.RequestDone(kLeMonde, 301, "lemonde.fr", 0, 0.02);
  for (int i = 0; i < 2; ++i) registry.RequestDone(kLeMonde, 404, "www.lemonde.fr", 500, 0.03);
  for (int i = 0; i < 4; ++i) registry.RequestDone(kLeMonde, 503, "cdn.lemonde.fr", 100, 1.2);
  for (int i = 0; i < 2; ++i) registry.RequestDone(kLeMonde, 0, "img.lemonde.fr", 0, 30);
  registry.RequestDone(kLeMonde, 0, "www.lemonde.fr", 0, 30);
  for (int i = 0; i < 17; ++i) registry.ArticleEmitted(kLeMonde);
  registry.PluginError(kLeMonde);
  registry.PolitenessWait(kLeMonde, 2.5);
  registry.Retry(kLeMonde);
  registry.SetQueueDepth(kLeMonde, 5);
  registry.RunFinished(kLeMonde, 12, now - 90'456, true);
  registry.SetNextRun(kLeMonde, now + 600'000);

  registry.RunStarted(kFigaro, 3, now - 4'000'000);
  registry.RunFinished(kFigaro, 3, now - 3'900'000, true);
  registry.RunStarted(kFigaro, 4, now - 20'000);
  const std::vector<std::pair<std::string, int>> failing = {
      {"a.figaro.fr", 2}, {"b.figaro.fr", 6}, {"c.figaro.fr", 2}, {"d<&>.figaro.fr", 9},
      {"e.figaro.fr", 1}, {"f.figaro.fr", 3}, {"g.figaro.fr", 1}};
  for (const auto& [host, n] : failing) {
    for (int i = 0; i < n; ++i) registry.RequestDone(kFigaro, i % 2 ? 500 : 0, host, 0, 5);
  }
  for (int i = 0; i < 9; ++i) registry.RequestDone(kFigaro, 200, "www.lefigaro.fr", 12'000, 0.4);
  for (int i = 0; i < 4; ++i) registry.ArticleEmitted(kFigaro);
  registry.SetQueueDepth(kFigaro, 120);

  registry.SetInFlight(6);
}

TEST(StatusPageBrowser, FiguresShownMatchTheMetricsAndAScreenshotIsKept) {
  const fs::path chromium = test::FindChromium();
  ASSERT_FALSE(chromium.empty()) << test::kChromiumMissing;
  const std::vector<pid_t> children_before = test::ChildProcesses();

  Registry registry;
  Fill(registry, NowMs());
  Result<std::unique_ptr<MetricsServer>> started = MetricsServer::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  std::unique_ptr<MetricsServer> server = std::move(started).value();

  const fs::path artifacts = NEWSHOUND_TEST_ARTIFACT_DIR;
  fs::create_directories(artifacts);
  test::TempDir scratch("newshound-chromium");

  // The DOM as Chromium rendered it.
  const ChromiumRun dump = test::DumpDom(chromium, scratch / "dump", server->url());
  ASSERT_EQ(dump.exit_code, 0) << "chromium --dump-dom failed; stderr:\n" << dump.stderr_text;
  const std::string& dom = dump.stdout_text;
  { std::ofstream(artifacts / "status-page.html", std::ios::binary) << dom; }
  ASSERT_NE(dom.find("<title>newshound status</title>"), std::string::npos)
      << "not the status page; chromium printed:\n" << dom.substr(0, 2000) << "\nstderr:\n" << dump.stderr_text;

  // The metrics, scraped after the page: the registry did not change.
  RawHttpClient client(server->port());
  const test::HttpResponse scrape = client.Request("GET", "/metrics");
  ASSERT_EQ(scrape.status, 200);
  const PromText metrics = ParsePrometheusText(scrape.body);

  const Figures figures = test::ExpectPageShowsTheMetrics(dom, metrics);
  std::set<std::string> page_sites;
  for (const auto& [site, figure] : figures) page_sites.insert(site);
  ASSERT_EQ(page_sites, (std::set<std::string>{kLeMonde, kFigaro, kQuiet}));

  // And the figures are the ones fed, so page and metrics are not wrong
  // together.
  EXPECT_EQ(FigureNumber(figures, kLeMonde, "pages"), 52);
  EXPECT_EQ(FigureNumber(figures, kLeMonde, "errors"), 4 + 3 + 1);
  EXPECT_EQ(figures.at(kLeMonde).at("last_run_result").text, "ok");
  EXPECT_EQ(figures.at(kFigaro).at("last_run_result").text, "running");
  EXPECT_EQ(figures.at(kFigaro).at("last_run_finished").text, "running");
  EXPECT_EQ(figures.at(kQuiet).at("last_run_result").text, "never run");
  EXPECT_EQ(ShownHosts(dom, figures.at(kFigaro).at("failing_hosts")),
            (std::vector<std::pair<std::string, int64_t>>{{"d<&>.figaro.fr", 9},
                                                          {"b.figaro.fr", 6},
                                                          {"f.figaro.fr", 3},
                                                          {"a.figaro.fr", 2},
                                                          {"c.figaro.fr", 2}}));
  EXPECT_EQ(figures.at(kQuiet).at("failing_hosts").text, "none");

  // The screenshot, kept for a human to look at.
  const fs::path png = artifacts / "status-page.png";
  std::error_code ignored;
  fs::remove(png, ignored);
  const ChromiumRun shot = test::Screenshot(chromium, scratch / "shot", server->url(), png, 1200, 800);
  ASSERT_EQ(shot.exit_code, 0) << "chromium --screenshot failed; stderr:\n" << shot.stderr_text;
  const std::string bytes = test::ReadFile(png);
  uint32_t width = 0;
  uint32_t height = 0;
  ASSERT_TRUE(test::IsPng(bytes, width, height)) << png << " is not a PNG (" << bytes.size() << " bytes)";
  EXPECT_EQ(width, 1200u);
  EXPECT_EQ(height, 800u);
  EXPECT_GT(bytes.size(), 10'000u) << "a blank page compresses to almost nothing";
  std::printf("status page screenshot: %s\n", png.c_str());

  // Nothing of Chromium is left running.
  EXPECT_EQ(test::ChildProcesses(), children_before);
}

}  // namespace
}  // namespace newshound::metrics
