#include "state/state_store.h"

#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

namespace newshound::state {
namespace {

// Bumped when the tables change; a newer database is refused (it was
// written by a newer newshound).
// 2: urls.run_outcome.
constexpr int kSchemaVersion = 2;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS runs (
  site TEXT NOT NULL,
  run INTEGER NOT NULL,
  started_at_ms INTEGER NOT NULL,
  finished_at_ms INTEGER,  -- NULL while the run is not finished
  PRIMARY KEY (site, run)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS urls (
  site TEXT NOT NULL,
  url TEXT NOT NULL,
  run INTEGER NOT NULL,
  done INTEGER NOT NULL,
  run_outcome TEXT NOT NULL DEFAULT '',  -- OutcomeKindName of its end in `run`, fetched or not; '' until done
  depth INTEGER NOT NULL,
  high_priority INTEGER NOT NULL,
  fetched INTEGER NOT NULL DEFAULT 0,  -- 1 once the columns below are set
  outcome TEXT NOT NULL DEFAULT '',    -- OutcomeKindName: stable when the enum grows
  status INTEGER NOT NULL DEFAULT 0,
  page_kind TEXT NOT NULL DEFAULT '',
  etag TEXT NOT NULL DEFAULT '',
  last_modified TEXT NOT NULL DEFAULT '',
  content_sha256 TEXT NOT NULL DEFAULT '',
  fetched_at_ms INTEGER NOT NULL DEFAULT 0,
  links TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (site, url)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS urls_by_run ON urls (site, run);
CREATE TABLE IF NOT EXISTS articles (
  site TEXT NOT NULL,
  key TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  written_at_ms INTEGER NOT NULL,
  PRIMARY KEY (site, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outputs (
  path TEXT PRIMARY KEY,
  offset INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Links as lines of "<priority> <url>": URLs in normal form have no spaces
// or newlines (they are percent-encoded), so no escaping is needed.
std::string EncodeLinks(const std::vector<StoredLink>& links) {
  std::string out;
  for (const auto& link : links) {
    out += link.high_priority ? '1' : '0';
    out += ' ';
    out += link.url;
    out += '\n';
  }
  return out;
}

std::vector<StoredLink> DecodeLinks(std::string_view text) {
  std::vector<StoredLink> out;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (line.size() > 2 && line[1] == ' ') out.push_back({std::string(line.substr(2)), line[0] == '1'});
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return out;
}

OutcomeKind OutcomeFromName(std::string_view name) {
  for (int i = 0; i < kOutcomeKindCount; ++i)
    if (OutcomeKindName(static_cast<OutcomeKind>(i)) == name) return static_cast<OutcomeKind>(i);
  return OutcomeKind::kNetwork;  // a name this version does not know
}

// One use of a cached prepared statement: binds in order, resets when done.
class Use {
 public:
  explicit Use(sqlite3_stmt* statement) : statement_(statement) {}
  ~Use() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  Use& Text(std::string_view text) {
    sqlite3_bind_text(statement_, ++index_, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Use& Int(int64_t value) {
    sqlite3_bind_int64(statement_, ++index_, value);
    return *this;
  }
  int Step() { return sqlite3_step(statement_); }
  std::string ColumnText(int column) const {
    const auto* text = sqlite3_column_text(statement_, column);
    return text == nullptr ? std::string()
                           : std::string(reinterpret_cast<const char*>(text),
                                         static_cast<size_t>(sqlite3_column_bytes(statement_, column)));
  }
  int64_t ColumnInt(int column) const { return sqlite3_column_int64(statement_, column); }
  bool ColumnIsNull(int column) const { return sqlite3_column_type(statement_, column) == SQLITE_NULL; }

 private:
  sqlite3_stmt* statement_;
  int index_ = 0;
};

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& dir) {
  std::string path = ":memory:";
  if (!dir.empty()) {
    // A relative state_dir is taken against the working directory, as
    // output.jsonl is; errors name the key, the directory as configured and
    // as resolved when relative.
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(dir, ec);
    if (ec) return Status(ErrorCode::kIo, "crawler.state_dir " + dir + ": cannot resolve: " + ec.message());
    const std::string shown =
        "crawler.state_dir " + dir + (absolute.string() == dir ? "" : " (" + absolute.string() + ")");
    std::filesystem::create_directories(absolute, ec);
    if (ec) return Status(ErrorCode::kIo, shown + ": cannot create: " + ec.message());
    path = (absolute / "state.sqlite3").string();
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status(ErrorCode::kIo, "crawler.state_dir: " + path + ": cannot open the state database: " + message);
  }
  std::unique_ptr<StateStore> store(new StateStore(path, db));
  // Another newshound process on the same state (one still stopping) holds
  // the write lock for at most one commit at a time.
  sqlite3_busy_timeout(db, 10'000);
  for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=OFF"}) {
    if (Status status = store->Exec(pragma); !status.ok()) return status;
  }
  int found = 0;
  {
    Use version(store->Prepare("PRAGMA user_version"));
    if (version.Step() == SQLITE_ROW) found = static_cast<int>(version.ColumnInt(0));
  }
  if (found > kSchemaVersion)
    return Status(ErrorCode::kIo, path + ": state written by a newer newshound (schema " + std::to_string(found) +
                                      ", this one knows " + std::to_string(kSchemaVersion) + ")");
  if (Status status = store->Exec(kSchema); !status.ok()) return status;
  if (found == 1) {
    // Schema 1 recorded the outcome of fetched URLs only.
    if (Status status = store->Exec("ALTER TABLE urls ADD COLUMN run_outcome TEXT NOT NULL DEFAULT ''"); !status.ok())
      return status;
  }
  if (Status status = store->Exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str()); !status.ok())
    return status;
  return store;
}

StateStore::StateStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}

StateStore::~StateStore() {
  (void)Commit();
  for (const auto& [text, statement] : statements_) sqlite3_finalize(statement);
  sqlite3_close(db_);
}

sqlite3_stmt* StateStore::Prepare(const char* sql) {
  for (const auto& [text, statement] : statements_)
    if (text == sql) return statement;
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr) != SQLITE_OK) {
    // A bug in this file, not a runtime condition: every statement is fixed.
    std::fprintf(stderr, "newshound: state store: cannot prepare %s: %s\n", sql, sqlite3_errmsg(db_));
    std::abort();
  }
  statements_.emplace_back(sql, statement);
  return statement;
}

Status StateStore::Exec(const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    return Status(ErrorCode::kIo, path_ + ": " + message);
  }
  return Status::Ok();
}

Status StateStore::Error(const std::string& doing) const {
  return Status(ErrorCode::kIo, path_ + ": " + doing + ": " + sqlite3_errmsg(db_));
}

Status StateStore::Begin() {
  if (in_transaction_) return Status::Ok();
  if (Status status = Exec("BEGIN IMMEDIATE"); !status.ok()) return status;
  in_transaction_ = true;
  return Status::Ok();
}

void StateStore::Rollback() {
  if (!in_transaction_) return;
  in_transaction_ = false;
  (void)Exec("ROLLBACK");
}

Result<std::optional<uint64_t>> StateStore::KnownOutputOffset(const std::string& path) {
  Use get(Prepare("SELECT offset FROM outputs WHERE path = ?1"));
  get.Text(path);
  const int rc = get.Step();
  if (rc == SQLITE_ROW) return std::optional<uint64_t>(static_cast<uint64_t>(get.ColumnInt(0)));
  if (rc != SQLITE_DONE) return Error("reading the offset of " + path);
  return std::optional<uint64_t>();
}

Status StateStore::Commit() {
  if (!in_transaction_) return Status::Ok();
  in_transaction_ = false;
  return Exec("COMMIT");
}

Result<std::optional<RunInfo>> StateStore::UnfinishedRun(const std::string& site) {
  Use open(Prepare("SELECT run, started_at_ms FROM runs WHERE site = ?1 AND finished_at_ms IS NULL "
                   "ORDER BY run DESC LIMIT 1"));
  open.Text(site);
  const int rc = open.Step();
  if (rc == SQLITE_ROW) return std::optional<RunInfo>(RunInfo{open.ColumnInt(0), open.ColumnInt(1), true});
  if (rc != SQLITE_DONE) return Error("reading the runs of " + site);
  return std::optional<RunInfo>();
}

Result<RunInfo> StateStore::StartRun(const std::string& site, int64_t now_ms) {
  if (Status status = Begin(); !status.ok()) return status;
  auto unfinished = UnfinishedRun(site);
  if (!unfinished.ok()) return unfinished.status();
  if (*unfinished) return **unfinished;
  int64_t run = 1;
  {
    Use last(Prepare("SELECT MAX(run) FROM runs WHERE site = ?1"));
    last.Text(site);
    if (last.Step() == SQLITE_ROW && !last.ColumnIsNull(0)) run = last.ColumnInt(0) + 1;
  }
  Use insert(Prepare("INSERT INTO runs (site, run, started_at_ms) VALUES (?1, ?2, ?3)"));
  insert.Text(site).Int(run).Int(now_ms);
  if (insert.Step() != SQLITE_DONE) return Error("starting a run of " + site);
  return RunInfo{run, now_ms, false};
}

Status StateStore::FinishRun(const std::string& site, int64_t run, int64_t now_ms) {
  if (Status status = Begin(); !status.ok()) return status;
  Use update(Prepare("UPDATE runs SET finished_at_ms = ?3 WHERE site = ?1 AND run = ?2"));
  update.Text(site).Int(run).Int(now_ms);
  if (update.Step() != SQLITE_DONE) return Error("finishing run " + std::to_string(run) + " of " + site);
  return Status::Ok();
}

Result<std::optional<StateStore::FinishedRun>> StateStore::LastFinishedRun(const std::string& site) {
  Use last(Prepare("SELECT started_at_ms, finished_at_ms FROM runs WHERE site = ?1 AND finished_at_ms IS NOT NULL "
                   "ORDER BY run DESC LIMIT 1"));
  last.Text(site);
  const int rc = last.Step();
  if (rc == SQLITE_DONE) return std::optional<FinishedRun>();
  if (rc != SQLITE_ROW) return Error("reading the runs of " + site);
  return std::optional<FinishedRun>(FinishedRun{last.ColumnInt(0), last.ColumnInt(1)});
}

Result<StateStore::RunUrls> StateStore::UrlsOfRun(const std::string& site, int64_t run) {
  RunUrls out;
  Use urls(Prepare("SELECT url, done, depth, high_priority FROM urls WHERE site = ?1 AND run = ?2"));
  urls.Text(site).Int(run);
  for (int rc; (rc = urls.Step()) != SQLITE_DONE;) {
    if (rc != SQLITE_ROW) return Error("reading the frontier of " + site);
    if (urls.ColumnInt(1) != 0) {
      out.done.push_back(urls.ColumnText(0));
    } else {
      out.pending.push_back(
          QueuedUrl{urls.ColumnText(0), static_cast<int>(urls.ColumnInt(2)), urls.ColumnInt(3) != 0});
    }
  }
  return out;
}

Result<std::optional<UrlRecord>> StateStore::Get(const std::string& site, const std::string& url) {
  Use get(Prepare("SELECT run, done, depth, high_priority, fetched, outcome, status, page_kind, etag, last_modified, "
                  "content_sha256, fetched_at_ms, links FROM urls WHERE site = ?1 AND url = ?2"));
  get.Text(site).Text(url);
  const int rc = get.Step();
  if (rc == SQLITE_DONE) return std::optional<UrlRecord>();
  if (rc != SQLITE_ROW) return Error("reading " + url);
  UrlRecord record;
  record.run = get.ColumnInt(0);
  record.done = get.ColumnInt(1) != 0;
  record.depth = static_cast<int>(get.ColumnInt(2));
  record.high_priority = get.ColumnInt(3) != 0;
  if (get.ColumnInt(4) != 0) {
    UrlState last;
    last.outcome = OutcomeFromName(get.ColumnText(5));
    last.status = static_cast<int>(get.ColumnInt(6));
    last.page_kind = get.ColumnText(7);
    last.validators.etag = get.ColumnText(8);
    last.validators.last_modified = get.ColumnText(9);
    last.content_sha256 = get.ColumnText(10);
    last.fetched_at_ms = get.ColumnInt(11);
    last.links = DecodeLinks(get.ColumnText(12));
    record.last = std::move(last);
  }
  return std::optional<UrlRecord>(std::move(record));
}

Result<bool> StateStore::HasUrlsBefore(const std::string& site, int64_t run) {
  // One step down urls_by_run.
  Use any(Prepare("SELECT 1 FROM urls WHERE site = ?1 AND run < ?2 LIMIT 1"));
  any.Text(site).Int(run);
  const int rc = any.Step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error("reading the urls of " + site);
  return rc == SQLITE_ROW;
}

Status StateStore::Queue(const std::string& site, int64_t run, const QueuedUrl& url) {
  if (Status status = Begin(); !status.ok()) return status;
  Use upsert(Prepare("INSERT INTO urls (site, url, run, done, depth, high_priority) VALUES (?1, ?2, ?3, 0, ?4, ?5) "
                     "ON CONFLICT (site, url) DO UPDATE SET run = excluded.run, done = 0, run_outcome = '', "
                     "depth = excluded.depth, "
                     "high_priority = excluded.high_priority"));
  upsert.Text(site).Text(url.url).Int(run).Int(url.depth).Int(url.high_priority ? 1 : 0);
  if (upsert.Step() != SQLITE_DONE) return Error("queueing " + url.url);
  return Status::Ok();
}

Status StateStore::Finish(const std::string& site, int64_t run, const std::string& url, const UrlState& state) {
  if (Status status = Begin(); !status.ok()) return status;
  Use update(Prepare("UPDATE urls SET done = 1, run_outcome = ?4, fetched = 1, outcome = ?4, status = ?5, "
                     "page_kind = ?6, etag = ?7, "
                     "last_modified = ?8, content_sha256 = ?9, fetched_at_ms = ?10, links = ?11 "
                     "WHERE site = ?1 AND url = ?2 AND run = ?3"));
  update.Text(site)
      .Text(url)
      .Int(run)
      .Text(OutcomeKindName(state.outcome))
      .Int(state.status)
      .Text(state.page_kind)
      .Text(state.validators.etag)
      .Text(state.validators.last_modified)
      .Text(state.content_sha256)
      .Int(state.fetched_at_ms)
      .Text(EncodeLinks(state.links));
  if (update.Step() != SQLITE_DONE) return Error("recording " + url);
  return Status::Ok();
}

Status StateStore::FinishUnfetched(const std::string& site, int64_t run, const std::string& url, OutcomeKind outcome) {
  if (Status status = Begin(); !status.ok()) return status;
  Use update(Prepare("UPDATE urls SET done = 1, run_outcome = ?4 WHERE site = ?1 AND url = ?2 AND run = ?3"));
  update.Text(site).Text(url).Int(run).Text(OutcomeKindName(outcome));
  if (update.Step() != SQLITE_DONE) return Error("recording " + url);
  return Status::Ok();
}

Result<std::optional<std::string>> StateStore::ArticleHash(const std::string& site, const std::string& key) {
  Use get(Prepare("SELECT content_hash FROM articles WHERE site = ?1 AND key = ?2"));
  get.Text(site).Text(key);
  const int rc = get.Step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return Error("reading article " + key);
  return std::optional<std::string>(get.ColumnText(0));
}

Status StateStore::MarkWritten(const std::string& site, const std::string& key, const std::string& content_hash,
                               int64_t now_ms) {
  if (Status status = Begin(); !status.ok()) return status;
  Use upsert(Prepare("INSERT OR REPLACE INTO articles (site, key, content_hash, written_at_ms) VALUES (?1, ?2, ?3, ?4)"));
  upsert.Text(site).Text(key).Text(content_hash).Int(now_ms);
  if (upsert.Step() != SQLITE_DONE) return Error("recording article " + key);
  return Status::Ok();
}

Result<uint64_t> StateStore::OutputOffset(const std::string& path) {
  {
    Use get(Prepare("SELECT offset FROM outputs WHERE path = ?1"));
    get.Text(path);
    const int rc = get.Step();
    if (rc == SQLITE_ROW) return static_cast<uint64_t>(get.ColumnInt(0));
    if (rc != SQLITE_DONE) return Error("reading the offset of " + path);
  }
  // Earlier versions kept an output under its path as configured, relative
  // ones too. Such a key names the file it resolves to from the working
  // directory (newshound never changes it), as it did when it was written:
  // it is taken over for `path`, so the output is not read again from its
  // start. The caller records the offset under `path` next.
  if (!std::filesystem::path(path).is_absolute()) return uint64_t{0};
  std::optional<std::pair<std::string, uint64_t>> relative;
  {
    Use all(Prepare("SELECT path, offset FROM outputs"));
    int rc;
    while ((rc = all.Step()) == SQLITE_ROW) {
      const std::string key = all.ColumnText(0);
      std::error_code ec;
      if (std::filesystem::path(key).is_relative() && std::filesystem::absolute(key, ec) == path && !ec) {
        relative.emplace(key, static_cast<uint64_t>(all.ColumnInt(1)));
        break;
      }
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Error("reading the output offsets");
  }
  if (!relative) return uint64_t{0};
  if (Status status = Begin(); !status.ok()) return status;
  Use remove(Prepare("DELETE FROM outputs WHERE path = ?1"));
  remove.Text(relative->first);
  if (remove.Step() != SQLITE_DONE) return Error("re-keying the offset of " + relative->first);
  return relative->second;
}

Status StateStore::SetOutputOffset(const std::string& path, uint64_t offset) {
  if (Status status = Begin(); !status.ok()) return status;
  Use upsert(Prepare("INSERT OR REPLACE INTO outputs (path, offset) VALUES (?1, ?2)"));
  upsert.Text(path).Int(static_cast<int64_t>(offset));
  if (upsert.Step() != SQLITE_DONE) return Error("recording the offset of " + path);
  return Status::Ok();
}

}  // namespace newshound::state
