#include "scripted_responder.h"

#include <boost/beast/http/field.hpp>
#include <functional>
#include <optional>
#include <set>
#include <string_view>

namespace newshound::outlet {

ScriptedResponder::ScriptedResponder(std::vector<ScriptRule> rules,
                                     Responder& fallback)
    : rules_(std::move(rules)), fallback_(fallback) {}

std::size_t ScriptedResponder::NextIndex(std::size_t rule,
                                         const std::string& host) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t& count = counters_[{rule, host}];
  std::size_t index = count;
  // Past the end every index means the same; do not count forever.
  if (count <= rules_[rule].steps.size()) ++count;
  return index;
}

Reply ScriptedResponder::Respond(const RequestInfo& request) {
  std::optional<std::string_view> path =
      TargetPath(request.message.target());
  if (!path) return fallback_.Respond(request);
  std::string host = HostWithoutPort(request.message[http::field::host]);
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if (!rules_[i].Matches(host, *path)) continue;
    const ScriptStep* step = rules_[i].StepAt(NextIndex(i, host));
    if (step == nullptr) return fallback_.Respond(request);
    switch (step->kind) {
      case ScriptStep::Kind::kStatus:
        return StatusStepReply(*step);
      case ScriptStep::Kind::kClose: {
        Reply reply;
        reply.action = Reply::Action::kClose;
        return reply;
      }
      case ScriptStep::Kind::kStall: {
        Reply reply;
        reply.action = Reply::Action::kStall;
        return reply;
      }
      case ScriptStep::Kind::kServe: {
        Reply reply = fallback_.Respond(request);
        if (reply.action == Reply::Action::kRespond) {
          ApplyStepHeaders(step->headers, reply.response);
        }
        return reply;
      }
    }
  }
  return fallback_.Respond(request);
}

void ApplyStepHeaders(
    const std::vector<std::pair<std::string, std::string>>& headers,
    Response& response) {
  // The first field of a name replaces the default (Content-Type, say);
  // further ones of the same name are added beside it.
  std::set<std::string, std::less<>> seen;
  for (const auto& [name, value] : headers) {
    std::string lower;
    for (char c : name) lower += (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
    if (seen.insert(lower).second) {
      response.set(name, value);
    } else {
      response.insert(name, value);
    }
  }
}

Reply StatusStepReply(const ScriptStep& step) {
  auto status = static_cast<http::status>(step.status);
  Reply reply = HtmlStatusReply(status);
  if (status == http::status::no_content ||
      status == http::status::not_modified) {
    reply.response.body().clear();
    reply.response.erase(http::field::content_type);
  }
  ApplyStepHeaders(step.headers, reply.response);
  return reply;
}

}  // namespace newshound::outlet
