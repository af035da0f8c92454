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
#include <string_view>
#include <utility>
#include <vector>

#include "newshound/status.h"
#include "newshound/url.h"

namespace newshound {

using Millis = std::chrono::milliseconds;

// `tls:` (crawler-wide), overridable per site.
struct TlsOptions {
  std::string ca_file;    // ca_file: PEM file of extra trusted CAs, added to the system store
  bool insecure = false;  // insecure: per site only; skips verification and logs a warning
};

// `crawler.proxy`, overridable per site: the HTTP proxy every request of the
// site goes through, parsed from `http://[user:password@]host:port` (or
// `none`). http:// targets are sent to it in absolute form, https:// ones
// through a CONNECT tunnel (TLS still verified against the target).
struct ProxyOptions {
  std::string host;      // lower case, no brackets for IPv6; empty: no proxy (default)
  uint16_t port = 0;     // required in the URL
  std::string user;      // percent-decoded; empty: no Proxy-Authorization
  std::string password;  // percent-decoded. A secret: print Masked(), never this

  bool enabled() const { return !host.empty(); }
  // "host:port" ("[v6]:port"), to name the proxy in messages.
  std::string Address() const;
  // "http://user:***@host:port" (the password always as ***), or "none".
  std::string Masked() const;
};

// Parses `http://[user[:password]@]host:port[/]`. The error never contains
// the password (the URL is echoed with it masked).
Result<ProxyOptions> ParseProxyUrl(std::string_view text);

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

// max_idle_connections: "auto", the default.
inline constexpr int kAutoIdleConnections = -1;

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
  // max_idle_connections: idle connections kept, all origins (LRU closed
  // first); kAutoIdleConnections ("auto") until the engine sizes it to the
  // process's open-file limit (net::IdleConnectionsFor).
  int max_idle_connections = kAutoIdleConnections;
  Millis idle_timeout{30'000};         // idle_timeout: an idle connection older than this is closed, not reused
};

// `schedule:` of a site, for `newshound serve`: a cron expression
// (`schedule: "*/15 * * * *"`, evaluated in UTC) or an interval
// (`schedule: {every: 15m}`); see docs/scheduling.md.
struct ScheduleOptions {
  std::string cron;  // the expression as written; empty: not cron
  Millis every{0};   // the interval; 0: not an interval
  bool set() const { return !cron.empty() || every > Millis(0); }
};

// `priorities:` of a site: which links leave the frontier first. The
// frontier has two levels per host; `high` goes before `low`. By default
// what leads to articles (listing pages, next pages, feeds, sitemaps) goes
// first, so a crawl learns what exists before it fetches it.
struct PriorityOptions {
  bool listing = true;   // listing: links the plugin calls listing pages
  bool next = true;      // next: a listing's next page
  bool feed = true;      // feed: RSS/Atom feeds
  bool sitemap = true;   // sitemap: sitemaps and sitemap indexes
  bool article = false;  // article: article pages
  bool other = false;    // other: any other link
};

// `discovery:` of a site: where the core finds article URLs by itself, in
// sitemaps and feeds (docs/discovery.md), besides the plugin's links. A
// fetched document that parses as a sitemap, sitemap index, RSS or Atom
// feed is read by the core (the plugin does not see it), whatever led to it.
struct DiscoverySettings {
  bool robots_sitemaps = false;        // robots_sitemaps: follow the Sitemap: lines of the hosts' robots.txt
  std::vector<std::string> sitemaps;   // sitemaps: sitemap (or index) URLs fetched at the start of every run
  std::vector<std::string> feeds;      // feeds: RSS/Atom feed URLs fetched at the start of every run
  // since: entries dated longer ago than this are skipped (undated ones are
  // kept); 0 (the default): none is skipped for its age.
  Millis since{0};
};

// What a sink is (`output.sinks[].type`).
enum class SinkKind {
  kJsonl,   // "jsonl": one JSON line per article (docs/output.md)
  kWarc,    // "warc": WARC 1.1 of every request and response
  kSqlite,  // "sqlite": an SQLite article store, upserted by canonical URL, with FTS5 search
};
std::string_view SinkKindName(SinkKind kind);

// One entry of `output.sinks` (or the `output.jsonl` shorthand). What a site
// emits goes to the sinks it lists (`sites[].sinks`), by default to all.
struct SinkConfig {
  std::string name;  // name: unique among the sinks (default: the type; the shorthand's is "jsonl")
  SinkKind kind = SinkKind::kJsonl;  // type: jsonl, warc or sqlite (required)
  // path (required): jsonl: the articles file (with rotation, the name the
  // segments are named after); warc: the directory of the WARC files;
  // sqlite: the database file. Relative: against the working directory.
  std::string path;
  // rotate_size: jsonl: start a new segment once the current one has this
  // many bytes (0, the default: no rotation by size); warc: the largest a
  // WARC file grows before the next one starts (default 1 GiB).
  uint64_t rotate_size = 0;
  // rotate_every (jsonl): start a new segment once the current one is this
  // old (0, the default: no rotation by time).
  Millis rotate_every{0};
  // gzip: jsonl: compress (each flush one gzip member; default false);
  // warc: each record its own gzip member (default true).
  bool gzip = false;
  std::string location;  // file:line:column of the entry, for messages

