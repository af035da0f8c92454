#include "policy/schedule.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <vector>

#include "newshound/config.h"

namespace newshound::policy {
namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::sys_days;
using std::chrono::sys_time;

// A crontab line is well under 100 characters; the cap bounds the work and
// the size of the error messages that quote the text.
constexpr size_t kMaxExpressionLength = 256;
// Longest interval: 1e15 ms (~31,700 years, ParseDuration's own cap), which
// keeps TimePoint arithmetic in nanoseconds far from overflow.
constexpr std::chrono::milliseconds kMaxInterval{1'000'000'000'000'000};
// A parsed expression matches within a few decades (the rarest is Feb 29
// on a given weekday: 28 years apart, 40 across a skipped leap year). The
// Gregorian calendar repeats every 400 years, so a search that finds nothing
// in 401 never will: the bound only guarantees termination.
constexpr int kSearchYears = 401;

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kWeekdayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
// Longest month lengths; February counts 29 because leap years exist.
constexpr int kLongestMonth[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

struct FieldSpec {
  const char* name;
  int min;
  int max;
  const char* const* names;  // three-letter names for values names_base..., or null
  int names_base;
  int names_count;
  const char* names_hint;  // "a month name (JAN-DEC)"
};

constexpr FieldSpec kFields[5] = {
    {"minute", 0, 59, nullptr, 0, 0, nullptr},
    {"hour", 0, 23, nullptr, 0, 0, nullptr},
    {"day-of-month", 1, 31, nullptr, 0, 0, nullptr},
    {"month", 1, 12, kMonthNames, 1, 12, "a month name (JAN-DEC)"},
    {"day-of-week", 0, 7, kWeekdayNames, 0, 7, "a day name (SUN-SAT)"},
};

struct Macro {
  const char* name;
  const char* fields;
};

constexpr Macro kMacros[] = {
    {"@hourly", "0 * * * *"},  {"@daily", "0 0 * * *"},  {"@midnight", "0 0 * * *"}, {"@weekly", "0 0 * * 0"},
    {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"},
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string Range(const FieldSpec& spec) { return std::to_string(spec.min) + "-" + std::to_string(spec.max); }

// One value of a field: a number in the field's range, or a name.
// Errors are the field-level message ("'60' is out of range 0-59").
Status ParseValue(std::string_view text, std::string_view item, const FieldSpec& spec, int& out) {
  if (text.empty()) return Status(ErrorCode::kInvalidArgument, "missing number in " + Quote(item));
  if (IsDigits(text)) {
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < spec.min || value > spec.max)
      return Status(ErrorCode::kInvalidArgument, Quote(text) + " is out of range " + Range(spec));
    out = value;
    return Status::Ok();
  }
  if (spec.names != nullptr) {
    for (int i = 0; i < spec.names_count; ++i) {
      if (EqualsIgnoreCase(text, spec.names[i])) {
        out = spec.names_base + i;
        return Status::Ok();
      }
    }
    return Status(ErrorCode::kInvalidArgument, Quote(text) + " is not a number or " + spec.names_hint);
  }
  return Status(ErrorCode::kInvalidArgument, Quote(text) + " is not a number");
}

// One comma-separated item: `*`, `a`, `a-b`, each optionally `/step`.
Status ParseItem(std::string_view item, const FieldSpec& spec, uint64_t& bits) {
  std::string_view base = item;
  int step = 1;
  bool has_step = false;
  if (const size_t slash = item.find('/'); slash != std::string_view::npos) {
    has_step = true;
    base = item.substr(0, slash);
    const std::string_view step_text = item.substr(slash + 1);
    if (!IsDigits(step_text))
      return Status(ErrorCode::kInvalidArgument,
                    "step " + Quote(step_text) + " in " + Quote(item) + " is not a number");
    auto [end, ec] = std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
    if (ec != std::errc() || step > spec.max - spec.min) {
      // Vixie cron takes `*/90` and silently runs hourly; refusing it
      // catches the "every 90 minutes" misreading.
      return Status(ErrorCode::kInvalidArgument,
                    "step " + std::string(step_text) + " is larger than the range " + Range(spec));
    }
    if (step < 1) return Status(ErrorCode::kInvalidArgument, "step must be at least 1");
  }
  int lo = 0;
  int hi = 0;
  if (base == "*") {
    lo = spec.min;
    hi = spec.max;
  } else if (const size_t dash = base.find('-'); dash != std::string_view::npos) {
    if (Status s = ParseValue(base.substr(0, dash), item, spec, lo); !s.ok()) return s;
    if (Status s = ParseValue(base.substr(dash + 1), item, spec, hi); !s.ok()) return s;
    if (lo > hi) {
      return Status(ErrorCode::kInvalidArgument, "range " + Quote(base) + " runs backwards (" + std::to_string(lo) +
                                                     " > " + std::to_string(hi) + ")");
    }
  } else {
    if (Status s = ParseValue(base, item, spec, lo); !s.ok()) return s;
    hi = has_step ? spec.max : lo;  // `a/n`: from a through the field's maximum
  }
  for (int v = lo; v <= hi; v += step) bits |= uint64_t{1} << v;
  return Status::Ok();
}

Status ParseField(std::string_view text, const FieldSpec& spec, uint64_t& bits) {
  bits = 0;
  size_t begin = 0;
  while (true) {
    const size_t comma = text.find(',', begin);
    const std::string_view item = text.substr(begin, comma == std::string_view::npos ? text.npos : comma - begin);
    if (item.empty()) return Status(ErrorCode::kInvalidArgument, "empty list item in " + Quote(text));
    if (Status s = ParseItem(item, spec, bits); !s.ok()) return s;
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  return Status::Ok();
}

// The lowest set bit at or above `from`, or -1.
int NextBit(uint64_t bits, int from) {
  if (from >= 64) return -1;
  const uint64_t rest = bits & (~uint64_t{0} << from);
  return rest == 0 ? -1 : std::countr_zero(rest);
}

std::string FormatInterval(std::chrono::milliseconds d) {
  const int64_t ms = d.count();
  if (ms % 86'400'000 == 0) return std::to_string(ms / 86'400'000) + "d";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace

Result<Schedule> ParseCron(std::string_view expr) {
  const std::string_view trimmed = Trim(expr);
  if (trimmed.size() > kMaxExpressionLength) {
    return Status(ErrorCode::kInvalidArgument, "cron '" + std::string(trimmed.substr(0, 40)) + "...': longer than " +
                                                   std::to_string(kMaxExpressionLength) + " characters");
  }
  const std::string prefix = "cron " + Quote(trimmed) + ": ";
  if (trimmed.empty()) return Status(ErrorCode::kInvalidArgument, prefix + "empty expression");

  std::string_view fields_text = trimmed;
  if (trimmed.front() == '@') {
    const Macro* found = nullptr;
    for (const Macro& m : kMacros)
      if (EqualsIgnoreCase(trimmed, m.name)) found = &m;
    if (found == nullptr) {
      if (EqualsIgnoreCase(trimmed, "@reboot"))
        return Status(ErrorCode::kInvalidArgument, prefix + "@reboot is not supported");
      return Status(ErrorCode::kInvalidArgument, prefix +
                                                     "unknown macro (expected @hourly, @daily, @midnight, @weekly, "
                                                     "@monthly, @yearly or @annually)");
    }
    fields_text = found->fields;
  }

  std::vector<std::string_view> fields;
  for (size_t i = 0; i < fields_text.size();) {
    while (i < fields_text.size() && IsSpace(fields_text[i])) ++i;
    const size_t start = i;
    while (i < fields_text.size() && !IsSpace(fields_text[i])) ++i;
    if (i > start) fields.push_back(fields_text.substr(start, i - start));
  }
  if (fields.size() != 5) {
    return Status(ErrorCode::kInvalidArgument,
                  prefix + "expected 5 fields (minute hour day-of-month month day-of-week), got " +
                      std::to_string(fields.size()));
  }

  uint64_t bits[5] = {};
  for (int f = 0; f < 5; ++f) {
    if (Status s = ParseField(fields[f], kFields[f], bits[f]); !s.ok())
      return Status(ErrorCode::kInvalidArgument, prefix + kFields[f].name + ": " + s.message());
  }

  Schedule schedule;
  schedule.kind_ = Schedule::Kind::kCron;
  schedule.text_ = std::string(trimmed);
  schedule.minutes_ = bits[0];
  schedule.hours_ = static_cast<uint32_t>(bits[1]);
  schedule.days_ = static_cast<uint32_t>(bits[2]);
  schedule.months_ = static_cast<uint16_t>(bits[3]);
  // 7 is Sunday too.
  schedule.weekdays_ = static_cast<uint8_t>((bits[4] & 0x7f) | ((bits[4] >> 7) & 1));
  schedule.day_or_ = fields[2].front() != '*' && fields[4].front() != '*';

  // When both day fields must match, some month must have one of the days.
  // (Weekdays cannot make it impossible: every date falls on every weekday
  // in some year, Feb 29 included.) Either-or always matches somewhere,
  // since every month has every weekday.
  if (!schedule.day_or_) {
    bool possible = false;
    for (int m = 1; m <= 12; ++m) {
      const uint64_t month_days = ((uint64_t{1} << (kLongestMonth[m - 1] + 1)) - 1) & ~uint64_t{1};
      if ((schedule.months_ >> m & 1) && (schedule.days_ & month_days)) possible = true;
    }
    if (!possible) {
      return Status(ErrorCode::kInvalidArgument,
                    prefix + "day-of-month " + Quote(fields[2]) + " never occurs in month " + Quote(fields[3]));
    }
  }
  return schedule;
}

Result<Schedule> ParseEvery(std::string_view duration) {
  const std::string_view text = Trim(duration);
  const std::string prefix = "every '" + std::string(text.substr(0, std::min<size_t>(text.size(), 40))) + "': ";
  const std::optional<Millis> d = ParseDuration(text);
  if (!d) return Status(ErrorCode::kInvalidArgument, prefix + "not a duration (like 90s, 15m, 6h, 1d)");
  Result<Schedule> schedule = Schedule::Every(*d);
  if (!schedule.ok()) return Status(ErrorCode::kInvalidArgument, prefix + schedule.status().message());
  return schedule;
}

Result<Schedule> Schedule::Every(std::chrono::milliseconds interval) {
  if (interval <= std::chrono::milliseconds::zero())
    return Status(ErrorCode::kInvalidArgument, "interval must be greater than zero");
  if (interval > kMaxInterval)
    return Status(ErrorCode::kInvalidArgument, "interval is longer than " + FormatInterval(kMaxInterval));
  Schedule schedule;
  schedule.kind_ = Kind::kInterval;
  schedule.interval_ = interval;
  schedule.text_ = "every " + FormatInterval(interval);
  return schedule;
}

bool Schedule::DayMatches(int day_of_month, int month, int weekday) const {
  if (!(months_ >> month & 1)) return false;
  const bool dom = days_ >> day_of_month & 1;
  const bool dow = weekdays_ >> weekday & 1;
  return day_or_ ? (dom || dow) : (dom && dow);
}

bool Schedule::Matches(TimePoint t) const {
  if (kind_ != Kind::kCron) return false;
  const sys_time<minutes> minute = floor<minutes>(t);
  const sys_days day = floor<days>(minute);
  const std::chrono::year_month_day ymd{day};
  const int minute_of_day = static_cast<int>((minute - day).count());
  return DayMatches(static_cast<int>(unsigned(ymd.day())), static_cast<int>(unsigned(ymd.month())),
                    static_cast<int>(std::chrono::weekday(day).c_encoding())) &&
         (hours_ >> (minute_of_day / 60) & 1) && (minutes_ >> (minute_of_day % 60) & 1);
}

std::optional<TimePoint> Schedule::NextAfter(TimePoint t) const {
  if (kind_ == Kind::kInterval) {
    const auto d = std::chrono::duration_cast<TimePoint::duration>(interval_);
    if (t > TimePoint::max() - d) return std::nullopt;
    return t + d;
  }
  const sys_time<minutes> latest = floor<minutes>(TimePoint::max());
  const sys_time<minutes> start = floor<minutes>(t) + minutes(1);
  sys_days day = floor<days>(start);
  int minute_of_day = static_cast<int>((start - day).count());
  const std::chrono::year last_year = std::chrono::year_month_day{day}.year() + std::chrono::years(kSearchYears);

  // Walks day by day, skipping whole months that do not match; within a
  // matching day, the hour and minute come from the bit sets directly.
  while (true) {
    const std::chrono::year_month_day ymd{day};
    if (ymd.year() > last_year) return std::nullopt;
    const unsigned month = unsigned(ymd.month());
    if (!(months_ >> month & 1)) {
      const std::chrono::year_month next = std::chrono::year_month{ymd.year(), ymd.month()} + std::chrono::months(1);
      day = sys_days{next / 1};
      minute_of_day = 0;
      continue;
    }
    if (DayMatches(static_cast<int>(unsigned(ymd.day())), static_cast<int>(month),
                   static_cast<int>(std::chrono::weekday(day).c_encoding()))) {
      for (int hour = NextBit(hours_, minute_of_day / 60); hour >= 0; hour = NextBit(hours_, hour + 1)) {
        const int from = hour == minute_of_day / 60 ? minute_of_day % 60 : 0;
        const int minute = NextBit(minutes_, from);
        if (minute < 0) continue;
        const sys_time<minutes> found = day + hours(hour) + minutes(minute);
        if (found > latest) return std::nullopt;
        return std::chrono::time_point_cast<TimePoint::duration>(found);
      }
    }
    day += days(1);
    minute_of_day = 0;
  }
}

SiteScheduler::Decision SiteScheduler::Next(const LastRun& last, TimePoint now) const {
  using Kind = Decision::Kind;
  if (last.started && (!last.finished || *last.finished < *last.started)) return {Kind::kRunning, {}};

  // The first slot after `anchor` that is at or after `now`.
  const TimePoint anchor = last.started ? std::min(*last.started, now) : now;
  const bool slot_at_now_counts = !last.started || anchor < now;

  if (schedule_.is_interval()) {
    if (!last.started) return {Kind::kStartAt, now};
    const auto d = static_cast<uint64_t>(std::chrono::duration_cast<TimePoint::duration>(schedule_.interval()).count());
    // now >= anchor, so the unsigned difference is exact even for extreme values.
    const uint64_t elapsed = static_cast<uint64_t>(now.time_since_epoch().count()) -
                             static_cast<uint64_t>(anchor.time_since_epoch().count());
    // Slots are anchor + k*d, k >= 1: the wait to the first not before now.
    const uint64_t wait = elapsed == 0 ? d : (d - elapsed % d) % d;
    const auto wait_ticks = TimePoint::duration(static_cast<TimePoint::rep>(wait));
    if (now > TimePoint::max() - wait_ticks) return {Kind::kNever, {}};
    return {Kind::kStartAt, now + wait_ticks};
  }

  // NextAfter is strictly after its argument: one tick before now lets a
  // slot exactly at now count.
  TimePoint after = now;
  if (slot_at_now_counts && now > TimePoint::min()) after = now - TimePoint::duration(1);
  const std::optional<TimePoint> next = schedule_.NextAfter(after);
  if (!next) return {Kind::kNever, {}};
  return {Kind::kStartAt, *next};
}

}  // namespace newshound::policy
