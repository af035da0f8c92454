// Content codings for outlet-server: choosing one from a request's
// Accept-Encoding (--compress, --codings), compressing a body with it, and
// a gzip bomb streamed piece by piece (--bomb), so that crawler tests see
// compressed responses, broken servers and hostile ones.

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_COMPRESSION_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_COMPRESSION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newshound::outlet {

// A coding the server may use, as named in --codings.
struct Coding {
  enum class Format { kBrotli, kGzip, kDeflate };
  Format format = Format::kGzip;
  // Sent in Content-Encoding: "br", "gzip", "x-gzip" or "deflate".
  std::string label;
  // deflate as raw RFC 1951 data without the zlib wrapper ("deflate-raw"),
  // as some servers send it.
  bool raw_deflate = false;
};

// The --codings list, in the server's order of preference: comma-separated
// names from br, gzip, x-gzip, deflate, deflate-raw. nullopt with `error`
// set for an unknown or repeated name, or an empty list.
std::optional<std::vector<Coding>> ParseCodings(std::string_view list,
                                                std::string& error);

// br, gzip, deflate: what --compress offers without --codings.
std::vector<Coding> DefaultCodings();

// The coding to answer a request with: among `offered`, the one with the
// highest q in `accept_encoding` (RFC 9110 12.5.3; "*" stands for codings
// not listed, q=0 means "not acceptable"), ties going to the earlier in
// `offered`. x-gzip and gzip are one coding; "deflate-raw" is accepted as
// "deflate". nullptr (identity) when none is acceptable or the header is
// absent (`accept_encoding` empty).
const Coding* ChooseCoding(std::string_view accept_encoding,
                           const std::vector<Coding>& offered);

// `body` compressed with `coding`; nullopt if the compressor fails.
std::optional<std::string> Compress(std::string_view body,
                                    const Coding& coding);

// Whether a response with this Content-Type is text worth compressing:
// HTML, XML (and RSS/Atom), CSS, JavaScript, plain text, JSON.
bool IsCompressibleType(std::string_view content_type);

// "1GiB" and the like: a number of bytes, optionally followed by KiB, MiB or
// GiB (powers of 1024). nullopt for anything else or past 2^63.
std::optional<std::uint64_t> ParseByteSize(std::string_view text);

// A --bomb argument, "PATH=SIZE", e.g. "/bomb.html=1GiB".
struct BombRule {
  std::string path;  // compared with the request path as sent, no query
  std::uint64_t decoded_size = 0;
};
std::optional<BombRule> ParseBombRule(std::string_view spec,
                                      std::string& error);

// The gzip of `decoded_size` zero bytes, produced a piece at a time so that
// neither side of it is ever held whole. Every MiB of zeros compresses to
// the same deflate blocks (about 1 KiB, ended by a full flush so they stand
// alone), so those are compressed once and repeated; the gzip header, the
// last partial MiB and the trailer (CRC-32 and length) are made per stream.
class GzipZeros {
 public:
  explicit GzipZeros(std::uint64_t decoded_size);
  // The next piece of the stream (about 16 KiB); false once it is complete.
  bool Next(std::string& piece);

 private:
  const std::uint64_t size_;
  std::uint64_t left_;     // zeros not yet emitted
  std::uint32_t crc_ = 0;  // CRC-32 of the zeros emitted so far
  bool started_ = false;
  bool finished_ = false;
};

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_COMPRESSION_H_
