// Fuzz target: sitemaps and sitemap indexes (newshound/discovery.h,
// ParseDiscoveryDocument), plain or gzip'd (.xml.gz bodies are recognised
// by their magic bytes), as fetched from a fixed URL.
//
// The options are those of an incremental crawl with small caps, so the
// since filter, the entry cap and the decoded-bytes cap are all reachable:
// since 2017-10-01, at most 200 entries, at most 1 MiB of XML.
//
// Invariants: discovery_check.h (every entry an absolute http(s) URL without
// fragment, titles and warnings valid UTF-8, caps and the since filter
// honoured).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "discovery_check.h"
#include "newshound/discovery.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const newshound::discovery::DiscoveryOptions kOptions = [] {
    newshound::discovery::DiscoveryOptions options;
    options.since_ms = 1506816000000;  // 2017-10-01T00:00:00Z
    options.max_entries = 200;
    options.max_decoded_bytes = 1 << 20;
    return options;
  }();
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto result =
      newshound::discovery::ParseDiscoveryDocument(body, "https://www.example.test/sitemaps/sitemap.xml", kOptions);
  newshound::fuzz::CheckDiscoveryResult(result, kOptions);
  return 0;
}
