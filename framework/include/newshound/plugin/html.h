// newshound plugin SDK: HTML documents, XPath and CSS queries.
//
//   auto doc = newshound::sdk::Document::Parse(page.html, page.url);
//   if (auto h1 = doc.SelectFirst("//h1[" + ClassXPath("article-title") + "]"))
//     out.Set("title", h1->Text());
//   for (const auto& a : doc.SelectCss("main h2 > a[href]")) ...
//
// Parsing never fails: broken markup is repaired the way libxml2's HTML
// parser repairs it, and input that is not HTML at all gives an empty
// document on which every query is empty. Queries never fail either: an
// invalid XPath expression or CSS selector selects nothing.
//
// Thread safety: a Document and its Nodes belong to one thread at a time.
// Parsing different documents on different threads concurrently is safe.
#ifndef NEWSHOUND_PLUGIN_HTML_H_
#define NEWSHOUND_PLUGIN_HTML_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newshound::sdk {

class Node;

// Decides whether Node::Paragraphs skips an element with all its content.
using NodePredicate = std::function<bool(const Node&)>;

// The XPath predicate that tests for one class name in @class, for use
// inside [...]: ClassXPath("a") is
// "contains(concat(' ', normalize-space(@class), ' '), ' a ')".
std::string ClassXPath(std::string_view cls);

// A handle to an element, text, attribute or document node. Cheap to copy;
// valid only while the Document it came from lives.
class Node {
 public:
  // Nodes matched by `xpath` evaluated with this node as the context node,
  // in document order. Non-node results (numbers, strings) select nothing.
  std::vector<Node> Select(std::string_view xpath) const;
  std::optional<Node> SelectFirst(std::string_view xpath) const;

  // Elements matched by the CSS selector (see css.h for what is supported)
  // among this node's descendants, in document order, as
  // querySelectorAll() finds them. An invalid selector selects nothing; use
  // CssToXPath to see why. Compiled selectors are cached process-wide, so
  // calling this with the same selector on every page is cheap.
  std::vector<Node> SelectCss(std::string_view css) const;
  std::optional<Node> SelectCssFirst(std::string_view css) const;

  // The attribute's value (entities decoded), or "" when it is absent or
  // this is not an element.
  std::string Attr(std::string_view name) const;
  bool HasAttr(std::string_view name) const;

  // All descendant text, normalized as NormalizeSpace does. <br> and block
  // elements (p, div, li, ...) separate words; script and style content
  // is not text. For an attribute node, its value; for a text node, itself.
  std::string Text() const;

  // Lower-case tag or attribute name; "#text", "#comment" or "#document"
  // for those node types.
  std::string Name() const;

  // Whether the element's class attribute lists `cls` (exact match).
  bool HasClass(std::string_view cls) const;

  // The text of this element split into paragraphs, in document order:
  // each block child (p, blockquote, div, h1..h6, li, ...) ends a
  // paragraph, and so does a run of two or more <br>. Single <br>s become
  // spaces. Content that is never body text is skipped (script, style,
  // noscript, img, figure with its figcaption, iframe, video, form, ...),
  // and so is every element for which `skip` returns true. Each paragraph
  // is normalized; empty ones are dropped.
  std::vector<std::string> Paragraphs(const NodePredicate& skip = nullptr) const;

  // The parent element (or document), if any.
  std::optional<Node> Parent() const;
  // Child elements, in order.
  std::vector<Node> Children() const;

  bool operator==(const Node& other) const { return node_ == other.node_; }

 private:
  friend class Document;
  explicit Node(void* node) : node_(node) {}

  void* node_;  // the libxml2 node; owned by the Document
};

// A parsed HTML page. Movable, not copyable.
class Document {
 public:
  // Parses UTF-8 HTML; `url` is the address the page was fetched from and
  // the base for relative links. Any <meta charset> is ignored: the host
  // has already decoded the page. Ill-formed UTF-8 is replaced by U+FFFD.
  static Document Parse(std::string_view utf8_html, std::string_view url);

  Document(Document&& other) noexcept;
  Document& operator=(Document&& other) noexcept;
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;
  ~Document();

  // The document node; XPath from it may be absolute or relative.
  Node Root() const;
  std::vector<Node> Select(std::string_view xpath) const { return Root().Select(xpath); }
  std::optional<Node> SelectFirst(std::string_view xpath) const { return Root().SelectFirst(xpath); }
  std::vector<Node> SelectCss(std::string_view css) const { return Root().SelectCss(css); }
  std::optional<Node> SelectCssFirst(std::string_view css) const { return Root().SelectCssFirst(css); }

  // The page URL given to Parse.
  const std::string& url() const;
  // The base for relative links: <base href> resolved against url(), or
  // url() when there is none (or it is unusable).
  const std::string& base_url() const;
  // ResolveLink(base_url(), href); see links.h.
  std::optional<std::string> Resolve(std::string_view href) const;

 private:
  struct Impl;
  explicit Document(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace newshound::sdk

#endif  // NEWSHOUND_PLUGIN_HTML_H_
