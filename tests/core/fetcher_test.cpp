// The HTTP client against real servers on 127.0.0.1: outlet-server over
// HTTP and over TLS with a CA the test generates, and raw sockets that
// misbehave on purpose.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "newshound/fetch.h"
#include "test_support.h"

namespace newshound {
namespace {

constexpr char kHost[] = "en.almaghribtoday.test";

// A TCP port on 127.0.0.1 that listens but never accepts or answers: the
// kernel completes the handshake, and then nothing ever comes back.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port nobody listens on (bound, then released).
int ClosedPort() {
  SilentListener listener;
  return listener.port();
}

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
    FetchSettings settings;
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

TEST(FetcherRaw, StalledServerHitsTheRequestDeadline) {
  SilentListener silent;
  FetchSettings settings;
  settings.limits.request_timeout = std::chrono::milliseconds(300);
  FetchResult result = FetchOnce("http://127.0.0.1:" + std::to_string(silent.port()) + "/", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTimeout) << result.detail;
  EXPECT_EQ(result.phase, FetchPhase::kTotal);
}

TEST(FetcherRaw, RefusedConnectionIsAConnectError) {
  FetchSettings settings;
  FetchResult result = FetchOnce("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kConnect) << result.detail;
}

TEST(FetcherRaw, OtherSchemesAreRefused) {
  FetchResult result = FetchOnce("ftp://127.0.0.1/", FetchSettings());
  EXPECT_EQ(result.kind, OutcomeKind::kRefusedScheme);
}

}  // namespace
}  // namespace newshound
