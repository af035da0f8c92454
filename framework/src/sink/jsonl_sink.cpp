#include "sink/jsonl_sink.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>

namespace newshound::sink {
namespace {

namespace fs = std::filesystem;

Status IoError(const std::string& path, const std::string& what, int error = errno) {
  return Status(ErrorCode::kIo, path + ": " + what + ": " + std::strerror(error));
}

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string UtcStamp(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char out[32];
  std::strftime(out, sizeof(out), "%Y%m%dT%H%M%SZ", &tm);
  return out;
}

// "20261202T070000Z" -> Unix ms; nullopt if it is not one.
std::optional<int64_t> ParseUtcStamp(std::string_view text) {
  if (text.size() != 16 || text[8] != 'T' || text[15] != 'Z') return std::nullopt;
  std::tm tm{};
  auto number = [&](size_t at, size_t length, int& out) {
    auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + length, out);
    return ec == std::errc() && end == text.data() + at + length;
  };
  int year, month, day, hour, minute, second;
  if (!number(0, 4, year) || !number(4, 2, month) || !number(6, 2, day) || !number(9, 2, hour) ||
      !number(11, 2, minute) || !number(13, 2, second))
    return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// `text` as one complete gzip member.
std::string GzipMember(const std::string& text) {
  z_stream z{};
  // 15 + 16: a gzip wrapper; level 6, zlib's default trade-off.
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, static_cast<uLong>(text.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return {};
  return out;
}

// Reads `fd` from `offset` as a series of gzip members: calls `on_text` with
// the text of each whole member and returns the offset just past the last
// whole one (a partial or corrupt member after it ends the walk).
template <typename OnText>
Result<uint64_t> WalkGzipMembers(int fd, const std::string& path, uint64_t offset, uint64_t size, OnText on_text) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return Status(ErrorCode::kIo, path + ": cannot start gzip decoding");
  std::string input(1 << 16, '\0');
  std::string output(1 << 16, '\0');
  std::string member_text;
  uint64_t end_of_whole = offset;
  uint64_t consumed = offset;  // bytes of the file taken by inflate so far
  uint64_t read_at = offset;
  bool bad = false;
  while (!bad && read_at < size) {
    const ssize_t n = ::pread(fd, input.data(), std::min<uint64_t>(input.size(), size - read_at), static_cast<off_t>(read_at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      inflateEnd(&z);
      return IoError(path, "cannot read");
    }
    read_at += static_cast<uint64_t>(n);
    z.next_in = reinterpret_cast<Bytef*>(input.data());
    z.avail_in = static_cast<uInt>(n);
    while (z.avail_in > 0) {
      z.next_out = reinterpret_cast<Bytef*>(output.data());
      z.avail_out = static_cast<uInt>(output.size());
      const uInt before = z.avail_in;
      const int rc = inflate(&z, Z_NO_FLUSH);
      consumed += before - z.avail_in;
      member_text.append(output.data(), output.size() - z.avail_out);
      if (rc == Z_STREAM_END) {
        on_text(member_text);
        member_text.clear();
        end_of_whole = consumed;
        inflateReset(&z);
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        bad = true;
        break;
      }
    }
  }
  inflateEnd(&z);
  return end_of_whole;
}

// write(2) with SIGPIPE held back for this thread: a reader that closed a
// pipe must be an EPIPE error naming the sink, not a signal that ends the
// process without a word (the default action). The signal that write
// raises anyway is taken off this thread's pending set before the mask is
// restored, so the process never sees it; the program's own SIGPIPE
// disposition is left as it was (a library should not change it).
ssize_t WriteWithoutSigpipe(int fd, const char* data, size_t size) {
  sigset_t sigpipe, previous;
  sigemptyset(&sigpipe);
  sigaddset(&sigpipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &sigpipe, &previous);
  const ssize_t n = ::write(fd, data, size);
  const int error = errno;
  if (n < 0 && error == EPIPE) {
    const timespec now{0, 0};
    while (sigtimedwait(&sigpipe, nullptr, &now) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  errno = error;
  return n;
}

// Splits whole lines of `text` into `lines`.
void AppendLines(std::string_view text, std::vector<std::string>& lines) {
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    if (newline == std::string_view::npos) break;  // not ours: records always end in one
    lines.emplace_back(text.substr(0, newline));
    text.remove_prefix(newline + 1);
  }
}

}  // namespace

Result<std::unique_ptr<JsonlSink>> JsonlSink::Open(const SinkConfig& config) {
  std::unique_ptr<JsonlSink> sink(new JsonlSink(config));
  // A relative path is taken against the working directory once, here:
  // from then on the sink (its messages, and the key the crawl state keeps
  // its checkpoint under) knows its files by absolute path, wherever the
  // next run starts from.
  std::error_code ec;
  const fs::path absolute = fs::absolute(config.path, ec);
  if (ec) return Status(ErrorCode::kIo, config.path + ": cannot resolve against the working directory: " + ec.message());
  sink->shown_ = absolute.string() == config.path ? config.path : config.path + " (" + absolute.string() + ")";
  sink->directory_ = absolute.parent_path().string();
  std::string name = absolute.filename().string();
  struct stat st {};
  if (::lstat(absolute.c_str(), &st) == 0 && S_ISFIFO(st.st_mode)) {
    // A named pipe to another program: a stream, written in order and
    // never read back, cut or rotated.
    if (config.rotates())
      return Status(ErrorCode::kConfig, sink->shown_ + ": is a named pipe, which cannot rotate (rotate_size, rotate_every)");
    sink->stream_ = true;
    if (Status status = sink->OpenPipe(absolute.string()); !status.ok()) return status;
    return sink;
  }
  if (config.gzip && !name.ends_with(".gz")) name += ".gz";
  if (!config.rotates()) {
    sink->stem_ = name;
  } else {
    // articles.jsonl.gz -> stem "articles", extension ".jsonl.gz".
    std::string stem = name;
    if (stem.ends_with(".gz")) stem.resize(stem.size() - 3);
    if (stem.ends_with(".jsonl")) stem.resize(stem.size() - 6);
    sink->stem_ = stem;
    sink->extension_ = config.gzip ? ".jsonl.gz" : ".jsonl";
  }
  if (name.empty() || sink->stem_.empty()) return Status(ErrorCode::kConfig, sink->shown_ + ": not a file name");
  fs::create_directories(sink->directory_, ec);
  if (ec) return Status(ErrorCode::kIo, sink->shown_ + ": cannot create directory " + sink->directory_ + ": " + ec.message());

  if (!config.rotates()) {
    if (Status status = sink->OpenFile((fs::path(sink->directory_) / sink->stem_).string(), false); !status.ok())
      return status;
    return sink;
  }
  auto files = sink->Files();
  if (!files.ok()) return files.status();
  if (!files->empty()) {
    const std::string newest = files->back();
    const std::string base = fs::path(newest).filename().string();
    // <stem>-<stamp>-<seq><extension>
    const std::string middle = base.substr(sink->stem_.size() + 1, base.size() - sink->stem_.size() - 1 - sink->extension_.size());
    const auto started = ParseUtcStamp(std::string_view(middle).substr(0, 16));
    std::from_chars(middle.data() + 17, middle.data() + middle.size(), sink->seq_);
    if (Status status = sink->OpenFile(newest, false); !status.ok()) return status;
    // One past its limits rotates at the first flush (Flush checks both).
    sink->opened_at_ms_ = started.value_or(UnixMs());
    return sink;
  }
  if (Status status = sink->Rotate(); !status.ok()) return status;
  return sink;
}

JsonlSink::~JsonlSink() {
  if (fd_ >= 0) {
    if (!stream_) ::fdatasync(fd_);
    ::close(fd_);
  }
}

Status JsonlSink::OpenPipe(const std::string& file) {
  // Non-blocking, so that a pipe nobody reads is an error now rather than
  // a crawl hanging in open(2); blocking again for the writes, so that a
  // slow reader holds the crawl back (as a slow disk would) instead of
  // failing it.
  const int fd = ::open(file.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENXIO)
    return Status(ErrorCode::kIo, shown_ + ": cannot open the named pipe: no process has it open for reading");
  if (fd < 0) return IoError(shown_, "cannot open the named pipe");
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
    Status status = IoError(shown_, "cannot make the named pipe blocking");
    ::close(fd);
    return status;
  }
  fd_ = fd;
  file_ = file;
  return Status::Ok();
}

std::string JsonlSink::path() const { return file_; }

std::string JsonlSink::SegmentName(int64_t seq) const {
  char number[16];
  std::snprintf(number, sizeof(number), "%06lld", static_cast<long long>(seq));
  return stem_ + "-" + UtcStamp(UnixMs()) + "-" + number + extension_;
}

Result<std::vector<std::string>> JsonlSink::Files() const {
  if (stream_) return std::vector<std::string>{};  // what went down a pipe cannot be read back
  if (!config_.rotates()) return std::vector<std::string>{(fs::path(directory_) / stem_).string()};
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  for (fs::directory_iterator it(directory_, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string base = it->path().filename().string();
    // <stem>-yyyymmddTHHMMSSZ-<seq><extension>
    if (!base.starts_with(stem_ + "-") || !base.ends_with(extension_)) continue;
    const std::string middle = base.substr(stem_.size() + 1, base.size() - stem_.size() - 1 - extension_.size());
    if (middle.size() < 18 || middle[16] != '-' || !ParseUtcStamp(std::string_view(middle).substr(0, 16))) continue;
    int64_t seq = 0;
    auto [at, error] = std::from_chars(middle.data() + 17, middle.data() + middle.size(), seq);
    if (error != std::errc() || at != middle.data() + middle.size()) continue;
    found.emplace_back(seq, it->path().string());
  }
  if (ec) return Status(ErrorCode::kIo, shown_ + ": cannot list " + directory_ + ": " + ec.message());
  std::sort(found.begin(), found.end());
  std::vector<std::string> files;
  for (auto& [seq, file] : found) files.push_back(std::move(file));
  return files;
}

Status JsonlSink::OpenFile(const std::string& file, bool create_new) {
  const int flags = O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | (create_new ? O_EXCL : 0);
  const int fd = ::open(file.c_str(), flags, 0644);
  const std::string shown = config_.rotates() ? file : shown_;
  if (fd < 0) return IoError(shown, create_new ? "cannot create" : "cannot open for appending");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status status = IoError(shown, "cannot stat");
    ::close(fd);
    return status;
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t keep = size;
  if (size > 0 && config_.gzip) {
    auto whole = WalkGzipMembers(fd, shown, 0, size, [](const std::string&) {});
    if (!whole.ok()) {
      ::close(fd);
      return whole.status();
    }
    keep = *whole;
  } else if (size > 0) {
    // The end of the last complete line, reading backwards in blocks.
    keep = 0;
    char block[4096];
    for (uint64_t end = size; end > 0 && keep == 0;) {
      const uint64_t begin = end > sizeof(block) ? end - sizeof(block) : 0;
      const ssize_t n = ::pread(fd, block, end - begin, static_cast<off_t>(begin));
      if (n != static_cast<ssize_t>(end - begin)) {
        Status status = IoError(shown, "cannot read");
        ::close(fd);
        return status;
      }
      for (ssize_t i = n - 1; i >= 0; --i) {
        if (block[i] == '\n') {
          keep = begin + static_cast<uint64_t>(i) + 1;
          break;
        }
      }
      end = begin;
    }
  }
  if (keep < size) {
    if (::ftruncate(fd, static_cast<off_t>(keep)) != 0) {
      Status status = IoError(shown, config_.gzip ? "cannot cut off a partial last gzip member" : "cannot cut off a partial last line");
      ::close(fd);
      return status;
    }
    repaired_bytes_ += size - keep;
  }
  std::lock_guard lock(fd_mutex_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  file_ = file;
  size_ = keep;
  return Status::Ok();
}

Status JsonlSink::Rotate() {
  if (fd_ >= 0 && ::fdatasync(fd_) != 0) return IoError(file_, "cannot sync to disk");
  ++seq_;
  opened_at_ms_ = UnixMs();
  return OpenFile((fs::path(directory_) / SegmentName(seq_)).string(), /*create_new=*/true);
}

Status JsonlSink::WriteArticle(const ArticleRecord&, const RecordMeta&, const std::string& json) { return Append(json); }

Status JsonlSink::Append(const std::string& line) {
  if (line.find('\n') != std::string::npos)
    return Status(ErrorCode::kInvalidArgument, file_ + ": a JSONL record must not contain a newline");
  buffer_ += line;
  buffer_ += '\n';
  return Status::Ok();
}

Status JsonlSink::Flush() {
  if (buffer_.empty()) return Status::Ok();
  std::string gzipped;
  if (config_.gzip) {
    gzipped = GzipMember(buffer_);
    if (gzipped.empty()) return Status(ErrorCode::kIo, file_ + ": gzip compression failed");
  }
  const std::string& data = config_.gzip ? gzipped : buffer_;
  if (config_.rotates()) {
    // Not by size when empty: a record bigger than rotate_size gets a
    // segment of its own rather than an endless rotation.
    const bool too_big = config_.rotate_size > 0 && size_ > 0 && size_ + data.size() > config_.rotate_size;
    const bool too_old = config_.rotate_every > Millis(0) && UnixMs() - opened_at_ms_ >= config_.rotate_every.count();
    if (too_big || too_old) {
      if (Status status = Rotate(); !status.ok()) return status;
    }
  }
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = stream_ ? WriteWithoutSigpipe(fd_, data.data() + written, data.size() - written)
                              : ::write(fd_, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && stream_) {
      // Part of a record may have reached the reader: nothing can take it
      // back, and nothing more can go down this pipe.
      if (errno == EPIPE) return Status(ErrorCode::kIo, file_ + ": cannot write: the reader closed the pipe");
      return IoError(file_, "cannot write to the pipe");
    }
    if (n < 0) {
      const int error = errno;
      // Take back what part of it made it, so the file stays whole records.
      if (written > 0 && ::ftruncate(fd_, static_cast<off_t>(size_)) != 0)
        return IoError(file_, "cannot write, and the partial record could not be removed", error);
      return IoError(file_, "cannot write", error);
    }
    written += static_cast<size_t>(n);
  }
  size_ += data.size();
  buffer_.clear();
  return Status::Ok();
}

Status JsonlSink::Sync() {
  // dup under the lock, sync outside it: a rotation on the strand waits for
  // the dup, not for the disk.
  if (stream_) return Status::Ok();  // a pipe holds nothing a power loss could take
  int fd;
  std::string file;
  {
    std::lock_guard lock(fd_mutex_);
    if (fd_ < 0) return Status::Ok();
    fd = ::dup(fd_);
    file = file_;
  }
  if (fd < 0) return IoError(file, "cannot sync to disk");
  const int rc = ::fdatasync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) return IoError(file, "cannot sync to disk", error);
  return Status::Ok();
}

Result<std::vector<std::string>> JsonlSink::ReadLines(const std::string& file, uint64_t offset) const {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return IoError(file, "cannot open for reading");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status status = IoError(file, "cannot stat");
    ::close(fd);
    return status;
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  std::vector<std::string> lines;
  if (config_.gzip) {
    auto walked = WalkGzipMembers(fd, file, offset, size, [&lines](const std::string& text) { AppendLines(text, lines); });
    ::close(fd);
    if (!walked.ok()) return walked.status();
    return lines;
  }
  std::string text;
  char block[65536];
  for (uint64_t at = offset; at < size;) {
    const ssize_t n = ::pread(fd, block, std::min<uint64_t>(sizeof(block), size - at), static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status status = IoError(file, "cannot read");
      ::close(fd);
      return status;
    }
    text.append(block, static_cast<size_t>(n));
    at += static_cast<uint64_t>(n);
  }
  ::close(fd);
  AppendLines(text, lines);
  return lines;
}

}  // namespace newshound::sink
