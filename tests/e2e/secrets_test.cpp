// Containment (issue 9 point 6), end to end: secrets a config holds (proxy
// passwords, credential headers, URL credentials, values from the
// environment) are used by a real crawl and never appear in what newshound
// writes: stdout, stderr at log level trace, the --summary file, the output
// JSONL or the bytes of the crawl state; `check`, `fetch` and config errors
// included. And output and state paths given relative resolve against the
// working directory, with errors that name them.
//
// The crawl goes through loopback HTTP proxies (tests/support/http_proxy.h)
// in front of outlet-server, over plain http so that the proxies see every
// header the origin gets: that is where the test sees the secrets arrive.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "e2e_support.h"
#include "http_proxy.h"
#include "loopback.h"

namespace newshound::e2e {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// Distinctive, so that a find() can only hit the secret itself.
constexpr char kWideProxyPassword[] = "WideProxyPw-5f1c9e";    // crawler.proxy, from the environment
constexpr char kSiteProxyPassword[] = "SiteProxyPw-9c2a7d";    // sites[1].proxy, in the file
constexpr char kCookieA[] = "CookieValA-a41b0c";               // sites[0].headers.Cookie
constexpr char kBearer[] = "BearerTok-d08e3f";                 // sites[0].headers.Authorization
constexpr char kApiKey[] = "ApiKeyVal-3b7d21";                 // crawler.headers.X-Api-Key
constexpr char kCookieB[] = "CookieValB-b55f60";               // sites[1].headers.Cookie
constexpr char kLinkUser[] = "LinkUser-e5a0";                  // userinfo of a link on a page
constexpr char kLinkPassword[] = "LinkPw-71c4bb";
constexpr char kRedirectUser[] = "RedirUser-0d3e";             // userinfo of a redirect's Location
constexpr char kRedirectPassword[] = "RedirPw-c2e9f8";
constexpr char kSetCookie[] = "SetCookieVal-11aa5e";           // a Set-Cookie the server sends
constexpr char kFetchUrlPassword[] = "FetchUrlPw-6d0b13";      // userinfo given to `newshound fetch`


// Every byte of every file under `dir` (the state database, its WAL and
// shared-memory files).
std::string AllBytesUnder(const fs::path& dir) {
  std::string bytes;
  if (!fs::exists(dir)) return bytes;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) bytes += test::ReadFile(entry.path());
  return bytes;
}

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // a.test/ links an article, an article through a link with credentials,
    // and one through a redirect whose Location has credentials.
    test::WriteFile(root_.path() / "index.html",
                    std::string("<html><head><title>home</title></head><body>") +
                        "<a href=\"/articles/1.html\">one</a>" + "<a href=\"http://" + kLinkUser + ":" +
                        kLinkPassword + "@a.test/articles/2.html\">two</a>" +
                        "<a href=\"/articles/old.html\">three</a></body></html>");
    for (int i = 1; i <= 3; ++i)
      test::WriteFile(root_.path() / "articles" / (std::to_string(i) + ".html"),
                      "<html><head><title>Article " + std::to_string(i) + "</title></head><body><p>Text " +
                          std::to_string(i) + ".</p></body></html>");
    test::WriteFile(root_.path() / "cookie.html", "<html><head><title>c</title></head><body><p>c</p></body></html>");
    test::OutletServerOptions options;
    options.root = root_.path();
    options.respond = {"/articles/old.html=301+Location:http://" + std::string(kRedirectUser) + ":" +
                           kRedirectPassword + "@a.test/articles/3.html,...",
                       "/cookie.html=serve+Set-Cookie:token=" + std::string(kSetCookie) + "; Path=/; HttpOnly,..."};
    server_ = std::make_unique<test::OutletServer>(options);
    const std::map<std::string, int> upstreams = {{"a.test:80", server_->http_port()},
                                                  {"b.test:80", server_->http_port()}};
    wide_proxy_ = std::make_unique<test::HttpProxy>(test::HttpProxyOptions{upstreams, "crawler", kWideProxyPassword});
    site_proxy_ = std::make_unique<test::HttpProxy>(test::HttpProxyOptions{upstreams, "siteb", kSiteProxyPassword});
  }

  // The config of the crawl; `site_extra` is added to site a.
  std::string ConfigText(const std::string& site_extra = "") const {
    return "crawler:\n  plugin_dir: " + std::string(NEWSHOUND_TEST_PLUGIN_DIR) +
           "\n  log_level: trace\n  max_in_flight: 8\n  state_dir: " + (dir_.path() / "state").string() +
           "\n  proxy: \"http://crawler:${NH_TEST_PROXY_PASSWORD}@" + wide_proxy_->address() + "\"\n" +
           "  headers:\n    X-Api-Key: \"" + kApiKey + "\"\n" +
           "network:\n" + test::kAllowLoopback + "output:\n  jsonl: " + (dir_.path() / "articles.jsonl").string() +
           "\npoliteness: {delay: 0ms}\nretries: {max: 0}\n"
           "sites:\n"
           "  - name: a\n    plugin: testsite\n    start_urls: [\"http://a.test/\"]\n"
           "    headers:\n      Cookie: \"session=" + kCookieA + "\"\n      Authorization: \"Bearer " + kBearer +
           "\"\n" + site_extra +
           "  - name: b\n    plugin: testsite\n    start_urls: [\"http://b.test/\"]\n"
           "    proxy: \"http://siteb:" + kSiteProxyPassword + "@" + site_proxy_->address() + "\"\n"
           "    headers: {Cookie: \"sid=" + kCookieB + "\"}\n";
  }

  fs::path WriteConfig(const std::string& name, const std::string& text) const {
    const fs::path path = dir_.path() / name;
    test::WriteFile(path, text);
    return path;
  }

  std::map<std::string, std::optional<std::string>> Env() const {
    return {{"NH_TEST_PROXY_PASSWORD", std::string(kWideProxyPassword)}};
  }

  // Every secret, and the forms a careless log line would give them.
  static std::vector<std::string> Secrets() {
    std::vector<std::string> secrets = {kWideProxyPassword, kSiteProxyPassword, kCookieA,      kBearer,
                                        kApiKey,            kCookieB,           kLinkUser,     kLinkPassword,
                                        kRedirectUser,      kRedirectPassword,  kSetCookie,    kFetchUrlPassword};
    secrets.push_back(test::Base64(std::string("crawler:") + kWideProxyPassword));
    secrets.push_back(test::Base64(std::string("siteb:") + kSiteProxyPassword));
    return secrets;
  }

  static void ExpectNoSecret(const std::string& where, const std::string& text) {
    for (const auto& secret : Secrets())
      EXPECT_EQ(text.find(secret), std::string::npos) << "secret " << secret << " in " << where << ":\n" << text;
  }

  test::TempDir root_;
  test::TempDir dir_;
  std::unique_ptr<test::OutletServer> server_;
  std::unique_ptr<test::HttpProxy> wide_proxy_;
  std::unique_ptr<test::HttpProxy> site_proxy_;
};

