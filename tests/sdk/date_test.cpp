#include "newshound/plugin/date.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace newshound::sdk {
namespace {

// The ISO form of a parse, or "nullopt".
std::string Iso(const std::optional<DateTime>& dt) { return dt ? dt->ToIso() : "nullopt"; }

std::string Clock(const std::optional<TimeOfDay>& t) {
  if (!t) return "nullopt";
  char buffer[16];
  std::snprintf(buffer, sizeof(buffer), "%02d:%02d:%02d", t->hour, t->minute, t->second);
  return buffer;
}

// 2018-01-24T11:03:16Z, a fetch time.
constexpr int64_t kFetchMs = 1516791796000;

TEST(Date, ParsesIsoDatesAndDateTimes) {
  EXPECT_EQ(Iso(ParseIsoDateTime("2013-06-05")), "2013-06-05T00:00:00Z");
  EXPECT_EQ(Iso(ParseIsoDateTime(" 2017-10-10T20:04:00Z ")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseIsoDateTime("2017-10-10 20:04")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseIsoDateTime("2017-10-10T20:04:05.123456Z")), "2017-10-10T20:04:05Z");
}

TEST(Date, IsoOffsetsAreConvertedToUtc) {
  EXPECT_EQ(Iso(ParseIsoDateTime("2017-10-10T22:04:00+02:00")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseIsoDateTime("2017-10-10T01:30:00+0300")), "2017-10-09T22:30:00Z");
  EXPECT_EQ(Iso(ParseIsoDateTime("2017-12-31T23:00:00-05")), "2018-01-01T04:00:00Z");
}

TEST(Date, IsoRejectsImpossibleOrMalformedValues) {
  for (const char* text : {"", "2017", "2017-10", "2017-13-01", "2017-02-29", "2017-10-10T24:00:00Z",
                           "2017-10-10T20:61", "2017-10-10T20:04:00+25:00", "2017-10-10Tnoon",
                           "17-10-10", "2017-10-10 extra", "2017/10/10"}) {
    EXPECT_EQ(ParseIsoDateTime(text), std::nullopt) << text;
  }
  EXPECT_EQ(Iso(ParseIsoDateTime("2016-02-29")), "2016-02-29T00:00:00Z");
}

TEST(Date, ParsesRfc822AndRfc1123) {
  EXPECT_EQ(Iso(ParseRfc822("Tue, 10 Oct 2017 20:04:00 GMT")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseRfc822("Tue, 10 Oct 2017 20:04:00 +0000")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseRfc822("10 Oct 2017 22:04 +0200")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseRfc822("Tue,10 Oct 2017 16:04:00 EDT")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseRfc822("Wed, 5 Jun 2013 09:03:51")), "2013-06-05T09:03:51Z");
}

TEST(Date, Rfc822ReadsTwoDigitYearsAndRfc850Dates) {
  EXPECT_EQ(Iso(ParseRfc822("10 Oct 17 20:04 GMT")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseRfc822("10 Oct 97 20:04 GMT")), "1997-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseRfc822("Tuesday, 10-Oct-17 20:04:00 GMT")), "2017-10-10T20:04:00Z");
}

TEST(Date, Rfc822RejectsIncompleteOrUnknownParts) {
  for (const char* text : {"Tue, 10 Oct 2017", "10 Foo 2017 20:04 GMT", "31 Feb 2017 20:04 GMT",
                           "10 Oct 2017 20:04 XYZ", "10 Oct 2017 20:04 GMT extra", "Tue,", ""}) {
    EXPECT_EQ(ParseRfc822(text), std::nullopt) << text;
  }
}

TEST(Date, ParsesEnglishGmtStamp) {
  EXPECT_EQ(Iso(ParseStamp("GMT 20:04 2017 Tuesday ,10 October")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseStamp("GMT 09:03 2013 Wednesday ,05 June")), "2013-06-05T09:03:00Z");
  EXPECT_EQ(Iso(ParseStamp("  GMT\u00a005:51 2012 Wednesday ,18 January ")), "2012-01-18T05:51:00Z");
}

TEST(Date, ParsesEnglishStampsInOtherOrders) {
  EXPECT_EQ(Iso(ParseStamp("Thursday, 10 October 2017")), "2017-10-10T00:00:00Z");
  EXPECT_EQ(Iso(ParseStamp("October 10th, 2017 at 8:04 pm")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseStamp("Published: 10 Oct 2017 12:30 am")), "2017-10-10T00:30:00Z");
}

TEST(Date, ParsesArabicGmtStamp) {
  EXPECT_EQ(Iso(ParseStamp("GMT 20:04 الثلاثاء 10 أكتوبر/تشرين الأول 2017")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseStamp("GMT 18:05 الثلاثاء 16 يناير/كانون الثاني 2018")), "2018-01-16T18:05:00Z");
  EXPECT_EQ(Iso(ParseStamp("الثلاثاء 03 أكتوبر/تشرين الأول 2017")), "2017-10-03T00:00:00Z");
}

TEST(Date, ParsesLevantineArabicMonths) {
  const std::vector<std::pair<const char*, int>> months = {
      {"كانون الثاني", 1}, {"شباط", 2},  {"آذار", 3},        {"نيسان", 4},
      {"أيار", 5},         {"حزيران", 6}, {"تموز", 7},        {"آب", 8},
      {"أيلول", 9},        {"تشرين الأول", 10}, {"تشرين الثاني", 11}, {"كانون الأول", 12}};
  for (const auto& [name, month] : months) {
    const auto dt = ParseStamp(std::string("GMT 20:04 الثلاثاء 10 ") + name + " 2017");
    ASSERT_TRUE(dt.has_value()) << name;
    EXPECT_EQ(dt->month, month) << name;
    EXPECT_EQ(MonthFromName(name), month) << name;
  }
}

TEST(Date, ParsesEgyptianAndMaghrebiArabicMonths) {
  const std::vector<std::pair<const char*, int>> months = {
      {"يناير", 1},  {"فبراير", 2}, {"مارس", 3},   {"أبريل", 4},   {"ابريل", 4},   {"مايو", 5},
      {"يونيو", 6},  {"يونيه", 6},  {"يوليو", 7},  {"يوليه", 7},   {"أغسطس", 8},   {"اغسطس", 8},
      {"سبتمبر", 9}, {"أكتوبر", 10}, {"اكتوبر", 10}, {"نوفمبر", 11}, {"ديسمبر", 12}};
  for (const auto& [name, month] : months) {
    const auto dt = ParseStamp(std::string("10 ") + name + " 2017");
    ASSERT_TRUE(dt.has_value()) << name;
    EXPECT_EQ(dt->month, month) << name;
  }
}

TEST(Date, ParsesMoroccanAndAlgerianMonthVariants) {
  EXPECT_EQ(MonthFromName("ماي"), 5);
  EXPECT_EQ(MonthFromName("يوليوز"), 7);
  EXPECT_EQ(MonthFromName("غشت"), 8);
  EXPECT_EQ(MonthFromName("شتنبر"), 9);
  EXPECT_EQ(MonthFromName("نونبر"), 11);
  EXPECT_EQ(MonthFromName("دجنبر"), 12);
  EXPECT_EQ(MonthFromName("جانفي"), 1);
  EXPECT_EQ(MonthFromName("جويلية"), 7);
  EXPECT_EQ(Iso(ParseStamp("الجمعة 08 غشت 2014")), "2014-08-08T00:00:00Z");
}

TEST(Date, JoinedArabicMonthNamesMustAgree) {
  EXPECT_EQ(Iso(ParseStamp("22 نوفمبر/تشرين الثاني 2017")), "2017-11-22T00:00:00Z");
  EXPECT_EQ(Iso(ParseStamp("19 ديسمبر / كانون الأول 2017")), "2017-12-19T00:00:00Z");
  EXPECT_EQ(ParseStamp("10 أكتوبر/تشرين الثاني 2017"), std::nullopt);
}

TEST(Date, ArabicStampsAcceptArabicIndicDigitsAndMarkers) {
  EXPECT_EQ(Iso(ParseStamp("الثلاثاء ١٠ أكتوبر ٢٠١٧")), "2017-10-10T00:00:00Z");
  // "م" after the year marks the Gregorian era; after a time, the evening.
  EXPECT_EQ(Iso(ParseStamp("10 أكتوبر 2017 م")), "2017-10-10T00:00:00Z");
  EXPECT_EQ(Iso(ParseStamp("10 أكتوبر 2017 08:04 م")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseStamp("10 أكتوبر 2017 08:04 ص")), "2017-10-10T08:04:00Z");
}

TEST(Date, StampRejectsIncompleteContradictoryOrUnknownText) {
  for (const char* text : {"", "GMT", "10 October", "October 2017", "GMT 20:04 2017 Tuesday ,10 Octobre",
                           "GMT 25:04 2017 Tuesday ,10 October", "31 February 2017", "10 11 October 2017",
                           "2017 2018 October 10", "10 October 2017 20:04 21:05", "13:00 pm 10 October 2017",
                           "10 ربيع الأول 1439 هـ", "10 October 2017 +0300", "\xff\xfe 10 October 2017",
                           "updated recently"}) {
    EXPECT_EQ(ParseStamp(text), std::nullopt) << text;
  }
}

TEST(Date, ParsesLastUpdatedTimeOfDay) {
  EXPECT_EQ(Clock(ParseTimeOfDay("Last Updated : GMT 09:03:51")), "09:03:51");
  EXPECT_EQ(Clock(ParseTimeOfDay("آخر تحديث : GMT 11:20:14")), "11:20:14");
  EXPECT_EQ(Clock(ParseTimeOfDay("GMT 20:04")), "20:04:00");
  EXPECT_EQ(Clock(ParseTimeOfDay("8:15 pm")), "20:15:00");
}

TEST(Date, TimeOfDayRejectsDatesAndGarbage) {
  for (const char* text : {"", "Last Updated :", "GMT 20:04 2017 Tuesday ,10 October", "09:03:61",
                           "24:00", "Last Updated : GMT 09:03:51 09:04:00", "Last Seen : GMT 09:03"}) {
    EXPECT_EQ(ParseTimeOfDay(text), std::nullopt) << text;
  }
}

TEST(Date, CombinesDateWithTimeOfDay) {
  const auto date = ParseIsoDateTime("2013-06-05");
  const auto time = ParseTimeOfDay("Last Updated : GMT 09:03:51");
  ASSERT_TRUE(date && time);
  EXPECT_EQ(date->WithTime(*time).ToIso(), "2013-06-05T09:03:51Z");
}

TEST(Date, ParsesEnglishRelativeAgainstTheReferenceTime) {
  EXPECT_EQ(Iso(ParseRelative("3 hours ago", kFetchMs)), "2018-01-24T08:03:16Z");
  EXPECT_EQ(Iso(ParseRelative("an hour ago", kFetchMs)), "2018-01-24T10:03:16Z");
  EXPECT_EQ(Iso(ParseRelative("About 5 mins ago", kFetchMs)), "2018-01-24T10:58:16Z");
  EXPECT_EQ(Iso(ParseRelative("2 days ago", kFetchMs)), "2018-01-22T11:03:16Z");
  EXPECT_EQ(Iso(ParseRelative("1 week ago", kFetchMs)), "2018-01-17T11:03:16Z");
  EXPECT_EQ(Iso(ParseRelative("just now", kFetchMs)), "2018-01-24T11:03:16Z");
}

TEST(Date, ParsesArabicRelativeAgainstTheReferenceTime) {
  EXPECT_EQ(Iso(ParseRelative("منذ 3 ساعات", kFetchMs)), "2018-01-24T08:03:16Z");
  EXPECT_EQ(Iso(ParseRelative("منذ ساعة", kFetchMs)), "2018-01-24T10:03:16Z");
  EXPECT_EQ(Iso(ParseRelative("منذ ساعتين", kFetchMs)), "2018-01-24T09:03:16Z");
  EXPECT_EQ(Iso(ParseRelative("قبل 10 دقائق", kFetchMs)), "2018-01-24T10:53:16Z");
  EXPECT_EQ(Iso(ParseRelative("منذ يومين", kFetchMs)), "2018-01-22T11:03:16Z");
  EXPECT_EQ(Iso(ParseRelative("الآن", kFetchMs)), "2018-01-24T11:03:16Z");
}

TEST(Date, RelativeRejectsVagueOrMalformedText) {
  for (const char* text : {"", "ago", "hours ago", "3 hours", "3 months ago", "2 years ago", "yesterday",
                           "منذ", "منذ 3", "منذ قليل", "منذ 2 ساعتين", "three hours ago", "3 hours ago!"}) {
    EXPECT_EQ(ParseRelative(text, kFetchMs), std::nullopt) << text;
  }
}

TEST(Date, ParseDateTriesEveryForm) {
  EXPECT_EQ(Iso(ParseDate("2017-10-10T20:04:00Z")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseDate("Tue, 10 Oct 2017 20:04:00 GMT")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(Iso(ParseDate("GMT 20:04 2017 Tuesday ,10 October")), "2017-10-10T20:04:00Z");
  EXPECT_EQ(ParseDate("3 hours ago"), std::nullopt);  // no reference time
  EXPECT_EQ(Iso(ParseDate("3 hours ago", kFetchMs)), "2018-01-24T08:03:16Z");
  EXPECT_EQ(ParseDate("not a date", kFetchMs), std::nullopt);
}

TEST(Date, UnixSecondsRoundTripAcrossTheSupportedRange) {
  EXPECT_EQ(DateTime::FromUnixSeconds(0)->ToIso(), "1970-01-01T00:00:00Z");
  EXPECT_EQ(DateTime::FromUnixSeconds(-1)->ToIso(), "1969-12-31T23:59:59Z");
  EXPECT_EQ(DateTime::FromUnixSeconds(951782400)->ToIso(), "2000-02-29T00:00:00Z");
  EXPECT_EQ(DateTime::Make(2017, 10, 10, 20, 4)->ToUnixSeconds(), 1507665840);
  EXPECT_EQ(DateTime::Make(1, 1, 1)->ToIso(), "0001-01-01T00:00:00Z");
  const int64_t last = DateTime::Make(9999, 12, 31, 23, 59, 59)->ToUnixSeconds();
  EXPECT_EQ(DateTime::FromUnixSeconds(last + 1), std::nullopt);
  EXPECT_EQ(DateTime::FromUnixSeconds(INT64_MIN), std::nullopt);
  EXPECT_EQ(ParseRelative("999999 weeks ago", kFetchMs), std::nullopt);
}

TEST(Date, MakeRejectsOutOfRangeFields) {
  EXPECT_EQ(DateTime::Make(2017, 2, 29), std::nullopt);
  EXPECT_EQ(DateTime::Make(1900, 2, 29), std::nullopt);
  EXPECT_TRUE(DateTime::Make(2000, 2, 29).has_value());
  EXPECT_EQ(DateTime::Make(2017, 0, 1), std::nullopt);
  EXPECT_EQ(DateTime::Make(0, 1, 1), std::nullopt);
  EXPECT_EQ(DateTime::Make(2017, 1, 1, 23, 60), std::nullopt);
}

}  // namespace
}  // namespace newshound::sdk
