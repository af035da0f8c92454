#include "content_type.h"

#include <algorithm>
#include <array>
#include <utility>

namespace newshound::outlet {
namespace {

char ToLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), ToLower);
  return out;
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (ToLower(text[i]) != prefix[i]) return false;
  }
  return true;
}

std::size_t FindNoCase(std::string_view text, std::string_view needle,
                       std::size_t from = 0) {
  for (std::size_t i = from; i + needle.size() <= text.size(); ++i) {
    if (StartsWithNoCase(text.substr(i), needle)) return i;
  }
  return std::string_view::npos;
}

// A declared charset ends up in a response header, so only accept what a
// charset name can look like; anything else is treated as no declaration.
std::string NormalizeCharset(std::string_view value) {
  while (!value.empty() && IsSpace(value.front())) value.remove_prefix(1);
  while (!value.empty() && IsSpace(value.back())) value.remove_suffix(1);
  if (value.empty() || value.size() > 40) return {};
  for (char c : value) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
              c == ':' || c == '+';
    if (!ok) return {};
  }
  return Lower(value);
}

// The charset in a Content-Type value such as "text/html; charset=utf-8".
std::string CharsetFromContentValue(std::string_view content) {
  std::size_t pos = 0;
  while ((pos = FindNoCase(content, "charset", pos)) != std::string_view::npos) {
    std::size_t i = pos + 7;
    while (i < content.size() && IsSpace(content[i])) ++i;
    if (i >= content.size() || content[i] != '=') {
      pos = i;
      continue;
    }
    ++i;
    while (i < content.size() && IsSpace(content[i])) ++i;
    if (i < content.size() && (content[i] == '"' || content[i] == '\'')) {
      char quote = content[i++];
      std::size_t end = content.find(quote, i);
      if (end == std::string_view::npos) return {};
      return NormalizeCharset(content.substr(i, end - i));
    }
    std::size_t end = i;
    while (end < content.size() && content[end] != ';' &&
           !IsSpace(content[end])) {
      ++end;
    }
    return NormalizeCharset(content.substr(i, end - i));
  }
  return {};
}

// Parses the attributes of a tag starting at `pos` (just after the tag name)
// up to the closing '>', calling on_attr(lower-cased name, value) for each.
// Returns the position after the tag.
template <typename OnAttr>
std::size_t ParseAttributes(std::string_view text, std::size_t pos,
                            OnAttr on_attr) {
  while (pos < text.size()) {
    while (pos < text.size() && (IsSpace(text[pos]) || text[pos] == '/')) {
      ++pos;
    }
    if (pos >= text.size() || text[pos] == '>') break;
    std::size_t name_start = pos;
    while (pos < text.size() && !IsSpace(text[pos]) && text[pos] != '=' &&
           text[pos] != '>' && text[pos] != '/') {
      ++pos;
    }
    std::string name = Lower(text.substr(name_start, pos - name_start));
    while (pos < text.size() && IsSpace(text[pos])) ++pos;
    std::string_view value;
    if (pos < text.size() && text[pos] == '=') {
      ++pos;
      while (pos < text.size() && IsSpace(text[pos])) ++pos;
      if (pos < text.size() && (text[pos] == '"' || text[pos] == '\'')) {
        char quote = text[pos++];
        std::size_t end = text.find(quote, pos);
        if (end == std::string_view::npos) end = text.size();
        value = text.substr(pos, end - pos);
        pos = std::min(end + 1, text.size());
      } else {
        std::size_t start = pos;
        while (pos < text.size() && !IsSpace(text[pos]) && text[pos] != '>') {
          ++pos;
        }
        value = text.substr(start, pos - start);
      }
    }
    on_attr(name, value);
  }
  return pos < text.size() ? pos + 1 : pos;
}

struct ExtensionType {
  std::string_view extension;
  std::string_view mime;
};

