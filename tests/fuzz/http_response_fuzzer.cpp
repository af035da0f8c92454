// Fuzz target: the HTTP response path, from the bytes a server sends to the
// UTF-8 text a plugin gets. The input is one raw HTTP/1.1 response (status
// line, header fields, body: Content-Length, chunked or read to EOF, in any
// Content-Encoding).
//
// It is what net/fetcher.cpp does with those bytes, step for step, minus the
// socket, with the project's own modules:
//  1. Boost.Beast's http::response_parser reads the header block (64 KiB
//     limit) and then the body, with a body type that hands every piece of
//     the body to a decode::ContentDecoder as it arrives (the fetcher's
//     own DecodingBody, net/decoding_body.h), reading as
//     http::async_read_header / async_read_some do
//     (need_more, put_eof at the end of the stream);
//  2. Set-Cookie fields go to a net::CookieJar; a redirect status with a
//     Location is decided by policy::DecideRedirect and its body drained as
//     the fetcher drains it;
//  3. the Content-Encoding list (every field, joined) is undone by
//     decode::ContentDecoder under max_body (1 MiB here);
//  4. the body is converted to UTF-8 as the engine does for a plugin:
//     DetectCharset on Content-Type and the body, DecodeToUtf8, and utf-8
//     as the fallback for an unknown charset.
//
// The response is read twice: in one piece, and in pieces of 1..512 bytes
// (sizes from a fixed pseudo-random sequence), as a network delivers it.
// Invariants besides "no crash": both reads end the same way, with the same
// status and the same decoded body (the parser and the decoder are
// streaming: the split must not matter); the decoded body is never over
// max_body; the text is valid UTF-8; a Cookie header has no CR or LF; a
// redirect that is followed goes to an absolute http(s) URL.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "decode/content_encoding.h"
#include "fuzz_check.h"
#include "net/cookie_jar.h"
#include "net/decoding_body.h"
#include "newshound/charset.h"
#include "newshound/url.h"
#include "policy/redirect_policy.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace decode = newshound::decode;
using newshound::fuzz::Quote;

constexpr uint64_t kMaxHeaderBytes = 64 * 1024;  // fetcher.cpp's kMaxHeaderBytes
constexpr uint64_t kMaxBody = 1 << 20;           // FetchLimits::max_body, smaller to keep bombs cheap
constexpr uint64_t kMaxDrain = 64 * 1024;        // fetcher.cpp's DrainRedirectBody
constexpr int kMaxRedirects = 5;
constexpr std::string_view kUrl = "https://www.example.test/news/world/story-1.html";

using newshound::net::DecodingBody;  // the fetcher's own body type
using Parser = http::response_parser<DecodingBody>;

// The network: the response in one piece, or in pieces.
class Source {
 public:
  Source(std::string_view data, bool split) : data_(data), split_(split), state_(0x2545F491u ^ data.size()) {}
  bool done() const { return pos_ == data_.size(); }
  std::string_view Next() {
    size_t n = data_.size() - pos_;
    if (split_) {
      state_ ^= state_ << 13;
      state_ ^= state_ >> 17;
      state_ ^= state_ << 5;
      // Mostly small pieces, now and then a large one.
      n = std::min<size_t>(n, state_ % 8 == 0 ? 1 + state_ % 512 : 1 + state_ % 16);
    }
    const std::string_view piece = data_.substr(pos_, n);
    pos_ += n;
    return piece;
  }

 private:
  std::string_view data_;
  bool split_;
  uint32_t state_;
  size_t pos_ = 0;
};

// http::read_some's loop (boost/beast/http/impl/read.hpp): parse what is
// buffered; on need_more read; at the end of the stream put_eof if the
// parser got anything, else end_of_stream. Repeats until `done()`.
template <class Done>
beast::error_code ReadUntil(Parser& parser, beast::flat_buffer& buffer, Source& source, Done done) {
  beast::error_code ec;
  while (!done()) {
    if (buffer.size() > 0) {
      const size_t used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (!ec) continue;
      if (ec != http::error::need_more) return ec;
      ec = {};
    }
    if (source.done()) {
      if (!parser.got_some()) return http::error::end_of_stream;
      parser.put_eof(ec);
      if (ec) return ec;
      if (!done()) return http::error::partial_message;
      continue;
    }
    const std::string_view piece = source.Next();
    auto space = buffer.prepare(piece.size());
    std::copy(piece.begin(), piece.end(), static_cast<char*>(space.data()));
    buffer.commit(piece.size());
  }
  return ec;
}

enum class End { kHeaderError, kRedirect, kRedirectNotDrained, kUnsupported, kBodyError, kDecodeError, kFetched };

struct Outcome {
  End end = End::kHeaderError;
  int status = 0;
  std::string body;
  decode::DecodeFailure failure = decode::DecodeFailure::kNone;
  std::string detail;
};

