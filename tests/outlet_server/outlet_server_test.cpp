// Pins outlet-server's behaviour, which every crawler integration test
// relies on: path mapping, content types and charsets, status codes,
// keep-alive and the request log, compression, scripted responses and the
// faults they inject, and HTTPS with generated certificates.
// Each test runs a real outlet-server process and talks to it with a small
// synchronous Beast client, or a raw socket where the bytes on the wire and
// how the connection ends (FIN or RST) are the point.

#include <arpa/inet.h>
#include <brotli/decode.h>
#include <netinet/in.h>
#include <openssl/x509_vfy.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "test_support.h"
#include "testcerts.h"

namespace newshound {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using asio::ip::tcp;
using Response = http::response<http::string_body>;
using namespace std::chrono_literals;

// "Arabic" (العربية) in windows-1256: bytes that are not valid UTF-8, so a
// charset mix-up would show.
constexpr char kArabicCp1256[] = "\xC7\xE1\xDA\xD1\xC8\xED\xC9";

// --- The test site ----------------------------------------------------------

struct Site {
  test::TempDir dir{"outlet-site"};
  fs::path root = dir / "root";
};

void WriteSite(const fs::path& root) {
  using test::WriteFile;
  WriteFile(root / "index.html",
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            "<title>Home</title></head><body>home</body></html>\n");
  WriteFile(root / "arabic.html",
            std::string("<html><head><META CHARSET=\"Windows-1256\">"
                        "<title>") +
                kArabicCp1256 + "</title></head><body>" + kArabicCp1256 +
                "</body></html>\n");
  WriteFile(root / "latin.html",
            "<html><head><!-- <meta charset=\"koi8-r\"> -->\n"
            "<meta http-equiv=\"Content-Type\" "
            "content=\"text/html; charset=ISO-8859-1\">\n"
            "</head><body>caf\xE9</body></html>\n");
  WriteFile(root / "plain.html", "<html><body>no declaration</body></html>\n");
  WriteFile(root / "feed.rss",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<rss version=\"2.0\"><channel><title>t</title></channel></rss>\n");
  WriteFile(root / "sitemap.xml",
            "<?xml version='1.0' encoding='windows-1256'?>\n<urlset/>\n");
  WriteFile(root / "nodecl.xml", "<urlset/>\n");
  WriteFile(root / "notes.txt", "plain text\n");
  WriteFile(root / "data.json", "{\"a\":1}\n");
  WriteFile(root / "style.css", "body{}\n");
  WriteFile(root / "app.js", "var a=1;\n");
  WriteFile(root / "img.png", std::string("\x89PNG\r\n\x1a\n\0\0", 10));
  WriteFile(root / "photo.jpg", "\xFF\xD8\xFF");
  WriteFile(root / "anim.gif", "GIF89a");
  WriteFile(root / "logo.svg", "<svg/>");
  WriteFile(root / "favicon.ico", std::string("\0\0\1\0", 4));
  WriteFile(root / "blob.bin", "\x01\x02");
  WriteFile(root / "SHOUT.PNG", "png");
  WriteFile(root / "section" / "index.html", "<html>section</html>\n");
  WriteFile(root / "section" / "story.html", "<html>story</html>\n");
  fs::create_directories(root / "empty");
  WriteFile(root / "news item.html", "<html>spaced</html>\n");
  WriteFile(root / "\xD8\xAE\xD8\xA8\xD8\xB1.html", "<html>khabar</html>\n");
  WriteFile(root / "a..b.html", "<html>dots</html>\n");
  // Outside the root: must never be reachable.
  WriteFile(root.parent_path() / "secret.txt", "secret\n");
}

test::OutletServerOptions SiteOptions(const Site& site) {
  WriteSite(site.root);
  test::OutletServerOptions options;
  options.root = site.root;
  return options;
}

// --- A small synchronous client ---------------------------------------------

// Why a TLS handshake failed, as seen by the client's verify callback.
enum class VerifyFailure { kNone, kUntrusted, kExpired, kHostMismatch, kOther };

struct RequestSpec {
  http::verb method = http::verb::get;
  std::string target = "/";
  unsigned version = 11;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string host;  // Host header; empty: the connection's host
};

class Client {
 public:
  // Plain HTTP to 127.0.0.1:port.
  explicit Client(int port) : host_("127.0.0.1") {
    plain_ = std::make_unique<beast::tcp_stream>(io_);
    plain_->connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                  static_cast<unsigned short>(port)));
  }

  // HTTPS to 127.0.0.1:port as `host` (SNI, verification, Host header),
  // trusting only `ca_file`. Check handshake_error() before use.
  Client(int port, std::string host, const fs::path& ca_file)
      : host_(std::move(host)), tls_context_(asio::ssl::context::tls_client) {
    tls_context_.load_verify_file(ca_file.string());
    tls_context_.set_verify_mode(asio::ssl::verify_peer);
    tls_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(
        io_, tls_context_);
    beast::get_lowest_layer(*tls_).connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                      static_cast<unsigned short>(port)));
    // Only an actual DNS name goes into SNI (RFC 6066).
    boost::system::error_code ec;
    asio::ip::make_address(host_, ec);
    if (ec) SSL_set_tlsext_host_name(tls_->native_handle(), host_.c_str());
    tls_->set_verify_callback(
        [this](bool preverified, asio::ssl::verify_context& ctx) {
          if (!preverified) {
            int error = X509_STORE_CTX_get_error(ctx.native_handle());
            if (verify_failure_ == VerifyFailure::kNone) {
              verify_failure_ =
                  error == X509_V_ERR_CERT_HAS_EXPIRED ? VerifyFailure::kExpired
                  : error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
                          error == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
                          error == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT
                      ? VerifyFailure::kUntrusted
                      : VerifyFailure::kOther;
            }
            return false;
          }
          bool ok = asio::ssl::host_name_verification(host_)(preverified, ctx);
          if (!ok && verify_failure_ == VerifyFailure::kNone) {
            verify_failure_ = VerifyFailure::kHostMismatch;
          }
          return ok;
        });
    tls_->handshake(asio::ssl::stream_base::client, handshake_error_);
  }

  const boost::system::error_code& handshake_error() const {
    return handshake_error_;
  }
  VerifyFailure verify_failure() const { return verify_failure_; }

  Response Send(const RequestSpec& spec) {
    http::request<http::string_body> request(spec.method, spec.target,
                                             spec.version);
    request.set(http::field::host, spec.host.empty() ? host_ : spec.host);
    for (const auto& [name, value] : spec.headers) request.set(name, value);
    http::response_parser<http::string_body> parser;
    // A response to HEAD has no body whatever Content-Length says.
    parser.skip(spec.method == http::verb::head);
    if (tls_) {
      http::write(*tls_, request);
      http::read(*tls_, buffer_, parser);
    } else {
      http::write(*plain_, request);
      http::read(*plain_, buffer_, parser);
    }
    return parser.release();
  }

  Response Get(const std::string& target) {
    RequestSpec spec;
    spec.target = target;
    return Send(spec);
  }

  // Plain connections only.
  void WriteRaw(std::string_view bytes) {
    asio::write(plain_->socket(), asio::buffer(bytes.data(), bytes.size()));
  }

  // Everything the server sends until it closes, waiting at most `timeout`
  // for each chunk; nullopt if the server keeps the connection open.
  std::optional<std::string> ReadUntilClosed(
      std::chrono::milliseconds timeout = 5s) {
    std::string data(static_cast<const char*>(buffer_.data().data()),
                     buffer_.size());
    buffer_.consume(buffer_.size());
    pollfd fd{plain_->socket().native_handle(), POLLIN, 0};
    for (;;) {
      if (::poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) {
        return std::nullopt;
      }
      char chunk[4096];
      boost::system::error_code ec;
      std::size_t n = plain_->socket().read_some(asio::buffer(chunk), ec);
      data.append(chunk, n);
      if (ec) return data;  // EOF (or reset): closed
    }
  }

 private:
  asio::io_context io_;
  std::string host_;
  asio::ssl::context tls_context_{asio::ssl::context::tls_client};
  std::unique_ptr<beast::tcp_stream> plain_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
  boost::system::error_code handshake_error_;
  VerifyFailure verify_failure_ = VerifyFailure::kNone;
};

std::string Header(const Response& response, http::field field) {
  return std::string(response[field]);
}

// "2024-05-01T12:34:56.789Z".
bool IsIsoUtcMillis(const std::string& text) {
  const std::string pattern = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (text.size() != pattern.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool ok = pattern[i] == 'd' ? (text[i] >= '0' && text[i] <= '9')
                                : text[i] == pattern[i];
    if (!ok) return false;
  }
  return true;
}

Response GetOnce(int port, const std::string& target) {
  return Client(port).Get(target);
}

// --- Content types and charsets ----------------------------------------------

TEST(OutletServer, DeclaresCharsetFromMetaCharset) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  Response response = GetOnce(server.http_port(), "/arabic.html");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(Header(response, http::field::content_type),
            "text/html; charset=windows-1256");
  EXPECT_EQ(response.body(), test::ReadFile(site.root / "arabic.html"));
}

TEST(OutletServer, DeclaresCharsetFromHttpEquivAndIgnoresComments) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  EXPECT_EQ(Header(GetOnce(server.http_port(), "/latin.html"),
                   http::field::content_type),
            "text/html; charset=iso-8859-1");
}

