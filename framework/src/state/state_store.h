// The crawl state kept between runs and across crashes, in one SQLite
// database in WAL mode (`crawler.state_dir`/state.sqlite3):
//
//   runs      one row per run of a site: started, finished (NULL while it
//             runs; a run killed before it finished is resumed next time)
//   urls      every URL a run queued: the run that last queued it, whether
//             it has its outcome in that run (`done`), and what the last
//             fetch learnt: outcome, status, page kind, validators (ETag,
//             Last-Modified) for conditional GET, content hash, the links the
//             page gave. The URLs of the current run that are not done are
//             the persisted frontier.
//   articles  every article written, by canonical URL: the hash of its
//             content, so a re-crawled article is written again only when it
//             changed
//   outputs   how far each output file is accounted for in `articles`, so
//             records written just before a crash are found on restart
//
// Transactions: every call after Open() joins one open transaction, which
// Commit() ends. The engine commits once per finished URL, after the URL's
// outcome, the links it gave and its article are all recorded, so a crash
// leaves either all of that or none of it. WAL with synchronous=NORMAL makes
// a commit an append to the log without fsync: durable against a killed
// process (the OS has the pages), atomic always; a power loss may lose the
// last commits but never consistency.
//
// Thread safety: none; one owner (the engine's strand).
#ifndef NEWSHOUND_STATE_STATE_STORE_H_
#define NEWSHOUND_STATE_STATE_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "newshound/fetch.h"
#include "newshound/outcome.h"
#include "newshound/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace newshound::state {

// A link a page gave, as the crawl queued it.
struct StoredLink {
  std::string url;             // normal form
  bool high_priority = false;  // listing, feed, sitemap or next page
};

// A URL waiting in a run's frontier.
struct QueuedUrl {
  std::string url;  // normal form
  int depth = 0;
  bool high_priority = false;
};

// What the last fetch of a URL learnt.
struct UrlState {
  OutcomeKind outcome = OutcomeKind::kFetched;
  int status = 0;
  std::string page_kind;       // the plugin's kind ("article", "listing", ...); empty if not parsed
  Validators validators;       // of the last 200 the plugin took whole (or refreshed by a 304)
  std::string content_sha256;  // of the page decoded to UTF-8; empty if not parsed
  int64_t fetched_at_ms = 0;   // Unix time of the last fetch
  // The links the plugin gave on the last 200: a 304 re-offers them, so an
  // unchanged listing page still leads to its pages without the plugin
  // seeing it again.
  std::vector<StoredLink> links;
};

// A URL as the store knows it.
struct UrlRecord {
  int64_t run = 0;     // the run that last queued it
  bool done = false;   // has its outcome in that run
  int depth = 0;
  bool high_priority = false;
  std::optional<UrlState> last;  // nothing until it was fetched once
};

struct RunInfo {
  int64_t run = 0;            // increasing per site, from 1
  int64_t started_at_ms = 0;
  bool resumed = false;       // an unfinished run picked up again (after a crash or a stop)
};

class StateStore {
 public:
  // Opens (or creates) `dir`/state.sqlite3. An empty `dir` keeps the state
  // in memory for this process only. Errors name the path.
  static Result<std::unique_ptr<StateStore>> Open(const std::string& dir);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  const std::string& path() const { return path_; }
  bool persistent() const { return path_ != ":memory:"; }

  // --- runs ---
  // The site's unfinished run if there is one (resumed), else a new one.
  Result<RunInfo> StartRun(const std::string& site, int64_t now_ms);
  Status FinishRun(const std::string& site, int64_t run, int64_t now_ms);
  // The site's unfinished run, if there is one (without starting one).
  Result<std::optional<RunInfo>> UnfinishedRun(const std::string& site);
  // When the site's last finished run started and finished (for schedules
  // that survive a restart); nullopt before the first.
  struct FinishedRun {
    int64_t started_at_ms = 0;
    int64_t finished_at_ms = 0;
  };
  Result<std::optional<FinishedRun>> LastFinishedRun(const std::string& site);
  // Every URL `run` queued: those not done are its frontier, the rest its
  // seen set (each URL enters a run once).
  struct RunUrls {
    std::vector<QueuedUrl> pending;
    std::vector<std::string> done;
  };
  Result<RunUrls> UrlsOfRun(const std::string& site, int64_t run);

  // --- urls ---
  Result<std::optional<UrlRecord>> Get(const std::string& site, const std::string& url);
  // Whether any URL of the site was last queued by a run before `run`.
  Result<bool> HasUrlsBefore(const std::string& site, int64_t run);
  // `url` enters `run` (not done), keeping what earlier fetches learnt.
  Status Queue(const std::string& site, int64_t run, const QueuedUrl& url);
  // `url` has its outcome in `run`: what the fetch learnt replaces the last.
  Status Finish(const std::string& site, int64_t run, const std::string& url, const UrlState& state);
  // `url` has its outcome in `run` without a fetch (robots.txt, scope,
  // budget, already crawled): what earlier fetches learnt stays; the
  // run's outcome is `outcome`.
  Status FinishUnfetched(const std::string& site, int64_t run, const std::string& url, OutcomeKind outcome);

  // --- articles ---
  // The content hash of the article last written under `key` (its canonical
  // URL in normal form), or nullopt if none was.
  Result<std::optional<std::string>> ArticleHash(const std::string& site, const std::string& key);
  Status MarkWritten(const std::string& site, const std::string& key, const std::string& content_hash,
                     int64_t now_ms);

  // --- outputs ---
  // Bytes of `path` whose records are in `articles` (0 if never recorded).
  Result<uint64_t> OutputOffset(const std::string& path);
  Status SetOutputOffset(const std::string& path, uint64_t offset);
  // The offset recorded under exactly `path`, if any.
  Result<std::optional<uint64_t>> KnownOutputOffset(const std::string& path);

  // Ends the open transaction, if any.
  Status Commit();
  // Drops what the open transaction holds (an output failed: nothing after
  // the last flush that worked may be recorded).
  void Rollback();

 private:
  StateStore(std::string path, sqlite3* db);
  Status Begin();
  Status Exec(const char* sql);
  Status Error(const std::string& doing) const;
  sqlite3_stmt* Prepare(const char* sql);

  std::string path_;
  sqlite3* db_ = nullptr;
  // Prepared statements by the address of their SQL text: every caller
  // passes a string literal, so the address is the statement's identity.
  // Finalized on destruction.
  std::vector<std::pair<const char*, sqlite3_stmt*>> statements_;
  bool in_transaction_ = false;
};

}  // namespace newshound::state

#endif  // NEWSHOUND_STATE_STATE_STORE_H_
