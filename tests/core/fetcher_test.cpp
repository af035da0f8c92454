// The HTTP client against real servers on 127.0.0.1: outlet-server over
// HTTP and over TLS with a CA the test generates, and raw sockets that
// misbehave on purpose.
#include <arpa/inet.h>
#include <brotli/encode.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include "net/cookie_jar.h"
#include "net/fetcher.h"
#include "newshound/fetch.h"
#include "compress.h"
#include "loopback.h"
#include "test_support.h"

namespace newshound {
namespace {

constexpr char kHost[] = "en.almaghribtoday.test";

using test::ClosedPort;
using test::SilentListener;

class FetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::WriteFile(root_.path() / "index.html", "<html><body>home</body></html>");
    test::WriteFile(root_.path() / "news" / "index.html", "<html><body>news</body></html>");
    test::WriteFile(root_.path() / "big.html", std::string(5000, 'x'));
    test::OutletServerOptions options;
    options.root = root_.path();
    options.tls = true;
    options.tls_names = {kHost};
    server_ = std::make_unique<test::OutletServer>(options);
  }

  FetchSettings Settings(bool trust_ca = true) const {
    FetchSettings settings = test::LoopbackFetchSettings();
    settings.user_agent = "newshound-test";
    if (trust_ca) settings.tls.ca_file = server_->ca_file().string();
    settings.resolve[std::string(kHost) + ":443"] = "127.0.0.1:" + std::to_string(server_->https_port());
    settings.resolve[std::string(kHost) + ":80"] = "127.0.0.1:" + std::to_string(server_->http_port());
    settings.resolve["wrong.test:443"] = "127.0.0.1:" + std::to_string(server_->https_port());
    return settings;
  }

  test::TempDir root_;
  std::unique_ptr<test::OutletServer> server_;
};

TEST_F(FetcherTest, Https_ValidChainFromGeneratedCaIsFetched) {
  FetchResult result = FetchOnce(std::string("https://") + kHost + "/", Settings());
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "<html><body>home</body></html>");
  EXPECT_EQ(result.final_url, std::string("https://") + kHost + "/");
  EXPECT_EQ(result.remote_address, "127.0.0.1:" + std::to_string(server_->https_port()));
  EXPECT_NE(result.Header("content-type").find("text/html"), std::string::npos);
  EXPECT_GE(result.timings.tls_ms, 0);
  // The server saw the real host name, as SNI and in Host.
  auto log = server_->ReadLog();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].host, kHost);
  EXPECT_EQ(log[0].scheme, "https");
}

TEST_F(FetcherTest, Https_UnknownCaFailsWithReason) {
  FetchResult result = FetchOnce(std::string("https://") + kHost + "/", Settings(/*trust_ca=*/false));
  EXPECT_EQ(result.kind, OutcomeKind::kTls);
  EXPECT_NE(result.detail.find("unknown CA"), std::string::npos) << result.detail;
  EXPECT_TRUE(server_->ReadLog().empty());  // no request was sent
}

TEST_F(FetcherTest, Https_WrongHostNameFailsWithReason) {
  FetchResult result = FetchOnce("https://wrong.test/", Settings());
  EXPECT_EQ(result.kind, OutcomeKind::kTls);
  EXPECT_NE(result.detail.find("does not match the host name"), std::string::npos) << result.detail;
}

TEST_F(FetcherTest, Https_InsecureSkipsVerificationOnlyWhenAsked) {
  FetchSettings settings = Settings(/*trust_ca=*/false);
  settings.tls.insecure = true;
  FetchResult result = FetchOnce("https://wrong.test/", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
}

TEST_F(FetcherTest, Https_UnreadableCaFileIsAnError) {
  FetchSettings settings = Settings();
  settings.tls.ca_file = (root_.path() / "missing-ca.pem").string();
  FetchResult result = FetchOnce(std::string("https://") + kHost + "/", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTls);
  EXPECT_NE(result.detail.find("missing-ca.pem"), std::string::npos) << result.detail;
}

TEST_F(FetcherTest, Http_NotFoundIsAnHttpErrorWithItsStatus) {
  FetchResult result = FetchOnce(std::string("http://") + kHost + "/nope.html", Settings());
  EXPECT_EQ(result.kind, OutcomeKind::kHttpError);
  EXPECT_EQ(result.status, 404);
}

TEST_F(FetcherTest, Http_FollowsRedirectAndKeepsTheChain) {
  // outlet-server answers a directory without its slash with a 301.
  FetchResult result = FetchOnce(std::string("http://") + kHost + "/news", Settings());
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(result.final_url, std::string("http://") + kHost + "/news/");
  EXPECT_EQ(result.redirect_chain, std::vector<std::string>{std::string("http://") + kHost + "/news"});
  EXPECT_EQ(result.body, "<html><body>news</body></html>");
}

TEST_F(FetcherTest, Http_RedirectsBeyondTheLimitAreNotFollowed) {
  FetchSettings settings = Settings();
  settings.limits.max_redirects = 0;
  FetchResult result = FetchOnce(std::string("http://") + kHost + "/news", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTooManyRedirects);
}

TEST_F(FetcherTest, Http_BodyOverMaxBodyIsTooLarge) {
  FetchSettings settings = Settings();
  settings.limits.max_body = 1000;
  FetchResult result = FetchOnce(std::string("http://") + kHost + "/big.html", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTooLarge);
  EXPECT_TRUE(result.body.empty());
}

// --- Content codings ------------------------------------------------------------

// An article page that compresses well, but not trivially.
std::string ArticleHtml() {
  static const char* kWords[] = {"Rabat", "minister", "said", "on", "Tuesday", "الرباط", "the", "council",
                                 "agency", "of", "report", "2024", "parliament", "vote", "budget"};
  std::mt19937 rng(1);
  std::string html = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Article</title></head><body>\n";
  while (html.size() < 30'000) {
    html += "<p>";
    for (int i = 0; i < 40; ++i) html += std::string(kWords[rng() % std::size(kWords)]) + " ";
    html += "</p>\n";
  }
  return html + "</body></html>\n";
}

// Peak resident set size of this process so far (Linux reports KiB).
uint64_t PeakRssBytes() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<uint64_t>(usage.ru_maxrss) * 1024;
}

class ContentCodingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    article_ = ArticleHtml();
    test::WriteFile(root_.path() / "article.html", article_);
    // 5000 bytes that gzip to well under 200.
    std::string small;
    while (small.size() < 5000) small += "<p>the same sentence, over and over.</p>\n";
    small.resize(5000);
    test::WriteFile(root_.path() / "small.html", small);
    // Served below with a Content-Encoding the bytes do not match.
    test::WriteFile(root_.path() / "plain.html", "<html><body>not compressed at all</body></html>");
    test::WriteFile(root_.path() / "cut.html", test::Gzip(article_).substr(0, 2000));
    // The server applied gzip, then br.
    test::WriteFile(root_.path() / "layered.html", test::Brotli(test::Gzip(article_)));
  }

  std::unique_ptr<test::OutletServer> Start(test::OutletServerOptions options) {
    options.root = root_.path();
    return std::make_unique<test::OutletServer>(options);
  }

  FetchResult Get(const test::OutletServer& server, const std::string& path, FetchSettings settings = test::LoopbackFetchSettings()) {
    settings.user_agent = "newshound-test";
    return FetchOnce(server.http_origin() + path, settings);
  }

  test::TempDir root_;
  std::string article_;
};

TEST_F(ContentCodingTest, ContentCoding_EachCodingDecodesToTheFileBytes) {
  // The server only uses a coding the request's Accept-Encoding accepts, so
  // this also shows that the fetcher asks for every one of them.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"br", "br"}, {"gzip", "gzip"}, {"x-gzip", "x-gzip"}, {"deflate", "deflate"}, {"deflate-raw", "deflate"}};
  for (const auto& [offered, label] : cases) {
    test::OutletServerOptions options;
    options.compress = true;
    options.codings = offered;
    auto server = Start(options);
    FetchResult result = Get(*server, "/article.html");
    ASSERT_EQ(result.kind, OutcomeKind::kFetched) << offered << ": " << result.detail;
    EXPECT_EQ(result.body, test::ReadFile(root_.path() / "article.html")) << offered;
    // Recorded as received.
    EXPECT_EQ(result.Header("Content-Encoding"), label) << offered;
    auto log = server->ReadLog();
    ASSERT_EQ(log.size(), 1u);
    EXPECT_LT(log[0].bytes, article_.size() / 2) << offered << " was not compressed";
  }
}

TEST_F(ContentCodingTest, ContentCoding_PreferredCodingOverTls) {
  test::OutletServerOptions options;
  options.compress = true;  // br, gzip, deflate: br wins
  options.tls = true;
  options.tls_names = {kHost};
  auto server = Start(options);
  FetchSettings settings = test::LoopbackFetchSettings();
  settings.tls.ca_file = server->ca_file().string();
  settings.resolve[std::string(kHost) + ":443"] = "127.0.0.1:" + std::to_string(server->https_port());
  FetchResult result = FetchOnce(std::string("https://") + kHost + "/article.html", settings);
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(result.Header("content-encoding"), "br");
  EXPECT_EQ(result.body, article_);
}

TEST_F(ContentCodingTest, ContentCoding_IdentityResponseStillWorks) {
  auto server = Start({});  // no --compress
  FetchResult result = Get(*server, "/article.html");
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(result.Header("content-encoding"), "");
  EXPECT_EQ(result.body, article_);
}

TEST_F(ContentCodingTest, ContentCoding_MaxBodyAppliesToTheDecodedSize) {
  test::OutletServerOptions options;
  options.compress = true;
  options.codings = "gzip";
  auto server = Start(options);
  FetchSettings settings = test::LoopbackFetchSettings();
  settings.limits.max_body = 1000;
  FetchResult result = Get(*server, "/small.html", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTooLarge) << result.detail;
  EXPECT_EQ(result.detail, "decoded body larger than max_body (1000 bytes)");
  EXPECT_TRUE(result.body.empty());
  // What was sent was well under the limit.
  auto log = server->ReadLog();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_LT(log[0].bytes, 200u);
  // At exactly the decoded size it passes.
  settings.limits.max_body = 5000;
  EXPECT_EQ(Get(*server, "/small.html", settings).kind, OutcomeKind::kFetched);
}

TEST_F(ContentCodingTest, ContentCoding_GzipBombIsCutOffWithBoundedMemory) {
  test::OutletServerOptions options;
  options.bomb = {"/bomb.html=1GiB"};
  auto server = Start(options);
  const uint64_t peak_before = PeakRssBytes();
  FetchResult result = Get(*server, "/bomb.html");  // default max_body: 10 MiB
  const uint64_t peak_after = PeakRssBytes();
  EXPECT_EQ(result.kind, OutcomeKind::kTooLarge) << result.detail;
  EXPECT_NE(result.detail.find("decoded body larger than max_body"), std::string::npos) << result.detail;
  EXPECT_TRUE(result.body.empty());
  // The 10 MiB cap plus buffers, not the gigabyte.
  EXPECT_LT(peak_after - peak_before, uint64_t{64} << 20);
}

TEST_F(ContentCodingTest, ContentCoding_CorruptDataIsANetworkError) {
  test::OutletServerOptions options;
  options.respond = {"/plain.html=serve+Content-Encoding:gzip"};
  auto server = Start(options);
  FetchResult result = Get(*server, "/plain.html");
  EXPECT_EQ(result.kind, OutcomeKind::kNetwork);
  EXPECT_NE(result.detail.find("body could not be decoded: gzip"), std::string::npos) << result.detail;
  EXPECT_TRUE(result.body.empty());
}

