// Article output: the JSON form of an article record, and the JSON Lines
// file it is appended to.
//
// JsonlWriter appends one record per line with a single write(2) on an
// O_APPEND descriptor and can sync it to disk. When it opens a file whose
// last line is incomplete (a crash during a write), it cuts that partial
// line off first, so a reader never meets a line that is not a whole record.
//
// Thread safety: a JsonlWriter is used by one owner (the engine's strand).
#ifndef NEWSHOUND_SINK_H_
#define NEWSHOUND_SINK_H_

#include <cstdint>
#include <memory>
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

class JsonlWriter {
 public:
  // Creates the file (and its directory) if needed; repairs a partial last
  // line. A relative `path` is resolved against the working directory here;
  // path() is absolute. Errors name the path as given (and as resolved,
  // when relative).
  static Result<std::unique_ptr<JsonlWriter>> Open(const std::string& path);
  ~JsonlWriter();
  JsonlWriter(const JsonlWriter&) = delete;
  JsonlWriter& operator=(const JsonlWriter&) = delete;

  // Appends `json` (one line, no newline inside) and a newline. On failure
  // the file is cut back to where it was, so no partial line stays.
  Status Append(std::string_view json);
  // fdatasync: what was appended is on disk when this returns OK.
  Status Sync();

  const std::string& path() const { return path_; }  // absolute
  // The file's size: every byte of it is whole lines.
  uint64_t size() const { return size_; }
  // The lines from byte `offset` (the start of a line) to the end, without
  // their newlines; for recovery after a crash, so not meant for big spans.
  Result<std::vector<std::string>> ReadFrom(uint64_t offset) const;
  // Bytes of a partial last line cut off when the file was opened.
  uint64_t repaired_bytes() const { return repaired_bytes_; }

 private:
  JsonlWriter(std::string path, int fd, uint64_t size, uint64_t repaired);
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t repaired_bytes_ = 0;
};

}  // namespace newshound

#endif  // NEWSHOUND_SINK_H_
