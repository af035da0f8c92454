// A rewrite of XPath expressions that libxml2 evaluates slowly. Internal
// header.
//
// "//name[predicate]" means descendant-or-self::node()/child::name[predicate]:
// libxml2 builds the set of every node of the document (text nodes too),
// then looks at each one's children. Its own optimizer turns that into one
// walk of the descendant axis only when the step has no predicate, because a
// predicate may use the position of the node among its siblings. Most
// plugin queries have a predicate that does not ("//div[@class]"), and
// then descendant::name[predicate] selects the same nodes in a fraction of
// the time: a third of a plugin's page on the almaghribtoday pages
// (docs/performance.md).
#ifndef NEWSHOUND_SRC_SDK_XPATH_REWRITE_H_
#define NEWSHOUND_SRC_SDK_XPATH_REWRITE_H_

#include <string>
#include <string_view>

namespace newshound::sdk::internal {

// `xpath` with each "//step" whose predicates cannot be positional written
// as "/descendant::step". A predicate is taken as possibly positional
// unless it holds no number, variable, arithmetic or function that returns a
// number (count, last, position, ...): a number-valued predicate compares
// with the position. Everything else is left as written, so the result
// selects exactly what `xpath` selects.
std::string RewriteDescendantSteps(std::string_view xpath);

}  // namespace newshound::sdk::internal

#endif  // NEWSHOUND_SRC_SDK_XPATH_REWRITE_H_
