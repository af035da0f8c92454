#include "search.h"

#include <boost/json.hpp>
#include <cstdio>

#include "sink/sqlite_store.h"

namespace newshound::cli {
namespace {

constexpr int kExitHits = 0;
constexpr int kExitNoHits = 1;
constexpr int kExitError = 2;

std::string JoinQuery(const std::vector<std::string>& words) {
  std::string query;
  for (const auto& word : words) {
    if (!query.empty()) query += ' ';
    query += word;
  }
  return query;
}

// A snippet on one line: the body's paragraph breaks become spaces.
std::string OneLine(std::string text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

boost::json::value NullIfEmpty(const std::string& text) {
  return text.empty() ? boost::json::value(nullptr) : boost::json::value(text);
}

}  // namespace

CLI::App* AddSearchCommand(CLI::App& app, SearchOptions& options) {
  auto* search =
      app.add_subcommand("search", "Full-text search of a SQLite article store (FTS5 query over titles and bodies)");
  search->add_option("DB", options.db, "The article store (a .sqlite3 file)")->required();
  search
      ->add_option("QUERY", options.query,
                   "FTS5 query: words (all must match), \"a phrase\", prefix*, OR, NOT, title:word")
      ->required();
  search->add_option("--limit", options.limit, "At most N hits (default 20)")->check(CLI::PositiveNumber);
  search->add_flag("--json", options.json, "One JSON object per hit and line");
  return search;
}

int Search(const SearchOptions& options) {
  const std::string query = JoinQuery(options.query);
  auto hits = SearchArticles(options.db, query, options.limit);
  if (!hits.ok()) {
    std::fprintf(stderr, "newshound: %s\n", hits.status().message().c_str());
    return kExitError;
  }
  if (hits->empty()) {
    std::fprintf(stderr, "newshound: no articles match %s\n", query.c_str());
    return kExitNoHits;
  }
  int n = 0;
  for (const auto& hit : *hits) {
    if (options.json) {
      boost::json::object line{{"rank", hit.rank},
                               {"canonical_url", hit.canonical_url},
                               {"url", hit.url},
                               {"site", NullIfEmpty(hit.site)},
                               {"title", NullIfEmpty(hit.title)},
                               {"published", NullIfEmpty(hit.published)},
                               {"snippet", hit.snippet}};
      std::printf("%s\n", boost::json::serialize(line).c_str());
      continue;
    }
    if (n > 0) std::printf("\n");
    std::printf("%d. %s\n", ++n, hit.title.empty() ? "(no title)" : hit.title.c_str());
    std::printf("   %s  %s\n", hit.published.empty() ? "(no date)" : hit.published.c_str(), hit.url.c_str());
    std::printf("   %s\n", OneLine(hit.snippet).c_str());
  }
  return kExitHits;
}

}  // namespace newshound::cli
