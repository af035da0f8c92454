#include "test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

extern char** environ;

#ifndef NEWSHOUND_BIN_DIR
#error "NEWSHOUND_BIN_DIR must be defined by the build"
#endif

namespace newshound::test {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

[[noreturn]] void ThrowErrno(const std::string& what, int error) {
  throw std::runtime_error(what + ": " + std::strerror(error));
}

bool KeepTestDirs() {
  const char* keep = std::getenv("NEWSHOUND_KEEP_TEST_DIRS");
  return keep != nullptr && *keep != '\0';
}

// Polls with a short, growing sleep: quick for processes that are already
// done, cheap for ones that take a while.
void PollSleep(std::chrono::milliseconds& interval) {
  std::this_thread::sleep_for(interval);
  interval = std::min(interval * 2, std::chrono::milliseconds(20));
}

std::vector<std::string> BuildEnvironment(
    const std::map<std::string, std::optional<std::string>>& overrides) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::string name(text.substr(0, text.find('=')));
    if (overrides.count(name) == 0) env.emplace_back(text);
  }
  for (const auto& [name, value] : overrides) {
    if (value) env.push_back(name + "=" + *value);
  }
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (std::string& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Owners for the posix_spawn attribute objects so every exit path frees them.
struct SpawnActions {
  posix_spawn_file_actions_t actions;
  SpawnActions() { posix_spawn_file_actions_init(&actions); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions); }
};
struct SpawnAttr {
  posix_spawnattr_t attr;
  SpawnAttr() { posix_spawnattr_init(&attr); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
};

void CheckSpawn(int rc, const char* what) {
  if (rc != 0) ThrowErrno(std::string("Subprocess: ") + what, rc);
}

std::uint64_t ParseNumber(std::string_view text, std::string_view what) {
  if (text.empty()) throw std::runtime_error("empty " + std::string(what));
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      throw std::runtime_error("bad " + std::string(what) + ": '" +
                               std::string(text) + "'");
    }
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

// Parses "http_port=N\nhttps_port=M\n"; false until both lines are there.
bool ParseReadyFile(const std::string& text, int& http_port, int& https_port) {
  std::optional<int> http;
  std::optional<int> https;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key = line.substr(0, eq);
    int value = static_cast<int>(ParseNumber(line.substr(eq + 1), key));
    if (key == "http_port") http = value;
    if (key == "https_port") https = value;
  }
  if (!http || !https) return false;
  http_port = *http;
  https_port = *https;
  return true;
}

}  // namespace

// --- Files ---

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) ThrowErrno("ReadFile: cannot open " + path.string(), errno);
  std::string content((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
  if (in.bad()) throw std::runtime_error("ReadFile: cannot read " + path.string());
  return content;
}

void WriteFile(const fs::path& path, std::string_view content) {
  if (path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      throw std::runtime_error("WriteFile: cannot create " +
                               path.parent_path().string() + ": " +
                               ec.message());
    }
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) ThrowErrno("WriteFile: cannot open " + path.string(), errno);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) throw std::runtime_error("WriteFile: cannot write " + path.string());
}

fs::path BinDir() {
  const char* dir = std::getenv("NEWSHOUND_BIN_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  return NEWSHOUND_BIN_DIR;
}

// --- TempDir ---

TempDir::TempDir(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  fs::path base = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  std::string pattern = (base / (std::string(prefix) + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    ThrowErrno("TempDir: mkdtemp " + pattern, errno);
  }
  path_ = pattern;
}

TempDir::~TempDir() { Remove(); }

TempDir::TempDir(TempDir&& other) noexcept
    : path_(std::exchange(other.path_, fs::path())) {}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::exchange(other.path_, fs::path());
  }
  return *this;
}

void TempDir::Remove() {
  if (path_.empty()) return;
  if (KeepTestDirs()) {
    std::cerr << "newshound test: keeping " << path_.string() << "\n";
  } else {
    std::error_code ec;  // best effort: a destructor must not throw
    fs::remove_all(path_, ec);
  }
  path_.clear();
}

// --- Subprocess ---

std::string ExitStatus::ToString() const {
  if (signaled()) {
    return "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
  }
  return "exit " + std::to_string(exit_code);
}

