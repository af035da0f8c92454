// The SQLite article store (framework/src/sink/sqlite_store.*) on real
// database files in a temporary directory: upsert by key, version counting,
// the FTS5 index kept in step with the table, and the failures that must name
// the file (a commit over the file size limit, a foreign or newer database).
#include "sink/sqlite_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/json.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace newshound {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<SqliteArticleStore> OpenOrDie(const fs::path& path) {
  auto store = SqliteArticleStore::Open(path.string());
  if (!store.ok()) throw std::runtime_error(store.status().message());
  return std::move(*store);
}

ArticleRecord Article(const std::string& canonical, const std::string& title, const std::string& body) {
  ArticleRecord article;
  if (!canonical.empty()) article.fields["canonical_url"] = canonical;
  article.fields["title"] = title;
  article.fields["body"] = body;
  return article;
}

RecordMeta Meta(const std::string& url, const std::string& content_sha256 = "aa") {
  RecordMeta meta;
  meta.site = "testsite";
  meta.plugin = "testplugin";
  meta.url = url;
  meta.fetched_at = "2026-01-02T03:04:05Z";
  meta.status = 200;
  meta.charset = "utf-8";
  meta.content_sha256 = content_sha256;
  return meta;
}

Status Put(SqliteArticleStore& store, const ArticleRecord& article, const RecordMeta& meta) {
  return store.Upsert(article, meta, ArticleToJson(article, &meta));
}

// Direct SQL on the file, as another reader of the store would do it.
class Db {
 public:
  explicit Db(const fs::path& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("cannot open " + path.string());
  }
  ~Db() { sqlite3_close(db_); }
  // The first column of every row, as text ("NULL" for NULL).
  std::vector<std::string> Column(const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK)
      throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    std::vector<std::string> out;
    int rc;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      const auto* text = sqlite3_column_text(statement, 0);
      out.emplace_back(text == nullptr ? "NULL" : reinterpret_cast<const char*>(text));
    }
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) throw std::runtime_error(sql + ": " + sqlite3_errmsg(db_));
    return out;
  }
  std::string One(const std::string& sql) {
    auto column = Column(sql);
    if (column.size() != 1) throw std::runtime_error(sql + ": " + std::to_string(column.size()) + " rows");
    return column[0];
  }
  // sqlite3_exec's error message, empty when it succeeded.
  std::string Exec(const std::string& sql) {
    char* error = nullptr;
    std::string message;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK)
      message = error != nullptr ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    return message;
  }
  // The FTS5 index against its content table: "" when consistent. (The
  // plain 'integrity-check' of SQLite 3.40 does not compare an external
  // content table; rank 1 does.)
  std::string FtsIntegrity() {
    return Exec("INSERT INTO articles_fts (articles_fts, rank) VALUES ('integrity-check', 1)");
  }

 private:
  sqlite3* db_ = nullptr;
};

std::vector<std::string> HitUrls(const fs::path& db, const std::string& query) {
  auto hits = SearchArticles(db.string(), query, 0);
  if (!hits.ok()) throw std::runtime_error(hits.status().message());
  std::vector<std::string> out;
  for (const auto& hit : *hits) out.push_back(hit.canonical_url);
  return out;
}

using ::testing::ElementsAre;