  bool rotates() const { return kind == SinkKind::kJsonl && (rotate_size > 0 || rotate_every > Millis(0)); }
};

struct SiteConfig {
  std::string name;                     // name: unique, names the site in output and logs
  std::string plugin;                   // plugin: name of the site plugin
  std::vector<std::string> start_urls;  // start_urls: where the crawl starts (required)
  std::vector<std::string> hosts;       // hosts: hosts in scope (default: those of start_urls)
  // include: RE2 patterns searched in a link's URL (normal form); when any
  // is given, a link must match one to be in scope (start URLs need not).
  std::vector<std::string> include;
  // exclude: RE2 patterns; a URL that matches any is out of scope.
  std::vector<std::string> exclude;
  int64_t max_pages = 10'000;           // max_pages: fetches budgeted for one run (0 = no limit)
  int max_depth = 20;                   // max_depth: link hops from a start URL
  // recrawl_after: an article (or a page gone for good) that an earlier run
  // fetched is fetched again once it is this old, and written again only if
  // its title or body changed; 0 (the default): never again.
  Millis recrawl_after{0};
  ScheduleOptions schedule;             // schedule: when `serve` runs the site (none: serve refuses the site)
  PriorityOptions priorities;           // priorities: link kind -> high or low
  DiscoverySettings discovery;          // discovery: sitemaps and feeds
  std::string user_agent;               // user_agent: default crawler.user_agent
  // headers: name -> value sent with every request of the site; merged over
  // crawler.headers (a site entry replaces the crawler-wide one of the same
  // name, case-insensitively). Names are HTTP tokens, values have no CR/LF;
  // Host, Content-Length, Connection and Transfer-Encoding are refused.
  std::vector<std::pair<std::string, std::string>> headers;
  bool cookies = false;                 // cookies: keep a cookie jar for the site (default off)
  ProxyOptions proxy;                   // proxy: default crawler.proxy; `none` turns it off
  std::string plugin_settings_json = "{}";  // plugin_settings: a map handed to the plugin
  PolitenessOptions politeness;         // politeness: default crawler-wide politeness
  RetryOptions retries;                 // retries: default crawler-wide retries
  RobotsOptions robots;                 // robots: default crawler-wide robots
  TlsOptions tls;                       // tls: default crawler-wide tls (insecure only here)
  FetchLimits limits;                   // the *_timeout keys, max_body, max_redirects
  // url_normalization: default the top-level url_normalization. Its keys:
  // drop_query_params (list of name globs; default [utm_*, fbclid, gclid];
  // a site's list replaces the inherited one) and sort_query (default
  // false). See NormalizeOptions in url.h.
  NormalizeOptions url_normalization;
  // sinks: names of the output.sinks this site's articles (and, for warc
  // sinks, exchanges) go to; empty (the default): every sink.
  std::vector<std::string> sinks;
  std::string location;                 // file:line:column of the site entry, for messages
};

// DNS resolution of the crawl (`network.dns_*`, crawler-wide): one resolver
// and one answer cache for all sites. network.resolve pins and IP literals
// never reach it.
struct DnsOptions {
  // network.dns_servers: "address" or "address:port" ("[v6]:port") of the
  // DNS servers to ask, in order; empty (default): those of /etc/resolv.conf.
  std::vector<std::string> servers;
  Millis max_ttl{300'000};      // network.dns_max_ttl: an answer is kept min(its TTL, this); 0: not kept
  Millis negative_ttl{30'000};  // network.dns_negative_ttl: "no such host" / "no address" kept this long; 0: not kept
};

// An IP network in CIDR notation ("127.0.0.1/32", "10.0.0.0/8", "::1/128";
// a bare address is a single host), as network.allow lists them.
struct IpNetwork {
  bool v6 = false;
  uint8_t bytes[16] = {};  // the network address (v4: the first 4 bytes), host bits zero
  int prefix = 0;          // 0..32 (v4) or 0..128 (v6)
  std::string text;        // as written, for messages
};
// Parses "address/prefix" or a bare address; nullopt with `error` set
// (naming what is wrong, not repeating the text) when malformed. Host bits
// set under the prefix ("10.1.2.3/8") are an error: they usually mean a typo.
std::optional<IpNetwork> ParseIpNetwork(std::string_view text, std::string& error);

// frontier.backend: where the frontier and the crawl's shared state live.
enum class FrontierBackend {
  kEmbedded,  // in this process (and crawler.state_dir): one machine
  kRedis,     // in Redis (frontier.redis): N workers on any machines share one crawl
};

struct CrawlerConfig {
  int threads = 0;                  // threads: network threads (0 = number of cores)
  int parse_threads = 0;            // parse_threads: plugin threads (0 = number of cores)
  int max_in_flight = 64;           // max_in_flight: requests in flight, all sites together
  // frontier_memory_items: queued URLs kept in memory; past that, new ones
  // spill to disk (crawler.state_dir/frontier-spill, or the temporary
  // directory) until their host needs them. 0: never spill.
  int64_t frontier_memory_items = 1'000'000;
  // frontier.*: the shared backend (docs/distributed.md).
  FrontierBackend frontier_backend = FrontierBackend::kEmbedded;
  std::string frontier_redis;                 // frontier.redis: redis://host:port/db
  std::string frontier_crawl = "newshound";   // frontier.crawl: the crawl's name, the hash tag of its keys
  Millis frontier_lease_ttl{10'000};          // frontier.lease_ttl: how long a host lease lives unrenewed
  int frontier_claim_batch = 16;              // frontier.claim_batch: URLs taken from a host at a time
  Millis plugin_timeout{10'000};    // plugin_timeout: time budget of one plugin call on one page
  // shutdown_timeout: after SIGINT/SIGTERM, how long requests in flight may
  // take to finish; then they are abandoned (and stay queued in the state).
  Millis shutdown_timeout{30'000};
  std::string plugin_dir;           // plugin_dir: where plugins are found (default: next to the binary)
  std::string user_agent = "newshound/0.1 (+https://github.com/newshound/newshound)";  // user_agent
  std::vector<std::pair<std::string, std::string>> headers;  // headers: default extra request headers
  ProxyOptions proxy;               // proxy: default of every site (default none)
  std::string log_level = "info";   // log_level: trace, debug, info, warn, error
  // output.sinks (and output.jsonl, the shorthand for one jsonl sink named
  // "jsonl"); none configured: a jsonl sink at out/articles.jsonl.
  std::vector<SinkConfig> sinks;
  // output.flush_interval: articles are handed to the sinks at once but
  // flushed (written out, committed) and then recorded as emitted in the
  // crawl state in batches, at most this far apart (and sooner when 512 are
  // pending or the crawl goes idle).
  Millis flush_interval{500};
  // progress_interval: off a terminal, a summary line (pages/s, queued, in
  // flight, errors, articles) this often; 0: none. On a terminal the line
  // is live instead.
  Millis progress_interval{30'000};
  // metrics.listen: "127.0.0.1:PORT" (loopback only) where `serve` (and
  // `run` with metrics.in_run or --metrics) serves /metrics, /healthz and a
  // status page; empty (the default): no endpoint.
  std::string metrics_listen;
  bool metrics_in_run = false;  // metrics.in_run: serve the endpoint during `run` too
  // state_dir: where the crawl keeps what it knows between runs (per-URL
  // validators for conditional GET, last outcomes, content hashes) in a
  // SQLite database; empty (the default): nothing is kept after the run.
  std::string state_dir;
  // network.resolve: "host:port" (or "host") -> "address[:port]", like curl's --resolve.
  std::map<std::string, std::string> resolve;
  DnsOptions dns;  // network.dns_servers, network.dns_max_ttl, network.dns_negative_ttl
  // network.allow: networks the crawl may connect to although they are not
  // public (loopback, private, link-local, ...), which it refuses by
  // default (the SSRF guard; see docs/reliability.md). Empty: public
  // addresses only.
  std::vector<IpNetwork> allow;
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
