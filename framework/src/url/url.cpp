#include "newshound/url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <cctype>

namespace newshound {
namespace {

namespace urls = boost::urls;

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Characters RFC 3986 allows to appear literally somewhere in a URI
// reference. Anything else found in an href is percent-encoded, as browsers
// do when they serialize a URL.
bool IsUriChar(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '-': case '.': case '_': case '~':                        // unreserved
    case ':': case '/': case '?': case '#': case '[': case ']': case '@':  // gen-delims
    case '!': case '$': case '&': case '\'': case '(': case ')':   // sub-delims
    case '*': case '+': case ',': case ';': case '=':
      return true;
    default:
      return false;
  }
}

// Browser-compatible clean-up of a reference taken from HTML: leading and
// trailing C0 controls and spaces trimmed, tabs and newlines removed,
// backslashes read as slashes, and characters that cannot appear in a URI
// (spaces, non-ASCII, quotes, stray '%') percent-encoded.
std::string CleanReference(std::string_view in) {
  size_t begin = 0, end = in.size();
  while (begin < end && static_cast<unsigned char>(in[begin]) <= 0x20) ++begin;
  while (end > begin && static_cast<unsigned char>(in[end - 1]) <= 0x20) --end;
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(end - begin);
  bool in_fragment = false;
  for (size_t i = begin; i < end; ++i) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    if (c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '#') {
      if (in_fragment) {  // a second '#' is data
        out += "%23";
        continue;
      }
      in_fragment = true;
    }
    if (c == '\\' && !in_fragment) {
      out += '/';
    } else if (c == '%' && i + 2 < end && IsHex(in[i + 1]) && IsHex(in[i + 2])) {
      out += '%';
    } else if (c != '%' && IsUriChar(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

bool IsHttpScheme(urls::scheme id) { return id == urls::scheme::http || id == urls::scheme::https; }

Status Invalid(std::string_view what, std::string_view url, std::string_view why) {
  std::string message(what);
  message += " '";
  message += url;
  message += "': ";
  message += why;
  return Status(ErrorCode::kInvalidArgument, std::move(message));
}

Result<urls::url> ParseAbsolute(std::string_view raw) {
  const std::string cleaned = CleanReference(raw);
  auto parsed = urls::parse_uri(cleaned);
  if (!parsed) return Invalid("invalid URL", raw, parsed.error().message());
  if (!IsHttpScheme(parsed->scheme_id())) return Invalid("unsupported URL", raw, "only http and https are crawled");
  if (!parsed->has_authority() || parsed->encoded_host().empty())
    return Invalid("invalid URL", raw, "no host");
  return urls::url(*parsed);
}

}  // namespace

Result<UrlParts> ParseHttpUrl(std::string_view url) {
  auto parsed = ParseAbsolute(url);
  if (!parsed.ok()) return parsed.status();
  urls::url& u = *parsed;
  u.normalize_scheme();
  UrlParts parts;
  parts.scheme = u.scheme();
  parts.host = u.host_type() == urls::host_type::ipv6 ? std::string(u.encoded_host_address())
                                                       : std::string(u.encoded_host());
  for (char& c : parts.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (u.has_port()) {
    if (u.port().empty()) {
      parts.port = parts.scheme == "https" ? 443 : 80;
    } else if (u.port_number() == 0) {
      return Invalid("invalid URL", url, "bad port");
    } else {
      parts.port = u.port_number();
    }
  } else {
    parts.port = parts.scheme == "https" ? 443 : 80;
  }
  parts.target = std::string(u.encoded_path());
  if (parts.target.empty()) parts.target = "/";
  if (u.has_query()) {
    parts.target += '?';
    parts.target += u.encoded_query();
  }
  return parts;
}

Result<std::string> ResolveUrl(std::string_view base, std::string_view ref) {
  auto base_url = ParseAbsolute(base);
  if (!base_url.ok()) return base_url.status();
  const std::string cleaned = CleanReference(ref);
  auto ref_url = urls::parse_uri_reference(cleaned);
  if (!ref_url) return Invalid("invalid link", ref, ref_url.error().message());
  urls::url out;
  auto resolved = urls::resolve(*base_url, *ref_url, out);
  if (!resolved) return Invalid("cannot resolve link", ref, resolved.error().message());
  if (!IsHttpScheme(out.scheme_id())) return Invalid("unsupported link", ref, "only http and https are crawled");
  if (out.encoded_host().empty()) return Invalid("invalid link", ref, "no host");
  out.remove_fragment();
  if (out.encoded_path().empty()) out.set_path_absolute(true);  // set_encoded_path("/") gives "/./" in 1.81
  return std::string(out.buffer());
}

Result<std::string> NormalizeUrl(std::string_view url) {
  auto parsed = ParseAbsolute(url);
  if (!parsed.ok()) return parsed.status();
  urls::url& u = *parsed;
  u.normalize();  // case of scheme and host, percent-encoding, dot segments
  u.remove_fragment();
  if (u.has_port()) {
    const bool default_port = u.port().empty() ||
                              (u.scheme_id() == urls::scheme::http && u.port_number() == 80) ||
                              (u.scheme_id() == urls::scheme::https && u.port_number() == 443);
    if (default_port) u.remove_port();
  }
  if (u.encoded_path().empty()) u.set_path_absolute(true);
  if (u.has_query() && u.encoded_query().empty()) u.remove_query();
  return std::string(u.buffer());
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