TEST(OutletServer, DeclaresCharsetFromXmlDeclaration) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  EXPECT_EQ(Header(GetOnce(server.http_port(), "/feed.rss"),
                   http::field::content_type),
            "application/rss+xml; charset=utf-8");
  EXPECT_EQ(Header(GetOnce(server.http_port(), "/sitemap.xml"),
                   http::field::content_type),
            "application/xml; charset=windows-1256");
  EXPECT_EQ(Header(GetOnce(server.http_port(), "/nodecl.xml"),
                   http::field::content_type),
            "application/xml");
}

TEST(OutletServer, OmitsCharsetWhenDocumentDeclaresNone) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  EXPECT_EQ(Header(GetOnce(server.http_port(), "/plain.html"),
                   http::field::content_type),
            "text/html");
}

TEST(OutletServer, NoCharsetOptionOmitsDeclaredCharset) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.no_charset = true;
  test::OutletServer server(options);
  Response arabic = GetOnce(server.http_port(), "/arabic.html");
  EXPECT_EQ(Header(arabic, http::field::content_type), "text/html");
  EXPECT_EQ(arabic.body(), test::ReadFile(site.root / "arabic.html"));
  EXPECT_EQ(Header(GetOnce(server.http_port(), "/feed.rss"),
                   http::field::content_type),
            "application/rss+xml");
  // Plain text has no in-document declaration to fall back on.
  EXPECT_EQ(Header(GetOnce(server.http_port(), "/notes.txt"),
                   http::field::content_type),
            "text/plain; charset=utf-8");
}

TEST(OutletServer, ChoosesContentTypeByExtension) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"/notes.txt", "text/plain; charset=utf-8"},
      {"/data.json", "application/json"},
      {"/style.css", "text/css"},
      {"/app.js", "text/javascript"},
      {"/img.png", "image/png"},
      {"/photo.jpg", "image/jpeg"},
      {"/anim.gif", "image/gif"},
      {"/logo.svg", "image/svg+xml"},
      {"/favicon.ico", "image/x-icon"},
      {"/blob.bin", "application/octet-stream"},
      {"/SHOUT.PNG", "image/png"},
  };
  Client client(server.http_port());
  for (const auto& [target, type] : expected) {
    Response response = client.Get(target);
    EXPECT_EQ(response.result_int(), 200) << target;
    EXPECT_EQ(Header(response, http::field::content_type), type) << target;
  }
  EXPECT_EQ(client.Get("/img.png").body(),
            test::ReadFile(site.root / "img.png"));
}

TEST(OutletServer, SendsContentLengthAndLastModified) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  // 784111777 is the RFC 9110 example date, Sun, 06 Nov 1994 08:49:37 GMT.
  timespec times[2] = {{784111777, 0}, {784111777, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (site.root / "notes.txt").c_str(), times, 0),
            0);
  test::OutletServer server(options);
  Response response = GetOnce(server.http_port(), "/notes.txt");
  EXPECT_EQ(Header(response, http::field::content_length), "11");
  EXPECT_EQ(Header(response, http::field::last_modified),
            "Sun, 06 Nov 1994 08:49:37 GMT");
}

// --- Path mapping -------------------------------------------------------------

TEST(OutletServer, MapsTrailingSlashToIndex) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  Client client(server.http_port());
  Response home = client.Get("/");
  EXPECT_EQ(home.result_int(), 200);
  EXPECT_EQ(home.body(), test::ReadFile(site.root / "index.html"));
  EXPECT_EQ(Header(home, http::field::content_type),
            "text/html; charset=utf-8");
  Response section = client.Get("/section/");
  EXPECT_EQ(section.result_int(), 200);
  EXPECT_EQ(section.body(), "<html>section</html>\n");
  // No directory listings: a directory without index.html is not found.
  EXPECT_EQ(client.Get("/empty/").result_int(), 404);
}

TEST(OutletServer, RedirectsDirectoryWithoutSlash) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  Client client(server.http_port());
  Response response = client.Get("/section");
  EXPECT_EQ(response.result_int(), 301);
  EXPECT_EQ(Header(response, http::field::location), "/section/");
  Response with_query = client.Get("/section?page=2");
  EXPECT_EQ(with_query.result_int(), 301);
  EXPECT_EQ(Header(with_query, http::field::location), "/section/?page=2");
}

TEST(OutletServer, AnswersMissingFileWith404Html) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  Response response = GetOnce(server.http_port(), "/no/such/page.html");
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(Header(response, http::field::content_type),
            "text/html; charset=utf-8");
  EXPECT_NE(response.body().find("404 Not Found"), std::string::npos);
  // A file used as a directory is missing, not an error.
  EXPECT_EQ(GetOnce(server.http_port(), "/notes.txt/x").result_int(), 404);
}

TEST(OutletServer, RejectsDotDotSegmentsWith400) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  Client client(server.http_port());
  for (const char* target :
       {"/../secret.txt", "/section/../index.html", "/%2e%2e/secret.txt",
        "/section/%2E%2E%2Fsecret.txt", "/..", "/section/.."}) {
    EXPECT_EQ(client.Get(target).result_int(), 400) << target;
  }
  // ".." inside a name is not a segment.
  EXPECT_EQ(client.Get("/a..b.html").result_int(), 200);
}

TEST(OutletServer, RejectsNulAndBadEscapesWith400) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  Client client(server.http_port());
  EXPECT_EQ(client.Get("/index.html%00.txt").result_int(), 400);
  EXPECT_EQ(client.Get("/%zz.html").result_int(), 400);
  EXPECT_EQ(client.Get("/index.html%2").result_int(), 400);
}

TEST(OutletServer, PercentDecodesPathAndIgnoresQuery) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  Client client(server.http_port());
  EXPECT_EQ(client.Get("/news%20item.html").body(), "<html>spaced</html>\n");
  EXPECT_EQ(client.Get("/%D8%AE%D8%A8%D8%B1.html").body(),
            "<html>khabar</html>\n");
  Response query = client.Get("/section/story.html?utm_source=x&page=2");
  EXPECT_EQ(query.result_int(), 200);
  EXPECT_EQ(query.body(), "<html>story</html>\n");
}

// --- Methods -------------------------------------------------------------------

TEST(OutletServer, HeadHasNoBody) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  Client client(server.http_port());
  RequestSpec head;
  head.method = http::verb::head;
  head.target = "/index.html";
  Response response = client.Send(head);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(Header(response, http::field::content_length),
            std::to_string(test::ReadFile(site.root / "index.html").size()));
  EXPECT_TRUE(response.body().empty());
  // Had the server sent a body after all, it would be read as the start of
  // the next response on this keep-alive connection.
  Response next = client.Get("/notes.txt");
  EXPECT_EQ(next.result_int(), 200);
  EXPECT_EQ(next.body(), "plain text\n");

  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].method, "HEAD");
  EXPECT_EQ(log[0].bytes, 0u);
}

TEST(OutletServer, RejectsOtherMethodsWith405) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  Client client(server.http_port());
  for (http::verb verb :
       {http::verb::post, http::verb::put, http::verb::delete_,
        http::verb::options}) {
    RequestSpec spec;
    spec.method = verb;
    spec.target = "/index.html";
    Response response = client.Send(spec);
    EXPECT_EQ(response.result_int(), 405) << http::to_string(verb);
    EXPECT_EQ(Header(response, http::field::allow), "GET, HEAD");
  }
}

// --- Connections and the log -------------------------------------------------

TEST(OutletServer, LogsEachRequestWithStatusAndBytes) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  {
    Client client(server.http_port());
    RequestSpec spec;
    spec.target = "/section/story.html?x=1";
    spec.host = "news.test";
    client.Send(spec);
    client.Get("/missing.html");
  }
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_TRUE(IsIsoUtcMillis(log[0].time)) << log[0].time;
  EXPECT_EQ(log[0].method, "GET");
  EXPECT_EQ(log[0].host, "news.test");
  EXPECT_EQ(log[0].target, "/section/story.html?x=1");
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].bytes, std::string("<html>story</html>\n").size());
  EXPECT_EQ(log[0].scheme, "http");
  EXPECT_EQ(log[1].target, "/missing.html");
  EXPECT_EQ(log[1].status, 404);
  EXPECT_GT(log[1].bytes, 0u);
}

TEST(OutletServer, KeepAliveRequestsShareConnectionId) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  {
    Client first(server.http_port());
    first.Get("/");
    first.Get("/notes.txt");
  }
  GetOnce(server.http_port(), "/");
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].conn_id, log[1].conn_id);
  EXPECT_GT(log[2].conn_id, log[1].conn_id);
}

TEST(OutletServer, ClosesConnectionWhenClientAsks) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  Client client(server.http_port());
  RequestSpec spec;
  spec.headers = {{"Connection", "close"}};
  Response response = client.Send(spec);
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(Header(response, http::field::connection), "close");
  EXPECT_TRUE(client.ReadUntilClosed().has_value());
}

TEST(OutletServer, Http10ClosesUnlessKeepAliveRequested) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  {
    Client client(server.http_port());
    RequestSpec spec;
    spec.version = 10;
    Response response = client.Send(spec);
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_EQ(response.version(), 10u);
    EXPECT_TRUE(client.ReadUntilClosed().has_value());
  }
  {
    Client client(server.http_port());
    RequestSpec spec;
    spec.version = 10;
    spec.headers = {{"Connection", "keep-alive"}};
    Response first = client.Send(spec);
    EXPECT_EQ(Header(first, http::field::connection), "keep-alive");
    Response second = client.Send(spec);
    EXPECT_EQ(second.result_int(), 200);
  }
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_NE(log[0].conn_id, log[1].conn_id);
  EXPECT_EQ(log[1].conn_id, log[2].conn_id);
}

