// The scoring rules of score-extraction: tokens and bag-of-words overlap.
#include "scoring.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace newshound::scoring {
namespace {

using Tokens = std::vector<std::string>;

TEST(ScoringTokenize, WordsWithoutPunctuationCaseFolded) {
  EXPECT_EQ(Tokenize("Syria's army, state media said: \"AFP\"!"),
            (Tokens{"syria's", "army", "state", "media", "said", "afp"}));
  EXPECT_EQ(Tokenize("10 kilometres (six miles) \u2014 94,000 lives"),
            (Tokens{"10", "kilometres", "six", "miles", "94,000", "lives"}));
}

TEST(ScoringTokenize, UnicodeCaseFolding) {
  EXPECT_EQ(Tokenize("\u00C9COLE Stra\u00DFe"), (Tokens{"\u00E9cole", "strasse"}));
}

TEST(ScoringTokenize, ArabicWordsAndPunctuation) {
  // The Arabic comma and guillemets separate words; they are no words.
  EXPECT_EQ(Tokenize("احتضنت مدينة مراكش، الثلاثاء «نغمات»"),
            (Tokens{"احتضنت", "مدينة", "مراكش", "الثلاثاء", "نغمات"}));
}

TEST(ScoringTokenize, EmptyAndIllFormed) {
  EXPECT_TRUE(Tokenize("").empty());
  EXPECT_TRUE(Tokenize(" \n\n ,.; ").empty());
  EXPECT_EQ(Tokenize("ab\xff"
                     "cd"),
            (Tokens{"ab", "cd"}));
}

TEST(ScoringOverlap, CountsWordsWithMultiplicity) {
  const Overlap o = CompareTexts("a a b", "a b b");
  EXPECT_EQ(o.extracted, 3u);
  EXPECT_EQ(o.expected, 3u);
  EXPECT_EQ(o.common, 2u);
  EXPECT_DOUBLE_EQ(o.Precision(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(o.Recall(), 2.0 / 3);
  EXPECT_DOUBLE_EQ(o.F1(), 2.0 / 3);
}

TEST(ScoringOverlap, BoilerplateCostsPrecisionNotRecall) {
  const Overlap o = CompareTexts("the body text. Name * E-mail *", "The body text.");
  EXPECT_DOUBLE_EQ(o.Recall(), 1.0);
  EXPECT_DOUBLE_EQ(o.Precision(), 3.0 / 6);
}

TEST(ScoringOverlap, EmptySides) {
  EXPECT_DOUBLE_EQ(CompareTexts("", "").F1(), 1.0);
  EXPECT_DOUBLE_EQ(CompareTexts("", "words").F1(), 0.0);
  EXPECT_DOUBLE_EQ(CompareTexts("words", "").F1(), 0.0);
  EXPECT_DOUBLE_EQ(CompareTexts("", "words").Precision(), 0.0);
}

TEST(ScoringOverlap, SumsForMicroAverages) {
  Overlap total = CompareTexts("a b", "a b");
  total += CompareTexts("c", "d e");
  EXPECT_EQ(total.common, 2u);
  EXPECT_EQ(total.extracted, 3u);
  EXPECT_EQ(total.expected, 4u);
}

}  // namespace
}  // namespace newshound::scoring
