#include "server.h"

#include <sys/ioctl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <algorithm>
#include <cstdio>
#include <exception>
#include <utility>

#include "compression.h"
#include "time_format.h"
#include "wire_fault.h"

namespace newshound::outlet {
namespace {

namespace beast = boost::beast;
using asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// Requests are small (GET/HEAD); a client sending more is answered with 400.
constexpr std::uint32_t kHeaderLimit = 16 * 1024;
constexpr std::uint64_t kBodyLimit = 1024 * 1024;
constexpr auto kHandshakeTimeout = 10s;
constexpr auto kCloseTimeout = 2s;
// How much a closing connection may still read from the client, see
// ServePlain.
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;
// How long a reset waits for what was written to reach the client, see
// Reset.
constexpr auto kResetFlushTimeout = 1s;
constexpr auto kResetFlushPoll = 5ms;
// A drip writes a tenth of a second's worth of bytes at a time (at least
// one, at most this many).
constexpr std::uint64_t kMaxDripPiece = 64 * 1024;

void ReportException(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "outlet-server: connection failed: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "outlet-server: connection failed\n");
  }
}

// A request Beast could not parse, which deserves a 400. Not the client just
// going away (end_of_stream, partial_message): nobody is left to answer.
bool IsMalformedRequest(const beast::error_code& ec) {
  static const boost::system::error_category& http_category =
      http::make_error_code(http::error::bad_method).category();
  return ec.category() == http_category && ec != http::error::end_of_stream &&
         ec != http::error::partial_message;
}

// Waits `delay`, if any.
asio::awaitable<void> Pause(std::chrono::milliseconds delay) {
  if (delay <= 0ms) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  co_await timer.async_wait(kUseTuple);
}

// A stalled request: reads and discards whatever the client sends, without
// a deadline, until it closes (or the server stops).
template <typename Stream>
asio::awaitable<void> Stall(Stream& stream) {
  beast::get_lowest_layer(stream).expires_never();
  char scratch[4096];
  for (;;) {
    auto [ec, n] =
        co_await stream.async_read_some(asio::buffer(scratch), kUseTuple);
    if (ec) co_return;
  }
}

// Resets the connection: SO_LINGER with a zero timeout makes close() send
// RST instead of FIN. A reset also discards whatever the kernel has not sent
// yet, so first wait (briefly) until everything written is sent and
// acknowledged: a reset-body client must get its half body before the RST.
template <typename Stream>
asio::awaitable<void> Reset(Stream& stream) {
  tcp::socket& socket = beast::get_lowest_layer(stream).socket();
  const auto give_up = std::chrono::steady_clock::now() + kResetFlushTimeout;
  for (;;) {
    int unsent = 0;  // TIOCOUTQ (SIOCOUTQ): unsent plus unacknowledged
    if (::ioctl(socket.native_handle(), TIOCOUTQ, &unsent) != 0 ||
        unsent == 0 || std::chrono::steady_clock::now() >= give_up) {
      break;
    }
    co_await Pause(kResetFlushPoll);
  }
  beast::error_code ignored;
  socket.set_option(asio::socket_base::linger(true, 0), ignored);
  socket.close(ignored);
}

// Writes `bytes` at `rate` bytes per second: a tenth of a second's worth at
// a time, the first at once, each later one when the bytes before it are
// due. Timers, not sleeps, so other connections go on meanwhile.
template <typename Stream>
asio::awaitable<bool> Drip(Stream& stream, std::string_view bytes,
                           std::uint64_t rate,
                           std::chrono::seconds io_timeout) {
  const std::uint64_t piece = std::clamp<std::uint64_t>(rate / 10, 1,
                                                        kMaxDripPiece);
  const auto start = std::chrono::steady_clock::now();
  asio::steady_timer timer(co_await asio::this_coro::executor);
  std::uint64_t sent = 0;
  while (sent < bytes.size()) {
    const std::size_t n = static_cast<std::size_t>(
        std::min<std::uint64_t>(piece, bytes.size() - sent));
    beast::get_lowest_layer(stream).expires_after(io_timeout);
    auto [ec, written] = co_await asio::async_write(
        stream, asio::buffer(bytes.data() + sent, n), kUseTuple);
    if (ec) co_return false;
    sent += n;
    if (sent == bytes.size()) break;
    timer.expires_at(
        start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(static_cast<double>(sent) /
                                                  static_cast<double>(rate))));
    co_await timer.async_wait(kUseTuple);
  }
  co_return true;
}