TEST(SqliteStore, UpsertOfTheSameCanonicalUrlKeepsOneRowAndCountsRealChanges) {
  test::TempDir dir;
  const fs::path db = dir / "articles.sqlite3";
  auto store = OpenOrDie(db);
  ASSERT_TRUE(
      Put(*store, Article("https://news.test/a", "Rain in Rabat", "First version."), Meta("https://news.test/a?x=1"))
          .ok());
  ASSERT_TRUE(store->Flush().ok());
  // The same title and body from a page whose sidebar changed: not a version.
  RecordMeta later = Meta("https://news.test/a?x=2", "bb");
  later.fetched_at = "2026-01-03T00:00:00Z";
  ASSERT_TRUE(Put(*store, Article("https://news.test/a", "Rain in Rabat", "First version."), later).ok());
  ASSERT_TRUE(store->Flush().ok());
  {
    Db check(db);
    EXPECT_EQ(check.One("SELECT count(*) FROM articles"), "1");
    EXPECT_EQ(check.One("SELECT versions FROM articles"), "1");
    // The other columns take the latest values.
    EXPECT_EQ(check.One("SELECT fetched_at FROM articles"), "2026-01-03T00:00:00Z");
    EXPECT_EQ(check.One("SELECT content_sha256 FROM articles"), "bb");
    EXPECT_EQ(check.One("SELECT url FROM articles"), "https://news.test/a?x=2");
  }
  // The body changed: a second version; then the title: a third.
  ASSERT_TRUE(Put(*store, Article("https://news.test/a", "Rain in Rabat", "Second version."), later).ok());
  ASSERT_TRUE(Put(*store, Article("https://news.test/a", "Storm in Rabat", "Second version."), later).ok());
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(store->upserts(), 4);
  Db check(db);
  EXPECT_EQ(check.One("SELECT count(*) FROM articles"), "1");
  EXPECT_EQ(check.One("SELECT versions FROM articles"), "3");
  EXPECT_EQ(check.One("SELECT title FROM articles"), "Storm in Rabat");
  EXPECT_EQ(check.One("SELECT first_written_at <= updated_at FROM articles"), "1");
  // `record` is the JSON line of the last upsert.
  const auto record = boost::json::parse(check.One("SELECT record FROM articles")).as_object();
  EXPECT_EQ(record.at("title").as_string(), "Storm in Rabat");
  EXPECT_EQ(record.at("body").as_string(), "Second version.");
  EXPECT_EQ(check.FtsIntegrity(), "");
}

TEST(SqliteStore, DifferentCanonicalUrlsAreDifferentRowsAndTheKeyIsInNormalForm) {
  test::TempDir dir;
  const fs::path db = dir / "articles.sqlite3";
  auto store = OpenOrDie(db);
  ASSERT_TRUE(Put(*store, Article("https://news.test/a", "A", "a"), Meta("https://news.test/a")).ok());
  ASSERT_TRUE(Put(*store, Article("https://news.test/b", "B", "b"), Meta("https://news.test/b")).ok());
  // The same URL as the first, spelled otherwise: the same key.
  ASSERT_TRUE(Put(*store, Article("HTTPS://NEWS.test:443/a", "A", "a"), Meta("https://news.test/a")).ok());
  // No canonical URL: the fetched URL is the key.
  ASSERT_TRUE(Put(*store, Article("", "C", "c"), Meta("https://news.test/c")).ok());
  ASSERT_TRUE(store->Flush().ok());
  Db check(db);
  EXPECT_THAT(check.Column("SELECT canonical_url FROM articles ORDER BY canonical_url"),
              ElementsAre("https://news.test/a", "https://news.test/b", "https://news.test/c"));
  // Fields the page did not give are NULL; lists are JSON text.
  EXPECT_EQ(check.One("SELECT coalesce(summary, 'NULL') FROM articles WHERE title = 'A'"), "NULL");
  EXPECT_EQ(check.One("SELECT authors FROM articles WHERE title = 'A'"), "[]");
}

TEST(SqliteStore, ColumnsHoldTheRecordFields) {
  test::TempDir dir;
  const fs::path db = dir / "articles.sqlite3";
  auto store = OpenOrDie(db);
  ArticleRecord article = Article("https://news.test/full", "Full", "Body text");
  article.fields["published"] = "2026-01-01T10:00:00Z";
  article.fields["section"] = "world";
  article.fields["language"] = "en";
  article.authors = {"Ada Lovelace", "Alan Turing"};
  article.related = {{"Other", "https://news.test/other", ""}};
  ASSERT_TRUE(Put(*store, article, Meta("https://news.test/full")).ok());
  ASSERT_TRUE(store->Flush().ok());
  Db check(db);
  EXPECT_EQ(check.One("SELECT published FROM articles"), "2026-01-01T10:00:00Z");
  EXPECT_EQ(
      check.One("SELECT section || '/' || language || '/' || site || '/' || plugin || '/' || status FROM articles"),
      "world/en/testsite/testplugin/200");
  EXPECT_EQ(check.One("SELECT json_extract(authors, '$[1]') FROM articles"), "Alan Turing");
  EXPECT_EQ(check.One("SELECT json_extract(related, '$[0].url') FROM articles"), "https://news.test/other");
  EXPECT_EQ(check.One("SELECT json_type(related, '$[0].published') FROM articles"), "null");
}

constexpr char kHarbourTitle[] = "Harbour reopens in Tangier after a week of storms closed the port to all ships";

