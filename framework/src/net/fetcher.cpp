#include "net/fetcher.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <algorithm>
#include <chrono>
#include <sstream>

#include "decode/content_encoding.h"
#include "net/address_guard.h"
#include "net/cookie_jar.h"
#include "net/decoding_body.h"
#include "policy/redirect_policy.h"
#include "newshound/url.h"

namespace newshound::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using asio::awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

constexpr uint64_t kMaxHeaderBytes = 64 * 1024;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// What one hop (one request on one connection) produced.
struct Exchange {
  OutcomeKind kind = OutcomeKind::kNetwork;
  FetchPhase phase = FetchPhase::kNone;
  std::string detail;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string location;
  std::string body;
  std::string remote_address;
  bool reusable = false;  // complete response, keep-alive allowed, nothing left over: back to the pool
  bool stale = false;     // the connection was found closed before any of the response arrived
  // With FetchSettings::record_exchanges, once the response head arrived:
  // the hop as on the wire (target_uri is filled in by Fetch).
  std::shared_ptr<HttpExchange> record;
};

// The read buffer of one exchange: a flat_buffer that, while `capture` is
// set, also keeps every byte the parser consumes from it. During
// async_read_header those are exactly the bytes of the response head as
// received: Beast's parser takes the head only once all of it is in the
// buffer, consumes it in one go, and stops there (eager is off). Null
// capture: a plain flat_buffer.
//
// It starts with room for kReadChunk bytes because Beast sizes each read by
// the buffer's free capacity, 512 bytes at the least: an empty flat_buffer
// (which the parser drains after every read of the body) would take a 6 KB
// page in 13 reads, each one a recvmsg and a trip through the reactor and
// the coroutine.
class CapturingBuffer {
 public:
  using const_buffers_type = beast::flat_buffer::const_buffers_type;
  using mutable_buffers_type = beast::flat_buffer::mutable_buffers_type;

  // A TLS record's worth of plaintext.
  static constexpr std::size_t kReadChunk = 16 * 1024;

  CapturingBuffer() { buffer_.reserve(kReadChunk); }

  std::size_t size() const { return buffer_.size(); }
  std::size_t max_size() const { return buffer_.max_size(); }
  std::size_t capacity() const { return buffer_.capacity(); }
  const_buffers_type data() const { return buffer_.data(); }
  const_buffers_type cdata() const { return buffer_.cdata(); }
  mutable_buffers_type prepare(std::size_t n) { return buffer_.prepare(n); }
  void commit(std::size_t n) { buffer_.commit(n); }
  void consume(std::size_t n) {
    if (capture != nullptr) {
      const auto data = buffer_.data();
      capture->append(static_cast<const char*>(data.data()), std::min(n, data.size()));
    }
    buffer_.consume(n);
  }
  // Read sizes as Beast picks them for a flat_buffer itself.
  friend std::size_t read_size_helper(CapturingBuffer& buffer, std::size_t max_size) {
    return beast::read_size(buffer.buffer_, max_size);
  }

  std::string* capture = nullptr;

 private:
  beast::flat_buffer buffer_;
};

// "1.2.3.4" of "1.2.3.4:80", "::1" of "::1:80" (Connect writes IPv6
// without brackets).
std::string IpOf(const std::string& address_and_port) {
  const size_t colon = address_and_port.rfind(':');
  return colon == std::string::npos ? address_and_port : address_and_port.substr(0, colon);
}

int64_t UnixMsNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string TlsFailureDetail(SSL* ssl, const boost::system::error_code& ec) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify != X509_V_OK) {
    std::string reason = X509_verify_cert_error_string(verify);
    switch (verify) {
      case X509_V_ERR_HOSTNAME_MISMATCH:
      case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return "certificate does not match the host name (" + reason + ")";
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return "certificate has expired (" + reason + ")";
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return "certificate is not yet valid (" + reason + ")";
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        return "certificate is signed by an unknown CA (" + reason + ")";
      default:
        return "certificate verification failed (" + reason + ")";
    }
  }
  return "TLS handshake failed: " + ec.message();
}

// RFC 4648 base64, for Proxy-Authorization: Basic (OpenSSL's encoder).
std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(n);
  return out;
}

