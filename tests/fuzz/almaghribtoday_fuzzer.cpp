// Fuzz target: the almaghribtoday plugin on an HTML page, through the path
// the crawler takes (plugin_harness.h: the real almaghribtoday.so loaded
// by PluginRegistry, the page converted to UTF-8 as the engine does, then
// PluginInstance::Process and the host's checks).
//
// Each input is run twice, at two fixed URLs, because the plugin reads the
// URL as well as the page (section, article id, listing paths, edition):
// as an English article and as a page of the Arabic edition's news listing.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "plugin_harness.h"

namespace {

std::unique_ptr<newshound::fuzz::PluginHarness> harness;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  harness = std::make_unique<newshound::fuzz::PluginHarness>(
      newshound::fuzz::PluginPath(NEWSHOUND_FUZZ_PLUGIN), "almaghribtoday", std::initializer_list<std::string>{"{}"});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view page(reinterpret_cast<const char*>(data), size);
  harness->Run(page, "https://en.almaghribtoday.test/news/arab-world/daesh-captures-town-from-government-31703.html");
  harness->Run(page, "https://www.almaghribtoday.test/news/page/2/");
  return 0;
}