TEST_F(ContentCodingTest, ContentCoding_CutCompressedStreamIsTruncated) {
  // The HTTP framing is complete (Content-Length matches); the gzip stream
  // inside it is not.
  test::OutletServerOptions options;
  options.respond = {"/cut.html=serve+Content-Encoding:gzip"};
  auto server = Start(options);
  FetchResult result = Get(*server, "/cut.html");
  EXPECT_EQ(result.kind, OutcomeKind::kTruncated);
  EXPECT_NE(result.detail.find("body could not be decoded"), std::string::npos) << result.detail;
}

TEST_F(ContentCodingTest, ContentCoding_UnknownCodingIsANetworkError) {
  test::OutletServerOptions options;
  options.respond = {"/article.html=serve+Content-Encoding:zstd"};
  auto server = Start(options);
  FetchResult result = Get(*server, "/article.html");
  EXPECT_EQ(result.kind, OutcomeKind::kNetwork);
  EXPECT_EQ(result.detail, "unsupported Content-Encoding 'zstd'");
  EXPECT_EQ(result.status, 200);
  EXPECT_TRUE(result.body.empty());
}

TEST_F(ContentCodingTest, ContentCoding_StackedCodingsAreUndoneInReverseOrder) {
  // Two Content-Encoding fields, as one list: gzip was applied first.
  test::OutletServerOptions options;
  options.respond = {"/layered.html=serve+Content-Encoding:gzip+Content-Encoding:br"};
  auto server = Start(options);
  FetchResult result = Get(*server, "/layered.html");
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(result.body, article_);
}

TEST_F(ContentCodingTest, ContentCoding_ErrorStatusKeepsItsOutcomeWhenTheBodyCannotBeDecoded) {
  // The status is what the engine acts on (retries, robots.txt), not the
  // error page.
  test::OutletServerOptions options;
  options.respond = {"/busy.html=503+Retry-After:1+Content-Encoding:zstd", "/gone.html=404+Content-Encoding:gzip"};
  auto server = Start(options);
  FetchResult busy = Get(*server, "/busy.html");
  EXPECT_EQ(busy.kind, OutcomeKind::kHttpError) << busy.detail;
  EXPECT_EQ(busy.status, 503);
  EXPECT_EQ(busy.Header("retry-after"), "1");
  FetchResult gone = Get(*server, "/gone.html");
  EXPECT_EQ(gone.kind, OutcomeKind::kHttpError) << gone.detail;
  EXPECT_EQ(gone.status, 404);
}

TEST(FetcherRaw, StalledServerHitsTheRequestDeadline) {
  SilentListener silent;
  FetchSettings settings = test::LoopbackFetchSettings();
  settings.limits.request_timeout = std::chrono::milliseconds(300);
  FetchResult result = FetchOnce("http://127.0.0.1:" + std::to_string(silent.port()) + "/", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTimeout) << result.detail;
  EXPECT_EQ(result.phase, FetchPhase::kTotal);
}

// A listener whose accept queue is full, so the kernel drops further SYNs
// and a new connect stays in SYN_SENT: the only way to stall a TCP connect
// on loopback. Linux queues backlog + 1 connections; the rest are dropped
// (tcp_abort_on_overflow = 0, the default). Other kernels, or sandboxes
// with their own network stack, may accept anyway: stalled() says whether
// it worked.
class FullBacklogListener {
 public:
  FullBacklogListener() : listener_(/*backlog=*/0) {
    for (int i = 0; i < 8; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      fillers_.push_back(fd);
      sockaddr_in addr = listener_.address();
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
      pollfd poll_fd{fd, POLLOUT, 0};
      if (::poll(&poll_fd, 1, 200) == 0) {  // still connecting: SYNs are being dropped
        stalled_ = true;
        return;
      }
    }
  }
  ~FullBacklogListener() {
    for (int fd : fillers_) ::close(fd);
  }
  int port() const { return listener_.port(); }
  bool stalled() const { return stalled_; }

 private:
  class Socket {
   public:
    explicit Socket(int backlog) {
      fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
      addr_.sin_family = AF_INET;
      addr_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr_), sizeof(addr_)), 0);
      EXPECT_EQ(::listen(fd_, backlog), 0);
      socklen_t len = sizeof(addr_);
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr_), &len);
    }
    ~Socket() { ::close(fd_); }
    sockaddr_in address() const { return addr_; }
    int port() const { return ntohs(addr_.sin_port); }

   private:
    int fd_ = -1;
    sockaddr_in addr_{};
  };

  Socket listener_;
  std::vector<int> fillers_;
  bool stalled_ = false;
};

// A TCP server on 127.0.0.1, on a thread of its own, for responses
// outlet-server cannot misbehave with: it reads each request head, then
// hands the connection to `script`, which writes what it likes and may wait
// with Sleep(). Connections are served one after the other.
class RawServer {
 public:
  using Script = std::function<void(int fd, RawServer& server)>;

  explicit RawServer(Script script) : script_(std::move(script)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~RawServer() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    stop_.notify_all();
    ::shutdown(fd_, SHUT_RDWR);  // wakes the blocked accept()
    thread_.join();
    ::close(fd_);
  }

