// `newshound search DB QUERY...`: full-text search of a SQLite article store
// (framework/src/sink/sqlite_store.h; docs/output.md).
#ifndef NEWSHOUND_TOOLS_NEWSHOUND_SEARCH_H_
#define NEWSHOUND_TOOLS_NEWSHOUND_SEARCH_H_

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace newshound::cli {

struct SearchOptions {
  std::string db;                  // the article store
  std::vector<std::string> query;  // FTS5 query words, joined by spaces (all must match)
  int limit = 20;                  // at most this many hits, >= 1
  bool json = false;               // one JSON object per hit and line
};

// Adds the `search` subcommand to `app`, filling `options` when parsed.
CLI::App* AddSearchCommand(CLI::App& app, SearchOptions& options);

// Prints the hits, best first. Exit codes like grep's: 0 hits printed, 1 no
// article matches (a message on stderr), 2 an error (missing or foreign
// database, newer schema, bad query), named on stderr.
int Search(const SearchOptions& options);

}  // namespace newshound::cli

#endif  // NEWSHOUND_TOOLS_NEWSHOUND_SEARCH_H_
