#include "script.h"

#include <array>
#include <span>

#include "compression.h"

namespace newshound::outlet {
namespace {

// One character of a spec, and whether a backslash made it literal (so it
// cannot act as a separator or as the prefix star).
struct Char {
  char c;
  bool escaped;
};
using Text = std::vector<Char>;
using Span = std::span<const Char>;

// Resolves backslash escapes; false for a lone backslash at the end.
bool Tokenize(std::string_view spec, Text& out) {
  for (std::size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] != '\\') {
      out.push_back({spec[i], false});
    } else if (i + 1 < spec.size()) {
      out.push_back({spec[++i], true});
    } else {
      return false;
    }
  }
  return true;
}

bool IsOperator(const Char& ch, char op) { return !ch.escaped && ch.c == op; }

// Index of the first unescaped `op`, or text.size().
std::size_t Find(Span text, char op) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (IsOperator(text[i], op)) return i;
  }
  return text.size();
}

std::vector<Span> Split(Span text, char op) {
  std::vector<Span> parts;
  for (;;) {
    std::size_t at = Find(text, op);
    parts.push_back(text.first(at));
    if (at == text.size()) return parts;
    text = text.subspan(at + 1);
  }
}

std::string ToString(Span text) {
  std::string out;
  for (const Char& ch : text) out += ch.c;
  return out;
}

bool IsBlank(const Char& ch) {
  return !ch.escaped && (ch.c == ' ' || ch.c == '\t');
}

Span Trim(Span text) {
  while (!text.empty() && IsBlank(text.front())) text = text.subspan(1);
  while (!text.empty() && IsBlank(text.back())) {
    text = text.first(text.size() - 1);
  }
  return text;
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

// RFC 9110 token characters, the alphabet of header names.
bool IsTokenChar(char c) {
  return IsAlnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(c) !=
                           std::string_view::npos;
}

bool IsValidHost(std::string_view host) {
  if (host.empty()) return false;
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return false;
    for (char c : host.substr(1, host.size() - 2)) {
      bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      if (!hex && c != ':' && c != '.') return false;
    }
    return true;
  }
  for (char c : host) {
    if (!IsAlnum(c) && c != '-' && c != '.' && c != '_') return false;
  }
  return true;
}

bool ParsePattern(Span pattern, ScriptRule& rule, std::string& error) {
  if (pattern.empty()) {
    error = "empty pattern before '='";
    return false;
  }
  Span path = pattern;
  if (pattern.front().c != '/') {
    std::size_t at = Find(pattern, '@');
    if (at == pattern.size()) {
      error = "the pattern must be a path starting with '/', or HOST@PATH";
      return false;
    }
    for (char c : ToString(pattern.first(at))) rule.host += Lower(c);
    if (!IsValidHost(rule.host)) {
      error = "bad host '" + ToString(pattern.first(at)) +
              "' before '@' (a DNS name, IPv4 address or [IPv6], no port)";
      return false;
    }
    path = pattern.subspan(at + 1);
    if (path.empty() || path.front().c != '/') {
      error = "the path after '@' must start with '/'";
      return false;
    }
  }
  if (IsOperator(path.back(), '*')) {
    rule.prefix = true;
    path = path.first(path.size() - 1);
  }
  for (const Char& ch : path) {
    auto u = static_cast<unsigned char>(ch.c);
    if (IsOperator(ch, '*')) {
      error = "'*' marks a prefix only at the end of the path (write \\* "
              "for a literal star)";
      return false;
    }
    if (u <= 0x20 || u >= 0x7f) {
      error = "the path holds a space, control or non-ASCII character; "
              "write it percent-encoded, as the client sends it";
      return false;
    }
    if (ch.c == '?' || ch.c == '#') {
      error = "the path holds '?' or '#'; the query is not matched, leave "
              "it out";
      return false;
    }
  }
  rule.path = ToString(path);
  return true;
}

