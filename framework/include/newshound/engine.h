// The crawl engine: runs the sites of a config to completion and reports
// what happened to every URL.
//
// One io_context served by `crawler.threads` threads carries the network
// work; plugins run on a separate pool of `crawler.parse_threads` so parsing
// never stalls the event loop; all shared crawl state (frontier, per-site
// counters, the output file) belongs to one strand. SIGINT or SIGTERM stops
// scheduling, lets requests in flight finish, and records the rest as
// cancelled; a second signal stops at once.
//
// Thread safety: RunCrawl blocks its caller; call it from one thread.
#ifndef NEWSHOUND_ENGINE_H_
#define NEWSHOUND_ENGINE_H_

#include <array>
#include <map>
#include <cstdint>
#include <string>
#include <vector>

#include "newshound/config.h"
#include "newshound/fetch.h"
#include "newshound/outcome.h"
#include "newshound/plugin_host.h"
#include "newshound/status.h"

namespace newshound {

struct RunOptions {
  std::string plugin_dir;  // overrides crawler.plugin_dir when set
  bool handle_signals = true;
};

struct SiteSummary {
  std::string name;
  bool started = false;    // false: the site could not start (see error)
  std::string error;
  int64_t urls_accepted = 0;  // URLs that entered the crawl; each ends in one outcome
  int64_t pages_fetched = 0;
  int64_t articles_written = 0;
  int64_t duplicate_articles = 0;  // article pages whose canonical URL was already written
  std::array<int64_t, kOutcomeKindCount> outcomes{};
  int64_t plugin_rejected_values = 0;
  std::string plugin;          // the site's plugin
  int64_t plugin_timeouts = 0; // plugin calls that overran crawler.plugin_timeout (also plugin_error outcomes)
  int64_t retries = 0;         // attempts after a transient failure
  int64_t robots_fetches = 0;  // robots.txt requests (not URLs of the crawl)

  int64_t Outcome(OutcomeKind kind) const { return outcomes[static_cast<int>(kind)]; }
  int64_t OutcomesTotal() const;
  // URLs whose outcome is a failure: not fetched, not_modified, or one of
  // the skips (out of scope, over budget, robots.txt, duplicate, seen before).
  int64_t Errors() const;
  // Adds every counter of `more` (not name, started or error).
  void Add(const SiteSummary& more);
};

struct CrawlSummary {
  std::vector<SiteSummary> sites;
  int64_t elapsed_ms = 0;
  bool interrupted = false;
  std::string output_path;  // the file of the first article sink
  struct Output {
    std::string name, kind, path;  // a sink: its name, type and file (or directory)
  };
  std::vector<Output> outputs;  // every sink, in config order

  SiteSummary Total() const;
  // Per plugin: pages it failed on (exceptions, errors, overrun budgets),
  // budget overruns, and values the host refused.
  struct PluginCounts {
    int64_t errors = 0;
    int64_t timeouts = 0;
    int64_t rejected_values = 0;
  };
  std::map<std::string, PluginCounts> Plugins() const;
  // "37 pages fetched, 25 articles written, 0 errors, 2.1 s" plus the errors
  // by kind when there are any.
  std::string Line() const;
  bool AllSitesStarted() const;
  // The whole summary as a JSON object: per site and in total, the URLs
  // accepted, every outcome kind with its count (they sum to the URLs
  // accepted), pages fetched, articles written, retries, robots fetches.
  std::string ToJson() const;
};

// Runs every site of the config once: a new run, or the site's unfinished
// one in the crawl state (killed or stopped earlier) resumed where it was.
// Fails only when nothing can run (no
// plugin directory, output not writable); a site that cannot start is
// reported in its SiteSummary and the others crawl.
Result<CrawlSummary> RunCrawl(const Config& config, const RunOptions& options);

// Runs every site of the config on its `schedule:` until SIGINT/SIGTERM,
// in one process: a site's next run starts when its schedule says (runs of
// one site never overlap; a run that overran is followed by the next slot,
// not by catch-up runs). SIGHUP reads the config file again: a config that
// fails to load or check is refused with its errors and the running one
// goes on; a good one takes over after the requests in flight finish, and
// open runs resume under it. A site without a schedule is refused (see its
// SiteSummary). The summary adds up every run.
Result<CrawlSummary> ServeCrawl(Config config, const RunOptions& options);

// The request settings a crawl uses for a site's pages (user agent, limits,
// TLS, network.resolve pins); `newshound fetch --config` uses the same.
FetchSettings FetchSettingsFor(const Config& config, const SiteConfig& site);

// Validates what a crawl would need without crawling: the plugin directory,
// each site's plugin and its settings, TLS CA files, and the output path's
// directory. Returns one message per problem, each naming what it concerns.
std::vector<std::string> CheckConfig(const Config& config, const RunOptions& options, PluginLoadReport* report);

}  // namespace newshound

#endif  // NEWSHOUND_ENGINE_H_
