// Many FIFO queues on disk at once, for the part of the frontier that does
// not fit in memory (the idea of BUbiNG's disk queues and IRLbot's spilled
// per-host queues): each queue is a chain of records in a shared log of
// segment files, linked by offset, so a queue costs memory only for its
// head, tail and count however long it is.
//
// A record is [next offset, 8 bytes][payload length, 4 bytes][payload]. A
// push appends to the newest segment (through a write buffer) and links the
// chain's previous tail to it (in the buffer, or with an 8-byte pwrite when
// that record is already on disk); a pop reads the head. A segment whose
// records have all been popped is deleted, so the disk holds about what is
// queued.
//
// What is spilled is a cache of what the crawl state already holds (every
// queued URL is in it): the files are private to the process, removed by
// the destructor, and never read after a restart.
//
// Thread safety: none; one owner (the frontier, on the engine's strand).
#ifndef NEWSHOUND_FRONTIER_SPILL_LOG_H_
#define NEWSHOUND_FRONTIER_SPILL_LOG_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "newshound/status.h"

namespace newshound::frontier {

class SpillLog {
 public:
  static constexpr uint64_t kNone = ~uint64_t{0};
  // One queue: where its records are. Owned by the caller.
  struct Chain {
    uint64_t head = kNone;
    uint64_t tail = kNone;
    uint64_t count = 0;
  };

  // Segment files go in `directory` (created if needed); each is at most
  // `segment_bytes` (a bigger record gets a segment of its own).
  SpillLog(std::string directory, uint64_t segment_bytes = uint64_t{64} << 20);
  ~SpillLog();
  SpillLog(const SpillLog&) = delete;
  SpillLog& operator=(const SpillLog&) = delete;

  // Appends `payload` to the end of `chain`. An error names the file.
  Status Push(Chain& chain, std::string_view payload);
  // Removes the head of `chain` (count > 0) into `payload`.
  Status Pop(Chain& chain, std::string& payload);

  // Bytes in segment files (written or buffered), live or not yet reclaimed.
  uint64_t bytes() const { return bytes_; }
  const std::string& directory() const { return directory_; }

 private:
  struct Segment {
    int fd = -1;
    std::string path;
    uint64_t live = 0;  // records not popped yet
    uint64_t size = 0;  // bytes of records in it (written or buffered)
  };
  Status StartSegment();
  Status FlushBuffer();
  Status Patch(uint64_t offset, uint64_t next);
  Status ReadAt(uint64_t offset, void* data, size_t size);
  void Release(uint64_t segment);

  std::string directory_;
  uint64_t segment_bytes_;
  std::map<uint64_t, Segment> segments_;  // by number; the last one is written to
  uint64_t current_ = 0;                  // number of the segment written to
  uint64_t written_ = 0;                  // bytes of it on disk
  std::string buffer_;                    // bytes of it after `written_`, not yet on disk
  uint64_t bytes_ = 0;
  bool started_ = false;
};

}  // namespace newshound::frontier

#endif  // NEWSHOUND_FRONTIER_SPILL_LOG_H_
