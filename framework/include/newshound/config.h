// Crawl configuration: the options structs and the YAML loader that fills
// them.
//
// Every struct field maps one to one onto a YAML key (the key is given in
// the comment), with its unit and default. The loader rejects an unknown
// key, a value of the wrong type, or a missing required key with an error
// that names file:line:column and the key. Scalars may use ${VAR} or
// ${VAR:-default} to take a value from the environment.
//
// Thread safety: plain values.
#ifndef NEWSHOUND_CONFIG_H_
#define NEWSHOUND_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "newshound/status.h"

namespace newshound {

using Millis = std::chrono::milliseconds;

// `tls:` (crawler-wide), overridable per site.
struct TlsOptions {
  std::string ca_file;    // ca_file: PEM file of extra trusted CAs, added to the system store
  bool insecure = false;  // insecure: per site only; skips verification and logs a warning
};

// What one politeness clock covers (`politeness.key`).
enum class PolitenessKey {
  kHost,    // "host": each host name has its own clock (default)
  kDomain,  // "domain": hosts of one registrable domain (public suffix list) share one
  kIp,      // "ip": hosts served from one IP address share one
};

// `politeness.adaptive`: the delay follows the host's latency and errors.
struct AdaptiveThrottleOptions {
  bool enabled = false;             // enabled: off unless asked for
  Millis floor{250};                // floor: the delay never goes below this (nor below politeness.delay)
  Millis ceiling{60'000};           // ceiling: nor above this
  double target_concurrency = 1.0;  // target_concurrency: requests the host should be serving at once
};

// `politeness:` (crawler-wide defaults), overridable per site.
struct PolitenessOptions {
  Millis delay{1000};                // delay: minimum time between request starts to one host
  int max_connections_per_host = 2;  // max_connections_per_host: requests in flight to one host
  PolitenessKey key = PolitenessKey::kHost;  // key: host, domain or ip
  Millis max_crawl_delay{30'000};    // max_crawl_delay: cap on a robots.txt Crawl-delay
  AdaptiveThrottleOptions adaptive;  // adaptive: see above
};

// `retries:` (crawler-wide defaults), overridable per site.
struct RetryOptions {
  int max = 3;          // max: retries after the first attempt (0: never retry)
  Millis base{1000};    // base: backoff of the first retry (before jitter)
  Millis cap{60'000};   // cap: longest backoff (before jitter); Retry-After may ask for more
};

// `robots:` (crawler-wide defaults), overridable per site.
struct RobotsOptions {
  bool obey = true;             // obey: fetch and follow robots.txt (RFC 9309)
  Millis cache_ttl{86'400'000}; // cache_ttl: how long a fetched robots.txt is trusted
  std::string agent;            // agent: product token matched against User-agent lines
                                // (default: the user agent up to its first '/' or space)
};

// Fetch limits (keys directly under `crawler:`), overridable per site.
// Each phase of one hop is bounded by its own timeout and by what is left of
// request_timeout, whichever ends first; all must be more than 0.
struct FetchLimits {
  Millis resolve_timeout{10'000};    // resolve_timeout: DNS resolution of one hop
  Millis connect_timeout{10'000};    // connect_timeout: TCP connect of one hop
  Millis tls_timeout{10'000};        // tls_timeout: TLS handshake of one hop
  Millis headers_timeout{30'000};    // headers_timeout: writing the request until the response headers are complete
  Millis body_idle_timeout{30'000};  // body_idle_timeout: longest wait for the next body bytes (re-armed on every read)
  Millis request_timeout{60'000};    // request_timeout: whole request, redirects included
  uint64_t max_body = 10ull << 20;   // max_body: bytes of body accepted
  int max_redirects = 10;            // max_redirects: redirect hops followed
  // The fetcher's keep-alive connection pool. Crawler-wide only (keys under
  // `crawler:`, not per site); carried here so every request brings them.
  int max_connections_per_origin = 8;  // max_connections_per_origin: open connections (busy + idle) to one origin
  int max_idle_connections = 256;      // max_idle_connections: idle connections kept, all origins (LRU closed first)
  Millis idle_timeout{30'000};         // idle_timeout: an idle connection older than this is closed, not reused
};

struct SiteConfig {
  std::string name;                     // name: unique, names the site in output and logs
  std::string plugin;                   // plugin: name of the site plugin
  std::vector<std::string> start_urls;  // start_urls: where the crawl starts (required)
  std::vector<std::string> hosts;       // hosts: hosts in scope (default: those of start_urls)
  int64_t max_pages = 10'000;           // max_pages: fetches budgeted for one run (0 = no limit)
  int max_depth = 20;                   // max_depth: link hops from a start URL
  std::string user_agent;               // user_agent: default crawler.user_agent
  // headers: name -> value sent with every request of the site; merged over
  // crawler.headers (a site entry replaces the crawler-wide one of the same
  // name, case-insensitively). Names are HTTP tokens, values have no CR/LF;
  // Host, Content-Length, Connection and Transfer-Encoding are refused.
  std::vector<std::pair<std::string, std::string>> headers;
  bool cookies = false;                 // cookies: keep a cookie jar for the site (default off)
  std::string plugin_settings_json = "{}";  // plugin_settings: a map handed to the plugin
  PolitenessOptions politeness;         // politeness: default crawler-wide politeness
  RetryOptions retries;                 // retries: default crawler-wide retries
  RobotsOptions robots;                 // robots: default crawler-wide robots
  TlsOptions tls;                       // tls: default crawler-wide tls (insecure only here)
  FetchLimits limits;                   // the *_timeout keys, max_body, max_redirects
  std::string location;                 // file:line:column of the site entry, for messages
};

struct CrawlerConfig {
  int threads = 0;                  // threads: network threads (0 = number of cores)
  int parse_threads = 0;            // parse_threads: plugin threads (0 = number of cores)
  int max_in_flight = 64;           // max_in_flight: requests in flight, all sites together
  Millis plugin_timeout{10'000};    // plugin_timeout: time budget of one plugin call on one page
  std::string plugin_dir;           // plugin_dir: where plugins are found (default: next to the binary)
  std::string user_agent = "newshound/0.1 (+https://github.com/newshound/newshound)";  // user_agent
  std::vector<std::pair<std::string, std::string>> headers;  // headers: default extra request headers
  std::string log_level = "info";   // log_level: trace, debug, info, warn, error
  std::string output_jsonl = "out/articles.jsonl";  // output.jsonl: the articles file
  // network.resolve: "host:port" (or "host") -> "address[:port]", like curl's --resolve.
  std::map<std::string, std::string> resolve;
};

struct Config {
  std::string path;  // the file it was loaded from
  CrawlerConfig crawler;
  std::vector<SiteConfig> sites;
};

// Loads and validates a config file.
Result<Config> LoadConfigFile(const std::string& path);
// Same, from text; `name` stands in for the file name in messages.
Result<Config> LoadConfigString(const std::string& text, const std::string& name);

// "250ms", "1.5s", "2m", "1h", or a bare number of seconds.
std::optional<Millis> ParseDuration(std::string_view text);
// "10MiB", "512KiB", "1GB", or a bare number of bytes.
std::optional<uint64_t> ParseByteSize(std::string_view text);

}  // namespace newshound

#endif  // NEWSHOUND_CONFIG_H_