TEST(SqliteStore, SearchFindsTitleAndBodyWordsButNotAbsentOnes) {
  test::TempDir dir;
  const fs::path db = dir / "articles.sqlite3";
  {
    auto store = OpenOrDie(db);
    // A long title and a short body, so that only the title's weight puts
    // the title hit first (bm25 favours the shorter column).
    ASSERT_TRUE(Put(*store,
                    Article("https://news.test/harbour", kHarbourTitle, "Ships returned on Monday after the storm."),
                    Meta("https://news.test/harbour"))
                    .ok());
    ASSERT_TRUE(Put(*store, Article("https://news.test/football", "Cup final tonight", "Tangier fans in Casablanca."),
                    Meta("https://news.test/football"))
                    .ok());
    ASSERT_TRUE(store->Flush().ok());
  }
  EXPECT_THAT(HitUrls(db, "harbour"), ElementsAre("https://news.test/harbour"));      // a title word
  EXPECT_THAT(HitUrls(db, "casablanca"), ElementsAre("https://news.test/football"));  // a body word, any case
  EXPECT_THAT(HitUrls(db, "marrakesh"), ElementsAre());
  // A word in the title ranks above the same word in a body.
  EXPECT_THAT(HitUrls(db, "tangier"), ElementsAre("https://news.test/harbour", "https://news.test/football"));
  EXPECT_THAT(HitUrls(db, "\"cup final\""), ElementsAre("https://news.test/football"));
  EXPECT_THAT(HitUrls(db, "ship*"), ElementsAre("https://news.test/harbour"));
  EXPECT_THAT(HitUrls(db, "title:casablanca"), ElementsAre());

  auto hits = SearchArticles(db.string(), "storm", 10);
  ASSERT_TRUE(hits.ok()) << hits.status().message();
  ASSERT_EQ(hits->size(), 1u);
  const SearchHit& hit = (*hits)[0];
  EXPECT_EQ(hit.title, kHarbourTitle);
  EXPECT_EQ(hit.url, "https://news.test/harbour");
  EXPECT_EQ(hit.site, "testsite");
  EXPECT_NE(hit.snippet.find("[storm]"), std::string::npos) << hit.snippet;
  EXPECT_LT(hit.rank, 0);

  auto limited = SearchArticles(db.string(), "tangier", 1);
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ(limited->size(), 1u);
  // A hit in the title only: the title's snippet, marked.
  EXPECT_EQ((*limited)[0].snippet, "Harbour reopens in [Tangier] after a week of storms closed the port to all ships");
}

TEST(SqliteStore, DiacriticsDoNotMatterToSearch) {
  test::TempDir dir;
  const fs::path db = dir / "articles.sqlite3";
  {
    auto store = OpenOrDie(db);
    ASSERT_TRUE(Put(*store, Article("https://news.test/fes", "Fès célèbre", "Le festival a commencé."),
                    Meta("https://news.test/fes"))
                    .ok());
    ASSERT_TRUE(store->Flush().ok());
  }
  EXPECT_THAT(HitUrls(db, "fes"), ElementsAre("https://news.test/fes"));
  EXPECT_THAT(HitUrls(db, "celebre"), ElementsAre("https://news.test/fes"));
  EXPECT_THAT(HitUrls(db, "commencé"), ElementsAre("https://news.test/fes"));
}

// The Arabic edition's expected articles (the outlet's own test data).
std::vector<boost::json::object> ArabicArticles() {
  const fs::path file =
      fs::path(NEWSHOUND_SOURCE_DIR) / "plugins/almaghribtoday/testdata/almaghribtoday-ar/expected/articles.jsonl";
  std::vector<boost::json::object> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(boost::json::parse(line).as_object());
  if (out.empty()) throw std::runtime_error("no articles in " + file.string());
  return out;
}

