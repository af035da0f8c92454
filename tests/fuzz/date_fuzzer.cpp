// Fuzz target: the date parsers, both of them.
//  - The plugin SDK's (newshound/plugin/date.h): ParseIsoDateTime,
//    ParseRfc822, ParseStamp (English and Arabic), ParseTimeOfDay,
//    ParseRelative, ParseDate, MonthFromName.
//  - Discovery's (framework/src/discovery/date.h): W3C Datetime, RFC 822 /
//    2822, and ParseDiscoveryDate that picks one.
// The input is the text of one date as a page, sitemap or feed would write it.
//
// Invariants besides "no crash": every DateTime an SDK parser returns is
// valid (DateTime::Make accepts its fields), survives Unix seconds and ISO
// 8601 round trips, and a relative stamp is not after its reference time; a
// TimeOfDay is on the clock; a month is 1..12; a discovery time is within
// the documented years 1..9999 (give or take a zone offset), and
// ParseDiscoveryDate agrees with the grammar it picks.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "discovery/date.h"
#include "fuzz_check.h"
#include "newshound/plugin/date.h"

namespace {

namespace sdk = newshound::sdk;
namespace discovery = newshound::discovery;
using newshound::fuzz::Quote;

// 2017-10-10T20:04:00Z, the fetch time relative stamps count back from.
constexpr int64_t kReferenceMs = 1507665840000;

void CheckDateTime(const std::optional<sdk::DateTime>& dt, std::string_view text, const char* parser) {
  if (!dt) return;
  const std::string detail = std::string(parser) + "(" + Quote(text) + ") = " + dt->ToIso();
  const auto made = sdk::DateTime::Make(dt->year, dt->month, dt->day, dt->hour, dt->minute, dt->second);
  FUZZ_CHECK(made && *made == *dt, detail);
  const auto from_seconds = sdk::DateTime::FromUnixSeconds(dt->ToUnixSeconds());
  FUZZ_CHECK(from_seconds && *from_seconds == *dt, detail);
  const auto from_iso = sdk::ParseIsoDateTime(dt->ToIso());
  FUZZ_CHECK(from_iso && *from_iso == *dt, detail);
}

bool StartsWithFourDigits(std::string_view s) {
  if (s.size() < 4) return false;
  for (size_t i = 0; i < 4; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // dates are short; longer inputs only slow the search
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const auto iso = sdk::ParseIsoDateTime(text);
  CheckDateTime(iso, text, "ParseIsoDateTime");
  const auto rfc822 = sdk::ParseRfc822(text);
  CheckDateTime(rfc822, text, "ParseRfc822");
  const auto stamp = sdk::ParseStamp(text);
  CheckDateTime(stamp, text, "ParseStamp");
  const auto relative = sdk::ParseRelative(text, kReferenceMs);
  CheckDateTime(relative, text, "ParseRelative");
  if (relative) FUZZ_CHECK(relative->ToUnixSeconds() <= kReferenceMs / 1000, relative->ToIso());
  const auto any = sdk::ParseDate(text, kReferenceMs);
  CheckDateTime(any, text, "ParseDate");
  FUZZ_CHECK(any.has_value() == (iso || rfc822 || stamp || relative), Quote(text));
  CheckDateTime(sdk::ParseDate(text), text, "ParseDate");
  if (const auto time = sdk::ParseTimeOfDay(text)) {
    FUZZ_CHECK(time->hour >= 0 && time->hour <= 23 && time->minute >= 0 && time->minute <= 59 && time->second >= 0 &&
                   time->second <= 59,
               Quote(text));
    if (iso) (void)iso->WithTime(*time);
  }
  if (const auto month = sdk::MonthFromName(text)) FUZZ_CHECK(*month >= 1 && *month <= 12, Quote(text));

  // Discovery: years 1..9999, and a zone offset of up to a day either way.
  constexpr int64_t kDayMs = 86400000;
  const int64_t min_ms = discovery::DaysFromCivil(1, 1, 1) * kDayMs - kDayMs;
  const int64_t max_ms = discovery::DaysFromCivil(10000, 1, 1) * kDayMs + kDayMs;
  const auto w3c = discovery::ParseW3cDateTime(text);
  const auto rfc = discovery::ParseRfc822DateTime(text);
  const auto either = discovery::ParseDiscoveryDate(text);
  for (const auto& ms : {w3c, rfc, either}) {
    if (ms) FUZZ_CHECK(*ms >= min_ms && *ms < max_ms, Quote(text) + " -> " + std::to_string(*ms));
  }
  const bool trimmed = !text.empty() && text.front() > ' ' && text.back() > ' ' && text.size() <= 256;
  if (trimmed && w3c) FUZZ_CHECK(either == w3c, Quote(text));
  if (trimmed && rfc && !StartsWithFourDigits(text)) FUZZ_CHECK(either == rfc, Quote(text));
  return 0;
}
