#include "newshound/url.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "newshound/redact.h"
#include "url/whatwg.h"

namespace newshound {
namespace {

// Every thread reuses one URL record, and remembers the last base it
// parsed (the crawler resolves all the links of a page against one base):
// with the strings' capacity kept, a parse allocates only the string it
// returns. No function here calls another that uses the scratch while
// holding a reference into it.
struct Scratch {
  whatwg::Url url;
  whatwg::Url base;
  std::string base_input;  // what `base` was parsed from
  bool base_parsed = false;
  whatwg::ParseError base_error = whatwg::ParseError::kOk;
  std::string buffer;  // for rewriting a component
  std::vector<std::string_view> params;
};

Scratch& ThreadScratch() {
  thread_local Scratch scratch;
  return scratch;
}

// The URL is quoted with any user name and password masked: errors reach
// logs, and the URL may be a secret-bearing one from a config or a page.
Status Invalid(std::string_view what, std::string_view url, std::string_view why) {
  std::string message(what);
  message += " '";
  message += RedactUrl(url);
  message += "': ";
  message += why;
  return Status(ErrorCode::kInvalidArgument, std::move(message));
}

// Parses `base` into scratch.base, or finds it there from the last call.
whatwg::ParseError ParseBase(Scratch& scratch, std::string_view base) {
  if (!scratch.base_parsed || scratch.base_input != base) {
    scratch.base_error = whatwg::Parse(base, nullptr, scratch.base);
    scratch.base_input.assign(base);
    scratch.base_parsed = true;
  }
  return scratch.base_error;
}

bool IsHttp(const whatwg::Url& url) {
  return url.scheme_type == whatwg::Scheme::kHttp || url.scheme_type == whatwg::Scheme::kHttps;
}

// Parses an absolute http(s) URL into scratch.url; `what` names it in errors.
Status ParseHttp(Scratch& scratch, std::string_view url, std::string_view what) {
  if (auto error = whatwg::Parse(url, nullptr, scratch.url); error != whatwg::ParseError::kOk)
    return Invalid(std::string("invalid ") + std::string(what), url, whatwg::ParseErrorText(error));
  if (!IsHttp(scratch.url))
    return Invalid(std::string("unsupported ") + std::string(what), url, "only http and https are crawled");
  // A valid URL (WHATWG), but nothing can be fetched from port 0.
  if (scratch.url.port == 0) return Invalid(std::string("invalid ") + std::string(what), url, "port 0");
  return Status::Ok();
}

bool IsHex(char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
int HexValue(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }
char UpperHex(char c) { return c >= 'a' && c <= 'f' ? static_cast<char>(c - 'a' + 'A') : c; }
char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; }

// RFC 3986 2.3.
bool IsUnreserved(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// Rewrites the percent-encoding of `text`: a '%' that starts no escape
// becomes %25 (the WHATWG serializer keeps it bare); with `normalize`,
// escapes of unreserved characters are also decoded and the hex of the
// others upper-cased (RFC 3986 6.2.2.2).
void RewritePercent(std::string& text, bool normalize, std::string& buffer) {
  if (text.find('%') == std::string::npos) return;
  buffer.clear();
  buffer.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '%') {
      buffer += c;
    } else if (i + 2 < text.size() && IsHex(text[i + 1]) && IsHex(text[i + 2])) {
      const int value = HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]);
      if (normalize && IsUnreserved(value)) {
        buffer += static_cast<char>(value);
      } else {
        buffer += '%';
        buffer += normalize ? UpperHex(text[i + 1]) : text[i + 1];
        buffer += normalize ? UpperHex(text[i + 2]) : text[i + 2];
      }
      i += 2;
    } else {
      buffer += "%25";
    }
  }
  text.swap(buffer);
}

void RewriteComponents(whatwg::Url& url, bool normalize, std::string& buffer) {
  RewritePercent(url.username, normalize, buffer);
  RewritePercent(url.password, normalize, buffer);
  RewritePercent(url.path, normalize, buffer);
  RewritePercent(url.query, normalize, buffer);
}

// A glob where '*' matches any run of characters, ASCII case-insensitive.
bool GlobMatches(std::string_view pattern, std::string_view name) {
  size_t p = 0, n = 0;
  size_t star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && AsciiLower(pattern[p]) == AsciiLower(name[n])) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// The name of a "name=value" parameter.
std::string_view ParamName(std::string_view param) { return param.substr(0, param.find('=')); }

bool Dropped(std::string_view param, const NormalizeOptions& options) {
  const std::string_view name = ParamName(param);
  for (const auto& pattern : options.drop_query_params)
    if (GlobMatches(pattern, name)) return true;
  return false;
}

// Removes the path parameters (";name=value" after a segment, as in
// ";jsessionid=...") that `options` drops. A segment left as "." or ".."
// keeps its parameters, so the result stays a normal form.
void DropPathParams(whatwg::Url& url, const NormalizeOptions& options, std::string& buffer) {
  if (options.drop_query_params.empty() || url.path.find(';') == std::string::npos) return;
  buffer.clear();
  const std::string_view path = url.path;
  size_t start = 0;  // of the segment, after its '/'
  while (start < path.size()) {
    size_t end = path.find('/', start + 1);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view segment = path.substr(start, end - start);  // with its leading '/'
    const size_t semicolon = segment.find(';');
    const std::string_view bare = segment.substr(0, semicolon);
    if (semicolon == std::string_view::npos || bare == "/." || bare == "/..") {
      buffer += segment;
    } else {
      buffer += bare;
      size_t at = semicolon;
      while (at < segment.size()) {
        size_t next = segment.find(';', at + 1);
        if (next == std::string_view::npos) next = segment.size();
        const std::string_view param = segment.substr(at + 1, next - at - 1);
        if (!Dropped(param, options)) {
          buffer += ';';
          buffer += param;
        }
        at = next;
      }
    }
    start = end;
  }
  url.path.swap(buffer);
}

