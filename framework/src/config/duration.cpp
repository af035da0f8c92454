#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

#include "newshound/config.h"

namespace newshound {
namespace {

// Splits "1.5s" into 1.5 and "s". False when there is no leading number.
bool SplitNumber(std::string_view text, double& number, std::string& unit) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + i, number);
  if (ec != std::errc() || end != text.data() + i || !std::isfinite(number) || number < 0) return false;
  size_t u = i;
  while (u < text.size() && text[u] == ' ') ++u;
  unit.assign(text.substr(u));
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return true;
}

}  // namespace

std::optional<Millis> ParseDuration(std::string_view text) {
  double number = 0;
  std::string unit;
  if (!SplitNumber(text, number, unit)) return std::nullopt;
  double ms = 0;
  if (unit == "ms") {
    ms = number;
  } else if (unit.empty() || unit == "s") {
    ms = number * 1e3;
  } else if (unit == "m" || unit == "min") {
    ms = number * 60e3;
  } else if (unit == "h") {
    ms = number * 3600e3;
  } else if (unit == "d") {
    ms = number * 86400e3;
  } else {
    return std::nullopt;
  }
  if (ms > 1e15) return std::nullopt;
  return Millis(static_cast<int64_t>(std::llround(ms)));
}

std::optional<uint64_t> ParseByteSize(std::string_view text) {
  double number = 0;
  std::string unit;
  if (!SplitNumber(text, number, unit)) return std::nullopt;
  double factor = 0;
  if (unit.empty() || unit == "b") factor = 1;
  else if (unit == "kb") factor = 1e3;
  else if (unit == "mb") factor = 1e6;
  else if (unit == "gb") factor = 1e9;
  else if (unit == "kib" || unit == "k") factor = 1024.0;
  else if (unit == "mib" || unit == "m") factor = 1024.0 * 1024;
  else if (unit == "gib" || unit == "g") factor = 1024.0 * 1024 * 1024;
  else return std::nullopt;
  const double bytes = number * factor;
  if (bytes > 1e18) return std::nullopt;
  return static_cast<uint64_t>(std::llround(bytes));
}

}  // namespace newshound
