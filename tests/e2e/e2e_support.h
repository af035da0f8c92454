// Shared pieces of the end-to-end tests: running the CLI and reading the
// bundled outlet's expected outputs.
#ifndef NEWSHOUND_TESTS_E2E_E2E_SUPPORT_H_
#define NEWSHOUND_TESTS_E2E_E2E_SUPPORT_H_

#include <boost/json.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <filesystem>
#include <string>
#include <vector>

#include "test_support.h"

namespace newshound::e2e {

struct CliRun {
  test::ExitStatus status;
  std::string out;
  std::string err;
};

inline CliRun RunCli(std::vector<std::string> args, std::chrono::seconds timeout = std::chrono::seconds(120),
                     std::map<std::string, std::optional<std::string>> env = {}) {
  args.insert(args.begin(), std::string(NEWSHOUND_BIN_DIR) + "/newshound");
  test::SubprocessOptions options;
  options.env = std::move(env);
  test::Subprocess process(args, options);
  auto status = process.Wait(timeout);
  if (!status) status = process.Terminate(SIGKILL);
  return {*status, process.Stdout(), process.Stderr()};
}

inline std::filesystem::path OutletDir(const std::string& edition) {
  return std::filesystem::path(NEWSHOUND_SOURCE_DIR) / "plugins" / "almaghribtoday" / "testdata" / edition;
}

inline std::vector<boost::json::object> ReadJsonl(const std::filesystem::path& path) {
  std::vector<boost::json::object> out;
  const std::string text = test::ReadFile(path);
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(boost::json::parse(text.substr(start, end - start)).as_object());
    start = end + 1;
  }
  return out;
}

}  // namespace newshound::e2e

#endif  // NEWSHOUND_TESTS_E2E_E2E_SUPPORT_H_
