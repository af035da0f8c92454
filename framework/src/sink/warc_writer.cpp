#include "sink/warc_writer.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string_view>
#include <utility>

namespace newshound::sink {
namespace {

// Past this many buffered bytes Write flushes by itself, so a caller that
// flushes rarely does not hold a crawl's worth of records in memory.
constexpr size_t kMaxPendingBytes = 1 << 20;

constexpr char kConformsTo[] = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/";

// The name of the field a de-chunked response's Transfer-Encoding is kept
// under (see StoredResponseHead).
constexpr char kOrigTransferEncoding[] = "X-Newshound-Orig-Transfer-Encoding";

std::string ErrnoText(int error) { return std::strerror(error); }

int64_t UnixMsNow() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::tm UtcTime(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return tm;
}

// RFC 3339 in UTC with milliseconds, as WARC 1.1 allows (5.4 WARC-Date):
// "2024-05-01T12:34:56.789Z".
std::string WarcDate(int64_t unix_ms) {
  const std::tm tm = UtcTime(unix_ms);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  const int64_t ms = ((unix_ms % 1000) + 1000) % 1000;
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03d", static_cast<int>(ms));
  return std::string(text) + fraction + "Z";
}

// "<urn:uuid:xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx>", a random (version 4)
// UUID from OpenSSL's CSPRNG.
std::string NewRecordId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    // Never seen in practice; a clock-and-counter fallback keeps ids unique
    // within the process rather than failing the write.
    static uint64_t counter = 0;
    const uint64_t a = static_cast<uint64_t>(UnixMsNow()), b = ++counter ^ static_cast<uint64_t>(getpid()) << 32;
    std::memcpy(bytes, &a, 8);
    std::memcpy(bytes + 8, &b, 8);
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static const char kHex[] = "0123456789abcdef";
  std::string id = "<urn:uuid:";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) id += '-';
    id += kHex[bytes[i] >> 4];
    id += kHex[bytes[i] & 15];
  }
  return id + ">";
}

