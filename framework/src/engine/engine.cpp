#include "newshound/engine.h"

#include <unistd.h>

// GCC 12 warns -Wmismatched-new-delete on the frames of Asio coroutines:
// they are allocated and freed by the promise's own operator new/delete
// (Asio's recycling allocator), which GCC fails to pair up (GCC bug 109224).
// There is no mismatch; the warning would only bury real ones.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <openssl/evp.h>
#include <re2/re2.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "distributed/shared_frontier.h"
#include "frontier/frontier.h"
#include "frontier/seen_set.h"
#include "net/cookie_jar.h"
#include "net/fetcher.h"
#include "newshound/charset.h"
#include "newshound/discovery.h"
#include "newshound/robots.h"
#include "policy/redirect_policy.h"
#include "policy/retry_policy.h"
#include "policy/schedule.h"
#include "policy/throttle.h"
#include "state/state_store.h"
#include "newshound/sink.h"
#include "newshound/url.h"
#include "metrics/metrics.h"
#include "metrics/metrics_server.h"
#include "newshound/log.h"
#include "sink/jsonl_sink.h"
#include "sink/sink.h"

namespace newshound {
namespace {

namespace asio = boost::asio;
using frontier::Clock;
using frontier::CrawlItem;
using frontier::Priority;

std::string IsoNow() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Sha256Hex(std::string_view data) {
  // Fetched once: OpenSSL 3 looks EVP_sha256() up in its providers on every
  // EVP_Digest otherwise (a quarter of the time of hashing a page). Freed
  // never: it is the provider's for the life of the process.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, sha256 != nullptr ? sha256 : EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

// The key an article is written once under: its canonical URL, else the
// URL it was fetched from, in normal form.
std::string ArticleKey(const std::string* canonical, const std::string& fetched_url) {
  std::string key = canonical != nullptr ? *canonical : fetched_url;
  if (auto normalized = NormalizeUrl(key); normalized.ok()) key = std::move(*normalized);
  return key;
}

// What decides whether a re-crawled article is written again: its title
// and body, not the page around them (sidebars and "most read" lists change
// every hour on the same article).
std::string ArticleContentHash(const std::string* title, const std::string* body) {
  std::string text;
  text += title != nullptr ? "t" + *title : "-";
  text += '\0';
  text += body != nullptr ? "b" + *body : "-";
  return Sha256Hex(text);
}

// The media type of a Content-Type value, lower case, without parameters;
// a missing one is taken as HTML.
std::string MediaType(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type.empty() ? "text/html" : type;
}

// Media types handed to plugins; anything else is fetched but not parsed.
bool IsParseable(const std::string& content_type) {
  const std::string type = MediaType(content_type);
  return type == "text/html" || type == "application/xhtml+xml" || type == "text/xml" ||
         type == "application/xml" || type == "application/rss+xml" || type == "application/atom+xml";
}

// Whether a fetched body may be a sitemap or feed, for the core to read
// before any plugin: declared XML (or gzip, as .xml.gz sitemaps are served),
// a path that says so, or bytes that start like XML or gzip.
bool MayBeDiscoveryDocument(const FetchResult& fetch) {
  const std::string type = MediaType(fetch.Header("Content-Type"));
  if (type == "text/xml" || type == "application/xml" || type == "application/rss+xml" ||
      type == "application/atom+xml" || type == "application/x-gzip" || type == "application/gzip")
    return true;
  const std::string_view body = fetch.body;
  if (body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1f && static_cast<unsigned char>(body[1]) == 0x8b)
    return true;
  return body.substr(0, 5) == "<?xml" || body.substr(0, 8) == "\xEF\xBB\xBF<?xml";
}

std::string ResolvePluginDir(const Config& config, const RunOptions& options) {
  if (!options.plugin_dir.empty()) return options.plugin_dir;
  if (!config.crawler.plugin_dir.empty()) return config.crawler.plugin_dir;
  return DefaultPluginDir();
}

// "https://host:443" -> "https://host/robots.txt": default ports are left
// out, as in every log a webmaster reads.
std::string RobotsUrl(const std::string& origin) {
  for (const auto& [scheme, port] : {std::pair<std::string_view, std::string_view>{"https://", ":443"},
                                     std::pair<std::string_view, std::string_view>{"http://", ":80"}}) {
    if (origin.rfind(scheme, 0) == 0 && origin.size() > port.size() &&
        origin.compare(origin.size() - port.size(), port.size(), port) == 0)
      return origin.substr(0, origin.size() - port.size()) + "/robots.txt";
  }
  return origin + "/robots.txt";
}

int EffectiveThreads(int configured) {
  if (configured > 0) return configured;
  return std::max(1u, std::thread::hardware_concurrency());
}

// Everything one finished request sends back to the strand.
struct Completion {
  CrawlItem item;
  bool robots = false;  // the request was the robots.txt of item.origin
  bool plugin_timed_out = false;
  FetchResult fetch;
  std::optional<Result<PageAnalysis>> analysis;  // set when the plugin ran
  std::optional<discovery::DiscoveryResult> discovery;  // set when it was a sitemap or feed (no plugin then)
  std::string charset;
  std::string content_sha256;
  uint64_t body_bytes = 0;  // of the response body as decoded, before the parse took it
  bool written = false;     // Frontier::Written(first) was posted for the request
};

// crawler.frontier_memory_items, and where the spill goes: beside the crawl
// state, or in the temporary directory (a private name: several crawls may
// run at once).
frontier::FrontierOptions FrontierOptionsFor(const Config& config) {
  frontier::FrontierOptions options;
  if (config.crawler.frontier_memory_items <= 0) return options;
  options.max_items_in_memory = static_cast<size_t>(config.crawler.frontier_memory_items);
  std::error_code ec;
  const std::filesystem::path base = config.crawler.state_dir.empty() ? std::filesystem::temp_directory_path(ec)
                                                                      : std::filesystem::path(config.crawler.state_dir);
  options.spill_directory = (base / ("frontier-spill-" + std::to_string(::getpid()))).string();
  return options;
}

class Crawl {
 public:
  // `serve`: run each site on its schedule until a signal (or a reload);
  // otherwise once. `shared_state`: the crawl state to use (kept by the
  // caller across crawls, as `serve` does across reloads); null: this crawl
  // opens crawler.state_dir itself.
  // `metrics`: where the crawl's figures go (kept by the caller, so that a
  // serve's figures count across reloads).
  Crawl(const Config& config, const RunOptions& options, metrics::Registry& metrics, bool serve = false,
        state::StateStore* shared_state = nullptr)
      : config_(config),
        options_(options),
        serve_(serve),
        metrics_(metrics),
        shared_state_(shared_state),
        strand_(asio::make_strand(io_)),
        wake_(strand_),
        parse_pool_(std::make_unique<asio::thread_pool>(
            static_cast<size_t>(EffectiveThreads(config.crawler.parse_threads)))),
        registry_(std::make_unique<PluginRegistry>()) {}

  ~Crawl() {
    if (overrunning_plugin_calls_ > 0) {
      // A plugin call that overran its budget may still be running, in the
      // plugin's code and on its instance: joining would hang, and
      // unloading would pull the code from under it. Leave them to the end
      // of the process.
      spdlog::error("{} plugin call(s) still running past their time budget; not waiting for them",
                    overrunning_plugin_calls_.load());
      for (auto& site : sites_) (void)site.plugin.release();
      (void)registry_.release();
      (void)parse_pool_.release();
    }
  }

  Result<CrawlSummary> Run() {
    const auto start = Clock::now();
    const std::string plugin_dir = ResolvePluginDir(config_, options_);
    if (Status status = registry_->LoadDirectory(plugin_dir); !status.ok()) return status;
    for (const auto& refused : registry_->report().refused)
      spdlog::warn("plugin refused: {}: {}", refused.path, refused.reason);

    if (Status status = OpenSinks(); !status.ok()) return status;

    if (shared_state_ != nullptr) {
      state_ = shared_state_;
    } else {
      auto store = state::StateStore::Open(config_.crawler.state_dir);
      if (!store.ok()) return store.status();
      own_state_ = std::move(*store);
      state_ = own_state_.get();
    }
    if (Status status = ReconcileOutput(); !status.ok()) return status;
    if (Status status = ConnectShared(); !status.ok()) return status;

    StartSites();
    CommitState();

    // On the strand, like the scheduler's completion below: the re-arming in
    // OnSignal and the final cancel() must not race (a wait left armed would
    // keep io_.run() from returning).
    asio::signal_set signals(strand_, SIGINT, SIGTERM);
    if (serve_) signals.add(SIGHUP);
    if (options_.handle_signals) {
      signals.async_wait([this, &signals](const boost::system::error_code& ec, int sig) {
        if (ec) return;
        OnSignal(sig, signals);
      });
    }

    asio::co_spawn(strand_, Schedule(), [this, &signals](std::exception_ptr error) {
      if (error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          spdlog::critical("scheduler failed: {}", e.what());
        }
      }
      scheduler_done_ = true;
      boost::system::error_code ignored;
      signals.cancel(ignored);
      shutdown_timer_.cancel();
      progress_timer_.cancel();
    });
    asio::co_spawn(strand_, Progress(), asio::detached);

    const int threads = EffectiveThreads(config_.crawler.threads);
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& thread : pool) thread.join();
    if (overrunning_plugin_calls_ == 0) parse_pool_->join();
    sink_thread_.join();
    if (!output_failed_ && !state_failed_) {
      if (FlushSinks()) {
        for (auto& sink : sinks_)
          if (Status status = sink->Sync(); !status.ok()) OutputFailed(*sink, status);
      }
    }
    // A run still open here was stopped (signal, reload, output failure): it
    // stays open in the state, and the next start resumes it from its
    // persisted frontier. After an output failure the state stays as it was
    // at the last flush that worked: what came after is done again.
    if (output_failed_) {
      state_->Rollback();
    } else if (Status status = state_->Commit(); !status.ok()) {
      return status;
    }
    LeaveShared();

    if (frontier_.spilled_total() > 0)
      spdlog::info("{} URLs went through the frontier's spill files (over crawler.frontier_memory_items)",
                   frontier_.spilled_total());
    CrawlSummary summary;
    summary.interrupted = interrupted_;
    for (const auto& sink : sinks_) {
      summary.outputs.push_back({sink->name(), std::string(SinkKindName(sink->kind())), sink->path()});
      if (summary.output_path.empty() && sink->takes_articles()) summary.output_path = sink->path();
    }
    for (const Site& site : sites_) summary.sites.push_back(site.summary);
    summary.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    return summary;
  }

 private:
  struct Site {
    const SiteConfig* config = nullptr;
    std::unique_ptr<PluginInstance> plugin;
    FetchSettings fetch;
    FetchSettings robots_fetch;  // same, but robots.txt may redirect 5 times (RFC 9309 2.3.1.2)
    frontier::HostPolicy policy;
    std::unique_ptr<policy::RetryPolicy> retry;
    SiteSummary summary;
    int64_t fetches_started = 0;  // URLs given their first attempt (retries are not counted again)
    std::vector<sink::Sink*> article_sinks;   // of sinks_, those this site's articles go to
    std::vector<sink::Sink*> exchange_sinks;  // of sinks_, those this site's requests and responses go to
    int64_t unflushed_articles = 0;           // written to the sinks, not flushed yet
    int64_t run = 0;              // this run's number in the crawl state
    // frontier.backend redis: the run's number in the shared state (the
    // local state keeps its own numbering), and the URLs of it claimed
    // here that have no outcome yet.
    int64_t shared_run = 0;
    int64_t shared_held = 0;
    Clock::time_point next_finish_check{};
    bool active = false;          // a run is in progress
    // Whether the crawl state holds URLs of the site from an earlier run.
    // Only those can make a link new to this run "crawled before", or give a
    // fetch validators for a conditional GET (a URL is fetched once per run,
    // so a row this run finished is never fetched again in it). Without them
    // (a site's first run, the first run of an in-memory state)
    // OfferNormalized skips CrawledBefore's lookup per link and Schedule the
    // lookup of validators per fetch. Set when the run starts: no row of an
    // earlier run appears during one.
    bool earlier_urls = true;
    int64_t run_started_ms = 0;   // Unix time the current (or last) run started
    SiteSummary at_run_start;     // the counters when the run started: what the run did is the difference

    // URLs of the current run still without their outcome (each accepted URL
    // ends in exactly one).
    int64_t OpenUrls() const {
      return (summary.urls_accepted - at_run_start.urls_accepted) -
             (summary.OutcomesTotal() - at_run_start.OutcomesTotal());
    }
    // serve: when the next run starts (system clock; the schedule is wall
    // time), and the schedule that says so.
    std::optional<std::chrono::system_clock::time_point> next_start;
    std::optional<policy::SiteScheduler> scheduler;
    // Every URL that entered this run (normal form), redirect targets
    // included: each enters once. 64-bit fingerprints, about 12 bytes a URL
    // (frontier/seen_set.h); rebuilt from the crawl state on resume.
    frontier::SeenSet seen;
    // The scope patterns of the config, compiled (checked by the loader).
    std::vector<std::unique_ptr<RE2>> include, exclude;
  };

