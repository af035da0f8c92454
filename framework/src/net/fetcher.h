// The asynchronous HTTP/1.1 client of the crawl (internal to the core).
//
// One Fetch() coroutine per request: resolve (or take a pinned address),
// connect, TLS handshake with SNI and peer + host name verification, write,
// read headers and body under the request's limits, and follow redirects
// through the caller's scope check. It decides nothing about politeness or
// retries: it carries out one request and reports one FetchResult.
//
// Thread safety: a Fetcher may be used by many coroutines on many threads at
// once; its TLS context cache is guarded by a mutex.
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

 private:
  std::mutex tls_mutex_;  // guards tls_contexts_
  std::map<std::pair<std::string, bool>, std::shared_ptr<boost::asio::ssl::context>> tls_contexts_;
};

}  // namespace newshound::net

#endif  // NEWSHOUND_NET_FETCHER_H_
