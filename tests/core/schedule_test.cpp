// Recurring-crawl schedules: cron expressions (UTC), intervals, and when a
// site's next run starts. Pure policy, driven with explicit times.
#include "policy/schedule.h"

#include <gtest/gtest.h>

#include <ctime>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace newshound::policy {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TimePoint At(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  using namespace std::chrono;
  return time_point_cast<TimePoint::duration>(sys_days{year{y} / month{mo} / day{d}} + hours(h) + minutes(mi) +
                                              seconds(s));
}

std::string Format(std::optional<TimePoint> t) {
  if (!t) return "nullopt";
  const std::time_t secs = std::chrono::system_clock::to_time_t(*t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %a", &tm);
  return buf;
}

Schedule Cron(const std::string& expr) {
  Result<Schedule> s = ParseCron(expr);
  EXPECT_TRUE(s.ok()) << expr << ": " << s.status().message();
  if (!s.ok()) return std::move(ParseCron("* * * * *").value());
  return std::move(s).value();
}

// "expr" starting strictly after `t`, formatted, so failures read as dates.
std::string Next(const std::string& expr, TimePoint t) { return Format(Cron(expr).NextAfter(t)); }

std::string CronError(const std::string& expr) {
  Result<Schedule> s = ParseCron(expr);
  if (s.ok()) return "(parsed)";
  EXPECT_EQ(s.status().code(), ErrorCode::kInvalidArgument) << expr;
  return s.status().message();
}

// The values of one field that match, probing with the other fields `*`.
// field: 0 minute, 1 hour, 2 day-of-month, 3 month, 4 day-of-week (0-6).
std::set<int> Values(const std::string& field_text, int field) {
  std::string fields[5] = {"*", "*", "*", "*", "*"};
  fields[field] = field_text;
  const Schedule s = Cron(fields[0] + " " + fields[1] + " " + fields[2] + " " + fields[3] + " " + fields[4]);
  std::set<int> out;
  switch (field) {
    case 0:
      for (int v = 0; v < 60; ++v)
        if (s.Matches(At(2024, 1, 1, 0, v))) out.insert(v);
      break;
    case 1:
      for (int v = 0; v < 24; ++v)
        if (s.Matches(At(2024, 1, 1, v))) out.insert(v);
      break;
    case 2:
      for (int v = 1; v <= 31; ++v)
        if (s.Matches(At(2024, 1, v))) out.insert(v);
      break;
    case 3:
      for (int v = 1; v <= 12; ++v)
        if (s.Matches(At(2024, v, 1))) out.insert(v);
      break;
    // 2024-01-07 is a Sunday.
    case 4:
      for (int v = 0; v < 7; ++v)
        if (s.Matches(At(2024, 1, 7 + v))) out.insert(v);
      break;
  }
  return out;
}

std::set<int> Span(int lo, int hi, int step = 1) {
  std::set<int> out;
  for (int v = lo; v <= hi; v += step) out.insert(v);
  return out;
}

// --- Syntax ---------------------------------------------------------------

TEST(Cron, StarMatchesEveryValue) {
  EXPECT_EQ(Values("*", 0), Span(0, 59));
  EXPECT_EQ(Values("*", 1), Span(0, 23));
  EXPECT_EQ(Values("*", 2), Span(1, 31));
  EXPECT_EQ(Values("*", 3), Span(1, 12));
  EXPECT_EQ(Values("*", 4), Span(0, 6));
}

TEST(Cron, NumbersRangesStepsAndLists) {
  EXPECT_EQ(Values("7", 0), (std::set<int>{7}));
  EXPECT_EQ(Values("9-17", 1), Span(9, 17));
  EXPECT_EQ(Values("*/15", 0), (std::set<int>{0, 15, 30, 45}));
  EXPECT_EQ(Values("*/5", 1), Span(0, 23, 5));
  EXPECT_EQ(Values("*/10", 2), (std::set<int>{1, 11, 21, 31}));  // steps count from the field's minimum
  EXPECT_EQ(Values("10-30/10", 0), (std::set<int>{10, 20, 30}));
  EXPECT_EQ(Values("1-12/3", 3), (std::set<int>{1, 4, 7, 10}));
  EXPECT_EQ(Values("5/20", 0), (std::set<int>{5, 25, 45}));  // a/n: a through the maximum
  EXPECT_EQ(Values("0,30", 0), (std::set<int>{0, 30}));
  EXPECT_EQ(Values("1,10-12,*/20", 0), (std::set<int>{0, 1, 10, 11, 12, 20, 40}));
  EXPECT_EQ(Values("3,3,3", 1), (std::set<int>{3}));
  EXPECT_EQ(Values("59", 0), (std::set<int>{59}));
  EXPECT_EQ(Values("0-59/59", 0), (std::set<int>{0, 59}));
}

TEST(Cron, MonthNamesAreCaseInsensitive) {
  EXPECT_EQ(Values("jan,Mar,DEC", 3), (std::set<int>{1, 3, 12}));
  EXPECT_EQ(Values("JAN-MAR", 3), Span(1, 3));
  EXPECT_EQ(Values("feb-dec/2", 3), (std::set<int>{2, 4, 6, 8, 10, 12}));
  EXPECT_EQ(Values("Jun-8", 3), Span(6, 8));  // names and numbers mix
}

TEST(Cron, WeekdayNamesAreCaseInsensitive) {
  EXPECT_EQ(Values("MON-FRI", 4), Span(1, 5));
  EXPECT_EQ(Values("sun,Sat", 4), (std::set<int>{0, 6}));
  EXPECT_EQ(Values("tue", 4), (std::set<int>{2}));
}

TEST(Cron, SevenIsSundayLikeZero) {
  EXPECT_EQ(Values("7", 4), (std::set<int>{0}));
  EXPECT_EQ(Values("0", 4), (std::set<int>{0}));
  EXPECT_EQ(Values("5-7", 4), (std::set<int>{0, 5, 6}));
  EXPECT_EQ(Values("*/7", 4), (std::set<int>{0}));
  EXPECT_EQ(Values("0-7", 4), Span(0, 6));
  EXPECT_EQ(Next("0 0 * * 7", At(2024, 1, 1)), "2024-01-07 00:00:00 Sun");
}

TEST(Cron, MacrosAreTheirFiveFieldForms) {
  const TimePoint t = At(2024, 5, 17, 13, 20, 5);  // a Friday
  EXPECT_EQ(Next("@hourly", t), "2024-05-17 14:00:00 Fri");
  EXPECT_EQ(Next("@daily", t), "2024-05-18 00:00:00 Sat");
  EXPECT_EQ(Next("@midnight", t), "2024-05-18 00:00:00 Sat");
  EXPECT_EQ(Next("@weekly", t), "2024-05-19 00:00:00 Sun");
  EXPECT_EQ(Next("@monthly", t), "2024-06-01 00:00:00 Sat");
  EXPECT_EQ(Next("@yearly", t), "2025-01-01 00:00:00 Wed");
  EXPECT_EQ(Next("@annually", t), "2025-01-01 00:00:00 Wed");
  EXPECT_EQ(Next("@DAILY", t), "2024-05-18 00:00:00 Sat");
  EXPECT_EQ(Cron("  @daily ").text(), "@daily");
}

TEST(Cron, FieldsAreSeparatedByAnyWhitespace) {
  EXPECT_EQ(Next(" 30\t6   *  * *\n", At(2024, 1, 1)), "2024-01-01 06:30:00 Mon");
  EXPECT_EQ(Cron(" 30\t6 * * * ").text(), "30\t6 * * *");
}

// --- Errors ---------------------------------------------------------------

TEST(Cron, ErrorsNameTheExpressionTheFieldAndTheText) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"*/0 * * * *", "cron '*/0 * * * *': minute: step must be at least 1"},
      {"0 0-23/0 * * *", "cron '0 0-23/0 * * *': hour: step must be at least 1"},
      {"*/90 * * * *", "cron '*/90 * * * *': minute: step 90 is larger than the range 0-59"},
      {"*/x * * * *", "cron '*/x * * * *': minute: step 'x' in '*/x' is not a number"},
      {"1/ * * * *", "cron '1/ * * * *': minute: step '' in '1/' is not a number"},
      {"60 * * * *", "cron '60 * * * *': minute: '60' is out of range 0-59"},
      {"* 24 * * *", "cron '* 24 * * *': hour: '24' is out of range 0-23"},
      {"* * 0 * *", "cron '* * 0 * *': day-of-month: '0' is out of range 1-31"},
      {"* * 32 * *", "cron '* * 32 * *': day-of-month: '32' is out of range 1-31"},
      {"* * * 13 *", "cron '* * * 13 *': month: '13' is out of range 1-12"},
      {"* * * * 8", "cron '* * * * 8': day-of-week: '8' is out of range 0-7"},
      {"99999999999999999999 * * * *",
       "cron '99999999999999999999 * * * *': minute: '99999999999999999999' is out of range 0-59"},
      {"* * * FOO *", "cron '* * * FOO *': month: 'FOO' is not a number or a month name (JAN-DEC)"},
      {"* * * * MONDAY", "cron '* * * * MONDAY': day-of-week: 'MONDAY' is not a number or a day name (SUN-SAT)"},
      {"MON * * * *", "cron 'MON * * * *': minute: 'MON' is not a number"},
      {"* * JAN * *", "cron '* * JAN * *': day-of-month: 'JAN' is not a number"},
      {"? * * * *", "cron '? * * * *': minute: '?' is not a number"},
      {"* * L * *", "cron '* * L * *': day-of-month: 'L' is not a number"},
      {"* * * * 5#2", "cron '* * * * 5#2': day-of-week: '5#2' is not a number or a day name (SUN-SAT)"},
      {"5-1 * * * *", "cron '5-1 * * * *': minute: range '5-1' runs backwards (5 > 1)"},
      {"* * * * FRI-SUN", "cron '* * * * FRI-SUN': day-of-week: range 'FRI-SUN' runs backwards (5 > 0)"},
      {"-5 * * * *", "cron '-5 * * * *': minute: missing number in '-5'"},
      {"1- * * * *", "cron '1- * * * *': minute: missing number in '1-'"},
      {"*-5 * * * *", "cron '*-5 * * * *': minute: '*' is not a number"},
      {"1,,2 * * * *", "cron '1,,2 * * * *': minute: empty list item in '1,,2'"},
      {"1, * * * *", "cron '1, * * * *': minute: empty list item in '1,'"},
      {"* * * *", "cron '* * * *': expected 5 fields (minute hour day-of-month month day-of-week), got 4"},
      {"0 * * * * *", "cron '0 * * * * *': expected 5 fields (minute hour day-of-month month day-of-week), got 6"},
      {"", "cron '': empty expression"},
      {"   ", "cron '': empty expression"},
      {"@reboot", "cron '@reboot': @reboot is not supported"},
      {"@often",
       "cron '@often': unknown macro (expected @hourly, @daily, @midnight, @weekly, @monthly, @yearly or "
       "@annually)"},
      {"@daily 5",
       "cron '@daily 5': unknown macro (expected @hourly, @daily, @midnight, @weekly, @monthly, "
       "@yearly or @annually)"},
  };
  for (const auto& [expr, message] : cases) EXPECT_EQ(CronError(expr), message) << expr;
}

