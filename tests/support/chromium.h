// Headless Chromium for the tests that look at a page as a browser renders
// it (the status page): Debian's `chromium` (tools/install-browser), run with
// the options a container needs, a private HOME and profile, in its own
// process group, killed after a timeout, with nothing of it left running.
// Independent of GTest; failures throw std::runtime_error.
//
// Thread safety: RunChromium makes this process a child subreaper while
// Chromium runs and, when it is done, kills every child of this process that
// was not a child before it started (Chromium's helpers reparented to us).
// So no other thread may start a child process while it runs; children
// started before (an outlet-server, a newshound serve) are left alone.
#ifndef NEWSHOUND_TESTS_SUPPORT_CHROMIUM_H_
#define NEWSHOUND_TESTS_SUPPORT_CHROMIUM_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace newshound::test {

// How long one Chromium run may take before it is killed.
inline constexpr std::chrono::seconds kChromiumTimeout{90};

// What a test prints when FindChromium finds nothing.
inline constexpr char kChromiumMissing[] =
    "Debian's chromium is not installed (no `chromium` in PATH); this test needs a real browser: "
    "run tools/install-browser (apt-get install --no-install-recommends chromium)";

// `chromium` in $PATH; empty if it is nowhere.
std::filesystem::path FindChromium();

struct ChromiumRun {
  int exit_code = -1;  // 128 + signal when killed by one
  std::string stdout_text;
  std::string stderr_text;
};

// Runs headless Chromium `chromium` with `args` after the container options,
// with HOME, XDG_* and the profile under `scratch` (created if missing; its
// stdout and stderr are kept there too). Throws std::runtime_error when it
// cannot start, or when it has not finished within `timeout` (it is killed
// then). Nothing of it is left running on return.
ChromiumRun RunChromium(const std::filesystem::path& chromium, const std::filesystem::path& scratch,
                        const std::vector<std::string>& args, std::chrono::seconds timeout = kChromiumTimeout);

// The DOM of `url` after it has loaded (--dump-dom), in stdout_text.
ChromiumRun DumpDom(const std::filesystem::path& chromium, const std::filesystem::path& scratch,
                    const std::string& url);

// A `width` x `height` screenshot of `url` written to `png` (--screenshot).
ChromiumRun Screenshot(const std::filesystem::path& chromium, const std::filesystem::path& scratch,
                       const std::string& url, const std::filesystem::path& png, int width = 1200, int height = 800);

// True if `bytes` start like a PNG file (signature, then an IHDR chunk);
// sets `width` and `height` from the IHDR.
bool IsPng(const std::string& bytes, uint32_t& width, uint32_t& height);

// This process's children now, per /proc (zombies included).
std::vector<pid_t> ChildProcesses();

}  // namespace newshound::test

#endif  // NEWSHOUND_TESTS_SUPPORT_CHROMIUM_H_
