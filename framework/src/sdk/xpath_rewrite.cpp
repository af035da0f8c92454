#include "xpath_rewrite.h"

#include <cstddef>

namespace newshound::sdk::internal {
namespace {

bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

// The end of the string literal that starts at `i` (one past its closing
// quote), or npos when it is not closed.
size_t LiteralEnd(std::string_view x, size_t i) {
  const size_t close = x.find(x[i], i + 1);
  return close == std::string_view::npos ? close : close + 1;
}

// The index of the ']' that closes the '[' at `open`, or npos.
size_t PredicateEnd(std::string_view x, size_t open) {
  int depth = 0;
  for (size_t i = open; i < x.size();) {
    const char c = x[i];
    if (c == '\'' || c == '"') {
      i = LiteralEnd(x, i);
      if (i == std::string_view::npos) return i;
      continue;
    }
    if (c == '[') ++depth;
    if (c == ']' && --depth == 0) return i;
    ++i;
  }
  return std::string_view::npos;
}

bool IsNumberFunction(std::string_view name) {
  return name == "count" || name == "last" || name == "position" || name == "sum" || name == "floor" ||
         name == "ceiling" || name == "round" || name == "number" || name == "string-length";
}

// Whether the predicate's value could be a number (then it selects by
// position). Without number literals, variables, arithmetic and number
// functions, an XPath 1.0 expression is a node-set, a string or a boolean.
bool MayBePositional(std::string_view p) {
  char previous = ' ';  // the last character outside literals and blanks
  for (size_t i = 0; i < p.size();) {
    const char c = p[i];
    if (c == '\'' || c == '"') {
      i = LiteralEnd(p, i);
      if (i == std::string_view::npos) return true;
      previous = '\'';
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (IsNameStart(c)) {
      size_t end = i;
      while (end < p.size() && (IsNameChar(p[end]) || (p[end] == ':' && end + 1 < p.size() && p[end + 1] != ':'))) {
        ++end;
      }
      const std::string_view name = p.substr(i, end - i);
      size_t after = end;
      while (after < p.size() && p[after] == ' ') ++after;
      if (after < p.size() && p[after] == '(' && IsNumberFunction(name)) return true;
      // "div" and "mod" are operators where an operand came before them.
      if ((name == "div" || name == "mod") && previous != ' ' && previous != '(' && previous != '[' &&
          previous != '/' && previous != ':' && previous != '@' && previous != ',') {
        return true;
      }
      previous = 'a';
      i = end;
      continue;
    }
    if ((c >= '0' && c <= '9') || c == '$' || c == '+') return true;
    if (c == '-') return true;  // a minus outside a name
    // '*' multiplies after an operand; elsewhere it is a name test.
    if (c == '*' && (previous == 'a' || previous == ')' || previous == ']' || previous == '\'' || previous == '.')) {
      return true;
    }
    previous = c;
    ++i;
  }
  return false;
}

}  // namespace

std::string RewriteDescendantSteps(std::string_view x) {
  std::string out;
  out.reserve(x.size() + 32);
  for (size_t i = 0; i < x.size();) {
    const char c = x[i];
    if (c == '\'' || c == '"') {
      const size_t end = LiteralEnd(x, i);
      if (end == std::string_view::npos) return std::string(x);  // let libxml2 report it
      out.append(x.substr(i, end - i));
      i = end;
      continue;
    }
    if (c != '/' || i + 1 >= x.size() || x[i + 1] != '/') {
      out.push_back(c);
      ++i;
      continue;
    }
    // "//" then a name test: "*", "name", "prefix:name" or a node type test.
    const size_t step = i + 2;
    size_t end = step;
    if (end < x.size() && x[end] == '*') {
      ++end;
    } else if (end < x.size() && IsNameStart(x[end])) {
      while (end < x.size() && (IsNameChar(x[end]) || (x[end] == ':' && end + 1 < x.size() && x[end + 1] != ':'))) {
        ++end;
      }
      const std::string_view name = x.substr(step, end - step);
      if (end + 1 < x.size() && x[end] == ':' && x[end + 1] == ':') end = step;  // an axis: left alone
      if (end < x.size() && x[end] == '(') {
        end = (name == "node" || name == "text" || name == "comment") && end + 1 < x.size() && x[end + 1] == ')'
                  ? end + 2
                  : step;
      }
    }
    bool rewrite = end != step;
    // Every predicate of the step, blanks between them allowed.
    const auto skip_blanks = [&](size_t p) {
      while (p < x.size() && (x[p] == ' ' || x[p] == '\t' || x[p] == '\n' || x[p] == '\r')) ++p;
      return p;
    };
    for (size_t p = skip_blanks(end); rewrite && p < x.size() && x[p] == '[';) {
      const size_t close = PredicateEnd(x, p);
      if (close == std::string_view::npos || MayBePositional(x.substr(p + 1, close - p - 1))) rewrite = false;
      p = close == std::string_view::npos ? x.size() : skip_blanks(close + 1);
    }
    if (rewrite) {
      // The predicates follow as written, and any "//" inside them is
      // looked at in turn.
      out.append("/descendant::");
      out.append(x.substr(step, end - step));
      i = end;
    } else {
      out.append("//");
      i = step;
    }
  }
  return out;
}

}  // namespace newshound::sdk::internal
