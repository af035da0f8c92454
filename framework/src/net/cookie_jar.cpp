#include "net/cookie_jar.h"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace newshound::net {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool IsIpLiteral(const std::string& host) {
  return host.find(':') != std::string::npos || host.find_first_not_of("0123456789.") == std::string::npos;
}

// RFC 6265 5.1.3.
bool DomainMatches(const std::string& host, const std::string& domain) {
  if (host == domain) return true;
  if (IsIpLiteral(host)) return false;
  return host.size() > domain.size() && host.compare(host.size() - domain.size(), domain.size(), domain) == 0 &&
         host[host.size() - domain.size() - 1] == '.';
}

// A domain that is a public suffix has no registrable domain of its own:
// one label more in front of it is already registrable ("com" ->
// "x.com" is registrable; "bbc.co.uk" -> "x.bbc.co.uk" is not).
bool IsPublicSuffix(const std::string& domain) {
  const std::string probe = "x." + domain;
  return RegistrableDomain(probe) == probe;
}

// The path of a request target, without its query.
std::string RequestPath(const std::string& target) {
  const size_t end = std::min(target.find('?'), target.size());
  if (end == 0 || target.front() != '/') return "/";
  return target.substr(0, end);
}

// RFC 6265 5.1.4.
std::string DefaultPath(const std::string& request_path) {
  if (request_path.empty() || request_path.front() != '/') return "/";
  const size_t last = request_path.rfind('/');
  if (last == 0) return "/";
  return request_path.substr(0, last);
}

// RFC 6265 5.1.4 path-match.
bool PathMatches(const std::string& request_path, const std::string& cookie_path) {
  if (request_path == cookie_path) return true;
  if (request_path.size() > cookie_path.size() && request_path.compare(0, cookie_path.size(), cookie_path) == 0) {
    return cookie_path.back() == '/' || request_path[cookie_path.size()] == '/';
  }
  return false;
}

bool IsDelimiter(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return u == 0x09 || (u >= 0x20 && u <= 0x2F) || (u >= 0x3B && u <= 0x40) || (u >= 0x5B && u <= 0x60) ||
         (u >= 0x7B && u <= 0x7E);
}

// Leading 1..max digits of `token`, with `min` required; -1 when not.
int LeadingNumber(std::string_view token, size_t min, size_t max, size_t* used) {
  size_t n = 0;
  while (n < token.size() && std::isdigit(static_cast<unsigned char>(token[n]))) ++n;
  if (n < min || n > max) return -1;
  *used = n;
  return std::stoi(std::string(token.substr(0, n)));
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> ParseCookieDate(std::string_view text) {
  std::vector<std::string_view> tokens;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsDelimiter(text[i])) ++i;
    const size_t start = i;
    while (i < text.size() && !IsDelimiter(text[i])) ++i;
    if (i > start) tokens.push_back(text.substr(start, i - start));
  }
  bool found_time = false, found_day = false, found_month = false, found_year = false;
  int hour = 0, minute = 0, second = 0, day = 0, month = 0, year = 0;
  static const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  for (std::string_view token : tokens) {
    size_t used = 0;
    if (!found_time) {
      // hms-time: 1*2DIGIT ":" 1*2DIGIT ":" 1*2DIGIT
      int h = LeadingNumber(token, 1, 2, &used);
      if (h >= 0 && used < token.size() && token[used] == ':') {
        std::string_view rest = token.substr(used + 1);
        int m = LeadingNumber(rest, 1, 2, &used);
        if (m >= 0 && used < rest.size() && rest[used] == ':') {
          rest = rest.substr(used + 1);
          int s = LeadingNumber(rest, 1, 2, &used);
          if (s >= 0) {
            found_time = true;
            hour = h, minute = m, second = s;
            continue;
          }
        }
      }
    }
    if (!found_day) {
      int d = LeadingNumber(token, 1, 2, &used);
      if (d >= 0 && (used == token.size() || !std::isdigit(static_cast<unsigned char>(token[used])))) {
        found_day = true;
        day = d;
        continue;
      }
    }
    if (!found_month && token.size() >= 3) {
      const std::string prefix = Lower(token.substr(0, 3));
      for (int m = 0; m < 12; ++m) {
        if (prefix == kMonths[m]) {
          found_month = true;
          month = m + 1;
          break;
        }
      }
      if (found_month) continue;
    }
    if (!found_year) {
      int y = LeadingNumber(token, 2, 4, &used);
      if (y >= 0) {
        found_year = true;
        year = y;
        continue;
      }
    }
  }
  if (year >= 70 && year <= 99) year += 1900;
  if (year >= 0 && year <= 69) year += 2000;
  if (!found_time || !found_day || !found_month || !found_year) return std::nullopt;
  if (day < 1 || day > 31 || year < 1601 || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const time_t t = timegm(&tm);
  // system_clock counts nanoseconds in 64 bits: years 1677..2262. A date
  // outside (Expires=... 9999, which sites do send) is clamped to the end it
  // is beyond, rather than overflowing.
  using Clock = std::chrono::system_clock;
  constexpr auto kLatest = std::chrono::duration_cast<std::chrono::seconds>(Clock::duration::max()).count();
  constexpr auto kEarliest = std::chrono::duration_cast<std::chrono::seconds>(Clock::duration::min()).count();
  if (t >= kLatest) return Clock::time_point::max();
  if (t <= kEarliest) return Clock::time_point::min();
  return Clock::from_time_t(t);
}