TEST_F(SecretsTest, Containment_ACrawlUsesItsSecretsAndWritesNoneOfThem) {
  const fs::path config = WriteConfig("crawl.yaml", ConfigText());
  const fs::path summary_path = dir_.path() / "summary.json";
  CliRun run = RunCli({"run", config.string(), "--summary", summary_path.string()}, std::chrono::seconds(120), Env());
  ASSERT_TRUE(run.status.success()) << run.status.ToString() << "\n" << run.err;

  // The crawl really ran, and really used them.
  const json::object summary = json::parse(test::ReadFile(summary_path)).as_object();
  const auto& sites = summary.at("sites").as_array();
  ASSERT_EQ(sites.size(), 2u);
  EXPECT_EQ(sites[0].as_object().at("articles_written").as_int64(), 3) << json::serialize(sites[0]);
  EXPECT_EQ(sites[1].as_object().at("articles_written").as_int64(), 1) << json::serialize(sites[1]);
  EXPECT_NE(run.err.find(" debug fetched http://a.test/articles/2.html"), std::string::npos)
      << "the crawl did not log at its most verbose:\n" << run.err;
  EXPECT_NE(run.err.find("crawler:***@" + wide_proxy_->address()), std::string::npos) << run.err;

  const auto wide = wide_proxy_->Requests();
  const auto site = site_proxy_->Requests();
  ASSERT_FALSE(wide.empty());
  ASSERT_FALSE(site.empty());
  std::vector<std::string> wide_lines;
  for (const auto& request : wide) {
    wide_lines.push_back(request.request_line);
    EXPECT_NE(request.request_line.find("http://a.test/"), std::string::npos) << request.request_line;
    EXPECT_EQ(request.proxy_authorization, "Basic " + test::Base64(std::string("crawler:") + kWideProxyPassword));
    EXPECT_EQ(request.Field("Cookie"), std::string("session=") + kCookieA) << request.request_line;
    EXPECT_EQ(request.Field("Authorization"), std::string("Bearer ") + kBearer) << request.request_line;
    EXPECT_EQ(request.Field("X-Api-Key"), kApiKey) << request.request_line;
    // URL credentials are never sent, in any form.
    EXPECT_EQ(request.request_line.find('@'), std::string::npos) << request.request_line;
  }
  // The link and the redirect with credentials were followed, without them.
  for (const char* line : {"GET http://a.test/articles/2.html HTTP/1.1", "GET http://a.test/articles/3.html HTTP/1.1"})
    EXPECT_NE(std::find(wide_lines.begin(), wide_lines.end(), line), wide_lines.end()) << line;
  for (const auto& request : site) {
    EXPECT_NE(request.request_line.find("http://b.test/"), std::string::npos) << request.request_line;
    EXPECT_EQ(request.proxy_authorization, "Basic " + test::Base64(std::string("siteb:") + kSiteProxyPassword));
    EXPECT_EQ(request.Field("Cookie"), std::string("sid=") + kCookieB) << request.request_line;
    EXPECT_EQ(request.Field("X-Api-Key"), kApiKey) << request.request_line;  // crawler-wide, merged under the site's
    EXPECT_EQ(request.Field("Authorization"), "") << request.request_line;   // site a's own
  }

  // ... and wrote none of them.
  ExpectNoSecret("stdout", run.out);
  ExpectNoSecret("stderr", run.err);
  ExpectNoSecret("the summary", test::ReadFile(summary_path));
  const std::string output = test::ReadFile(dir_.path() / "articles.jsonl");
  EXPECT_NE(output.find("http://a.test/articles/2.html"), std::string::npos) << output;
  ExpectNoSecret("the output", output);
  for (const auto& record : ReadJsonl(dir_.path() / "articles.jsonl"))
    EXPECT_EQ(json::serialize(record).find('@'), std::string::npos) << json::serialize(record);
  const std::string state = AllBytesUnder(dir_.path() / "state");
  ASSERT_FALSE(state.empty());
  EXPECT_NE(state.find("http://a.test/articles/2.html"), std::string::npos);
  ExpectNoSecret("the state database", state);
}

