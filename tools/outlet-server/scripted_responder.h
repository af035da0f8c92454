// ScriptedResponder: plays back --respond scripts (script.h) in front of
// another responder, normally the FileResponder.

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_SCRIPTED_RESPONDER_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_SCRIPTED_RESPONDER_H_

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "responder.h"
#include "script.h"

namespace newshound::outlet {

// A request is matched against the rules in order; the first rule that
// matches decides. Its steps are used one per request, counted separately
// for each (Host without port, rule); when the script is used up (and did
// not end in "..."), or the step is "serve", `fallback` answers. Requests no
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

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_SCRIPTED_RESPONDER_H_
