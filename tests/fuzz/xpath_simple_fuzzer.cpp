// Fuzz target: the SDK's own evaluation of simple XPath paths (framework/
// src/sdk/xpath_simple.h) against libxml2's XPath engine, which it stands in
// for. The input is "PATH\nHTML" when its first line is a path of the
// subset; otherwise the whole input is a page, queried with the paths the
// plugins ask (so the outlet's pages serve as seeds).
//
// Invariant besides "no crash": whatever the subset compiles selects, from
// the document and from its first elements as the context, exactly the
// nodes libxml2 selects, in the same order.
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../sdk/html_tree_dump.h"
#include "fuzz_check.h"
#include "newshound/plugin/html.h"
#include "sdk/xpath_simple.h"

namespace {

std::vector<std::string> PluginPaths() {
  using newshound::sdk::ClassXPath;
  return {"//article[" + ClassXPath("article-view") + "][.//h1[" + ClassXPath("article-title") + "]]",
          "//main[" + ClassXPath("col-main") + "]//a[@href]",
          ".//ul[" + ClassXPath("pagination") + "]//li[" + ClassXPath("next") + "]//a[@href]",
          "//head/meta[@property='og:image'][@content]",
          "//section[" + ClassXPath("related-news") + "]//li",
          ".//*[" + ClassXPath("news-time") + "]",
          "//div[@class]/p",
          "//body//*"};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool initialized = [] {
    xmlInitParser();
    return true;
  }();
  (void)initialized;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> paths;
  const size_t newline = input.find('\n');
  if (newline != std::string_view::npos &&
      newshound::sdk::internal::CompileSimplePath(input.substr(0, newline)).has_value()) {
    paths.emplace_back(input.substr(0, newline));
    input.remove_prefix(newline + 1);
  } else {
    paths = PluginPaths();
  }
  xmlDoc* doc = newshound::testing::ParseWithLibxml2(input, "https://example.com/page");
  if (doc == nullptr) return 0;
  std::vector<xmlNode*> contexts = {reinterpret_cast<xmlNode*>(doc)};
  for (xmlNode* element : newshound::testing::Libxml2XPath(doc, reinterpret_cast<xmlNode*>(doc), "//*")) {
    if (contexts.size() == 6) break;
    contexts.push_back(element);
  }
  for (const std::string& xpath : paths) {
    const auto path = newshound::sdk::internal::CompileSimplePath(xpath);
    FUZZ_CHECK(path.has_value(), xpath);
    for (xmlNode* context : contexts) {
      std::vector<xmlNode*> ours;
      newshound::sdk::internal::SelectSimplePath(*path, context, 0, ours);
      const std::vector<xmlNode*> theirs = newshound::testing::Libxml2XPath(doc, context, xpath);
      FUZZ_CHECK(ours == theirs, "path " + newshound::fuzz::Quote(xpath) + " selects " + std::to_string(ours.size()) +
                                     " nodes, libxml2 " + std::to_string(theirs.size()) + ", on " +
                                     newshound::fuzz::Quote(input.substr(0, 2000)));
    }
  }
  xmlFreeDoc(doc);
  return 0;
}