std::string Describe(const Outcome& o) {
  return "end " + std::to_string(static_cast<int>(o.end)) + " status " + std::to_string(o.status) + " failure " +
         std::to_string(static_cast<int>(o.failure)) + " body " + std::to_string(o.body.size()) + " bytes: " +
         o.detail;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

Outcome Fetch(std::string_view response, bool split) {
  Outcome outcome;
  Source source(response, split);
  beast::flat_buffer buffer;
  Parser parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(kMaxBody);

  if (auto ec = ReadUntil(parser, buffer, source, [&] { return parser.is_header_done(); })) {
    outcome.detail = ec.message();
    return outcome;
  }
  const auto& header = parser.get();
  outcome.status = static_cast<int>(header.result_int());

  // Cookies, stored before anything else as the fetcher does.
  static const auto url = *newshound::ParseHttpUrl(kUrl);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1507665840));
  newshound::net::CookieJar jar;
  for (const auto& field : header)
    if (field.name() == http::field::set_cookie) (void)jar.SetCookie(url, field.value(), now);
  const std::string cookies = jar.CookieHeader(url, now);
  FUZZ_CHECK(cookies.find_first_of("\r\n") == std::string::npos, Quote(cookies));

  std::string location;
  if (auto it = header.find(http::field::location); it != header.end()) location = std::string(it->value());
  if (newshound::policy::IsRedirectStatus(outcome.status) && !location.empty()) {
    const auto decision = newshound::policy::DecideRedirect({std::string(kUrl)}, location, kMaxRedirects);
    if (decision.follow) {
      FUZZ_CHECK(newshound::ParseHttpUrl(decision.target).ok(), Quote(location) + " -> " + Quote(decision.target));
      FUZZ_CHECK(decision.target.find('#') == std::string::npos, Quote(decision.target));
    }
    // DrainRedirectBody: a short, sized body is read with an identity decoder.
    outcome.end = End::kRedirectNotDrained;
    if (!parser.keep_alive()) return outcome;
    if (!parser.is_done()) {
      if (!parser.content_length() || *parser.content_length() > kMaxDrain) return outcome;
      decode::ContentDecoder sink("", kMaxDrain);
      parser.get().body().decoder = &sink;
      const auto ec = ReadUntil(parser, buffer, source, [&] { return parser.is_done(); });
      parser.get().body().decoder = nullptr;
      if (ec) return outcome;
    }
    outcome.end = End::kRedirect;
    return outcome;
  }

  std::string content_encoding;
  std::string content_type;
  bool have_content_type = false;
  for (const auto& field : header) {
    if (!have_content_type && EqualsNoCase(field.name_string(), "content-type")) {
      content_type = std::string(field.value());
      have_content_type = true;
    }
    if (field.name() != http::field::content_encoding) continue;
    if (!content_encoding.empty()) content_encoding += ", ";
    content_encoding += std::string(field.value());
  }
  decode::ContentDecoder decoder(content_encoding, kMaxBody);
  if (decoder.failed()) {
    outcome.end = End::kUnsupported;
    outcome.failure = decoder.failure();
    outcome.detail = decoder.message();
    FUZZ_CHECK(!decoder.message().empty());
    return outcome;
  }
  FUZZ_CHECK(decoder.codings().size() <= decode::kMaxContentCodings, content_encoding);
  parser.get().body().decoder = &decoder;
  if (auto ec = ReadUntil(parser, buffer, source, [&] { return parser.is_done(); })) {
    outcome.end = decoder.failed() ? End::kDecodeError : End::kBodyError;
    outcome.failure = decoder.failure();
    outcome.detail = decoder.failed() ? decoder.message() : ec.message();
    FUZZ_CHECK(decoder.output().size() <= kMaxBody);
    return outcome;
  }
  if (!decoder.Finish()) {
    outcome.end = End::kDecodeError;
    outcome.failure = decoder.failure();
    outcome.detail = decoder.message();
    FUZZ_CHECK(!decoder.message().empty());
    return outcome;
  }
  outcome.body = decoder.TakeOutput();
  FUZZ_CHECK(outcome.body.size() <= kMaxBody, std::to_string(outcome.body.size()));
  outcome.end = End::kFetched;

  // What the engine hands a plugin.
  const newshound::CharsetGuess guess = newshound::DetectCharset(content_type, outcome.body);
  auto text = newshound::DecodeToUtf8(outcome.body, guess.charset);
  if (!text.ok()) text = newshound::DecodeToUtf8(outcome.body, "utf-8");
  FUZZ_CHECK(text.ok(), text.status().message());
  FUZZ_CHECK(newshound::IsValidUtf8(*text), "charset " + Quote(guess.charset) + " from " + guess.source);
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view response(reinterpret_cast<const char*>(data), size);
  const Outcome whole = Fetch(response, /*split=*/false);
  const Outcome pieces = Fetch(response, /*split=*/true);
  FUZZ_CHECK(whole.end == pieces.end && whole.status == pieces.status && whole.body == pieces.body &&
                 whole.failure == pieces.failure,
             "whole: " + Describe(whole) + "\n  pieces: " + Describe(pieces));
  return 0;
}