  // What is known of one origin's robots.txt (RFC 9309 applies per
  // scheme + host + port).
  struct OriginRobots {
    enum class State { kUnknown, kFetching, kKnown } state = State::kUnknown;
    std::shared_ptr<const RobotsRules> rules;
    Clock::time_point expires{};
    int failures = 0;     // consecutive 5xx / unreachable answers
    std::string reason;   // why everything is disallowed, when it is for unavailability
    // What a URL refused for want of robots.txt ends as: robots_disallowed,
    // or blocked_address when the SSRF guard refused the origin itself.
    OutcomeKind refusal = OutcomeKind::kRobotsDisallowed;
    // Politeness keys held back until robots.txt answers (more than one when
    // sites with different politeness keys share the origin).
    std::vector<std::string> blocked_hosts;
  };

  void StartSites() {
    sites_.resize(config_.sites.size());
    for (size_t i = 0; i < config_.sites.size(); ++i) {
      const SiteConfig& cfg = config_.sites[i];
      Site& site = sites_[i];
      site.config = &cfg;
      site.summary.name = cfg.name;
      site_index_[cfg.name] = i;
      site.summary.plugin = cfg.plugin;
      metrics_.AddSite(cfg.name);
      site.fetch = FetchSettingsFor(config_, cfg);
      for (auto& sink : sinks_) {
        const auto& names = cfg.sinks;
        if (!names.empty() && std::find(names.begin(), names.end(), sink->name()) == names.end()) continue;
        if (sink->takes_articles()) site.article_sinks.push_back(sink.get());
        if (sink->takes_exchanges()) site.exchange_sinks.push_back(sink.get());
      }
      site.fetch.record_exchanges = !site.exchange_sinks.empty();
      site.robots_fetch = site.fetch;
      site.robots_fetch.limits.max_redirects = 5;
      site.retry = std::make_unique<policy::RetryPolicy>(cfg.retries, std::random_device{}());
      for (const auto& pattern : cfg.include) site.include.push_back(std::make_unique<RE2>(pattern, RE2::Quiet));
      for (const auto& pattern : cfg.exclude) site.exclude.push_back(std::make_unique<RE2>(pattern, RE2::Quiet));
      site.policy.delay = cfg.politeness.delay;
      site.policy.max_in_flight = cfg.politeness.max_connections_per_host;
      auto plugin = registry_->Create(cfg.plugin, cfg.plugin_settings_json);
      if (!plugin.ok()) {
        site.summary.error = "site " + cfg.name + " (" + cfg.location + "): " + plugin.status().message();
        spdlog::error("{}; the other sites still crawl", site.summary.error);
        continue;
      }
      site.plugin = std::move(*plugin);
      site.summary.started = true;
      if (cfg.tls.insecure)
        spdlog::warn("site {}: tls.insecure is on: certificates of its hosts are NOT verified", cfg.name);
      if (cfg.proxy.enabled()) spdlog::info("site {}: requests go through proxy {}", cfg.name, cfg.proxy.Masked());
      spdlog::info("site {}: plugin {} {} ({}), {} start URL(s)", cfg.name, site.plugin->info().name,
                   site.plugin->info().version, site.plugin->info().path, cfg.start_urls.size());
      if (!serve_) {
        BeginRun(i);
        continue;
      }
      auto schedule = cfg.schedule.cron.empty() ? policy::Schedule::Every(cfg.schedule.every)
                                                : policy::ParseCron(cfg.schedule.cron);
      if (!cfg.schedule.set() || !schedule.ok()) {
        site.summary.started = false;
        site.summary.error = "site " + cfg.name + " (" + cfg.location + "): " +
                             (cfg.schedule.set() ? schedule.status().message() : "no schedule: `serve` needs one");
        spdlog::error("{}; the other sites still crawl", site.summary.error);
        continue;
      }
      site.scheduler.emplace(std::move(*schedule));
      ScheduleNextRun(i, /*at_start=*/true);
    }
  }

  // Strand: a run of the site starts now: the unfinished one in the state
  // (resumed where it was), or a new one from the start URLs.
  void BeginRun(size_t site_index) {
    Site& site = sites_[site_index];
    const SiteConfig& cfg = *site.config;
    auto run = state_->StartRun(cfg.name, UnixMs());
    if (!run.ok()) {
      site.summary.started = false;
      site.summary.error = "site " + cfg.name + ": " + run.status().message();
      spdlog::error("{}; the other sites still crawl", site.summary.error);
      return;
    }
    site.run = run->run;
    site.active = true;
    auto earlier = state_->HasUrlsBefore(cfg.name, site.run);
    if (!earlier.ok()) return StateFailed(earlier.status());
    site.earlier_urls = *earlier;
    site.seen = frontier::SeenSet();
    site.fetches_started = 0;
    site.run_started_ms = run->started_at_ms;
    site.at_run_start = site.summary;
    site.next_start.reset();
    metrics_.RunStarted(cfg.name, site.run, site.run_started_ms);
    metrics_.SetNextRun(cfg.name, std::nullopt);
    if (serve_) spdlog::info("site {}: run {} starts", cfg.name, site.run);
    if (shared_) {
      // The run is the shared one: joined if other workers have it going,
      // else started here, and then seeded by this worker alone.
      auto join = shared_->JoinRun(cfg.name);
      if (!join.ok()) return StateFailed(join.status().WithContext("frontier.redis"));
      site.shared_run = join->run;
      spdlog::info("site {}: {} shared run {} of crawl '{}' as worker {}", cfg.name, join->started ? "started" : "joined",
                   join->run, config_.crawler.frontier_crawl, shared_->worker());
      if (!join->started) return;
    } else if (run->resumed && ResumeRun(site_index)) {
      return;
    }
    for (const auto& url : cfg.start_urls) Offer(site_index, url, 0, Priority::kHigh);
    for (const auto& url : cfg.discovery.sitemaps) Offer(site_index, url, 0, Priority::kHigh);
    for (const auto& url : cfg.discovery.feeds) Offer(site_index, url, 0, Priority::kHigh);
    // Origins whose robots.txt an earlier run of this process already knows
    // (serve); the others offer theirs when it arrives (ApplyRobots).
    for (const auto& [origin, robots] : robots_)
      if (robots.state == OriginRobots::State::kKnown && robots.rules) OfferRobotsSitemaps(site_index, origin, *robots.rules);
    if (shared_) {
      // The start URLs are in the shared frontier: the seed token goes, and
      // from now on the run finishes when nothing is open.
      FlushSharedOffers();
      if (Status status = shared_->SeedDone(cfg.name, site.shared_run); !status.ok())
        StateFailed(status.WithContext("frontier.redis"));
    }
  }

  // Strand: after each piece of work, the runs that have nothing left end:
  // finished in the state, and (serve) the next one scheduled. A stopping
  // crawl finishes none: what it leaves is resumed next time.
  void FinishDoneRuns() {
    if (stopping_) return;
    for (size_t i = 0; i < sites_.size(); ++i) {
      Site& site = sites_[i];
      if (!site.active) continue;
      if (shared_ ? !SharedRunDone(site) : site.OpenUrls() > 0) continue;
      // A run is finished with its articles flushed and counted.
      if (site.unflushed_articles > 0 && !FlushSinks()) return;
      site.active = false;
      if (Status status = state_->FinishRun(site.config->name, site.run, UnixMs()); !status.ok()) {
        StateFailed(status);
        return;
      }
      const SiteSummary& before = site.at_run_start;
      spdlog::info("site {}: run {} finished: {} URLs, {} pages fetched, {} not modified, {} articles written",
                   site.config->name, site.run, site.summary.urls_accepted - before.urls_accepted,
                   site.summary.pages_fetched - before.pages_fetched,
                   site.summary.Outcome(OutcomeKind::kNotModified) - before.Outcome(OutcomeKind::kNotModified),
                   site.summary.articles_written - before.articles_written);
      // A run that fetched nothing at all (every request failed: the site
      // was down) finished, but did not succeed.
      metrics_.RunFinished(site.config->name, site.run, UnixMs(), site.summary.pages_fetched > before.pages_fetched);
      metrics_.SetQueueDepth(site.config->name, 0);
      if (serve_) ScheduleNextRun(i, /*at_start=*/false);
    }
  }

  // Strand (serve): when the site's next run starts. At start, an
  // unfinished run in the state is resumed at once; otherwise the schedule
  // counts from the last finished run, so a restart keeps the rhythm.
  void ScheduleNextRun(size_t site_index, bool at_start) {
    Site& site = sites_[site_index];
    const auto now = std::chrono::system_clock::now();
    policy::SiteScheduler::LastRun last;
    if (at_start) {
      auto finished = state_->LastFinishedRun(site.config->name);
      if (!finished.ok()) return StateFailed(finished.status());
      auto unfinished = state_->UnfinishedRun(site.config->name);
      if (!unfinished.ok()) return StateFailed(unfinished.status());
      if (*unfinished) {
        site.next_start = now;  // resumed by the first pass of the scheduler
        return;
      }
      if (*finished) {
        last.started = std::chrono::system_clock::time_point(Millis((*finished)->started_at_ms));
        last.finished = std::chrono::system_clock::time_point(Millis((*finished)->finished_at_ms));
      }
    } else {
      last.started = std::chrono::system_clock::time_point(Millis(site.run_started_ms));
      last.finished = now;
    }
    const auto decision = site.scheduler->Next(last, now);
    if (decision.kind != policy::SiteScheduler::Decision::Kind::kStartAt) {
      spdlog::warn("site {}: schedule {} has no further run", site.config->name, site.scheduler->schedule().text());
      return;
    }
    site.next_start = decision.at;
    metrics_.SetNextRun(site.config->name,
                        std::chrono::duration_cast<Millis>(decision.at.time_since_epoch()).count());
    const auto wait = std::chrono::duration_cast<Millis>(decision.at - now);
    spdlog::info("site {}: next run in {:.1f} s ({})", site.config->name,
                 static_cast<double>(std::max<int64_t>(0, wait.count())) / 1000.0, site.scheduler->schedule().text());
  }

  // Strand (serve): starts the runs that are due.
  void StartDueRuns() {
    if (!serve_ || stopping_) return;
    const auto now = std::chrono::system_clock::now();
    for (size_t i = 0; i < sites_.size(); ++i) {
      Site& site = sites_[i];
      if (!site.active && site.next_start && *site.next_start <= now) BeginRun(i);
    }
  }

  // Strand (serve): the earliest run start still to come, if any.
  std::optional<std::chrono::system_clock::time_point> NextRunStart() const {
    std::optional<std::chrono::system_clock::time_point> earliest;
    for (const Site& site : sites_)
      if (!site.active && site.next_start && (!earliest || *site.next_start < *earliest)) earliest = site.next_start;
    return earliest;
  }

  // Strand: picks up an unfinished run of the site (killed, or stopped by a
  // signal) where it was: what it had done stays done, what it had queued
  // is queued again. False when it had queued nothing (it starts afresh).
  bool ResumeRun(size_t site_index) {
    Site& site = sites_[site_index];
    auto urls = state_->UrlsOfRun(site.config->name, site.run);
    if (!urls.ok()) {
      spdlog::error("crawl state: {}", urls.status().message());
      return false;
    }
    if (urls->pending.empty() && urls->done.empty()) return false;
    spdlog::info("site {}: resuming run {}: {} URL(s) done, {} still to fetch", site.config->name, site.run,
                 urls->done.size(), urls->pending.size());
    site.seen.Reserve(urls->done.size() + urls->pending.size());
    for (const auto& url : urls->done) site.seen.Insert(url);
    for (auto& pending : urls->pending) {
      if (!site.seen.Insert(pending.url)) continue;
      ++site.summary.urls_accepted;
      CrawlItem item;
      item.url = std::move(pending.url);
      item.site = site_index;
      item.depth = pending.depth;
      item.priority = pending.high_priority ? Priority::kHigh : Priority::kLow;
      Queue(std::move(item), /*front=*/false);
    }
    return true;
  }

  // Why `url` (normal form; `parts` its ParseHttpUrl) is out of the site's
  // scope, or nullopt: its host must be one of `hosts`, it must match no
  // `exclude` pattern and, unless it is a start URL, one `include` pattern
  // when there are any. A URL in scope has parsed.
  std::optional<std::string> OutOfScope(const Site& site, const std::string& url, const Result<UrlParts>& parts,
                                        bool start_url) const {
    if (!parts.ok()) return parts.status().message();
    const auto& hosts = site.config->hosts;
    if (std::find(hosts.begin(), hosts.end(), parts->host) == hosts.end()) return "host not in the site's hosts";
    for (size_t i = 0; i < site.exclude.size(); ++i)
      if (RE2::PartialMatch(url, *site.exclude[i])) return "matches exclude pattern '" + site.config->exclude[i] + "'";
    if (start_url || site.include.empty()) return std::nullopt;
    for (const auto& pattern : site.include)
      if (RE2::PartialMatch(url, *pattern)) return std::nullopt;
    return std::string("matches no include pattern");
  }

  // A URL enters the crawl (once): queued, or given its terminal outcome
  // right away when it is out of scope or over a limit. Strand only.
  void Offer(size_t site_index, const std::string& url, int depth, Priority priority) {
    Site& site = sites_[site_index];
    auto normalized = NormalizeUrl(url, site.config->url_normalization);
    if (!normalized.ok()) {
      spdlog::debug("site {}: dropped link: {}", site.config->name, normalized.status().message());
      return;
    }
    OfferNormalized(site_index, std::move(*normalized), depth, priority);
  }

