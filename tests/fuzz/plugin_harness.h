// What the plugin targets share: the plugin, loaded as the crawler loads it
// (PluginRegistry::LoadFile: dlopen of the real .so built in this tree,
// the ABI checks, create with the site's settings), and a page run through
// it as the engine runs one (charset detection and conversion to UTF-8,
// PageInput, PluginInstance::Process with the host's checks of every value).
//
// Invariants besides "no crash": the plugin never fails on a page (it throws
// no exception, so Process returns no error: any HTML is a page), and what
// the host hands on is what plugin_host.h promises: absolute http(s) URLs in
// normal form, no duplicate article links, valid UTF-8 text, an article
// record exactly for an article page.
#ifndef NEWSHOUND_TESTS_FUZZ_PLUGIN_HARNESS_H_
#define NEWSHOUND_TESTS_FUZZ_PLUGIN_HARNESS_H_

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "newshound/charset.h"
#include "newshound/log.h"
#include "newshound/plugin_host.h"
#include "newshound/url.h"

namespace newshound::fuzz {

// 2017-10-10T20:04:00Z: the fetch time relative stamps count back from.
inline constexpr int64_t kFetchedAtMs = 1507665840000;

class PluginHarness {
 public:
  // Loads `path` (the plugin's .so) and creates `name` with each of the
  // settings; exits on failure, which is a broken build, not a finding.
  PluginHarness(const std::string& path, const std::string& name, std::initializer_list<std::string> settings) {
    SetupLogging("off", 0);
    if (auto status = registry_.LoadFile(path); !status.ok()) Die(status.message());
    for (const std::string& json : settings) {
      auto instance = registry_.Create(name, json);
      if (!instance.ok()) Die(instance.status().message());
      instances_.push_back(std::move(*instance));
    }
  }

  size_t instances() const { return instances_.size(); }

  // The page `body` (bytes as fetched, Content-Type text/html without a
  // charset, so the document's own declaration decides) at `url`.
  void Run(std::string_view body, const std::string& url, size_t instance = 0) const {
    const CharsetGuess guess = DetectCharset("text/html", body);
    std::string charset = guess.charset;
    auto html = DecodeToUtf8(body, charset);
    if (!html.ok()) {
      charset = "utf-8";
      html = DecodeToUtf8(body, charset);
    }
    FUZZ_CHECK(html.ok() && IsValidUtf8(*html));
    PageInput page;
    page.url = url;
    page.html = std::move(*html);
    page.content_type = "text/html";
    page.charset = charset;
    page.fetched_at_ms = kFetchedAtMs;
    auto analysis = instances_.at(instance)->Process(page);
    FUZZ_CHECK(analysis.ok(), analysis.ok() ? std::string() : analysis.status().message());
    Check(*analysis);
  }

 private:
  [[noreturn]] static void Die(const std::string& message) {
    std::fprintf(stderr, "plugin harness: %s\n", message.c_str());
    std::exit(2);
  }

  static void CheckUrl(const std::string& url) {
    FUZZ_CHECK(ParseHttpUrl(url).ok(), Quote(url));
    auto normal = NormalizeUrl(url);
    FUZZ_CHECK(normal.ok() && *normal == url, Quote(url));
  }

  static void Check(const PageAnalysis& analysis) {
    std::set<std::string> seen;
    for (const std::string& url : analysis.articles) {
      CheckUrl(url);
      FUZZ_CHECK(seen.insert(url).second, "duplicate article " + Quote(url));
    }
    if (analysis.next) CheckUrl(*analysis.next);
    for (const FollowLink& link : analysis.links) CheckUrl(link.url);
    FUZZ_CHECK(analysis.article.has_value() == (analysis.kind == PageKind::kArticle));
    if (analysis.article) {
      for (const auto& [name, value] : analysis.article->fields) FUZZ_CHECK(IsValidUtf8(value), name);
      for (const std::string& author : analysis.article->authors) FUZZ_CHECK(IsValidUtf8(author), Quote(author));
      for (const RelatedItem& item : analysis.article->related) {
        CheckUrl(item.url);
        FUZZ_CHECK(IsValidUtf8(item.title) && IsValidUtf8(item.published));
      }
      if (const std::string* canonical = analysis.article->Field("canonical_url")) CheckUrl(*canonical);
    }
  }

  PluginRegistry registry_;
  std::vector<std::unique_ptr<PluginInstance>> instances_;
};

// The .so to load: NEWSHOUND_FUZZ_PLUGIN in the environment, else the one
// this target was built with (a compile definition).
inline std::string PluginPath(const char* built) {
  const char* env = std::getenv("NEWSHOUND_FUZZ_PLUGIN");
  return env != nullptr && *env != '\0' ? env : built;
}

}  // namespace newshound::fuzz

#endif  // NEWSHOUND_TESTS_FUZZ_PLUGIN_HARNESS_H_