TEST(OutletServer, AnswersMalformedRequestWith400AndKeepsServing) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  {
    Client client(server.http_port());
    client.WriteRaw("NOT HTTP AT ALL\r\n\r\n");
    std::optional<std::string> reply = client.ReadUntilClosed();
    ASSERT_TRUE(reply.has_value()) << "server kept the connection open";
    EXPECT_TRUE(reply->starts_with("HTTP/1.1 400")) << *reply;
  }
  {
    Client client(server.http_port());
    client.WriteRaw("GET / HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n");
    std::optional<std::string> reply = client.ReadUntilClosed();
    ASSERT_TRUE(reply.has_value());
    EXPECT_TRUE(reply->starts_with("HTTP/1.1 400")) << *reply;
  }
  EXPECT_EQ(GetOnce(server.http_port(), "/").result_int(), 200);
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].method, "-");
  EXPECT_EQ(log[0].status, 400);
}

TEST(OutletServer, DelaysEachResponse) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.delay_ms = 200;
  test::OutletServer server(options);
  Client client(server.http_port());
  for (int i = 0; i < 2; ++i) {
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(client.Get("/").result_int(), 200);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 200ms);
  }
}

TEST(OutletServer, AnnouncesPortsOnStdoutAndExitsZeroOnSigterm) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  EXPECT_NE(server.http_port(), 0);
  EXPECT_EQ(server.https_port(), 0);
  EXPECT_NE(server.process().Stdout().find(
                "listening http://127.0.0.1:" +
                std::to_string(server.http_port()) + "\n"),
            std::string::npos);
  test::ExitStatus status = server.Stop();
  EXPECT_TRUE(status.success()) << status.ToString();
}

TEST(OutletServer, ExitsZeroOnSigintWithOpenConnection) {
  Site site;
  test::OutletServer server(SiteOptions(site));
  Client idle(server.http_port());
  idle.Get("/");
  server.process().Kill(SIGINT);
  std::optional<test::ExitStatus> status = server.process().Wait(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->success()) << status->ToString();
}

TEST(OutletServer, FailsFastOnMissingRoot) {
  test::TempDir dir;
  test::Subprocess process({(test::BinDir() / "outlet-server").string(),
                            "--root", (dir / "nope").string()});
  std::optional<test::ExitStatus> status = process.Wait(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_FALSE(status->success());
  EXPECT_NE(process.Stderr().find("--root"), std::string::npos)
      << process.Stderr();
}

// --- Scripted responses (--respond) -----------------------------------------

std::vector<int> LoggedStatuses(const test::OutletServer& server) {
  std::vector<int> statuses;
  for (const test::OutletLogEntry& entry : server.ReadLog()) {
    statuses.push_back(entry.status);
  }
  return statuses;
}

Response GetAs(Client& client, const std::string& host,
               const std::string& target) {
  RequestSpec spec;
  spec.host = host;
  spec.target = target;
  return client.Send(spec);
}

TEST(OutletServer, RespondAnswers429WithRetryAfterThenServesFile) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/section/=429+Retry-After:2"};
  test::OutletServer server(options);
  Client client(server.http_port());
  Response limited = client.Get("/section/");
  EXPECT_EQ(limited.result_int(), 429);
  EXPECT_EQ(Header(limited, http::field::retry_after), "2");
  EXPECT_EQ(Header(limited, http::field::content_type),
            "text/html; charset=utf-8");
  EXPECT_NE(limited.body().find("429 Too Many Requests"), std::string::npos);
  // Same keep-alive connection: the script is used up, the file is served.
  Response served = client.Get("/section/");
  EXPECT_EQ(served.result_int(), 200);
  EXPECT_EQ(served.body(), "<html>section</html>\n");
  EXPECT_EQ(client.Get("/section/").result_int(), 200);

  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].target, "/section/");
  EXPECT_EQ(log[0].status, 429);
  EXPECT_EQ(log[0].bytes, limited.body().size());
  EXPECT_EQ(log[1].status, 200);
}

TEST(OutletServer, RespondRepeatsLastStepAfterEllipsis) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/notes.txt=500,503+Retry-After:1,..."};
  test::OutletServer server(options);
  Client client(server.http_port());
  EXPECT_EQ(client.Get("/notes.txt").result_int(), 500);
  for (int i = 0; i < 4; ++i) {
    Response response = client.Get("/notes.txt");
    EXPECT_EQ(response.result_int(), 503) << i;
    EXPECT_EQ(Header(response, http::field::retry_after), "1") << i;
  }
  // Other paths are not affected.
  EXPECT_EQ(client.Get("/data.json").result_int(), 200);
  EXPECT_EQ(LoggedStatuses(server),
            (std::vector<int>{500, 503, 503, 503, 503, 200}));
}

TEST(OutletServer, RespondHostScopedPatternAppliesOnlyToThatHost) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  // First matching --respond wins: b.test never reaches the second rule,
  // not even once its own script is used up.
  options.respond = {"b.test@/notes.txt=404", "/notes.txt=503"};
  test::OutletServer server(options);
  Client client(server.http_port());
  EXPECT_EQ(GetAs(client, "a.test", "/notes.txt").result_int(), 503);
  EXPECT_EQ(GetAs(client, "a.test", "/notes.txt").result_int(), 200);
  // The port and the case of the Host header do not matter.
  EXPECT_EQ(GetAs(client, "B.Test:8080", "/notes.txt").result_int(), 404);
  EXPECT_EQ(GetAs(client, "b.test", "/notes.txt").result_int(), 200);
  EXPECT_EQ(GetAs(client, "b.test", "/data.json").result_int(), 200);
}

TEST(OutletServer, RespondCountsStepsPerHost) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/notes.txt=503"};
  test::OutletServer server(options);
  Client client(server.http_port());
  EXPECT_EQ(GetAs(client, "a.test", "/notes.txt").result_int(), 503);
  EXPECT_EQ(GetAs(client, "b.test", "/notes.txt").result_int(), 503);
  EXPECT_EQ(GetAs(client, "a.test:80", "/notes.txt").result_int(), 200);
  EXPECT_EQ(GetAs(client, "b.test", "/notes.txt").result_int(), 200);
}