// "host:port", with brackets for an IPv6 literal.
std::string Authority(const std::string& host, uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

class Request {
 public:
  Request(Fetcher& fetcher, const FetchSettings& settings, Clock::time_point deadline, FetchTimings& timings,
          const Validators* validators, const std::function<void()>& on_written)
      : fetcher_(fetcher),
        settings_(settings),
        deadline_(deadline),
        timings_(timings),
        validators_(validators),
        on_written_(on_written) {}

  awaitable<Exchange> Run(const UrlParts& url) {
    Exchange ex;
    // Through a proxy the target is resolved and connected to by the
    // proxy, out of the guard's sight, except when it is an IP literal.
    if (proxied()) {
      boost::system::error_code ec;
      const std::string literal = url.host.starts_with('[') ? url.host.substr(1, url.host.size() - 2) : url.host;
      const auto address = asio::ip::make_address(literal, ec);
      if (!ec && !AllowedLiteral(address, url, ex)) co_return ex;
    }
    const UrlParts dial = DialTarget(url);
    const auto pinned = PinnedAddress(settings_.resolve, dial);
    // Everything the connection is set up with: a pooled connection is only
    // reused by a request that would have opened the same one (so a proxied
    // and a direct one are never mixed).
    const std::string key = url.scheme + "://" + url.host + ":" + std::to_string(url.port) + "|" +
                            (pinned ? pinned->first + ":" + std::to_string(pinned->second) : "dns") + "|" +
                            settings_.tls.ca_file + "|" + (settings_.tls.insecure ? "insecure" : "verify") + "|" +
                            ProxyKey();
    const PoolLimits limits = PoolLimits::From(settings_.limits);
    const std::shared_ptr<ConnectionPool> pool = fetcher_.pool();
    ConnectionPool::Lease lease = co_await pool->Acquire(key, limits, deadline_);
    if (!lease.ok) {
      SetTimeout(ex, Budget{FetchPhase::kConnect, deadline_, true},
                 "waiting for a free connection to " + url.host + " (max_connections_per_origin " +
                     std::to_string(limits.max_per_origin) + ")");
      co_return ex;
    }
    // Gives the slot back whatever happens below.
    struct Slot {
      const std::shared_ptr<ConnectionPool>& pool;
      const std::string& key;
      const PoolLimits& limits;
      std::unique_ptr<Connection> conn;
      bool reusable = false;
      ~Slot() { pool->Release(key, std::move(conn), reusable, limits); }
    } slot{pool, key, limits, std::move(lease.conn)};

    for (bool retried = false;; retried = true) {
      if (!slot.conn) {
        slot.conn = co_await Open(dial, url, pinned, ex);
        if (!slot.conn) {
          if (ex.phase == FetchPhase::kResolve) NameProxy(ex);
          co_return ex;
        }
        pool->CountOpened();
      }
      ex.remote_address = slot.conn->remote_address;
      const bool reused = slot.conn->reused;
      if (slot.conn->tls) {
        co_await Exchange_(*slot.conn->tls, url, ex);
      } else {
        co_await Exchange_(*slot.conn->plain, url, ex);
      }
      if (ex.stale && reused && !retried) {
        // The server closed the idle connection as we sent on it (its
        // keep-alive timeout raced our request). Nothing of the response
        // came, and a GET may be sent again: once, on a new connection.
        pool->CountStaleRetry();
        slot.conn.reset();
        ex = Exchange{};
        continue;
      }
      break;
    }
    // Through a proxy the peer is the proxy: the origin's address is unknown.
    if (ex.record && !proxied()) ex.record->ip_address = IpOf(ex.remote_address);
    slot.reusable = ex.reusable;
    co_return ex;
  }

 private:
  // Where this request's TCP connection goes: the origin itself, or the
  // proxy that carries the request to it. Decided here only; Open resolves
  // and connects to whatever this returns.
  UrlParts DialTarget(const UrlParts& url) const {
    if (!proxied()) return url;
    UrlParts proxy;
    proxy.scheme = "http";
    proxy.host = settings_.proxy.host;
    proxy.port = settings_.proxy.port;
    proxy.target = "/";
    return proxy;
  }

  bool proxied() const { return settings_.proxy.enabled(); }

  // The proxy part of the pool key. The credentials are in it, as a tunnel
  // is authorized once, at CONNECT; the password only as a hash, so a key
  // seen in a debugger or a log does not give it away.
  std::string ProxyKey() const {
    const ProxyOptions& proxy = settings_.proxy;
    if (!proxy.enabled()) return "direct";
    return "proxy " + proxy.Address() + " " + proxy.user + " " + std::to_string(std::hash<std::string>{}(proxy.password));
  }

  // A failure to reach the proxy says so, naming it (never its credentials).
  void NameProxy(Exchange& ex) const {
    if (proxied()) ex.detail = "cannot reach proxy " + settings_.proxy.Address() + ": " + ex.detail;
  }

  template <class Message>
  void SetProxyAuthorization(Message& message) const {
    const ProxyOptions& proxy = settings_.proxy;
    if (!proxy.user.empty())
      message.set(http::field::proxy_authorization, "Basic " + Base64(proxy.user + ":" + proxy.password));
  }

  // The SSRF guard (address_guard.h) on the addresses a connection is
  // about to try: drops those that are not public unless network.allow
  // opens them, keeping the order of the rest. None left is
  // `blocked_address`, naming the first address dropped.
  bool KeepAllowed(std::vector<tcp::endpoint>& endpoints, const UrlParts& url, Exchange& ex) const {
    std::optional<std::string_view> first_range;
    std::string first_address;
    std::erase_if(endpoints, [&](const tcp::endpoint& endpoint) {
      const auto range = RefusedRange(endpoint.address(), settings_.allow);
      if (range && !first_range) {
        first_range = range;
        first_address = endpoint.address().to_string();
      }
      return range.has_value();
    });
    if (!endpoints.empty()) return true;
    ex.kind = OutcomeKind::kBlockedAddress;
    ex.phase = FetchPhase::kConnect;
    ex.detail = "refused to connect to " + (url.host == first_address ? url.host : url.host + " at " + first_address) +
                ": " + std::string(*first_range) + " address, not opened by network.allow";
    return false;
  }

  // KeepAllowed for one address. (Not a braced vector in the coroutines
  // that need it: GCC 12 mishandles initializer lists in coroutine frames.)
  bool AllowedLiteral(const asio::ip::address& address, const UrlParts& url, Exchange& ex) const {
    std::vector<tcp::endpoint> endpoints(1, tcp::endpoint(address, url.port));
    return KeepAllowed(endpoints, url, ex);
  }

  // A new connection: resolve (unless pinned), connect, TLS handshake.
  // `url` is what is resolved and connected to (DialTarget: the origin, or
  // the proxy); `origin` is the URL asked for, whose host TLS verifies.
  awaitable<std::unique_ptr<Connection>> Open(const UrlParts& url, const UrlParts& origin,
                                              const std::optional<std::pair<std::string, uint16_t>>& pinned,
                                              Exchange& ex) {
    auto executor = co_await asio::this_coro::executor;

    // Resolve, unless the config pins this host to an address.
    tcp::resolver::results_type endpoints;
    const auto resolve_start = Clock::now();
    if (pinned) {
      boost::system::error_code ec;
      auto address = asio::ip::make_address(pinned->first, ec);
      if (ec) {
        ex.kind = OutcomeKind::kDns;
        ex.phase = FetchPhase::kResolve;
        ex.detail = "network.resolve pins " + url.host + " to '" + pinned->first + "', which is not an IP address";
        co_return nullptr;
      }
      if (!AllowedLiteral(address, url, ex)) {
        NameProxy(ex);
        co_return nullptr;
      }
      endpoints = tcp::resolver::results_type::create(tcp::endpoint(address, pinned->second), url.host,
                                                       std::to_string(pinned->second));
    } else {
      // The fetcher's resolver (c-ares, cached, lookups of one name shared)
      // returns by the budget's deadline; a lookup it gives up on goes on
      // and only fills the cache.
      const Budget budget = Arm(FetchPhase::kResolve, settings_.limits.resolve_timeout);
      ResolveResult resolved = co_await fetcher_.resolver().Resolve(url.host, url.port, budget.deadline);
      if (resolved.timed_out) {
        SetTimeout(ex, budget, "resolving " + url.host, url.host);
        co_return nullptr;
      }
      if (!resolved.ok()) {
        ex.kind = OutcomeKind::kDns;
        ex.phase = FetchPhase::kResolve;
        ex.detail = std::move(resolved.error);  // "cannot resolve HOST: ..."
        co_return nullptr;
      }
      if (!KeepAllowed(resolved.endpoints, url, ex)) {
        NameProxy(ex);
        co_return nullptr;
      }
      endpoints = tcp::resolver::results_type::create(resolved.endpoints.begin(), resolved.endpoints.end(), url.host,
                                                       std::to_string(url.port));
    }
    timings_.resolve_ms = MsSince(resolve_start);

    auto conn = std::make_unique<Connection>();
    const auto connect_start = Clock::now();
    if (origin.scheme == "https") {
      std::string error;
      conn->context = fetcher_.TlsContext(settings_.tls, &error);
      if (!conn->context) {
        ex.kind = OutcomeKind::kTls;
        ex.phase = FetchPhase::kTlsHandshake;
        ex.detail = error;
        co_return nullptr;
      }
      conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, *conn->context);
      if (!co_await Connect(beast::get_lowest_layer(*conn->tls), endpoints, ex)) {
        NameProxy(ex);
        co_return nullptr;
      }
      if (proxied()) {
        if (!co_await Tunnel(beast::get_lowest_layer(*conn->tls), origin, ex)) co_return nullptr;
        timings_.connect_ms = MsSince(connect_start);  // the proxy's connect and the CONNECT exchange
      }
      if (!co_await Handshake(*conn->tls, origin, ex)) co_return nullptr;
    } else {
      conn->plain = std::make_unique<beast::tcp_stream>(executor);
      if (!co_await Connect(*conn->plain, endpoints, ex)) {
        NameProxy(ex);
        co_return nullptr;
      }
    }
    conn->remote_address = ex.remote_address;
    co_return conn;
  }

  // The time one phase (or one body read) may take: its own timeout or what
  // is left of request_timeout, whichever ends first. Which of the two binds
  // is decided here, when the deadline is set, so a timeout is charged to the
  // right phase without comparing clocks after the fact.
  struct Budget {
    FetchPhase phase = FetchPhase::kNone;
    Clock::time_point deadline;
    bool total_binds = false;  // the request deadline comes first (or at the same time)
  };

  Budget Arm(FetchPhase phase, std::chrono::milliseconds phase_timeout) const {
    const auto own = Clock::now() + phase_timeout;
    return Budget{phase, std::min(deadline_, own), deadline_ <= own};
  }

  // kTimeout charged to the phase whose budget ran out, or to kTotal, with a
  // detail that names the limit and its value so it can be tuned. `doing`
  // says what was running; `peer` is the host or address of the phase.
  void SetTimeout(Exchange& ex, const Budget& budget, const std::string& doing, const std::string& peer = "") const {
    ex.kind = OutcomeKind::kTimeout;
    const FetchLimits& limits = settings_.limits;
    auto ms = [](std::chrono::milliseconds value) { return std::to_string(value.count()) + " ms"; };
    if (budget.total_binds) {
      ex.phase = FetchPhase::kTotal;
      ex.detail = "request_timeout of " + ms(limits.request_timeout) + " ran out while " + doing;
      return;
    }
    ex.phase = budget.phase;
    switch (budget.phase) {
      case FetchPhase::kResolve:
        ex.detail = "no address for " + peer + " within resolve_timeout of " + ms(limits.resolve_timeout);
        break;
      case FetchPhase::kConnect:
        ex.detail = "no TCP connection to " + peer + " within connect_timeout of " + ms(limits.connect_timeout);
        break;
      case FetchPhase::kTlsHandshake:
        ex.detail = "no TLS handshake with " + peer + " within tls_timeout of " + ms(limits.tls_timeout);
        break;
      case FetchPhase::kHeaders:
        ex.detail = "no response headers within headers_timeout of " + ms(limits.headers_timeout);
        break;
      default:
        ex.detail = "no body bytes within body_idle_timeout of " + ms(limits.body_idle_timeout);
        break;
    }
  }

  awaitable<bool> Connect(beast::tcp_stream& stream, const tcp::resolver::results_type& endpoints, Exchange& ex) {
    const auto start = Clock::now();
    const Budget budget = Arm(FetchPhase::kConnect, settings_.limits.connect_timeout);
    stream.expires_at(budget.deadline);
    auto [ec, endpoint] = co_await stream.async_connect(endpoints, kTuple);
    if (ec) {
      const std::string target = endpoints.begin()->endpoint().address().to_string() + ":" +
                                 std::to_string(endpoints.begin()->endpoint().port());
      if (ec == beast::error::timeout) {
        SetTimeout(ex, budget, "connecting to " + target, target);
      } else {
        ex.kind = OutcomeKind::kConnect;
        ex.phase = FetchPhase::kConnect;
        ex.detail = "connect to " + target + " failed: " + ec.message();
      }
      co_return false;
    }
    ex.remote_address = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    timings_.connect_ms = MsSince(start);
    co_return true;
  }

  // Asks the proxy for a tunnel to the origin (RFC 9110 9.3.6). The tunnel
  // is this request's TCP connection to the origin, so it runs under
  // connect_timeout and any failure is `connect`. Afterwards the stream
  // carries the origin's TLS end to end; the proxy sees only host:port.
  awaitable<bool> Tunnel(beast::tcp_stream& stream, const UrlParts& origin, Exchange& ex) {
    const std::string authority = Authority(origin.host, origin.port);
    const std::string proxy = settings_.proxy.Address();
    http::request<http::empty_body> request(http::verb::connect, authority, 11);
    request.set(http::field::host, authority);
    request.set(http::field::user_agent, settings_.user_agent);
    SetProxyAuthorization(request);
    const Budget budget = Arm(FetchPhase::kConnect, settings_.limits.connect_timeout);
    stream.expires_at(budget.deadline);
    auto fail = [&](const boost::system::error_code& ec, const std::string& doing) {
      if (ec == beast::error::timeout) {
        SetTimeout(ex, budget, doing, authority + " through proxy " + proxy);
      } else {
        ex.kind = OutcomeKind::kConnect;
        ex.phase = FetchPhase::kConnect;
        ex.detail = "error " + doing + ": " + ec.message();
      }
    };
    if (auto [ec, n] = co_await http::async_write(stream, request, kTuple); ec) {
      fail(ec, "sending CONNECT " + authority + " to proxy " + proxy);
      co_return false;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::empty_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.skip(true);  // a 2xx to CONNECT has no body, whatever its headers say
    if (auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple); ec) {
      fail(ec, "reading the answer of proxy " + proxy + " to CONNECT " + authority);
      co_return false;
    }
    const int status = static_cast<int>(parser.get().result_int());
    if (status < 200 || status > 299) {
      ex.kind = OutcomeKind::kConnect;
      ex.phase = FetchPhase::kConnect;
      const std::string reason(parser.get().reason().substr(0, 200));
      ex.detail = "proxy " + proxy + " refused CONNECT " + authority + ": HTTP " + std::to_string(status) +
                  (reason.empty() ? "" : " " + reason);
      co_return false;
    }
    if (buffer.size() != 0) {
      // Would be fed to TLS as if the origin had sent it.
      ex.kind = OutcomeKind::kConnect;
      ex.phase = FetchPhase::kConnect;
      ex.detail = "proxy " + proxy + " sent " + std::to_string(buffer.size()) +
                  " unexpected bytes after accepting CONNECT " + authority;
      co_return false;
    }
    co_return true;
  }

  awaitable<bool> Handshake(beast::ssl_stream<beast::tcp_stream>& stream, const UrlParts& url, Exchange& ex) {
    const auto start = Clock::now();
    SSL* ssl = stream.native_handle();
    boost::system::error_code ip_ec;
    asio::ip::make_address(url.host, ip_ec);
    const bool is_ip = !ip_ec;
    if (!is_ip) SSL_set_tlsext_host_name(ssl, url.host.c_str());  // SNI
    if (!settings_.tls.insecure) {
      // Host name checked by OpenSSL itself, so a mismatch is reported as
      // X509_V_ERR_HOSTNAME_MISMATCH rather than a generic failure.
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(param, url.host.c_str());
      } else {
        X509_VERIFY_PARAM_set1_host(param, url.host.c_str(), url.host.size());
      }
    }
    const Budget budget = Arm(FetchPhase::kTlsHandshake, settings_.limits.tls_timeout);
    beast::get_lowest_layer(stream).expires_at(budget.deadline);
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, kTuple);
    if (ec) {
      if (ec == beast::error::timeout) {
        SetTimeout(ex, budget, "in the TLS handshake with " + url.host, url.host);
      } else {
        ex.kind = OutcomeKind::kTls;
        ex.phase = FetchPhase::kTlsHandshake;
        ex.detail = TlsFailureDetail(ssl, ec) + " for " + url.host;
      }
      co_return false;
    }
    timings_.tls_ms = MsSince(start);
    co_return true;
  }

  template <typename Stream>
  awaitable<void> Exchange_(Stream& stream, const UrlParts& url, Exchange& ex) {
    auto& lowest = beast::get_lowest_layer(stream);
    http::request<http::empty_body> request(http::verb::get, url.target, 11);
    const bool default_port = (url.scheme == "https" && url.port == 443) || (url.scheme == "http" && url.port == 80);
    std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    if (!default_port) host += ":" + std::to_string(url.port);
    request.set(http::field::host, host);
    // Through a proxy, plain http goes in absolute form (RFC 9112 3.2.2)
    // with the proxy's credentials. Requests inside a CONNECT tunnel are the
    // origin's: the credentials must never go in there.
    const bool via_proxy = proxied() && url.scheme == "http";
    if (via_proxy) {
      request.target("http://" + host + url.target);
      SetProxyAuthorization(request);
    }
    request.set(http::field::user_agent, settings_.user_agent);
    request.set(http::field::accept, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
    request.set(http::field::accept_encoding, "gzip, deflate, br");
    // Configured headers (names and values checked by the config loader);
    // set() replaces a User-Agent or Accept of ours.
    for (const auto& [name, value] : settings_.headers) request.set(name, value);
    if (settings_.cookie_jar) {
      // The jar's cookies join a configured Cookie header (one field, pairs
      // separated by "; ", RFC 6265 5.4) instead of replacing it.
      const std::string cookies = settings_.cookie_jar->CookieHeader(url, std::chrono::system_clock::now());
      if (!cookies.empty()) {
        const auto configured = request.find(http::field::cookie);
        const std::string merged =
            configured == request.end() ? cookies : std::string(configured->value()) + "; " + cookies;
        request.set(http::field::cookie, merged);
      }
    }
    if (validators_ != nullptr) {
      // Both when both are known: a server that ignores one may honour the
      // other (RFC 9110 13.1.3 has If-None-Match take precedence).
      if (!validators_->etag.empty()) request.set(http::field::if_none_match, validators_->etag);
      if (!validators_->last_modified.empty()) request.set(http::field::if_modified_since, validators_->last_modified);
    }
    // No Connection header: HTTP/1.1 keeps the connection open by default,
    // and it goes back to the pool if the response allows it.

    // Recording: the request as the serializer writes it (async_write below
    // serializes the same message the same way), the response head as the
    // parser consumes it, the body as it arrives.
    std::shared_ptr<HttpExchange> record;
    if (settings_.record_exchanges) {
      record = std::make_shared<HttpExchange>();
      std::ostringstream wire;
      wire << request;
      record->request = std::move(wire).str();
      record->request_time_ms = UnixMsNow();
    }

    // One headers_timeout covers writing the request and reading the whole
    // header block: a server that takes the request but never answers, or
    // trickles header lines, is stalled in this phase either way.
    const auto start = Clock::now();
    const Budget headers_budget = Arm(FetchPhase::kHeaders, settings_.limits.headers_timeout);
    lowest.expires_at(headers_budget.deadline);
    if (auto [ec, n] = co_await http::async_write(stream, request, kTuple); ec) {
      SetTransportError(ex, ec, headers_budget, "sending the request");
      ex.stale = IsClosedError(ec);
      co_return;
    }
    if (on_written_) on_written_();

    CapturingBuffer buffer;
    if (record) buffer.capture = &record->response_head;
    http::response_parser<DecodingBody> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(settings_.limits.max_body);
    if (auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple); ec) {
      SetTransportError(ex, ec, headers_budget, "reading the response headers");
      ex.stale = IsClosedError(ec) && !parser.got_some() && buffer.size() == 0;
      co_return;
    }
    buffer.capture = nullptr;
    timings_.headers_ms = MsSince(start);
    const auto& header = parser.get();
    ex.status = static_cast<int>(header.result_int());
    if (via_proxy && ex.status == 407) {
      // Only a proxy sends 407 (RFC 9110 15.5.8): the same outcome as a
      // refused CONNECT, so a wrong password looks alike for both schemes.
      ex.kind = OutcomeKind::kConnect;
      ex.phase = FetchPhase::kConnect;
      ex.status = 0;
      const std::string reason(header.reason().substr(0, 200));
      ex.detail = "proxy " + settings_.proxy.Address() + " refused GET " + std::string(request.target()) +
                  ": HTTP 407" + (reason.empty() ? "" : " " + reason);
      co_return;
    }
    if (record) {
      ex.record = record;
      parser.get().body().raw = &record->response_payload;
      parser.get().body().raw_limit = settings_.limits.max_body;
    }
    for (const auto& field : header) ex.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    // Stored before anything else happens, so a redirect's cookies go with
    // the next hop.
    if (settings_.cookie_jar) {
      const auto now = std::chrono::system_clock::now();
      for (const auto& field : header)
        if (field.name() == http::field::set_cookie) settings_.cookie_jar->SetCookie(url, field.value(), now);
    }
    if (auto it = header.find(http::field::location); it != header.end()) ex.location = std::string(it->value());
    if (policy::IsRedirectStatus(ex.status) && !ex.location.empty()) {
      ex.kind = OutcomeKind::kFetched;  // the caller follows it; the body is not needed
      ex.reusable = co_await DrainRedirectBody(stream, buffer, parser);
      MarkTruncated(ex, parser, "unspecified");  // a body not worth draining stays unread
      co_return;
    }

    // parser.body_limit caps the bytes as sent; the decoder caps the
    // decoded body, the one that is kept.
    std::string content_encoding;  // every Content-Encoding field, as one list
    for (const auto& field : header) {
      if (field.name() != http::field::content_encoding) continue;
      if (!content_encoding.empty()) content_encoding += ", ";
      content_encoding += std::string(field.value());
    }
    decode::ContentDecoder decoder(content_encoding, settings_.limits.max_body);
    if (decoder.failed()) {
      SetDecodeError(ex, decoder);
      MarkTruncated(ex, parser, "unspecified");  // not read at all
      co_return;
    }
    parser.get().body().decoder = &decoder;

    const auto body_start = Clock::now();
    // Body bytes that came in with the head (all of a small page, usually)
    // are parsed here, as async_read_some would, without its trip through
    // the scheduler to hand them over.
    if (buffer.size() > 0 && !parser.is_done()) {
      boost::system::error_code ec;
      buffer.consume(parser.put(buffer.data(), ec));
      if (ec && ec != http::error::need_more) {
        if (decoder.failed()) {
          SetDecodeError(ex, decoder);
          MarkTruncated(ex, parser, decoder.failure() == decode::DecodeFailure::kTooLarge ? "length" : "unspecified");
        } else {
          SetTransportError(ex, ec, Arm(FetchPhase::kBody, settings_.limits.body_idle_timeout), "reading the body");
          MarkTruncated(ex, parser, ec == http::error::body_limit ? "length" : "disconnect");  // as in the loop below
        }
        co_return;
      }
    }
    while (!parser.is_done()) {
      // Re-armed before every read: a slow body that keeps moving is only
      // bounded by request_timeout, a silent one by body_idle_timeout.
      const Budget idle_budget = Arm(FetchPhase::kBody, settings_.limits.body_idle_timeout);
      lowest.expires_at(idle_budget.deadline);
      auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, kTuple);
      if (ec == ssl::error::stream_truncated && parser.need_eof()) {
        // A server that closes without close_notify ends an EOF-delimited
        // body; anything with a known length is still checked below.
        parser.put_eof(ec);
      }
      if (ec == http::error::end_of_stream && parser.need_eof()) parser.put_eof(ec);
      if (ec && decoder.failed()) {
        SetDecodeError(ex, decoder);
        MarkTruncated(ex, parser, decoder.failure() == decode::DecodeFailure::kTooLarge ? "length" : "unspecified");
        co_return;
      }
      if (ec && !parser.is_done()) {
        SetTransportError(ex, ec, idle_budget, "reading the body");
        MarkTruncated(ex, parser,
                      ec == beast::error::timeout      ? "time"
                      : ec == http::error::body_limit ? "length"
                                                      : "disconnect");
        co_return;
      }
    }
    if (!decoder.Finish()) {
      SetDecodeError(ex, decoder);
      co_return;
    }
    timings_.body_ms = MsSince(body_start);
    ex.body = decoder.TakeOutput();
    ex.kind = OutcomeKind::kFetched;
    // parser.keep_alive() is false for a body that ended with the
    // connection; bytes past the response would be an answer nobody asked for.
    ex.reusable = parser.keep_alive() && buffer.size() == 0;
  }

  // Reads and drops the short body of a redirect so its connection can
  // carry the next hop. A long, unsized or failing one is not worth it: the
  // connection is closed instead. True when the connection may be reused.
  template <typename Stream>
  awaitable<bool> DrainRedirectBody(Stream& stream, CapturingBuffer& buffer,
                                    http::response_parser<DecodingBody>& parser) {
    constexpr uint64_t kMaxDrain = 64 * 1024;
    if (!parser.keep_alive()) co_return false;
    if (!parser.is_done()) {
      if (!parser.content_length() || *parser.content_length() > kMaxDrain) co_return false;
      decode::ContentDecoder sink("", kMaxDrain);  // identity: counts and holds the bytes, then dropped
      parser.get().body().decoder = &sink;
      while (!parser.is_done()) {
        const Budget idle_budget = Arm(FetchPhase::kBody, settings_.limits.body_idle_timeout);
        beast::get_lowest_layer(stream).expires_at(idle_budget.deadline);
        auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, kTuple);
        if (ec && !parser.is_done()) co_return false;
      }
      parser.get().body().decoder = nullptr;
    }
    co_return buffer.size() == 0;
  }

  // A recorded exchange whose body was not read to its end says so, with
  // the WARC-Truncated reason.
  static void MarkTruncated(Exchange& ex, const http::response_parser<DecodingBody>& parser, const char* reason) {
    if (!ex.record || parser.is_done()) return;
    ex.record->truncated = true;
    ex.record->truncated_reason = reason;
  }

  // The errors of a connection the server had already closed.
  static bool IsClosedError(const boost::system::error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
           ec == asio::error::broken_pipe || ec == asio::error::connection_aborted ||
           ec == ssl::error::stream_truncated;
  }

  // A body that cannot be decoded. Too large is too large whatever the
  // status (as for a raw body over max_body). Otherwise a 2xx fails: a
  // truncated compressed stream as kTruncated (the body was cut, a retry may
  // get all of it), invalid data or an unknown coding as kNetwork (a
  // protocol error, like a malformed chunk). An error status keeps its
  // outcome with an empty body: the status, not the error page, is what the
  // engine acts on (Retry-After on a 503, robots.txt on a 404).
  void SetDecodeError(Exchange& ex, const decode::ContentDecoder& decoder) {
    ex.phase = FetchPhase::kBody;
    ex.body.clear();
    if (decoder.failure() == decode::DecodeFailure::kTooLarge) {
      ex.kind = OutcomeKind::kTooLarge;
      ex.detail = "decoded body larger than max_body (" + std::to_string(settings_.limits.max_body) + " bytes)";
      return;
    }
    if (ex.status < 200 || ex.status > 299) {
      ex.kind = OutcomeKind::kFetched;
      ex.phase = FetchPhase::kNone;
      return;
    }
    switch (decoder.failure()) {
      case decode::DecodeFailure::kUnsupported:
        ex.kind = OutcomeKind::kNetwork;
        ex.detail = decoder.message();
        break;
      case decode::DecodeFailure::kTruncated:
        ex.kind = OutcomeKind::kTruncated;
        ex.detail = "body could not be decoded: " + decoder.message();
        break;
      default:
        ex.kind = OutcomeKind::kNetwork;
        ex.detail = "body could not be decoded: " + decoder.message();
        break;
    }
  }

  void SetTransportError(Exchange& ex, const boost::system::error_code& ec, const Budget& budget, const char* doing) {
    const FetchPhase phase = budget.phase;
    ex.phase = phase;
    if (ec == beast::error::timeout) {
      SetTimeout(ex, budget, doing);
    } else if (ec == http::error::body_limit) {
      ex.kind = OutcomeKind::kTooLarge;
      ex.detail = "body larger than max_body (" + std::to_string(settings_.limits.max_body) + " bytes)";
    } else if (ec == http::error::header_limit) {
      ex.kind = OutcomeKind::kTooLarge;
      ex.detail = "response headers larger than " + std::to_string(kMaxHeaderBytes) + " bytes";
    } else if (ec == http::error::partial_message || ec == ssl::error::stream_truncated ||
               (phase == FetchPhase::kBody && (ec == asio::error::eof || ec == http::error::end_of_stream ||
                                               ec == asio::error::connection_reset))) {
      ex.kind = OutcomeKind::kTruncated;
      ex.detail = std::string("connection closed before the whole body arrived (") + ec.message() + ")";
    } else {
      ex.kind = OutcomeKind::kNetwork;
      ex.detail = std::string("error ") + doing + ": " + ec.message();
    }
  }

  Fetcher& fetcher_;
  const FetchSettings& settings_;
  Clock::time_point deadline_;
  FetchTimings& timings_;
  const Validators* validators_;  // conditional GET of this hop; null: unconditional
  const std::function<void()>& on_written_;  // RequestOptions::on_written (may be empty)
};

}  // namespace