// Statuses whose responses have no body, and so no Content-Length either
// (RFC 9110 8.6; for 304 a length would have to be the 200's).
bool IsBodilessStatus(unsigned status) {
  return status / 100 == 1 || status == 204 || status == 304;
}

std::string EndpointText(const asio::ip::address& address, std::uint16_t port) {
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

}  // namespace

Server::Server(asio::io_context& io, ServerOptions options,
               Responder& responder, RequestLog* log, asio::ssl::context* tls)
    : io_(io),
      options_(std::move(options)),
      responder_(responder),
      log_(log),
      tls_(tls),
      http_acceptor_(io),
      https_acceptor_(io) {}

bool Server::Bind(tcp::acceptor& acceptor, std::uint16_t port,
                  std::uint16_t& bound_port, std::string& error) {
  tcp::endpoint endpoint(options_.listen_address, port);
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  // Lets a restarted server take its old port despite TIME_WAIT sockets.
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (!ec) bound_port = acceptor.local_endpoint(ec).port();
  if (ec) {
    error = "cannot listen on " +
            EndpointText(options_.listen_address, port) + ": " + ec.message();
    return false;
  }
  return true;
}

bool Server::Listen(std::string& error) {
  if (options_.serve_http &&
      !Bind(http_acceptor_, options_.http_port, http_port_, error)) {
    return false;
  }
  if (options_.serve_https) {
    if (tls_ == nullptr) {
      error = "HTTPS requested without TLS material";
      return false;
    }
    if (!Bind(https_acceptor_, options_.https_port, https_port_, error)) {
      return false;
    }
  }
  return true;
}

void Server::Start() {
  if (http_acceptor_.is_open()) {
    asio::co_spawn(io_, AcceptLoop(http_acceptor_, Scheme::kHttp),
                   ReportException);
  }
  if (https_acceptor_.is_open()) {
    asio::co_spawn(io_, AcceptLoop(https_acceptor_, Scheme::kHttps),
                   ReportException);
  }
}

void Server::Stop() {
  beast::error_code ignored;
  http_acceptor_.close(ignored);
  https_acceptor_.close(ignored);
}

asio::awaitable<void> Server::AcceptLoop(tcp::acceptor& acceptor,
                                         Scheme scheme) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kUseTuple);
    if (!acceptor.is_open() || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // E.g. out of file descriptors: back off rather than spin.
      asio::steady_timer timer(io_, 50ms);
      co_await timer.async_wait(kUseTuple);
      continue;
    }
    beast::error_code ignored;
    // Latency benchmarks must not measure Nagle's algorithm.
    socket.set_option(tcp::no_delay(true), ignored);
    std::uint64_t connection_id = next_connection_id_++;
    if (scheme == Scheme::kHttp) {
      asio::co_spawn(io_, ServePlain(std::move(socket), connection_id),
                     ReportException);
    } else {
      asio::co_spawn(io_, ServeTls(std::move(socket), connection_id),
                     ReportException);
    }
  }
}

asio::awaitable<void> Server::ServePlain(tcp::socket socket,
                                         std::uint64_t connection_id) {
  beast::tcp_stream stream(std::move(socket));
  co_await ServeRequests(stream, "http", connection_id);

  // Lingering close: closing a socket that still has unread request bytes
  // makes the kernel send RST, which can destroy our last response before
  // the client read it (the 400 for a malformed request, say). So send FIN
  // and read until the client closes too, for a bounded time and size.
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(kCloseTimeout);
  char scratch[4096];
  std::size_t drained = 0;
  while (drained < kMaxLingerBytes) {
    auto [ec, n] =
        co_await stream.async_read_some(asio::buffer(scratch), kUseTuple);
    if (ec) break;
    drained += n;
  }
}

asio::awaitable<void> Server::ServeTls(tcp::socket socket,
                                       std::uint64_t connection_id) {
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls_);
  beast::get_lowest_layer(stream).expires_after(kHandshakeTimeout);
  auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                              kUseTuple);
  // A failed handshake is what TLS tests provoke on purpose (untrusted CA,
  // wrong name); the client reports it, nothing to answer here.
  if (ec) co_return;
  co_await ServeRequests(stream, "https", connection_id);
  beast::get_lowest_layer(stream).expires_after(kCloseTimeout);
  co_await stream.async_shutdown(kUseTuple);
}