  std::string url(std::string_view path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  // Waits `duration`; false (at once) when the server is being stopped, so
  // a script can stall without holding up the test's end.
  bool Sleep(std::chrono::milliseconds duration) {
    std::unique_lock<std::mutex> lock(mutex_);
    return !stop_.wait_for(lock, duration, [this] { return stopping_; });
  }

  // The request heads received so far, one per connection, in order.
  std::vector<std::string> heads() {
    std::lock_guard<std::mutex> lock(mutex_);
    return heads_;
  }

  // False once the client has gone.
  static bool Send(int fd, std::string_view data) {
    return ::send(fd, data.data(), data.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(data.size());
  }

 private:
  void Run() {
    for (;;) {
      const int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string head;
      char buffer[1024];
      while (head.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        head.append(buffer, static_cast<size_t>(n));
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        heads_.push_back(head);
      }
      script_(client, *this);
      ::close(client);
    }
  }

  Script script_;
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable stop_;
  bool stopping_ = false;
  std::vector<std::string> heads_;
};

// Settings whose every phase has a generous budget, so a test can make one
// phase short and know a timeout came from that phase.
FetchSettings GenerousLimits() {
  FetchSettings settings = test::LoopbackFetchSettings();
  settings.user_agent = "newshound-test";
  settings.limits.resolve_timeout = std::chrono::seconds(30);
  settings.limits.connect_timeout = std::chrono::seconds(30);
  settings.limits.tls_timeout = std::chrono::seconds(30);
  settings.limits.headers_timeout = std::chrono::seconds(30);
  settings.limits.body_idle_timeout = std::chrono::seconds(30);
  settings.limits.request_timeout = std::chrono::seconds(60);
  return settings;
}

TEST(FetcherTimeouts, ConnectThatNeverCompletesHitsConnectTimeout) {
  FullBacklogListener listener;
  if (!listener.stalled()) {
    GTEST_SKIP() << "this kernel completed every connect to a listener with a full accept queue "
                    "(it did not drop the SYNs), so a TCP connect cannot be stalled on loopback here";
  }
  FetchSettings settings = GenerousLimits();
  settings.limits.connect_timeout = std::chrono::milliseconds(300);
  FetchResult result = FetchOnce("http://127.0.0.1:" + std::to_string(listener.port()) + "/", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTimeout) << result.detail;
  EXPECT_EQ(result.phase, FetchPhase::kConnect) << result.detail;
  EXPECT_EQ(result.detail,
            "no TCP connection to 127.0.0.1:" + std::to_string(listener.port()) + " within connect_timeout of 300 ms");
}

TEST(FetcherTimeouts, ServerThatNeverSpeaksTlsHitsTlsTimeout) {
  SilentListener silent;  // the kernel accepts; nobody answers the ClientHello
  FetchSettings settings = GenerousLimits();
  settings.limits.tls_timeout = std::chrono::milliseconds(300);
  FetchResult result = FetchOnce("https://127.0.0.1:" + std::to_string(silent.port()) + "/", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTimeout) << result.detail;
  EXPECT_EQ(result.phase, FetchPhase::kTlsHandshake) << result.detail;
  EXPECT_EQ(result.detail, "no TLS handshake with 127.0.0.1 within tls_timeout of 300 ms");
}

TEST(FetcherTimeouts, PhaseBudgetIsCutToWhatIsLeftOfTheTotal) {
  SilentListener silent;
  FetchSettings settings = GenerousLimits();
  settings.limits.request_timeout = std::chrono::milliseconds(300);  // tls_timeout stays 30s
  FetchResult result = FetchOnce("https://127.0.0.1:" + std::to_string(silent.port()) + "/", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTimeout) << result.detail;
  EXPECT_EQ(result.phase, FetchPhase::kTotal) << result.detail;
  EXPECT_EQ(result.detail, "request_timeout of 300 ms ran out while in the TLS handshake with 127.0.0.1");
}

TEST(FetcherTimeouts, ServerThatNeverAnswersHitsHeadersTimeout) {
  test::TempDir root;
  test::WriteFile(root.path() / "x", "never sent");
  test::OutletServerOptions options;
  options.root = root.path();
  options.respond = {"/x=stall"};
  test::OutletServer server(options);
  FetchSettings settings = GenerousLimits();
  settings.limits.headers_timeout = std::chrono::milliseconds(300);
  FetchResult result = FetchOnce(server.http_origin() + "/x", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTimeout) << result.detail;
  EXPECT_EQ(result.phase, FetchPhase::kHeaders) << result.detail;
  EXPECT_EQ(result.detail, "no response headers within headers_timeout of 300 ms");
}

TEST(FetcherTimeouts, BodyThatStopsHitsBodyIdleTimeout) {
  RawServer server([](int fd, RawServer& self) {
    RawServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1000\r\n\r\n<html><body>");
    self.Sleep(std::chrono::minutes(1));  // then nothing more, until the test ends
  });
  FetchSettings settings = GenerousLimits();
  settings.limits.body_idle_timeout = std::chrono::milliseconds(300);
  FetchResult result = FetchOnce(server.url(), settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTimeout) << result.detail;
  EXPECT_EQ(result.phase, FetchPhase::kBody) << result.detail;
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.detail, "no body bytes within body_idle_timeout of 300 ms");
}

TEST(FetcherTimeouts, BodyThatKeepsDrippingHitsTheTotalNotTheIdleTimeout) {
  // One body byte every 50 ms: never idle for body_idle_timeout (5s), but
  // never done before request_timeout (1s) either.
  RawServer server([](int fd, RawServer& self) {
    if (!RawServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n")) return;
    while (self.Sleep(std::chrono::milliseconds(50)) && RawServer::Send(fd, "x")) {
    }
  });
  FetchSettings settings = GenerousLimits();
  settings.limits.body_idle_timeout = std::chrono::seconds(5);
  settings.limits.request_timeout = std::chrono::seconds(1);
  FetchResult result = FetchOnce(server.url(), settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTimeout) << result.detail;
  EXPECT_EQ(result.phase, FetchPhase::kTotal) << result.detail;
  EXPECT_EQ(result.detail, "request_timeout of 1000 ms ran out while reading the body");
}

TEST(FetcherRaw, RefusedConnectionIsAConnectError) {
  FetchSettings settings = test::LoopbackFetchSettings();
  FetchResult result = FetchOnce("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kConnect) << result.detail;
}

TEST(FetcherRaw, OtherSchemesAreRefused) {
  FetchResult result = FetchOnce("ftp://127.0.0.1/", FetchSettings());
  EXPECT_EQ(result.kind, OutcomeKind::kRefusedScheme);
}

// The header lines of a recorded request head, "Name: value" each.
std::vector<std::string> HeaderLines(const std::string& head) {
  std::vector<std::string> lines;
  size_t start = head.find("\r\n");
  while (start != std::string::npos) {
    const size_t end = head.find("\r\n", start + 2);
    if (end == std::string::npos || end == start + 2) break;
    lines.push_back(head.substr(start + 2, end - start - 2));
    start = end;
  }
  return lines;
}

bool HasLine(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

RawServer::Script AnswerOk() {
  return [](int fd, RawServer&) {
    RawServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nok");
  };
}

TEST(FetcherRequest, ConfiguredHeadersAreSentAfterOursAndReplaceUserAgentAndAccept) {
  RawServer server(AnswerOk());
  FetchSettings settings = GenerousLimits();
  settings.headers = {{"Accept-Language", "ar, en;q=0.5"}, {"X-Api-Key", "k123"}, {"accept", "text/html"}};
  FetchResult result = FetchOnce(server.url("/page"), settings);
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  const auto heads = server.heads();
  ASSERT_EQ(heads.size(), 1u);
  const auto lines = HeaderLines(heads[0]);
  EXPECT_TRUE(HasLine(lines, "Accept-Language: ar, en;q=0.5")) << heads[0];
  EXPECT_TRUE(HasLine(lines, "X-Api-Key: k123")) << heads[0];
  EXPECT_TRUE(HasLine(lines, "User-Agent: newshound-test")) << heads[0];
  // Ours replaced, not doubled.
  int accepts = 0;
  for (const auto& line : lines)
    if (line.rfind("Accept:", 0) == 0 || line.rfind("accept:", 0) == 0) ++accepts;
  EXPECT_EQ(accepts, 1) << heads[0];
  EXPECT_TRUE(HasLine(lines, "accept: text/html") || HasLine(lines, "Accept: text/html")) << heads[0];
  // After User-Agent.
  const auto ua = std::find(lines.begin(), lines.end(), "User-Agent: newshound-test");
  const auto key = std::find(lines.begin(), lines.end(), "X-Api-Key: k123");
  EXPECT_LT(ua - lines.begin(), key - lines.begin()) << heads[0];

  settings.headers = {{"User-Agent", "custom-agent/2"}};
  result = FetchOnce(server.url("/page"), settings);
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  const auto second = HeaderLines(server.heads().at(1));
  EXPECT_TRUE(HasLine(second, "User-Agent: custom-agent/2")) << server.heads().at(1);
  EXPECT_FALSE(HasLine(second, "User-Agent: newshound-test")) << server.heads().at(1);
}

TEST(FetcherCookies, CookieFromOutletServerIsSentWithTheNextRequest) {
  test::TempDir root;
  test::WriteFile(root.path() / "index.html", "<html><body>home</body></html>");
  test::OutletServerOptions options;
  options.root = root.path();
  options.respond = {"/index.html=serve+Set-Cookie:sid=abc123; Path=/"};
  test::OutletServer outlet(options);
  RawServer recorder(AnswerOk());  // also 127.0.0.1: cookies ignore the port

  FetchSettings settings = GenerousLimits();
  settings.cookie_jar = std::make_shared<net::CookieJar>();
  FetchResult first = FetchOnce(outlet.http_origin() + "/index.html", settings);
  ASSERT_EQ(first.kind, OutcomeKind::kFetched) << first.detail;
  EXPECT_EQ(first.Header("Set-Cookie"), "sid=abc123; Path=/");
  FetchResult second = FetchOnce(recorder.url("/next"), settings);
  ASSERT_EQ(second.kind, OutcomeKind::kFetched) << second.detail;
  ASSERT_EQ(recorder.heads().size(), 1u);
  EXPECT_TRUE(HasLine(HeaderLines(recorder.heads()[0]), "Cookie: sid=abc123")) << recorder.heads()[0];

  // Without a jar nothing is kept or sent.
  FetchSettings plain = GenerousLimits();
  ASSERT_EQ(FetchOnce(outlet.http_origin() + "/index.html", plain).kind, OutcomeKind::kFetched);
  ASSERT_EQ(FetchOnce(recorder.url("/next"), plain).kind, OutcomeKind::kFetched);
  ASSERT_EQ(recorder.heads().size(), 2u);
  EXPECT_EQ(recorder.heads()[1].find("Cookie:"), std::string::npos) << recorder.heads()[1];
}

TEST(FetcherCookies, JarCookiesJoinAConfiguredCookieHeader) {
  test::TempDir root;
  test::WriteFile(root.path() / "index.html", "<html><body>home</body></html>");
  test::OutletServerOptions options;
  options.root = root.path();
  options.respond = {"/index.html=serve+Set-Cookie:sid=abc123; Path=/"};
  test::OutletServer outlet(options);
  RawServer recorder(AnswerOk());

  FetchSettings settings = GenerousLimits();
  settings.headers = {{"Cookie", "session=configured"}};
  settings.cookie_jar = std::make_shared<net::CookieJar>();
  ASSERT_EQ(FetchOnce(recorder.url("/before"), settings).kind, OutcomeKind::kFetched);
  ASSERT_EQ(FetchOnce(outlet.http_origin() + "/index.html", settings).kind, OutcomeKind::kFetched);
  ASSERT_EQ(FetchOnce(recorder.url("/after"), settings).kind, OutcomeKind::kFetched);
  ASSERT_EQ(recorder.heads().size(), 2u);
  EXPECT_TRUE(HasLine(HeaderLines(recorder.heads()[0]), "Cookie: session=configured")) << recorder.heads()[0];
  EXPECT_TRUE(HasLine(HeaderLines(recorder.heads()[1]), "Cookie: session=configured; sid=abc123"))
      << recorder.heads()[1];
}

TEST(FetcherCookies, RedirectCookieGoesWithTheNextHop) {
  std::atomic<int> connections{0};
  RawServer server([&connections](int fd, RawServer&) {
    if (connections++ == 0) {
      RawServer::Send(fd,
                      "HTTP/1.1 302 Found\r\nLocation: /landing\r\nSet-Cookie: consent=yes; Path=/\r\n"
                      "Set-Cookie: only_here=1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    } else {
      RawServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nok");
    }
  });
  FetchSettings settings = GenerousLimits();
  settings.cookie_jar = std::make_shared<net::CookieJar>();
  FetchResult result = FetchOnce(server.url("/gate/start"), settings);
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(result.final_url, server.url("/landing"));
  const auto heads = server.heads();
  ASSERT_EQ(heads.size(), 2u);
  EXPECT_EQ(heads[0].find("Cookie:"), std::string::npos) << heads[0];
  // only_here has the default path /gate: not sent to /landing.
  EXPECT_TRUE(HasLine(HeaderLines(heads[1]), "Cookie: consent=yes")) << heads[1];
}

}  // namespace
}  // namespace newshound

#include "testcerts.h"

namespace newshound {
namespace {

// A certificate that expired yesterday, from a CA the client trusts: the
// failure must say "expired", not just "verification failed".
TEST(FetcherTls, ExpiredCertificateFailsWithItsReason) {
  test::TempDir dir;
  const auto now = std::chrono::system_clock::now();
  const testcerts::Pem ca = testcerts::MakeCa("newshound test CA");
  const testcerts::Pem leaf = testcerts::IssueLeaf(ca, {"expired.test"}, {"127.0.0.1"},
                                                   now - std::chrono::hours(48), now - std::chrono::hours(24));
  test::WriteFile(dir.path() / "ca.pem", ca.cert);
  test::WriteFile(dir.path() / "leaf.pem", leaf.cert);
  test::WriteFile(dir.path() / "leaf-key.pem", leaf.key);
  test::WriteFile(dir.path() / "root" / "index.html", "<p>stale</p>");
  test::OutletServerOptions options;
  options.root = dir.path() / "root";
  options.http = false;
  options.tls_cert = dir.path() / "leaf.pem";
  options.tls_key = dir.path() / "leaf-key.pem";
  test::OutletServer server(options);
  FetchSettings settings = test::LoopbackFetchSettings();
  settings.tls.ca_file = (dir.path() / "ca.pem").string();
  settings.resolve["expired.test:443"] = "127.0.0.1:" + std::to_string(server.https_port());
  FetchResult result = FetchOnce("https://expired.test/", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTls);
  EXPECT_NE(result.detail.find("certificate has expired"), std::string::npos) << result.detail;
}

// The keep-alive connection pool, through one net::Fetcher driven directly,
// against outlet-server. Connection counts come from the server's request
// log (one conn_id per accepted TCP connection), never from timings.
class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::WriteFile(root_.path() / "index.html", "<html><body>home</body></html>");
    test::WriteFile(root_.path() / "news" / "index.html", "<html><body>news</body></html>");
  }

  void Start(std::vector<std::string> respond = {}, bool tls = false) {
    test::OutletServerOptions options;
    options.root = root_.path();
    options.respond = std::move(respond);
    options.tls = tls;
    options.tls_names = {kHost};
    server_ = std::make_unique<test::OutletServer>(options);
  }

  FetchSettings Settings() const {
    FetchSettings settings = test::LoopbackFetchSettings();
    settings.user_agent = "newshound-test";
    if (!server_->ca_file().empty()) settings.tls.ca_file = server_->ca_file().string();
    settings.resolve[std::string(kHost) + ":443"] = "127.0.0.1:" + std::to_string(server_->https_port());
    return settings;
  }

  std::string Url(std::string_view path) const { return server_->http_origin() + std::string(path); }

  // Fetches every URL through fetcher_: `concurrency` coroutines take the
  // next URL in turn, on io_ run by `threads` threads.
  std::vector<FetchResult> FetchAll(const std::vector<std::string>& urls, const FetchSettings& settings,
                                    int concurrency = 1, int threads = 1) {
    std::vector<FetchResult> results(urls.size());
    std::atomic<size_t> next{0};
    for (int i = 0; i < concurrency; ++i) {
      boost::asio::co_spawn(
          io_,
          [&]() -> boost::asio::awaitable<void> {
            for (size_t j; (j = next++) < urls.size();) results[j] = co_await fetcher_.Fetch(urls[j], settings);
          },
          boost::asio::detached);
    }
    std::vector<std::thread> runners;
    for (int i = 1; i < threads; ++i) runners.emplace_back([this] { io_.run(); });
    io_.run();
    for (auto& runner : runners) runner.join();
    io_.restart();
    return results;
  }

  FetchResult FetchOne(const std::string& url, const FetchSettings& settings) {
    return FetchAll({url}, settings).front();
  }

  std::set<uint64_t> ConnIds() const {
    std::set<uint64_t> ids;
    for (const auto& entry : server_->ReadLog()) ids.insert(entry.conn_id);
    return ids;
  }

  test::TempDir root_;
  std::unique_ptr<test::OutletServer> server_;
  // io_ outlives fetcher_: pooled connections are bound to its executor.
  boost::asio::io_context io_;
  net::Fetcher fetcher_;
};

TEST_F(PoolTest, Pool_SequentialGetsShareOneConnection) {
  Start();
  std::vector<std::string> urls;
  for (int i = 0; i < 200; ++i) urls.push_back(Url(i % 2 ? "/index.html" : "/news/"));
  for (const FetchResult& result : FetchAll(urls, Settings())) {
    ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  }
  EXPECT_EQ(server_->ReadLog().size(), 200u);
  EXPECT_EQ(ConnIds().size(), 1u);
  const net::PoolStats stats = fetcher_.pool_stats();
  EXPECT_EQ(stats.opened, 1u);
  EXPECT_EQ(stats.reused, 199u);
}

TEST_F(PoolTest, Pool_TlsConnectionIsReused) {
  Start({}, /*tls=*/true);
  std::vector<std::string> urls(20, std::string("https://") + kHost + "/index.html");
  for (const FetchResult& result : FetchAll(urls, Settings())) {
    ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  }
  EXPECT_EQ(ConnIds().size(), 1u);
  EXPECT_EQ(fetcher_.pool_stats().opened, 1u);
}

TEST_F(PoolTest, Pool_ConcurrentRequestsStayWithinTheOriginCap) {
  Start();
  FetchSettings settings = Settings();
  settings.limits.max_connections_per_origin = 4;
  std::vector<std::string> urls(200, Url("/index.html"));
  for (const FetchResult& result : FetchAll(urls, settings, /*concurrency=*/50, /*threads=*/4)) {
    ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  }
  EXPECT_EQ(server_->ReadLog().size(), 200u);
  const size_t connections = ConnIds().size();
  EXPECT_GE(connections, 1u);
  EXPECT_LE(connections, 4u);
  const net::PoolStats stats = fetcher_.pool_stats();
  EXPECT_LE(stats.opened, 4u);
  EXPECT_GT(stats.waits, 0u);  // the cap was reached and requests waited for a connection
}

TEST_F(PoolTest, Pool_DefaultCapHoldsForManyConcurrentRequests) {
  Start();
  std::vector<std::string> urls(200, Url("/news/"));
  for (const FetchResult& result : FetchAll(urls, Settings(), /*concurrency=*/200, /*threads=*/2)) {
    ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  }
  EXPECT_LE(ConnIds().size(), 8u);
}

TEST_F(PoolTest, Pool_ReusedConnectionClosedByTheServerIsRetriedOnceOnANewOne) {
  // /news/ is closed without an answer the first time it is asked for: on
  // the connection /index.html left idle, so the GET goes again, once.
  Start({"/news/=close"});
  ASSERT_EQ(FetchOne(Url("/index.html"), Settings()).kind, OutcomeKind::kFetched);
  FetchResult result = FetchOne(Url("/news/"), Settings());
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(result.body, "<html><body>news</body></html>");
  EXPECT_EQ(fetcher_.pool_stats().stale_retries, 1u);
  auto log = server_->ReadLog();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[1].target, "/news/");
  EXPECT_EQ(log[1].status, 0);  // closed instead of answered
  EXPECT_EQ(log[1].conn_id, log[0].conn_id);
  EXPECT_EQ(log[2].status, 200);
  EXPECT_NE(log[2].conn_id, log[1].conn_id);
}

TEST_F(PoolTest, Pool_CloseOnAFreshConnectionIsAnErrorNotARetry) {
  Start({"/news/=close"});
  FetchResult result = FetchOne(Url("/news/"), Settings());
  EXPECT_EQ(result.kind, OutcomeKind::kNetwork) << result.detail;
  EXPECT_EQ(fetcher_.pool_stats().stale_retries, 0u);
  EXPECT_EQ(server_->ReadLog().size(), 1u);
  // The slot was given back: the next request works.
  EXPECT_EQ(FetchOne(Url("/news/"), Settings()).kind, OutcomeKind::kFetched);
}

TEST_F(PoolTest, Pool_ServerThatClosesAfterEveryResponseStillWorks) {
  // Answers with keep-alive semantics, then closes anyway: each idle
  // connection is found closed, before use or by the retry.
  RawServer server([](int fd, RawServer&) {
    RawServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok");
  });
  FetchSettings settings = test::LoopbackFetchSettings();
  settings.user_agent = "newshound-test";
  for (const FetchResult& result : FetchAll(std::vector<std::string>(5, server.url("/")), settings)) {
    ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
    EXPECT_EQ(result.body, "ok");
  }
  EXPECT_EQ(fetcher_.pool_stats().opened, 5u);
}

TEST_F(PoolTest, Pool_IdleConnectionOlderThanIdleTimeoutIsNotReused) {
  Start();
  FetchSettings settings = Settings();
  settings.limits.idle_timeout = std::chrono::milliseconds(100);
  ASSERT_EQ(FetchOne(Url("/index.html"), settings).kind, OutcomeKind::kFetched);
  // Only ages the idle connection; nothing below depends on timing.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(FetchOne(Url("/index.html"), settings).kind, OutcomeKind::kFetched);
  auto log = server_->ReadLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_NE(log[0].conn_id, log[1].conn_id);
  EXPECT_EQ(fetcher_.pool_stats().expired, 1u);
}

TEST_F(PoolTest, Pool_NoIdleConnectionsKeptWhenMaxIdleIsZero) {
  Start();
  FetchSettings settings = Settings();
  settings.limits.max_idle_connections = 0;
  for (const FetchResult& result : FetchAll(std::vector<std::string>(3, Url("/index.html")), settings)) {
    ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  }
  EXPECT_EQ(ConnIds().size(), 3u);
  EXPECT_EQ(fetcher_.pool_stats().evicted, 3u);
}

TEST_F(PoolTest, Pool_RedirectToTheSameOriginReusesTheConnection) {
  Start({"/old.html=301+Location:/index.html"});
  FetchResult result = FetchOne(Url("/old.html"), Settings());
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(result.body, "<html><body>home</body></html>");
  auto log = server_->ReadLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].status, 301);
  EXPECT_EQ(log[0].conn_id, log[1].conn_id);
}

