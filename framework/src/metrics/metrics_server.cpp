#include "metrics/metrics_server.h"

#include <time.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdio>
#include <exception>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

namespace newshound::metrics {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// A scrape or a page view is a short GET: anything bigger is a client we do
// not want (431/413 are not worth the code, Beast's parse error gives 400).
constexpr std::uint32_t kHeaderLimit = 8 * 1024;
constexpr std::uint64_t kBodyLimit = 1024;
// How long a connection may take to send a request, idle keep-alive
// included, and to take a response.
constexpr auto kReadTimeout = 15s;
constexpr auto kWriteTimeout = 10s;
// Connections beyond this are closed as soon as accepted: a scraper and a
// few browser tabs need a handful; the cap keeps a misbehaving local client
// from using up the crawler's file descriptors.
constexpr std::size_t kMaxConnections = 64;
// How long and how much a closing connection still reads, see Serve.
constexpr auto kLingerTimeout = 2s;
constexpr std::size_t kMaxLingerBytes = 64 * 1024;

constexpr char kPrometheusContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// --- Listen address ---------------------------------------------------------

Status ListenError(const std::string& listen, const std::string& why) {
  return Status(ErrorCode::kInvalidArgument, "metrics listen address '" + listen + "': " + why);
}

Result<tcp::endpoint> ParseListen(const std::string& listen) {
  std::string host;
  std::string port_text;
  if (!listen.empty() && listen.front() == '[') {
    const std::size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return ListenError(listen, "expected [IPV6]:PORT");
    }
    host = listen.substr(1, close - 1);
    port_text = listen.substr(close + 2);
  } else {
    const std::size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return ListenError(listen, "expected HOST:PORT, e.g. 127.0.0.1:9464");
    host = listen.substr(0, colon);
    port_text = listen.substr(colon + 1);
    if (host.find(':') != std::string::npos) return ListenError(listen, "an IPv6 address needs brackets: [::1]:PORT");
  }
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos || std::stoul(port_text) > 65535) {
    return ListenError(listen, "port '" + port_text + "' is not a number from 0 to 65535");
  }
  const auto port = static_cast<std::uint16_t>(std::stoul(port_text));
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  const asio::ip::address address = asio::ip::make_address(host, ec);
  if (ec) return ListenError(listen, "'" + host + "' is not an IP address (nor localhost)");
  if (!address.is_loopback()) {
    return ListenError(listen,
                       "not a loopback address: the metrics endpoint has no authentication and listens on "
                       "127.0.0.1 or [::1] only (put a reverse proxy in front to expose it)");
  }
  return tcp::endpoint(address, port);
}

std::string HostText(const asio::ip::address& address) {
  return address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
}

// --- Status page --------------------------------------------------------------

void AppendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
}

std::string Escaped(std::string_view text) {
  std::string out;
  AppendEscaped(out, text);
  return out;
}

// "2024-05-01 12:34:56 UTC" (`readable`) or "2024-05-01T12:34:56.789Z".
std::string FormatTime(int64_t unix_ms, bool readable) {
  int64_t seconds = unix_ms / 1000;
  int64_t ms = unix_ms % 1000;
  if (ms < 0) {
    ms += 1000;
    --seconds;
  }
  const time_t t = static_cast<time_t>(seconds);
  struct tm tm {};
  if (gmtime_r(&t, &tm) == nullptr) return "?";
  char buffer[64];
  if (readable) {
    std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  }
  return buffer;
}

// "3 min ago", "in 12 s".
std::string Relative(int64_t unix_ms, int64_t now_ms) {
  const int64_t delta = (unix_ms - now_ms) / 1000;
  const int64_t magnitude = delta < 0 ? -delta : delta;
  std::string amount;
  if (magnitude < 120) amount = std::to_string(magnitude) + " s";
  else if (magnitude < 2 * 3600) amount = std::to_string(magnitude / 60) + " min";
  else if (magnitude < 2 * 86400) amount = std::to_string(magnitude / 3600) + " h";
  else amount = std::to_string(magnitude / 86400) + " d";
  return delta < 0 ? amount + " ago" : "in " + amount;
}

// The attributes naming a figure: data-metric="name" data-site="site".
std::string Tag(std::string_view metric, std::string_view site) {
  return " data-metric=\"" + std::string(metric) + "\" data-site=\"" + Escaped(site) + "\"";
}

