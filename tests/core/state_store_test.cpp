// The crawl state store (framework/src/state/state_store.*) on a real SQLite
// database in a temporary directory; a crash is a child process that ends
// with _exit() in the middle of a transaction.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>

#include "state/state_store.h"
#include "test_support.h"

namespace newshound::state {
namespace {

std::unique_ptr<StateStore> OpenOrDie(const std::string& dir) {
  auto store = StateStore::Open(dir);
  if (!store.ok()) throw std::runtime_error(store.status().message());
  return std::move(*store);
}

TEST(StateStore, ARunIsResumedUntilItIsFinished) {
  test::TempDir dir;
  auto store = OpenOrDie(dir.path().string());
  auto first = store->StartRun("site", 1000);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->run, 1);
  EXPECT_FALSE(first->resumed);
  ASSERT_TRUE(store->Commit().ok());

  auto again = store->StartRun("site", 2000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->run, 1);
  EXPECT_TRUE(again->resumed);
  EXPECT_EQ(again->started_at_ms, 1000);
  ASSERT_TRUE(store->FinishRun("site", 1, 3000).ok());

  auto next = store->StartRun("site", 4000);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->run, 2);
  EXPECT_FALSE(next->resumed);
  auto last = store->LastFinishedRun("site");
  ASSERT_TRUE(last.ok() && last->has_value());
  EXPECT_EQ((*last)->started_at_ms, 1000);
  EXPECT_EQ((*last)->finished_at_ms, 3000);
  // Sites have runs of their own.
  auto other = store->StartRun("other", 5000);
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->run, 1);
}

TEST(StateStore, TheUrlsOfARunThatAreNotDoneAreItsFrontier) {
  test::TempDir dir;
  auto store = OpenOrDie(dir.path().string());
  const int64_t run = store->StartRun("site", 0)->run;
  ASSERT_TRUE(store->Queue("site", run, {"https://a.test/", 0, true}).ok());
  ASSERT_TRUE(store->Queue("site", run, {"https://a.test/1.html", 1, false}).ok());
  ASSERT_TRUE(store->Queue("site", run, {"https://a.test/2.html", 1, false}).ok());
  UrlState fetched;
  fetched.status = 200;
  fetched.page_kind = "listing";
  ASSERT_TRUE(store->Finish("site", run, "https://a.test/", fetched).ok());
  ASSERT_TRUE(store->FinishUnfetched("site", run, "https://a.test/2.html", OutcomeKind::kRobotsDisallowed).ok());
  ASSERT_TRUE(store->Commit().ok());

  auto urls = store->UrlsOfRun("site", run);
  ASSERT_TRUE(urls.ok());
  ASSERT_EQ(urls->pending.size(), 1u);
  EXPECT_EQ(urls->pending[0].url, "https://a.test/1.html");
  EXPECT_EQ(urls->pending[0].depth, 1);
  EXPECT_FALSE(urls->pending[0].high_priority);
  EXPECT_EQ(urls->done.size(), 2u);
  EXPECT_TRUE(store->UrlsOfRun("site", run + 1)->pending.empty());
}

// What lets a site's first run skip the per-link lookup of earlier runs.
TEST(StateStore, HasUrlsBeforeSeesOnlyUrlsLastQueuedByAnEarlierRunOfTheSite) {
  test::TempDir dir;
  auto store = OpenOrDie(dir.path().string());
  const int64_t first = store->StartRun("site", 0)->run;
  EXPECT_FALSE(*store->HasUrlsBefore("site", first));
  ASSERT_TRUE(store->Queue("site", first, {"https://a.test/", 0, true}).ok());
  ASSERT_TRUE(store->Queue("site", first, {"https://a.test/1.html", 1, false}).ok());
  EXPECT_FALSE(*store->HasUrlsBefore("site", first));  // this run's own URLs
  ASSERT_TRUE(store->FinishRun("site", first, 1).ok());

  const int64_t second = store->StartRun("site", 2)->run;
  EXPECT_TRUE(*store->HasUrlsBefore("site", second));
  EXPECT_FALSE(*store->HasUrlsBefore("other", store->StartRun("other", 2)->run));  // sites apart
  // Once the second run has queued every URL again, none is left from the first.
  ASSERT_TRUE(store->Queue("site", second, {"https://a.test/", 0, true}).ok());
  EXPECT_TRUE(*store->HasUrlsBefore("site", second));
  ASSERT_TRUE(store->Queue("site", second, {"https://a.test/1.html", 1, false}).ok());
  EXPECT_FALSE(*store->HasUrlsBefore("site", second));
}

