// A small HTTP proxy on 127.0.0.1 for tests: CONNECT tunnels and
// absolute-form GET forwarding, optional Basic credentials, and a record of
// every request line it received.
//
// It only ever connects to 127.0.0.1: the host:port a client asks for is
// looked up in a table the test gives (host:port -> loopback port), and
// anything not in it is answered 502. One thread accepts, one thread serves
// each connection (POSIX sockets and poll()); the destructor wakes them all,
// shuts their sockets down and joins them, so nothing is left running.
//
// Thread safety: Requests() and the accessors may be called from any thread
// while the proxy runs.
#ifndef NEWSHOUND_TESTS_SUPPORT_HTTP_PROXY_H_
#define NEWSHOUND_TESTS_SUPPORT_HTTP_PROXY_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace newshound::test {

// One request as the proxy received it.
// RFC 4648 base64 (an implementation of the tests' own), e.g. to compare a
// Proxy-Authorization: Basic value.
std::string Base64(std::string_view in);

struct ProxyRequest {
  std::string request_line;         // e.g. "CONNECT a.test:443 HTTP/1.1", "GET http://a.test:8080/ HTTP/1.1"
  std::string proxy_authorization;  // the Proxy-Authorization value, "" when there was none
  // Every header field, in order, as received (for plain-http requests that
  // is all the origin gets too; a tunnel's own requests are not seen).
  std::vector<std::pair<std::string, std::string>> fields;

  // The value of the first field named `name` (ASCII case-insensitive), ""
  // when there is none.
  std::string Field(const std::string& name) const;
};

struct HttpProxyOptions {
  // "host:port" as the client asks for it (CONNECT's authority, or the
  // absolute URL's host and port, 80 when absent) -> the 127.0.0.1 port the
  // proxy connects to instead.
  std::map<std::string, int> upstreams;
  // Required credentials; an empty user: none required. Missing or wrong
  // ones are answered 407 with Proxy-Authenticate.
  std::string user;
  std::string password;
};

class HttpProxy {
 public:
  // Listens on 127.0.0.1 on a port of its own; throws std::runtime_error
  // when it cannot.
  explicit HttpProxy(HttpProxyOptions options);
  ~HttpProxy();
  HttpProxy(const HttpProxy&) = delete;
  HttpProxy& operator=(const HttpProxy&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:N"
  std::string address() const;
  // Every request received so far, in order.
  std::vector<ProxyRequest> Requests() const;
  // Client connections accepted so far.
  int connections() const { return connections_; }

 private:
  void AcceptLoop();
  void Serve(int client);
  // Registers fd so the destructor can shut it down; false when stopping
  // (fd is then closed).
  bool Track(int fd);
  void Close(int fd);

  HttpProxyOptions options_;
  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};  // a pipe: the destructor writes, every poll() watches the read end
  int port_ = 0;
  std::atomic<int> connections_{0};

  mutable std::mutex mutex_;  // guards everything below
  bool stopping_ = false;
  std::set<int> open_fds_;     // sockets of live connections, shut down on stop
  std::vector<std::thread> workers_;
  std::vector<ProxyRequest> requests_;

  std::thread acceptor_;  // last: started once everything above exists
};

}  // namespace newshound::test

#endif  // NEWSHOUND_TESTS_SUPPORT_HTTP_PROXY_H_
