// The sinks end to end: `newshound run` of the bundled outlet into several
// sinks at once (jsonl rotated and gzipped, sqlite, WARC), a sink that runs
// out of space, past a file-size limit or into a pipe its reader closed
// (the crawl stops naming it, and the crawl state records as emitted only
// what the sinks took), and a crawl killed between the flushes of two jsonl
// sinks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "compress.h"
#include "e2e_support.h"
#include "loopback.h"

namespace newshound::e2e {
namespace {

using test::Gunzip;

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr char kOrigin[] = "https://en.almaghribtoday.test";
constexpr char kSite[] = "almaghribtoday-en";


std::vector<json::object> ParseLines(const std::string& text) {
  std::vector<json::object> out;
  size_t start = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    EXPECT_NE(end, std::string::npos) << "a record without its newline: " << text.substr(start, 80);
    if (end == std::string::npos) break;
    out.push_back(json::parse(text.substr(start, end - start)).as_object());
    start = end + 1;
  }
  return out;
}

// The rows of one column of an SQLite query.
std::vector<std::string> Column(const fs::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> out;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << db_path << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return out;
  }
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(statement) == SQLITE_ROW)
      out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return out;
}

class OutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    test::OutletServerOptions options;
    options.root = OutletDir("almaghribtoday") / "site";
    options.http = false;
    options.tls = true;
    options.tls_names = {"en.almaghribtoday.test"};
    server_ = std::make_unique<test::OutletServer>(options);
  }

  // A crawl of the whole outlet with `output` as its output section and
  // `site_more` added to the site.
  fs::path WriteConfig(const std::string& output, const std::string& state_dir, const std::string& site_more = "") {
    const auto config = dir_.path() / "crawl.yaml";
    test::WriteFile(config, "crawler:\n"
                            "  threads: 2\n"
                            "  max_in_flight: 8\n"
                            "  plugin_dir: " + std::string(NEWSHOUND_PLUGIN_DIR) + "\n" +
                            (state_dir.empty() ? "" : "  state_dir: " + state_dir + "\n") +
                            "network:\n" + std::string(test::kAllowLoopback) +
                            "  resolve:\n"
                            "    \"en.almaghribtoday.test:443\": \"127.0.0.1:" + std::to_string(server_->https_port()) + "\"\n"
                            "tls:\n"
                            "  ca_file: " + server_->ca_file().string() + "\n"
                            "politeness:\n"
                            "  delay: 0s\n"
                            "  max_crawl_delay: 0s\n"
                            "  max_connections_per_host: 4\n" +
                            output +
                            "sites:\n"
                            "  - name: " + kSite + "\n"
                            "    plugin: almaghribtoday\n"
                            "    start_urls: [\"" + std::string(kOrigin) + "/\"]\n" + site_more);
    return config;
  }

  static std::multiset<std::string> ExpectedPaths() {
    std::multiset<std::string> out;
    for (const auto& record : ReadJsonl(OutletDir("almaghribtoday") / "expected" / "articles.jsonl"))
      out.emplace(record.at("url").as_string());
    return out;
  }

  static std::multiset<std::string> Paths(const std::vector<json::object>& records) {
    std::multiset<std::string> out;
    for (const auto& record : records) {
      const std::string url(record.at("url").as_string());
      out.insert(url.substr(std::string(kOrigin).size()));
    }
    return out;
  }

  // Every record of a jsonl sink's files (plain or gzip, rotated or not),
  // oldest file first.
  static std::vector<json::object> ReadSink(const fs::path& dir, const std::string& stem, bool gzip) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with(stem) && name.ends_with(gzip ? ".jsonl.gz" : ".jsonl")) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<json::object> out;
    for (const auto& file : files) {
      const std::string data = test::ReadFile(file);
      for (auto& record : ParseLines(gzip ? Gunzip(data) : data)) out.push_back(std::move(record));
    }
    return out;
  }

  test::TempDir dir_;
  std::unique_ptr<test::OutletServer> server_;
};

