// The SQLite article store: every article once, by its key (canonical URL,
// else the fetched URL, in normal form), with a full-text index on its title
// and body (docs/output.md, "SQLite article store").
//
// Tables (schema version kSqliteStoreSchemaVersion in PRAGMA user_version;
// PRAGMA application_id marks the file as a newshound article store):
//
//   articles      one row per key: the record's fields in columns, the whole
//                 JSON line in `record`, when it was first and last written,
//                 and `versions`, how many different title+body it has had
//   articles_fts  FTS5 over articles(title, body), external content, kept in
//                 step by triggers on insert, update and delete
//
// Transactions: the first Upsert after Open or a Flush begins one; Flush
// commits it. WAL with synchronous=NORMAL: a commit survives a killed
// process; a power loss may lose the last commits, never consistency. The
// destructor commits what is pending (its error is lost: call Flush).
//
// Thread safety: none; one owner. Other processes may read (search) while it
// writes: WAL readers see the last commit.
#ifndef NEWSHOUND_SINK_SQLITE_STORE_H_
#define NEWSHOUND_SINK_SQLITE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "newshound/plugin_host.h"
#include "newshound/sink.h"
#include "newshound/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace newshound {

// Bumped when the tables change; a store with a newer version is refused.
inline constexpr int kSqliteStoreSchemaVersion = 1;
// PRAGMA application_id of an article store: "NHAS".
inline constexpr int32_t kSqliteStoreApplicationId = 0x4e484153;

class SqliteArticleStore {
 public:
  // Opens `path`, or creates it (and its directory) with the schema. A
  // relative path is resolved against the working directory; path() is
  // absolute. Refuses a file that is not an SQLite database, a database that
  // is not an article store (another application id, or tables of its own),
  // and a store with a newer schema. Errors name the path.
  static Result<std::unique_ptr<SqliteArticleStore>> Open(const std::string& path);
  ~SqliteArticleStore();
  SqliteArticleStore(const SqliteArticleStore&) = delete;
  SqliteArticleStore& operator=(const SqliteArticleStore&) = delete;

  // Inserts the article, or updates the row with its key: key =
  // canonical_url, else meta.url, in normal form. Every column takes the new
  // values; first_written_at stays; versions grows by one when the title or
  // the body differs from the row's (not on content_sha256 alone: the page
  // around an article changes every hour). `json` is the record as
  // ArticleToJson wrote it, kept in `record`. Joins the open transaction
  // (beginning one if none is open). An error names the path and the key;
  // when SQLite had to roll the whole transaction back it says so.
  Status Upsert(const ArticleRecord& article, const RecordMeta& meta, std::string_view json);

  // Commits the open transaction: when OK, every article upserted so far is
  // in the file. On failure (disk full, file size limit, read-only file
  // system...) the transaction is rolled back, the error names the path and
  // how many upserts were lost, and the store is usable again.
  Status Flush();

  const std::string& path() const { return path_; }  // absolute
  // Upserts that succeeded since Open (committed or pending).
  int64_t upserts() const { return upserts_; }
  // Upserts in the open transaction, not yet committed.
  int64_t pending() const { return pending_; }

 private:
  SqliteArticleStore(std::string path, sqlite3* db);
  Status Exec(const char* sql);
  Status Error(const std::string& doing) const;

  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* upsert_ = nullptr;  // prepared once; finalized on destruction
  bool in_transaction_ = false;
  int64_t upserts_ = 0;
  int64_t pending_ = 0;
};

// One search result.
struct SearchHit {
  std::string canonical_url;  // the row's key
  std::string url;
  std::string title;
  std::string published;
  std::string site;
  std::string snippet;  // of the body if it has a hit, else of the title: hits as [word], cuts as …
  double rank = 0;      // bm25, title weighted 10, body 1: lower (more negative) is better
};

// Runs the FTS5 query `query` (FTS5 syntax: words, "phrases", prefix*,
// AND/OR/NOT, NEAR(...), title:word) against the store at `path`, opened
// read-only, and returns at most `limit` hits (no limit when <= 0), best
// first. Errors name the path: a missing file, a file that is not an
// article store or has a newer schema; a query FTS5 cannot parse is a
// kInvalidArgument error that quotes it.
Result<std::vector<SearchHit>> SearchArticles(const std::string& path, const std::string& query, int limit);

}  // namespace newshound

#endif  // NEWSHOUND_SINK_SQLITE_STORE_H_
