// WARC 1.1 output of the raw exchanges: the fetcher's capture of requests
// and responses as on the wire (FetchSettings::record_exchanges), the
// WarcWriter's records, files and failure handling, and the files read back
// record by record by an independent reader, warcio from npm
// (tests/warc_reader, installed by tools/install-warc-reader), with payloads
// compared to what the server sent, got by a raw socket of the test's own.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include <csignal>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <regex>
#include <stdexcept>
#include <thread>

#include "loopback.h"
#include "net/fetcher.h"
#include "newshound/fetch.h"
#include "sink/warc_writer.h"
#include "test_support.h"

namespace newshound {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using sink::WarcOptions;
using sink::WarcWriter;

// --- Reading WARC files back without the writer's code -------------------

// The members of a file of concatenated gzip members, each inflated on its
// own; throws if the file does not end exactly at the end of a member.
std::vector<std::string> GzipMembers(const std::string& file) {
  std::vector<std::string> members;
  size_t offset = 0;
  while (offset < file.size()) {
    z_stream stream{};
    if (inflateInit2(&stream, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2 failed");
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(file.data() + offset));
    stream.avail_in = static_cast<uInt>(file.size() - offset);
    std::string out;
    int rc = Z_OK;
    while (rc == Z_OK) {
      char chunk[16384];
      stream.next_out = reinterpret_cast<Bytef*>(chunk);
      stream.avail_out = sizeof chunk;
      rc = inflate(&stream, Z_NO_FLUSH);
      out.append(chunk, sizeof chunk - stream.avail_out);
    }
    const size_t used = (file.size() - offset) - stream.avail_in;
    inflateEnd(&stream);
    if (rc != Z_STREAM_END)
      throw std::runtime_error("gzip member at byte " + std::to_string(offset) + " is not whole (zlib " +
                               std::to_string(rc) + ")");
    members.push_back(std::move(out));
    offset += used;
  }
  return members;
}

std::string Gunzip(const std::string& data) {
  std::string out;
  for (const std::string& member : GzipMembers(data)) out += member;
  return out;
}

struct Record {
  std::vector<std::pair<std::string, std::string>> fields;
  std::string block;

  std::string Field(const std::string& name) const {
    for (const auto& [key, value] : fields)
      if (key == name) return value;
    return "";
  }
  int Count(const std::string& name) const {
    int n = 0;
    for (const auto& field : fields) n += field.first == name;
    return n;
  }
};

// Parses the records of an uncompressed WARC (or of the concatenated
// inflated members), strictly: version line, fields, Content-Length bytes
// of block, CRLF CRLF.
std::vector<Record> ParseRecords(const std::string& text) {
  std::vector<Record> records;
  size_t pos = 0;
  while (pos < text.size()) {
    if (text.compare(pos, 10, "WARC/1.1\r\n") != 0)
      throw std::runtime_error("no WARC/1.1 line at byte " + std::to_string(pos));
    pos += 10;
    Record record;
    int64_t length = -1;
    for (;;) {
      const size_t end = text.find("\r\n", pos);
      if (end == std::string::npos) throw std::runtime_error("unterminated WARC head");
      if (end == pos) {
        pos += 2;
        break;
      }
      const std::string line = text.substr(pos, end - pos);
      const size_t colon = line.find(": ");
      if (colon == std::string::npos) throw std::runtime_error("bad field line: " + line);
      record.fields.emplace_back(line.substr(0, colon), line.substr(colon + 2));
      if (line.substr(0, colon) == "Content-Length") length = std::stoll(line.substr(colon + 2));
      pos = end + 2;
    }
    if (length < 0 || pos + length + 4 > text.size()) throw std::runtime_error("bad Content-Length");
    record.block = text.substr(pos, length);
    pos += length;
    if (text.compare(pos, 4, "\r\n\r\n") != 0) throw std::runtime_error("record not followed by CRLF CRLF");
    pos += 4;
    records.push_back(std::move(record));
  }
  return records;
}

std::vector<Record> ReadWarc(const fs::path& path, bool gzip = true) {
  const std::string file = test::ReadFile(path);
  std::string text;
  if (gzip) {
    for (const std::string& member : GzipMembers(file)) {
      // One record per member: each member parses on its own.
      if (ParseRecords(member).size() != 1) throw std::runtime_error("a gzip member that is not one record");
      text += member;
    }
  } else {
    text = file;
  }
  return ParseRecords(text);
}

std::vector<fs::path> WarcFiles(const fs::path& directory) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

// "2024-05-01T12:34:56.789Z" -> Unix ms; -1 if not of that form.
int64_t ParseWarcDate(const std::string& text) {
  static const std::regex kForm(R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})Z$)");
  std::smatch m;
  if (!std::regex_match(text, m, kForm)) return -1;
  std::tm tm{};
  tm.tm_year = std::stoi(m[1]) - 1900;
  tm.tm_mon = std::stoi(m[2]) - 1;
  tm.tm_mday = std::stoi(m[3]);
  tm.tm_hour = std::stoi(m[4]);
  tm.tm_min = std::stoi(m[5]);
  tm.tm_sec = std::stoi(m[6]);
  return static_cast<int64_t>(timegm(&tm)) * 1000 + std::stoi(m[7]);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string RandomBytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

HttpExchange MakeExchange(const std::string& path, const std::string& payload) {
  HttpExchange exchange;
  exchange.target_uri = "http://news.test" + path;
  exchange.ip_address = "192.0.2.7";
  exchange.request_time_ms = 1714566896789;  // 2024-05-01T12:34:56.789Z
  exchange.request = "GET " + path + " HTTP/1.1\r\nHost: news.test\r\nUser-Agent: newshound-test\r\n\r\n";
  exchange.response_head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
                           std::to_string(payload.size()) + "\r\n\r\n";
  exchange.response_payload = payload;
  return exchange;
}

WarcOptions Options(const fs::path& directory) {
  WarcOptions options;
  options.directory = directory.string();
  return options;
}

std::unique_ptr<WarcWriter> OpenWriter(const WarcOptions& options) {
  auto writer = WarcWriter::Open(options);
  if (!writer.ok()) throw std::runtime_error(writer.status().ToString());
  return std::move(writer).value();
}

// --- warcio, the independent reader --------------------------------------

fs::path ReaderDir() { return fs::path(NEWSHOUND_SOURCE_DIR) / "tests" / "warc_reader"; }

// `node` from PATH, or a failure that says how to get it.
std::string FindNode() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const fs::path candidate = fs::path(dirs.substr(start, end - start)) / "node";
    if (!candidate.parent_path().empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  throw std::runtime_error(
      "node is not on PATH: the WARC tests read the files back with warcio (npm); install both with "
      "tools/install-warc-reader");
}

// One JSON object per record, as tests/warc_reader/read_warc.mjs prints them.
std::vector<json::object> ReadWithWarcio(const fs::path& file) {
  const std::string node = FindNode();
  if (!fs::exists(ReaderDir() / "node_modules" / "warcio" / "package.json"))
    throw std::runtime_error("the npm package warcio is not installed in " + ReaderDir().string() +
                             ": run tools/install-warc-reader");
  test::Subprocess reader({node, (ReaderDir() / "read_warc.mjs").string(), file.string()});
  const auto status = reader.Wait(std::chrono::seconds(60));
  if (!status || !status->success())
    throw std::runtime_error("read_warc.mjs " + file.string() + " failed (" +
                             (status ? status->ToString() : std::string("still running")) + "): " + reader.Stderr());
  std::vector<json::object> records;
  const std::string out = reader.Stdout();
  for (size_t pos = 0; pos < out.size();) {
    size_t end = out.find('\n', pos);
    if (end == std::string::npos) end = out.size();
    if (end > pos) records.push_back(json::parse(out.substr(pos, end - pos)).as_object());
    pos = end + 1;
  }
  return records;
}

std::string Str(const json::object& object, const char* key) {
  const json::value* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

// A WARC field of a warcio record ("" if absent); warcio keeps the order and
// case of the file.
std::string WarcField(const json::object& record, const std::string& name) {
  for (const auto& pair : record.at("warc_headers").as_array()) {
    const auto& kv = pair.as_array();
    if (kv.at(0).as_string() == name) return std::string(kv.at(1).as_string());
  }
  return "";
}

std::string HttpField(const json::object& record, const std::string& name) {
  const auto& http = record.at("http");
  if (!http.is_object()) return "";
  for (const auto& pair : http.as_object().at("headers").as_array()) {
    const auto& kv = pair.as_array();
    std::string key(kv.at(0).as_string());
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
      return std::string(kv.at(1).as_string());
  }
  return "";
}

std::string StatusLine(const json::object& record) {
  const auto& http = record.at("http");
  return http.is_object() ? std::string(http.as_object().at("statusline").as_string()) : "";
}

std::string Base64Decode(const std::string& text) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const size_t v = kAlphabet.find(c);
    if (v == std::string::npos) throw std::runtime_error("bad base64");
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      out += static_cast<char>((buffer >> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return out;
}

std::string Payload(const json::object& record) { return Base64Decode(Str(record, "payload_b64")); }
std::string Content(const json::object& record) { return Base64Decode(Str(record, "content_b64")); }

// --- Raw sockets: what the server sent, seen without the fetcher ----------

int ConnectLoopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
  }
  return fd;
}

void SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("send failed");
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string ReadToEof(int fd) {
  std::string out;
  char chunk[16384];
  for (;;) {
    pollfd poll_fd{fd, POLLIN, 0};
    if (::poll(&poll_fd, 1, 10000) <= 0) throw std::runtime_error("raw socket: no data within 10 s");
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0) throw std::runtime_error("recv failed");
    if (n == 0) return out;
    out.append(chunk, static_cast<size_t>(n));
  }
}

