#include "sink/sqlite_store.h"

#include <sqlite3.h>

#include <boost/json.hpp>
#include <filesystem>
#include <system_error>
#include <utility>

#include "newshound/url.h"

namespace newshound {
namespace json = boost::json;

namespace {

// Version 1. The update trigger re-indexes a row only when its title, body
// or id changed: an upsert that changes neither leaves the index alone.
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS articles (
  id INTEGER PRIMARY KEY,
  canonical_url TEXT NOT NULL UNIQUE,  -- the key: canonical_url, else url, in normal form
  url TEXT NOT NULL,
  site TEXT,
  plugin TEXT,
  article_id TEXT,
  title TEXT,
  published TEXT,
  modified TEXT,
  dateline TEXT,
  location TEXT,
  agency TEXT,
  authors TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
  section TEXT,
  section_name TEXT,
  language TEXT,
  image TEXT,
  summary TEXT,
  body TEXT,
  related TEXT NOT NULL DEFAULT '[]',  -- JSON array of {title, url, published}
  fetched_at TEXT,
  status INTEGER,
  charset TEXT,
  content_sha256 TEXT,
  record TEXT NOT NULL,                -- the whole JSON line
  first_written_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  versions INTEGER NOT NULL DEFAULT 1
);
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
  title, body, content='articles', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS articles_fts_insert AFTER INSERT ON articles BEGIN
  INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_delete AFTER DELETE ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER IF NOT EXISTS articles_fts_update AFTER UPDATE ON articles
WHEN old.id IS NOT new.id OR old.title IS NOT new.title OR old.body IS NOT new.body BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
  INSERT INTO articles_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
-- A word in the title counts ten times one in the body; stored in the
-- index's config, so ORDER BY rank uses it.
INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', 'bm25(10.0, 1.0)');
)sql";

constexpr char kUpsert[] = R"sql(
INSERT INTO articles (canonical_url, url, site, plugin, article_id, title, published, modified, dateline, location,
                      agency, authors, section, section_name, language, image, summary, body, related, fetched_at,
                      status, charset, content_sha256, record, first_written_at, updated_at, versions)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24,
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 1)
ON CONFLICT (canonical_url) DO UPDATE SET
  versions = versions + (title IS NOT excluded.title OR body IS NOT excluded.body),
  url = excluded.url, site = excluded.site, plugin = excluded.plugin, article_id = excluded.article_id,
  title = excluded.title, published = excluded.published, modified = excluded.modified,
  dateline = excluded.dateline, location = excluded.location, agency = excluded.agency,
  authors = excluded.authors, section = excluded.section, section_name = excluded.section_name,
  language = excluded.language, image = excluded.image, summary = excluded.summary, body = excluded.body,
  related = excluded.related, fetched_at = excluded.fetched_at, status = excluded.status,
  charset = excluded.charset, content_sha256 = excluded.content_sha256, record = excluded.record,
  updated_at = excluded.updated_at
)sql";

