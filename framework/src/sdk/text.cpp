#include "newshound/plugin/text.h"

#include <cstdint>
#include <cstring>

#include "utf8.h"

namespace newshound::sdk {

using internal::CodePoint;
using internal::DecodeAt;

std::string NormalizeSpace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  // IsSpace of an ASCII byte: ' ' and \t \n \v \f \r.
  const auto ascii_space = [](unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  for (size_t pos = 0; pos < text.size();) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    if (lead < 0x80) {
      if (ascii_space(lead)) {
        pending_space = !out.empty();
        ++pos;
        continue;
      }
      // ASCII words apart by single ' ' are normal already (most of a
      // page's text): the run up to anything else is appended whole.
      size_t end = pos + 1;
      while (end < text.size()) {
        const auto c = static_cast<unsigned char>(text[end]);
        if (c >= 0x80) break;
        if (ascii_space(c)) {
          if (c != ' ' || end + 1 == text.size()) break;
          const auto next = static_cast<unsigned char>(text[end + 1]);
          if (next >= 0x80 || ascii_space(next)) break;
          end += 2;
          continue;
        }
        ++end;
      }
      if (pending_space) out += ' ';
      pending_space = false;
      out.append(text.data() + pos, end - pos);
      pos = end;
      continue;
    }
    const CodePoint cp = DecodeAt(text, pos);
    if (cp.valid && internal::IsSpace(cp.value)) {
      pending_space = !out.empty();
    } else {
      if (pending_space) out += ' ';
      pending_space = false;
      out.append(text.substr(pos, cp.length));
    }
    pos += cp.length;
  }
  return out;
}

std::string JoinParagraphs(const std::vector<std::string>& paragraphs) {
  std::string out;
  for (const std::string& paragraph : paragraphs) {
    if (paragraph.empty()) continue;
    if (!out.empty()) out += "\n\n";
    out += paragraph;
  }
  return out;
}

bool IsValidUtf8(std::string_view text) {
  // The well-formed sequences of Unicode's table 3-7, checked byte by byte
  // without building the code point: the same answer as DecodeAt (no
  // overlong forms, surrogates or values past U+10FFFF), in a fraction of
  // its time on a page in Arabic, where every letter is two bytes.
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* const end = p + text.size();
  const auto continuation = [](unsigned char c) { return (c & 0xC0) == 0x80; };
  while (p < end) {
    // Runs of ASCII, eight bytes at a time: most of a page's markup.
    if (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if ((word & 0x8080808080808080ull) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char lead = *p;
    if (lead < 0x80) {
      ++p;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      if (end - p < 2 || !continuation(p[1])) return false;
      p += 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      if (end - p < 3) return false;
      const unsigned char low = lead == 0xE0 ? 0xA0 : 0x80;   // not overlong
      const unsigned char high = lead == 0xED ? 0x9F : 0xBF;  // not a surrogate
      if (p[1] < low || p[1] > high || !continuation(p[2])) return false;
      p += 3;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      if (end - p < 4) return false;
      const unsigned char low = lead == 0xF0 ? 0x90 : 0x80;   // not overlong
      const unsigned char high = lead == 0xF4 ? 0x8F : 0xBF;  // not past U+10FFFF
      if (p[1] < low || p[1] > high || !continuation(p[2]) || !continuation(p[3])) return false;
      p += 4;
    } else {
      return false;
    }
  }
  return true;
}

std::string ToValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const CodePoint cp = DecodeAt(text, pos);
    if (cp.valid) {
      out.append(text.substr(pos, cp.length));
    } else {
      internal::AppendUtf8(out, 0xFFFD);
    }
    pos += cp.length;
  }
  return out;
}

std::string FoldForMatching(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const CodePoint cp = DecodeAt(text, pos);
    pos += cp.length;
    if (!cp.valid) {
      internal::AppendUtf8(out, 0xFFFD);
      continue;
    }
    char32_t c = cp.value;
    if (c >= 'A' && c <= 'Z') c = c - 'A' + 'a';
    if (c >= 0x0660 && c <= 0x0669) c = '0' + (c - 0x0660);
    if (c >= 0x06F0 && c <= 0x06F9) c = '0' + (c - 0x06F0);
    const bool invisible = c == 0x0640 || (c >= 0x064B && c <= 0x065F) || c == 0x0670 || c == 0x061C ||
                           (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
                           (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF;
    if (invisible) continue;
    switch (c) {
      case 0x0622: case 0x0623: case 0x0625: case 0x0671: c = 0x0627; break;  // alef
      case 0x0629: c = 0x0647; break;                                         // teh marbuta
      case 0x0649: case 0x06CC: c = 0x064A; break;                            // yeh
      case 0x06A9: c = 0x0643; break;                                         // kaf
      case 0x060C: c = ','; break;
      case 0x061B: c = ';'; break;
      default: break;
    }
    internal::AppendUtf8(out, c);
  }
  return NormalizeSpace(out);
}

}  // namespace newshound::sdk
