// Fuzz target: RSS (0.9x, 1.0, 2.0) and Atom feeds (newshound/discovery.h,
// ParseDiscoveryDocument) as fetched from a fixed URL, with default options
// (no since filter) but a 1 MiB cap; and the byte-level XML input filter
// that repairs bare '&' before libxml2 sees the text
// (discovery/internal.h, XmlInputFilter).
//
// Invariants: discovery_check.h for the result; for the filter, that it is
// a streaming filter (the input fed in pieces of any size gives the same
// output, repairs and stop as fed whole) that only ever inserts "amp;"
// after a '&' (output size = input size + 4 x repairs, unless it stopped).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "discovery/internal.h"
#include "discovery_check.h"
#include "newshound/discovery.h"

namespace {

using newshound::discovery::internal::XmlInputFilter;

struct Filtered {
  std::string out;
  int64_t repaired = 0;
  bool stopped = false;
};

// Pieces of 1..64 bytes, sizes from a fixed pseudo-random sequence.
Filtered FilterInPieces(std::string_view in, bool split) {
  XmlInputFilter filter;
  Filtered result;
  uint32_t state = 0x9e3779b9u ^ static_cast<uint32_t>(in.size());
  for (size_t pos = 0; pos < in.size();) {
    size_t n = in.size() - pos;
    if (split) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      n = std::min<size_t>(n, 1 + state % 64);
    }
    filter.Feed(in.substr(pos, n), &result.out);
    pos += n;
  }
  filter.Finish(&result.out);
  result.repaired = filter.repaired();
  result.stopped = filter.stopped();
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const newshound::discovery::DiscoveryOptions kOptions = [] {
    newshound::discovery::DiscoveryOptions options;
    options.max_decoded_bytes = 1 << 20;
    return options;
  }();
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto result = newshound::discovery::ParseDiscoveryDocument(body, "https://www.example.test/news/rss.xml", kOptions);
  newshound::fuzz::CheckDiscoveryResult(result, kOptions);

  const Filtered whole = FilterInPieces(body, false);
  const Filtered pieces = FilterInPieces(body, true);
  FUZZ_CHECK(whole.out == pieces.out, "whole " + newshound::fuzz::Quote(whole.out.substr(0, 300)) + "\n  pieces " +
                                          newshound::fuzz::Quote(pieces.out.substr(0, 300)));
  FUZZ_CHECK(whole.repaired == pieces.repaired && whole.stopped == pieces.stopped);
  if (!whole.stopped) {
    FUZZ_CHECK(whole.out.size() == body.size() + 4 * static_cast<size_t>(whole.repaired),
               std::to_string(whole.out.size()) + " != " + std::to_string(body.size()) + " + 4 x " +
                   std::to_string(whole.repaired));
  }
  return 0;
}