// Conditional GET and redirects handed back to the caller: one request with
// RequestOptions through the same fetcher and pool.
class RequestOptionsTest : public PoolTest {
 protected:
  FetchResult FetchWith(const std::string& url, net::RequestOptions options) {
    FetchResult result;
    boost::asio::co_spawn(
        io_, [&]() -> boost::asio::awaitable<void> { result = co_await fetcher_.Fetch(url, Settings(), options); },
        boost::asio::detached);
    io_.run();
    io_.restart();
    return result;
  }
};

TEST_F(RequestOptionsTest, ConditionalGet_MatchingEtagIsNotModifiedWithoutABody) {
  Start();
  FetchResult first = FetchOne(Url("/index.html"), Settings());
  ASSERT_EQ(first.kind, OutcomeKind::kFetched) << first.detail;
  const Validators validators = first.validators();
  ASSERT_FALSE(validators.etag.empty());
  ASSERT_FALSE(validators.last_modified.empty());

  net::RequestOptions options;
  options.validators.etag = validators.etag;
  FetchResult again = FetchWith(Url("/index.html"), options);
  EXPECT_EQ(again.kind, OutcomeKind::kNotModified) << again.detail;
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
  EXPECT_FALSE(again.ok());
  EXPECT_EQ(again.validators().etag, validators.etag);  // a 304 repeats the validators
  auto log = server_->ReadLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].status, 200);
  EXPECT_EQ(log[1].status, 304);
}

