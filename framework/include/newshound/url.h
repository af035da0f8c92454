// URL handling for the crawler: parsing, resolving links against a base,
// and the normal form used to deduplicate.
//
// Built on Boost.URL (RFC 3986) with the browser-compatible clean-ups that
// real HTML needs before parsing (surrounding whitespace trimmed, tabs and
// newlines removed, backslashes read as slashes in http(s) URLs). Only
// absolute http and https URLs are accepted as crawl targets.
//
// Thread safety: free functions over values.
#ifndef NEWSHOUND_URL_H_
#define NEWSHOUND_URL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "newshound/status.h"

namespace newshound {

// The parts of an absolute http(s) URL the crawler routes on.
struct UrlParts {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // lower case, without brackets for IPv6
  uint16_t port = 0;   // explicit port, or the scheme's default
  std::string target;  // path plus "?query", never empty ("/" at least)
};

// Parses an absolute http(s) URL.
Result<UrlParts> ParseHttpUrl(std::string_view url);

// Resolves `ref` (as found in an href) against the absolute `base`. The result
// is absolute and has no fragment. Errors name the reference.
Result<std::string> ResolveUrl(std::string_view base, std::string_view ref);

// The form used for the seen set: scheme and host lower case, default port
// dropped, dot segments removed, percent-encoding normalized, fragment
// dropped, empty path as "/".
Result<std::string> NormalizeUrl(std::string_view url);

// The registrable domain of a host ("news.bbc.co.uk" -> "bbc.co.uk") from
// the public suffix list (libpsl); the host itself for IP addresses and
// hosts that have none (e.g. "localhost").
std::string RegistrableDomain(std::string_view host);

// "https://host:port" as the origin key for connections and politeness
// (default ports included, so equal origins have equal keys).
std::string OriginKey(const UrlParts& parts);

}  // namespace newshound

#endif  // NEWSHOUND_URL_H_
