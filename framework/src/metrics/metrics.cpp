#include "metrics/metrics.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <string_view>

namespace newshound::metrics {
namespace {

// requests_total's `class` label values, indexed by StatusClass().
constexpr std::array<const char*, 5> kClassNames = {"2xx", "3xx", "4xx", "5xx", "error"};
constexpr std::size_t kClass5xx = 3;
constexpr std::size_t kClassError = 4;

std::size_t StatusClass(int http_status) {
  if (http_status >= 200 && http_status <= 599) return static_cast<std::size_t>(http_status / 100 - 2);
  return kClassError;
}

// Negative, NaN and infinite durations (a clock step, a caller's bug) count
// as 0 rather than poisoning a sum forever.
double Sanitize(double seconds) {
  return std::isfinite(seconds) && seconds > 0 ? seconds : 0.0;
}

// Prometheus label values escape backslash, double quote and newline
// (exposition format 0.0.4).
void AppendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
}

// Shortest text that reads back as the same double; "+Inf"/"-Inf"/"NaN" as
// the format spells them.
std::string FormatDouble(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

std::string FormatSeconds(int64_t unix_ms) { return FormatDouble(static_cast<double>(unix_ms) / 1000.0); }

// Writes one family's samples: the header, then a line per sample.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void Family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    // HELP text escapes backslash and newline.
    for (char c : help) {
      if (c == '\\') out_ += "\\\\";
      else if (c == '\n') out_ += "\\n";
      else out_ += c;
    }
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  // `labels` are (name, value) pairs; values are escaped here.
  void Sample(std::string_view name, std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
              std::string_view value) {
    out_ += name;
    if (labels.size() != 0) {
      out_ += '{';
      bool first = true;
      for (const auto& [label, label_value] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += label;
        out_ += "=\"";
        AppendLabelValue(out_, label_value);
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += value;
    out_ += '\n';
  }

 private:
  std::string& out_;
};

}  // namespace

struct Registry::Site {
  std::array<int64_t, kClassNames.size()> requests{};
  uint64_t bytes = 0;
  // Not cumulative here: buckets[i] counts observations in
  // (bound[i-1], bound[i]]; the last one those above every bound.
  std::array<int64_t, kFetchDurationBucketCount + 1> duration_buckets{};
  double duration_sum = 0;
  int64_t duration_count = 0;
  int64_t queued = 0;
  int64_t politeness_waits = 0;
  double politeness_wait_seconds = 0;
  int64_t retries = 0;
  int64_t plugin_errors = 0;
  int64_t articles = 0;
  int64_t run = 0;
  bool running = false;
  std::optional<int64_t> run_started_ms;
  std::optional<int64_t> run_finished_ms;
  std::optional<bool> run_ok;
  std::optional<int64_t> last_success_ms;
  std::optional<int64_t> next_run_ms;
  int64_t runs_ok = 0;
  int64_t runs_failed = 0;
  // At most kMaxHostsPerSite names plus kOtherHosts.
  std::map<std::string, int64_t> host_failures;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Site& Registry::SiteLocked(const std::string& name) {
  auto it = sites_.find(name);
  if (it == sites_.end()) it = sites_.emplace(name, std::make_unique<Site>()).first;
  return *it->second;
}

void Registry::AddSite(const std::string& site) {
  std::lock_guard lock(mu_);
  SiteLocked(site);
}

void Registry::RequestDone(const std::string& site, int http_status, const std::string& host, uint64_t bytes,
                           double latency_seconds) {
  const std::size_t status_class = StatusClass(http_status);
  const double latency = Sanitize(latency_seconds);
  // First bucket whose bound is >= latency ("le" is inclusive).
  const std::size_t bucket = static_cast<std::size_t>(
      std::lower_bound(std::begin(kFetchDurationBuckets), std::end(kFetchDurationBuckets), latency) -
      std::begin(kFetchDurationBuckets));
  std::lock_guard lock(mu_);
  Site& s = SiteLocked(site);
  ++s.requests[status_class];
  s.bytes += bytes;
  ++s.duration_buckets[bucket];
  s.duration_sum += latency;
  ++s.duration_count;
  if (status_class == kClass5xx || status_class == kClassError) {
    auto it = s.host_failures.find(host);
    if (it == s.host_failures.end()) {
      const std::size_t named = s.host_failures.size() - s.host_failures.count(kOtherHosts);
      it = s.host_failures.emplace(named < kMaxHostsPerSite ? host : std::string(kOtherHosts), 0).first;
    }
    ++it->second;
  }
}

void Registry::PolitenessWait(const std::string& site, double seconds) {
  std::lock_guard lock(mu_);
  Site& s = SiteLocked(site);
  ++s.politeness_waits;
  s.politeness_wait_seconds += Sanitize(seconds);
}

void Registry::Retry(const std::string& site) {
  std::lock_guard lock(mu_);
  ++SiteLocked(site).retries;
}

void Registry::PluginError(const std::string& site) {
  std::lock_guard lock(mu_);
  ++SiteLocked(site).plugin_errors;
}

void Registry::ArticleEmitted(const std::string& site) {
  std::lock_guard lock(mu_);
  ++SiteLocked(site).articles;
}

void Registry::SetQueueDepth(const std::string& site, int64_t queued) {
  std::lock_guard lock(mu_);
  SiteLocked(site).queued = queued;
}

void Registry::SetInFlight(int64_t n) { in_flight_.store(n, std::memory_order_relaxed); }

int64_t Registry::InFlight() const { return in_flight_.load(std::memory_order_relaxed); }

void Registry::RunStarted(const std::string& site, int64_t run, int64_t unix_ms) {
  std::lock_guard lock(mu_);
  Site& s = SiteLocked(site);
  s.run = run;
  s.running = true;
  s.run_started_ms = unix_ms;
  s.run_finished_ms.reset();
  s.run_ok.reset();
}

void Registry::RunFinished(const std::string& site, int64_t run, int64_t unix_ms, bool ok) {
  std::lock_guard lock(mu_);
  Site& s = SiteLocked(site);
  ++(ok ? s.runs_ok : s.runs_failed);
  if (ok && (!s.last_success_ms || *s.last_success_ms < unix_ms)) s.last_success_ms = unix_ms;
  // An older run ending late (runs overlapping) does not hide the state of
  // the newer one.
  if (run < s.run) return;
  if (run > s.run) s.run_started_ms.reset();  // finished without a RunStarted
  s.run = run;
  s.running = false;
  s.run_finished_ms = unix_ms;
  s.run_ok = ok;
}

void Registry::SetNextRun(const std::string& site, std::optional<int64_t> unix_ms) {
  std::lock_guard lock(mu_);
  SiteLocked(site).next_run_ms = unix_ms;
}

std::string Registry::PrometheusText() const {
  std::string out;
  out.reserve(4096);
  Writer w(out);
  std::lock_guard lock(mu_);

  // One family for all sites: `emit` writes the site's samples.
  auto per_site = [&](std::string_view name, std::string_view type, std::string_view help, auto emit) {
    w.Family(name, type, help);
    for (const auto& [site, s] : sites_) emit(std::string_view(site), *s);
  };
  auto integer = [](int64_t v) { return std::to_string(v); };

  per_site("newshound_requests_total", "counter",
           "Fetches done, by HTTP status class (error: no response).",
           [&](std::string_view site, const Site& s) {
             for (std::size_t i = 0; i < kClassNames.size(); ++i) {
               w.Sample("newshound_requests_total", {{"site", site}, {"class", kClassNames[i]}},
                        integer(s.requests[i]));
             }
           });
  per_site("newshound_response_bytes_total", "counter", "Response body bytes received.",
           [&](std::string_view site, const Site& s) {
             w.Sample("newshound_response_bytes_total", {{"site", site}}, std::to_string(s.bytes));
           });
  per_site("newshound_fetch_duration_seconds", "histogram", "Time a fetch took, start to last byte or failure.",
           [&](std::string_view site, const Site& s) {
             int64_t cumulative = 0;
             for (std::size_t i = 0; i < kFetchDurationBucketCount; ++i) {
               cumulative += s.duration_buckets[i];
               const std::string le = FormatDouble(kFetchDurationBuckets[i]);
               w.Sample("newshound_fetch_duration_seconds_bucket", {{"site", site}, {"le", le}},
                        integer(cumulative));
             }
             cumulative += s.duration_buckets[kFetchDurationBucketCount];
             w.Sample("newshound_fetch_duration_seconds_bucket", {{"site", site}, {"le", "+Inf"}},
                      integer(cumulative));
             w.Sample("newshound_fetch_duration_seconds_sum", {{"site", site}}, FormatDouble(s.duration_sum));
             w.Sample("newshound_fetch_duration_seconds_count", {{"site", site}}, integer(s.duration_count));
           });
  per_site("newshound_queue_depth", "gauge", "URLs waiting in the frontier.",
           [&](std::string_view site, const Site& s) {
             w.Sample("newshound_queue_depth", {{"site", site}}, integer(s.queued));
           });
  w.Family("newshound_in_flight", "gauge", "Fetches in flight, all sites.");
  w.Sample("newshound_in_flight", {}, integer(in_flight_.load(std::memory_order_relaxed)));
  per_site("newshound_politeness_waits_total", "counter", "Fetches the politeness policy made wait.",
           [&](std::string_view site, const Site& s) {
             w.Sample("newshound_politeness_waits_total", {{"site", site}}, integer(s.politeness_waits));
           });
  per_site("newshound_politeness_wait_seconds_total", "counter", "Time fetches waited for politeness.",
           [&](std::string_view site, const Site& s) {
             w.Sample("newshound_politeness_wait_seconds_total", {{"site", site}},
                      FormatDouble(s.politeness_wait_seconds));
           });
  per_site("newshound_retries_total", "counter", "Fetches retried.", [&](std::string_view site, const Site& s) {
    w.Sample("newshound_retries_total", {{"site", site}}, integer(s.retries));
  });
  per_site("newshound_plugin_errors_total", "counter", "Plugin calls that failed.",
           [&](std::string_view site, const Site& s) {
             w.Sample("newshound_plugin_errors_total", {{"site", site}}, integer(s.plugin_errors));
           });
  per_site("newshound_articles_emitted_total", "counter", "Articles written to the output.",
           [&](std::string_view site, const Site& s) {
             w.Sample("newshound_articles_emitted_total", {{"site", site}}, integer(s.articles));
           });
  per_site("newshound_host_failures_total", "counter",
           "Fetches that got a 5xx or no response, by host (at most 50 hosts per site, the rest as host=\"(other)\").",
           [&](std::string_view site, const Site& s) {
             for (const auto& [host, failures] : s.host_failures) {
               w.Sample("newshound_host_failures_total", {{"site", site}, {"host", host}}, integer(failures));
             }
           });
  per_site("newshound_run", "gauge", "Number of the latest run (0: none yet).",
           [&](std::string_view site, const Site& s) {
             w.Sample("newshound_run", {{"site", site}}, integer(s.run));
           });
  per_site("newshound_running", "gauge", "1 while a run is in progress.", [&](std::string_view site, const Site& s) {
    w.Sample("newshound_running", {{"site", site}}, s.running ? "1" : "0");
  });
  per_site("newshound_runs_total", "counter", "Runs finished, by result.",
           [&](std::string_view site, const Site& s) {
             w.Sample("newshound_runs_total", {{"site", site}, {"result", "ok"}}, integer(s.runs_ok));
             w.Sample("newshound_runs_total", {{"site", site}, {"result", "failed"}}, integer(s.runs_failed));
           });
  per_site("newshound_last_run_ok", "gauge", "1 if the latest run succeeded, 0 if it failed (none before it ends).",
           [&](std::string_view site, const Site& s) {
             if (s.run_ok) w.Sample("newshound_last_run_ok", {{"site", site}}, *s.run_ok ? "1" : "0");
           });
  auto timestamp = [&](std::string_view name, std::string_view help, std::optional<int64_t> Site::*field) {
    per_site(name, "gauge", help, [&](std::string_view site, const Site& s) {
      if (s.*field) w.Sample(name, {{"site", site}}, FormatSeconds(*(s.*field)));
    });
  };
  timestamp("newshound_last_run_start_timestamp_seconds", "When the latest run started (Unix time).",
            &Site::run_started_ms);
  timestamp("newshound_last_run_end_timestamp_seconds", "When the latest run ended (Unix time; none while running).",
            &Site::run_finished_ms);
  timestamp("newshound_last_success_timestamp_seconds", "When the latest successful run ended (Unix time).",
            &Site::last_success_ms);
  timestamp("newshound_next_run_timestamp_seconds", "When the next run is due (Unix time).", &Site::next_run_ms);
  return out;
}

std::vector<Registry::SiteStatus> Registry::Snapshot() const {
  std::vector<SiteStatus> result;
  std::lock_guard lock(mu_);
  result.reserve(sites_.size());
  for (const auto& [name, s] : sites_) {
    SiteStatus status;
    status.site = name;
    status.run = s->run;
    status.running = s->running;
    status.last_run_started_ms = s->run_started_ms;
    status.last_run_finished_ms = s->run_finished_ms;
    status.last_run_ok = s->run_ok;
    status.last_success_ms = s->last_success_ms;
    status.next_run_ms = s->next_run_ms;
    for (int64_t n : s->requests) status.pages += n;
    status.articles = s->articles;
    status.errors = s->requests[kClass5xx] + s->requests[kClassError] + s->plugin_errors;
    status.queued = s->queued;
    std::vector<std::pair<std::string, int64_t>> hosts(s->host_failures.begin(), s->host_failures.end());
    const std::size_t shown = std::min(hosts.size(), kFailingHostsShown);
    std::partial_sort(hosts.begin(), hosts.begin() + static_cast<std::ptrdiff_t>(shown), hosts.end(),
                      [](const auto& a, const auto& b) {
                        return a.second != b.second ? a.second > b.second : a.first < b.first;
                      });
    hosts.resize(shown);
    status.failing_hosts = std::move(hosts);
    result.push_back(std::move(status));
  }
  return result;
}

}  // namespace newshound::metrics