TEST_F(RequestOptionsTest, ConditionalGet_LastModifiedAloneIsSentAsIfModifiedSince) {
  Start();
  FetchResult first = FetchOne(Url("/index.html"), Settings());
  ASSERT_EQ(first.kind, OutcomeKind::kFetched) << first.detail;
  net::RequestOptions options;
  options.validators.last_modified = first.validators().last_modified;
  FetchResult again = FetchWith(Url("/index.html"), options);
  EXPECT_EQ(again.kind, OutcomeKind::kNotModified) << again.detail;
  EXPECT_EQ(server_->ReadLog().back().status, 304);
}

TEST_F(RequestOptionsTest, ConditionalGet_AChangedPageComesWholeWithNewValidators) {
  Start();
  FetchResult first = FetchOne(Url("/index.html"), Settings());
  ASSERT_EQ(first.kind, OutcomeKind::kFetched) << first.detail;
  test::WriteFile(root_.path() / "index.html", "<html><body>home, edited</body></html>");
  net::RequestOptions options;
  options.validators = first.validators();
  FetchResult again = FetchWith(Url("/index.html"), options);
  ASSERT_EQ(again.kind, OutcomeKind::kFetched) << again.detail;
  EXPECT_EQ(again.body, "<html><body>home, edited</body></html>");
  EXPECT_NE(again.validators().etag, first.validators().etag);
}

