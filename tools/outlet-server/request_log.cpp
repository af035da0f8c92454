#include "request_log.h"

#include <cerrno>
#include <chrono>
#include <cstring>

#include "time_format.h"

namespace newshound::outlet {
namespace {

void AppendField(std::string& line, std::string_view value) {
  line += '\t';
  if (value.empty()) {
    line += '-';
    return;
  }
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    line += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
}

}  // namespace

std::unique_ptr<RequestLog> RequestLog::Open(const std::filesystem::path& path,
                                             std::string& error) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    error = "cannot open log file " + path.string() + ": " +
            std::strerror(errno);
    return nullptr;
  }
  return std::unique_ptr<RequestLog>(new RequestLog(file));
}

RequestLog::~RequestLog() { std::fclose(file_); }

std::string RequestLog::FormatLine(const LogRecord& record) {
  std::string line = FormatIsoUtcMillis(std::chrono::system_clock::now());
  AppendField(line, record.method);
  AppendField(line, record.host);
  AppendField(line, record.target);
  AppendField(line, std::to_string(record.status));
  AppendField(line, std::to_string(record.body_bytes));
  AppendField(line, std::to_string(record.connection_id));
  AppendField(line, record.scheme);
  return line;
}

void RequestLog::Write(const LogRecord& record) {
  std::string line = FormatLine(record);
  line += '\n';
  bool ok = std::fwrite(line.data(), 1, line.size(), file_) == line.size() &&
            std::fflush(file_) == 0;
  if (!ok && !reported_error_) {
    reported_error_ = true;
    std::fprintf(stderr, "outlet-server: writing the request log failed: %s\n",
                 std::strerror(errno));
  }
}

}  // namespace newshound::outlet