// Binds in order from ?1; text is copied (SQLITE_TRANSIENT).
class Binder {
 public:
  explicit Binder(sqlite3_stmt* statement) : statement_(statement) {}
  Binder& Text(std::string_view text) {
    sqlite3_bind_text(statement_, ++index_, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // NULL for a field the page did not give.
  Binder& TextOrNull(const std::string* text) {
    if (text == nullptr) {
      sqlite3_bind_null(statement_, ++index_);
      return *this;
    }
    return Text(*text);
  }
  // NULL for a value the core did not have (an empty string, a zero).
  Binder& NonEmptyOrNull(const std::string& text) { return TextOrNull(text.empty() ? nullptr : &text); }
  Binder& IntOrNull(int64_t value) {
    if (value == 0) {
      sqlite3_bind_null(statement_, ++index_);
    } else {
      sqlite3_bind_int64(statement_, ++index_, value);
    }
    return *this;
  }

 private:
  sqlite3_stmt* statement_;
  int index_ = 0;
};

std::string ColumnText(sqlite3_stmt* statement, int column) {
  const auto* text = sqlite3_column_text(statement, column);
  return text == nullptr ? std::string()
                         : std::string(reinterpret_cast<const char*>(text),
                                       static_cast<size_t>(sqlite3_column_bytes(statement, column)));
}

std::string AuthorsJson(const ArticleRecord& article) {
  json::array authors;
  for (const auto& author : article.authors) authors.emplace_back(author);
  return json::serialize(authors);
}

std::string RelatedJson(const ArticleRecord& article) {
  json::array related;
  for (const auto& item : article.related) {
    related.push_back(
        json::object{{"title", item.title},
                     {"url", item.url},
                     {"published", item.published.empty() ? json::value(nullptr) : json::value(item.published)}});
  }
  return json::serialize(related);
}

// The article's key, as the engine keys the articles it writes.
std::string ArticleKey(const ArticleRecord& article, const RecordMeta& meta) {
  const std::string* canonical = article.Field("canonical_url");
  std::string key = canonical != nullptr && !canonical->empty() ? *canonical : meta.url;
  if (auto normalized = NormalizeUrl(key); normalized.ok()) key = std::move(*normalized);
  return key;
}

// What a database says about itself, read before anything is written to it.
struct Identity {
  int32_t application_id = 0;
  int user_version = 0;
  int64_t objects = 0;  // tables, indexes, triggers, views
};

Result<Identity> ReadIdentity(sqlite3* db, const std::string& path) {
  Identity identity;
  const char* const queries[] = {"PRAGMA application_id", "PRAGMA user_version", "SELECT count(*) FROM sqlite_master"};
  int64_t values[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    sqlite3_stmt* statement = nullptr;
    int rc = sqlite3_prepare_v2(db, queries[i], -1, &statement, nullptr);
    if (rc == SQLITE_OK) rc = sqlite3_step(statement);
    if (rc == SQLITE_ROW) values[i] = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    if (rc != SQLITE_ROW)
      return Status(ErrorCode::kIo, path + ": cannot read it as an SQLite database: " + sqlite3_errmsg(db));
  }
  identity.application_id = static_cast<int32_t>(values[0]);
  identity.user_version = static_cast<int>(values[1]);
  identity.objects = values[2];
  return identity;
}

// OK for an article store this version can read and write (or an empty
// database, when `empty_ok`).
Status CheckIdentity(const Identity& identity, const std::string& path, bool empty_ok) {
  if (identity.application_id == kSqliteStoreApplicationId) {
    if (identity.user_version > kSqliteStoreSchemaVersion)
      return Status(ErrorCode::kIo, path + ": article store written by a newer newshound (schema " +
                                        std::to_string(identity.user_version) + ", this one knows " +
                                        std::to_string(kSqliteStoreSchemaVersion) + ")");
    return Status::Ok();
  }
  if (identity.application_id == 0 && identity.objects == 0 && empty_ok) return Status::Ok();
  if (identity.application_id == 0 && identity.objects == 0)
    return Status(ErrorCode::kIo, path + ": not a newshound article store (an empty database)");
  return Status(ErrorCode::kIo, path + ": not a newshound article store (an SQLite database with " +
                                    std::to_string(identity.objects) + " tables of its own, application_id " +
                                    std::to_string(identity.application_id) + ")");
}

// The body's snippet when the body has a hit (its hits marked with \x02 and
// \x03, which no article text has, so they tell a hit from a '[' of the
// text), else the title's: the title is shown anyway, the body gives context.
std::string BodyOrTitleSnippet(std::string body, std::string title) {
  if (body.find('\x02') == std::string::npos) return title;
  for (char& c : body) {
    if (c == '\x02') c = '[';
    if (c == '\x03') c = ']';
  }
  return body;
}

Status OpenError(sqlite3* db, const std::string& shown) {
  return Status(ErrorCode::kIo,
                shown + ": cannot open the article store: " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

}  // namespace

Result<std::unique_ptr<SqliteArticleStore>> SqliteArticleStore::Open(const std::string& given) {
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(given, ec);
  if (ec) return Status(ErrorCode::kIo, given + ": cannot resolve against the working directory: " + ec.message());
  const std::string path = absolute.string();
  const std::string shown = path == given ? given : given + " (" + path + ")";
  if (const auto parent = absolute.parent_path(); !parent.empty()) {
    std::filesystem::create_directories(parent, ec);
    if (ec) return Status(ErrorCode::kIo, shown + ": cannot create directory " + parent.string() + ": " + ec.message());
  }
  sqlite3* db = nullptr;
  // NOFOLLOW as the jsonl sink's O_NOFOLLOW: a symlink put where the store
  // should be does not redirect the writes.
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
                      nullptr) != SQLITE_OK) {
    Status status = OpenError(db, shown);
    sqlite3_close(db);
    return status;
  }
  std::unique_ptr<SqliteArticleStore> store(new SqliteArticleStore(path, db));
  // A reader (`newshound search`) never blocks a writer in WAL mode; another
  // writer holds the lock for one transaction.
  sqlite3_busy_timeout(db, 10'000);
  // Nothing is written before the file is known to be ours (or empty).
  auto identity = ReadIdentity(db, shown);
  if (!identity.ok()) return identity.status();
  if (Status status = CheckIdentity(*identity, shown, /*empty_ok=*/true); !status.ok()) return status;
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL"}) {
    if (Status status = store->Exec(pragma); !status.ok()) return status;
  }
  if (identity->user_version < kSqliteStoreSchemaVersion) {
    // One transaction: a crash leaves an empty database or a whole store.
    if (Status status = store->Exec("BEGIN IMMEDIATE"); !status.ok()) return status;
    // Another process may have created it since it was read.
    auto again = ReadIdentity(db, shown);
    if (!again.ok()) return again.status();
    if (again->user_version < kSqliteStoreSchemaVersion) {
      if (Status status = store->Exec(kSchema); !status.ok()) return status.WithContext("creating the schema");
      const std::string pragmas = "PRAGMA application_id=" + std::to_string(kSqliteStoreApplicationId) +
                                  "; PRAGMA user_version=" + std::to_string(kSqliteStoreSchemaVersion);
      if (Status status = store->Exec(pragmas.c_str()); !status.ok()) return status;
    }
    if (Status status = store->Exec("COMMIT"); !status.ok()) return status;
  }
  if (sqlite3_prepare_v3(db, kUpsert, -1, SQLITE_PREPARE_PERSISTENT, &store->upsert_, nullptr) != SQLITE_OK)
    return store->Error("preparing the upsert");
  return store;
}

SqliteArticleStore::SqliteArticleStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

SqliteArticleStore::~SqliteArticleStore() {
  (void)Flush();
  sqlite3_finalize(upsert_);
  sqlite3_close(db_);
}

Status SqliteArticleStore::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    return Status(ErrorCode::kIo, path_ + ": " + message);
  }
  return Status::Ok();
}

