#include "newshound/plugin/settings.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace newshound::sdk {
namespace {

// The message of the std::invalid_argument that `f` throws, or "" if none.
template <typename F>
std::string InvalidArgumentMessage(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(Settings, ReadsValuesOfTheRightType) {
  const Settings s = Settings::Parse(
      R"({"edition": "ar", "sections": ["morocco", "economy"], "names": {"morocco": "أخبار المغرب"},
          "strict": true, "limit": 5})");
  EXPECT_TRUE(s.Has("edition"));
  EXPECT_EQ(s.GetString("edition", "en"), "ar");
  EXPECT_EQ(s.GetStringList("sections"), (std::vector<std::string>{"morocco", "economy"}));
  EXPECT_EQ(s.GetStringMap("names").at("morocco"), "أخبار المغرب");
  EXPECT_TRUE(s.GetBool("strict", false));
  EXPECT_EQ(s.GetInt("limit", 0), 5);
  EXPECT_EQ(s.Keys(), (std::vector<std::string>{"edition", "limit", "names", "sections", "strict"}));
}

TEST(Settings, AbsentOrNullKeysGiveTheDefault) {
  const Settings s = Settings::Parse(R"({"edition": null})");
  EXPECT_TRUE(s.Has("edition"));
  EXPECT_FALSE(s.Has("other"));
  EXPECT_EQ(s.GetString("edition", "en"), "en");
  EXPECT_EQ(s.GetString("other", "x"), "x");
  EXPECT_TRUE(s.GetStringList("other").empty());
  EXPECT_TRUE(s.GetStringMap("other").empty());
  EXPECT_EQ(s.GetInt("other", 7), 7);
}

TEST(Settings, EmptyTextMeansNoSettings) {
  EXPECT_FALSE(Settings::Parse("").Has("edition"));
  EXPECT_FALSE(Settings::Parse(" \n").Has("edition"));
  EXPECT_FALSE(Settings::Parse("{}").Has("edition"));
  EXPECT_FALSE(Settings().Has("edition"));
}

TEST(Settings, WrongTypeThrowsNamingTheKeyAndTypes) {
  const Settings s = Settings::Parse(R"({"edition": 3, "sections": "morocco", "strict": "yes", "limit": 2.5})");
  EXPECT_EQ(InvalidArgumentMessage([&] { s.GetString("edition"); }),
            "plugin setting 'edition' must be a string, got a number");
  EXPECT_EQ(InvalidArgumentMessage([&] { s.GetStringList("sections"); }),
            "plugin setting 'sections' must be an array of strings, got a string");
  EXPECT_EQ(InvalidArgumentMessage([&] { s.GetStringMap("sections"); }),
            "plugin setting 'sections' must be an object of strings, got a string");
  EXPECT_EQ(InvalidArgumentMessage([&] { s.GetBool("strict", false); }),
            "plugin setting 'strict' must be a boolean, got a string");
  EXPECT_EQ(InvalidArgumentMessage([&] { s.GetInt("limit", 0); }),
            "plugin setting 'limit' must be an integer, got a number");
}

TEST(Settings, WrongTypeInsideAContainerNamesTheItem) {
  const Settings s = Settings::Parse(R"({"sections": ["a", 2], "names": {"a": "A", "b": false}})");
  EXPECT_EQ(InvalidArgumentMessage([&] { s.GetStringList("sections"); }),
            "plugin setting 'sections[1]' must be a string, got a number");
  EXPECT_EQ(InvalidArgumentMessage([&] { s.GetStringMap("names"); }),
            "plugin setting 'names.b' must be a string, got a boolean");
}

TEST(Settings, TextThatIsNotAJsonObjectThrows) {
  EXPECT_NE(InvalidArgumentMessage([] { Settings::Parse("{edition: ar}"); }).find("not valid JSON"),
            std::string::npos);
  EXPECT_EQ(InvalidArgumentMessage([] { Settings::Parse("[1, 2]"); }),
            "plugin_settings must be a JSON object, got an array");
  EXPECT_NE(InvalidArgumentMessage([] { Settings::Parse(std::string(1000, '[')); }), "");
}

}  // namespace
}  // namespace newshound::sdk