// RFC 9112 7.1 chunked framing undone (no trailers expected).
std::string Dechunk(const std::string& body) {
  std::string out;
  size_t pos = 0;
  for (;;) {
    const size_t eol = body.find("\r\n", pos);
    if (eol == std::string::npos) throw std::runtime_error("chunk size line missing");
    const size_t size = std::stoul(body.substr(pos, eol - pos), nullptr, 16);
    pos = eol + 2;
    if (size == 0) return out;
    out += body.substr(pos, size);
    pos += size + 2;
  }
}

struct RawResponse {
  std::string head;  // through the blank line
  std::string body;  // as sent, de-chunked when chunked
};

// A GET of our own over a fresh connection, read to the close.
RawResponse RawGet(int port, const std::string& target, const std::string& accept_encoding) {
  const int fd = ConnectLoopback(port);
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nConnection: close\r\n";
  if (!accept_encoding.empty()) request += "Accept-Encoding: " + accept_encoding + "\r\n";
  request += "\r\n";
  std::string wire;
  try {
    SendAll(fd, request);
    wire = ReadToEof(fd);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  const size_t end = wire.find("\r\n\r\n");
  if (end == std::string::npos) throw std::runtime_error("raw GET " + target + ": no response head");
  RawResponse response{wire.substr(0, end + 4), wire.substr(end + 4)};
  std::string lower = response.head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("transfer-encoding: chunked") != std::string::npos) response.body = Dechunk(response.body);
  return response;
}