TEST(OutletServer, RespondPrefixPatternSharesOneCounterAndIgnoresQuery) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/section/*=500,502"};
  test::OutletServer server(options);
  Client client(server.http_port());
  EXPECT_EQ(client.Get("/section/story.html?page=2").result_int(), 500);
  EXPECT_EQ(client.Get("/section/").result_int(), 502);
  EXPECT_EQ(client.Get("/section/story.html").result_int(), 200);
  // Not under the prefix.
  EXPECT_EQ(client.Get("/section").result_int(), 301);
  EXPECT_EQ(client.Get("/index.html").result_int(), 200);
}

TEST(OutletServer, RespondCloseClosesConnectionWithoutAnswer) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/notes.txt=serve,close"};
  test::OutletServer server(options);
  {
    Client client(server.http_port());
    EXPECT_EQ(client.Get("/notes.txt").result_int(), 200);
    // Same Host as Get() sends: steps are counted per host.
    client.WriteRaw("GET /notes.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    std::optional<std::string> rest = client.ReadUntilClosed();
    ASSERT_TRUE(rest.has_value()) << "server kept the connection open";
    EXPECT_EQ(*rest, "");  // EOF, no response bytes
  }
  EXPECT_EQ(GetOnce(server.http_port(), "/notes.txt").result_int(), 200);
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[1].target, "/notes.txt");
  EXPECT_EQ(log[1].status, 0);
  EXPECT_EQ(log[1].bytes, 0u);
  EXPECT_EQ(log[1].conn_id, log[0].conn_id);
  EXPECT_EQ(log[2].status, 200);
}

TEST(OutletServer, RespondStallKeepsConnectionOpenWithoutAnswer) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/notes.txt=stall,..."};
  test::OutletServer server(options);
  Client stalled(server.http_port());
  stalled.WriteRaw("GET /notes.txt HTTP/1.1\r\nHost: x\r\n\r\n");
  // The client's read times out: no byte, no EOF.
  EXPECT_FALSE(stalled.ReadUntilClosed(700ms).has_value());
  // Other connections are served meanwhile.
  EXPECT_EQ(GetOnce(server.http_port(), "/data.json").result_int(), 200);
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].target, "/notes.txt");
  EXPECT_EQ(log[0].status, 0);
  EXPECT_EQ(log[0].bytes, 0u);
  // A client that gives up and leaves does not disturb the server; one still
  // waiting does not keep it from stopping cleanly.
  {
    Client gone(server.http_port());
    gone.WriteRaw("GET /notes.txt HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  EXPECT_EQ(GetOnce(server.http_port(), "/data.json").result_int(), 200);
  test::ExitStatus status = server.Stop();
  EXPECT_TRUE(status.success()) << status.ToString();
}

TEST(OutletServer, RespondServeThenFail) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/notes.txt=serve,500"};
  test::OutletServer server(options);
  Client client(server.http_port());
  Response first = client.Get("/notes.txt");
  EXPECT_EQ(first.result_int(), 200);
  EXPECT_EQ(first.body(), "plain text\n");
  EXPECT_EQ(client.Get("/notes.txt").result_int(), 500);
  EXPECT_EQ(client.Get("/notes.txt").result_int(), 200);
  EXPECT_EQ(LoggedStatuses(server), (std::vector<int>{200, 500, 200}));
}

TEST(OutletServer, RespondStatusStepSetsHeadersAndBody) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {
      "/old.html=301+Location:/section/",
      "/empty=204",
      "/busy=503+Retry-After:Wed\\, 21 Oct 2015 07:28:00 GMT+Link:<a>"
      "+Link:<b>,...",
  };
  test::OutletServer server(options);
  Client client(server.http_port());
  Response moved = client.Get("/old.html");
  EXPECT_EQ(moved.result_int(), 301);
  EXPECT_EQ(Header(moved, http::field::location), "/section/");

  Response empty = client.Get("/empty");
  EXPECT_EQ(empty.result_int(), 204);
  EXPECT_TRUE(empty.body().empty());
  EXPECT_EQ(empty.find(http::field::content_length), empty.end());

  RequestSpec head;
  head.method = http::verb::head;
  head.target = "/busy";
  Response busy_head = client.Send(head);
  EXPECT_EQ(busy_head.result_int(), 503);
  EXPECT_TRUE(busy_head.body().empty());
  EXPECT_EQ(Header(busy_head, http::field::retry_after),
            "Wed, 21 Oct 2015 07:28:00 GMT");
  Response busy = client.Get("/busy");
  EXPECT_EQ(busy.result_int(), 503);
  EXPECT_NE(busy.body().find("503 Service Unavailable"), std::string::npos);
  std::vector<std::string> links;
  for (const auto& field : busy) {
    if (field.name() == http::field::link) links.emplace_back(field.value());
  }
  EXPECT_EQ(links, (std::vector<std::string>{"<a>", "<b>"}));
  // The keep-alive connection survived the bodiless responses.
  EXPECT_EQ(client.Get("/notes.txt").body(), "plain text\n");
}

TEST(OutletServer, RespondRejectsBadSpecWithExit2) {
  test::TempDir dir;
  for (const char* spec :
       {"/x=abc", "/x=", "x=500", "/x=...", "/x=500,...,200", "/x=99",
        "/x=500+Content-Length:1", "/x=500+Bad Name:1", "/x*y=500",
        "/x=serve+Transfer-Encoding:chunked", "/x=serve+NoColon",
        "b.test:80@/x=500", "/x?q=500", "/x=500\\"}) {
    test::Subprocess process({(test::BinDir() / "outlet-server").string(),
                              "--root", dir.path().string(), "--respond",
                              "/fine=500", "--respond", spec});
    std::optional<test::ExitStatus> status = process.Wait(10s);
    ASSERT_TRUE(status.has_value()) << spec;
    EXPECT_TRUE(status->exited() && status->exit_code == 2)
        << spec << ": " << status->ToString();
    EXPECT_NE(process.Stderr().find(std::string("--respond '") + spec + "'"),
              std::string::npos)
        << process.Stderr();
  }
}

TEST(OutletServer, RespondServeStepAddsHeadersToTheFile) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  // --compress leaves a response alone that already has a Content-Encoding.
  options.compress = true;
  options.respond = {"/notes.txt=serve+Content-Encoding:gzip+X-Test:1"};
  test::OutletServer server(options);
  Client client(server.http_port());
  RequestSpec spec;
  spec.target = "/notes.txt";
  spec.headers = {{"Accept-Encoding", "gzip"}};
  Response labelled = client.Send(spec);
  EXPECT_EQ(labelled.result_int(), 200);
  EXPECT_EQ(labelled.body(), "plain text\n");  // the bytes on disk, as they are
  EXPECT_EQ(Header(labelled, http::field::content_encoding), "gzip");
  EXPECT_EQ(labelled["X-Test"], "1");
  EXPECT_EQ(Header(labelled, http::field::content_type),
            "text/plain; charset=utf-8");
}

// --- Compression (--compress, --codings, --bomb) ------------------------------

// window_bits as zlib takes them: 16+15 gzip, 15 zlib, -15 raw deflate.
std::optional<std::string> Inflate(std::string_view data, int window_bits) {
  z_stream z{};
  if (inflateInit2(&z, window_bits) != Z_OK) return std::nullopt;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof(buffer);
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - z.avail_out);
  }
  const bool whole = rc == Z_STREAM_END && z.avail_in == 0;
  inflateEnd(&z);
  if (!whole) return std::nullopt;
  return out;
}

std::optional<std::string> Unbrotli(std::string_view data,
                                    std::size_t max_size) {
  std::string out(max_size, '\0');
  std::size_t size = out.size();
  if (BrotliDecoderDecompress(data.size(),
                              reinterpret_cast<const uint8_t*>(data.data()),
                              &size, reinterpret_cast<uint8_t*>(out.data())) !=
      BROTLI_DECODER_RESULT_SUCCESS) {
    return std::nullopt;
  }
  out.resize(size);
  return out;
}

// The body of `response` with its Content-Encoding undone.
std::optional<std::string> DecodedBody(const Response& response) {
  const std::string coding = Header(response, http::field::content_encoding);
  if (coding.empty()) return response.body();
  if (coding == "gzip" || coding == "x-gzip") {
    return Inflate(response.body(), 31);
  }
  if (coding == "deflate") return Inflate(response.body(), 15);
  if (coding == "br") return Unbrotli(response.body(), 1 << 20);
  return std::nullopt;
}

// A page worth compressing.
void WriteArticle(const fs::path& root) {
  std::string html = "<html><head><meta charset=\"utf-8\"></head><body>\n";
  for (int i = 0; i < 300; ++i) {
    html += "<p>Paragraph " + std::to_string(i) +
            " of the article, with the usual words in it.</p>\n";
  }
  test::WriteFile(root / "article.html", html + "</body></html>\n");
}

Response GetWithAcceptEncoding(Client& client, const std::string& target,
                               const std::string& accept_encoding,
                               http::verb method = http::verb::get) {
  RequestSpec spec;
  spec.method = method;
  spec.target = target;
  if (!accept_encoding.empty()) {
    spec.headers = {{"Accept-Encoding", accept_encoding}};
  }
  return client.Send(spec);
}

test::OutletServerOptions CompressOptions(const Site& site) {
  test::OutletServerOptions options = SiteOptions(site);
  WriteArticle(site.root);
  options.compress = true;
  return options;
}

TEST(OutletServer, CompressPrefersBrThenGzipThenDeflate) {
  Site site;
  test::OutletServer server(CompressOptions(site));
  const std::string file = test::ReadFile(site.root / "article.html");
  Client client(server.http_port());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"gzip, deflate, br", "br"},
      {"deflate, gzip", "gzip"},
      {"deflate", "deflate"},
      {"x-gzip", "gzip"},
      {"GZIP", "gzip"},
  };
  for (const auto& [accept, coding] : cases) {
    Response response = GetWithAcceptEncoding(client, "/article.html", accept);
    EXPECT_EQ(response.result_int(), 200) << accept;
    EXPECT_EQ(Header(response, http::field::content_encoding), coding)
        << accept;
    EXPECT_LT(response.body().size(), file.size() / 2) << accept;
    EXPECT_EQ(DecodedBody(response), file) << accept;
  }
}

TEST(OutletServer, CompressHonoursQValuesAndQZero) {
  Site site;
  test::OutletServer server(CompressOptions(site));
  Client client(server.http_port());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"br;q=0, gzip, deflate", "gzip"},
      {"gzip;q=0.5, deflate", "deflate"},
      {"br;q=0.2, gzip;q=0.8", "gzip"},
      {"br;q=0, *", "gzip"},
      {"*;q=0.1", "br"},
      {"*;q=0", ""},
      {"gzip;q=0, deflate;q=0, br;q=0", ""},
      {"identity", ""},
      {"compress", ""},
      {"gzip;q=x", ""},  // a malformed weight: as if not listed
      {"", ""},          // no Accept-Encoding at all
  };
  for (const auto& [accept, coding] : cases) {
    Response response = GetWithAcceptEncoding(client, "/article.html", accept);
    EXPECT_EQ(Header(response, http::field::content_encoding), coding)
        << "'" << accept << "'";
    EXPECT_EQ(DecodedBody(response),
              test::ReadFile(site.root / "article.html"))
        << accept;
  }
}

TEST(OutletServer, CompressSendsVaryAndTheCompressedLength) {
  Site site;
  test::OutletServer server(CompressOptions(site));
  Client client(server.http_port());
  Response compressed = GetWithAcceptEncoding(client, "/article.html", "gzip");
  EXPECT_EQ(Header(compressed, http::field::vary), "Accept-Encoding");
  EXPECT_EQ(Header(compressed, http::field::content_length),
            std::to_string(compressed.body().size()));
  // Uncompressed, it still varies.
  Response plain = GetWithAcceptEncoding(client, "/article.html", "");
  EXPECT_EQ(Header(plain, http::field::vary), "Accept-Encoding");
  // HEAD announces what GET sends.
  Response head = GetWithAcceptEncoding(client, "/article.html", "gzip",
                                        http::verb::head);
  EXPECT_EQ(Header(head, http::field::content_encoding), "gzip");
  EXPECT_EQ(Header(head, http::field::content_length),
            std::to_string(compressed.body().size()));
  EXPECT_TRUE(head.body().empty());
  // The log counts the bytes sent.
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].bytes, compressed.body().size());
}

TEST(OutletServer, CompressCoversTextTypesOnly) {
  Site site;
  test::OutletServer server(CompressOptions(site));
  Client client(server.http_port());
  for (const char* target : {"/notes.txt", "/data.json", "/style.css",
                             "/app.js", "/feed.rss", "/sitemap.xml",
                             "/missing.html"}) {
    Response response = GetWithAcceptEncoding(client, target, "gzip");
    EXPECT_EQ(Header(response, http::field::content_encoding), "gzip")
        << target;
    ASSERT_TRUE(DecodedBody(response).has_value()) << target;
  }
  for (const char* target : {"/img.png", "/photo.jpg", "/blob.bin"}) {
    Response response = GetWithAcceptEncoding(client, target, "gzip");
    EXPECT_EQ(Header(response, http::field::content_encoding), "") << target;
    EXPECT_EQ(Header(response, http::field::vary), "") << target;
  }
  // Bodiless responses stay bodiless.
  EXPECT_EQ(Header(GetWithAcceptEncoding(client, "/section", "gzip"),
                   http::field::location),
            "/section/");
}

TEST(OutletServer, CompressIsOffByDefault) {
  Site site;
  WriteArticle(site.root);
  test::OutletServer server(SiteOptions(site));
  Client client(server.http_port());
  Response response =
      GetWithAcceptEncoding(client, "/article.html", "gzip, deflate, br");
  EXPECT_EQ(Header(response, http::field::content_encoding), "");
  EXPECT_EQ(Header(response, http::field::vary), "");
  EXPECT_EQ(response.body(), test::ReadFile(site.root / "article.html"));
}

TEST(OutletServer, CodingsChoosesOfferedCodingsAndLabels) {
  Site site;
  test::OutletServerOptions options = CompressOptions(site);
  options.codings = "deflate-raw,x-gzip";
  test::OutletServer server(options);
  const std::string file = test::ReadFile(site.root / "article.html");
  Client client(server.http_port());
  // Offered first, so it wins a tie.
  Response raw = GetWithAcceptEncoding(client, "/article.html",
                                       "gzip, deflate, br");
  EXPECT_EQ(Header(raw, http::field::content_encoding), "deflate");
  EXPECT_FALSE(Inflate(raw.body(), 15).has_value());  // no zlib wrapper
  EXPECT_EQ(Inflate(raw.body(), -15), file);
  Response gzip = GetWithAcceptEncoding(client, "/article.html", "gzip");
  EXPECT_EQ(Header(gzip, http::field::content_encoding), "x-gzip");
  EXPECT_EQ(DecodedBody(gzip), file);
  // br is not offered.
  EXPECT_EQ(Header(GetWithAcceptEncoding(client, "/article.html", "br"),
                   http::field::content_encoding),
            "");
}

TEST(OutletServer, BombStreamsAChunkedGzipOfZeros) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  // Not a whole number of MiB, so the last partial one is covered too.
  options.bomb = {"/bomb.html=3145733", "/none=0", "/kib=2KiB"};
  test::OutletServer server(options);
  Client client(server.http_port());
  // Whatever the request accepts.
  Response bomb = GetWithAcceptEncoding(client, "/bomb.html", "");
  EXPECT_EQ(bomb.result_int(), 200);
  EXPECT_EQ(Header(bomb, http::field::content_encoding), "gzip");
  EXPECT_EQ(Header(bomb, http::field::transfer_encoding), "chunked");
  EXPECT_EQ(Header(bomb, http::field::content_type),
            "text/html; charset=utf-8");
  EXPECT_LT(bomb.body().size(), 8000u);
  // Inflate checks the CRC-32 and the length in the trailer.
  std::optional<std::string> zeros = Inflate(bomb.body(), 31);
  ASSERT_TRUE(zeros.has_value());
  EXPECT_EQ(*zeros, std::string(3145733, '\0'));

  for (const auto& [target, size] :
       std::vector<std::pair<std::string, std::size_t>>{{"/none", 0},
                                                        {"/kib", 2048}}) {
    Client other(server.http_port());
    EXPECT_EQ(Inflate(other.Get(target).body(), 31), std::string(size, '\0'))
        << target;
  }
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].bytes, 0u);  // streamed; not known when logged
  // Other paths are served as usual.
  EXPECT_EQ(GetOnce(server.http_port(), "/notes.txt").body(), "plain text\n");
}

TEST(OutletServer, BombStopsWhenTheClientLeaves) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  // Far more than anyone could buffer: the server must stop generating.
  options.bomb = {"/bomb.html=1024GiB"};
  test::OutletServer server(options);
  {
    Client client(server.http_port());
    client.WriteRaw("GET /bomb.html HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  EXPECT_EQ(GetOnce(server.http_port(), "/notes.txt").body(), "plain text\n");
  test::ExitStatus status = server.Stop();
  EXPECT_TRUE(status.success()) << status.ToString();
}

TEST(OutletServer, BadCompressionOptionsExitWith2) {
  test::TempDir dir;
  const std::vector<std::vector<std::string>> cases = {
      {"--compress", "--codings", "zstd"},
      {"--compress", "--codings", "gzip,x-gzip"},
      {"--bomb", "bomb.html=1GiB"},
      {"--bomb", "/bomb.html"},
      {"--bomb", "/bomb.html=1TB"},
      {"--bomb", "/bomb.html=99999999999GiB"},
  };
  for (const auto& args : cases) {
    std::vector<std::string> argv = {
        (test::BinDir() / "outlet-server").string(), "--root",
        dir.path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    test::Subprocess process(argv);
    std::optional<test::ExitStatus> status = process.Wait(10s);
    ASSERT_TRUE(status.has_value()) << args.back();
    EXPECT_TRUE(status->exited() && status->exit_code == 2)
        << args.back() << ": " << status->ToString();
    EXPECT_NE(process.Stderr().find(args[args.size() - 2]), std::string::npos)
        << process.Stderr();
  }
}

// --- Faults on the wire (--respond reset, short, drip, ...) ----------------

// How a raw read ended.
enum class RawEnd { kEof, kReset, kTimeout, kLimit, kError };

std::ostream& operator<<(std::ostream& out, RawEnd end) {
  switch (end) {
    case RawEnd::kEof: return out << "EOF";
    case RawEnd::kReset: return out << "ECONNRESET";
    case RawEnd::kTimeout: return out << "timeout";
    case RawEnd::kLimit: return out << "limit";
    case RawEnd::kError: return out << "other error";
  }
  return out;
}

struct RawRead {
  RawEnd end = RawEnd::kTimeout;
  std::string bytes;        // what came, unless discarded
  std::uint64_t count = 0;  // how many bytes came
};

// A plain POSIX socket to 127.0.0.1, so the test sees exactly what the
// server sent and how it ended (FIN or RST), which a parser would hide.
class RawConnection {
 public:
  explicit RawConnection(int port)
      : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address),
                             sizeof address) != 0) {
      throw std::runtime_error(std::string("connect: ") +
                               std::strerror(errno));
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        throw std::runtime_error(std::string("send: ") + std::strerror(errno));
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Reads until the server closes (kEof) or resets (kReset) the connection,
  // `limit` bytes have come (kLimit) or `timeout` has passed (kTimeout).
  // Without `keep` the bytes are only counted.
  RawRead Read(std::chrono::milliseconds timeout,
               std::uint64_t limit = std::numeric_limits<std::uint64_t>::max(),
               bool keep = true) {
    RawRead result;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<char> buffer(64 * 1024);
    while (result.count < limit) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      pollfd fd{fd_, POLLIN, 0};
      if (left.count() <= 0 ||
          ::poll(&fd, 1, static_cast<int>(left.count())) == 0) {
        result.end = RawEnd::kTimeout;
        return result;
      }
      const std::size_t want = static_cast<std::size_t>(
          std::min<std::uint64_t>(buffer.size(), limit - result.count));
      ssize_t n = ::recv(fd_, buffer.data(), want, 0);
      if (n > 0) {
        if (keep) {
          result.bytes.append(buffer.data(), static_cast<std::size_t>(n));
        }
        result.count += static_cast<std::uint64_t>(n);
      } else if (n == 0) {
        result.end = RawEnd::kEof;
        return result;
      } else if (errno != EINTR) {
        result.end = errno == ECONNRESET ? RawEnd::kReset : RawEnd::kError;
        return result;
      }
    }
    result.end = RawEnd::kLimit;
    return result;
  }

 private:
  int fd_;
};

// A GET from the Host Client sends (steps are counted per host), asking the
// server to close after the response so that a whole one ends in EOF too.
std::string RawGet(const std::string& target, const std::string& extra = "") {
  return "GET " + target +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + extra +
         "\r\n";
}

RawRead Exchange(int port, const std::string& request,
                 std::chrono::milliseconds timeout = 10s) {
  RawConnection connection(port);
  connection.Send(request);
  return connection.Read(timeout);
}

// The head (through the blank line) and the body of a raw response.
std::pair<std::string, std::string> SplitResponse(const std::string& bytes) {
  std::size_t end = bytes.find("\r\n\r\n");
  if (end == std::string::npos) return {bytes, ""};
  return {bytes.substr(0, end + 4), bytes.substr(end + 4)};
}

// The value of the field `name` in a raw head; nullopt when absent.
std::optional<std::string> RawField(const std::string& head,
                                    const std::string& name) {
  auto lower = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(c));
    return text;
  };
  const std::string haystack = lower(head);
  std::size_t at = haystack.find("\r\n" + lower(name) + ":");
  if (at == std::string::npos) return std::nullopt;
  std::size_t start = at + name.size() + 3;
  std::size_t end = head.find("\r\n", start);
  std::string value = head.substr(start, end - start);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  return value;
}

std::size_t CountOf(const std::string& text, const std::string& needle) {
  std::size_t count = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

// The resident set of a process, in KiB (/proc/PID/status); 0 if unknown.
std::uint64_t ResidentKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmRSS:")) return std::stoull(line.substr(6));
  }
  return 0;
}

TEST(OutletServer, RespondResetResetsWithoutAnswering) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/notes.txt=reset"};
  test::OutletServer server(options);
  RawRead reset = Exchange(server.http_port(), RawGet("/notes.txt"));
  EXPECT_EQ(reset.end, RawEnd::kReset);
  EXPECT_EQ(reset.bytes, "");
  // The script is used up; the server goes on.
  EXPECT_EQ(GetOnce(server.http_port(), "/notes.txt").body(), "plain text\n");
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].target, "/notes.txt");
  EXPECT_EQ(log[0].status, 0);
  EXPECT_EQ(log[0].bytes, 0u);
}

TEST(OutletServer, RespondResetBodySendsHalfTheBodyThenResets) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  WriteArticle(site.root);
  options.respond = {"/article.html=reset-body"};
  test::OutletServer server(options);
  const std::string file = test::ReadFile(site.root / "article.html");
  RawRead reply = Exchange(server.http_port(), RawGet("/article.html"));
  EXPECT_EQ(reply.end, RawEnd::kReset);
  auto [head, body] = SplitResponse(reply.bytes);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_EQ(RawField(head, "Content-Length"), std::to_string(file.size()));
  EXPECT_EQ(body, file.substr(0, file.size() / 2));
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].bytes, file.size() / 2);
}

TEST(OutletServer, RespondShortSendsHalfTheBodyThenCloses) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  WriteArticle(site.root);
  options.respond = {"/article.html=short+X-Fault:short,...",
                     "/notes.txt=short"};
  test::OutletServer server(options);
  const std::string file = test::ReadFile(site.root / "article.html");
  RawRead reply = Exchange(server.http_port(), RawGet("/article.html"));
  EXPECT_EQ(reply.end, RawEnd::kEof);
  auto [head, body] = SplitResponse(reply.bytes);
  EXPECT_EQ(RawField(head, "Content-Length"), std::to_string(file.size()));
  EXPECT_EQ(RawField(head, "X-Fault"), "short");
  EXPECT_EQ(body, file.substr(0, file.size() / 2));
  // Even on a keep-alive connection, the server closes after the half.
  Client client(server.http_port());
  EXPECT_THROW(client.Get("/notes.txt"), boost::system::system_error);
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].bytes, file.size() / 2);
  EXPECT_EQ(log[1].bytes, 5u);  // of "plain text\n"
}

TEST(OutletServer, RespondDripWritesSlowlyWithoutBlockingOthers) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/notes.txt=drip", "/data.json=drip:1KiB,..."};
  test::OutletServer server(options);
  RawConnection slow(server.http_port());
  slow.Send(RawGet("/notes.txt"));
  RawRead early = slow.Read(1500ms);
  EXPECT_EQ(early.end, RawEnd::kTimeout);
  // One byte a second: the first at once, perhaps a second one.
  EXPECT_GE(early.bytes.size(), 1u);
  EXPECT_LT(early.bytes.size(), 10u);
  EXPECT_TRUE(std::string("HTTP/1.1 200 OK").starts_with(early.bytes))
      << early.bytes;

  // Meanwhile other connections are served, a faster drip among them, and
  // a dripped response is whole and keeps the connection alive.
  Client client(server.http_port());
  const auto start = std::chrono::steady_clock::now();
  Response fast = client.Get("/data.json");
  // About 250 bytes at 1 KiB/s come in three writes, the last at 0.2 s.
  EXPECT_GE(std::chrono::steady_clock::now() - start, 150ms);
  EXPECT_EQ(fast.result_int(), 200);
  EXPECT_EQ(fast.body(), "{\"a\":1}\n");
  EXPECT_EQ(client.Get("/data.json").body(), "{\"a\":1}\n");

  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 3u);
  // Logged before its first byte, with the whole body.
  EXPECT_EQ(log[0].target, "/notes.txt");
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].bytes, 11u);
  // A drip in progress does not keep the server from stopping.
  test::ExitStatus status = server.Stop();
  EXPECT_TRUE(status.success()) << status.ToString();
}

TEST(OutletServer, RespondBadChunkSendsAChunkSizeThatIsNotHex) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/notes.txt=bad-chunk,..."};
  test::OutletServer server(options);
  RawRead reply = Exchange(server.http_port(), RawGet("/notes.txt"));
  EXPECT_EQ(reply.end, RawEnd::kEof);
  auto [head, body] = SplitResponse(reply.bytes);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_EQ(RawField(head, "Transfer-Encoding"), "chunked");
  EXPECT_EQ(RawField(head, "Content-Length"), std::nullopt);
  // "plain text\n": its first half as a chunk, then "zz" for the size.
  EXPECT_EQ(body, "5\r\nplain\r\nzz\r\n text\n\r\n0\r\n\r\n");
  Client client(server.http_port());
  EXPECT_THROW(client.Get("/notes.txt"), boost::system::system_error);
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].bytes, 11u);
}

TEST(OutletServer, RespondBadHeaderSendsALineWithoutColon) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/notes.txt=bad-header,..."};
  test::OutletServer server(options);
  RawRead reply = Exchange(server.http_port(), RawGet("/notes.txt"));
  EXPECT_EQ(reply.end, RawEnd::kEof);
  auto [head, body] = SplitResponse(reply.bytes);
  EXPECT_TRUE(head.starts_with(
      "HTTP/1.1 200 OK\r\nBad header line without colon\r\n"))
      << head;
  EXPECT_EQ(RawField(head, "Content-Length"), "11");
  EXPECT_EQ(body, "plain text\n");
  Client client(server.http_port());
  EXPECT_THROW(client.Get("/notes.txt"), boost::system::system_error);
  EXPECT_EQ(LoggedStatuses(server), (std::vector<int>{200, 200}));
}

TEST(OutletServer, RespondHugeSendsExactlySizeBytesUncompressed) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.compress = true;  // and yet identity
  options.respond = {"/big.html=huge:5MiB,...",
                     "/small.bin=huge:70+Content-Type:application/x-test"};
  test::OutletServer server(options);
  RawRead reply = Exchange(server.http_port(),
                           RawGet("/big.html", "Accept-Encoding: gzip\r\n"));
  EXPECT_EQ(reply.end, RawEnd::kEof);
  auto [head, body] = SplitResponse(reply.bytes);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_EQ(RawField(head, "Content-Length"), "5242880");
  EXPECT_EQ(RawField(head, "Content-Encoding"), std::nullopt);
  EXPECT_EQ(RawField(head, "Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(body.size(), 5242880u);
  EXPECT_TRUE(body.starts_with(
      "<!DOCTYPE html><html><body>\n<p>outlet-server huge body: filler text "
      "to make it large.</p>\n"))
      << body.substr(0, 200);

  Client client(server.http_port());
  RequestSpec head_request;
  head_request.method = http::verb::head;
  head_request.target = "/big.html";
  Response announced = client.Send(head_request);
  EXPECT_EQ(Header(announced, http::field::content_length), "5242880");
  EXPECT_TRUE(announced.body().empty());
  // Cut off in the middle of the filler line; headers of the step apply.
  Response small = client.Get("/small.bin");
  EXPECT_EQ(small.body(),
            "<!DOCTYPE html><html><body>\n<p>outlet-server huge body: filler "
            "text to");
  EXPECT_EQ(small.body().size(), 70u);
  EXPECT_EQ(Header(small, http::field::content_type), "application/x-test");

  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].bytes, 5242880u);
  EXPECT_EQ(log[1].bytes, 0u);  // HEAD
  EXPECT_EQ(log[2].bytes, 70u);
}

TEST(OutletServer, RespondHugeIsGeneratedNotHeld) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/big.html=huge:1GiB"};
  test::OutletServer server(options);
  {
    RawConnection connection(server.http_port());
    connection.Send(RawGet("/big.html"));
    RawRead part = connection.Read(30s, 128 << 20, /*keep=*/false);
    ASSERT_EQ(part.end, RawEnd::kLimit);
    // Far less than the gigabyte, and less than what was sent so far.
    EXPECT_LT(ResidentKib(server.process().pid()), 96u * 1024);
  }
  // Leaving in the middle does not disturb the server.
  EXPECT_EQ(GetOnce(server.http_port(), "/notes.txt").body(), "plain text\n");
}

