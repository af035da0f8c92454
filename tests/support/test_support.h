// Support for newshound's integration tests: temporary directories, child
// processes that are always cleaned up, and a real outlet-server process to
// crawl. Independent of GTest; failures throw std::runtime_error, which a
// test reports as a failure with the message.

#ifndef NEWSHOUND_TESTS_SUPPORT_TEST_SUPPORT_H_
#define NEWSHOUND_TESTS_SUPPORT_TEST_SUPPORT_H_

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newshound::test {

// Whole-file helpers; throw std::runtime_error on failure. WriteFile creates
// missing parent directories and replaces an existing file.
std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, std::string_view content);

// The build's bin/ directory: $NEWSHOUND_BIN_DIR if set, else the one this
// library was configured with.
std::filesystem::path BinDir();

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction unless the environment variable NEWSHOUND_KEEP_TEST_DIRS is
// set (then its path is printed to stderr so it can be inspected).
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "newshound-test");
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // path() / relative.
  std::filesystem::path operator/(std::string_view relative) const {
    return path_ / relative;
  }

 private:
  void Remove();

  std::filesystem::path path_;
};

// How a child process ended.
struct ExitStatus {
  int exit_code = -1;  // valid when exited()
  int signal = 0;      // valid when signaled()
  int64_t max_rss_kib = 0;  // the child's peak resident set (getrusage ru_maxrss), 0 if unknown

  bool exited() const { return signal == 0; }
  bool signaled() const { return signal != 0; }
  bool success() const { return exited() && exit_code == 0; }
  // "exit 0", "signal 9 (Killed)".
  std::string ToString() const;
};

struct SubprocessOptions {
  // Variables to set (a value) or remove (nullopt) in the inherited
  // environment.
  std::map<std::string, std::optional<std::string>> env;
  // Empty: the current directory.
  std::filesystem::path working_dir;
};

// A child process started with posix_spawn (no shell): stdin is /dev/null,
// stdout and stderr go to files in a private TempDir, no other descriptor is
// inherited. If it is still running when the object is destroyed it gets
// SIGKILL and is reaped, so a failing test leaves nothing behind.
class Subprocess {
 public:
  // argv[0] is the program: a path, or a name looked up in $PATH when it
  // has no '/'. Throws std::runtime_error when it cannot be started.
  explicit Subprocess(std::vector<std::string> argv,
                      SubprocessOptions options = {});
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  const std::vector<std::string>& argv() const { return argv_; }

  // Waits up to `timeout` for the process to end; nullopt if it is still
  // running then. After it ended, returns the same status again at once.
  std::optional<ExitStatus> Wait(std::chrono::milliseconds timeout);
  // True until the process has ended (reaps it if it has).
  bool Running();
  // Sends `sig` unless the process has already been reaped.
  void Kill(int sig = SIGTERM);
  // Kill(sig), then Wait(grace), then SIGKILL and wait if still running.
  ExitStatus Terminate(int sig = SIGTERM,
                       std::chrono::milliseconds grace = std::chrono::seconds(5));
  // Set once the process has been reaped.
  const std::optional<ExitStatus>& exit_status() const { return status_; }

  // What the process has written so far.
  std::string Stdout() const;
  std::string Stderr() const;
  const std::filesystem::path& stdout_path() const { return stdout_path_; }
  const std::filesystem::path& stderr_path() const { return stderr_path_; }

 private:
  bool Reap(bool block);

  std::vector<std::string> argv_;
  TempDir output_dir_;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
  pid_t pid_ = -1;
  std::optional<ExitStatus> status_;
};

