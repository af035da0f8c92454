// Requests through an HTTP proxy: a loopback test proxy (tests/support/
// http_proxy.h) in front of a real outlet-server with TLS from a generated
// CA. The target host names are never resolved by the client (no
// network.resolve entry for them): only the proxy knows where they are.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <set>

#include "http_proxy.h"
#include "net/fetcher.h"
#include "newshound/config.h"
#include "newshound/fetch.h"
#include "loopback.h"
#include "test_support.h"

namespace newshound {
namespace {

constexpr char kHost[] = "en.example.test";
constexpr char kUser[] = "crawler";
constexpr char kPassword[] = "s3cret";
// base64("crawler:s3cret"), worked out by hand, not by the code under test.
constexpr char kBasic[] = "Basic Y3Jhd2xlcjpzM2NyZXQ=";

using test::SilentListener;

class ProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::WriteFile(root_.path() / "index.html", "<html><body>home</body></html>");
    test::WriteFile(root_.path() / "news" / "index.html", "<html><body>news</body></html>");
    test::OutletServerOptions options;
    options.root = root_.path();
    options.tls = true;
    options.tls_names = {kHost};
    server_ = std::make_unique<test::OutletServer>(options);
  }

  // The proxy maps the targets to the outlet-server; `wrong.test` reaches
  // it too, with a certificate that is not for it.
  void StartProxy(std::string user = "", std::string password = "") {
    test::HttpProxyOptions options;
    options.upstreams[std::string(kHost) + ":443"] = server_->https_port();
    options.upstreams["wrong.test:443"] = server_->https_port();
    options.upstreams[std::string(kHost) + ":" + std::to_string(server_->http_port())] = server_->http_port();
    options.user = std::move(user);
    options.password = std::move(password);
    proxy_ = std::make_unique<test::HttpProxy>(options);
  }

  FetchSettings Settings(std::string user = "", std::string password = "") const {
    FetchSettings settings = test::LoopbackFetchSettings();
    settings.user_agent = "newshound-test";
    settings.tls.ca_file = server_->ca_file().string();
    settings.proxy.host = "127.0.0.1";
    settings.proxy.port = static_cast<uint16_t>(proxy_->port());
    settings.proxy.user = std::move(user);
    settings.proxy.password = std::move(password);
    return settings;
  }

  std::string HttpsUrl(std::string_view path) const { return "https://" + std::string(kHost) + std::string(path); }
  std::string HttpUrl(std::string_view path) const {
    return "http://" + std::string(kHost) + ":" + std::to_string(server_->http_port()) + std::string(path);
  }

  // One after the other through fetcher_, so they share its pool.
  std::vector<FetchResult> FetchAll(const std::vector<std::pair<std::string, FetchSettings>>& requests) {
    std::vector<FetchResult> results(requests.size());
    boost::asio::co_spawn(
        io_,
        [&]() -> boost::asio::awaitable<void> {
          for (size_t i = 0; i < requests.size(); ++i)
            results[i] = co_await fetcher_.Fetch(requests[i].first, requests[i].second);
        },
        boost::asio::detached);
    io_.run();
    io_.restart();
    return results;
  }

  FetchResult FetchOne(const std::string& url, const FetchSettings& settings) { return FetchAll({{url, settings}})[0]; }

  std::vector<std::string> RequestLines() const {
    std::vector<std::string> lines;
    for (const auto& request : proxy_->Requests()) lines.push_back(request.request_line);
    return lines;
  }

  test::TempDir root_;
  std::unique_ptr<test::OutletServer> server_;
  std::unique_ptr<test::HttpProxy> proxy_;
  // io_ outlives fetcher_: pooled connections are bound to its executor.
  boost::asio::io_context io_;
  net::Fetcher fetcher_;
};

