// Fuzz target: the config loader (newshound/config.h, LoadConfigString) on
// YAML text, and the value parsers it uses on the input's first line
// (durations, byte sizes, proxy URLs).
//
// A config that does not load is fine: the loader is meant to answer every
// text with a Config or an error naming the problem. A crash, a sanitizer
// report, an exception escaping, or an error without a message is a finding.
//
// The loader expands ${VAR} from the environment; the target runs with
// whatever environment it is given (tools/fuzz passes its own), and
// ${VAR:-default} needs none.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "newshound/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = newshound::LoadConfigString(text, "fuzz.yaml");
  if (!config.ok()) {
    FUZZ_CHECK(!config.status().message().empty());
  } else {
    for (const auto& site : config->sites) (void)site.name.size();
  }

  const std::string_view line = std::string_view(text).substr(0, text.find('\n'));
  (void)newshound::ParseDuration(line);
  (void)newshound::ParseByteSize(line);
  (void)newshound::ParseProxyUrl(line);
  return 0;
}
