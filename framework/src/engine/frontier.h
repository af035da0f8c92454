// The frontier of one crawl: the URLs still to fetch, in per-host queues,
// the seen set that makes every URL enter once, and the per-host clock that
// spaces requests by the site's politeness delay.
//
// Pure data structure: no I/O, no clock of its own (callers pass `now`).
// Listing-type pages (listings, feeds, sitemaps) leave a host's queue before
// article pages, so a crawl finds what exists before it fetches it.
//
// Thread safety: none; the engine uses it from its strand only.
#ifndef NEWSHOUND_ENGINE_FRONTIER_H_
#define NEWSHOUND_ENGINE_FRONTIER_H_

#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace newshound::engine {

using Clock = std::chrono::steady_clock;

enum class Priority { kHigh = 0, kLow = 1 };
inline constexpr int kPriorityCount = 2;

struct CrawlItem {
  std::string url;       // normalized absolute URL
  size_t site = 0;       // index into the config's sites
  int depth = 0;         // link hops from a start URL
  Priority priority = Priority::kLow;
  std::string host_key;  // politeness key (host of the URL, for now)
};

struct HostPolicy {
  std::chrono::milliseconds delay{0};  // minimum gap between request starts
  int max_in_flight = 1;               // requests at once
};

class Frontier {
 public:
  // Marks the URL seen; false (and nothing queued) when it was seen before.
  bool MarkSeen(const std::string& url) { return seen_.insert(url).second; }
  bool Seen(const std::string& url) const { return seen_.count(url) != 0; }
  size_t seen_count() const { return seen_.size(); }

  // Queues an item whose URL was just marked seen. `policy` applies to its
  // host from now on.
  void Push(CrawlItem item, const HostPolicy& policy);

  // The next item whose host may start a request at `now`, or nothing.
  // Starting it is recorded against the host.
  std::optional<CrawlItem> PopReady(Clock::time_point now);

  // When PopReady may next return something, if anything is queued on a
  // host that is only waiting for its delay (not for a free slot).
  std::optional<Clock::time_point> NextReadyTime() const;

  // A request to this host finished; its slot is free again.
  void Finished(const std::string& host_key);

  // Removes and returns everything still queued (used when stopping).
  std::vector<CrawlItem> Drain();

  size_t queued() const { return queued_; }

 private:
  struct Host {
    std::deque<CrawlItem> queues[kPriorityCount];
    HostPolicy policy;
    Clock::time_point next_start{};  // earliest start of the next request
    int in_flight = 0;
    bool empty() const { return queues[0].empty() && queues[1].empty(); }
  };

  std::unordered_set<std::string> seen_;
  std::unordered_map<std::string, Host> hosts_;
  // Hosts with something queued, visited round-robin so that no host starves.
  std::deque<std::string> active_;
  size_t queued_ = 0;
};

}  // namespace newshound::engine

#endif  // NEWSHOUND_ENGINE_FRONTIER_H_