TEST(SqliteStore, ArabicArticlesAreSearchable) {
  test::TempDir dir;
  const fs::path db = dir / "articles.sqlite3";
  const auto expected = ArabicArticles();
  {
    auto store = OpenOrDie(db);
    for (const auto& record : expected) {
      const std::string url = "https://arabic.test" + std::string(record.at("url").as_string());
      ArticleRecord article =
          Article(url, std::string(record.at("title").as_string()), std::string(record.at("body").as_string()));
      article.fields["language"] = "ar";
      ASSERT_TRUE(Put(*store, article, Meta(url)).ok());
    }
    ASSERT_TRUE(store->Flush().ok());
  }
  // The first article: "مراكش تحتضن ملتقى وطنيا حول السلامة الطرقية".
  const std::string first = "https://arabic.test" + std::string(expected[0].at("url").as_string());
  const auto by_title = HitUrls(db, "ملتقى");
  EXPECT_NE(std::find(by_title.begin(), by_title.end(), first), by_title.end());
  // A word of its body only: "حوادث" (accidents).
  EXPECT_THAT(HitUrls(db, "حوادث"), ElementsAre(first));
  EXPECT_THAT(HitUrls(db, "\"السلامة الطرقية\""), ::testing::Contains(first));
  EXPECT_THAT(HitUrls(db, "كلمةغائبة"), ElementsAre());
  auto hits = SearchArticles(db.string(), "حوادث", 5);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_NE((*hits)[0].snippet.find("[حوادث]"), std::string::npos) << (*hits)[0].snippet;
}

TEST(SqliteStore, UpdatesAndDeletesKeepTheFtsIndexConsistent) {
  test::TempDir dir;
  const fs::path db = dir / "articles.sqlite3";
  auto store = OpenOrDie(db);
  for (int i = 0; i < 20; ++i) {
    const std::string url = "https://news.test/" + std::to_string(i);
    ASSERT_TRUE(
        Put(*store, Article(url, "Title " + std::to_string(i), "oldword body " + std::to_string(i)), Meta(url)).ok());
  }
  ASSERT_TRUE(store->Flush().ok());
  // Half the bodies change; one title goes away (NULL).
  for (int i = 0; i < 10; ++i) {
    const std::string url = "https://news.test/" + std::to_string(i);
    ASSERT_TRUE(
        Put(*store, Article(url, "Title " + std::to_string(i), "newword body " + std::to_string(i)), Meta(url)).ok());
  }
  ArticleRecord untitled;
  untitled.fields["canonical_url"] = "https://news.test/3";
  untitled.fields["body"] = "newword body 3";
  ASSERT_TRUE(Put(*store, untitled, Meta("https://news.test/3")).ok());
  ASSERT_TRUE(store->Flush().ok());
  {
    Db check(db);
    EXPECT_EQ(check.FtsIntegrity(), "");
    // Rows deleted and edited by hand go through the triggers too.
    EXPECT_EQ(check.Exec("DELETE FROM articles WHERE canonical_url IN ('https://news.test/0', 'https://news.test/15')"),
              "");
    EXPECT_EQ(check.Exec("UPDATE articles SET title = 'Renamed' WHERE canonical_url = 'https://news.test/1'"), "");
    EXPECT_EQ(check.FtsIntegrity(), "");
    EXPECT_EQ(check.One("SELECT versions FROM articles WHERE canonical_url = 'https://news.test/3'"), "3");
  }
  EXPECT_EQ(HitUrls(db, "oldword").size(), 9u);  // 10..19 but 15
  EXPECT_EQ(HitUrls(db, "newword").size(), 9u);  // 0..9 but 0
  EXPECT_THAT(HitUrls(db, "renamed"), ElementsAre("https://news.test/1"));
  EXPECT_THAT(HitUrls(db, "title AND 3"), ElementsAre());  // its title is gone
  // And the check does notice an index out of step (so the checks above
  // mean something): an update that bypasses the triggers.
  Db check(db);
  ASSERT_EQ(check.Exec("DROP TRIGGER articles_fts_update"), "");
  ASSERT_EQ(check.Exec("UPDATE articles SET body = 'bypassed' WHERE canonical_url = 'https://news.test/2'"), "");
  EXPECT_NE(check.FtsIntegrity(), "");
}