// Looks up "host:port", then "host", in the resolve map. The value is
// "address" or "address:port" ("[v6]:port" for IPv6).
std::optional<std::pair<std::string, uint16_t>> PinnedAddress(const std::map<std::string, std::string>& resolve,
                                                               const UrlParts& url) {
  auto it = resolve.find(url.host + ":" + std::to_string(url.port));
  if (it == resolve.end()) it = resolve.find(url.host);
  if (it == resolve.end()) return std::nullopt;
  std::string value = it->second;
  uint16_t port = url.port;
  std::string address = value;
  if (!value.empty() && value.front() == '[') {
    const size_t close = value.find(']');
    address = value.substr(1, close - 1);
    if (close + 1 < value.size() && value[close + 1] == ':') port = static_cast<uint16_t>(std::stoi(value.substr(close + 2)));
  } else if (std::count(value.begin(), value.end(), ':') == 1) {
    const size_t colon = value.find(':');
    address = value.substr(0, colon);
    port = static_cast<uint16_t>(std::stoi(value.substr(colon + 1)));
  }
  return std::make_pair(address, port);
}

std::shared_ptr<ssl::context> Fetcher::TlsContext(const TlsOptions& tls, std::string* error) {
  std::lock_guard<std::mutex> lock(tls_mutex_);
  auto key = std::make_pair(tls.ca_file, tls.insecure);
  if (auto it = tls_contexts_.find(key); it != tls_contexts_.end()) return it->second;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (tls.insecure) {
    context->set_verify_mode(ssl::verify_none);
  } else {
    boost::system::error_code ec;
    context->set_default_verify_paths(ec);  // the system CA store
    if (!tls.ca_file.empty()) {
      context->load_verify_file(tls.ca_file, ec);
      if (ec) {
        *error = "tls.ca_file " + tls.ca_file + ": cannot load: " + ec.message();
        return nullptr;
      }
    }
    context->set_verify_mode(ssl::verify_peer);
  }
  tls_contexts_.emplace(key, context);
  return context;
}

