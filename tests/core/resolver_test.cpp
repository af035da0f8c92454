// The resolver (c-ares) against a DNS server of the test's own on
// 127.0.0.1 (tests/support/dns_server.h), and fetches whose host names it
// resolves, to a real outlet-server.
#include "net/resolver.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "dns_server.h"
#include "newshound/fetch.h"
#include "loopback.h"
#include "test_support.h"

namespace newshound::net {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A safety net so that a broken resolver fails a test instead of hanging
// it; no test passes or fails on how long anything took.
constexpr milliseconds kGenerous = seconds(20);

class ResolverTest : public ::testing::Test {
 protected:
  DnsOptions Options() const {
    DnsOptions options;
    options.servers = {dns_.address()};
    return options;
  }

  Resolver& resolver() {
    if (!resolver_) resolver_ = std::make_unique<Resolver>(Options());
    return *resolver_;
  }

  // Starts one lookup per host on `io` (they run when `io` does).
  void Spawn(asio::io_context& io, Resolver& resolver, const std::vector<std::string>& hosts,
             std::vector<ResolveResult>& results, milliseconds timeout = kGenerous, uint16_t port = 80) {
    results.resize(hosts.size());
    for (size_t i = 0; i < hosts.size(); ++i) {
      asio::co_spawn(
          io,
          [&resolver, &results, &hosts, i, timeout, port]() -> asio::awaitable<void> {
            results[i] = co_await resolver.Resolve(hosts[i], port, Clock::now() + timeout);
          },
          asio::detached);
    }
  }

  // Resolves all `hosts` at once and returns when every lookup has ended.
  std::vector<ResolveResult> ResolveAll(const std::vector<std::string>& hosts, milliseconds timeout = kGenerous,
                                        uint16_t port = 80) {
    asio::io_context io;
    std::vector<ResolveResult> results;
    Spawn(io, resolver(), hosts, results, timeout, port);
    io.run();
    return results;
  }

  ResolveResult ResolveOne(const std::string& host, milliseconds timeout = kGenerous, uint16_t port = 80) {
    return ResolveAll({host}, timeout, port)[0];
  }

  static std::string Address(const ResolveResult& result, size_t i = 0) {
    return i < result.endpoints.size() ? result.endpoints[i].address().to_string() : "(none)";
  }