// A server on 127.0.0.1 that answers one connection with `response`, byte
// for byte, then closes; it keeps the request it received.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 1) != 0)
      throw std::runtime_error("cannot listen on 127.0.0.1");
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~OneShotServer() {
    thread_.join();
    ::close(listen_fd_);
  }
  int port() const { return port_; }
  // The request as received; valid once the fetch is over.
  const std::string& received() const { return received_; }

 private:
  void Serve() {
    pollfd poll_fd{listen_fd_, POLLIN, 0};
    if (::poll(&poll_fd, 1, 20000) <= 0) return;  // nobody came: the test fails on its own
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    char chunk[4096];
    while (received_.find("\r\n\r\n") == std::string::npos) {
      pollfd client{fd, POLLIN, 0};
      if (::poll(&client, 1, 10000) <= 0) break;
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      received_.append(chunk, static_cast<size_t>(n));
    }
    try {
      SendAll(fd, response_);
    } catch (...) {
    }
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
  }

  std::string response_;
  std::string received_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

FetchSettings RecordingSettings() {
  FetchSettings settings = test::LoopbackFetchSettings();
  settings.user_agent = "newshound-test";
  settings.record_exchanges = true;
  return settings;
}

// ============================ The writer ==================================

TEST(WarcWriter, Warc_FileStartsWithWarcinfoThenARequestAndAResponseLinkedBothWays) {
  test::TempDir dir;
  WarcOptions options = Options(dir / "warc");
  options.description = "sink 'archive'";
  auto writer = OpenWriter(options);
  const std::string payload = "<html>hello</html>";
  ASSERT_TRUE(writer->Write(MakeExchange("/a.html", payload)).ok());
  ASSERT_TRUE(writer->Flush().ok());
  EXPECT_EQ(writer->records_written(), 3u);

  const auto files = WarcFiles(dir / "warc");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].string(), writer->current_path());
  const auto records = ReadWarc(files[0]);
  ASSERT_EQ(records.size(), 3u);

  const Record& info = records[0];
  EXPECT_EQ(info.Field("WARC-Type"), "warcinfo");
  EXPECT_EQ(info.Field("WARC-Filename"), files[0].filename().string());
  EXPECT_EQ(info.Field("Content-Type"), "application/warc-fields");
  EXPECT_NE(info.block.find("software: newshound\r\n"), std::string::npos) << info.block;
  EXPECT_NE(info.block.find("format: WARC File Format 1.1\r\n"), std::string::npos);
  EXPECT_NE(info.block.find("description: sink 'archive'\r\n"), std::string::npos);
  EXPECT_GT(ParseWarcDate(info.Field("WARC-Date")), 0) << info.Field("WARC-Date");

  const Record& request = records[1];
  const Record& response = records[2];
  const std::regex uuid(R"(^<urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}>$)");
  for (const Record* record : {&info, &request, &response}) {
    EXPECT_TRUE(std::regex_match(record->Field("WARC-Record-ID"), uuid)) << record->Field("WARC-Record-ID");
    EXPECT_EQ(record->Count("WARC-Record-ID"), 1);
    EXPECT_EQ(record->Field("Content-Length"), std::to_string(record->block.size()));
  }
  EXPECT_EQ(request.Field("WARC-Type"), "request");
  EXPECT_EQ(response.Field("WARC-Type"), "response");
  EXPECT_EQ(request.Field("Content-Type"), "application/http;msgtype=request");
  EXPECT_EQ(response.Field("Content-Type"), "application/http;msgtype=response");
  EXPECT_EQ(request.Field("WARC-Concurrent-To"), response.Field("WARC-Record-ID"));
  EXPECT_EQ(response.Field("WARC-Concurrent-To"), request.Field("WARC-Record-ID"));
  EXPECT_NE(request.Field("WARC-Record-ID"), response.Field("WARC-Record-ID"));
  for (const Record* record : {&request, &response}) {
    EXPECT_EQ(record->Field("WARC-Target-URI"), "http://news.test/a.html");
    EXPECT_EQ(record->Field("WARC-IP-Address"), "192.0.2.7");
    EXPECT_EQ(record->Field("WARC-Date"), "2024-05-01T12:34:56.789Z");
    EXPECT_EQ(record->Field("WARC-Warcinfo-ID"), info.Field("WARC-Record-ID"));
    EXPECT_EQ(record->Count("WARC-Truncated"), 0);
  }
  const HttpExchange exchange = MakeExchange("/a.html", payload);
  EXPECT_EQ(request.block, exchange.request);
  EXPECT_EQ(response.block, exchange.response_head + payload);
  // SHA-1 of no bytes, in base32: a request without a body.
  EXPECT_EQ(request.Field("WARC-Payload-Digest"), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
  EXPECT_TRUE(response.Field("WARC-Block-Digest").starts_with("sha1:"));
  EXPECT_EQ(response.Field("WARC-Payload-Digest").size(), 5u + 32u);
  EXPECT_NE(response.Field("WARC-Payload-Digest"), response.Field("WARC-Block-Digest"));
}

