#include "newshound/charset.h"

#include <cstdint>
#include <cstring>

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <optional>

namespace newshound {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.front())) || s.front() == '"' || s.front() == '\''))
    s.remove_prefix(1);
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())) || s.back() == '"' || s.back() == '\''))
    s.remove_suffix(1);
  return std::string(s);
}

// Maps a label to the canonical name we pass to iconv (WHATWG labels).
std::string CanonicalCharset(std::string_view label) {
  std::string name = Lower(Trim(label));
  if (name == "utf8" || name == "unicode-1-1-utf-8" || name == "x-unicode20utf8") return "utf-8";
  if (name == "iso-8859-1" || name == "latin1" || name == "iso8859-1" || name == "ascii" || name == "us-ascii" ||
      name == "l1" || name == "cp1252")
    return "windows-1252";
  if (name == "cp1256" || name == "x-cp1256") return "windows-1256";
  if (name == "iso-8859-6" || name == "arabic" || name == "iso8859-6") return "iso-8859-6";
  return name;
}

// The value after "charset=" in a header value or a meta tag.
std::optional<std::string> CharsetParameter(std::string_view text) {
  const std::string lower = Lower(text);
  const size_t at = lower.find("charset");
  if (at == std::string::npos) return std::nullopt;
  size_t i = at + 7;
  while (i < lower.size() && std::isspace(static_cast<unsigned char>(lower[i]))) ++i;
  if (i >= lower.size() || lower[i] != '=') return std::nullopt;
  ++i;
  while (i < lower.size() && (std::isspace(static_cast<unsigned char>(lower[i])) || lower[i] == '"' || lower[i] == '\''))
    ++i;
  size_t end = i;
  while (end < lower.size() && (std::isalnum(static_cast<unsigned char>(lower[end])) || lower[end] == '-' ||
                                lower[end] == '_' || lower[end] == '.' || lower[end] == ':'))
    ++end;
  if (end == i) return std::nullopt;
  return lower.substr(i, end - i);
}

std::optional<std::string> FromMeta(std::string_view head) {
  const std::string lower = Lower(head);
  size_t pos = 0;
  while ((pos = lower.find("<meta", pos)) != std::string::npos) {
    const size_t end = lower.find('>', pos);
    if (end == std::string::npos) break;
    if (auto charset = CharsetParameter(std::string_view(lower).substr(pos, end - pos))) return charset;
    pos = end;
  }
  return std::nullopt;
}

std::optional<std::string> FromXmlDeclaration(std::string_view head) {
  if (head.substr(0, 5) != "<?xml") return std::nullopt;
  const size_t end = head.find("?>");
  const std::string decl = Lower(head.substr(0, end));
  const size_t at = decl.find("encoding");
  if (at == std::string::npos) return std::nullopt;
  size_t i = decl.find_first_of("\"'", at);
  if (i == std::string::npos) return std::nullopt;
  const size_t close = decl.find(decl[i], i + 1);
  if (close == std::string::npos) return std::nullopt;
  return decl.substr(i + 1, close - i - 1);
}

void AppendReplacement(std::string& out) { out += "\xEF\xBF\xBD"; }

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t n = 0;
  uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const unsigned char cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are invalid.
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

std::string SanitizeUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) {
      AppendReplacement(out);
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    // Eight ASCII bytes at a time: most of a page (markup, Latin text) is.
    if (i + 8 <= text.size()) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    const size_t n = Utf8SequenceLength(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

CharsetGuess DetectCharset(std::string_view content_type, std::string_view body, std::string_view fallback) {
  if (auto charset = CharsetParameter(content_type)) return {CanonicalCharset(*charset), "header"};
  if (body.substr(0, 3) == "\xEF\xBB\xBF") return {"utf-8", "bom"};
  if (body.substr(0, 2) == "\xFF\xFE") return {"utf-16le", "bom"};
  if (body.substr(0, 2) == "\xFE\xFF") return {"utf-16be", "bom"};
  const std::string_view head = body.substr(0, 1024);
  if (auto charset = FromXmlDeclaration(head)) return {CanonicalCharset(*charset), "xml"};
  if (auto charset = FromMeta(head)) return {CanonicalCharset(*charset), "meta"};
  return {CanonicalCharset(fallback), "default"};
}

Result<std::string> DecodeToUtf8(std::string_view body, std::string_view charset_label) {
  const std::string charset = CanonicalCharset(charset_label);
  if (charset == "utf-8") {
    if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
    if (IsValidUtf8(body)) return std::string(body);
    return SanitizeUtf8(body);
  }
  iconv_t cd = iconv_open("UTF-8", charset.c_str());
  if (cd == reinterpret_cast<iconv_t>(-1))
    return Status(ErrorCode::kInvalidArgument, "unsupported charset '" + std::string(charset_label) + "'");
  if ((charset == "utf-16le" && body.substr(0, 2) == "\xFF\xFE") ||
      (charset == "utf-16be" && body.substr(0, 2) == "\xFE\xFF"))
    body.remove_prefix(2);
  std::string out;
  out.reserve(body.size() * 2);
  char buffer[8192];
  char* in = const_cast<char*>(body.data());
  size_t in_left = body.size();
  while (in_left > 0) {
    char* out_ptr = buffer;
    size_t out_left = sizeof(buffer);
    const size_t rc = iconv(cd, &in, &in_left, &out_ptr, &out_left);
    out.append(buffer, out_ptr - buffer);
    if (rc == static_cast<size_t>(-1)) {
      if (errno == E2BIG) continue;
      // EILSEQ: an invalid byte; EINVAL: a sequence cut off at the end.
      AppendReplacement(out);
      ++in;
      --in_left;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset shift state
    }
  }
  char* out_ptr = buffer;
  size_t out_left = sizeof(buffer);
  iconv(cd, nullptr, nullptr, &out_ptr, &out_left);
  out.append(buffer, out_ptr - buffer);
  iconv_close(cd);
  return out;
}

}  // namespace newshound
