// Decorators for compressed responses: CompressingResponder (--compress)
// compresses text responses per the request's Accept-Encoding;
// BombResponder (--bomb) answers chosen paths with a gzip bomb.

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_COMPRESSING_RESPONDER_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_COMPRESSING_RESPONDER_H_

#include <vector>

#include "compression.h"
#include "responder.h"

namespace newshound::outlet {

// Compresses what `inner` answers when it is text (IsCompressibleType) with
// a body: with the coding ChooseCoding picks from `codings` for the
// request's Accept-Encoding, and with "Vary: Accept-Encoding" whether or not
// this request got it compressed. A response that already has a
// Content-Encoding (a --respond step's) is left as it is. The session then
// sets Content-Length from the compressed body. Thread-safe if `inner` is.
class CompressingResponder final : public Responder {
 public:
  // `inner` must outlive this.
  CompressingResponder(std::vector<Coding> codings, Responder& inner);
  Reply Respond(const RequestInfo& request) override;

 private:
  const std::vector<Coding> codings_;
  Responder& inner_;
};

// Answers a GET or HEAD for a rule's path (as sent, without query) with 200,
// text/html, "Content-Encoding: gzip" and a streamed gzip of the rule's size
// of zeros (Reply::Action::kGzipZeros), whatever the request's
// Accept-Encoding: a hostile server does not ask. Other requests go to
// `inner`. Thread-safe if `inner` is.
class BombResponder final : public Responder {
 public:
  // `inner` must outlive this.
  BombResponder(std::vector<BombRule> rules, Responder& inner);
  Reply Respond(const RequestInfo& request) override;

 private:
  const std::vector<BombRule> rules_;
  Responder& inner_;
};

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_COMPRESSING_RESPONDER_H_