Status SqliteArticleStore::Error(const std::string& doing) const {
  return Status(ErrorCode::kIo, path_ + ": " + doing + ": " + sqlite3_errmsg(db_));
}

Status SqliteArticleStore::Upsert(const ArticleRecord& article, const RecordMeta& meta, std::string_view json) {
  const std::string key = ArticleKey(article, meta);
  if (key.empty())
    return Status(ErrorCode::kInvalidArgument, path_ + ": an article with neither canonical_url nor url");
  if (!in_transaction_) {
    if (Status status = Exec("BEGIN IMMEDIATE"); !status.ok()) return status.WithContext("beginning a transaction");
    in_transaction_ = true;
    pending_ = 0;
  }
  Binder bind(upsert_);
  bind.Text(key).Text(meta.url.empty() ? key : meta.url).NonEmptyOrNull(meta.site).NonEmptyOrNull(meta.plugin);
  for (const char* field : {"article_id", "title", "published", "modified", "dateline", "location", "agency"})
    bind.TextOrNull(article.Field(field));
  bind.Text(AuthorsJson(article));
  for (const char* field : {"section", "section_name", "language", "image", "summary", "body"})
    bind.TextOrNull(article.Field(field));
  bind.Text(RelatedJson(article))
      .NonEmptyOrNull(meta.fetched_at)
      .IntOrNull(meta.status)
      .NonEmptyOrNull(meta.charset)
      .NonEmptyOrNull(meta.content_sha256)
      .Text(json);
  const int rc = sqlite3_step(upsert_);
  Status status = rc == SQLITE_DONE ? Status::Ok() : Error("storing " + key);
  sqlite3_reset(upsert_);
  sqlite3_clear_bindings(upsert_);
  if (!status.ok()) {
    // After SQLITE_FULL or an I/O error SQLite may have rolled the whole
    // transaction back, taking the upserts before this one with it.
    if (sqlite3_get_autocommit(db_) != 0) {
      in_transaction_ = false;
      status =
          Status(status.code(), status.message() + " (the transaction was rolled back: " + std::to_string(pending_) +
                                    " earlier upserts lost)");
      upserts_ -= pending_;
      pending_ = 0;
    }
    return status;
  }
  ++upserts_;
  ++pending_;
  return Status::Ok();
}

