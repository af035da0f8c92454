#include "redis_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace newshound::test {
namespace {

// A port nothing listens on now (the kernel's pick for port 0).
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("no free port for redis-server");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// PING over a plain socket: true on +PONG.
bool Pong(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    const char ping[] = "PING\r\n";
    char answer[16] = {};
    ok = ::write(fd, ping, sizeof(ping) - 1) == sizeof(ping) - 1 && ::read(fd, answer, sizeof(answer) - 1) > 0 &&
         std::string(answer).rfind("+PONG", 0) == 0;
  }
  ::close(fd);
  return ok;
}

}  // namespace

bool RedisServerAvailable() {
  return std::system("command -v redis-server >/dev/null 2>&1") == 0;
}

RedisServer::RedisServer(RedisServerOptions options) : options_(options), port_(FreePort()) { Start(); }

RedisServer::~RedisServer() {
  if (process_) process_->Terminate(SIGTERM, std::chrono::seconds(5));
}

void RedisServer::Start() {
  if (process_) return;
  std::vector<std::string> argv = {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                   "--dir", dir_.path().string(), "--save", "", "--daemonize", "no",
                                   "--logfile", (dir_.path() / "redis.log").string(), "--protected-mode", "no"};
  if (options_.append_only) {
    argv.insert(argv.end(), {"--appendonly", "yes", "--appendfsync", "always"});
  } else {
    argv.insert(argv.end(), {"--appendonly", "no"});
  }
  process_ = std::make_unique<Subprocess>(argv);
  for (int i = 0; i < 200; ++i) {
    if (Pong(port_)) return;
    if (!process_->Running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string log = Log();
  process_->Terminate(SIGKILL);
  process_.reset();
  throw std::runtime_error("redis-server on port " + std::to_string(port_) + " did not answer PING: " + log);
}

void RedisServer::Stop() {
  if (!process_) return;
  process_->Terminate(SIGTERM, std::chrono::seconds(10));
  process_.reset();
}

void RedisServer::Restart(std::chrono::milliseconds down_for) {
  Stop();
  std::this_thread::sleep_for(down_for);
  Start();
}

std::string RedisServer::Log() const {
  std::error_code ec;
  if (!std::filesystem::exists(dir_.path() / "redis.log", ec)) return "";
  return ReadFile(dir_.path() / "redis.log");
}

}  // namespace newshound::test
