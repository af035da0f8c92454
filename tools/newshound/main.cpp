// newshound: the command line of the crawler.
//
//   newshound run CONFIG [--metrics 127.0.0.1:PORT]
//                                   crawl every site of CONFIG once
//   newshound serve CONFIG          crawl every site on its schedule until stopped
//   newshound check CONFIG          validate CONFIG and its plugins, crawl nothing
//   newshound plugins               list the plugins found, and the files refused
//   newshound extract --plugin NAME --url URL FILE
//                                   run one plugin on a saved page, print JSON
//   newshound fetch URL [--config C] [--site NAME] [--body] [--allow CIDR...]
//                                   fetch one URL as a crawl would, show everything
//   newshound robots --robots FILE --agent UA URL...
//                                   check URLs against a robots.txt
//   newshound new-plugin NAME --host HOST [--dir D]
//                                   write a plugin folder that builds and passes
//   newshound url parse URL... [--base B]
//   newshound url resolve BASE REF
//   newshound url normalize URL... [--config C] [--site NAME]
//                                   URLs as the crawler (and a browser) reads them
//   newshound search DB QUERY...    full-text search of a sqlite sink's articles
//
// Global options: --plugin-dir D, -v/-q, --log-format text|json.
// Exit codes: 0 success; 1 the work failed (bad config, refused plugin,
// output error, plugin error); 2 usage error; 130 a run stopped by a signal.
#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <vector>

#include <boost/json.hpp>

#include "golden.h"
#include "scaffold.h"
#include "search.h"
#include "newshound/charset.h"
#include "newshound/config.h"
#include "newshound/engine.h"
#include "newshound/log.h"
#include "newshound/plugin/abi.h"
#include "newshound/plugin_host.h"
#include "newshound/redact.h"
#include "newshound/robots.h"
#include "newshound/sink.h"
#include "newshound/url.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;

struct GlobalOptions {
  std::string plugin_dir;
  int verbose = 0;
  int quiet = 0;
  std::string log_format = "text";
  std::string metrics_listen;  // run --metrics
  int LogShift() const { return quiet - verbose; }
  newshound::LogFormat Format() const {
    return newshound::ParseLogFormat(log_format).value_or(newshound::LogFormat::kText);
  }
};

// A line of `run`/`serve`'s report on stderr: as text ("newshound: " before
// an error), or, with --log-format json, as a log record like every other
// line there, so that a log shipper reads one format.
void Report(const GlobalOptions& global, bool error, const std::string& text) {
  if (global.Format() == newshound::LogFormat::kJson) {
    newshound::LogLine(error, text);
    return;
  }
  std::fprintf(stderr, "%s%s\n", error ? "newshound: " : "", text.c_str());
}

// A crawler holds a socket per connection, busy or idle: raise the soft
// open-file limit to the hard one, as Go's runtime and nginx's
// worker_rlimit_nofile do (Debian's soft default is 1,024, its hard
// default far more), so that max_idle_connections "auto" has room. Nothing
// here uses select(), whose FD_SETSIZE a higher limit would outgrow.
void RaiseOpenFileLimit() {
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, rlim_t{1} << 20);
  setrlimit(RLIMIT_NOFILE, &limit);  // on failure the pool sizes itself to the lower limit
}

