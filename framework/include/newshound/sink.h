// Article output: the JSON form of an article record (one line of a jsonl
// sink, the `record` column of a sqlite one; docs/output.md), and what the
// core adds to it about the fetch. The sinks themselves are internal to the
// core (framework/src/sink/).
//
// Thread safety: functions of values.
#ifndef NEWSHOUND_SINK_H_
#define NEWSHOUND_SINK_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "newshound/plugin_host.h"
#include "newshound/status.h"

namespace newshound {

// The version of the article record schema (docs/output.md).
inline constexpr int kArticleSchemaVersion = 1;

// What the core knows about the fetch that produced an article.
struct RecordMeta {
  std::string site;
  std::string plugin;
  std::string url;        // the URL fetched (after redirects)
  std::vector<std::string> redirect_chain;  // the URLs that redirected to `url`, first to last
  std::string fetched_at; // ISO 8601 UTC
  int status = 0;
  std::string charset;
  std::string content_sha256;  // of the decoded UTF-8 page
};

// One article as a single-line JSON object; `meta` may be null (extract).
std::string ArticleToJson(const ArticleRecord& article, const RecordMeta* meta);

// The whole analysis of a page as one JSON object, as `newshound extract`
// prints it: kind, article (or null), articles, next (or null), links, and
// rejected values when there were any.
std::string PageAnalysisToJson(const PageAnalysis& analysis);

}  // namespace newshound

#endif  // NEWSHOUND_SINK_H_