Subprocess::Subprocess(std::vector<std::string> argv, SubprocessOptions options)
    : argv_(std::move(argv)), output_dir_("newshound-proc") {
  if (argv_.empty()) throw std::runtime_error("Subprocess: empty argv");
  stdout_path_ = output_dir_ / "stdout";
  stderr_path_ = output_dir_ / "stderr";

  SpawnActions actions;
  CheckSpawn(posix_spawn_file_actions_addopen(&actions.actions, STDIN_FILENO,
                                              "/dev/null", O_RDONLY, 0),
             "addopen stdin");
  CheckSpawn(posix_spawn_file_actions_addopen(
                 &actions.actions, STDOUT_FILENO, stdout_path_.c_str(),
                 O_WRONLY | O_CREAT | O_TRUNC, 0644),
             "addopen stdout");
  CheckSpawn(posix_spawn_file_actions_addopen(
                 &actions.actions, STDERR_FILENO, stderr_path_.c_str(),
                 O_WRONLY | O_CREAT | O_TRUNC, 0644),
             "addopen stderr");
  // Sockets and files of the test (which may lack O_CLOEXEC) must not keep
  // connections or files alive in the child.
  CheckSpawn(posix_spawn_file_actions_addclosefrom_np(&actions.actions, 3),
             "addclosefrom");
  if (!options.working_dir.empty()) {
    CheckSpawn(posix_spawn_file_actions_addchdir_np(
                   &actions.actions, options.working_dir.c_str()),
               "addchdir");
  }

  // The child starts with no blocked signals and default dispositions, so a
  // test runner's signal setup cannot make it ignore SIGTERM or SIGPIPE.
  SpawnAttr attr;
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM, SIGCHLD, SIGUSR1,
                  SIGUSR2, SIGALRM}) {
    sigaddset(&defaults, sig);
  }
  CheckSpawn(posix_spawnattr_setsigmask(&attr.attr, &empty), "setsigmask");
  CheckSpawn(posix_spawnattr_setsigdefault(&attr.attr, &defaults),
             "setsigdefault");
  CheckSpawn(posix_spawnattr_setflags(
                 &attr.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF),
             "setflags");

  std::vector<std::string> argv_copy = argv_;
  std::vector<char*> c_argv = CStrings(argv_copy);
  std::vector<std::string> env = BuildEnvironment(options.env);
  std::vector<char*> c_env = CStrings(env);

  bool search_path = argv_[0].find('/') == std::string::npos;
  int rc = search_path
               ? posix_spawnp(&pid_, argv_[0].c_str(), &actions.actions,
                              &attr.attr, c_argv.data(), c_env.data())
               : posix_spawn(&pid_, argv_[0].c_str(), &actions.actions,
                             &attr.attr, c_argv.data(), c_env.data());
  if (rc != 0) {
    pid_ = -1;
    ThrowErrno("Subprocess: cannot start " + argv_[0], rc);
  }
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    Reap(/*block=*/true);
  }
}

bool Subprocess::Reap(bool block) {
  if (status_) return true;
  if (pid_ <= 0) return false;
  int raw = 0;
  struct rusage usage {};
  pid_t rc;
  do {
    rc = ::wait4(pid_, &raw, block ? 0 : WNOHANG, &usage);
  } while (rc < 0 && errno == EINTR);
  if (rc == 0) return false;
  ExitStatus status;
  if (rc > 0) status.max_rss_kib = usage.ru_maxrss;
  if (rc < 0) {
    // Reaped elsewhere (e.g. a SIGCHLD handler): the status is lost.
    status.exit_code = -1;
  } else if (WIFSIGNALED(raw)) {
    status.signal = WTERMSIG(raw);
  } else {
    status.exit_code = WEXITSTATUS(raw);
  }
  status_ = status;
  return true;
}

std::optional<ExitStatus> Subprocess::Wait(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  auto interval = 1ms;
  while (!Reap(/*block=*/false)) {
    if (Clock::now() >= deadline) return std::nullopt;
    PollSleep(interval);
  }
  return status_;
}

bool Subprocess::Running() { return !Reap(/*block=*/false); }

void Subprocess::Kill(int sig) {
  // Once reaped, the pid may belong to an unrelated process.
  if (pid_ > 0 && !Reap(/*block=*/false)) ::kill(pid_, sig);
}

ExitStatus Subprocess::Terminate(int sig, std::chrono::milliseconds grace) {
  Kill(sig);
  if (!Wait(grace)) {
    Kill(SIGKILL);
    Reap(/*block=*/true);
  }
  return *status_;
}

std::string Subprocess::Stdout() const { return ReadFile(stdout_path_); }
std::string Subprocess::Stderr() const { return ReadFile(stderr_path_); }

// --- Outlet server log ---

std::vector<OutletLogEntry> ParseOutletLog(std::string_view text) {
  std::vector<OutletLogEntry> entries;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) break;  // still being written
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;

    std::vector<std::string_view> fields;
    std::size_t field_start = 0;
    for (;;) {
      std::size_t tab = line.find('\t', field_start);
      fields.push_back(line.substr(field_start, tab - field_start));
      if (tab == std::string_view::npos) break;
      field_start = tab + 1;
    }
    if (fields.size() != 8) {
      throw std::runtime_error("outlet-server log: expected 8 fields in '" +
                               std::string(line) + "'");
    }
    OutletLogEntry entry;
    entry.time = fields[0];
    entry.method = fields[1];
    entry.host = fields[2];
    entry.target = fields[3];
    entry.status = static_cast<int>(ParseNumber(fields[4], "status"));
    entry.bytes = ParseNumber(fields[5], "bytes");
    entry.conn_id = ParseNumber(fields[6], "connection id");
    entry.scheme = fields[7];
    entries.push_back(std::move(entry));
  }
  return entries;
}

