#include "newshound/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace newshound {

void SetupLogging(const std::string& level, int shift) {
  int value = static_cast<int>(spdlog::level::from_str(level));
  value = std::clamp(value + shift, static_cast<int>(spdlog::level::trace), static_cast<int>(spdlog::level::off));
  spdlog::drop("newshound");
  auto logger = spdlog::stderr_color_mt("newshound");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(static_cast<spdlog::level::level_enum>(value));
  spdlog::set_default_logger(logger);
}

}  // namespace newshound
