// Scoring an extracted article body against the expected one, as bags of
// words.
//
// Tokens are the words of ICU's Unicode word segmentation (UAX #29): runs
// of letters, digits, ideographs and kana, with punctuation, symbols and
// spaces between them dropped, each case-folded (full Unicode case
// folding). "Syria's army" gives syria's, army; "الجيش السوري،" gives
// الجيش, السوري. Bodies are compared as multisets: a word counted twice in
// the expected body must be found twice.
//
// Thread safety: free functions over values.
#ifndef NEWSHOUND_TOOLS_SCORE_EXTRACTION_SCORING_H_
#define NEWSHOUND_TOOLS_SCORE_EXTRACTION_SCORING_H_

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace newshound::scoring {

// The words of UTF-8 `text`, case-folded, in order. Ill-formed bytes are
// read as U+FFFD and never make a word.
std::vector<std::string> Tokenize(std::string_view text);

// How much of two token bags agree.
struct Overlap {
  size_t extracted = 0;  // tokens in the extracted text
  size_t expected = 0;   // tokens in the expected text
  size_t common = 0;     // sum over words of min(count extracted, count expected)

  Overlap& operator+=(const Overlap& other) {
    extracted += other.extracted;
    expected += other.expected;
    common += other.common;
    return *this;
  }

  // common / extracted; 1 when both are empty, 0 when only the extraction is.
  double Precision() const;
  // common / expected; 1 when both are empty, 0 when only the expectation is.
  double Recall() const;
  // The harmonic mean of the two, 0 when both are 0.
  double F1() const;
};

Overlap CompareTokens(const std::vector<std::string>& extracted, const std::vector<std::string>& expected);
Overlap CompareTexts(std::string_view extracted, std::string_view expected);

}  // namespace newshound::scoring

#endif  // NEWSHOUND_TOOLS_SCORE_EXTRACTION_SCORING_H_
