// The asynchronous HTTP/1.1 client of the crawl (internal to the core).
//
// One Fetch() coroutine per request: take an idle keep-alive connection for
// the origin from the pool, or resolve (or take a pinned address), connect
// and do the TLS handshake with SNI and peer + host name verification; then
// write, read headers and body under the request's limits, give a reusable
// connection back to the pool, and follow redirects through the caller's
// scope check. It decides nothing about politeness or retries (beyond one
// transparent retry of a GET whose reused connection turned out closed): it
// carries out one request and reports one FetchResult.
//
// Thread safety: a Fetcher may be used by many coroutines on many threads at
// once; its TLS context cache is guarded by a mutex, its connection pool by
// its own. All its requests must run on one execution context (pooled
// connections stay bound to the executor they were opened on).
#ifndef NEWSHOUND_NET_FETCHER_H_
#define NEWSHOUND_NET_FETCHER_H_

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "net/connection_pool.h"
#include "newshound/fetch.h"
#include "newshound/url.h"

namespace newshound::net {

// The network.resolve entry for this URL ("host:port", then "host"), as an
// address and port; nullopt when the host is not pinned.
std::optional<std::pair<std::string, uint16_t>> PinnedAddress(const std::map<std::string, std::string>& resolve,
                                                               const UrlParts& url);

class Fetcher {
 public:
  // Called for every redirect target before it is followed; returning an
  // outcome (e.g. kOutOfScope) stops the request with that outcome.
  using RedirectCheck = std::function<std::optional<OutcomeKind>(const std::string& url)>;

  Fetcher() = default;
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // Runs on the calling coroutine's executor.
  boost::asio::awaitable<FetchResult> Fetch(std::string url, const FetchSettings& settings,
                                            RedirectCheck redirect_check = {});

  // The TLS context for these settings, built once and shared by every
  // connection that uses them. Null with `error` set when the CA file cannot
  // be loaded.
  std::shared_ptr<boost::asio::ssl::context> TlsContext(const TlsOptions& tls, std::string* error);

  // Shared with every request, so a request frame destroyed after the
  // Fetcher (an io_context torn down with requests still in it) can still
  // give its connection back.
  std::shared_ptr<ConnectionPool> pool() const { return pool_; }
  // Counters of the connection pool, for tests and diagnostics.
  PoolStats pool_stats() const { return pool_->stats(); }

 private:
  std::mutex tls_mutex_;  // guards tls_contexts_
  std::map<std::pair<std::string, bool>, std::shared_ptr<boost::asio::ssl::context>> tls_contexts_;
  std::shared_ptr<ConnectionPool> pool_ = std::make_shared<ConnectionPool>();
};

}  // namespace newshound::net

#endif  // NEWSHOUND_NET_FETCHER_H_
