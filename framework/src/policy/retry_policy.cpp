#include "policy/retry_policy.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

namespace newshound::policy {

bool RetryPolicy::IsTransient(OutcomeKind kind, int status) {
  switch (kind) {
    case OutcomeKind::kTimeout:
    case OutcomeKind::kConnect:
    case OutcomeKind::kNetwork:
    case OutcomeKind::kTruncated:
    case OutcomeKind::kDns:
      return true;
    case OutcomeKind::kHttpError:
      return status == 408 || status == 425 || status == 429 || status == 500 || status == 502 || status == 503 ||
             status == 504;
    default:
      return false;
  }
}

std::chrono::milliseconds RetryPolicy::Backoff(int retry_number) {
  const double base = static_cast<double>(options_.base.count());
  const double cap = static_cast<double>(options_.cap.count());
  const double ceiling = std::min(cap, base * std::pow(2.0, std::max(0, retry_number - 1)));
  std::uniform_real_distribution<double> jitter(0.0, ceiling);
  return std::chrono::milliseconds(static_cast<int64_t>(jitter(rng_)));
}

std::optional<std::chrono::milliseconds> RetryPolicy::NextDelay(
    OutcomeKind kind, int status, int attempts, std::optional<std::chrono::milliseconds> retry_after) {
  if (!IsTransient(kind, status)) return std::nullopt;
  if (attempts > options_.max) return std::nullopt;  // `max` retries after the first try
  std::chrono::milliseconds delay = Backoff(attempts);
  if (retry_after) delay = std::max(delay, *retry_after);
  return delay;
}

namespace {

int MonthIndex(std::string_view name) {
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  std::string lower(name.substr(0, 3));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (int i = 0; i < 12; ++i)
    if (kMonths[i] == lower) return i;
  return -1;
}

// "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
// "Sun Nov  6 08:49:37 1994".
std::optional<std::time_t> ParseHttpDate(std::string_view text) {
  std::string s(text);
  for (char& c : s)
    if (c == ',' || c == '-' || c == ':') c = ' ';
  char a[16] = {}, b[16] = {}, c[16] = {}, d[16] = {};
  int day = 0, year = 0, hh = 0, mm = 0, ss = 0;
  std::tm tm{};
  if (std::sscanf(s.c_str(), "%15s %d %15s %d %d %d %d %15s", a, &day, b, &year, &hh, &mm, &ss, d) >= 7) {
    tm.tm_mon = MonthIndex(b);
    if (year < 100) year += year < 70 ? 2000 : 1900;
  } else if (std::sscanf(s.c_str(), "%15s %15s %d %d %d %d %d", a, c, &day, &hh, &mm, &ss, &year) == 7) {
    tm.tm_mon = MonthIndex(c);
  } else {
    return std::nullopt;
  }
  if (tm.tm_mon < 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970) return std::nullopt;
  tm.tm_mday = day;
  tm.tm_year = year - 1900;
  tm.tm_hour = hh;
  tm.tm_min = mm;
  tm.tm_sec = ss;
  return timegm(&tm);
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now) {
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.front()))) value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || seconds > 7 * 24 * 3600) seconds = 7 * 24 * 3600;  // overflow or absurd: a week
    return std::chrono::milliseconds(seconds * 1000);
  }
  auto when = ParseHttpDate(value);
  if (!when) return std::nullopt;
  const auto wait = std::chrono::system_clock::from_time_t(*when) - now;
  return std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(wait));
}

}  // namespace newshound::policy
