// Watching a crawl: the progress report (a live line on a terminal, a log
// line every progress_interval elsewhere) and `--log-format json`.
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <poll.h>

#include <regex>

#include "e2e_support.h"
#include "loopback.h"

namespace newshound::e2e {
namespace {

namespace fs = std::filesystem;

// "12 pages (3.4/s), 5 queued, 2 in flight, 0 errors, 7 articles"
const std::regex kProgress(R"((\d+) pages \((\d+\.\d)/s\), (\d+) queued, (\d+) in flight, (\d+) errors, (\d+) articles)");

class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::OutletServerOptions options;
    options.root = OutletDir("almaghribtoday") / "site";
    options.http = false;
    options.tls = true;
    options.tls_names = {"en.almaghribtoday.test"};
    server_ = std::make_unique<test::OutletServer>(options);
  }

  // The whole outlet (35 pages, 25 articles) one request at a time, 100 ms
  // apart: a crawl of about 4 s.
  fs::path WriteConfig(const std::string& crawler_more = "") {
    const auto config = dir_.path() / "crawl.yaml";
    test::WriteFile(config, "crawler:\n"
                            "  threads: 2\n"
                            "  plugin_dir: " + std::string(NEWSHOUND_PLUGIN_DIR) + "\n" + crawler_more +
                            "network:\n" + std::string(test::kAllowLoopback) +
                            "  resolve:\n"
                            "    \"en.almaghribtoday.test:443\": \"127.0.0.1:" + std::to_string(server_->https_port()) + "\"\n"
                            "tls:\n"
                            "  ca_file: " + server_->ca_file().string() + "\n"
                            "politeness:\n"
                            "  delay: 100ms\n"
                            "  max_crawl_delay: 100ms\n"
                            "  max_connections_per_host: 1\n"
                            "output:\n"
                            "  jsonl: " + (dir_.path() / "out" / "articles.jsonl").string() + "\n"
                            "sites:\n"
                            "  - name: en\n"
                            "    plugin: almaghribtoday\n"
                            "    start_urls: [\"https://en.almaghribtoday.test/\"]\n");
    return config;
  }

  test::TempDir dir_;
  std::unique_ptr<test::OutletServer> server_;
};

// Off a terminal: a `progress:` log line every progress_interval, whose
// figures only grow (pages, articles) and stay within the crawl's.
TEST_F(WatchTest, Progress_OffATerminalALogLineEveryInterval) {
  CliRun run = RunCli({"run", WriteConfig("  progress_interval: 1s\n").string()});
  ASSERT_TRUE(run.status.success()) << run.status.ToString() << run.err;
  std::vector<std::smatch> lines;
  int64_t last_pages = -1, last_articles = -1;
  int reports = 0;
  std::istringstream err(run.err);
  for (std::string line; std::getline(err, line);) {
    if (line.find("progress: ") == std::string::npos) continue;
    std::smatch match;
    ASSERT_TRUE(std::regex_search(line, match, kProgress)) << line;
    ++reports;
    const int64_t pages = std::stoll(match[1]), articles = std::stoll(match[6]);
    EXPECT_GE(pages, last_pages) << line;
    EXPECT_GE(articles, last_articles) << line;
    EXPECT_LE(pages, 35) << line;
    EXPECT_LE(articles, 25) << line;
    EXPECT_LE(std::stoll(match[4]), 1) << "one connection per host: " << line;
    EXPECT_EQ(match[5], "0") << line;
    last_pages = pages;
    last_articles = articles;
  }
  EXPECT_GE(reports, 2) << run.err;
  EXPECT_GT(last_pages, 0) << run.err;

  // progress_interval 0: none.
  CliRun quiet = RunCli({"run", WriteConfig("  progress_interval: 0s\n").string()});
  ASSERT_TRUE(quiet.status.success()) << quiet.err;
  EXPECT_EQ(quiet.err.find("progress: "), std::string::npos) << quiet.err;
}

