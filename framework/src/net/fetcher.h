// The asynchronous HTTP/1.1 client of the crawl (internal to the core).
//
// One Fetch() coroutine per request: take an idle keep-alive connection for
// the origin from the pool, or resolve (or take a pinned address), connect
// and do the TLS handshake with SNI and peer + host name verification; then
// write, read headers and body under the request's limits, give a reusable
// connection back to the pool, and follow redirects (or hand them back to
// the caller). It decides nothing about politeness or retries (beyond one
// transparent retry of a GET whose reused connection turned out closed): it
// carries out one request and reports one FetchResult. With
// FetchSettings::record_exchanges it also keeps every hop as on the wire
// (FetchResult::exchanges, for WARC output): the request as serialized, the
// response head as the parser consumed it, the body bytes before decoding.
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
#include "net/resolver.h"
#include "newshound/fetch.h"
#include "newshound/url.h"

namespace newshound::net {

// The network.resolve entry for this URL ("host:port", then "host"), as an
// address and port; nullopt when the host is not pinned.
std::optional<std::pair<std::string, uint16_t>> PinnedAddress(const std::map<std::string, std::string>& resolve,
                                                               const UrlParts& url);

// What one call of Fetch asks for beyond the site's settings.
struct RequestOptions {
  // true: redirects are followed inside the call (policy/redirect_policy.h),
  // as for robots.txt and `newshound fetch`. false: a redirect is the result
  // (FetchResult::redirect_location), for the crawl to follow hop by hop
  // through its frontier, politeness and robots.txt.
  bool follow_redirects = true;
  // Sent as If-None-Match / If-Modified-Since on the first hop; a 304 is
  // then kNotModified.
  Validators validators;
  // Called each time the request (any hop, any try) has been written on
  // its connection, on the fetch's executor: the moment the server can
  // see it, after DNS, connect and TLS. The crawl's politeness clock
  // counts from here (frontier::Frontier::Written).
  std::function<void()> on_written;
};

class Fetcher {
 public:
  // `dns` sets up the fetcher's resolver (FetchSettings::dns, crawler-wide):
  // every request of this fetcher that is not pinned resolves through it.
  explicit Fetcher(const DnsOptions& dns = {}) : resolver_(std::make_unique<Resolver>(dns)) {}
  Fetcher(const Fetcher&) = delete;
  Fetcher& operator=(const Fetcher&) = delete;

  // Runs on the calling coroutine's executor. `options` is taken by
  // reference (it must outlive the co_await, as a caller's local does), and
  // there is an overload instead of a default argument: GCC 12 frees
  // non-trivial coroutine parameters that come from default arguments, or
  // are aggregates passed by value, at the wrong time.
  boost::asio::awaitable<FetchResult> Fetch(std::string url, const FetchSettings& settings,
                                            const RequestOptions& options);
  // With the default options (follow redirects, unconditional).
  boost::asio::awaitable<FetchResult> Fetch(std::string url, const FetchSettings& settings) {
    static const RequestOptions kDefaults;
    return Fetch(std::move(url), settings, kDefaults);
  }

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

  // Shared by every request of this fetcher (one DNS cache per crawl), and
  // by the engine for politeness by IP address.
  Resolver& resolver() { return *resolver_; }

 private:
  std::mutex tls_mutex_;  // guards tls_contexts_
  std::map<std::pair<std::string, bool>, std::shared_ptr<boost::asio::ssl::context>> tls_contexts_;
  std::shared_ptr<ConnectionPool> pool_ = std::make_shared<ConnectionPool>();
  std::unique_ptr<Resolver> resolver_;
};

}  // namespace newshound::net

#endif  // NEWSHOUND_NET_FETCHER_H_
