// Undoing HTTP content codings (RFC 9110 8.4) as a body arrives: gzip and
// x-gzip (concatenated members too), deflate (zlib-wrapped as the RFC says,
// or raw as some servers send it and browsers accept), br, and identity, in
// a list of codings applied in order ("gzip, br": gzip first, so br is
// undone first).
//
// The decoder is a pipeline of streaming stages that hand each piece of
// output on at once, so memory stays bounded by the decoded body, which is
// capped: the first byte over `max_output` stops it with kTooLarge, however
// high the compression ratio (a decompression bomb is cut off after about
// max_output bytes of work). Hostile input never crashes it; it fails with a
// reason instead.
//
// Thread safety: a ContentDecoder is used by one thread at a time.
#ifndef NEWSHOUND_DECODE_CONTENT_ENCODING_H_
#define NEWSHOUND_DECODE_CONTENT_ENCODING_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace newshound::decode {

// At most this many codings (identity not counted) are undone: real servers
// send one, a misconfigured one two; a longer list only multiplies work and
// decoder memory (a brotli window is up to 16 MiB).
inline constexpr size_t kMaxContentCodings = 4;

enum class DecodeFailure {
  kNone,
  kUnsupported,  // a coding we do not know, or too many codings
  kTooLarge,     // the decoded body is larger than max_output
  kCorrupt,      // the compressed data is invalid
  kTruncated,    // the body ended inside a compressed stream
};

class ContentDecoder {
 public:
  // `content_encoding`: the Content-Encoding field value as received (several
  // fields joined with ","); empty means identity. Coding names are
  // case-insensitive. An unknown coding makes the decoder failed from the
  // start (failure() == kUnsupported).
  ContentDecoder(std::string_view content_encoding, uint64_t max_output);
  ~ContentDecoder();
  ContentDecoder(const ContentDecoder&) = delete;
  ContentDecoder& operator=(const ContentDecoder&) = delete;

  // Decodes the next bytes of the body, in any split. False once the decoder
  // has failed; further calls then do nothing.
  bool Feed(std::string_view encoded);
  // The body is complete. False if it failed, now or before: a compressed
  // stream that has not ended is kTruncated. A body with no bytes at all
  // decodes to an empty one whatever the coding (servers send empty bodies
  // labelled gzip; browsers accept them).
  bool Finish();

  bool failed() const { return failure() != DecodeFailure::kNone; }
  DecodeFailure failure() const;
  // Why it failed, naming the coding: "unsupported Content-Encoding 'zstd'",
  // "gzip: invalid block type".
  const std::string& message() const;

  // The codings in the order they are undone, canonical names ("gzip" for
  // x-gzip), without identity.
  const std::vector<std::string>& codings() const;
  // The decoded body so far.
  const std::string& output() const;
  std::string TakeOutput();

 private:
  struct Pipeline;  // the stages, the output and the failure
  std::unique_ptr<Pipeline> pipeline_;
};

}  // namespace newshound::decode

#endif  // NEWSHOUND_DECODE_CONTENT_ENCODING_H_
