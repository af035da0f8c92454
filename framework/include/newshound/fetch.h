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
  // Extra request headers (SiteConfig::headers), sent after User-Agent and
  // Accept; a User-Agent or Accept here replaces the fetcher's own.
  std::vector<std::pair<std::string, std::string>> headers;
  // The site's cookie jar, shared by every copy of these settings (so by
  // every request of the site); null: no cookies are stored or sent.
  std::shared_ptr<net::CookieJar> cookie_jar;
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
  std::string remote_address;            // "ip:port" of the server that answered
  FetchTimings timings;

  bool ok() const { return kind == OutcomeKind::kFetched; }
  // First header with this name (case-insensitive), or "".
  std::string Header(std::string_view name) const;
};

// Fetches one URL with a private event loop. For tools and tests; the crawl
// uses the asynchronous fetcher on the engine's loop.
FetchResult FetchOnce(const std::string& url, const FetchSettings& settings);

}  // namespace newshound

#endif  // NEWSHOUND_FETCH_H_