TEST(StateStore, WhatAFetchLearntRoundTripsAndOutlivesTheNextQueue) {
  test::TempDir dir;
  {
    auto store = OpenOrDie(dir.path().string());
    const int64_t run = store->StartRun("site", 0)->run;
    ASSERT_TRUE(store->Queue("site", run, {"https://a.test/", 0, true}).ok());
    UrlState state;
    state.outcome = OutcomeKind::kNotModified;
    state.status = 304;
    state.page_kind = "listing";
    state.validators = {"\"abc\"", "Sun, 06 Nov 1994 08:49:37 GMT"};
    state.content_sha256 = "ff00";
    state.fetched_at_ms = 1234;
    state.links = {{"https://a.test/news/", true}, {"https://a.test/1.html", false}};
    ASSERT_TRUE(store->Finish("site", run, "https://a.test/", state).ok());
    ASSERT_TRUE(store->FinishRun("site", run, 5).ok());
    ASSERT_TRUE(store->Commit().ok());
  }
  auto store = OpenOrDie(dir.path().string());  // reopened: it was on disk
  const int64_t run = store->StartRun("site", 10)->run;
  EXPECT_EQ(run, 2);
  ASSERT_TRUE(store->Queue("site", run, {"https://a.test/", 0, true}).ok());
  auto record = store->Get("site", "https://a.test/");
  ASSERT_TRUE(record.ok() && record->has_value());
  EXPECT_EQ((*record)->run, run);
  EXPECT_FALSE((*record)->done);
  ASSERT_TRUE((*record)->last.has_value());
  const UrlState& last = *(*record)->last;
  EXPECT_EQ(last.outcome, OutcomeKind::kNotModified);
  EXPECT_EQ(last.status, 304);
  EXPECT_EQ(last.page_kind, "listing");
  EXPECT_EQ(last.validators.etag, "\"abc\"");
  EXPECT_EQ(last.validators.last_modified, "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(last.content_sha256, "ff00");
  EXPECT_EQ(last.fetched_at_ms, 1234);
  ASSERT_EQ(last.links.size(), 2u);
  EXPECT_EQ(last.links[0].url, "https://a.test/news/");
  EXPECT_TRUE(last.links[0].high_priority);
  EXPECT_EQ(last.links[1].url, "https://a.test/1.html");
  EXPECT_FALSE(last.links[1].high_priority);
  EXPECT_FALSE(store->Get("site", "https://a.test/unknown")->has_value());
  EXPECT_FALSE(store->Get("other", "https://a.test/")->has_value());
}

TEST(StateStore, ArticlesAndOutputOffsetsAreKept) {
  test::TempDir dir;
  auto store = OpenOrDie(dir.path().string());
  EXPECT_FALSE(store->ArticleHash("site", "https://a.test/1.html")->has_value());
  ASSERT_TRUE(store->MarkWritten("site", "https://a.test/1.html", "h1", 1).ok());
  ASSERT_TRUE(store->MarkWritten("site", "https://a.test/1.html", "h2", 2).ok());
  EXPECT_EQ(store->ArticleHash("site", "https://a.test/1.html")->value(), "h2");
  EXPECT_EQ(*store->OutputOffset("out/a.jsonl"), 0u);
  ASSERT_TRUE(store->SetOutputOffset("out/a.jsonl", 4096).ok());
  EXPECT_EQ(*store->OutputOffset("out/a.jsonl"), 4096u);
}

// Outputs are kept under their absolute path (JsonlWriter::path()); an
// offset an earlier version kept under the path as configured, relative to
// the working directory, is found under the absolute one and re-keyed.
TEST(StateStore, AnOffsetKeptUnderARelativePathIsTakenOverByTheAbsoluteOne) {
  test::TempDir dir;
  auto store = OpenOrDie(dir.path().string());
  ASSERT_TRUE(store->SetOutputOffset("out/a.jsonl", 4096).ok());
  ASSERT_TRUE(store->SetOutputOffset("out/other.jsonl", 7).ok());
  const std::string absolute = (std::filesystem::current_path() / "out" / "a.jsonl").string();
  EXPECT_EQ(*store->OutputOffset(absolute), 4096u);
  ASSERT_TRUE(store->SetOutputOffset(absolute, 5000).ok());
  ASSERT_TRUE(store->Commit().ok());
  EXPECT_EQ(*store->OutputOffset("out/a.jsonl"), 0u);  // the old key is gone
  EXPECT_EQ(*store->OutputOffset(absolute), 5000u);
  EXPECT_EQ(*store->OutputOffset("out/other.jsonl"), 7u);
  EXPECT_EQ(*store->OutputOffset((std::filesystem::current_path() / "elsewhere.jsonl").string()), 0u);
}

TEST(StateStore, ARelativeStateDirIsNamedAsConfiguredAndAsResolved) {
  test::TempDir dir;
  test::WriteFile(dir.path() / "file", "x");
  const std::filesystem::path relative = std::filesystem::relative(dir.path() / "file" / "state");
  auto store = StateStore::Open(relative.string());
  ASSERT_FALSE(store.ok());
  const std::string message = store.status().message();
  EXPECT_NE(message.find("crawler.state_dir " + relative.string() + " (" +
                         (std::filesystem::current_path() / relative).string() + "): cannot create"),
            std::string::npos)
      << message;
}

// A process killed in the middle of a transaction leaves the database as of
// its last commit: nothing half-written, nothing committed lost.
TEST(StateStore, AKilledProcessLosesOnlyWhatItHadNotCommitted) {
  test::TempDir dir;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = StateStore::Open(dir.path().string());
    if (!store.ok()) ::_exit(2);
    const int64_t run = (*store)->StartRun("site", 0)->run;
    (void)(*store)->Queue("site", run, {"https://a.test/committed", 0, false});
    if (!(*store)->Commit().ok()) ::_exit(3);
    (void)(*store)->Queue("site", run, {"https://a.test/uncommitted", 0, false});
    ::_exit(0);  // no destructor, no commit: as if killed
  }
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0) << wait_status;
  auto store = OpenOrDie(dir.path().string());
  auto run = store->StartRun("site", 1);
  ASSERT_TRUE(run.ok());
  EXPECT_TRUE(run->resumed);
  auto urls = store->UrlsOfRun("site", run->run);
  ASSERT_TRUE(urls.ok());
  ASSERT_EQ(urls->pending.size(), 1u);
  EXPECT_EQ(urls->pending[0].url, "https://a.test/committed");
}

