#include "net/resolver.h"

// GCC 12 warns -Wmismatched-new-delete on the frames of Asio coroutines
// (GCC bug 109224); see engine.cpp.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <ares.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "net/dns_cache.h"

namespace newshound::net {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// A completion handler of any type, called once with the result. (Not
// asio::any_completion_handler: in Boost 1.81 moving one into another wraps
// it again, and its allocator then recurses without end.)
class Handler {
 public:
  Handler() = default;
  template <typename H>
  explicit Handler(H handler) : impl_(std::make_unique<Impl<H>>(std::move(handler))) {}

  void operator()(ResolveResult result) {
    auto impl = std::move(impl_);
    impl->Call(std::move(result));
  }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void Call(ResolveResult result) = 0;
  };
  template <typename H>
  struct Impl : Base {
    explicit Impl(H h) : handler(std::move(h)) {}
    void Call(ResolveResult result) override { std::move(handler)(std::move(result)); }
    H handler;
  };
  std::unique_ptr<Base> impl_;
};

// Enough for every host of a large crawl; the least recently used go first.
constexpr size_t kMaxCacheEntries = 100'000;

std::once_flag library_once;

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string DescribeFailure(const std::string& host, int status) {
  switch (status) {
    case ARES_ENOTFOUND:
      return "cannot resolve " + host + ": no such host (NXDOMAIN)";
    case ARES_ENODATA:
      return "cannot resolve " + host + ": the name has no address (no A or AAAA record)";
    case ARES_EDESTRUCTION:
    case ARES_ECANCELLED:
      return "cannot resolve " + host + ": the resolver was shut down";
    default:
      return "cannot resolve " + host + ": " + ares_strerror(status);
  }
}

// The answers c-ares may give again at once: a name that does not exist, or
// has no address, or cannot be one. Anything else (timeouts, refused or
// failing servers) is a state of the network, asked again next time.
bool IsNegativeAnswer(int status) {
  return status == ARES_ENOTFOUND || status == ARES_ENODATA || status == ARES_EBADNAME;
}

ResolveResult Failure(std::string error) {
  ResolveResult result;
  result.error = std::move(error);
  return result;
}

ResolveResult FromAnswer(const DnsCache::Answer& answer, uint16_t port) {
  if (answer.negative()) return Failure(answer.error);
  ResolveResult result;
  for (const auto& text : answer.addresses) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(text, ec);
    if (!ec) result.endpoints.emplace_back(address, port);
  }
  return result;
}

}  // namespace

// The c-ares channel is only ever touched on the resolver's own thread (or
// by the destructor once that thread has ended). Its sockets are watched
// with poll() there rather than with Asio descriptors: Asio's epoll reactor
// is edge-triggered and its async_wait is not speculative, so a datagram
// landing between c-ares draining a socket and the wait being re-armed
// would go unnoticed until the query timed out and was sent again.
class Resolver::Impl {
 public:
  explicit Impl(const DnsOptions& options)
      : cache_(DnsCacheOptions{options.max_ttl, options.negative_ttl, kMaxCacheEntries}) {
    std::call_once(library_once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
    ares_options ares{};
    ares.sock_state_cb = &Impl::OnSocketState;
    ares.sock_state_cb_data = this;
    // Two tries per server, as glibc's default "attempts:2" (c-ares would
    // make four, doubling the timeout each round: 75 s with the default 5 s).
    // A query outlives the callers that gave up on it, and holds one of the
    // kMaxNamesInFlight places while it runs: after a DNS outage those
    // places must come free soon. The per-try timeout stays resolv.conf's.
    ares.tries = 2;
    int status = ares_init_options(&channel_, &ares, ARES_OPT_SOCK_STATE_CB | ARES_OPT_TRIES);
    if (status != ARES_SUCCESS) {
      channel_ = nullptr;
      init_error_ = std::string("cannot set up DNS resolution: ") + ares_strerror(status);
      return;
    }
    if (!options.servers.empty()) {
      std::string csv;
      for (const auto& server : options.servers) csv += (csv.empty() ? "" : ",") + server;
      status = ares_set_servers_ports_csv(channel_, csv.c_str());
      if (status != ARES_SUCCESS) {
        init_error_ = "network.dns_servers '" + csv + "' refused by c-ares: " + ares_strerror(status);
        ares_destroy(channel_);
        channel_ = nullptr;
        return;
      }
    }
    wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) {
      init_error_ = std::string("cannot set up DNS resolution: eventfd: ") + std::strerror(errno);
      ares_destroy(channel_);
      channel_ = nullptr;
      return;
    }
    thread_ = std::thread([this] { Run(); });
  }

