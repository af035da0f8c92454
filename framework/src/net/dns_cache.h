// The DNS answers of one crawl, kept for as long as their TTL allows.
//
// A positive answer (the addresses of a host) is kept for the TTL the DNS
// server gave, capped at max_ttl; a TTL of 0 means "do not cache" and is
// honoured as such (no floor). A negative answer (no such host, or a host
// with no address) is kept for negative_ttl. Beyond max_entries the least
// recently used entry is dropped. A new answer for a host replaces the old
// one, whatever either said.
//
// No I/O and no clock of its own: every call takes `now`, so the expiry rules
// are tested with a fake clock. Host names are compared as given (the
// Resolver lower-cases them first).
//
// Thread safety: none; the Resolver guards its cache with its mutex.
#ifndef NEWSHOUND_NET_DNS_CACHE_H_
#define NEWSHOUND_NET_DNS_CACHE_H_

#include <chrono>
#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace newshound::net {

struct DnsCacheOptions {
  // A positive answer is kept min(its TTL, max_ttl); 0: never kept.
  std::chrono::milliseconds max_ttl{300'000};
  // A negative answer is kept this long; 0: never kept.
  std::chrono::milliseconds negative_ttl{30'000};
  // Entries kept at most (least recently used dropped first); 0: none.
  size_t max_entries = 10'000;
};

class DnsCache {
 public:
  using Clock = std::chrono::steady_clock;

  struct Answer {
    std::vector<std::string> addresses;  // in the order to try; empty for a negative answer
    std::string error;                   // a negative answer: why, naming the host
    bool negative() const { return addresses.empty(); }
  };

  explicit DnsCache(DnsCacheOptions options = {}) : options_(options) {}

  // The answer for `host` still valid at `now`, or nullopt. A hit makes the
  // entry the most recently used; an expired entry is dropped.
  std::optional<Answer> Lookup(const std::string& host, Clock::time_point now);

  // Stores the addresses of `host` for min(ttl, max_ttl) from `now`. A TTL
  // of 0 (or less) or empty `addresses` stores nothing, and drops what was
  // kept for the host: the server's newest word on it is "do not keep".
  void PutPositive(const std::string& host, std::vector<std::string> addresses, std::chrono::seconds ttl,
                   Clock::time_point now);

  // Stores "no address for `host`" (`error` says why) for negative_ttl.
  void PutNegative(const std::string& host, std::string error, Clock::time_point now);

  // Entries held, expired ones not yet dropped included.
  size_t size() const { return index_.size(); }
  const DnsCacheOptions& options() const { return options_; }

 private:
  struct Entry {
    std::string host;
    Answer answer;
    Clock::time_point expires;  // invalid from this instant on
  };

  void Put(const std::string& host, Answer answer, Clock::time_point expires);
  void Erase(const std::string& host);

  DnsCacheOptions options_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

}  // namespace newshound::net

#endif  // NEWSHOUND_NET_DNS_CACHE_H_
