// Asynchronous DNS resolution with a TTL-honouring cache, for the fetcher
// and the engine (internal to the core).
//
// Asio's resolver runs getaddrinfo on one background thread, so a crawl of a
// thousand hosts would wait for a thousand lookups one after another. This
// one hands the names to c-ares, which has the queries of many names out at
// once. c-ares reads /etc/hosts first (so "localhost" resolves) and then asks
// the servers of /etc/resolv.conf, or the configured network.dns_servers.
// Answers are kept in a DnsCache (positive ones for their TTL, capped at
// network.dns_max_ttl; "no such host" for network.dns_negative_ttl);
// lookups of a name already being resolved join that query; IP literals
// never reach DNS. network.resolve pins are the fetcher's business and are
// never seen here.
//
// One Resolver owns one thread, on which its c-ares channel lives. Resolve()
// may be awaited from any coroutine on any executor: the answer is posted
// back to that executor. It returns by `deadline` at the latest: a lookup
// given up on that way goes on, and its late answer only fills the cache.
//
// Thread safety: Resolve() and stats() may be called from many threads at
// once. Destroy a Resolver before the execution contexts of the coroutines
// that await it (a Fetcher declared after its io_context does this): a
// lookup still waiting then completes with an error, posted to its executor.
#ifndef NEWSHOUND_NET_RESOLVER_H_
#define NEWSHOUND_NET_RESOLVER_H_

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "newshound/config.h"

namespace newshound::net {

struct ResolveResult {
  // The addresses with the port asked for, in the order to try them (RFC
  // 6724, as getaddrinfo sorts them). Never empty when ok().
  std::vector<boost::asio::ip::tcp::endpoint> endpoints;
  // The deadline came first. The caller words the timeout (it knows which
  // limit set the deadline); `error` still says what was being resolved.
  bool timed_out = false;
  // Why there is no address, naming the host ("cannot resolve a.test: no
  // such host (NXDOMAIN)"), when !ok().
  std::string error;

  bool ok() const { return !endpoints.empty(); }
};

// Counters, for tests and diagnostics.
struct ResolverStats {
  int64_t cache_hits = 0;  // lookups answered from the cache, negative answers included
  int64_t queries = 0;     // lookups that needed a query of their own (an A and an AAAA query, or /etc/hosts)
  int64_t coalesced = 0;   // lookups that joined a query already under way for the same name
};

class Resolver {
 public:
  // Names resolved at once; more wait their turn, in order. A burst of
  // thousands of UDP queries (an A and an AAAA per name) would overflow the
  // socket buffers of the channel and of a small resolver, and every
  // datagram dropped costs a whole retry timeout (seconds). 64 names in
  // flight still resolve well over a thousand names a second at ordinary
  // DNS latencies. A queued name whose callers have all given up is dropped.
  static constexpr size_t kMaxNamesInFlight = 64;

  // The channel is set up here. A failure (e.g. a server c-ares refuses) is
  // not fatal: every lookup of a host name then fails with the reason.
  explicit Resolver(const DnsOptions& options = {});
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // The addresses of `host` (case-insensitive; an IP literal is its own
  // answer) with `port`, or why not, by `deadline` at the latest.
  boost::asio::awaitable<ResolveResult> Resolve(std::string host, uint16_t port,
                                                std::chrono::steady_clock::time_point deadline);

  ResolverStats stats() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace newshound::net

#endif  // NEWSHOUND_NET_RESOLVER_H_
