// The end-of-run summary (newshound/engine.h): counters added up, the one
// summary line, and the JSON of `run --summary`.
#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>

#include "newshound/engine.h"

namespace newshound {

int64_t SiteSummary::OutcomesTotal() const {
  int64_t total = 0;
  for (int64_t n : outcomes) total += n;
  return total;
}

namespace {

// Outcomes that are neither a page nor a decision not to fetch one.
bool IsError(OutcomeKind kind) {
  return kind != OutcomeKind::kFetched && kind != OutcomeKind::kNotModified && kind != OutcomeKind::kOutOfScope &&
         kind != OutcomeKind::kOverBudget && kind != OutcomeKind::kRobotsDisallowed && kind != OutcomeKind::kDuplicate &&
         kind != OutcomeKind::kSeenBefore;
}

}  // namespace

int64_t SiteSummary::Errors() const {
  int64_t errors = 0;
  for (int i = 0; i < kOutcomeKindCount; ++i)
    if (IsError(static_cast<OutcomeKind>(i))) errors += outcomes[i];
  return errors;
}

void SiteSummary::Add(const SiteSummary& more) {
  urls_accepted += more.urls_accepted;
  pages_fetched += more.pages_fetched;
  articles_written += more.articles_written;
  duplicate_articles += more.duplicate_articles;
  plugin_rejected_values += more.plugin_rejected_values;
  retries += more.retries;
  plugin_timeouts += more.plugin_timeouts;
  robots_fetches += more.robots_fetches;
  for (int i = 0; i < kOutcomeKindCount; ++i) outcomes[i] += more.outcomes[i];
}

SiteSummary CrawlSummary::Total() const {
  SiteSummary total;
  total.name = "total";
  total.started = AllSitesStarted();
  for (const auto& site : sites) total.Add(site);
  return total;
}

std::map<std::string, CrawlSummary::PluginCounts> CrawlSummary::Plugins() const {
  std::map<std::string, PluginCounts> out;
  for (const auto& site : sites) {
    PluginCounts& counts = out[site.plugin];
    counts.errors += site.Outcome(OutcomeKind::kPluginError);
    counts.timeouts += site.plugin_timeouts;
    counts.rejected_values += site.plugin_rejected_values;
  }
  return out;
}

bool CrawlSummary::AllSitesStarted() const {
  return std::all_of(sites.begin(), sites.end(), [](const SiteSummary& s) { return s.started; });
}

std::string CrawlSummary::Line() const {
  const SiteSummary total = Total();
  std::string errors;
  int64_t error_count = 0;
  for (int i = 0; i < kOutcomeKindCount; ++i) {
    const auto kind = static_cast<OutcomeKind>(i);
    if (!IsError(kind) || total.outcomes[i] == 0) continue;
    error_count += total.outcomes[i];
    errors += (errors.empty() ? "" : ", ") + std::string(OutcomeKindName(kind)) + " " + std::to_string(total.outcomes[i]);
  }
  char elapsed[32];
  std::snprintf(elapsed, sizeof(elapsed), "%.1f s", static_cast<double>(elapsed_ms) / 1000.0);
  std::string line = std::to_string(total.pages_fetched) + " pages fetched, " + std::to_string(total.articles_written) +
                     " articles written, " + std::to_string(error_count) + " errors";
  if (!errors.empty()) line += " (" + errors + ")";
  const int64_t skipped = total.Outcome(OutcomeKind::kOutOfScope) + total.Outcome(OutcomeKind::kOverBudget) +
                          total.Outcome(OutcomeKind::kRobotsDisallowed) + total.Outcome(OutcomeKind::kDuplicate) +
                          total.Outcome(OutcomeKind::kSeenBefore);
  if (skipped > 0)
    line += ", " + std::to_string(skipped) + " skipped (robots.txt, out of scope, over limits, duplicate or crawled before)";
  if (total.retries > 0) line += ", " + std::to_string(total.retries) + " retries";
  std::string plugin_errors;
  for (const auto& [plugin, counts] : Plugins()) {
    if (counts.errors == 0 && counts.rejected_values == 0) continue;
    plugin_errors += (plugin_errors.empty() ? "" : ", ") + plugin + " " + std::to_string(counts.errors) + " failed";
    if (counts.timeouts > 0) plugin_errors += " (" + std::to_string(counts.timeouts) + " over time budget)";
    if (counts.rejected_values > 0) plugin_errors += ", " + std::to_string(counts.rejected_values) + " values refused";
  }
  if (!plugin_errors.empty()) line += ", plugins: " + plugin_errors;
  line += ", " + std::string(elapsed);
  if (interrupted) line += ", interrupted";
  return line;
}

namespace {

boost::json::object SiteJson(const SiteSummary& site) {
  boost::json::object out;
  out["name"] = site.name;
  out["started"] = site.started;
  if (!site.error.empty()) out["error"] = site.error;
  out["urls_accepted"] = site.urls_accepted;
  boost::json::object outcomes;
  for (int i = 0; i < kOutcomeKindCount; ++i) outcomes[OutcomeKindName(static_cast<OutcomeKind>(i))] = site.outcomes[i];
  out["outcomes"] = std::move(outcomes);
  out["pages_fetched"] = site.pages_fetched;
  out["articles_written"] = site.articles_written;
  out["duplicate_articles"] = site.duplicate_articles;
  out["retries"] = site.retries;
  out["robots_fetches"] = site.robots_fetches;
  out["plugin_rejected_values"] = site.plugin_rejected_values;
  out["plugin"] = site.plugin;
  out["plugin_timeouts"] = site.plugin_timeouts;
  return out;
}

}  // namespace

std::string CrawlSummary::ToJson() const {
  boost::json::object out;
  boost::json::array sites_json;
  for (const auto& site : sites) sites_json.push_back(SiteJson(site));
  out["sites"] = std::move(sites_json);
  out["total"] = SiteJson(Total());
  boost::json::object plugins;
  for (const auto& [plugin, counts] : Plugins()) {
    plugins[plugin] = boost::json::object{
        {"errors", counts.errors}, {"timeouts", counts.timeouts}, {"rejected_values", counts.rejected_values}};
  }
  out["plugins"] = std::move(plugins);
  out["elapsed_ms"] = elapsed_ms;
  out["interrupted"] = interrupted;
  out["output"] = output_path;
  boost::json::array outputs_json;
  for (const auto& output : outputs)
    outputs_json.push_back(boost::json::object{{"name", output.name}, {"type", output.kind}, {"path", output.path}});
  out["outputs"] = std::move(outputs_json);
  return boost::json::serialize(out);
}

}  // namespace newshound
