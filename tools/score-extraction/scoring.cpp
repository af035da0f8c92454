#include "scoring.h"

#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/ubrk.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <memory>

namespace newshound::scoring {

std::vector<std::string> Tokenize(std::string_view text) {
  std::vector<std::string> tokens;
  // fromUTF8 turns ill-formed sequences into U+FFFD, which is no word.
  const icu::UnicodeString input = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), text.size()));
  UErrorCode status = U_ZERO_ERROR;
  // The root locale: the same rules for every language, so scores of
  // editions in different languages mean the same thing.
  std::unique_ptr<icu::BreakIterator> words(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
  if (U_FAILURE(status) || words == nullptr) return tokens;
  words->setText(input);
  int32_t start = words->first();
  for (int32_t end = words->next(); end != icu::BreakIterator::DONE; start = end, end = words->next()) {
    // Rule status UBRK_WORD_NONE marks spaces, punctuation and symbols.
    if (words->getRuleStatus() == UBRK_WORD_NONE) continue;
    icu::UnicodeString word(input, start, end - start);
    word.foldCase();
    std::string utf8;
    word.toUTF8String(utf8);
    tokens.push_back(std::move(utf8));
  }
  return tokens;
}

double Overlap::Precision() const {
  if (extracted == 0) return expected == 0 ? 1.0 : 0.0;
  return static_cast<double>(common) / static_cast<double>(extracted);
}

double Overlap::Recall() const {
  if (expected == 0) return extracted == 0 ? 1.0 : 0.0;
  return static_cast<double>(common) / static_cast<double>(expected);
}

double Overlap::F1() const {
  const double p = Precision(), r = Recall();
  return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
}

Overlap CompareTokens(const std::vector<std::string>& extracted, const std::vector<std::string>& expected) {
  std::map<std::string_view, size_t> counts;
  for (const std::string& token : expected) ++counts[token];
  Overlap overlap;
  overlap.extracted = extracted.size();
  overlap.expected = expected.size();
  for (const std::string& token : extracted) {
    auto it = counts.find(token);
    if (it != counts.end() && it->second > 0) {
      --it->second;
      ++overlap.common;
    }
  }
  return overlap;
}

Overlap CompareTexts(std::string_view extracted, std::string_view expected) {
  return CompareTokens(Tokenize(extracted), Tokenize(expected));
}

}  // namespace newshound::scoring
