#include "newshound/log.h"

#include <unistd.h>

#include <boost/json.hpp>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>

namespace newshound {
namespace {

// One JSON object per record: time (UTC, ms), level, message, and the
// thread id; the message escaped by Boost.JSON, so any byte a message holds
// (a URL, a server's reason phrase) stays inside its string.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto since_epoch = msg.time.time_since_epoch();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char time[40];
    const size_t n = std::strftime(time, sizeof(time), "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(time + n, sizeof(time) - n, ".%03lldZ", static_cast<long long>(ms % 1000));
    boost::json::object record;
    record["time"] = time;
    const auto level = spdlog::level::to_string_view(msg.level);
    record["level"] = std::string_view(level.data(), level.size());
    record["message"] = std::string_view(msg.payload.data(), msg.payload.size());
    record["thread"] = static_cast<int64_t>(msg.thread_id);
    const std::string line = boost::json::serialize(record);
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

// The text sink on a terminal, with the progress line kept below the log:
// before a record the line is erased, after it drawn again.
class TerminalSink final : public spdlog::sinks::sink {
 public:
  TerminalSink() : inner_(std::make_shared<spdlog::sinks::stderr_color_sink_mt>()) {}
  void log(const spdlog::details::log_msg& msg) override {
    std::lock_guard lock(mutex_);
    if (!line_.empty()) std::fputs("\r\033[K", stderr);
    inner_->log(msg);
    inner_->flush();
    if (!line_.empty()) Draw();
  }
  void flush() override {
    std::lock_guard lock(mutex_);
    inner_->flush();
  }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override { inner_->set_formatter(std::move(formatter)); }
  void SetLine(const std::string& line) {
    std::lock_guard lock(mutex_);
    if (line.empty() && !line_.empty()) {
      std::fputs("\r\033[K", stderr);
      std::fflush(stderr);
    }
    line_ = line;
    if (!line_.empty()) Draw();
  }

 private:
  void Draw() {
    std::fputs("\r\033[K", stderr);
    std::fputs(line_.c_str(), stderr);
    std::fflush(stderr);
  }
  std::mutex mutex_;
  std::shared_ptr<spdlog::sinks::stderr_color_sink_mt> inner_;
  std::string line_;
};

std::shared_ptr<TerminalSink>& Terminal() {
  static std::shared_ptr<TerminalSink> terminal;
  return terminal;
}

}  // namespace

std::optional<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return std::nullopt;
}

void SetupLogging(const std::string& level, int shift, LogFormat format) {
  int value = static_cast<int>(spdlog::level::from_str(level));
  value = std::clamp(value + shift, static_cast<int>(spdlog::level::trace), static_cast<int>(spdlog::level::off));
  spdlog::drop("newshound");
  std::shared_ptr<spdlog::logger> logger;
  Terminal().reset();
  if (format == LogFormat::kJson) {
    logger = spdlog::stderr_logger_mt("newshound");
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else if (::isatty(STDERR_FILENO) == 1) {
    Terminal() = std::make_shared<TerminalSink>();
    logger = std::make_shared<spdlog::logger>("newshound", Terminal());
    spdlog::register_logger(logger);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  } else {
    logger = spdlog::stderr_color_mt("newshound");
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  }
  logger->set_level(static_cast<spdlog::level::level_enum>(value));
  spdlog::set_default_logger(logger);
}

void LogLine(bool error, const std::string& text) {
  if (error) {
    spdlog::error("{}", text);
  } else {
    spdlog::info("{}", text);
  }
}

bool ProgressLineAvailable() { return Terminal() != nullptr; }

void SetProgressLine(const std::string& line) {
  if (auto terminal = Terminal()) terminal->SetLine(line);
}

}  // namespace newshound