  // The same for a URL in the site's normal form already (the links a page
  // gave, normalized once when they were collected).
  void OfferNormalized(size_t site_index, std::string url, int depth, Priority priority) {
    Site& site = sites_[site_index];
    if (!site.seen.Insert(url)) return;
    if (shared_) {
      // Whether it is new to the run is for the shared seen set to say.
      OfferShared(site_index, std::move(url), depth, priority);
      return;
    }
    ++site.summary.urls_accepted;
    // Parsed once for the scope check and the queue.
    const Result<UrlParts> parts = ParseHttpUrl(url);
    if (auto why = OutOfScope(site, url, parts, depth == 0)) {
      Record(site, url, OutcomeKind::kOutOfScope, *why);
      return;
    }
    if (site.config->max_depth > 0 && depth > site.config->max_depth) {
      Record(site, url, OutcomeKind::kOverBudget, "deeper than max_depth");
      return;
    }
    if (depth > 0 && site.earlier_urls) {
      if (auto why = CrawledBefore(site, url)) {
        Record(site, url, OutcomeKind::kSeenBefore, *why);
        return;
      }
    }
    if (Status status = state_->Queue(site.config->name, site.run, {url, depth, priority == Priority::kHigh});
        !status.ok())
      StateFailed(status);
    CrawlItem item;
    item.url = std::move(url);
    item.site = site_index;
    item.depth = depth;
    item.priority = priority;
    Queue(std::move(item), /*front=*/false, *parts);
  }

  // Strand: why a link found in this run need not be fetched, because an
  // earlier run settled it: an article (pages whose content is final once
  // published; `recrawl_after` brings them back), or a page that failed for
  // good (a 404). Listing pages, feeds and anything else are revisited.
  std::optional<std::string> CrawledBefore(const Site& site, const std::string& url) {
    auto record = state_->Get(site.config->name, url);
    if (!record.ok()) {
      StateFailed(record.status());
      return std::nullopt;
    }
    if (!*record || !(*record)->last) return std::nullopt;
    const state::UrlState& last = *(*record)->last;
    const bool article = last.page_kind == PageKindName(PageKind::kArticle);
    const bool gone = last.outcome == OutcomeKind::kHttpError && !policy::RetryPolicy::IsTransient(last.outcome, last.status);
    if (!article && !gone) return std::nullopt;
    const Millis recrawl = site.config->recrawl_after;
    const int64_t age_ms = UnixMs() - last.fetched_at_ms;
    if (recrawl > Millis(0) && age_ms >= recrawl.count()) return std::nullopt;
    return std::string(article ? "an article" : "HTTP " + std::to_string(last.status)) + " fetched " +
           std::to_string(age_ms / 1000) + " s ago by an earlier run" +
           (recrawl > Millis(0) ? " (recrawl_after " + std::to_string(recrawl.count() / 1000) + " s)" : "");
  }

  // Queues an item under the origin and politeness key of the URL it asks
  // for next (its own, or its latest redirect target). Strand only.
  void Queue(CrawlItem item, bool front) {
    const UrlParts parts = *ParseHttpUrl(item.fetch_url());
    Queue(std::move(item), front, parts);
  }

  // The same with `parts`, ParseHttpUrl(item.fetch_url()), at hand.
  void Queue(CrawlItem item, bool front, const UrlParts& parts) {
    const Site& site = sites_[item.site];
    item.origin = OriginKey(parts);
    auto key = HostKey(site, parts);
    if (!key) {  // politeness by IP, and the host is still being resolved
      WaitForAddress(parts.host, std::move(item));
      return;
    }
    item.host_key = std::move(*key);
    frontier_.Push(std::move(item), site.policy, front);
  }

  // The politeness key of a URL: its host, its registrable domain, or its
  // IP address (nullopt while that is not known yet).
  std::optional<std::string> HostKey(const Site& site, const UrlParts& parts) {
    switch (site.config->politeness.key) {
      case PolitenessKey::kHost:
        return "host:" + parts.host;
      case PolitenessKey::kDomain:
        return "domain:" + RegistrableDomain(parts.host);
      case PolitenessKey::kIp: {
        boost::system::error_code ec;
        asio::ip::make_address(parts.host, ec);
        if (!ec) return "ip:" + parts.host;
        if (auto pinned = net::PinnedAddress(config_.crawler.resolve, parts)) return "ip:" + pinned->first;
        if (auto it = addresses_.find(parts.host); it != addresses_.end()) return it->second;
        return std::nullopt;
      }
    }
    return "host:" + parts.host;
  }

  // Holds an item until its host name resolves, then queues it under the
  // address (or under the host name if it does not resolve: the fetch will
  // then record the DNS failure).
  void WaitForAddress(const std::string& host, CrawlItem item) {
    ++items_waiting_for_dns_;
    const Millis resolve_timeout = sites_[item.site].fetch.limits.resolve_timeout;
    auto& waiting = waiting_for_dns_[host];
    waiting.push_back(std::move(item));
    if (waiting.size() > 1) return;  // already resolving
    asio::co_spawn(
        io_,
        [this, host, resolve_timeout]() -> asio::awaitable<void> {
          // The fetcher's resolver: its answer is cached for the fetches
          // of the host that follow.
          net::ResolveResult resolved =
              co_await fetcher_.resolver().Resolve(host, 443, Clock::now() + resolve_timeout);
          std::string key = "host:" + host;
          if (resolved.ok()) key = "ip:" + resolved.endpoints.front().address().to_string();
          asio::post(strand_, [this, host, key] {
            addresses_[host] = key;
            auto items = std::move(waiting_for_dns_[host]);
            waiting_for_dns_.erase(host);
            for (auto& waiting_item : items) {
              --items_waiting_for_dns_;
              waiting_item.host_key = key;
              const frontier::HostPolicy& policy = sites_[waiting_item.site].policy;
              frontier_.Push(std::move(waiting_item), policy);
            }
            wake_.cancel();
          });
        },
        asio::detached);
  }

  // Strand: the terminal outcome of a URL that was queued in this run,
  // reached without a (new) fetch: recorded, and done in the crawl state.
  // A cancelled URL stays queued there, for the run's resumption.
  void Settle(Site& site, const std::string& url, OutcomeKind kind, const std::string& detail) {
    Record(site, url, kind, detail);
    if (kind == OutcomeKind::kCancelled) return;
    if (Status status = state_->FinishUnfetched(site.config->name, site.run, url, kind); !status.ok()) StateFailed(status);
  }

  // Counts and logs a URL's terminal outcome for the summary.
  void Record(Site& site, const std::string& url, OutcomeKind kind, const std::string& detail) {
    ++site.summary.outcomes[static_cast<int>(kind)];
    if (shared_) SharedOutcome(site, url, kind);
    if (kind == OutcomeKind::kFetched || kind == OutcomeKind::kNotModified) {
      spdlog::debug("{} {}", OutcomeKindName(kind), url);
    } else if (kind == OutcomeKind::kOutOfScope || kind == OutcomeKind::kOverBudget || kind == OutcomeKind::kCancelled ||
               kind == OutcomeKind::kDuplicate || kind == OutcomeKind::kSeenBefore) {
      spdlog::debug("{} {}: {}", OutcomeKindName(kind), url, detail);
    } else {
      spdlog::warn("{} {}: {}", OutcomeKindName(kind), url, detail);
    }
  }

  // Strand, every second until the scheduler ends: the gauges of the
  // metrics, and the progress report: on a terminal the live line under the
  // log, otherwise a log line every crawler.progress_interval.
  asio::awaitable<void> Progress() {
    const bool live = ProgressLineAvailable();
    const Millis every = config_.crawler.progress_interval;
    auto last_report = Clock::now();
    int64_t pages_at_last_report = TotalPages();
    while (!scheduler_done_) {
      progress_timer_.expires_after(std::chrono::seconds(1));
      co_await progress_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (scheduler_done_) break;
      UpdateGauges();
      const auto now = Clock::now();
      if (!live && (every <= Millis(0) || now - last_report < every)) continue;
      const double seconds = std::chrono::duration<double>(now - last_report).count();
      const int64_t pages = TotalPages();
      const std::string line = ProgressText(pages, seconds > 0 ? static_cast<double>(pages - pages_at_last_report) / seconds : 0);
      last_report = now;
      pages_at_last_report = pages;
      if (live) {
        SetProgressLine(line);
      } else {
        spdlog::info("progress: {}", line);
      }
    }
    if (live) SetProgressLine("");
  }

  int64_t TotalPages() const {
    int64_t pages = 0;
    for (const Site& site : sites_) pages += site.summary.pages_fetched;
    return pages;
  }

  // "1234 pages (56.7/s), 345 queued, 12 in flight, 3 errors, 456 articles"
  std::string ProgressText(int64_t pages, double rate) const {
    int64_t errors = 0, articles = 0;
    for (const Site& site : sites_) {
      errors += site.summary.Errors();
      articles += site.summary.articles_written;
    }
    const size_t queued = frontier_.queued() + items_waiting_for_dns_;
    char text[256];
    std::snprintf(text, sizeof(text), "%lld pages (%.1f/s), %zu queued, %d in flight, %lld errors, %lld articles",
                  static_cast<long long>(pages), rate, queued, in_flight_.load(), static_cast<long long>(errors),
                  static_cast<long long>(articles));
    return text;
  }

  // The metrics that are levels rather than events.
  void UpdateGauges() {
    metrics_.SetInFlight(in_flight_.load());
    for (const Site& site : sites_)
      if (site.active) metrics_.SetQueueDepth(site.config->name, std::max<int64_t>(0, site.OpenUrls()));
  }

  asio::awaitable<void> Schedule() {
    constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
    const int max_in_flight = config_.crawler.max_in_flight;
    for (;;) {
      StartDueRuns();
      if (shared_) ShareWork();
      while (!stopping_ && in_flight_ < max_in_flight) {
        const auto now = Clock::now();
        auto item = frontier_.PopReady(now);
        if (!item) break;
        Site& site = sites_[item->site];
        if (site.config->robots.obey && !RobotsAllow(site, *item, now)) continue;
        if (item->attempts == 0 && item->redirects.empty()) {
          if (site.config->max_pages > 0 && site.fetches_started >= site.config->max_pages) {
            Settle(site, item->url, OutcomeKind::kOverBudget, "max_pages reached");
            continue;
          }
          ++site.fetches_started;
        }
        frontier_.Started(item->host_key, now);
        if (item->politeness_wait > Clock::duration::zero())
          metrics_.PolitenessWait(site.config->name, std::chrono::duration<double>(item->politeness_wait).count());
        ++in_flight_;
        Validators validators = site.earlier_urls ? StoredValidators(site, item->fetch_url()) : Validators{};
        const bool report_written = frontier_.Delay(item->host_key).count() > 0;
        asio::co_spawn(asio::make_strand(io_),
                       Work(std::move(*item), /*robots=*/false, std::move(validators), report_written), asio::detached);
      }
      if (stopping_) {
        for (auto& item : frontier_.Drain()) Record(sites_[item.site], item.url, OutcomeKind::kCancelled, "crawl stopped");
        for (auto& [host, items] : waiting_for_dns_)
          for (auto& item : items) Record(sites_[item.site], item.url, OutcomeKind::kCancelled, "crawl stopped");
        waiting_for_dns_.clear();
        items_waiting_for_dns_ = 0;
      }
      FinishDoneRuns();
      CommitState();
      if (frontier_.failure() && !stopping_) {
        // Queued URLs could not be read back: stop, they are still in the state.
        StateFailed(Status(ErrorCode::kIo, *frontier_.failure()));
      }
      if (frontier_.spill_disabled() && !spill_warned_) {
        spill_warned_ = true;
        spdlog::warn("{}: the frontier keeps everything in memory from now on", *frontier_.spill_disabled());
      }
      // With a shared frontier a run goes on while other workers have its
      // URLs: work can still come here until the run is finished.
      const bool idle = in_flight_ == 0 && frontier_.queued() == 0 && items_waiting_for_dns_ == 0 &&
                        (!shared_ || stopping_ || !AnyRunActive());
      if (idle && (!serve_ || stopping_)) break;
      const bool runs_to_come = std::any_of(sites_.begin(), sites_.end(), [](const Site& site) {
        return site.active || site.next_start.has_value();
      });
      if (idle && !runs_to_come) {
        spdlog::error("no site has a run to come: nothing to serve");
        break;
      }
      const auto next_run = NextRunStart();
      auto next = frontier_.NextReadyTime(Clock::now());
      if (!(next && in_flight_ < max_in_flight && !stopping_)) next = Clock::time_point::max();
      if (next_run && !stopping_) {
        // The schedule is wall time; the timer is steady.
        const auto wait = std::max(*next_run - std::chrono::system_clock::now(), std::chrono::system_clock::duration(0));
        next = std::min(*next, Clock::now() + std::chrono::duration_cast<Clock::duration>(wait));
      }
      // Articles waiting for their flush are flushed on time even when
      // nothing else happens.
      if (SinksDirty()) next = std::min(*next, last_flush_ + config_.crawler.flush_interval);
      // Shared: claims of new work, lease renewals and the run's end are
      // looked for on a short tick.
      if (shared_ && !stopping_ && AnyRunActive()) next = std::min(*next, Clock::now() + kSharedTick);
      wake_.expires_at(*next);
      co_await wake_.async_wait(kTuple);  // cancelled when a request ends or work arrives
    }
  }

