// Character sets: finding what a document is encoded in, and turning it into
// valid UTF-8 for plugins.
//
// Detection order: the Content-Type header's charset, a byte order mark, a
// <meta charset> / http-equiv declaration (HTML) or the XML declaration
// within the first 1024 bytes, then the caller's default. Names follow the
// WHATWG Encoding Standard's labels (iso-8859-1 is read as windows-1252).
//
// Thread safety: free functions.
#ifndef NEWSHOUND_CHARSET_H_
#define NEWSHOUND_CHARSET_H_

#include <string>
#include <string_view>

#include "newshound/status.h"

namespace newshound {

struct CharsetGuess {
  std::string charset;  // canonical lower-case name, e.g. "utf-8", "windows-1256"
  std::string source;   // "header", "bom", "meta", "xml" or "default"
};

CharsetGuess DetectCharset(std::string_view content_type, std::string_view body,
                           std::string_view fallback = "utf-8");

// Converts `body` from `charset` to UTF-8. A leading BOM is dropped; bytes
// that are invalid in the charset become U+FFFD, so the result is always
// valid UTF-8. An unknown charset is an error.
Result<std::string> DecodeToUtf8(std::string_view body, std::string_view charset);

bool IsValidUtf8(std::string_view text);

}  // namespace newshound

#endif  // NEWSHOUND_CHARSET_H_