TEST_F(SecretsTest, Containment_CheckAndFetchShowNoSecret) {
  const fs::path config = WriteConfig("crawl.yaml", ConfigText());
  CliRun check = RunCli({"-v", "-v", "check", config.string()}, std::chrono::seconds(60), Env());
  ASSERT_TRUE(check.status.success()) << check.status.ToString() << "\n" << check.err;
  ExpectNoSecret("check stdout", check.out);
  ExpectNoSecret("check stderr", check.err);

  // A fetch with site a's settings: through its proxy, with its headers.
  CliRun fetch = RunCli({"-v", "-v", "fetch", "http://a.test/articles/1.html", "--config", config.string(), "--body"},
                        std::chrono::seconds(60), Env());
  ASSERT_TRUE(fetch.status.success()) << fetch.status.ToString() << "\n" << fetch.out << fetch.err;
  EXPECT_NE(fetch.out.find("proxy: http://crawler:***@" + wide_proxy_->address()), std::string::npos) << fetch.out;
  ASSERT_FALSE(wide_proxy_->Requests().empty());
  EXPECT_EQ(wide_proxy_->Requests().back().Field("Cookie"), std::string("session=") + kCookieA);
  ExpectNoSecret("fetch stdout", fetch.out);
  ExpectNoSecret("fetch stderr", fetch.err);

  // A server's Set-Cookie is shown with its value masked, its attributes kept.
  CliRun cookie = RunCli({"fetch", "http://a.test/cookie.html", "--config", config.string()}, std::chrono::seconds(60),
                         Env());
  ASSERT_TRUE(cookie.status.success()) << cookie.out << cookie.err;
  EXPECT_NE(cookie.out.find("Set-Cookie: token=***; Path=/; HttpOnly"), std::string::npos) << cookie.out;
  ExpectNoSecret("fetch stdout", cookie.out);

  // A redirect whose Location has credentials: followed, shown masked.
  CliRun redirect = RunCli({"fetch", "http://a.test/articles/old.html", "--config", config.string()},
                           std::chrono::seconds(60), Env());
  ASSERT_TRUE(redirect.status.success()) << redirect.out << redirect.err;
  EXPECT_NE(redirect.out.find("final_url: http://***@a.test/articles/3.html"), std::string::npos) << redirect.out;
  ExpectNoSecret("fetch stdout", redirect.out);
  ExpectNoSecret("fetch stderr", redirect.err);

  // Credentials in the URL given: refused (they would not be sent), masked.
  CliRun userinfo = RunCli({"fetch", std::string("http://someone:") + kFetchUrlPassword + "@a.test/", "--config",
                            config.string()},
                           std::chrono::seconds(60), Env());
  EXPECT_EQ(userinfo.status.exit_code, 2) << userinfo.status.ToString();
  EXPECT_NE(userinfo.err.find("'http://***@a.test/'"), std::string::npos) << userinfo.err;
  ExpectNoSecret("fetch stdout", userinfo.out);
  ExpectNoSecret("fetch stderr", userinfo.err);
}