  // Robots gate for a popped item, on the strand. True: go ahead and fetch.
  // False: the item was dealt with (recorded as disallowed, or put back
  // while its origin's robots.txt is fetched first).
  bool RobotsAllow(Site& site, CrawlItem& item, Clock::time_point now) {
    OriginRobots& robots = robots_[item.origin];
    if (robots.state == OriginRobots::State::kKnown && now >= robots.expires) {
      robots.state = OriginRobots::State::kUnknown;  // cache expired: fetch again
      robots.failures = 0;
    }
    // Another worker of the crawl may have fetched it already.
    if (robots.state == OriginRobots::State::kUnknown && shared_) LoadSharedRobots(site, item, robots, now);
    if (robots.state != OriginRobots::State::kKnown) {
      const std::string host_key = item.host_key;
      if (robots.state == OriginRobots::State::kUnknown) {
        // robots.txt first, as a request to the host like any other: it
        // takes the host's slot and waits for its delay.
        robots.state = OriginRobots::State::kFetching;
        CrawlItem robots_item = item;
        robots_item.url = RobotsUrl(item.origin);
        robots_item.redirects.clear();
        frontier_.Started(host_key, now);
        ++in_flight_;
        ++site.summary.robots_fetches;
        const bool report_written = frontier_.Delay(host_key).count() > 0;
        asio::co_spawn(asio::make_strand(io_), Work(std::move(robots_item), /*robots=*/true, Validators{}, report_written),
                       asio::detached);
      }
      frontier_.Block(host_key);
      if (std::find(robots.blocked_hosts.begin(), robots.blocked_hosts.end(), host_key) == robots.blocked_hosts.end())
        robots.blocked_hosts.push_back(host_key);
      frontier_.PushFront(std::move(item));
      return false;
    }
    const std::string target = ParseHttpUrl(item.fetch_url())->target;
    if (robots.rules->IsAllowed(site.config->robots.agent, target)) return true;
    std::string why = robots.reason.empty()
                          ? "disallowed by " + RobotsUrl(item.origin) + " for agent " + site.config->robots.agent
                          : robots.reason;
    if (!item.redirects.empty()) why = "redirect to " + item.fetch_url() + ": " + why;
    Settle(site, item.url, robots.refusal, why);
    return false;
  }

  // Fetches and parses one URL off the strand, then hands the result back.
  // Strand: what a conditional GET of `url` sends, from the last run that
  // fetched it whole (nothing for a page that failed or was never parsed).
  Validators StoredValidators(const Site& site, const std::string& url) {
    auto stored = state_->Get(site.config->name, url);
    if (!stored.ok()) {
      spdlog::warn("{}", stored.status().message());
      return {};
    }
    if (!*stored || !(*stored)->last) return {};
    const state::UrlState& last = *(*stored)->last;
    if (last.outcome != OutcomeKind::kFetched && last.outcome != OutcomeKind::kNotModified) return {};
    return last.validators;
  }

  // (No default argument for `validators`: see Fetcher::Fetch on GCC 12.)
  // `report_written`: the host has a delay, which counts from the moment
  // the request is on the wire (Frontier::Written), not from its grant:
  // DNS, connect and TLS before a connection's first request would
  // otherwise come out of the gap the server sees.
  asio::awaitable<void> Work(CrawlItem item, bool robots, Validators validators, bool report_written) {
    Completion done;
    done.robots = robots;
    const Site& site = sites_[item.site];
    net::RequestOptions request;
    if (report_written) {
      // On this coroutine's strand; `done` outlives the fetch.
      request.on_written = [this, &done, host_key = item.host_key] {
        const bool first = !done.written;
        done.written = true;
        asio::post(strand_, [this, host_key, first, at = Clock::now()] {
          frontier_.Written(host_key, at, first);
          wake_.cancel();  // the host may be free again
        });
      };
    }
    try {
      if (robots) {
        // robots.txt follows its own redirects (RFC 9309 2.3.1.2).
        done.fetch = co_await fetcher_.Fetch(item.url, site.robots_fetch, request);
        done.body_bytes = done.fetch.body.size();
      } else {
        // A redirect comes back to the strand (Apply), which queues the next
        // hop through scope, politeness and robots.txt.
        request.follow_redirects = false;
        request.validators = std::move(validators);
        done.fetch = co_await fetcher_.Fetch(item.fetch_url(), site.fetch, request);
      }
      done.body_bytes = done.fetch.body.size();
      if (!robots && done.fetch.ok() && MayBeDiscoveryDocument(done.fetch)) co_await Discover(site, done);
      if (!robots && done.fetch.ok() && !done.discovery && IsParseable(done.fetch.Header("Content-Type"))) {
        co_await Parse(site, done);
      }
    } catch (const std::exception& e) {
      done.fetch.kind = OutcomeKind::kNetwork;
      done.fetch.detail = std::string("internal error: ") + e.what();
      done.analysis.reset();
    }
    done.item = std::move(item);
    asio::post(strand_, [this, done = std::move(done)]() mutable {
      --in_flight_;
      frontier_.Finished(done.item.host_key, done.written);
      if (shared_) shared_last_finish_[done.item.host_key] = Clock::now();
      wake_.cancel();
      WriteExchanges(sites_[done.item.site], done.fetch);
      // Labelled by host name (the politeness key may be a domain or an address).
      const auto fetched = ParseHttpUrl(done.item.fetch_url());
      metrics_.RequestDone(sites_[done.item.site].config->name, done.fetch.status,
                           fetched.ok() ? fetched->host : done.item.host_key, done.body_bytes,
                           static_cast<double>(std::max<int64_t>(done.fetch.timings.total_ms, 0)) / 1000.0);
      if (done.robots) {
        ApplyRobots(std::move(done));
      } else {
        Apply(std::move(done));
      }
      // One transaction per finished URL: its outcome, the links it gave
      // and its article are recorded together or not at all.
      CommitState();
    });
  }

  // Decoding and the plugin are CPU work: they run on the parse pool, under
  // the plugin's time budget. The job owns its inputs, so that a call that
  // overruns can be abandoned (recorded as a plugin error) while it goes on
  // running; its late result is dropped.
  // Reads a sitemap or feed on the parse pool (the parser is ours and
  // bounded by its caps, so no time budget); sets done.discovery unless the
  // body is none (an XHTML page, say), which then goes to the plugin.
  asio::awaitable<void> Discover(const Site& site, Completion& done) {
    struct Job {
      std::string body, url;
      discovery::DiscoveryOptions options;
      discovery::DiscoveryResult result;
    };
    auto job = std::make_shared<Job>();
    job->body = std::move(done.fetch.body);
    job->url = done.fetch.final_url;
    if (site.config->discovery.since > Millis(0)) job->options.since_ms = UnixMs() - site.config->discovery.since.count();
    auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, Clock::time_point::max());
    asio::post(*parse_pool_, [job, timer] {
      job->result = discovery::ParseDiscoveryDocument(job->body, job->url, job->options);
      asio::post(timer->get_executor(), [timer] { timer->cancel(); });
    });
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    if (job->result.kind == discovery::DocumentKind::kUnknown) {
      done.fetch.body = std::move(job->body);
      co_return;
    }
    done.content_sha256 = Sha256Hex(job->body);
    done.discovery = std::move(job->result);
  }

