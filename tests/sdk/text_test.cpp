#include "newshound/plugin/text.h"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <string>
#include <utility>

namespace newshound::sdk {
namespace {

TEST(Text, NormalizeSpaceCollapsesAsciiWhitespaceAndTrims) {
  EXPECT_EQ(NormalizeSpace("  a \t\n b\r\n\fc  "), "a b c");
  EXPECT_EQ(NormalizeSpace(" \n\t "), "");
  EXPECT_EQ(NormalizeSpace(""), "");
}

TEST(Text, NormalizeSpaceTreatsUnicodeSpacesAsSpaces) {
  // NBSP, em space, narrow NBSP, ideographic space, line separator.
  EXPECT_EQ(NormalizeSpace("\u00a0a\u00a0\u00a0b\u2003c\u202fd\u3000e\u2028"), "a b c d e");
}

TEST(Text, NormalizeSpaceKeepsNonSpaceCharactersAndBadBytes) {
  EXPECT_EQ(NormalizeSpace("مرحبا   بكم"), "مرحبا بكم");
  // Zero-width space is not whitespace: it stays.
  EXPECT_EQ(NormalizeSpace("a\u200bb"), "a\u200bb");
  EXPECT_EQ(NormalizeSpace("a\xff  b"), "a\xff b");
}

// ASCII runs take a fast path and everything else goes code point by code
// point: random mixes of both, with the expected text built beside them.
TEST(Text, NormalizeSpaceAgreesOnRandomMixesOfAsciiAndUnicode) {
  // {piece, is whitespace}
  const std::array<std::pair<std::string, bool>, 14> pieces = {{
      {" ", true}, {"\t", true}, {"\r\n", true}, {"\v\f", true}, {"\u00a0", true}, {"\u2003", true},
      {"\u3000", true}, {"a", false}, {"Word,", false}, {"\u00e9", false}, {"\u0645\u0631", false},
      {"\u200b", false}, {"\xff", false}, {"\x1f~", false},
  }};
  std::mt19937 random(8);
  for (int round = 0; round < 2000; ++round) {
    std::string text, expected;
    bool pending_space = false;
    const int n = static_cast<int>(random() % 12);
    for (int i = 0; i < n; ++i) {
      const auto& [piece, space] = pieces[random() % pieces.size()];
      text += piece;
      if (space) {
        pending_space = !expected.empty();
        continue;
      }
      if (pending_space) expected += ' ';
      pending_space = false;
      expected += piece;
    }
    ASSERT_EQ(NormalizeSpace(text), expected) << "round " << round;
  }
}

TEST(Text, JoinParagraphsUsesBlankLinesAndSkipsEmptyOnes) {
  EXPECT_EQ(JoinParagraphs({"one", "", "two", "three"}), "one\n\ntwo\n\nthree");
  EXPECT_EQ(JoinParagraphs({}), "");
  EXPECT_EQ(JoinParagraphs({"", ""}), "");
}

TEST(Text, IsValidUtf8AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("تشرين الأول – \U0001F600"));
}

TEST(Text, IsValidUtf8RejectsIllFormedSequences) {
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("abc\xe2\x82"));       // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xe9t\xe9"));         // Latin-1, not UTF-8
}

// IsValidUtf8 checks the bytes without decoding them; ToValidUtf8 decodes
// (DecodeAt) and changes exactly the text that is not well formed. The two
// agree on every sequence of up to three bytes drawn from the boundaries of
// table 3-7, alone and after ASCII (the eight-byte fast path), and on random
// mixes of them.
TEST(Text, IsValidUtf8AgreesWithTheDecoderOnEveryBoundarySequence) {
  const unsigned char bytes[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
                                 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
  const auto agree = [](const std::string& text) {
    EXPECT_EQ(IsValidUtf8(text), ToValidUtf8(text) == text) << ::testing::PrintToString(text);
  };
  std::vector<std::string> sequences;
  for (unsigned char a : bytes) {
    sequences.push_back(std::string(1, static_cast<char>(a)));
    for (unsigned char b : bytes) {
      sequences.push_back(std::string{static_cast<char>(a), static_cast<char>(b)});
      for (unsigned char c : bytes) sequences.push_back(std::string{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)});
    }
  }
  for (const std::string& sequence : sequences) {
    agree(sequence);
    agree("0123456789" + sequence);
    agree(sequence + "\x80");
    agree(sequence + "\xbf\xbf");
  }
  std::mt19937 random(5);
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    for (int i = static_cast<int>(random() % 8); i > 0; --i) text += sequences[random() % sequences.size()];
    agree(text);
  }
  agree("\xf0\x90\x80\x80");  // U+10000, the first four-byte one
  agree("\xf4\x8f\xbf\xbf");  // U+10FFFF, the last
}

TEST(Text, ToValidUtf8ReplacesEachBadByteWithReplacementCharacter) {
  EXPECT_EQ(ToValidUtf8("a\xffz"), "a\uFFFDz");
  EXPECT_EQ(ToValidUtf8("ok \u00e9"), "ok \u00e9");
  EXPECT_TRUE(IsValidUtf8(ToValidUtf8("\xe9t\xe9\xed\xa0\x80")));
}

TEST(Text, FoldForMatchingUnifiesArabicSpellingsAndAsciiCase) {
  EXPECT_EQ(FoldForMatching("آخر تحديث"), FoldForMatching("اخر تحديث"));
  EXPECT_EQ(FoldForMatching("إقرأ أيضاً"), FoldForMatching("اقرا ايضا"));
  EXPECT_EQ(FoldForMatching("الجمعة"), FoldForMatching("الجمعه"));
  EXPECT_EQ(FoldForMatching("Read\u00a0ALSO"), "read also");
  EXPECT_EQ(FoldForMatching("٢٠١٧"), "2017");
  EXPECT_NE(FoldForMatching("تشرين الأول"), FoldForMatching("تشرين الثاني"));
}

}  // namespace
}  // namespace newshound::sdk
