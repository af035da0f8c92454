// Scripted responses for outlet-server (--respond), parsed into a table of
// rules that ScriptedResponder (scripted_responder.h) plays back.
//
// Grammar of one --respond argument:
//
//   SPEC    = PATTERN "=" STEP *( "," STEP ) [ "," ( "..." / "~" ) ]
//   PATTERN = [ HOST "@" ] PATH [ "*" ]
//   STEP    = STATUS *HEADER / "serve" *HEADER
//           / "close" / "stall" / "reset"
//           / ( "reset-body" / "short" / "drip" [ ":" RATE ]
//             / "bad-chunk" / "bad-header" / "bad-charset" ) *HEADER
//           / ( "huge:" SIZE / "bomb:" SIZE / "deep:" DEPTH ) *HEADER
//   HEADER  = "+" NAME ":" VALUE
//
// * PATH starts with "/" and is compared with the request path as sent (as
//   in the request log's target), without query or fragment: exact, or as a
//   prefix when followed by "*". It holds no "?", "#", spaces or non-ASCII
//   (write percent-escapes as the client sends them).
// * HOST limits the rule to requests whose Host header, without port, is
//   HOST (case-insensitive): a DNS name or IPv4 address, or [IPv6].
// * STATUS is 200-599. NAME is an HTTP token; VALUE is trimmed of spaces and
//   tabs. Content-Length, Transfer-Encoding and Connection are the server's.
// * RATE (bytes per second, default 1) and SIZE are bytes or a number with
//   KiB, MiB or GiB (ParseByteSize); RATE is 1 to 1GiB. DEPTH is 1 to
//   1000000000, decimal.
// * "..." repeats the step before it forever; "~" starts the script again
//   from its first step. Either ends the script and cannot be its only step.
// * Spaces and tabs around a step are ignored.
// * A backslash makes the next character literal: "\," and "\+" in a header
//   value (an HTTP-date needs "\,"), "\=" in a path, "\*" for a path that
//   ends in a literal star, "\\" for a backslash.
//
// What each step does on the wire is documented with ScriptStep::Kind, and
// for users in README.md and the --help text.

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_SCRIPT_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_SCRIPT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace newshound::outlet {

struct ScriptStep {
  enum class Kind {
    kStatus,  // answer with `status`, `headers` and a short HTML body
    kClose,   // close the connection without answering
    kStall,   // never answer; keep the connection open
    kServe,   // serve the request normally, with `headers` set on it
    kReset,   // reset the connection (RST) without answering
    // The rest send what kServe would, with `headers` set on it, and break
    // it on the way (Reply::Wire):
    kResetBody,   // the headers and the first half of the body, then RST
    kShort,       // the headers and the first half of the body, then FIN
    kDrip,        // all of it, `amount` bytes per second
    kBadChunk,    // chunked, the second chunk's size line "zz"
    kBadHeader,   // with a header line that has no colon
    kBadCharset,  // declared UTF-8, with invalid UTF-8 in the body
    // Generated 200 responses, with `headers` set on them:
    kHuge,  // an identity text/html body of `amount` bytes
    kBomb,  // a gzip of `amount` zero bytes, as --bomb sends
    kDeep,  // an HTML page of `amount` nested <div>s
  };
  Kind kind = Kind::kServe;
  unsigned status = 0;
  // kDrip: bytes per second; kHuge, kBomb: bytes; kDeep: nesting depth.
  std::uint64_t amount = 0;
  // In order; a repeated name adds another field of that name.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct ScriptRule {
  std::string spec;  // the argument as given, for messages
  std::string host;  // lower-case; empty: any host
  std::string path;  // exact path, or the prefix when `prefix`
  bool prefix = false;
  std::vector<ScriptStep> steps;  // at least one
  bool repeat_last = false;       // the script ended in "..."
  bool loop = false;              // the script ended in "~"

  // Whether the rule applies to a request for `path` (as sent, no query)
  // with Host `host` (lower-case, no port).
  bool Matches(std::string_view host, std::string_view path) const;
  // The step for the rule's `index`-th request (0-based); nullptr once the
  // script is used up (the request is then served normally). A looping
  // script is never used up.
  const ScriptStep* StepAt(std::size_t index) const;
};

// Parses one --respond argument; nullopt with `error` set (a message that
// does not repeat the argument) when it is malformed.
std::optional<ScriptRule> ParseScriptRule(std::string_view spec,
                                          std::string& error);

// A Host header value reduced to what HOST in a pattern is compared with:
// port removed, lower-cased ("News.Test:8080" -> "news.test",
// "[::1]:80" -> "[::1]").
std::string HostWithoutPort(std::string_view host_header);

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_SCRIPT_H_
