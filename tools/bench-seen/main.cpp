// bench-seen: memory and speed of the seen set (frontier/seen_set.h) at a
// crawl's scale. Inserts N generated news URLs, looks up the N present and N
// absent ones, and prints bytes per URL (the table's, and the process's peak
// RSS) and throughput. URLs are generated on the fly from their index and
// never kept, so the RSS is the seen set's plus the process's baseline.
// Results and the exact command: tools/bench-seen/README.md.
#include <CLI/CLI.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

#include "frontier/seen_set.h"

namespace {

using newshound::frontier::SeenSet;

constexpr uint64_t kHosts = 100'000;

constexpr std::array<std::string_view, 12> kSections = {
    "world", "politics", "business", "economy", "sport", "culture",
    "science", "health", "technology", "opinion", "local", "travel"};

constexpr std::array<std::string_view, 32> kWords = {
    "minister", "talks",   "election", "budget",   "storm",    "court",   "league",
    "final",    "prices",  "market",   "report",   "police",   "city",    "council",
    "vaccine",  "study",   "climate",  "energy",   "strike",   "deal",    "border",
    "festival", "museum",  "record",   "season",   "coach",    "bank",    "rates",
    "protest",  "summit",  "launch",   "warning"};

// splitmix64: a well spread, cheap function of the index, so URL i is the
// same on every run.
uint64_t Mix(uint64_t i) {
  uint64_t z = i + 0x9e3779b97f4a7c15u;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

void AppendNumber(std::string& out, uint64_t value) {
  char digits[20];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// URL i, e.g. https://host48213.example/news/economy/court-prices-storm-1234567.html,
// written into `url` (reused, so generating allocates nothing). The index
// ends the slug, which makes URLs with different indices different.
std::string_view MakeUrl(uint64_t i, std::string& url) {
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
uint64_t ProcStatusBytes(std::string_view key) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(key) && line.size() > key.size() && line[key.size()] == ':') {
      return std::stoull(line.substr(key.size() + 1)) * 1024;
    }
  }
  return 0;
}

struct Phase {
  const char* name;
  double seconds = 0;
  uint64_t hits = 0;  // new members, or URLs found
};

template <typename PerUrl>
Phase Run(const char* name, uint64_t first, uint64_t count, PerUrl per_url) {
  std::string url;
  url.reserve(128);
  Phase phase{name};
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = first; i < first + count; ++i) phase.hits += per_url(MakeUrl(i, url));
  phase.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return phase;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Memory and speed of the seen set at a crawl's scale"};
  uint64_t urls = 10'000'000;
  bool reserve = false;
  app.add_option("--urls", urls, "URLs to insert (and to look up present and absent)")
      ->capture_default_str();
  app.add_flag("--reserve", reserve, "Reserve() the table for all URLs first, instead of growing");
  CLI11_PARSE(app, argc, argv);

  const uint64_t rss_before = ProcStatusBytes("VmRSS");

  // Generating and hashing alone: what the phases below cost besides the
  // table itself.
  uint64_t url_bytes = 0;
  uint64_t checksum = 0;
  const Phase baseline = Run("generate + hash only", 0, urls, [&](std::string_view url) {
    url_bytes += url.size();
    checksum ^= SeenSet::Fingerprint(url);
    return 0;
  });

  SeenSet seen;
  if (reserve) seen.Reserve(urls);
  const Phase insert = Run("insert", 0, urls, [&](std::string_view url) { return seen.Insert(url); });
  const Phase present =
      Run("lookup present", 0, urls, [&](std::string_view url) { return seen.Contains(url); });
  const Phase absent =
      Run("lookup absent", urls, urls, [&](std::string_view url) { return seen.Contains(url); });

  const uint64_t peak_rss = ProcStatusBytes("VmHWM");
  const double n = static_cast<double>(urls);
  std::printf("bench-seen: %llu URLs over %llu hosts, mean URL length %.1f bytes, %s\n",
              static_cast<unsigned long long>(urls), static_cast<unsigned long long>(kHosts),
              static_cast<double>(url_bytes) / n,
              reserve ? "table reserved up front" : "table grown from empty");
  std::printf("\n%-28s %16s %12s\n", "memory", "bytes", "bytes/URL");
  std::printf("%-28s %16zu %12s\n", "members (size())", seen.size(), "");
  std::printf("%-28s %16zu %12.2f\n", "table (memory_bytes())", seen.memory_bytes(),
              static_cast<double>(seen.memory_bytes()) / n);
  std::printf("%-28s %16llu %12.2f\n", "process RSS before", static_cast<unsigned long long>(rss_before),
              static_cast<double>(rss_before) / n);
  std::printf("%-28s %16llu %12.2f\n", "process peak RSS (VmHWM)",
              static_cast<unsigned long long>(peak_rss), static_cast<double>(peak_rss) / n);
  std::printf("%-28s %16llu %12.2f\n", "peak RSS - RSS before",
              static_cast<unsigned long long>(peak_rss - rss_before),
              static_cast<double>(peak_rss - rss_before) / n);

  std::printf("\n%-28s %10s %10s %10s %14s %14s\n", "phase", "seconds", "M URL/s", "ns/URL",
              "ns/URL - base", "hits");
  for (const Phase& phase : {baseline, insert, present, absent}) {
    const double ns = phase.seconds * 1e9 / n;
    std::printf("%-28s %10.3f %10.2f %10.1f %14.1f %14llu\n", phase.name, phase.seconds,
                n / phase.seconds / 1e6, ns, ns - baseline.seconds * 1e9 / n,
                static_cast<unsigned long long>(phase.hits));
  }
  // Hits: insert counts new members (N minus fingerprint collisions),
  // lookup present should find all N, lookup absent finds only false
  // positives.
  std::printf("\nfalse positives among absent URLs: %llu (expected about N^2/2^64 = %.2g)\n",
              static_cast<unsigned long long>(absent.hits), n * n / 18446744073709551616.0);
  std::printf("(checksum %016llx)\n", static_cast<unsigned long long>(checksum));
  return 0;
}