TEST(SqliteStore, WhatIsNotFlushedIsNotInTheFileAndReopeningKeepsWhatWas) {
  test::TempDir dir;
  const fs::path db = dir / "articles.sqlite3";
  auto store = OpenOrDie(db);
  ASSERT_TRUE(Put(*store, Article("https://news.test/a", "Alpha", "a"), Meta("https://news.test/a")).ok());
  EXPECT_EQ(store->pending(), 1);
  // Another reader sees only committed articles.
  EXPECT_EQ(Db(db).One("SELECT count(*) FROM articles"), "0");
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_EQ(store->pending(), 0);
  EXPECT_EQ(Db(db).One("SELECT count(*) FROM articles"), "1");
  store.reset();
  auto again = OpenOrDie(db);
  ASSERT_TRUE(Put(*again, Article("https://news.test/a", "Alpha", "changed"), Meta("https://news.test/a")).ok());
  ASSERT_TRUE(again->Flush().ok());
  Db check(db);
  EXPECT_EQ(check.One("SELECT count(*) FROM articles"), "1");
  EXPECT_EQ(check.One("SELECT versions FROM articles"), "2");
  EXPECT_EQ(check.One("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(check.One("PRAGMA user_version"), std::to_string(kSqliteStoreSchemaVersion));
}

TEST(SqliteStore, OpenCreatesTheDirectory) {
  test::TempDir dir;
  const fs::path db = dir / "deep/er/articles.sqlite3";
  auto store = OpenOrDie(db);
  EXPECT_EQ(store->path(), db.string());
  EXPECT_TRUE(fs::exists(db));
}

// RLIMIT_FSIZE lowered for the scope, SIGXFSZ ignored so a write past the
// limit fails with EFBIG instead of killing the test; both restored.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limit = saved_;
    limit.rlim_cur = bytes;
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) throw std::runtime_error("setrlimit failed");
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  rlimit saved_{};
  void (*old_handler_)(int) = nullptr;
};

// Under the file size limit, nothing more can be written to the WAL.
rlim_t NoRoomToGrow(const fs::path& db) {
  return std::max(fs::file_size(db.string() + "-wal"), fs::file_size(db)) + 16 * 1024;
}

TEST(SqliteStore, AFlushThatCannotWriteNamesThePathAndRollsBack) {
  test::TempDir dir;
  const fs::path db = dir / "articles.sqlite3";
  auto store = OpenOrDie(db);
  ASSERT_TRUE(Put(*store, Article("https://news.test/kept", "Kept", "small"), Meta("https://news.test/kept")).ok());
  ASSERT_TRUE(store->Flush().ok());

  // 256 KiB: fits SQLite's page cache, so the upsert writes nothing yet and
  // the commit, writing the pages to the WAL, hits the limit.
  const std::string big(256 << 10, 'x');
  Status failed;
  {
    FileSizeLimit limit(NoRoomToGrow(db));
    ASSERT_TRUE(Put(*store, Article("https://news.test/big", "Big", big), Meta("https://news.test/big")).ok());
    ASSERT_TRUE(Put(*store, Article("https://news.test/small", "Small", "s"), Meta("https://news.test/small")).ok());
    EXPECT_EQ(store->pending(), 2);
    failed = store->Flush();
  }
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), ErrorCode::kIo);
  EXPECT_NE(failed.message().find(db.string() + ": cannot commit 2 articles: "), std::string::npos) << failed.message();
  EXPECT_NE(failed.message().find("(rolled back)"), std::string::npos) << failed.message();
  EXPECT_EQ(store->pending(), 0);
  EXPECT_EQ(store->upserts(), 1);
  // Rolled back: the file has what the last commit had, and a consistent
  // index; the store takes upserts again.
  {
    Db check(db);
    EXPECT_THAT(check.Column("SELECT canonical_url FROM articles"), ElementsAre("https://news.test/kept"));
    EXPECT_EQ(check.FtsIntegrity(), "");
  }
  ASSERT_TRUE(Put(*store, Article("https://news.test/after", "After", "ok"), Meta("https://news.test/after")).ok());
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_THAT(HitUrls(db, "after"), ElementsAre("https://news.test/after"));
}