// Drops empty and unwanted parameters from the query and sorts the rest if
// asked; the query is rebuilt only when that changes it.
void RewriteQuery(whatwg::Url& url, const NormalizeOptions& options, Scratch& scratch) {
  if (!url.has_query) return;
  std::vector<std::string_view>& params = scratch.params;
  params.clear();
  const std::string_view query = url.query;
  bool changed = false;
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view param = query.substr(start, end - start);
    if (param.empty() || Dropped(param, options)) {
      changed = true;
    } else {
      params.push_back(param);
    }
    start = end + 1;
  }
  if (options.sort_query && params.size() > 1) {
    auto by_name = [](std::string_view a, std::string_view b) { return ParamName(a) < ParamName(b); };
    if (!std::is_sorted(params.begin(), params.end(), by_name)) {
      std::stable_sort(params.begin(), params.end(), by_name);
      changed = true;
    }
  }
  if (changed) {
    std::string& buffer = scratch.buffer;
    buffer.clear();
    for (const auto& param : params) {
      if (!buffer.empty()) buffer += '&';
      buffer += param;
    }
    url.query.swap(buffer);
  }
  if (url.query.empty()) url.has_query = false;
}

}  // namespace

Result<std::string> ParseUrl(std::string_view input, std::string_view base) {
  Scratch& scratch = ThreadScratch();
  const whatwg::Url* base_url = nullptr;
  if (!base.empty()) {
    if (auto error = ParseBase(scratch, base); error != whatwg::ParseError::kOk)
      return Invalid("invalid base URL", base, whatwg::ParseErrorText(error));
    base_url = &scratch.base;
  }
  if (auto error = whatwg::Parse(input, base_url, scratch.url); error != whatwg::ParseError::kOk)
    return Invalid("invalid URL", input, whatwg::ParseErrorText(error));
  return scratch.url.Serialize();
}

Result<UrlParts> ParseHttpUrl(std::string_view url) {
  Scratch& scratch = ThreadScratch();
  if (Status status = ParseHttp(scratch, url, "URL"); !status.ok()) return status;
  whatwg::Url& u = scratch.url;
  UrlParts parts;
  parts.scheme = u.scheme;
  parts.has_userinfo = !u.username.empty() || !u.password.empty();
  parts.host = u.host_kind == whatwg::HostKind::kIpv6 ? u.host.substr(1, u.host.size() - 2) : u.host;
  parts.port = static_cast<uint16_t>(u.port >= 0 ? u.port : whatwg::DefaultPort(u.scheme_type));
  RewritePercent(u.path, false, scratch.buffer);
  RewritePercent(u.query, false, scratch.buffer);
  parts.target.reserve(u.path.size() + u.query.size() + 1);
  parts.target = u.path;
  if (u.has_query) {
    parts.target += '?';
    parts.target += u.query;
  }
  return parts;
}

Result<std::string> ResolveUrl(std::string_view base, std::string_view ref) {
  Scratch& scratch = ThreadScratch();
  if (auto error = ParseBase(scratch, base); error != whatwg::ParseError::kOk)
    return Invalid("invalid URL", base, whatwg::ParseErrorText(error));
  if (!IsHttp(scratch.base)) return Invalid("unsupported URL", base, "only http and https are crawled");
  if (auto error = whatwg::Parse(ref, &scratch.base, scratch.url); error != whatwg::ParseError::kOk)
    return Invalid("invalid link", ref, whatwg::ParseErrorText(error));
  if (!IsHttp(scratch.url)) return Invalid("unsupported link", ref, "only http and https are crawled");
  if (scratch.url.port == 0) return Invalid("invalid link", ref, "port 0");
  RewriteComponents(scratch.url, false, scratch.buffer);
  return scratch.url.Serialize(/*exclude_fragment=*/true);
}

Result<std::string> NormalizeUrl(std::string_view url, const NormalizeOptions& options) {
  Scratch& scratch = ThreadScratch();
  if (Status status = ParseHttp(scratch, url, "URL"); !status.ok()) return status;
  whatwg::Url& u = scratch.url;
  // Credentials are never sent (a request carries only host, port and
  // target), so they are no part of what is fetched, and the normal form is
  // what logs, the crawl state and the output record: it has none.
  u.username.clear();
  u.password.clear();
  RewriteComponents(u, true, scratch.buffer);
  DropPathParams(u, options, scratch.buffer);
  RewriteQuery(u, options, scratch);
  return u.Serialize(/*exclude_fragment=*/true);
}

Result<std::string> NormalizeUrl(std::string_view url) {
  static const NormalizeOptions kDefaults;
  return NormalizeUrl(url, kDefaults);
}

std::string OriginKey(const UrlParts& parts) {
  std::string key = parts.scheme + "://";
  if (parts.host.find(':') != std::string::npos) {
    key += '[' + parts.host + ']';
  } else {
    key += parts.host;
  }
  key += ':' + std::to_string(parts.port);
  return key;
}

}  // namespace newshound
