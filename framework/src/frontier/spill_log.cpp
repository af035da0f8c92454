#include "frontier/spill_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace newshound::frontier {
namespace {

constexpr size_t kHeader = 12;                 // next (8) + length (4)
constexpr size_t kBufferBytes = size_t{1} << 20;  // written out when this full

Status IoError(const std::string& path, const char* what, int error = errno) {
  return Status(ErrorCode::kIo, path + ": " + what + ": " + std::strerror(error));
}

void PutU64(char* at, uint64_t value) { std::memcpy(at, &value, 8); }
void PutU32(char* at, uint32_t value) { std::memcpy(at, &value, 4); }

}  // namespace

SpillLog::SpillLog(std::string directory, uint64_t segment_bytes)
    : directory_(std::move(directory)), segment_bytes_(segment_bytes) {}

SpillLog::~SpillLog() {
  for (auto& [number, segment] : segments_) {
    ::close(segment.fd);
    ::unlink(segment.path.c_str());
  }
  // The directory too, when it is empty now (it may be shared: then not).
  if (started_) ::rmdir(directory_.c_str());
}

Status SpillLog::StartSegment() {
  if (!started_) {
    std::error_code ec;
    std::filesystem::create_directories(directory_, ec);
    if (ec) return Status(ErrorCode::kIo, directory_ + ": cannot create the frontier's spill directory: " + ec.message());
    started_ = true;
  } else {
    if (Status status = FlushBuffer(); !status.ok()) return status;
    ++current_;
  }
  Segment segment;
  segment.path = directory_ + "/spill-" + std::to_string(::getpid()) + "-" + std::to_string(current_);
  segment.fd = ::open(segment.path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (segment.fd < 0) return IoError(segment.path, "cannot create");
  segments_.emplace(current_, std::move(segment));
  written_ = 0;
  buffer_.clear();
  return Status::Ok();
}

Status SpillLog::FlushBuffer() {
  if (buffer_.empty()) return Status::Ok();
  const Segment& segment = segments_.at(current_);
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = ::pwrite(segment.fd, buffer_.data() + done, buffer_.size() - done,
                               static_cast<off_t>(written_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError(segment.path, "cannot write");
    done += static_cast<size_t>(n);
  }
  written_ += buffer_.size();
  buffer_.clear();
  return Status::Ok();
}

Status SpillLog::Patch(uint64_t offset, uint64_t next) {
  const uint64_t number = offset / segment_bytes_;
  const uint64_t at = offset % segment_bytes_;
  if (number == current_ && at >= written_) {
    PutU64(buffer_.data() + (at - written_), next);
    return Status::Ok();
  }
  const Segment& segment = segments_.at(number);
  if (::pwrite(segment.fd, &next, 8, static_cast<off_t>(at)) != 8) return IoError(segment.path, "cannot write");
  return Status::Ok();
}

Status SpillLog::ReadAt(uint64_t offset, void* data, size_t size) {
  const uint64_t number = offset / segment_bytes_;
  const uint64_t at = offset % segment_bytes_;
  if (number == current_ && at >= written_) {
    std::memcpy(data, buffer_.data() + (at - written_), size);
    return Status::Ok();
  }
  const Segment& segment = segments_.at(number);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(segment.fd, static_cast<char*>(data) + done, size - done, static_cast<off_t>(at + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError(segment.path, "cannot read");
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status SpillLog::Push(Chain& chain, std::string_view payload) {
  const uint64_t size = kHeader + payload.size();
  if (size > segment_bytes_) return Status(ErrorCode::kInvalidArgument, "spill record larger than a segment");
  if (!started_ || written_ + buffer_.size() + size > segment_bytes_) {
    if (Status status = StartSegment(); !status.ok()) return status;
  }
  const uint64_t offset = current_ * segment_bytes_ + written_ + buffer_.size();
  const size_t at = buffer_.size();
  buffer_.resize(at + size);
  PutU64(buffer_.data() + at, kNone);
  PutU32(buffer_.data() + at + 8, static_cast<uint32_t>(payload.size()));
  std::memcpy(buffer_.data() + at + kHeader, payload.data(), payload.size());
  bytes_ += size;
  if (chain.tail != kNone) {
    if (Status status = Patch(chain.tail, offset); !status.ok()) return status;
  } else {
    chain.head = offset;
  }
  chain.tail = offset;
  ++chain.count;
  Segment& segment = segments_.at(current_);
  ++segment.live;
  segment.size += size;
  if (buffer_.size() >= kBufferBytes) return FlushBuffer();
  return Status::Ok();
}

Status SpillLog::Pop(Chain& chain, std::string& payload) {
  if (chain.count == 0 || chain.head == kNone) return Status(ErrorCode::kInvalidArgument, "pop of an empty spill chain");
  char header[kHeader];
  if (Status status = ReadAt(chain.head, header, kHeader); !status.ok()) return status;
  uint64_t next;
  uint32_t length;
  std::memcpy(&next, header, 8);
  std::memcpy(&length, header + 8, 4);
  payload.resize(length);
  if (Status status = ReadAt(chain.head + kHeader, payload.data(), length); !status.ok()) return status;
  const uint64_t segment = chain.head / segment_bytes_;
  chain.head = next;
  if (--chain.count == 0) chain.head = chain.tail = kNone;
  Release(segment);
  return Status::Ok();
}

void SpillLog::Release(uint64_t number) {
  auto it = segments_.find(number);
  if (it == segments_.end() || --it->second.live > 0) return;
  bytes_ -= it->second.size;
  if (number == current_) {
    // Nothing live in the segment being written: start it over.
    written_ = 0;
    buffer_.clear();
    it->second.size = 0;
    (void)::ftruncate(it->second.fd, 0);
    return;
  }
  ::close(it->second.fd);
  ::unlink(it->second.path.c_str());
  segments_.erase(it);
}

}  // namespace newshound::frontier