  asio::awaitable<void> Parse(const Site& site, Completion& done) {
    struct Job {
      std::mutex mutex;  // guards finished, abandoned and the results
      bool finished = false;
      bool abandoned = false;
      std::string body, content_type, url;
      std::optional<Result<PageAnalysis>> analysis;
      std::string charset, content_sha256;
    };
    auto job = std::make_shared<Job>();
    job->body = std::move(done.fetch.body);
    job->content_type = done.fetch.Header("Content-Type");
    job->url = done.fetch.final_url;
    auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                      config_.crawler.plugin_timeout);
    const PluginInstance* plugin = site.plugin.get();
    asio::post(*parse_pool_, [this, job, timer, plugin] {
      const CharsetGuess guess = DetectCharset(job->content_type, job->body);
      std::string charset = guess.charset;
      auto html = DecodeToUtf8(job->body, charset);
      if (!html.ok()) {
        // An unknown charset still gives the plugin valid UTF-8.
        charset = "utf-8";
        html = DecodeToUtf8(job->body, charset);
      }
      PageInput page;
      page.url = job->url;
      page.content_type = MediaType(job->content_type);
      page.charset = charset;
      page.fetched_at_ms = UnixMs();
      std::string sha = Sha256Hex(*html);
      page.html = std::move(*html);
      Result<PageAnalysis> analysis = plugin->Process(page);
      {
        std::lock_guard<std::mutex> lock(job->mutex);
        if (job->abandoned) {
          --overrunning_plugin_calls_;
          return;
        }
        job->finished = true;
        job->analysis = std::move(analysis);
        job->charset = std::move(charset);
        job->content_sha256 = std::move(sha);
      }
      // Posted once the lock is released: the woken coroutine takes it first thing.
      asio::post(timer->get_executor(), [timer] { timer->cancel(); });
    });
    co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
    std::lock_guard<std::mutex> lock(job->mutex);
    if (!job->finished) {
      job->abandoned = true;
      ++overrunning_plugin_calls_;
      done.plugin_timed_out = true;
      done.analysis = Result<PageAnalysis>(
          Status(ErrorCode::kPlugin, "plugin " + site.config->plugin + " exceeded its time budget of " +
                                         std::to_string(config_.crawler.plugin_timeout.count()) + " ms on " + job->url));
      co_return;
    }
    done.analysis = std::move(job->analysis);
    done.charset = std::move(job->charset);
    done.content_sha256 = std::move(job->content_sha256);
  }

  // Strand: what the robots.txt of an origin said (RFC 9309 2.3.1).
  void ApplyRobots(Completion done) {
    Site& site = sites_[done.item.site];
    const std::string& origin = done.item.origin;
    const std::string& host_key = done.item.host_key;
    OriginRobots& robots = robots_[origin];
    for (const auto& blocked : robots.blocked_hosts) frontier_.Unblock(blocked);
    robots.blocked_hosts.clear();
    const auto now = Clock::now();
    const FetchResult& fetch = done.fetch;
    const bool unreachable = (fetch.kind == OutcomeKind::kHttpError && fetch.status >= 500) ||
                             (fetch.kind != OutcomeKind::kFetched && fetch.kind != OutcomeKind::kHttpError &&
                              fetch.kind != OutcomeKind::kTooManyRedirects && fetch.kind != OutcomeKind::kRedirectLoop &&
                              fetch.kind != OutcomeKind::kTooLarge);
    robots.reason.clear();
    robots.refusal = OutcomeKind::kRobotsDisallowed;
    std::string shared_value;  // the answer as the other workers of a shared crawl get it
    if (fetch.kind == OutcomeKind::kBlockedAddress) {
      // Not unavailable, and no retry can change it: the guard refuses
      // every URL of this origin, so they end as what it said, now.
      robots.rules = std::make_shared<const RobotsRules>(RobotsRules::DisallowAll());
      robots.reason = fetch.detail;
      robots.refusal = OutcomeKind::kBlockedAddress;
      shared_value = "B\n" + robots.reason;
      spdlog::warn("{}: {}", origin, fetch.detail);
    } else if (fetch.kind == OutcomeKind::kFetched) {
      robots.rules = std::make_shared<const RobotsRules>(RobotsRules::Parse(fetch.body));
      shared_value = "R\n" + fetch.body;
      for (const auto& warning : robots.rules->warnings()) spdlog::debug("{}: {}", done.item.url, warning);
      spdlog::info("{}: {} bytes, {} sitemap(s)", done.item.url, fetch.body.size(), robots.rules->sitemaps().size());
    } else if (!unreachable) {
      // 4xx, too many redirects, too large: "unavailable", so everything is allowed.
      robots.rules = std::make_shared<const RobotsRules>(RobotsRules::AllowAll());
      shared_value = "A\n";
      spdlog::info("{} unavailable ({}): everything allowed", done.item.url,
                   fetch.status ? "HTTP " + std::to_string(fetch.status) : std::string(OutcomeKindName(fetch.kind)));
    } else {
      // 5xx or unreachable: disallow everything for now and try again later.
      ++robots.failures;
      std::optional<Millis> retry_after;
      if (fetch.status == 503 || fetch.status == 429)
        retry_after = policy::ParseRetryAfter(fetch.Header("Retry-After"), std::chrono::system_clock::now());
      auto delay = site.retry->NextDelay(fetch.kind == OutcomeKind::kHttpError ? OutcomeKind::kHttpError : fetch.kind,
                                         fetch.status >= 500 ? 503 : fetch.status, robots.failures, retry_after);
      const std::string what = fetch.status ? "HTTP " + std::to_string(fetch.status) : fetch.detail;
      if (delay && !stopping_) {
        robots.state = OriginRobots::State::kUnknown;
        frontier_.PauseUntil(host_key, now + *delay);
        spdlog::warn("{} unreachable ({}): nothing fetched from {} until it answers; retry {} in {} ms",
                     done.item.url, what, origin, robots.failures, delay->count());
        return;
      }
      robots.rules = std::make_shared<const RobotsRules>(RobotsRules::DisallowAll());
      robots.reason = done.item.url + " unreachable after " + std::to_string(robots.failures) +
                      " attempt(s) (" + what + "): everything disallowed for now";
      shared_value = "D\n" + robots.reason;
      spdlog::warn("{}", robots.reason);
    }
    robots.state = OriginRobots::State::kKnown;
    robots.failures = 0;
    if (!stopping_)
      for (size_t i = 0; i < sites_.size(); ++i) OfferRobotsSitemaps(i, origin, *robots.rules);
    robots.expires = now + site.config->robots.cache_ttl;
    ApplyCrawlDelay(site, origin, host_key, *robots.rules);
    if (shared_ && !state_failed_) {
      if (Status status = shared_->PutRobots(origin, shared_value, site.config->robots.cache_ttl); !status.ok())
        StateFailed(status.WithContext("frontier.redis"));
    }
  }

  void ApplyCrawlDelay(const Site& site, const std::string& origin, const std::string& host_key, const RobotsRules& rules) {
    if (auto crawl_delay = rules.CrawlDelay(site.config->robots.agent)) {
      const Millis capped = std::min(*crawl_delay, site.config->politeness.max_crawl_delay);
      if (capped > frontier_.Delay(host_key)) {
        spdlog::info("{}: Crawl-delay {} ms (capped at {} ms by politeness.max_crawl_delay)", origin,
                     crawl_delay->count(), capped.count());
        frontier_.SetDelay(host_key, capped);
      }
      if (auto throttle = throttles_.find(host_key); throttle != throttles_.end()) throttle->second.RaiseFloor(capped);
    }
  }

  // Strand: an origin's robots.txt as another worker of the shared crawl
  // stored it (ApplyRobots), for what is left of its cache time.
  void LoadSharedRobots(const Site& site, const CrawlItem& item, OriginRobots& robots, Clock::time_point now) {
    auto stored = shared_->GetRobots(item.origin);
    if (!stored.ok()) return StateFailed(stored.status().WithContext("frontier.redis"));
    if (!*stored || (*stored)->value.size() < 2 || (*stored)->value[1] != '\n') return;
    const std::string& value = (*stored)->value;
    const std::string rest = value.substr(2);
    robots.reason.clear();
    robots.refusal = OutcomeKind::kRobotsDisallowed;
    switch (value[0]) {
      case 'R': robots.rules = std::make_shared<const RobotsRules>(RobotsRules::Parse(rest)); break;
      case 'A': robots.rules = std::make_shared<const RobotsRules>(RobotsRules::AllowAll()); break;
      case 'B':
        robots.refusal = OutcomeKind::kBlockedAddress;
        [[fallthrough]];
      case 'D':
        robots.rules = std::make_shared<const RobotsRules>(RobotsRules::DisallowAll());
        robots.reason = rest;
        break;
      default: return;
    }
    robots.state = OriginRobots::State::kKnown;
    robots.failures = 0;
    robots.expires = now + (*stored)->ttl;
    ApplyCrawlDelay(site, item.origin, item.host_key, *robots.rules);
    spdlog::debug("{}: robots.txt from the shared crawl state", item.origin);
  }

  policy::AdaptiveThrottle* ThrottleFor(const Site& site, const std::string& host_key) {
    if (!site.config->politeness.adaptive.enabled) return nullptr;
    auto it = throttles_.find(host_key);
    if (it == throttles_.end()) {
      it = throttles_.emplace(host_key, policy::AdaptiveThrottle(site.config->politeness.adaptive,
                                                                  frontier_.Delay(host_key))).first;
    }
    return &it->second;
  }

  // Strand: records the outcome (or schedules a retry), queues the links
  // found, writes the article.
  void Apply(Completion done) {
    Site& site = sites_[done.item.site];
    const std::string& url = done.item.url;
    const auto now = Clock::now();
    ++done.item.attempts;
    policy::AdaptiveThrottle* throttle = ThrottleFor(site, done.item.host_key);
    const bool answered = done.fetch.is_redirect() || done.fetch.kind == OutcomeKind::kNotModified || done.fetch.ok();
    if (throttle && answered) {
      throttle->OnSuccess(Millis(done.fetch.timings.total_ms));
      frontier_.SetDelay(done.item.host_key, throttle->delay());
    }
    if (done.fetch.is_redirect()) {
      FollowRedirect(site, std::move(done.item), done.fetch.redirect_location);
      return;
    }
    if (!done.item.redirects.empty()) {
      // The chain as the record keeps it: the URL found, then every hop
      // before the one that answered.
      done.fetch.redirect_chain.assign(1, done.item.url);
      done.fetch.redirect_chain.insert(done.fetch.redirect_chain.end(), done.item.redirects.begin(),
                                       done.item.redirects.end() - 1);
    }
    if (done.fetch.kind == OutcomeKind::kNotModified) {
      ApplyNotModified(site, done);
      return;
    }
    if (!done.fetch.ok()) {
      const FetchResult& fetch = done.fetch;
      const bool transient = policy::RetryPolicy::IsTransient(fetch.kind, fetch.status);
      if (throttle && transient) {
        throttle->OnFailure();
        frontier_.SetDelay(done.item.host_key, throttle->delay());
      }
      std::optional<Millis> retry_after;
      if (fetch.status == 429 || fetch.status == 503) {
        retry_after = policy::ParseRetryAfter(fetch.Header("Retry-After"), std::chrono::system_clock::now());
        // The server asked the whole host to wait, not only this URL.
        if (retry_after) frontier_.PauseUntil(done.item.host_key, now + *retry_after);
      }
      std::string detail = fetch.detail;
      if (fetch.kind == OutcomeKind::kTimeout) detail += " (phase " + std::string(FetchPhaseName(fetch.phase)) + ")";
      auto delay = stopping_ ? std::nullopt : site.retry->NextDelay(fetch.kind, fetch.status, done.item.attempts, retry_after);
      if (delay) {
        ++site.summary.retries;
        metrics_.Retry(site.config->name);
        spdlog::info("retry {} of {} in {} ms: {}", done.item.attempts, url, delay->count(), detail);
        frontier_.PushDelayed(std::move(done.item), now + *delay);
        return;
      }
      Record(site, url, fetch.kind, detail + " (" + std::to_string(done.item.attempts) + " attempt(s))");
      Remember(site, done, fetch.kind, "", {});
      return;
    }
    ++site.summary.pages_fetched;
    if (done.discovery) {
      ApplyDiscovery(site, done);
      return;
    }
    if (!done.analysis) {
      Record(site, url, OutcomeKind::kFetched, "");
      Remember(site, done, OutcomeKind::kFetched, "", {});
      return;
    }
    if (!done.analysis->ok()) {
      if (done.plugin_timed_out) ++site.summary.plugin_timeouts;
      metrics_.PluginError(site.config->name);
      Record(site, url, OutcomeKind::kPluginError, done.analysis->status().message());
      Remember(site, done, OutcomeKind::kPluginError, "", {});
      return;
    }
    const PageAnalysis& analysis = done.analysis->value();
    for (const auto& why : analysis.rejected) {
      ++site.summary.plugin_rejected_values;
      spdlog::warn("plugin {} on {}: value refused: {}", site.config->plugin, url, why);
    }
    // The article first: if it cannot be written, the crawl stops and the
    // URL stays queued in the crawl state, to be fetched again on resume.
    if (analysis.kind == PageKind::kArticle && analysis.article && !WriteArticle(site, done, *analysis.article)) {
      Record(site, url, OutcomeKind::kCancelled, "the output failed");
      return;
    }
    Record(site, url, OutcomeKind::kFetched, "");
    std::vector<state::StoredLink> links;
    auto add_link = [&links, &site](const std::string& link, bool high_priority) {
      if (auto normalized = NormalizeUrl(link, site.config->url_normalization); normalized.ok())
        links.push_back({std::move(*normalized), high_priority});
    };
    const PriorityOptions& high = site.config->priorities;
    if (analysis.next) add_link(*analysis.next, high.next);
    for (const auto& link : analysis.links) {
      switch (link.kind) {
        case LinkKind::kListing: add_link(link.url, high.listing); break;
        case LinkKind::kFeed: add_link(link.url, high.feed); break;
        case LinkKind::kSitemap: add_link(link.url, high.sitemap); break;
        case LinkKind::kArticle: add_link(link.url, high.article); break;
        case LinkKind::kOther: add_link(link.url, high.other); break;
      }
    }
    for (const auto& article_url : analysis.articles) add_link(article_url, high.article);
    Remember(site, done, OutcomeKind::kFetched, PageKindName(analysis.kind), links);
    OfferLinks(done.item, links);
  }

  // Strand: a sitemap, sitemap index or feed was read by the core: the pages
  // it lists enter the crawl (as articles, for priorities), the sitemaps an
  // index lists too (as sitemaps).
  void ApplyDiscovery(Site& site, Completion& done) {
    const discovery::DiscoveryResult& result = *done.discovery;
    const std::string& url = done.item.url;
    Record(site, url, OutcomeKind::kFetched, "");
    for (const auto& warning : result.warnings) spdlog::debug("{}: {}", done.fetch.final_url, warning);
    spdlog::info("{}: {} with {} page(s) and {} sitemap(s){}{}", done.fetch.final_url,
                 discovery::DocumentKindName(result.kind), result.pages.size(), result.sitemaps.size(),
                 result.skipped_old > 0 ? ", " + std::to_string(result.skipped_old) + " older than discovery.since" : "",
                 result.truncated ? ", cut short (see the warnings at -v)" : "");
    std::vector<state::StoredLink> links;
    const PriorityOptions& high = site.config->priorities;
    for (const auto& entry : result.sitemaps)
      if (auto normalized = NormalizeUrl(entry.url, site.config->url_normalization); normalized.ok())
        links.push_back({std::move(*normalized), high.sitemap});
    for (const auto& entry : result.pages)
      if (auto normalized = NormalizeUrl(entry.url, site.config->url_normalization); normalized.ok())
        links.push_back({std::move(*normalized), high.article});
    Remember(site, done, OutcomeKind::kFetched, discovery::DocumentKindName(result.kind), links);
    OfferLinks(done.item, links);
  }

  // Strand: the Sitemap: lines of an origin's robots.txt, for a site that
  // follows them and has the origin's host in scope, one hop from the start.
  void OfferRobotsSitemaps(size_t site_index, const std::string& origin, const RobotsRules& rules) {
    Site& site = sites_[site_index];
    if (!site.active || !site.config->discovery.robots_sitemaps || rules.sitemaps().empty()) return;
    const auto parts = ParseHttpUrl(RobotsUrl(origin));
    const auto& hosts = site.config->hosts;
    if (!parts.ok() || std::find(hosts.begin(), hosts.end(), parts->host) == hosts.end()) return;
    for (const auto& sitemap : rules.sitemaps()) Offer(site_index, sitemap, 1, Priority::kHigh);
  }

  // Strand: the links of a page enter the crawl one hop deeper.
  void OfferLinks(const CrawlItem& from, const std::vector<state::StoredLink>& links) {
    if (stopping_) return;  // nothing new enters a stopping crawl
    for (const auto& link : links)
      OfferNormalized(from.site, link.url, from.depth + 1, link.high_priority ? Priority::kHigh : Priority::kLow);
  }

  // Strand: a 304 to our conditional GET. The page is as it was when we
  // last parsed it, so the plugin does not see it again; the links it gave
  // then are offered again, so an unchanged listing page still leads to
  // whatever it links to.
  void ApplyNotModified(Site& site, Completion& done) {
    Record(site, done.item.url, OutcomeKind::kNotModified, "");
    auto stored = state_->Get(site.config->name, done.item.fetch_url());
    if (!stored.ok()) return StateFailed(stored.status());
    state::UrlState state;
    if (*stored && (*stored)->last) state = std::move(*(*stored)->last);
    // A 304 carries the current validators (RFC 9110 15.4.5); keep the old
    // ones for any it left out.
    const Validators fresh = done.fetch.validators();
    if (!fresh.etag.empty()) state.validators.etag = fresh.etag;
    if (!fresh.last_modified.empty()) state.validators.last_modified = fresh.last_modified;
    state.outcome = OutcomeKind::kNotModified;
    state.status = done.fetch.status;
    state.fetched_at_ms = UnixMs();
    Finish(site, done.item, state);
    // Normalized again: they were stored by an earlier run, whose
    // url_normalization may not be this one's.
    if (!stopping_)
      for (const auto& link : state.links)
        Offer(done.item.site, link.url, done.item.depth + 1, link.high_priority ? Priority::kHigh : Priority::kLow);
  }

  // Strand: the URL is done in this run, with what its fetch learnt for
  // later runs. Validators only for a page the plugin took whole, so a page
  // it failed on is fetched (and parsed) in full next time.
  void Remember(Site& site, const Completion& done, OutcomeKind outcome, std::string_view page_kind,
                std::vector<state::StoredLink> links) {
    state::UrlState state;
    if (outcome == OutcomeKind::kFetched) state.validators = done.fetch.validators();
    state.outcome = outcome;
    state.status = done.fetch.status;
    state.page_kind = std::string(page_kind);
    state.content_sha256 = done.content_sha256;
    state.fetched_at_ms = UnixMs();
    state.links = std::move(links);
    Finish(site, done.item, state);
  }

  // The URL done in the state. The validators of a page reached through a
  // redirect belong to the target, not to the URL that redirected: they are
  // not kept (the next run asks for the chain unconditionally).
  void Finish(Site& site, const CrawlItem& item, state::UrlState state) {
    if (!item.redirects.empty()) state.validators = {};
    if (Status status = state_->Finish(site.config->name, site.run, item.url, state); !status.ok()) StateFailed(status);
  }

  // Strand: a hop answered with a redirect. The next hop is a new request
  // through the frontier (its host's politeness, its origin's robots.txt),
  // after the same checks a link gets; any refusal is the URL's outcome.
  void FollowRedirect(Site& site, CrawlItem item, const std::string& location) {
    std::vector<std::string> hops{item.url};
    hops.insert(hops.end(), item.redirects.begin(), item.redirects.end());
    auto decision = policy::DecideRedirect(hops, location, site.config->limits.max_redirects);
    if (!decision.follow) {
      Settle(site, item.url, decision.outcome, decision.detail);
      return;
    }
    auto target = NormalizeUrl(decision.target, site.config->url_normalization);
    if (!target.ok()) {
      Settle(site, item.url, OutcomeKind::kRefusedScheme, "redirect from " + hops.back() + ": " + target.status().message());
      return;
    }
    const Result<UrlParts> parts = ParseHttpUrl(*target);  // for the scope check and the queue
    if (auto why = OutOfScope(site, *target, parts, item.depth == 0)) {
      Settle(site, item.url, OutcomeKind::kOutOfScope, "redirect from " + hops.back() + " to " + *target + ": " + *why);
      return;
    }
    if (stopping_) {
      Record(site, item.url, OutcomeKind::kCancelled, "crawl stopped during a redirect to " + *target);
      return;
    }
    if (shared_) {
      FollowRedirectShared(site, std::move(item), std::move(*target));
      return;
    }
    // The target is a URL like any other: fetched once per crawl, however
    // many URLs redirect to it.
    if (!site.seen.Insert(*target)) {
      Settle(site, item.url, OutcomeKind::kDuplicate, "redirects to " + *target + ", which the crawl already has");
      return;
    }
    spdlog::debug("{}: redirect {} to {}", item.url, hops.size(), *target);
    item.redirects.push_back(std::move(*target));
    item.attempts = 0;
    Queue(std::move(item), /*front=*/true, *parts);
  }

  // Strand: appends the article unless the crawl has it already (by its
  // canonical URL, in this run or an earlier one) with the same content.
  // The line is written before the state records it; a crash between the
  // two is mended on the next start (ReconcileOutput). False when the
  // output failed (the crawl is then stopping).
  bool WriteArticle(Site& site, const Completion& done, const ArticleRecord& article) {
    const std::string key = ArticleKey(article.Field("canonical_url"), done.fetch.final_url);
    const std::string content_hash = ArticleContentHash(article.Field("title"), article.Field("body"));
    if (shared_) {
      if (state_failed_) return false;  // no claim can be made: the page is done again later
      // The atomic claim by canonical URL: one worker of the crawl writes it.
      auto claimed = shared_->ClaimArticle(site.config->name, key, content_hash);
      if (!claimed.ok()) {
        StateFailed(claimed.status().WithContext("frontier.redis"));
        return false;
      }
      if (!*claimed) {
        ++site.summary.duplicate_articles;
        spdlog::debug("article {} already written by the crawl (canonical {})", done.fetch.final_url, key);
        return true;
      }
      shared_articles_.push_back({site.config->name, key, content_hash});
    }
    auto written = shared_ ? Result<std::optional<std::string>>(std::optional<std::string>())
                           : state_->ArticleHash(site.config->name, key);
    if (!written.ok()) {
      StateFailed(written.status());
      return false;
    }
    if (*written && **written == content_hash) {
      ++site.summary.duplicate_articles;
      spdlog::debug("article {} already written (canonical {})", done.fetch.final_url, key);
      return true;
    }
    if (output_failed_) return false;
    RecordMeta meta;
    meta.site = site.config->name;
    meta.plugin = site.config->plugin;
    meta.url = done.fetch.final_url;
    meta.redirect_chain = done.fetch.redirect_chain;
    meta.fetched_at = IsoNow();
    meta.status = done.fetch.status;
    meta.charset = done.charset;
    meta.content_sha256 = done.content_sha256;
    const std::string json = ArticleToJson(article, &meta);
    for (sink::Sink* sink : site.article_sinks) {
      if (Status status = sink->WriteArticle(article, meta, json); !status.ok()) {
        OutputFailed(*sink, status);
        return false;
      }
    }
    // Recorded as emitted in the open state transaction, which is committed
    // only after every sink has flushed it (CommitState).
    if (Status status = state_->MarkWritten(site.config->name, key, content_hash, UnixMs()); !status.ok()) {
      StateFailed(status);
      return false;
    }
    ++site.unflushed_articles;
    ++unflushed_articles_;
    return true;
  }

  // Strand: the requests and responses of a fetch, to the site's warc sinks.
  void WriteExchanges(Site& site, const FetchResult& fetch) {
    if (output_failed_ || site.exchange_sinks.empty()) return;
    for (const auto& exchange : fetch.exchanges) {
      for (sink::Sink* sink : site.exchange_sinks) {
        if (Status status = sink->WriteExchange(*exchange); !status.ok()) return OutputFailed(*sink, status);
      }
    }
  }

  bool SinksDirty() const {
    return std::any_of(sinks_.begin(), sinks_.end(), [](const auto& sink) { return sink->dirty(); });
  }

  // Strand: every sink flushes what it was given; then the jsonl sinks'
  // checkpoints go into the open state transaction, and the articles count
  // as written. The sinks that take a repeat harmlessly (sqlite upserts,
  // WARC records) flush first and the jsonl ones last: a record in a jsonl
  // file is then in every sink of its site, so reading the jsonl files back
  // after a crash (ReconcileOutput) finds all that any sink may hold twice.
  bool FlushSinks() {
    if (output_failed_) return false;
    for (const bool jsonl_pass : {false, true}) {
      for (auto& sink : sinks_) {
        if ((sink->kind() == SinkKind::kJsonl) != jsonl_pass || !sink->dirty()) continue;
        if (Status status = sink->Flush(); !status.ok()) {
          OutputFailed(*sink, status);
          return false;
        }
      }
    }
    for (sink::JsonlSink* sink : jsonl_sinks_) {
      if (Status status = state_->SetOutputOffset(sink->path(), sink->size()); !status.ok()) {
        StateFailed(status);
        return false;
      }
    }
    for (Site& site : sites_) {
      site.summary.articles_written += site.unflushed_articles;
      for (int64_t i = 0; i < site.unflushed_articles; ++i) metrics_.ArticleEmitted(site.config->name);
      site.unflushed_articles = 0;
    }
    last_flush_ = Clock::now();
    // fdatasync (against a power loss) off the strand, every 64 articles.
    if ((unsynced_ += unflushed_articles_) >= 64) {
      unsynced_ = 0;
      asio::post(sink_thread_, [this] {
        for (sink::JsonlSink* sink : jsonl_sinks_) {
          if (Status synced = sink->Sync(); !synced.ok()) {
            asio::post(strand_, [this, sink, synced] { OutputFailed(*sink, synced); });
            return;
          }
        }
      });
    }
    unflushed_articles_ = 0;
    return true;
  }

  // Strand: a sink failed. Losing output silently is worse than stopping:
  // the crawl stops, and nothing after the last flush that worked is
  // committed to the state, so its URLs are fetched again on resume.
  void OutputFailed(const sink::Sink& sink, const Status& status) {
    if (output_failed_) return;
    output_failed_ = Status(status.code(), sink.Label() + ": " + status.message());
    spdlog::critical("output failed, stopping the crawl: {}", output_failed_->message());
    state_->Rollback();
    Stop();
  }

  // Opens output.sinks, in their order.
  Status OpenSinks() {
    for (const SinkConfig& config : config_.crawler.sinks) {
      auto opened = sink::OpenSink(config);
      if (!opened.ok())
        return Status(opened.status().code(), "sink '" + config.name + "' (" + std::string(SinkKindName(config.kind)) +
                                                  ", " + config.location + "): " + opened.status().message());
      if (config.kind == SinkKind::kJsonl) {
        auto* jsonl = static_cast<sink::JsonlSink*>(opened->get());
        jsonl_sinks_.push_back(jsonl);
        if (jsonl->repaired_bytes() > 0)
          spdlog::warn("{}: cut off {} bytes of a partial last record left by an earlier crash", jsonl->path(),
                       jsonl->repaired_bytes());
      }
      spdlog::info("{} writes {}", (*opened)->Label(), (*opened)->path());
      sinks_.push_back(std::move(*opened));
    }
    return Status::Ok();
  }

  // Strand: ends the transaction of what the strand just did. A state that
  // cannot be written stops the crawl: going on would fetch what could not
  // be recorded.
  //
  // While articles wait for their flush, the transaction stays open: it is
  // committed with them, after the flush, at most flush_interval later (or
  // when 512 are pending). After an output failure nothing is committed.
  void CommitState() {
    if (output_failed_) return;
    // Links before the completion of the page that gave them: the run must
    // not look finished in between.
    if (shared_) FlushSharedOffers();
    if (SinksDirty()) {
      const bool due = unflushed_articles_ >= 512 || Clock::now() - last_flush_ >= config_.crawler.flush_interval;
      if (!due || !FlushSinks()) return;
    }
    if (Status status = state_->Commit(); !status.ok()) StateFailed(status);
    // Only what the sinks have for sure is done in the shared state.
    if (shared_ && !SinksDirty()) SendSharedDone();
  }

  // --- frontier.backend redis: the shared frontier (docs/distributed.md) ---

  Status ConnectShared() {
    if (config_.crawler.frontier_backend != FrontierBackend::kRedis) return Status::Ok();
    auto address = distributed::ParseRedisUrl(config_.crawler.frontier_redis);
    if (!address.ok()) return address.status().WithContext("frontier.redis");
    distributed::SharedFrontierOptions options;
    options.crawl = config_.crawler.frontier_crawl;
    options.lease_ttl = config_.crawler.frontier_lease_ttl;
    options.claim_per_host = config_.crawler.frontier_claim_batch;
    options.claim_hosts = std::max(4, config_.crawler.max_in_flight / 2);
    auto shared = distributed::SharedFrontier::Connect(*address, options);
    if (!shared.ok()) return shared.status().WithContext("frontier.redis");
    shared_ = std::move(*shared);
    spdlog::info("frontier: crawl '{}' shared in {} (worker {})", options.crawl, address->ToString(), shared_->worker());
    return Status::Ok();
  }

  bool AnyRunActive() const {
    return std::any_of(sites_.begin(), sites_.end(), [](const Site& site) { return site.active; });
  }

  // Strand: a URL new to this worker goes to the shared seen set, with what
  // is to become of it (queued under its politeness key, or an outcome of
  // its own); sent in a batch by FlushSharedOffers.
  void OfferShared(size_t site_index, std::string url, int depth, Priority priority) {
    Site& site = sites_[site_index];
    SharedOffer offer;
    offer.site = site_index;
    offer.depth = depth;
    offer.priority = priority;
    const Result<UrlParts> parts = ParseHttpUrl(url);
    if (auto why = OutOfScope(site, url, parts, depth == 0)) {
      offer.settle = {OutcomeKind::kOutOfScope, *why};
    } else if (site.config->max_depth > 0 && depth > site.config->max_depth) {
      offer.settle = {OutcomeKind::kOverBudget, "deeper than max_depth"};
    } else if (depth > 0) {
      if (auto why = CrawledBefore(site, url)) offer.settle = {OutcomeKind::kSeenBefore, *why};
    }
    if (!offer.settle) offer.host = HostKey(site, *parts).value_or("host:" + parts->host);  // never an ip key here (config)
    offer.url = std::move(url);
    shared_offers_.push_back(std::move(offer));
  }

  // A URL of the site's shared run as the shared queues hold it.
  static distributed::SharedItem SharedItemOf(const Site& site, const std::string& url, int depth, Priority priority) {
    distributed::SharedItem item;
    item.site = site.config->name;
    item.url = url;
    item.run = site.shared_run;
    item.depth = depth;
    item.high_priority = priority == Priority::kHigh;
    return item;
  }

  // Strand: the offers made since the last call, one script per site. Each
  // URL the shared seen set did not have is this worker's: counted, and
  // given its outcome now if it is not to be fetched.
  void FlushSharedOffers() {
    if (shared_offers_.empty() || state_failed_) return;
    std::vector<SharedOffer> offers = std::move(shared_offers_);
    shared_offers_.clear();
    std::map<size_t, std::vector<size_t>> by_site;
    for (size_t i = 0; i < offers.size(); ++i) by_site[offers[i].site].push_back(i);
    for (const auto& [site_index, which] : by_site) {
      Site& site = sites_[site_index];
      std::vector<distributed::SharedFrontier::Offer> batch;
      batch.reserve(which.size());
      for (size_t i : which) {
        const SharedOffer& offer = offers[i];
        distributed::SharedFrontier::Offer shared;
        shared.fingerprint = distributed::UrlFingerprint(offer.url);
        if (!offer.settle) {
          shared.host = offer.host;
          shared.item = SharedItemOf(site, offer.url, offer.depth, offer.priority).Encode();
        }
        batch.push_back(std::move(shared));
      }
      auto fresh = shared_->OfferUrls(site.config->name, site.shared_run, batch);
      if (!fresh.ok()) return StateFailed(fresh.status().WithContext("frontier.redis"));
      for (size_t k = 0; k < which.size(); ++k) {
        if (!(*fresh)[k]) continue;
        const SharedOffer& offer = offers[which[k]];
        ++site.summary.urls_accepted;
        if (offer.settle) Record(site, offer.url, offer.settle->first, offer.settle->second);
      }
    }
  }

  // Strand: renews the leases (and the heartbeat), and when the local queue
  // runs low claims more hosts and their URLs into it.
  void ShareWork() {
    if (state_failed_) return;
    const auto now = Clock::now();
    if (now >= next_renew_) {
      next_renew_ = now + config_.crawler.frontier_lease_ttl / 3;
      std::vector<std::string> hosts;
      hosts.reserve(shared_held_.size());
      for (const auto& [host, count] : shared_held_) hosts.push_back(host);
      auto lost = shared_->Renew(hosts);
      if (!lost.ok()) return StateFailed(lost.status().WithContext("frontier.redis"));
      for (const auto& host : *lost)
        spdlog::warn("{}: host lease lost (not renewed in time): another worker may fetch its URLs again", host);
    }
    if (stopping_ || state_failed_ || !AnyRunActive() || now < next_claim_) return;
    if (frontier_.queued() >= static_cast<size_t>(config_.crawler.max_in_flight)) return;
    auto claimed = shared_->Claim(shared_held_.size());
    if (!claimed.ok()) return StateFailed(claimed.status().WithContext("frontier.redis"));
    next_claim_ = claimed->empty() ? now + kSharedTick : now;
    for (auto& lease : *claimed) {
      if (lease.recovered > 0)
        spdlog::info("{}: {} URL(s) that a worker left in flight queued again", lease.host, lease.recovered);
      for (auto& text : lease.items) TakeClaimed(lease.host, std::move(text));
      if (shared_held_.find(lease.host) == shared_held_.end()) ReleaseHost(lease.host);
    }
  }

  // Strand: one claimed URL into the local frontier, under the host's lease.
  void TakeClaimed(const std::string& host, std::string text) {
    auto shared_item = distributed::SharedItem::Decode(text);
    auto site_it = shared_item ? site_index_.find(shared_item->site) : site_index_.end();
    if (site_it == site_index_.end() || !sites_[site_it->second].active ||
        sites_[site_it->second].shared_run != shared_item->run) {
      // Not for this worker: a site of another config, or another run of
      // it. Back to the queue for a worker it is for.
      const std::string field = shared_item ? distributed::SharedItem::Field(shared_item->site, shared_item->url)
                                            : text.substr(0, text.find('\t', text.find('\t') + 1));
      spdlog::warn("{}: claimed {} that is not for this worker (site or run unknown here); left in the queue",
                   host, shared_item ? shared_item->url : text);
      if (Status status = shared_->Requeue(host, field, text); !status.ok()) StateFailed(status);
      return;
    }
    Site& site = sites_[site_it->second];
    CrawlItem item;
    item.url = std::move(shared_item->url);
    item.site = site_it->second;
    item.depth = shared_item->depth;
    item.priority = shared_item->high_priority ? Priority::kHigh : Priority::kLow;
    item.redirects = std::move(shared_item->redirects);
    item.origin = OriginKey(*ParseHttpUrl(item.fetch_url()));
    item.host_key = host;
    site.seen.Insert(item.fetch_url());
    shared_claimed_[distributed::SharedItem::Field(site.config->name, item.url)] = {host, std::move(text)};
    ++shared_held_[host];
    ++site.shared_held;
    frontier_.Push(std::move(item), site.policy);
  }

  // Strand: a claimed URL reached its outcome. Its completion is sent once
  // the sinks have flushed what it wrote (SendSharedDone); until then it
  // stays in flight under this worker's heartbeat. A cancelled one goes
  // back to the shared queue at once.
  void SharedOutcome(Site& site, const std::string& url, OutcomeKind kind) {
    auto it = shared_claimed_.find(distributed::SharedItem::Field(site.config->name, url));
    if (it == shared_claimed_.end()) return;  // settled when offered: it was never queued
    ClaimedUrl claimed = std::move(it->second);
    std::string field = it->first;
    shared_claimed_.erase(it);
    if (state_failed_) {
      // Redis (or the state) is gone: nothing more is sent. What this
      // worker holds is taken over once its heartbeat expires.
      --site.shared_held;
      return;
    }
    if (kind == OutcomeKind::kCancelled) {
      if (Status status = shared_->Requeue(claimed.host, field, claimed.item); !status.ok())
        StateFailed(status.WithContext("frontier.redis"));
    } else {
      shared_done_.push_back({static_cast<size_t>(&site - sites_.data()), claimed.host, std::move(field)});
    }
    // The host's politeness is this worker's no longer than it fetches from
    // it; the completion (durability) follows on its own.
    Unhold(site, claimed.host);
  }

  // Strand: a redirect's next hop, which may be on another host: it goes
  // back to the shared queue of that host (at its head), unless the crawl
  // has its target already.
  void FollowRedirectShared(Site& site, CrawlItem item, std::string target) {
    const std::string field = distributed::SharedItem::Field(site.config->name, item.url);
    auto claimed = shared_claimed_.find(field);
    if (claimed == shared_claimed_.end()) return;  // not held here any more (lease lost): its new holder settles it
    site.seen.Insert(target);
    const UrlParts parts = *ParseHttpUrl(target);
    distributed::SharedFrontier::Offer offer;
    offer.fingerprint = distributed::UrlFingerprint(target);
    offer.host = HostKey(site, parts).value_or("host:" + parts.host);
    offer.front = true;
    distributed::SharedItem next = SharedItemOf(site, item.url, item.depth, item.priority);
    next.redirects = item.redirects;
    next.redirects.push_back(target);
    offer.item = next.Encode();
    const std::string from_host = claimed->second.host;
    auto moved = shared_->Transfer(site.config->name, site.shared_run, from_host, field, offer);
    if (!moved.ok()) return StateFailed(moved.status().WithContext("frontier.redis"));
    switch (*moved) {
      case distributed::SharedFrontier::TransferResult::kDuplicate:
        Settle(site, item.url, OutcomeKind::kDuplicate, "redirects to " + target + ", which the crawl already has");
        return;
      case distributed::SharedFrontier::TransferResult::kLost:
        spdlog::warn("{}: redirect to {} not followed here: the lease of {} was lost", item.url, target, from_host);
        [[fallthrough]];
      case distributed::SharedFrontier::TransferResult::kMoved:
        spdlog::debug("{}: redirect to {} queued in the shared frontier", item.url, target);
        shared_claimed_.erase(claimed);
        Unhold(site, from_host);
        return;
    }
  }

  // Strand: the completions (and article confirmations) held back until
  // the sinks flushed, sent.
  void SendSharedDone() {
    if (state_failed_ || (shared_done_.empty() && shared_articles_.empty())) return;
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> articles;
    for (auto& article : shared_articles_) articles[article.site].emplace_back(article.key, article.hash);
    shared_articles_.clear();
    for (const auto& [site, keys] : articles) {
      if (Status status = shared_->ConfirmArticles(site, keys); !status.ok())
        return StateFailed(status.WithContext("frontier.redis"));
    }
    std::map<size_t, std::vector<std::pair<std::string, std::string>>> done;
    for (const auto& entry : shared_done_) done[entry.site].emplace_back(entry.host, entry.field);
    shared_done_.clear();
    for (auto& [site_index, pairs] : done) {
      Site& site = sites_[site_index];
      auto left = shared_->Complete(site.config->name, site.shared_run, pairs);
      if (!left.ok()) return StateFailed(left.status().WithContext("frontier.redis"));
      if (*left <= 0) site.next_finish_check = {};
    }
  }

  // Strand: one URL of `host` fewer to fetch here; with none left, the host
  // goes back with the time its next request may start.
  void Unhold(Site& site, const std::string& host) {
    --site.shared_held;
    auto it = shared_held_.find(host);
    if (it == shared_held_.end() || --it->second > 0) return;
    shared_held_.erase(it);
    ReleaseHost(host);
  }

  void ReleaseHost(const std::string& host) {
    if (state_failed_) return;  // the lease expires on its own
    // Measured from the end of the last response, not the start of its
    // request: the next worker's first request then reaches the server a
    // whole delay after this worker's last one, however long that took.
    const auto now = Clock::now();
    auto until = frontier_.NextStart(host);
    if (auto last = shared_last_finish_.find(host); last != shared_last_finish_.end())
      until = std::max(until, last->second + frontier_.Delay(host));
    const auto wait = std::chrono::ceil<Millis>(std::max(until - now, Clock::duration::zero()));
    if (Status status = shared_->Release(host, wait); !status.ok()) StateFailed(status.WithContext("frontier.redis"));
  }

  // Strand: whether the site's shared run has finished (nothing open in any
  // worker), asked at most every kSharedTick.
  bool SharedRunDone(Site& site) {
    if (site.shared_held > 0 || !shared_offers_.empty()) return false;
    const auto now = Clock::now();
    if (now < site.next_finish_check) return false;
    site.next_finish_check = now + kSharedTick;
    auto finished = shared_->RunFinished(site.config->name, site.shared_run);
    if (!finished.ok()) {
      StateFailed(finished.status().WithContext("frontier.redis"));
      return false;
    }
    return *finished;
  }

  // At the end of Run(): what is done is sent, the hosts still held go back
  // (with what they still have in flight, which the next claim queues
  // again), and the heartbeat stops.
  void LeaveShared() {
    if (!shared_) return;
    if (state_failed_) {
      spdlog::warn("frontier.redis: leaving without giving back {} host(s): their leases and this worker's "
                   "heartbeat expire within frontier.lease_ttl, and other workers take its URLs over",
                   shared_held_.size());
      return;
    }
    if (!output_failed_ && !state_failed_) SendSharedDone();
    std::vector<std::string> hosts;
    for (const auto& [host, count] : shared_held_) hosts.push_back(host);
    for (const auto& host : hosts) ReleaseHost(host);
    if (Status status = shared_->Leave(); !status.ok()) spdlog::warn("frontier.redis: {}", status.message());
    const int64_t pages = TotalPages();
    spdlog::info("frontier.redis: {} round trips{}, {} reconnect(s)", shared_->round_trips(),
                 pages > 0 ? fmt::format(" ({:.2f} per page fetched)", static_cast<double>(shared_->round_trips()) / pages)
                           : std::string(),
                 shared_->reconnects());
  }

  void StateFailed(const Status& status) {
    if (state_failed_) return;
    spdlog::critical("crawl state failed, stopping the crawl: {}", status.message());
    state_failed_ = status;
    Stop();
  }

  // Before the first fetch: records that reached the jsonl sinks after the
  // last commit of the state (killed between a flush and its commit) are
  // taken into the state, so they are never written again; one that only
  // some of its site's jsonl sinks got (killed between their flushes) is
  // copied into the others first.
  Status ReconcileOutput() {
    struct Found {
      std::string line, site, key, hash;
      std::vector<bool> held;  // by jsonl sink
    };
    std::vector<Found> found;
    std::map<std::pair<std::string, std::string>, size_t> index;  // (site, key) -> found
    for (size_t i = 0; i < jsonl_sinks_.size(); ++i) {
      sink::JsonlSink& sink = *jsonl_sinks_[i];
      auto files = sink.Files();
      if (!files.ok()) return files.status();
      // The newest file the state has a checkpoint for, from there on; all
      // of them when it knows none (a first run, or a state started anew).
      size_t first = 0;
      std::optional<uint64_t> checkpoint;
      for (size_t f = files->size(); f-- > 0;) {
        auto known = state_->KnownOutputOffset((*files)[f]);
        if (!known.ok()) return known.status();
        if (*known) {
          first = f;
          checkpoint = **known;
          break;
        }
      }
      if (!checkpoint && files->size() == 1) {
        // Earlier versions kept the offset of the one file under its path as configured.
        auto legacy = state_->OutputOffset(files->front());
        if (!legacy.ok()) return legacy.status();
        checkpoint = *legacy;
      }
      for (size_t f = first; f < files->size(); ++f) {
        const std::string& file = (*files)[f];
        uint64_t offset = f == first && checkpoint ? *checkpoint : 0;
        const uint64_t size = file == sink.path() ? sink.size() : std::filesystem::file_size(file);
        if (offset > size) {
          spdlog::warn("{} is shorter ({} bytes) than the crawl state recorded ({} bytes): truncated or replaced? "
                       "Accounting from its end",
                       file, size, offset);
          continue;
        }
        if (offset == size) continue;
        auto lines = sink.ReadLines(file, offset);
        if (!lines.ok()) return lines.status();
        for (auto& line : *lines) {
          boost::system::error_code ec;
          const boost::json::value record = boost::json::parse(line, ec);
          if (ec || !record.is_object()) continue;  // not ours: the sink only writes whole records
          const auto& object = record.as_object();
          auto field = [&object](const char* name) -> std::optional<std::string> {
            const auto* value = object.if_contains(name);
            if (value == nullptr || !value->is_string()) return std::nullopt;
            return std::string(value->as_string());
          };
          const auto site = field("site");
          const auto canonical = field("canonical_url");
          const auto url = field("url");
          if (!site || (!canonical && !url)) continue;
          std::string key = ArticleKey(canonical ? &*canonical : nullptr, url ? *url : "");
          auto [at, fresh] = index.emplace(std::make_pair(*site, key), found.size());
          if (fresh) {
            const auto title = field("title");
            const auto body = field("body");
            found.push_back({std::move(line), *site, std::move(key),
                             ArticleContentHash(title ? &*title : nullptr, body ? &*body : nullptr),
                             std::vector<bool>(jsonl_sinks_.size(), false)});
          }
          found[at->second].held[i] = true;
        }
      }
    }
    int64_t copied = 0;
    for (const Found& record : found) {
      const auto site = std::find_if(config_.sites.begin(), config_.sites.end(),
                                     [&](const SiteConfig& s) { return s.name == record.site; });
      for (size_t i = 0; i < jsonl_sinks_.size() && site != config_.sites.end(); ++i) {
        const auto& names = site->sinks;
        const bool routed = names.empty() || std::find(names.begin(), names.end(), jsonl_sinks_[i]->name()) != names.end();
        if (!routed || record.held[i]) continue;
        if (Status status = jsonl_sinks_[i]->Append(record.line); !status.ok()) return status;
        ++copied;
      }
      if (Status status = state_->MarkWritten(record.site, record.key, record.hash, UnixMs()); !status.ok()) return status;
    }
    for (sink::JsonlSink* sink : jsonl_sinks_) {
      if (Status status = sink->Flush(); !status.ok()) return Status(status.code(), sink->Label() + ": " + status.message());
      if (Status status = state_->SetOutputOffset(sink->path(), sink->size()); !status.ok()) return status;
    }
    if (!found.empty())
      spdlog::info("{} record(s) written just before the last run ended are now known to the crawl state{}", found.size(),
                   copied > 0 ? " (" + std::to_string(copied) + " copied into the jsonl sinks that missed them)" : "");
    return state_->Commit();
  }

  void Stop() {
    stopping_ = true;
    wake_.cancel();
  }

  // Strand (serve, SIGHUP): the config file is read again. A config that
  // does not load, or whose plugins or files are wrong, is refused with its
  // errors and the running one goes on. A good one takes over: requests in
  // flight finish, what is queued stays queued in the crawl state, and
  // ServeCrawl starts again with it (resuming the open runs).
  void Reload() {
    auto fresh = LoadConfigFile(config_.path);
    std::vector<std::string> problems;
    if (!fresh.ok()) {
      problems.push_back(fresh.status().message());
    } else {
      problems = CheckConfig(*fresh, options_, nullptr);
    }
    if (!problems.empty()) {
      for (const auto& problem : problems) spdlog::error("SIGHUP: new config refused: {}", problem);
      spdlog::error("SIGHUP: still running the config loaded before");
      return;
    }
    if (reload_) return;  // already switching
    spdlog::warn("SIGHUP: {} reloaded; finishing {} request(s) in flight, then going on with it", config_.path,
                 in_flight_.load());
    reload_ = std::move(*fresh);
    Stop();
  }

  // Strand (the signal_set runs its handlers there).
  void OnSignal(int sig, asio::signal_set& signals) {
    if (sig == SIGHUP) {
      Reload();
    } else if (interrupted_) {
      spdlog::warn("second signal: stopping now");
      io_.stop();
      return;
    } else {
      interrupted_ = true;
      spdlog::warn("signal {}: finishing {} request(s) in flight within shutdown_timeout ({} ms), then stopping "
                   "(again to stop now)",
                   sig, in_flight_.load(), config_.crawler.shutdown_timeout.count());
      Stop();
      shutdown_timer_.expires_after(config_.crawler.shutdown_timeout);
      shutdown_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;  // the crawl ended first
        spdlog::warn("shutdown_timeout: abandoning {} request(s) in flight; their URLs stay queued in the crawl state",
                     in_flight_.load());
        io_.stop();
      });
    }
    if (scheduler_done_) return;
    signals.async_wait([this, &signals](const boost::system::error_code& ec, int again) {
      if (!ec) OnSignal(again, signals);
    });
  }

 public:
  const std::optional<Status>& output_failed() const { return output_failed_; }
  const std::optional<Status>& state_failed() const { return state_failed_; }
  // Set when a SIGHUP brought a new config to go on with.
  std::optional<Config>& reload() { return reload_; }

 private:
  const Config& config_;
  const RunOptions& options_;
  const bool serve_;
  metrics::Registry& metrics_;
  state::StateStore* const shared_state_;
  asio::io_context io_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer wake_;
  asio::steady_timer shutdown_timer_{strand_};  // shutdown_timeout after the first SIGINT/SIGTERM
  asio::steady_timer progress_timer_{strand_};  // the tick of Progress()
  std::unique_ptr<asio::thread_pool> parse_pool_;
  std::atomic<int> overrunning_plugin_calls_{0};  // abandoned calls that have not returned yet
  asio::thread_pool sink_thread_{1};
  net::Fetcher fetcher_{config_.crawler.dns};  // after io_: destroyed before it, as its Resolver requires
  std::unique_ptr<PluginRegistry> registry_;
  std::vector<Site> sites_;
  frontier::Frontier frontier_{FrontierOptionsFor(config_)};
  std::unordered_map<std::string, OriginRobots> robots_;  // by origin
  std::unordered_map<std::string, policy::AdaptiveThrottle> throttles_;  // by host key
  std::unordered_map<std::string, std::string> addresses_;  // host name -> "ip:..." key
  std::unordered_map<std::string, std::vector<CrawlItem>> waiting_for_dns_;
  size_t items_waiting_for_dns_ = 0;
  std::vector<std::unique_ptr<sink::Sink>> sinks_;  // output.sinks, in order
  std::vector<sink::JsonlSink*> jsonl_sinks_;        // those of sinks_ that are jsonl
  int64_t unflushed_articles_ = 0;                   // strand: articles given to the sinks since the last flush
  Clock::time_point last_flush_ = Clock::now();
  state::StateStore* state_ = nullptr;          // strand only: own_state_ or the caller's
  std::unique_ptr<state::StateStore> own_state_;
  int64_t unsynced_ = 0;  // strand: articles flushed since the last fdatasync was asked for
  std::atomic<int> in_flight_{0};  // changed on the strand; read by the signal handler's log line
  bool stopping_ = false;
  bool scheduler_done_ = false;  // strand: Schedule() has returned
  bool spill_warned_ = false;    // strand: the frontier's spill_disabled() was logged
  std::atomic<bool> interrupted_{false};
  std::optional<Status> output_failed_;
  std::optional<Status> state_failed_;
  std::optional<Config> reload_;

  // frontier.backend redis (strand only).
  static constexpr Millis kSharedTick{50};
  struct SharedOffer {
    size_t site = 0;
    std::string url;
    int depth = 0;
    Priority priority = Priority::kLow;
    std::string host;  // politeness key, when it is to be queued
    std::optional<std::pair<OutcomeKind, std::string>> settle;  // its outcome, when it is not
  };
  struct ClaimedUrl {
    std::string host;  // the lease it is held under
    std::string item;  // as the shared queue had it
  };
  struct SharedDone {
    size_t site = 0;
    std::string host, field;
  };
  struct SharedArticle {
    std::string site, key, hash;
  };
  std::unique_ptr<distributed::SharedFrontier> shared_;
  std::unordered_map<std::string, size_t> site_index_;           // site name -> index in sites_
  std::vector<SharedOffer> shared_offers_;                       // offered, not sent yet
  std::unordered_map<std::string, ClaimedUrl> shared_claimed_;   // by in-flight field, until its outcome
  std::unordered_map<std::string, int64_t> shared_held_;         // host -> URLs claimed here, without their outcome yet
  std::unordered_map<std::string, Clock::time_point> shared_last_finish_;  // host -> when its last response ended
  std::vector<SharedDone> shared_done_;                          // outcomes waiting for the sinks' flush
  std::vector<SharedArticle> shared_articles_;                   // claimed articles waiting for the sinks' flush
  Clock::time_point next_claim_{};
  Clock::time_point next_renew_{};
};

}  // namespace

