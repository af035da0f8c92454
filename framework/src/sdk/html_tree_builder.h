// The SDK's fast HTML parser. Internal header.
//
// Document::Parse used to hand every page to libxml2's HTML parser, and that
// parser was three quarters of a plugin's time on a page (docs/performance.md):
// it reads one character per function call and mallocs every name and string
// it meets. BuildHtmlTree makes the same tree from the same bytes in one pass
// over a string_view, so that everything above it (Node, XPath, the
// extraction helpers) keeps working on a libxml2 tree, unchanged.
//
// "The same tree" is exact: the same elements, attributes, text, comments,
// CDATA and DTD nodes, in the same places, after the same error recovery
// (implied html/head/body/p, start tags that close open elements, end tags
// that close several or are ignored, raw script and style text). It mirrors
// libxml2 2.9's HTML parser, read from its source (HTMLparser.c and the tree
// building of SAX2.c). Where the input holds something whose recovery is
// intricate and rare in real pages, it declines instead of guessing, and the
// caller parses with libxml2 as before. tests/sdk/html_tree_builder_test.cpp
// compares the two trees node for node.
#ifndef NEWSHOUND_SRC_SDK_HTML_TREE_BUILDER_H_
#define NEWSHOUND_SRC_SDK_HTML_TREE_BUILDER_H_

#include <libxml/tree.h>

#include <string_view>

namespace newshound::sdk::internal {

// The tree that htmlReadMemory(html, url, "UTF-8", HTML_PARSE_RECOVER |
// HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
// HTML_PARSE_COMPACT) makes of `utf8_html`, which must be valid UTF-8, or
// nullptr when this builder does not reproduce libxml2 on that input (see
// Declines in the .cpp) or the linked libxml2 is not a 2.9 release. The
// caller owns the document and frees it with FreeHtmlTree, never
// xmlFreeDoc: its nodes, attributes and text are in one arena (given back at
// once), so the tree is for reading, not for libxml2's tree editing
// functions, which would free or reallocate pieces of it.
xmlDoc* BuildHtmlTree(std::string_view utf8_html, const char* url);

// Frees a document of BuildHtmlTree, or one that libxml2 parsed (which it
// hands to xmlFreeDoc). Null is ignored.
void FreeHtmlTree(xmlDoc* doc);

// Whether the start of element `new_name` closes an open element `open_name`
// (libxml2's start-close table, taken from libxml2 itself at first use).
// Exposed for the tests.
bool StartTagCloses(std::string_view new_name, std::string_view open_name);

}  // namespace newshound::sdk::internal

#endif  // NEWSHOUND_SRC_SDK_HTML_TREE_BUILDER_H_