TEST(OutletServer, RespondTildeStartsTheScriptAgain) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/notes.txt=500,serve,~", "/data.json=503,429,reset,~"};
  test::OutletServer server(options);
  Client client(server.http_port());
  std::vector<int> statuses;
  for (int i = 0; i < 6; ++i) {
    statuses.push_back(client.Get("/notes.txt").result_int());
  }
  EXPECT_EQ(statuses, (std::vector<int>{500, 200, 500, 200, 500, 200}));
  for (int round = 0; round < 2; ++round) {
    Client other(server.http_port());
    EXPECT_EQ(other.Get("/data.json").result_int(), 503) << round;
    EXPECT_EQ(other.Get("/data.json").result_int(), 429) << round;
    EXPECT_THROW(other.Get("/data.json"), boost::system::system_error);
  }
}

TEST(OutletServer, RespondRedirectLoopWithEllipsis) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/a=302+Location:/b,...", "/b=302+Location:/a,..."};
  test::OutletServer server(options);
  Client client(server.http_port());
  std::string target = "/a";
  for (int hop = 0; hop < 8; ++hop) {
    Response response = client.Get(target);
    ASSERT_EQ(response.result_int(), 302) << hop;
    std::string next = Header(response, http::field::location);
    EXPECT_EQ(next, target == "/a" ? "/b" : "/a") << hop;
    target = next;
  }
  EXPECT_EQ(LoggedStatuses(server), std::vector<int>(8, 302));
}

