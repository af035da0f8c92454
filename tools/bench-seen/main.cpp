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
#include "news_urls.h"

namespace {

using newshound::frontier::SeenSet;
using newshound::bench::kHosts;
using newshound::bench::MakeUrl;
using newshound::bench::ProcStatusBytes;

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
