// Locale-independent time formatting for HTTP headers and the request log.

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_TIME_FORMAT_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_TIME_FORMAT_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace newshound::outlet {

// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7).
std::string FormatHttpDate(std::chrono::system_clock::time_point time);

// Parses an IMF-fixdate as FormatHttpDate writes it (the only form RFC 9110
// requires a recipient of If-Modified-Since to accept from a client that
// got it from us); nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text);

// ISO 8601 UTC with milliseconds, e.g. "2024-05-01T12:34:56.789Z".
std::string FormatIsoUtcMillis(std::chrono::system_clock::time_point time);

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_TIME_FORMAT_H_