TEST(OutletServer, RespondRetryAfterOn429And503OnTheWire) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {
      "/limited=429+Retry-After:120,...",
      "/down=503+Retry-After:Wed\\, 21 Oct 2015 07:28:00 GMT,..."};
  test::OutletServer server(options);
  auto [limited, limited_body] =
      SplitResponse(Exchange(server.http_port(), RawGet("/limited")).bytes);
  EXPECT_TRUE(limited.starts_with("HTTP/1.1 429 Too Many Requests\r\n"))
      << limited;
  EXPECT_NE(limited.find("\r\nRetry-After: 120\r\n"), std::string::npos)
      << limited;
  auto [down, down_body] =
      SplitResponse(Exchange(server.http_port(), RawGet("/down")).bytes);
  EXPECT_TRUE(down.starts_with("HTTP/1.1 503 Service Unavailable\r\n")) << down;
  EXPECT_NE(down.find("\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n"),
            std::string::npos)
      << down;
}

TEST(OutletServer, RespondDeepNestsDivsWithLinks) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/deep.html=deep:1000"};
  test::OutletServer server(options);
  Response page = GetOnce(server.http_port(), "/deep.html");
  EXPECT_EQ(page.result_int(), 200);
  EXPECT_EQ(Header(page, http::field::content_type),
            "text/html; charset=utf-8");
  EXPECT_EQ(Header(page, http::field::content_length),
            std::to_string(page.body().size()));
  const std::string& body = page.body();
  EXPECT_EQ(CountOf(body, "<div>"), 1000u);
  EXPECT_EQ(CountOf(body, "</div>"), 1000u);
  std::string expected =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>deep 1000"
      "</title></head><body>\n<a href=\"/deep/top.html\">top</a>\n";
  for (int i = 0; i < 1000; ++i) expected += "<div>";
  expected += "<a href=\"/deep/inner.html\">inner</a>";
  for (int i = 0; i < 1000; ++i) expected += "</div>";
  expected += "\n<a href=\"/deep/bottom.html\">bottom</a>\n</body></html>\n";
  EXPECT_EQ(body, expected);
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].bytes, expected.size());
}