TEST_F(ProxyTest, Proxy_HttpsGoesThroughOneConnectTunnelToTheTargetHost) {
  StartProxy();
  FetchResult result = FetchOne(HttpsUrl("/"), Settings());
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "<html><body>home</body></html>");
  EXPECT_EQ(result.remote_address, proxy_->address());  // the TCP peer is the proxy
  EXPECT_GE(result.timings.connect_ms, 0);
  EXPECT_GE(result.timings.tls_ms, 0);
  // The proxy saw only the tunnel's authority, without credentials...
  auto requests = proxy_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].request_line, std::string("CONNECT ") + kHost + ":443 HTTP/1.1");
  EXPECT_EQ(requests[0].proxy_authorization, "");
  // ...and the server the real host name, over TLS verified against its CA.
  auto log = server_->ReadLog();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].host, kHost);
  EXPECT_EQ(log[0].scheme, "https");
  EXPECT_EQ(log[0].target, "/");
}

TEST_F(ProxyTest, Proxy_TunnelCertificateIsVerifiedAgainstTheTargetHost) {
  StartProxy();
  FetchResult result = FetchOne("https://wrong.test/", Settings());
  EXPECT_EQ(result.kind, OutcomeKind::kTls);
  EXPECT_NE(result.detail.find("does not match the host name"), std::string::npos) << result.detail;
  EXPECT_EQ(RequestLines(), std::vector<std::string>{"CONNECT wrong.test:443 HTTP/1.1"});
  EXPECT_TRUE(server_->ReadLog().empty());  // no request went into a tunnel that failed verification
}

TEST_F(ProxyTest, Proxy_HttpIsSentInAbsoluteFormWithTheTargetHost) {
  StartProxy();
  FetchResult result = FetchOne(HttpUrl("/news/"), Settings());
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(result.body, "<html><body>news</body></html>");
  EXPECT_EQ(result.remote_address, proxy_->address());
  EXPECT_EQ(RequestLines(), std::vector<std::string>{"GET " + HttpUrl("/news/") + " HTTP/1.1"});
  auto log = server_->ReadLog();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].host, std::string(kHost) + ":" + std::to_string(server_->http_port()));
  EXPECT_EQ(log[0].target, "/news/");
  EXPECT_EQ(log[0].scheme, "http");
}

TEST_F(ProxyTest, Proxy_CredentialsGoToTheProxyAsBasic) {
  StartProxy(kUser, kPassword);
  const std::vector<FetchResult> results =
      FetchAll({{HttpsUrl("/"), Settings(kUser, kPassword)}, {HttpUrl("/news/"), Settings(kUser, kPassword)}});
  for (const FetchResult& result : results) ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  auto requests = proxy_->Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].request_line, std::string("CONNECT ") + kHost + ":443 HTTP/1.1");
  EXPECT_EQ(requests[0].proxy_authorization, kBasic);
  EXPECT_EQ(requests[1].request_line, "GET " + HttpUrl("/news/") + " HTTP/1.1");
  EXPECT_EQ(requests[1].proxy_authorization, kBasic);
}

TEST_F(ProxyTest, Proxy_WrongOrMissingPasswordIsAConnectErrorWith407AndNoPassword) {
  StartProxy(kUser, kPassword);
  const std::string refused = "proxy " + proxy_->address() + " refused CONNECT " + kHost + ":443: HTTP 407";
  for (const FetchSettings& settings : {Settings(kUser, "wrong-pass"), Settings()}) {
    FetchResult result = FetchOne(HttpsUrl("/"), settings);
    EXPECT_EQ(result.kind, OutcomeKind::kConnect) << result.detail;
    EXPECT_EQ(result.phase, FetchPhase::kConnect);
    EXPECT_EQ(result.status, 0);  // the proxy's answer, not the target's
    EXPECT_NE(result.detail.find(refused), std::string::npos) << result.detail;
    EXPECT_NE(result.detail.find("Proxy Authentication Required"), std::string::npos) << result.detail;
    EXPECT_EQ(result.detail.find("wrong-pass"), std::string::npos) << result.detail;
    EXPECT_EQ(result.detail.find(kPassword), std::string::npos) << result.detail;
  }
  ASSERT_EQ(proxy_->Requests().size(), 2u);
  EXPECT_EQ(proxy_->Requests()[0].proxy_authorization, "Basic Y3Jhd2xlcjp3cm9uZy1wYXNz");  // crawler:wrong-pass
  EXPECT_EQ(proxy_->Requests()[1].proxy_authorization, "");
  EXPECT_TRUE(server_->ReadLog().empty());
}

