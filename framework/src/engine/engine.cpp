#include "newshound/engine.h"

// GCC 12 warns -Wmismatched-new-delete on the frames of Asio coroutines:
// they are allocated and freed by the promise's own operator new/delete
// (Asio's recycling allocator), which GCC fails to pair up (GCC bug 109224).
// There is no mismatch; the warning would only bury real ones.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <openssl/evp.h>

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
#include <mutex>
#include <random>
#include <thread>

#include "engine/frontier.h"
#include "net/cookie_jar.h"
#include "net/fetcher.h"
#include "newshound/charset.h"
#include "newshound/robots.h"
#include "policy/retry_policy.h"
#include "policy/throttle.h"
#include "newshound/sink.h"
#include "newshound/url.h"

namespace newshound {
namespace {

namespace asio = boost::asio;
using engine::Clock;
using engine::CrawlItem;
using engine::Priority;

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
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
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
  std::string charset;
  std::string content_sha256;
};

class Crawl {
 public:
  Crawl(const Config& config, const RunOptions& options)
      : config_(config),
        options_(options),
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

    auto writer = JsonlWriter::Open(config_.crawler.output_jsonl);
    if (!writer.ok()) return writer.status();
    writer_ = std::move(*writer);
    if (writer_->repaired_bytes() > 0)
      spdlog::warn("{}: cut off a partial last line of {} bytes left by an earlier crash", writer_->path(),
                   writer_->repaired_bytes());

    StartSites();

