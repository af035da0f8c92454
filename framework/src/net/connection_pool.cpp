#include "net/connection_pool.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <vector>

namespace newshound::net {

int IdleConnectionsFor(uint64_t open_file_limit, int max_in_flight) {
  constexpr int64_t kReserve = 256;
  constexpr int64_t kMin = 64;
  constexpr int64_t kMax = 4096;
  const int64_t limit = static_cast<int64_t>(std::min<uint64_t>(open_file_limit, 1u << 30));
  return static_cast<int>(std::clamp(limit - std::max(max_in_flight, 0) - kReserve, kMin, kMax));
}

PoolLimits PoolLimits::From(const FetchLimits& limits) {
  int max_idle = limits.max_idle_connections;
  if (max_idle == kAutoIdleConnections) {
    static const int resolved = IdleConnectionsFor(OpenFileLimit(), 0);
    max_idle = resolved;
  }
  return {limits.max_connections_per_origin, max_idle, limits.idle_timeout};
}

uint64_t OpenFileLimit() {
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;  // what a process starts with on Linux
  return limit.rlim_cur == RLIM_INFINITY ? (1u << 30) : static_cast<uint64_t>(limit.rlim_cur);
}

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

bool Connection::LooksAlive() {
  auto& socket = lowest().socket();
  if (!socket.is_open()) return false;
  char byte;
  const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  // Nothing to read is the only healthy state of an idle connection: 0 is
  // the server's FIN, data is a response nobody asked for (or close_notify).
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

Connection::~Connection() {
  if (!plain && !tls) return;
  boost::system::error_code ignored;
  auto& socket = lowest().socket();
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

asio::awaitable<ConnectionPool::Lease> ConnectionPool::Acquire(const std::string& key, const PoolLimits& limits,
                                                               Clock::time_point deadline) {
  std::vector<std::unique_ptr<Connection>> dropped;  // closed after the lock is released
  std::shared_ptr<Waiter> waiter;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Origin& origin = origins_[key];
    const auto now = Clock::now();
    while (!origin.idle.empty()) {
      std::unique_ptr<Connection> conn = std::move(origin.idle.back());
      origin.idle.pop_back();
      --idle_total_;
      if (now - conn->idle_since >= limits.idle_timeout || !conn->LooksAlive()) {
        ++stats_.expired;
        dropped.push_back(std::move(conn));
        continue;
      }
      ++origin.busy;
      ++stats_.reused;
      conn->reused = true;
      Lease lease{true, std::move(conn)};
      co_return lease;
    }
    if (origin.busy + static_cast<int>(origin.idle.size()) < limits.max_per_origin) {
      ++origin.busy;
      co_return Lease{true, nullptr};
    }
    ++stats_.waits;
    waiter = std::make_shared<Waiter>();
    waiter->timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor);
    waiter->timer->expires_at(deadline);
    origin.waiters.push_back(waiter);
  }
  dropped.clear();
  co_await waiter->timer->async_wait(asio::as_tuple(asio::use_awaitable));
  std::lock_guard<std::mutex> lock(mutex_);
  if (waiter->granted) co_return Lease{true, std::move(waiter->conn)};  // Release() counted the slot for us
  auto& waiters = origins_[key].waiters;
  std::erase(waiters, waiter);
  co_return Lease{false, nullptr};
}

void ConnectionPool::Release(const std::string& key, std::unique_ptr<Connection> conn, bool reusable,
                             const PoolLimits& limits) {
  std::vector<std::unique_ptr<Connection>> closing;  // closed after the lock is released
  std::shared_ptr<Waiter> wake;
  if (conn && !reusable) closing.push_back(std::move(conn));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = origins_.find(key);
    if (it == origins_.end()) return;  // cannot happen: the caller holds a slot
    Origin& origin = it->second;
    if (!origin.waiters.empty()) {
      // The slot passes to the waiter as it is: busy stays the same.
      wake = std::move(origin.waiters.front());
      origin.waiters.pop_front();
      wake->granted = true;
      if (conn) {
        conn->reused = true;
        ++stats_.reused;
      }
      wake->conn = std::move(conn);
    } else {
      --origin.busy;
      if (conn) {
        conn->idle_since = Clock::now();
        origin.idle.push_back(std::move(conn));
        ++idle_total_;
      }
      while (idle_total_ > static_cast<size_t>(std::max(limits.max_idle, 0))) {
        // The least recently used idle connection is the oldest front.
        Origin* oldest = nullptr;
        for (auto& [name, candidate] : origins_) {
          if (candidate.idle.empty()) continue;
          if (oldest == nullptr || candidate.idle.front()->idle_since < oldest->idle.front()->idle_since)
            oldest = &candidate;
        }
        if (oldest == nullptr) break;
        closing.push_back(std::move(oldest->idle.front()));
        oldest->idle.pop_front();
        --idle_total_;
        ++stats_.evicted;
      }
      // Evictions may leave other origins empty; those entries are small
      // and reused or erased when that origin releases next.
      if (origin.busy == 0 && origin.idle.empty()) origins_.erase(it);
    }
  }
  // The timer belongs to the waiter's executor: cancel it there, not here.
  if (wake) asio::post(wake->timer->get_executor(), [timer = wake->timer] { timer->cancel(); });
}

void ConnectionPool::CountOpened() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++stats_.opened;
}

void ConnectionPool::CountStaleRetry() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++stats_.stale_retries;
}

PoolStats ConnectionPool::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

}  // namespace newshound::net
