// robots.txt: the Robots Exclusion Protocol of RFC 9309, parsed once per
// site and asked "may this agent fetch this path?" for every URL.
//
// Parsing never fails: whatever it does not understand it skips and reports
// in warnings(). Only the first 500 KiB of a body are read (RFC 9309 2.5).
// The class does no I/O and reads no clock; how long a parsed copy may be
// used (RFC 9309 2.4) and what a 4xx/5xx answer means (2.3.1) are for the
// caller, which picks AllowAll() or DisallowAll() accordingly.
//
// Thread safety: a RobotsRules is an immutable value once built; its const
// methods may be called from any number of threads at once.
#ifndef NEWSHOUND_ROBOTS_H_
#define NEWSHOUND_ROBOTS_H_

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace newshound {

class RobotsRules {
 public:
  // RFC 9309 2.5 asks parsers to read at least 500 KiB; we read exactly that
  // much and ignore the rest, which bounds memory and matching time.
  static constexpr size_t kMaxParseBytes = 500 * 1024;

  // Parses a robots.txt body (UTF-8, as fetched). Never fails.
  static RobotsRules Parse(std::string_view body);
  // No rules at all: every path is allowed (e.g. robots.txt answered 4xx).
  static RobotsRules AllowAll();
  // Everything but /robots.txt is disallowed (e.g. 5xx or unreachable).
  static RobotsRules DisallowAll();

  // Whether `path_and_query` (the path plus optional "?query" of a URL,
  // percent-encoded as sent on the wire) may be fetched by `user_agent`.
  // `user_agent` is a product token or a full User-Agent string; its product
  // token is the part before the first '/' or whitespace, and is matched
  // case-insensitively against the user-agent lines.
  bool IsAllowed(std::string_view user_agent, std::string_view path_and_query) const;

  // The Crawl-delay of the group(s) that apply to `user_agent`, if any. Not in
  // RFC 9309 but widely used; when merged groups disagree the largest wins.
  std::optional<std::chrono::milliseconds> CrawlDelay(std::string_view user_agent) const;

  // Sitemap URLs in file order, as written. They are global, not per group.
  const std::vector<std::string>& sitemaps() const { return sitemaps_; }

  // Diagnostics for people: "line N: why it was skipped", and bytes ignored
  // past the parse limit. Capped (see robots.cpp), never needed for matching.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  struct Rule {
    std::string pattern;  // percent-encoding normalized; '*' and a final '$' special
    bool allow = false;
  };
  struct Group {
    std::vector<Rule> rules;
    std::optional<std::chrono::milliseconds> crawl_delay;
  };
  class Parser;

  // The groups that apply to `user_agent`: its own (merged), else the "*"
  // groups, else none.
  const std::vector<size_t>* GroupsFor(std::string_view user_agent) const;

  std::vector<Group> groups_;
  // Lower-case product token -> indexes into groups_. A group named by
  // several user-agent lines is stored once and indexed from each name.
  std::unordered_map<std::string, std::vector<size_t>> groups_by_agent_;
  std::vector<size_t> global_groups_;  // groups with "user-agent: *"
  std::vector<std::string> sitemaps_;
  std::vector<std::string> warnings_;
};

// One line for the CLI: "allowed URL" or "disallowed URL" (the URL as given),
// or "error: ..." when `url` is not an absolute http(s) URL.
std::string RobotsVerdictLine(const RobotsRules& rules, std::string_view user_agent,
                              std::string_view url);

}  // namespace newshound

#endif  // NEWSHOUND_ROBOTS_H_