TEST_F(ProxyTest, Proxy_WrongPasswordOnPlainHttpIsTheSameConnectError) {
  StartProxy(kUser, kPassword);
  FetchResult result = FetchOne(HttpUrl("/news/"), Settings(kUser, "wrong-pass"));
  EXPECT_EQ(result.kind, OutcomeKind::kConnect) << result.detail;
  EXPECT_EQ(result.phase, FetchPhase::kConnect);
  EXPECT_NE(result.detail.find("proxy " + proxy_->address() + " refused GET " + HttpUrl("/news/") + ": HTTP 407"),
            std::string::npos)
      << result.detail;
  EXPECT_EQ(result.detail.find("wrong-pass"), std::string::npos) << result.detail;
  EXPECT_TRUE(server_->ReadLog().empty());
}

TEST_F(ProxyTest, Proxy_UnreachableProxyIsAConnectErrorNamingTheProxy) {
  StartProxy();
  FetchSettings settings = Settings(kUser, kPassword);
  int closed_port = 0;
  {
    SilentListener listener;  // bound, then released: nobody listens there now
    closed_port = listener.port();
  }
  settings.proxy.port = static_cast<uint16_t>(closed_port);
  for (const std::string& url : {HttpsUrl("/"), HttpUrl("/")}) {
    FetchResult result = FetchOne(url, settings);
    EXPECT_EQ(result.kind, OutcomeKind::kConnect) << result.detail;
    EXPECT_EQ(result.phase, FetchPhase::kConnect);
    EXPECT_NE(result.detail.find("cannot reach proxy 127.0.0.1:" + std::to_string(closed_port)), std::string::npos)
        << result.detail;
    EXPECT_EQ(result.detail.find(kPassword), std::string::npos) << result.detail;
  }
}

TEST_F(ProxyTest, Proxy_TargetTheProxyWillNotReachIsAConnectErrorWithItsStatus) {
  StartProxy();
  FetchResult result = FetchOne("https://elsewhere.test/", Settings());
  EXPECT_EQ(result.kind, OutcomeKind::kConnect) << result.detail;
  EXPECT_EQ(result.phase, FetchPhase::kConnect);
  EXPECT_NE(result.detail.find("proxy " + proxy_->address() + " refused CONNECT elsewhere.test:443: HTTP 502 Bad Gateway"),
            std::string::npos)
      << result.detail;
}

TEST_F(ProxyTest, Proxy_ConnectAnswerThatNeverComesHitsConnectTimeout) {
  SilentListener silent;
  StartProxy();
  FetchSettings settings = Settings();
  settings.proxy.port = static_cast<uint16_t>(silent.port());
  settings.limits.connect_timeout = std::chrono::milliseconds(200);
  FetchResult result = FetchOne(HttpsUrl("/"), settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTimeout) << result.detail;
  EXPECT_EQ(result.phase, FetchPhase::kConnect);
  EXPECT_NE(result.detail.find(std::string("no TCP connection to ") + kHost + ":443 through proxy 127.0.0.1:" +
                               std::to_string(silent.port()) + " within connect_timeout"),
            std::string::npos)
      << result.detail;
}

TEST_F(ProxyTest, Pool_TunnelIsReusedByTheNextRequest) {
  StartProxy(kUser, kPassword);
  const FetchSettings settings = Settings(kUser, kPassword);
  for (const FetchResult& result : FetchAll({{HttpsUrl("/"), settings}, {HttpsUrl("/news/"), settings}}))
    ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(RequestLines(), std::vector<std::string>{std::string("CONNECT ") + kHost + ":443 HTTP/1.1"});
  EXPECT_EQ(proxy_->connections(), 1);
  auto log = server_->ReadLog();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].conn_id, log[1].conn_id);
  EXPECT_EQ(fetcher_.pool_stats().opened, 1u);
  EXPECT_EQ(fetcher_.pool_stats().reused, 1u);
}