  test::DnsServer dns_;
  std::unique_ptr<Resolver> resolver_;  // declared after dns_: stopped before it
};

TEST_F(ResolverTest, Resolver_ResolvesANameThroughTheConfiguredServer) {
  dns_.Add("www.news.test", "127.0.0.7");
  ResolveResult result = ResolveOne("www.news.test", kGenerous, 8080);
  ASSERT_TRUE(result.ok()) << result.error;
  ASSERT_EQ(result.endpoints.size(), 1u);
  EXPECT_EQ(result.endpoints[0], asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.7"), 8080));
  EXPECT_EQ(dns_.Queries("www.news.test"), 1u);
}

TEST_F(ResolverTest, Resolver_SecondLookupWithinTtlIsServedFromCache) {
  dns_.Add("www.news.test", "127.0.0.7", /*ttl=*/300);
  ASSERT_TRUE(ResolveOne("www.news.test").ok());
  ResolveResult again = ResolveOne("www.news.test", kGenerous, 443);
  ASSERT_TRUE(again.ok()) << again.error;
  EXPECT_EQ(Address(again), "127.0.0.7");
  EXPECT_EQ(again.endpoints[0].port(), 443);  // the cache keeps addresses, the port is the caller's
  EXPECT_EQ(dns_.Queries("www.news.test"), 1u);
  EXPECT_EQ(resolver().stats().cache_hits, 1);
}

TEST_F(ResolverTest, Resolver_NamesAreCaseInsensitive) {
  dns_.Add("www.news.test", "127.0.0.7");
  ASSERT_TRUE(ResolveOne("WWW.News.Test").ok());
  ASSERT_TRUE(ResolveOne("www.news.test").ok());
  EXPECT_EQ(dns_.Queries("www.news.test"), 1u);
}

TEST_F(ResolverTest, Resolver_ZeroTtlIsNotCached) {
  dns_.Add("volatile.test", "127.0.0.8", /*ttl=*/0);
  ASSERT_TRUE(ResolveOne("volatile.test").ok());
  ASSERT_TRUE(ResolveOne("volatile.test").ok());
  EXPECT_EQ(dns_.Queries("volatile.test"), 2u);
}

TEST_F(ResolverTest, Resolver_MaxTtlZeroTurnsThePositiveCacheOff) {
  DnsOptions options = Options();
  options.max_ttl = milliseconds(0);
  resolver_ = std::make_unique<Resolver>(options);
  dns_.Add("www.news.test", "127.0.0.7", /*ttl=*/300);
  ASSERT_TRUE(ResolveOne("www.news.test").ok());
  ASSERT_TRUE(ResolveOne("www.news.test").ok());
  EXPECT_EQ(dns_.Queries("www.news.test"), 2u);
}

TEST_F(ResolverTest, Resolver_ThousandNamesResolveConcurrentlyWithOneQueryEach) {
  constexpr int kHosts = 1000;
  std::vector<std::string> hosts;
  std::vector<std::string> addresses;
  for (int i = 0; i < kHosts; ++i) {
    hosts.push_back("h" + std::to_string(i) + ".outlets.test");
    addresses.push_back("127.1." + std::to_string(i / 256) + "." + std::to_string(i % 256));
    dns_.Add(hosts.back(), addresses.back());
  }
  std::vector<ResolveResult> results = ResolveAll(hosts);
  for (int i = 0; i < kHosts; ++i) {
    ASSERT_TRUE(results[i].ok()) << hosts[i] << ": " << results[i].error;
    ASSERT_EQ(results[i].endpoints.size(), 1u) << hosts[i];
    EXPECT_EQ(Address(results[i]), addresses[i]) << hosts[i];
    EXPECT_EQ(dns_.Queries(hosts[i]), 1u) << hosts[i];
  }
  EXPECT_EQ(resolver().stats().queries, kHosts);
}

// The server answers none of these until it has been asked about all of
// them: one lookup at a time would never get an answer (and would fail at
// the safety deadline).
TEST_F(ResolverTest, Resolver_LookupsOfManyNamesAreOutAtTheSameTime) {
  constexpr size_t kHosts = 50;
  std::vector<std::string> hosts;
  for (size_t i = 0; i < kHosts; ++i) {
    hosts.push_back("batch" + std::to_string(i) + ".test");
    dns_.Add(hosts.back(), "127.0.2." + std::to_string(i + 1));
  }
  dns_.HoldAnswersUntil(kHosts);
  std::vector<ResolveResult> results = ResolveAll(hosts);
  for (size_t i = 0; i < kHosts; ++i) {
    ASSERT_TRUE(results[i].ok()) << hosts[i] << ": " << results[i].error;
    EXPECT_EQ(Address(results[i]), "127.0.2." + std::to_string(i + 1));
  }
  EXPECT_EQ(dns_.ReleasedBatches(), std::vector<size_t>{kHosts});
}

TEST_F(ResolverTest, Resolver_ConcurrentLookupsOfOneNameShareOneQuery) {
  // TTL 0: nothing is cached, so only sharing the query keeps it to one.
  dns_.Add("same.test", "127.0.0.5", /*ttl=*/0);
  dns_.Add("barrier.test", "127.0.0.6");
  dns_.Hold("same.test");
  asio::io_context io;
  const std::vector<std::string> hosts(20, "same.test");
  std::vector<ResolveResult> results;
  Spawn(io, resolver(), hosts, results);
  io.poll();  // every coroutine has asked and now waits
  ASSERT_TRUE(dns_.WaitForQueries("same.test", 1, kGenerous));
  // Lookups are taken up in the order they were asked: once a later one has
  // an answer, all 20 have joined the query for same.test.
  ASSERT_TRUE(ResolveOne("barrier.test").ok());
  dns_.Release("same.test");
  io.run();
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.error;
    EXPECT_EQ(Address(result), "127.0.0.5");
  }
  EXPECT_EQ(dns_.Queries("same.test"), 1u);
  EXPECT_EQ(resolver().stats().coalesced, 19);
}

TEST_F(ResolverTest, Resolver_NxdomainIsAnErrorNamingTheHostAndIsCachedNegatively) {
  ResolveResult result = ResolveOne("missing.test");
  ASSERT_FALSE(result.ok());
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.error, "cannot resolve missing.test: no such host (NXDOMAIN)");
  ResolveResult again = ResolveOne("missing.test");
  EXPECT_EQ(again.error, result.error);
  EXPECT_EQ(dns_.Queries("missing.test"), 1u);
}

TEST_F(ResolverTest, Resolver_NegativeTtlZeroAsksAgain) {
  DnsOptions options = Options();
  options.negative_ttl = milliseconds(0);
  resolver_ = std::make_unique<Resolver>(options);
  EXPECT_FALSE(ResolveOne("missing.test").ok());
  EXPECT_FALSE(ResolveOne("missing.test").ok());
  EXPECT_EQ(dns_.Queries("missing.test"), 2u);
}