    // On the strand, like the scheduler's completion below: the re-arming in
    // OnSignal and the final cancel() must not race (a wait left armed would
    // keep io_.run() from returning).
    asio::signal_set signals(strand_, SIGINT, SIGTERM);
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
    });

    const int threads = EffectiveThreads(config_.crawler.threads);
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& thread : pool) thread.join();
    if (overrunning_plugin_calls_ == 0) parse_pool_->join();
    sink_thread_.join();
    if (!output_failed_) {
      if (Status status = writer_->Sync(); !status.ok()) return status;
    }

    CrawlSummary summary;
    summary.interrupted = interrupted_;
    summary.output_path = writer_->path();
    for (size_t i = 0; i < sites_.size(); ++i) {
      sites_[i].summary.articles_written = articles_written_[i];
      summary.sites.push_back(sites_[i].summary);
    }
    summary.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    return summary;
  }

 private:
  struct Site {
    const SiteConfig* config = nullptr;
    std::unique_ptr<PluginInstance> plugin;
    FetchSettings fetch;
    FetchSettings robots_fetch;  // same, but robots.txt may redirect 5 times (RFC 9309 2.3.1.2)
    engine::HostPolicy policy;
    std::unique_ptr<policy::RetryPolicy> retry;
    SiteSummary summary;
    int64_t fetches_started = 0;  // URLs given their first attempt (retries are not counted again)
  };

  // What is known of one origin's robots.txt (RFC 9309 applies per
  // scheme + host + port).
  struct OriginRobots {
    enum class State { kUnknown, kFetching, kKnown } state = State::kUnknown;
    std::shared_ptr<const RobotsRules> rules;
    Clock::time_point expires{};
    int failures = 0;     // consecutive 5xx / unreachable answers
    std::string reason;   // why everything is disallowed, when it is for unavailability
    // Politeness keys held back until robots.txt answers (more than one when
    // sites with different politeness keys share the origin).
    std::vector<std::string> blocked_hosts;
  };

  void StartSites() {
    sites_.resize(config_.sites.size());
    articles_written_ = std::make_unique<std::atomic<int64_t>[]>(config_.sites.size());
    for (size_t i = 0; i < config_.sites.size(); ++i) {
      const SiteConfig& cfg = config_.sites[i];
      Site& site = sites_[i];
      site.config = &cfg;
      site.summary.name = cfg.name;
      site.summary.plugin = cfg.plugin;
      site.fetch = FetchSettingsFor(config_, cfg);
      site.robots_fetch = site.fetch;
      site.robots_fetch.limits.max_redirects = 5;
      site.retry = std::make_unique<policy::RetryPolicy>(cfg.retries, std::random_device{}());
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
      spdlog::info("site {}: plugin {} {} ({}), {} start URL(s)", cfg.name, site.plugin->info().name,
                   site.plugin->info().version, site.plugin->info().path, cfg.start_urls.size());
      for (const auto& url : cfg.start_urls) Offer(i, url, 0, Priority::kHigh);
    }
  }

  bool InScope(const Site& site, const std::string& url) const {
    auto parts = ParseHttpUrl(url);
    if (!parts.ok()) return false;
    const auto& hosts = site.config->hosts;
    return std::find(hosts.begin(), hosts.end(), parts->host) != hosts.end();
  }

  // A URL enters the crawl (once): queued, or given its terminal outcome
  // right away when it is out of scope or over a limit. Strand only.
  void Offer(size_t site_index, const std::string& url, int depth, Priority priority) {
    Site& site = sites_[site_index];
    auto normalized = NormalizeUrl(url);
    if (!normalized.ok()) {
      spdlog::debug("site {}: dropped link: {}", site.config->name, normalized.status().message());
      return;
    }
    if (!frontier_.MarkSeen(*normalized)) return;
    ++site.summary.urls_accepted;
    if (!InScope(site, *normalized)) {
      Record(site, *normalized, OutcomeKind::kOutOfScope, "host not in the site's hosts");
      return;
    }
    if (site.config->max_depth > 0 && depth > site.config->max_depth) {
      Record(site, *normalized, OutcomeKind::kOverBudget, "deeper than max_depth");
      return;
    }
    const UrlParts parts = *ParseHttpUrl(*normalized);
    CrawlItem item;
    item.url = std::move(*normalized);
    item.site = site_index;
    item.depth = depth;
    item.priority = priority;
    item.origin = OriginKey(parts);
    auto key = HostKey(site, parts);
    if (!key) {  // politeness by IP, and the host is still being resolved
      WaitForAddress(parts.host, std::move(item));
      return;
    }
    item.host_key = std::move(*key);
    frontier_.Push(std::move(item), site.policy);
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
    auto& waiting = waiting_for_dns_[host];
    waiting.push_back(std::move(item));
    if (waiting.size() > 1) return;  // already resolving
    asio::co_spawn(
        io_,
        [this, host]() -> asio::awaitable<void> {
          asio::ip::tcp::resolver resolver(co_await asio::this_coro::executor);
          auto [ec, results] = co_await resolver.async_resolve(host, "443", asio::as_tuple(asio::use_awaitable));
          std::string key = "host:" + host;
          if (!ec && !results.empty()) key = "ip:" + results.begin()->endpoint().address().to_string();
          asio::post(strand_, [this, host, key] {
            addresses_[host] = key;
            auto items = std::move(waiting_for_dns_[host]);
            waiting_for_dns_.erase(host);
            for (auto& waiting_item : items) {
              --items_waiting_for_dns_;
              waiting_item.host_key = key;
              const engine::HostPolicy& policy = sites_[waiting_item.site].policy;
              frontier_.Push(std::move(waiting_item), policy);
            }
            wake_.cancel();
          });
        },
        asio::detached);
  }

  void Record(Site& site, const std::string& url, OutcomeKind kind, const std::string& detail) {
    ++site.summary.outcomes[static_cast<int>(kind)];
    if (kind == OutcomeKind::kFetched) {
      spdlog::debug("{} {}", OutcomeKindName(kind), url);
    } else if (kind == OutcomeKind::kOutOfScope || kind == OutcomeKind::kOverBudget || kind == OutcomeKind::kCancelled) {
      spdlog::debug("{} {}: {}", OutcomeKindName(kind), url, detail);
    } else {
      spdlog::warn("{} {}: {}", OutcomeKindName(kind), url, detail);
    }
  }

  asio::awaitable<void> Schedule() {
    constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
    const int max_in_flight = config_.crawler.max_in_flight;
    for (;;) {
      while (!stopping_ && in_flight_ < max_in_flight) {
        const auto now = Clock::now();
        auto item = frontier_.PopReady(now);
        if (!item) break;
        Site& site = sites_[item->site];
        if (site.config->robots.obey && !RobotsAllow(site, *item, now)) continue;
        if (item->attempts == 0) {
          if (site.config->max_pages > 0 && site.fetches_started >= site.config->max_pages) {
            Record(site, item->url, OutcomeKind::kOverBudget, "max_pages reached");
            continue;
          }
          ++site.fetches_started;
        }
        frontier_.Started(item->host_key, now);
        ++in_flight_;
        asio::co_spawn(asio::make_strand(io_), Work(std::move(*item), /*robots=*/false), asio::detached);
      }
      if (stopping_) {
        for (auto& item : frontier_.Drain()) Record(sites_[item.site], item.url, OutcomeKind::kCancelled, "crawl stopped");
        for (auto& [host, items] : waiting_for_dns_)
          for (auto& item : items) Record(sites_[item.site], item.url, OutcomeKind::kCancelled, "crawl stopped");
        waiting_for_dns_.clear();
        items_waiting_for_dns_ = 0;
      }
      if (in_flight_ == 0 && frontier_.queued() == 0 && items_waiting_for_dns_ == 0) break;
      auto next = frontier_.NextReadyTime(Clock::now());
      if (next && in_flight_ < max_in_flight && !stopping_) {
        wake_.expires_at(*next);
      } else {
        wake_.expires_at(Clock::time_point::max());
      }
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
    if (robots.state != OriginRobots::State::kKnown) {
      const std::string host_key = item.host_key;
      if (robots.state == OriginRobots::State::kUnknown) {
        // robots.txt first, as a request to the host like any other: it
        // takes the host's slot and waits for its delay.
        robots.state = OriginRobots::State::kFetching;
        CrawlItem robots_item = item;
        robots_item.url = RobotsUrl(item.origin);
        frontier_.Started(host_key, now);
        ++in_flight_;
        ++site.summary.robots_fetches;
        asio::co_spawn(asio::make_strand(io_), Work(std::move(robots_item), /*robots=*/true), asio::detached);
      }
      frontier_.Block(host_key);
      if (std::find(robots.blocked_hosts.begin(), robots.blocked_hosts.end(), host_key) == robots.blocked_hosts.end())
        robots.blocked_hosts.push_back(host_key);
      frontier_.PushFront(std::move(item));
      return false;
    }
    const std::string target = ParseHttpUrl(item.url)->target;
    if (robots.rules->IsAllowed(site.config->robots.agent, target)) return true;
    Record(site, item.url, OutcomeKind::kRobotsDisallowed,
           robots.reason.empty() ? "disallowed by " + RobotsUrl(item.origin) + " for agent " + site.config->robots.agent
                                 : robots.reason);
    return false;
  }

  // Fetches and parses one URL off the strand, then hands the result back.
  asio::awaitable<void> Work(CrawlItem item, bool robots) {
    Completion done;
    done.robots = robots;
    const Site& site = sites_[item.site];
    try {
      if (robots) {
        done.fetch = co_await fetcher_.Fetch(item.url, site.robots_fetch);
      } else {
        // Every redirect hop is checked against scope and, when the target's
        // robots.txt is already known, against it.
        auto check = [this, &site](const std::string& url) -> std::optional<OutcomeKind> {
          if (!InScope(site, url)) return OutcomeKind::kOutOfScope;
          if (site.config->robots.obey && !KnownRobotsAllow(site, url)) return OutcomeKind::kRobotsDisallowed;
          return std::nullopt;
        };
        done.fetch = co_await fetcher_.Fetch(item.url, site.fetch, check);
      }
      if (!robots && done.fetch.ok() && IsParseable(done.fetch.Header("Content-Type"))) {
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
      frontier_.Finished(done.item.host_key);
      wake_.cancel();
      if (done.robots) {
        ApplyRobots(std::move(done));
      } else {
        Apply(std::move(done));
      }
    });
  }

  // Decoding and the plugin are CPU work: they run on the parse pool, under
  // the plugin's time budget. The job owns its inputs, so that a call that
  // overruns can be abandoned (recorded as a plugin error) while it goes on
  // running; its late result is dropped.
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
      std::lock_guard<std::mutex> lock(job->mutex);
      if (job->abandoned) {
        --overrunning_plugin_calls_;
        return;
      }
      job->finished = true;
      job->analysis = std::move(analysis);
      job->charset = std::move(charset);
      job->content_sha256 = std::move(sha);
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

  // Off the strand (redirect checks): robots rules already fetched. Unknown
  // origins pass; their robots.txt is not fetched in the middle of a redirect.
  bool KnownRobotsAllow(const Site& site, const std::string& url) {
    auto parts = ParseHttpUrl(url);
    if (!parts.ok()) return false;
    std::shared_ptr<const RobotsRules> rules;
    {
      std::lock_guard<std::mutex> lock(known_robots_mutex_);
      auto it = known_robots_.find(OriginKey(*parts));
      if (it == known_robots_.end()) return true;
      rules = it->second;
    }
    return rules->IsAllowed(site.config->robots.agent, parts->target);
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
    if (fetch.kind == OutcomeKind::kFetched) {
      robots.rules = std::make_shared<const RobotsRules>(RobotsRules::Parse(fetch.body));
      for (const auto& warning : robots.rules->warnings()) spdlog::debug("{}: {}", done.item.url, warning);
      spdlog::info("{}: {} bytes, {} sitemap(s)", done.item.url, fetch.body.size(), robots.rules->sitemaps().size());
    } else if (!unreachable) {
      // 4xx, too many redirects, too large: "unavailable", so everything is allowed.
      robots.rules = std::make_shared<const RobotsRules>(RobotsRules::AllowAll());
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
      spdlog::warn("{}", robots.reason);
    }
    robots.state = OriginRobots::State::kKnown;
    robots.failures = 0;
    robots.expires = now + site.config->robots.cache_ttl;
    {
      std::lock_guard<std::mutex> lock(known_robots_mutex_);
      known_robots_[origin] = robots.rules;
    }
    if (auto crawl_delay = robots.rules->CrawlDelay(site.config->robots.agent)) {
      const Millis capped = std::min(*crawl_delay, site.config->politeness.max_crawl_delay);
      if (capped > frontier_.Delay(host_key)) {
        spdlog::info("{}: Crawl-delay {} ms (capped at {} ms by politeness.max_crawl_delay)", origin,
                     crawl_delay->count(), capped.count());
        frontier_.SetDelay(host_key, capped);
      }
      if (auto throttle = throttles_.find(host_key); throttle != throttles_.end()) throttle->second.RaiseFloor(capped);
    }
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
    if (!done.fetch.redirect_chain.empty() && done.fetch.ok()) {
      // The final URL counts as seen so that a link to it is not fetched again.
      if (auto final_url = NormalizeUrl(done.fetch.final_url); final_url.ok()) frontier_.MarkSeen(*final_url);
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
        spdlog::info("retry {} of {} in {} ms: {}", done.item.attempts, url, delay->count(), detail);
        frontier_.PushDelayed(std::move(done.item), now + *delay);
        return;
      }
      Record(site, url, fetch.kind, detail + " (" + std::to_string(done.item.attempts) + " attempt(s))");
      return;
    }
    if (throttle) {
      throttle->OnSuccess(Millis(done.fetch.timings.total_ms));
      frontier_.SetDelay(done.item.host_key, throttle->delay());
    }
    ++site.summary.pages_fetched;
    if (!done.analysis) {
      Record(site, url, OutcomeKind::kFetched, "");
      return;
    }
    if (!done.analysis->ok()) {
      if (done.plugin_timed_out) ++site.summary.plugin_timeouts;
      Record(site, url, OutcomeKind::kPluginError, done.analysis->status().message());
      return;
    }
    const PageAnalysis& analysis = done.analysis->value();
    for (const auto& why : analysis.rejected) {
      ++site.summary.plugin_rejected_values;
      spdlog::warn("plugin {} on {}: value refused: {}", site.config->plugin, url, why);
    }
    Record(site, url, OutcomeKind::kFetched, "");
    if (stopping_) return;  // nothing new enters a stopping crawl
    const int depth = done.item.depth + 1;
    if (analysis.next) Offer(done.item.site, *analysis.next, depth, Priority::kHigh);
    for (const auto& link : analysis.links) {
      const bool listing_like = link.kind == LinkKind::kListing || link.kind == LinkKind::kFeed ||
                                link.kind == LinkKind::kSitemap;
      Offer(done.item.site, link.url, depth, listing_like ? Priority::kHigh : Priority::kLow);
    }
    for (const auto& article_url : analysis.articles) Offer(done.item.site, article_url, depth, Priority::kLow);
    if (analysis.kind == PageKind::kArticle && analysis.article) WriteArticle(site, done, *analysis.article);
  }

  void WriteArticle(Site& site, const Completion& done, const ArticleRecord& article) {
    const std::string* canonical = article.Field("canonical_url");
    std::string key = canonical != nullptr ? *canonical : done.fetch.final_url;
    if (auto normalized = NormalizeUrl(key); normalized.ok()) key = *normalized;
    if (!written_.insert(key).second) {
      ++site.summary.duplicate_articles;
      spdlog::debug("article {} already written (canonical {})", done.fetch.final_url, key);
      return;
    }
    RecordMeta meta;
    meta.site = site.config->name;
    meta.plugin = site.config->plugin;
    meta.url = done.fetch.final_url;
    meta.fetched_at = IsoNow();
    meta.status = done.fetch.status;
    meta.charset = done.charset;
    meta.content_sha256 = done.content_sha256;
    // File I/O (and the periodic fdatasync) runs on the sink thread, never
    // on the event loop; it reports back to the strand only on failure.
    const size_t site_index = done.item.site;
    asio::post(sink_thread_, [this, site_index, line = ArticleToJson(article, &meta)] {
      if (output_failed_flag_) return;
      Status status = writer_->Append(line);
      if (status.ok() && ++unsynced_ >= 64) {
        unsynced_ = 0;
        status = writer_->Sync();
      }
      if (!status.ok()) {
        output_failed_flag_ = true;
        asio::post(strand_, [this, status] {
          // Losing output silently is worse than stopping: stop the crawl.
          spdlog::critical("output failed, stopping the crawl: {}", status.message());
          output_failed_ = status;
          Stop();
        });
        return;
      }
      ++articles_written_[site_index];
    });
  }

  void Stop() {
    stopping_ = true;
    wake_.cancel();
  }

  // Strand (the signal_set runs its handlers there).
  void OnSignal(int sig, asio::signal_set& signals) {
    if (interrupted_) {
      spdlog::warn("second signal: stopping now");
      io_.stop();
      return;
    }
    interrupted_ = true;
    spdlog::warn("signal {}: finishing {} request(s) in flight, then stopping (again to stop now)", sig,
                 in_flight_.load());
    Stop();
    if (scheduler_done_) return;
    signals.async_wait([this, &signals](const boost::system::error_code& ec, int again) {
      if (!ec) OnSignal(again, signals);
    });
  }

 public:
  const std::optional<Status>& output_failed() const { return output_failed_; }

 private:
  const Config& config_;
  const RunOptions& options_;
  asio::io_context io_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer wake_;
  std::unique_ptr<asio::thread_pool> parse_pool_;
  std::atomic<int> overrunning_plugin_calls_{0};  // abandoned calls that have not returned yet
  asio::thread_pool sink_thread_{1};
  net::Fetcher fetcher_;
  std::unique_ptr<PluginRegistry> registry_;
  std::vector<Site> sites_;
  engine::Frontier frontier_;
  std::unordered_map<std::string, OriginRobots> robots_;  // by origin
  std::mutex known_robots_mutex_;  // guards known_robots_, read by redirect checks off the strand
  std::unordered_map<std::string, std::shared_ptr<const RobotsRules>> known_robots_;
  std::unordered_map<std::string, policy::AdaptiveThrottle> throttles_;  // by host key
  std::unordered_map<std::string, std::string> addresses_;  // host name -> "ip:..." key
  std::unordered_map<std::string, std::vector<CrawlItem>> waiting_for_dns_;
  size_t items_waiting_for_dns_ = 0;
  std::unique_ptr<JsonlWriter> writer_;
  std::unordered_set<std::string> written_;  // canonical URLs of articles written this run
  // Sink thread only: appends since the last fdatasync.
  int unsynced_ = 0;
  std::atomic<bool> output_failed_flag_{false};
  std::unique_ptr<std::atomic<int64_t>[]> articles_written_;  // per site, counted by the sink thread
  std::atomic<int> in_flight_{0};  // changed on the strand; read by the signal handler's log line
  bool stopping_ = false;
  bool scheduler_done_ = false;  // strand: Schedule() has returned
  std::atomic<bool> interrupted_{false};
  std::optional<Status> output_failed_;
};

}  // namespace