TEST(WarcWriter, Warc_EachRecordIsItsOwnGzipMember) {
  test::TempDir dir;
  auto writer = OpenWriter(Options(dir.path()));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(writer->Write(MakeExchange("/" + std::to_string(i), "body")).ok());
  ASSERT_TRUE(writer->Flush().ok());
  const auto members = GzipMembers(test::ReadFile(writer->current_path()));
  ASSERT_EQ(members.size(), 7u);
  EXPECT_EQ(writer->records_written(), 7u);
  for (const std::string& member : members) {
    EXPECT_TRUE(member.starts_with("WARC/1.1\r\n"));
    EXPECT_TRUE(member.ends_with("\r\n\r\n"));
    EXPECT_EQ(ParseRecords(member).size(), 1u);
  }
  EXPECT_TRUE(writer->current_path().ends_with(".warc.gz")) << writer->current_path();
}

TEST(WarcWriter, Warc_FileNameIsPrefixUtcTimestampAndSerial) {
  test::TempDir dir;
  WarcOptions options = Options(dir.path());
  options.prefix = "outlet";
  options.gzip = false;
  const std::time_t before = std::time(nullptr);
  auto writer = OpenWriter(options);
  const std::time_t after = std::time(nullptr);
  const std::string name = fs::path(writer->current_path()).filename().string();
  std::smatch m;
  ASSERT_TRUE(std::regex_match(name, m, std::regex(R"(^outlet-(\d{14})-(\d{5})\.warc$)"))) << name;
  EXPECT_EQ(m[2].str(), "00000");
  auto stamp = [](std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char text[16];
    std::strftime(text, sizeof text, "%Y%m%d%H%M%S", &tm);
    return std::string(text);
  };
  EXPECT_TRUE(m[1].str() >= stamp(before) && m[1].str() <= stamp(after)) << m[1].str();
}

TEST(WarcWriter, Warc_ANewFileStartsPastMaxFileBytesEachWithItsOwnWarcinfo) {
  test::TempDir dir;
  WarcOptions options = Options(dir.path());
  options.gzip = false;  // sizes as written are the records' own
  options.max_file_bytes = 8000;
  auto writer = OpenWriter(options);
  std::vector<std::string> paths{writer->current_path()};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(writer->Write(MakeExchange("/p" + std::to_string(i), std::string(2000, 'a' + i))).ok());
    if (paths.back() != writer->current_path()) paths.push_back(writer->current_path());
  }
  ASSERT_TRUE(writer->Flush().ok());
  const auto files = WarcFiles(dir.path());
  ASSERT_EQ(files.size(), 3u);  // a pair is about 3.1 KB: two fit in 8000 bytes after the warcinfo, a third does not
  ASSERT_EQ(paths.size(), 3u);
  int next = 0;
  for (size_t f = 0; f < files.size(); ++f) {
    EXPECT_EQ(files[f].string(), paths[f]);
    char serial[24];
    std::snprintf(serial, sizeof serial, "%05zu", f);
    EXPECT_TRUE(files[f].filename().string().ends_with(std::string("-") + serial + ".warc")) << files[f];
    EXPECT_LE(fs::file_size(files[f]), options.max_file_bytes) << files[f];
    const auto records = ReadWarc(files[f], /*gzip=*/false);
    ASSERT_GE(records.size(), 3u);
    EXPECT_EQ(records[0].Field("WARC-Type"), "warcinfo");
    EXPECT_EQ(records[0].Field("WARC-Filename"), files[f].filename().string());
    for (size_t r = 1; r < records.size(); r += 2) {
      // A pair never straddles two files, and names its own file's warcinfo.
      ASSERT_LT(r + 1, records.size());
      EXPECT_EQ(records[r].Field("WARC-Type"), "request");
      EXPECT_EQ(records[r + 1].Field("WARC-Type"), "response");
      EXPECT_EQ(records[r].Field("WARC-Target-URI"), "http://news.test/p" + std::to_string(next));
      EXPECT_EQ(records[r + 1].Field("WARC-Target-URI"), "http://news.test/p" + std::to_string(next));
      EXPECT_EQ(records[r].Field("WARC-Warcinfo-ID"), records[0].Field("WARC-Record-ID"));
      EXPECT_EQ(records[r + 1].Field("WARC-Warcinfo-ID"), records[0].Field("WARC-Record-ID"));
      ++next;
    }
  }
  EXPECT_EQ(next, 5);
  EXPECT_EQ(writer->records_written(), 3u + 10u);
}

TEST(WarcWriter, Warc_AnExchangeLargerThanTheLimitGetsAFileOfItsOwn) {
  test::TempDir dir;
  WarcOptions options = Options(dir.path());
  options.max_file_bytes = 1000;
  auto writer = OpenWriter(options);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(writer->Write(MakeExchange("/big", RandomBytes(5000, i))).ok());
  writer.reset();  // flushes
  const auto files = WarcFiles(dir.path());
  ASSERT_EQ(files.size(), 2u);
  for (const auto& file : files) {
    const auto records = ReadWarc(file);
    ASSERT_EQ(records.size(), 3u);  // warcinfo, request, response: never a file of warcinfo alone
    EXPECT_EQ(records[2].block.size() > 5000, true);
  }
}