TEST(Cron, OverlongExpressionsAreRefusedWithoutQuotingThemWhole) {
  const std::string expr = "0 0 * * " + std::string(300, '1');
  const std::string message = CronError(expr);
  EXPECT_EQ(message, "cron '" + expr.substr(0, 40) + "...': longer than 256 characters");
  EXPECT_LT(message.size(), 100u);
}

TEST(Cron, ImpossibleDatesAreRejectedAtParseTime) {
  EXPECT_EQ(CronError("0 0 31 2 *"), "cron '0 0 31 2 *': day-of-month '31' never occurs in month '2'");
  EXPECT_EQ(CronError("0 0 30 FEB *"), "cron '0 0 30 FEB *': day-of-month '30' never occurs in month 'FEB'");
  EXPECT_EQ(CronError("0 0 31 4,6,9,11 *"),
            "cron '0 0 31 4,6,9,11 *': day-of-month '31' never occurs in month '4,6,9,11'");
  // A star-led day-of-week still means "both must match".
  EXPECT_EQ(CronError("0 0 30,31 2 */2"), "cron '0 0 30,31 2 */2': day-of-month '30,31' never occurs in month '2'");
  // With a restricted day-of-week the days are either-or: Mondays in February.
  EXPECT_EQ(Next("0 0 31 2 MON", At(2024, 1, 1)), "2024-02-05 00:00:00 Mon");
  // One possible month is enough.
  EXPECT_EQ(Next("0 0 31 2,3 *", At(2024, 1, 1)), "2024-03-31 00:00:00 Sun");
}