namespace {

// metrics.listen, when the command serves it: serve always, run with
// metrics.in_run (or --metrics). Null when not asked for.
Result<std::unique_ptr<metrics::MetricsServer>> StartMetrics(const Config& config, const metrics::Registry& registry,
                                                             bool serve) {
  const std::string& listen = config.crawler.metrics_listen;
  if (listen.empty() || (!serve && !config.crawler.metrics_in_run)) return std::unique_ptr<metrics::MetricsServer>();
  auto server = metrics::MetricsServer::Start(listen, registry);
  if (!server.ok()) return Status(server.status().code(), "metrics.listen " + listen + ": " + server.status().message());
  const std::string host = listen.substr(0, listen.rfind(':'));
  spdlog::info("metrics: http://{}:{}/metrics, status page http://{}:{}/", host, (*server)->port(), host,
               (*server)->port());
  return server;
}

}  // namespace

Result<CrawlSummary> RunCrawl(const Config& config, const RunOptions& options) {
  metrics::Registry registry;
  auto server = StartMetrics(config, registry, /*serve=*/false);
  if (!server.ok()) return server.status();
  Crawl crawl(config, options, registry);
  auto summary = crawl.Run();
  if (summary.ok() && crawl.output_failed()) return *crawl.output_failed();
  if (summary.ok() && crawl.state_failed()) return *crawl.state_failed();
  return summary;
}