// `run` (once) and `serve` (on schedules, until a signal): the same report.
int Run(const std::string& config_path, const std::string& summary_path, const GlobalOptions& global, bool serve) {
  // Until the config gives the level: errors loading it are logged too.
  newshound::SetupLogging("info", global.LogShift(), global.Format());
  auto config = newshound::LoadConfigFile(config_path);
  if (!config.ok()) {
    Report(global, true, config.status().message());
    return kExitFailure;
  }
  newshound::SetupLogging(config->crawler.log_level, global.LogShift(), global.Format());
  RaiseOpenFileLimit();
  if (!global.metrics_listen.empty()) {
    config->crawler.metrics_listen = global.metrics_listen;
    config->crawler.metrics_in_run = true;
  }
  newshound::RunOptions options;
  options.plugin_dir = global.plugin_dir;
  auto summary = serve ? newshound::ServeCrawl(*config, options) : newshound::RunCrawl(*config, options);
  if (!summary.ok()) {
    Report(global, true, summary.status().message());
    return kExitFailure;
  }
  for (const auto& site : summary->sites) {
    if (!site.started) {
      Report(global, true, site.error);
      continue;
    }
    Report(global, false,
           "site " + site.name + ": " + std::to_string(site.urls_accepted) + " URLs, " +
               std::to_string(site.pages_fetched) + " pages fetched, " + std::to_string(site.articles_written) +
               " articles written");
  }
  std::printf("crawl finished: %s\n", summary->Line().c_str());
  if (!summary_path.empty()) {
    std::ofstream out(summary_path, std::ios::trunc);
    out << summary->ToJson() << "\n";
    if (!out.flush()) {
      std::fprintf(stderr, "newshound: %s: cannot write the summary\n", summary_path.c_str());
      return kExitFailure;
    }
  }
  for (const auto& output : summary->outputs)
    std::printf("%s written to %s (%s sink '%s')\n", output.kind == "warc" ? "exchanges" : "articles", output.path.c_str(),
                output.kind.c_str(), output.name.c_str());
  std::fflush(stdout);
  if (summary->interrupted) return kExitInterrupted;
  return summary->AllSitesStarted() ? kExitOk : kExitFailure;
}

int Check(const std::string& config_path, const GlobalOptions& global) {
  auto config = newshound::LoadConfigFile(config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "newshound: %s\n", config.status().message().c_str());
    return kExitFailure;
  }
  newshound::RunOptions options;
  options.plugin_dir = global.plugin_dir;
  newshound::PluginLoadReport report;
  const auto problems = newshound::CheckConfig(*config, options, &report);
  for (const auto& refused : report.refused)
    std::fprintf(stderr, "newshound: warning: plugin refused: %s: %s\n", refused.path.c_str(), refused.reason.c_str());
  for (const auto& problem : problems) std::fprintf(stderr, "newshound: %s\n", problem.c_str());
  if (!problems.empty()) return kExitFailure;
  std::printf("%s: ok (%zu site(s))\n", config_path.c_str(), config->sites.size());
  for (const auto& site : config->sites)
    std::printf("  %s: plugin %s, %zu start URL(s), hosts %s\n", site.name.c_str(), site.plugin.c_str(),
                site.start_urls.size(), [&] {
                  std::string hosts;
                  for (const auto& h : site.hosts) hosts += (hosts.empty() ? "" : ",") + h;
                  return hosts;
                }().c_str());
  return kExitOk;
}

int Plugins(const GlobalOptions& global) {
  const std::string dir = global.plugin_dir.empty() ? newshound::DefaultPluginDir() : global.plugin_dir;
  newshound::PluginRegistry registry;
  if (auto status = registry.LoadDirectory(dir); !status.ok()) {
    std::fprintf(stderr, "newshound: %s\n", status.message().c_str());
    return kExitFailure;
  }
  const auto& report = registry.report();
  std::printf("plugin directory %s (host ABI %d.%d)\n", dir.c_str(), NH_ABI_MAJOR, NH_ABI_MINOR);
  for (const auto& info : report.loaded) {
    std::string hosts;
    for (const auto& h : info.hosts) hosts += (hosts.empty() ? "" : ",") + h;
    std::printf("%s %s abi %u.%u %s hosts=%s\n", info.name.c_str(), info.version.c_str(), info.abi_major,
                info.abi_minor, info.path.c_str(), hosts.empty() ? "-" : hosts.c_str());
  }
  for (const auto& refused : report.refused)
    std::printf("refused %s: %s\n", refused.path.c_str(), refused.reason.c_str());
  return kExitOk;
}

struct ExtractOptions {
  std::string plugin, url, file, settings = "{}", charset;
  std::string expect;  // golden file to compare with (or to write, with update)
  bool update = false;
};

