// Config loading: every mistake is reported with file:line:column and key.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "newshound/config.h"

namespace newshound {
namespace {

const char* kMinimal = R"(sites:
  - name: en
    plugin: almaghribtoday
    start_urls: [https://en.example.test/]
)";

Result<Config> Load(const std::string& text) { return LoadConfigString(text, "test.yaml"); }

TEST(Config, LoadsMinimalConfigWithDefaults) {
  auto config = Load(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_EQ(config->sites.size(), 1u);
  const SiteConfig& site = config->sites[0];
  EXPECT_EQ(site.name, "en");
  EXPECT_EQ(site.hosts, std::vector<std::string>{"en.example.test"});
  EXPECT_EQ(site.politeness.delay, Millis(1000));
  EXPECT_EQ(site.limits.max_body, 10u << 20);
  EXPECT_EQ(site.limits.max_redirects, 10);
  EXPECT_EQ(site.plugin_settings_json, "{}");
  EXPECT_EQ(site.user_agent, config->crawler.user_agent);
}

TEST(Config, SiteInheritsCrawlerWideDefaultsAndOverridesThem) {
  auto config = Load(R"(crawler:
  request_timeout: 5s
  max_body: 2MiB
politeness:
  delay: 250ms
sites:
  - name: a
    plugin: p
    start_urls: [https://a.test/]
  - name: b
    plugin: p
    start_urls: [https://b.test/]
    politeness: {delay: 2s, max_connections_per_host: 4}
    max_body: 1KiB
)");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->sites[0].politeness.delay, Millis(250));
  EXPECT_EQ(config->sites[0].limits.request_timeout, Millis(5000));
  EXPECT_EQ(config->sites[0].limits.max_body, 2u << 20);
  EXPECT_EQ(config->sites[1].politeness.delay, Millis(2000));
  EXPECT_EQ(config->sites[1].politeness.max_connections_per_host, 4);
  EXPECT_EQ(config->sites[1].limits.max_body, 1024u);
}

TEST(Config, UnknownKeyNamesFileLineColumnAndKey) {
  auto config = Load("crawler:\n  threads: 2\n  thredas: 4\n" + std::string(kMinimal));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("test.yaml:3:3: unknown key 'crawler.thredas'"), std::string::npos)
      << config.status().message();
}

TEST(Config, WrongTypeNamesFileLineColumnAndKey) {
  auto config = Load("crawler:\n  threads: many\n" + std::string(kMinimal));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("test.yaml:2:12: 'crawler.threads' must be an integer"), std::string::npos)
      << config.status().message();
}

TEST(Config, ListWhereScalarExpectedIsAnError) {
  auto config = Load("crawler:\n  user_agent: [a, b]\n" + std::string(kMinimal));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("test.yaml:2:15: 'crawler.user_agent' must be a scalar, not a list"),
            std::string::npos)
      << config.status().message();
}

TEST(Config, MissingRequiredKeyNamesTheSiteAndKey) {
  auto config = Load("sites:\n  - name: en\n    start_urls: [https://a.test/]\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("test.yaml:2:5: missing required key 'sites[0].plugin'"), std::string::npos)
      << config.status().message();
}

TEST(Config, MissingSitesIsAnError) {
  auto config = Load("crawler:\n  threads: 1\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("missing required key 'sites'"), std::string::npos);
}

TEST(Config, BadDurationIsAnError) {
  auto config = Load("politeness:\n  delay: soon\n" + std::string(kMinimal));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("test.yaml:2:10: 'politeness.delay' must be a duration"), std::string::npos)
      << config.status().message();
}

TEST(Config, UrlNormalizationDefaultsDropTrackingParametersAndDoNotSort) {
  auto config = Load(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status().message();
  const NormalizeOptions& options = config->sites[0].url_normalization;
  EXPECT_EQ(options.drop_query_params, NormalizeOptions().drop_query_params);
  EXPECT_FALSE(options.sort_query);
  EXPECT_EQ(*NormalizeUrl("https://a.test/?utm_source=x&id=1", options), "https://a.test/?id=1");
}

TEST(Config, UrlNormalizationIsInheritedAndASiteListReplacesIt) {
  auto config = Load(R"(url_normalization:
  drop_query_params: [utm_*, sid]
  sort_query: true
sites:
  - name: a
    plugin: p
    start_urls: [https://a.test/]
  - name: b
    plugin: p
    start_urls: [https://b.test/]
    url_normalization: {drop_query_params: [jsessionid]}
  - name: c
    plugin: p
    start_urls: [https://c.test/]
    url_normalization: {drop_query_params: [], sort_query: false}
)");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->sites[0].url_normalization.drop_query_params, (std::vector<std::string>{"utm_*", "sid"}));
  EXPECT_TRUE(config->sites[0].url_normalization.sort_query);
  EXPECT_EQ(config->sites[1].url_normalization.drop_query_params, std::vector<std::string>{"jsessionid"});
  EXPECT_TRUE(config->sites[1].url_normalization.sort_query);  // not given: inherited
  EXPECT_TRUE(config->sites[2].url_normalization.drop_query_params.empty());
  EXPECT_FALSE(config->sites[2].url_normalization.sort_query);
}

TEST(Config, UrlNormalizationDropQueryParamsMustBeAListNamingFileLineColumn) {
  auto config = Load(R"(sites:
  - name: a
    plugin: p
    start_urls: [https://a.test/]
    url_normalization:
      drop_query_params: utm_*
)");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find(
                "test.yaml:6:26: 'sites[0].url_normalization.drop_query_params' must be a list of parameter names"),
            std::string::npos)
      << config.status().message();
}

TEST(Config, UrlNormalizationRejectsBadPatternsSortQueryAndUnknownKeys) {
  auto bad_pattern = Load("url_normalization:\n  drop_query_params: [a=b]\n" + std::string(kMinimal));
  ASSERT_FALSE(bad_pattern.ok());
  EXPECT_NE(bad_pattern.status().message().find("test.yaml:2:23: 'url_normalization.drop_query_params[0]' must be"),
            std::string::npos)
      << bad_pattern.status().message();
  auto bad_bool = Load("url_normalization:\n  sort_query: sometimes\n" + std::string(kMinimal));
  ASSERT_FALSE(bad_bool.ok());
  EXPECT_NE(bad_bool.status().message().find("test.yaml:2:15: 'url_normalization.sort_query' must be true or false"),
            std::string::npos)
      << bad_bool.status().message();
  auto unknown = Load("url_normalization:\n  drop_params: [x]\n" + std::string(kMinimal));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("test.yaml:2:3: unknown key 'url_normalization.drop_params'"),
            std::string::npos)
      << unknown.status().message();
}

TEST(Config, InsecureTlsOnlyPerSite) {
  auto config = Load("tls:\n  insecure: true\n" + std::string(kMinimal));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("only allowed in a site's tls settings"), std::string::npos);
  auto per_site = Load(std::string(kMinimal) + "    tls: {insecure: true}\n");
  ASSERT_TRUE(per_site.ok()) << per_site.status().message();
  EXPECT_TRUE(per_site->sites[0].tls.insecure);
}

TEST(Config, StartUrlMustBeHttp) {
  auto config = Load("sites:\n  - name: en\n    plugin: p\n    start_urls: [ftp://a.test/]\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("test.yaml:4:18:"), std::string::npos) << config.status().message();
  EXPECT_NE(config.status().message().find("only http and https"), std::string::npos);
}

TEST(Config, DuplicateSiteNamesAreAnError) {
  auto config = Load(std::string(kMinimal) + "  - name: en\n    plugin: p\n    start_urls: [https://b.test/]\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("duplicate site name 'en'"), std::string::npos);
}

TEST(Config, SyntaxErrorNamesLine) {
  auto config = Load("crawler:\n  threads: [1\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("test.yaml:"), std::string::npos) << config.status().message();
}

TEST(Config, ExpandsEnvironmentVariablesWithDefaults) {
  ::setenv("NEWSHOUND_TEST_PORT", "8443", 1);
  ::unsetenv("NEWSHOUND_TEST_UNSET");
  auto config = Load(R"(network:
  resolve:
    "a.test:443": "127.0.0.1:${NEWSHOUND_TEST_PORT}"
    "b.test": "${NEWSHOUND_TEST_UNSET:-127.0.0.2}"
)" + std::string(kMinimal));
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->crawler.resolve.at("a.test:443"), "127.0.0.1:8443");
  EXPECT_EQ(config->crawler.resolve.at("b.test"), "127.0.0.2");
  auto unset = Load("crawler:\n  user_agent: ${NEWSHOUND_TEST_UNSET}\n" + std::string(kMinimal));
  ASSERT_FALSE(unset.ok());
  EXPECT_NE(unset.status().message().find("test.yaml:2:15: 'crawler.user_agent': environment variable "
                                          "NEWSHOUND_TEST_UNSET is not set"),
            std::string::npos)
      << unset.status().message();
}

TEST(Config, DnsDefaultsToSystemServersFiveMinuteMaxTtlAndThirtySecondNegativeTtl) {
  auto config = Load(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_TRUE(config->crawler.dns.servers.empty());
  EXPECT_EQ(config->crawler.dns.max_ttl, Millis(300'000));
  EXPECT_EQ(config->crawler.dns.negative_ttl, Millis(30'000));
}

TEST(Config, DnsKeysAreReadUnderNetwork) {
  auto config = Load(R"(network:
  dns_servers: ["127.0.0.1:5353", "192.0.2.53", "[::1]:53", "::1"]
  dns_max_ttl: 1m
  dns_negative_ttl: 0
)" + std::string(kMinimal));
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->crawler.dns.servers,
            (std::vector<std::string>{"127.0.0.1:5353", "192.0.2.53", "[::1]:53", "::1"}));
  EXPECT_EQ(config->crawler.dns.max_ttl, Millis(60'000));
  EXPECT_EQ(config->crawler.dns.negative_ttl, Millis(0));
}

TEST(Config, DnsServerMustBeAnAddressWithOptionalPort) {
  for (const char* value : {"dns.example.test", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:x", "[::1]x", "1.2.3"}) {
    auto config = Load(std::string("network:\n  dns_servers: [\"127.0.0.1\", \"") + value + "\"]\n" + kMinimal);
    ASSERT_FALSE(config.ok()) << value;
    EXPECT_NE(config.status().message().find("test.yaml:2:30: 'network.dns_servers[1]' must be an IP address with an "
                                             "optional port"),
              std::string::npos)
        << value << ": " << config.status().message();
  }
  auto scalar = Load("network:\n  dns_servers: 127.0.0.1\n" + std::string(kMinimal));
  ASSERT_FALSE(scalar.ok());
  EXPECT_NE(scalar.status().message().find("test.yaml:2:16: 'network.dns_servers' must be a list"), std::string::npos)
      << scalar.status().message();
}

TEST(Config, AllowListsNetworksAndDefaultsToNone) {
  auto none = Load(kMinimal);
  ASSERT_TRUE(none.ok()) << none.status().message();
  EXPECT_TRUE(none->crawler.allow.empty());
  auto config = Load("network:\n  allow: [127.0.0.1/32, 10.0.0.0/8, \"fd00::/8\", 192.168.7.7]\n" + std::string(kMinimal));
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_EQ(config->crawler.allow.size(), 4u);
  EXPECT_EQ(config->crawler.allow[1].text, "10.0.0.0/8");
  EXPECT_EQ(config->crawler.allow[1].prefix, 8);
  EXPECT_TRUE(config->crawler.allow[2].v6);
  EXPECT_EQ(config->crawler.allow[3].prefix, 32);
}

TEST(Config, AllowEntryThatIsNotANetworkNamesItsLineAndWhy) {
  auto config = Load("network:\n  allow:\n    - 127.0.0.1/32\n    - 10.1.2.3/8\n" + std::string(kMinimal));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("test.yaml:4:7: 'network.allow[1]' '10.1.2.3/8': address has bits set past "
                                           "the /8 prefix"),
            std::string::npos)
      << config.status().message();
  auto name = Load("network:\n  allow: [localhost]\n" + std::string(kMinimal));
  ASSERT_FALSE(name.ok());
  EXPECT_NE(name.status().message().find("test.yaml:2:11: 'network.allow[0]' 'localhost': not an IP address"),
            std::string::npos)
      << name.status().message();
  auto scalar = Load("network:\n  allow: 127.0.0.1/32\n" + std::string(kMinimal));
  ASSERT_FALSE(scalar.ok());
  EXPECT_NE(scalar.status().message().find("test.yaml:2:10: 'network.allow' must be a list of networks"),
            std::string::npos)
      << scalar.status().message();
}

TEST(Config, DnsTtlMustBeADuration) {
  auto config = Load("network:\n  dns_max_ttl: forever\n" + std::string(kMinimal));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("test.yaml:2:16: 'network.dns_max_ttl' must be a duration"),
            std::string::npos)
      << config.status().message();
  auto negative = Load("network:\n  dns_negative_ttl: -5s\n" + std::string(kMinimal));
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("test.yaml:2:21: 'network.dns_negative_ttl'"), std::string::npos)
      << negative.status().message();
}

TEST(Config, PluginSettingsBecomeJson) {
  auto config = Load(std::string(kMinimal) + "    plugin_settings:\n      edition: ar\n      pages: 3\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->sites[0].plugin_settings_json, R"({"edition":"ar","pages":3})");
}

TEST(Config, MissingFileIsAnErrorNamingIt) {
  auto config = LoadConfigFile("/nonexistent/newshound.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("/nonexistent/newshound.yaml: cannot open"), std::string::npos);
}

TEST(Config, PolitenessRetriesAndRobotsHaveDefaultsAndOverrides) {
  auto config = Load(R"yaml(politeness:
  key: domain
  max_crawl_delay: 5s
  adaptive: {enabled: true, floor: 100ms, ceiling: 10s, target_concurrency: 2}
retries: {max: 5, base: 200ms, cap: 10s}
robots: {cache_ttl: 1h}
sites:
  - name: a
    plugin: p
    start_urls: [https://a.test/]
    user_agent: "MyBot/2.0 (+https://example.test)"
    robots: {obey: false}
    retries: {max: 0}
)yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  const SiteConfig& site = config->sites[0];
  EXPECT_EQ(site.politeness.key, PolitenessKey::kDomain);
  EXPECT_EQ(site.politeness.max_crawl_delay, Millis(5000));
  EXPECT_TRUE(site.politeness.adaptive.enabled);
  EXPECT_EQ(site.politeness.adaptive.target_concurrency, 2.0);
  EXPECT_EQ(site.retries.max, 0);                 // the site's own
  EXPECT_EQ(site.retries.base, Millis(200));      // keys the site does not set are inherited
  EXPECT_FALSE(site.robots.obey);
  EXPECT_EQ(site.robots.agent, "MyBot");          // product token of the site's user agent
  auto defaults = Load(kMinimal);
  EXPECT_EQ(defaults->sites[0].politeness.key, PolitenessKey::kHost);
  EXPECT_EQ(defaults->sites[0].retries.max, 3);
  EXPECT_TRUE(defaults->sites[0].robots.obey);
  EXPECT_EQ(defaults->sites[0].robots.cache_ttl, Millis(24 * 3600 * 1000));
  EXPECT_EQ(defaults->sites[0].robots.agent, "newshound");
}

TEST(Config, PhaseTimeoutsHaveDefaults) {
  auto config = Load(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status().message();
  const FetchLimits& limits = config->sites[0].limits;
  EXPECT_EQ(limits.resolve_timeout, Millis(10'000));
  EXPECT_EQ(limits.connect_timeout, Millis(10'000));
  EXPECT_EQ(limits.tls_timeout, Millis(10'000));
  EXPECT_EQ(limits.headers_timeout, Millis(30'000));
  EXPECT_EQ(limits.body_idle_timeout, Millis(30'000));
  EXPECT_EQ(limits.request_timeout, Millis(60'000));
}

TEST(Config, PhaseTimeoutsAreSetCrawlerWideAndOverriddenPerSite) {
  auto config = Load(R"(crawler:
  resolve_timeout: 1s
  connect_timeout: 2s
  tls_timeout: 3s
  headers_timeout: 4s
  body_idle_timeout: 5s
  request_timeout: 6s
sites:
  - name: a
    plugin: p
    start_urls: [https://a.test/]
  - name: b
    plugin: p
    start_urls: [https://b.test/]
    resolve_timeout: 100ms
    connect_timeout: 200ms
    tls_timeout: 300ms
    headers_timeout: 400ms
    body_idle_timeout: 500ms
    request_timeout: 1m
)");
  ASSERT_TRUE(config.ok()) << config.status().message();
  const FetchLimits& a = config->sites[0].limits;
  EXPECT_EQ(a.resolve_timeout, Millis(1000));
  EXPECT_EQ(a.connect_timeout, Millis(2000));
  EXPECT_EQ(a.tls_timeout, Millis(3000));
  EXPECT_EQ(a.headers_timeout, Millis(4000));
  EXPECT_EQ(a.body_idle_timeout, Millis(5000));
  EXPECT_EQ(a.request_timeout, Millis(6000));
  const FetchLimits& b = config->sites[1].limits;
  EXPECT_EQ(b.resolve_timeout, Millis(100));
  EXPECT_EQ(b.connect_timeout, Millis(200));
  EXPECT_EQ(b.tls_timeout, Millis(300));
  EXPECT_EQ(b.headers_timeout, Millis(400));
  EXPECT_EQ(b.body_idle_timeout, Millis(500));
  EXPECT_EQ(b.request_timeout, Millis(60'000));
}

TEST(Config, PhaseTimeoutMustBeADuration) {
  auto config = Load("crawler:\n  headers_timeout: [1s]\n" + std::string(kMinimal));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("test.yaml:2:20: 'crawler.headers_timeout' must be a scalar"),
            std::string::npos)
      << config.status().message();
  auto per_site = Load(std::string(kMinimal) + "    body_idle_timeout: whenever\n");
  ASSERT_FALSE(per_site.ok());
  EXPECT_NE(per_site.status().message().find("test.yaml:5:24: 'sites[0].body_idle_timeout' must be a duration"),
            std::string::npos)
      << per_site.status().message();
}

TEST(Config, ZeroTimeoutIsAnError) {
  for (const char* key : {"resolve_timeout", "connect_timeout", "tls_timeout", "headers_timeout", "body_idle_timeout",
                          "request_timeout"}) {
    auto config = Load("crawler:\n  " + std::string(key) + ": 0s\n" + std::string(kMinimal));
    ASSERT_FALSE(config.ok()) << key;
    EXPECT_NE(config.status().message().find("'crawler." + std::string(key) + "' must be more than 0"),
              std::string::npos)
        << config.status().message();
  }
}

TEST(Config, ConnectionPoolKeysHaveDefaultsAndAreCrawlerWide) {
  auto defaults = Load(kMinimal);
  ASSERT_TRUE(defaults.ok()) << defaults.status().message();
  EXPECT_EQ(defaults->sites[0].limits.max_connections_per_origin, 8);
  EXPECT_EQ(defaults->sites[0].limits.max_idle_connections, kAutoIdleConnections);
  EXPECT_EQ(defaults->sites[0].limits.idle_timeout, Millis(30'000));

  auto config = Load("crawler:\n  max_connections_per_origin: 3\n  max_idle_connections: 10\n  idle_timeout: 500ms\n" +
                     std::string(kMinimal));
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->sites[0].limits.max_connections_per_origin, 3);
  EXPECT_EQ(config->sites[0].limits.max_idle_connections, 10);
  EXPECT_EQ(config->sites[0].limits.idle_timeout, Millis(500));

  auto automatic = Load("crawler:\n  max_idle_connections: auto\n" + std::string(kMinimal));
  ASSERT_TRUE(automatic.ok()) << automatic.status().message();
  EXPECT_EQ(automatic->sites[0].limits.max_idle_connections, kAutoIdleConnections);
  auto wrong = Load("crawler:\n  max_idle_connections: some\n" + std::string(kMinimal));
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("must be auto or an integer between 0 and 1000000, got"), std::string::npos)
      << wrong.status().message();

  // One pool serves every site: a per-site value is an unknown key.
  auto per_site = Load(std::string(kMinimal) + "    idle_timeout: 1s\n");
  ASSERT_FALSE(per_site.ok());
  EXPECT_NE(per_site.status().message().find("idle_timeout"), std::string::npos) << per_site.status().message();
}

TEST(Config, ConnectionPoolKeysAreValidated) {
  for (const char* bad : {"max_connections_per_origin: 0", "max_idle_connections: -1", "max_idle_connections: some",
                          "idle_timeout: 0s"}) {
    auto config = Load("crawler:\n  " + std::string(bad) + "\n" + std::string(kMinimal));
    ASSERT_FALSE(config.ok()) << bad;
    EXPECT_NE(config.status().message().find(std::string(bad).substr(0, std::string(bad).find(':'))),
              std::string::npos)
        << config.status().message();
  }
}

TEST(Config, BadPolitenessKeyIsAnError) {
  auto config = Load("politeness:\n  key: planet\n" + std::string(kMinimal));
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("test.yaml:2:8: 'politeness.key' must be host, domain or ip"),
            std::string::npos)
      << config.status().message();
}

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(ParseDuration("250ms"), Millis(250));
  EXPECT_EQ(ParseDuration("1.5s"), Millis(1500));
  EXPECT_EQ(ParseDuration("2m"), Millis(120000));
  EXPECT_EQ(ParseDuration("1h"), Millis(3600000));
  EXPECT_EQ(ParseDuration("3"), Millis(3000));
  EXPECT_FALSE(ParseDuration("fast"));
  EXPECT_FALSE(ParseDuration("-1s"));
  EXPECT_FALSE(ParseDuration("1 fortnight"));
}

TEST(ByteSize, ParsesUnits) {
  EXPECT_EQ(ParseByteSize("10MiB"), 10u << 20);
  EXPECT_EQ(ParseByteSize("512KiB"), 512u << 10);
  EXPECT_EQ(ParseByteSize("1GB"), 1000000000u);
  EXPECT_EQ(ParseByteSize("123"), 123u);
  EXPECT_FALSE(ParseByteSize("lots"));
}

}  // namespace
}  // namespace newshound

namespace newshound {
namespace {

TEST(ConfigHeaders, CrawlerWideHeadersAreMergedWithSiteHeaders) {
  auto config = LoadConfigString(R"(crawler:
  headers:
    Accept-Language: en
    X-Team: crawl
sites:
  - name: a
    plugin: p
    start_urls: [https://a.test/]
    cookies: true
    headers:
      accept-language: ar
      Referer: https://a.test/
  - name: b
    plugin: p
    start_urls: [https://b.test/]
)", "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(config->crawler.headers, (Headers{{"Accept-Language", "en"}, {"X-Team", "crawl"}}));
  EXPECT_EQ(config->sites[0].headers,
            (Headers{{"Accept-Language", "ar"}, {"X-Team", "crawl"}, {"Referer", "https://a.test/"}}));
  EXPECT_TRUE(config->sites[0].cookies);
  EXPECT_EQ(config->sites[1].headers, (Headers{{"Accept-Language", "en"}, {"X-Team", "crawl"}}));
  EXPECT_FALSE(config->sites[1].cookies);
}

TEST(ConfigHeaders, ReservedHeaderNamesAreRefusedWithTheirPlace) {
  for (const std::string name : {"Host", "content-length", "Connection", "Transfer-Encoding"}) {
    auto config = LoadConfigString(R"(sites:
  - name: a
    plugin: p
    start_urls: [https://a.test/]
    headers:
      )" + name + R"(: x
)", "test.yaml");
    ASSERT_FALSE(config.ok()) << name;
    EXPECT_NE(config.status().message().find("test.yaml:6:7: 'sites[0].headers." + name + "': the " + name +
                                             " header is set by the fetcher and cannot be configured"),
              std::string::npos)
        << config.status().message();
  }
  auto crawler_wide = LoadConfigString(R"(crawler:
  headers:
    Host: x
sites:
  - name: a
    plugin: p
    start_urls: [https://a.test/]
)", "test.yaml");
  ASSERT_FALSE(crawler_wide.ok());
  EXPECT_NE(crawler_wide.status().message().find("test.yaml:3:5: 'crawler.headers.Host'"), std::string::npos)
      << crawler_wide.status().message();
}

TEST(ConfigHeaders, BadNamesValuesAndTypesAreRefused) {
  auto site = [](const std::string& headers) {
    return LoadConfigString("sites:\n  - name: a\n    plugin: p\n    start_urls: [https://a.test/]\n" + headers,
                            "test.yaml");
  };
  auto bad_name = site("    headers:\n      \"X Bad\": v\n");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_NE(bad_name.status().message().find("test.yaml:6:7: 'sites[0].headers': 'X Bad' is not a valid HTTP header name"),
            std::string::npos)
      << bad_name.status().message();
  auto bad_value = site("    headers:\n      X-A: \"one\\r\\nX-B: two\"\n");
  ASSERT_FALSE(bad_value.ok());
  EXPECT_NE(bad_value.status().message().find("test.yaml:6:12: 'sites[0].headers.X-A' must not contain CR, LF or NUL"),
            std::string::npos)
      << bad_value.status().message();
  auto not_map = site("    headers: [a, b]\n");
  ASSERT_FALSE(not_map.ok());
  EXPECT_NE(not_map.status().message().find("'sites[0].headers' must be a mapping"), std::string::npos)
      << not_map.status().message();
  auto bad_cookies = site("    cookies: maybe\n");
  ASSERT_FALSE(bad_cookies.ok());
  EXPECT_NE(bad_cookies.status().message().find("test.yaml:5:14: 'sites[0].cookies' must be true or false"),
            std::string::npos)
      << bad_cookies.status().message();
  auto crawler_cookies = LoadConfigString(
      "crawler:\n  cookies: true\nsites:\n  - name: a\n    plugin: p\n    start_urls: [https://a.test/]\n", "test.yaml");
  EXPECT_FALSE(crawler_cookies.ok());  // per site only
}

// `proxy:` (crawler-wide and per site): http://[user:password@]host:port.
Result<Config> LoadWithProxies(const std::string& crawler_proxy, const std::string& site_b_proxy) {
  return LoadConfigString("crawler:\n  proxy: " + crawler_proxy +
                              "\nsites:\n  - name: a\n    plugin: p\n    start_urls: [https://a.test/]\n"
                              "  - name: b\n    plugin: p\n    start_urls: [https://b.test/]\n    proxy: " +
                              site_b_proxy + "\n",
                          "test.yaml");
}

TEST(ConfigProxy, NoProxyByDefault) {
  auto config = Load(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_FALSE(config->crawler.proxy.enabled());
  EXPECT_FALSE(config->sites[0].proxy.enabled());
  EXPECT_EQ(config->sites[0].proxy.Masked(), "none");
}

TEST(ConfigProxy, CrawlerWideProxyIsInheritedAndASiteOverridesOrTurnsItOff) {
  auto config = LoadWithProxies("http://crawler:s3cret@Proxy.Test:3128", "http://10.0.0.1:8080/");
  ASSERT_TRUE(config.ok()) << config.status().message();
  const ProxyOptions& a = config->sites[0].proxy;
  EXPECT_EQ(a.host, "proxy.test");
  EXPECT_EQ(a.port, 3128);
  EXPECT_EQ(a.user, "crawler");
  EXPECT_EQ(a.password, "s3cret");
  const ProxyOptions& b = config->sites[1].proxy;
  EXPECT_EQ(b.host, "10.0.0.1");
  EXPECT_EQ(b.port, 8080);
  EXPECT_TRUE(b.user.empty());
  EXPECT_TRUE(b.password.empty());
  for (const std::string off : {"none", "\"\"", "~"}) {
    auto turned_off = LoadWithProxies("http://proxy.test:3128", off);
    ASSERT_TRUE(turned_off.ok()) << off << ": " << turned_off.status().message();
    EXPECT_TRUE(turned_off->sites[0].proxy.enabled());
    EXPECT_FALSE(turned_off->sites[1].proxy.enabled()) << off;
  }
}

TEST(ConfigProxy, MaskedFormNeverShowsThePassword) {
  auto config = LoadWithProxies("http://crawler:s3cret@proxy.test:3128", "http://only-user@[::1]:3128");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->sites[0].proxy.Masked(), "http://crawler:***@proxy.test:3128");
  EXPECT_EQ(config->sites[0].proxy.Address(), "proxy.test:3128");
  EXPECT_EQ(config->sites[1].proxy.host, "::1");
  EXPECT_EQ(config->sites[1].proxy.Masked(), "http://only-user@[::1]:3128");
}

TEST(ConfigProxy, UserAndPasswordArePercentDecodedAndAnAtSignMayStayInThePassword) {
  auto proxy = ParseProxyUrl("http://us%40er:p%3Aw@rd@proxy.test:3128");
  ASSERT_TRUE(proxy.ok()) << proxy.status().message();
  EXPECT_EQ(proxy->user, "us@er");
  EXPECT_EQ(proxy->password, "p:w@rd");
  EXPECT_EQ(proxy->host, "proxy.test");
}

TEST(ConfigProxy, PasswordCanComeFromTheEnvironment) {
  ::setenv("NEWSHOUND_TEST_PROXY_PASSWORD", "from-env", 1);
  ::unsetenv("NEWSHOUND_TEST_PROXY_UNSET");
  auto config = LoadWithProxies("http://crawler:${NEWSHOUND_TEST_PROXY_PASSWORD}@proxy.test:3128",
                                "${NEWSHOUND_TEST_PROXY_UNSET:-none}");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->sites[0].proxy.password, "from-env");
  EXPECT_FALSE(config->sites[1].proxy.enabled());
}

TEST(ConfigProxy, OnlyTheHttpSchemeIsAcceptedAndTheErrorMasksThePassword) {
  auto https = LoadWithProxies("https://crawler:topsecret@proxy.test:3128", "none");
  ASSERT_FALSE(https.ok());
  const std::string message = https.status().message();
  EXPECT_NE(message.find("test.yaml:2:10: 'crawler.proxy' only http:// proxies are supported"), std::string::npos)
      << message;
  EXPECT_NE(message.find("'https://crawler:***@proxy.test:3128'"), std::string::npos) << message;
  EXPECT_EQ(message.find("topsecret"), std::string::npos) << message;

  auto socks = LoadWithProxies("none", "socks5://proxy.test:1080");
  ASSERT_FALSE(socks.ok());
  EXPECT_NE(socks.status().message().find("test.yaml:10:12: 'sites[1].proxy' only http:// proxies are supported"),
            std::string::npos)
      << socks.status().message();
}

TEST(ConfigProxy, MissingPortOrHostAndOtherMalformedUrlsAreRefused) {
  const std::pair<const char*, const char*> kCases[] = {
      {"http://proxy.test", "needs a port"},
      {"http://crawler:topsecret@proxy.test", "needs a port"},
      {"http://proxy.test:", "needs a port"},
      {"http://:3128", "has no host"},
      {"http://crawler:topsecret@:3128", "has no host"},
      {"proxy.test:3128", "must be a URL http://[user:password@]host:port"},
      {"http://proxy.test:0", "needs a port from 1 to 65535"},
      {"http://proxy.test:70000", "needs a port from 1 to 65535"},
      {"http://proxy.test:31x8", "needs a port from 1 to 65535"},
      {"http://proxy.test:3128/path", "must not have a path, query or fragment"},
      {"http://pro xy.test:3128", "has an invalid host name"},
      {"http://crawler:top%zzsecret@proxy.test:3128", "has a bad %-escape"},
  };
  for (const auto& [value, error] : kCases) {
    auto config = LoadWithProxies(std::string("\"") + value + "\"", "none");
    ASSERT_FALSE(config.ok()) << value;
    const std::string message = config.status().message();
    EXPECT_NE(message.find("test.yaml:2:10: 'crawler.proxy' " + std::string(error)), std::string::npos)
        << value << ": " << message;
    EXPECT_EQ(message.find("topsecret"), std::string::npos) << message;
  }
  auto not_scalar = LoadWithProxies("[a, b]", "none");
  ASSERT_FALSE(not_scalar.ok());
  EXPECT_NE(not_scalar.status().message().find("'crawler.proxy' must be a scalar"), std::string::npos)
      << not_scalar.status().message();
}

// Crawl state and scheduling keys (docs/configuration.md, docs/scheduling.md).
TEST(ConfigState, StateScheduleRecrawlAndShutdownKeysAreRead) {
  auto config = Load(R"(crawler:
  state_dir: /var/lib/newshound
  shutdown_timeout: 5s
sites:
  - name: cron
    plugin: p
    start_urls: [https://a.test/]
    schedule: "*/15 * * * *"
    recrawl_after: 7d
    include: ['/news/']
    exclude: ['/print/', '\?page=']
  - name: every
    plugin: p
    start_urls: [https://b.test/]
    schedule: {every: 30m}
)");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->crawler.state_dir, "/var/lib/newshound");
  EXPECT_EQ(config->crawler.shutdown_timeout, Millis(5000));
  EXPECT_EQ(config->sites[0].schedule.cron, "*/15 * * * *");
  EXPECT_EQ(config->sites[0].recrawl_after, Millis(7LL * 24 * 3600 * 1000));
  EXPECT_EQ(config->sites[0].include, std::vector<std::string>{"/news/"});
  EXPECT_EQ(config->sites[0].exclude.size(), 2u);
  EXPECT_EQ(config->sites[1].schedule.every, Millis(30 * 60 * 1000));
  EXPECT_FALSE(config->sites[1].schedule.set() == false);
  // Defaults: nothing kept, no schedule, never re-crawled, 30 s to stop.
  auto minimal = Load(kMinimal);
  ASSERT_TRUE(minimal.ok());
  EXPECT_TRUE(minimal->crawler.state_dir.empty());
  EXPECT_FALSE(minimal->sites[0].schedule.set());
  EXPECT_EQ(minimal->sites[0].recrawl_after, Millis(0));
  EXPECT_EQ(minimal->crawler.shutdown_timeout, Millis(30000));
}

TEST(ConfigState, BadSchedulesAndPatternsNameTheirPlace) {
  const std::string head = "sites:\n  - name: a\n    plugin: p\n    start_urls: [https://a.test/]\n";
  struct Case {
    std::string yaml, where, what;
  };
  for (const Case& c : std::vector<Case>{
           {"    schedule: \"*/0 * * * *\"\n", "test.yaml:5:15", "step must be at least 1"},
           {"    schedule: {every: 0s}\n", "test.yaml:5:23", "must be more than 0"},
           {"    schedule: {every: 1m, cron: \"@daily\"}\n", "test.yaml:5:15", "exactly one of"},
           {"    schedule: [1, 2]\n", "test.yaml:5:15", "cron expression or a mapping"},
           {"    include: ['(unclosed']\n", "test.yaml:5:15", "not a valid RE2 pattern"},
           {"    exclude: [ok, '[z-a]']\n", "test.yaml:5:19", "not a valid RE2 pattern"},
       }) {
    auto config = Load(head + c.yaml);
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_NE(config.status().message().find(c.where), std::string::npos) << config.status().message();
    EXPECT_NE(config.status().message().find(c.what), std::string::npos) << config.status().message();
  }
}

// docs/configuration.md documents every key the loader knows: each level's
// known keys are taken from the loader's own "unknown key" message.
TEST(ConfigDocs, EveryKeyTheLoaderKnowsIsDocumented) {
  std::ifstream in(std::string(NEWSHOUND_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md";
  const std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string site = "  - name: a\n    plugin: p\n    start_urls: [https://a.test/]\n";
  // Each: a config with an unknown key `zz` at one level, and how the docs
  // name that level's keys (nested ones as `parent.key`).
  const std::vector<std::pair<std::string, std::string>> configs = {
      {"zz: 1\nsites:\n" + site, ""},
      {"crawler: {zz: 1}\nsites:\n" + site, ""},
      {"network: {zz: 1}\nsites:\n" + site, ""},
      {"tls: {zz: 1}\nsites:\n" + site, ""},
      {"politeness: {zz: 1}\nsites:\n" + site, ""},
      {"politeness: {adaptive: {zz: 1}}\nsites:\n" + site, "adaptive."},
      {"retries: {zz: 1}\nsites:\n" + site, ""},
      {"robots: {zz: 1}\nsites:\n" + site, ""},
      {"output: {zz: 1}\nsites:\n" + site, ""},
      {"frontier: {zz: 1}\nsites:\n" + site, ""},
      {"url_normalization: {zz: 1}\nsites:\n" + site, ""},
      {"sites:\n" + site + "    zz: 1\n", ""},
      {"sites:\n" + site + "    discovery: {zz: 1}\n", "discovery."},
      {"sites:\n" + site + "    priorities: {zz: 1}\n", "priorities."},
      {"sites:\n" + site + "    schedule: {zz: 1}\n", "schedule."},
  };
  size_t keys = 0;
  for (const auto& [text, prefix] : configs) {
    auto config = Load(text);
    ASSERT_FALSE(config.ok()) << text;
    const std::string& message = config.status().message();
    const size_t open = message.find("(known keys here: ");
    ASSERT_NE(open, std::string::npos) << message;
    std::string list = message.substr(open + 18, message.find(')', open) - open - 18);
    for (size_t start = 0; start < list.size();) {
      size_t end = list.find(", ", start);
      if (end == std::string::npos) end = list.size();
      const std::string key = prefix + list.substr(start, end - start);
      // A mapping is documented by its own row or by rows of its keys.
      const bool documented =
          docs.find("`" + key + "`") != std::string::npos || docs.find("`" + key + ".") != std::string::npos;
      EXPECT_TRUE(documented) << "docs/configuration.md does not document `" << key << "` (" << message << ")";
      ++keys;
      start = end + 2;
    }
  }
  EXPECT_GT(keys, 60u);
}

TEST(ConfigSecrets, AnUnterminatedVariableIsReportedWithoutTheValue) {
  auto config = Load("crawler:\n  proxy: \"http://u:s3cret${X@proxy.test:3128\"\nsites:\n  - name: a\n    plugin: p\n"
                     "    start_urls: [https://a.test/]\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("test.yaml:2:10"), std::string::npos) << config.status().message();
  EXPECT_NE(config.status().message().find("unterminated ${"), std::string::npos) << config.status().message();
  EXPECT_EQ(config.status().message().find("s3cret"), std::string::npos) << config.status().message();
}

Result<Config> LoadSite(const std::string& site_lines) {
  return Load("sites:\n  - name: a\n    plugin: p\n" + site_lines);
}

TEST(ConfigSecrets, UrlCredentialsInStartUrlsSitemapsAndFeedsAreRefusedMasked) {
  const std::pair<const char*, const char*> kCases[] = {
      {"    start_urls: [\"https://user:s3cret@a.test/\"]\n", "test.yaml:4:18: 'sites[0].start_urls'"},
      {"    start_urls: https://TOKENs3cret@a.test/\n", "test.yaml:4:17: 'sites[0].start_urls'"},
      {"    start_urls: [https://a.test/]\n    discovery: {sitemaps: [\"https://u:s3cret@a.test/s.xml\"]}\n",
       "'sites[0].discovery.sitemaps'"},
      {"    start_urls: [https://a.test/]\n    discovery: {feeds: [\"http://u:s3cret@a.test/rss\"]}\n",
       "'sites[0].discovery.feeds'"},
  };
  for (const auto& [lines, where] : kCases) {
    auto config = LoadSite(lines);
    ASSERT_FALSE(config.ok()) << lines;
    const std::string message = config.status().message();
    EXPECT_NE(message.find(where), std::string::npos) << message;
    EXPECT_NE(message.find("has a user name or password"), std::string::npos) << message;
    EXPECT_NE(message.find("***@a.test"), std::string::npos) << message;
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  }
  // An invalid URL with credentials: the parser's error is masked too.
  auto invalid = LoadSite("    start_urls: [\"https://u:s3cret@a b.test/\"]\n");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.status().message().find("s3cret"), std::string::npos) << invalid.status().message();
}

TEST(ConfigSecrets, HeaderValuesAreNeverEchoed) {
  auto newline =
      LoadSite("    start_urls: [https://a.test/]\n    headers: {Authorization: \"Bearer s3cret\\nX: y\"}\n");
  ASSERT_FALSE(newline.ok());
  EXPECT_NE(newline.status().message().find("'sites[0].headers.Authorization' must not contain CR, LF or NUL"),
            std::string::npos)
      << newline.status().message();
  EXPECT_EQ(newline.status().message().find("s3cret"), std::string::npos) << newline.status().message();
  auto refused = LoadSite("    start_urls: [https://a.test/]\n    headers: {Host: s3cret.test}\n");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message().find("s3cret"), std::string::npos) << refused.status().message();
}

TEST(ConfigSecrets, ValuesFromTheEnvironmentAreNotQuotedInErrors) {
  ::setenv("NEWSHOUND_TEST_SECRET", "s3cret-from-env", 1);
  const char* kKeys[] = {
      "    max_pages: ${NEWSHOUND_TEST_SECRET}\n",
      "    max_depth: \"1${NEWSHOUND_TEST_SECRET}\"\n",
      "    cookies: ${NEWSHOUND_TEST_SECRET}\n",
      "    request_timeout: ${NEWSHOUND_TEST_SECRET}\n",
      "    max_body: ${NEWSHOUND_TEST_SECRET}\n",
      "    include: [\"(${NEWSHOUND_TEST_SECRET}\"]\n",
      "    politeness: {key: \"${NEWSHOUND_TEST_SECRET}\"}\n",
      "    priorities: {article: \"${NEWSHOUND_TEST_SECRET}\"}\n",
      "    schedule: \"${NEWSHOUND_TEST_SECRET}\"\n",
      "    url_normalization: {drop_query_params: [\"a=${NEWSHOUND_TEST_SECRET}\"]}\n",
  };
  for (const char* key : kKeys) {
    auto config = LoadSite(std::string("    start_urls: [https://a.test/]\n") + key);
    ASSERT_FALSE(config.ok()) << key;
    const std::string message = config.status().message();
    EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
    EXPECT_NE(message.find("NEWSHOUND_TEST_SECRET"), std::string::npos) << message;
  }
  auto start = LoadSite("    start_urls: [\"https://a.test/${NEWSHOUND_TEST_SECRET} x\"]\n    hosts: [a.test]\n"
                        "    discovery: {feeds: [\"ftp://a.test/${NEWSHOUND_TEST_SECRET}\"]}\n");
  ASSERT_FALSE(start.ok());
  EXPECT_EQ(start.status().message().find("s3cret"), std::string::npos) << start.status().message();
  auto level = Load("crawler:\n  log_level: ${NEWSHOUND_TEST_SECRET}\nsites:\n  - name: a\n    plugin: p\n"
                    "    start_urls: [https://a.test/]\n");
  ASSERT_FALSE(level.ok());
  EXPECT_EQ(level.status().message().find("s3cret"), std::string::npos) << level.status().message();
  // A value written into the file is still quoted: it helps, and is no
  // secret the file does not already hold.
  auto literal = LoadSite("    start_urls: [https://a.test/]\n    max_pages: lots\n");
  ASSERT_FALSE(literal.ok());
  EXPECT_NE(literal.status().message().find("got 'lots'"), std::string::npos) << literal.status().message();
  ::unsetenv("NEWSHOUND_TEST_SECRET");
}

}  // namespace
}  // namespace newshound

namespace newshound {
namespace {

// No output section: one jsonl sink, named jsonl, at out/articles.jsonl;
// `output.jsonl` is the same sink elsewhere.
TEST(ConfigSinks, DefaultIsOneJsonlSinkAndTheShorthandNamesIt) {
  auto config = Load(kMinimal);
  ASSERT_TRUE(config.ok()) << config.status().message();
  ASSERT_EQ(config->crawler.sinks.size(), 1u);
  EXPECT_EQ(config->crawler.sinks[0].name, "jsonl");
  EXPECT_EQ(config->crawler.sinks[0].kind, SinkKind::kJsonl);
  EXPECT_EQ(config->crawler.sinks[0].path, "out/articles.jsonl");
  EXPECT_EQ(config->crawler.flush_interval, Millis(500));
  auto shorthand = Load(std::string("output:\n  jsonl: a/b.jsonl\n") + kMinimal);
  ASSERT_TRUE(shorthand.ok()) << shorthand.status().message();
  ASSERT_EQ(shorthand->crawler.sinks.size(), 1u);
  EXPECT_EQ(shorthand->crawler.sinks[0].path, "a/b.jsonl");
  EXPECT_TRUE(shorthand->sites[0].sinks.empty()) << "a site without `sinks` gets every sink";
}

TEST(ConfigSinks, EveryKindWithItsDefaultsAndASiteNamingItsOwn) {
  auto config = Load(R"(output:
  flush_interval: 2s
  sinks:
    - {type: jsonl, path: out/a.jsonl, gzip: true, rotate_size: 64MiB, rotate_every: 1h}
    - {name: archive, type: warc, path: out/warc}
    - {name: db, type: sqlite, path: out/a.db}
sites:
  - name: en
    plugin: almaghribtoday
    start_urls: [https://en.example.test/]
    sinks: [db, archive]
)");
  ASSERT_TRUE(config.ok()) << config.status().message();
  const auto& sinks = config->crawler.sinks;
  ASSERT_EQ(sinks.size(), 3u);
  EXPECT_EQ(sinks[0].name, "jsonl");  // the type, when no name is given
  EXPECT_TRUE(sinks[0].gzip);
  EXPECT_EQ(sinks[0].rotate_size, 64u << 20);
  EXPECT_EQ(sinks[0].rotate_every, Millis(3'600'000));
  EXPECT_TRUE(sinks[0].rotates());
  EXPECT_EQ(sinks[1].kind, SinkKind::kWarc);
  EXPECT_TRUE(sinks[1].gzip) << "WARC records are gzipped by default";
  EXPECT_EQ(sinks[1].rotate_size, 1u << 30);
  EXPECT_FALSE(sinks[1].rotates()) << "rotation by name is a jsonl thing; the WARC writer rotates by size itself";
  EXPECT_EQ(sinks[2].kind, SinkKind::kSqlite);
  EXPECT_EQ(sinks[2].location, "test.yaml:6:7");
  EXPECT_EQ(config->sites[0].sinks, (std::vector<std::string>{"db", "archive"}));
  EXPECT_EQ(config->crawler.flush_interval, Millis(2000));
}

TEST(ConfigSinks, MistakesNameFileLineColumnAndWhat) {
  struct Case {
    std::string output, site_more, expect;
  };
  const Case cases[] = {
      {"  sinks:\n    - {type: csv, path: a}\n", "", "test.yaml:3:14: 'output.sinks[0].type' must be jsonl, warc or sqlite; got 'csv'"},
      {"  sinks:\n    - {type: jsonl}\n", "", "missing required key 'output.sinks[0].path'"},
      {"  sinks:\n    - {type: jsonl, path: a}\n    - {type: jsonl, path: b}\n", "",
       "test.yaml:4:7: 'output': two sinks are named 'jsonl' (the other at test.yaml:3:7); give one a `name`"},
      {"  sinks:\n    - {name: x, type: jsonl, path: a}\n    - {name: y, type: sqlite, path: a}\n", "",
       "sinks 'x' and 'y' both write a"},
      {"  jsonl: a\n  sinks:\n    - {type: jsonl, path: b}\n", "", "two sinks are named 'jsonl'"},
      {"  sinks:\n    - {type: warc, path: w, rotate_every: 1h}\n", "", "'output.sinks[0].rotate_every' is for jsonl sinks only"},
      {"  sinks:\n    - {type: sqlite, path: a.db, gzip: true}\n", "", "a sqlite sink has no gzip or rotate_size"},
      {"  sinks:\n    - {type: jsonl, path: a, rotate_size: 100}\n", "", "must be at least 4KiB"},
      {"  sinks:\n    - {name: 'a b', type: jsonl, path: a}\n", "", "'output.sinks[0].name' must be a word"},
      {"  flush_interval: 2m\n", "", "'output.flush_interval' must be at most 60s"},
      {"  sinks:\n    - {type: jsonl, path: a}\n", "    sinks: [jsonl, db]\n",
       "'sites[0].sinks': no sink named 'db' (output.sinks has: jsonl)"},
  };
  for (const auto& c : cases) {
    auto config = Load("output:\n" + c.output +
                       "sites:\n  - name: en\n    plugin: p\n    start_urls: [https://en.example.test/]\n" + c.site_more);
    ASSERT_FALSE(config.ok()) << c.output;
    EXPECT_NE(config.status().message().find(c.expect), std::string::npos)
        << c.output << "\n  got: " << config.status().message();
  }
}

TEST(ConfigMetrics, ListenIsLoopbackOnly) {
  for (const char* good : {"127.0.0.1:9464", "127.0.0.2:0", "[::1]:9464", "localhost:80"}) {
    auto config = Load(std::string("metrics:\n  listen: \"") + good + "\"\n" + kMinimal);
    ASSERT_TRUE(config.ok()) << good << ": " << config.status().message();
    EXPECT_EQ(config->crawler.metrics_listen, good);
    EXPECT_FALSE(config->crawler.metrics_in_run);
  }
  for (const char* bad : {"0.0.0.0:9464", "192.168.1.2:80", "[::]:9464", "example.com:80"}) {
    auto config = Load(std::string("metrics:\n  listen: \"") + bad + "\"\n" + kMinimal);
    ASSERT_FALSE(config.ok()) << bad;
    EXPECT_NE(config.status().message().find("test.yaml:2:11: 'metrics.listen' '" + std::string(bad) +
                                             "': the metrics endpoint listens on loopback only"),
              std::string::npos)
        << config.status().message();
  }
  auto no_port = Load(std::string("metrics:\n  listen: 127.0.0.1\n") + kMinimal);
  ASSERT_FALSE(no_port.ok());
  EXPECT_NE(no_port.status().message().find("must be host:port"), std::string::npos) << no_port.status().message();
  auto in_run = Load(std::string("metrics:\n  listen: 127.0.0.1:0\n  in_run: true\ncrawler:\n  progress_interval: 5s\n") +
                     kMinimal);
  ASSERT_TRUE(in_run.ok()) << in_run.status().message();
  EXPECT_TRUE(in_run->crawler.metrics_in_run);
  EXPECT_EQ(in_run->crawler.progress_interval, Millis(5000));
}

}  // namespace
}  // namespace newshound

namespace newshound {
namespace {

TEST(ConfigFrontier, RedisBackendWithItsAddressNameAndLeases) {
  auto config = Load("frontier:\n  backend: redis\n  redis: redis://10.1.2.3:6380/2\n  crawl: news-eu\n"
                     "  lease_ttl: 5s\n  claim_batch: 4\nsites:\n  - name: a\n    plugin: p\n"
                     "    start_urls: [https://a.test/]\n");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->crawler.frontier_backend, FrontierBackend::kRedis);
  EXPECT_EQ(config->crawler.frontier_redis, "redis://10.1.2.3:6380/2");
  EXPECT_EQ(config->crawler.frontier_crawl, "news-eu");
  EXPECT_EQ(config->crawler.frontier_lease_ttl, Millis(5'000));
  EXPECT_EQ(config->crawler.frontier_claim_batch, 4);
  auto plain = Load("sites:\n  - name: a\n    plugin: p\n    start_urls: [https://a.test/]\n");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->crawler.frontier_backend, FrontierBackend::kEmbedded);
}

TEST(ConfigFrontier, MistakesAreNamedWithTheirLine) {
  const std::string site = "sites:\n  - name: a\n    plugin: p\n    start_urls: [https://a.test/]\n";
  struct Case {
    std::string text, where, what;
  };
  const std::vector<Case> cases = {
      {"frontier:\n  backend: redis\n" + site, ":2:", "'frontier.redis' (redis://host:port/db) is needed"},
      {"frontier:\n  backend: etcd\n" + site, ":2:", "must be embedded or redis"},
      {"frontier:\n  backend: redis\n  redis: http://x:1\n" + site, ":3:", "not a redis:// URL"},
      {"frontier:\n  backend: redis\n  redis: redis://x:1\n  crawl: \"a b\"\n" + site, ":4:", "letters, digits"},
      {"frontier:\n  backend: redis\n  redis: redis://x:1\n  lease_ttl: 100ms\n" + site, ":4:", "at least 1s"},
      {"frontier:\n  backend: redis\n  redis: redis://x:1\npoliteness:\n  key: ip\n" + site, ":7:",
       "not with frontier.backend redis"},
  };
  for (const auto& c : cases) {
    auto config = Load(c.text);
    ASSERT_FALSE(config.ok()) << c.text;
    EXPECT_NE(config.status().message().find(c.where), std::string::npos) << config.status().message();
    EXPECT_NE(config.status().message().find(c.what), std::string::npos) << config.status().message();
  }
}

}  // namespace
}  // namespace newshound