bool CookieJar::SetCookie(const UrlParts& url, std::string_view set_cookie, TimePoint now) {
  // RFC 6265 5.2: name=value, then ;-separated attributes.
  const size_t semi = set_cookie.find(';');
  const std::string_view pair = set_cookie.substr(0, semi);
  const size_t eq = pair.find('=');
  if (eq == std::string_view::npos) return false;
  Cookie cookie;
  cookie.name = std::string(Trim(pair.substr(0, eq)));
  cookie.value = std::string(Trim(pair.substr(eq + 1)));
  if (cookie.name.empty()) return false;
  for (char c : cookie.name + cookie.value) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return false;  // no controls in a header we send back
  }

  std::optional<TimePoint> expires_attr;
  std::optional<TimePoint> max_age_attr;
  std::string domain_attr;
  std::string path_attr;
  std::string_view rest = semi == std::string_view::npos ? std::string_view() : set_cookie.substr(semi + 1);
  while (!rest.empty()) {
    const size_t next = rest.find(';');
    std::string_view attr = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 1);
    const size_t aeq = attr.find('=');
    const std::string name = Lower(Trim(attr.substr(0, aeq)));
    const std::string_view value = aeq == std::string_view::npos ? std::string_view() : Trim(attr.substr(aeq + 1));
    if (name == "expires") {
      if (auto date = ParseCookieDate(value)) expires_attr = *date;
    } else if (name == "max-age") {
      std::string_view digits = value;
      const bool negative = !digits.empty() && digits.front() == '-';
      if (negative) digits.remove_prefix(1);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) continue;
      if (negative || digits.find_first_not_of('0') == std::string_view::npos) {
        max_age_attr = TimePoint::min();
      } else {
        // Capped at 400 days (RFC 6265bis), which also keeps the sum in range.
        constexpr long long kMaxSeconds = 400LL * 24 * 3600;
        long long seconds = digits.size() > 9 ? kMaxSeconds : std::min(kMaxSeconds, std::stoll(std::string(digits)));
        max_age_attr = now + std::chrono::seconds(seconds);
      }
    } else if (name == "domain") {
      std::string_view d = value;
      if (!d.empty() && d.front() == '.') d.remove_prefix(1);
      domain_attr = Lower(d);
    } else if (name == "path") {
      path_attr = std::string(value);
    } else if (name == "secure") {
      cookie.secure = true;
    }
  }
  if (max_age_attr) cookie.expires = max_age_attr;
  else if (expires_attr) cookie.expires = expires_attr;

  const std::string host = Lower(url.host);
  if (!domain_attr.empty() && IsPublicSuffix(domain_attr)) {
    if (domain_attr != host) return false;
    domain_attr.clear();  // RFC 6265 5.3 step 5: a public suffix host sets a host-only cookie
  }
  if (domain_attr.empty()) {
    cookie.host_only = true;
    cookie.domain = host;
  } else {
    if (!DomainMatches(host, domain_attr)) return false;
    cookie.host_only = IsIpLiteral(host);
    cookie.domain = domain_attr;
  }
  cookie.path = !path_attr.empty() && path_attr.front() == '/' ? path_attr : DefaultPath(RequestPath(url.target));

  std::lock_guard<std::mutex> lock(mutex_);
  auto same = std::find_if(cookies_.begin(), cookies_.end(), [&](const Cookie& c) {
    return c.name == cookie.name && c.domain == cookie.domain && c.path == cookie.path;
  });
  const bool expired = cookie.expires && *cookie.expires <= now;
  if (same != cookies_.end()) {
    if (expired) {
      cookies_.erase(same);
    } else {
      cookie.created = same->created;  // keeps its place among equals
      *same = std::move(cookie);
    }
    return true;
  }
  if (!expired) {
    cookie.created = next_created_++;
    cookies_.push_back(std::move(cookie));
  }
  return true;
}

std::string CookieJar::CookieHeader(const UrlParts& url, TimePoint now) {
  const std::string host = Lower(url.host);
  const std::string path = RequestPath(url.target);
  const bool secure_channel = url.scheme == "https";
  std::vector<const Cookie*> matching;
  std::lock_guard<std::mutex> lock(mutex_);
  cookies_.erase(std::remove_if(cookies_.begin(), cookies_.end(),
                                [&](const Cookie& c) { return c.expires && *c.expires <= now; }),
                 cookies_.end());
  for (const Cookie& c : cookies_) {
    if (c.host_only ? host != c.domain : !DomainMatches(host, c.domain)) continue;
    if (!PathMatches(path, c.path)) continue;
    if (c.secure && !secure_channel) continue;
    matching.push_back(&c);
  }
  std::stable_sort(matching.begin(), matching.end(), [](const Cookie* a, const Cookie* b) {
    if (a->path.size() != b->path.size()) return a->path.size() > b->path.size();
    return a->created < b->created;
  });
  std::string header;
  for (const Cookie* c : matching) {
    if (!header.empty()) header += "; ";
    header += c->name + "=" + c->value;
  }
  return header;
}

size_t CookieJar::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cookies_.size();
}

}  // namespace newshound::net