// Compares the extraction with its golden file, or rewrites the file.
int CheckGolden(const std::string& output, const ExtractOptions& options) {
  const boost::json::value actual = boost::json::parse(output);
  if (options.update) {
    std::ofstream out(options.expect, std::ios::trunc | std::ios::binary);
    out << newshound::cli::PrettyJson(actual);
    if (!out.flush()) {
      std::fprintf(stderr, "newshound: %s: cannot write\n", options.expect.c_str());
      return kExitFailure;
    }
    std::printf("updated %s\n", options.expect.c_str());
    return kExitOk;
  }
  std::ifstream in(options.expect, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "newshound: %s: cannot open (write it with --update)\n", options.expect.c_str());
    return kExitFailure;
  }
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const boost::json::value expected = boost::json::parse(text.str(), ec);
  if (ec) {
    std::fprintf(stderr, "newshound: %s: not valid JSON: %s\n", options.expect.c_str(), ec.message().c_str());
    return kExitFailure;
  }
  const auto differences = newshound::cli::DiffJson(expected, actual);
  if (differences.empty()) {
    std::printf("ok %s matches %s\n", options.file.c_str(), options.expect.c_str());
    return kExitOk;
  }
  std::printf("%s differs from %s in %zu field(s):\n", options.file.c_str(), options.expect.c_str(),
              differences.size());
  for (const auto& line : differences) std::printf("  %s\n", line.c_str());
  return kExitFailure;
}

int Extract(const ExtractOptions& options, const GlobalOptions& global) {
  const std::string& plugin = options.plugin;
  const std::string& url = options.url;
  const std::string& file = options.file;
  const std::string& settings = options.settings;
  const std::string& charset_override = options.charset;
  newshound::SetupLogging("warn", global.LogShift(), global.Format());
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "newshound: %s: cannot open\n", file.c_str());
    return kExitFailure;
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  const std::string raw = bytes.str();
  const newshound::CharsetGuess guess = charset_override.empty()
                                            ? newshound::DetectCharset("", raw)
                                            : newshound::CharsetGuess{charset_override, "command line"};
  auto html = newshound::DecodeToUtf8(raw, guess.charset);
  if (!html.ok()) {
    std::fprintf(stderr, "newshound: %s: %s\n", file.c_str(), html.status().message().c_str());
    return kExitFailure;
  }
  newshound::PluginRegistry registry;
  const std::string dir = global.plugin_dir.empty() ? newshound::DefaultPluginDir() : global.plugin_dir;
  if (auto status = registry.LoadDirectory(dir); !status.ok()) {
    std::fprintf(stderr, "newshound: %s\n", status.message().c_str());
    return kExitFailure;
  }
  auto instance = registry.Create(plugin, settings);
  if (!instance.ok()) {
    std::fprintf(stderr, "newshound: %s\n", instance.status().message().c_str());
    return kExitFailure;
  }
  newshound::PageInput page;
  page.url = url;
  page.html = std::move(*html);
  page.content_type = "text/html";
  page.charset = guess.charset;
  page.fetched_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  auto analysis = (*instance)->Process(page);
  if (!analysis.ok()) {
    std::fprintf(stderr, "newshound: %s\n", analysis.status().message().c_str());
    return kExitFailure;
  }
  const std::string output = newshound::PageAnalysisToJson(*analysis);
  if (!options.expect.empty()) return CheckGolden(output, options);
  std::printf("%s\n", output.c_str());
  return kExitOk;
}

struct FetchOptions {
  std::string url, config, site;
  std::vector<std::string> allow;  // --allow: networks added to network.allow
  bool body = false;
};

