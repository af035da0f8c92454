// WARC 1.1 files of the raw HTTP exchanges (internal to the core): each
// HttpExchange (newshound/fetch.h) becomes a `request` and a `response`
// record, linked both ways by WARC-Concurrent-To, after the file's
// `warcinfo` record. With gzip, every record is its own gzip member, so a
// reader can seek to any record (the `.warc.gz` convention).
//
// Files are `<prefix>-<UTC yyyymmddHHMMSS>-<serial, 5 digits>.warc.gz` (or
// `.warc`) in the directory, the timestamp that of the file's creation, the
// serial counting the writer's files from 00000. A new file starts when the
// next exchange would take the current one past max_file_bytes (a file
// holding only its warcinfo takes the exchange anyway, so one larger than
// the limit gets a file to itself); a request and its response always share
// a file. docs/output.md describes every field.
//
// Records are built in memory and handed to the kernel by Flush (and when
// the buffer grows past 1 MiB, or at rotation); a failed write(2) is undone
// by cutting the file back to its last whole record, and the records not
// written stay buffered for the next Flush. The destructor flushes what is
// left, best effort.
//
// Thread safety: none; one owner calls it (the engine's strand).
#ifndef NEWSHOUND_SINK_WARC_WRITER_H_
#define NEWSHOUND_SINK_WARC_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "newshound/fetch.h"
#include "newshound/status.h"

namespace newshound::sink {

struct WarcOptions {
  // Where the files go; created (with parents) by Open. Required.
  std::string directory;
  // The start of every file name.
  std::string prefix = "newshound";
  // Bytes (as written, compressed when gzip) after which the next exchange
  // goes to a new file. 0: one file, never rotated.
  uint64_t max_file_bytes = 1ull << 30;
  // Each record its own gzip member, `.warc.gz`; false: plain `.warc`.
  bool gzip = true;
  // The warcinfo record's `software` field.
  std::string software = "newshound";
  // The warcinfo record's `description` field; empty: none.
  std::string description;
};

class WarcWriter {
 public:
  // Creates the directory and the first file (with its warcinfo record).
  // Errors name the path.
  static Result<std::unique_ptr<WarcWriter>> Open(const WarcOptions& options);
  ~WarcWriter();
  WarcWriter(const WarcWriter&) = delete;
  WarcWriter& operator=(const WarcWriter&) = delete;

  // Adds the exchange's request and response records (rotating first when
  // the current file is full). Errors name the file: when the flush before
  // a rotation fails, or the next file cannot be created, the exchange is
  // not added (the next Write tries again); when the flush of a buffer past
  // 1 MiB fails, the records stay buffered, as for Flush.
  Status Write(const HttpExchange& exchange);
  // Hands every record added so far to the kernel (write(2) complete). On a
  // failed write the file is cut back to its last whole record, the records
  // not written stay buffered for the next Flush, and the error names the
  // file.
  Status Flush();
  // Flush, then fdatasync(2) of the current file.
  Status Sync();

  // The file records go to now.
  const std::string& current_path() const { return path_; }
  // Records accepted by Write so far, warcinfo records included, flushed
  // or not.
  uint64_t records_written() const { return records_; }

 private:
  explicit WarcWriter(const WarcOptions& options);
  Status OpenNextFile();
  Status CloseFile();
  // A serialized record as it goes into the file: its own gzip member, or
  // as it is. Empty if compression failed.
  std::string Encode(const std::string& record) const;
  // Appends one encoded record to pending_.
  void AddRecord(std::string encoded);

  WarcOptions options_;
  int fd_ = -1;
  std::string path_;
  std::string warcinfo_id_;  // of the current file
  uint32_t serial_ = 0;      // of the next file
  uint64_t file_bytes_ = 0;  // on disk in the current file
  std::string pending_;      // whole records not yet written
  // The end offset (within pending_) of each record in pending_, ascending.
  std::vector<size_t> pending_ends_;
  uint64_t records_ = 0;
  uint64_t records_in_file_ = 0;  // the current file's, warcinfo included, flushed or not
};

}  // namespace newshound::sink

#endif  // NEWSHOUND_SINK_WARC_WRITER_H_