TEST(WarcWriter, Warc_FailedWriteCutsTheFileBackToItsLastWholeRecordAndNamesIt) {
  test::TempDir dir;
  auto writer = OpenWriter(Options(dir.path()));
  ASSERT_TRUE(writer->Flush().ok());  // the warcinfo record on disk
  const std::string path = writer->current_path();
  const uint64_t warcinfo_size = fs::file_size(path);
  // Random payloads do not compress: each response is about 4 KB in the file.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(writer->Write(MakeExchange("/r" + std::to_string(i), RandomBytes(4000, i))).ok());

  // The file may grow to the warcinfo plus 6000 bytes (RLIMIT_FSIZE, with
  // SIGXFSZ ignored so write(2) fails with EFBIG instead of killing us).
  rlimit old_limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  rlimit limit = old_limit;
  limit.rlim_cur = warcinfo_size + 6000;
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limit), 0);
  const Status failed = writer->Flush();
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);

  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.code(), ErrorCode::kIo);
  EXPECT_NE(failed.message().find(path), std::string::npos) << failed.message();
  EXPECT_NE(failed.message().find("too large"), std::string::npos) << failed.message();  // EFBIG
  // Whole records only (GzipMembers throws on a cut member): the warcinfo,
  // the first pair and the second request fit under the limit.
  const std::string cut = test::ReadFile(path);
  EXPECT_LE(cut.size(), warcinfo_size + 6000);
  const auto records = ParseRecords([&] {
    std::string text;
    for (const auto& member : GzipMembers(cut)) text += member;
    return text;
  }());
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[3].Field("WARC-Type"), "request");
  EXPECT_EQ(records[3].Field("WARC-Target-URI"), "http://news.test/r1");

  // The records not written were kept: with room again, they follow.
  ASSERT_TRUE(writer->Flush().ok());
  const auto all = ReadWarc(path);
  ASSERT_EQ(all.size(), 7u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(all[1 + 2 * i].Field("WARC-Target-URI"), "http://news.test/r" + std::to_string(i));
    EXPECT_EQ(all[2 + 2 * i].Field("WARC-Type"), "response");
    EXPECT_EQ(all[2 + 2 * i].block.substr(all[2 + 2 * i].block.find("\r\n\r\n") + 4), RandomBytes(4000, i));
  }
}

TEST(WarcWriter, Warc_OpenNamesTheDirectoryItCannotCreate) {
  test::TempDir dir;
  test::WriteFile(dir / "file", "not a directory");
  const std::string target = (dir / "file" / "warc").string();
  auto writer = WarcWriter::Open(Options(target));
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), ErrorCode::kIo);
  EXPECT_NE(writer.status().message().find(target), std::string::npos) << writer.status().message();
}

TEST(WarcWriter, Warc_TruncatedExchangeSaysWhy) {
  test::TempDir dir;
  auto writer = OpenWriter(Options(dir.path()));
  HttpExchange cut = MakeExchange("/cut", "half");
  cut.truncated = true;
  cut.truncated_reason = "disconnect";
  HttpExchange unknown = MakeExchange("/unknown", "x");
  unknown.truncated = true;
  ASSERT_TRUE(writer->Write(cut).ok());
  ASSERT_TRUE(writer->Write(unknown).ok());
  ASSERT_TRUE(writer->Flush().ok());
  const auto records = ReadWarc(writer->current_path());
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[1].Count("WARC-Truncated"), 0);  // the request was whole
  EXPECT_EQ(records[2].Field("WARC-Truncated"), "disconnect");
  EXPECT_EQ(records[4].Field("WARC-Truncated"), "unspecified");
}

TEST(WarcWriter, Warc_ChunkedResponseHeadNoLongerClaimsChunkedFraming) {
  test::TempDir dir;
  auto writer = OpenWriter(Options(dir.path()));
  HttpExchange plain = MakeExchange("/chunked", "4\r\nwarc\r\n0\r\n\r\n");
  plain.response_head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n";
  HttpExchange stacked = MakeExchange("/stacked", "data");
  stacked.response_head = "HTTP/1.1 200 OK\r\ntransfer-encoding:  gzip, Chunked\r\n\r\n";
  ASSERT_TRUE(writer->Write(plain).ok());
  ASSERT_TRUE(writer->Write(stacked).ok());
  ASSERT_TRUE(writer->Flush().ok());
  const auto records = ReadWarc(writer->current_path());
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[2].block,
            "HTTP/1.1 200 OK\r\nX-Newshound-Orig-Transfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
            "4\r\nwarc\r\n0\r\n\r\n");
  EXPECT_EQ(records[4].block,
            "HTTP/1.1 200 OK\r\nX-Newshound-Orig-Transfer-Encoding: gzip, Chunked\r\nTransfer-Encoding: gzip\r\n\r\n"
            "data");
}

