#include "newshound/engine.h"

#include <openssl/evp.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "engine/frontier.h"
#include "net/fetcher.h"
#include "newshound/charset.h"
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

// Media types handed to plugins; anything else is fetched but not parsed.
bool IsParseable(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type.empty() || type == "text/html" || type == "application/xhtml+xml" || type == "text/xml" ||
         type == "application/xml" || type == "application/rss+xml" || type == "application/atom+xml";
}

std::string MediaType(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type.empty() ? "text/html" : type;
}

std::string ResolvePluginDir(const Config& config, const RunOptions& options) {
  if (!options.plugin_dir.empty()) return options.plugin_dir;
  if (!config.crawler.plugin_dir.empty()) return config.crawler.plugin_dir;
  return DefaultPluginDir();
}

FetchSettings SettingsFor(const Config& config, const SiteConfig& site) {
  FetchSettings settings;
  settings.user_agent = site.user_agent;
  settings.limits = site.limits;
  settings.tls = site.tls;
  settings.resolve = config.crawler.resolve;
  return settings;
}

int EffectiveThreads(int configured) {
  if (configured > 0) return configured;
  return std::max(1u, std::thread::hardware_concurrency());
}

// Everything one finished request sends back to the strand.
struct Completion {
  CrawlItem item;
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
        parse_pool_(static_cast<size_t>(EffectiveThreads(config.crawler.parse_threads))) {}