// "sha1:" and the RFC 4648 base32 of the SHA-1: the traditional form of
// WARC digests (Heritrix, wget, warcprox), which warcio (Python and JS),
// pywb and CDX indexers read and verify.
std::string Sha1Digest(std::string_view data) {
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out = "sha1:";
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : digest) {  // 160 bits: 32 characters, no padding
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

// A field value on one line: CR, LF and other control characters would end
// the field or the head early, so they become spaces.
std::string FieldValue(std::string_view value) {
  std::string out(value);
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  return out;
}

// WARC-Target-URI must be a URI: anything that cannot appear in one
// (controls, space, non-ASCII) is percent-encoded. The fetcher's URLs are
// already serialized, so this only guards the format.
std::string TargetUri(std::string_view uri) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : uri) {
    if (c <= 0x20 || c >= 0x7f) {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

// One record as WARC 1.1 lays it out: version line, fields, Content-Length,
// blank line, block, and the two CRLFs that end a record.
std::string SerializeRecord(const Fields& fields, std::string_view block) {
  std::string out = "WARC/1.1\r\n";
  for (const auto& [name, value] : fields) out += name + ": " + FieldValue(value) + "\r\n";
  out += "Content-Length: " + std::to_string(block.size()) + "\r\n\r\n";
  out.append(block);
  out += "\r\n\r\n";
  return out;
}

// The record as one gzip member of its own.
std::string GzipMember(const std::string& data) {
  z_stream stream{};
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return rc == Z_STREAM_END ? out : std::string();
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// The response head as stored in the record. Unchanged, except for a
// chunked response: the fetcher keeps the payload with the chunk framing
// removed (HttpExchange::response_payload), so a head still saying
// `Transfer-Encoding: chunked` would make readers de-chunk the payload a
// second time. warcio does exactly that when asked for the content (it
// de-chunks whenever the field says chunked, and a payload that happens to
// start with hex digits and a line end is then mangled), and so does pywb's
// replay. The last Transfer-Encoding field, whose last coding is the
// `chunked` the parser undid (RFC 9112 6.1), is therefore renamed
// X-Newshound-Orig-Transfer-Encoding, value as received; codings before
// `chunked` (still applied to the payload) stay in a Transfer-Encoding field
// of their own. Without Transfer-Encoding or Content-Length the payload runs
// to the end of the block, which is how readers delimit it. The digests are
// of the stored block and payload. (Storing the chunk framing instead, as
// wget does, would keep the head intact but make the payload differ from
// the entity body that WARC-Payload-Digest is defined over.)
std::string StoredResponseHead(const std::string& head) {
  struct Line {
    size_t begin, end;  // [begin, end) without the terminator
    size_t next;        // start of the following line
  };
  std::vector<Line> lines;
  for (size_t pos = 0; pos < head.size();) {
    const size_t lf = head.find('\n', pos);
    const size_t next = lf == std::string::npos ? head.size() : lf + 1;
    size_t end = lf == std::string::npos ? head.size() : lf;
    if (end > pos && head[end - 1] == '\r') --end;
    lines.push_back({pos, end, next});
    pos = next;
  }
  // The last Transfer-Encoding field (line 0 is the status line).
  size_t te = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string_view line(head.data() + lines[i].begin, lines[i].end - lines[i].begin);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && IEquals(Trim(line.substr(0, colon)), "transfer-encoding")) te = i;
  }
  if (te == 0) return head;
  const std::string_view line(head.data() + lines[te].begin, lines[te].end - lines[te].begin);
  const std::string_view value = Trim(line.substr(line.find(':') + 1));
  const size_t comma = value.rfind(',');
  const std::string_view last = Trim(comma == std::string_view::npos ? value : value.substr(comma + 1));
  if (!IEquals(last, "chunked")) return head;  // the parser did not de-chunk it either
  const std::string_view terminator(head.data() + lines[te].end, lines[te].next - lines[te].end);
  std::string replacement = std::string(kOrigTransferEncoding) + ": " + std::string(value) + std::string(terminator);
  if (comma != std::string_view::npos) {
    const std::string_view rest = Trim(value.substr(0, comma));
    if (!rest.empty()) replacement += "Transfer-Encoding: " + std::string(rest) + std::string(terminator);
  }
  return head.substr(0, lines[te].begin) + replacement + head.substr(lines[te].next);
}

}  // namespace

Result<std::unique_ptr<WarcWriter>> WarcWriter::Open(const WarcOptions& options) {
  if (options.directory.empty()) return Status(ErrorCode::kInvalidArgument, "WARC output: no directory given");
  std::error_code ec;
  std::filesystem::create_directories(options.directory, ec);
  if (ec) return Status(ErrorCode::kIo, options.directory + ": cannot create the WARC directory: " + ec.message());
  std::unique_ptr<WarcWriter> writer(new WarcWriter(options));
  if (Status status = writer->OpenNextFile(); !status.ok()) return status;
  return writer;
}

WarcWriter::WarcWriter(const WarcOptions& options) : options_(options) {}

WarcWriter::~WarcWriter() {
  if (fd_ >= 0) {
    (void)Flush();
    ::close(fd_);
  }
}

std::string WarcWriter::Encode(const std::string& record) const {
  return options_.gzip ? GzipMember(record) : record;
}

void WarcWriter::AddRecord(std::string encoded) {
  pending_ += encoded;
  pending_ends_.push_back(pending_.size());
  ++records_;
  ++records_in_file_;
}

