// newshound plugin SDK: CSS selectors, compiled to XPath 1.0.
//
//   for (const auto& a : doc.SelectCss("main h2.title > a[href]")) ...
//   auto xpath = CssToXPath("article .byline");  // ".//*[...]"
//
// Most plugins call Node::SelectCss / Document::SelectCss (html.h), which
// compile through a cache; CssToXPath is for building on the XPath.
//
// Supported (CSS Selectors level 3, plus the level 4 :not()):
//   type and universal     div  *            (ASCII case-insensitive)
//   class, id              .a.b  #x          (class is an exact token match)
//   attributes             [a] [a=v] [a="v"] [a='v'] [a~=v] [a^=v] [a$=v]
//                          [a*=v] [a|=v]     (values case-sensitive)
//   combinators            descendant " ", child ">", adjacent "+",
//                          general sibling "~"
//   groups                 a, b
//   pseudo-classes         :first-child :last-child
//                          :nth-child(an+b | odd | even | N)
//                          :not(selector list)
// Identifiers and strings take CSS escapes ("\:" or "\3A "), so utility
// classes such as "md\:flex" can be written.
// Not supported, rejected as invalid: namespaces ("svg|a"),
// pseudo-elements ("::before"), other pseudo-classes (:hover,
// :nth-of-type, ...), the "i"/"s" attribute flags, comments, and a leading
// combinator ("> p").
//
// The XPath selects, like node.querySelectorAll() in a browser, the
// descendants of the context node (never the node itself) that match, in
// document order and without duplicates. As in the browser, only the
// subject (the rightmost compound) must lie below the context node; the
// rest of the selector may match anywhere in the document:
// article.SelectCss("div p") also finds a <p> whose enclosing <div> is
// outside `article`.
//
// Thread safety: free functions over values.
#ifndef NEWSHOUND_PLUGIN_CSS_H_
#define NEWSHOUND_PLUGIN_CSS_H_

#include <optional>
#include <string>
#include <string_view>

namespace newshound::sdk {

// The XPath 1.0 expression equivalent to the CSS selector list, relative to
// the context node (it starts with ".//"). For an invalid or unsupported
// selector, returns nullopt and, when `error` is not null, sets it to a
// message naming what is wrong and where, as a 0-based byte offset:
// "expected a selector after '>' at position 4". Never throws.
std::optional<std::string> CssToXPath(std::string_view selector, std::string* error = nullptr);

}  // namespace newshound::sdk

#endif  // NEWSHOUND_PLUGIN_CSS_H_