// The run's outcome of each URL, fetched or not, read as a tool would.
std::map<std::string, std::string> RunOutcomes(const std::string& path) {
  std::map<std::string, std::string> outcomes;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* statement = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT url, run_outcome FROM urls", -1, &statement, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  while (statement != nullptr && sqlite3_step(statement) == SQLITE_ROW)
    outcomes[reinterpret_cast<const char*>(sqlite3_column_text(statement, 0))] =
        reinterpret_cast<const char*>(sqlite3_column_text(statement, 1));
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return outcomes;
}

TEST(StateStore, EveryUrlOfARunHasItsOutcomeFetchedOrNot) {
  test::TempDir dir;
  auto store = OpenOrDie(dir.path().string());
  const int64_t run = store->StartRun("site", 0)->run;
  for (const char* url : {"https://a.test/", "https://a.test/1.html", "https://a.test/2.html"})
    ASSERT_TRUE(store->Queue("site", run, {url, 0, false}).ok());
  UrlState fetched;
  fetched.outcome = OutcomeKind::kFetched;
  fetched.status = 200;
  ASSERT_TRUE(store->Finish("site", run, "https://a.test/", fetched).ok());
  ASSERT_TRUE(store->FinishUnfetched("site", run, "https://a.test/1.html", OutcomeKind::kBlockedAddress).ok());
  ASSERT_TRUE(store->Commit().ok());
  const std::string path = (dir.path() / "state.sqlite3").string();
  EXPECT_EQ(RunOutcomes(path), (std::map<std::string, std::string>{{"https://a.test/", "fetched"},
                                                                   {"https://a.test/1.html", "blocked_address"},
                                                                   {"https://a.test/2.html", ""}}));
  // Queued again by the next run: open again until that run settles it.
  const int64_t next = store->StartRun("site", 10)->run;
  ASSERT_TRUE(store->Queue("site", next, {"https://a.test/1.html", 0, false}).ok());
  ASSERT_TRUE(store->Commit().ok());
  EXPECT_EQ(RunOutcomes(path).at("https://a.test/1.html"), "");
}