// Fetches one URL exactly as a crawl would (the site's TLS, limits,
// decoding and pins) and shows everything about the answer: the operator's
// tool for "why does this site fail?".
int Fetch(const FetchOptions& options, const GlobalOptions& global) {
  newshound::SetupLogging("warn", global.LogShift(), global.Format());
  // As start_urls refuse them: credentials in a URL are never sent, and
  // would only be printed back.
  if (auto parts = newshound::ParseHttpUrl(options.url); parts.ok() && parts->has_userinfo) {
    std::fprintf(stderr,
                 "newshound: URL '%s' has a user name or password, which newshound never sends; give credentials "
                 "as a header of the site (headers: {Authorization: ...}) and use --config\n",
                 newshound::RedactUrl(options.url).c_str());
    return kExitUsage;
  }
  newshound::FetchSettings settings;
  settings.user_agent = newshound::CrawlerConfig().user_agent;
  if (!options.config.empty()) {
    auto config = newshound::LoadConfigFile(options.config);
    if (!config.ok()) {
      std::fprintf(stderr, "newshound: %s\n", config.status().message().c_str());
      return kExitFailure;
    }
    // The named site, else the first whose hosts include the URL's host.
    auto url_parts = newshound::ParseHttpUrl(options.url);
    const std::string host = url_parts.ok() ? url_parts->host : "";
    const newshound::SiteConfig* site = nullptr;
    for (const auto& candidate : config->sites) {
      const bool matches = options.site.empty()
                               ? std::find(candidate.hosts.begin(), candidate.hosts.end(), host) != candidate.hosts.end()
                               : candidate.name == options.site;
      if (matches) {
        site = &candidate;
        break;
      }
    }
    if (site == nullptr && !options.site.empty()) {
      std::fprintf(stderr, "newshound: %s: no site named '%s'\n", options.config.c_str(), options.site.c_str());
      return kExitFailure;
    }
    if (site == nullptr) site = &config->sites.front();
    settings = newshound::FetchSettingsFor(*config, *site);
    std::printf("site: %s (%s)\n", site->name.c_str(), options.config.c_str());
  }
  for (const std::string& text : options.allow) {
    std::string error;
    auto network = newshound::ParseIpNetwork(text, error);
    if (!network) {
      std::fprintf(stderr, "newshound: --allow '%s': %s\n", text.c_str(), error.c_str());
      return kExitFailure;
    }
    settings.allow.push_back(std::move(*network));
  }
  // Masked: this output gets pasted into tickets.
  if (settings.proxy.enabled()) std::printf("proxy: %s\n", settings.proxy.Masked().c_str());
  const newshound::FetchResult result = newshound::FetchOnce(options.url, settings);
  std::printf("outcome: %s", std::string(newshound::OutcomeKindName(result.kind)).c_str());
  if (result.phase != newshound::FetchPhase::kNone && !result.ok())
    std::printf(" (phase %s)", std::string(newshound::FetchPhaseName(result.phase)).c_str());
  std::printf("\n");
  if (!result.detail.empty()) std::printf("detail: %s\n", result.detail.c_str());
  if (result.status != 0) std::printf("status: %d\n", result.status);
  // URLs masked (a redirect may carry credentials in its Location), and
  // so are credential headers (Set-Cookie): this output gets pasted too.
  std::printf("url: %s\n", newshound::RedactUrl(result.url).c_str());
  if (!result.final_url.empty()) std::printf("final_url: %s\n", newshound::RedactUrl(result.final_url).c_str());
  std::printf("redirects: %zu\n", result.redirect_chain.size());
  for (const auto& hop : result.redirect_chain) std::printf("  %s\n", newshound::RedactUrl(hop).c_str());
  if (!result.remote_address.empty()) std::printf("remote: %s\n", result.remote_address.c_str());
  const auto& t = result.timings;
  std::printf("timings_ms: resolve %lld, connect %lld, tls %lld, headers %lld, body %lld, total %lld\n",
              static_cast<long long>(t.resolve_ms), static_cast<long long>(t.connect_ms),
              static_cast<long long>(t.tls_ms), static_cast<long long>(t.headers_ms),
              static_cast<long long>(t.body_ms), static_cast<long long>(t.total_ms));
  if (!result.headers.empty()) {
    std::printf("headers:\n");
    for (const auto& [name, value] : result.headers)
      std::printf("  %s: %s\n", name.c_str(), newshound::RedactHeaderValue(name, value).c_str());
  }
  if (result.ok() || !result.body.empty()) {
    const newshound::CharsetGuess guess = newshound::DetectCharset(result.Header("Content-Type"), result.body);
    std::printf("body_bytes: %zu\ncharset: %s (from %s)\n", result.body.size(), guess.charset.c_str(),
                guess.source.c_str());
    if (options.body) {
      auto text = newshound::DecodeToUtf8(result.body, guess.charset);
      std::printf("\n%s\n", text.ok() ? text->c_str() : result.body.c_str());
    }
  }
  return result.ok() ? kExitOk : kExitFailure;
}

