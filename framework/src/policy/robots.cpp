#include "newshound/robots.h"

#include <algorithm>
#include <cstdint>

#include "newshound/url.h"

namespace newshound {
namespace {

using std::chrono::milliseconds;

// Diagnostics are for a person reading a log; a hostile 500 KiB file could
// otherwise produce a quarter of a million of them.
constexpr size_t kMaxWarnings = 100;
// Quoted input in a warning is cut to this many bytes for the same reason.
constexpr size_t kMaxQuotedBytes = 60;
// A Crawl-delay longer than a day is clamped: RFC 9309 2.4 has crawlers
// refetch robots.txt at least daily, so a longer delay cannot be honoured as
// written anyway, and the clamp keeps the arithmetic far from overflow.
constexpr milliseconds kMaxCrawlDelay{24LL * 60 * 60 * 1000};

constexpr char kHex[] = "0123456789ABCDEF";

bool IsWhitespace(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsWhitespace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsWhitespace(s.back())) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ToLower(c);
  return out;
}

// RFC 3986 unreserved characters: the only ones whose %XX form is decoded,
// because only for them are the encoded and plain forms the same URI.
bool IsUnreserved(unsigned char c) {
  return IsAlpha(static_cast<char>(c)) || IsDigit(static_cast<char>(c)) || c == '-' || c == '.' ||
         c == '_' || c == '~';
}

// Characters that may appear literally in a URI (unreserved and reserved).
// '%' is handled by the caller.
bool IsUriChar(unsigned char c) {
  if (IsUnreserved(c)) return true;
  switch (c) {
    case ':': case '/': case '?': case '#': case '[': case ']': case '@':
    case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=':
      return true;
    default:
      return false;
  }
}

void AppendEscaped(std::string& out, unsigned char c) {
  out += '%';
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

// The one form both a rule's pattern and a URL's path are brought to before
// comparing (RFC 9309 2.2.2): %XX of an unreserved character decoded, other
// escapes upper-cased, non-ASCII octets and characters outside the URI set
// (including a '%' that starts no escape) percent-encoded.
//
// '*' and '$' are the pattern language's wildcard and end anchor, so in a
// pattern '*' and a final '$' stay special and a '$' elsewhere is literal; in
// a path both are literal. A literal '*' or '$' is written %2A / %24 on both
// sides, which is how RFC 9309 2.2.3 lets a rule match them verbatim.
std::string NormalizeForMatch(std::string_view in, bool is_pattern) {
  std::string out;
  out.reserve(in.size() + in.size() / 4);
  for (size_t i = 0; i < in.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    if (c == '%') {
      const int hi = i + 2 < in.size() ? HexValue(in[i + 1]) : -1;
      const int lo = hi >= 0 ? HexValue(in[i + 2]) : -1;
      if (lo < 0) {
        out += "%25";
        continue;
      }
      const unsigned char decoded = static_cast<unsigned char>(hi * 16 + lo);
      if (IsUnreserved(decoded)) {
        out += static_cast<char>(decoded);
      } else {
        AppendEscaped(out, decoded);
      }
      i += 2;
    } else if (c == '*') {
      if (is_pattern) {
        out += '*';
      } else {
        out += "%2A";
      }
    } else if (c == '$') {
      if (is_pattern && i + 1 == in.size()) {
        out += '$';
      } else {
        out += "%24";
      }
    } else if (c >= 0x80 || !IsUriChar(c)) {
      AppendEscaped(out, c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Whether a normalized `pattern` matches `path` from its first octet: '*'
// matches any run of octets, a final '$' requires the path to end there.
//
// Each '*'-free segment is placed at its leftmost occurrence after the
// previous one; leftmost placement leaves the most path for what follows, so
// it finds a match whenever one exists, without backtracking. Cost is that of
// one substring search per segment, however many '*' the pattern has.
bool PatternMatches(std::string_view pattern, std::string_view path) {
  const bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);
  const size_t first_star = pattern.find('*');
  if (first_star == std::string_view::npos) {
    return anchored ? path == pattern : path.substr(0, pattern.size()) == pattern;
  }
  const std::string_view head = pattern.substr(0, first_star);
  if (path.substr(0, head.size()) != head) return false;
  size_t pos = head.size();

  std::string_view rest = pattern.substr(first_star + 1);
  const size_t last_star = rest.rfind('*');
  std::string_view middle;
  std::string_view tail = rest;
  if (last_star != std::string_view::npos) {
    middle = rest.substr(0, last_star);
    tail = rest.substr(last_star + 1);
  }
  while (true) {
    const size_t star = middle.find('*');
    const std::string_view segment = middle.substr(0, star);
    if (!segment.empty()) {
      const size_t at = path.find(segment, pos);
      if (at == std::string_view::npos) return false;
      pos = at + segment.size();
    }
    if (star == std::string_view::npos) break;
    middle.remove_prefix(star + 1);
  }
  if (anchored) {
    return path.size() - pos >= tail.size() && path.substr(path.size() - tail.size()) == tail;
  }
  return tail.empty() || path.find(tail, pos) != std::string_view::npos;
}

// The crawler's product token: what precedes the first '/' or whitespace of
// its User-Agent (or the token itself), lower-cased for comparison.
std::string CrawlerToken(std::string_view user_agent) {
  user_agent = Trim(user_agent);
  size_t end = 0;
  while (end < user_agent.size() && user_agent[end] != '/' && !IsWhitespace(user_agent[end])) ++end;
  return Lower(user_agent.substr(0, end));
}

// Input quoted in a warning: printable ASCII only, and short, because the
// text comes from an untrusted file and ends up in logs.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < kMaxQuotedBytes; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
  }
  if (s.size() > kMaxQuotedBytes) out += "...";
  out += '\'';
  return out;
}

// "10", "0.5", ".5", "5.": seconds, at most millisecond precision (further
// digits are dropped). Anything else, including a sign, is not a delay.
std::optional<milliseconds> ParseSeconds(std::string_view v) {
  size_t i = 0;
  bool any_digit = false;
  int64_t seconds = 0;
  for (; i < v.size() && IsDigit(v[i]); ++i) {
    any_digit = true;
    // Saturate instead of overflowing; anything this big is clamped later.
    if (seconds < 1'000'000'000) seconds = seconds * 10 + (v[i] - '0');
  }
  int64_t millis = 0;
  if (i < v.size() && v[i] == '.') {
    ++i;
    int places = 0;
    for (; i < v.size() && IsDigit(v[i]); ++i) {
      any_digit = true;
      if (places < 3) {
        millis = millis * 10 + (v[i] - '0');
        ++places;
      }
    }
    for (; places < 3; ++places) millis *= 10;
  }
  if (!any_digit || i != v.size()) return std::nullopt;
  return milliseconds(seconds * 1000 + millis);
}

enum class Key { kUserAgent, kAllow, kDisallow, kCrawlDelay, kSitemap, kUnknown };

// Keys are compared case-insensitively and whole. The misspellings are the
// ones google/robotstxt accepts, because site owners write them and mean the
// obvious thing (RFC 9309 2.2.4 allows this leniency).
Key ClassifyKey(std::string_view raw) {
  const std::string key = Lower(raw);
  if (key == "user-agent" || key == "useragent" || key == "user agent") return Key::kUserAgent;
  if (key == "allow") return Key::kAllow;
  if (key == "disallow" || key == "dissallow" || key == "dissalow" || key == "disalow" ||
      key == "diasllow" || key == "disallaw") {
    return Key::kDisallow;
  }
  if (key == "crawl-delay" || key == "crawldelay") return Key::kCrawlDelay;
  if (key == "sitemap" || key == "site-map") return Key::kSitemap;
  return Key::kUnknown;
}

}  // namespace

// Builds a RobotsRules line by line. A group is a run of user-agent lines
// plus the group lines (allow, disallow, crawl-delay) after it; the next
// user-agent line after a group line starts a new group. Sitemap and unknown
// lines are invisible to grouping (RFC 9309 2.2.4: they must not interfere),
// and so are blank and comment lines (the 2.2 grammar allows them anywhere).
class RobotsRules::Parser {
 public:
  explicit Parser(RobotsRules* out) : out_(out) {}

  void Run(std::string_view body) {
    std::string_view text = body.substr(0, kMaxParseBytes);
    if (body.size() > kMaxParseBytes) {
      // A line cut by the limit is dropped too: a truncated "Allow: /a/b"
      // would read as "Allow: /a" and open more than the site allowed.
      const char next = body[kMaxParseBytes];
      const bool cut_mid_line = next != '\n' && next != '\r' && text.back() != '\n' && text.back() != '\r';
      if (cut_mid_line) {
        const size_t last_end = text.find_last_of("\r\n");
        text = text.substr(0, last_end == std::string_view::npos ? 0 : last_end + 1);
      }
    }
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    if (text.substr(0, kBom.size()) == kBom) text.remove_prefix(kBom.size());

    size_t line_number = 0;
    size_t start = 0;
    while (start < text.size()) {
      size_t end = start;
      while (end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
      HandleLine(++line_number, text.substr(start, end - start));
      if (end < text.size() && text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n') ++end;
      start = end + 1;
    }

    if (dropped_warnings_ > 0) {
      out_->warnings_.push_back(std::to_string(dropped_warnings_) + " more warnings not recorded");
    }
    const size_t ignored = body.size() - (text.data() + text.size() - body.data());
    if (ignored > 0) {
      out_->warnings_.push_back("ignored the last " + std::to_string(ignored) +
                                " bytes: past the 500 KiB parse limit");
    }
  }

 private:
  void HandleLine(size_t line_number, std::string_view line) {
    line = Trim(line.substr(0, line.find('#')));
    if (line.empty()) return;

    std::string_view key;
    std::string_view value;
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      key = Trim(line.substr(0, colon));
      value = Trim(line.substr(colon + 1));
    } else {
      // "Disallow /x": a forgotten colon is read as a separator when the line
      // is exactly two words, as google/robotstxt does.
      const auto space = std::find_if(line.begin(), line.end(), IsWhitespace);
      value = Trim(line.substr(space - line.begin()));
      if (value.empty() || std::find_if(value.begin(), value.end(), IsWhitespace) != value.end()) {
        Warn(line_number, "no ':' after the key; line skipped");
        return;
      }
      key = line.substr(0, space - line.begin());
    }
    if (key.empty()) {
      Warn(line_number, "empty key; line skipped");
      return;
    }

    switch (ClassifyKey(key)) {
      case Key::kUserAgent: HandleUserAgent(line_number, value); break;
      case Key::kAllow: HandleRule(line_number, /*allow=*/true, value); break;
      case Key::kDisallow: HandleRule(line_number, /*allow=*/false, value); break;
      case Key::kCrawlDelay: HandleCrawlDelay(line_number, value); break;
      case Key::kSitemap: HandleSitemap(line_number, value); break;
      case Key::kUnknown: Warn(line_number, "unknown key " + Quote(key) + "; line skipped"); break;
    }
  }

  void HandleUserAgent(size_t line_number, std::string_view value) {
    if (!in_agent_run_) {
      out_->groups_.emplace_back();
      current_group_ = out_->groups_.size() - 1;
      in_agent_run_ = true;
    }
    // "*" alone, or followed by more words, names every crawler.
    if (!value.empty() && value[0] == '*' && (value.size() == 1 || IsWhitespace(value[1]))) {
      AddIndex(out_->global_groups_);
      return;
    }
    // The product token is the value's leading run of [a-zA-Z_-] (RFC 9309
    // 2.2.1); "Googlebot/2.1" names Googlebot.
    size_t end = 0;
    while (end < value.size() && (IsAlpha(value[end]) || value[end] == '_' || value[end] == '-')) ++end;
    if (end == 0) {
      // Still a user-agent line, so it still delimits groups; it just names
      // no crawler.
      Warn(line_number, "user-agent " + Quote(value) + " has no product token; it matches no crawler");
      return;
    }
    AddIndex(out_->groups_by_agent_[Lower(value.substr(0, end))]);
  }

  void HandleRule(size_t line_number, bool allow, std::string_view value) {
    if (!StartGroupLine(line_number)) return;
    // An empty pattern matches nothing: "Disallow:" disallows nothing.
    if (value.empty()) return;
    if (value[0] != '/' && value[0] != '*') {
      Warn(line_number,
           "pattern " + Quote(value) + " starts with neither '/' nor '*' and can never match; skipped");
      return;
    }
    out_->groups_[current_group_].rules.push_back(Rule{NormalizeForMatch(value, true), allow});
  }

  void HandleCrawlDelay(size_t line_number, std::string_view value) {
    if (!StartGroupLine(line_number)) return;
    std::optional<milliseconds> delay = ParseSeconds(value);
    if (!delay) {
      Warn(line_number, "crawl-delay " + Quote(value) + " is not a number of seconds; skipped");
      return;
    }
    if (*delay > kMaxCrawlDelay) {
      Warn(line_number, "crawl-delay " + Quote(value) + " is over a day; clamped to 86400 seconds");
      delay = kMaxCrawlDelay;
    }
    auto& current = out_->groups_[current_group_].crawl_delay;
    if (!current || *current < *delay) current = delay;
  }

  void HandleSitemap(size_t line_number, std::string_view value) {
    if (!ParseHttpUrl(value).ok()) {
      Warn(line_number, "sitemap " + Quote(value) + " is not an absolute http(s) URL; skipped");
      return;
    }
    out_->sitemaps_.emplace_back(value);
  }

  // Allow, disallow and crawl-delay belong to the group being built; before
  // any user-agent line there is none (RFC 9309 2.2.2: such rules are ignored).
  bool StartGroupLine(size_t line_number) {
    if (!in_agent_run_ && out_->groups_.empty()) {
      Warn(line_number, "rule before any user-agent line; skipped");
      return false;
    }
    in_agent_run_ = false;
    return true;
  }

  // Records that the current group applies to an agent, once.
  void AddIndex(std::vector<size_t>& indexes) {
    if (indexes.empty() || indexes.back() != current_group_) indexes.push_back(current_group_);
  }

  void Warn(size_t line_number, std::string reason) {
    if (out_->warnings_.size() >= kMaxWarnings) {
      ++dropped_warnings_;
      return;
    }
    out_->warnings_.push_back("line " + std::to_string(line_number) + ": " + std::move(reason));
  }

  RobotsRules* out_;
  size_t current_group_ = 0;
  bool in_agent_run_ = false;  // the last group line seen was a user-agent line
  size_t dropped_warnings_ = 0;
};

RobotsRules RobotsRules::Parse(std::string_view body) {
  RobotsRules rules;
  Parser(&rules).Run(body);
  return rules;
}

RobotsRules RobotsRules::AllowAll() { return RobotsRules(); }

RobotsRules RobotsRules::DisallowAll() {
  RobotsRules rules;
  rules.groups_.push_back(Group{{Rule{"/", false}}, std::nullopt});
  rules.global_groups_.push_back(0);
  return rules;
}

const std::vector<size_t>* RobotsRules::GroupsFor(std::string_view user_agent) const {
  const std::string token = CrawlerToken(user_agent);
  if (!token.empty()) {
    auto it = groups_by_agent_.find(token);
    if (it != groups_by_agent_.end()) return &it->second;
  }
  if (!global_groups_.empty()) return &global_groups_;
  return nullptr;
}

bool RobotsRules::IsAllowed(std::string_view user_agent, std::string_view path_and_query) const {
  // The fragment never reaches the server, so it takes no part in matching.
  path_and_query = path_and_query.substr(0, path_and_query.find('#'));
  std::string path = NormalizeForMatch(path_and_query, /*is_pattern=*/false);
  if (path.empty() || path[0] != '/') path.insert(0, "/");
  // RFC 9309 2.2.2: /robots.txt is implicitly allowed.
  if (std::string_view(path).substr(0, path.find('?')) == "/robots.txt") return true;

  const std::vector<size_t>* groups = GroupsFor(user_agent);
  if (groups == nullptr) return true;
  // Longest pattern wins; on a tie Allow wins. Stored patterns are never
  // empty, so 0 means "no rule matched".
  size_t longest_allow = 0;
  size_t longest_disallow = 0;
  for (size_t index : *groups) {
    for (const Rule& rule : groups_[index].rules) {
      size_t& longest = rule.allow ? longest_allow : longest_disallow;
      if (rule.pattern.size() > longest && PatternMatches(rule.pattern, path)) {
        longest = rule.pattern.size();
      }
    }
  }
  return longest_disallow <= longest_allow;
}

std::optional<std::chrono::milliseconds> RobotsRules::CrawlDelay(std::string_view user_agent) const {
  const std::vector<size_t>* groups = GroupsFor(user_agent);
  if (groups == nullptr) return std::nullopt;
  std::optional<milliseconds> delay;
  for (size_t index : *groups) {
    const auto& d = groups_[index].crawl_delay;
    if (d && (!delay || *delay < *d)) delay = d;
  }
  return delay;
}

std::string RobotsVerdictLine(const RobotsRules& rules, std::string_view user_agent,
                              std::string_view url) {
  auto parts = ParseHttpUrl(url);
  if (!parts.ok()) return "error: " + parts.status().message();
  std::string line = rules.IsAllowed(user_agent, parts->target) ? "allowed " : "disallowed ";
  line += url;
  return line;
}

}  // namespace newshound
