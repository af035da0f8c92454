// `proxy:` values: http://[user[:password]@]host:port.
//
// Parsed by hand rather than with Boost.URL so that every error can echo
// the value with its password masked, and so that a password holding a
// reserved character unencoded ('/', '@') still parses instead of being
// read as a path and printed back in an error.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>

#include "newshound/config.h"

namespace newshound {
namespace {

// The value with anything between the user's ':' and the last '@' replaced
// by ***, so a value can be quoted in an error without its password.
std::string MaskRaw(std::string_view text) {
  const size_t scheme_end = text.find("://");
  const size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const size_t at = text.rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(text);
  const size_t colon = text.substr(start, at - start).find(':');
  if (colon == std::string_view::npos) return std::string(text);
  return std::string(text.substr(0, start + colon + 1)) + "***" + std::string(text.substr(at));
}

bool PercentDecode(std::string_view in, std::string& out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(in[i + 2])))
      return false;
    out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return true;
}

}  // namespace

std::string ProxyOptions::Address() const {
  const std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return name + ":" + std::to_string(port);
}

std::string ProxyOptions::Masked() const {
  if (!enabled()) return "none";
  std::string userinfo;
  if (!user.empty() || !password.empty()) userinfo = user + (password.empty() ? "" : ":***") + "@";
  return "http://" + userinfo + Address();
}

Result<ProxyOptions> ParseProxyUrl(std::string_view text) {
  const std::string shown = "'" + MaskRaw(text) + "'";
  auto fail = [&](const std::string& what) { return Status(ErrorCode::kConfig, what + ", got " + shown); };
  const size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return fail("must be a URL http://[user:password@]host:port");
  std::string scheme(text.substr(0, scheme_end));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // An https:// or socks proxy would need a different client; refusing it
  // beats silently speaking plain HTTP to it.
  if (scheme != "http") return fail("only http:// proxies are supported (scheme '" + scheme + "')");

  ProxyOptions proxy;
  std::string_view rest = text.substr(scheme_end + 3);
  // The last '@': a password with an unencoded '@' or '/' stays a password.
  if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const size_t colon = userinfo.find(':');
    if (!PercentDecode(userinfo.substr(0, colon), proxy.user) ||
        (colon != std::string_view::npos && !PercentDecode(userinfo.substr(colon + 1), proxy.password)))
      return fail("has a bad %-escape in its user or password");
    if (proxy.user.empty()) return fail("has a password but no user name");
    rest = rest.substr(at + 1);
  }
  const size_t path = rest.find_first_of("/?#");
  const std::string_view tail = path == std::string_view::npos ? "" : rest.substr(path);
  if (!tail.empty() && tail != "/") return fail("must not have a path, query or fragment");
  std::string_view hostport = rest.substr(0, path);

  std::string_view port_text;
  if (!hostport.empty() && hostport.front() == '[') {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return fail("has an unclosed [ in its host");
    proxy.host = std::string(hostport.substr(1, close - 1));
    if (close + 1 < hostport.size() && hostport[close + 1] != ':') return fail("has junk after its [host]");
    if (close + 1 < hostport.size()) port_text = hostport.substr(close + 2);
  } else {
    const size_t colon = hostport.rfind(':');
    proxy.host = std::string(hostport.substr(0, colon));
    if (colon != std::string_view::npos) port_text = hostport.substr(colon + 1);
    const bool valid = std::all_of(proxy.host.begin(), proxy.host.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    });
    if (!valid) return fail("has an invalid host name");
  }
  if (proxy.host.empty()) return fail("has no host");
  if (port_text.empty()) return fail("needs a port (http://host:port)");
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    return fail("needs a port from 1 to 65535");
  proxy.port = static_cast<uint16_t>(port);
  for (char& c : proxy.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return proxy;
}

}  // namespace newshound