TEST(WarcWriter, Warc_UncompressedFileIsReadByWarcio) {
  test::TempDir dir;
  WarcOptions options = Options(dir.path());
  options.gzip = false;
  auto writer = OpenWriter(options);
  const std::string payload = RandomBytes(3000, 7);
  ASSERT_TRUE(writer->Write(MakeExchange("/bin", payload)).ok());
  const std::string path = writer->current_path();
  writer.reset();
  const auto records = ReadWithWarcio(path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(Str(records[0], "type"), "warcinfo");
  EXPECT_EQ(Str(records[1], "type"), "request");
  EXPECT_EQ(Str(records[2], "type"), "response");
  EXPECT_EQ(Payload(records[2]), payload);
  EXPECT_EQ(StatusLine(records[2]), "HTTP/1.1 200 OK");
}

// ========================= The fetcher's capture ==========================

TEST(WarcCapture, Capture_NothingIsKeptUnlessAsked) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  FetchSettings settings = RecordingSettings();
  settings.record_exchanges = false;
  FetchResult result = FetchOnce("http://127.0.0.1:" + std::to_string(server.port()) + "/", settings);
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  EXPECT_TRUE(result.exchanges.empty());
}

TEST(WarcCapture, Capture_RequestAndResponseHeadAreTheBytesOnTheWire) {
  // Odd spacing, case and a repeated field: a re-serialized head would
  // differ from this.
  const std::string head =
      "HTTP/1.1 200 Fine Thanks\r\ncontent-type:text/plain\r\nX-Odd:   spaced  \r\nSet-Cookie: a=1\r\n"
      "Set-Cookie: b=2\r\nContent-Length: 5\r\n\r\n";
  OneShotServer server(head + "hello");
  const std::string url = "http://127.0.0.1:" + std::to_string(server.port()) + "/page?q=1";
  const int64_t before = NowMs();
  FetchResult result = FetchOnce(url, RecordingSettings());
  const int64_t after = NowMs();
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  ASSERT_EQ(result.exchanges.size(), 1u);
  const HttpExchange& exchange = *result.exchanges[0];
  EXPECT_EQ(exchange.target_uri, url);
  EXPECT_EQ(exchange.ip_address, "127.0.0.1");
  EXPECT_GE(exchange.request_time_ms, before);
  EXPECT_LE(exchange.request_time_ms, after);
  EXPECT_EQ(exchange.request, server.received());
  EXPECT_TRUE(exchange.request.starts_with("GET /page?q=1 HTTP/1.1\r\n")) << exchange.request;
  EXPECT_EQ(exchange.response_head, head);
  EXPECT_EQ(exchange.response_payload, "hello");
  EXPECT_FALSE(exchange.truncated);
}

