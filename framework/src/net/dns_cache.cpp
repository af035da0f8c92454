#include "net/dns_cache.h"

#include <algorithm>
#include <utility>

namespace newshound::net {

std::optional<DnsCache::Answer> DnsCache::Lookup(const std::string& host, Clock::time_point now) {
  auto it = index_.find(host);
  if (it == index_.end()) return std::nullopt;
  if (now >= it->second->expires) {
    entries_.erase(it->second);
    index_.erase(it);
    return std::nullopt;
  }
  entries_.splice(entries_.begin(), entries_, it->second);
  return it->second->answer;
}

void DnsCache::PutPositive(const std::string& host, std::vector<std::string> addresses, std::chrono::seconds ttl,
                           Clock::time_point now) {
  const auto keep = std::min<std::chrono::milliseconds>(ttl, options_.max_ttl);
  if (addresses.empty() || keep <= std::chrono::milliseconds(0)) {
    Erase(host);
    return;
  }
  Put(host, Answer{std::move(addresses), ""}, now + keep);
}

void DnsCache::PutNegative(const std::string& host, std::string error, Clock::time_point now) {
  if (options_.negative_ttl <= std::chrono::milliseconds(0)) {
    Erase(host);
    return;
  }
  Put(host, Answer{{}, std::move(error)}, now + options_.negative_ttl);
}

void DnsCache::Put(const std::string& host, Answer answer, Clock::time_point expires) {
  Erase(host);
  if (options_.max_entries == 0) return;
  entries_.push_front(Entry{host, std::move(answer), expires});
  index_[host] = entries_.begin();
  while (index_.size() > options_.max_entries) {
    index_.erase(entries_.back().host);
    entries_.pop_back();
  }
}

void DnsCache::Erase(const std::string& host) {
  auto it = index_.find(host);
  if (it == index_.end()) return;
  entries_.erase(it->second);
  index_.erase(it);
}

}  // namespace newshound::net