Status WarcWriter::OpenNextFile() {
  const int64_t now = UnixMsNow();
  const std::tm tm = UtcTime(now);
  char stamp[16];
  std::strftime(stamp, sizeof stamp, "%Y%m%d%H%M%S", &tm);
  const std::string extension = options_.gzip ? ".warc.gz" : ".warc";
  // O_EXCL: an earlier run's file of the same second and serial is never
  // overwritten; the serial moves on instead.
  for (int attempt = 0;; ++attempt) {
    char serial[16];
    std::snprintf(serial, sizeof serial, "%05u", static_cast<unsigned>(serial_++ % 100000));
    const std::string name = options_.prefix + "-" + stamp + "-" + serial + extension;
    const std::string path = (std::filesystem::path(options_.directory) / name).string();
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
      const int error = errno;
      if (error == EEXIST && attempt < 1000) continue;
      return Status(ErrorCode::kIo, path + ": cannot create WARC file: " + ErrnoText(error));
    }
    fd_ = fd;
    path_ = path;
    file_bytes_ = 0;
    warcinfo_id_ = NewRecordId();
    std::string info = "software: " + FieldValue(options_.software) + "\r\n" + "format: WARC File Format 1.1\r\n" +
                       "conformsTo: " + kConformsTo + "\r\n";
    if (!options_.description.empty()) info += "description: " + FieldValue(options_.description) + "\r\n";
    Fields fields;
    fields.emplace_back("WARC-Type", "warcinfo");
    fields.emplace_back("WARC-Record-ID", warcinfo_id_);
    fields.emplace_back("WARC-Date", WarcDate(now));
    fields.emplace_back("WARC-Filename", name);
    fields.emplace_back("Content-Type", "application/warc-fields");
    fields.emplace_back("WARC-Block-Digest", Sha1Digest(info));
    records_in_file_ = 0;
    std::string encoded = Encode(SerializeRecord(fields, info));
    if (encoded.empty()) return Status(ErrorCode::kInternal, path + ": cannot gzip the warcinfo record");
    AddRecord(std::move(encoded));
    return Status::Ok();
  }
}

Status WarcWriter::CloseFile() {
  if (fd_ < 0) return Status::Ok();
  if (Status status = Flush(); !status.ok()) return status;
  const int rc = ::close(fd_);
  const int error = errno;
  fd_ = -1;
  if (rc != 0) return Status(ErrorCode::kIo, path_ + ": cannot close WARC file: " + ErrnoText(error));
  return Status::Ok();
}