TEST_F(SecretsTest, Containment_ConfigErrorsDoNotEchoSecrets) {
  struct Case {
    const char* what;
    std::string text;
    std::string expect;  // in stderr
  };
  const std::string start_secret = "StartUrlPw-0e8c4a";
  const std::string header_secret = "HeaderNlTok-5a9b2c";
  const std::string proxy_secret = "BadPortPw-1f7e3d";
  const std::string env_secret = "EnvValue-77c0ad";
  const std::string yaml_secret = "YamlCookie-3cd18e";
  const std::vector<Case> cases = {
      {"credentials in a start URL",
       ConfigText("    discovery: {feeds: [\"http://FeedUser:" + start_secret + "@a.test/rss\"]}\n"),
       "'sites[0].discovery.feeds': 'http://***@a.test/rss' has a user name or password"},
      {"a header value with a newline",
       "sites:\n  - name: a\n    plugin: testsite\n    start_urls: [\"http://a.test/\"]\n"
       "    headers: {Authorization: \"Bearer " + header_secret + "\\nX-Injected: 1\"}\n",
       "'sites[0].headers.Authorization' must not contain CR, LF or NUL"},
      {"a proxy URL with a bad port",
       "crawler:\n  proxy: \"http://crawler:" + proxy_secret + "@127.0.0.1:99999\"\n"
       "sites:\n  - name: a\n    plugin: testsite\n    start_urls: [\"http://a.test/\"]\n",
       "'http://crawler:***@127.0.0.1:99999'"},
      {"a secret from the environment in the wrong key",
       "sites:\n  - name: a\n    plugin: testsite\n    start_urls: [\"http://a.test/\"]\n"
       "    max_pages: ${NH_TEST_MISPLACED}\n",
       "'${NH_TEST_MISPLACED}' (its value from the environment is not shown)"},
      {"a YAML error next to a secret",
       "sites:\n  - name: a\n    plugin: testsite\n    start_urls: [\"http://a.test/\"]\n"
       "    headers: {Cookie: \"session=" + yaml_secret + "\n",
       ""},
      {"start URL credentials",
       "sites:\n  - name: a\n    plugin: testsite\n    start_urls: [\"https://StartUser:" + start_secret +
           "@a.test/\"]\n",
       "'sites[0].start_urls': 'https://***@a.test/' has a user name or password"},
  };
  auto env = Env();
  env["NH_TEST_MISPLACED"] = env_secret;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const fs::path config = WriteConfig("bad.yaml", c.text);
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"check", config.string()}, std::vector<std::string>{"run", config.string()},
          std::vector<std::string>{"fetch", "http://a.test/", "--config", config.string()}}) {
      CliRun run = RunCli(args, std::chrono::seconds(60), env);
      EXPECT_EQ(run.status.exit_code, 1) << args[0] << ": " << run.status.ToString() << "\n" << run.out << run.err;
      EXPECT_NE(run.err.find(config.string() + ":"), std::string::npos) << args[0] << ": " << run.err;
      if (!c.expect.empty()) {
        EXPECT_NE(run.err.find(c.expect), std::string::npos) << args[0] << ": " << run.err;
      }
      for (const std::string& secret : {start_secret, header_secret, proxy_secret, env_secret, yaml_secret}) {
        EXPECT_EQ(run.err.find(secret), std::string::npos) << args[0] << ": " << run.err;
        EXPECT_EQ(run.out.find(secret), std::string::npos) << args[0] << ": " << run.out;
      }
      ExpectNoSecret(args[0], run.out + run.err);
    }
  }
}

// Relative crawler.state_dir and output.jsonl are taken against the
// directory newshound runs in (not the config file's), the same way on
// every run, and errors name the key and both forms of the path.
class RelativePathsTest : public ::testing::Test {
 protected:
  struct Ran {
    test::ExitStatus status;
    std::string out, err;
  };

  Ran RunIn(const fs::path& working_dir, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {std::string(NEWSHOUND_BIN_DIR) + "/newshound"};
    argv.insert(argv.end(), args.begin(), args.end());
    test::SubprocessOptions options;
    options.working_dir = working_dir;
    test::Subprocess process(argv, options);
    auto status = process.Wait(std::chrono::seconds(120));
    if (!status) status = process.Terminate(SIGKILL);
    return {*status, process.Stdout(), process.Stderr()};
  }

