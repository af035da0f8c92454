#include "compressing_responder.h"

#include <boost/beast/http/field.hpp>
#include <optional>
#include <string>
#include <utility>

namespace newshound::outlet {
namespace {

bool HasBody(unsigned status) {
  return !(status / 100 == 1 || status == 204 || status == 304);
}

}  // namespace

CompressingResponder::CompressingResponder(std::vector<Coding> codings,
                                           Responder& inner)
    : codings_(std::move(codings)), inner_(inner) {}

Reply CompressingResponder::Respond(const RequestInfo& request) {
  Reply reply = inner_.Respond(request);
  Response& response = reply.response;
  if (reply.action != Reply::Action::kRespond ||
      !HasBody(response.result_int()) ||
      !IsCompressibleType(response[http::field::content_type])) {
    return reply;
  }
  // Caches must key this response on Accept-Encoding, even when this
  // request got it uncompressed.
  std::string vary(response[http::field::vary]);
  vary += vary.empty() ? "Accept-Encoding" : ", Accept-Encoding";
  response.set(http::field::vary, vary);
  if (response.find(http::field::content_encoding) != response.end()) {
    return reply;
  }
  const Coding* coding =
      ChooseCoding(request.message[http::field::accept_encoding], codings_);
  if (coding == nullptr) return reply;
  std::optional<std::string> compressed = Compress(response.body(), *coding);
  if (!compressed) return reply;  // served uncompressed rather than not at all
  response.body() = std::move(*compressed);
  response.set(http::field::content_encoding, coding->label);
  return reply;
}

BombResponder::BombResponder(std::vector<BombRule> rules, Responder& inner)
    : rules_(std::move(rules)), inner_(inner) {}

Reply BombResponder::Respond(const RequestInfo& request) {
  const http::verb method = request.message.method();
  std::optional<std::string_view> path = TargetPath(request.message.target());
  if (!path || (method != http::verb::get && method != http::verb::head)) {
    return inner_.Respond(request);
  }
  for (const BombRule& rule : rules_) {
    if (*path != rule.path) continue;
    Reply reply;
    reply.action = Reply::Action::kGzipZeros;
    reply.gzip_zeros = rule.decoded_size;
    reply.response.result(http::status::ok);
    reply.response.set(http::field::content_type, "text/html; charset=utf-8");
    reply.response.set(http::field::content_encoding, "gzip");
    return reply;
  }
  return inner_.Respond(request);
}

}  // namespace newshound::outlet
