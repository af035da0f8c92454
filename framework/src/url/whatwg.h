// The WHATWG URL Standard's basic URL parser (https://url.spec.whatwg.org/),
// the one browsers run on every href, and its serializer.
//
// Works on UTF-8 bytes: every percent-encode set contains all code points
// above U+007E, so encoding byte by byte gives what encoding code point by
// code point does. Hosts go through IDNA (UTS #46 ToASCII) with libidn2.
// Not implemented: state overrides (the URL setters), encodings other than
// UTF-8 for the query, and validation errors that do not fail the parse.
//
// Thread safety: functions over values. A Url is a plain value.
#ifndef NEWSHOUND_URL_WHATWG_H_
#define NEWSHOUND_URL_WHATWG_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace newshound::whatwg {

enum class Scheme : uint8_t { kOther, kHttp, kHttps, kWs, kWss, kFtp, kFile };

enum class HostKind : uint8_t {
  kNull,    // no host (mailto:x, a/b against a host-less base)
  kEmpty,   // the empty host (file:///x, foo://)
  kDomain,  // an ASCII domain after IDNA
  kIpv4,
  kIpv6,    // serialized with its brackets
  kOpaque,  // the host of a non-special URL, percent-encoded
};

// A URL record. Components are stored as the serializer writes them, so
// serializing is concatenation.
struct Url {
  std::string scheme;    // lower case, without the ':'
  Scheme scheme_type = Scheme::kOther;
  std::string username;  // percent-encoded
  std::string password;  // percent-encoded
  HostKind host_kind = HostKind::kNull;
  std::string host;      // serialized ("[::1]", "127.0.0.1", "xn--bcher-kva.example")
  int32_t port = -1;     // -1: none (absent, or the scheme's default)
  // The path serialized: each segment after a '/' ("/a/b", "" for no
  // segment, "/" for one empty segment), or the opaque path itself.
  std::string path;
  bool opaque_path = false;
  bool has_query = false;
  std::string query;     // without the '?'
  bool has_fragment = false;
  std::string fragment;  // without the '#'

  // ftp, file, http, https, ws, wss.
  bool special() const { return scheme_type != Scheme::kOther; }
  // Empties every component and keeps the strings' capacity, so a Url
  // reused for parse after parse stops allocating.
  void Clear();
  // The URL serializer, appending to `out`.
  void SerializeTo(std::string& out, bool exclude_fragment = false) const;
  std::string Serialize(bool exclude_fragment = false) const;
};

// Why a parse failed: the standard's failure points, named for messages.
enum class ParseError : uint8_t {
  kOk,
  kMissingScheme,       // a relative reference without a (usable) base
  kHostMissing,         // "http://", "http://user@"
  kInvalidPort,         // not digits, or above 65535
  kInvalidIpv4,         // a host ending in a number that is no IPv4 address
  kInvalidIpv6,
  kForbiddenCodePoint,  // a forbidden host or domain code point
  kInvalidDomain,       // IDNA refused the host, or it maps to nothing
};

// A short English description of `error` ("invalid IPv6 address").
const char* ParseErrorText(ParseError error);

// Runs the basic URL parser on `input` against `base` (nullptr: none) and
// leaves the result in `url` (cleared first; unspecified on failure).
// `base` must not be `url`.
ParseError Parse(std::string_view input, const Url* base, Url& url);

// The scheme's default port, or -1 (file and non-special schemes).
int DefaultPort(Scheme scheme);

}  // namespace newshound::whatwg

#endif  // NEWSHOUND_URL_WHATWG_H_