int64_t SiteSummary::OutcomesTotal() const {
  int64_t total = 0;
  for (int64_t n : outcomes) total += n;
  return total;
}

SiteSummary CrawlSummary::Total() const {
  SiteSummary total;
  total.name = "total";
  total.started = AllSitesStarted();
  for (const auto& site : sites) {
    total.urls_accepted += site.urls_accepted;
    total.pages_fetched += site.pages_fetched;
    total.articles_written += site.articles_written;
    total.duplicate_articles += site.duplicate_articles;
    total.plugin_rejected_values += site.plugin_rejected_values;
    total.retries += site.retries;
    total.plugin_timeouts += site.plugin_timeouts;
    total.robots_fetches += site.robots_fetches;
    for (int i = 0; i < kOutcomeKindCount; ++i) total.outcomes[i] += site.outcomes[i];
  }
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
    if (kind == OutcomeKind::kFetched || kind == OutcomeKind::kNotModified || kind == OutcomeKind::kOutOfScope ||
        kind == OutcomeKind::kOverBudget || kind == OutcomeKind::kRobotsDisallowed || total.outcomes[i] == 0)
      continue;
    error_count += total.outcomes[i];
    errors += (errors.empty() ? "" : ", ") + std::string(OutcomeKindName(kind)) + " " + std::to_string(total.outcomes[i]);
  }
  char elapsed[32];
  std::snprintf(elapsed, sizeof(elapsed), "%.1f s", static_cast<double>(elapsed_ms) / 1000.0);
  std::string line = std::to_string(total.pages_fetched) + " pages fetched, " + std::to_string(total.articles_written) +
                     " articles written, " + std::to_string(error_count) + " errors";
  if (!errors.empty()) line += " (" + errors + ")";
  const int64_t skipped = total.Outcome(OutcomeKind::kOutOfScope) + total.Outcome(OutcomeKind::kOverBudget) +
                          total.Outcome(OutcomeKind::kRobotsDisallowed);
  if (skipped > 0) line += ", " + std::to_string(skipped) + " skipped (robots.txt, out of scope or over limits)";
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
  return boost::json::serialize(out);
}

Result<CrawlSummary> RunCrawl(const Config& config, const RunOptions& options) {
  Crawl crawl(config, options);
  auto summary = crawl.Run();
  if (summary.ok() && crawl.output_failed()) return *crawl.output_failed();
  return summary;
}

FetchSettings FetchSettingsFor(const Config& config, const SiteConfig& site) {
  FetchSettings settings;
  settings.user_agent = site.user_agent;
  settings.limits = site.limits;
  settings.tls = site.tls;
  settings.resolve = config.crawler.resolve;
  settings.headers = site.headers;
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
  const auto parent = std::filesystem::path(config.crawler.output_jsonl).parent_path();
  std::error_code ec;
  if (!parent.empty() && std::filesystem::exists(parent, ec) && !std::filesystem::is_directory(parent, ec))
    problems.push_back("output.jsonl " + config.crawler.output_jsonl + ": " + parent.string() + " is not a directory");
  return problems;
}

}  // namespace newshound