// Prints "allowed URL" or "disallowed URL" for each URL under a local
// robots.txt, so the parser can be checked on its own.
int Robots(const std::string& robots_file, const std::string& agent, const std::vector<std::string>& urls) {
  std::ifstream in(robots_file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "newshound: %s: cannot open\n", robots_file.c_str());
    return kExitFailure;
  }
  std::ostringstream body;
  body << in.rdbuf();
  const newshound::RobotsRules rules = newshound::RobotsRules::Parse(body.str());
  for (const auto& warning : rules.warnings()) std::fprintf(stderr, "%s: %s\n", robots_file.c_str(), warning.c_str());
  int status = kExitOk;
  for (const auto& url : urls) {
    const std::string line = newshound::RobotsVerdictLine(rules, agent, url);
    if (line.rfind("error:", 0) == 0) status = kExitFailure;
    std::printf("%s\n", line.c_str());
  }
  return status;
}

// `newshound url ...`: each prints one line per URL, the URL or
// "error: ..." naming it, and exits 1 if any was an error.
int PrintUrlResult(const newshound::Result<std::string>& result) {
  if (!result.ok()) {
    std::printf("error: %s\n", result.status().message().c_str());
    return kExitFailure;
  }
  std::printf("%s\n", result->c_str());
  return kExitOk;
}

int UrlParse(const std::vector<std::string>& urls, const std::string& base) {
  int status = kExitOk;
  for (const auto& url : urls) status = std::max(status, PrintUrlResult(newshound::ParseUrl(url, base)));
  return status;
}

struct UrlNormalizeOptions {
  std::vector<std::string> urls;
  std::string config, site;
};

