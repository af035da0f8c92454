// Fuzz target: the URL module (newshound/url.h): the WHATWG parser, link
// resolution, the normal form of the seen set, registrable domains.
//
// Input: "REF" or "REF\nBASE". REF is parsed alone, parsed and resolved
// against BASE (default https://www.example.test/news/world/page.html?id=1#top),
// and normalized with the default and with sorting, dropping options.
//
// Invariants besides "no crash": what the crawler relies on to deduplicate
// and to fetch.
//  - ParseUrl of an http(s) URL is idempotent (its output parses to itself).
//  - A resolved link is an absolute http(s) URL that ParseHttpUrl accepts
//    (every entry point refuses the same URLs: port 0 was one that
//    ResolveUrl took and ParseHttpUrl did not), without fragment, that
//    resolves to itself again and normalizes; a normal form too.
//  - NormalizeUrl is idempotent: the normal form of a normal form is itself.
//  - ParseHttpUrl gives a non-zero port and a target starting with '/'.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "newshound/url.h"

namespace {

using newshound::fuzz::Quote;

bool IsHttpUrl(std::string_view url) { return url.starts_with("http://") || url.starts_with("https://"); }

void CheckNormalForm(std::string_view url, const newshound::NormalizeOptions& options) {
  auto normal = newshound::NormalizeUrl(url, options);
  if (!normal.ok()) return;
  FUZZ_CHECK(newshound::ParseHttpUrl(*normal).ok(), Quote(url) + " -> " + Quote(*normal));
  auto again = newshound::NormalizeUrl(*normal, options);
  FUZZ_CHECK(again.ok() && *again == *normal,
             Quote(url) + " -> " + Quote(*normal) + " -> " + (again.ok() ? Quote(*again) : again.status().message()));
}

void CheckParts(std::string_view url) {
  auto parts = newshound::ParseHttpUrl(url);
  if (!parts.ok()) return;
  FUZZ_CHECK(parts->port != 0, Quote(url));
  FUZZ_CHECK(!parts->target.empty() && parts->target[0] == '/', Quote(url) + " target " + Quote(parts->target));
  FUZZ_CHECK(parts->scheme == "http" || parts->scheme == "https", Quote(url));
  (void)newshound::OriginKey(*parts);
  const std::string domain = newshound::RegistrableDomain(parts->host);
  FUZZ_CHECK(parts->host.empty() || !domain.empty(), Quote(parts->host));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view ref = input;
  std::string_view base = "https://www.example.test/news/world/page.html?id=1#top";
  if (const size_t newline = input.find('\n'); newline != std::string_view::npos) {
    ref = input.substr(0, newline);
    base = input.substr(newline + 1);
  }

  static const newshound::NormalizeOptions kDefaults;
  static const newshound::NormalizeOptions kSorting = [] {
    newshound::NormalizeOptions options;
    options.drop_query_params = {"utm_*", "*session*", "s*d", "*"};
    options.sort_query = true;
    return options;
  }();
  static const newshound::NormalizeOptions kKeepAll = [] {
    newshound::NormalizeOptions options;
    options.drop_query_params.clear();
    options.sort_query = true;
    return options;
  }();

  for (std::string_view text : {ref, base}) {
    if (auto parsed = newshound::ParseUrl(text); parsed.ok() && IsHttpUrl(*parsed)) {
      auto again = newshound::ParseUrl(*parsed);
      FUZZ_CHECK(again.ok() && *again == *parsed,
                 Quote(text) + " -> " + Quote(*parsed) + " -> " + (again.ok() ? Quote(*again) : again.status().message()));
    }
    CheckParts(text);
    CheckNormalForm(text, kDefaults);
    CheckNormalForm(text, kSorting);
    CheckNormalForm(text, kKeepAll);
  }

  (void)newshound::ParseUrl(ref, base);
  auto resolved = newshound::ResolveUrl(base, ref);
  if (resolved.ok()) {
    const std::string detail = Quote(ref) + " against " + Quote(base) + " -> " + Quote(*resolved);
    FUZZ_CHECK(IsHttpUrl(*resolved), detail);
    FUZZ_CHECK(resolved->find('#') == std::string::npos, detail);
    FUZZ_CHECK(newshound::ParseHttpUrl(*resolved).ok(), detail);
    auto again = newshound::ResolveUrl(base, *resolved);
    FUZZ_CHECK(again.ok() && *again == *resolved, detail + " -> " + (again.ok() ? Quote(*again) : again.status().message()));
    FUZZ_CHECK(newshound::NormalizeUrl(*resolved).ok(), detail);
    CheckParts(*resolved);
    CheckNormalForm(*resolved, kDefaults);
  }
  return 0;
}