std::string TimeCell(std::string_view metric, std::string_view site, const std::optional<int64_t>& unix_ms,
                     std::string_view absent, int64_t now_ms) {
  if (!unix_ms) return "<span class=\"none\"" + Tag(metric, site) + ">" + std::string(absent) + "</span>";
  return "<time" + Tag(metric, site) + " data-ms=\"" + std::to_string(*unix_ms) + "\" datetime=\"" +
         FormatTime(*unix_ms, false) + "\">" + FormatTime(*unix_ms, true) + "</time> <span class=\"rel\">(" +
         Relative(*unix_ms, now_ms) + ")</span>";
}

std::string NumberCell(std::string_view metric, std::string_view site, int64_t value, bool alert) {
  return std::string("<span class=\"num") + (alert && value > 0 ? " alert" : "") + "\"" + Tag(metric, site) + ">" +
         std::to_string(value) + "</span>";
}

constexpr char kStyle[] = R"css(
:root { color-scheme: light; --fg: #1d2329; --muted: #5f6b76; --line: #d9dee3; --ok: #1a7f37; --bad: #c0262d; --run: #0b62c4; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #f5f7f9; }
header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; margin-bottom: 20px; }
h1 { font-size: 22px; margin: 0; }
header p { margin: 0; color: var(--muted); }
a { color: var(--run); }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 16px; }
section.site { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
section.site h2 { font-size: 17px; margin: 0 0 8px; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 0; vertical-align: top; border-bottom: 1px solid #eef1f4; }
th { font-weight: 500; color: var(--muted); width: 42%; padding-right: 8px; }
tr:last-child th, tr:last-child td { border-bottom: none; }
.num { font-variant-numeric: tabular-nums; font-weight: 600; }
.alert { color: var(--bad); }
.rel, .none { color: var(--muted); }
time { white-space: nowrap; }
.result { font-weight: 600; padding: 0 6px; border-radius: 4px; }
.result.ok { color: var(--ok); background: #e6f4ea; }
.result.failed { color: var(--bad); background: #fde8e8; }
.result.running { color: var(--run); background: #e5effa; }
ol.hosts { margin: 0; padding-left: 20px; }
ol.hosts li { overflow-wrap: anywhere; }
p.empty { color: var(--muted); }
)css";

void AppendSite(std::string& out, const Registry::SiteStatus& s, int64_t now_ms) {
  const std::string site = s.site;
  out += "<section class=\"site\"" + Tag("site", site) + ">\n<h2>" + Escaped(site) + "</h2>\n<table>\n";
  auto row = [&](std::string_view label, const std::string& cell) {
    out += "<tr><th scope=\"row\">";
    out += label;
    out += "</th><td>" + cell + "</td></tr>\n";
  };
  std::string result;
  if (s.running) result = "<span class=\"result running\"" + Tag("last_run_result", site) + ">running</span>";
  else if (s.last_run_ok) {
    const char* word = *s.last_run_ok ? "ok" : "failed";
    result = std::string("<span class=\"result ") + word + "\"" + Tag("last_run_result", site) + ">" + word +
             "</span>";
  } else {
    result = "<span class=\"none\"" + Tag("last_run_result", site) + ">never run</span>";
  }
  row("Last run", "<span class=\"num\"" + Tag("run", site) + ">" + std::to_string(s.run) + "</span> " + result);
  row("Started", TimeCell("last_run_started", site, s.last_run_started_ms, "—", now_ms));
  row("Finished", TimeCell("last_run_finished", site, s.last_run_finished_ms, s.running ? "running" : "—", now_ms));
  row("Last success", TimeCell("last_success", site, s.last_success_ms, "never", now_ms));
  row("Next run", TimeCell("next_run", site, s.next_run_ms, "not scheduled", now_ms));
  row("Pages", NumberCell("pages", site, s.pages, false));
  row("Articles", NumberCell("articles", site, s.articles, false));
  row("Errors", NumberCell("errors", site, s.errors, true));
  row("Queued", NumberCell("queued", site, s.queued, false));
  std::string hosts;
  if (s.failing_hosts.empty()) {
    hosts = "<span class=\"none\"" + Tag("failing_hosts", site) + ">none</span>";
  } else {
    hosts = "<ol class=\"hosts\"" + Tag("failing_hosts", site) + ">";
    for (const auto& [host, failures] : s.failing_hosts) {
      hosts += "<li data-host=\"" + Escaped(host) + "\" data-failures=\"" + std::to_string(failures) + "\">" +
               Escaped(host) + " <span class=\"num alert\">" + std::to_string(failures) + "</span></li>";
    }
    hosts += "</ol>";
  }
  row("Failing hosts", hosts);
  out += "</table>\n</section>\n";
}

// --- HTTP -------------------------------------------------------------------

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

Response MakeResponse(const Request& request, http::status status, std::string_view content_type,
                      std::string body) {
  Response response(status, request.version() < 11 ? 10 : 11);
  response.set(http::field::server, "newshound");
  response.set(http::field::content_type, content_type);
  // Figures change all the time: never serve a stale copy.
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  const std::size_t length = body.size();
  if (request.method() != http::verb::head) response.body() = std::move(body);
  // HEAD announces the length a GET would get, without the body.
  response.content_length(length);
  return response;
}

Response Respond(const Registry& registry, const Request& request) {
  const bool get_or_head = request.method() == http::verb::get || request.method() == http::verb::head;
  std::string_view target = request.target();
  target = target.substr(0, target.find('?'));  // a query (cache buster) changes nothing
  const bool known = target == "/metrics" || target == "/healthz" || target == "/";
  if (!known) return MakeResponse(request, http::status::not_found, "text/plain; charset=utf-8", "not found\n");
  if (!get_or_head) {
    Response response = MakeResponse(request, http::status::method_not_allowed, "text/plain; charset=utf-8",
                                     "method not allowed\n");
    response.set(http::field::allow, "GET, HEAD");
    return response;
  }
  if (target == "/metrics") {
    return MakeResponse(request, http::status::ok, kPrometheusContentType, registry.PrometheusText());
  }
  if (target == "/healthz") return MakeResponse(request, http::status::ok, "text/plain; charset=utf-8", "ok\n");
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  return MakeResponse(request, http::status::ok, "text/html; charset=utf-8",
                      RenderStatusPage(registry.Snapshot(), registry.InFlight(), now_ms));
}

// A request Beast could not parse or that broke a limit: worth a 400. Not
// the client just going away.
bool IsBadRequest(const beast::error_code& ec) {
  static const boost::system::error_category& http_category =
      http::make_error_code(http::error::bad_method).category();
  return ec.category() == http_category && ec != http::error::end_of_stream && ec != http::error::partial_message;
}

void ReportException(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::warn("metrics server: connection failed: {}", e.what());
  } catch (...) {
    spdlog::warn("metrics server: connection failed");
  }
}

}  // namespace

std::string RenderStatusPage(const std::vector<Registry::SiteStatus>& sites, int64_t in_flight, int64_t now_ms) {
  std::string out;
  out.reserve(4096 + sites.size() * 3072);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta http-equiv=\"refresh\" content=\"" + std::to_string(kStatusPageRefreshSeconds) + "\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>newshound status</title>\n<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n<header>\n<h1>newshound</h1>\n";
  out += "<p>as of <time id=\"generated\" data-ms=\"" + std::to_string(now_ms) + "\" datetime=\"" +
         FormatTime(now_ms, false) + "\">" + FormatTime(now_ms, true) + "</time></p>\n";
  out += "<p><span class=\"num\" data-metric=\"in_flight\">" + std::to_string(in_flight) +
         "</span> fetches in flight</p>\n";
  out += "<p><a href=\"/metrics\">/metrics</a></p>\n</header>\n<main>\n";
  for (const Registry::SiteStatus& site : sites) AppendSite(out, site, now_ms);
  out += "</main>\n";
  if (sites.empty()) out += "<p class=\"empty\">No sites.</p>\n";
  out += "</body>\n</html>\n";
  return out;
}

struct MetricsServer::Impl {
  explicit Impl(const Registry& registry) : registry(registry), acceptor(io) {}

  asio::awaitable<void> AcceptLoop();
  asio::awaitable<void> Serve(tcp::socket socket);

  const Registry& registry;
  asio::io_context io{1};
  tcp::acceptor acceptor;
  std::string host_text;  // "127.0.0.1" or "[::1]"
  uint16_t port = 0;
  std::thread thread;
  // Serializes Stop() calls.
  std::mutex stop_mu;
  // The connections open now, so Stop can close them. Only touched on the
  // server's thread.
  std::set<beast::tcp_stream*> connections;
};

asio::awaitable<void> MetricsServer::Impl::AcceptLoop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kUseTuple);
    if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // E.g. out of file descriptors: back off rather than spin.
      asio::steady_timer timer(io, 100ms);
      co_await timer.async_wait(kUseTuple);
      continue;
    }
    if (connections.size() >= kMaxConnections) {
      beast::error_code ignored;
      socket.close(ignored);
      continue;
    }
    asio::co_spawn(io, Serve(std::move(socket)), ReportException);
  }
}

