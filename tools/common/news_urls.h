// Generated news URLs for the benchmarks (bench-seen, bench-frontier): URL
// i over 100,000 hosts, the same on every run, made without keeping any of
// them; and the process's memory figures from /proc.
#ifndef NEWSHOUND_TOOLS_COMMON_NEWS_URLS_H_
#define NEWSHOUND_TOOLS_COMMON_NEWS_URLS_H_

#include <array>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

namespace newshound::bench {

inline constexpr uint64_t kHosts = 100'000;

inline constexpr std::array<std::string_view, 12> kSections = {
    "world", "politics", "business", "economy", "sport", "culture",
    "science", "health", "technology", "opinion", "local", "travel"};

inline constexpr std::array<std::string_view, 32> kWords = {
    "minister", "talks",   "election", "budget",   "storm",    "court",   "league",
    "final",    "prices",  "market",   "report",   "police",   "city",    "council",
    "vaccine",  "study",   "climate",  "energy",   "strike",   "deal",    "border",
    "festival", "museum",  "record",   "season",   "coach",    "bank",    "rates",
    "protest",  "summit",  "launch",   "warning"};

// splitmix64: a well spread, cheap function of the index, so URL i is the
// same on every run.
inline uint64_t Mix(uint64_t i) {
  uint64_t z = i + 0x9e3779b97f4a7c15u;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

inline void AppendNumber(std::string& out, uint64_t value) {
  char digits[20];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// URL i, e.g. https://host48213.example/news/economy/court-prices-storm-1234567.html,
// written into `url` (reused, so generating allocates nothing). The index
// ends the slug, which makes URLs with different indices different.
inline std::string_view MakeUrl(uint64_t i, std::string& url) {
  const uint64_t bits = Mix(i);
  url.assign("https://host");
  AppendNumber(url, bits % kHosts);
  url.append(".example/news/");
  url.append(kSections[(bits >> 17) % kSections.size()]);
  url.push_back('/');
  const int words = 3 + static_cast<int>((bits >> 21) % 4);
  for (int w = 0; w < words; ++w) {
    url.append(kWords[(bits >> (23 + 5 * w)) % kWords.size()]);
    url.push_back('-');
  }
  AppendNumber(url, i);
  url.append(".html");
  return url;
}

// A "VmXXX:   1234 kB" line of /proc/self/status, in bytes; 0 if absent.
inline uint64_t ProcStatusBytes(std::string_view key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(key) && line.size() > key.size() && line[key.size()] == ':') {
      return std::stoull(line.substr(key.size() + 1)) * 1024;
    }
  }
  return 0;
}

}  // namespace newshound::bench

#endif  // NEWSHOUND_TOOLS_COMMON_NEWS_URLS_H_