template <typename Stream>
asio::awaitable<void> Server::ServeRequests(Stream& stream,
                                            std::string_view scheme,
                                            std::uint64_t connection_id) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kHeaderLimit);
    parser.body_limit(kBodyLimit);
    beast::get_lowest_layer(stream).expires_after(options_.io_timeout);
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, kUseTuple);
    if (ec) {
      if (IsMalformedRequest(ec)) {
        Reply reply = HtmlStatusReply(http::status::bad_request,
                                      "Malformed request: " + ec.message());
        co_await SendReply(stream, std::move(reply), nullptr, scheme,
                           connection_id);
      }
      co_return;
    }
    RequestInfo info{parser.get(), scheme, connection_id};
    Reply reply = SafeRespond(info);
    bool keep_alive = false;
    switch (reply.action) {
      case Reply::Action::kRespond:
        keep_alive = co_await SendReply(stream, std::move(reply), &info,
                                        scheme, connection_id);
        break;
      case Reply::Action::kClose:
        co_await Pause(options_.delay + reply.delay);
        LogRequest(&info, 0, 0, scheme, connection_id);
        co_return;
      case Reply::Action::kStall:
        LogRequest(&info, 0, 0, scheme, connection_id);
        co_await Stall(stream);
        co_return;
      case Reply::Action::kGzipZeros:
        co_await SendGzipZeros(stream, std::move(reply), info, scheme,
                               connection_id);
        co_return;
      case Reply::Action::kReset:
        co_await Pause(options_.delay + reply.delay);
        LogRequest(&info, 0, 0, scheme, connection_id);
        co_await Reset(stream);
        co_return;
      case Reply::Action::kGenerated:
        keep_alive = co_await SendGenerated(stream, std::move(reply), info,
                                            scheme, connection_id);
        break;
    }
    if (!keep_alive) co_return;
  }
}

template <typename Stream>
asio::awaitable<bool> Server::SendReply(Stream& stream, Reply reply,
                                        const RequestInfo* request,
                                        std::string_view scheme,
                                        std::uint64_t connection_id) {
  Response& response = reply.response;
  const bool head =
      request != nullptr && request->message.method() == http::verb::head;
  const bool keep_alive = request != nullptr && request->message.keep_alive();
  FrameHead(response, request, keep_alive);
  std::uint64_t body_bytes = response.body().size();
  if (IsBodilessStatus(response.result_int())) {
    response.body().clear();
    response.erase(http::field::content_length);
    body_bytes = 0;
  } else if (head) {
    // HEAD announces the length a GET would get, without the body.
    response.content_length(body_bytes);
    response.body().clear();
    body_bytes = 0;
  } else {
    response.prepare_payload();
  }

  co_await Pause(options_.delay + reply.delay);

  if (reply.wire != Reply::Wire::kWhole) {
    // Named, not `co_return co_await`: GCC 12 mishandles the temporaries
    // of that form (see Resolver::Resolve).
    const bool go_on = co_await SendFaulty(stream, std::move(reply), head,
                                           keep_alive, request, scheme,
                                           connection_id);
    co_return go_on;
  }

  // Logged before sending, so a client holding the response can already see
  // the line.
  LogRequest(request, response.result_int(), body_bytes, scheme,
             connection_id);

  beast::get_lowest_layer(stream).expires_after(options_.io_timeout);
  auto [ec, n] = co_await http::async_write(stream, response, kUseTuple);
  co_return !ec && keep_alive;
}

template <typename Stream>
asio::awaitable<bool> Server::SendFaulty(Stream& stream, Reply reply,
                                         bool head, bool keep_alive,
                                         const RequestInfo* request,
                                         std::string_view scheme,
                                         std::uint64_t connection_id) {
  const unsigned status = reply.response.result_int();
  FaultyWire wire = MakeFaultyWire(std::move(reply.response), reply.wire, head);
  LogRequest(request, status, wire.body_bytes, scheme, connection_id);
  bool sent = false;
  if (reply.wire == Reply::Wire::kDrip) {
    sent = co_await Drip(stream, wire.bytes, reply.drip_rate,
                         options_.io_timeout);
  } else {
    beast::get_lowest_layer(stream).expires_after(options_.io_timeout);
    auto [ec, n] =
        co_await asio::async_write(stream, asio::buffer(wire.bytes), kUseTuple);
    sent = !ec;
  }
  switch (wire.end) {
    case FaultyWire::End::kKeepAlive:
      co_return sent && keep_alive;
    case FaultyWire::End::kClose:
      co_return false;
    case FaultyWire::End::kReset:
      if (sent) co_await Reset(stream);
      co_return false;
  }
  co_return false;
}