TEST(SqliteStore, AnUpsertThatCannotWriteNamesThePathAndKeyAndLeavesTheFileAsCommitted) {
  test::TempDir dir;
  const fs::path db = dir / "articles.sqlite3";
  auto store = OpenOrDie(db);
  ASSERT_TRUE(Put(*store, Article("https://news.test/kept", "Kept", "small"), Meta("https://news.test/kept")).ok());
  ASSERT_TRUE(store->Flush().ok());

  // 8 MiB: more than the page cache holds, so SQLite spills pages to the
  // WAL during the upsert itself.
  const std::string huge(8 << 20, 'x');
  Status failed;
  Status flushed;
  {
    FileSizeLimit limit(NoRoomToGrow(db));
    ASSERT_TRUE(Put(*store, Article("https://news.test/small", "Small", "s"), Meta("https://news.test/small")).ok());
    failed = Put(*store, Article("https://news.test/huge", "Huge", huge), Meta("https://news.test/huge"));
    flushed = store->Flush();
  }
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find(db.string() + ": storing https://news.test/huge: "), std::string::npos)
      << failed.message();
  // SQLite rolls the transaction back after an I/O error, or the commit
  // fails: either way the earlier upsert is not in the file.
  EXPECT_TRUE(!flushed.ok() || failed.message().find("rolled back") != std::string::npos) << failed.message();
  Db check(db);
  EXPECT_THAT(check.Column("SELECT canonical_url FROM articles"), ElementsAre("https://news.test/kept"));
  EXPECT_EQ(check.FtsIntegrity(), "");
}

TEST(SqliteStore, AStoreWithANewerSchemaIsRefused) {
  test::TempDir dir;
  const fs::path db = dir / "articles.sqlite3";
  OpenOrDie(db).reset();
  ASSERT_EQ(Db(db).Exec("PRAGMA user_version = " + std::to_string(kSqliteStoreSchemaVersion + 1)), "");
  auto store = SqliteArticleStore::Open(db.string());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(db.string()), std::string::npos) << store.status().message();
  EXPECT_NE(store.status().message().find("newer newshound (schema 2, this one knows 1)"), std::string::npos)
      << store.status().message();
  auto hits = SearchArticles(db.string(), "x", 1);
  ASSERT_FALSE(hits.ok());
  EXPECT_NE(hits.status().message().find("newer"), std::string::npos) << hits.status().message();
}

TEST(SqliteStore, ADatabaseThatIsNotAnArticleStoreIsRefusedAndLeftAlone) {
  test::TempDir dir;
  const fs::path other = dir / "other.sqlite3";
  ASSERT_EQ(Db(other).Exec("CREATE TABLE notes (text TEXT)"), "");
  auto store = SqliteArticleStore::Open(other.string());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(other.string() + ": not a newshound article store"), std::string::npos)
      << store.status().message();
  EXPECT_EQ(Db(other).One("PRAGMA journal_mode"), "delete");  // untouched
  EXPECT_FALSE(SearchArticles(other.string(), "x", 1).ok());

  const fs::path text = dir / "notes.txt";
  test::WriteFile(text, std::string(4096, 'n'));
  auto not_sqlite = SqliteArticleStore::Open(text.string());
  ASSERT_FALSE(not_sqlite.ok());
  EXPECT_NE(not_sqlite.status().message().find(text.string()), std::string::npos) << not_sqlite.status().message();
  EXPECT_EQ(test::ReadFile(text), std::string(4096, 'n'));
}

// A symlink where the store should be is refused, not followed: the file it
// points at is left as it was (as the jsonl sink's O_NOFOLLOW).
TEST(SqliteStore, ASymlinkInPlaceOfTheStoreIsRefusedAndItsTargetLeftAlone) {
  test::TempDir dir;
  const fs::path target = dir / "elsewhere.sqlite3";
  OpenOrDie(target).reset();
  const std::string before = test::ReadFile(target);
  const fs::path link = dir / "articles.sqlite3";
  fs::create_symlink(target, link);
  auto store = SqliteArticleStore::Open(link.string());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find(link.string()), std::string::npos) << store.status().message();
  EXPECT_EQ(test::ReadFile(target), before);
}

TEST(SqliteStore, SearchErrorsNameThePath) {
  test::TempDir dir;
  const fs::path missing = dir / "missing.sqlite3";
  auto hits = SearchArticles(missing.string(), "word", 10);
  ASSERT_FALSE(hits.ok());
  EXPECT_EQ(hits.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(hits.status().message().find(missing.string()), std::string::npos) << hits.status().message();
  EXPECT_FALSE(fs::exists(missing));  // search never creates a store

  const fs::path db = dir / "articles.sqlite3";
  OpenOrDie(db).reset();
  for (const char* bad : {"\"unterminated", "AND", "nosuchcolumn:word", ""}) {
    auto result = SearchArticles(db.string(), bad, 10);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.status().code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_NE(result.status().message().find(db.string() + ": bad search query '" + bad + "'"), std::string::npos)
        << result.status().message();
  }
}

}  // namespace
}  // namespace newshound