namespace {

// `into` plus `more`, site by site (by name), for the summary of a serve
// that went through reloads.
void Accumulate(CrawlSummary& into, const CrawlSummary& more) {
  for (const auto& site : more.sites) {
    auto it = std::find_if(into.sites.begin(), into.sites.end(), [&](const SiteSummary& s) { return s.name == site.name; });
    if (it == into.sites.end()) {
      into.sites.push_back(site);
      continue;
    }
    it->started = site.started;
    it->error = site.error;
    it->Add(site);
  }
  into.elapsed_ms += more.elapsed_ms;
  into.interrupted = more.interrupted;
  into.output_path = more.output_path;
  into.outputs = more.outputs;
}

}  // namespace

Result<CrawlSummary> ServeCrawl(Config config, const RunOptions& options) {
  // One state for every config the serve goes through (an in-memory one
  // would otherwise be lost at a reload), unless a reload moves state_dir.
  std::unique_ptr<state::StateStore> store;
  std::string store_dir;
  CrawlSummary total;
  // One registry and one endpoint for the whole serve: a reload keeps the
  // figures and the address (a changed metrics.listen takes a restart).
  metrics::Registry registry;
  auto server = StartMetrics(config, registry, /*serve=*/true);
  if (!server.ok()) return server.status();
  for (;;) {
    if (!store || store_dir != config.crawler.state_dir) {
      store.reset();
      auto opened = state::StateStore::Open(config.crawler.state_dir);
      if (!opened.ok()) return opened.status();
      store = std::move(*opened);
      store_dir = config.crawler.state_dir;
    }
    std::optional<Config> next;
    {
      Crawl crawl(config, options, registry, /*serve=*/true, store.get());
      auto summary = crawl.Run();
      if (!summary.ok()) return summary;
      if (crawl.output_failed()) return *crawl.output_failed();
      if (crawl.state_failed()) return *crawl.state_failed();
      Accumulate(total, *summary);
      next = std::move(crawl.reload());
    }
    if (!next) return total;
    config = std::move(*next);
  }
}