TEST_F(ProxyTest, Pool_ProxiedAndDirectConnectionsAreNeverMixed) {
  StartProxy();
  FetchSettings direct = Settings();
  direct.proxy = ProxyOptions{};
  direct.resolve[std::string(kHost) + ":443"] = "127.0.0.1:" + std::to_string(server_->https_port());
  const FetchSettings proxied = Settings();
  const std::vector<FetchResult> results = FetchAll(
      {{HttpsUrl("/"), direct}, {HttpsUrl("/"), proxied}, {HttpsUrl("/"), direct}, {HttpsUrl("/"), proxied}});
  for (const FetchResult& result : results) ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(results[0].remote_address, "127.0.0.1:" + std::to_string(server_->https_port()));
  EXPECT_EQ(results[1].remote_address, proxy_->address());
  EXPECT_EQ(results[2].remote_address, results[0].remote_address);
  EXPECT_EQ(results[3].remote_address, proxy_->address());
  // One direct connection and one tunnel, each reused by its own kind.
  EXPECT_EQ(RequestLines().size(), 1u);
  EXPECT_EQ(fetcher_.pool_stats().opened, 2u);
  auto log = server_->ReadLog();
  ASSERT_EQ(log.size(), 4u);
  EXPECT_NE(log[0].conn_id, log[1].conn_id);
  EXPECT_EQ(log[0].conn_id, log[2].conn_id);
  EXPECT_EQ(log[1].conn_id, log[3].conn_id);
}

// `newshound fetch --config` takes the site's proxy and shows it, masked;
// a refusal shows the 407 and never the password either.
TEST_F(ProxyTest, Cli_FetchShowsTheProxyWithItsPasswordMasked) {
  StartProxy(kUser, kPassword);
  auto write_config = [&](const std::string& name, const std::string& password) {
    const auto path = root_.path() / (name + ".yaml");
    test::WriteFile(path, "crawler:\n  proxy: http://crawler:" + password + "@" + proxy_->address() +
                              "\nnetwork:\n" + test::kAllowLoopback + "tls:\n  ca_file: " + server_->ca_file().string() +
                              "\nsites:\n  - name: en\n    plugin: p\n    start_urls: [\"" + HttpsUrl("/") + "\"]\n");
    return path.string();
  };
  auto run = [](const std::string& config, const std::string& url) {
    test::Subprocess process({(test::BinDir() / "newshound").string(), "fetch", url, "--config", config});
    auto status = process.Wait(std::chrono::seconds(60));
    if (!status) status = process.Terminate(SIGKILL);
    return std::make_pair(*status, process.Stdout() + process.Stderr());
  };

  const auto [ok_status, ok_out] = run(write_config("right", kPassword), HttpsUrl("/news/"));
  EXPECT_TRUE(ok_status.success()) << ok_out;
  EXPECT_NE(ok_out.find("proxy: http://crawler:***@" + proxy_->address() + "\n"), std::string::npos) << ok_out;
  EXPECT_NE(ok_out.find("outcome: fetched\n"), std::string::npos) << ok_out;
  EXPECT_EQ(ok_out.find(kPassword), std::string::npos) << ok_out;

  const auto [refused_status, refused_out] = run(write_config("wrong", "wrong-pass"), HttpsUrl("/news/"));
  EXPECT_EQ(refused_status.exit_code, 1) << refused_out;
  EXPECT_NE(refused_out.find("outcome: connect (phase connect)"), std::string::npos) << refused_out;
  EXPECT_NE(refused_out.find("HTTP 407"), std::string::npos) << refused_out;
  EXPECT_EQ(refused_out.find("wrong-pass"), std::string::npos) << refused_out;
}

}  // namespace
}  // namespace newshound
