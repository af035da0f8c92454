#include "xpath_simple.h"

#include <cstdint>
#include <cstring>

namespace newshound::sdk::internal {
namespace {

// --- compiling ---

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool done() const { return pos_ == text_.size(); }
  bool Take(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }
  bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }

  // [A-Za-z_][A-Za-z0-9_-]*
  std::optional<std::string> Name() {
    const auto first = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    const auto rest = [&](char c) { return first(c) || (c >= '0' && c <= '9') || c == '-'; };
    if (pos_ >= text_.size() || !first(text_[pos_])) return std::nullopt;
    const size_t start = pos_++;
    while (pos_ < text_.size() && rest(text_[pos_])) ++pos_;
    return std::string(text_.substr(start, pos_ - start));
  }

  // An XPath literal: '...' or "...", which holds no quote of its own kind.
  std::optional<std::string> Literal() {
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) return std::nullopt;
    const size_t end = text_.find(text_[pos_], pos_ + 1);
    if (end == std::string_view::npos) return std::nullopt;
    std::string value(text_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return value;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

std::optional<SimplePath> ReadPath(Reader& in, bool nested, int depth);

// After the '[': a predicate of the subset and its ']'. `depth`: of
// predicates holding paths, which the compiler bounds (its recursion).
std::optional<SimplePredicate> ReadPredicate(Reader& in, int depth) {
  SimplePredicate predicate;
  if (in.Peek('/') || in.Peek('.')) {
    if (depth >= 8) return std::nullopt;
    auto path = ReadPath(in, /*nested=*/true, depth + 1);
    if (!path) return std::nullopt;
    predicate.kind = SimplePredicate::Kind::kHasPath;
    predicate.path = std::make_shared<const SimplePath>(std::move(*path));
  } else if (in.Take("@")) {
    auto name = in.Name();
    if (!name) return std::nullopt;
    predicate.attribute = std::move(*name);
    if (in.Take("=")) {
      auto value = in.Literal();
      if (!value) return std::nullopt;
      predicate.kind = SimplePredicate::Kind::kAttributeEquals;
      predicate.text = std::move(*value);
    } else {
      predicate.kind = SimplePredicate::Kind::kHasAttribute;
    }
  } else if (in.Take("contains(concat(' ', normalize-space(@")) {
    auto name = in.Name();
    if (!name || !in.Take("), ' '), ")) return std::nullopt;
    auto needle = in.Literal();
    if (!needle || !in.Take(")")) return std::nullopt;
    predicate.kind = SimplePredicate::Kind::kNormalizedContains;
    predicate.attribute = std::move(*name);
    predicate.text = std::move(*needle);
  } else {
    return std::nullopt;
  }
  if (!in.Take("]")) return std::nullopt;
  return predicate;
}

// --- evaluating ---

// XPath's whitespace (normalize-space): space, tab, CR, LF.
bool IsXPathSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The attribute `name` of the element, in no namespace (what an
// unprefixed @name selects), or null.
const xmlAttr* AttributeOf(const xmlNode* element, const std::string& name) {
  for (const xmlAttr* attr = element->properties; attr != nullptr; attr = attr->next) {
    if (attr->ns == nullptr && attr->name != nullptr &&
        std::strcmp(reinterpret_cast<const char*>(attr->name), name.c_str()) == 0) {
      return attr;
    }
  }
  return nullptr;
}

// An attribute's string-value, as libxml2's xmlNodeGetContent gives it: a
// view of the tree's own text when the value is one text node (what the
// HTML parsers make), else of `storage`. Called per candidate element, so
// the usual case copies nothing.
std::string_view ValueOf(const xmlAttr* attr, std::string& storage) {
  const xmlNode* child = attr->children;
  if (child == nullptr) return {};
  if (child->next == nullptr && child->type == XML_TEXT_NODE) {
    return child->content == nullptr ? std::string_view() : reinterpret_cast<const char*>(child->content);
  }
  xmlChar* content = xmlNodeGetContent(reinterpret_cast<const xmlNode*>(attr));
  storage = content == nullptr ? "" : reinterpret_cast<const char*>(content);
  xmlFree(content);
  return storage;
}

bool Holds(const SimplePredicate& predicate, const xmlNode* element) {
  const xmlAttr* attr = AttributeOf(element, predicate.attribute);
  std::string storage;
  switch (predicate.kind) {
    case SimplePredicate::Kind::kHasAttribute:
      return attr != nullptr;
    case SimplePredicate::Kind::kAttributeEquals:
      return attr != nullptr && ValueOf(attr, storage) == predicate.text;
    case SimplePredicate::Kind::kHasPath: {
      std::vector<xmlNode*> found;
      SelectSimplePath(*predicate.path, element, 1, found);
      return !found.empty();
    }
    case SimplePredicate::Kind::kNormalizedContains: {
      // concat(' ', normalize-space(@a), ' '); no attribute: the empty string.
      std::string padded = " ";
      if (attr != nullptr) {
        bool space = false;
        for (const char c : ValueOf(attr, storage)) {
          if (IsXPathSpace(c)) {
            space = padded.size() > 1;
          } else {
            if (space) padded += ' ';
            space = false;
            padded += c;
          }
        }
      }
      padded += ' ';
      return padded.find(predicate.text) != std::string::npos;
    }
  }
  return false;
}

bool Test(const SimpleStep& step, const xmlNode* node) {
  if (node->type != XML_ELEMENT_NODE) return false;
  // An unprefixed name test selects elements in no namespace; "*" any.
  if (step.name != "*" &&
      (node->ns != nullptr || node->name == nullptr ||
       std::strcmp(reinterpret_cast<const char*>(node->name), step.name.c_str()) != 0)) {
    return false;
  }
  for (const SimplePredicate& predicate : step.predicates) {
    if (!Holds(predicate, node)) return false;
  }
  return true;
}

}  // namespace

namespace {

// A path of the subset; `nested`: inside a predicate, where it ends before
// the predicate's ']'.
std::optional<SimplePath> ReadPath(Reader& in, bool nested, int depth) {
  SimplePath path;
  if (in.Take("//")) {
    path.from_root = true;
  } else if (in.Take(".//")) {
    path.from_root = false;
  } else {
    return std::nullopt;
  }
  bool descendant = true;
  for (;;) {
    SimpleStep step;
    step.descendant = descendant;
    if (in.Take("*")) {
      step.name = "*";
    } else if (auto name = in.Name()) {
      step.name = std::move(*name);
    } else {
      return std::nullopt;
    }
    while (in.Take("[")) {
      auto predicate = ReadPredicate(in, depth);
      if (!predicate) return std::nullopt;
      step.predicates.push_back(std::move(*predicate));
    }
    path.steps.push_back(std::move(step));
    if (path.steps.size() > 64) return std::nullopt;  // one bit per step in SelectSimplePath
    if (nested ? in.Peek(']') : in.done()) return path;
    if (in.Take("//")) {
      descendant = true;
    } else if (in.Take("/")) {
      descendant = false;
    } else {
      return std::nullopt;
    }
  }
}

}  // namespace

std::optional<SimplePath> CompileSimplePath(std::string_view xpath) {
  Reader in(xpath);
  return ReadPath(in, /*nested=*/false, 0);
}

void SelectSimplePath(const SimplePath& path, const xmlNode* context, size_t limit, std::vector<xmlNode*>& out) {
  if (path.steps.empty() || context == nullptr) return;
  // "//" is /descendant-or-self::node()/child::..., from the document libxml2
  // evaluates in (the context's); ".//" the same from the context node.
  const xmlNode* region = path.from_root ? reinterpret_cast<const xmlNode*>(context->doc) : context;
  if (region == nullptr) return;
  const size_t steps = path.steps.size();
  const uint64_t last = uint64_t{1} << (steps - 1);
  // One walk, pre-order (document order, each element once), top down: bit
  // k of an element's `selected` says the steps up to k select it, which
  // needs step k's test and, for k > 0, the steps up to k - 1 selecting its
  // parent ("/") or one of its ancestors below the region ("//": `below`
  // is the union over the ancestors). Linear in elements x steps, however
  // deep the tree.
  struct Frame {
    uint64_t selected;
    uint64_t below;  // selected | the frame above's below
  };
  std::vector<Frame> ancestors;  // of `node`, below the region, innermost last
  size_t found = 0;
  // Only elements have children worth visiting (text, comments and the DTD
  // hold no elements).
  const xmlNode* node = region->children;
  while (node != nullptr) {
    if (node->type == XML_ELEMENT_NODE) {
      const Frame parent = ancestors.empty() ? Frame{0, 0} : ancestors.back();
      uint64_t selected = 0;
      for (size_t k = 0; k < steps; ++k) {
        const SimpleStep& step = path.steps[k];
        const bool reached = k == 0 || ((step.descendant ? parent.below : parent.selected) >> (k - 1) & 1) != 0;
        if (reached && Test(step, node)) selected |= uint64_t{1} << k;
      }
      if ((selected & last) != 0) {
        out.push_back(const_cast<xmlNode*>(node));
        if (limit != 0 && ++found == limit) return;
      }
      if (node->children != nullptr) {
        ancestors.push_back({selected, parent.below | selected});
        node = node->children;
        continue;
      }
    }
    while (node->next == nullptr) {
      node = node->parent;
      if (node == nullptr || node == region) return;
      ancestors.pop_back();
    }
    node = node->next;
  }
}

}  // namespace newshound::sdk::internal