// A TCP port on 127.0.0.1 that listens but never accepts or answers: the
// kernel completes the handshake, and then nothing ever comes back. Throws
// std::runtime_error when the socket cannot be set up.
class SilentListener {
 public:
  SilentListener();
  ~SilentListener();
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A port on 127.0.0.1 that nobody listens on (bound, then released).
int ClosedPort();

// Milliseconds since the epoch of a request log time such as
// "2026-11-24T15:37:43.591Z"; throws std::runtime_error on anything else.
int64_t LogTimeMs(const std::string& text);

// One line of outlet-server's request log (see
// tools/outlet-server/request_log.h for the format).
struct OutletLogEntry {
  std::string time;  // ISO 8601 UTC with ms
  std::string method;
  std::string host;    // "-" when the request had none
  std::string target;  // as sent, with query
  int status = 0;
  std::uint64_t bytes = 0;    // response body bytes
  std::uint64_t conn_id = 0;  // per accepted TCP connection
  std::string scheme;         // "http" or "https"
};

// Parses a whole log; throws std::runtime_error on a malformed line. An
// unterminated last line (being written) is ignored.
std::vector<OutletLogEntry> ParseOutletLog(std::string_view text);

struct OutletServerOptions {
  std::filesystem::path root;  // required
  bool http = true;            // false: --no-http
  // HTTPS with generated material (--tls-generate). tls_dir empty: a
  // private directory; pass one to share the CA between runs.
  bool tls = false;
  std::filesystem::path tls_dir;
  std::vector<std::string> tls_names = {"localhost"};
  // HTTPS with given material (--tls-cert/--tls-key) instead.
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;
  bool no_charset = false;
  std::filesystem::path log_file;  // empty: a private file
  int delay_ms = 0;
  // Scripted responses, one --respond argument each (see
  // tools/outlet-server/script.h), e.g. "/robots.txt=503,...".
  std::vector<std::string> respond;
  // --compress: text responses compressed per Accept-Encoding; `codings`
  // (--codings) the codings offered, empty: br,gzip,deflate.
  bool compress = false;
  std::string codings;
  // --bomb arguments, e.g. "/bomb.html=1GiB".
  std::vector<std::string> bomb;
  std::vector<std::string> extra_args;
  std::chrono::milliseconds ready_timeout = std::chrono::seconds(20);
  std::filesystem::path binary;  // empty: BinDir() / "outlet-server"
};

// A running outlet-server on 127.0.0.1 with ports it picked itself. The
// constructor returns once the server has written its ready file; it throws
// std::runtime_error, with the server's stderr, if that does not happen
// within ready_timeout. The destructor stops it (SIGTERM, SIGKILL after a
// grace period).
class OutletServer {
 public:
  explicit OutletServer(OutletServerOptions options);
  ~OutletServer();
  OutletServer(const OutletServer&) = delete;
  OutletServer& operator=(const OutletServer&) = delete;

  int http_port() const { return http_port_; }    // 0 when not served
  int https_port() const { return https_port_; }  // 0 when not served
  // "http://127.0.0.1:N", "https://HOST:M" (HOST must then resolve to
  // 127.0.0.1 for the client, e.g. by connecting to 127.0.0.1 directly).
  std::string http_origin() const;
  std::string https_origin(std::string_view host = "127.0.0.1") const;
  // The generated CA certificate (tls_dir/ca.pem); empty without
  // --tls-generate.
  const std::filesystem::path& ca_file() const { return ca_file_; }
  const std::filesystem::path& tls_dir() const { return tls_dir_; }
  const std::filesystem::path& log_path() const { return log_path_; }
  std::vector<OutletLogEntry> ReadLog() const;

  // Stops the server (SIGTERM, then SIGKILL after `grace`) and returns how
  // it ended; a clean stop is exit 0.
  ExitStatus Stop(std::chrono::milliseconds grace = std::chrono::seconds(5));
  Subprocess& process() { return *process_; }

 private:
  OutletServerOptions options_;
  TempDir work_dir_;
  std::filesystem::path tls_dir_;
  std::filesystem::path ca_file_;
  std::filesystem::path log_path_;
  std::unique_ptr<Subprocess> process_;
  int http_port_ = 0;
  int https_port_ = 0;
};

}  // namespace newshound::test

#endif  // NEWSHOUND_TESTS_SUPPORT_TEST_SUPPORT_H_
