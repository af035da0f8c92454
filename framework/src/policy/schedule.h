// When a site's recurring crawl runs: a cron expression or a fixed interval.
//
// A site's `schedule:` is either a 5-field cron expression
// ("minute hour day-of-month month day-of-week", or a macro like @daily) or
// an interval (`every: 15m`). See docs/scheduling.md for the syntax.
//
// Cron expressions are evaluated in UTC. Time zones (and so daylight-saving
// transitions) are out of scope: "0 6 * * *" is 06:00 UTC all year.
//
// Day-of-month vs day-of-week follows Vixie cron: when both fields are
// restricted (neither field's text starts with `*`), a day matches when
// EITHER matches ("0 0 1,15 * MON" is the 1st, the 15th and every Monday);
// otherwise both must (so "0 0 */2 * MON" is odd-numbered Mondays).
//
// Expressions that can never match ("0 0 31 2 *", "0 0 30,31 2,4 *") are
// rejected by ParseCron with an error, so a parsed cron schedule always has
// a next time; NextAfter is nullopt only if that time lies beyond what
// system_clock can represent (year 2262 with libstdc++).
//
// Pure policy: no I/O, no clock of its own; every call takes `now`.
// Thread safety: immutable values after construction; safe to share.
#ifndef NEWSHOUND_POLICY_SCHEDULE_H_
#define NEWSHOUND_POLICY_SCHEDULE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "newshound/status.h"

namespace newshound::policy {

using TimePoint = std::chrono::system_clock::time_point;

class Schedule {
 public:
  enum class Kind { kCron, kInterval };

  // An interval schedule: runs `interval` apart. Error unless interval > 0.
  static Result<Schedule> Every(std::chrono::milliseconds interval);

  Kind kind() const { return kind_; }
  bool is_interval() const { return kind_ == Kind::kInterval; }
  // The interval of an interval schedule; zero for cron.
  std::chrono::milliseconds interval() const { return interval_; }
  // For messages and logs: the cron text as written, or "every 15m".
  const std::string& text() const { return text_; }

  // Cron: the first matching minute strictly after `t` (at second 0).
  // Interval: t + interval.
  // nullopt only when the answer is past TimePoint::max().
  std::optional<TimePoint> NextAfter(TimePoint t) const;

  // Cron: does the minute containing `t` match (seconds are ignored)?
  // Interval: always false (an interval has no fixed wall-clock slots).
  bool Matches(TimePoint t) const;

 private:
  friend Result<Schedule> ParseCron(std::string_view expr);
  Schedule() = default;

  bool DayMatches(int day_of_month, int month, int weekday) const;

  Kind kind_ = Kind::kCron;
  std::string text_;
  std::chrono::milliseconds interval_{0};
  // Cron fields as bit sets: bit v set when value v is allowed.
  uint64_t minutes_ = 0;  // bits 0-59
  uint32_t hours_ = 0;    // bits 0-23
  uint32_t days_ = 0;     // bits 1-31 (day of month)
  uint16_t months_ = 0;   // bits 1-12
  uint8_t weekdays_ = 0;  // bits 0-6, 0 = Sunday (a 7 in the text sets bit 0)
  // Vixie's rule: either day field written starting with `*` means the day
  // must match both fields; otherwise either one.
  bool day_or_ = false;
};

// Parses a 5-field cron expression or a macro (@hourly, @daily, @midnight,
// @weekly, @monthly, @yearly, @annually). Fields accept `*`, numbers,
// ranges `a-b`, steps `*/n`, `a-b/n` and `a/n` (a through the field's
// maximum), and lists `a,b,c`; months also JAN-DEC and weekdays SUN-SAT
// (case-insensitive); day-of-week is 0-7 with both 0 and 7 Sunday.
// Errors are kInvalidArgument and name the expression, the field and the
// offending text: "cron '*/0 * * * *': minute: step must be at least 1".
Result<Schedule> ParseCron(std::string_view expr);

// Parses the value of `every:` ("15m", "1h", "90s"; see ParseDuration).
// Error unless it is a duration greater than zero.
Result<Schedule> ParseEvery(std::string_view duration);

// When a site's next run starts, given its last run and `now`.
//
// Runs of one site never overlap: while the last run has not finished, the
// answer is kRunning and the engine asks again when it finishes.
//
// Slots are the times the schedule names: for cron its matching minutes,
// for an interval last_start + k * interval (k >= 1). The next run starts
// at the first slot after the last start that is not earlier than `now`.
// So a run that overran one or more slots is followed by the next slot
// after now, not by a burst of catch-up runs (the same holds for slots
// missed while newshound was not running). A slot exactly at `now` is not
// missed: the run starts now.
//
// With no previous run, the first slot at or after now: an interval
// schedule starts at once, a cron schedule at its next matching minute.
// A last start later than `now` (the clock stepped back) is taken as `now`,
// so a step back does not stall the site for its size.
//
// Pure: no clock of its own. Thread safety: immutable; safe to share.
class SiteScheduler {
 public:
  // The previous run, as the engine recorded it.
  struct LastRun {
    std::optional<TimePoint> started;   // nullopt: the site has never run
    std::optional<TimePoint> finished;  // nullopt or before `started`: still running
  };

  struct Decision {
    enum class Kind {
      kStartAt,  // start the next run at `at` (== now: start immediately)
      kRunning,  // the last run is still going; ask again when it finishes
      kNever,    // no further slot that TimePoint can represent
    };
    Kind kind = Kind::kNever;
    TimePoint at{};  // set for kStartAt
  };

  explicit SiteScheduler(Schedule schedule) : schedule_(std::move(schedule)) {}

  Decision Next(const LastRun& last, TimePoint now) const;

  const Schedule& schedule() const { return schedule_; }

 private:
  Schedule schedule_;
};

}  // namespace newshound::policy

#endif  // NEWSHOUND_POLICY_SCHEDULE_H_