awaitable<FetchResult> Fetcher::Fetch(std::string url, const FetchSettings& settings, const RequestOptions& options) {
  FetchResult result;
  result.url = url;
  const auto start = Clock::now();
  const auto deadline = start + settings.limits.request_timeout;
  std::vector<std::string> hops{std::move(url)};
  for (;;) {
    const std::string& current = hops.back();
    auto parts = ParseHttpUrl(current);
    if (!parts.ok()) {
      result.kind = OutcomeKind::kRefusedScheme;
      result.detail = parts.status().message();
      break;
    }
    // Validators belong to the URL asked for, not to where it redirects.
    const Validators* validators = hops.size() == 1 && !options.validators.empty() ? &options.validators : nullptr;
    Request request(*this, settings, deadline, result.timings, validators, options.on_written);
    Exchange ex = co_await request.Run(*parts);
    if (ex.record) {
      ex.record->target_uri = current;
      result.exchanges.push_back(std::move(ex.record));
    }
    result.final_url = current;
    result.status = ex.status;
    result.remote_address = ex.remote_address;
    result.headers = std::move(ex.headers);
    result.phase = ex.phase;
    result.detail = std::move(ex.detail);
    if (ex.kind == OutcomeKind::kFetched && policy::IsRedirectStatus(ex.status) && !ex.location.empty()) {
      if (!options.follow_redirects) {
        result.kind = OutcomeKind::kFetched;
        result.redirect_location = std::move(ex.location);
        break;
      }
      auto decision = policy::DecideRedirect(hops, ex.location, settings.limits.max_redirects);
      if (!decision.follow) {
        result.kind = decision.outcome;
        result.detail = std::move(decision.detail);
        break;
      }
      result.redirect_chain.push_back(current);
      hops.push_back(std::move(decision.target));
      continue;
    }
    result.kind = ex.kind;
    if (ex.kind == OutcomeKind::kFetched) {
      result.body = std::move(ex.body);
      if (ex.status == 304 && validators != nullptr) {
        result.kind = OutcomeKind::kNotModified;
      } else if (ex.status < 200 || ex.status > 299) {
        result.kind = OutcomeKind::kHttpError;
        result.detail = "HTTP " + std::to_string(ex.status);
      }
    }
    break;
  }
  result.timings.total_ms = MsSince(start);
  co_return result;
}

}  // namespace newshound::net

namespace newshound {

std::string FetchResult::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      return value;
  }
  return "";
}

FetchResult FetchOnce(const std::string& url, const FetchSettings& settings) {
  boost::asio::io_context io;
  net::Fetcher fetcher(settings.dns);  // after `io`: destroyed first, as the Resolver requires
  FetchResult result;
  boost::asio::co_spawn(
      io, [&]() -> boost::asio::awaitable<void> { result = co_await fetcher.Fetch(url, settings); },
      boost::asio::detached);
  io.run();
  return result;
}

}  // namespace newshound
