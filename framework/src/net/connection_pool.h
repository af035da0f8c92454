// Idle keep-alive connections per origin, shared by all requests of one
// net::Fetcher, and the per-origin cap on open connections.
//
// An origin key names everything a connection was set up with: scheme, host,
// port, the network.resolve pin (if any) and the TLS settings, so a
// connection is only ever reused by a request that would have opened the
// same one. A request holds a slot from Acquire() until Release(); slots
// count busy and idle connections together against max_connections_per_origin.
// When no slot is free the request waits on a timer that Release() cancels
// (an async wait: no thread is blocked), up to the request's deadline.
//
// Thread safety: every member is guarded by mutex_, so requests on any
// thread may Acquire and Release at once. A Connection is used by one
// request at a time (the one holding it) and is never touched by the pool
// while it is out. All requests of one pool must run on one execution
// context (connections are bound to the executor they were opened on).
#ifndef NEWSHOUND_NET_CONNECTION_POOL_H_
#define NEWSHOUND_NET_CONNECTION_POOL_H_

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "newshound/config.h"

namespace newshound::net {

// One open connection, plain or TLS.
struct Connection {
  // Declared before `tls`, so the stream is destroyed before its context.
  std::shared_ptr<boost::asio::ssl::context> context;
  std::unique_ptr<boost::beast::tcp_stream> plain;
  std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls;
  std::string remote_address;  // "ip:port"
  std::chrono::steady_clock::time_point idle_since;
  bool reused = false;  // handed out by the pool rather than just opened

  boost::beast::tcp_stream& lowest() { return tls ? boost::beast::get_lowest_layer(*tls) : *plain; }
  // False when the server has closed it or sent something unasked (a
  // close_notify, garbage) while it was idle. Never blocks (MSG_DONTWAIT).
  bool LooksAlive();
  ~Connection();
};

// What max_idle_connections "auto" keeps: every idle connection holds a
// file descriptor, so the pool gets what the process's open-file limit
// leaves after `max_in_flight` busy connections and a reserve for
// everything else (sinks, the state database, plugins, DNS), within
// 64..4096. 4096 covers the thousand-host crawls a single process makes; a
// low limit (Debian's soft default is 1,024) still leaves the pool some.
int IdleConnectionsFor(uint64_t open_file_limit, int max_in_flight);

// The process's soft RLIMIT_NOFILE (a large number when unlimited).
uint64_t OpenFileLimit();

struct PoolLimits {
  int max_per_origin = 8;
  int max_idle = 256;
  Millis idle_timeout{30'000};
  // The engine resolves "auto" knowing its max_in_flight (FetchSettingsFor);
  // a fetcher used on its own resolves it here, with nothing else in flight.
  static PoolLimits From(const FetchLimits& limits);
};


struct PoolStats {
  uint64_t opened = 0;         // new connections (counted by the fetcher)
  uint64_t reused = 0;         // idle connections handed out again
  uint64_t stale_retries = 0;  // requests retried once because a reused connection was closed under them
  uint64_t expired = 0;        // idle connections dropped when taken: too old or closed by the server
  uint64_t evicted = 0;        // idle connections closed over max_idle_connections (LRU)
  uint64_t waits = 0;          // requests that waited for a slot (max_connections_per_origin)
};

class ConnectionPool {
 public:
  struct Lease {
    bool ok = false;                   // false: the deadline passed while waiting for a slot
    std::unique_ptr<Connection> conn;  // an idle connection to reuse, or null: open a new one
  };

  ConnectionPool() = default;
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Takes a slot for `key`, with the freshest live idle connection if there
  // is one; waits (asynchronously) for a slot when the origin is at its cap.
  boost::asio::awaitable<Lease> Acquire(const std::string& key, const PoolLimits& limits,
                                        std::chrono::steady_clock::time_point deadline);

  // Gives the slot back. A `reusable` connection goes to the next waiter or
  // into the idle list (closing the least recently used idle one over
  // max_idle); anything else is closed.
  void Release(const std::string& key, std::unique_ptr<Connection> conn, bool reusable, const PoolLimits& limits);

  void CountOpened();
  void CountStaleRetry();
  PoolStats stats() const;

 private:
  struct Waiter {
    std::shared_ptr<boost::asio::steady_timer> timer;  // cancelled (on its executor) to wake the waiter
    bool granted = false;                               // the slot is now the waiter's
    std::unique_ptr<Connection> conn;                   // with this connection, if any
  };
  struct Origin {
    int busy = 0;                                   // slots held by requests
    std::deque<std::unique_ptr<Connection>> idle;  // oldest first
    std::deque<std::shared_ptr<Waiter>> waiters;   // first come, first served
  };

  mutable std::mutex mutex_;  // guards origins_, idle_total_, stats_ (and the Waiters in origins_)
  std::map<std::string, Origin> origins_;
  size_t idle_total_ = 0;
  PoolStats stats_;
};

}  // namespace newshound::net

#endif  // NEWSHOUND_NET_CONNECTION_POOL_H_
