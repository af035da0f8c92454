// What the fuzz targets share: FUZZ_CHECK, an invariant that aborts (so
// libFuzzer, and the replay test, report it as a crash) with the failed
// condition and the values involved.
#ifndef NEWSHOUND_TESTS_FUZZ_FUZZ_CHECK_H_
#define NEWSHOUND_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace newshound::fuzz {

[[noreturn]] inline void CheckFailed(const char* file, int line, const char* condition, std::string_view detail) {
  std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", file, line, condition);
  if (!detail.empty()) std::fprintf(stderr, "  %.*s\n", static_cast<int>(detail.size()), detail.data());
  std::abort();
}

// A string shown with its bytes escaped, for the failure message.
inline std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

}  // namespace newshound::fuzz

// FUZZ_CHECK(condition) or FUZZ_CHECK(condition, detail-string).
#define FUZZ_CHECK(condition, ...)                                                        \
  do {                                                                                   \
    if (!(condition)) ::newshound::fuzz::CheckFailed(__FILE__, __LINE__, #condition,     \
                                                     std::string_view{__VA_ARGS__});     \
  } while (0)

#endif  // NEWSHOUND_TESTS_FUZZ_FUZZ_CHECK_H_
