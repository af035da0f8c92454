// Reading the status page (framework/src/metrics/metrics_server.cpp) from
// the DOM a browser rendered, and checking every figure it shows against a
// scrape of /metrics from the same server. For the status page tests (core
// with a hand-filled Registry, e2e with a real crawl). Uses GTest assertions;
// a malformed page throws std::runtime_error.
//
// The page marks each figure with data-metric="NAME" data-site="SITE"
// (in_flight has no site); times are <time data-ms="..."> with the UTC text,
// or a <span class="none"> when unknown; failing hosts are an <ol> of
// <li data-host data-failures>HOST <span>N</span></li>, or a "none" span.
#ifndef NEWSHOUND_TESTS_SUPPORT_STATUS_PAGE_DOM_H_
#define NEWSHOUND_TESTS_SUPPORT_STATUS_PAGE_DOM_H_

#include <time.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "metrics/metrics.h"
#include "metrics_test_support.h"

namespace newshound::test {

inline std::string UnescapeHtml(const std::string& text) {
  static const std::vector<std::pair<std::string, std::string>> kEntities = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", "\xC2\xA0"}, {"&amp;", "&"}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [entity, value] : kEntities) {
        if (text.compare(i, entity.size(), entity) == 0) {
          out += value;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

// An element with data-metric: its tag, attributes and the text up to the
// next tag.
struct Figure {
  std::string tag;
  std::map<std::string, std::string> attributes;
  std::string text;
  std::size_t end = 0;  // offset just after the start tag
};

inline std::map<std::string, std::string> HtmlAttributes(const std::string& text) {
  std::map<std::string, std::string> out;
  static const std::regex kAttribute(R"re(([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)")re");
  for (std::sregex_iterator it(text.begin(), text.end(), kAttribute), end; it != end; ++it) {
    out[(*it)[1]] = UnescapeHtml((*it)[2]);
  }
  return out;
}

// figures[site][metric]
using Figures = std::map<std::string, std::map<std::string, Figure>>;

// Every figure of the page; the in_flight figure's text goes to `in_flight`.
inline Figures ReadFigures(const std::string& dom, std::string& in_flight) {
  Figures figures;
  static const std::regex kStartTag(R"re(<([a-z0-9]+)(\s[^>]*)?>)re");
  for (std::sregex_iterator it(dom.begin(), dom.end(), kStartTag), end; it != end; ++it) {
    Figure figure;
    figure.tag = (*it)[1];
    figure.attributes = HtmlAttributes((*it)[2]);
    auto metric = figure.attributes.find("data-metric");
    if (metric == figure.attributes.end()) continue;
    figure.end = static_cast<std::size_t>(it->position() + it->length());
    figure.text = UnescapeHtml(dom.substr(figure.end, dom.find('<', figure.end) - figure.end));
    if (metric->second == "in_flight") {
      in_flight = figure.text;
      continue;
    }
    const std::string site = figure.attributes["data-site"];
    if (!figures[site].emplace(metric->second, figure).second) {
      throw std::runtime_error("figure " + metric->second + " of site " + site + " shown twice");
    }
  }
  return figures;
}

// The (host, failures) a failing_hosts list shows, checking each item's
// visible text says the same as its data attributes. Empty for "none".
inline std::vector<std::pair<std::string, int64_t>> ShownHosts(const std::string& dom, const Figure& list) {
  std::vector<std::pair<std::string, int64_t>> hosts;
  if (list.tag != "ol") return hosts;
  const std::string items = dom.substr(list.end, dom.find("</ol>", list.end) - list.end);
  static const std::regex kItem(R"re(<li(\s[^>]*)>([^<]*)<span[^>]*>([^<]*)</span>)re");
  for (std::sregex_iterator it(items.begin(), items.end(), kItem), end; it != end; ++it) {
    auto attributes = HtmlAttributes((*it)[1]);
    const std::string host = attributes["data-host"];
    const int64_t failures = std::stoll(attributes["data-failures"]);
    EXPECT_EQ(UnescapeHtml((*it)[2]), host + " ");
    EXPECT_EQ(std::stoll(std::string((*it)[3])), failures) << host;
    hosts.emplace_back(host, failures);
  }
  return hosts;
}

inline std::string UtcText(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buffer;
}

// A time figure against its metric (Unix seconds, or absent).
inline void ExpectTime(const Figures& figures, const std::string& site, const std::string& metric_name,
                       const std::string& figure_name, const PromText& metrics) {
  SCOPED_TRACE(site + " " + figure_name);
  const Figure& figure = figures.at(site).at(figure_name);
  const std::optional<double> seconds = metrics.Find(metric_name, {{"site", site}});
  if (!seconds) {
    EXPECT_NE(figure.tag, "time") << "the page shows a time the metrics do not have: " << figure.text;
    return;
  }
  ASSERT_EQ(figure.tag, "time") << "the metrics have " << *seconds << " but the page shows " << figure.text;
  EXPECT_EQ(figure.text, UtcText(static_cast<int64_t>(std::floor(*seconds))));
  EXPECT_EQ(std::stoll(figure.attributes.at("data-ms")), std::llround(*seconds * 1000));
}

// A figure that must be a whole number.
inline int64_t FigureNumber(const Figures& figures, const std::string& site, const std::string& name) {
  const std::string& text = figures.at(site).at(name).text;
  std::size_t used = 0;
  const int64_t value = std::stoll(text, &used);
  if (used != text.size()) throw std::runtime_error(site + " " + name + " is not a number: " + text);
  return value;
}

// Every figure the page `dom` shows against `metrics`, scraped from the same
// server with nothing changing in between: the same sites, and per site the
// run, its result and times, pages (all requests), articles, errors (5xx,
// no response, plugin errors), queue, and the failing hosts (most failures
// first, at most kFailingHostsShown). Returns the figures for further checks.
inline Figures ExpectPageShowsTheMetrics(const std::string& dom, const PromText& metrics) {
  std::string in_flight;
  const Figures figures = ReadFigures(dom, in_flight);
  EXPECT_EQ(in_flight, std::to_string(static_cast<int64_t>(metrics.Value("newshound_in_flight"))));

  std::set<std::string> metric_sites;
  for (const PromSample& sample : metrics.All("newshound_run")) metric_sites.insert(sample.labels.at("site"));
  std::set<std::string> page_sites;
  for (const auto& [site, figure] : figures) page_sites.insert(site);
  EXPECT_EQ(page_sites, metric_sites);

  for (const std::string& site : metric_sites) {
    SCOPED_TRACE(site);
    if (!figures.count(site)) continue;
    const std::map<std::string, std::string> label = {{"site", site}};
    const auto& shown = figures.at(site);
    bool complete = true;
    for (const char* name : {"site", "run", "last_run_result", "last_run_started", "last_run_finished",
                             "last_success", "next_run", "pages", "articles", "errors", "queued", "failing_hosts"}) {
      if (!shown.count(name)) {
        ADD_FAILURE() << "no figure " << name;
        complete = false;
      }
    }
    if (!complete) continue;
    EXPECT_EQ(FigureNumber(figures, site, "run"), metrics.Value("newshound_run", label));

    std::string result = "never run";
    if (metrics.Value("newshound_running", label) == 1) {
      result = "running";
    } else if (auto ok = metrics.Find("newshound_last_run_ok", label)) {
      result = *ok == 1 ? "ok" : "failed";
    }
    EXPECT_EQ(shown.at("last_run_result").text, result);
    ExpectTime(figures, site, "newshound_last_run_start_timestamp_seconds", "last_run_started", metrics);
    ExpectTime(figures, site, "newshound_last_run_end_timestamp_seconds", "last_run_finished", metrics);
    ExpectTime(figures, site, "newshound_last_success_timestamp_seconds", "last_success", metrics);
    ExpectTime(figures, site, "newshound_next_run_timestamp_seconds", "next_run", metrics);

    double pages = 0;
    for (const PromSample& s : metrics.All("newshound_requests_total", label)) pages += s.value;
    EXPECT_EQ(FigureNumber(figures, site, "pages"), pages);
    EXPECT_EQ(FigureNumber(figures, site, "articles"), metrics.Value("newshound_articles_emitted_total", label));
    const double errors = metrics.Value("newshound_requests_total", {{"site", site}, {"class", "5xx"}}) +
                          metrics.Value("newshound_requests_total", {{"site", site}, {"class", "error"}}) +
                          metrics.Value("newshound_plugin_errors_total", label);
    EXPECT_EQ(FigureNumber(figures, site, "errors"), errors);
    EXPECT_EQ(FigureNumber(figures, site, "queued"), metrics.Value("newshound_queue_depth", label));

    std::vector<std::pair<std::string, int64_t>> expected_hosts;
    for (const PromSample& s : metrics.All("newshound_host_failures_total", label)) {
      expected_hosts.emplace_back(s.labels.at("host"), static_cast<int64_t>(s.value));
    }
    std::sort(expected_hosts.begin(), expected_hosts.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (expected_hosts.size() > metrics::kFailingHostsShown) expected_hosts.resize(metrics::kFailingHostsShown);
    EXPECT_EQ(ShownHosts(dom, shown.at("failing_hosts")), expected_hosts);
  }
  return figures;
}

}  // namespace newshound::test

#endif  // NEWSHOUND_TESTS_SUPPORT_STATUS_PAGE_DOM_H_
