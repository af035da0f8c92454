#include "newshound/plugin/html.h"

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "newshound/plugin/links.h"
#include "newshound/plugin/text.h"
#include "html_tree_builder.h"
#include "xpath_rewrite.h"
#include "xpath_simple.h"

namespace newshound::sdk {
namespace {

xmlNode* Raw(void* node) { return static_cast<xmlNode*>(node); }

bool NameIs(const xmlNode* node, const char* name) {
  return node->name != nullptr && std::strcmp(reinterpret_cast<const char*>(node->name), name) == 0;
}

// What the text walks (Text, Paragraphs) need to know of an element, by
// its name: one hash lookup per element rather than a strcmp against each
// name of the lists below, which was most of a page's Paragraphs().
enum ElementFlag : uint8_t {
  kBlock = 1,    // starts a new line when rendered: separates words, ends paragraphs
  kNonText = 2,  // never readable text
  kNonBody = 4,  // never part of an article body: non-text, media and their captions, embeds, form controls
};

uint8_t ElementFlags(const xmlNode* node) {
  static const std::unordered_map<std::string_view, uint8_t> flags = [] {
    std::unordered_map<std::string_view, uint8_t> out;
    for (const char* name : {"p",       "div",     "blockquote", "h1",      "h2",      "h3",      "h4",     "h5",
                             "h6",      "ul",      "ol",         "li",      "dl",      "dt",      "dd",     "table",
                             "thead",   "tbody",   "tfoot",      "tr",      "td",      "th",      "caption", "section",
                             "article", "header",  "footer",     "aside",   "nav",     "main",    "pre",    "hr",
                             "figure",  "figcaption", "address", "center",  "form",    "fieldset", "details",
                             "summary", "body",    "html"})
      out[name] |= kBlock;
    for (const char* name : {"script", "style", "template"}) out[name] |= kNonText | kNonBody;
    for (const char* name : {"noscript", "img",    "picture", "figure", "figcaption", "iframe", "video",
                             "audio",    "source", "track",   "svg",    "math",       "canvas", "object",
                             "embed",    "map",    "form",    "button", "input",      "select", "textarea",
                             "head",     "title",  "meta",    "link"})
      out[name] |= kNonBody;
    return out;
  }();
  if (node->name == nullptr) return 0;
  const auto it = flags.find(reinterpret_cast<const char*>(node->name));
  return it == flags.end() ? 0 : it->second;
}

bool IsBlock(const xmlNode* node) { return (ElementFlags(node) & kBlock) != 0; }
bool IsNonText(const xmlNode* node) { return (ElementFlags(node) & kNonText) != 0; }
bool IsNonBody(const xmlNode* node) { return (ElementFlags(node) & kNonBody) != 0; }

// Whether `html` has a "<base" (any case): an element named base can only
// come from such a start tag, so without one the document has none.
bool MayHaveBaseTag(std::string_view html) {
  const char* at = html.data();
  const char* const end = html.data() + html.size();
  while (end - at >= 5) {
    at = static_cast<const char*>(std::memchr(at, '<', static_cast<size_t>(end - at - 4)));
    if (at == nullptr) return false;
    // ASCII letters only: | 0x20 lowercases them and nothing else maps there.
    if ((at[1] | 0x20) == 'b' && (at[2] | 0x20) == 'a' && (at[3] | 0x20) == 's' && (at[4] | 0x20) == 'e') return true;
    ++at;
  }
  return false;
}

bool IsDocumentNode(const xmlNode* node) {
  return node->type == XML_DOCUMENT_NODE || node->type == XML_HTML_DOCUMENT_NODE;
}

// Node kinds a Node may wrap. XPath can also return namespace nodes, which
// are not xmlNode structs at all.
bool IsWrappable(const xmlNode* node) {
  switch (node->type) {
    case XML_ELEMENT_NODE:
    case XML_ATTRIBUTE_NODE:
    case XML_TEXT_NODE:
    case XML_CDATA_SECTION_NODE:
    case XML_COMMENT_NODE:
    case XML_DOCUMENT_NODE:
    case XML_HTML_DOCUMENT_NODE:
      return true;
    default:
      return false;
  }
}

bool IsTextNode(const xmlNode* node) {
  return node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE;
}

std::string_view Content(const xmlNode* node) {
  if (node->content == nullptr) return {};
  return reinterpret_cast<const char*>(node->content);
}

// Visits the descendants of `root` in document order without recursion,
// because the HTML parser accepts nesting deeper than the stack would.
// enter(node) returns whether to visit the node's children; leave(node) is
// called after them for every node entered that way.
template <typename Enter, typename Leave>
void Walk(xmlNode* root, Enter&& enter, Leave&& leave) {
  xmlNode* node = root->children;
  while (node != nullptr) {
    if (enter(node)) {
      if (node->children != nullptr) {
        node = node->children;
        continue;
      }
      leave(node);
    }
    while (node->next == nullptr) {
      node = node->parent;
      if (node == nullptr || node == root) return;
      leave(node);
    }
    node = node->next;
  }
}

std::string OwnedString(xmlChar* value) {
  if (value == nullptr) return "";
  std::string out(reinterpret_cast<const char*>(value));
  xmlFree(value);
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void IgnoreXPathError(void* /*user_data*/, xmlError* /*error*/) {}

void IgnoreGenericError(void* /*context*/, const char* /*format*/, ...) {}

// Some XPath evaluation errors (an unknown function) bypass the context's
// handler and go to the generic one, which prints to stderr. That handler
// is per thread, so swapping it for the call is safe.
class QuietGenericErrors {
 public:
  QuietGenericErrors() : handler_(xmlGenericError), context_(xmlGenericErrorContext) {
    xmlSetGenericErrorFunc(nullptr, &IgnoreGenericError);
  }
  ~QuietGenericErrors() { xmlSetGenericErrorFunc(context_, handler_); }
  QuietGenericErrors(const QuietGenericErrors&) = delete;
  QuietGenericErrors& operator=(const QuietGenericErrors&) = delete;

 private:
  xmlGenericErrorFunc handler_;
  void* context_;
};

struct XPathContextDeleter {
  void operator()(xmlXPathContext* ctx) const { xmlXPathFreeContext(ctx); }
};
struct XPathObjectDeleter {
  void operator()(xmlXPathObject* obj) const { xmlXPathFreeObject(obj); }
};
struct XPathCompExprDeleter {
  void operator()(xmlXPathCompExpr* comp) const { xmlXPathFreeCompExpr(comp); }
};

// What Select() reuses from one query to the next on a thread: one XPath
// context and the compiled form of the expressions seen. A new context
// registers every XPath function in a fresh hash table (a third of a
// query's cost on the almaghribtoday pages, tools/bench-parse), and a
// plugin asks the same few dozen expressions of every page, so compiling
// each once saves another tenth. Per thread, because neither is safe to
// share (evaluation caches function lookups in the compiled steps, and the
// context holds evaluation state).
class XPathCache {
 public:
  // Bounds the memory a plugin that builds expressions from page data
  // could pin; past it the cache starts over.
  static constexpr size_t kMaxExpressions = 512;

  // The context, set up to evaluate from `node` as a new one would be.
  xmlXPathContext* Context(xmlNode* node) {
    if (context_ == nullptr) {
      context_.reset(xmlXPathNewContext(node->doc));
      if (context_ == nullptr) return nullptr;
      // Without a handler libxml2 prints bad expressions to stderr.
      context_->error = &IgnoreXPathError;
    }
    xmlXPathContext* ctx = context_.get();
    ctx->doc = node->doc;
    ctx->node = node;
    ctx->contextSize = -1;
    ctx->proximityPosition = -1;
    ctx->depth = 0;
    ctx->opCount = 0;
    return ctx;
  }

  // An expression as it is evaluated: by the SDK itself when it is in
  // xpath_simple.h's subset, else by libxml2, compiled when first needed.
  struct Expression {
    std::optional<internal::SimplePath> simple;
    bool compiled = false;
    std::unique_ptr<xmlXPathCompExpr, XPathCompExprDeleter> libxml2;  // null: does not compile
  };

  Expression& Find(const std::string& expr) {
    auto it = expressions_.find(expr);
    if (it != expressions_.end()) return it->second;
    if (expressions_.size() >= kMaxExpressions) expressions_.clear();
    Expression& added = expressions_[expr];
    added.simple = internal::CompileSimplePath(expr);
    return added;
  }

  // libxml2's compiled form, or null if it does not compile (then it
  // selects nothing, as xmlXPathEvalExpression's null result did).
  xmlXPathCompExpr* Compiled(Expression& expression, const std::string& expr, xmlXPathContext* ctx) {
    if (expression.compiled) return expression.libxml2.get();
    expression.compiled = true;
    // The same selection, walked once instead of once per node
    // (xpath_rewrite.h); should the rewrite not compile, what was asked.
    const std::string rewritten = internal::RewriteDescendantSteps(expr);
    expression.libxml2.reset(xmlXPathCtxtCompile(ctx, reinterpret_cast<const xmlChar*>(rewritten.c_str())));
    if (expression.libxml2 == nullptr && rewritten != expr) {
      expression.libxml2.reset(xmlXPathCtxtCompile(ctx, reinterpret_cast<const xmlChar*>(expr.c_str())));
    }
    return expression.libxml2.get();
  }

 private:
  // Declared first so that it outlives the expressions compiled with it.
  std::unique_ptr<xmlXPathContext, XPathContextDeleter> context_;
  std::unordered_map<std::string, Expression> expressions_;
};

XPathCache& ThreadXPathCache() {
  thread_local XPathCache cache;
  return cache;
}

std::once_flag init_once;

}  // namespace

std::string ClassXPath(std::string_view cls) {
  std::string out = "contains(concat(' ', normalize-space(@class), ' '), ' ";
  out += cls;
  out += " ')";
  return out;
}

// --- Node ---

namespace {

// Node::Select, stopping after `limit` nodes (0: all) where that saves work.
std::vector<xmlNode*> SelectUpTo(xmlNode* node, std::string_view xpath, size_t limit) {
  std::vector<xmlNode*> out;
  // A NUL would silently cut the expression short.
  if (node == nullptr || node->doc == nullptr || xpath.empty() ||
      xpath.find('\0') != std::string_view::npos) {
    return out;
  }
  XPathCache& cache = ThreadXPathCache();
  const std::string expr(xpath);
  XPathCache::Expression& expression = cache.Find(expr);
  if (expression.simple &&
      (node->type == XML_ELEMENT_NODE || node->type == XML_HTML_DOCUMENT_NODE || node->type == XML_DOCUMENT_NODE)) {
    internal::SelectSimplePath(*expression.simple, node, limit, out);
    return out;
  }
  xmlXPathContext* ctx = cache.Context(node);
  if (ctx == nullptr) return out;
  const QuietGenericErrors quiet;
  xmlXPathCompExpr* comp = cache.Compiled(expression, expr, ctx);
  if (comp == nullptr) return out;
  std::unique_ptr<xmlXPathObject, XPathObjectDeleter> result(xmlXPathCompiledEval(comp, ctx));
  if (result == nullptr || result->type != XPATH_NODESET || result->nodesetval == nullptr) return out;
  const xmlNodeSet* set = result->nodesetval;
  out.reserve(static_cast<size_t>(set->nodeNr));
  for (int i = 0; i < set->nodeNr; ++i) {
    if (set->nodeTab[i] != nullptr && IsWrappable(set->nodeTab[i])) out.push_back(set->nodeTab[i]);
  }
  return out;
}

}  // namespace

std::vector<Node> Node::Select(std::string_view xpath) const {
  std::vector<Node> out;
  for (xmlNode* node : SelectUpTo(Raw(node_), xpath, 0)) out.push_back(Node(node));
  return out;
}

std::optional<Node> Node::SelectFirst(std::string_view xpath) const {
  std::vector<xmlNode*> nodes = SelectUpTo(Raw(node_), xpath, 1);
  if (nodes.empty()) return std::nullopt;
  return Node(nodes.front());
}

std::string Node::Attr(std::string_view name) const {
  xmlNode* node = Raw(node_);
  if (node == nullptr || node->type != XML_ELEMENT_NODE || name.find('\0') != std::string_view::npos) return "";
  const std::string key = Lower(name);
  return OwnedString(xmlGetProp(node, reinterpret_cast<const xmlChar*>(key.c_str())));
}

bool Node::HasAttr(std::string_view name) const {
  xmlNode* node = Raw(node_);
  if (node == nullptr || node->type != XML_ELEMENT_NODE || name.find('\0') != std::string_view::npos) return false;
  const std::string key = Lower(name);
  return xmlHasProp(node, reinterpret_cast<const xmlChar*>(key.c_str())) != nullptr;
}

std::string Node::Text() const {
  xmlNode* node = Raw(node_);
  if (node == nullptr) return "";
  switch (node->type) {
    case XML_TEXT_NODE:
    case XML_CDATA_SECTION_NODE:
    case XML_COMMENT_NODE:
      return NormalizeSpace(Content(node));
    case XML_ATTRIBUTE_NODE:
      return NormalizeSpace(OwnedString(xmlNodeGetContent(node)));
    case XML_ELEMENT_NODE:
    case XML_DOCUMENT_NODE:
    case XML_HTML_DOCUMENT_NODE:
      break;
    default:
      return "";
  }
  if (node->type == XML_ELEMENT_NODE && IsNonText(node)) return "";
  std::string text;
  Walk(
      node,
      [&](xmlNode* n) {
        if (IsTextNode(n)) {
          text += Content(n);
          return false;
        }
        if (n->type != XML_ELEMENT_NODE || IsNonText(n)) return false;
        if (NameIs(n, "br") || IsBlock(n)) text += ' ';
        return true;
      },
      [&](xmlNode* n) {
        if (IsBlock(n)) text += ' ';
      });
  return NormalizeSpace(text);
}

std::string Node::Name() const {
  xmlNode* node = Raw(node_);
  if (node == nullptr) return "";
  switch (node->type) {
    case XML_ELEMENT_NODE:
    case XML_ATTRIBUTE_NODE:
      return node->name == nullptr ? "" : Lower(reinterpret_cast<const char*>(node->name));
    case XML_TEXT_NODE:
      return "#text";
    case XML_CDATA_SECTION_NODE:
      return "#cdata-section";
    case XML_COMMENT_NODE:
      return "#comment";
    case XML_DOCUMENT_NODE:
    case XML_HTML_DOCUMENT_NODE:
      return "#document";
    default:
      return "";
  }
}

bool Node::HasClass(std::string_view cls) const {
  if (cls.empty()) return false;
  const std::string classes = Attr("class");
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; };
  size_t pos = 0;
  while (pos < classes.size()) {
    while (pos < classes.size() && is_space(classes[pos])) ++pos;
    size_t end = pos;
    while (end < classes.size() && !is_space(classes[end])) ++end;
    if (end > pos && std::string_view(classes).substr(pos, end - pos) == cls) return true;
    pos = end;
  }
  return false;
}

std::vector<std::string> Node::Paragraphs(const NodePredicate& skip) const {
  std::vector<std::string> paragraphs;
  xmlNode* node = Raw(node_);
  if (node == nullptr || (node->type != XML_ELEMENT_NODE && !IsDocumentNode(node))) return paragraphs;
  std::string current;
  int pending_breaks = 0;  // <br>s seen since the last visible text
  const auto flush = [&] {
    std::string paragraph = NormalizeSpace(current);
    if (!paragraph.empty()) paragraphs.push_back(std::move(paragraph));
    current.clear();
    pending_breaks = 0;
  };
  Walk(
      node,
      [&](xmlNode* n) {
        if (IsTextNode(n)) {
          const std::string_view content = Content(n);
          if (pending_breaks > 0 && !NormalizeSpace(content).empty()) {
            if (pending_breaks >= 2) {
              flush();
            } else {
              current += ' ';
            }
            pending_breaks = 0;
          }
          current += content;
          return false;
        }
        if (n->type != XML_ELEMENT_NODE) return false;
        if (NameIs(n, "br")) {
          ++pending_breaks;
          return false;
        }
        const bool block = IsBlock(n);
        if (IsNonBody(n) || (skip && skip(Node(n)))) {
          // A skipped block still ends the paragraph before it, as it would
          // on screen; skipped inline content leaves the sentence whole.
          if (block) flush();
          return false;
        }
        if (block) flush();
        return true;
      },
      [&](xmlNode* n) {
        if (IsBlock(n)) flush();
      });
  flush();
  return paragraphs;
}

std::optional<Node> Node::Parent() const {
  xmlNode* node = Raw(node_);
  if (node == nullptr || node->parent == nullptr || IsDocumentNode(node)) return std::nullopt;
  return Node(node->parent);
}

std::vector<Node> Node::Children() const {
  std::vector<Node> out;
  xmlNode* node = Raw(node_);
  if (node == nullptr || (node->type != XML_ELEMENT_NODE && !IsDocumentNode(node))) return out;
  for (xmlNode* child = node->children; child != nullptr; child = child->next) {
    if (child->type == XML_ELEMENT_NODE) out.push_back(Node(child));
  }
  return out;
}

// --- Document ---

struct Document::Impl {
  xmlDoc* doc = nullptr;
  std::string url;
  std::string base_url;

