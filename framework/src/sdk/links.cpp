#include "newshound/plugin/links.h"

#include "newshound/url.h"

namespace newshound::sdk {
namespace {

bool IsHrefSpace(char c) { return static_cast<unsigned char>(c) <= 0x20; }

}  // namespace

std::optional<std::string> ResolveLink(std::string_view page_url, std::string_view href) {
  while (!href.empty() && IsHrefSpace(href.front())) href.remove_prefix(1);
  while (!href.empty() && IsHrefSpace(href.back())) href.remove_suffix(1);
  // Both point at the page itself: following them would only refetch it.
  if (href.empty() || href.front() == '#') return std::nullopt;
  auto resolved = ResolveUrl(page_url, href);
  if (!resolved.ok()) return std::nullopt;
  return std::move(resolved).value();
}

std::string PathOf(std::string_view url) {
  auto parts = ParseHttpUrl(url);
  if (!parts.ok()) return "";
  std::string path = parts->target;
  if (const size_t query = path.find('?'); query != std::string::npos) path.resize(query);
  return path.empty() ? std::string("/") : path;
}

std::string HostOf(std::string_view url) {
  auto parts = ParseHttpUrl(url);
  if (!parts.ok()) return "";
  return parts->host;
}

std::string OriginOf(std::string_view url) {
  auto parts = ParseHttpUrl(url);
  if (!parts.ok()) return "";
  std::string origin = parts->scheme + "://";
  const bool ipv6 = parts->host.find(':') != std::string::npos;
  if (ipv6) origin += '[';
  origin += parts->host;
  if (ipv6) origin += ']';
  const uint16_t default_port = parts->scheme == "https" ? 443 : 80;
  if (parts->port != default_port) {
    origin += ':';
    origin += std::to_string(parts->port);
  }
  return origin;
}

}  // namespace newshound::sdk
