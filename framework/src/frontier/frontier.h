// The frontier of one crawl: the URLs still to fetch, in per-host queues,
// and each host's politeness clock. (Which URLs enter is the engine's seen
// set per site run; what survives a crash is the crawl state's.)
//
// A "host" here is a politeness key (a host name, a registrable domain or an
// IP address, as the site's politeness.key says). Each host has two queues:
// listing-type pages (listings, feeds, sitemaps) leave before article pages,
// so a crawl finds what exists before it fetches it. A host may start a
// request when it has fewer than its max_in_flight requests running, its
// delay has passed since its last start, it is not paused (Retry-After), and
// it is not blocked (its robots.txt is being fetched). Items waiting for a
// retry sit in a time-ordered heap until they are due.
//
// Memory: with a spill directory (FrontierOptions), the frontier keeps at
// most `max_items_in_memory` items in memory; past that, items pushed to
// the back of a host queue that already has some go to a SpillLog on disk
// (in order: once a queue has spilled items, its new ones follow them
// there), and come back a batch at a time when the host's in-memory items
// run out. So memory grows with the number of hosts, not of URLs (a
// 10-million-URL frontier over 100,000 hosts: tools/bench-frontier).
//
// No clock of its own (callers pass `now`); no I/O but the spill files.
// Thread safety: none; the engine uses it from its strand only.
#ifndef NEWSHOUND_FRONTIER_FRONTIER_H_
#define NEWSHOUND_FRONTIER_FRONTIER_H_

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "frontier/spill_log.h"

namespace newshound::frontier {

using Clock = std::chrono::steady_clock;

enum class Priority { kHigh = 0, kLow = 1 };
inline constexpr int kPriorityCount = 2;

struct CrawlItem {
  std::string url;       // normalized absolute URL
  size_t site = 0;       // index into the config's sites
  int depth = 0;         // link hops from a start URL
  Priority priority = Priority::kLow;
  std::string host_key;  // politeness key
  std::string origin;    // scheme://host:port, the robots.txt scope
  int attempts = 0;      // fetch attempts made so far (of the current hop)
  // Redirect targets followed so far, first to last, each in normal form;
  // host_key and origin are those of the last one. Every hop is a request
  // of its own through the frontier, so it waits for its host's politeness
  // and robots.txt like any other; the outcome is still recorded for `url`.
  std::vector<std::string> redirects;
  // Set by PopReady: how long the item's host held it back for its delay
  // alone (it had work queued, no request in flight over its cap, and was
  // not blocked or paused), as seen by the PopReady calls; for metrics.
  std::chrono::steady_clock::duration politeness_wait{};

  // The URL the next request of this item asks for.
  const std::string& fetch_url() const { return redirects.empty() ? url : redirects.back(); }
};

struct HostPolicy {
  std::chrono::milliseconds delay{0};  // minimum gap between request starts
  int max_in_flight = 1;               // requests at once
};

struct FrontierOptions {
  // Where spilled items go; empty (the default): nothing is spilled.
  std::string spill_directory;
  // Items kept in memory before new ones spill (with a spill directory).
  size_t max_items_in_memory = 1'000'000;
  // Items brought back from disk at a time when a host's run out.
  size_t refill_batch = 16;
};

class Frontier {
 public:
  Frontier() = default;
  explicit Frontier(FrontierOptions options) : options_(std::move(options)) {}

  // Queues an item (its URL already marked seen), at the back of its queue
  // or, with `front`, at its head (the next hop of a redirect, which should
  // not wait behind the whole host). `policy` applies to the host unless
  // the host already has one (see SetDelay for changes).
  void Push(CrawlItem item, const HostPolicy& policy, bool front = false);
  // Puts an item back at the head of its queue (it was popped but not started).
  void PushFront(CrawlItem item);
  // Queues an item that may not start before `ready_at` (a retry).
  void PushDelayed(CrawlItem item, Clock::time_point ready_at);

  // The next item whose host may start a request at `now`, or nothing. The
  // item leaves the queue; the host's clock is not touched until Started().
  std::optional<CrawlItem> PopReady(Clock::time_point now);
  // A request to this host starts now (for a popped item, or a robots.txt).
  void Started(const std::string& host_key, Clock::time_point now);
  // A request started at Started() was written on its connection at `now`:
  // the host's delay counts from here. `first`: its first write (a request
  // written again, on a fresh connection after a stale one or for a
  // redirect followed inside the fetch, only moves the clock).
  void Written(const std::string& host_key, Clock::time_point now, bool first);
  // A request to this host finished; its slot is free again. `written`:
  // whether Written(first) was called for it (a request that failed before
  // it was sent must say so, or the host would wait for it forever).
  void Finished(const std::string& host_key, bool written);

