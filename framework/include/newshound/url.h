// URL handling for the crawler: parsing, resolving links against a base,
// and the normal form used to deduplicate.
//
// URLs are parsed as browsers parse them, by the WHATWG URL Standard's
// basic URL parser (https://url.spec.whatwg.org/): surrounding C0 controls
// and spaces trimmed, tabs and newlines removed, backslashes read as
// slashes in special URLs, "." and ".." segments (also as %2e) resolved,
// IPv4 hosts in any of their forms (0x7f.1, 127.1, 2130706433) and IPv6
// hosts serialized canonically, international domain names converted to
// Punycode (UTS #46, by libidn2). docs/urls.md says what of the standard is
// implemented and what not. Only absolute http and https URLs are accepted
// as crawl targets.
//
// Thread safety: free functions over values; safe to call from any thread.
// Each thread keeps one parsed URL record (and the last base it parsed) for
// reuse, so parsing allocates little more than the string it returns.
#ifndef NEWSHOUND_URL_H_
#define NEWSHOUND_URL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "newshound/status.h"

namespace newshound {

// Parses `input` with the WHATWG basic URL parser, against `base` when one
// is given (itself parsed without a base), and returns the URL's WHATWG
// serialization, fragment included: any scheme ("mailto:a@b.test",
// "data:,x", "file:///C:/x"), exactly as a browser's `new URL(input, base)`
// gives it. Errors name the input (or the base) and say what failed.
Result<std::string> ParseUrl(std::string_view input, std::string_view base = {});

// The parts of an absolute http(s) URL the crawler routes on.
struct UrlParts {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // as ParseUrl serializes it (lower case, Punycode, IPv4 dotted), without brackets for IPv6
  uint16_t port = 0;   // explicit port, or the scheme's default
  std::string target;  // path plus "?query", never empty ("/" at least)
  // The URL had a user name or password ("https://user:pass@host/"). They
  // are in no field above: a request never sends them.
  bool has_userinfo = false;
};

// Parses an absolute http(s) URL (as ParseUrl does; the target has a '%'
// that starts no escape written as %25). Port 0 is refused.
Result<UrlParts> ParseHttpUrl(std::string_view url);

// Resolves `ref` (as found in an href) against the absolute http(s) `base`,
// as a browser follows a link. The result is an absolute http(s) URL without
// fragment, serialized as ParseUrl does except that a '%' that starts no
// escape is written %25 (request targets must be valid RFC 3986, and
// servers answer 400 to a bare '%'). Errors name the reference, with any
// user name and password masked (RedactUrl, redact.h), as all errors here do.
Result<std::string> ResolveUrl(std::string_view base, std::string_view ref);

// How NormalizeUrl treats query parameters, beyond the structural normal
// form. Config: `url_normalization:` (crawler-wide, and per site).
struct NormalizeOptions {
  // drop_query_params: query parameters removed, by name. Each pattern is a
  // glob where '*' matches any run of characters, compared ASCII
  // case-insensitively with the name (after percent-encoding is
  // normalized). A path parameter of that name (";jsessionid=..." in a
  // segment) is removed too. Default: utm_*, fbclid and gclid, which only
  // ever track clicks; session ids ("sid", "PHPSESSID", "jsessionid") are
  // not dropped by default because some sites use such names for content.
  std::vector<std::string> drop_query_params = {"utm_*", "fbclid", "gclid"};
  // sort_query: sort the remaining parameters by name (stable: parameters of
  // one name keep their order). Default false: the normal form is also the
  // URL the crawler fetches, and some servers read parameters in order.
  bool sort_query = false;
};

// The form used for the seen set, and fetched: parsed as ResolveUrl's
// result is (scheme and host lower case, default port dropped, dot segments
// removed), without user name and password (never sent, and never to be
// logged or recorded), then percent-encoding normalized (escapes of ALPHA,
// DIGIT, '-', '.', '_' and '~' decoded, the hex of the others upper-cased, a
// bare '%' written %25), the fragment dropped, the query rewritten per `options`
// (empty parameters, "a&&b", dropped), and an empty query ("?") dropped.
Result<std::string> NormalizeUrl(std::string_view url, const NormalizeOptions& options);
// The same with the default NormalizeOptions.
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