// One crawl, three kinds of sink: a rotated gzip jsonl, sqlite and WARC.
// Each holds every article once (the WARC: every exchange), and a site that
// names its sinks gets only those.
TEST_F(OutputTest, Sinks_EverySinkOfTheSiteGetsEveryArticleOnce) {
  const fs::path out = dir_.path() / "out";
  // flush_interval 0: a flush (a gzip member) per finished page.
  const auto config = WriteConfig("output:\n"
                                  "  flush_interval: 0s\n"
                                  "  sinks:\n"
                                  "    - {name: segments, type: jsonl, path: " + (out / "articles.jsonl").string() +
                                  ", gzip: true, rotate_size: 4KiB}\n"
                                  "    - {name: store, type: sqlite, path: " + (out / "articles.db").string() + "}\n"
                                  "    - {name: archive, type: warc, path: " + (out / "warc").string() + "}\n"
                                  "    - {name: unused, type: jsonl, path: " + (out / "unused.jsonl").string() + "}\n",
                                  (dir_.path() / "state").string(), "    sinks: [segments, store, archive]\n");
  CliRun run = RunCli({"run", config.string()});
  ASSERT_TRUE(run.status.success()) << run.status.ToString() << run.err;

  const auto records = ReadSink(out, "articles-", /*gzip=*/true);
  EXPECT_EQ(Paths(records), ExpectedPaths());
  size_t segments = 0;
  for (const auto& entry : fs::directory_iterator(out))
    if (entry.path().filename().string().starts_with("articles-")) {
      ++segments;
      // 4 KiB, unless one flush's member alone is bigger (it then has a segment of its own).
      EXPECT_LE(fs::file_size(entry.path()), 64u * 1024) << entry.path();
    }
  EXPECT_GE(segments, 2u) << "about 65 KB of records, gzipped, in 4 KiB segments";
  for (const auto& record : records) EXPECT_EQ(record.at("schema").as_int64(), 1);

  // sqlite: one row per canonical URL, the same set.
  const auto canonical = Column(out / "articles.db", "SELECT canonical_url FROM articles ORDER BY canonical_url");
  std::multiset<std::string> from_jsonl;
  for (const auto& record : records) from_jsonl.emplace(record.at("canonical_url").as_string());
  EXPECT_EQ(std::multiset<std::string>(canonical.begin(), canonical.end()), from_jsonl);
  CliRun search = RunCli({"search", (out / "articles.db").string(), "Syria"});
  EXPECT_TRUE(search.status.success()) << search.err;
  EXPECT_NE(search.out.find("Syria"), std::string::npos) << search.out;

  // WARC: a response record per request the server answered, robots.txt too.
  std::string warc;
  for (const auto& entry : fs::directory_iterator(out / "warc")) warc += Gunzip(test::ReadFile(entry.path()));
  size_t responses = 0;
  for (size_t at = warc.find("WARC-Type: response\r\n"); at != std::string::npos;
       at = warc.find("WARC-Type: response\r\n", at + 1))
    ++responses;
  EXPECT_EQ(responses, server_->ReadLog().size());
  EXPECT_NE(warc.find("WARC-Target-URI: " + std::string(kOrigin) + "/robots.txt\r\n"), std::string::npos);

  // The sink the site does not name got nothing.
  EXPECT_FALSE(fs::exists(out / "unused.jsonl") && fs::file_size(out / "unused.jsonl") > 0);

  // The summary names every sink.
  for (const char* name : {"'segments'", "'store'", "'archive'", "'unused'"})
    EXPECT_NE(run.out.find(name), std::string::npos) << run.out;
}