  // When PopReady may next return something, if that depends only on time
  // (not on a request finishing).
  std::optional<Clock::time_point> NextReadyTime(Clock::time_point now) const;

  // No request to this host starts before `until` (Retry-After, robots retry).
  void PauseUntil(const std::string& host_key, Clock::time_point until);
  // While blocked, nothing is popped for the host (robots.txt pending).
  void Block(const std::string& host_key);
  void Unblock(const std::string& host_key);
  // Changes the host's delay (Crawl-delay, adaptive throttle).
  void SetDelay(const std::string& host_key, std::chrono::milliseconds delay);
  std::chrono::milliseconds Delay(const std::string& host_key) const;
  // The earliest start of the host's next request (its delay and pauses);
  // the epoch for a host it does not know.
  Clock::time_point NextStart(const std::string& host_key) const;

  // Removes and returns everything still queued or delayed (when stopping).
  std::vector<CrawlItem> Drain();

  size_t queued() const { return queued_ + delayed_.size(); }
  size_t in_memory() const { return in_memory_ + delayed_.size(); }
  size_t spilled() const { return queued_ - in_memory_; }
  uint64_t spill_bytes() const { return spill_ ? spill_->bytes() : 0; }
  uint64_t spilled_total() const { return spilled_total_; }  // items ever spilled
  // Set when the spill files failed (the disk is full, say): items already
  // spilled for a host could not be read back. The crawl must stop; they
  // are still queued in the crawl state.
  const std::optional<std::string>& failure() const { return failure_; }
  // Set when writing to the spill files failed: nothing more is spilled
  // (items stay in memory, over the budget); what is on disk stays readable.
  const std::optional<std::string>& spill_disabled() const { return spill_disabled_; }

 private:
  // A FIFO that costs nothing while empty (a std::deque allocates a block
  // at once, which 100,000 hosts feel), with a cheap push at the front for
  // the few items put back there.
  class Queue {
   public:
    bool empty() const { return head_ == items_.size(); }
    size_t size() const { return items_.size() - head_; }
    CrawlItem& front() { return items_[head_]; }
    void push_back(CrawlItem item) { items_.push_back(std::move(item)); }
    void push_front(CrawlItem item);
    void pop_front();
    std::vector<CrawlItem> take();

   private:
    std::vector<CrawlItem> items_;
    size_t head_ = 0;
  };
  struct Host {
    Queue queues[kPriorityCount];
    SpillLog::Chain spilled[kPriorityCount];  // on disk, after what is in `queues`
    HostPolicy policy;
    Clock::time_point next_start{};  // earliest start of the next request
    Clock::time_point last_start{};  // start of the latest request
    int in_flight = 0;
    int unwritten = 0;  // of in_flight: granted but not yet on the wire
    // When PopReady first found it with work, free, and held back only by
    // next_start; reset when it gives an item.
    std::optional<Clock::time_point> waiting_since;
    bool blocked = false;
    bool active = false;  // listed in active_
    bool empty() const {
      return queues[0].empty() && queues[1].empty() && spilled[0].count == 0 && spilled[1].count == 0;
    }
  };
  struct Delayed {
    Clock::time_point ready_at;
    uint64_t sequence;  // FIFO among equal times
    CrawlItem item;
    bool operator>(const Delayed& other) const {
      return ready_at != other.ready_at ? ready_at > other.ready_at : sequence > other.sequence;
    }
  };

  // Whether the host may be given a request (apart from its clock).
  static bool Free(const Host& host) {
    return !host.blocked && host.in_flight < host.policy.max_in_flight &&
           (host.unwritten == 0 || host.policy.delay.count() == 0);
  }
  Host& HostFor(const CrawlItem& item, const HostPolicy* policy);
  void Activate(const std::string& key, Host& host);
  void ReleaseDue(Clock::time_point now);
  // The queue an item of `host` comes from next (high priority first),
  // refilled from disk if its memory part ran out; null when empty.
  Queue* NextQueue(const std::string& key, Host& host);
  bool Spill(Host& host, CrawlItem& item);
  void Refill(const std::string& key, Host& host, int priority);

  FrontierOptions options_;
  std::unique_ptr<SpillLog> spill_;
  std::optional<std::string> failure_;
  std::optional<std::string> spill_disabled_;
  size_t in_memory_ = 0;  // items in the hosts' queues in memory (not counting delayed_)
  uint64_t spilled_total_ = 0;
  std::unordered_map<std::string, Host> hosts_;
  // Hosts with something queued, visited round-robin so that none starves.
  std::deque<std::string> active_;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed_;
  uint64_t delayed_sequence_ = 0;
  size_t queued_ = 0;
};

}  // namespace newshound::frontier

#endif  // NEWSHOUND_FRONTIER_FRONTIER_H_