// The dedup form under a site's url_normalization rules: the named site's,
// else (per URL) those of the first site whose hosts include the URL's
// host, else the first site's; without a config the defaults.
int UrlNormalize(const UrlNormalizeOptions& options) {
  std::optional<newshound::Config> config;
  const newshound::SiteConfig* named = nullptr;
  if (!options.config.empty()) {
    auto loaded = newshound::LoadConfigFile(options.config);
    if (!loaded.ok()) {
      std::fprintf(stderr, "newshound: %s\n", loaded.status().message().c_str());
      return kExitFailure;
    }
    config = std::move(*loaded);
    if (!options.site.empty()) {
      for (const auto& candidate : config->sites)
        if (candidate.name == options.site) named = &candidate;
      if (named == nullptr) {
        std::fprintf(stderr, "newshound: %s: no site named '%s'\n", options.config.c_str(), options.site.c_str());
        return kExitFailure;
      }
    }
  }
  const newshound::NormalizeOptions defaults;
  int status = kExitOk;
  for (const auto& url : options.urls) {
    const newshound::NormalizeOptions* rules = &defaults;
    if (named != nullptr) {
      rules = &named->url_normalization;
    } else if (config) {
      auto parts = newshound::ParseHttpUrl(url);
      const std::string host = parts.ok() ? parts->host : "";
      rules = &config->sites.front().url_normalization;
      for (const auto& candidate : config->sites) {
        if (std::find(candidate.hosts.begin(), candidate.hosts.end(), host) != candidate.hosts.end()) {
          rules = &candidate.url_normalization;
          break;
        }
      }
    }
    status = std::max(status, PrintUrlResult(newshound::NormalizeUrl(url, *rules)));
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  // A write past a file-size limit, or into a pipe whose reader went away,
  // is an error a sink reports (naming itself and its file), not a signal
  // that kills the crawl before it can say so.
  std::signal(SIGXFSZ, SIG_IGN);
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app("newshound: a polite, fast crawler for news outlets", "newshound");
  app.set_version_flag("--version", std::string("newshound ") + NEWSHOUND_VERSION + " (plugin ABI " +
                                        std::to_string(NH_ABI_MAJOR) + "." + std::to_string(NH_ABI_MINOR) + ")");
  app.require_subcommand(1, 1);
  app.fallthrough();
  GlobalOptions global;
  app.add_option("--plugin-dir", global.plugin_dir, "Directory of site plugins (*.so)");
  app.add_flag("-v,--verbose", global.verbose, "More log output (repeat for more)");
  app.add_flag("-q,--quiet", global.quiet, "Less log output (repeat for less)");
  app.add_option("--log-format", global.log_format, "Log lines as text (default) or json (one object per line, for log shippers)")
      ->check(CLI::IsMember({"text", "json"}));

  std::string config_path, summary_path;
  auto* run = app.add_subcommand("run", "Crawl every site of CONFIG once and write its articles");
  run->add_option("CONFIG", config_path, "YAML config file")->required();
  run->add_option("--summary", summary_path, "Also write the end-of-run summary as JSON to this file");
  run->add_option("--metrics", global.metrics_listen,
                  "Serve /metrics, /healthz and the status page on this loopback address during the run (127.0.0.1:PORT)");

  auto* serve = app.add_subcommand(
      "serve", "Crawl every site of CONFIG on its schedule until SIGINT/SIGTERM; SIGHUP reloads CONFIG");
  serve->add_option("CONFIG", config_path, "YAML config file")->required();
  serve->add_option("--summary", summary_path, "Also write the summary of all runs as JSON to this file at the end");

  auto* check = app.add_subcommand("check", "Validate CONFIG and the plugins it names, without crawling");
  check->add_option("CONFIG", config_path, "YAML config file")->required();

  auto* plugins = app.add_subcommand("plugins", "List the plugins found and the files refused");

  ExtractOptions extract_options;
  auto* extract = app.add_subcommand("extract", "Run one plugin on a saved page and print what it finds as JSON");
  extract->add_option("--plugin", extract_options.plugin, "Plugin name")->required();
  extract->add_option("--url", extract_options.url, "The URL the page was fetched from")->required();
  extract->add_option("--settings", extract_options.settings, "Plugin settings as a JSON object (default {})");
  extract->add_option("--charset", extract_options.charset,
                      "Charset of FILE (default: from its <meta> declaration, else UTF-8)");
  extract->add_option("--expect", extract_options.expect,
                      "Golden file: print a field-level diff against it and exit 1 on a mismatch");
  extract->add_flag("--update", extract_options.update, "With --expect: write the output into the golden file");
  extract->add_option("FILE", extract_options.file, "The saved page")->required();

  std::string robots_file, robots_agent;
  std::vector<std::string> robots_urls;
  auto* robots = app.add_subcommand("robots", "Say whether a robots.txt allows URLs for a user agent");
  robots->add_option("--robots", robots_file, "The robots.txt file")->required();
  robots->add_option("--agent", robots_agent, "User agent (its product token selects the group)")->required();
  robots->add_option("URL", robots_urls, "URLs to check")->required();

  FetchOptions fetch_options;
  auto* fetch = app.add_subcommand("fetch", "Fetch one URL with a crawl's settings and show the whole answer");
  fetch->add_option("URL", fetch_options.url, "The URL")->required();
  fetch->add_option("--config", fetch_options.config, "Use the settings of a site of this config");
  fetch->add_option("--site", fetch_options.site, "The site (default: the one whose hosts include the URL's)");
  fetch->add_flag("--body", fetch_options.body, "Also print the body, decoded to UTF-8");
  fetch->add_option("--allow", fetch_options.allow,
                    "Also allow connecting to this non-public network (CIDR, e.g. 127.0.0.1/32), "
                    "like network.allow; repeatable");

  std::string new_name, new_host, new_dir = ".";
  auto* new_plugin = app.add_subcommand("new-plugin", "Write a new plugin folder (source, CMake, fixtures, golden tests)");
  new_plugin->add_option("NAME", new_name, "Plugin name, [a-z0-9_-]+")->required();
  new_plugin->add_option("--host", new_host, "Host name the plugin serves, e.g. www.example.com")->required();
  new_plugin->add_option("--dir", new_dir, "Where to create the NAME folder (default .)");

  newshound::cli::SearchOptions search_options;
  auto* search = newshound::cli::AddSearchCommand(app, search_options);

  auto* url = app.add_subcommand("url", "Parse, resolve or normalize URLs as the crawler does (WHATWG URL Standard)");
  url->require_subcommand(1, 1);
  std::vector<std::string> parse_urls;
  std::string parse_base, resolve_base, resolve_ref;
  auto* url_parse = url->add_subcommand("parse", "Print each URL's WHATWG serialization (any scheme)");
  url_parse->add_option("URL", parse_urls, "URLs to parse")->required();
  url_parse->add_option("--base", parse_base, "Resolve each URL against this base URL");
  auto* url_resolve = url->add_subcommand("resolve", "Resolve a link against a page URL as the crawler follows it");
  url_resolve->add_option("BASE", resolve_base, "The page's absolute http(s) URL")->required();
  url_resolve->add_option("REF", resolve_ref, "The link, as found in an href")->required();
  UrlNormalizeOptions normalize_options;
  auto* url_normalize = url->add_subcommand("normalize", "Print each URL's normal form (the crawler's dedup key)");
  url_normalize->add_option("URL", normalize_options.urls, "URLs to normalize")->required();
  url_normalize->add_option("--config", normalize_options.config, "Use the url_normalization rules of this config");
  url_normalize->add_option("--site", normalize_options.site,
                            "The site (default: the one whose hosts include the URL's host)");

  // CLI11 reports an unknown verb only as "a subcommand is required"; name it.
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--plugin-dir" || arg == "--log-format") {
      ++i;  // its value
      continue;
    }
    if (arg.empty() || arg[0] == '-') continue;
    if (app.get_subcommands([&](CLI::App* sub) { return sub->get_name() == arg; }).empty()) {
      std::fprintf(stderr, "newshound: unknown command '%s'\n\n%s", arg.c_str(), app.help().c_str());
      return kExitUsage;
    }
    break;
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "newshound: %s\n\n", e.what());
    std::fprintf(stderr, "%s", app.help().c_str());
    return kExitUsage;
  }

  if (*run) return Run(config_path, summary_path, global, /*serve=*/false);
  if (*serve) return Run(config_path, summary_path, global, /*serve=*/true);
  if (*check) return Check(config_path, global);
  if (*plugins) return Plugins(global);
  if (*extract) {
    if (extract_options.update && extract_options.expect.empty()) {
      std::fprintf(stderr, "newshound: --update needs --expect FILE\n");
      return kExitUsage;
    }
    return Extract(extract_options, global);
  }
  if (*robots) return Robots(robots_file, robots_agent, robots_urls);
  if (*fetch) return Fetch(fetch_options, global);
  if (*url_parse) return UrlParse(parse_urls, parse_base);
  if (*url_resolve) return PrintUrlResult(newshound::ResolveUrl(resolve_base, resolve_ref));
  if (*url_normalize) {
    if (!normalize_options.site.empty() && normalize_options.config.empty()) {
      std::fprintf(stderr, "newshound: --site needs --config FILE\n");
      return kExitUsage;
    }
    return UrlNormalize(normalize_options);
  }
  if (*search) return newshound::cli::Search(search_options);
  if (*new_plugin) {
    auto written = newshound::cli::WritePluginScaffold(new_name, new_host, new_dir);
    if (!written.ok()) {
      std::fprintf(stderr, "newshound: %s\n", written.status().message().c_str());
      return kExitFailure;
    }
    std::printf("wrote %s: build it with\n  cmake -S %s -B %s/build -DCMAKE_PREFIX_PATH=<newshound prefix>\n"
                "  cmake --build %s/build && ctest --test-dir %s/build\n",
                written->c_str(), written->c_str(), written->c_str(), written->c_str(), written->c_str());
    return kExitOk;
  }
  std::fprintf(stderr, "%s", app.help().c_str());
  return kExitUsage;
}
