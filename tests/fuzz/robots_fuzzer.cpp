// Fuzz target: the robots.txt parser and matcher (newshound/robots.h).
//
// The input is a robots.txt body. It is parsed, then asked about a few fixed
// agents and paths and about the agents and paths the file itself names (the
// value of each "user-agent:" and "allow:"/"disallow:" line, up to a cap), so
// matching runs on patterns and paths the mutator has shaped.
//
// Invariants besides "no crash, no sanitizer report": /robots.txt is always
// allowed (RFC 9309 2.2.2), a Crawl-delay is never negative nor over the
// documented clamp of one day, and the warnings stay capped.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "newshound/robots.h"

namespace {

using newshound::RobotsRules;

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

void Ask(const RobotsRules& rules, std::string_view agent, const std::vector<std::string>& paths) {
  for (const std::string& path : paths) (void)rules.IsAllowed(agent, path);
  FUZZ_CHECK(rules.IsAllowed(agent, "/robots.txt"), "agent " + newshound::fuzz::Quote(agent));
  if (auto delay = rules.CrawlDelay(agent)) {
    FUZZ_CHECK(delay->count() >= 0 && *delay <= std::chrono::hours(24), std::to_string(delay->count()) + " ms");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const RobotsRules rules = RobotsRules::Parse(body);
  FUZZ_CHECK(rules.warnings().size() <= 110, std::to_string(rules.warnings().size()) + " warnings");

  std::vector<std::string> agents = {"newshound/0.1 (+https://example.test)", "Googlebot", "*", ""};
  std::vector<std::string> paths = {"/", "/search?q=a", "/news/world/story-1.html", "/print/x", "/%7Eeditor/",
                                    "/caf%C3%A9", "/\xC3\xA9t\xC3\xA9", "/a*b$", "/%", "/robots.txt?x=1"};
  // The file's own names and patterns, as agents and paths.
  constexpr size_t kMaxDerived = 32;
  size_t start = 0;
  while (start < body.size() && agents.size() + paths.size() < kMaxDerived + 14) {
    size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view line = TrimSpace(body.substr(start, end - start));
    start = end + 1;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view value = TrimSpace(line.substr(colon + 1));
    if (StartsWithNoCase(line, "user-agent")) {
      agents.emplace_back(value);
    } else if (StartsWithNoCase(line, "allow") || StartsWithNoCase(line, "disallow")) {
      std::string path(value);
      if (path.empty() || path[0] != '/') path.insert(path.begin(), '/');
      paths.push_back(std::move(path));
    }
  }
  for (const std::string& agent : agents) Ask(rules, agent, paths);
  for (const std::string& sitemap : rules.sitemaps()) (void)sitemap.size();

  // The CLI's verdict line parses a URL first.
  (void)newshound::RobotsVerdictLine(rules, agents[0], "https://example.test" + paths.back());
  (void)newshound::RobotsVerdictLine(rules, agents[0], body.substr(0, 256));

  const RobotsRules allow = RobotsRules::AllowAll();
  const RobotsRules disallow = RobotsRules::DisallowAll();
  for (const std::string& path : paths) FUZZ_CHECK(allow.IsAllowed(agents[0], path), newshound::fuzz::Quote(path));
  FUZZ_CHECK(!disallow.IsAllowed(agents[0], "/"));
  return 0;
}
