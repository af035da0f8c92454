#include "common/contained_path.h"

#include <cstdint>
#include <system_error>

namespace newshound {
namespace fs = std::filesystem;
namespace {

bool IsHex(char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
int HexValue(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

// One pass of percent-decoding; a '%' that starts no escape stays.
std::string PercentDecode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && IsHex(in[i + 1]) && IsHex(in[i + 2])) {
      out += static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2]));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

// The length of the UTF-8 sequence at `text[i]` and its code point, or 0
// when the bytes there are no valid UTF-8 (overlong forms, surrogates and
// values above U+10FFFF included).
size_t DecodeUtf8(std::string_view text, size_t i, char32_t& code_point) {
  const auto byte = [&](size_t at) { return static_cast<unsigned char>(text[at]); };
  const unsigned char lead = byte(i);
  size_t length = 0;
  char32_t value = 0;
  if (lead < 0x80) {
    code_point = lead;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    value = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    value = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    value = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i + k) & 0x3F);
  }
  if ((length == 3 && value < 0x800) || (length == 4 && (value < 0x10000 || value > 0x10FFFF)) ||
      (value >= 0xD800 && value <= 0xDFFF))
    return 0;
  code_point = value;
  return length;
}

bool Refused(char32_t c) {
  return c < 0x20 || c == '/' || c == '\\' || c == 0x7F || (c >= 0x80 && c <= 0x9F) || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

uint64_t Fnv1a64(std::string_view text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// Whether `inner` is `outer` or below it, element by element (both
// lexically normal; empty elements, from a trailing '/', are skipped).
bool IsWithin(const fs::path& inner, const fs::path& outer) {
  auto in = inner.begin();
  for (auto out = outer.begin(); out != outer.end(); ++out) {
    if (out->empty()) continue;
    while (in != inner.end() && in->empty()) ++in;
    if (in == inner.end() || *in != *out) return false;
    ++in;
  }
  return true;
}

Status Outside(const fs::path& path, const fs::path& root, const std::string& how) {
  return Status(ErrorCode::kInvalidArgument, path.string() + " is not inside " + root.string() + ": " + how);
}

template <typename Range>
Result<fs::path> Contain(const fs::path& root, const Range& components) {
  if (root.empty()) return Status(ErrorCode::kInvalidArgument, "a contained path needs a root directory");
  if (components.size() == 0)
    return Status(ErrorCode::kInvalidArgument, root.string() + ": a contained path needs a file name");
  std::error_code ec;
  const fs::path base = fs::absolute(root, ec);
  if (ec)
    return Status(ErrorCode::kIo, root.string() + ": cannot resolve against the working directory: " + ec.message());
  fs::path path = base;
  std::vector<std::string> names;
  for (const auto& component : components) {
    names.push_back(SafeFileName(component));
    path /= names.back();
  }
  // Lexically: SafeFileName leaves no "..", '/' or empty name, so this
  // holds by construction; checked all the same, as the promise is made here.
  if (!IsWithin(path.lexically_normal(), base.lexically_normal()))
    return Outside(path, root, "it leaves it lexically");

  // Through the symbolic links that exist: every link on the way is
  // followed (dangling ones too: open(O_CREAT) would follow them) and must
  // stay under where the root really is.
  const fs::path real_root = fs::weakly_canonical(base, ec);
  if (ec) return Status(ErrorCode::kIo, root.string() + ": cannot resolve: " + ec.message());
  fs::path at = real_root;
  for (const std::string& name : names) {
    at /= name;
    for (int hops = 0;; ++hops) {
      const fs::file_status status = fs::symlink_status(at, ec);
      if (ec || !fs::is_symlink(status)) break;  // missing (nothing below exists either), or no link
      if (hops == 40) return Outside(path, root, "too many levels of symbolic links at " + at.string());
      const fs::path target = fs::read_symlink(at, ec);
      if (ec) return Status(ErrorCode::kIo, at.string() + ": cannot read the symbolic link: " + ec.message());
      const fs::path resolved = fs::weakly_canonical(target.is_absolute() ? target : at.parent_path() / target, ec);
      if (ec) return Status(ErrorCode::kIo, at.string() + ": cannot resolve the symbolic link: " + ec.message());
      if (!IsWithin(resolved, real_root))
        return Outside(path, root, "the symbolic link " + at.string() + " leads to " + resolved.string());
      at = resolved;
    }
  }
  return path;
}

}  // namespace

std::string SafeFileName(std::string_view name) {
  // Decoded until nothing decodes: each pass that changes the text makes it
  // shorter, so this ends.
  std::string decoded(name);
  for (std::string next = PercentDecode(decoded); next != decoded; next = PercentDecode(decoded)) decoded = next;

  std::string out;
  out.reserve(decoded.size());
  for (size_t i = 0; i < decoded.size();) {
    char32_t c = 0;
    const size_t length = DecodeUtf8(decoded, i, c);
    if (length == 0) {
      out += '_';
      ++i;
      continue;
    }
    if (Refused(c)) {
      out += '_';
    } else {
      out.append(decoded, i, length);
    }
    i += length;
  }
  for (char& c : out) {
    if (c != '.') break;
    c = '_';
  }
  if (out.empty()) out = "_";
  if (out.size() > kMaxFileNameBytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string suffix = "~";
    const uint64_t hash = Fnv1a64(out);
    for (int shift = 60; shift >= 0; shift -= 4) suffix += kHex[(hash >> shift) & 0xF];
    size_t cut = kMaxFileNameBytes - suffix.size();
    // Back to the start of a code point (out is valid UTF-8 by now).
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
    out += suffix;
  }
  return out;
}

Result<fs::path> ContainedPath(const fs::path& root, std::initializer_list<std::string_view> components) {
  return Contain(root, components);
}

Result<fs::path> ContainedPath(const fs::path& root, const std::vector<std::string>& components) {
  return Contain(root, components);
}

}  // namespace newshound