// Runs `argv` with its stdout and stderr on a pseudo-terminal and returns
// all it wrote there, and its exit status.
std::pair<std::string, int> RunOnTerminal(const std::vector<std::string>& argv) {
  int master = -1;
  struct winsize size {};
  size.ws_col = 200;
  size.ws_row = 50;
  const pid_t pid = forkpty(&master, nullptr, nullptr, &size);
  if (pid < 0) throw std::runtime_error("forkpty failed");
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  for (;;) {
    struct pollfd poll_fd {master, POLLIN, 0};
    if (poll(&poll_fd, 1, 200) > 0) {
      char buffer[4096];
      const ssize_t n = read(master, buffer, sizeof(buffer));
      if (n <= 0) break;  // EIO: the child closed its side (it ended)
      out.append(buffer, static_cast<size_t>(n));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      break;
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  close(master);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

// On a terminal: the progress line is drawn under the log and redrawn every
// second, erased before each log line (so a log line never starts on it)
// and at the end.
TEST_F(WatchTest, Progress_OnATerminalALiveLineUnderTheLog) {
  auto [out, exit_code] = RunOnTerminal({std::string(NEWSHOUND_BIN_DIR) + "/newshound", "run", WriteConfig().string()});
  ASSERT_EQ(exit_code, 0) << out;
  const std::string erase = "\r\x1b[K";
  size_t drawn = 0;
  for (size_t at = out.find(erase); at != std::string::npos; at = out.find(erase, at + 1)) {
    const std::string after = out.substr(at + erase.size(), 120);
    if (std::regex_search(after, kProgress) && after.find("pages") < after.find('\n')) ++drawn;
  }
  EXPECT_GE(drawn, 2u) << out;
  // A log line never follows the progress line on the same terminal line:
  // "... 7 articles2026-12-02T..." would mean it was not erased first.
  EXPECT_FALSE(std::regex_search(out, std::regex(R"(\d+ articles[^\r\n]*\d{4}-\d\d-\d\dT\d\d:)"))) << out;
  // The last progress line is erased before the report that follows the log.
  size_t last_progress = std::string::npos;
  for (std::sregex_iterator it(out.begin(), out.end(), kProgress), end; it != end; ++it)
    last_progress = static_cast<size_t>(it->position());
  const size_t summary = out.find("crawl finished:");
  ASSERT_NE(summary, std::string::npos) << out;
  ASSERT_LT(last_progress, summary) << out;
  EXPECT_NE(out.substr(last_progress, summary - last_progress).find(erase), std::string::npos) << out;
}

// --log-format json: every stderr line is one JSON object with time (UTC),
// level and message; stdout (the report) is unchanged.
TEST_F(WatchTest, LogFormatJson_OneObjectPerLine) {
  CliRun run = RunCli({"--log-format", "json", "run", WriteConfig("  progress_interval: 1s\n").string()});
  ASSERT_TRUE(run.status.success()) << run.status.ToString() << run.err;
  std::istringstream err(run.err);
  int lines = 0, progress = 0;
  bool finished = false;
  for (std::string line; std::getline(err, line);) {
    ++lines;
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    ASSERT_TRUE(value.is_object()) << line;
    const auto& object = value.as_object();
    ASSERT_TRUE(object.contains("time") && object.contains("level") && object.contains("message")) << line;
    const std::string time(object.at("time").as_string());
    EXPECT_TRUE(std::regex_match(time, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"))) << time;
    const std::string message(object.at("message").as_string());
    if (message.starts_with("progress: ")) ++progress;
    if (message.find("run 1 finished") != std::string::npos) finished = true;
  }
  EXPECT_GT(lines, 3);
  EXPECT_GE(progress, 1) << run.err;
  EXPECT_TRUE(finished) << run.err;
  EXPECT_NE(run.out.find("crawl finished: 35 pages fetched, 25 articles written"), std::string::npos) << run.out;

  CliRun bad = RunCli({"--log-format", "xml", "run", WriteConfig().string()});
  EXPECT_EQ(bad.status.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("--log-format"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace newshound::e2e