TEST(StateStore, ASchemaOneDatabaseGainsRunOutcomesAndKeepsItsUrls) {
  test::TempDir dir;
  const std::string path = (dir.path() / "state.sqlite3").string();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE urls (site TEXT NOT NULL, url TEXT NOT NULL, run INTEGER NOT NULL, "
                         "done INTEGER NOT NULL, depth INTEGER NOT NULL, high_priority INTEGER NOT NULL, "
                         "fetched INTEGER NOT NULL DEFAULT 0, outcome TEXT NOT NULL DEFAULT '', "
                         "status INTEGER NOT NULL DEFAULT 0, page_kind TEXT NOT NULL DEFAULT '', "
                         "etag TEXT NOT NULL DEFAULT '', last_modified TEXT NOT NULL DEFAULT '', "
                         "content_sha256 TEXT NOT NULL DEFAULT '', fetched_at_ms INTEGER NOT NULL DEFAULT 0, "
                         "links TEXT NOT NULL DEFAULT '', PRIMARY KEY (site, url)) WITHOUT ROWID;"
                         "INSERT INTO urls (site, url, run, done, depth, high_priority, fetched, outcome, etag) "
                         "VALUES ('site', 'https://a.test/', 1, 1, 0, 1, 1, 'fetched', '\"v1\"');"
                         "PRAGMA user_version=1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
  auto store = OpenOrDie(dir.path().string());
  auto record = store->Get("site", "https://a.test/");
  ASSERT_TRUE(record.ok() && record->has_value());
  ASSERT_TRUE((*record)->last.has_value());
  EXPECT_EQ((*record)->last->validators.etag, "\"v1\"");
  EXPECT_EQ(RunOutcomes(path).at("https://a.test/"), "");
}

TEST(StateStore, ADatabaseFromANewerVersionIsRefusedByName) {
  test::TempDir dir;
  { auto store = OpenOrDie(dir.path().string()); }
  const std::string path = (dir.path() / "state.sqlite3").string();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = StateStore::Open(dir.path().string());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(path), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find("newer"), std::string::npos) << store.status().message();
}

TEST(StateStore, AStateDirThatCannotBeCreatedIsAnErrorNamingIt) {
  test::TempDir dir;
  test::WriteFile(dir.path() / "file", "x");
  auto store = StateStore::Open((dir.path() / "file" / "state").string());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("state_dir"), std::string::npos) << store.status().message();
}

}  // namespace
}  // namespace newshound::state