// Killed at random moments, with two jsonl sinks (one gzip and rotated):
// after the last run both hold every article exactly once. A record one of
// them flushed before the kill and the other did not is copied across when
// the next run starts.
TEST_F(OutputTest, Sinks_TwoJsonlSinksKilledAtRandomMomentsBothEndWithEveryArticleOnce) {
  const fs::path out = dir_.path() / "out";
  const auto config = WriteConfig("output:\n"
                                  "  flush_interval: 20ms\n"
                                  "  sinks:\n"
                                  "    - {name: plain, type: jsonl, path: " + (out / "plain.jsonl").string() + "}\n"
                                  "    - {name: packed, type: jsonl, path: " + (out / "packed.jsonl").string() +
                                  ", gzip: true, rotate_size: 8KiB}\n",
                                  (dir_.path() / "state").string());
  // Slow enough for the kills to land mid-crawl.
  test::WriteFile(config, test::ReadFile(config) + "    politeness: {delay: 30ms, max_connections_per_host: 1}\n");
  const unsigned seed = std::random_device{}();
  std::mt19937 random(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));
  int kills = 0;
  for (int attempt = 0; attempt < 6; ++attempt) {
    test::Subprocess crawl({std::string(NEWSHOUND_BIN_DIR) + "/newshound", "run", config.string()});
    if (auto status = crawl.Wait(std::chrono::milliseconds(std::uniform_int_distribution<int>(100, 600)(random)))) {
      ASSERT_TRUE(status->success()) << status->ToString() << crawl.Stderr();
      break;
    }
    crawl.Kill(SIGKILL);
    ++kills;
    ASSERT_TRUE(crawl.Wait(std::chrono::seconds(10)));
  }
  EXPECT_GT(kills, 0) << "no kill landed in the crawl";
  CliRun last = RunCli({"run", config.string()});
  ASSERT_TRUE(last.status.success()) << last.status.ToString() << last.err;
  EXPECT_EQ(Paths(ParseLines(test::ReadFile(out / "plain.jsonl"))), ExpectedPaths());
  EXPECT_EQ(Paths(ReadSink(out, "packed-", /*gzip=*/true)), ExpectedPaths());

  // The window itself, made on purpose: a record in one sink past its
  // checkpoint (flushed, then killed before the other sink's flush and the
  // commit). The next start copies it into the other sink and records it.
  const std::string record = "{\"schema\":1,\"site\":\"" + std::string(kSite) + "\",\"url\":\"" + kOrigin +
                             "/news/world/flushed-once-1.html\",\"canonical_url\":\"" + kOrigin +
                             "/news/world/flushed-once-1.html\",\"title\":\"Flushed once\",\"body\":\"b\"}";
  test::WriteFile(out / "plain.jsonl", test::ReadFile(out / "plain.jsonl") + record + "\n");
  CliRun again = RunCli({"run", config.string()});
  ASSERT_TRUE(again.status.success()) << again.err;
  EXPECT_NE(again.err.find("1 record(s) written just before the last run ended are now known to the crawl state "
                           "(1 copied into the jsonl sinks that missed them)"),
            std::string::npos)
      << again.err;
  auto expected = ExpectedPaths();
  expected.insert("/news/world/flushed-once-1.html");
  EXPECT_EQ(Paths(ParseLines(test::ReadFile(out / "plain.jsonl"))), expected);
  EXPECT_EQ(Paths(ReadSink(out, "packed-", /*gzip=*/true)), expected);
}

// What "nothing is marked emitted that was not written and flushed" means
// here: the articles the crawl state records as written are exactly the
// records the jsonl sink holds.
void ExpectStateMatchesSink(const fs::path& state_db, const std::vector<json::object>& records) {
  const auto keys = Column(state_db, std::string("SELECT key FROM articles WHERE site = '") + kSite + "'");
  std::multiset<std::string> in_sink;
  for (const auto& record : records) in_sink.emplace(record.at("canonical_url").as_string());
  EXPECT_EQ(std::multiset<std::string>(keys.begin(), keys.end()), in_sink);
}

