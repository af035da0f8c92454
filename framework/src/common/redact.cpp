#include "newshound/redact.h"

#include <array>

namespace newshound {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }

std::string LowerCopy(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = Lower(c);
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// "name=value" -> "name=***"; without '=', the whole of it is the secret.
std::string MaskPair(std::string_view pair) {
  pair = Trim(pair);
  const size_t equals = pair.find('=');
  if (equals == std::string_view::npos) return std::string(kMask);
  return std::string(Trim(pair.substr(0, equals))) + "=" + std::string(kMask);
}

}  // namespace

std::string RedactUrl(std::string_view input) {
  if (input.find('@') == std::string_view::npos) return std::string(input);
  // A URL parser ignores tabs and newlines anywhere ("ht\ntp://u:p@h/" is
  // http), so they must not hide an authority from this scan either.
  std::string text;
  text.reserve(input.size());
  for (char c : input)
    if (c != '\t' && c != '\n' && c != '\r') text += c;
  size_t i = 0;
  while (i < text.size() && static_cast<unsigned char>(text[i]) <= 0x20) ++i;  // leading C0 controls and spaces
  size_t start = i;
  if (i < text.size() && IsAlpha(text[i])) {
    size_t j = i + 1;
    auto scheme_char = [](char c) { return IsAlpha(c) || IsDigit(c) || c == '+' || c == '-' || c == '.'; };
    while (j < text.size() && scheme_char(text[j])) ++j;
    if (j < text.size() && text[j] == ':') start = j + 1;
  }
  while (start < text.size() && (text[start] == '/' || text[start] == '\\')) ++start;
  size_t end = text.find_first_of("/\\?#", start);
  if (end == std::string::npos) end = text.size();
  const size_t at = text.substr(start, end - start).rfind('@');
  if (at == std::string::npos) return text;
  return text.substr(0, start) + std::string(kMask) + text.substr(start + at);
}

bool IsCredentialHeader(std::string_view name) {
  const std::string lower = LowerCopy(name);
  if (lower == "authorization" || lower == "proxy-authorization" || lower == "cookie" || lower == "set-cookie")
    return true;
  static constexpr std::array<std::string_view, 9> kParts = {"token",  "secret", "password", "passwd", "api-key",
                                                             "apikey", "api_key", "session", "auth"};
  for (std::string_view part : kParts)
    if (lower.find(part) != std::string::npos) return true;
  return lower.size() > 3 && lower.ends_with("key");
}

std::string RedactHeaderValue(std::string_view name, std::string_view value) {
  const std::string lower = LowerCopy(name);
  if (lower == "location" || lower == "content-location") return RedactUrl(value);
  if (!IsCredentialHeader(name)) return std::string(value);
  if (lower == "cookie") {
    // "a=1; b=2": every cookie is a secret, each name is not.
    std::string out;
    size_t start = 0;
    while (start <= value.size()) {
      size_t end = value.find(';', start);
      if (end == std::string_view::npos) end = value.size();
      const std::string_view pair = value.substr(start, end - start);
      if (!Trim(pair).empty()) out += (out.empty() ? "" : "; ") + MaskPair(pair);
      start = end + 1;
    }
    return out.empty() ? std::string(kMask) : out;
  }
  if (lower == "set-cookie") {
    // "sid=abc; Path=/; HttpOnly": the first pair is the cookie; the
    // attributes after it say where it goes and are kept.
    const size_t end = value.find(';');
    return MaskPair(value.substr(0, end)) + (end == std::string_view::npos ? "" : std::string(value.substr(end)));
  }
  // "Bearer abc", "Basic dXNlcjpwYXNz": the scheme says what kind it is.
  const std::string_view trimmed = Trim(value);
  const size_t space = trimmed.find(' ');
  if (space != std::string_view::npos && space > 0 && space <= 20) {
    const std::string_view scheme = trimmed.substr(0, space);
    bool word = true;
    for (char c : scheme) word = word && (IsAlpha(c) || IsDigit(c) || c == '-' || c == '_');
    if (word) return std::string(scheme) + " " + std::string(kMask);
  }
  return std::string(kMask);
}

}  // namespace newshound
