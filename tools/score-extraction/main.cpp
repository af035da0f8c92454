// score-extraction: how well a plugin extracts the articles of a saved
// edition, measured against its golden records.
//
//   score-extraction --plugin NAME [--plugin-dir D] [--settings JSON]
//                    --edition DIR [--origin URL] [--json] [--details]
//
// DIR is an edition laid out as the bundled outlets are: DIR/site/ holds the
// pages (file path = URL path, "/" -> index.html) and
// DIR/expected/articles.jsonl one golden record per article ("url" is the
// path; "title", "published", "body"). Every article page is decoded by its
// declared charset, exactly as the crawler would, and given to the plugin
// at ORIGIN + path. ORIGIN is --origin, else the origin of the page's own
// canonical link (or og:url) when its path is the article's, else the first
// origin another page of the edition declares that way, else
// http://localhost.
//
// Per article and in total it prints the body's token precision, recall
// and F1 (scoring.h) and whether title and published equal the golden
// values exactly. A low score is a result, not an error: the exit status is
// 0 unless the tool could not do its work (1: missing files, unreadable
// records, plugin not found or refusing its settings; 2: bad usage).
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "newshound/charset.h"
#include "newshound/plugin/html.h"
#include "newshound/plugin/links.h"
#include "newshound/plugin/metadata.h"
#include "newshound/plugin_host.h"
#include "scoring.h"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using newshound::scoring::Overlap;

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

struct Options {
  std::string plugin;
  std::string plugin_dir;
  std::string settings = "{}";
  std::string edition;
  std::string origin;
  bool json = false;
  bool details = false;
};

struct Expected {
  std::string path;
  std::optional<std::string> title, published, body;
};

struct ArticleScore {
  std::string path;
  std::string kind;   // what the plugin said the page is
  std::string error;  // the plugin failed on the page
  Overlap body;
  bool title_match = false;
  bool published_match = false;
  std::optional<std::string> title, published;  // as extracted
  std::vector<std::string> missing, extra;      // tokens, for --details
};

std::optional<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::optional<std::string> OptionalString(const json::object& record, const char* key) {
  const json::value* value = record.if_contains(key);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return std::string(value->as_string());
}

// Reads DIR/expected/articles.jsonl; an error message on failure.
std::string ReadExpected(const fs::path& file, std::vector<Expected>* out) {
  const std::optional<std::string> text = ReadFile(file);
  if (!text) return file.string() + ": cannot read";
  size_t line_number = 0;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    boost::system::error_code ec;
    json::value value = json::parse(line, ec);
    if (ec || !value.is_object()) {
      return file.string() + ":" + std::to_string(line_number) + ": not a JSON object";
    }
    const json::object& record = value.as_object();
    Expected expected;
    if (auto url = OptionalString(record, "url"); url && url->starts_with("/")) {
      expected.path = *url;
    } else {
      return file.string() + ":" + std::to_string(line_number) + ": \"url\" must be a path starting with '/'";
    }
    expected.title = OptionalString(record, "title");
    expected.published = OptionalString(record, "published");
    expected.body = OptionalString(record, "body");
    out->push_back(std::move(expected));
  }
  if (out->empty()) return file.string() + ": no records";
  return "";
}

fs::path FileFor(const fs::path& site, const std::string& path) {
  std::string relative = path.substr(1);
  if (relative.empty() || relative.ends_with('/')) relative += "index.html";
  return site / relative;
}

// The origin the page says it lives at, when its canonical link (or
// og:url) is this very path; "" when it does not say.
std::string OriginFromPage(const std::string& html, const std::string& path) {
  const newshound::sdk::Document doc = newshound::sdk::Document::Parse(html, "http://localhost" + path);
  const newshound::sdk::PageMeta meta = newshound::sdk::ReadMeta(doc);
  std::vector<std::string> candidates = {meta.canonical};
  if (auto it = meta.property.find("og:url"); it != meta.property.end()) candidates.push_back(it->second);
  for (const std::string& url : candidates) {
    if (!url.empty() && newshound::sdk::PathOf(url) == path && newshound::sdk::HostOf(url) != "localhost") {
      return newshound::sdk::OriginOf(url);
    }
  }
  return "";
}

// Tokens of `a` beyond those of `b` (multiset difference), in order.
std::vector<std::string> Surplus(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::map<std::string, size_t> counts;
  for (const std::string& token : b) ++counts[token];
  std::vector<std::string> out;
  for (const std::string& token : a) {
    auto it = counts.find(token);
    if (it != counts.end() && it->second > 0) {
      --it->second;
    } else {
      out.push_back(token);
    }
  }
  return out;
}