TEST_F(RequestOptionsTest, ConditionalGet_A304NobodyAskedForIsAnHttpError) {
  Start({"/index.html=304"});
  FetchResult result = FetchOne(Url("/index.html"), Settings());
  EXPECT_EQ(result.kind, OutcomeKind::kHttpError);
  EXPECT_EQ(result.status, 304);
}

TEST_F(RequestOptionsTest, ConditionalGet_ValidatorsGoWithTheFirstHopOnly) {
  // The validators are those of the URL asked for; sending them to where it
  // redirects would compare them with another resource's.
  Start({"/old.html=301+Location:/index.html"});
  FetchResult first = FetchOne(Url("/index.html"), Settings());
  net::RequestOptions options;
  options.validators = first.validators();
  FetchResult result = FetchWith(Url("/old.html"), options);
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(server_->ReadLog().back().status, 200);
}

TEST_F(RequestOptionsTest, Redirects_NotFollowedWhenAskedComeBackWithTheirLocation) {
  Start({"/old.html=302+Location:/news/"});
  net::RequestOptions options;
  options.follow_redirects = false;
  FetchResult result = FetchWith(Url("/old.html"), options);
  EXPECT_TRUE(result.is_redirect());
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status, 302);
  EXPECT_EQ(result.redirect_location, "/news/");
  EXPECT_EQ(result.final_url, Url("/old.html"));
  EXPECT_EQ(server_->ReadLog().size(), 1u);  // the target was not requested
}

