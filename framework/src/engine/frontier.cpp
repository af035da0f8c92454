#include "engine/frontier.h"

#include <algorithm>

namespace newshound::engine {

void Frontier::Push(CrawlItem item, const HostPolicy& policy) {
  auto [it, inserted] = hosts_.try_emplace(item.host_key);
  Host& host = it->second;
  host.policy = policy;
  if (host.empty()) active_.push_back(item.host_key);
  host.queues[static_cast<int>(item.priority)].push_back(std::move(item));
  ++queued_;
}

std::optional<CrawlItem> Frontier::PopReady(Clock::time_point now) {
  // One pass over the active hosts, starting after the last one served.
  for (size_t n = active_.size(); n > 0; --n) {
    std::string key = std::move(active_.front());
    active_.pop_front();
    Host& host = hosts_[key];
    const bool ready = host.in_flight < host.policy.max_in_flight && host.next_start <= now;
    if (!ready) {
      active_.push_back(std::move(key));
      continue;
    }
    auto& queue = !host.queues[0].empty() ? host.queues[0] : host.queues[1];
    CrawlItem item = std::move(queue.front());
    queue.pop_front();
    --queued_;
    ++host.in_flight;
    host.next_start = now + host.policy.delay;
    if (!host.empty()) active_.push_back(std::move(key));
    return item;
  }
  return std::nullopt;
}

std::optional<Clock::time_point> Frontier::NextReadyTime() const {
  std::optional<Clock::time_point> earliest;
  for (const auto& key : active_) {
    const Host& host = hosts_.at(key);
    if (host.in_flight >= host.policy.max_in_flight) continue;  // woken by Finished()
    if (!earliest || host.next_start < *earliest) earliest = host.next_start;
  }
  return earliest;
}

void Frontier::Finished(const std::string& host_key) {
  auto it = hosts_.find(host_key);
  if (it != hosts_.end() && it->second.in_flight > 0) --it->second.in_flight;
}

std::vector<CrawlItem> Frontier::Drain() {
  std::vector<CrawlItem> out;
  for (auto& [key, host] : hosts_) {
    for (auto& queue : host.queues) {
      for (auto& item : queue) out.push_back(std::move(item));
      queue.clear();
    }
  }
  active_.clear();
  queued_ = 0;
  return out;
}

}  // namespace newshound::engine