std::string Joined(const std::vector<std::string>& tokens, size_t limit) {
  std::string out;
  for (size_t i = 0; i < tokens.size() && i < limit; ++i) out += (i == 0 ? "" : " ") + tokens[i];
  if (tokens.size() > limit) out += " ... (" + std::to_string(tokens.size()) + " in all)";
  return out;
}

json::value OptionalJson(const std::optional<std::string>& value) {
  return value ? json::value(*value) : json::value(nullptr);
}

int Score(const Options& options) {
  const fs::path edition(options.edition);
  const fs::path site = edition / "site";
  const fs::path records = edition / "expected" / "articles.jsonl";
  if (!fs::is_directory(site)) {
    std::fprintf(stderr, "score-extraction: %s: no such directory\n", site.string().c_str());
    return kExitFailure;
  }
  std::vector<Expected> expected;
  if (std::string error = ReadExpected(records, &expected); !error.empty()) {
    std::fprintf(stderr, "score-extraction: %s\n", error.c_str());
    return kExitFailure;
  }

  newshound::PluginRegistry registry;
  const std::string dir = options.plugin_dir.empty() ? newshound::DefaultPluginDir() : options.plugin_dir;
  if (auto status = registry.LoadDirectory(dir); !status.ok()) {
    std::fprintf(stderr, "score-extraction: %s\n", status.message().c_str());
    return kExitFailure;
  }
  if (registry.Find(options.plugin) == nullptr) {
    std::fprintf(stderr, "score-extraction: no plugin named '%s' in %s\n", options.plugin.c_str(), dir.c_str());
    for (const auto& refused : registry.report().refused) {
      std::fprintf(stderr, "score-extraction: refused %s: %s\n", refused.path.c_str(), refused.reason.c_str());
    }
    return kExitFailure;
  }
  auto instance = registry.Create(options.plugin, options.settings);
  if (!instance.ok()) {
    std::fprintf(stderr, "score-extraction: %s\n", instance.status().message().c_str());
    return kExitFailure;
  }

  std::string origin = options.origin;
  while (origin.ends_with('/')) origin.pop_back();
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();

  // Decode every page first: a page that does not declare where it lives
  // is served at the origin its siblings declare.
  struct Page {
    std::string html, charset, origin;
  };
  std::vector<Page> pages;
  std::string edition_origin;
  for (const Expected& want : expected) {
    const fs::path file = FileFor(site, want.path);
    const std::optional<std::string> raw = ReadFile(file);
    if (!raw) {
      std::fprintf(stderr, "score-extraction: %s: cannot read (the page of %s)\n", file.string().c_str(),
                   want.path.c_str());
      return kExitFailure;
    }
    const newshound::CharsetGuess charset = newshound::DetectCharset("", *raw);
    auto html = newshound::DecodeToUtf8(*raw, charset.charset);
    if (!html.ok()) {
      std::fprintf(stderr, "score-extraction: %s: %s\n", file.string().c_str(), html.status().message().c_str());
      return kExitFailure;
    }
    Page page{std::move(*html), charset.charset, origin};
    if (page.origin.empty()) page.origin = OriginFromPage(page.html, want.path);
    if (edition_origin.empty()) edition_origin = page.origin;
    pages.push_back(std::move(page));
  }
  if (edition_origin.empty()) edition_origin = "http://localhost";

  std::vector<ArticleScore> scores;
  for (size_t i = 0; i < expected.size(); ++i) {
    const Expected& want = expected[i];
    newshound::PageInput page;
    page.url = (pages[i].origin.empty() ? edition_origin : pages[i].origin) + want.path;
    page.html = std::move(pages[i].html);
    page.content_type = "text/html";
    page.charset = pages[i].charset;
    page.fetched_at_ms = now_ms;

    ArticleScore score;
    score.path = want.path;
    std::optional<std::string> body;
    auto analysis = (*instance)->Process(page);
    if (!analysis.ok()) {
      score.kind = "error";
      score.error = analysis.status().message();
    } else {
      score.kind = std::string(newshound::PageKindName(analysis->kind));
      if (analysis->article) {
        const newshound::ArticleRecord& record = *analysis->article;
        if (const std::string* v = record.Field("title")) score.title = *v;
        if (const std::string* v = record.Field("published")) score.published = *v;
        if (const std::string* v = record.Field("body")) body = *v;
      }
    }
    const std::vector<std::string> got = newshound::scoring::Tokenize(body.value_or(""));
    const std::vector<std::string> want_tokens = newshound::scoring::Tokenize(want.body.value_or(""));
    score.body = newshound::scoring::CompareTokens(got, want_tokens);
    score.title_match = score.title == want.title;
    score.published_match = score.published == want.published;
    if (options.details) {
      score.missing = Surplus(want_tokens, got);
      score.extra = Surplus(got, want_tokens);
    }
    scores.push_back(std::move(score));
  }

  Overlap total;
  double f1_sum = 0;
  size_t titles = 0, published = 0;
  for (const ArticleScore& s : scores) {
    total += s.body;
    f1_sum += s.body.F1();
    titles += s.title_match ? 1 : 0;
    published += s.published_match ? 1 : 0;
  }
  const double n = static_cast<double>(scores.size());

  if (options.json) {
    json::array articles;
    for (const ArticleScore& s : scores) {
      json::object a;
      a["url"] = s.path;
      a["kind"] = s.kind;
      if (!s.error.empty()) a["error"] = s.error;
      a["precision"] = s.body.Precision();
      a["recall"] = s.body.Recall();
      a["f1"] = s.body.F1();
      a["extracted_tokens"] = s.body.extracted;
      a["expected_tokens"] = s.body.expected;
      a["common_tokens"] = s.body.common;
      a["title"] = OptionalJson(s.title);
      a["title_match"] = s.title_match;
      a["published"] = OptionalJson(s.published);
      a["published_match"] = s.published_match;
      if (options.details) {
        json::array missing(s.missing.begin(), s.missing.end()), extra(s.extra.begin(), s.extra.end());
        a["missing_tokens"] = std::move(missing);
        a["extra_tokens"] = std::move(extra);
      }
      articles.push_back(std::move(a));
    }
    json::object totals;
    totals["articles"] = scores.size();
    totals["precision"] = total.Precision();
    totals["recall"] = total.Recall();
    totals["f1"] = total.F1();
    totals["mean_f1"] = f1_sum / n;
    totals["title_matches"] = titles;
    totals["title_match_rate"] = titles / n;
    totals["published_matches"] = published;
    totals["published_match_rate"] = published / n;
    json::object result;
    result["plugin"] = options.plugin;
    result["edition"] = options.edition;
    result["articles"] = std::move(articles);
    result["total"] = std::move(totals);
    std::printf("%s\n", json::serialize(result).c_str());
    return kExitOk;
  }

  std::printf("plugin %s on %s: %zu article(s)\n", options.plugin.c_str(), options.edition.c_str(), scores.size());
  std::printf("%-6s %-6s %-6s %-5s %-9s %-8s %s\n", "P", "R", "F1", "title", "published", "kind", "url");
  for (const ArticleScore& s : scores) {
    std::printf("%.3f  %.3f  %.3f  %-5s %-9s %-8s %s\n", s.body.Precision(), s.body.Recall(), s.body.F1(),
                s.title_match ? "yes" : "no", s.published_match ? "yes" : "no", s.kind.c_str(), s.path.c_str());
    if (!s.error.empty()) std::printf("       error: %s\n", s.error.c_str());
    if (options.details) {
      if (!s.title_match) std::printf("       title: %s\n", s.title.value_or("(null)").c_str());
      if (!s.published_match) std::printf("       published: %s\n", s.published.value_or("(null)").c_str());
      if (!s.missing.empty()) std::printf("       missing: %s\n", Joined(s.missing, 30).c_str());
      if (!s.extra.empty()) std::printf("       extra: %s\n", Joined(s.extra, 30).c_str());
    }
  }
  std::printf(
      "total: body precision %.4f recall %.4f F1 %.4f (over all %zu expected tokens); mean per-article F1 %.4f; "
      "title exact %zu/%zu (%.1f%%); published exact %zu/%zu (%.1f%%)\n",
      total.Precision(), total.Recall(), total.F1(), total.expected, f1_sum / n, titles, scores.size(),
      100.0 * titles / n, published, scores.size(), 100.0 * published / n);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "score-extraction: token precision/recall/F1 of a plugin's article bodies against an edition's "
      "expected records",
      "score-extraction");
  Options options;
  app.add_option("--plugin", options.plugin, "Plugin name")->required();
  app.add_option("--plugin-dir", options.plugin_dir, "Directory of site plugins (*.so)");
  app.add_option("--settings", options.settings, "Plugin settings as a JSON object (default {})");
  app.add_option("--edition", options.edition, "Edition directory with site/ and expected/articles.jsonl")->required();
  app.add_option("--origin", options.origin,
                 "scheme://host[:port] the pages are served at (default: from each page's canonical link)");
  app.add_flag("--json", options.json, "Print one JSON object instead of a table");
  app.add_flag("--details", options.details, "Also list, per article, the tokens missed and the tokens extra");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "score-extraction: %s\n\n%s", e.what(), app.help().c_str());
    return kExitUsage;
  }
  if (!options.origin.empty() && newshound::sdk::OriginOf(options.origin).empty()) {
    std::fprintf(stderr, "score-extraction: --origin must be an absolute http(s) URL, got '%s'\n",
                 options.origin.c_str());
    return kExitUsage;
  }
  return Score(options);
}
