#include "http_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace newshound::test {
namespace {

constexpr size_t kMaxHead = 64 * 1024;

const char kBadGateway[] = "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

// Written here rather than shared with the fetcher, so the test does not
// check the fetcher's encoding against itself.
std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], kAlphabet[v & 63]};
  }
  if (in.size() - i == 1) {
    const uint32_t v = uint8_t(in[i]) << 16;
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], '=', '='};
  } else if (in.size() - i == 2) {
    const uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += {kAlphabet[v >> 18], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63], '='};
  }
  return out;
}

namespace {

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// One parsed request head.
struct Head {
  std::string method, target, version, line;
  std::vector<std::pair<std::string, std::string>> fields;

  std::string Field(std::string_view name) const {
    for (const auto& [key, value] : fields)
      if (Lower(key) == name) return value;
    return "";
  }
};

bool ParseHead(std::string_view text, Head& head) {
  size_t eol = text.find("\r\n");
  head.line = std::string(text.substr(0, eol));
  const size_t sp1 = head.line.find(' ');
  const size_t sp2 = head.line.find(' ', sp1 == std::string::npos ? sp1 : sp1 + 1);
  if (sp1 == std::string::npos || sp2 == std::string::npos) return false;
  head.method = head.line.substr(0, sp1);
  head.target = head.line.substr(sp1 + 1, sp2 - sp1 - 1);
  head.version = head.line.substr(sp2 + 1);
  while (eol != std::string_view::npos) {
    const size_t start = eol + 2;
    eol = text.find("\r\n", start);
    const std::string_view line = text.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    head.fields.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return true;
}

}  // namespace

std::string ProxyRequest::Field(const std::string& name) const {
  const std::string wanted = Lower(name);
  for (const auto& [key, value] : fields)
    if (Lower(key) == wanted) return value;
  return "";
}

HttpProxy::HttpProxy(HttpProxyOptions options) : options_(std::move(options)) {
  if (::pipe2(wake_fds_, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 64) != 0 || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string error = std::strerror(errno);
    if (listen_fd_ >= 0) ::close(listen_fd_);
    ::close(wake_fds_[0]);
    ::close(wake_fds_[1]);
    throw std::runtime_error("test proxy: cannot listen on 127.0.0.1: " + error);
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

HttpProxy::~HttpProxy() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    // Unblocks a worker stuck in send() or recv() at once.
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
  }
  // Never read, so every later poll() wakes too.
  while (::write(wake_fds_[1], "x", 1) < 0 && errno == EINTR) {
  }
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    workers.swap(workers_);  // the acceptor has stopped: no more are added
  }
  for (auto& worker : workers) worker.join();
  ::close(listen_fd_);
  ::close(wake_fds_[0]);
  ::close(wake_fds_[1]);
}

std::string HttpProxy::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::vector<ProxyRequest> HttpProxy::Requests() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requests_;
}

bool HttpProxy::Track(int fd) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) {
    ::close(fd);
    return false;
  }
  open_fds_.insert(fd);
  return true;
}

void HttpProxy::Close(int fd) {
  std::lock_guard<std::mutex> lock(mutex_);
  open_fds_.erase(fd);
  ::close(fd);  // under the lock: the destructor never shuts down a reused number
}

void HttpProxy::AcceptLoop() {
  for (;;) {
    pollfd fds[2] = {{wake_fds_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents != 0) return;
    if ((fds[1].revents & POLLIN) == 0) continue;
    const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      ::close(client);
      return;
    }
    open_fds_.insert(client);
    ++connections_;
    workers_.emplace_back([this, client] { Serve(client); });
  }
}

