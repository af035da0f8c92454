#include "html_tree_builder.h"

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/dict.h>
#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/uri.h>
#include <libxml/valid.h>
#include <libxml/xmlmemory.h>
#include <libxml/xmlversion.h>
#include <strings.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <iterator>
#include <new>
#include <string>
#include <vector>

#include "utf8.h"

namespace newshound::sdk::internal {
namespace {

// Limits of libxml2's parser that change the tree when reached.
// HTML_PARSER_BUFFER_SIZE: longer tag and attribute names are cut there and
// the rest is parsed as attributes.
constexpr size_t kMaxNameLength = 100;
// HTML_PARSER_BIG_BUFFER_SIZE: character data is handed to the tree in
// chunks of this size, and a chunk of blanks decides an implied <p> on its
// own (see ParseCharData).
constexpr size_t kCharDataChunk = 1000;

bool IsBlank(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsAsciiLetter(unsigned char c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
bool IsAsciiDigit(unsigned char c) { return c >= '0' && c <= '9'; }
unsigned char Lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c + 0x20 : c; }

// htmlParseHTMLName's characters after the first.
bool IsTagNameChar(unsigned char c) {
  return IsAsciiLetter(c) || IsAsciiDigit(c) || c == ':' || c == '-' || c == '_' || c == '.';
}
// htmlParseName's ASCII characters (entity and DOCTYPE names).
bool IsNameStart(unsigned char c) { return IsAsciiLetter(c) || c == '_' || c == ':'; }
bool IsNameChar(unsigned char c) {
  return IsAsciiLetter(c) || IsAsciiDigit(c) || c == '_' || c == '-' || c == ':' || c == '.';
}

// XML's Char production, which libxml2 checks every character against.
bool IsXmlChar(uint32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

// --- What libxml2 knows about elements, asked of libxml2 once ---

// The HTML 4 elements of libxml2's element table, and two more its
// start-close table names. Only these can close one another on a start tag.
constexpr const char* kKnownElements[] = {
    "a",        "abbr",       "acronym",  "address", "applet",   "area",    "b",      "base",  "basefont", "bdo",
    "big",      "blockquote", "body",     "br",      "button",   "caption", "center", "cite",  "code",     "col",
    "colgroup", "dd",         "del",      "dfn",     "dir",      "div",     "dl",     "dt",    "em",       "embed",
    "fieldset", "font",       "form",     "frame",   "frameset", "h1",      "h2",     "h3",    "h4",       "h5",
    "h6",       "head",       "hr",       "html",    "i",        "iframe",  "img",    "input", "ins",      "isindex",
    "kbd",      "label",      "legend",   "li",      "link",     "map",     "menu",   "meta",  "noframes", "noscript",
    "object",   "ol",         "optgroup", "option",  "p",        "param",   "pre",    "q",     "s",        "samp",
    "script",   "select",     "small",    "span",    "strike",   "strong",  "style",  "sub",   "sup",      "table",
    "tbody",    "td",         "textarea", "tfoot",   "th",       "thead",   "title",  "tr",    "tt",       "u",
    "ul",       "var",        "listing",  "xmp"};
constexpr int kKnownCount = static_cast<int>(sizeof(kKnownElements) / sizeof(kKnownElements[0]));

// Whether the second <name> of "<name><name>" is not inside the first in
// libxml2's own tree: the one question htmlAutoCloseTag cannot answer (it
// returns 0 for equal names).
bool SameNameCloses(const char* name) {
  const std::string open = std::string("<") + name + ">";
  const std::string html = "<html><body><div>" + open + open + "</div></body></html>";
  xmlDoc* doc = htmlReadMemory(html.data(), static_cast<int>(html.size()), nullptr, "UTF-8",
                               HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
  if (doc == nullptr) return false;
  const auto named = [&](const xmlNode* node) {
    return node->type == XML_ELEMENT_NODE && std::strcmp(reinterpret_cast<const char*>(node->name), name) == 0;
  };
  // Depth-first: the first element so named, then whether another one sits
  // anywhere below it.
  const xmlNode* first = nullptr;
  std::vector<const xmlNode*> todo{xmlDocGetRootElement(doc)};
  while (!todo.empty() && first == nullptr) {
    const xmlNode* node = todo.back();
    todo.pop_back();
    if (node == nullptr) continue;
    if (named(node)) {
      first = node;
      break;
    }
    for (const xmlNode* child = node->last; child != nullptr; child = child->prev) todo.push_back(child);
  }
  bool nested = false;
  if (first != nullptr) {
    for (const xmlNode* child = first->children; child != nullptr && !nested; child = child->next) {
      std::vector<const xmlNode*> below{child};
      while (!below.empty() && !nested) {
        const xmlNode* node = below.back();
        below.pop_back();
        if (named(node)) nested = true;
        for (const xmlNode* c = node->children; c != nullptr; c = c->next) below.push_back(c);
      }
    }
  }
  xmlFreeDoc(doc);
  return first != nullptr && !nested;
}

// The hash of a tag or attribute name, the same for the table of known
// elements and a document's names: a new name of a document is looked up
// among the known ones with the hash it was interned by.
uint64_t NameHash(const char* text, size_t length) {
  uint64_t hash = 1469598103934665603ull;
  for (size_t i = 0; i < length; ++i) hash = (hash ^ static_cast<unsigned char>(text[i])) * 1099511628211ull;
  return hash ^ (hash >> 29);
}

int EndPriority(std::string_view name);

struct ElementTable {
  // closes[open * kKnownCount + incoming]
  std::vector<bool> closes;
  // htmlElemDesc::empty of each known element.
  std::vector<bool> is_void;
  // htmlEndPriority of each known element (every element it names is one).
  std::vector<int> end_priority;
  // Open addressing by NameHash: index in kKnownElements, or -1.
  static constexpr size_t kSlots = 256;
  int slots[kSlots];
  size_t lengths[kKnownCount];

  ElementTable()
      : closes(static_cast<size_t>(kKnownCount) * kKnownCount, false),
        is_void(kKnownCount, false),
        end_priority(kKnownCount, 100) {
    std::fill(std::begin(slots), std::end(slots), -1);
    for (int i = 0; i < kKnownCount; ++i) {
      const std::string_view name = kKnownElements[i];
      size_t slot = NameHash(name.data(), name.size()) & (kSlots - 1);
      while (slots[slot] >= 0) slot = (slot + 1) & (kSlots - 1);
      slots[slot] = i;
      lengths[i] = name.size();
      const htmlElemDesc* desc = htmlTagLookup(reinterpret_cast<const xmlChar*>(kKnownElements[i]));
      is_void[i] = desc != nullptr && desc->empty;
      end_priority[i] = EndPriority(name);
    }
    for (int incoming = 0; incoming < kKnownCount; ++incoming) {
      // A childless element of that name: htmlAutoCloseTag then answers
      // htmlCheckAutoClose(incoming, open) alone.
      xmlNode probe{};
      probe.type = XML_ELEMENT_NODE;
      probe.name = reinterpret_cast<const xmlChar*>(kKnownElements[incoming]);
      for (int open = 0; open < kKnownCount; ++open) {
        if (open == incoming) continue;
        closes[static_cast<size_t>(open) * kKnownCount + incoming] =
            htmlAutoCloseTag(nullptr, reinterpret_cast<const xmlChar*>(kKnownElements[open]), &probe) == 1;
      }
    }
    for (int i = 0; i < kKnownCount; ++i) {
      const std::string_view name = kKnownElements[i];
      // The document's own elements are never reopened by a start tag (a
      // second one is dropped), void elements never stay open and raw-text
      // elements take the next start tag as text.
      if (name == "html" || name == "head" || name == "body" || name == "script" || name == "style" || is_void[i]) {
        continue;
      }
      closes[static_cast<size_t>(i) * kKnownCount + i] = SameNameCloses(kKnownElements[i]);
    }
  }

  bool Closes(int open, int incoming) const {
    return open >= 0 && incoming >= 0 && closes[static_cast<size_t>(open) * kKnownCount + incoming];
  }

  // Index in kKnownElements of a lowercase name whose NameHash is `hash`.
  int Find(const char* name, size_t length, uint64_t hash) const {
    for (size_t slot = hash & (kSlots - 1);; slot = (slot + 1) & (kSlots - 1)) {
      const int known = slots[slot];
      if (known < 0) return -1;
      if (lengths[known] == length && std::memcmp(kKnownElements[known], name, length) == 0) return known;
    }
  }
};

// An object, not a leaked pointer: the SDK lives in each plugin, and a
// plugin that is unloaded must take its table with it.
const ElementTable& Elements() {
  static const ElementTable table = [] {
    xmlInitParser();
    return ElementTable();
  }();
  return table;
}

int KnownIndex(std::string_view name) {
  return Elements().Find(name.data(), name.size(), NameHash(name.data(), name.size()));
}

// htmlEndPriority: an end tag only closes open elements of its priority or
// lower, so a stray </div> cannot close a table cell.
int EndPriority(std::string_view name) {
  static constexpr struct {
    const char* name;
    int priority;
  } kPriorities[] = {{"div", 150},   {"td", 160},    {"th", 160},   {"tr", 170},   {"thead", 180}, {"tbody", 180},
                     {"tfoot", 180}, {"table", 190}, {"head", 200}, {"body", 200}, {"html", 220}};
  for (const auto& entry : kPriorities) {
    if (name == entry.name) return entry.priority;
  }
  return 100;
}

// The linked libxml2 must be the parser this file mirrors.
bool LinkedLibxml2IsMirrored() {
  static const bool mirrored = [] {
    const int version = std::atoi(xmlParserVersion);
    return LIBXML_VERSION >= 20900 && LIBXML_VERSION < 21000 && version >= 20900 && version < 21000;
  }();
  return mirrored;
}

// --- One document's memory ---

// Where a built tree's nodes, attributes and text live: blocks that are
// given back all at once with the document (FreeHtmlTree), rather than a
// malloc per node that xmlFreeDoc then walks the whole tree to free one by
// one; together those were a fifth of a plugin's instructions on the
// outlet's pages. The document holds its arena in doc->_private. The SDK
// only reads a built tree, so nothing ever frees or reallocates one of these
// pieces on its own; what libxml2 allocates for the document (the xmlDoc,
// its DTD, URL, dictionary and ID table) is still libxml2's.
class TreeArena {
 public:
  explicit TreeArena(size_t input_size)
      : next_block_(std::clamp<size_t>(input_size * 4, kMinBlock, kMaxBlock)) {}
  TreeArena(const TreeArena&) = delete;
  TreeArena& operator=(const TreeArena&) = delete;
  ~TreeArena() {
    while (blocks_ != nullptr) {
      Block* next = blocks_->next;
      std::free(blocks_);
      blocks_ = next;
    }
  }

  // `bytes` of memory aligned for any xmlNode member, or nullptr when out
  // of memory.
  void* Allocate(size_t bytes) {
    bytes = (bytes + kAlign - 1) & ~(kAlign - 1);
    if (bytes <= static_cast<size_t>(end_ - cursor_)) {
      void* out = cursor_;
      cursor_ += bytes;
      return out;
    }
    // A piece bigger than a quarter of a block gets a block of its own, so
    // that the block in use keeps its room for the small pieces to come.
    if (bytes > next_block_ / 4) return NewBlock(bytes);
    char* data = NewBlock(next_block_);
    if (data == nullptr) return nullptr;
    cursor_ = data + bytes;
    end_ = data + next_block_;
    next_block_ = std::min(next_block_ * 2, kMaxBlock);
    return data;
  }

  xmlChar* CopyString(const char* data, size_t length) {
    auto* out = static_cast<xmlChar*>(Allocate(length + 1));
    if (out == nullptr) return nullptr;
    std::memcpy(out, data, length);
    out[length] = 0;
    return out;
  }

 private:
  static constexpr size_t kAlign = alignof(std::max_align_t);
  // The first block is sized by the page (a tree takes a few times its
  // HTML), the next ones double.
  static constexpr size_t kMinBlock = 16 * 1024;
  static constexpr size_t kMaxBlock = 1024 * 1024;

  struct alignas(std::max_align_t) Block {
    Block* next;
  };

  char* NewBlock(size_t size) {
    auto* block = static_cast<Block*>(std::malloc(sizeof(Block) + size));
    if (block == nullptr) return nullptr;
    block->next = blocks_;
    blocks_ = block;
    return reinterpret_cast<char*>(block + 1);
  }

  Block* blocks_ = nullptr;
  char* cursor_ = nullptr;
  char* end_ = nullptr;
  size_t next_block_;
};

// --- One document's names ---

// A lowercase tag or attribute name, interned once per document: the
// builder compares names by pointer, and the tree's names live in the
// document's dictionary as libxml2's do.
//
// What the builder asks of a name as an element comes from the table of
// known elements, found by the hash the name was interned by; libxml2 is
// asked only what that table cannot answer, and only when it is asked (most
// names new to a document are attribute names or HTML5 elements, which
// never need it).
struct Name {
  const xmlChar* text = nullptr;  // in doc->dict, NUL-terminated
  size_t length = 0;
  int known = -1;  // index in kKnownElements
  int end_priority = 100;
  int boolean_attribute = -1;  // htmlIsBooleanAttr, asked on first need

  // htmlElemDesc::empty.
  bool IsVoid() const {
    if (known >= 0) return Elements().is_void[known];
    // Not an element of libxml2's table, unless the list misses one.
    if (unknown_void < 0) {
      const htmlElemDesc* desc = htmlTagLookup(text);
      unknown_void = desc != nullptr && desc->empty ? 1 : 0;
    }
    return unknown_void == 1;
  }

 private:
  mutable int unknown_void = -1;
};

class NameTable {
 public:
  explicit NameTable(xmlDict* dict) : dict_(dict), slots_(256, nullptr) {}

  // `lower` is already lowercase. Returns nullptr when out of memory.
  Name* Intern(const char* lower, size_t length) {
    const uint64_t hash = NameHash(lower, length);
    size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      Name* slot = slots_[i];
      if (slot == nullptr) break;
      if (slot->length == length && std::memcmp(slot->text, lower, length) == 0) return slot;
    }
    const xmlChar* text = xmlDictLookup(dict_, reinterpret_cast<const xmlChar*>(lower), static_cast<int>(length));
    if (text == nullptr) return nullptr;
    Name& name = names_.emplace_back();
    name.text = text;
    name.length = length;
    name.known = Elements().Find(lower, length, hash);
    if (name.known >= 0) name.end_priority = Elements().end_priority[name.known];
    if ((names_.size() + 1) * 2 > slots_.size()) Grow();
    mask = slots_.size() - 1;
    size_t i = hash & mask;
    while (slots_[i] != nullptr) i = (i + 1) & mask;
    slots_[i] = &name;
    return &name;
  }

  Name* Intern(const char* lower) { return Intern(lower, std::strlen(lower)); }

 private:
  void Grow() {
    std::vector<Name*> bigger(slots_.size() * 2, nullptr);
    const size_t mask = bigger.size() - 1;
    for (Name* name : slots_) {
      if (name == nullptr) continue;
      size_t i = NameHash(reinterpret_cast<const char*>(name->text), name->length) & mask;
      while (bigger[i] != nullptr) i = (i + 1) & mask;
      bigger[i] = name;
    }
    slots_.swap(bigger);
  }

  xmlDict* dict_;
  std::vector<Name*> slots_;
  std::deque<Name> names_;
};

// --- The builder ---

// Declines: the input holds something this builder does not reproduce. Each
// is rare in pages and has recovery in libxml2 that would take as much code
// again to mirror; libxml2 parses those pages itself.
//  - a character libxml2 drops or stops at: NUL, other C0 controls but tab,
//    newline and carriage return, U+FFFE, U+FFFF; a leading byte order mark
//  - "<?" (processing instructions), "<_" and "<:", a tag name with '.' or
//    ':' in it or of 100 or more characters, an attribute name of 100 or
//    more
//  - a DOCTYPE with a public or system identifier, or one after the prolog
//  - a comment without its end, the end of input inside a tag
//  - a numeric character reference without ';' or of a value that is not an
//    XML character, a reference name followed by a non-ASCII character
//  - anything but comments and blanks after the root element has closed
//    (libxml2 then builds a second root inside or beside the first)
//  - elements nested deeper than xmlParserMaxDepth (256), where libxml2
//    stops
class TreeBuilder {
 public:
  TreeBuilder(std::string_view input, xmlDoc* doc, TreeArena& arena)
      : s_(input.data()), n_(input.size()), doc_(doc), arena_(arena), names_(doc->dict) {}

  bool Run() {
    if (!CharactersMirrored()) return false;
    html_ = names_.Intern("html");
    head_ = names_.Intern("head");
    body_ = names_.Intern("body");
    p_name_ = names_.Intern("p");
    script_ = names_.Intern("script");
    style_ = names_.Intern("style");
    a_ = names_.Intern("a");
    noframes_ = names_.Intern("noframes");
    frame_ = names_.Intern("frame");
    frameset_ = names_.Intern("frameset");
    id_ = names_.Intern("id");
    name_ = names_.Intern("name");
    xml_id_ = names_.Intern("xml:id");
    for (const char* head_element : {"script", "style", "meta", "link", "title", "base"}) {
      head_elements_.push_back(names_.Intern(head_element));
    }
    for (const Name* name :
         {html_, head_, body_, p_name_, script_, style_, a_, noframes_, frame_, frameset_, id_, name_, xml_id_}) {
      if (name == nullptr) return false;
    }
    for (const Name* name : head_elements_) {
      if (name == nullptr) return false;
    }

    ParseDocument();
    if (failed_) return false;
    FlushText();
    if (doc_->intSubset == nullptr &&
        xmlCreateIntSubset(doc_, reinterpret_cast<const xmlChar*>("html"),
                           reinterpret_cast<const xmlChar*>("-//W3C//DTD HTML 4.0 Transitional//EN"),
                           reinterpret_cast<const xmlChar*>("http://www.w3.org/TR/REC-html40/loose.dtd")) == nullptr) {
      return false;
    }
    return !failed_;
  }

 private:
  struct OpenElement {
    const Name* name;
    xmlNode* node;
  };
  // An attribute of the start tag being parsed. Its value is a view of the
  // input, or, when it holds references, a span of decoded_values_.
  struct Attribute {
    const Name* name;
    bool has_value = false;
    bool decoded = false;
    const char* data = nullptr;
    size_t begin = 0;
    size_t length = 0;
  };

  // --- input ---

  unsigned char At(size_t i) const { return i < n_ ? static_cast<unsigned char>(s_[i]) : 0; }
  unsigned char Cur() const { return At(pos_); }
  unsigned char Next(size_t k = 1) const { return At(pos_ + k); }
  bool AtEnd() const { return pos_ >= n_; }
  void SkipBlanks() {
    while (pos_ < n_ && IsBlank(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool StartsWithDoctype() const {
    static constexpr char kDoctype[] = "DOCTYPE";
    if (Cur() != '<' || Next() != '!') return false;
    for (size_t i = 0; i < 7; ++i) {
      const unsigned char c = Next(2 + i);
      if ((c >= 'a' && c <= 'z' ? c - 0x20 : c) != static_cast<unsigned char>(kDoctype[i])) return false;
    }
    return true;
  }
  bool StartsWithComment() const { return Cur() == '<' && Next() == '!' && Next(2) == '-' && Next(3) == '-'; }

  bool Decline() {
    failed_ = true;
    return false;
  }

  // One pass over the bytes for the characters libxml2 would drop, report
  // or stop at. Eight bytes at a time: most words hold no byte below 0x20
  // and no 0xEF (the lead byte of U+FFFE and U+FFFF).
  bool CharactersMirrored() const {
    if (n_ > static_cast<size_t>(INT_MAX)) return false;
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(s_[i]); };
    if (n_ >= 3 && byte(0) == 0xEF && byte(1) == 0xBB && byte(2) == 0xBF) return false;
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHighs = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= n_; i += 8) {
      uint64_t word;
      std::memcpy(&word, s_ + i, 8);
      const uint64_t below_space = (word - 0x20 * kOnes) & ~word & kHighs;
      const uint64_t ef = word ^ (0xEF * kOnes);
      const uint64_t has_ef = (ef - kOnes) & ~ef & kHighs;
      if ((below_space | has_ef) == 0) continue;
      for (size_t k = i; k < i + 8; ++k) {
        if (!ByteMirrored(k)) return false;
      }
    }
    for (; i < n_; ++i) {
      if (!ByteMirrored(i)) return false;
    }
    return true;
  }

  bool ByteMirrored(size_t i) const {
    const unsigned char c = static_cast<unsigned char>(s_[i]);
    if (c < 0x20) return c == '\t' || c == '\n' || c == '\r';
    return !(c == 0xEF && i + 2 < n_ && static_cast<unsigned char>(s_[i + 1]) == 0xBF &&
             (static_cast<unsigned char>(s_[i + 2]) == 0xBE || static_cast<unsigned char>(s_[i + 2]) == 0xBF));
  }

  // A lowercase name of htmlParseHTMLName's characters at pos_, consumed.
  // `first_ok` has been checked by the caller. Declines names libxml2 cuts.
  const Name* ReadTagName() {
    size_t end = pos_;
    while (end < n_ && IsTagNameChar(static_cast<unsigned char>(s_[end]))) ++end;
    const size_t length = end - pos_;
    if (length >= kMaxNameLength) {
      Decline();
      return nullptr;
    }
    char lower[kMaxNameLength];
    for (size_t i = 0; i < length; ++i) lower[i] = static_cast<char>(Lower(static_cast<unsigned char>(s_[pos_ + i])));
    pos_ = end;
    const Name* name = names_.Intern(lower, length);
    if (name == nullptr) Decline();
    return name;
  }

  // --- the tree ---

  const Name* TopName() const { return open_.empty() ? nullptr : open_.back().name; }
  xmlNode* TopNode() const { return open_.empty() ? nullptr : open_.back().node; }

  void Link(xmlNode* parent, xmlNode* child) {
    if (parent == nullptr) parent = reinterpret_cast<xmlNode*>(doc_);
    child->parent = parent;
    child->doc = doc_;
    child->prev = parent->last;
    if (parent->last != nullptr) {
      parent->last->next = child;
    } else {
      parent->children = child;
    }
    parent->last = child;
  }

  xmlNode* NewNode(xmlElementType type) {
    auto* node = static_cast<xmlNode*>(arena_.Allocate(sizeof(xmlNode)));
    if (node == nullptr) {
      Decline();
      return nullptr;
    }
    std::memset(node, 0, sizeof(xmlNode));
    node->type = type;
    node->doc = doc_;
    return node;
  }

  // Text content as xmlSAX2TextNode stores it under XML_PARSE_COMPACT: short
  // strings inside the node itself, as libxml2 does (xmlNodeGetContent and
  // the like read them there the same).
  bool SetText(xmlNode* node, const char* data, size_t length, bool compact) {
    if (compact && length < 2 * sizeof(void*)) {
      auto* inline_text = reinterpret_cast<xmlChar*>(&node->properties);
      std::memcpy(inline_text, data, length);
      inline_text[length] = 0;
      node->content = inline_text;
      return true;
    }
    node->content = arena_.CopyString(data, length);
    return node->content != nullptr || Decline();
  }

  // Text is gathered and made one node when the structure changes, as
  // libxml2 coalesces successive characters() calls into the last child.
  // One stretch of input stays a view; `stable` says whether `data` is
  // input (it outlives the parse) or scratch about to be reused.
  void AppendText(xmlElementType type, const char* data, size_t length, bool stable = true) {
    xmlNode* parent = TopNode();
    if (parent == nullptr || length == 0) return;  // libxml2 drops text outside any element
    if (pending_length_ != 0 && (pending_parent_ != parent || pending_type_ != type)) FlushText();
    pending_parent_ = parent;
    pending_type_ = type;
    if (pending_length_ == 0 && stable) {
      pending_view_ = data;
    } else {
      if (pending_view_ != nullptr) {
        pending_.assign(pending_view_, pending_length_);
        pending_view_ = nullptr;
      }
      pending_.append(data, length);
    }
    pending_length_ += length;
  }

  void FlushText() {
    if (pending_length_ == 0) return;
    const char* data = pending_view_ != nullptr ? pending_view_ : pending_.data();
    xmlNode* node = NewNode(pending_type_);
    if (node != nullptr) {
      if (pending_type_ == XML_TEXT_NODE) node->name = xmlStringText;
      // (A node whose text did not fit stays unlinked in the arena.)
      if (SetText(node, data, pending_length_, pending_type_ == XML_TEXT_NODE)) Link(pending_parent_, node);
    }
    pending_length_ = 0;
    pending_view_ = nullptr;
    pending_.clear();
  }

  void AddComment(const char* data, size_t length) {
    FlushText();
    xmlNode* node = NewNode(XML_COMMENT_NODE);
    if (node == nullptr) return;
    node->name = xmlStringComment;
    if (!SetText(node, data, length, false)) return;
    Link(TopNode(), node);
  }

  // htmlnamePush and xmlSAX2StartElement.
  xmlNode* Push(const Name* name) {
    // A second root would be built inside or beside the first.
    if (open_.empty() && root_built_) {
      Decline();
      return nullptr;
    }
    // Past xmlParserMaxDepth open elements libxml2 stops parsing, and
    // keeps the tree it has.
    if (open_.size() > xmlParserMaxDepth) {
      Decline();
      return nullptr;
    }
    if (html_level_ < 3 && name == head_) html_level_ = 3;
    if (html_level_ < 10 && name == body_) html_level_ = 10;
    FlushText();
    xmlNode* node = NewNode(XML_ELEMENT_NODE);
    if (node == nullptr) return nullptr;
    node->name = name->text;
    Link(TopNode(), node);
    root_built_ = true;
    open_.push_back({name, node});
    return node;
  }

  // htmlnamePop and xmlSAX2EndElement.
  void Pop() {
    FlushText();
    if (!open_.empty()) open_.pop_back();
  }

  // xmlSAX2AttributeInternal for an HTML document.
  void AddAttribute(xmlNode* element, xmlAttr** last, const Attribute& attribute) {
    const char* value = nullptr;
    size_t value_length = 0;
    if (attribute.has_value) {
      value = attribute.decoded ? decoded_values_.data() + attribute.begin : attribute.data;
      value_length = attribute.length;
    } else {
      auto* name = const_cast<Name*>(attribute.name);
      if (name->boolean_attribute < 0) name->boolean_attribute = htmlIsBooleanAttr(name->text) ? 1 : 0;
      if (name->boolean_attribute == 1) {
        value = reinterpret_cast<const char*>(name->text);
        value_length = name->length;
      }
    }
    auto* attr = static_cast<xmlAttr*>(arena_.Allocate(sizeof(xmlAttr)));
    if (attr == nullptr) {
      Decline();
      return;
    }
    std::memset(attr, 0, sizeof(xmlAttr));
    attr->type = XML_ATTRIBUTE_NODE;
    attr->name = attribute.name->text;
    attr->parent = element;
    attr->doc = doc_;
    if (*last == nullptr) {
      element->properties = attr;
    } else {
      (*last)->next = attr;
      attr->prev = *last;
    }
    *last = attr;
    if (value == nullptr) return;
    xmlNode* text = NewNode(XML_TEXT_NODE);
    if (text == nullptr) return;
    text->name = xmlStringText;
    // libxml2 (xmlNewDocText) copies even short values out of the node;
    // inline storage is as valid there and saves an allocation.
    if (!SetText(text, value, value_length, true)) return;
    text->parent = reinterpret_cast<xmlNode*>(attr);
    attr->children = attr->last = text;
    // XPath's id() and xmlGetID see the same ids as in libxml2's tree.
    if (attribute.name == xml_id_ || attribute.name == id_ || (attribute.name == name_ && TopName() == a_)) {
      xmlAddID(nullptr, doc_, text->content, attr);
    }
  }

  // --- libxml2's recovery rules (HTMLparser.c) ---

  bool StartCloses(const Name* incoming, const Name* open) const {
    return Elements().Closes(open->known, incoming->known);
  }

  // htmlAutoClose
  void AutoClose(const Name* incoming) {
    while (!open_.empty() && StartCloses(incoming, TopName())) Pop();
  }

  // htmlCheckImplied
  void CheckImplied(const Name* incoming) {
    if (incoming == html_) return;
    if (open_.empty() && Push(html_) == nullptr) return;
    if (incoming == body_ || incoming == head_) return;
    bool head_element = false;
    for (const Name* name : head_elements_) head_element = head_element || name == incoming;
    if (open_.size() <= 1 && head_element) {
      if (html_level_ >= 3) return;
      Push(head_);
    } else if (incoming != noframes_ && incoming != frame_ && incoming != frameset_) {
      if (html_level_ >= 10) return;
      for (const OpenElement& open : open_) {
        if (open.name == body_ || open.name == head_) return;
      }
      Push(body_);
    }
  }

  // htmlCheckParagraph: text right in <html> or <head>, or outside any
  // element, gets a <p> (and the <body> it needs).
  void CheckParagraph() {
    const Name* top = TopName();
    if (top != nullptr && top != html_ && top != head_) return;
    AutoClose(p_name_);
    CheckImplied(p_name_);
    if (!failed_) Push(p_name_);
  }

  // htmlAutoCloseOnClose: the end tag closes what is open above its element,
  // unless one of those has a higher end priority.
  void AutoCloseOnClose(const Name* name) {
    size_t i = open_.size();
    while (i > 0) {
      const Name* open = open_[i - 1].name;
      if (open == name) break;
      if (open->end_priority > name->end_priority) return;
      --i;
    }
    if (i == 0) return;
    while (TopName() != name) Pop();
  }

  // --- the grammar (htmlParseDocument and what it calls) ---

  void ParseDocument() {
    SkipBlanks();
    ParseMisc();
    if (failed_) return;
    if (StartsWithDoctype()) ParseDoctype();
    if (failed_) return;
    SkipBlanks();
    ParseMisc();
    if (failed_) return;
    ParseContent();
  }

  // Comments (and processing instructions, declined) around the DOCTYPE.
  void ParseMisc() {
    while (!failed_ && Cur() == '<' && (Next() == '?' || (Next() == '!' && Next(2) == '-' && Next(3) == '-'))) {
      if (Next() == '?') {
        Decline();
        return;
      }
      ParseComment();
      SkipBlanks();
    }
  }

  void ParseDoctype() {
    pos_ += 9;
    SkipBlanks();
    const size_t start = pos_;
    if (!IsNameStart(Cur())) {
      Decline();
      return;
    }
    while (IsNameChar(Cur())) ++pos_;
    if (Cur() >= 0x80 || AtEnd()) {
      Decline();
      return;
    }
    const std::string name(s_ + start, pos_ - start);
    SkipBlanks();
    if (Cur() != '>') {  // PUBLIC or SYSTEM identifiers, or junk
      Decline();
      return;
    }
    ++pos_;
    if (xmlCreateIntSubset(doc_, reinterpret_cast<const xmlChar*>(name.c_str()), nullptr, nullptr) == nullptr) {
      Decline();
    }
  }

  // htmlParseContentInternal, step for step: the order of its checks
  // decides which construct wins where several could start.
  void ParseContent() {
    const Name* current = TopName();
    size_t depth = open_.size();
    while (!failed_) {
      if (Cur() == '<' && Next() == '/') {
        if (ParseEndTag() && (current != nullptr || open_.empty())) {
          current = TopName();
          depth = open_.size();
        }
        continue;
      }
      if (Cur() == '<' && (Next() == '_' || Next() == ':')) {
        Decline();
        return;
      }
      if (Cur() == '<' && IsAsciiLetter(Next())) {
        // The start tag may close open elements before anything else
        // looks at it.
        const Name* incoming = PeekTagName();
        if (incoming == nullptr) return;
        if (!open_.empty() && StartCloses(incoming, TopName())) {
          AutoClose(incoming);
          continue;
        }
      }
      // The current element was closed while its content was parsed.
      if (!open_.empty() && depth >= open_.size() && current != TopName()) {
        current = TopName();
        depth = open_.size();
        continue;
      }
      if (!AtEnd() && (current == script_ || current == style_)) {
        ParseRawText();
        continue;
      }
      if (StartsWithDoctype()) {
        Decline();
        return;
      }
      if (StartsWithComment()) {
        ParseComment();
      } else if (Cur() == '<' && Next() == '?') {
        Decline();
        return;
      } else if (Cur() == '<' && IsAsciiLetter(Next())) {
        ParseElement();
        current = TopName();
        depth = open_.size();
      } else if (Cur() == '<') {
        // A '<' that starts no markup is text, without the implied <p>.
        AppendText(XML_TEXT_NODE, "<", 1);
        ++pos_;
      } else if (Cur() == '&') {
        ParseReference();
      } else if (AtEnd()) {
        while (!open_.empty()) Pop();
        return;
      } else {
        ParseCharData();
      }
    }
  }

  // htmlParseHTMLName_nonInvasive: the name after '<', not consumed. Its
  // characters lack '.', which the real tag name has: decline such names
  // rather than mirror the mismatch. Names with ':' are declined too:
  // libxml2 names the element after the part behind the first ':'
  // (xmlSplitQName) but keeps the whole name open.
  const Name* PeekTagName() {
    size_t end = pos_ + 1;
    while (end < n_ && IsTagNameChar(static_cast<unsigned char>(s_[end]))) ++end;
    const size_t length = end - pos_ - 1;
    if (length >= kMaxNameLength || std::memchr(s_ + pos_ + 1, '.', length) != nullptr ||
        std::memchr(s_ + pos_ + 1, ':', length) != nullptr) {
      Decline();
      return nullptr;
    }
    char lower[kMaxNameLength];
    for (size_t i = 0; i < length; ++i)
      lower[i] = static_cast<char>(Lower(static_cast<unsigned char>(s_[pos_ + 1 + i])));
    const Name* name = names_.Intern(lower, length);
    if (name == nullptr) Decline();
    peeked_at_ = pos_;
    peeked_ = name;
    peeked_end_ = end;
    return name;
  }

  // htmlParseElementInternal with htmlParseStartTag.
  void ParseElement() {
    const Name* name;
    if (peeked_at_ == pos_ && peeked_ != nullptr) {  // PeekTagName read it, and it has no '.'
      name = peeked_;
      pos_ = peeked_end_;
    } else {
      ++pos_;  // '<'
      name = ReadTagName();
    }
    if (name == nullptr) return;
    AutoClose(name);
    CheckImplied(name);
    if (failed_) return;
    // A misplaced <html>, <head> or <body> is dropped, and so is its
    // matching end tag later (discard_depth_).
    bool discard = false;
    if (!open_.empty() && name == html_) discard = true, ++discard_depth_;
    if (open_.size() != 1 && name == head_) discard = true, ++discard_depth_;
    if (name == body_) {
      for (const OpenElement& open : open_) {
        if (open.name == body_) discard = true, ++discard_depth_;
      }
    }

    attributes_.clear();
    decoded_values_.clear();
    SkipBlanks();
    while (!AtEnd() && Cur() != '>' && !(Cur() == '/' && Next() == '>')) {
      const unsigned char c = Cur();
      if (IsAsciiLetter(c) || c == '_' || c == ':' || c == '.') {
        const Name* attribute = ReadTagName();
        if (attribute == nullptr) return;
        Attribute parsed{attribute};
        SkipBlanks();
        if (Cur() == '=') {
          ++pos_;
          SkipBlanks();
          parsed.has_value = true;
          if (!ParseAttributeValue(parsed)) return;
        }
        bool duplicate = false;  // the first of a name wins
        for (const Attribute& seen : attributes_) duplicate = duplicate || seen.name == attribute;
        if (!duplicate) attributes_.push_back(parsed);
      } else {
        // Not an attribute: skipped to the next blank or the tag's end.
        while (!AtEnd() && !IsBlank(Cur()) && Cur() != '>' && !(Cur() == '/' && Next() == '>')) ++pos_;
      }
      SkipBlanks();
    }
    if (AtEnd()) {  // libxml2 keeps half a tag
      Decline();
      return;
    }

    if (!discard) {
      xmlNode* element = Push(name);
      if (element == nullptr) return;
      xmlAttr* last = nullptr;
      for (const Attribute& attribute : attributes_) {
        AddAttribute(element, &last, attribute);
        if (failed_) return;
      }
    }
    // What closes now is the element on top: after a dropped tag that is
    // the enclosing one, as in libxml2.
    const Name* top = TopName();
    if (top == nullptr) {
      if (Cur() == '>') ++pos_;
      return;
    }
    if (Cur() == '/') {  // "/>"
      pos_ += 2;
      Pop();
      return;
    }
    ++pos_;  // '>'
    if (top->IsVoid()) Pop();
  }

  // htmlParseAttValue with htmlParseHTMLAttribute.
  bool ParseAttributeValue(Attribute& attribute) {
    unsigned char quote = 0;
    if (Cur() == '"' || Cur() == '\'') {
      quote = Cur();
      ++pos_;
    }
    const auto ends_value = [quote](unsigned char c) { return quote != 0 ? c == quote : (c == '>' || IsBlank(c)); };
    const size_t start = pos_;
    if (quote != 0) {
      // Most values are quoted and hold no reference: two memchr.
      const void* close = std::memchr(s_ + pos_, quote, n_ - pos_);
      const size_t end = close == nullptr ? n_ : static_cast<size_t>(static_cast<const char*>(close) - s_);
      const void* amp = std::memchr(s_ + pos_, '&', end - pos_);
      pos_ = amp == nullptr ? end : static_cast<size_t>(static_cast<const char*>(amp) - s_);
    } else {
      while (pos_ < n_ && !ends_value(static_cast<unsigned char>(s_[pos_])) && s_[pos_] != '&') ++pos_;
    }
    if (pos_ < n_ && s_[pos_] == '&') {
      attribute.decoded = true;
      attribute.begin = decoded_values_.size();
      decoded_values_.append(s_ + start, pos_ - start);
      while (!AtEnd() && !ends_value(Cur())) {
        if (Cur() == '&') {
          if (!ParseReferenceInto(decoded_values_)) return false;
          continue;
        }
        decoded_values_.push_back(s_[pos_++]);
      }
      attribute.length = decoded_values_.size() - attribute.begin;
    } else {
      attribute.data = s_ + start;
      attribute.length = pos_ - start;
    }
    if (quote != 0) {
      if (AtEnd()) return Decline();
      ++pos_;
    }
    return true;
  }

  // htmlParseEndTag. Returns whether it closed the element it names.
  bool ParseEndTag() {
    pos_ += 2;
    const unsigned char c = Cur();
    // "</" before anything but a name is dropped.
    if (!(IsAsciiLetter(c) || c == '_' || c == ':' || c == '.')) return false;
    const Name* name = ReadTagName();
    if (name == nullptr) return false;
    SkipBlanks();
    while (!AtEnd() && Cur() != '>') ++pos_;
    if (Cur() == '>') ++pos_;
    if (discard_depth_ > 0 && (name == html_ || name == body_ || name == head_)) {
      --discard_depth_;
      return false;
    }
    bool open = false;
    for (const OpenElement& element : open_) open = open || element.name == name;
    if (!open) return false;
    AutoCloseOnClose(name);
    if (TopName() != name) return false;
    Pop();
    return true;
  }

  // htmlParseScript: <script> and <style> hold raw text up to an end tag
  // that starts with their own name.
  void ParseRawText() {
    const Name* top = TopName();
    if (top == nullptr) {
      Decline();
      return;
    }
    size_t end = pos_;
    while (end < n_) {
      const void* lt = std::memchr(s_ + end, '<', n_ - end);
      if (lt == nullptr) {
        end = n_;
        break;
      }
      end = static_cast<size_t>(static_cast<const char*>(lt) - s_);
      if (At(end + 1) == '/' && end + 2 + top->length <= n_ &&
          strncasecmp(s_ + end + 2, reinterpret_cast<const char*>(top->text), top->length) == 0) {
        break;
      }
      ++end;
    }
    AppendText(XML_CDATA_SECTION_NODE, s_ + pos_, end - pos_);
    pos_ = end;
  }

  // htmlParseCharData
  void ParseCharData() {
    const size_t start = pos_;
    const void* lt = std::memchr(s_ + pos_, '<', n_ - pos_);
    size_t end = lt == nullptr ? n_ : static_cast<size_t>(static_cast<const char*>(lt) - s_);
    if (const void* amp = std::memchr(s_ + pos_, '&', end - pos_)) {
      end = static_cast<size_t>(static_cast<const char*>(amp) - s_);
    }
    pos_ = end;
    bool blank = true;
    for (size_t i = start; i < end && blank; ++i) blank = IsBlank(static_cast<unsigned char>(s_[i]));
    const size_t length = pos_ - start;
    // libxml2 asks for an implied <p> before each chunk of text unless the
    // chunk is blank and markup or the end follows it; a chunk is cut when
    // it reaches kCharDataChunk bytes, and at that cut a blank one is
    // followed by more text.
    if (!blank || length >= kCharDataChunk || (Cur() != '<' && !AtEnd())) CheckParagraph();
    if (failed_) return;
    AppendText(XML_TEXT_NODE, s_ + start, length);
  }

  // htmlParseComment: "<!--" to the first "-->" or "--!>" after it.
  void ParseComment() {
    const size_t start = pos_ + 4;
    for (size_t q = start; q + 2 < n_; ++q) {
      if (s_[q] != '-' || s_[q + 1] != '-') continue;
      if (s_[q + 2] == '>') {
        AddComment(s_ + start, q - start);
        pos_ = q + 3;
        return;
      }
      if (s_[q + 2] == '!' && q + 3 < n_ && s_[q + 3] == '>') {
        AddComment(s_ + start, q - start);
        pos_ = q + 4;
        return;
      }
    }
    Decline();
  }

  // htmlParseReference: the text it stands for, after an implied <p>.
  void ParseReference() {
    reference_.clear();
    if (!ParseReferenceInto(reference_)) return;
    CheckParagraph();
    if (failed_) return;
    AppendText(XML_TEXT_NODE, reference_.data(), reference_.size(), /*stable=*/false);
  }

  // A character or entity reference at '&', decoded into `out` as libxml2
  // decodes it in text and attribute values alike.
  bool ParseReferenceInto(std::string& out) {
    if (Next() == '#') {
      const bool hex = Next(2) == 'x' || Next(2) == 'X';
      pos_ += hex ? 3 : 2;
      uint32_t value = 0;
      size_t digits = 0;
      while (!AtEnd()) {
        const unsigned char c = Cur();
        uint32_t digit;
        if (IsAsciiDigit(c)) {
          digit = c - '0';
        } else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
          digit = (c | 0x20) - 'a' + 10;
        } else {
          break;
        }
        if (value < 0x110000) value = value * (hex ? 16 : 10) + digit;
        ++digits;
        ++pos_;
      }
      if (digits == 0 || Cur() != ';' || !IsXmlChar(value)) return Decline();
      ++pos_;
      AppendUtf8(out, value);
      return true;
    }
    const size_t start = pos_ + 1;
    if (At(start) >= 0x80) return Decline();
    if (!IsNameStart(At(start))) {  // a lone '&'
      out.push_back('&');
      ++pos_;
      return true;
    }
    size_t end = start + 1;
    while (end < n_ && IsNameChar(static_cast<unsigned char>(s_[end]))) ++end;
    if (end == n_) {  // the name runs to the end: '&' now, the name as text
      out.push_back('&');
      ++pos_;
      return true;
    }
    if (At(end) >= 0x80) return Decline();
    const size_t length = end - start;
    if (At(end) == ';' && length < 32) {
      char name[32];
      std::memcpy(name, s_ + start, length);
      name[length] = 0;
      if (const htmlEntityDesc* entity = htmlEntityLookup(reinterpret_cast<const xmlChar*>(name))) {
        AppendUtf8(out, entity->value);
        pos_ = end + 1;
        return true;
      }
    }
    // Unknown, or without ';': the reference stays as written.
    out.append(s_ + pos_, end - pos_);
    pos_ = end;
    return true;
  }

  const char* s_;
  size_t n_;
  size_t pos_ = 0;
  xmlDoc* doc_;
  TreeArena& arena_;
  NameTable names_;
  bool failed_ = false;

  std::vector<OpenElement> open_;
  int html_level_ = 1;     // ctxt->html: 3 once a <head> opened, 10 once a <body> did
  int discard_depth_ = 0;  // ctxt->depth: dropped <html>/<head>/<body> tags
  bool root_built_ = false;

  const char* pending_view_ = nullptr;  // the pending text, when it is one stretch of input
  std::string pending_;                 // or else a copy
  size_t pending_length_ = 0;
  xmlNode* pending_parent_ = nullptr;
  xmlElementType pending_type_ = XML_TEXT_NODE;

  std::vector<Attribute> attributes_;
  std::string decoded_values_;   // attribute values with references, decoded
  size_t peeked_at_ = SIZE_MAX;  // PeekTagName's last '<' and what it found
  const Name* peeked_ = nullptr;
  size_t peeked_end_ = 0;
  std::string reference_;

  const Name* html_ = nullptr;
  const Name* head_ = nullptr;
  const Name* body_ = nullptr;
  const Name* p_name_ = nullptr;
  const Name* script_ = nullptr;
  const Name* style_ = nullptr;
  const Name* a_ = nullptr;
  const Name* noframes_ = nullptr;
  const Name* frame_ = nullptr;
  const Name* frameset_ = nullptr;
  const Name* id_ = nullptr;
  const Name* name_ = nullptr;
  const Name* xml_id_ = nullptr;
  std::vector<const Name*> head_elements_;
};

}  // namespace

xmlDoc* BuildHtmlTree(std::string_view utf8_html, const char* url) {
  // libxml2 makes no document of nothing.
  if (utf8_html.empty() || !LinkedLibxml2IsMirrored()) return nullptr;
  Elements();  // built once, before the document needs it
  xmlDoc* doc = htmlNewDocNoDtD(nullptr, nullptr);
  if (doc == nullptr) return nullptr;
  doc->properties = XML_DOC_HTML;
  doc->parseFlags =
      HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET | HTML_PARSE_COMPACT;
  doc->dict = xmlDictCreate();
  if (doc->dict == nullptr) {
    xmlFreeDoc(doc);
    return nullptr;
  }
  if (url != nullptr && *url != '\0') doc->URL = xmlPathToURI(reinterpret_cast<const xmlChar*>(url));
  auto* arena = new (std::nothrow) TreeArena(utf8_html.size());
  if (arena == nullptr) {
    xmlFreeDoc(doc);
    return nullptr;
  }
  doc->_private = arena;
  TreeBuilder builder(utf8_html, doc, *arena);
  if (!builder.Run()) {
    FreeHtmlTree(doc);
    return nullptr;
  }
  return doc;
}

void FreeHtmlTree(xmlDoc* doc) {
  if (doc == nullptr) return;
  auto* arena = static_cast<TreeArena*>(doc->_private);
  if (arena != nullptr) {
    // Everything under the document but its DTD is the arena's: unhooked,
    // so that xmlFreeDoc frees only what libxml2 allocated.
    auto* dtd = reinterpret_cast<xmlNode*>(doc->intSubset);
    doc->children = doc->last = dtd;
    if (dtd != nullptr) dtd->prev = dtd->next = nullptr;
    doc->_private = nullptr;
  }
  xmlFreeDoc(doc);
  delete arena;
}

bool StartTagCloses(std::string_view new_name, std::string_view open_name) {
  return Elements().Closes(KnownIndex(open_name), KnownIndex(new_name));
}

}  // namespace newshound::sdk::internal
