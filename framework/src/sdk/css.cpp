#include "newshound/plugin/css.h"

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "newshound/plugin/html.h"
#include "utf8.h"

namespace newshound::sdk {
namespace {

using internal::CodePoint;
using internal::DecodeAt;

// Caps that keep the generated XPath's nesting (every compound and every
// :not() adds a level of predicates) well within what libxml2 evaluates
// without deep recursion. Real selectors are far smaller.
constexpr size_t kMaxSelectorBytes = 16 * 1024;
constexpr size_t kMaxCompounds = 32;  // per complex selector
constexpr int kMaxNotDepth = 8;
// Bounds the an+b numbers so that arithmetic on them cannot overflow.
constexpr int64_t kMaxNth = 1'000'000'000;

bool IsCssSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsNameStart(char c) { return IsAsciiLetter(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80; }
bool IsNameChar(char c) { return IsNameStart(c) || IsDigit(c) || c == '-'; }

// XML 1.0 Char: libxml2's XPath parser rejects anything else in a literal.
bool IsXmlChar(char32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         (c >= 0x10000 && c <= 0x10FFFF);
}

std::string AsciiLower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// An XPath 1.0 string literal for `value`. XPath has no escapes, so a value
// holding both quote kinds is built with concat() from pieces that each
// hold only one kind.
std::string XPathLiteral(std::string_view value) {
  if (value.find('\'') == std::string_view::npos) return "'" + std::string(value) + "'";
  if (value.find('"') == std::string_view::npos) return "\"" + std::string(value) + "\"";
  std::string out = "concat(";
  size_t start = 0;
  bool first = true;
  while (start < value.size()) {
    // Each piece runs up to (not including) the next apostrophe, or is a
    // run of apostrophes; pieces alternate between the two quote styles.
    size_t end;
    std::string piece;
    if (value[start] == '\'') {
      end = value.find_first_not_of('\'', start);
      if (end == std::string_view::npos) end = value.size();
      piece = "\"" + std::string(value.substr(start, end - start)) + "\"";
    } else {
      end = value.find('\'', start);
      if (end == std::string_view::npos) end = value.size();
      piece = "'" + std::string(value.substr(start, end - start)) + "'";
    }
    if (!first) out += ", ";
    out += piece;
    first = false;
    start = end;
  }
  out += ")";
  return out;
}

// Whether `name` can be written as an XPath name test as it is. Anything
// else (a ':' would be read as a namespace prefix) is matched by name().
bool IsPlainXPathName(std::string_view name) {
  if (name.empty() || !(IsAsciiLetter(name[0]) || name[0] == '_')) return false;
  for (char c : name) {
    if (!(IsAsciiLetter(c) || IsDigit(c) || c == '_' || c == '-' || c == '.')) return false;
  }
  return true;
}

std::string AttributeRef(const std::string& name) {
  if (IsPlainXPathName(name)) return "@" + name;
  return "@*[name()=" + XPathLiteral(name) + "]";
}

// The predicate that tests whether the space-separated list in `ref`
// contains `token`. A token with whitespace in it can never be in such a
// list (CSS says it matches nothing).
std::string TokenPredicate(const std::string& ref, const std::string& token) {
  if (token.empty() || token.find_first_of(" \t\r\n") != std::string::npos) return "false()";
  return "contains(concat(' ', normalize-space(" + ref + "), ' '), " + XPathLiteral(" " + token + " ") + ")";
}

// Compiles one selector text. Each Parse* method reads at pos_ and returns
// false after setting error_ when the text is not a selector it supports.
//
// A compound selector becomes an XPath step ("div[@id='x']") and a
// combinator a predicate on the step to its right that looks back at the
// step to its left ("p[ancestor::div]"), so that, as in the browser, only
// the rightmost compound is what the selector selects.
class Compiler {
 public:
  explicit Compiler(std::string_view text) : text_(text) {}

  std::optional<std::string> Compile() {
    if (!CheckCharacters()) return std::nullopt;
    SkipSpace();
    std::vector<std::string> steps;
    if (!ParseList(&steps, 0)) return std::nullopt;
    if (!AtEnd()) {
      Unexpected();
      return std::nullopt;
    }
    std::string out;
    for (const std::string& step : steps) {
      if (!out.empty()) out += " | ";
      out += ".//" + step;
    }
    return out;
  }

  const std::string& error() const { return error_; }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }

  bool SkipSpace() {
    const size_t start = pos_;
    while (!AtEnd() && IsCssSpace(Peek())) ++pos_;
    return pos_ > start;
  }

  bool Fail(std::string message, size_t pos) {
    if (error_.empty()) error_ = std::move(message) + " at position " + std::to_string(pos);
    return false;
  }

  bool Unexpected() {
    if (AtEnd()) return Fail("unexpected end of selector", pos_);
    const char c = Peek();
    if (c >= 0x21 && c <= 0x7E) return Fail(std::string("unexpected '") + c + "'", pos_);
    return Fail("unexpected character", pos_);
  }

  // The whole text must be UTF-8 made of XML characters, because it ends
  // up inside XPath string literals.
  bool CheckCharacters() {
    if (text_.size() > kMaxSelectorBytes) {
      return Fail("selector longer than " + std::to_string(kMaxSelectorBytes) + " bytes", kMaxSelectorBytes);
    }
    for (size_t pos = 0; pos < text_.size();) {
      const CodePoint cp = DecodeAt(text_, pos);
      if (!cp.valid) return Fail("invalid UTF-8", pos);
      if (!IsXmlChar(cp.value) && !IsCssSpace(text_[pos])) return Fail("control character", pos);
      pos += cp.length;
    }
    if (text_.find_first_not_of(" \t\r\n\f") == std::string_view::npos) return Fail("empty selector", 0);
    return true;
  }

  // selector-list: complex ("," complex)*, each compiled to one step.
  bool ParseList(std::vector<std::string>* steps, int depth) {
    for (;;) {
      std::string step;
      if (!ParseComplex(&step, depth)) return false;
      steps->push_back(std::move(step));
      SkipSpace();
      if (Peek() != ',') return true;
      ++pos_;
      SkipSpace();
      if (AtEnd() || Peek() == ',' || Peek() == ')') return Fail("expected a selector after ','", pos_);
    }
  }

  // complex: compound (combinator compound)*
  bool ParseComplex(std::string* step, int depth) {
    if (Peek() == '>' || Peek() == '+' || Peek() == '~') {
      return Fail(std::string("selector starts with the combinator '") + Peek() + "'", pos_);
    }
    std::string left;
    if (!ParseCompound(&left, depth, "")) return false;
    size_t compounds = 1;
    for (;;) {
      const size_t before_space = pos_;
      const bool spaced = SkipSpace();
      if (AtEnd() || Peek() == ',' || Peek() == ')') {
        pos_ = before_space;  // the caller skips it again
        break;
      }
      char combinator = ' ';
      if (Peek() == '>' || Peek() == '+' || Peek() == '~') {
        combinator = Peek();
        ++pos_;
        SkipSpace();
      } else if (!spaced) {
        return Unexpected();
      }
      if (++compounds > kMaxCompounds) {
        return Fail("more than " + std::to_string(kMaxCompounds) + " compound selectors in a row", pos_);
      }
      std::string right;
      if (!ParseCompound(&right, depth, std::string(1, combinator))) return false;
      switch (combinator) {
        case ' ': right += "[ancestor::" + left + "]"; break;
        case '>': right += "[parent::" + left + "]"; break;
        case '~': right += "[preceding-sibling::" + left + "]"; break;
        default: right += "[preceding-sibling::*[1]/self::" + left + "]"; break;
      }
      left = std::move(right);
    }
    *step = std::move(left);
    return true;
  }

  // compound: (type | "*")? (#id | .class | [attr] | :pseudo)*, not empty.
  // `after` is the combinator before it, for the error message.
  bool ParseCompound(std::string* step, int depth, const std::string& after) {
    const size_t start = pos_;
    std::string name_test = "*";
    std::string predicates;
    if (Peek() == '*') {
      ++pos_;
      if (Peek() == '|') return Fail("namespaces are not supported", pos_);
    } else if (StartsIdent()) {
      std::string name;
      if (!ParseIdent(&name)) return false;
      if (Peek() == '|') return Fail("namespaces are not supported", pos_);
      name = AsciiLower(std::move(name));  // the HTML parser lower-cases tag names
      if (IsPlainXPathName(name)) {
        name_test = name;
      } else {
        predicates += "[name()=" + XPathLiteral(name) + "]";
      }
    }
    for (;;) {
      const char c = Peek();
      std::string predicate;
      if (c == '#') {
        ++pos_;
        std::string id;
        if (!ParseName(&id)) return Fail("expected an id after '#'", pos_);
        predicate = "@id=" + XPathLiteral(id);
      } else if (c == '.') {
        ++pos_;
        if (!StartsIdent()) return Fail("expected a class name after '.'", pos_);
        std::string cls;
        if (!ParseIdent(&cls)) return false;
        predicate = TokenPredicate("@class", cls);
      } else if (c == '[') {
        if (!ParseAttribute(&predicate)) return false;
      } else if (c == ':') {
        if (!ParsePseudo(&predicate, depth)) return false;
      } else {
        break;
      }
      if (!predicate.empty()) predicates += "[" + predicate + "]";
    }
    if (pos_ == start) {
      const char c = Peek();
      const bool nothing = AtEnd() || c == ',' || c == ')';
      if (!after.empty() && (nothing || c == '>' || c == '+' || c == '~')) {
        return Fail("expected a selector after '" + after + "'", pos_);
      }
      return nothing ? Fail("expected a selector", pos_) : Unexpected();
    }
    *step = name_test + predicates;
    return true;
  }

  // "[" name (op value)? "]"
  bool ParseAttribute(std::string* predicate) {
    ++pos_;  // '['
    SkipSpace();
    if (!StartsIdent()) return Fail("expected an attribute name after '['", pos_);
    std::string name;
    if (!ParseIdent(&name)) return false;
    if (Peek() == '|' && Peek(1) != '=') return Fail("namespaces are not supported", pos_);
    // The HTML parser lower-cases attribute names too.
    const std::string ref = AttributeRef(AsciiLower(std::move(name)));
    SkipSpace();
    if (Peek() == ']') {
      ++pos_;
      *predicate = ref;
      return true;
    }
    char op = Peek();
    if (op == '=') {
      ++pos_;
    } else if ((op == '~' || op == '^' || op == '$' || op == '*' || op == '|') && Peek(1) == '=') {
      pos_ += 2;
    } else {
      return Fail("expected ']' or an operator such as '=' in the attribute selector", pos_);
    }
    SkipSpace();
    std::string value;
    if (Peek() == '"' || Peek() == '\'') {
      if (!ParseString(&value)) return false;
    } else if (!ParseName(&value)) {
      return Fail("expected a value in the attribute selector", pos_);
    }
    SkipSpace();
    if (StartsIdent()) return Fail("attribute selector flags are not supported", pos_);
    if (Peek() != ']') return Fail("expected ']'", pos_);
    ++pos_;
    const std::string literal = XPathLiteral(value);
    switch (op) {
      case '=':
        *predicate = ref + "=" + literal;
        break;
      case '~':
        *predicate = TokenPredicate(ref, value);
        break;
      case '^':
        *predicate = value.empty() ? "false()" : "starts-with(" + ref + ", " + literal + ")";
        break;
      case '$':
        // XPath 1.0 has no ends-with(); string-length counts characters as
        // substring() does, so multi-byte values work.
        *predicate = value.empty() ? "false()"
                                   : "substring(" + ref + ", string-length(" + ref + ") - string-length(" +
                                         literal + ") + 1)=" + literal;
        break;
      case '*':
        *predicate = value.empty() ? "false()" : "contains(" + ref + ", " + literal + ")";
        break;
      default:  // '|': the value or the value followed by '-', as in lang codes
        *predicate = "(" + ref + "=" + literal + " or starts-with(" + ref + ", " + XPathLiteral(value + "-") + "))";
        break;
    }
    return true;
  }

  // ":" name or ":" name "(" argument ")"
  bool ParsePseudo(std::string* predicate, int depth) {
    const size_t start = pos_;
    ++pos_;  // ':'
    if (Peek() == ':') return Fail("pseudo-elements are not supported", start);
    if (!StartsIdent()) return Fail("expected a pseudo-class name after ':'", pos_);
    std::string name;
    if (!ParseIdent(&name)) return false;
    name = AsciiLower(std::move(name));
    constexpr char kPosition[] = "count(preceding-sibling::*)";
    if (Peek() != '(') {
      if (name == "first-child") {
        *predicate = "not(preceding-sibling::*)";
      } else if (name == "last-child") {
        *predicate = "not(following-sibling::*)";
      } else {
        return Fail("unsupported pseudo-class ':" + name + "'", start);
      }
      return true;
    }
    ++pos_;  // '('
    SkipSpace();
    if (name == "nth-child") {
      const size_t arg_start = pos_;
      while (!AtEnd() && Peek() != ')') ++pos_;
      if (AtEnd()) return Fail("expected ')'", pos_);
      int64_t a = 0;
      int64_t b = 0;
      if (!ParseAnPlusB(text_.substr(arg_start, pos_ - arg_start), arg_start, &a, &b)) return false;
      ++pos_;  // ')'
      *predicate = NthPredicate(kPosition, a, b);
      return true;
    }
    if (name == "not") {
      if (depth >= kMaxNotDepth) return Fail("':not()' nested too deeply", start);
      if (AtEnd() || Peek() == ')') return Fail("expected a selector in ':not()'", pos_);
      std::vector<std::string> steps;
      if (!ParseList(&steps, depth + 1)) return false;
      SkipSpace();
      if (Peek() != ')') return AtEnd() ? Fail("expected ')'", pos_) : Unexpected();
      ++pos_;
      std::string any;
      for (const std::string& step : steps) {
        if (!any.empty()) any += " or ";
        any += "self::" + step;
      }
      *predicate = "not(" + any + ")";
      return true;
    }
    return Fail("unsupported pseudo-class ':" + name + "()'", start);
  }

  // an+b as CSS Syntax writes it: "odd", "even", "3", "-n+3", "2n - 1", ...
  bool ParseAnPlusB(std::string_view arg, size_t offset, int64_t* a, int64_t* b) {
    while (!arg.empty() && IsCssSpace(arg.back())) arg.remove_suffix(1);
    const std::string s = AsciiLower(std::string(arg));
    const auto fail = [&] { return Fail("expected an+b, 'odd' or 'even' in ':nth-child()'", offset); };
    if (s == "odd") {
      *a = 2, *b = 1;
      return true;
    }
    if (s == "even") {
      *a = 2, *b = 0;
      return true;
    }
    size_t i = 0;
    const auto number = [&](int64_t* out) {
      const size_t start = i;
      int64_t value = 0;
      while (i < s.size() && IsDigit(s[i])) {
        value = value * 10 + (s[i] - '0');
        if (value > kMaxNth) return false;
        ++i;
      }
      *out = value;
      return i > start;
    };
    int64_t sign = 1;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
    int64_t n = 0;
    const bool has_number = number(&n);
    if (i < s.size() && s[i] == 'n') {
      *a = sign * (has_number ? n : 1);
      ++i;
      while (i < s.size() && IsCssSpace(s[i])) ++i;
      if (i == s.size()) {
        *b = 0;
        return true;
      }
      if (s[i] != '+' && s[i] != '-') return fail();
      const int64_t b_sign = s[i++] == '-' ? -1 : 1;
      while (i < s.size() && IsCssSpace(s[i])) ++i;
      int64_t value = 0;
      if (!number(&value) || i != s.size()) return fail();
      *b = b_sign * value;
      return true;
    }
    if (!has_number || i != s.size()) return fail();
    *a = 0;
    *b = sign * n;
    return true;
  }

  // Whether the element is the (a*k + b)th child for some k >= 0, written
  // over k = `position` - 1 (the number of element siblings before it).
  static std::string NthPredicate(const std::string& position, int64_t a, int64_t b) {
    const int64_t first = b - 1;  // 0-based index the series is anchored at
    if (a == 0) return first < 0 ? "false()" : position + "=" + std::to_string(first);
    if (a > 0) {
      if (a == 1 && first <= 0) return "true()";
      std::string offset = first > 0   ? position + " - " + std::to_string(first)
                           : first < 0 ? position + " + " + std::to_string(-first)
                                       : position;
      std::string out = (first == 0 ? offset : "(" + offset + ")") + " mod " + std::to_string(a) + "=0";
      if (first > 0) out = position + ">=" + std::to_string(first) + " and " + out;
      return out;
    }
    if (first < 0) return "false()";
    std::string out = position + "<=" + std::to_string(first);
    if (a != -1) out += " and (" + std::to_string(first) + " - " + position + ") mod " + std::to_string(-a) + "=0";
    return out;
  }

  bool StartsEscape(size_t at) const {
    return at + 1 < text_.size() && text_[at] == '\\' && text_[at + 1] != '\n' && text_[at + 1] != '\r' &&
           text_[at + 1] != '\f';
  }

  // An identifier may start with '-' (or "--") but not with a digit.
  bool StartsIdent() const {
    size_t at = pos_;
    if (at < text_.size() && text_[at] == '-') {
      ++at;
      if (at < text_.size() && text_[at] == '-') return true;
    }
    return at < text_.size() && (IsNameStart(text_[at]) || StartsEscape(at));
  }

  // Reads the escape at pos_ ("\" then 1-6 hex digits and an optional
  // space, or "\" then any one character) into `out`.
  void ParseEscape(std::string* out) {
    ++pos_;  // '\'
    if (IsHexDigit(Peek())) {
      char32_t value = 0;
      for (int digits = 0; digits < 6 && IsHexDigit(Peek()); ++digits, ++pos_) {
        const char c = Peek();
        value = value * 16 + static_cast<char32_t>(IsDigit(c) ? c - '0' : (c | 0x20) - 'a' + 10);
      }
      if (Peek() == '\r' && Peek(1) == '\n') {
        pos_ += 2;
      } else if (IsCssSpace(Peek())) {
        ++pos_;
      }
      // What cannot go into XPath (NUL and other controls) becomes U+FFFD,
      // as CSS does for NUL.
      internal::AppendUtf8(*out, value != 0 && IsXmlChar(value) ? value : 0xFFFD);
      return;
    }
    const CodePoint cp = DecodeAt(text_, pos_);  // valid: checked up front
    out->append(text_.substr(pos_, cp.length));
    pos_ += cp.length;
  }

  // Name characters and escapes; true when at least one was read.
  bool ParseName(std::string* out) {
    const size_t start = pos_;
    while (!AtEnd()) {
      if (StartsEscape(pos_)) {
        ParseEscape(out);
      } else if (IsNameChar(Peek())) {
        out->push_back(Peek());
        ++pos_;
      } else {
        break;
      }
    }
    return pos_ > start;
  }

  // Call only when StartsIdent().
  bool ParseIdent(std::string* out) {
    if (!ParseName(out)) return Fail("expected an identifier", pos_);
    return true;
  }

  // A quoted string, with escapes; "\" before a newline continues the line.
  bool ParseString(std::string* out) {
    const size_t start = pos_;
    const char quote = Peek();
    ++pos_;
    for (;;) {
      if (AtEnd()) return Fail("unterminated string", start);
      const char c = Peek();
      if (c == quote) {
        ++pos_;
        return true;
      }
      if (c == '\n' || c == '\r' || c == '\f') return Fail("newline in string", pos_);
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) return Fail("unterminated string", start);
        const char next = Peek(1);
        if (next == '\r' && Peek(2) == '\n') {
          pos_ += 3;
        } else if (next == '\n' || next == '\r' || next == '\f') {
          pos_ += 2;
        } else {
          ParseEscape(out);
        }
        continue;
      }
      out->push_back(c);
      ++pos_;
    }
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::string error_;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// Compiled selectors, shared by all threads: plugins run the same handful
// of selectors on every page, and compiling costs more than the lookup.
class SelectorCache {
 public:
  std::optional<std::string> Get(std::string_view css) {
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (auto it = entries_.find(css); it != entries_.end()) return it->second;
    }
    // Compiled outside the lock so threads do not wait on each other; two
    // threads may compile the same selector once each, which is harmless.
    std::optional<std::string> xpath = CssToXPath(css);
    const std::lock_guard<std::mutex> lock(mutex_);
    // A plugin that builds selectors from page data would otherwise grow
    // the cache without bound; starting over is simple and rarely needed.
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_.emplace(std::string(css), xpath);
    return xpath;
  }