TEST_F(ResolverTest, Resolver_IpLiteralsNeverReachDns) {
  ResolveResult v4 = ResolveOne("127.0.0.9", kGenerous, 81);
  ASSERT_TRUE(v4.ok()) << v4.error;
  EXPECT_EQ(v4.endpoints[0], asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.9"), 81));
  ResolveResult v6 = ResolveOne("::1");
  ASSERT_TRUE(v6.ok()) << v6.error;
  EXPECT_EQ(Address(v6), "::1");
  EXPECT_EQ(dns_.TotalQueries(), 0u);
}

TEST_F(ResolverTest, Resolver_HostsFileIsReadBeforeDns) {
  ResolveResult result = ResolveOne("localhost");
  ASSERT_TRUE(result.ok()) << result.error;
  bool loopback = false;
  for (const auto& endpoint : result.endpoints) loopback = loopback || endpoint.address().is_loopback();
  EXPECT_TRUE(loopback) << Address(result);
  EXPECT_EQ(dns_.TotalQueries(), 0u);
}

TEST_F(ResolverTest, Resolver_SilentServerEndsTheLookupAtItsDeadline) {
  dns_.Silence("stall.test");
  ResolveResult result = ResolveOne("stall.test", milliseconds(200));
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.timed_out);
  EXPECT_NE(result.error.find("stall.test"), std::string::npos) << result.error;
  // The query is still out (c-ares retries it) when the resolver goes.
  resolver_.reset();
}

TEST_F(ResolverTest, Resolver_AbandonedLookupsLateAnswerOnlyFillsTheCache) {
  dns_.Add("late.test", "127.0.0.4");
  dns_.Hold("late.test");
  ResolveResult abandoned = ResolveOne("late.test", milliseconds(100));
  EXPECT_TRUE(abandoned.timed_out);
  dns_.Release("late.test");
  // Served by the late answer: from the cache, or by joining the query
  // still under way. Either way it is not asked again.
  ResolveResult later = ResolveOne("late.test");
  ASSERT_TRUE(later.ok()) << later.error;
  EXPECT_EQ(Address(later), "127.0.0.4");
  EXPECT_EQ(dns_.Queries("late.test"), 1u);
}

TEST_F(ResolverTest, Resolver_QueuedNameWhoseCallersGaveUpIsNeverSent) {
  // Fill every place in flight with a name whose answer is held back.
  std::vector<std::string> busy;
  for (size_t i = 0; i < Resolver::kMaxNamesInFlight; ++i) {
    busy.push_back("busy" + std::to_string(i) + ".test");
    dns_.Add(busy.back(), "127.0.3.1");
    dns_.Hold(busy.back());
  }
  dns_.Add("queued.test", "127.0.3.2");
  dns_.Add("barrier.test", "127.0.3.3");
  asio::io_context io;
  std::vector<ResolveResult> results;
  Spawn(io, resolver(), busy, results);
  io.poll();
  for (const auto& name : busy) ASSERT_TRUE(dns_.WaitForQueries(name, 1, kGenerous)) << name;

  EXPECT_TRUE(ResolveOne("queued.test", milliseconds(100)).timed_out);  // it never left the queue
  for (const auto& name : busy) dns_.Release(name);
  // Queued after queued.test, so started only once queued.test was dealt with.
  ASSERT_TRUE(ResolveOne("barrier.test").ok());
  io.run();
  for (const auto& result : results) EXPECT_TRUE(result.ok()) << result.error;
  EXPECT_EQ(dns_.Queries("queued.test"), 0u);
  EXPECT_EQ(dns_.Queries("barrier.test"), 1u);
}

TEST_F(ResolverTest, Resolver_DestroyedWhileLookupsWaitTellsThemSo) {
  dns_.Silence("stall.test");
  asio::io_context io;
  std::vector<ResolveResult> results;
  const std::vector<std::string> hosts = {"stall.test", "stall.test"};
  Spawn(io, resolver(), hosts, results);
  io.poll();
  ASSERT_TRUE(dns_.WaitForQueries("stall.test", 1, kGenerous));
  resolver_.reset();
  io.run();
  for (const auto& result : results) {
    EXPECT_FALSE(result.ok());
    EXPECT_FALSE(result.timed_out);
    EXPECT_EQ(result.error, "cannot resolve stall.test: the resolver was shut down");
  }
}

TEST_F(ResolverTest, Resolver_BadServerIsReportedForEveryLookup) {
  DnsOptions options;
  options.servers = {"not an address"};
  resolver_ = std::make_unique<Resolver>(options);
  ResolveResult result = ResolveOne("www.news.test");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error.find("network.dns_servers"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("www.news.test"), std::string::npos) << result.error;
  // Literals need no server.
  EXPECT_TRUE(ResolveOne("127.0.0.1").ok());
}

