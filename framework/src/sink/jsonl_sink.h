// The jsonl sink: one JSON line per article (docs/output.md), in one file or
// in segments that rotate by size and age, plain or gzip.
//
// Records are buffered and written by Flush with one write(2) per flush
// (looped only on a short write); a write that fails is cut back off the
// file, so the file only ever holds whole records. With gzip each flush is
// one gzip member (RFC 1952 2.2: a gzip file is a series of members, which
// zcat, Python's gzip and every other reader take as one stream), so a file
// cut at the last whole member is still a valid gzip file.
//
// Files. Without rotation the file is `path` (`path`.gz with gzip, unless
// it ends in .gz already) and a later run appends to it. With rotation the
// segments are `<stem>-<yyyymmddTHHMMSSZ>-<seq>.jsonl[.gz]` beside `path`
// (stem: the file name without .jsonl[.gz]; seq: 6 digits, one more than
// the highest there), and a later run appends to the newest while it is
// under both limits. A segment rotates at a flush that would take it past
// rotate_size, or once it is older than rotate_every (so an idle crawl does
// not leave empty segments behind).
//
// Opening repairs what a killed process left: a partial last line (plain)
// or a partial last member (gzip) of the newest file is cut off.
//
// Pipes. A `path` that names an existing named pipe (FIFO) is a stream to
// another program: opened without blocking (no reader is an error naming
// it), written in order, never repaired, rotated or read back (Files() is
// empty, so a record lost in the pipe when its reader dies is not
// recovered). A reader that closes its end is an error naming the sink and
// the pipe (EPIPE; SIGPIPE is held back around the write), never a signal
// that ends the process.
#ifndef NEWSHOUND_SINK_JSONL_SINK_H_
#define NEWSHOUND_SINK_JSONL_SINK_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sink/sink.h"

namespace newshound::sink {

class JsonlSink final : public Sink {
 public:
  // Creates the directory and the file (or finds the newest segment) and
  // repairs it. Errors name the path as configured, and as resolved when it
  // was relative.
  static Result<std::unique_ptr<JsonlSink>> Open(const SinkConfig& config);
  ~JsonlSink() override;

  std::string path() const override;  // the current file
  bool takes_articles() const override { return true; }
  Status WriteArticle(const ArticleRecord& article, const RecordMeta& meta, const std::string& json) override;
  bool dirty() const override { return !buffer_.empty(); }
  Status Flush() override;
  Status Sync() override;  // thread-safe with the rest

  // A line as it is (recovery copies a record another jsonl sink holds);
  // refused if it holds a newline.
  Status Append(const std::string& line);
  // The path names a named pipe (see above).
  bool stream() const { return stream_; }
  // Bytes of the current file: whole records only (a pipe: written so far).
  uint64_t size() const { return size_; }
  // Every file of this sink, oldest first (just the one without rotation).
  Result<std::vector<std::string>> Files() const;
  // The lines of `file` (one of Files()) from byte `offset`, a record (or
  // member) boundary, to its end, without newlines; gzip undone. For
  // recovery after a crash: spans of one flush interval, not whole files.
  Result<std::vector<std::string>> ReadLines(const std::string& file, uint64_t offset) const;
  // Bytes cut off the newest file when it was opened.
  uint64_t repaired_bytes() const { return repaired_bytes_; }

 private:
  explicit JsonlSink(const SinkConfig& config) : Sink(config) {}
  Status OpenFile(const std::string& file, bool create_new);
  Status OpenPipe(const std::string& file);
  Status Rotate();
  std::string SegmentName(int64_t seq) const;

  std::string directory_;   // absolute
  std::string stem_;        // file name without .jsonl / .gz
  std::string extension_;   // ".jsonl" or ".jsonl.gz" (rotating), or the fixed file name
  std::string shown_;       // the path as configured (and resolved), for messages
  std::string file_;        // absolute path of the current file
  mutable std::mutex fd_mutex_;  // fd_ swaps (rotation) against Sync on the sink thread
  int fd_ = -1;
  uint64_t size_ = 0;
  int64_t seq_ = 0;              // of the current segment (rotating)
  int64_t opened_at_ms_ = 0;     // when the current segment was started (rotating)
  uint64_t repaired_bytes_ = 0;
  bool stream_ = false;          // a named pipe
  std::string buffer_;           // whole lines not yet flushed
};

}  // namespace newshound::sink

#endif  // NEWSHOUND_SINK_JSONL_SINK_H_