FetchSettings FetchSettingsFor(const Config& config, const SiteConfig& site) {
  FetchSettings settings;
  settings.user_agent = site.user_agent;
  settings.limits = site.limits;
  if (settings.limits.max_idle_connections == kAutoIdleConnections) {
    settings.limits.max_idle_connections =
        net::IdleConnectionsFor(net::OpenFileLimit(), config.crawler.max_in_flight);
  }
  settings.tls = site.tls;
  settings.resolve = config.crawler.resolve;
  settings.dns = config.crawler.dns;
  settings.allow = config.crawler.allow;
  settings.headers = site.headers;
  settings.proxy = site.proxy;
  // One jar per site for the whole crawl: the settings are built once per
  // site and every request copies them, sharing the jar.
  if (site.cookies) settings.cookie_jar = std::make_shared<net::CookieJar>();
  return settings;
}

std::vector<std::string> CheckConfig(const Config& config, const RunOptions& options, PluginLoadReport* report) {
  std::vector<std::string> problems;
  PluginRegistry registry;
  const std::string plugin_dir = ResolvePluginDir(config, options);
  if (Status status = registry.LoadDirectory(plugin_dir); !status.ok()) problems.push_back(status.message());
  if (report != nullptr) *report = registry.report();
  for (const auto& site : config.sites) {
    auto plugin = registry.Create(site.plugin, site.plugin_settings_json);
    if (!plugin.ok()) problems.push_back("site " + site.name + " (" + site.location + "): " + plugin.status().message());
    if (!site.tls.ca_file.empty()) {
      std::ifstream ca(site.tls.ca_file);
      if (!ca) problems.push_back("site " + site.name + ": tls.ca_file " + site.tls.ca_file + " cannot be read");
    }
  }
  for (const SinkConfig& sink : config.crawler.sinks) {
    // A jsonl or sqlite path names a file (in a directory), a warc one a directory.
    const std::filesystem::path path(sink.path);
    const auto directory = sink.kind == SinkKind::kWarc ? path : path.parent_path();
    std::error_code ec;
    if (!directory.empty() && std::filesystem::exists(directory, ec) && !std::filesystem::is_directory(directory, ec))
      problems.push_back("sink '" + sink.name + "' (" + sink.location + "): " + directory.string() + " is not a directory");
  }
  return problems;
}

}  // namespace newshound
