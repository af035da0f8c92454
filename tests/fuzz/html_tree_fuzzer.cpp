// Fuzz target: the SDK's HTML tree builder (framework/src/sdk/
// html_tree_builder.h) against libxml2's HTML parser, which it mirrors.
// The input is a page's bytes; ill-formed UTF-8 is repaired first, as
// Document::Parse does.
//
// Invariant besides "no crash": whenever the builder builds a tree, it is
// libxml2's tree for the same input, node for node (tests/sdk/
// html_tree_dump.h), with every parent, sibling and last-child link in
// place. A decline is always allowed: libxml2 then parses the page.
#include <libxml/parser.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "../sdk/html_tree_dump.h"
#include "fuzz_check.h"
#include "newshound/plugin/text.h"
#include "sdk/html_tree_builder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool initialized = [] {
    xmlInitParser();
    return true;
  }();
  (void)initialized;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string repaired;
  if (!newshound::sdk::IsValidUtf8(input)) {
    repaired = newshound::sdk::ToValidUtf8(input);
    input = repaired;
  }
  xmlDoc* built = newshound::sdk::internal::BuildHtmlTree(input, "https://example.com/page");
  if (built == nullptr) return 0;
  const std::string ours = newshound::testing::DumpTree(built);
  newshound::sdk::internal::FreeHtmlTree(built);
  xmlDoc* reference = newshound::testing::ParseWithLibxml2(input, "https://example.com/page");
  const std::string theirs = newshound::testing::DumpTree(reference);
  if (reference != nullptr) xmlFreeDoc(reference);
  FUZZ_CHECK(ours == theirs, "input " + newshound::fuzz::Quote(input.substr(0, 2000)) + "\nbuilder:\n" +
                                 ours.substr(0, 4000) + "\nlibxml2:\n" + theirs.substr(0, 4000));
  return 0;
}