// --- OutletServer ---

OutletServer::OutletServer(OutletServerOptions options)
    : options_(std::move(options)), work_dir_("newshound-outlet") {
  if (options_.root.empty()) {
    throw std::runtime_error("OutletServer: no root given");
  }
  fs::path binary = options_.binary.empty() ? BinDir() / "outlet-server"
                                            : options_.binary;
  fs::path ready_file = work_dir_ / "ready";
  log_path_ = options_.log_file.empty() ? work_dir_ / "requests.log"
                                        : options_.log_file;

  std::vector<std::string> argv = {binary.string(),
                                   "--root",
                                   options_.root.string(),
                                   "--ready-file",
                                   ready_file.string(),
                                   "--log",
                                   log_path_.string()};
  if (!options_.http) argv.push_back("--no-http");
  if (options_.tls) {
    tls_dir_ = options_.tls_dir.empty() ? work_dir_ / "tls" : options_.tls_dir;
    ca_file_ = tls_dir_ / "ca.pem";
    argv.push_back("--tls-generate");
    argv.push_back(tls_dir_.string());
    if (!options_.tls_names.empty()) {
      std::string names;
      for (const std::string& name : options_.tls_names) {
        if (!names.empty()) names += ',';
        names += name;
      }
      argv.push_back("--tls-names");
      argv.push_back(names);
    }
  } else if (!options_.tls_cert.empty()) {
    argv.insert(argv.end(), {"--tls-cert", options_.tls_cert.string(),
                             "--tls-key", options_.tls_key.string()});
  }
  if (options_.no_charset) argv.push_back("--no-charset");
  if (options_.delay_ms > 0) {
    argv.push_back("--delay-ms");
    argv.push_back(std::to_string(options_.delay_ms));
  }
  for (const std::string& spec : options_.respond) {
    argv.push_back("--respond");
    argv.push_back(spec);
  }
  if (options_.compress) argv.push_back("--compress");
  if (!options_.codings.empty()) {
    argv.push_back("--codings");
    argv.push_back(options_.codings);
  }
  for (const std::string& spec : options_.bomb) {
    argv.push_back("--bomb");
    argv.push_back(spec);
  }
  argv.insert(argv.end(), options_.extra_args.begin(),
              options_.extra_args.end());

  process_ = std::make_unique<Subprocess>(std::move(argv));

  auto deadline = Clock::now() + options_.ready_timeout;
  auto interval = 1ms;
  for (;;) {
    std::error_code ec;
    if (fs::exists(ready_file, ec) &&
        ParseReadyFile(ReadFile(ready_file), http_port_, https_port_)) {
      return;
    }
    if (std::optional<ExitStatus> status = process_->Wait(0ms)) {
      throw std::runtime_error("outlet-server exited (" + status->ToString() +
                               ") before it was ready; stderr:\n" +
                               process_->Stderr());
    }
    if (Clock::now() >= deadline) {
      process_->Terminate(SIGKILL, 1s);
      throw std::runtime_error(
          "outlet-server not ready after " +
          std::to_string(options_.ready_timeout.count()) + " ms; stderr:\n" +
          process_->Stderr());
    }
    PollSleep(interval);
  }
}

OutletServer::~OutletServer() {
  if (process_) process_->Terminate(SIGTERM, 5s);
}

std::string OutletServer::http_origin() const {
  return "http://127.0.0.1:" + std::to_string(http_port_);
}

std::string OutletServer::https_origin(std::string_view host) const {
  return "https://" + std::string(host) + ":" + std::to_string(https_port_);
}

std::vector<OutletLogEntry> OutletServer::ReadLog() const {
  std::error_code ec;
  if (!fs::exists(log_path_, ec)) return {};
  return ParseOutletLog(ReadFile(log_path_));
}

ExitStatus OutletServer::Stop(std::chrono::milliseconds grace) {
  return process_->Terminate(SIGTERM, grace);
}

SilentListener::SilentListener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd_, 16) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string error = std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    throw std::runtime_error("SilentListener: cannot listen on 127.0.0.1: " + error);
  }
  port_ = ntohs(addr.sin_port);
}

SilentListener::~SilentListener() { ::close(fd_); }

int ClosedPort() {
  SilentListener listener;
  return listener.port();
}

int64_t LogTimeMs(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                  &tm.tm_sec, &ms) != 7)
    throw std::runtime_error("bad log time " + text);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

}  // namespace newshound::test
