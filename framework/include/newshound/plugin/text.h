// newshound plugin SDK: text helpers for values extracted from pages.
//
// All functions take and return UTF-8. They are total: bytes that are not
// valid UTF-8 are passed through untouched rather than rejected.
//
// Thread safety: free functions over values.
#ifndef NEWSHOUND_PLUGIN_TEXT_H_
#define NEWSHOUND_PLUGIN_TEXT_H_

#include <string>
#include <string_view>
#include <vector>

namespace newshound::sdk {

// Turns every run of whitespace into one ASCII space and trims both ends.
// Whitespace is ASCII whitespace, U+0085, U+00A0 (no-break space) and the
// other Unicode space separators (U+1680, U+2000..U+200A, U+2028, U+2029,
// U+202F, U+205F, U+3000), because pages use them interchangeably with
// spaces and records must compare equal regardless.
std::string NormalizeSpace(std::string_view text);

// Joins paragraphs with a blank line ("\n\n"), the body format of records.
// Empty paragraphs are skipped so that they leave no stray blank lines.
std::string JoinParagraphs(const std::vector<std::string>& paragraphs);

// Whether `text` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// A key for comparing labels and names as readers see them, not as they
// are spelled: ASCII lower-cased; Arabic-Indic digits made ASCII; alef
// with hamza or madda made bare alef, teh marbuta heh, alef maksura and
// Farsi yeh yeh; tatweel, harakat and invisible direction marks dropped;
// the Arabic comma and semicolon made ASCII; spaces normalized as by
// NormalizeSpace. "آخر تحديث" and "اخر تحديث" fold alike. Ill-formed bytes
// become U+FFFD.
std::string FoldForMatching(std::string_view text);

// A copy of `text` with every ill-formed UTF-8 sequence replaced by U+FFFD.
std::string ToValidUtf8(std::string_view text);

}  // namespace newshound::sdk

#endif  // NEWSHOUND_PLUGIN_TEXT_H_