TEST(OutletServer, RespondBadCharsetInsertsInvalidUtf8) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"/index.html=bad-charset", "/arabic.html=bad-charset",
                     "/notes.txt=bad-charset"};
  test::OutletServer server(options);
  const std::string invalid =
      "<p>Invalid UTF-8: [\xC3\x28] [\xFF] [\xC0\xAF] [\xED\xA0\x80] "
      "[\xE2\x82]</p>\n";
  Client client(server.http_port());
  Response home = client.Get("/index.html");
  EXPECT_EQ(Header(home, http::field::content_type),
            "text/html; charset=utf-8");
  EXPECT_EQ(home.body(),
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            "<title>Home</title></head><body>" +
                invalid + "home</body></html>\n");
  for (const char* bytes :
       {"\xC3\x28", "\xFF", "\xC0\xAF", "\xED\xA0\x80", "\xE2\x82"}) {
    EXPECT_NE(home.body().find(bytes), std::string::npos);
  }
  EXPECT_EQ(home.find(http::field::etag), home.end());
  // A page in another charset is now declared UTF-8.
  Response arabic = client.Get("/arabic.html");
  EXPECT_EQ(Header(arabic, http::field::content_type),
            "text/html; charset=utf-8");
  EXPECT_NE(arabic.body().find(std::string("<body>") + invalid + kArabicCp1256),
            std::string::npos);
  // Without a <body> tag: at the start.
  Response notes = client.Get("/notes.txt");
  EXPECT_EQ(Header(notes, http::field::content_type),
            "text/plain; charset=utf-8");
  EXPECT_EQ(notes.body(), invalid + "plain text\n");
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[2].bytes, notes.body().size());
}

TEST(OutletServer, RespondBombStepIsChosenPerPattern) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {"b.test@/notes.txt=bomb:2KiB,..."};
  test::OutletServer server(options);
  Client client(server.http_port());
  Response bomb = GetAs(client, "b.test", "/notes.txt");
  EXPECT_EQ(bomb.result_int(), 200);
  EXPECT_EQ(Header(bomb, http::field::content_encoding), "gzip");
  EXPECT_EQ(Inflate(bomb.body(), 31), std::string(2048, '\0'));
  // A bomb ends its connection. Other hosts are not affected.
  Client other(server.http_port());
  EXPECT_EQ(GetAs(other, "a.test", "/notes.txt").body(), "plain text\n");
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[0].bytes, 0u);
}

TEST(OutletServer, RespondAcceptsEveryFaultStep) {
  Site site;
  test::OutletServerOptions options = SiteOptions(site);
  options.respond = {
      "/a=reset,reset-body,short+X:1",  "/b=drip,drip:10KiB+X:1,...",
      "/c=bad-chunk,bad-header, bad-charset ,~",
      "/d=huge:0,huge:1GiB+X:1",         "/e=bomb:1KiB+X:1,deep:1+X:1",
      "b.test@/f*=close,stall,reset,~"};
  test::OutletServer server(options);
  // huge:0 is an empty body with its length.
  Response empty = GetOnce(server.http_port(), "/d");
  EXPECT_EQ(empty.result_int(), 200);
  EXPECT_EQ(Header(empty, http::field::content_length), "0");
  EXPECT_EQ(empty.body(), "");
}

TEST(OutletServer, RespondRejectsBadFaultStepsWithExit2) {
  test::TempDir dir;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/x=reset+X-A:1", "takes no +Name:Value headers"},
      {"/x=close+X-A:1", "takes no +Name:Value headers"},
      {"/x=stall+X-A:1", "takes no +Name:Value headers"},
      {"/x=drip:0", "bad rate"},
      {"/x=drip:2GiB", "bad rate"},
      {"/x=drip:fast", "bad rate"},
      {"/x=drip:", "bad rate"},
      {"/x=huge", "bad size"},
      {"/x=huge:1TB", "bad size"},
      {"/x=bomb:", "bad size"},
      {"/x=deep:0", "bad depth"},
      {"/x=deep:1000000001", "bad depth"},
      {"/x=deep:1k", "bad depth"},
      {"/x=deep", "bad depth"},
      {"/x=short:1", "takes no ':' argument"},
      {"/x=reset:1", "takes no ':' argument"},
      {"/x=~", "cannot come first"},
      {"/x=500,~,200", "'~' must be the last step"},
      {"/x=500,...,~", "'...' must be the last step"},
      {"/x=resets", "bad step 'resets'"},
      {"/x=drip:1+Content-Length:5", "set by the server"},
      {"/x=huge:1+NoColon", "lacks ':'"},
  };
  for (const auto& [spec, message] : cases) {
    test::Subprocess process({(test::BinDir() / "outlet-server").string(),
                              "--root", dir.path().string(), "--respond",
                              spec});
    std::optional<test::ExitStatus> status = process.Wait(10s);
    ASSERT_TRUE(status.has_value()) << spec;
    EXPECT_TRUE(status->exited() && status->exit_code == 2)
        << spec << ": " << status->ToString();
    EXPECT_NE(process.Stderr().find("--respond '" + spec + "': "),
              std::string::npos)
        << process.Stderr();
    EXPECT_NE(process.Stderr().find(message), std::string::npos)
        << spec << ": " << process.Stderr();
  }
}

// --- HTTPS ---------------------------------------------------------------------

test::OutletServerOptions TlsOptions(const Site& site) {
  test::OutletServerOptions options = SiteOptions(site);
  options.tls = true;
  options.tls_names = {"news.test", "www.news.test"};
  return options;
}

TEST(OutletServer, HttpsVerifiesWithGeneratedCa) {
  Site site;
  test::OutletServer server(TlsOptions(site));
  ASSERT_NE(server.https_port(), 0);
  EXPECT_NE(server.http_port(), 0);
  for (const char* host : {"news.test", "www.news.test", "127.0.0.1"}) {
    Client client(server.https_port(), host, server.ca_file());
    ASSERT_FALSE(client.handshake_error())
        << host << ": " << client.handshake_error().message();
    Response response = client.Get("/arabic.html");
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_EQ(Header(response, http::field::content_type),
              "text/html; charset=windows-1256");
  }
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[0].scheme, "https");
  EXPECT_EQ(log[0].host, "news.test");
}

TEST(OutletServer, HttpsFailsVerificationForNameNotInCert) {
  Site site;
  test::OutletServer server(TlsOptions(site));
  Client client(server.https_port(), "other.test", server.ca_file());
  EXPECT_TRUE(client.handshake_error());
  EXPECT_EQ(client.verify_failure(), VerifyFailure::kHostMismatch);
  EXPECT_TRUE(server.ReadLog().empty());
}

TEST(OutletServer, HttpsFailsVerificationWithUnknownCa) {
  Site site;
  test::OutletServer server(TlsOptions(site));
  test::TempDir other;
  test::WriteFile(other / "other-ca.pem",
                  testcerts::MakeCa("some other CA").cert);
  Client client(server.https_port(), "news.test", other / "other-ca.pem");
  EXPECT_TRUE(client.handshake_error());
  EXPECT_EQ(client.verify_failure(), VerifyFailure::kUntrusted);
}

TEST(OutletServer, HttpsOnlyWithNoHttp) {
  Site site;
  test::OutletServerOptions options = TlsOptions(site);
  options.http = false;
  test::OutletServer server(options);
  EXPECT_EQ(server.http_port(), 0);
  Client client(server.https_port(), "news.test", server.ca_file());
  ASSERT_FALSE(client.handshake_error()) << client.handshake_error().message();
  EXPECT_EQ(client.Get("/").result_int(), 200);
}

