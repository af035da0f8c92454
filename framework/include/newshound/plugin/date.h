// newshound plugin SDK: dates and times as news pages write them.
//
// Every parser is total: text it does not fully understand gives nullopt,
// never a guess, an exception or a crash. Results are in UTC; "GMT" is
// read as UTC. Records carry them as ISO 8601 via DateTime::ToIso().
//
//   ParseIsoDateTime("2017-10-10")                      2017-10-10T00:00:00Z
//   ParseRfc822("Tue, 10 Oct 2017 20:04:00 +0000")      2017-10-10T20:04:00Z
//   ParseStamp("GMT 20:04 2017 Tuesday ,10 October")    2017-10-10T20:04:00Z
//   ParseStamp("GMT 20:04 الثلاثاء 10 أكتوبر/تشرين الأول 2017")  same
//   ParseTimeOfDay("Last Updated : GMT 09:03:51")       09:03:51
//   ParseRelative("3 hours ago", fetched_at_ms)         fetch time - 3 h
//
// Thread safety: free functions over values.
#ifndef NEWSHOUND_PLUGIN_DATE_H_
#define NEWSHOUND_PLUGIN_DATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace newshound::sdk {

// A time of day, 24-hour clock.
struct TimeOfDay {
  int hour = 0;
  int minute = 0;
  int second = 0;

  bool operator==(const TimeOfDay&) const = default;
};

// A calendar date and time in UTC (proleptic Gregorian, years 1..9999).
// Only the factory functions below make one, so it is always valid.
struct DateTime {
  int year = 1970;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;

  // nullopt unless every field is in range (day within its month).
  static std::optional<DateTime> Make(int year, int month, int day, int hour = 0, int minute = 0,
                                      int second = 0);
  static std::optional<DateTime> FromUnixSeconds(int64_t seconds);
  int64_t ToUnixSeconds() const;
  // "YYYY-MM-DDTHH:MM:SSZ".
  std::string ToIso() const;
  // The same day at `time`.
  DateTime WithTime(const TimeOfDay& time) const;

  bool operator==(const DateTime&) const = default;
};

// ISO 8601 / RFC 3339: "YYYY-MM-DD", optionally followed by "T" or a space
// and "HH:MM[:SS[.fraction]]", optionally followed by "Z" or an offset
// "+HH:MM", "+HHMM", "+HH". Offsets are applied; no offset means UTC.
// The fraction is dropped.
std::optional<DateTime> ParseIsoDateTime(std::string_view text);

// RFC 822 / 1123 / 2822 as in RSS and HTTP: "[Tue, ]10 Oct 2017 20:04[:00]
// GMT". Zones: GMT, UT, UTC, Z, the US zones (EST, EDT, CST, CDT, MST, MDT,
// PST, PDT), "+HHMM"; a missing zone means UTC. Two-digit years are read
// as RFC 2822 says (00-49 are 20xx). Also the RFC 850 date "10-Oct-17".
std::optional<DateTime> ParseRfc822(std::string_view text);

// Human-written stamps in English or Arabic, with the tokens in any order:
// a day, a month name, a four-digit year, and optionally a time
// "HH:MM[:SS]" (with am/pm, or Arabic ص/م), weekday names, "GMT"/"UTC"
// and punctuation. Examples: "GMT 20:04 2017 Tuesday ,10 October",
// "October 10, 2017 8:04 pm", "الثلاثاء 10 أكتوبر/تشرين الأول 2017".
// Arabic months are recognized in the Levantine series (كانون الثاني ...
// كانون الأول), the Egyptian series (يناير ... ديسمبر) and the Moroccan and
// Algerian variants (ماي، يوليوز، غشت، شتنبر، نونبر، دجنبر، جانفي، جوان ...),
// alone or as pairs joined by "/" (which must agree), with or without
// hamza on the alef. Arabic-Indic digits are accepted. Without a time
// the result is at 00:00:00.
std::optional<DateTime> ParseStamp(std::string_view text);

// A time of day alone, with an optional label and zone: "09:03:51",
// "GMT 09:03", "Last Updated : GMT 09:03:51", "آخر تحديث : GMT 09:03:51".
std::optional<TimeOfDay> ParseTimeOfDay(std::string_view text);

// Relative stamps measured back from `reference_ms` (Unix milliseconds,
// normally the page's fetch time): "3 hours ago", "an hour ago", "5 mins
// ago", "2 days ago", "1 week ago", "just now"; Arabic "منذ 3 ساعات",
// "منذ ساعة", "منذ ساعتين", "قبل 5 دقائق", "منذ يومين", "الآن". Months and
// years are refused: too coarse to stand for a publication time.
std::optional<DateTime> ParseRelative(std::string_view text, int64_t reference_ms);

// Tries ParseIsoDateTime, ParseRfc822, ParseStamp and, when a reference
// time is given, ParseRelative.
std::optional<DateTime> ParseDate(std::string_view text,
                                  std::optional<int64_t> reference_ms = std::nullopt);

// The month number (1..12) of an English or Arabic month name, full or
// abbreviated ("Oct", "أكتوبر", "تشرين الأول", "اكتوبر").
std::optional<int> MonthFromName(std::string_view name);

}  // namespace newshound::sdk

#endif  // NEWSHOUND_PLUGIN_DATE_H_
