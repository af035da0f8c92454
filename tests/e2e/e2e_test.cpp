// The bundled simulated outlet, crawled for real: outlet-server serves the
// English edition over HTTPS on 127.0.0.1 with a CA made for the test, the
// config pins en.almaghribtoday.test to it, and `newshound run` crawls it
// with the almaghribtoday plugin. Each record must equal the outlet's
// expected/articles.jsonl field by field; each listing page, run through
// `newshound extract`, must equal expected/listings.jsonl.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "e2e_support.h"
#include "loopback.h"

namespace newshound::e2e {
namespace {

namespace json = boost::json;
constexpr char kOrigin[] = "https://en.almaghribtoday.test";

// Our output holds absolute URLs; the expected files hold paths.
std::string StripOrigin(std::string_view url) {
  const std::string_view origin = kOrigin;
  if (url.substr(0, origin.size()) == origin) url.remove_prefix(origin.size());
  return std::string(url);
}

json::value StripOrigins(const json::value& value) {
  if (value.is_string()) return json::string(StripOrigin(value.as_string()));
  if (value.is_array()) {
    json::array out;
    for (const auto& item : value.as_array()) out.push_back(StripOrigins(item));
    return out;
  }
  return value;
}

// The first field where `actual` differs from `expected`, as a message, or
// "" when they agree on every field the expectation names.
std::string FirstDifference(const json::object& expected, const json::object& actual,
                            const std::vector<std::string>& fields, const std::string& what) {
  for (const auto& field : fields) {
    const json::value* want = expected.if_contains(field);
    const json::value* got = actual.if_contains(field);
    if (want == nullptr) return what + ": expected file has no field '" + field + "'";
    if (got == nullptr) return what + ": output has no field '" + field + "'";
    json::value got_value = *got;
    if (field == "related") {
      json::array stripped;
      for (const auto& item : got->as_array()) {
        json::object o = item.as_object();
        o["url"] = json::string(StripOrigin(o["url"].as_string()));
        stripped.push_back(o);
      }
      got_value = stripped;
    } else if (field == "articles" || field == "next") {
      got_value = StripOrigins(*got);
    }
    if (got_value != *want) {
      return what + ": field '" + field + "' differs\n  expected: " + json::serialize(*want) +
             "\n  actual:   " + json::serialize(got_value);
    }
  }
  return "";
}

const std::vector<std::string> kArticleFields = {"title",   "published", "dateline", "location",
                                                 "agency",  "section",   "section_name", "body", "related"};

std::filesystem::path PageFile(const std::filesystem::path& site, const std::string& path) {
  std::string relative = path.substr(1);
  if (relative.empty() || relative.back() == '/') relative += "index.html";
  return site / relative;
}

class AlmaghribtodayEnglish : public ::testing::Test {
 protected:
  static std::filesystem::path Edition() { return OutletDir("almaghribtoday"); }

  std::unique_ptr<test::OutletServer> StartServer() {
    test::OutletServerOptions options;
    options.root = Edition() / "site";
    options.http = false;
    options.tls = true;
    options.tls_names = {"en.almaghribtoday.test"};
    return std::make_unique<test::OutletServer>(options);
  }

  std::filesystem::path WriteConfig(const test::OutletServer& server, const std::string& extra_sites = "",
                                    const std::string& delay = "0ms") {
    const auto config = dir_.path() / "crawl.yaml";
    test::WriteFile(config, "crawler:\n"
                            "  threads: 2\n"
                            "  max_in_flight: 8\n"
                            "  log_level: info\n"
                            "  plugin_dir: " + std::string(NEWSHOUND_PLUGIN_DIR) + "\n"
                            "network:\n" + std::string(test::kAllowLoopback) +
                            "  resolve:\n"
                            "    \"en.almaghribtoday.test:443\": \"127.0.0.1:" + std::to_string(server.https_port()) + "\"\n"
                            "tls:\n"
                            "  ca_file: " + server.ca_file().string() + "\n"
                            "politeness:\n"
                            "  delay: " + delay + "\n"
                            "  max_crawl_delay: 0s\n"  // the outlet's robots.txt asks for 10 s
                            "  max_connections_per_host: 4\n"
                            "output:\n"
                            "  jsonl: " + (dir_.path() / "out" / "articles.jsonl").string() + "\n"
                            "sites:\n"
                            "  - name: almaghribtoday-en\n"
                            "    plugin: almaghribtoday\n"
                            "    start_urls: [\"https://en.almaghribtoday.test/\"]\n" + extra_sites);
    return config;
  }

  std::filesystem::path Output() const { return dir_.path() / "out" / "articles.jsonl"; }

