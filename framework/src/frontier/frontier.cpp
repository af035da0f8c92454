#include "frontier/frontier.h"

#include <algorithm>
#include <cstring>

namespace newshound::frontier {
namespace {

// A spilled item: what the host's chain does not say already (its host key
// and priority are the chain's).
void PutU32(std::string& out, uint32_t value) { out.append(reinterpret_cast<const char*>(&value), 4); }
void PutString(std::string& out, const std::string& text) {
  PutU32(out, static_cast<uint32_t>(text.size()));
  out += text;
}

std::string Serialize(const CrawlItem& item) {
  std::string out;
  out.reserve(24 + item.url.size() + item.origin.size());
  PutU32(out, static_cast<uint32_t>(item.site));
  PutU32(out, static_cast<uint32_t>(item.depth));
  PutU32(out, static_cast<uint32_t>(item.attempts));
  PutString(out, item.url);
  PutString(out, item.origin);
  PutU32(out, static_cast<uint32_t>(item.redirects.size()));
  for (const auto& hop : item.redirects) PutString(out, hop);
  return out;
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  uint32_t U32() {
    uint32_t value = 0;
    std::memcpy(&value, data_.data() + at_, 4);
    at_ += 4;
    return value;
  }
  std::string String() {
    const uint32_t length = U32();
    std::string out(data_.substr(at_, length));
    at_ += length;
    return out;
  }

 private:
  std::string_view data_;
  size_t at_ = 0;
};

CrawlItem Deserialize(std::string_view data, const std::string& host_key, Priority priority) {
  Reader in(data);
  CrawlItem item;
  item.site = in.U32();
  item.depth = static_cast<int>(in.U32());
  item.attempts = static_cast<int>(in.U32());
  item.url = in.String();
  item.origin = in.String();
  const uint32_t hops = in.U32();
  for (uint32_t i = 0; i < hops; ++i) item.redirects.push_back(in.String());
  item.host_key = host_key;
  item.priority = priority;
  return item;
}

}  // namespace

void Frontier::Queue::push_front(CrawlItem item) {
  if (head_ > 0) {
    items_[--head_] = std::move(item);
  } else {
    items_.insert(items_.begin(), std::move(item));
  }
}

void Frontier::Queue::pop_front() {
  items_[head_] = CrawlItem();  // its strings freed now, not at the next compaction
  ++head_;
  if (head_ == items_.size()) {
    items_.clear();
    head_ = 0;
    // An empty queue holds no storage: 100,000 hosts with room for a
    // refill batch each would be most of the frontier's memory.
    if (items_.capacity() > 2) items_.shrink_to_fit();
  } else if (head_ >= 32 && head_ * 2 >= items_.size()) {
    items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

std::vector<CrawlItem> Frontier::Queue::take() {
  std::vector<CrawlItem> out(std::make_move_iterator(items_.begin() + static_cast<std::ptrdiff_t>(head_)),
                             std::make_move_iterator(items_.end()));
  items_.clear();
  items_.shrink_to_fit();
  head_ = 0;
  return out;
}

// Spills `item` when memory is over its budget and the queue has some in
// memory already (so every host keeps its next item at hand), or when the
// queue has spilled items (which it must not overtake). False: keep it in
// memory (also when the spill fails: memory is the fallback, and what is on
// disk already stays readable).
bool Frontier::Spill(Host& host, CrawlItem& item) {
  if (options_.spill_directory.empty() || failure_ || spill_disabled_) return false;
  const int p = static_cast<int>(item.priority);
  const bool over_budget = in_memory_ >= options_.max_items_in_memory && !host.queues[p].empty();
  if (host.spilled[p].count == 0 && !over_budget) return false;
  if (!spill_) spill_ = std::make_unique<SpillLog>(options_.spill_directory);
  if (Status status = spill_->Push(host.spilled[p], Serialize(item)); !status.ok()) {
    spill_disabled_ = status.message();
    return false;
  }
  ++spilled_total_;
  return true;
}

void Frontier::Refill(const std::string& key, Host& host, int priority) {
  SpillLog::Chain& chain = host.spilled[priority];
  std::string payload;
  // One item at least; more while the budget has room for a batch for
  // every host (with more hosts than that, each gets one at a time).
  for (size_t brought = 0; chain.count > 0 && brought < options_.refill_batch; ++brought) {
    if (brought > 0 && in_memory_ + hosts_.size() * options_.refill_batch >= options_.max_items_in_memory) break;
    if (Status status = spill_->Pop(chain, payload); !status.ok()) {
      // What is left of this chain cannot be read back: the crawl stops
      // (failure()); the items are still queued in the crawl state.
      failure_ = "frontier spill: " + status.message();
      queued_ -= chain.count;
      chain = SpillLog::Chain();
      return;
    }
    host.queues[priority].push_back(Deserialize(payload, key, static_cast<Priority>(priority)));
    ++in_memory_;
  }
}

Frontier::Queue* Frontier::NextQueue(const std::string& key, Host& host) {
  for (int p = 0; p < kPriorityCount; ++p) {
    if (host.queues[p].empty() && host.spilled[p].count > 0) Refill(key, host, p);
    if (!host.queues[p].empty()) return &host.queues[p];
  }
  return nullptr;
}

Frontier::Host& Frontier::HostFor(const CrawlItem& item, const HostPolicy* policy) {
  auto [it, inserted] = hosts_.try_emplace(item.host_key);
  if (inserted && policy != nullptr) it->second.policy = *policy;
  return it->second;
}

void Frontier::Activate(const std::string& key, Host& host) {
  if (!host.active && !host.empty()) {
    host.active = true;
    active_.push_back(key);
  }
}

void Frontier::Push(CrawlItem item, const HostPolicy& policy, bool front) {
  const std::string key = item.host_key;
  Host& host = HostFor(item, &policy);
  ++queued_;
  if (!front && Spill(host, item)) {
    Activate(key, host);
    return;
  }
  auto& queue = host.queues[static_cast<int>(item.priority)];
  if (front) {
    queue.push_front(std::move(item));
  } else {
    queue.push_back(std::move(item));
  }
  ++in_memory_;
  Activate(key, host);
}

void Frontier::PushFront(CrawlItem item) {
  const std::string key = item.host_key;
  Host& host = HostFor(item, nullptr);
  host.queues[static_cast<int>(item.priority)].push_front(std::move(item));
  ++queued_;
  ++in_memory_;
  Activate(key, host);
}

void Frontier::PushDelayed(CrawlItem item, Clock::time_point ready_at) {
  delayed_.push(Delayed{ready_at, delayed_sequence_++, std::move(item)});
}

void Frontier::ReleaseDue(Clock::time_point now) {
  while (!delayed_.empty() && delayed_.top().ready_at <= now) {
    CrawlItem item = delayed_.top().item;
    delayed_.pop();
    PushFront(std::move(item));
  }
}

std::optional<CrawlItem> Frontier::PopReady(Clock::time_point now) {
  ReleaseDue(now);
  // One pass over the active hosts, starting after the last one served.
  for (size_t n = active_.size(); n > 0; --n) {
    std::string key = std::move(active_.front());
    active_.pop_front();
    Host& host = hosts_[key];
    if (host.empty()) {
      host.active = false;
      continue;
    }
    const bool free = Free(host);
    if (!free || host.next_start > now) {
      if (free && !host.waiting_since) host.waiting_since = now;
      active_.push_back(std::move(key));
      continue;
    }
    Queue* queue = NextQueue(key, host);
    if (queue == nullptr) {  // its spilled items could not be read back
      host.active = false;
      continue;
    }
    CrawlItem item = std::move(queue->front());
    queue->pop_front();
    --in_memory_;
    if (host.waiting_since) {
      item.politeness_wait = now - *host.waiting_since;
      host.waiting_since.reset();
    }
    --queued_;
    if (host.empty()) {
      host.active = false;
    } else {
      active_.push_back(std::move(key));
    }
    return item;
  }
  return std::nullopt;
}

void Frontier::Started(const std::string& host_key, Clock::time_point now) {
  Host& host = hosts_[host_key];
  ++host.in_flight;
  ++host.unwritten;
  host.last_start = now;
  host.next_start = std::max(host.next_start, now + host.policy.delay);
}

void Frontier::Written(const std::string& host_key, Clock::time_point now, bool first) {
  auto it = hosts_.find(host_key);
  if (it == hosts_.end()) return;
  Host& host = it->second;
  if (first && host.unwritten > 0) --host.unwritten;
  host.last_start = std::max(host.last_start, now);
  host.next_start = std::max(host.next_start, now + host.policy.delay);
}

void Frontier::Finished(const std::string& host_key, bool written) {
  auto it = hosts_.find(host_key);
  if (it == hosts_.end()) return;
  Host& host = it->second;
  if (host.in_flight > 0) --host.in_flight;
  if (!written && host.unwritten > 0) --host.unwritten;
}

std::optional<Clock::time_point> Frontier::NextReadyTime(Clock::time_point now) const {
  std::optional<Clock::time_point> earliest;
  if (!delayed_.empty()) earliest = delayed_.top().ready_at;
  for (const auto& key : active_) {
    const Host& host = hosts_.at(key);
    if (!Free(host) || host.empty()) continue;
    const Clock::time_point at = std::max(host.next_start, now);
    if (!earliest || at < *earliest) earliest = at;
  }
  return earliest;
}

void Frontier::PauseUntil(const std::string& host_key, Clock::time_point until) {
  Host& host = hosts_[host_key];
  host.next_start = std::max(host.next_start, until);
}

void Frontier::Block(const std::string& host_key) { hosts_[host_key].blocked = true; }

void Frontier::Unblock(const std::string& host_key) { hosts_[host_key].blocked = false; }

void Frontier::SetDelay(const std::string& host_key, std::chrono::milliseconds delay) {
  Host& host = hosts_[host_key];
  host.policy.delay = delay;
  // A longer delay counts from the last start already (a Crawl-delay learnt
  // from robots.txt applies to the very next request); a shorter one never
  // brings a pause (Retry-After) forward.
  if (host.last_start != Clock::time_point{}) host.next_start = std::max(host.next_start, host.last_start + delay);
}

Clock::time_point Frontier::NextStart(const std::string& host_key) const {
  auto it = hosts_.find(host_key);
  return it == hosts_.end() ? Clock::time_point{} : it->second.next_start;
}

std::chrono::milliseconds Frontier::Delay(const std::string& host_key) const {
  auto it = hosts_.find(host_key);
  return it == hosts_.end() ? std::chrono::milliseconds(0) : it->second.policy.delay;
}

std::vector<CrawlItem> Frontier::Drain() {
  std::vector<CrawlItem> out;
  for (auto& [key, host] : hosts_) {
    for (int p = 0; p < kPriorityCount; ++p) {
      for (;;) {
        for (auto& item : host.queues[p].take()) out.push_back(std::move(item));
        in_memory_ = 0;
        if (host.spilled[p].count == 0) break;
        Refill(key, host, p);
      }
    }
    host.active = false;
  }
  while (!delayed_.empty()) {
    out.push_back(delayed_.top().item);
    delayed_.pop();
  }
  active_.clear();
  queued_ = 0;
  return out;
}

}  // namespace newshound::frontier
