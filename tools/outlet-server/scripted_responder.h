// ScriptedResponder: plays back --respond scripts (script.h) in front of
// another responder, normally the FileResponder.

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_SCRIPTED_RESPONDER_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_SCRIPTED_RESPONDER_H_

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "responder.h"
#include "script.h"

namespace newshound::outlet {

// A request is matched against the rules in order; the first rule that
// matches decides. Its steps are used one per request, counted separately
// for each (Host without port, rule); when the script is used up (and did
// not end in "..." or "~"), or the step is "serve", `fallback` answers (and
// the faults built on serve break what it answered). Requests no
// rule matches go to `fallback` directly. Thread-safe if `fallback` is.
class ScriptedResponder final : public Responder {
 public:
  // `fallback` must outlive this.
  ScriptedResponder(std::vector<ScriptRule> rules, Responder& fallback);
  Reply Respond(const RequestInfo& request) override;

 private:
  // The number of earlier requests `rule` saw from `host`; counts this one.
  std::size_t NextIndex(std::size_t rule, const std::string& host);

  const std::vector<ScriptRule> rules_;
  Responder& fallback_;
  std::mutex mutex_;
  std::map<std::pair<std::size_t, std::string>, std::size_t> counters_;
};

// Sets a step's +Name:Value headers on `response`: the first of a name
// replaces the field, further ones are added beside it.
void ApplyStepHeaders(
    const std::vector<std::pair<std::string, std::string>>& headers,
    Response& response);

// The reply for a status step: the status, a short HTML page (none for 204
// and 304) and the step's headers.
Reply StatusStepReply(const ScriptStep& step);

// The reply for a step that serves the request (serve, and the faults built
// on it: reset-body, short, drip, bad-chunk, bad-header, bad-charset):
// `served`, what the fallback answered, with the step's wire or body fault
// and then its headers. A reply that is not a response is left alone.
Reply ServedStepReply(const ScriptStep& step, Reply served);

// The reply for huge, bomb and deep: 200, text/html; charset=utf-8, the
// generated body (bomb: Content-Encoding: gzip), then the step's headers.
Reply GeneratedStepReply(const ScriptStep& step);

// What bad-charset inserts: invalid UTF-8 of five kinds, each between
// brackets: a lead byte before a non-continuation (C3 28), a byte never
// valid (FF), an overlong "/" (C0 AF), a UTF-16 surrogate (ED A0 80, U+D800)
// and a sequence cut short (E2 82).
inline constexpr std::string_view kInvalidUtf8Paragraph =
    "<p>Invalid UTF-8: [\xC3\x28] [\xFF] [\xC0\xAF] [\xED\xA0\x80] "
    "[\xE2\x82]</p>\n";

// bad-charset: kInvalidUtf8Paragraph inserted right after the body's
// <body ...> tag (case-insensitive; at the start when there is none), the
// Content-Type's charset set to utf-8 (its media type kept, text/html when
// there is none) and the ETag dropped. Bodiless statuses are left alone.
void InsertInvalidUtf8(Response& response);

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_SCRIPTED_RESPONDER_H_
