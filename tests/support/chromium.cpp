#include "chromium.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

extern char** environ;

namespace newshound::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Kills and reaps every child not in `keep`: Chromium's processes reparented
// to us (we are a child subreaper while it runs) once its leader was reaped,
// including any that left its process group. Loops because a helper killed
// here may leave children of its own, reparented to us in turn.
void KillLeftovers(const std::vector<pid_t>& keep) {
  for (;;) {
    std::vector<pid_t> leftovers;
    for (pid_t child : ChildProcesses()) {
      if (std::find(keep.begin(), keep.end(), child) == keep.end()) leftovers.push_back(child);
    }
    if (leftovers.empty()) return;
    for (pid_t child : leftovers) {
      ::kill(child, SIGKILL);
      ::waitpid(child, nullptr, 0);
    }
  }
}

}  // namespace

fs::path FindChromium() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const fs::path candidate = fs::path(dir) / "chromium";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

std::vector<pid_t> ChildProcesses() {
  std::vector<pid_t> children;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // pid (comm) state ppid ...: comm may hold spaces, so parse after ')'.
    const std::size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == ::getpid()) children.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return children;
}

ChromiumRun RunChromium(const fs::path& chromium, const fs::path& scratch, const std::vector<std::string>& args,
                        std::chrono::seconds timeout) {
  const fs::path home = scratch / "home";
  fs::create_directories(home);
  std::vector<std::string> argv = {chromium.string(),
                                   "--headless=new",
                                   "--no-sandbox",  // root in a container: no user namespaces
                                   "--disable-gpu",
                                   "--disable-dev-shm-usage",  // a container's /dev/shm is small
                                   "--no-first-run",
                                   "--no-default-browser-check",
                                   "--disable-extensions",
                                   "--disable-background-networking",
                                   "--disable-sync",
                                   "--disable-breakpad",
                                   "--hide-scrollbars",
                                   "--user-data-dir=" + (scratch / "profile").string()};
  argv.insert(argv.end(), args.begin(), args.end());

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    if (entry.rfind("HOME=", 0) == 0 || entry.rfind("XDG_", 0) == 0) continue;
    env_strings.emplace_back(entry);
  }
  env_strings.push_back("HOME=" + home.string());
  env_strings.push_back("XDG_CONFIG_HOME=" + (home / ".config").string());
  env_strings.push_back("XDG_CACHE_HOME=" + (home / ".cache").string());
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  std::vector<char*> c_env;
  for (auto& e : env_strings) c_env.push_back(e.data());
  c_env.push_back(nullptr);

  const fs::path out_path = scratch / "stdout";
  const fs::path err_path = scratch / "stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so every process it starts can be killed at once.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);

  // The children the caller has (servers it runs): not Chromium's to kill.
  const std::vector<pid_t> before = ChildProcesses();
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, chromium.c_str(), &actions, &attr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
    throw std::runtime_error("cannot start " + chromium.string() + ": " + std::strerror(rc));
  }

  ChromiumRun run;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  for (;;) {
    // WNOWAIT: the leader stays a zombie, so its pid, the group's id, cannot
    // be reused before the group is killed.
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid) {
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(50ms);
  }
  // The whole group, while the zombie leader still holds its id.
  ::kill(-pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  KillLeftovers(before);
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  run.stdout_text = ReadAll(out_path);
  run.stderr_text = ReadAll(err_path);
  if (timed_out) {
    throw std::runtime_error("chromium did not finish within " + std::to_string(timeout.count()) +
                             " s and was killed; stderr:\n" + run.stderr_text);
  }
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

ChromiumRun DumpDom(const fs::path& chromium, const fs::path& scratch, const std::string& url) {
  return RunChromium(chromium, scratch, {"--dump-dom", url});
}

ChromiumRun Screenshot(const fs::path& chromium, const fs::path& scratch, const std::string& url, const fs::path& png,
                       int width, int height) {
  return RunChromium(chromium, scratch,
                     {"--window-size=" + std::to_string(width) + "," + std::to_string(height),
                      "--screenshot=" + png.string(), url});
}

bool IsPng(const std::string& bytes, uint32_t& width, uint32_t& height) {
  static const std::string kSignature("\x89PNG\r\n\x1a\n", 8);
  if (bytes.size() < 24 || bytes.compare(0, 8, kSignature) != 0 || bytes.compare(12, 4, "IHDR") != 0) return false;
  auto be32 = [&](std::size_t at) {
    return (uint32_t(uint8_t(bytes[at])) << 24) | (uint32_t(uint8_t(bytes[at + 1])) << 16) |
           (uint32_t(uint8_t(bytes[at + 2])) << 8) | uint32_t(uint8_t(bytes[at + 3]));
  };
  width = be32(16);
  height = be32(20);
  return true;
}

}  // namespace newshound::test
