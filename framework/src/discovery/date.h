// The date formats of sitemaps and feeds, read as Unix milliseconds (UTC).
//
// Two grammars are read, and either is accepted wherever a date appears,
// because publishers mix them (RSS pubDate in ISO form, sitemap lastmod in
// RFC 822 form):
//  - W3C Datetime (https://www.w3.org/TR/NOTE-datetime), the profile of ISO
//    8601 that sitemaps.org and Google News use, of which RFC 3339 (Atom) is
//    the full date-time case: YYYY, YYYY-MM, YYYY-MM-DD, then "T" hh:mm,
//    hh:mm:ss or hh:mm:ss.s... and a zone (Z, +hh:mm, -hh:mm). Leniencies
//    seen in the wild: a space or lower-case "t" for "T", "z" for "Z",
//    +hhmm and +hh zones, no zone at all (read as UTC).
//  - RFC 822 as updated by RFC 2822 (RSS 2.0 pubDate): [Wkd,] D Mon YYYY
//    hh:mm[:ss] zone, with the obsolete forms RFC 2822 4.3 says to accept:
//    two-digit years (00-49 are 20xx, 50-99 are 19xx), three-digit years
//    (+1900), named zones UT, GMT and the US ones, and military letters
//    (read as UTC, as RFC 2822 advises, their sign having been wrong in
//    RFC 822). Also accepted: full month and weekday names, any case, a
//    missing zone (UTC), a trailing "(comment)", and a few unambiguous zone
//    abbreviations (CET, EET, JST, ...). The weekday is not checked against
//    the date: sites get it wrong and the date is what matters.
//
// Dates before year 1 or after 9999, impossible days (Feb 30) and times
// (25:00) are rejected. A leap second (:60) is read as :59.
//
// Thread safety: free functions over values.
#ifndef NEWSHOUND_DISCOVERY_DATE_H_
#define NEWSHOUND_DISCOVERY_DATE_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace newshound::discovery {

std::optional<int64_t> ParseW3cDateTime(std::string_view text);
std::optional<int64_t> ParseRfc822DateTime(std::string_view text);

// Either of the two; surrounding whitespace is ignored.
std::optional<int64_t> ParseDiscoveryDate(std::string_view text);

// Days since 1970-01-01 of a proleptic Gregorian date (no range check).
int64_t DaysFromCivil(int64_t year, int month, int day);

}  // namespace newshound::discovery

#endif  // NEWSHOUND_DISCOVERY_DATE_H_
