// bench-frontier: the frontier at a crawl's scale, no network. N generated
// news URLs over 100,000 hosts (tools/common/news_urls.h) go through the
// seen set into the frontier, which spills what is over its memory budget
// to disk; then every one is popped as the engine would (PopReady, Started,
// Finished). Prints peak RSS, the seen set's bytes per URL, what was on
// disk, and add and pop throughput. A benchmark, not a test: nothing fails
// on a number. docs/performance.md has the results and the command.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "frontier/frontier.h"
#include "frontier/seen_set.h"
#include "news_urls.h"

namespace {

using newshound::bench::MakeUrl;
using newshound::bench::ProcStatusBytes;
using namespace newshound::frontier;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// "https://host123.example/..." -> "host123.example"
std::string_view HostOf(std::string_view url) {
  const size_t start = url.find("://") + 3;
  return url.substr(start, url.find('/', start) - start);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"The frontier at a crawl's scale: memory, spill and throughput"};
  uint64_t urls = 10'000'000;
  size_t memory_items = 200'000;
  std::string spill_dir = std::filesystem::temp_directory_path() / ("newshound-bench-frontier-" + std::to_string(::getpid()));
  app.add_option("--urls", urls, "URLs to add (then pop)")->capture_default_str();
  app.add_option("--memory-items", memory_items, "frontier items kept in memory before spilling (0: never spill)")
      ->capture_default_str();
  app.add_option("--spill-dir", spill_dir, "where spilled items go")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  FrontierOptions options;
  if (memory_items > 0) {
    options.spill_directory = spill_dir;
    options.max_items_in_memory = memory_items;
  }
  const uint64_t rss_before = ProcStatusBytes("VmRSS");
  SeenSet seen;
  Frontier frontier(options);
  const HostPolicy policy{std::chrono::milliseconds(0), 2};

  // Add: every URL through the seen set (as Offer does), new ones queued.
  std::string url;
  url.reserve(128);
  uint64_t added = 0, spill_peak = 0;
  auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < urls; ++i) {
    const std::string_view generated = MakeUrl(i, url);
    if (!seen.Insert(generated)) continue;
    CrawlItem item;
    item.url = std::string(generated);
    const std::string_view host = HostOf(generated);
    item.host_key = std::string(host);
    item.origin = "https://" + std::string(host);
    item.priority = (i % 20 == 0) ? Priority::kHigh : Priority::kLow;  // a listing for every 19 articles
    frontier.Push(std::move(item), policy);
    ++added;
  }
  const double add_seconds = SecondsSince(start);
  spill_peak = frontier.spill_bytes();
  const size_t in_memory_after_add = frontier.in_memory();
  const uint64_t rss_after_add = ProcStatusBytes("VmRSS");

  // Pop: as the scheduler does, one request started and finished per item.
  uint64_t popped = 0, bytes = 0;
  const auto now = Clock::now();
  start = std::chrono::steady_clock::now();
  while (auto item = frontier.PopReady(now)) {
    frontier.Started(item->host_key, now);
    frontier.Written(item->host_key, now, /*first=*/true);
    frontier.Finished(item->host_key, /*written=*/true);
    bytes += item->url.size();
    ++popped;
  }
  const double pop_seconds = SecondsSince(start);
  const uint64_t peak_rss = ProcStatusBytes("VmHWM");
  const double n = static_cast<double>(added);

  std::printf("bench-frontier: %llu URLs generated over %llu hosts, %llu added, %llu popped\n",
              static_cast<unsigned long long>(urls), static_cast<unsigned long long>(newshound::bench::kHosts),
              static_cast<unsigned long long>(added), static_cast<unsigned long long>(popped));
  std::printf("frontier memory budget: %s\n\n",
              memory_items > 0 ? (std::to_string(memory_items) + " items, spill to " + spill_dir).c_str()
                               : "none (everything in memory)");
  std::printf("%-36s %14s %12s\n", "memory", "MiB", "bytes/URL");
  auto row = [&](const char* name, double value) {
    std::printf("%-36s %14.1f %12.2f\n", name, value / 1048576.0, value / n);
  };
  row("process RSS before", static_cast<double>(rss_before));
  row("process RSS after adding", static_cast<double>(rss_after_add));
  row("process peak RSS (VmHWM)", static_cast<double>(peak_rss));
  row("seen set (memory_bytes())", static_cast<double>(seen.memory_bytes()));
  row("spill files at the end of adding", static_cast<double>(spill_peak));
  std::printf("%-36s %14zu\n", "frontier items in memory after adding", in_memory_after_add);
  std::printf("\n%-36s %10s %12s %10s\n", "phase", "seconds", "items/s", "ns/item");
  std::printf("%-36s %10.2f %12.0f %10.0f\n", "add (seen set + push)", add_seconds, n / add_seconds, add_seconds * 1e9 / n);
  std::printf("%-36s %10.2f %12.0f %10.0f\n", "pop (PopReady + Started + Finished)", pop_seconds, n / pop_seconds,
              pop_seconds * 1e9 / n);
  if (frontier.failure()) std::printf("FAILURE: %s\n", frontier.failure()->c_str());
  if (frontier.spill_disabled()) std::printf("spill disabled: %s\n", frontier.spill_disabled()->c_str());
  std::printf("(checksum %llu)\n", static_cast<unsigned long long>(bytes));
  std::filesystem::remove_all(spill_dir);
  return popped == added && !frontier.failure() ? 0 : 1;
}