asio::awaitable<void> MetricsServer::Impl::Serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  connections.insert(&stream);
  // A constructor, not aggregate braces: GCC 12 mishandles braced
  // initializers in coroutine frames.
  class Forget {
   public:
    Forget(std::set<beast::tcp_stream*>& set, beast::tcp_stream* stream) : set_(set), stream_(stream) {}
    ~Forget() { set_.erase(stream_); }

   private:
    std::set<beast::tcp_stream*>& set_;
    beast::tcp_stream* stream_;
  };
  Forget forget(connections, &stream);

  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    stream.expires_after(kReadTimeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
    if (ec) {
      if (IsBadRequest(ec)) {
        Response response(http::status::bad_request, 11);
        response.set(http::field::content_type, "text/plain; charset=utf-8");
        response.keep_alive(false);
        response.body() = "bad request: " + ec.message() + "\n";
        response.prepare_payload();
        stream.expires_after(kWriteTimeout);
        co_await http::async_write(stream, response, kUseTuple);
      }
      break;
    }
    Response response = Respond(registry, parser.get());
    const bool keep_alive = response.keep_alive();
    stream.expires_after(kWriteTimeout);
    auto [write_ec, written] = co_await http::async_write(stream, response, kUseTuple);
    if (write_ec || !keep_alive) break;
  }
  // Lingering close: closing with unread request bytes (a refused
  // oversized head, pipelined requests after a "Connection: close") makes
  // the kernel send RST, which can destroy the last response before the
  // client read it. So send FIN and read until the client closes too, for a
  // bounded time and size.
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(kLingerTimeout);
  char scratch[4096];
  std::size_t drained = 0;
  while (drained < kMaxLingerBytes) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(scratch), kUseTuple);
    if (ec) break;
    drained += n;
  }
}

