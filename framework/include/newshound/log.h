// Logging set-up for the binaries: spdlog to stderr, with a level from the
// config that -v / -q on the command line shift, as text for people or as
// one JSON object per line for log shippers; and the live progress line a
// crawl keeps under the log on a terminal.
//
// Thread safety: SetupLogging once at start, before any thread logs; the
// rest from any thread.
#ifndef NEWSHOUND_LOG_H_
#define NEWSHOUND_LOG_H_

#include <optional>
#include <string>
#include <string_view>

namespace newshound {

enum class LogFormat {
  kText,  // "2026-12-02T07:00:00.123 info  message" (local time), colored on a terminal
  kJson,  // {"time":"2026-12-02T06:00:00.123Z","level":"info","message":"..."} per line, UTC
};
// "text" or "json".
std::optional<LogFormat> ParseLogFormat(std::string_view name);

// `level` is trace, debug, info, warn, error or off; `shift` moves it by
// that many steps (-v is -1: more verbose; -q is +1).
void SetupLogging(const std::string& level, int shift, LogFormat format = LogFormat::kText);

// One line logged as the binaries' own report: at error level when
// `error`, else info (for commands that report through the log, as with
// --log-format json).
void LogLine(bool error, const std::string& text);

// Whether a live progress line can be shown: stderr is a terminal and the
// log is text (a JSON log is for machines, which want lines).
bool ProgressLineAvailable();
// Shows `line` as the last line of the terminal, below the log: every log
// line is written above it and it is drawn again. "" takes it away. Does
// nothing when !ProgressLineAvailable().
void SetProgressLine(const std::string& line);

}  // namespace newshound

#endif  // NEWSHOUND_LOG_H_
