// The bytes of a response that a --respond fault breaks on the wire
// (Reply::Wire): what the session writes, and how the connection ends after
// them. Kept apart from the session so the exact bytes are plain data.

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_WIRE_FAULT_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_WIRE_FAULT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "responder.h"

namespace newshound::outlet {

// The header line bad-header puts right after the status line: no colon,
// and spaces where a field name would be.
inline constexpr std::string_view kBadHeaderLine =
    "Bad header line without colon";
// The chunk size line bad-chunk sends for its second chunk: not hex.
inline constexpr std::string_view kBadChunkSizeLine = "zz";

struct FaultyWire {
  enum class End {
    kKeepAlive,  // as the response says: the next request, or close
    kClose,      // close (FIN, after TLS close_notify)
    kReset,      // reset (RST)
  };
  std::string bytes;  // from the status line on
  // Body bytes among `bytes` (chunk framing not counted), for the log.
  std::uint64_t body_bytes = 0;
  End end = End::kKeepAlive;
};

// `response` as the session framed it for sending (version, keep-alive,
// Content-Length or none, body already empty for HEAD and bodiless
// statuses), broken as `wire` says; `head`: the request was HEAD.
// * kWhole, kDrip: unchanged (the session paces a drip).
// * kShort, kResetBody: the head and the first half (rounded down) of the
//   body, then close or reset.
// * kBadChunk: Content-Length replaced by "Transfer-Encoding: chunked"; the
//   first half of the body as one chunk (none when that is empty), then the
//   line "zz" where the second chunk's size belongs, the rest of the body,
//   "\r\n0\r\n\r\n", and close. A HEAD response is just its chunked head,
//   a bodiless one (1xx, 204, 304) its unchanged head, then close.
// * kBadHeader: kBadHeaderLine and CRLF right after the status line, the
//   rest whole.
FaultyWire MakeFaultyWire(Response response, Reply::Wire wire, bool head);

// The serialized status line and fields, with the blank line after them.
std::string HeadText(const Response& response);

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_WIRE_FAULT_H_