 private:
  static constexpr size_t kMaxEntries = 1024;

  std::mutex mutex_;  // guards entries_
  std::unordered_map<std::string, std::optional<std::string>, StringHash, std::equal_to<>> entries_;
};

std::optional<std::string> CachedXPath(std::string_view css) {
  // Never destroyed, so that threads still running at exit can use it.
  static auto* const cache = new SelectorCache;
  return cache->Get(css);
}

}  // namespace

std::optional<std::string> CssToXPath(std::string_view selector, std::string* error) {
  Compiler compiler(selector);
  std::optional<std::string> xpath = compiler.Compile();
  if (error != nullptr) *error = xpath ? "" : compiler.error();
  return xpath;
}

// Node's CSS queries live here, beside the cache they use.

std::vector<Node> Node::SelectCss(std::string_view css) const {
  const std::optional<std::string> xpath = CachedXPath(css);
  if (!xpath) return {};
  return Select(*xpath);
}

std::optional<Node> Node::SelectCssFirst(std::string_view css) const {
  const std::optional<std::string> xpath = CachedXPath(css);
  if (!xpath) return std::nullopt;
  // "(...)[1]" is the first in document order across the whole union, and
  // lets libxml2 stop early.
  return SelectFirst("(" + *xpath + ")[1]");
}

}  // namespace newshound::sdk