Status SqliteArticleStore::Flush() {
  if (!in_transaction_) return Status::Ok();
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK) {
    in_transaction_ = false;
    pending_ = 0;
    return Status::Ok();
  }
  Status status = Error("cannot commit " + std::to_string(pending_) + " articles");
  // A failed COMMIT may leave the transaction open; end it so the store is
  // usable again and the file holds the last commit.
  if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  in_transaction_ = false;
  upserts_ -= pending_;
  pending_ = 0;
  return Status(status.code(), status.message() + " (rolled back)");
}

Result<std::vector<SearchHit>> SearchArticles(const std::string& path, const std::string& query, int limit) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return Status(ErrorCode::kNotFound, path + ": no such article store" + (ec ? ": " + ec.message() : ""));
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    Status status = OpenError(db, path);
    sqlite3_close(db);
    return status;
  }
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> owner(db, sqlite3_close);
  sqlite3_busy_timeout(db, 10'000);
  auto identity = ReadIdentity(db, path);
  if (!identity.ok()) return identity.status();
  if (Status status = CheckIdentity(*identity, path, /*empty_ok=*/false); !status.ok()) return status;

  constexpr char kSearch[] = R"sql(
SELECT a.canonical_url, a.url, a.title, a.published, a.site,
       snippet(articles_fts, 1, char(2), char(3), '…', 24), snippet(articles_fts, 0, '[', ']', '…', 24), rank
FROM articles_fts JOIN articles AS a ON a.id = articles_fts.rowid
WHERE articles_fts MATCH ?1 ORDER BY rank LIMIT ?2
)sql";
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, kSearch, -1, &raw, nullptr) != SQLITE_OK)
    return Status(ErrorCode::kIo, path + ": preparing the search: " + sqlite3_errmsg(db));
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
  Binder(raw).Text(query);
  sqlite3_bind_int(raw, 2, limit > 0 ? limit : -1);
  std::vector<SearchHit> hits;
  int rc;
  while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
    SearchHit hit;
    hit.canonical_url = ColumnText(raw, 0);
    hit.url = ColumnText(raw, 1);
    hit.title = ColumnText(raw, 2);
    hit.published = ColumnText(raw, 3);
    hit.site = ColumnText(raw, 4);
    hit.snippet = BodyOrTitleSnippet(ColumnText(raw, 5), ColumnText(raw, 6));
    hit.rank = sqlite3_column_double(raw, 7);
    hits.push_back(std::move(hit));
  }
  if (rc == SQLITE_DONE) return hits;
  // A plain SQLITE_ERROR while matching is FTS5 refusing the query ("fts5:
  // syntax error near ...", "unterminated string", "no such column: x");
  // anything else (I/O, corruption) is the file's fault.
  if (rc == SQLITE_ERROR)
    return Status(ErrorCode::kInvalidArgument,
                  path + ": bad search query '" + query + "': " + sqlite3_errmsg(db) +
                      " (FTS5 syntax: words, \"a phrase\", prefix*, AND, OR, NOT, title:word)");
  return Status(ErrorCode::kIo, path + ": searching: " + sqlite3_errmsg(db));
}

}  // namespace newshound