  std::string Config(const std::string& state_dir, const std::string& jsonl) const {
    return "crawler:\n  plugin_dir: " + std::string(NEWSHOUND_TEST_PLUGIN_DIR) + "\n  state_dir: " + state_dir +
           "\nnetwork:\n" + test::kAllowLoopback + "  resolve:\n    \"a.test:80\": \"127.0.0.1:" +
           std::to_string(server_->http_port()) + "\"\noutput:\n  jsonl: " + jsonl +
           "\npoliteness: {delay: 0ms}\n"
           "sites:\n  - name: a\n    plugin: testsite\n    start_urls: [\"http://a.test/\"]\n";
  }

  void SetUp() override {
    test::WriteFile(root_.path() / "index.html", "<html><body><a href=\"/articles/1.html\">1</a></body></html>");
    test::WriteFile(root_.path() / "articles" / "1.html",
                    "<html><head><title>One</title></head><body><p>One.</p></body></html>");
    test::OutletServerOptions options;
    options.root = root_.path();
    server_ = std::make_unique<test::OutletServer>(options);
  }

  test::TempDir root_;
  test::TempDir dir_;
  std::unique_ptr<test::OutletServer> server_;
};

TEST_F(RelativePathsTest, Containment_RelativeStateDirAndOutputResolveAgainstTheWorkingDirectory) {
  const fs::path work = dir_.path() / "work";
  const fs::path elsewhere = dir_.path() / "configs";
  fs::create_directories(work);
  fs::create_directories(elsewhere);
  const fs::path config = elsewhere / "crawl.yaml";
  test::WriteFile(config, Config("var/state", "out/articles.jsonl"));

  Ran first = RunIn(work, {"run", config.string()});
  ASSERT_TRUE(first.status.success()) << first.status.ToString() << "\n" << first.err;
  EXPECT_TRUE(fs::exists(work / "var" / "state" / "state.sqlite3"));
  EXPECT_TRUE(fs::exists(work / "out" / "articles.jsonl"));
  EXPECT_FALSE(fs::exists(elsewhere / "var"));
  EXPECT_FALSE(fs::exists(elsewhere / "out"));
  EXPECT_EQ(ReadJsonl(work / "out" / "articles.jsonl").size(), 1u);
  // The output is named by its absolute path (in the message, and in the
  // state, which keeps its offset under it).
  EXPECT_NE(first.out.find("articles written to " + (work / "out" / "articles.jsonl").string()), std::string::npos)
      << first.out;
  EXPECT_NE(AllBytesUnder(work / "var" / "state").find((work / "out" / "articles.jsonl").string()), std::string::npos);

  // Again from the same directory: the same state, so nothing is written twice.
  Ran second = RunIn(work, {"run", config.string()});
  ASSERT_TRUE(second.status.success()) << second.err;
  EXPECT_EQ(ReadJsonl(work / "out" / "articles.jsonl").size(), 1u);
  EXPECT_EQ(second.err.find("shorter"), std::string::npos) << second.err;
}

TEST_F(RelativePathsTest, Containment_ErrorsNameTheKeyAndThePathAsGivenAndAsResolved) {
  const fs::path work = dir_.path() / "work";
  fs::create_directories(work);
  test::WriteFile(work / "blocker", "a file, not a directory");

  test::WriteFile(dir_.path() / "bad-output.yaml", Config("var/state", "blocker/articles.jsonl"));
  Ran output = RunIn(work, {"run", (dir_.path() / "bad-output.yaml").string()});
  EXPECT_EQ(output.status.exit_code, 1) << output.status.ToString();
  EXPECT_NE(output.err.find("sink 'jsonl' (jsonl, " + (dir_.path() / "bad-output.yaml").string() +
                            ":9:10): blocker/articles.jsonl (" + (work / "blocker" / "articles.jsonl").string() +
                            "): cannot create directory"),
            std::string::npos)
      << output.err;

  test::WriteFile(dir_.path() / "bad-state.yaml", Config("blocker/state", "out/articles.jsonl"));
  Ran state = RunIn(work, {"run", (dir_.path() / "bad-state.yaml").string()});
  EXPECT_EQ(state.status.exit_code, 1) << state.status.ToString();
  EXPECT_NE(state.err.find("crawler.state_dir blocker/state (" + (work / "blocker" / "state").string() +
                           "): cannot create"),
            std::string::npos)
      << state.err;
}

}  // namespace
}  // namespace newshound::e2e
