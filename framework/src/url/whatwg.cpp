// The basic URL parser of the WHATWG URL Standard, state by state, with the
// standard's names for states and steps so the two can be read side by side.
//
// Two liberties, both for speed and neither visible in the result: buffers
// that only ever hold a stretch of the input (scheme, authority, host,
// port) are kept as the start of that stretch, and path segments, the
// query and the fragment are percent-encoded straight into the URL record
// in runs, not one code point per turn of the loop.
#include "url/whatwg.h"

#include <idn2.h>

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <memory>

namespace newshound::whatwg {
namespace {

constexpr int kEof = -1;

using ByteSet = std::array<bool, 256>;

constexpr ByteSet C0ControlSet() {
  ByteSet set{};
  for (int c = 0; c < 256; ++c) set[c] = c < 0x20 || c > 0x7E;
  return set;
}

constexpr ByteSet With(ByteSet set, std::string_view extra) {
  for (char c : extra) set[static_cast<unsigned char>(c)] = true;
  return set;
}

constexpr ByteSet ForbiddenHostSet() {
  ByteSet set = With(ByteSet{}, "\t\n\r #/:<>?@[\\]^|");
  set[0] = true;
  return set;
}

constexpr ByteSet ForbiddenDomainSet() {
  ByteSet set = ForbiddenHostSet();
  for (int c = 0; c < 0x20; ++c) set[c] = true;
  set['%'] = true;
  set[0x7F] = true;
  return set;
}

// The percent-encode sets (standard section 1.3). Every byte of a non-ASCII
// code point's UTF-8 form is in all of them.
constexpr ByteSet kC0ControlSet = C0ControlSet();
constexpr ByteSet kFragmentSet = With(kC0ControlSet, " \"<>`");
constexpr ByteSet kQuerySet = With(kC0ControlSet, " \"#<>");
constexpr ByteSet kSpecialQuerySet = With(kQuerySet, "'");
constexpr ByteSet kPathSet = With(kQuerySet, "?^`{}");
constexpr ByteSet kUserinfoSet = With(kPathSet, "/:;=@[\\]^|");
constexpr ByteSet kForbiddenHost = ForbiddenHostSet();
constexpr ByteSet kForbiddenDomain = ForbiddenDomainSet();

constexpr char kUpperHex[] = "0123456789ABCDEF";

bool IsAsciiAlpha(int c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool IsAsciiDigit(int c) { return c >= '0' && c <= '9'; }
bool IsAsciiHex(int c) { return IsAsciiDigit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
int HexValue(int c) { return IsAsciiDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }
char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }

void AppendEncoded(std::string& out, unsigned char c, const ByteSet& set) {
  if (set[c]) {
    const char escape[3] = {'%', kUpperHex[c >> 4], kUpperHex[c & 0xF]};
    out.append(escape, 3);
  } else {
    out.push_back(static_cast<char>(c));
  }
}

// UTF-8 percent-encodes `text` with `set`, copying unencoded runs whole.
void AppendEncoded(std::string& out, std::string_view text, const ByteSet& set) {
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!set[c]) continue;
    out.append(text.data() + run, i - run);
    AppendEncoded(out, c, set);
    run = i + 1;
  }
  out.append(text.data() + run, text.size() - run);
}

bool IsAscii(std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

bool StartsWithPunycodePrefix(std::string_view label) {
  return label.size() >= 4 && AsciiLower(label[0]) == 'x' && AsciiLower(label[1]) == 'n' && label[2] == '-' &&
         label[3] == '-';
}

// "C:" or "c|"; normalized: only "C:".
bool IsWindowsDriveLetter(std::string_view s) {
  return s.size() == 2 && IsAsciiAlpha(static_cast<unsigned char>(s[0])) && (s[1] == ':' || s[1] == '|');
}
bool IsNormalizedWindowsDriveLetter(std::string_view s) { return IsWindowsDriveLetter(s) && s[1] == ':'; }

bool IsSingleDotSegment(std::string_view s) {
  return s == "." || (s.size() == 3 && s[0] == '%' && s[1] == '2' && AsciiLower(s[2]) == 'e');
}

bool IsDoubleDotSegment(std::string_view s) {
  switch (s.size()) {
    case 2: return s == "..";
    case 4:  // ".%2e" or "%2e."
      return (s[0] == '.' && IsSingleDotSegment(s.substr(1))) || (s[3] == '.' && IsSingleDotSegment(s.substr(0, 3)));
    case 6: return IsSingleDotSegment(s.substr(0, 3)) && IsSingleDotSegment(s.substr(3));
    default: return false;
  }
}

Scheme SchemeTypeOf(std::string_view s) {
  switch (s.size()) {
    case 2: return s == "ws" ? Scheme::kWs : Scheme::kOther;
    case 3: return s == "ftp" ? Scheme::kFtp : s == "wss" ? Scheme::kWss : Scheme::kOther;
    case 4: return s == "http" ? Scheme::kHttp : s == "file" ? Scheme::kFile : Scheme::kOther;
    case 5: return s == "https" ? Scheme::kHttps : Scheme::kOther;
    default: return Scheme::kOther;
  }
}

// --- IPv4 (standard section 3.5) ---

// The IPv4 number parser; the validation error it can report (a 0x or 0
// prefix) does not fail a parse and is not kept. Values past 2^32 saturate
// there: any of them fails the IPv4 parser alike.
bool ParseIpv4Number(std::string_view input, uint64_t& out) {
  if (input.empty()) return false;
  int radix = 10;
  if (input.size() >= 2 && input[0] == '0' && (input[1] == 'x' || input[1] == 'X')) {
    input.remove_prefix(2);
    radix = 16;
  } else if (input.size() >= 2 && input[0] == '0') {
    input.remove_prefix(1);
    radix = 8;
  }
  uint64_t value = 0;
  for (char ch : input) {
    const int c = static_cast<unsigned char>(ch);
    int digit;
    if (radix == 16) {
      if (!IsAsciiHex(c)) return false;
      digit = HexValue(c);
    } else {
      if (!IsAsciiDigit(c) || c - '0' >= radix) return false;
      digit = c - '0';
    }
    if (value <= 0xFFFFFFFFull) value = value * radix + digit;
  }
  out = value;
  return true;
}

// The ends in a number checker: whether the host must be an IPv4 address.
bool EndsInANumber(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  const size_t dot = domain.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? domain : domain.substr(dot + 1);
  bool digits = !last.empty();
  for (char c : last) digits = digits && IsAsciiDigit(static_cast<unsigned char>(c));
  if (digits) return true;
  uint64_t ignored;
  return ParseIpv4Number(last, ignored);
}

bool ParseIpv4(std::string_view input, uint32_t& out) {
  if (!input.empty() && input.back() == '.') input.remove_suffix(1);  // one trailing dot is allowed
  uint64_t numbers[4];
  size_t count = 0;
  size_t start = 0;
  while (true) {
    const size_t dot = input.find('.', start);
    const std::string_view part = input.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (count == 4) return false;  // more than four parts
    if (!ParseIpv4Number(part, numbers[count])) return false;
    ++count;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  for (size_t i = 0; i + 1 < count; ++i)
    if (numbers[i] > 255) return false;
  const uint64_t last = numbers[count - 1];
  if (last >= (uint64_t{1} << (8 * (5 - count)))) return false;
  uint64_t ipv4 = last;
  for (size_t i = 0; i + 1 < count; ++i) ipv4 += numbers[i] << (8 * (3 - i));
  out = static_cast<uint32_t>(ipv4);
  return true;
}

void SerializeIpv4(uint32_t address, std::string& out) {
  char buffer[16];
  char* p = buffer;
  for (int shift = 24; shift >= 0; shift -= 8) {
    p = std::to_chars(p, buffer + sizeof(buffer), (address >> shift) & 0xFF).ptr;
    if (shift != 0) *p++ = '.';
  }
  out.append(buffer, p - buffer);
}

// --- IPv6 (standard section 3.5) ---

bool ParseIpv6(std::string_view input, uint16_t (&address)[8]) {
  for (auto& piece : address) piece = 0;
  const auto n = static_cast<ptrdiff_t>(input.size());
  auto at = [&](ptrdiff_t i) { return i < n ? static_cast<unsigned char>(input[i]) : kEof; };
  int piece_index = 0;
  int compress = -1;
  ptrdiff_t pointer = 0;
  if (at(pointer) == ':') {
    if (at(pointer + 1) != ':') return false;
    pointer += 2;
    compress = ++piece_index;
  }
  while (at(pointer) != kEof) {
    if (piece_index == 8) return false;
    if (at(pointer) == ':') {
      if (compress != -1) return false;
      ++pointer;
      compress = ++piece_index;
      continue;
    }
    unsigned value = 0;
    int length = 0;
    while (length < 4 && IsAsciiHex(at(pointer))) {
      value = value * 0x10 + HexValue(at(pointer));
      ++pointer;
      ++length;
    }
    if (at(pointer) == '.') {
      if (length == 0) return false;
      pointer -= length;
      if (piece_index > 6) return false;
      int numbers_seen = 0;
      while (at(pointer) != kEof) {
        int ipv4_piece = -1;
        if (numbers_seen > 0) {
          if (at(pointer) == '.' && numbers_seen < 4) {
            ++pointer;
          } else {
            return false;
          }
        }
        if (!IsAsciiDigit(at(pointer))) return false;
        while (IsAsciiDigit(at(pointer))) {
          const int number = at(pointer) - '0';
          if (ipv4_piece == -1) {
            ipv4_piece = number;
          } else if (ipv4_piece == 0) {
            return false;  // no leading zeros
          } else {
            ipv4_piece = ipv4_piece * 10 + number;
          }
          if (ipv4_piece > 255) return false;
          ++pointer;
        }
        address[piece_index] = static_cast<uint16_t>(address[piece_index] * 0x100 + ipv4_piece);
        ++numbers_seen;
        if (numbers_seen == 2 || numbers_seen == 4) ++piece_index;
      }
      if (numbers_seen != 4) return false;
      break;
    } else if (at(pointer) == ':') {
      ++pointer;
      if (at(pointer) == kEof) return false;
    } else if (at(pointer) != kEof) {
      return false;
    }
    address[piece_index] = static_cast<uint16_t>(value);
    ++piece_index;
  }
  if (compress != -1) {
    int swaps = piece_index - compress;
    piece_index = 7;
    while (piece_index != 0 && swaps > 0) {
      std::swap(address[piece_index], address[compress + swaps - 1]);
      --piece_index;
      --swaps;
    }
  } else if (piece_index != 8) {
    return false;
  }
  return true;
}

// The IPv6 serializer: the first longest run of two or more zero pieces
// becomes "::", pieces are lower-case hex without leading zeros.
void SerializeIpv6(const uint16_t (&address)[8], std::string& out) {
  int compress = -1, longest = 1;
  for (int i = 0; i < 8;) {
    if (address[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && address[j] == 0) ++j;
    if (j - i > longest) {
      longest = j - i;
      compress = i;
    }
    i = j;
  }
  out += '[';
  bool ignore0 = false;
  for (int i = 0; i < 8; ++i) {
    if (ignore0 && address[i] == 0) continue;
    ignore0 = false;
    if (compress == i) {
      out += i == 0 ? "::" : ":";
      ignore0 = true;
      continue;
    }
    char buffer[4];
    const char* end = std::to_chars(buffer, buffer + 4, address[i], 16).ptr;
    out.append(buffer, end - buffer);
    if (i != 7) out += ':';
  }
  out += ']';
}

// --- Domains (standard section 3.3) ---

constexpr int kIdnaFlags = IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL;

// UTS #46 ToASCII of one label by libidn2; false if it refuses the label.
bool IdnaLabelToAscii(std::string_view label, std::string& out) {
  const std::string input(label);  // libidn2 wants a NUL-terminated string
  char* ascii = nullptr;
  const int rc = idn2_to_ascii_8z(input.c_str(), &ascii, kIdnaFlags);
  const std::unique_ptr<char, decltype(&idn2_free)> owned(ascii, &idn2_free);
  if (rc != IDN2_OK || ascii == nullptr) return false;
  out += ascii;
  return true;
}

// UTS #46 maps the fullwidth forms of ASCII (U+FF01 to U+FF5E) to ASCII,
// and the ideographic full stops U+3002 and U+FF61 to '.'. Done here so
// that a label that is ASCII after it takes the ASCII path, and the
// labels are split at every full stop.
void MapFullwidthAscii(std::string& domain) {
  size_t w = 0;
  for (size_t i = 0; i < domain.size(); ++i) {
    const auto b0 = static_cast<unsigned char>(domain[i]);
    if ((b0 == 0xEF || b0 == 0xE3) && i + 2 < domain.size()) {
      const auto b1 = static_cast<unsigned char>(domain[i + 1]), b2 = static_cast<unsigned char>(domain[i + 2]);
      const unsigned cp = ((b0 & 0x0Fu) << 12) | ((b1 & 0x3Fu) << 6) | (b2 & 0x3Fu);
      if ((b1 & 0xC0) == 0x80 && (b2 & 0xC0) == 0x80 &&
          ((cp >= 0xFF01 && cp <= 0xFF5E) || cp == 0xFF61 || cp == 0x3002)) {
        domain[w++] = cp >= 0xFF01 && cp <= 0xFF5E ? AsciiLower(static_cast<char>(cp - 0xFF00 + 0x20)) : '.';
        i += 2;
        continue;
      }
    }
    domain[w++] = domain[i];
  }
  domain.resize(w);
}

// Domain to ASCII with beStrict false, in place. The standard runs UTS #46
// ToASCII (CheckHyphens, UseSTD3ASCIIRules and VerifyDnsLength off,
// CheckBidi and CheckJoiners on, nontransitional). For an ASCII label that
// is exactly ASCII lower-casing, so only labels that are not ASCII, or
// that claim to be Punycode ("xn--"), go to libidn2 - one label at a time,
// so that the DNS rules libidn2 applies to a whole name (hyphens, lengths)
// do not refuse ASCII labels the standard accepts. `ascii`: whether
// `domain` is all ASCII, which the caller has just checked.
bool DomainToAscii(std::string& domain, bool ascii) {
  if (ascii) {
    bool punycode = false;
    for (size_t i = 0; i < domain.size(); ++i) {
      domain[i] = AsciiLower(domain[i]);
      if ((i == 0 || domain[i - 1] == '.') && StartsWithPunycodePrefix(std::string_view(domain).substr(i)))
        punycode = true;
    }
    if (!punycode) return true;
  }
  MapFullwidthAscii(domain);
  std::string out;
  out.reserve(domain.size() + 16);
  size_t start = 0;
  while (true) {
    const size_t dot = domain.find('.', start);
    const std::string_view label =
        std::string_view(domain).substr(start, dot == std::string::npos ? dot : dot - start);
    if (IsAscii(label) && !StartsWithPunycodePrefix(label)) {
      for (char c : label) out += AsciiLower(c);
    } else {
      // For an "xn--" label libidn2 checks that it decodes to a valid label.
      if (!IdnaLabelToAscii(label, out)) return false;
    }
    if (dot == std::string::npos) break;
    out += '.';
    start = dot + 1;
  }
  domain.swap(out);
  return true;
}

void PercentDecodeTo(std::string_view input, std::string& out) {
  if (input.find('%') == std::string_view::npos) {
    out.append(input);
    return;
  }
  for (size_t i = 0; i < input.size(); ++i) {
    const auto c = static_cast<unsigned char>(input[i]);
    if (c == '%' && i + 2 < input.size() && IsAsciiHex(static_cast<unsigned char>(input[i + 1])) &&
        IsAsciiHex(static_cast<unsigned char>(input[i + 2]))) {
      out += static_cast<char>(HexValue(static_cast<unsigned char>(input[i + 1])) * 16 +
                               HexValue(static_cast<unsigned char>(input[i + 2])));
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
}

// The host parser (standard section 3.5), into url.host and url.host_kind.
ParseError ParseHost(std::string_view input, bool is_opaque, Url& url) {
  url.host.clear();
  if (!input.empty() && input.front() == '[') {
    if (input.size() < 2 || input.back() != ']') return ParseError::kInvalidIpv6;
    uint16_t address[8];
    if (!ParseIpv6(input.substr(1, input.size() - 2), address)) return ParseError::kInvalidIpv6;
    SerializeIpv6(address, url.host);
    url.host_kind = HostKind::kIpv6;
    return ParseError::kOk;
  }
  if (is_opaque) {  // the opaque-host parser
    for (char c : input)
      if (kForbiddenHost[static_cast<unsigned char>(c)]) return ParseError::kForbiddenCodePoint;
    AppendEncoded(url.host, input, kC0ControlSet);
    url.host_kind = url.host.empty() ? HostKind::kEmpty : HostKind::kOpaque;
    return ParseError::kOk;
  }
  PercentDecodeTo(input, url.host);
  // UTS #46 maps an ASCII code point only to itself (lower-cased), so a
  // forbidden one fails the host whatever IDNA does; checked first because
  // libidn2 would stop at a NUL.
  bool ascii = true;
  for (char c : url.host) {
    if (kForbiddenDomain[static_cast<unsigned char>(c)]) return ParseError::kForbiddenCodePoint;
    ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  }
  if (!DomainToAscii(url.host, ascii) || url.host.empty()) return ParseError::kInvalidDomain;
  if (!ascii) {
    for (char c : url.host)  // IDNA may map a code point to a forbidden one (U+FF1C to '<')
      if (kForbiddenDomain[static_cast<unsigned char>(c)]) return ParseError::kForbiddenCodePoint;
  }
  if (EndsInANumber(url.host)) {
    uint32_t address;
    if (!ParseIpv4(url.host, address)) return ParseError::kInvalidIpv4;
    url.host.clear();
    SerializeIpv4(address, url.host);
    url.host_kind = HostKind::kIpv4;
    return ParseError::kOk;
  }
  url.host_kind = HostKind::kDomain;
  return ParseError::kOk;
}

// --- The basic URL parser (standard section 4.4), without state override ---

class Parser {
 public:
  Parser(std::string_view input, const Url* base, Url& url)
      : in_(input), n_(static_cast<ptrdiff_t>(input.size())), base_(base), url_(url) {}

  ParseError Run();

 private:
  enum class State : uint8_t {
    kSchemeStart,
    kScheme,
    kNoScheme,
    kSpecialRelativeOrAuthority,
    kPathOrAuthority,
    kRelative,
    kRelativeSlash,
    kSpecialAuthoritySlashes,
    kSpecialAuthorityIgnoreSlashes,
    kAuthority,
    kHost,
    kPort,
    kFile,
    kFileSlash,
    kFileHost,
    kPathStart,
    kPath,
    kOpaquePath,
    kQuery,
    kFragment,
  };

  int At(ptrdiff_t i) const { return i >= 0 && i < n_ ? static_cast<unsigned char>(in_[i]) : kEof; }
  // The buffer of the scheme, authority, host, port and file host states:
  // the input from buf_ up to (not including) `end`.
  std::string_view Buffer(ptrdiff_t end) const { return in_.substr(buf_, end - buf_); }
  // Enters a state whose buffer starts empty at the next code point.
  void Enter(State state) {
    state_ = state;
    buf_ = p_ + 1;
  }
  bool Special() const { return url_.special(); }
  // c ends the authority, host or port: EOF, /, ?, #, or \ in a special URL.
  bool EndsAuthority(int c) const { return c == kEof || c == '/' || c == '?' || c == '#' || (c == '\\' && Special()); }

  void SetScheme(std::string_view scheme, Scheme type) {
    url_.scheme.assign(scheme);
    url_.scheme_type = type;
  }
  void CopyAuthority(const Url& from) {
    url_.username = from.username;
    url_.password = from.password;
    url_.host_kind = from.host_kind;
    url_.host = from.host;
    url_.port = from.port;
  }
  void CopyQuery(const Url& from) {
    url_.has_query = from.has_query;
    url_.query = from.query;
  }
  void StartQuery() {
    url_.has_query = true;
    url_.query.clear();
    state_ = State::kQuery;
  }
  void StartFragment() {
    url_.has_fragment = true;
    url_.fragment.clear();
    state_ = State::kFragment;
  }
  // Shorten a URL's path: drop its last segment, except a file URL's lone
  // normalized drive letter.
  void ShortenPath() {
    std::string& path = url_.path;
    if (url_.scheme_type == Scheme::kFile && path.size() == 3 &&
        IsNormalizedWindowsDriveLetter(std::string_view(path).substr(1)))
      return;
    const size_t slash = path.rfind('/');
    if (slash != std::string::npos) path.resize(slash);
  }
  // Whether the input from `i` starts with a Windows drive letter.
  bool StartsWithWindowsDriveLetter(ptrdiff_t i) const {
    if (n_ - i < 2 || !IsWindowsDriveLetter(in_.substr(i, 2))) return false;
    const int third = At(i + 2);
    return n_ - i == 2 || third == '/' || third == '\\' || third == '?' || third == '#';
  }
  // The path state's buffer is the open segment, written into url_.path
  // after a '/' at segment_.
  void OpenSegment() {
    if (segment_open_) return;
    segment_ = url_.path.size();
    url_.path += '/';
    segment_open_ = true;
  }

  ParseError PathState(int c);

  std::string_view in_;
  ptrdiff_t n_;
  const Url* base_;
  Url& url_;
  State state_ = State::kSchemeStart;
  ptrdiff_t p_ = 0;
  ptrdiff_t buf_ = 0;
  size_t segment_ = 0;
  bool segment_open_ = false;
  bool at_sign_seen_ = false;
  bool inside_brackets_ = false;
  bool password_token_seen_ = false;
};

ParseError Parser::PathState(int c) {
  const bool slash = c == '/' || (c == '\\' && Special());
  if (c == kEof || slash || c == '?' || c == '#') {
    OpenSegment();
    const std::string_view segment = std::string_view(url_.path).substr(segment_ + 1);
    if (IsDoubleDotSegment(segment)) {
      url_.path.resize(segment_);
      ShortenPath();
      if (!slash) url_.path += '/';  // "a/.." keeps a trailing empty segment
    } else if (IsSingleDotSegment(segment)) {
      url_.path.resize(segment_);
      if (!slash) url_.path += '/';
    } else if (url_.scheme_type == Scheme::kFile && segment_ == 0 && IsWindowsDriveLetter(segment)) {
      url_.path[segment_ + 2] = ':';  // file:///C|/ is file:///C:/
    }
    segment_open_ = false;
    if (c == '?') StartQuery();
    if (c == '#') StartFragment();
    return ParseError::kOk;
  }
  OpenSegment();
  ptrdiff_t end = p_;
  while (end < n_) {
    const char e = in_[end];
    if (e == '/' || e == '?' || e == '#' || (e == '\\' && Special())) break;
    ++end;
  }
  AppendEncoded(url_.path, in_.substr(p_, end - p_), kPathSet);
  p_ = end - 1;
  return ParseError::kOk;
}

ParseError Parser::Run() {
  for (;; ++p_) {
    const int c = At(p_);
    switch (state_) {
      case State::kSchemeStart:
        if (IsAsciiAlpha(c)) {
          state_ = State::kScheme;
          buf_ = p_;
        } else {
          state_ = State::kNoScheme;
          --p_;
        }
        break;

      case State::kScheme:
        if (IsAsciiAlpha(c) || IsAsciiDigit(c) || c == '+' || c == '-' || c == '.') {
          // still the scheme
        } else if (c == ':') {
          const std::string_view buffer = Buffer(p_);
          url_.scheme.assign(buffer);
          for (char& ch : url_.scheme) ch = AsciiLower(ch);
          url_.scheme_type = SchemeTypeOf(url_.scheme);
          if (url_.scheme_type == Scheme::kFile) {
            state_ = State::kFile;
          } else if (Special() && base_ != nullptr && base_->scheme == url_.scheme) {
            state_ = State::kSpecialRelativeOrAuthority;
          } else if (Special()) {
            state_ = State::kSpecialAuthoritySlashes;
          } else if (At(p_ + 1) == '/') {
            state_ = State::kPathOrAuthority;
            ++p_;
          } else {
            url_.opaque_path = true;
            state_ = State::kOpaquePath;
          }
        } else {
          state_ = State::kNoScheme;  // not a scheme after all: start over
          p_ = -1;
        }
        break;

      case State::kNoScheme:
        if (base_ == nullptr || (base_->opaque_path && c != '#')) return ParseError::kMissingScheme;
        if (base_->opaque_path) {  // and c is '#'
          SetScheme(base_->scheme, base_->scheme_type);
          url_.path = base_->path;
          url_.opaque_path = true;
          CopyQuery(*base_);
          StartFragment();
        } else if (base_->scheme_type != Scheme::kFile) {
          state_ = State::kRelative;
          --p_;
        } else {
          state_ = State::kFile;
          --p_;
        }
        break;

      case State::kSpecialRelativeOrAuthority:
        if (c == '/' && At(p_ + 1) == '/') {
          state_ = State::kSpecialAuthorityIgnoreSlashes;
          ++p_;
        } else {
          state_ = State::kRelative;
          --p_;
        }
        break;

      case State::kPathOrAuthority:
        if (c == '/') {
          Enter(State::kAuthority);
        } else {
          state_ = State::kPath;
          --p_;
        }
        break;

      case State::kRelative:
        SetScheme(base_->scheme, base_->scheme_type);
        if (c == '/' || (c == '\\' && Special())) {
          state_ = State::kRelativeSlash;
        } else {
          CopyAuthority(*base_);
          url_.path = base_->path;
          CopyQuery(*base_);
          if (c == '?') {
            StartQuery();
          } else if (c == '#') {
            StartFragment();
          } else if (c != kEof) {
            url_.has_query = false;
            url_.query.clear();
            ShortenPath();
            state_ = State::kPath;
            --p_;
          }
        }
        break;

      case State::kRelativeSlash:
        if (Special() && (c == '/' || c == '\\')) {
          state_ = State::kSpecialAuthorityIgnoreSlashes;
        } else if (c == '/') {
          Enter(State::kAuthority);
        } else {
          CopyAuthority(*base_);
          state_ = State::kPath;
          --p_;
        }
        break;

      case State::kSpecialAuthoritySlashes:
        if (c == '/' && At(p_ + 1) == '/') {
          ++p_;
        } else {
          --p_;
        }
        state_ = State::kSpecialAuthorityIgnoreSlashes;
        break;

      case State::kSpecialAuthorityIgnoreSlashes:
        if (c != '/' && c != '\\') {
          --p_;
          Enter(State::kAuthority);
        }
        break;

      case State::kAuthority:
        if (c == '@') {
          std::string* target = password_token_seen_ ? &url_.password : &url_.username;
          if (at_sign_seen_) *target += "%40";  // an earlier '@' was part of the userinfo
          at_sign_seen_ = true;
          for (char ch : Buffer(p_)) {
            if (ch == ':' && !password_token_seen_) {
              password_token_seen_ = true;
              target = &url_.password;
              continue;
            }
            AppendEncoded(*target, static_cast<unsigned char>(ch), kUserinfoSet);
          }
          buf_ = p_ + 1;
        } else if (EndsAuthority(c)) {
          if (at_sign_seen_ && buf_ == p_) return ParseError::kHostMissing;
          p_ = buf_ - 1;  // the host state reads the buffer again
          Enter(State::kHost);
        } else {
          while (p_ + 1 < n_ && in_[p_ + 1] != '@' && !EndsAuthority(static_cast<unsigned char>(in_[p_ + 1]))) ++p_;
        }
        break;

      case State::kHost:
        if (c == ':' && !inside_brackets_) {
          if (buf_ == p_) return ParseError::kHostMissing;
          if (ParseError e = ParseHost(Buffer(p_), !Special(), url_); e != ParseError::kOk) return e;
          Enter(State::kPort);
        } else if (EndsAuthority(c)) {
          const std::string_view buffer = Buffer(p_);
          --p_;
          if (Special() && buffer.empty()) return ParseError::kHostMissing;
          if (ParseError e = ParseHost(buffer, !Special(), url_); e != ParseError::kOk) return e;
          state_ = State::kPathStart;
        } else if (c == '[') {
          inside_brackets_ = true;
        } else if (c == ']') {
          inside_brackets_ = false;
        } else {
          while (p_ + 1 < n_) {
            const char e = in_[p_ + 1];
            if (e == ':' || e == '[' || e == ']' || EndsAuthority(static_cast<unsigned char>(e))) break;
            ++p_;
          }
        }
        break;

      case State::kPort:
        if (IsAsciiDigit(c)) {
          // still the port
        } else if (EndsAuthority(c)) {
          const std::string_view buffer = Buffer(p_);
          if (!buffer.empty()) {
            uint32_t port = 0;
            for (char ch : buffer) {
              port = port * 10 + (ch - '0');
              if (port > 65535) return ParseError::kInvalidPort;
            }
            url_.port = static_cast<int32_t>(port) == DefaultPort(url_.scheme_type) ? -1 : static_cast<int32_t>(port);
          }
          state_ = State::kPathStart;
          --p_;
        } else {
          return ParseError::kInvalidPort;
        }
        break;

      case State::kFile:
        SetScheme("file", Scheme::kFile);
        url_.host_kind = HostKind::kEmpty;
        url_.host.clear();
        if (c == '/' || c == '\\') {
          state_ = State::kFileSlash;
        } else if (base_ != nullptr && base_->scheme_type == Scheme::kFile) {
          url_.host_kind = base_->host_kind;
          url_.host = base_->host;
          url_.path = base_->path;
          CopyQuery(*base_);
          if (c == '?') {
            StartQuery();
          } else if (c == '#') {
            StartFragment();
          } else if (c != kEof) {
            url_.has_query = false;
            url_.query.clear();
            if (!StartsWithWindowsDriveLetter(p_)) {
              ShortenPath();
            } else {
              url_.path.clear();
            }
            state_ = State::kPath;
            --p_;
          }
        } else {
          state_ = State::kPath;
          --p_;
        }
        break;

      case State::kFileSlash:
        if (c == '/' || c == '\\') {
          Enter(State::kFileHost);
        } else {
          if (base_ != nullptr && base_->scheme_type == Scheme::kFile) {
            url_.host_kind = base_->host_kind;
            url_.host = base_->host;
            // The base's drive letter carries over to a path without one.
            const std::string_view base_path = base_->path;
            const std::string_view first =
                base_path.size() >= 3 ? base_path.substr(1, base_path.find('/', 1) - 1) : std::string_view();
            if (!StartsWithWindowsDriveLetter(p_) && IsNormalizedWindowsDriveLetter(first)) {
              url_.path += '/';
              url_.path += first;
            }
          }
          state_ = State::kPath;
          --p_;
        }
        break;

      case State::kFileHost:
        if (c == kEof || c == '/' || c == '\\' || c == '?' || c == '#') {
          const std::string_view buffer = Buffer(p_);
          --p_;
          if (IsWindowsDriveLetter(buffer)) {
            // file://C:/x: the drive letter is the first path segment, and
            // the host stays empty.
            state_ = State::kPath;
            OpenSegment();
            url_.path += buffer;
          } else if (buffer.empty()) {
            url_.host_kind = HostKind::kEmpty;
            url_.host.clear();
            state_ = State::kPathStart;
          } else {
            if (ParseError e = ParseHost(buffer, false, url_); e != ParseError::kOk) return e;
            if (url_.host == "localhost") {
              url_.host_kind = HostKind::kEmpty;
              url_.host.clear();
            }
            state_ = State::kPathStart;
          }
        }
        break;

      case State::kPathStart:
        if (Special()) {
          state_ = State::kPath;
          if (c != '/' && c != '\\') --p_;
        } else if (c == '?') {
          StartQuery();
        } else if (c == '#') {
          StartFragment();
        } else if (c != kEof) {
          state_ = State::kPath;
          if (c != '/') --p_;
        }
        break;

      case State::kPath:
        if (ParseError e = PathState(c); e != ParseError::kOk) return e;
        break;

      case State::kOpaquePath:
        if (c == '?') {
          StartQuery();
        } else if (c == '#') {
          StartFragment();
        } else if (c == ' ') {
          // An opaque path never ends in a bare space, so that it survives
          // dropping the query or fragment.
          const int next = At(p_ + 1);
          url_.path += next == '?' || next == '#' ? "%20" : " ";
        } else if (c != kEof) {
          AppendEncoded(url_.path, static_cast<unsigned char>(c), kC0ControlSet);
        }
        break;

      case State::kQuery:
        if (c == '#') {
          StartFragment();
        } else if (c != kEof) {
          const size_t hash = in_.find('#', p_);
          const ptrdiff_t end = hash == std::string_view::npos ? n_ : static_cast<ptrdiff_t>(hash);
          AppendEncoded(url_.query, in_.substr(p_, end - p_), Special() ? kSpecialQuerySet : kQuerySet);
          p_ = end - 1;
        }
        break;

      case State::kFragment:
        if (c != kEof) {
          AppendEncoded(url_.fragment, in_.substr(p_), kFragmentSet);
          p_ = n_ - 1;
        }
        break;
    }
    if (p_ >= n_) break;  // the state machine ran on the EOF code point
  }
  return ParseError::kOk;
}

}  // namespace

void Url::Clear() {
  scheme.clear();
  scheme_type = Scheme::kOther;
  username.clear();
  password.clear();
  host_kind = HostKind::kNull;
  host.clear();
  port = -1;
  path.clear();
  opaque_path = false;
  has_query = false;
  query.clear();
  has_fragment = false;
  fragment.clear();
}

void Url::SerializeTo(std::string& out, bool exclude_fragment) const {
  out.reserve(out.size() + scheme.size() + username.size() + password.size() + host.size() + path.size() +
              query.size() + (exclude_fragment ? 0 : fragment.size()) + 16);
  out += scheme;
  out += ':';
  if (host_kind != HostKind::kNull) {
    out += "//";
    if (!username.empty() || !password.empty()) {
      out += username;
      if (!password.empty()) {
        out += ':';
        out += password;
      }
      out += '@';
    }
    out += host;
    if (port >= 0) {
      char buffer[8];
      const char* end = std::to_chars(buffer, buffer + sizeof(buffer), port).ptr;
      out += ':';
      out.append(buffer, end - buffer);
    }
  } else if (!opaque_path && path.size() > 1 && path[0] == '/' && path[1] == '/') {
    out += "/.";  // so that "web+demo:/.//not-a-host/" does not read back as a host
  }
  out += path;
  if (has_query) {
    out += '?';
    out += query;
  }
  if (!exclude_fragment && has_fragment) {
    out += '#';
    out += fragment;
  }
}

std::string Url::Serialize(bool exclude_fragment) const {
  std::string out;
  SerializeTo(out, exclude_fragment);
  return out;
}

const char* ParseErrorText(ParseError error) {
  switch (error) {
    case ParseError::kOk: return "ok";
    case ParseError::kMissingScheme: return "relative URL without a base";
    case ParseError::kHostMissing: return "missing host";
    case ParseError::kInvalidPort: return "invalid port";
    case ParseError::kInvalidIpv4: return "invalid IPv4 address";
    case ParseError::kInvalidIpv6: return "invalid IPv6 address";
    case ParseError::kForbiddenCodePoint: return "forbidden code point in the host";
    case ParseError::kInvalidDomain: return "invalid domain (IDNA)";
  }
  return "invalid URL";
}

int DefaultPort(Scheme scheme) {
  switch (scheme) {
    case Scheme::kHttp:
    case Scheme::kWs: return 80;
    case Scheme::kHttps:
    case Scheme::kWss: return 443;
    case Scheme::kFtp: return 21;
    default: return -1;
  }
}

ParseError Parse(std::string_view input, const Url* base, Url& url) {
  url.Clear();
  // Leading and trailing C0 controls and spaces are trimmed, then every
  // tab and newline removed: hrefs wrapped across lines still work.
  size_t begin = 0, end = input.size();
  while (begin < end && static_cast<unsigned char>(input[begin]) <= 0x20) ++begin;
  while (end > begin && static_cast<unsigned char>(input[end - 1]) <= 0x20) --end;
  input = input.substr(begin, end - begin);
  std::string cleaned;  // only when there is a tab or newline to remove
  // Three memchr passes beat one byte loop on anything but tiny inputs.
  if (input.find('\t') != std::string_view::npos || input.find('\n') != std::string_view::npos ||
      input.find('\r') != std::string_view::npos) {
    cleaned.reserve(input.size());
    for (char c : input)
      if (c != '\t' && c != '\n' && c != '\r') cleaned += c;
    input = cleaned;
  }
  return Parser(input, base, url).Run();
}

}  // namespace newshound::whatwg