// The "+Name:Value" parts of a step (parts[0] is the step itself).
bool ParseStepHeaders(const std::vector<Span>& parts, Span text,
                      ScriptStep& step, std::string& error) {
  static constexpr std::array<std::string_view, 3> kFraming = {
      "content-length", "transfer-encoding", "connection"};
  for (std::size_t i = 1; i < parts.size(); ++i) {
    Span header = parts[i];
    std::size_t colon = Find(header, ':');
    std::string name = ToString(header.first(colon));
    if (colon == header.size()) {
      error = "header '" + ToString(header) + "' in step '" +
              ToString(text) + "' lacks ':' (expected +Name:Value)";
      return false;
    }
    bool token = !name.empty();
    for (char c : name) token = token && IsTokenChar(c);
    if (!token) {
      error = "bad header name '" + name + "' in step '" + ToString(text) + "'";
      return false;
    }
    std::string lower;
    for (char c : name) lower += Lower(c);
    for (std::string_view framing : kFraming) {
      if (lower == framing) {
        error = "header '" + name + "' is set by the server, not by a script";
        return false;
      }
    }
    std::string value = ToString(Trim(header.subspan(colon + 1)));
    for (char c : value) {
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) {
        error = "control character in the value of header '" + name + "'";
        return false;
      }
    }
    step.headers.emplace_back(std::move(name), std::move(value));
  }
  return true;
}

constexpr char kStepList[] =
    "expected a status 200-599, serve, close, stall, reset, reset-body, "
    "short, drip[:RATE], bad-chunk, bad-header, bad-charset, huge:SIZE, "
    "bomb:SIZE, deep:DEPTH, or ... or ~ at the end";

// The fastest drip: beyond it a "slow" response is not slow any more, and
// the pacing arithmetic stays far from overflow.
constexpr std::uint64_t kMaxDripRate = std::uint64_t{1} << 30;
constexpr std::uint64_t kMaxDepth = 1000000000;

struct StepName {
  std::string_view name;
  ScriptStep::Kind kind;
  bool takes_headers;  // whether the step sends a response
};

constexpr std::array<StepName, 13> kStepNames = {{
    {"serve", ScriptStep::Kind::kServe, true},
    {"close", ScriptStep::Kind::kClose, false},
    {"stall", ScriptStep::Kind::kStall, false},
    {"reset", ScriptStep::Kind::kReset, false},
    {"reset-body", ScriptStep::Kind::kResetBody, true},
    {"short", ScriptStep::Kind::kShort, true},
    {"drip", ScriptStep::Kind::kDrip, true},
    {"bad-chunk", ScriptStep::Kind::kBadChunk, true},
    {"bad-header", ScriptStep::Kind::kBadHeader, true},
    {"bad-charset", ScriptStep::Kind::kBadCharset, true},
    {"huge", ScriptStep::Kind::kHuge, true},
    {"bomb", ScriptStep::Kind::kBomb, true},
    {"deep", ScriptStep::Kind::kDeep, true},
}};

// The ":ARG" of drip, huge, bomb and deep (`argument` without the colon,
// `has_argument` false when there was none); every other step takes none.
bool ParseStepArgument(const StepName& name, bool has_argument,
                       std::string_view argument, std::string_view text,
                       ScriptStep& step, std::string& error) {
  const std::string quoted = "'" + std::string(text) + "'";
  switch (name.kind) {
    case ScriptStep::Kind::kDrip: {
      if (!has_argument) {
        step.amount = 1;
        return true;
      }
      std::optional<std::uint64_t> rate = ParseByteSize(argument);
      if (!rate || *rate == 0 || *rate > kMaxDripRate) {
        error = "bad rate in step " + quoted +
                ": expected drip:BYTES_PER_SECOND, 1 to 1GiB (e.g. drip:1, "
                "drip:10KiB)";
        return false;
      }
      step.amount = *rate;
      return true;
    }
    case ScriptStep::Kind::kHuge:
    case ScriptStep::Kind::kBomb: {
      std::optional<std::uint64_t> size =
          has_argument ? ParseByteSize(argument) : std::nullopt;
      if (!size) {
        error = "bad size in step " + quoted + ": expected " +
                std::string(name.name) +
                ":SIZE, bytes or a number with KiB, MiB or GiB (e.g. " +
                std::string(name.name) + ":1GiB)";
        return false;
      }
      step.amount = *size;
      return true;
    }
    case ScriptStep::Kind::kDeep: {
      bool digits = has_argument && !argument.empty() && argument.size() <= 10;
      for (char c : argument) digits = digits && c >= '0' && c <= '9';
      std::uint64_t depth = digits ? std::stoull(std::string(argument)) : 0;
      if (depth == 0 || depth > kMaxDepth) {
        error = "bad depth in step " + quoted +
                ": expected deep:DEPTH, 1 to 1000000000 (e.g. deep:100000)";
        return false;
      }
      step.amount = depth;
      return true;
    }
    default:
      if (has_argument) {
        error = "step " + quoted + ": '" + std::string(name.name) +
                "' takes no ':' argument";
        return false;
      }
      return true;
  }
}