bool MountNamespacesWork(std::string& why) {
  test::Subprocess process({"unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                            "mount -t tmpfs -o size=64k tmpfs /tmp && echo ok"});
  auto status = process.Wait(std::chrono::seconds(20));
  if (!status) status = process.Terminate(SIGKILL);
  why = process.Stderr();
  return status->success() && process.Stdout() == "ok\n";
}

// Runs `newshound run CONFIG` with a tmpfs of `size` mounted on `mount`
// (in a mount namespace of its own, so nothing else sees it); what the run
// left on it is copied to `salvage` when it ends.
CliRun RunOnSmallDisk(const fs::path& config, const fs::path& mount, const std::string& size, const fs::path& salvage) {
  fs::create_directories(mount);
  fs::create_directories(salvage);
  test::Subprocess process({"unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                            "mount -t tmpfs -o size=" + size + " tmpfs \"$1\" || exit 99; \"$2\" run \"$3\"; rc=$?; "
                            "cp -a \"$1\"/. \"$4\"/; exit $rc",
                            "sh", mount.string(), std::string(NEWSHOUND_BIN_DIR) + "/newshound", config.string(),
                            salvage.string()});
  auto status = process.Wait(std::chrono::seconds(120));
  if (!status) status = process.Terminate(SIGKILL);
  return {*status, process.Stdout(), process.Stderr()};
}

// The places a full-disk test uses under its temporary directory: where the
// small disk is mounted, where what it held is copied when the run ends,
// and the crawl state (on the real disk).
struct SmallDisk {
  explicit SmallDisk(const fs::path& dir) : mount(dir / "small"), salvage(dir / "salvage"), state(dir / "state") {}
  fs::path mount, salvage, state;
};

// A disk that fills up under the jsonl sink (a 24 KiB tmpfs; the records
// take about 65 KB): the crawl stops with an error naming the sink and the
// file; the file holds whole records only; the crawl state has recorded as
// written exactly those; and once there is room the next run writes the
// rest, each article once. The sqlite sink on the real disk flushes before
// the jsonl one, so it may hold a few articles more, never fewer.
TEST_F(OutputTest, NoSilentLoss_AFullDiskStopsTheCrawlNamingTheSinkAndTheStateHoldsOnlyWhatWasWritten) {
  std::string why;
  if (!MountNamespacesWork(why)) GTEST_SKIP() << "no mount namespace with tmpfs here (unshare): " << why;
  const SmallDisk disk(dir_.path());
  const fs::path& small = disk.mount;
  const fs::path& salvage = disk.salvage;
  const fs::path& state = disk.state;
  // flush_interval 0: a flush per finished page, so the disk fills up
  // between flushes rather than in the first one.
  const auto config = WriteConfig("output:\n"
                                  "  flush_interval: 0s\n"
                                  "  sinks:\n"
                                  "    - {name: store, type: sqlite, path: " + (dir_.path() / "articles.db").string() + "}\n"
                                  "    - {name: articles, type: jsonl, path: " + (small / "articles.jsonl").string() + "}\n",
                                  state.string());
  CliRun full = RunOnSmallDisk(config, small, "24k", salvage);
  ASSERT_NE(full.status.exit_code, 99) << "tmpfs mount failed: " << full.err;
  EXPECT_EQ(full.status.exit_code, 1) << full.status.ToString() << full.err;
  EXPECT_NE(full.err.find("sink 'articles' (jsonl): " + (small / "articles.jsonl").string() +
                          ": cannot write: No space left on device"),
            std::string::npos)
      << full.err;
  EXPECT_NE(full.err.find("output failed, stopping the crawl"), std::string::npos) << full.err;

  const auto written = ParseLines(test::ReadFile(salvage / "articles.jsonl"));
  EXPECT_GT(written.size(), 0u);
  EXPECT_LT(written.size(), ExpectedPaths().size());
  ExpectStateMatchesSink(state / "state.sqlite3", written);
  const auto stored = Column(dir_.path() / "articles.db", "SELECT canonical_url FROM articles");
  EXPECT_GE(stored.size(), written.size());

  // Room again: the file as the full disk left it, on a disk with room.
  fs::copy_file(salvage / "articles.jsonl", small / "articles.jsonl");
  CliRun rest = RunCli({"run", config.string()});
  ASSERT_TRUE(rest.status.success()) << rest.status.ToString() << rest.err;
  const auto all = ParseLines(test::ReadFile(small / "articles.jsonl"));
  EXPECT_EQ(Paths(all), ExpectedPaths());
  ExpectStateMatchesSink(state / "state.sqlite3", all);
  EXPECT_EQ(Column(dir_.path() / "articles.db", "SELECT canonical_url FROM articles").size(), ExpectedPaths().size());
}

// The same with the sqlite store on the small disk: its commit fails, the
// error names it, and the jsonl sink (flushed after it) and the state hold
// the same articles.
TEST_F(OutputTest, NoSilentLoss_ASqliteStoreOnAFullDiskStopsTheCrawlNamingIt) {
  std::string why;
  if (!MountNamespacesWork(why)) GTEST_SKIP() << "no mount namespace with tmpfs here (unshare): " << why;
  const SmallDisk disk(dir_.path());
  const fs::path& small = disk.mount;
  const fs::path& salvage = disk.salvage;
  const fs::path& state = disk.state;
  const auto config = WriteConfig("output:\n"
                                  "  flush_interval: 0s\n"
                                  "  sinks:\n"
                                  "    - {name: articles, type: jsonl, path: " + (dir_.path() / "articles.jsonl").string() + "}\n"
                                  "    - {name: store, type: sqlite, path: " + (small / "articles.db").string() + "}\n",
                                  state.string());
  CliRun full = RunOnSmallDisk(config, small, "96k", salvage);
  ASSERT_NE(full.status.exit_code, 99) << "tmpfs mount failed: " << full.err;
  EXPECT_EQ(full.status.exit_code, 1) << full.status.ToString() << full.err;
  EXPECT_NE(full.err.find("sink 'store' (sqlite): " + (small / "articles.db").string()), std::string::npos) << full.err;
  const auto written = ParseLines(test::ReadFile(dir_.path() / "articles.jsonl"));
  EXPECT_LT(written.size(), ExpectedPaths().size());
  ExpectStateMatchesSink(state / "state.sqlite3", written);
}

// A file-size limit (RLIMIT_FSIZE, here through prlimit) hits the jsonl
// sink as it would a quota: the crawl stops naming the sink and the file,
// and the file ends at a whole record. The state is in memory (no
// state_dir), so the limit only meets the sink.
TEST_F(OutputTest, NoSilentLoss_AFileSizeLimitStopsTheCrawlNamingTheSinkAndLeavesWholeRecords) {
  const fs::path out = dir_.path() / "out" / "articles.jsonl";
  const auto config = WriteConfig("output:\n  flush_interval: 0s\n  jsonl: " + out.string() + "\n", "");
  CliRun run = RunCli({"run", config.string()});  // the program itself, before the limit, for its size on disk
  ASSERT_TRUE(run.status.success()) << run.err;
  const uintmax_t whole = fs::file_size(out);
  fs::remove(out);
  const uintmax_t limit = whole / 3;
  test::Subprocess limited({"prlimit", "--fsize=" + std::to_string(limit), std::string(NEWSHOUND_BIN_DIR) + "/newshound",
                            "run", config.string()});
  auto status = limited.Wait(std::chrono::seconds(120));
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_code, 1) << status->ToString() << limited.Stderr();
  EXPECT_NE(limited.Stderr().find("sink 'jsonl' (jsonl): " + out.string() + ": cannot write: File too large"),
            std::string::npos)
      << limited.Stderr();
  const std::string text = test::ReadFile(out);
  EXPECT_LE(text.size(), limit);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const auto records = ParseLines(text);
  EXPECT_GT(records.size(), 0u);
  EXPECT_LT(records.size(), ExpectedPaths().size());
}

// The reading end of a named pipe, in a thread of its own: opened before
// the crawl starts (so the crawl finds a reader), reading until `stop_after`
// whole lines have arrived (then closing its end, as `head -n` would) or,
// with 0, until the writer is gone and Finish was called.
class PipeReader {
 public:
  PipeReader(const fs::path& fifo, size_t stop_after) : stop_after_(stop_after) {
    fd_ = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    EXPECT_GE(fd_, 0) << fifo << ": " << std::strerror(errno);
    thread_ = std::thread([this] { Read(); });
  }
  ~PipeReader() { Finish(); }
  // After the writer ended: reads what is left, and returns all it read.
  const std::string& Finish() {
    finish_ = true;
    if (thread_.joinable()) thread_.join();
    return text_;
  }

 private:
  void Read() {
    char block[4096];
    while (fd_ >= 0) {
      pollfd in{fd_, POLLIN, 0};
      ::poll(&in, 1, 50);
      const bool writer_done = finish_.load();  // read before the read: what follows is all there is
      const ssize_t n = ::read(fd_, block, sizeof(block));
      if (n > 0) {
        text_.append(block, static_cast<size_t>(n));
        if (stop_after_ > 0 && static_cast<size_t>(std::count(text_.begin(), text_.end(), '\n')) >= stop_after_) break;
      } else if ((n == 0 || errno == EAGAIN) && writer_done) {
        break;
      } else if (n == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // no writer yet: poll does not wait for one
      }
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  const size_t stop_after_;
  int fd_ = -1;
  std::atomic<bool> finish_{false};
  std::string text_;
  std::thread thread_;
};

// A jsonl sink into a named pipe whose reader closes its end after the
// first record: the crawl stops with an error naming the sink and the pipe
// (EPIPE, not a SIGPIPE that would end it without a word), every article
// the crawl state records as written went down the pipe, and the next run
// (a reader taking everything) gets exactly the articles the state did not
// record: none twice, none that the first reader got.
TEST_F(OutputTest, NoSilentLoss_APipeWhoseReaderClosesStopsTheCrawlNamingTheSink) {
  const fs::path fifo = dir_.path() / "articles.pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  const fs::path state = dir_.path() / "state";
  const auto config = WriteConfig("output:\n"
                                  "  flush_interval: 0s\n"
                                  "  sinks:\n"
                                  "    - {name: stream, type: jsonl, path: " + fifo.string() + "}\n",
                                  state.string());
  std::string first;
  {
    PipeReader head(fifo, 1);
    test::Subprocess crawl({std::string(NEWSHOUND_BIN_DIR) + "/newshound", "run", config.string()});
    auto status = crawl.Wait(std::chrono::seconds(120));
    ASSERT_TRUE(status);
    first = head.Finish();
    EXPECT_EQ(status->exit_code, 1) << status->ToString() << crawl.Stderr();
    EXPECT_NE(crawl.Stderr().find("sink 'stream' (jsonl): " + fifo.string() + ": cannot write: the reader closed the pipe"),
              std::string::npos)
        << crawl.Stderr();
    EXPECT_NE(crawl.Stderr().find("output failed, stopping the crawl"), std::string::npos) << crawl.Stderr();
  }
  const auto got_first = ParseLines(first.substr(0, first.rfind('\n') + 1));
  ASSERT_GE(got_first.size(), 1u);
  const auto keys = Column(state / "state.sqlite3", std::string("SELECT key FROM articles WHERE site = '") + kSite + "'");
  const std::set<std::string> recorded(keys.begin(), keys.end());
  EXPECT_LT(recorded.size(), ExpectedPaths().size());
  for (const auto& record : got_first)
    EXPECT_TRUE(recorded.contains(std::string(record.at("canonical_url").as_string()))) << record.at("url");

  PipeReader all(fifo, 0);
  CliRun rest = RunCli({"run", config.string()});
  ASSERT_TRUE(rest.status.success()) << rest.status.ToString() << rest.err;
  const auto got_rest = ParseLines(all.Finish());
  std::multiset<std::string> expected_rest;
  for (const auto& path : ExpectedPaths())
    if (!recorded.contains(std::string(kOrigin) + path)) expected_rest.insert(path);
  EXPECT_EQ(Paths(got_rest), expected_rest);
}

// A named pipe nobody reads is refused when the crawl starts, naming it,
// rather than a crawl hanging in open(2); one that would rotate is refused.
TEST_F(OutputTest, NoSilentLoss_APipeWithoutAReaderOrWithRotationIsRefusedAtTheStart) {
  const fs::path fifo = dir_.path() / "articles.pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  CliRun unread = RunCli({"run", WriteConfig("output:\n  sinks:\n    - {name: stream, type: jsonl, path: " +
                                                 fifo.string() + "}\n",
                                             "")
                                     .string()});
  EXPECT_EQ(unread.status.exit_code, 1) << unread.status.ToString() << unread.err;
  EXPECT_NE(unread.err.find(fifo.string() + ": cannot open the named pipe: no process has it open for reading"),
            std::string::npos)
      << unread.err;
  PipeReader reader(fifo, 0);
  CliRun rotating = RunCli({"run", WriteConfig("output:\n  sinks:\n    - {name: stream, type: jsonl, path: " +
                                                   fifo.string() + ", rotate_size: 1MiB}\n",
                                               "")
                                       .string()});
  EXPECT_EQ(rotating.status.exit_code, 1) << rotating.status.ToString() << rotating.err;
  EXPECT_NE(rotating.err.find(fifo.string() + ": is a named pipe, which cannot rotate"), std::string::npos) << rotating.err;
  EXPECT_EQ(reader.Finish(), "");
}

}  // namespace
}  // namespace newshound::e2e
