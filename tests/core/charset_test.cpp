#include <gtest/gtest.h>

#include "newshound/charset.h"

namespace newshound {
namespace {

TEST(Charset, HeaderWinsOverMeta) {
  auto guess = DetectCharset("text/html; charset=Windows-1256", "<meta charset=\"utf-8\">");
  EXPECT_EQ(guess.charset, "windows-1256");
  EXPECT_EQ(guess.source, "header");
}

TEST(Charset, BomWinsOverMeta) {
  auto guess = DetectCharset("text/html", "\xEF\xBB\xBF<meta charset=\"windows-1256\">");
  EXPECT_EQ(guess.charset, "utf-8");
  EXPECT_EQ(guess.source, "bom");
}

TEST(Charset, ReadsMetaCharsetAndHttpEquiv) {
  EXPECT_EQ(DetectCharset("", "<html><head><meta charset=\"windows-1256\">").charset, "windows-1256");
  EXPECT_EQ(DetectCharset("", "<META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=ISO-8859-1\">").charset,
            "windows-1252");
  EXPECT_EQ(DetectCharset("", "<?xml version=\"1.0\" encoding=\"windows-1256\"?><rss/>").charset, "windows-1256");
}

TEST(Charset, FallsBackToDefault) {
  auto guess = DetectCharset("text/html", "<html><body>no declaration</body></html>", "windows-1256");
  EXPECT_EQ(guess.charset, "windows-1256");
  EXPECT_EQ(guess.source, "default");
}

TEST(Charset, MetaAfterFirstKilobyteIsIgnored) {
  std::string page = "<html><head>" + std::string(2000, ' ') + "<meta charset=\"windows-1256\">";
  EXPECT_EQ(DetectCharset("", page).charset, "utf-8");
}

TEST(Charset, DecodesWindows1256ToUtf8) {
  // "مرحبا" in windows-1256.
  auto text = DecodeToUtf8("\xE3\xD1\xCD\xC8\xC7", "windows-1256");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "مرحبا");
}

TEST(Charset, InvalidUtf8BecomesReplacementCharacter) {
  auto text = DecodeToUtf8("ok \xFF\xFE end", "utf-8");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "ok \xEF\xBF\xBD\xEF\xBF\xBD end");
  EXPECT_TRUE(IsValidUtf8(*text));
}

TEST(Charset, StripsUtf8Bom) { EXPECT_EQ(*DecodeToUtf8("\xEF\xBB\xBFhi", "utf-8"), "hi"); }

TEST(Charset, UnknownCharsetIsAnError) {
  auto text = DecodeToUtf8("x", "klingon-8");
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.status().message().find("klingon-8"), std::string::npos);
}

TEST(Charset, RejectsOverlongAndSurrogateUtf8) {
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x93\xB0"));
}

}  // namespace
}  // namespace newshound