// Fetches through FetchOnce, whose fetcher resolves with FetchSettings::dns.
class ResolverFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::WriteFile(root_.path() / "index.html", "<html><body>home</body></html>");
    test::OutletServerOptions options;
    options.root = root_.path();
    server_ = std::make_unique<test::OutletServer>(options);
  }

  FetchSettings Settings() const {
    FetchSettings settings = test::LoopbackFetchSettings();
    settings.user_agent = "newshound-test";
    settings.dns.servers = {dns_.address()};
    return settings;
  }

  test::DnsServer dns_;
  test::TempDir root_;
  std::unique_ptr<test::OutletServer> server_;
};

TEST_F(ResolverFetchTest, Fetch_HostResolvedByDnsReachesTheServer) {
  dns_.Add("somehost.test", "127.0.0.1");
  const std::string port = std::to_string(server_->http_port());
  FetchResult result = FetchOnce("http://somehost.test:" + port + "/", Settings());
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(result.status, 200);
  EXPECT_EQ(result.body, "<html><body>home</body></html>");
  EXPECT_EQ(result.remote_address, "127.0.0.1:" + port);
  EXPECT_GE(result.timings.resolve_ms, 0);
  EXPECT_EQ(dns_.Queries("somehost.test"), 1u);
  auto log = server_->ReadLog();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].host, "somehost.test:" + port);  // the name, not the address
}

TEST_F(ResolverFetchTest, Fetch_SilentDnsServerIsATimeoutInPhaseResolve) {
  dns_.Silence("stall.test");
  FetchSettings settings = Settings();
  settings.limits.resolve_timeout = milliseconds(300);
  FetchResult result = FetchOnce("http://stall.test:" + std::to_string(server_->http_port()) + "/", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTimeout) << result.detail;
  EXPECT_EQ(result.phase, FetchPhase::kResolve);
  EXPECT_EQ(result.detail, "no address for stall.test within resolve_timeout of 300 ms");
  EXPECT_TRUE(server_->ReadLog().empty());
}

TEST_F(ResolverFetchTest, Fetch_RequestTimeoutBindsWhenShorterThanResolveTimeout) {
  dns_.Silence("stall.test");
  FetchSettings settings = Settings();
  settings.limits.resolve_timeout = seconds(30);
  settings.limits.request_timeout = milliseconds(300);
  FetchResult result = FetchOnce("http://stall.test/", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTimeout) << result.detail;
  EXPECT_EQ(result.phase, FetchPhase::kTotal);
  EXPECT_EQ(result.detail, "request_timeout of 300 ms ran out while resolving stall.test");
}

TEST_F(ResolverFetchTest, Fetch_NxdomainIsADnsFailureNamingTheHost) {
  FetchResult result = FetchOnce("http://missing.test/", Settings());
  EXPECT_EQ(result.kind, OutcomeKind::kDns) << result.detail;
  EXPECT_EQ(result.phase, FetchPhase::kResolve);
  EXPECT_EQ(result.detail, "cannot resolve missing.test: no such host (NXDOMAIN)");
}

// `newshound fetch --config` resolves with the crawl's DNS settings.
TEST_F(ResolverFetchTest, Cli_FetchUsesTheConfiguredDnsServers) {
  dns_.Add("somehost.test", "127.0.0.1");
  const std::string url = "http://somehost.test:" + std::to_string(server_->http_port()) + "/";
  const auto config = root_.path() / "dns.yaml";
  test::WriteFile(config, "network:\n  dns_servers: [\"" + dns_.address() + "\"]\n  dns_max_ttl: 1m\n" + test::kAllowLoopback +
                              
                          "sites:\n  - name: en\n    plugin: p\n    start_urls: [\"" + url + "\"]\n");
  test::Subprocess process({(test::BinDir() / "newshound").string(), "fetch", url, "--config", config.string()});
  auto status = process.Wait(kGenerous);
  if (!status) status = process.Terminate(SIGKILL);
  const std::string out = process.Stdout() + process.Stderr();
  EXPECT_TRUE(status->success()) << out;
  EXPECT_NE(out.find("outcome: fetched\n"), std::string::npos) << out;
  EXPECT_EQ(dns_.Queries("somehost.test"), 1u);
}

TEST_F(ResolverFetchTest, Fetch_PinnedHostBypassesDns) {
  FetchSettings settings = Settings();
  settings.resolve["pinned.test"] = "127.0.0.1:" + std::to_string(server_->http_port());
  FetchResult result = FetchOnce("http://pinned.test/", settings);
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_EQ(dns_.TotalQueries(), 0u);
}

}  // namespace
}  // namespace newshound::net
