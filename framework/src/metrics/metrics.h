// Crawl metrics: a Registry of counters, gauges and one latency histogram per
// site, which the engine feeds as it crawls, and which renders itself as
// Prometheus text (PrometheusText, for GET /metrics) or as per-site figures
// (Snapshot, for the status page). metrics_server.h serves it over HTTP.
//
// Every figure counts from the Registry's construction (the process's
// start); nothing is persisted. A site first named by any call is created
// then; AddSite creates it up front so it shows with zeros before its first
// run.
//
// Label cardinality: sites are configured, so bounded; `class` has five
// values; hosts are not bounded (discovered links, redirects, CDNs), so each
// site tracks at most kMaxHostsPerSite failing hosts by name and counts the
// failures of any further host under kOtherHosts. Each label value is a time
// series in Prometheus; an unbounded set would make every scrape and the
// TSDB grow without limit.
//
// Thread safety: every member function may be called from any thread at any
// time. One mutex guards the per-site state (calls are a few per fetch, so
// contention is negligible next to a fetch); the in-flight gauge is an
// atomic.
#ifndef NEWSHOUND_METRICS_METRICS_H_
#define NEWSHOUND_METRICS_METRICS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace newshound::metrics {

// Upper bounds (seconds) of newshound_fetch_duration_seconds's buckets; a
// +Inf bucket follows. From a fast local response to a fetch near the
// default timeouts.
inline constexpr double kFetchDurationBuckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                   1,     2.5,  5,     10,   30,  60};
inline constexpr std::size_t kFetchDurationBucketCount =
    sizeof(kFetchDurationBuckets) / sizeof(kFetchDurationBuckets[0]);

// See the cardinality note above. A host name can never contain parentheses.
inline constexpr std::size_t kMaxHostsPerSite = 50;
inline constexpr char kOtherHosts[] = "(other)";
// How many failing hosts a SiteStatus lists.
inline constexpr std::size_t kFailingHostsShown = 5;

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Makes `site` known, with zeros, so it shows before its first run.
  void AddSite(const std::string& site);

  // One finished fetch of `host` for `site`: `http_status` is the response's
  // status, 0 when there was none (connect, TLS, timeout, body too large...).
  // Counted under class 2xx/3xx/4xx/5xx, or "error" for 0 and anything
  // outside 200-599 (a 1xx is never a final response);
  // a 5xx or "error" is a failure of `host`. `bytes` are the body bytes
  // received; `latency_seconds` the whole fetch (negative or NaN counts as 0).
  void RequestDone(const std::string& site, int http_status, const std::string& host,
                   uint64_t bytes, double latency_seconds);
  // The politeness policy made a fetch of `site` wait `seconds` (crawl delay,
  // per-host gap, Retry-After).
  void PolitenessWait(const std::string& site, double seconds);
  // A fetch of `site` is retried.
  void Retry(const std::string& site);
  // A plugin call for `site` failed (error returned, time budget exceeded,
  // crash contained).
  void PluginError(const std::string& site);
  // An article of `site` was written to the output.
  void ArticleEmitted(const std::string& site);
  // URLs of `site` waiting in the frontier now.
  void SetQueueDepth(const std::string& site, int64_t queued);
  // Fetches in flight now, all sites together.
  void SetInFlight(int64_t n);
  // Run number `run` of `site` began at `unix_ms` (ms since the epoch).
  void RunStarted(const std::string& site, int64_t run, int64_t unix_ms);
  // Run `run` of `site` ended at `unix_ms`; `ok` makes it the last
  // successful run (newshound_last_success_timestamp_seconds).
  void RunFinished(const std::string& site, int64_t run, int64_t unix_ms, bool ok);
  // When `site` runs next (ms since the epoch); nullopt: not scheduled.
  void SetNextRun(const std::string& site, std::optional<int64_t> unix_ms);

  // Everything in the Prometheus text exposition format 0.0.4 (# HELP and
  // # TYPE per family, names prefixed newshound_, sites in name order).
  // Timestamps not known yet (no run, no success, no next run) have no
  // sample rather than a misleading 0.
  std::string PrometheusText() const;

  // The status page's figures for one site.
  struct SiteStatus {
    std::string site;
    int64_t run = 0;  // number of the latest run started (or finished); 0: none yet
    bool running = false;  // run `run` started and has not finished
    std::optional<int64_t> last_run_started_ms;   // of run `run`
    std::optional<int64_t> last_run_finished_ms;  // of run `run`; nullopt while running
    std::optional<bool> last_run_ok;              // of run `run`, once finished
    std::optional<int64_t> last_success_ms;  // end of the latest successful run
    std::optional<int64_t> next_run_ms;
    int64_t pages = 0;     // fetches done (every RequestDone), = sum of newshound_requests_total
    int64_t articles = 0;  // = newshound_articles_emitted_total
    // Failed fetches (5xx or no response) plus plugin errors
    // = requests_total{class="5xx"} + requests_total{class="error"} + plugin_errors_total.
    int64_t errors = 0;
    int64_t queued = 0;  // = newshound_queue_depth
    // At most kFailingHostsShown (host, failures): most failures first, then
    // by host name. May include kOtherHosts.
    std::vector<std::pair<std::string, int64_t>> failing_hosts;
  };
  // All sites, in name order.
  std::vector<SiteStatus> Snapshot() const;
  // The last SetInFlight (= newshound_in_flight).
  int64_t InFlight() const;

 private:
  struct Site;
  // Requires mu_. Creates the site if it is new.
  Site& SiteLocked(const std::string& name);

  // Guards sites_ and everything in each Site.
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Site>> sites_;
  std::atomic<int64_t> in_flight_{0};
};

}  // namespace newshound::metrics

#endif  // NEWSHOUND_METRICS_METRICS_H_
