// max_idle_connections "auto": the pool's share of the open-file limit.
#include "net/connection_pool.h"

#include <gtest/gtest.h>

#include "newshound/config.h"
#include "newshound/engine.h"

namespace newshound {
namespace {

TEST(IdleConnections, AutoIsWhatTheOpenFileLimitLeavesWithinBounds) {
  // Debian's soft default, and the crawl's requests in flight.
  EXPECT_EQ(net::IdleConnectionsFor(1024, 64), 1024 - 64 - 256);
  EXPECT_EQ(net::IdleConnectionsFor(1024, 512), 1024 - 512 - 256);
  // A raised limit: the cap.
  EXPECT_EQ(net::IdleConnectionsFor(1u << 20, 512), 4096);
  // A tiny one: still a few, as before "auto" the fixed 256 did.
  EXPECT_EQ(net::IdleConnectionsFor(256, 64), 64);
  EXPECT_EQ(net::IdleConnectionsFor(0, 0), 64);
}

TEST(IdleConnections, FetchSettingsResolveAutoAndKeepAnExplicitValue) {
  Config config;
  config.crawler.max_in_flight = 100;
  SiteConfig site;
  site.limits.max_idle_connections = kAutoIdleConnections;
  EXPECT_EQ(FetchSettingsFor(config, site).limits.max_idle_connections,
            net::IdleConnectionsFor(net::OpenFileLimit(), 100));
  EXPECT_GE(FetchSettingsFor(config, site).limits.max_idle_connections, 64);
  site.limits.max_idle_connections = 10;
  EXPECT_EQ(FetchSettingsFor(config, site).limits.max_idle_connections, 10);
  site.limits.max_idle_connections = 0;
  EXPECT_EQ(FetchSettingsFor(config, site).limits.max_idle_connections, 0);
}

TEST(IdleConnections, AFetcherUsedOnItsOwnResolvesAutoToo) {
  FetchLimits limits;
  ASSERT_EQ(limits.max_idle_connections, kAutoIdleConnections);
  EXPECT_EQ(net::PoolLimits::From(limits).max_idle, net::IdleConnectionsFor(net::OpenFileLimit(), 0));
  limits.max_idle_connections = 3;
  EXPECT_EQ(net::PoolLimits::From(limits).max_idle, 3);
}

}  // namespace
}  // namespace newshound