  ~Impl() {
    if (thread_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
      }
      Wake();
      thread_.join();
    }
    // Queries under way end here with ARES_EDESTRUCTION, which OnAnswer
    // passes on to their waiters; names still queued, and waiters not yet
    // admitted, are told the same.
    if (channel_ != nullptr) ares_destroy(channel_);
    for (auto& [name, waiters] : pending_)
      for (auto& waiter : waiters)
        if (!waiter->done) Complete(*waiter, Failure(DescribeFailure(name, ARES_EDESTRUCTION)));
    for (auto& waiter : incoming_) Complete(*waiter, Failure(DescribeFailure(waiter->name, ARES_EDESTRUCTION)));
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  // Caller's thread: the answer when there is one without asking DNS.
  std::optional<ResolveResult> Immediate(const std::string& name, uint16_t port) {
    if (!init_error_.empty()) return Failure(init_error_ + " (resolving " + name + ")");
    std::optional<DnsCache::Answer> hit;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      hit = cache_.Lookup(name, Clock::now());
    }
    if (!hit) return std::nullopt;
    ++cache_hits_;
    return FromAnswer(*hit, port);
  }

  // Caller's thread: hands a lookup to the resolver thread, which completes
  // `handler` on `executor`.
  void Wait(std::string name, uint16_t port, Clock::time_point deadline, const asio::any_io_executor& executor,
            Handler handler) {
    auto waiter = std::make_shared<Waiter>();
    waiter->name = std::move(name);
    waiter->port = port;
    waiter->deadline = deadline;
    // Tracked work: the caller's io_context must not run out of work while
    // its coroutine waits on this thread.
    waiter->executor = asio::prefer(executor, asio::execution::outstanding_work.tracked);
    waiter->handler = std::move(handler);
    bool stopped = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) {
        stopped = true;
      } else {
        incoming_.push_back(waiter);
      }
    }
    if (stopped) {
      Complete(*waiter, Failure(DescribeFailure(waiter->name, ARES_EDESTRUCTION)));
      return;
    }
    Wake();
  }

  ResolverStats stats() const { return ResolverStats{cache_hits_.load(), queries_.load(), coalesced_.load()}; }

 private:
  struct Waiter;
  using Deadlines = std::multimap<Clock::time_point, std::shared_ptr<Waiter>>;

  struct Waiter {
    std::string name;
    uint16_t port = 0;
    Clock::time_point deadline;
    Handler handler;
    asio::any_io_executor executor;  // the caller's, with outstanding work tracked
    // Resolver thread only, once admitted.
    bool done = false;  // answered or timed out: later news is ignored
    std::optional<Deadlines::iterator> deadline_entry;  // its place in deadlines_, while it is there
  };

  // What one ares_getaddrinfo call is about, for its callback.
  struct Query {
    Impl* impl;
    std::string name;
  };

  void Wake() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
  }

  void Run() {
    std::vector<pollfd> fds;
    for (;;) {
      std::vector<std::shared_ptr<Waiter>> incoming;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_) return;  // the destructor deals with what is left
        incoming.swap(incoming_);
      }
      for (auto& waiter : incoming) Admit(std::move(waiter));
      StartQueries();
      ExpireWaiters(Clock::now());

      fds.clear();
      fds.push_back(pollfd{wake_fd_, POLLIN, 0});
      for (const auto& [fd, events] : sockets_) fds.push_back(pollfd{fd, events, 0});
      if (::poll(fds.data(), fds.size(), PollTimeoutMs()) < 0) continue;  // EINTR: look again
      if (fds[0].revents & POLLIN) {
        uint64_t count = 0;
        [[maybe_unused]] ssize_t n = ::read(wake_fd_, &count, sizeof(count));
      }
      for (size_t i = 1; i < fds.size(); ++i) {
        const short revents = fds[i].revents;
        if (revents == 0) continue;
        // A socket c-ares closed meanwhile is unknown to it and ignored.
        const ares_socket_t read_fd = (revents & (POLLIN | POLLERR | POLLHUP)) ? fds[i].fd : ARES_SOCKET_BAD;
        const ares_socket_t write_fd = (revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
        ares_process_fd(channel_, read_fd, write_fd);
      }
      ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // retries and c-ares' own timeouts
    }
  }

  // Until the next c-ares timeout or waiter deadline, whichever is first;
  // -1 (until woken) when there is neither.
  int PollTimeoutMs() {
    int64_t timeout = -1;
    timeval tv{};
    if (ares_timeout(channel_, nullptr, &tv) != nullptr)
      timeout = static_cast<int64_t>(tv.tv_sec) * 1000 + (tv.tv_usec + 999) / 1000;
    if (!deadlines_.empty()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadlines_.begin()->first - Clock::now()).count();
      const int64_t wait = std::max<int64_t>(0, left);
      timeout = timeout < 0 ? wait : std::min(timeout, wait);
    }
    return static_cast<int>(std::min<int64_t>(timeout, INT_MAX));
  }

  // Resolver thread: a new lookup joins the query of its name, or queues one.
  void Admit(std::shared_ptr<Waiter> waiter) {
    std::optional<DnsCache::Answer> hit;
    {
      // An answer may have come in since the caller looked.
      std::lock_guard<std::mutex> lock(mutex_);
      hit = cache_.Lookup(waiter->name, Clock::now());
    }
    if (hit) {
      ++cache_hits_;
      Complete(*waiter, FromAnswer(*hit, waiter->port));
      return;
    }
    auto& waiters = pending_[waiter->name];
    if (waiters.empty()) {
      to_start_.push_back(waiter->name);
      ++queries_;
    } else {
      ++coalesced_;
    }
    waiter->deadline_entry = deadlines_.emplace(waiter->deadline, waiter);
    waiters.push_back(std::move(waiter));
  }

  void StartQueries() {
    while (in_flight_ < kMaxNamesInFlight && !to_start_.empty()) {
      std::string name = std::move(to_start_.front());
      to_start_.pop_front();
      // Nobody waits for it any more (every caller's deadline passed while
      // it queued): not worth a place in flight.
      auto waiting = pending_.find(name);
      if (waiting == pending_.end() ||
          std::all_of(waiting->second.begin(), waiting->second.end(), [](const auto& w) { return w->done; })) {
        if (waiting != pending_.end()) pending_.erase(waiting);
        continue;
      }
      auto* query = new Query{this, std::move(name)};
      ++in_flight_;
      ares_addrinfo_hints hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;  // one entry per address (not one per socket type)
      hints.ai_protocol = IPPROTO_TCP;
      // May call OnAddrInfo before it returns (an /etc/hosts entry).
      ares_getaddrinfo(channel_, query->name.c_str(), nullptr, &hints, &Impl::OnAddrInfo, query);
    }
  }

  void ExpireWaiters(Clock::time_point now) {
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      std::shared_ptr<Waiter> waiter = deadlines_.begin()->second;
      ResolveResult result = Failure("no address for " + waiter->name + " before the deadline");
      result.timed_out = true;
      Complete(*waiter, std::move(result));  // also takes it out of deadlines_
    }
  }

  // Posts the result to the waiter's executor, once.
  void Complete(Waiter& waiter, ResolveResult result) {
    waiter.done = true;
    if (waiter.deadline_entry) {
      deadlines_.erase(*waiter.deadline_entry);
      waiter.deadline_entry.reset();
    }
    asio::any_io_executor executor = std::move(waiter.executor);  // the work it tracks ends with this function
    asio::post(executor, [handler = std::move(waiter.handler), result = std::move(result)]() mutable {
      std::move(handler)(std::move(result));
    });
  }

  static void OnSocketState(void* data, ares_socket_t fd, int readable, int writable) {
    auto* self = static_cast<Impl*>(data);
    if (!readable && !writable) {
      self->sockets_.erase(fd);
    } else {
      self->sockets_[fd] = static_cast<short>((readable ? POLLIN : 0) | (writable ? POLLOUT : 0));
    }
  }

  static void OnAddrInfo(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
    std::unique_ptr<Query> query(static_cast<Query*>(arg));
    query->impl->OnAnswer(query->name, status, result);
  }

  void OnAnswer(const std::string& name, int status, ares_addrinfo* info) {
    --in_flight_;
    std::vector<std::string> addresses;
    int ttl = INT_MAX;  // of the answer: the shortest of its records, CNAMEs included
    if (status == ARES_SUCCESS && info != nullptr) {
      for (const ares_addrinfo_node* node = info->nodes; node != nullptr; node = node->ai_next) {
        asio::ip::address address;
        if (node->ai_family == AF_INET) {
          const auto* in = reinterpret_cast<const sockaddr_in*>(node->ai_addr);
          address = asio::ip::address_v4(ntohl(in->sin_addr.s_addr));
        } else if (node->ai_family == AF_INET6) {
          const auto* in6 = reinterpret_cast<const sockaddr_in6*>(node->ai_addr);
          asio::ip::address_v6::bytes_type bytes;
          std::memcpy(bytes.data(), &in6->sin6_addr, bytes.size());
          address = asio::ip::address_v6(bytes, in6->sin6_scope_id);
        } else {
          continue;
        }
        std::string text = address.to_string();
        if (std::find(addresses.begin(), addresses.end(), text) == addresses.end()) addresses.push_back(std::move(text));
        ttl = std::min(ttl, node->ai_ttl);
      }
      for (const ares_addrinfo_cname* cname = info->cnames; cname != nullptr; cname = cname->next)
        ttl = std::min(ttl, cname->ttl);
    }
    if (info != nullptr) ares_freeaddrinfo(info);
    if (status == ARES_SUCCESS && addresses.empty()) status = ARES_ENODATA;

    DnsCache::Answer answer;
    if (!addresses.empty()) {
      answer.addresses = addresses;
    } else {
      answer.error = DescribeFailure(name, status);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const auto now = Clock::now();
      // /etc/hosts entries come with a TTL of 0, so the file is read again
      // next time, as getaddrinfo would.
      if (!addresses.empty()) {
        cache_.PutPositive(name, std::move(addresses), std::chrono::seconds(ttl == INT_MAX ? 0 : ttl), now);
      } else if (IsNegativeAnswer(status)) {
        cache_.PutNegative(name, answer.error, now);
      }
    }
    auto it = pending_.find(name);
    if (it == pending_.end()) return;
    std::vector<std::shared_ptr<Waiter>> waiters = std::move(it->second);
    pending_.erase(it);
    for (auto& waiter : waiters)
      if (!waiter->done) Complete(*waiter, FromAnswer(answer, waiter->port));
  }

  ares_channel channel_ = nullptr;
  std::string init_error_;  // set once, in the constructor
  int wake_fd_ = -1;        // eventfd: Wait() and the destructor wake the resolver thread with it
  std::thread thread_;

  mutable std::mutex mutex_;  // guards cache_, incoming_ and stopping_
  DnsCache cache_;
  std::vector<std::shared_ptr<Waiter>> incoming_;  // handed over, not yet admitted
  bool stopping_ = false;

  // Resolver thread only.
  std::unordered_map<std::string, std::vector<std::shared_ptr<Waiter>>> pending_;  // names queued or in flight
  std::deque<std::string> to_start_;  // names queued, in order of arrival
  size_t in_flight_ = 0;              // names handed to c-ares and not answered yet
  Deadlines deadlines_;               // waiters not yet answered, by deadline
  std::map<ares_socket_t, short> sockets_;  // the channel's sockets and the poll events they want

  std::atomic<int64_t> cache_hits_{0};
  std::atomic<int64_t> queries_{0};
  std::atomic<int64_t> coalesced_{0};
};