MetricsServer::MetricsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsServer::~MetricsServer() { Stop(); }

Result<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen, const Registry& registry) {
  Result<tcp::endpoint> endpoint = ParseListen(listen);
  if (!endpoint.ok()) return endpoint.status();
  auto impl = std::make_unique<Impl>(registry);
  tcp::acceptor& acceptor = impl->acceptor;
  beast::error_code ec;
  acceptor.open(endpoint->protocol(), ec);
  // A restarted crawler takes its port back despite TIME_WAIT sockets.
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec && endpoint->address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), ec);
  if (!ec) acceptor.bind(*endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) impl->port = acceptor.local_endpoint(ec).port();
  if (ec) {
    return Status(ErrorCode::kIo, "metrics server: cannot listen on " + listen + ": " + ec.message());
  }
  impl->host_text = HostText(endpoint->address());
  Impl* raw = impl.get();
  asio::co_spawn(raw->io, raw->AcceptLoop(), ReportException);
  raw->thread = std::thread([raw] {
    // Handlers do not throw (ReportException takes what a coroutine throws);
    // if one does anyway, log and go on serving rather than take the crawl
    // down.
    for (;;) {
      try {
        raw->io.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("metrics server: {}", e.what());
      }
    }
  });
  return std::unique_ptr<MetricsServer>(new MetricsServer(std::move(impl)));
}

uint16_t MetricsServer::port() const { return impl_->port; }

std::string MetricsServer::url() const {
  return "http://" + impl_->host_text + ":" + std::to_string(impl_->port) + "/";
}

void MetricsServer::Stop() {
  std::lock_guard lock(impl_->stop_mu);
  if (!impl_->thread.joinable()) return;
  Impl* impl = impl_.get();
  asio::post(impl->io, [impl] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
    // Each connection's pending read or write ends with operation_aborted
    // and its coroutine returns; then run() runs out of work.
    for (beast::tcp_stream* stream : impl->connections) stream->close();
  });
  impl->thread.join();
}

}  // namespace newshound::metrics
