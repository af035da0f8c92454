// outlet-server's network side: HTTP and HTTPS listeners on one io_context,
// one coroutine per accepted connection, keep-alive request loops.

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_SERVER_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_SERVER_H_

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "request_log.h"
#include "responder.h"

namespace newshound::outlet {

namespace asio = boost::asio;

struct ServerOptions {
  asio::ip::address listen_address = asio::ip::make_address_v4("127.0.0.1");
  bool serve_http = true;
  std::uint16_t http_port = 0;  // 0: pick a free port
  bool serve_https = false;
  std::uint16_t https_port = 0;
  std::chrono::milliseconds delay{0};  // before every response
  // An idle keep-alive connection (or a stuck write) is dropped after this.
  std::chrono::seconds io_timeout{30};
};

class Server {
 public:
  // `responder`, `log` (may be null) and `tls` (required when serving
  // HTTPS) must outlive the io_context's run.
  Server(asio::io_context& io, ServerOptions options, Responder& responder,
         RequestLog* log, asio::ssl::context* tls);

  // Binds and listens on the configured ports; false with `error` set when
  // a port cannot be had.
  bool Listen(std::string& error);
  // Starts accepting (after Listen).
  void Start();
  // Stops accepting; connections in flight are left to io_context shutdown.
  void Stop();

  // The bound ports, 0 for a scheme not served.
  std::uint16_t http_port() const { return http_port_; }
  std::uint16_t https_port() const { return https_port_; }

 private:
  enum class Scheme { kHttp, kHttps };

  bool Bind(asio::ip::tcp::acceptor& acceptor, std::uint16_t port,
            std::uint16_t& bound_port, std::string& error);
  asio::awaitable<void> AcceptLoop(asio::ip::tcp::acceptor& acceptor,
                                   Scheme scheme);
  asio::awaitable<void> ServePlain(asio::ip::tcp::socket socket,
                                   std::uint64_t connection_id);
  asio::awaitable<void> ServeTls(asio::ip::tcp::socket socket,
                                 std::uint64_t connection_id);
  template <typename Stream>
  asio::awaitable<void> ServeRequests(Stream& stream, std::string_view scheme,
                                      std::uint64_t connection_id);
  template <typename Stream>
  asio::awaitable<bool> SendReply(Stream& stream, Reply reply,
                                  const RequestInfo* request,
                                  std::string_view scheme,
                                  std::uint64_t connection_id);
  // Reply::Action::kGzipZeros; always ends the connection (false).
  template <typename Stream>
  asio::awaitable<bool> SendGzipZeros(Stream& stream, Reply reply,
                                      const RequestInfo& request,
                                      std::string_view scheme,
                                      std::uint64_t connection_id);
  // Reply::Wire other than kWhole, once SendReply has framed the response
  // and waited its delay. Whether the connection goes on.
  template <typename Stream>
  asio::awaitable<bool> SendFaulty(Stream& stream, Reply reply, bool head,
                                   bool keep_alive, const RequestInfo* request,
                                   std::string_view scheme,
                                   std::uint64_t connection_id);
  // Reply::Action::kGenerated. Whether the connection goes on.
  template <typename Stream>
  asio::awaitable<bool> SendGenerated(Stream& stream, Reply reply,
                                      const RequestInfo& request,
                                      std::string_view scheme,
                                      std::uint64_t connection_id);
  // The version (the request's), keep-alive, Server and Date (unless the
  // reply has them) of a response about to be sent; `request` is null for
  // an unparsable request.
  static void FrameHead(Response& response, const RequestInfo* request,
                        bool keep_alive);
  Reply SafeRespond(const RequestInfo& request);
  // Writes the request log line, if there is a log; `request` is null for
  // an unparsable request.
  void LogRequest(const RequestInfo* request, unsigned status,
                  std::uint64_t body_bytes, std::string_view scheme,
                  std::uint64_t connection_id);

  asio::io_context& io_;
  ServerOptions options_;
  Responder& responder_;
  RequestLog* log_;
  asio::ssl::context* tls_;
  asio::ip::tcp::acceptor http_acceptor_;
  asio::ip::tcp::acceptor https_acceptor_;
  std::uint16_t http_port_ = 0;
  std::uint16_t https_port_ = 0;
  std::uint64_t next_connection_id_ = 1;
};

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_SERVER_H_
