// Content-Type selection for outlet-server: by file extension, with the
// charset of HTML and XML documents taken from the documents themselves so
// that a test site can mimic an outlet that serves windows-1256 pages with a
// matching header (or, with --no-charset, one that leaves the header out).

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_CONTENT_TYPE_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_CONTENT_TYPE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace newshound::outlet {

// How far into a document the charset declaration is looked for; HTML's
// prescan uses 1024 bytes, we are a bit more generous.
inline constexpr std::size_t kCharsetSniffBytes = 2048;

// The Content-Type header for a file named `file_name` with content `body`.
// html/htm get text/html and xml/rss application/xml resp.
// application/rss+xml, each with "; charset=X" from the document's own
// declaration when `declare_charset` is true and a declaration is found;
// txt always gets "; charset=utf-8"; unknown extensions
// application/octet-stream.
std::string ContentTypeFor(std::string_view file_name, std::string_view body,
                           bool declare_charset);

// The charset of an HTML document from <meta charset=...> or
// <meta http-equiv="Content-Type" content="...; charset=...">, looking at the
// first kCharsetSniffBytes only, lower-cased; empty when there is none (or it
// is not a plausible charset name).
std::string SniffHtmlCharset(std::string_view document);

// The encoding from an XML declaration <?xml ... encoding="..."?> at the
// start of the document (after an optional BOM), lower-cased; empty if none.
std::string SniffXmlEncoding(std::string_view document);

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_CONTENT_TYPE_H_