// on_written tells the crawl when the server can see the request (its
// politeness clock counts from there): once per request on the wire, so as
// often as the server logged one, and never for a request that was not sent.
TEST_F(RequestOptionsTest, OnWritten_CalledOncePerRequestTheServerReceives) {
  Start({"/news/=close", "/old.html=301+Location:/index.html"});
  int writes = 0;
  net::RequestOptions options;
  options.on_written = [&writes] { ++writes; };
  ASSERT_EQ(FetchWith(Url("/index.html"), options).kind, OutcomeKind::kFetched);
  EXPECT_EQ(writes, 1);
  // Closed unanswered on the reused connection, sent again on a new one.
  ASSERT_EQ(FetchWith(Url("/news/"), options).kind, OutcomeKind::kFetched);
  EXPECT_EQ(writes, 3);
  // A redirect followed inside the call: two requests.
  ASSERT_EQ(FetchWith(Url("/old.html"), options).kind, OutcomeKind::kFetched);
  EXPECT_EQ(writes, 5);
  EXPECT_EQ(server_->ReadLog().size(), 5u);
  // Nothing listens: nothing was written.
  EXPECT_EQ(FetchWith("http://127.0.0.1:" + std::to_string(test::ClosedPort()) + "/", options).kind,
            OutcomeKind::kConnect);
  EXPECT_EQ(writes, 5);
}

}  // namespace
}  // namespace newshound