  // Polls (this is a wait, not a timing assertion) until the running crawl
  // has written at least `bytes` of output; false if it ended first.
  bool WaitForOutput(test::Subprocess& crawl, uintmax_t bytes) const {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < give_up && crawl.Running()) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(Output(), ec);
      if (!ec && size >= bytes) return crawl.Running();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  test::TempDir dir_;
};

TEST_F(AlmaghribtodayEnglish, CrawlReachesEveryArticleAndEachRecordMatchesExpected) {
  auto server = StartServer();
  CliRun run = RunCli({"run", WriteConfig(*server).string()});
  ASSERT_TRUE(run.status.success()) << run.status.ToString() << "\n" << run.err;
  EXPECT_NE(run.out.find("25 articles written"), std::string::npos) << run.out;

  const auto expected = ReadJsonl(Edition() / "expected" / "articles.jsonl");
  const auto actual = ReadJsonl(Output());
  std::map<std::string, json::object> by_path;
  for (const auto& record : actual) {
    const std::string path = StripOrigin(record.at("url").as_string());
    EXPECT_TRUE(by_path.emplace(path, record).second) << "article written twice: " << path;
  }
  ASSERT_EQ(actual.size(), expected.size());
  for (const auto& want : expected) {
    const std::string path(want.at("url").as_string());
    auto it = by_path.find(path);
    ASSERT_NE(it, by_path.end()) << "article never written: " << path;
    const std::string diff = FirstDifference(want, it->second, kArticleFields, path);
    ASSERT_EQ(diff, "") << diff;
    EXPECT_EQ(it->second.at("article_id").as_string(), std::to_string(want.at("id").as_int64())) << path;
    EXPECT_EQ(it->second.at("charset").as_string(), want.at("encoding").as_string()) << path;
    EXPECT_EQ(it->second.at("site").as_string(), "almaghribtoday-en");
    EXPECT_EQ(it->second.at("schema").as_int64(), 1);
  }

  // The server saw each article requested exactly once, and nothing the
  // plugin should not have followed.
  std::map<std::string, int> requests;
  for (const auto& entry : server->ReadLog()) {
    ++requests[entry.target];
    EXPECT_EQ(entry.status, 200) << entry.target;
    EXPECT_EQ(entry.host, "en.almaghribtoday.test");
  }
  for (const auto& want : expected) EXPECT_EQ(requests[std::string(want.at("url").as_string())], 1);
  for (const auto& [target, count] : requests) {
    EXPECT_EQ(count, 1) << target << " fetched " << count << " times";
    EXPECT_EQ(target.find("/search"), std::string::npos);
    EXPECT_EQ(target.find("/print/"), std::string::npos);
    EXPECT_EQ(target.find("/comments"), std::string::npos);
  }
}

TEST_F(AlmaghribtodayEnglish, EveryListingPageMatchesExpectedThroughExtract) {
  const auto listings = ReadJsonl(Edition() / "expected" / "listings.jsonl");
  ASSERT_FALSE(listings.empty());
  for (const auto& want : listings) {
    const std::string path(want.at("url").as_string());
    CliRun run = RunCli({"extract", "--plugin-dir", NEWSHOUND_PLUGIN_DIR, "--plugin", "almaghribtoday", "--url",
                         std::string(kOrigin) + path, PageFile(Edition() / "site", path).string()});
    ASSERT_TRUE(run.status.success()) << path << ": " << run.err;
    const json::object got = json::parse(run.out).as_object();
    EXPECT_EQ(got.at("kind").as_string(), "listing") << path;
    const std::string diff = FirstDifference(want, got, {"articles", "next"}, path);
    ASSERT_EQ(diff, "") << diff;
  }
}

TEST_F(AlmaghribtodayEnglish, EveryArticlePageMatchesExpectedThroughExtract) {
  for (const auto& want : ReadJsonl(Edition() / "expected" / "articles.jsonl")) {
    const std::string path(want.at("url").as_string());
    CliRun run = RunCli({"extract", "--plugin-dir", NEWSHOUND_PLUGIN_DIR, "--plugin", "almaghribtoday", "--url",
                         std::string(kOrigin) + path, PageFile(Edition() / "site", path).string()});
    ASSERT_TRUE(run.status.success()) << path << ": " << run.err;
    const json::object got = json::parse(run.out).as_object();
    EXPECT_EQ(got.at("kind").as_string(), "article") << path;
    ASSERT_TRUE(got.at("article").is_object()) << path;
    EXPECT_TRUE(got.at("articles").as_array().empty()) << path;
    const std::string diff = FirstDifference(want, got.at("article").as_object(), kArticleFields, path);
    ASSERT_EQ(diff, "") << diff;
  }
}

TEST_F(AlmaghribtodayEnglish, ASiteWhosePluginIsMissingDoesNotStopTheOthers) {
  auto server = StartServer();
  const auto config = WriteConfig(*server,
                                  "  - name: orphan\n"
                                  "    plugin: nosuchplugin\n"
                                  "    start_urls: [\"https://orphan.test/\"]\n");
  CliRun run = RunCli({"run", config.string()});
  EXPECT_EQ(run.status.exit_code, 1) << run.status.ToString();
  EXPECT_NE(run.err.find("site orphan (" + config.string() + ":22:5): no plugin named 'nosuchplugin'"),
            std::string::npos)
      << run.err;
  EXPECT_EQ(ReadJsonl(Output()).size(), 25u);
}

TEST_F(AlmaghribtodayEnglish, KilledCrawlLeavesOnlyWholeRecords) {
  auto server = StartServer();
  // A per-host delay spreads the crawl over a few seconds so the kill lands
  // in the middle of it.
  const auto config = WriteConfig(*server, "", "150ms");
  test::Subprocess crawl({std::string(NEWSHOUND_BIN_DIR) + "/newshound", "run", config.string()});
  ASSERT_TRUE(WaitForOutput(crawl, 20000)) << "the crawl finished before it could be killed";
  crawl.Kill(SIGKILL);
  ASSERT_TRUE(crawl.Wait(std::chrono::seconds(10)));

  const std::string text = test::ReadFile(Output());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << "a partial record was left behind";
  const auto records = ReadJsonl(Output());  // throws on a line that is not JSON
  EXPECT_GT(records.size(), 0u);
  EXPECT_LT(records.size(), 25u);
  for (const auto& record : records) EXPECT_TRUE(record.at("title").is_string());
}

TEST_F(AlmaghribtodayEnglish, SigtermFinishesRequestsInFlightAndReportsTheRestCancelled) {
  auto server = StartServer();
  const auto config = WriteConfig(*server, "", "150ms");
  test::Subprocess crawl({std::string(NEWSHOUND_BIN_DIR) + "/newshound", "run", config.string()});
  ASSERT_TRUE(WaitForOutput(crawl, 1)) << "the crawl finished before the signal";
  crawl.Kill(SIGTERM);
  auto status = crawl.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 130) << status->ToString() << crawl.Stderr();
  EXPECT_NE(crawl.Stdout().find("interrupted"), std::string::npos) << crawl.Stdout();
  EXPECT_NE(crawl.Stdout().find("cancelled"), std::string::npos) << crawl.Stdout();
  const std::string text = test::ReadFile(Output());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  // Every article written was fetched, and nothing was fetched after the
  // requests in flight at the signal finished.
  EXPECT_LT(ReadJsonl(Output()).size(), 25u);
}

// The Arabic edition on the same CMS: 8 of its pages are windows-1256. The
// server declares each page's charset in Content-Type, or (no_charset) only
// in the page's own <meta>; either way every record must match.
class AlmaghribtodayArabic : public ::testing::TestWithParam<bool> {};

TEST_P(AlmaghribtodayArabic, CrawlDecodesWindows1256AndMatchesExpected) {
  const auto edition = OutletDir("almaghribtoday-ar");
  test::TempDir dir;
  test::OutletServerOptions options;
  options.root = edition / "site";
  options.http = false;
  options.tls = true;
  options.tls_names = {"www.almaghribtoday.test"};
  options.no_charset = GetParam();
  test::OutletServer server(options);
  const auto config = dir.path() / "ar.yaml";
  const auto output = dir.path() / "ar.jsonl";
  test::WriteFile(config, "crawler:\n  plugin_dir: " + std::string(NEWSHOUND_PLUGIN_DIR) +
                              "\nnetwork:\n" + test::kAllowLoopback + "  resolve:\n    \"www.almaghribtoday.test:443\": \"127.0.0.1:" +
                              std::to_string(server.https_port()) + "\"\ntls:\n  ca_file: " + server.ca_file().string() +
                              "\npoliteness:\n  delay: 0ms\n  max_crawl_delay: 0s\noutput:\n  jsonl: " + output.string() +
                              "\nsites:\n  - name: almaghribtoday-ar\n    plugin: almaghribtoday\n"
                              "    start_urls: [\"https://www.almaghribtoday.test/\"]\n"
                              "    plugin_settings: {edition: ar}\n");
  CliRun run = RunCli({"run", config.string()});
  ASSERT_TRUE(run.status.success()) << run.err;
  const auto expected = ReadJsonl(edition / "expected" / "articles.jsonl");
  std::map<std::string, json::object> by_path;
  for (const auto& record : ReadJsonl(output)) {
    std::string path(record.at("url").as_string());
    path = path.substr(std::string("https://www.almaghribtoday.test").size());
    EXPECT_TRUE(by_path.emplace(path, record).second) << "article written twice: " << path;
  }
  ASSERT_EQ(by_path.size(), expected.size());
  for (const auto& want : expected) {
    const std::string path(want.at("url").as_string());
    auto it = by_path.find(path);
    ASSERT_NE(it, by_path.end()) << "article never written: " << path;
    json::object got = it->second;
    json::array related;
    for (const auto& item : got.at("related").as_array()) {
      json::object o = item.as_object();
      std::string url(o["url"].as_string());
      o["url"] = json::string(url.substr(std::string("https://www.almaghribtoday.test").size()));
      related.push_back(o);
    }
    got["related"] = related;
    const std::string diff = FirstDifference(want, got, kArticleFields, path);
    ASSERT_EQ(diff, "") << diff;
    EXPECT_EQ(got.at("charset").as_string(), want.at("encoding").as_string()) << path;
  }
}

INSTANTIATE_TEST_SUITE_P(CharsetSource, AlmaghribtodayArabic, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("DeclaredInMetaOnly") : std::string("DeclaredInHeader");
                         });

}  // namespace
}  // namespace newshound::e2e