TEST(OutletServer, TlsGenerateReusesCaAndCertificate) {
  Site site;
  test::TempDir tls_dir;
  test::OutletServerOptions options = TlsOptions(site);
  options.tls_dir = tls_dir.path();
  std::string ca_pem;
  std::string server_pem;
  {
    test::OutletServer first(options);
    ca_pem = test::ReadFile(tls_dir / "ca.pem");
    server_pem = test::ReadFile(tls_dir / "server.pem");
  }
  // Clients keep the CA file of the first run.
  test::WriteFile(site.dir / "trusted-ca.pem", ca_pem);
  {
    test::OutletServer second(options);
    EXPECT_EQ(test::ReadFile(tls_dir / "ca.pem"), ca_pem);
    EXPECT_EQ(test::ReadFile(tls_dir / "server.pem"), server_pem);
    Client client(second.https_port(), "news.test",
                  site.dir / "trusted-ca.pem");
    ASSERT_FALSE(client.handshake_error())
        << client.handshake_error().message();
  }
  // A new name needs a new server certificate, from the same CA.
  options.tls_names.push_back("extra.test");
  test::OutletServer third(options);
  EXPECT_EQ(test::ReadFile(tls_dir / "ca.pem"), ca_pem);
  EXPECT_NE(test::ReadFile(tls_dir / "server.pem"), server_pem);
  Client client(third.https_port(), "extra.test", site.dir / "trusted-ca.pem");
  ASSERT_FALSE(client.handshake_error()) << client.handshake_error().message();
}

TEST(OutletServer, ServesGivenCertificateAndKey) {
  Site site;
  testcerts::Pem ca = testcerts::MakeCa("given CA");
  testcerts::Pem leaf = testcerts::IssueLeaf(ca, {"given.test"}, {});
  test::WriteFile(site.dir / "ca.pem", ca.cert);
  test::WriteFile(site.dir / "leaf.pem", leaf.cert);
  test::WriteFile(site.dir / "leaf-key.pem", leaf.key);
  test::OutletServerOptions options = SiteOptions(site);
  options.tls_cert = site.dir / "leaf.pem";
  options.tls_key = site.dir / "leaf-key.pem";
  test::OutletServer server(options);
  Client client(server.https_port(), "given.test", site.dir / "ca.pem");
  ASSERT_FALSE(client.handshake_error()) << client.handshake_error().message();
  EXPECT_EQ(client.Get("/notes.txt").body(), "plain text\n");
}

TEST(OutletServer, ExpiredCertificateFailsVerification) {
  Site site;
  auto now = std::chrono::system_clock::now();
  testcerts::Pem ca = testcerts::MakeCa("given CA");
  testcerts::Pem leaf = testcerts::IssueLeaf(ca, {"given.test"}, {},
                                             now - 48h, now - 24h);
  test::WriteFile(site.dir / "ca.pem", ca.cert);
  test::WriteFile(site.dir / "leaf.pem", leaf.cert);
  test::WriteFile(site.dir / "leaf-key.pem", leaf.key);
  test::OutletServerOptions options = SiteOptions(site);
  options.tls_cert = site.dir / "leaf.pem";
  options.tls_key = site.dir / "leaf-key.pem";
  test::OutletServer server(options);
  Client client(server.https_port(), "given.test", site.dir / "ca.pem");
  EXPECT_TRUE(client.handshake_error());
  EXPECT_EQ(client.verify_failure(), VerifyFailure::kExpired);
}

TEST(OutletServer, RespondFaultsWorkOverHttps) {
  Site site;
  test::OutletServerOptions options = TlsOptions(site);
  WriteArticle(site.root);
  options.respond = {"/article.html=short,reset-body,reset,serve"};
  test::OutletServer server(options);
  for (int i = 0; i < 3; ++i) {
    Client client(server.https_port(), "news.test", server.ca_file());
    ASSERT_FALSE(client.handshake_error()) << i;
    EXPECT_THROW(client.Get("/article.html"), boost::system::system_error)
        << i;
  }
  Client client(server.https_port(), "news.test", server.ca_file());
  EXPECT_EQ(client.Get("/article.html").body(),
            test::ReadFile(site.root / "article.html"));
  std::vector<test::OutletLogEntry> log = server.ReadLog();
  ASSERT_EQ(log.size(), 4u);
  const std::uint64_t half =
      test::ReadFile(site.root / "article.html").size() / 2;
  EXPECT_EQ(log[0].bytes, half);
  EXPECT_EQ(log[1].bytes, half);
  EXPECT_EQ(log[2].status, 0);
}

TEST(OutletServer, TlsWrongNameGetsACertificateForAnotherName) {
  Site site;
  test::OutletServerOptions options = TlsOptions(site);
  // Covered by the server certificate, and still answered with the wrong
  // one: the fault is chosen by the client's server name.
  options.tls_names = {"news.test", "wrong.test", "other-wrong.test"};
  options.extra_args = {"--tls-wrong-name", "wrong.test", "--tls-wrong-name",
                        "Other-Wrong.TEST"};
  test::OutletServer server(options);
  for (const char* host : {"wrong.test", "other-wrong.test"}) {
    Client client(server.https_port(), host, server.ca_file());
    EXPECT_TRUE(client.handshake_error()) << host;
    // The chain verified; only the name did not.
    EXPECT_EQ(client.verify_failure(), VerifyFailure::kHostMismatch) << host;
  }
  // Other names, and clients sending no SNI (IP addresses), get the right
  // certificate.
  for (const char* host : {"news.test", "127.0.0.1"}) {
    Client client(server.https_port(), host, server.ca_file());
    ASSERT_FALSE(client.handshake_error())
        << host << ": " << client.handshake_error().message();
    EXPECT_EQ(client.Get("/notes.txt").body(), "plain text\n") << host;
  }
  // The wrong certificate comes from the same CA, for another name only.
  const std::string wrong = test::ReadFile(server.tls_dir() / "wrong-name.pem");
  EXPECT_TRUE(testcerts::IsIssuedBy(wrong, test::ReadFile(server.ca_file())));
  EXPECT_EQ(testcerts::Inspect(wrong).dns_names,
            (std::vector<std::string>{"wrong-name.invalid"}));
  EXPECT_TRUE(testcerts::Inspect(wrong).ip_addrs.empty());
}

TEST(OutletServer, TlsWrongNameRejectsBadUse) {
  test::TempDir dir;
  const std::string binary = (test::BinDir() / "outlet-server").string();
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--tls-generate", (dir / "tls").string(), "--tls-wrong-name",
        "127.0.0.1"},
       "--tls-wrong-name '127.0.0.1': an IP address"},
      {{"--tls-generate", (dir / "tls").string(), "--tls-wrong-name",
        "bad name"},
       "--tls-wrong-name 'bad name': not a DNS name"},
      {{"--tls-wrong-name", "wrong.test"}, "--tls-generate"},
  };
  for (const auto& [args, message] : cases) {
    std::vector<std::string> argv = {binary, "--root", dir.path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    test::Subprocess process(argv);
    std::optional<test::ExitStatus> status = process.Wait(10s);
    ASSERT_TRUE(status.has_value()) << message;
    EXPECT_TRUE(status->exited() && status->exit_code != 0)
        << message << ": " << status->ToString();
    EXPECT_NE(process.Stderr().find(message), std::string::npos)
        << process.Stderr();
  }
}

// --- testcerts ---------------------------------------------------------------

TEST(TestCerts, IssuesLeafWithRequestedNamesAndValidity) {
  auto now = std::chrono::system_clock::now();
  testcerts::Pem ca = testcerts::MakeCa("Unit CA");
  testcerts::Pem leaf = testcerts::IssueLeaf(
      ca, {"a.test", "b.test"}, {"127.0.0.1", "::1"}, now - 1h, now + 2h);
  testcerts::CertInfo ca_info = testcerts::Inspect(ca.cert);
  EXPECT_TRUE(ca_info.is_ca);
  EXPECT_EQ(ca_info.subject_cn, "Unit CA");
  testcerts::CertInfo info = testcerts::Inspect(leaf.cert);
  EXPECT_FALSE(info.is_ca);
  EXPECT_EQ(info.subject_cn, "a.test");
  EXPECT_EQ(info.issuer_cn, "Unit CA");
  EXPECT_EQ(info.dns_names, (std::vector<std::string>{"a.test", "b.test"}));
  EXPECT_EQ(info.ip_addrs, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_LE(info.not_before, now - 1h + 1s);
  EXPECT_GE(info.not_after, now + 2h - 1s);
  EXPECT_TRUE(testcerts::IsIssuedBy(leaf.cert, ca.cert));
  EXPECT_FALSE(testcerts::IsIssuedBy(leaf.cert,
                                     testcerts::MakeCa("Unit CA").cert));
  EXPECT_TRUE(testcerts::KeyMatchesCert(leaf.cert, leaf.key));
  EXPECT_FALSE(testcerts::KeyMatchesCert(leaf.cert, ca.key));
}

TEST(TestCerts, RejectsBadInput) {
  testcerts::Pem ca = testcerts::MakeCa("Unit CA");
  EXPECT_THROW(testcerts::IssueLeaf(ca, {}, {}), std::runtime_error);
  EXPECT_THROW(testcerts::IssueLeaf(ca, {"a.test"}, {"not-an-ip"}),
               std::runtime_error);
  EXPECT_THROW(testcerts::Inspect("garbage"), std::runtime_error);
}

}  // namespace
}  // namespace newshound