template <typename Stream>
asio::awaitable<bool> Server::SendGenerated(Stream& stream, Reply reply,
                                            const RequestInfo& request,
                                            std::string_view scheme,
                                            std::uint64_t connection_id) {
  const bool head = request.message.method() == http::verb::head;
  const bool keep_alive = request.message.keep_alive();
  Response& response = reply.response;
  FrameHead(response, &request, keep_alive);
  GeneratedBody& body = *reply.generated;
  http::response<http::empty_body> header(std::move(response.base()));
  header.content_length(body.size());

  co_await Pause(options_.delay + reply.delay);
  LogRequest(&request, header.result_int(), head ? 0 : body.size(), scheme,
             connection_id);

  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(options_.io_timeout);
  http::response_serializer<http::empty_body> serializer(header);
  if (auto [ec, n] =
          co_await http::async_write_header(stream, serializer, kUseTuple);
      ec) {
    co_return false;
  }
  if (head) co_return keep_alive;
  std::string piece;
  while (body.Next(piece)) {
    lowest.expires_after(options_.io_timeout);
    // A client that stops reading or leaves ends it here; the rest is never
    // generated.
    auto [ec, n] =
        co_await asio::async_write(stream, asio::buffer(piece), kUseTuple);
    if (ec) co_return false;
  }
  co_return keep_alive;
}

template <typename Stream>
asio::awaitable<bool> Server::SendGzipZeros(Stream& stream, Reply reply,
                                            const RequestInfo& request,
                                            std::string_view scheme,
                                            std::uint64_t connection_id) {
  Response& response = reply.response;
  const bool http10 = request.message.version() < 11;
  // The client usually gives up in the middle; nothing may follow anyway
  // when an HTTP/1.0 body ends at the close.
  FrameHead(response, &request, false);
  // The compressed length is not known before the end, so the body is
  // chunked (HTTP/1.1) or ends at the close (HTTP/1.0).
  http::response<http::empty_body> head(std::move(response.base()));
  if (!http10) head.chunked(true);

  co_await Pause(options_.delay + reply.delay);
  // Before sending, like every response; the size sent is not known yet.
  LogRequest(&request, head.result_int(), 0, scheme, connection_id);

  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_after(options_.io_timeout);
  http::response_serializer<http::empty_body> serializer(head);
  if (auto [ec, n] =
          co_await http::async_write_header(stream, serializer, kUseTuple);
      ec) {
    co_return false;
  }
  if (request.message.method() == http::verb::head) co_return false;

  GzipZeros bomb(reply.gzip_zeros);
  std::string piece;
  while (bomb.Next(piece)) {
    lowest.expires_after(options_.io_timeout);
    // A client that stops reading or leaves ends it here, which is the
    // point: the rest is never generated.
    auto [ec, n] =
        http10 ? co_await asio::async_write(stream, asio::buffer(piece),
                                            kUseTuple)
               : co_await asio::async_write(
                     stream, http::make_chunk(asio::buffer(piece)), kUseTuple);
    if (ec) co_return false;
  }
  if (!http10) {
    lowest.expires_after(options_.io_timeout);
    co_await asio::async_write(stream, http::make_chunk_last(), kUseTuple);
  }
  co_return false;
}

void Server::FrameHead(Response& response, const RequestInfo* request,
                       bool keep_alive) {
  // Answer in the request's HTTP version so keep-alive means the same thing
  // to both sides (1.0 needs an explicit "Connection: keep-alive").
  response.version(request != nullptr && request->message.version() < 11 ? 10
                                                                         : 11);
  response.keep_alive(keep_alive);
  // A scripted reply may bring its own.
  if (response.find(http::field::server) == response.end()) {
    response.set(http::field::server, "outlet-server");
  }
  if (response.find(http::field::date) == response.end()) {
    response.set(http::field::date,
                 FormatHttpDate(std::chrono::system_clock::now()));
  }
}

void Server::LogRequest(const RequestInfo* request, unsigned status,
                        std::uint64_t body_bytes, std::string_view scheme,
                        std::uint64_t connection_id) {
  if (log_ == nullptr) return;
  std::string method = "-";
  std::string_view host;
  std::string_view target = "-";
  if (request != nullptr) {
    method = std::string(request->message.method_string());
    host = request->message[http::field::host];
    target = request->message.target();
  }
  log_->Write(LogRecord{method, host, target, status, body_bytes,
                        connection_id, scheme});
}

Reply Server::SafeRespond(const RequestInfo& request) {
  try {
    return responder_.Respond(request);
  } catch (const std::exception& e) {
    return HtmlStatusReply(http::status::internal_server_error, e.what());
  } catch (...) {
    return HtmlStatusReply(http::status::internal_server_error);
  }
}

}  // namespace newshound::outlet
