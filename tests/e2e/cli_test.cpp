// The command line's contract: verbs, usage errors, exit codes.
#include <gtest/gtest.h>

#include "e2e_support.h"
#include "loopback.h"
#include "newshound/config.h"

namespace newshound::e2e {
namespace {

TEST(Cli, VersionPrintsVersionAndAbi) {
  CliRun run = RunCli({"--version"});
  EXPECT_TRUE(run.status.success()) << run.status.ToString();
  EXPECT_NE(run.out.find("newshound 0."), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("plugin ABI 1.0"), std::string::npos) << run.out;
}

TEST(Cli, HelpListsEveryVerb) {
  CliRun run = RunCli({"--help"});
  EXPECT_TRUE(run.status.success());
  for (const char* verb : {"run", "check", "plugins", "extract"}) EXPECT_NE(run.out.find(verb), std::string::npos) << verb;
}

TEST(Cli, UnknownVerbIsAUsageErrorWithExitCode2) {
  CliRun run = RunCli({"crawl-everything"});
  EXPECT_EQ(run.status.exit_code, 2) << run.status.ToString();
  EXPECT_NE(run.err.find("crawl-everything"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("Usage"), std::string::npos) << run.err;
}

TEST(Cli, BadFlagIsAUsageErrorWithExitCode2) {
  CliRun run = RunCli({"run", "--frobnicate", "x.yaml"});
  EXPECT_EQ(run.status.exit_code, 2) << run.status.ToString();
  EXPECT_NE(run.err.find("frobnicate"), std::string::npos) << run.err;
}

TEST(Cli, NoVerbIsAUsageError) {
  CliRun run = RunCli({});
  EXPECT_EQ(run.status.exit_code, 2);
}

TEST(Cli, ExtractWithoutRequiredOptionsIsAUsageError) {
  CliRun run = RunCli({"extract", "page.html"});
  EXPECT_EQ(run.status.exit_code, 2);
  EXPECT_NE(run.err.find("--plugin"), std::string::npos) << run.err;
}

TEST(Cli, CheckReportsABadConfigWithFileLineColumnAndExits1) {
  test::TempDir dir;
  const auto config = dir.path() / "bad.yaml";
  test::WriteFile(config, "crawler:\n  threads: 2\n  max_in_flite: 3\nsites: []\n");
  CliRun run = RunCli({"check", config.string()});
  EXPECT_EQ(run.status.exit_code, 1) << run.status.ToString();
  EXPECT_NE(run.err.find(config.string() + ":3:3: unknown key 'crawler.max_in_flite'"), std::string::npos) << run.err;
}

TEST(Cli, CheckReportsAnUnknownPluginAndExits1) {
  test::TempDir dir;
  const auto config = dir.path() / "c.yaml";
  test::WriteFile(config, "sites:\n  - name: x\n    plugin: nosuchplugin\n    start_urls: [https://x.test/]\n");
  CliRun run = RunCli({"check", config.string()});
  EXPECT_EQ(run.status.exit_code, 1);
  EXPECT_NE(run.err.find("site x (" + config.string() + ":2:5): no plugin named 'nosuchplugin'"), std::string::npos)
      << run.err;
}

TEST(Cli, CheckAcceptsTheDemoConfig) {
  // check reads the CA file the config names; give it one.
  test::TempDir dir;
  test::WriteFile(dir.path() / "ca.pem", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
  CliRun run = RunCli({"check", "--plugin-dir", NEWSHOUND_PLUGIN_DIR, std::string(NEWSHOUND_SOURCE_DIR) + "/configs/demo.yaml"},
                      std::chrono::seconds(60), {{"NEWSHOUND_DEMO_CA", (dir.path() / "ca.pem").string()}});
  EXPECT_TRUE(run.status.success()) << run.err;
  EXPECT_NE(run.out.find("almaghribtoday-en: plugin almaghribtoday"), std::string::npos) << run.out;
}

// The config for the real outlet is valid, and ready for `serve`: every
// site has a schedule and a crawl state to come back to.
TEST(Cli, CheckAcceptsTheOutletConfigForServe) {
  const std::string path = std::string(NEWSHOUND_SOURCE_DIR) + "/configs/almaghribtoday.yaml";
  CliRun run = RunCli({"check", "--plugin-dir", NEWSHOUND_PLUGIN_DIR, path});
  EXPECT_TRUE(run.status.success()) << run.err;
  EXPECT_NE(run.out.find("almaghribtoday-en: plugin almaghribtoday"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("almaghribtoday-ar: plugin almaghribtoday"), std::string::npos) << run.out;
  auto config = LoadConfigFile(path);
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_FALSE(config->crawler.state_dir.empty());
  for (const auto& site : config->sites) {
    EXPECT_EQ(site.schedule.every, std::chrono::minutes(30)) << site.name;
    EXPECT_GE(site.politeness.delay, std::chrono::seconds(1)) << site.name;
    EXPECT_TRUE(site.robots.obey) << site.name;
  }
}

TEST(Cli, RunWithAMissingConfigExits1NamingIt) {
  CliRun run = RunCli({"run", "/nonexistent/c.yaml"});
  EXPECT_EQ(run.status.exit_code, 1);
  EXPECT_NE(run.err.find("/nonexistent/c.yaml: cannot open"), std::string::npos) << run.err;
}

TEST(Cli, RobotsPrintsAVerdictPerUrl) {
  test::TempDir dir;
  const auto robots = dir.path() / "robots.txt";
  test::WriteFile(robots, "User-agent: *\nDisallow: /search\nAllow: /search/about\n\nUser-agent: AhrefsBot\nDisallow: /\n");
  CliRun run = RunCli({"robots", "--robots", robots.string(), "--agent", "newshound/0.1", "https://a.test/news/",
                       "https://a.test/search?q=x", "https://a.test/search/about"});
  EXPECT_TRUE(run.status.success()) << run.err;
  EXPECT_EQ(run.out,
            "allowed https://a.test/news/\n"
            "disallowed https://a.test/search?q=x\n"
            "allowed https://a.test/search/about\n");
  CliRun ahrefs = RunCli({"robots", "--robots", robots.string(), "--agent", "AhrefsBot", "https://a.test/news/"});
  EXPECT_EQ(ahrefs.out, "disallowed https://a.test/news/\n");
}

TEST(Cli, RobotsReportsAnInvalidUrlAndExits1) {
  test::TempDir dir;
  test::WriteFile(dir.path() / "robots.txt", "User-agent: *\nDisallow:\n");
  CliRun run = RunCli({"robots", "--robots", (dir.path() / "robots.txt").string(), "--agent", "x", "not a url"});
  EXPECT_EQ(run.status.exit_code, 1);
  EXPECT_NE(run.out.find("error:"), std::string::npos) << run.out;
}

// `newshound fetch` with a site's settings: TLS with the site's CA, the
// resolve pin, decoding to UTF-8 from windows-1256.
TEST(Cli, FetchShowsTheWholeAnswerWithTheSiteSettings) {
  test::TempDir dir;
  test::OutletServerOptions options;
  options.root = OutletDir("almaghribtoday-ar") / "site";
  options.http = false;
  options.tls = true;
  options.tls_names = {"www.almaghribtoday.test"};
  test::OutletServer server(options);
  const auto config = dir.path() / "ar.yaml";
  test::WriteFile(config, std::string("network:\n") + test::kAllowLoopback + "  resolve:\n    \"www.almaghribtoday.test:443\": \"127.0.0.1:" +
                              std::to_string(server.https_port()) + "\"\ntls:\n  ca_file: " +
                              server.ca_file().string() +
                              "\nsites:\n  - name: ar\n    plugin: almaghribtoday\n"
                              "    start_urls: [\"https://www.almaghribtoday.test/\"]\n");
  CliRun run = RunCli({"fetch", "https://www.almaghribtoday.test/news/morocco/151208.html", "--config",
                       config.string(), "--body"});
  EXPECT_TRUE(run.status.success()) << run.out << run.err;
  EXPECT_NE(run.out.find("site: ar"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("outcome: fetched\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("status: 200\n"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("remote: 127.0.0.1:" + std::to_string(server.https_port())), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("charset: windows-1256"), std::string::npos) << run.out;
  // The body is printed as UTF-8: the expected title of this page appears.
  const auto expected = ReadJsonl(OutletDir("almaghribtoday-ar") / "expected" / "articles.jsonl");
  std::string title;
  for (const auto& record : expected)
    if (record.at("url").as_string() == "/news/morocco/151208.html") title = record.at("title").as_string().c_str();
  ASSERT_FALSE(title.empty());
  EXPECT_NE(run.out.find(title), std::string::npos);

  CliRun missing = RunCli({"fetch", "https://www.almaghribtoday.test/nope.html", "--config", config.string()});
  EXPECT_EQ(missing.status.exit_code, 1);
  EXPECT_NE(missing.out.find("outcome: http_error"), std::string::npos) << missing.out;
  EXPECT_NE(missing.out.find("status: 404"), std::string::npos) << missing.out;

  // Without a config a loopback address is refused (the SSRF guard), and
  // --allow opens it.
  const std::string loopback_url = "https://127.0.0.1:" + std::to_string(server.https_port()) + "/";
  CliRun refused = RunCli({"fetch", loopback_url});
  EXPECT_EQ(refused.status.exit_code, 1);
  EXPECT_NE(refused.out.find("outcome: blocked_address (phase connect)\n"
                             "detail: refused to connect to 127.0.0.1: loopback address, not opened by network.allow\n"),
            std::string::npos)
      << refused.out;
  CliRun bad_allow = RunCli({"fetch", loopback_url, "--allow", "127.0.0.1/33"});
  EXPECT_EQ(bad_allow.status.exit_code, 1);
  EXPECT_NE(bad_allow.err.find("--allow '127.0.0.1/33': prefix length must be a number from 0 to 32"), std::string::npos)
      << bad_allow.err;

  // Without the site's CA the same URL fails, and says why.
  CliRun untrusted = RunCli({"fetch", loopback_url, "--allow", "127.0.0.0/8"});
  EXPECT_EQ(untrusted.status.exit_code, 1);
  EXPECT_NE(untrusted.out.find("outcome: tls"), std::string::npos) << untrusted.out;
  EXPECT_NE(untrusted.out.find("unknown CA"), std::string::npos) << untrusted.out;
}

TEST(Cli, UrlParsePrintsTheWhatwgSerializationPerInputAndExits0WhenAllAreValid) {
  CliRun run = RunCli({"url", "parse", "HTTP://0x7f.1/a/./b/../c", "https://bücher.example/?q=a b#top",
                       "mailto:Desk@Example.TEST", "http://[0:0::1]:80/"});
  EXPECT_EQ(run.status.exit_code, 0) << run.status.ToString() << run.err;
  EXPECT_EQ(run.out,
            "http://127.0.0.1/a/c\n"
            "https://xn--bcher-kva.example/?q=a%20b#top\n"
            "mailto:Desk@Example.TEST\n"
            "http://[::1]/\n");
}

TEST(Cli, UrlParsePrintsAnErrorLineNamingAnInvalidInputAndExits1) {
  CliRun run = RunCli({"url", "parse", "http://1.2.3.4.5/", "https://a.test/", "/relative"});
  EXPECT_EQ(run.status.exit_code, 1) << run.status.ToString();
  EXPECT_EQ(run.out,
            "error: invalid URL 'http://1.2.3.4.5/': invalid IPv4 address\n"
            "https://a.test/\n"
            "error: invalid URL '/relative': relative URL without a base\n");
}

TEST(Cli, UrlParseResolvesAgainstABase) {
  CliRun run = RunCli({"url", "parse", "--base", "https://a.test/b/c?q", "../x", "?y", "#z"});
  EXPECT_EQ(run.status.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "https://a.test/x\nhttps://a.test/b/c?y\nhttps://a.test/b/c?q#z\n");
}

TEST(Cli, UrlResolveFollowsALinkAsTheCrawlerDoes) {
  CliRun run = RunCli({"url", "resolve", "https://a.test/news/world/", "../sport/a b.html#comments"});
  EXPECT_EQ(run.status.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "https://a.test/news/sport/a%20b.html\n");
  CliRun refused = RunCli({"url", "resolve", "https://a.test/", "javascript:void(0)"});
  EXPECT_EQ(refused.status.exit_code, 1);
  EXPECT_EQ(refused.out, "error: unsupported link 'javascript:void(0)': only http and https are crawled\n");
}

TEST(Cli, UrlNormalizeUsesTheDefaultsWithoutAConfig) {
  CliRun run = RunCli({"url", "normalize", "HTTPS://A.test:443/%7euser/./x?utm_source=rss&b=2&a=1#f", "ftp://a.test/"});
  EXPECT_EQ(run.status.exit_code, 1) << run.status.ToString();
  EXPECT_EQ(run.out,
            "https://a.test/~user/x?b=2&a=1\n"
            "error: unsupported URL 'ftp://a.test/': only http and https are crawled\n");
}

TEST(Cli, UrlNormalizeUsesTheRulesOfTheSite) {
  test::TempDir dir;
  const auto config = dir.path() / "c.yaml";
  test::WriteFile(config, R"(url_normalization:
  drop_query_params: [utm_*, jsessionid]
sites:
  - name: a
    plugin: p
    start_urls: [https://a.test/]
  - name: b
    plugin: p
    start_urls: [https://b.test/]
    url_normalization: {drop_query_params: [sid], sort_query: true}
)");
  const std::string url = "https://b.test/x;jsessionid=1?utm_source=y&sid=2&z=1&c=3";
  CliRun by_host = RunCli({"url", "normalize", "--config", config.string(), url});
  EXPECT_EQ(by_host.status.exit_code, 0) << by_host.err;
  EXPECT_EQ(by_host.out, "https://b.test/x;jsessionid=1?c=3&utm_source=y&z=1\n");
  CliRun by_name = RunCli({"url", "normalize", "--config", config.string(), "--site", "a", url});
  EXPECT_EQ(by_name.status.exit_code, 0) << by_name.err;
  EXPECT_EQ(by_name.out, "https://b.test/x?sid=2&z=1&c=3\n");
  CliRun no_site = RunCli({"url", "normalize", "--config", config.string(), "--site", "nope", url});
  EXPECT_EQ(no_site.status.exit_code, 1);
  EXPECT_NE(no_site.err.find("no site named 'nope'"), std::string::npos) << no_site.err;
}

TEST(Cli, UrlWithoutAnActionIsAUsageError) {
  EXPECT_EQ(RunCli({"url"}).status.exit_code, 2);
  EXPECT_EQ(RunCli({"url", "resolve", "https://a.test/"}).status.exit_code, 2);
  EXPECT_EQ(RunCli({"url", "normalize", "--site", "a", "https://a.test/"}).status.exit_code, 2);
}

}  // namespace
}  // namespace newshound::e2e
