// The crawl state that N workers share, in Redis (frontier.backend: redis):
// the frontier's per-host queues, each run's seen set and count of URLs
// still open, host leases with the politeness clock that goes with them,
// robots.txt answers, and the set of articles emitted. docs/distributed.md
// lists every key.
//
// The protocol, in short:
// - A URL enters a run once: Offer adds its fingerprint to the run's seen
//   set and, when that was new and the URL is to be fetched, pushes it onto
//   its host's queue and counts it open. The worker whose offer added it
//   owns its outcome.
// - A host is served by one worker at a time: Claim leases free hosts whose
//   politeness clock has passed (a sorted set scored by the time the host
//   may next be asked), moves a batch of their URLs into the host's
//   in-flight hash (each with its worker), and returns them; the worker
//   renews its leases and its heartbeat; Release hands the host back, once
//   the batch has its outcomes, with the time its next request may start,
//   so the delay holds across workers. A worker holds at most its share of
//   the hosts (hosts with work over live workers) and does not take back
//   at once a host it just gave back, so that hosts spread over workers.
// - Complete removes a URL from the in-flight hash once its outcome is safe
//   (its article flushed by the sinks) and counts it closed; the run is
//   finished when nothing is open. A Claim puts URLs in flight of a worker
//   whose heartbeat is gone (it died) back at the head of their queue:
//   nothing is lost.
// - ClaimArticle is the atomic claim of an article by canonical URL: one
//   worker writes it; ConfirmArticles marks it written once the sinks
//   flushed it. A claim whose worker died before confirming is taken over.
//
// Every key starts with the crawl's hash tag, `{nh:<crawl>}:`, so the
// scripts (which touch several keys) run on Redis Cluster too: a crawl
// lives in one slot, different crawls spread over the cluster.
//
// Every script that changes something is safe to send twice (the client
// resends after a lost connection): it stores its reply under the worker's
// call sequence number, and a repeated call gets that reply back instead of
// acting again.
//
// Thread safety: none; the engine uses it from its strand.
#ifndef NEWSHOUND_DISTRIBUTED_SHARED_FRONTIER_H_
#define NEWSHOUND_DISTRIBUTED_SHARED_FRONTIER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "distributed/redis_client.h"
#include "newshound/status.h"

namespace newshound::distributed {

// One queued URL as the workers exchange it.
struct SharedItem {
  std::string site;  // the site's name (every worker runs the same config)
  std::string url;   // normal form
  int64_t run = 0;   // the site's shared run it belongs to
  int depth = 0;
  bool high_priority = false;
  std::vector<std::string> redirects;  // hops followed so far

  std::string Encode() const;  // tab-separated; a URL in normal form has no tab
  static std::optional<SharedItem> Decode(std::string_view text);
  // The item's name in its host's in-flight hash.
  static std::string Field(std::string_view site, std::string_view url);
};

// The seen-set fingerprint of a URL (64-bit xxh3, hex).
std::string UrlFingerprint(std::string_view url);

struct SharedFrontierOptions {
  std::string crawl = "newshound";  // the crawl's name: the hash tag of its keys
  std::chrono::milliseconds lease_ttl{10'000};
  int claim_hosts = 32;     // hosts leased at most per Claim
  int claim_per_host = 16;  // URLs taken from a host per Claim
  // After giving a host back, a worker does not take it again for this long
  // while other workers are alive (so that they get their turn).
  std::chrono::milliseconds handover_grace{200};
  RedisOptions redis;
};

class SharedFrontier {
 public:
  static Result<std::unique_ptr<SharedFrontier>> Connect(const RedisAddress& address, SharedFrontierOptions options);

  const std::string& worker() const { return worker_; }
  const std::string& prefix() const { return prefix_; }
  const SharedFrontierOptions& options() const { return options_; }
  uint64_t round_trips() const { return redis_.round_trips(); }
  uint64_t reconnects() const { return redis_.reconnects(); }

