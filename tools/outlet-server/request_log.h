// The request log of outlet-server (--log FILE), which tests read to see
// what a crawler actually asked for.
//
// Format: one line per response, fields separated by a single TAB, the line
// ended by LF and flushed before the response is sent (so a client that has
// its response can already read the line):
//
//   time      ISO 8601 UTC with milliseconds, e.g. 2024-05-01T12:34:56.789Z
//   method    request method, e.g. GET ("-" for an unparsable request)
//   host      Host header ("-" when absent)
//   target    request target as sent, with query ("-" when unparsable)
//   status    response status code, e.g. 200; 0 when a --respond step
//             closed, stalled or reset the connection instead of answering
//   bytes     body bytes in the response, as sent (0 for HEAD and for a
//             gzip bomb, whose size is not known in advance; only the half
//             sent for the short and reset-body steps; README.md has the
//             table for every step)
//   conn      connection id: 1, 2, ... in order of accepted TCP connections,
//             shared by HTTP and HTTPS; requests on one keep-alive
//             connection share it
//   scheme    http or https
//
// Control characters and TABs inside a field are written as '?', so a line
// always splits into exactly eight fields. The file is appended to.

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_REQUEST_LOG_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_REQUEST_LOG_H_

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace newshound::outlet {

struct LogRecord {
  std::string_view method;
  std::string_view host;
  std::string_view target;
  unsigned status = 0;
  std::uint64_t body_bytes = 0;
  std::uint64_t connection_id = 0;
  std::string_view scheme;
};

class RequestLog {
 public:
  // Opens `path` for appending; nullptr with `error` set on failure.
  static std::unique_ptr<RequestLog> Open(const std::filesystem::path& path,
                                          std::string& error);
  ~RequestLog();
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  // Writes and flushes one line. A failed write is reported once on stderr;
  // the server keeps serving.
  void Write(const LogRecord& record);

  // The line Write() would produce, without the trailing LF.
  static std::string FormatLine(const LogRecord& record);

 private:
  explicit RequestLog(std::FILE* file) : file_(file) {}

  std::FILE* file_;
  bool reported_error_ = false;
};

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_REQUEST_LOG_H_