TEST(Cron, ParserIsTotalOnGarbage) {
  // Random strings over cron's alphabet and some bytes it does not use:
  // parsing never crashes, and whatever parses has a next time that matches.
  std::mt19937 rng(20240229);
  const std::string alphabet = "0123456789*/-,@ \t aAjJmMsSuUnNfFrRiI?L#W\xff\x01";
  const TimePoint t = At(2024, 6, 1);
  int parsed = 0;
  // Fragments joined into five fields, so that some of the garbage parses.
  const std::vector<std::string> fragments = {"*",  "/",  "-",   ",",   "0",   "1",   "7", "12", "29",  "31",
                                              "59", "60", "jan", "FEB", "Sun", "sat", "x", "",   "\xff"};
  auto pick = [&rng](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
  for (int i = 0; i < 40000; ++i) {
    std::string expr;
    if (i % 2 == 0) {
      const size_t length = pick(25);
      for (size_t j = 0; j < length; ++j) expr += alphabet[pick(alphabet.size())];
    } else {
      for (int f = 0; f < 5; ++f) {
        if (f > 0) expr += ' ';
        const size_t parts = 1 + pick(3);
        if (pick(3) == 0) {  // mostly well-formed fields
          expr += fragments[pick(3) == 0 ? 0 : 4 + pick(2)];
          continue;
        }
        for (size_t j = 0; j < parts; ++j) expr += fragments[pick(fragments.size())];
      }
    }
    Result<Schedule> s = ParseCron(expr);
    if (!s.ok()) {
      EXPECT_EQ(s.status().message().rfind("cron '", 0), 0u) << expr;
      continue;
    }
    ++parsed;
    const std::optional<TimePoint> next = s->NextAfter(t);
    ASSERT_TRUE(next.has_value()) << expr;
    EXPECT_TRUE(s->Matches(*next)) << expr;
    EXPECT_GT(*next, t) << expr;
  }
  EXPECT_GT(parsed, 100);
  RecordProperty("parsed", parsed);
}

// --- Evaluation -----------------------------------------------------------

TEST(Cron, NextAfterIsStrictlyLaterAndOnSecondZero) {
  EXPECT_EQ(Next("* * * * *", At(2024, 1, 1, 10, 0, 0)), "2024-01-01 10:01:00 Mon");
  EXPECT_EQ(Next("* * * * *", At(2024, 1, 1, 10, 0, 59)), "2024-01-01 10:01:00 Mon");
  EXPECT_EQ(Next("30 6 * * *", At(2024, 1, 1, 6, 29, 59)), "2024-01-01 06:30:00 Mon");
  EXPECT_EQ(Next("30 6 * * *", At(2024, 1, 1, 6, 30, 0)), "2024-01-02 06:30:00 Tue");
  EXPECT_EQ(Next("30 6 * * *", At(2024, 1, 1, 6, 30, 0) - std::chrono::nanoseconds(1)), "2024-01-01 06:30:00 Mon");
  const Schedule s = Cron("*/15 * * * *");
  EXPECT_EQ(s.NextAfter(At(2024, 1, 1, 10, 7, 31) + milliseconds(250)), At(2024, 1, 1, 10, 15));
}

TEST(Cron, HoursAndMinutesRollOverIntoTheNextDay) {
  EXPECT_EQ(Next("15 9-17 * * *", At(2024, 1, 1, 17, 15)), "2024-01-02 09:15:00 Tue");
  EXPECT_EQ(Next("15,45 9-17 * * *", At(2024, 1, 1, 9, 20)), "2024-01-01 09:45:00 Mon");
  EXPECT_EQ(Next("0 */6 * * *", At(2024, 1, 1, 18, 0, 1)), "2024-01-02 00:00:00 Tue");
}

TEST(Cron, DayOfMonthOrDayOfWeekWhenBothAreRestricted) {
  // Vixie cron: "the 13th, and every Friday", not "Friday the 13th".
  const Schedule s = Cron("0 0 13 * FRI");
  EXPECT_TRUE(s.Matches(At(2024, 9, 13)));   // Friday the 13th
  EXPECT_TRUE(s.Matches(At(2024, 8, 13)));   // a Tuesday
  EXPECT_TRUE(s.Matches(At(2024, 8, 2)));    // a Friday
  EXPECT_FALSE(s.Matches(At(2024, 8, 14)));  // neither
  EXPECT_EQ(Next("0 0 13 * FRI", At(2024, 8, 1)), "2024-08-02 00:00:00 Fri");
  EXPECT_EQ(Next("0 0 13 * FRI", At(2024, 8, 9)), "2024-08-13 00:00:00 Tue");
  EXPECT_EQ(Next("0 0 1,15 * MON", At(2024, 1, 2)), "2024-01-08 00:00:00 Mon");
}

TEST(Cron, DayFieldsMustBothMatchWhenEitherStartsWithStar) {
  EXPECT_EQ(Next("0 0 * * FRI", At(2024, 8, 10)), "2024-08-16 00:00:00 Fri");
  EXPECT_EQ(Next("0 0 13 * *", At(2024, 8, 2)), "2024-08-13 00:00:00 Tue");
  // `*/2` starts with `*`, so it is "both": odd-numbered days that are Mondays.
  const Schedule s = Cron("0 0 */2 * MON");
  EXPECT_TRUE(s.Matches(At(2024, 1, 1)));   // Monday the 1st
  EXPECT_FALSE(s.Matches(At(2024, 1, 8)));  // Monday the 8th
  EXPECT_FALSE(s.Matches(At(2024, 1, 3)));  // Wednesday the 3rd
  EXPECT_EQ(Next("0 0 */2 * MON", At(2024, 1, 1)), "2024-01-15 00:00:00 Mon");
  // Spelling every day out is a restriction, so the rule is either-or.
  EXPECT_TRUE(Cron("0 0 1-31 * MON").Matches(At(2024, 1, 3)));
}

TEST(Cron, MonthsAreSkippedWhole) {
  EXPECT_EQ(Next("0 0 * JUN *", At(2024, 6, 30, 0, 0)), "2025-06-01 00:00:00 Sun");
  EXPECT_EQ(Next("0 12 * 3,9 *", At(2024, 3, 31, 12, 0)), "2024-09-01 12:00:00 Sun");
}

TEST(Cron, MonthEndsSkipMonthsWithoutTheDay) {
  EXPECT_EQ(Next("0 0 31 * *", At(2024, 1, 31)), "2024-03-31 00:00:00 Sun");
  EXPECT_EQ(Next("0 0 31 * *", At(2024, 3, 31)), "2024-05-31 00:00:00 Fri");
  EXPECT_EQ(Next("0 0 31 * *", At(2024, 7, 31)), "2024-08-31 00:00:00 Sat");
  EXPECT_EQ(Next("0 0 30 * *", At(2024, 1, 30)), "2024-03-30 00:00:00 Sat");
  EXPECT_EQ(Next("0 0 29 * *", At(2023, 1, 29)), "2023-03-29 00:00:00 Wed");
  EXPECT_EQ(Next("0 0 29 * *", At(2024, 1, 29)), "2024-02-29 00:00:00 Thu");
}

TEST(Cron, LeapDayWaitsForTheNextLeapYear) {
  EXPECT_EQ(Next("0 0 29 2 *", At(2024, 3, 1)), "2028-02-29 00:00:00 Tue");
  EXPECT_EQ(Next("0 0 29 2 *", At(2024, 2, 28, 23, 59, 59)), "2024-02-29 00:00:00 Thu");
  // 2100 is not a leap year (divisible by 100), 2000 was (by 400).
  EXPECT_EQ(Next("0 0 29 2 *", At(2096, 3, 1)), "2104-02-29 00:00:00 Fri");
  EXPECT_EQ(Next("0 0 29 2 *", At(1999, 1, 1)), "2000-02-29 00:00:00 Tue");
  // Both day fields: Feb 29 that is a Sunday, 28 years apart.
  EXPECT_EQ(Next("0 0 29 2 */7", At(2004, 3, 1)), "2032-02-29 00:00:00 Sun");
}

TEST(Cron, YearWrap) {
  EXPECT_EQ(Next("* * * * *", At(2024, 12, 31, 23, 59, 30)), "2025-01-01 00:00:00 Wed");
  EXPECT_EQ(Next("59 23 31 12 *", At(2024, 12, 31, 23, 59)), "2025-12-31 23:59:00 Wed");
  EXPECT_EQ(Next("0 0 1 1 *", At(2024, 12, 31, 23, 59, 59)), "2025-01-01 00:00:00 Wed");
  EXPECT_EQ(Next("0 0 * JAN MON", At(2024, 12, 30)), "2025-01-06 00:00:00 Mon");  // `*`: Mondays only
}

TEST(Cron, TimesAreUtcBeforeTheEpochToo) {
  EXPECT_EQ(Next("0 0 1 1 *", At(1969, 6, 1)), "1970-01-01 00:00:00 Thu");
  EXPECT_TRUE(Cron("59 23 31 12 *").Matches(At(1969, 12, 31, 23, 59, 30)));
}

TEST(Cron, NothingPastTheEndOfTheClockIsNullopt) {
  EXPECT_FALSE(Cron("* * * * *").NextAfter(TimePoint::max()).has_value());
  EXPECT_FALSE(Cron("0 0 1 1 *").NextAfter(TimePoint::max() - hours(24 * 30)).has_value());
  EXPECT_TRUE(Cron("* * * * *").NextAfter(TimePoint::max() - hours(1)).has_value());
  EXPECT_TRUE(Cron("* * * * *").NextAfter(TimePoint::min()).has_value());
}

// --- Property: agrees with a brute-force reference ------------------------

struct FieldGen {
  int min;
  int max;
  const char* const* names;  // names[v - names_base]
  int names_base;
  int names_count;
};

const char* const kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const char* const kDays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
const FieldGen kGen[5] = {
    {0, 59, nullptr, 0, 0},  {0, 23, nullptr, 0, 0}, {1, 31, nullptr, 0, 0},
    {1, 12, kMonths, 1, 12}, {0, 7, kDays, 0, 7},
};

struct Generated {
  std::string text;
  std::set<int> values;
  bool star = false;
};

class ExpressionGenerator {
 public:
  explicit ExpressionGenerator(uint32_t seed) : rng_(seed) {}

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  std::string Value(int field, int v) {
    const FieldGen& g = kGen[field];
    if (g.names && v - g.names_base < g.names_count && Uniform(0, 2) == 0) {
      std::string name = g.names[v - g.names_base];
      for (char& c : name)
        if (Uniform(0, 1)) c = static_cast<char>(c - 'A' + 'a');
      return name;
    }
    return std::to_string(v);
  }

  // One list item that does not start with `*`.
  void Item(int field, Generated& out) {
    const FieldGen& g = kGen[field];
    const int a = Uniform(g.min, g.max);
    const int b = Uniform(a, g.max);
    const int step = Uniform(1, g.max - g.min);
    switch (Uniform(0, 3)) {
      case 0:
        out.text += Value(field, a);
        out.values.insert(a);
        break;
      case 1:
        out.text += Value(field, a) + "-" + Value(field, b);
        for (int v = a; v <= b; ++v) out.values.insert(v);
        break;
      case 2:
        out.text += Value(field, a) + "-" + Value(field, b) + "/" + std::to_string(step);
        for (int v = a; v <= b; v += step) out.values.insert(v);
        break;
      default:
        out.text += Value(field, a) + "/" + std::to_string(step);
        for (int v = a; v <= g.max; v += step) out.values.insert(v);
        break;
    }
  }

  Generated Field(int field, int star_weight) {
    const FieldGen& g = kGen[field];
    Generated out;
    const int form = Uniform(0, 9);
    if (form < star_weight) {
      out.star = true;
      out.text = "*";
      for (int v = g.min; v <= g.max; ++v) out.values.insert(v);
    } else if (form == star_weight) {
      out.star = true;
      const int step = Uniform(1, g.max - g.min);
      out.text = "*/" + std::to_string(step);
      for (int v = g.min; v <= g.max; v += step) out.values.insert(v);
    } else {
      const int items = Uniform(1, 3);
      for (int i = 0; i < items; ++i) {
        if (i > 0) out.text += ",";
        Item(field, out);
      }
    }
    if (field == 4 && out.values.count(7)) {  // 7 is Sunday
      out.values.erase(7);
      out.values.insert(0);
    }
    return out;
  }

  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

struct Reference {
  Generated f[5];

  bool DayMatches(const std::tm& tm) const {
    if (!f[3].values.count(tm.tm_mon + 1)) return false;
    const bool dom = f[2].values.count(tm.tm_mday) > 0;
    const bool dow = f[4].values.count(tm.tm_wday) > 0;
    return (f[2].star || f[4].star) ? (dom && dow) : (dom || dow);
  }

  bool Possible() const {
    if (!f[2].star && !f[4].star) return true;
    const int longest[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int m : f[3].values)
      for (int d : f[2].values)
        if (d <= longest[m - 1]) return true;
    return false;
  }

  // The first matching minute strictly after t within `horizon_days`,
  // found minute by minute with gmtime (an oracle independent of
  // std::chrono's calendar). A day whose date does not match is passed over
  // whole; every minute of a matching day is tried.
  std::optional<int64_t> NextAfter(int64_t t_seconds, int horizon_days) const {
    const int64_t first = (t_seconds >= 0 ? t_seconds / 60 : (t_seconds - 59) / 60) + 1;
    const int64_t end = first + int64_t{horizon_days} * 1440;
    for (int64_t m = first; m < end;) {
      const std::time_t secs = static_cast<std::time_t>(m * 60);
      std::tm tm{};
      gmtime_r(&secs, &tm);
      if (!DayMatches(tm)) {
        m += 1440 - (tm.tm_hour * 60 + tm.tm_min);
        continue;
      }
      if (f[1].values.count(tm.tm_hour) && f[0].values.count(tm.tm_min)) return m * 60;
      ++m;
    }
    return std::nullopt;
  }
};

TEST(Cron, AgreesWithABruteForceReferenceOnRandomExpressions) {
  ExpressionGenerator gen(0x5eed2024);
  constexpr int kExpressions = 500;
  constexpr int kHorizonDays = 4 * 366 + 2;
  // 1999-01-01 .. 2102-01-01: covers 2000 (leap) and 2100 (not).
  const int64_t lo = 915148800;
  const int64_t hi = 4165516800;
  int found = 0;
  int beyond = 0;
  int rejected = 0;
  for (int e = 0; e < kExpressions; ++e) {
    Reference ref;
    // Dense minute/hour fields half the time; day fields lean to `*` so
    // that most expressions match within the horizon.
    ref.f[0] = gen.Field(0, gen.Uniform(0, 1) ? 4 : 1);
    ref.f[1] = gen.Field(1, gen.Uniform(0, 1) ? 4 : 1);
    // One in four is sparse: restricted day fields, often impossible or
    // beyond the horizon.
    const bool sparse = e % 4 == 3;
    ref.f[2] = gen.Field(2, sparse ? 1 : 5);
    ref.f[3] = gen.Field(3, sparse ? 0 : 6);
    ref.f[4] = gen.Field(4, sparse ? 2 : 5);
    if (e % 8 == 7) {
      // Month ends in one month, weekday `*`: Feb 29 (leap years only),
      // and dates that never occur (Feb 30, Apr 31).
      const int d = gen.Uniform(29, 31);
      const int m = gen.Uniform(1, 12);
      ref.f[2] = {std::to_string(d), {d}, false};
      ref.f[3] = {gen.Value(3, m), {m}, false};
      ref.f[4] = gen.Field(4, 10);
    }
    const std::string expr =
        ref.f[0].text + " " + ref.f[1].text + " " + ref.f[2].text + " " + ref.f[3].text + " " + ref.f[4].text;
    Result<Schedule> s = ParseCron(expr);
    if (!ref.Possible()) {
      ++rejected;
      ASSERT_FALSE(s.ok()) << expr;
      EXPECT_NE(s.status().message().find("never occurs"), std::string::npos) << s.status().message();
      continue;
    }
    ASSERT_TRUE(s.ok()) << expr << ": " << s.status().message();
    int64_t t = std::uniform_int_distribution<int64_t>(lo, hi)(gen.rng());
    // A chain of queries: from a random second, then from each answer (so
    // "strictly after a match" is exercised).
    for (int q = 0; q < 8; ++q) {
      const TimePoint tp = TimePoint(std::chrono::duration_cast<TimePoint::duration>(seconds(t)));
      const std::optional<int64_t> want = ref.NextAfter(t, kHorizonDays);
      const std::optional<TimePoint> got = s->NextAfter(tp);
      if (want) {
        ++found;
        ASSERT_TRUE(got.has_value()) << expr << " after " << Format(tp);
        ASSERT_EQ(Format(*got), Format(TimePoint(std::chrono::duration_cast<TimePoint::duration>(seconds(*want)))))
            << expr << " after " << Format(tp);
        EXPECT_TRUE(s->Matches(*got)) << expr;
        t = *want;
      } else {
        // Nothing within the horizon: the answer, if any, lies beyond it.
        ++beyond;
        if (got) {
          EXPECT_GE(*got, tp + hours(24 * kHorizonDays)) << expr << " after " << Format(tp);
        }
        t = std::uniform_int_distribution<int64_t>(lo, hi)(gen.rng());
      }
    }
  }
  // The generator must actually exercise the matching paths.
  EXPECT_GT(found, kExpressions * 3);
  RecordProperty("queries_with_a_match", found);
  RecordProperty("queries_beyond_the_horizon", beyond);
  RecordProperty("impossible_expressions", rejected);
}

// --- Interval schedules ---------------------------------------------------

TEST(Schedule, EveryNeedsADurationGreaterThanZero) {
  EXPECT_FALSE(Schedule::Every(milliseconds(0)).ok());
  EXPECT_FALSE(Schedule::Every(milliseconds(-5)).ok());
  EXPECT_EQ(Schedule::Every(milliseconds(0)).status().message(), "interval must be greater than zero");
  EXPECT_EQ(ParseEvery("0s").status().message(), "every '0s': interval must be greater than zero");
  EXPECT_EQ(ParseEvery("soon").status().message(), "every 'soon': not a duration (like 90s, 15m, 6h, 1d)");
  EXPECT_EQ(ParseEvery("").status().message(), "every '': not a duration (like 90s, 15m, 6h, 1d)");
  EXPECT_EQ(ParseEvery("-15m").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_FALSE(Schedule::Every(hours(24LL * 365 * 40000)).ok());
}

TEST(Schedule, EveryParsesDurations) {
  Result<Schedule> s = ParseEvery(" 15m ");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->is_interval());
  EXPECT_EQ(s->kind(), Schedule::Kind::kInterval);
  EXPECT_EQ(s->interval(), minutes(15));
  EXPECT_EQ(s->text(), "every 15m");
  EXPECT_EQ(ParseEvery("1.5h")->text(), "every 90m");
  EXPECT_EQ(ParseEvery("90s")->interval(), seconds(90));
  EXPECT_EQ(ParseEvery("250ms")->text(), "every 250ms");
  EXPECT_EQ(ParseEvery("2d")->text(), "every 2d");
  EXPECT_EQ(Cron("*/5 * * * *").kind(), Schedule::Kind::kCron);
  EXPECT_EQ(Cron("*/5 * * * *").interval(), milliseconds(0));
}

TEST(Schedule, IntervalNextAfterAddsTheInterval) {
  const Schedule s = std::move(ParseEvery("15m").value());
  EXPECT_EQ(s.NextAfter(At(2024, 1, 1, 10, 0, 7)), At(2024, 1, 1, 10, 15, 7));
  EXPECT_FALSE(s.NextAfter(TimePoint::max() - minutes(1)).has_value());
  EXPECT_FALSE(s.Matches(At(2024, 1, 1)));
}

// --- SiteScheduler --------------------------------------------------------

using Kind = SiteScheduler::Decision::Kind;

SiteScheduler Every(const char* d) { return SiteScheduler(std::move(ParseEvery(d).value())); }
SiteScheduler CronScheduler(const char* expr) { return SiteScheduler(Cron(expr)); }

std::string StartAt(const SiteScheduler& s, std::optional<TimePoint> started, std::optional<TimePoint> finished,
                    TimePoint now) {
  const SiteScheduler::Decision d = s.Next({started, finished}, now);
  switch (d.kind) {
    case Kind::kRunning:
      return "running";
    case Kind::kNever:
      return "never";
    case Kind::kStartAt:
      return Format(d.at);
  }
  return "?";
}

TEST(Schedule, IntervalFirstRunStartsImmediately) {
  EXPECT_EQ(StartAt(Every("15m"), std::nullopt, std::nullopt, At(2024, 1, 1, 10, 3, 17)), "2024-01-01 10:03:17 Mon");
}

TEST(Schedule, IntervalRunsStartAtThePreviousStartPlusTheInterval) {
  const SiteScheduler s = Every("15m");
  const TimePoint start = At(2024, 1, 1, 10, 0);
  // Measured from start to start: the run's length does not shift the grid.
  EXPECT_EQ(StartAt(s, start, start + minutes(4), start + minutes(4)), "2024-01-01 10:15:00 Mon");
  EXPECT_EQ(StartAt(s, start, start + minutes(14), start + minutes(14)), "2024-01-01 10:15:00 Mon");
  // Asked later (say after a restart), still the same slot.
  EXPECT_EQ(StartAt(s, start, start + minutes(4), start + minutes(10)), "2024-01-01 10:15:00 Mon");
  EXPECT_EQ(StartAt(s, start, start, start), "2024-01-01 10:15:00 Mon");
}

TEST(Schedule, IntervalOverrunSkipsToTheNextSlotAfterNowWithoutCatchUp) {
  const SiteScheduler s = Every("15m");
  const TimePoint start = At(2024, 1, 1, 10, 0);
  // Overran 10:15, 10:30 and 10:45: one run at 11:00, not three at once.
  EXPECT_EQ(StartAt(s, start, start + minutes(47), start + minutes(47)), "2024-01-01 11:00:00 Mon");
  EXPECT_EQ(StartAt(s, start, start + minutes(16), start + minutes(16)), "2024-01-01 10:30:00 Mon");
  // Slots stay on the grid of the last start, to the nanosecond.
  EXPECT_EQ(s.Next({start, start + minutes(20)}, start + minutes(20) + std::chrono::nanoseconds(1)).at,
            start + minutes(30));
}

TEST(Schedule, IntervalSlotExactlyAtNowStartsNow) {
  const SiteScheduler s = Every("15m");
  const TimePoint start = At(2024, 1, 1, 10, 0);
  EXPECT_EQ(StartAt(s, start, start + minutes(15), start + minutes(15)), "2024-01-01 10:15:00 Mon");
  EXPECT_EQ(StartAt(s, start, start + minutes(30), start + minutes(30)), "2024-01-01 10:30:00 Mon");
}

TEST(Schedule, SlotsMissedWhileDownAreNotCaughtUp) {
  const TimePoint start = At(2024, 1, 1, 10, 0);
  const TimePoint now = At(2024, 1, 3, 8, 7);
  EXPECT_EQ(StartAt(Every("1h"), start, start + minutes(5), now), "2024-01-03 09:00:00 Wed");
  EXPECT_EQ(StartAt(CronScheduler("30 * * * *"), start, start + minutes(5), now), "2024-01-03 08:30:00 Wed");
}

TEST(Schedule, RunsNeverOverlap) {
  const TimePoint start = At(2024, 1, 1, 10, 0);
  for (const SiteScheduler& s : {Every("1m"), CronScheduler("* * * * *")}) {
    EXPECT_EQ(StartAt(s, start, std::nullopt, start + hours(3)), "running");
    // A finish older than the start belongs to the run before.
    EXPECT_EQ(StartAt(s, start, start - minutes(1), start + hours(3)), "running");
    EXPECT_NE(StartAt(s, start, start, start + hours(3)), "running");
  }
}

TEST(Schedule, CronFirstRunWaitsForTheNextMatchingMinute) {
  const SiteScheduler s = CronScheduler("*/15 * * * *");
  EXPECT_EQ(StartAt(s, std::nullopt, std::nullopt, At(2024, 1, 1, 10, 7, 30)), "2024-01-01 10:15:00 Mon");
  // A slot exactly at now has not been missed.
  EXPECT_EQ(StartAt(s, std::nullopt, std::nullopt, At(2024, 1, 1, 10, 15)), "2024-01-01 10:15:00 Mon");
  EXPECT_EQ(StartAt(s, std::nullopt, std::nullopt, At(2024, 1, 1, 10, 15, 1)), "2024-01-01 10:30:00 Mon");
}

TEST(Schedule, CronRunsStartAtTheNextMatchAfterTheLastStart) {
  const SiteScheduler s = CronScheduler("*/15 * * * *");
  const TimePoint start = At(2024, 1, 1, 10, 0);
  EXPECT_EQ(StartAt(s, start, start + minutes(3), start + minutes(3)), "2024-01-01 10:15:00 Mon");
  EXPECT_EQ(StartAt(s, start, start + minutes(15), start + minutes(15)), "2024-01-01 10:15:00 Mon");
  // A zero-length run finishing within its own minute does not run again in it.
  EXPECT_EQ(StartAt(s, start, start, start), "2024-01-01 10:15:00 Mon");
}

TEST(Schedule, CronOverrunSkipsMissedMinutesWithoutCatchUp) {
  const SiteScheduler s = CronScheduler("*/15 * * * *");
  const TimePoint start = At(2024, 1, 1, 10, 0);
  EXPECT_EQ(StartAt(s, start, start + minutes(47), start + minutes(47)), "2024-01-01 11:00:00 Mon");
  EXPECT_EQ(StartAt(s, start, start + minutes(45), start + minutes(45)), "2024-01-01 10:45:00 Mon");
}

TEST(Schedule, ClockSteppingBackDoesNotStallTheSite) {
  const TimePoint start = At(2024, 1, 1, 12, 0);
  const TimePoint now = At(2024, 1, 1, 11, 0);  // an hour before the recorded start
  EXPECT_EQ(StartAt(Every("15m"), start, start + minutes(1), now), "2024-01-01 11:15:00 Mon");
  EXPECT_EQ(StartAt(CronScheduler("0 * * * *"), start, start + minutes(1), now), "2024-01-01 12:00:00 Mon");
  EXPECT_EQ(StartAt(Every("15m"), start, start + minutes(1), At(2023, 1, 1)), "2023-01-01 00:15:00 Sun");
}

TEST(Schedule, NeverWhenTheNextSlotIsPastTheEndOfTheClock) {
  const TimePoint late = TimePoint::max() - minutes(10);
  EXPECT_EQ(Every("1h").Next({late - minutes(30), late - minutes(20)}, late).kind, Kind::kNever);
  EXPECT_EQ(CronScheduler("0 0 1 1 *").Next({std::nullopt, std::nullopt}, late).kind, Kind::kNever);
  // Extreme recorded times do not overflow the arithmetic.
  EXPECT_EQ(Every("1h").Next({TimePoint::min(), TimePoint::min()}, At(2024, 1, 1, 0, 30)).kind, Kind::kStartAt);
}

}  // namespace
}  // namespace newshound::policy