// One step other than "..." and "~".
bool ParseStep(Span text, ScriptStep& step, std::string& error) {
  std::vector<Span> parts = Split(text, '+');
  std::string word = ToString(Trim(parts[0]));
  const std::size_t colon = word.find(':');
  const std::string_view name_part = std::string_view(word).substr(0, colon);
  for (const StepName& name : kStepNames) {
    if (name_part != name.name) continue;
    step.kind = name.kind;
    const bool has_argument = colon != std::string::npos;
    const std::string_view argument =
        has_argument ? std::string_view(word).substr(colon + 1)
                     : std::string_view();
    if (!ParseStepArgument(name, has_argument, argument, ToString(text), step,
                           error)) {
      return false;
    }
    if (!name.takes_headers && parts.size() > 1) {
      error = "step '" + ToString(text) + "': '" + std::string(name.name) +
              "' sends no response, so it takes no +Name:Value headers";
      return false;
    }
    return ParseStepHeaders(parts, text, step, error);
  }
  bool digits = word.size() == 3;
  for (char c : word) digits = digits && c >= '0' && c <= '9';
  if (!digits || word < "200" || word > "599") {
    error = "bad step '" + ToString(text) + "': " + kStepList;
    return false;
  }
  step.kind = ScriptStep::Kind::kStatus;
  step.status = static_cast<unsigned>(std::stoul(word));
  return ParseStepHeaders(parts, text, step, error);
}

bool ParseSteps(Span text, ScriptRule& rule, std::string& error) {
  std::vector<Span> parts = Split(text, ',');
  for (std::size_t i = 0; i < parts.size(); ++i) {
    Span part = Trim(parts[i]);
    std::string word = ToString(part);
    if (part.empty()) {
      error = parts.size() == 1 ? "no steps after '='"
                                : "empty step " + std::to_string(i + 1);
      return false;
    }
    if (word == "..." || word == "~") {
      if (i == 0) {
        error = word == "..."
                    ? "'...' repeats the step before it, so it cannot come "
                      "first"
                    : "'~' starts the script again after the steps before "
                      "it, so it cannot come first";
        return false;
      }
      if (i + 1 != parts.size()) {
        error = "'" + word + "' must be the last step";
        return false;
      }
      (word == "..." ? rule.repeat_last : rule.loop) = true;
      continue;
    }
    ScriptStep step;
    if (!ParseStep(part, step, error)) return false;
    rule.steps.push_back(std::move(step));
  }
  return true;
}

}  // namespace

bool ScriptRule::Matches(std::string_view request_host,
                         std::string_view request_path) const {
  if (!host.empty() && request_host != host) return false;
  return prefix ? request_path.starts_with(path) : request_path == path;
}

const ScriptStep* ScriptRule::StepAt(std::size_t index) const {
  if (loop && !steps.empty()) return &steps[index % steps.size()];
  if (index < steps.size()) return &steps[index];
  if (repeat_last && !steps.empty()) return &steps.back();
  return nullptr;
}

std::optional<ScriptRule> ParseScriptRule(std::string_view spec,
                                          std::string& error) {
  Text text;
  if (!Tokenize(spec, text)) {
    error = "ends in a lone backslash";
    return std::nullopt;
  }
  Span all(text);
  std::size_t equals = Find(all, '=');
  if (equals == all.size()) {
    error = "expected PATTERN=STEP[,STEP...]";
    return std::nullopt;
  }
  ScriptRule rule;
  rule.spec = std::string(spec);
  if (!ParsePattern(all.first(equals), rule, error) ||
      !ParseSteps(all.subspan(equals + 1), rule, error)) {
    return std::nullopt;
  }
  return rule;
}

std::string HostWithoutPort(std::string_view host_header) {
  std::string_view host = host_header;
  if (host.starts_with('[')) {
    std::size_t close = host.find(']');
    if (close != std::string_view::npos) host = host.substr(0, close + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  std::string out;
  for (char c : host) out += Lower(c);
  return out;
}

}  // namespace newshound::outlet