void HttpProxy::Serve(int client) {
  int upstream = -1;
  int generation = 0;  // bumped when `upstream` is replaced (its fd number may come back)
  std::string upstream_key;
  bool tunnel = false;
  std::string pending;  // client bytes not yet handled: request heads
  char buffer[16 * 1024];

  // Opens a loopback connection for "host:port" (the table's port), or -1.
  auto open_upstream = [&](const std::string& key) {
    auto it = options_.upstreams.find(key);
    if (it == options_.upstreams.end()) return -1;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || !Track(fd)) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // never anywhere else
    addr.sin_port = htons(static_cast<uint16_t>(it->second));
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      Close(fd);
      return -1;
    }
    return fd;
  };

  // Handles every complete head in `pending`; false: close the connection.
  auto handle_heads = [&]() {
    while (!tunnel) {
      const size_t end = pending.find("\r\n\r\n");
      if (end == std::string::npos) {
        if (pending.size() <= kMaxHead) return true;
        SendAll(client, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return false;
      }
      Head head;
      const bool parsed = ParseHead(std::string_view(pending).substr(0, end + 4), head);
      pending.erase(0, end + 4);
      if (!parsed) {
        SendAll(client, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return false;
      }
      const std::string authorization = head.Field("proxy-authorization");
      {
        std::lock_guard<std::mutex> lock(mutex_);
        requests_.push_back({head.line, authorization, head.fields});
      }
      if (!options_.user.empty() && authorization != "Basic " + Base64(options_.user + ":" + options_.password)) {
        SendAll(client,
                "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"newshound-test\"\r\n"
                "Content-Length: 0\r\nConnection: close\r\n\r\n");
        return false;
      }
      if (head.method == "CONNECT") {
        const int fd = open_upstream(head.target);
        if (fd < 0) {
          SendAll(client, kBadGateway);
          return false;
        }
        if (upstream >= 0) Close(upstream);
        upstream = fd;
        ++generation;
        tunnel = true;
        if (!SendAll(client, "HTTP/1.1 200 Connection Established\r\n\r\n")) return false;
        // Whatever the client sent early belongs to the tunnel.
        if (!pending.empty() && !SendAll(upstream, pending)) return false;
        pending.clear();
        return true;
      }
      if (head.target.rfind("http://", 0) != 0) {
        SendAll(client, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return false;
      }
      // Only bodiless requests: each head is followed by the next head.
      const std::string length = head.Field("content-length");
      if ((!length.empty() && length != "0") || !head.Field("transfer-encoding").empty()) {
        SendAll(client, "HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return false;
      }
      const std::string rest = head.target.substr(7);
      const size_t slash = rest.find('/');
      const std::string authority = rest.substr(0, slash);
      const std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
      const size_t bracket = authority.rfind(']');
      const size_t colon = authority.rfind(':');
      const bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
      const std::string key = has_port ? authority : authority + ":80";
      if (key != upstream_key || upstream < 0) {
        if (upstream >= 0) Close(upstream);
        upstream = open_upstream(key);
        ++generation;
        upstream_key = key;
        if (upstream < 0) {
          SendAll(client, kBadGateway);
          return false;
        }
      }
      // Origin form for the server; the proxy's own fields stay here.
      std::string forwarded = head.method + " " + path + " " + head.version + "\r\n";
      for (const auto& [name, value] : head.fields) {
        const std::string lower = Lower(name);
        if (lower == "proxy-authorization" || lower == "proxy-connection") continue;
        forwarded += name + ": " + value + "\r\n";
      }
      forwarded += "\r\n";
      if (!SendAll(upstream, forwarded)) return false;
    }
    return true;
  };

  for (;;) {
    const int polled_upstream = upstream;
    const int polled_generation = generation;
    pollfd fds[3] = {{wake_fds_[0], POLLIN, 0}, {client, POLLIN, 0}, {polled_upstream, POLLIN, 0}};
    if (::poll(fds, polled_upstream >= 0 ? 3 : 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents != 0) break;
    if (fds[1].revents != 0) {
      const ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      if (tunnel) {
        if (!SendAll(upstream, std::string_view(buffer, static_cast<size_t>(n)))) break;
      } else {
        pending.append(buffer, static_cast<size_t>(n));
        if (!handle_heads()) break;
      }
    }
    // The upstream polled may have been replaced while handling heads.
    if (polled_upstream >= 0 && generation == polled_generation && fds[2].revents != 0) {
      const ssize_t n = ::recv(upstream, buffer, sizeof(buffer), 0);
      if (n <= 0) break;  // the server closed: so does the client's connection
      if (!SendAll(client, std::string_view(buffer, static_cast<size_t>(n)))) break;
    }
  }
  if (upstream >= 0) Close(upstream);
  Close(client);
}

}  // namespace newshound::test
