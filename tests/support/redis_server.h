// A real redis-server (Debian's redis-server package) for a test: on
// 127.0.0.1 at a free port, its data in a private directory, stopped by the
// destructor. Restart() stops it and starts it again on the same port with
// the same data (with append_only, what it had acknowledged survives).
#ifndef NEWSHOUND_TESTS_SUPPORT_REDIS_SERVER_H_
#define NEWSHOUND_TESTS_SUPPORT_REDIS_SERVER_H_

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "test_support.h"

namespace newshound::test {

struct RedisServerOptions {
  bool append_only = false;  // AOF with appendfsync always
};

class RedisServer {
 public:
  // Throws std::runtime_error (with the server's log) when it does not
  // answer PING within 10 s.
  explicit RedisServer(RedisServerOptions options = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_) + "/0"; }

  void Stop();   // SIGTERM, and wait for it to end
  void Start();  // on the same port, with the same directory
  void Restart(std::chrono::milliseconds down_for = std::chrono::milliseconds(0));
  bool running() const { return process_ != nullptr; }
  // The server's log so far.
  std::string Log() const;

 private:
  RedisServerOptions options_;
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Subprocess> process_;
};

// Whether redis-server can be run here (it is in $PATH).
bool RedisServerAvailable();

}  // namespace newshound::test

#endif  // NEWSHOUND_TESTS_SUPPORT_REDIS_SERVER_H_
