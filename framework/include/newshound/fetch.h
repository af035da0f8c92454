// HTTP/1.1 fetching over TCP and TLS: what one request asks for and what
// came back. The asynchronous fetcher itself lives inside the core (it runs
// on the engine's io_context); this header holds its value types and a
// blocking one-shot helper for tools.
//
// Thread safety: values; FetchOnce runs its own event loop.
#ifndef NEWSHOUND_FETCH_H_
#define NEWSHOUND_FETCH_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "newshound/config.h"
#include "newshound/outcome.h"

namespace newshound {

namespace net {
class CookieJar;  // framework/src/net/cookie_jar.h (internal to the core)
}

// Settings that shape requests to one site.
struct FetchSettings {
  std::string user_agent;
  FetchLimits limits;
  TlsOptions tls;
  // host:port (or host) -> address[:port]; see CrawlerConfig::resolve.
  std::map<std::string, std::string> resolve;
  // CrawlerConfig::dns. Crawler-wide: it shapes the resolver a fetcher is
  // built with (FetchOnce builds its own from it; the crawl's one fetcher
  // from the same config), not one request.
  DnsOptions dns;
  // CrawlerConfig::allow: the non-public networks connections may go to.
  // Empty (the default): public addresses only; every other address is
  // refused after resolution, as `blocked_address`.
  std::vector<IpNetwork> allow;
  // Extra request headers (SiteConfig::headers), sent after User-Agent and
  // Accept; a User-Agent or Accept here replaces the fetcher's own.
  std::vector<std::pair<std::string, std::string>> headers;
  // The site's cookie jar, shared by every copy of these settings (so by
  // every request of the site); null: no cookies are stored or sent.
  std::shared_ptr<net::CookieJar> cookie_jar;
  // SiteConfig::proxy: every connection goes to this HTTP proxy (http:// in
  // absolute form, https:// through CONNECT); default none: direct. Its
  // host is resolved like a target's (network.resolve pins, then DNS); the
  // targets are resolved by the proxy.
  ProxyOptions proxy;
  // Keep every request and response as on the wire in
  // FetchResult::exchanges (for WARC output). Default false: nothing is
  // copied, the fetch costs what it always did.
  bool record_exchanges = false;
};

// One request and its response as on the wire, for archiving (WARC). Kept
// for every hop whose response head arrived: redirects followed inside one
// fetch, a 304 and an error status alike. A hop without a response head
// (refused, timed out before it, a stale pooled connection retried) has
// nothing to archive and is not kept. Immutable once in a FetchResult.
struct HttpExchange {
  std::string target_uri;  // the URL requested by this hop
  // The server's IP address (no port, IPv6 without brackets) the response
  // came from. "" through a proxy: the connection's peer is the proxy, the
  // origin's address is not known to us.
  std::string ip_address;
  int64_t request_time_ms = 0;  // Unix time in ms when the request began to be written (WARC-Date)
  std::string request;          // the request bytes exactly as written: head (and body, if any)
  // The status line and header fields exactly as received, each line with
  // its terminator, and the blank line that ends the head.
  std::string response_head;
  // The body as the server sent it, with the transfer coding (chunked)
  // removed but the content coding (gzip, br, ...) kept: the compressed
  // bytes for a compressed response. At most max_body bytes.
  std::string response_payload;
  // The payload is not the whole body: the fetch stopped reading it (over
  // max_body, a timeout, the connection lost, an undecodable body, or a
  // redirect's body left unread). truncated_reason then says why, as the
  // WARC-Truncated values: "length", "time", "disconnect", "unspecified".
  bool truncated = false;
  std::string truncated_reason;
};

// The validators of a copy of a page we already have (RFC 9110 8.8): a
// conditional GET sends them as If-None-Match / If-Modified-Since, and a
// 304 answer is `not_modified`.
struct Validators {
  std::string etag;           // the ETag the server sent, as sent (quotes included)
  std::string last_modified;  // the Last-Modified the server sent, as sent
  bool empty() const { return etag.empty() && last_modified.empty(); }
};

struct FetchTimings {
  int64_t resolve_ms = -1;  // -1: phase not reached
  int64_t connect_ms = -1;
  int64_t tls_ms = -1;
  int64_t headers_ms = -1;  // request written to response headers read
  int64_t body_ms = -1;
  int64_t total_ms = -1;
};

struct FetchResult {
  OutcomeKind kind = OutcomeKind::kNetwork;
  FetchPhase phase = FetchPhase::kNone;  // for timeouts and transport errors
  int status = 0;                        // HTTP status of the final response, 0 if none
  std::string url;                       // the URL asked for
  std::string final_url;                 // after redirects
  std::vector<std::string> redirect_chain;  // every URL before final_url, in order
  std::vector<std::pair<std::string, std::string>> headers;  // final response headers
  std::string body;                      // the body with its Content-Encoding undone (charset untouched)
  std::string detail;                    // human-readable reason for anything but kFetched
  std::string remote_address;            // "ip:port" of the server that answered (the proxy's, through one)
  // A redirect that was returned rather than followed (the crawl follows
  // redirects hop by hop through its frontier): the Location as sent; kind
  // is then kFetched and status the 3xx. Empty otherwise.
  std::string redirect_location;
  FetchTimings timings;
  // With FetchSettings::record_exchanges: every hop of this fetch that got
  // a response head, in the order sent (redirects followed inside the call
  // first). Empty otherwise.
  std::vector<std::shared_ptr<const HttpExchange>> exchanges;

  bool ok() const { return kind == OutcomeKind::kFetched && redirect_location.empty(); }
  bool is_redirect() const { return !redirect_location.empty(); }
  // What a later conditional GET of this page sends (from ETag and
  // Last-Modified of a 200 or a 304).
  Validators validators() const { return {Header("ETag"), Header("Last-Modified")}; }
  // First header with this name (case-insensitive), or "".
  std::string Header(std::string_view name) const;
};

// Fetches one URL with a private event loop. For tools and tests; the crawl
// uses the asynchronous fetcher on the engine's loop.
FetchResult FetchOnce(const std::string& url, const FetchSettings& settings);

}  // namespace newshound

#endif  // NEWSHOUND_FETCH_H_