  // --- runs ---
  struct Join {
    int64_t run = 0;
    bool started = false;  // this worker started it, and must seed it, then call SeedDone
    int64_t started_at_ms = 0;
  };
  // The site's active run, or a new one when the last one finished.
  Result<Join> JoinRun(const std::string& site);
  // The starter has offered the start URLs: the run may now finish.
  Status SeedDone(const std::string& site, int64_t run);
  Result<bool> RunFinished(const std::string& site, int64_t run);

  // --- URLs ---
  struct Offer {
    std::string fingerprint;  // UrlFingerprint(url)
    std::string host;         // politeness key to queue it under; empty: only mark it seen
    std::string item;         // SharedItem::Encode(), when queued
    bool front = false;
  };
  // For each offer, whether it was new to the run (then this worker owns
  // its outcome).
  Result<std::vector<bool>> OfferUrls(const std::string& site, int64_t run, const std::vector<Offer>& offers);
  enum class TransferResult { kMoved, kDuplicate, kLost };
  // A redirect: `field` leaves `from_host`'s in-flight hash and `offer` (the
  // next hop) is queued at the head of its host, if its target is new.
  Result<TransferResult> Transfer(const std::string& site, int64_t run, const std::string& from_host,
                                  const std::string& field, const Offer& offer);
  struct Claimed {
    std::string host;
    int64_t recovered = 0;            // URLs a dead worker left in flight, queued again first
    std::vector<std::string> items;   // encoded SharedItems
  };
  // `held_hosts`: how many hosts the worker holds now (it gets no more than
  // its share: the hosts with work over the live workers).
  Result<std::vector<Claimed>> Claim(size_t held_hosts);
  // URLs with their outcome: (host, field) pairs. Returns how many the run
  // still has open.
  Result<int64_t> Complete(const std::string& site, int64_t run,
                           const std::vector<std::pair<std::string, std::string>>& done);
  // A URL taken but not done (the worker is stopping): back to the head of its queue.
  Status Requeue(const std::string& host, const std::string& field, const std::string& item);
  // Gives the host back (its URLs may still be in flight, waiting for
  // Complete); its next request may start `wait` from now.
  Status Release(const std::string& host, std::chrono::milliseconds wait);
  // Renews the leases of `hosts` (and the worker's heartbeat); returns the
  // hosts whose lease was lost.
  Result<std::vector<std::string>> Renew(const std::vector<std::string>& hosts);

  // --- articles ---
  // True: this worker writes the article (`hash` is new for `key`).
  Result<bool> ClaimArticle(const std::string& site, const std::string& key, const std::string& hash);
  Status ConfirmArticles(const std::string& site, const std::vector<std::pair<std::string, std::string>>& key_hashes);

  // --- robots.txt, per origin ---
  struct Robots {
    std::string value;
    std::chrono::milliseconds ttl{0};
  };
  Result<std::optional<Robots>> GetRobots(const std::string& origin);
  Status PutRobots(const std::string& origin, const std::string& value, std::chrono::milliseconds ttl);

  // The worker leaves: its heartbeat goes (its article claims can be taken over).
  Status Leave();

  // Sends the last script call again, with its sequence number, as the
  // client does when a reply was lost (for the tests of that path).
  Result<RedisValue> RepeatLastCall();

 private:
  SharedFrontier(RedisAddress address, SharedFrontierOptions options);
  // Runs `script` with the common arguments (prefix, worker, call sequence).
  Result<RedisValue> Run(const std::string& script, std::vector<std::string> args);

  SharedFrontierOptions options_;
  RedisClient redis_;
  std::string prefix_;  // "{nh:<crawl>}:"
  std::string worker_;
  uint64_t sequence_ = 0;
  const std::string* last_script_ = nullptr;
  std::vector<std::string> last_args_;
};

}  // namespace newshound::distributed

#endif  // NEWSHOUND_DISTRIBUTED_SHARED_FRONTIER_H_
