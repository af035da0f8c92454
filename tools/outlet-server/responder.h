// The seam between outlet-server's connection handling and what it answers.
//
// A session reads a request, asks its Responder for a Reply and carries the
// Reply out: it fills in the protocol framing (version, keep-alive,
// Content-Length, and Date and Server unless the reply has them) and strips
// the body for HEAD. The document root is served by FileResponder; fault
// injection decorates it (ScriptedResponder, for --respond), using the
// Reply's action for what is not a response (closing, stalling).

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_RESPONDER_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_RESPONDER_H_

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "generated_body.h"

namespace newshound::outlet {

namespace http = boost::beast::http;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// What a responder sees of a request.
struct RequestInfo {
  const Request& message;
  std::string_view scheme;  // "http" or "https"
  std::uint64_t connection_id = 0;
};

// What the session does.
struct Reply {
  enum class Action {
    kRespond,  // send `response` (as `wire` says)
    kClose,    // close the connection without answering
    kStall,    // never answer; keep reading (and discarding) until the
               // client closes or the server stops
    kGzipZeros,  // send `response`'s status and headers, then a gzip of
                 // `gzip_zeros` zero bytes generated while it is sent
                 // (chunked), and close (--bomb)
    kReset,      // reset the connection (RST) without answering
    kGenerated,  // send `response`'s status and headers with Content-Length
                 // `generated->size()`, then `generated`, piece by piece
  };
  // How a kRespond response goes on the wire: whole, or broken on purpose
  // (the --respond faults, see ScriptStep::Kind). The session frames the
  // response first either way, so the headers are the ones a whole
  // response would have.
  enum class Wire {
    kWhole,
    kDrip,       // whole, but `drip_rate` bytes per second
    kShort,      // headers, the first half of the body, then close (FIN)
    kResetBody,  // headers, the first half of the body, then reset (RST)
    kBadChunk,   // chunked, the second chunk's size line "zz", then close
    kBadHeader,  // with a header line without a colon
  };
  Action action = Action::kRespond;
  Wire wire = Wire::kWhole;
  // Status, headers and the full body. Protocol framing headers are set by
  // the session and need not be present. 1xx, 204 and 304 get no body and
  // no Content-Length.
  Response response;
  // Waited before sending (or closing), in addition to the server-wide
  // --delay-ms.
  std::chrono::milliseconds delay{0};
  // kGzipZeros: the decoded size of the body.
  std::uint64_t gzip_zeros = 0;
  // Wire::kDrip: bytes per second, at least 1.
  std::uint64_t drip_rate = 1;
  // kGenerated: the body.
  std::optional<GeneratedBody> generated;
};

class Responder {
 public:
  virtual ~Responder() = default;
  // Must not throw; an exception is answered with 500 by the session anyway.
  virtual Reply Respond(const RequestInfo& request) = 0;
};

struct FileResponderOptions {
  std::filesystem::path root;
  // When false, HTML and XML are served without a charset parameter.
  bool declare_charset = true;
};

// Serves the files under a document root; GET and HEAD only.
class FileResponder final : public Responder {
 public:
  explicit FileResponder(FileResponderOptions options);
  Reply Respond(const RequestInfo& request) override;

 private:
  FileResponderOptions options_;
};

// The path of an origin-form request target ("/a/b?q" -> "/a/b"), or of an
// absolute-form one ("http://host/a?q" -> "/a"), not decoded; nullopt for
// anything else ("*", junk).
std::optional<std::string_view> TargetPath(std::string_view target);

// Percent-decodes a URL path; nullopt for a malformed escape.
std::optional<std::string> PercentDecode(std::string_view text);

// A small HTML page for error and redirect responses. Status codes Beast has
// no reason phrase for get "Unknown".
Reply HtmlStatusReply(http::status status, std::string_view detail = {});

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_RESPONDER_H_