  Result<CrawlSummary> Run() {
    const auto start = Clock::now();
    const std::string plugin_dir = ResolvePluginDir(config_, options_);
    if (Status status = registry_.LoadDirectory(plugin_dir); !status.ok()) return status;
    for (const auto& refused : registry_.report().refused)
      spdlog::warn("plugin refused: {}: {}", refused.path, refused.reason);

    auto writer = JsonlWriter::Open(config_.crawler.output_jsonl);
    if (!writer.ok()) return writer.status();
    writer_ = std::move(*writer);
    if (writer_->repaired_bytes() > 0)
      spdlog::warn("{}: cut off a partial last line of {} bytes left by an earlier crash", writer_->path(),
                   writer_->repaired_bytes());

    StartSites();

    asio::signal_set signals(io_, SIGINT, SIGTERM);
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
      boost::system::error_code ignored;
      signals.cancel(ignored);
    });

    const int threads = EffectiveThreads(config_.crawler.threads);
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i) pool.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& thread : pool) thread.join();
    parse_pool_.join();
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
    engine::HostPolicy policy;
    SiteSummary summary;
    int64_t fetches_started = 0;
  };

  void StartSites() {
    sites_.resize(config_.sites.size());
    articles_written_ = std::make_unique<std::atomic<int64_t>[]>(config_.sites.size());
    for (size_t i = 0; i < config_.sites.size(); ++i) {
      const SiteConfig& cfg = config_.sites[i];
      Site& site = sites_[i];
      site.config = &cfg;
      site.summary.name = cfg.name;
      site.fetch = SettingsFor(config_, cfg);
      site.policy.delay = cfg.politeness.delay;
      site.policy.max_in_flight = cfg.politeness.max_connections_per_host;
      auto plugin = registry_.Create(cfg.plugin, cfg.plugin_settings_json);
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
    CrawlItem item;
    item.url = std::move(*normalized);
    item.site = site_index;
    item.depth = depth;
    item.priority = priority;
    item.host_key = OriginKey(*ParseHttpUrl(item.url));
    frontier_.Push(std::move(item), site.policy);
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
        auto item = frontier_.PopReady(Clock::now());
        if (!item) break;
        Site& site = sites_[item->site];
        if (site.config->max_pages > 0 && site.fetches_started >= site.config->max_pages) {
          Record(site, item->url, OutcomeKind::kOverBudget, "max_pages reached");
          frontier_.Finished(item->host_key);
          continue;
        }
        ++site.fetches_started;
        ++in_flight_;
        asio::co_spawn(asio::make_strand(io_), Work(std::move(*item)), asio::detached);
      }
      if (stopping_) {
        for (auto& item : frontier_.Drain()) Record(sites_[item.site], item.url, OutcomeKind::kCancelled, "crawl stopped");
      }
      if (in_flight_ == 0 && frontier_.queued() == 0) break;
      auto next = frontier_.NextReadyTime();
      if (next && in_flight_ < max_in_flight && !stopping_) {
        wake_.expires_at(*next);
      } else {
        wake_.expires_at(Clock::time_point::max());
      }
      co_await wake_.async_wait(kTuple);  // cancelled by Apply() when a request ends
    }
  }

  // Fetches and parses one URL off the strand, then hands the result back.
  asio::awaitable<void> Work(CrawlItem item) {
    Completion done;
    const Site& site = sites_[item.site];
    try {
      auto check = [this, &site](const std::string& url) -> std::optional<OutcomeKind> {
        if (!InScope(site, url)) return OutcomeKind::kOutOfScope;
        return std::nullopt;
      };
      done.fetch = co_await fetcher_.Fetch(item.url, site.fetch, check);
      if (done.fetch.ok() && IsParseable(done.fetch.Header("Content-Type"))) {
        // Decoding and the plugin are CPU work: run them on the parse pool.
        co_await asio::co_spawn(
            parse_pool_,
            [&]() -> asio::awaitable<void> {
              const CharsetGuess guess = DetectCharset(done.fetch.Header("Content-Type"), done.fetch.body);
              done.charset = guess.charset;
              auto html = DecodeToUtf8(done.fetch.body, guess.charset);
              if (!html.ok()) {
                // An unknown charset still gives the plugin valid UTF-8.
                done.charset = "utf-8";
                html = DecodeToUtf8(done.fetch.body, "utf-8");
              }
              done.content_sha256 = Sha256Hex(*html);
              PageInput page;
              page.url = done.fetch.final_url;
              page.html = std::move(*html);
              page.content_type = MediaType(done.fetch.Header("Content-Type"));
              page.charset = done.charset;
              page.fetched_at_ms = UnixMs();
              done.analysis = site.plugin->Process(page);
              co_return;
            },
            asio::use_awaitable);
      }
    } catch (const std::exception& e) {
      done.fetch.kind = OutcomeKind::kNetwork;
      done.fetch.detail = std::string("internal error: ") + e.what();
      done.analysis.reset();
    }
    done.item = std::move(item);
    asio::post(strand_, [this, done = std::move(done)]() mutable { Apply(std::move(done)); });
  }

  // Strand: records the outcome, queues the links found, writes the article.
  void Apply(Completion done) {
    --in_flight_;
    frontier_.Finished(done.item.host_key);
    wake_.cancel();
    Site& site = sites_[done.item.site];
    const std::string& url = done.item.url;
    if (!done.fetch.redirect_chain.empty() && done.fetch.ok()) {
      // The final URL counts as seen so that a link to it is not fetched again.
      if (auto final_url = NormalizeUrl(done.fetch.final_url); final_url.ok()) frontier_.MarkSeen(*final_url);
    }
    if (!done.fetch.ok()) {
      std::string detail = done.fetch.detail;
      if (done.fetch.kind == OutcomeKind::kTimeout) detail += " (phase " + std::string(FetchPhaseName(done.fetch.phase)) + ")";
      Record(site, url, done.fetch.kind, detail);
      return;
    }
    ++site.summary.pages_fetched;
    if (!done.analysis) {
      Record(site, url, OutcomeKind::kFetched, "");
      return;
    }
    if (!done.analysis->ok()) {
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

  void OnSignal(int sig, asio::signal_set& signals) {
    if (interrupted_) {
      spdlog::warn("second signal: stopping now");
      io_.stop();
      return;
    }
    interrupted_ = true;
    spdlog::warn("signal {}: finishing {} request(s) in flight, then stopping (again to stop now)", sig, in_flight_.load());
    asio::post(strand_, [this] { Stop(); });
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
  asio::thread_pool parse_pool_;
  asio::thread_pool sink_thread_{1};
  net::Fetcher fetcher_;
  PluginRegistry registry_;
  std::vector<Site> sites_;
  engine::Frontier frontier_;
  std::unique_ptr<JsonlWriter> writer_;
  std::unordered_set<std::string> written_;  // canonical URLs of articles written this run
  // Sink thread only: appends since the last fdatasync.
  int unsynced_ = 0;
  std::atomic<bool> output_failed_flag_{false};
  std::unique_ptr<std::atomic<int64_t>[]> articles_written_;  // per site, counted by the sink thread
  std::atomic<int> in_flight_{0};  // changed on the strand; read by the signal handler's log line
  bool stopping_ = false;
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
    for (int i = 0; i < kOutcomeKindCount; ++i) total.outcomes[i] += site.outcomes[i];
  }
  return total;
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
        kind == OutcomeKind::kOverBudget || total.outcomes[i] == 0)
      continue;
    error_count += total.outcomes[i];
    errors += (errors.empty() ? "" : ", ") + std::string(OutcomeKindName(kind)) + " " + std::to_string(total.outcomes[i]);
  }
  char elapsed[32];
  std::snprintf(elapsed, sizeof(elapsed), "%.1f s", static_cast<double>(elapsed_ms) / 1000.0);
  std::string line = std::to_string(total.pages_fetched) + " pages fetched, " + std::to_string(total.articles_written) +
                     " articles written, " + std::to_string(error_count) + " errors";
  if (!errors.empty()) line += " (" + errors + ")";
  const int64_t skipped = total.Outcome(OutcomeKind::kOutOfScope) + total.Outcome(OutcomeKind::kOverBudget);
  if (skipped > 0) line += ", " + std::to_string(skipped) + " skipped (out of scope or over limits)";
  line += ", " + std::string(elapsed);
  if (interrupted) line += ", interrupted";
  return line;
}

Result<CrawlSummary> RunCrawl(const Config& config, const RunOptions& options) {
  Crawl crawl(config, options);
  auto summary = crawl.Run();
  if (summary.ok() && crawl.output_failed()) return *crawl.output_failed();
  return summary;
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
