#include "discovery/date.h"

#include <array>
#include <string>
#include <vector>

namespace newshound::discovery {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

char ToLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsLeap(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// A calendar time plus a zone offset, checked and turned into Unix ms.
// Leap seconds (:60) are read as :59 rather than rejected: some feeds
// really carry them and the second does not matter for discovery.
std::optional<int64_t> ToUnixMs(int64_t year, int month, int day, int hour, int minute, int second, int millis,
                                int offset_seconds) {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour < 0 ||
      hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  if (second == 60) second = 59;
  const int64_t seconds =
      DaysFromCivil(year, month, day) * kSecondsPerDay + hour * 3600 + minute * 60 + second - offset_seconds;
  return seconds * 1000 + millis;
}

// A cursor over ASCII text for the fixed grammars.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool Done() const { return pos_ >= s_.size(); }
  char Peek() const { return Done() ? '\0' : s_[pos_]; }
  std::string_view Rest() const { return s_.substr(pos_); }
  bool Eat(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  // Exactly n digits.
  bool Digits(size_t n, int* value) {
    if (s_.size() - pos_ < n) return false;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!IsDigit(s_[pos_ + i])) return false;
      v = v * 10 + (s_[pos_ + i] - '0');
    }
    pos_ += n;
    *value = v;
    return true;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

// "+hh:mm", "+hhmm", "+hh" (and "-"), already lower-cased or not. Hours up
// to 23: real zones are within +-14, and larger values are typos.
bool ParseNumericOffset(std::string_view text, bool allow_one_digit_hour, int* offset_seconds) {
  Cursor in(text);
  const char sign = in.Peek();
  if (sign != '+' && sign != '-') return false;
  in.Eat(sign);
  int hours = 0, minutes = 0;
  if (!in.Digits(2, &hours)) {
    if (!allow_one_digit_hour || !in.Digits(1, &hours)) return false;
  }
  if (!in.Done()) {
    in.Eat(':');
    if (!in.Digits(2, &minutes)) return false;
  }
  if (!in.Done() || hours > 23 || minutes > 59) return false;
  *offset_seconds = (sign == '-' ? -1 : 1) * (hours * 3600 + minutes * 60);
  return true;
}

// Zone names: RFC 822's own, and abbreviations common in feeds that mean
// one thing only. Ambiguous ones (IST, AST, CST outside the US sense RFC
// 822 gives it) are RFC 822's or left out.
struct NamedZone {
  const char* name;
  int minutes;
};
constexpr NamedZone kNamedZones[] = {
    {"ut", 0},      {"utc", 0},     {"gmt", 0},    {"z", 0},      {"est", -300}, {"edt", -240}, {"cst", -360},
    {"cdt", -300},  {"mst", -420},  {"mdt", -360}, {"pst", -480}, {"pdt", -420}, {"wet", 0},    {"west", 60},
    {"bst", 60},    {"cet", 60},    {"cest", 120}, {"eet", 120},  {"eest", 180}, {"msk", 180},  {"jst", 540},
    {"kst", 540},   {"hkt", 480},   {"sgt", 480},  {"aest", 600}, {"aedt", 660}, {"nzst", 720}, {"nzdt", 780},
    {"akst", -540}, {"akdt", -480}, {"hst", -600},
};

// An RFC 822 zone (lower case): a name, a military letter, a numeric
// offset, or "gmt+3"-style offsets that some CMSs write.
bool ParseZone(std::string_view zone, int* offset_seconds) {
  for (const NamedZone& named : kNamedZones) {
    if (zone == named.name) {
      *offset_seconds = named.minutes * 60;
      return true;
    }
  }
  if (zone.size() == 1 && IsAlpha(zone[0]) && zone[0] != 'j') {
    *offset_seconds = 0;  // RFC 2822 4.3: military zones are read as -0000
    return true;
  }
  if (ParseNumericOffset(zone, /*allow_one_digit_hour=*/false, offset_seconds)) return true;
  for (std::string_view prefix : {"gmt", "utc", "ut"}) {
    if (zone.substr(0, prefix.size()) == prefix && zone.size() > prefix.size()) {
      return ParseNumericOffset(zone.substr(prefix.size()), /*allow_one_digit_hour=*/true, offset_seconds);
    }
  }
  return false;
}

std::optional<int> MonthNumber(std::string_view word) {
  static constexpr std::array<const char*, 12> kFull = {"january",   "february", "march",    "april",
                                                        "may",       "june",     "july",     "august",
                                                        "september", "october",  "november", "december"};
  const std::string lower = Lower(word);
  for (int i = 0; i < 12; ++i) {
    const std::string_view full(kFull[i]);
    if (lower == full || lower == full.substr(0, 3)) return i + 1;
  }
  if (lower == "sept") return 9;
  return std::nullopt;
}

bool IsWeekday(std::string_view word) {
  static constexpr std::array<const char*, 7> kFull = {"monday", "tuesday",  "wednesday", "thursday",
                                                       "friday", "saturday", "sunday"};
  const std::string lower = Lower(word);
  for (const char* name : kFull) {
    const std::string_view full(name);
    if (lower == full || lower == full.substr(0, 3)) return true;
  }
  return lower == "tues" || lower == "thur" || lower == "thurs";
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

int ToInt(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

// Words of an RFC 822 date: split at whitespace and commas, comments in
// parentheses dropped ("+0000 (UTC)").
std::vector<std::string_view> Rfc822Words(std::string_view s) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  int comment_depth = 0;
  while (pos < s.size()) {
    const char c = s[pos];
    if (c == '(') {
      ++comment_depth;
      ++pos;
      continue;
    }
    if (c == ')') {
      if (comment_depth > 0) --comment_depth;
      ++pos;
      continue;
    }
    if (comment_depth > 0 || IsSpace(c) || c == ',') {
      ++pos;
      continue;
    }
    size_t end = pos;
    while (end < s.size() && !IsSpace(s[end]) && s[end] != ',' && s[end] != '(') ++end;
    words.push_back(s.substr(pos, end - pos));
    pos = end;
  }
  return words;
}

}  // namespace

int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

std::optional<int64_t> ParseW3cDateTime(std::string_view text) {
  Cursor in(Trim(text));
  int year = 0, month = 1, day = 1;
  if (!in.Digits(4, &year)) return std::nullopt;
  if (in.Done()) return ToUnixMs(year, 1, 1, 0, 0, 0, 0, 0);
  if (!in.Eat('-') || !in.Digits(2, &month)) return std::nullopt;
  if (in.Done()) return ToUnixMs(year, month, 1, 0, 0, 0, 0, 0);
  if (!in.Eat('-') || !in.Digits(2, &day)) return std::nullopt;
  // A date without a time has no zone in W3C Datetime; UTC midnight is the
  // reading that makes "since" comparisons stable across hosts.
  if (in.Done()) return ToUnixMs(year, month, day, 0, 0, 0, 0, 0);

  if (!in.Eat('T') && !in.Eat('t') && !in.Eat(' ')) return std::nullopt;
  int hour = 0, minute = 0, second = 0, millis = 0;
  if (!in.Digits(2, &hour) || !in.Eat(':') || !in.Digits(2, &minute)) return std::nullopt;
  if (in.Eat(':')) {
    if (!in.Digits(2, &second)) return std::nullopt;
    if (in.Eat('.') || in.Eat(',')) {
      // Any number of fraction digits; the first three are kept.
      int digit = 0, taken = 0;
      if (!in.Digits(1, &digit)) return std::nullopt;
      do {
        if (taken < 3) {
          millis = millis * 10 + digit;
          ++taken;
        }
      } while (in.Digits(1, &digit));
      while (taken < 3) {
        millis *= 10;
        ++taken;
      }
    }
  }
  int offset_seconds = 0;
  in.Eat(' ');  // "2018-01-24 11:03:16 +0000", as PHP sites write it
  const std::string zone = Lower(in.Rest());
  if (zone.empty() || zone == "z" || zone == "utc" || zone == "gmt") {
    offset_seconds = 0;
  } else if (!ParseNumericOffset(zone, /*allow_one_digit_hour=*/false, &offset_seconds)) {
    return std::nullopt;
  }
  return ToUnixMs(year, month, day, hour, minute, second, millis, offset_seconds);
}

std::optional<int64_t> ParseRfc822DateTime(std::string_view text) {
  std::vector<std::string_view> words = Rfc822Words(text);
  size_t i = 0;
  if (i < words.size() && IsWeekday(words[i])) ++i;

  std::string_view day_text, month_text, year_text;
  if (i < words.size() && words[i].find('-') != std::string_view::npos) {
    // RFC 850 style "24-Jan-18" or "24-Jan-2018".
    const std::string_view date = words[i++];
    const size_t first = date.find('-');
    const size_t second = date.find('-', first + 1);
    if (second == std::string_view::npos || date.find('-', second + 1) != std::string_view::npos) {
      return std::nullopt;
    }
    day_text = date.substr(0, first);
    month_text = date.substr(first + 1, second - first - 1);
    year_text = date.substr(second + 1);
  } else {
    if (words.size() - i < 3) return std::nullopt;
    day_text = words[i++];
    month_text = words[i++];
    year_text = words[i++];
    // "Jan 24 2018": month first, as some US sites write it.
    if (!AllDigits(day_text) && AllDigits(month_text)) std::swap(day_text, month_text);
  }
  if (!AllDigits(day_text) || day_text.size() > 2 || !AllDigits(year_text) || year_text.size() < 2 ||
      year_text.size() > 4) {
    return std::nullopt;
  }
  const std::optional<int> month = MonthNumber(month_text);
  if (!month) return std::nullopt;
  int64_t year = ToInt(year_text);
  if (year_text.size() == 2) {
    year += year < 50 ? 2000 : 1900;  // RFC 2822 4.3
  } else if (year_text.size() == 3) {
    year += 1900;  // RFC 2822 4.3
  }

  // The time is required: RFC 822 has no date-only form, and a feed item's
  // midnight guess would be wrong by up to a day in either direction.
  if (i >= words.size()) return std::nullopt;
  Cursor clock(words[i++]);
  int hour = 0, minute = 0, second = 0;
  if (!clock.Digits(2, &hour) && !clock.Digits(1, &hour)) return std::nullopt;
  if (!clock.Eat(':') || !clock.Digits(2, &minute)) return std::nullopt;
  if (clock.Eat(':') && !clock.Digits(2, &second)) return std::nullopt;
  if (!clock.Done()) return std::nullopt;

  int offset_seconds = 0;
  if (i < words.size()) {
    if (!ParseZone(Lower(words[i++]), &offset_seconds)) return std::nullopt;
  }
  if (i != words.size()) return std::nullopt;
  return ToUnixMs(year, *month, ToInt(day_text), hour, minute, second, 0, offset_seconds);
}

std::optional<int64_t> ParseDiscoveryDate(std::string_view text) {
  text = Trim(text);
  if (text.size() > 256) return std::nullopt;  // no date is this long; bounds the work
  // The grammars do not overlap: only W3C starts with four digits and '-'.
  if (text.size() >= 4 && IsDigit(text[0]) && IsDigit(text[1]) && IsDigit(text[2]) && IsDigit(text[3])) {
    return ParseW3cDateTime(text);
  }
  return ParseRfc822DateTime(text);
}

}  // namespace newshound::discovery