  ~Impl() {
    internal::FreeHtmlTree(doc);  // built by BuildHtmlTree or parsed by libxml2
  }
};

Document::Document(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Document::Document(Document&& other) noexcept = default;
Document& Document::operator=(Document&& other) noexcept = default;
Document::~Document() = default;

Document Document::Parse(std::string_view utf8_html, std::string_view url) {
  // Plugins parse from several threads; libxml2 wants its globals set up
  // once before that.
  std::call_once(init_once, [] { xmlInitParser(); });

  auto impl = std::make_unique<Impl>();
  impl->url = std::string(url);

  std::string repaired;
  if (!IsValidUtf8(utf8_html)) {
    // libxml2 would otherwise stop or guess another encoding at the first
    // bad byte.
    repaired = ToValidUtf8(utf8_html);
    utf8_html = repaired;
  }
  if (!utf8_html.empty()) {
    // The same tree as libxml2's below, several times faster; it declines
    // the rare inputs whose recovery it does not mirror.
    impl->doc = internal::BuildHtmlTree(utf8_html, impl->url.c_str());
  }
  if (impl->doc == nullptr && !utf8_html.empty() && utf8_html.size() <= static_cast<size_t>(INT_MAX)) {
    // Passing the encoding makes the parser ignore <meta charset>: the host
    // has decoded the page already.
    impl->doc = htmlReadMemory(utf8_html.data(), static_cast<int>(utf8_html.size()),
                               impl->url.empty() ? nullptr : impl->url.c_str(), "UTF-8",
                               HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                   HTML_PARSE_NONET | HTML_PARSE_COMPACT);
  }
  if (impl->doc == nullptr) impl->doc = htmlNewDocNoDtD(nullptr, nullptr);

  Document document(std::move(impl));
  document.impl_->base_url = document.impl_->url;
  // Most pages have no <base>: a look for its start tag in the bytes spares
  // them a walk of the whole tree.
  if (auto base = MayHaveBaseTag(utf8_html) ? document.SelectFirst("//base[@href]") : std::nullopt) {
    if (auto resolved = ResolveLink(document.impl_->url, base->Attr("href"))) {
      document.impl_->base_url = std::move(*resolved);
    }
  }
  return document;
}

Node Document::Root() const {
  return Node(impl_ == nullptr ? nullptr : reinterpret_cast<xmlNode*>(impl_->doc));
}

const std::string& Document::url() const {
  static const std::string kEmpty;
  return impl_ == nullptr ? kEmpty : impl_->url;
}

const std::string& Document::base_url() const {
  static const std::string kEmpty;
  return impl_ == nullptr ? kEmpty : impl_->base_url;
}

std::optional<std::string> Document::Resolve(std::string_view href) const {
  return ResolveLink(base_url(), href);
}

}  // namespace newshound::sdk
