// Fuzz target: the generic plugin on an HTML page, through the path the
// crawler takes (plugin_harness.h: the real generic.so loaded by
// PluginRegistry, the page converted to UTF-8 as the engine does, then
// PluginInstance::Process and the host's checks).
//
// Each input is run by two instances at one fixed article URL: with no
// settings (metadata, then the density heuristics), and with site_name and
// a body_selector (the CSS selector path).
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
      newshound::fuzz::PluginPath(NEWSHOUND_FUZZ_PLUGIN), "generic",
      std::initializer_list<std::string>{
          "{}", R"({"site_name": "The Daily Example", "body_selector": "article .article-body > p, div#content p"})"});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view page(reinterpret_cast<const char*>(data), size);
  const std::string url = "https://www.dailyexample.test/2021/03/02/city-council-approves-new-tram-line/";
  harness->Run(page, url, 0);
  harness->Run(page, url, 1);
  return 0;
}
