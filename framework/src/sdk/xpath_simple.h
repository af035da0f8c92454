// XPath that the SDK evaluates itself, in one walk of the tree, instead of
// handing it to libxml2's XPath engine. Internal header.
//
// Plugins ask a few dozen expressions of every page, and most of them are
// paths of element names with attribute tests:
//
//   //article[contains(concat(' ', normalize-space(@class), ' '), ' article-view ')]
//   .//a[@href]        //head/meta[@property='og:image'][@content]
//
// libxml2 evaluates each through its general machinery: a node set built
// and sorted per step, every predicate an expression evaluated per node,
// with string objects allocated for concat() and normalize-space(). That
// was over half of the almaghribtoday plugin's instructions per page
// (docs/performance.md). For this subset, one walk of the subtree in
// document order, carrying down which steps select each element's
// ancestors, selects the same nodes in the same order (xpath_simple_test.cpp
// holds it to libxml2 on the snapshot pages and on random expressions);
// everything else still goes to libxml2.
//
// The subset: a path that starts with "//" (from the document root) or
// ".//" (from the context node), then steps separated by "/" (child) or
// "//" (descendant), each step an element name or "*" with any number of
// predicates, each predicate one of
//
//   [@name]                   the element has the attribute
//   [@name='value']           ... with exactly this value ('...' or "...")
//   [contains(concat(' ', normalize-space(@name), ' '), 'literal')]
//                             what ClassXPath() writes
//   [.//path]  [//path]       a path of the subset selects something from
//                             the element
//
// written exactly so: no whitespace, no other axes, functions, positions
// or unions; at most 64 steps. Names are ASCII letters, digits, '_' and '-', not starting
// with a digit or '-'.
#ifndef NEWSHOUND_SRC_SDK_XPATH_SIMPLE_H_
#define NEWSHOUND_SRC_SDK_XPATH_SIMPLE_H_

#include <libxml/tree.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newshound::sdk::internal {

struct SimplePath;

struct SimplePredicate {
  enum class Kind { kHasAttribute, kAttributeEquals, kNormalizedContains, kHasPath };
  Kind kind = Kind::kHasAttribute;
  std::string attribute;
  // kAttributeEquals: the value; kNormalizedContains: what
  // " " + normalize-space(@attribute) + " " must contain.
  std::string text;
  std::shared_ptr<const SimplePath> path;  // kHasPath
};

struct SimpleStep {
  bool descendant = true;  // "//" before it; false: "/"
  std::string name;        // element name; "*": any element
  std::vector<SimplePredicate> predicates;
};

struct SimplePath {
  bool from_root = true;  // "//...": from the document; ".//...": from the context node
  std::vector<SimpleStep> steps;
};

// The path, if `xpath` is written in the subset above.
std::optional<SimplePath> CompileSimplePath(std::string_view xpath);

// Appends to `out` the elements `path` selects with `context` as the
// context node (an element or a document node), in document order; at most
// `limit` of them (0: all).
void SelectSimplePath(const SimplePath& path, const xmlNode* context, size_t limit, std::vector<xmlNode*>& out);

}  // namespace newshound::sdk::internal

#endif  // NEWSHOUND_SRC_SDK_XPATH_SIMPLE_H_
