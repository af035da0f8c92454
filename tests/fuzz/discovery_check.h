// The invariants of a DiscoveryResult, shared by the sitemap and feed
// targets: what newshound/discovery.h promises about every entry, whatever
// the document.
#ifndef NEWSHOUND_TESTS_FUZZ_DISCOVERY_CHECK_H_
#define NEWSHOUND_TESTS_FUZZ_DISCOVERY_CHECK_H_

#include <string>
#include <vector>

#include "fuzz_check.h"
#include "newshound/charset.h"
#include "newshound/discovery.h"
#include "newshound/url.h"

namespace newshound::fuzz {

inline void CheckEntries(const std::vector<discovery::DiscoveredEntry>& entries,
                         const discovery::DiscoveryOptions& options) {
  for (const auto& entry : entries) {
    FUZZ_CHECK(!entry.url.empty());
    // One the fetcher can request, as the crawl will.
    FUZZ_CHECK(ParseHttpUrl(entry.url).ok(), Quote(entry.url));
    FUZZ_CHECK(entry.url.find('#') == std::string::npos, Quote(entry.url));
    FUZZ_CHECK(IsValidUtf8(entry.title), Quote(entry.title));
    if (options.since_ms && entry.time_ms) FUZZ_CHECK(*entry.time_ms >= *options.since_ms);
  }
}

inline void CheckDiscoveryResult(const discovery::DiscoveryResult& result,
                                 const discovery::DiscoveryOptions& options) {
  CheckEntries(result.pages, options);
  CheckEntries(result.sitemaps, options);
  FUZZ_CHECK(result.pages.size() + result.sitemaps.size() <= options.max_entries);
  FUZZ_CHECK(result.skipped_old >= 0 && result.dropped >= 0);
  for (const auto& warning : result.warnings) FUZZ_CHECK(IsValidUtf8(warning), Quote(warning));
  (void)discovery::DocumentKindName(result.kind);
}

}  // namespace newshound::fuzz

#endif  // NEWSHOUND_TESTS_FUZZ_DISCOVERY_CHECK_H_
