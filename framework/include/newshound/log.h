// Logging set-up for the binaries: spdlog to stderr, with a level from the
// config that -v / -q on the command line shift.
//
// Thread safety: call once at start, before any thread logs.
#ifndef NEWSHOUND_LOG_H_
#define NEWSHOUND_LOG_H_

#include <string>

namespace newshound {

// `level` is trace, debug, info, warn, error or off; `shift` moves it by
// that many steps (-v is -1: more verbose; -q is +1).
void SetupLogging(const std::string& level, int shift);

}  // namespace newshound

#endif  // NEWSHOUND_LOG_H_