Resolver::Resolver(const DnsOptions& options) : impl_(std::make_unique<Impl>(options)) {}

Resolver::~Resolver() = default;

ResolverStats Resolver::stats() const { return impl_->stats(); }

asio::awaitable<ResolveResult> Resolver::Resolve(std::string host, uint16_t port, Clock::time_point deadline) {
  boost::system::error_code ec;
  const auto literal = asio::ip::make_address(host, ec);
  if (!ec) {
    ResolveResult result;
    result.endpoints.emplace_back(literal, port);
    co_return result;
  }
  if (host.empty()) co_return Failure("cannot resolve an empty host name");
  // DNS names are case-insensitive: one cache entry, one query per name.
  std::string name = Lower(std::move(host));
  if (auto immediate = impl_->Immediate(name, port)) co_return std::move(*immediate);
  // The initiation captures only a pointer (the result goes to the
  // handler's associated executor: the caller's strand), and the result is
  // named before co_return. With the executor captured by value in a
  // temporary lambda of a `co_return co_await`, GCC 12 released the
  // caller's strand once too often: ASan showed a use-after-free whenever
  // the caller's coroutine ended right after the answer.
  ResolveResult result = co_await asio::async_initiate<decltype(asio::use_awaitable), void(ResolveResult)>(
      [impl = impl_.get()](auto handler, std::string name, uint16_t port, Clock::time_point deadline) {
        const asio::any_io_executor executor = asio::get_associated_executor(handler);
        impl->Wait(std::move(name), port, deadline, executor, Handler(std::move(handler)));
      },
      asio::use_awaitable, std::move(name), port, deadline);
  co_return result;
}

}  // namespace newshound::net