constexpr std::array kTypes = {
    ExtensionType{"html", "text/html"},
    ExtensionType{"htm", "text/html"},
    ExtensionType{"xml", "application/xml"},
    ExtensionType{"rss", "application/rss+xml"},
    ExtensionType{"css", "text/css"},
    ExtensionType{"js", "text/javascript"},
    ExtensionType{"json", "application/json"},
    ExtensionType{"txt", "text/plain; charset=utf-8"},
    ExtensionType{"png", "image/png"},
    ExtensionType{"jpg", "image/jpeg"},
    ExtensionType{"jpeg", "image/jpeg"},
    ExtensionType{"gif", "image/gif"},
    ExtensionType{"svg", "image/svg+xml"},
    ExtensionType{"ico", "image/x-icon"},
};

}  // namespace

std::string SniffHtmlCharset(std::string_view document) {
  std::string_view head = document.substr(0, kCharsetSniffBytes);
  std::size_t pos = 0;
  while ((pos = head.find('<', pos)) != std::string_view::npos) {
    std::string_view rest = head.substr(pos);
    if (rest.starts_with("<!--")) {
      std::size_t end = head.find("-->", pos + 4);
      if (end == std::string_view::npos) break;
      pos = end + 3;
      continue;
    }
    if (!StartsWithNoCase(rest, "<meta") || rest.size() < 6 ||
        !(IsSpace(rest[5]) || rest[5] == '/')) {
      ++pos;
      continue;
    }
    std::string charset;
    std::string content;
    bool http_equiv_content_type = false;
    pos = ParseAttributes(head, pos + 5,
                          [&](const std::string& name, std::string_view value) {
                            if (name == "charset" && charset.empty()) {
                              charset = NormalizeCharset(value);
                            } else if (name == "http-equiv") {
                              http_equiv_content_type =
                                  Lower(value) == "content-type";
                            } else if (name == "content") {
                              content = std::string(value);
                            }
                          });
    if (!charset.empty()) return charset;
    if (http_equiv_content_type) {
      std::string from_content = CharsetFromContentValue(content);
      if (!from_content.empty()) return from_content;
    }
  }
  return {};
}

std::string SniffXmlEncoding(std::string_view document) {
  std::string_view head = document.substr(0, kCharsetSniffBytes);
  if (head.starts_with("\xEF\xBB\xBF")) head.remove_prefix(3);
  while (!head.empty() && IsSpace(head.front())) head.remove_prefix(1);
  if (!head.starts_with("<?xml") || head.size() < 6 || !IsSpace(head[5])) {
    return {};
  }
  std::size_t end = head.find("?>");
  if (end == std::string_view::npos) return {};
  std::string encoding;
  ParseAttributes(head.substr(0, end), 5,
                  [&](const std::string& name, std::string_view value) {
                    if (name == "encoding") encoding = NormalizeCharset(value);
                  });
  return encoding;
}

std::string ContentTypeFor(std::string_view file_name, std::string_view body,
                           bool declare_charset) {
  std::size_t dot = file_name.rfind('.');
  std::size_t slash = file_name.rfind('/');
  std::string extension;
  if (dot != std::string_view::npos &&
      (slash == std::string_view::npos || dot > slash)) {
    extension = Lower(file_name.substr(dot + 1));
  }
  auto it = std::find_if(kTypes.begin(), kTypes.end(),
                         [&](const ExtensionType& type) {
                           return type.extension == extension;
                         });
  if (it == kTypes.end()) return "application/octet-stream";
  std::string type(it->mime);

  bool is_html = type == "text/html";
  bool is_xml = extension == "xml" || extension == "rss";
  if (!declare_charset || !(is_html || is_xml)) return type;
  // XHTML may only carry an XML declaration, so HTML falls back to it.
  std::string charset = is_html ? SniffHtmlCharset(body) : std::string();
  if (charset.empty()) charset = SniffXmlEncoding(body);
  if (!charset.empty()) type += "; charset=" + charset;
  return type;
}

}  // namespace newshound::outlet