Status WarcWriter::Write(const HttpExchange& exchange) {
  // A rotation that closed the last file but could not create the next
  // one is tried again.
  if (fd_ < 0)
    if (Status status = OpenNextFile(); !status.ok()) return status;
  const std::string date = WarcDate(exchange.request_time_ms);
  const std::string target = TargetUri(exchange.target_uri);
  const std::string request_id = NewRecordId();
  const std::string response_id = NewRecordId();

  const std::string response_block = StoredResponseHead(exchange.response_head) + exchange.response_payload;
  const size_t head_end = exchange.request.find("\r\n\r\n");
  const std::string_view request_payload =
      head_end == std::string::npos ? std::string_view() : std::string_view(exchange.request).substr(head_end + 4);
  const std::string request_block_digest = Sha1Digest(exchange.request);
  const std::string request_payload_digest = Sha1Digest(request_payload);
  const std::string response_block_digest = Sha1Digest(response_block);
  const std::string response_payload_digest = Sha1Digest(exchange.response_payload);

  // The pair as it goes into the current file (whose warcinfo it names),
  // encoded.
  std::string request_out, response_out;
  auto encode = [&]() -> Status {
    Fields common;
    common.emplace_back("WARC-Date", date);
    common.emplace_back("WARC-Target-URI", target);
    if (!exchange.ip_address.empty()) common.emplace_back("WARC-IP-Address", exchange.ip_address);
    common.emplace_back("WARC-Warcinfo-ID", warcinfo_id_);

    Fields fields;
    fields.emplace_back("WARC-Type", "request");
    fields.emplace_back("WARC-Record-ID", request_id);
    fields.insert(fields.end(), common.begin(), common.end());
    fields.emplace_back("WARC-Concurrent-To", response_id);
    fields.emplace_back("Content-Type", "application/http;msgtype=request");
    fields.emplace_back("WARC-Block-Digest", request_block_digest);
    fields.emplace_back("WARC-Payload-Digest", request_payload_digest);
    request_out = Encode(SerializeRecord(fields, exchange.request));

    fields.clear();
    fields.emplace_back("WARC-Type", "response");
    fields.emplace_back("WARC-Record-ID", response_id);
    fields.insert(fields.end(), common.begin(), common.end());
    fields.emplace_back("WARC-Concurrent-To", request_id);
    fields.emplace_back("Content-Type", "application/http;msgtype=response");
    fields.emplace_back("WARC-Block-Digest", response_block_digest);
    fields.emplace_back("WARC-Payload-Digest", response_payload_digest);
    if (exchange.truncated)
      fields.emplace_back("WARC-Truncated",
                          exchange.truncated_reason.empty() ? "unspecified" : exchange.truncated_reason);
    response_out = Encode(SerializeRecord(fields, response_block));
    if (request_out.empty() || response_out.empty())
      return Status(ErrorCode::kInternal, path_ + ": cannot gzip a WARC record of " + target);
    return Status::Ok();
  };
  if (Status status = encode(); !status.ok()) return status;

  // A file that holds more than its warcinfo and would grow past the limit
  // is closed first; the pair goes to the next one, which it then names.
  const uint64_t incoming = request_out.size() + response_out.size();
  if (options_.max_file_bytes > 0 && records_in_file_ > 1 &&
      file_bytes_ + pending_.size() + incoming > options_.max_file_bytes) {
    if (Status status = CloseFile(); !status.ok()) return status;
    if (Status status = OpenNextFile(); !status.ok()) return status;
    if (Status status = encode(); !status.ok()) return status;
  }
  AddRecord(std::move(request_out));
  AddRecord(std::move(response_out));
  if (pending_.size() > kMaxPendingBytes) return Flush();
  return Status::Ok();
}

Status WarcWriter::Flush() {
  if (fd_ < 0 || pending_.empty()) return Status::Ok();
  size_t done = 0;
  int error = 0;
  while (done < pending_.size()) {
    const ssize_t n = ::pwrite(fd_, pending_.data() + done, pending_.size() - done,
                               static_cast<off_t>(file_bytes_ + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    if (n == 0) {
      error = EIO;
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (error == 0) {
    file_bytes_ += pending_.size();
    pending_.clear();
    pending_ends_.clear();
    return Status::Ok();
  }
  // Keep the records written whole; cut off the part of the one that was
  // not, so the file ends at a record boundary and a reader never sees
  // half a record. The rest stays buffered for the next Flush.
  const auto whole = std::upper_bound(pending_ends_.begin(), pending_ends_.end(), done);
  const size_t kept = whole == pending_ends_.begin() ? 0 : *(whole - 1);
  std::string message = path_ + ": cannot write WARC records: " + ErrnoText(error);
  if (::ftruncate(fd_, static_cast<off_t>(file_bytes_ + kept)) != 0) {
    message += "; cutting the file back to its last whole record (byte " + std::to_string(file_bytes_ + kept) +
               ") failed too: " + ErrnoText(errno);
  } else {
    message += "; file cut back to its last whole record (" + std::to_string(file_bytes_ + kept) + " bytes)";
  }
  file_bytes_ += kept;
  pending_.erase(0, kept);
  pending_ends_.erase(pending_ends_.begin(), whole);
  for (size_t& end : pending_ends_) end -= kept;
  return Status(ErrorCode::kIo, message);
}

Status WarcWriter::Sync() {
  if (Status status = Flush(); !status.ok()) return status;
  if (fd_ >= 0 && ::fdatasync(fd_) != 0)
    return Status(ErrorCode::kIo, path_ + ": cannot sync WARC file: " + ErrnoText(errno));
  return Status::Ok();
}

}  // namespace newshound::sink
