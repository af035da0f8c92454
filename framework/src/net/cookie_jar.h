// A per-site HTTP cookie store (RFC 6265, the parts a crawler needs).
//
// SetCookie() applies one Set-Cookie value received from a URL: Domain
// (host-only when absent; refused unless it domain-matches the request host
// and is not a public suffix), Path (the default path of RFC 6265 5.1.4 when
// absent or not starting with '/'), Expires / Max-Age (Max-Age wins; an
// expiry in the past deletes the cookie) and Secure. HttpOnly and SameSite
// are accepted and ignored (there is no script and no "site for cookies" in
// a crawl). CookieHeader() gives the Cookie header value for a request:
// matching, unexpired cookies, longest path first, then oldest first.
//
// Time is passed in (`now`) so tests control it.
//
// Thread safety: every method may be called from many threads at once (one
// mutex guards the store).
#ifndef NEWSHOUND_NET_COOKIE_JAR_H_
#define NEWSHOUND_NET_COOKIE_JAR_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "newshound/url.h"

namespace newshound::net {

class CookieJar {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  // Stores (or replaces, or deletes) the cookie of one Set-Cookie value
  // received in the response to `url`. False when the value was ignored
  // (malformed, or a Domain the host may not set).
  bool SetCookie(const UrlParts& url, std::string_view set_cookie, TimePoint now);

  // The Cookie header value for a request to `url` ("" when no cookie
  // matches). Drops expired cookies on the way.
  std::string CookieHeader(const UrlParts& url, TimePoint now);

  // Cookies stored, expired ones included until the next lookup.
  size_t size() const;

 private:
  struct Cookie {
    std::string name;
    std::string value;
    std::string domain;  // lower case, no leading dot
    std::string path;
    std::optional<TimePoint> expires;  // none: lives as long as the jar
    bool host_only = true;
    bool secure = false;
    uint64_t created = 0;  // order of first creation, for ties in the header
  };

  mutable std::mutex mutex_;
  std::vector<Cookie> cookies_;
  uint64_t next_created_ = 0;
};

// RFC 6265 5.1.1: the date of an Expires attribute; nullopt when it is not one.
std::optional<std::chrono::system_clock::time_point> ParseCookieDate(std::string_view text);

}  // namespace newshound::net

#endif  // NEWSHOUND_NET_COOKIE_JAR_H_
