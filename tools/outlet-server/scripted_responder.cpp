#include "scripted_responder.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
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
  const std::size_t steps = rules_[rule].steps.size();
  if (rules_[rule].loop) {
    count = (count + 1) % steps;
  } else if (count <= steps) {
    // Past the end every index means the same; do not count forever.
    ++count;
  }
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
      case ScriptStep::Kind::kReset: {
        Reply reply;
        reply.action = Reply::Action::kReset;
        return reply;
      }
      case ScriptStep::Kind::kServe:
      case ScriptStep::Kind::kResetBody:
      case ScriptStep::Kind::kShort:
      case ScriptStep::Kind::kDrip:
      case ScriptStep::Kind::kBadChunk:
      case ScriptStep::Kind::kBadHeader:
      case ScriptStep::Kind::kBadCharset:
        return ServedStepReply(*step, fallback_.Respond(request));
      case ScriptStep::Kind::kHuge:
      case ScriptStep::Kind::kBomb:
      case ScriptStep::Kind::kDeep:
        return GeneratedStepReply(*step);
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

Reply ServedStepReply(const ScriptStep& step, Reply reply) {
  if (reply.action != Reply::Action::kRespond) return reply;
  switch (step.kind) {
    case ScriptStep::Kind::kResetBody:
      reply.wire = Reply::Wire::kResetBody;
      break;
    case ScriptStep::Kind::kShort:
      reply.wire = Reply::Wire::kShort;
      break;
    case ScriptStep::Kind::kDrip:
      reply.wire = Reply::Wire::kDrip;
      reply.drip_rate = step.amount;
      break;
    case ScriptStep::Kind::kBadChunk:
      reply.wire = Reply::Wire::kBadChunk;
      break;
    case ScriptStep::Kind::kBadHeader:
      reply.wire = Reply::Wire::kBadHeader;
      break;
    case ScriptStep::Kind::kBadCharset:
      InsertInvalidUtf8(reply.response);
      break;
    default:
      break;
  }
  ApplyStepHeaders(step.headers, reply.response);
  return reply;
}

Reply GeneratedStepReply(const ScriptStep& step) {
  Reply reply;
  reply.response.result(http::status::ok);
  reply.response.set(http::field::content_type, "text/html; charset=utf-8");
  switch (step.kind) {
    case ScriptStep::Kind::kBomb:
      // What --bomb sends, so a hostile server can be chosen per pattern.
      reply.action = Reply::Action::kGzipZeros;
      reply.gzip_zeros = step.amount;
      reply.response.set(http::field::content_encoding, "gzip");
      break;
    case ScriptStep::Kind::kDeep:
      reply.action = Reply::Action::kGenerated;
      reply.generated = DeepBody(step.amount);
      break;
    default:
      reply.action = Reply::Action::kGenerated;
      reply.generated = HugeBody(step.amount);
      break;
  }
  ApplyStepHeaders(step.headers, reply.response);
  return reply;
}

void InsertInvalidUtf8(Response& response) {
  const unsigned status = response.result_int();
  if (status / 100 == 1 || status == 204 || status == 304) return;
  std::string& body = response.body();
  // After the <body ...> tag, so it is text a parser reaches; at the start
  // when there is none.
  std::size_t at = 0;
  std::string lower;
  for (char c : body) lower += (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
  if (std::size_t tag = lower.find("<body"); tag != std::string::npos) {
    std::size_t end = body.find('>', tag);
    if (end != std::string::npos) at = end + 1;
  }
  body.insert(at, kInvalidUtf8Paragraph);
  std::string_view type = response[http::field::content_type];
  std::string media(type.substr(0, type.find(';')));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) {
    media.pop_back();
  }
  if (media.empty()) media = "text/html";
  response.set(http::field::content_type, media + "; charset=utf-8");
  // It validated the file's bytes, not these.
  response.erase(http::field::etag);
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
