// newshound plugin SDK: links found in pages.
//
// Thread safety: free functions over values.
#ifndef NEWSHOUND_PLUGIN_LINKS_H_
#define NEWSHOUND_PLUGIN_LINKS_H_

#include <optional>
#include <string>
#include <string_view>

namespace newshound::sdk {

// Resolves an href found on the page at `page_url` to an absolute http(s)
// URL without fragment, cleaning it the way browsers do (surrounding
// whitespace, tabs and newlines dropped, backslashes read as slashes,
// spaces and non-ASCII percent-encoded). Returns nullopt for links that
// lead nowhere worth fetching: empty or fragment-only hrefs ("#",
// "#top"), which point back at the same page, other schemes (javascript:,
// mailto:, tel:, data:, ftp:, ...), and anything unparsable. Also nullopt
// when `page_url` itself is not an absolute http(s) URL.
std::optional<std::string> ResolveLink(std::string_view page_url, std::string_view href);

// The path of an absolute http(s) URL, without query and fragment, as it
// appears in the URL (percent-encoding kept): "/news/a-1.html". "/" for an
// empty path; "" when `url` is not an absolute http(s) URL.
std::string PathOf(std::string_view url);

// The host of an absolute http(s) URL, lower case, without port:
// "en.almaghribtoday.test". "" when `url` is not an absolute http(s) URL.
std::string HostOf(std::string_view url);

// "scheme://host[:port]" of an absolute http(s) URL, the port only when it
// is not the scheme's default. "" when `url` is not an absolute http(s) URL.
std::string OriginOf(std::string_view url);

}  // namespace newshound::sdk

#endif  // NEWSHOUND_PLUGIN_LINKS_H_
