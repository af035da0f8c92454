#include "frontier/frontier.h"

#include <algorithm>

namespace newshound::frontier {

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
  auto& queue = host.queues[static_cast<int>(item.priority)];
  if (front) {
    queue.push_front(std::move(item));
  } else {
    queue.push_back(std::move(item));
  }
  ++queued_;
  Activate(key, host);
}

void Frontier::PushFront(CrawlItem item) {
  const std::string key = item.host_key;
  Host& host = HostFor(item, nullptr);
  host.queues[static_cast<int>(item.priority)].push_front(std::move(item));
  ++queued_;
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
    const bool free = !host.blocked && host.in_flight < host.policy.max_in_flight;
    if (!free || host.next_start > now) {
      if (free && !host.waiting_since) host.waiting_since = now;
      active_.push_back(std::move(key));
      continue;
    }
    auto& queue = !host.queues[0].empty() ? host.queues[0] : host.queues[1];
    CrawlItem item = std::move(queue.front());
    queue.pop_front();
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
  host.last_start = now;
  host.next_start = std::max(host.next_start, now + host.policy.delay);
}

void Frontier::Finished(const std::string& host_key) {
  auto it = hosts_.find(host_key);
  if (it != hosts_.end() && it->second.in_flight > 0) --it->second.in_flight;
}

std::optional<Clock::time_point> Frontier::NextReadyTime(Clock::time_point now) const {
  std::optional<Clock::time_point> earliest;
  if (!delayed_.empty()) earliest = delayed_.top().ready_at;
  for (const auto& key : active_) {
    const Host& host = hosts_.at(key);
    if (host.blocked || host.in_flight >= host.policy.max_in_flight || host.empty()) continue;
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

std::chrono::milliseconds Frontier::Delay(const std::string& host_key) const {
  auto it = hosts_.find(host_key);
  return it == hosts_.end() ? std::chrono::milliseconds(0) : it->second.policy.delay;
}

std::vector<CrawlItem> Frontier::Drain() {
  std::vector<CrawlItem> out;
  for (auto& [key, host] : hosts_) {
    for (auto& queue : host.queues) {
      for (auto& item : queue) out.push_back(std::move(item));
      queue.clear();
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