TEST(WarcCapture, Capture_ChunkedBodyIsKeptWithoutItsFraming) {
  OneShotServer server(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "3\r\nabc\r\n5\r\ndefgh\r\n0\r\n\r\n");
  FetchResult result = FetchOnce("http://127.0.0.1:" + std::to_string(server.port()) + "/", RecordingSettings());
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  ASSERT_EQ(result.exchanges.size(), 1u);
  EXPECT_EQ(result.exchanges[0]->response_payload, "abcdefgh");
  EXPECT_EQ(result.exchanges[0]->response_head,
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
}

class WarcOutletTest : public ::testing::Test {
 protected:
  void SetUp() override {
    photo_ = RandomBytes(20000, 42);
    article_ = "<!DOCTYPE html><html><head><title>Article</title></head><body>";
    for (int i = 0; i < 200; ++i) article_ += "<p>Paragraph " + std::to_string(i) + " of the article.</p>\n";
    article_ += "</body></html>\n";
    test::WriteFile(root_.path() / "photo.png", photo_);
    test::WriteFile(root_.path() / "article.html", article_);
    test::WriteFile(root_.path() / "news" / "index.html", "<html><body>news</body></html>");
    test::WriteFile(root_.path() / "short.html", article_);
    test::WriteFile(root_.path() / "drip.png", photo_.substr(0, 300));
    test::OutletServerOptions options;
    options.root = root_.path();
    options.compress = true;
    options.codings = "gzip";
    options.bomb = {"/zeros.html=64KiB"};
    options.respond = {"/short.html=short", "/drip.png=drip:2000"};
    server_ = std::make_unique<test::OutletServer>(options);
  }

  std::string Url(const std::string& path) const { return server_->http_origin() + path; }

  FetchResult FetchWith(const std::string& url, const FetchSettings& settings, const net::RequestOptions& options) {
    boost::asio::io_context io;
    net::Fetcher fetcher(settings.dns);
    FetchResult result;
    boost::asio::co_spawn(
        io, [&]() -> boost::asio::awaitable<void> { result = co_await fetcher.Fetch(url, settings, options); },
        boost::asio::detached);
    io.run();
    return result;
  }

  test::TempDir root_;
  std::unique_ptr<test::OutletServer> server_;
  std::string photo_;
  std::string article_;
};

TEST_F(WarcOutletTest, Capture_BodyCutByTheServerIsMarkedTruncated) {
  FetchResult result = FetchOnce(Url("/short.html"), RecordingSettings());
  EXPECT_EQ(result.kind, OutcomeKind::kTruncated) << result.detail;
  ASSERT_EQ(result.exchanges.size(), 1u);
  const HttpExchange& exchange = *result.exchanges[0];
  EXPECT_TRUE(exchange.truncated);
  EXPECT_EQ(exchange.truncated_reason, "disconnect");
  // `short` sends the first half of the (gzip) body, then FIN; the script
  // is used up after one request, so this one gets all of it.
  const RawResponse whole = RawGet(server_->http_port(), "/short.html", "gzip");
  ASSERT_EQ(Gunzip(whole.body), article_);
  EXPECT_EQ(exchange.response_payload, whole.body.substr(0, whole.body.size() / 2));
}

TEST_F(WarcOutletTest, Capture_HeadThatArrivesInPiecesIsKeptWhole) {
  // drip: 2000 bytes a second, a tenth of that at a time, so the head comes
  // in several reads.
  FetchResult result = FetchOnce(Url("/drip.png"), RecordingSettings());
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  ASSERT_EQ(result.exchanges.size(), 1u);
  const HttpExchange& exchange = *result.exchanges[0];
  std::string expected = "HTTP/1.1 200 OK\r\n";
  for (const auto& [name, value] : result.headers) expected += name + ": " + value + "\r\n";
  expected += "\r\n";
  EXPECT_GT(expected.size(), 200u);
  EXPECT_EQ(exchange.response_head, expected);
  EXPECT_EQ(exchange.response_payload, photo_.substr(0, 300));
}

TEST(WarcCapture, Capture_PayloadIsCutAtMaxBody) {
  // Chunked, so the limit is met in the body (a Content-Length over it is
  // refused with the head, before there is a payload to keep).
  std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string body;
  for (int i = 0; i < 10; ++i) {
    const std::string chunk(100, static_cast<char>('a' + i));
    wire += "64\r\n" + chunk + "\r\n";
    body += chunk;
  }
  wire += "0\r\n\r\n";
  OneShotServer server(wire);
  FetchSettings settings = RecordingSettings();
  settings.limits.max_body = 300;
  FetchResult result = FetchOnce("http://127.0.0.1:" + std::to_string(server.port()) + "/", settings);
  EXPECT_EQ(result.kind, OutcomeKind::kTooLarge) << result.detail;
  ASSERT_EQ(result.exchanges.size(), 1u);
  EXPECT_TRUE(result.exchanges[0]->truncated);
  EXPECT_EQ(result.exchanges[0]->truncated_reason, "length");
  EXPECT_EQ(result.exchanges[0]->response_payload, body.substr(0, 300));
}

// ======== The whole path: outlet-server -> fetcher -> WARC -> warcio ========

TEST_F(WarcOutletTest, Warc_PlainGzipChunkedRedirectAnd304ReadBackByWarcioAsSent) {
  FetchSettings settings = RecordingSettings();
  const int64_t before = NowMs();
  std::vector<FetchResult> results;
  for (const char* path : {"/photo.png", "/article.html", "/zeros.html", "/news"})
    results.push_back(FetchOnce(Url(path), settings));
  net::RequestOptions conditional;
  conditional.validators = results[1].validators();
  ASSERT_FALSE(conditional.validators.etag.empty());
  results.push_back(FetchWith(Url("/article.html"), settings, conditional));
  const int64_t after = NowMs();
  for (const FetchResult& result : results) ASSERT_TRUE(result.ok() || result.kind == OutcomeKind::kNotModified)
      << result.url << ": " << result.detail;
  ASSERT_EQ(results[3].exchanges.size(), 2u);  // the 301 followed inside the call, then /news/
  ASSERT_EQ(results[4].exchanges.size(), 1u);

  test::TempDir out;
  auto writer = OpenWriter(Options(out.path()));
  size_t exchanges = 0;
  for (const FetchResult& result : results)
    for (const auto& exchange : result.exchanges) {
      ASSERT_TRUE(writer->Write(*exchange).ok());
      ++exchanges;
    }
  ASSERT_EQ(exchanges, 6u);
  const std::string path = writer->current_path();
  ASSERT_TRUE(writer->Sync().ok());
  writer.reset();

  const auto records = ReadWithWarcio(path);
  ASSERT_EQ(records.size(), 1u + 2 * exchanges);
  const json::object& info = records[0];
  EXPECT_EQ(Str(info, "type"), "warcinfo");
  EXPECT_EQ(WarcField(info, "WARC-Filename"), fs::path(path).filename().string());
  EXPECT_EQ(WarcField(info, "Content-Type"), "application/warc-fields");
  const std::string info_id = WarcField(info, "WARC-Record-ID");

  const std::vector<std::string> targets = {Url("/photo.png"), Url("/article.html"), Url("/zeros.html"),
                                            Url("/news"),      Url("/news/"),        Url("/article.html")};
  const std::vector<int> statuses = {200, 200, 200, 301, 200, 304};
  for (size_t i = 0; i < exchanges; ++i) {
    SCOPED_TRACE("exchange " + std::to_string(i) + " " + targets[i]);
    const json::object& request = records[1 + 2 * i];
    const json::object& response = records[2 + 2 * i];
    EXPECT_EQ(Str(request, "type"), "request");
    EXPECT_EQ(Str(response, "type"), "response");
    for (const json::object* record : {&request, &response}) {
      EXPECT_EQ(WarcField(*record, "WARC-Target-URI"), targets[i]);
      EXPECT_EQ(WarcField(*record, "WARC-IP-Address"), "127.0.0.1");
      EXPECT_EQ(WarcField(*record, "WARC-Warcinfo-ID"), info_id);
      const int64_t date = ParseWarcDate(WarcField(*record, "WARC-Date"));
      EXPECT_GE(date, before) << WarcField(*record, "WARC-Date");
      EXPECT_LE(date, after) << WarcField(*record, "WARC-Date");
      // Digests as node computes them from what warcio read.
      EXPECT_EQ(WarcField(*record, "WARC-Block-Digest"), "sha1:" + Str(*record, "block_sha1_b32"));
      EXPECT_EQ(WarcField(*record, "WARC-Payload-Digest"), "sha1:" + Str(*record, "payload_sha1_b32"));
      EXPECT_EQ(WarcField(*record, "Content-Length"), std::to_string(record->at("block_length").as_int64()));
      EXPECT_EQ(WarcField(*record, "WARC-Truncated"), "");
    }
    EXPECT_EQ(WarcField(request, "WARC-Concurrent-To"), WarcField(response, "WARC-Record-ID"));
    EXPECT_EQ(WarcField(response, "WARC-Concurrent-To"), WarcField(request, "WARC-Record-ID"));
    EXPECT_EQ(WarcField(request, "Content-Type"), "application/http;msgtype=request");
    EXPECT_EQ(WarcField(response, "Content-Type"), "application/http;msgtype=response");
    const std::string target_path = targets[i].substr(server_->http_origin().size());
    EXPECT_EQ(StatusLine(request), "GET " + target_path + " HTTP/1.1");
    EXPECT_EQ(HttpField(request, "Host"), "127.0.0.1:" + std::to_string(server_->http_port()));
    EXPECT_TRUE(Payload(request).empty());
    EXPECT_TRUE(StatusLine(response).starts_with("HTTP/1.1 " + std::to_string(statuses[i]) + " "))
        << StatusLine(response);
  }

  // Payloads byte for byte as the server sends them, got without the fetcher.
  const json::object& photo = records[2];
  EXPECT_EQ(Payload(photo), photo_);
  EXPECT_EQ(Payload(photo), RawGet(server_->http_port(), "/photo.png", "gzip, deflate, br").body);
  EXPECT_EQ(HttpField(photo, "Content-Encoding"), "");

  const json::object& article = records[4];
  EXPECT_EQ(HttpField(article, "Content-Encoding"), "gzip");
  const RawResponse gzipped = RawGet(server_->http_port(), "/article.html", "gzip, deflate, br");
  EXPECT_EQ(Payload(article), gzipped.body);  // the compressed bytes
  EXPECT_EQ(Gunzip(Payload(article)), article_);
  EXPECT_EQ(Content(article), article_);  // warcio undoes the content coding itself

  const json::object& zeros = records[6];
  EXPECT_EQ(HttpField(zeros, "Transfer-Encoding"), "");  // de-chunked; see StoredResponseHead
  EXPECT_EQ(HttpField(zeros, "X-Newshound-Orig-Transfer-Encoding"), "chunked");
  EXPECT_EQ(HttpField(zeros, "Content-Encoding"), "gzip");
  const RawResponse chunked = RawGet(server_->http_port(), "/zeros.html", "gzip, deflate, br");
  ASSERT_NE(chunked.head.find("Transfer-Encoding: chunked"), std::string::npos) << chunked.head;
  EXPECT_EQ(Payload(zeros), chunked.body);
  EXPECT_EQ(Content(zeros), std::string(64 * 1024, '\0'));

  EXPECT_EQ(HttpField(records[8], "Location"), "/news/");
  EXPECT_EQ(Gunzip(Payload(records[10])), "<html><body>news</body></html>");
  const json::object& not_modified = records[12];
  EXPECT_TRUE(Payload(not_modified).empty());
  EXPECT_EQ(HttpField(not_modified, "ETag"), conditional.validators.etag);
  EXPECT_EQ(HttpField(records[11], "If-None-Match"), conditional.validators.etag);
}

TEST(WarcEndToEnd, Warc_ChunkedPayloadThatLooksLikeChunksIsNotDechunkedTwiceByWarcio) {
  // The body, once de-chunked, is itself valid chunked framing: a head that
  // still said chunked would make warcio's content "warc".
  const std::string body = "4\r\nwarc\r\n0\r\n\r\n";
  std::string wire = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";
  wire += "5\r\n" + body.substr(0, 5) + "\r\n" + std::to_string(body.size() - 5) + "\r\n" + body.substr(5) +
          "\r\n0\r\n\r\n";
  OneShotServer server(wire);
  FetchResult result = FetchOnce("http://127.0.0.1:" + std::to_string(server.port()) + "/c", RecordingSettings());
  ASSERT_EQ(result.kind, OutcomeKind::kFetched) << result.detail;
  ASSERT_EQ(result.body, body);
  ASSERT_EQ(result.exchanges.size(), 1u);

  test::TempDir out;
  auto writer = OpenWriter(Options(out.path()));
  ASSERT_TRUE(writer->Write(*result.exchanges[0]).ok());
  const std::string path = writer->current_path();
  writer.reset();
  const auto records = ReadWithWarcio(path);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(Payload(records[2]), body);
  EXPECT_EQ(Content(records[2]), body);
  EXPECT_EQ(Str(records[1], "payload_b64"), "");
  EXPECT_EQ(Base64Decode(Str(records[1], "payload_b64")), "");
  EXPECT_EQ(WarcField(records[1], "WARC-Block-Digest"), "sha1:" + Str(records[1], "block_sha1_b32"));
}

}  // namespace
}  // namespace newshound
