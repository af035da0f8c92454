// A small UDP DNS server on 127.0.0.1 for tests.
//
// It answers A queries for the names it was given with their IPv4 address
// and TTL, AAAA (and any other type) queries for those names with no record
// (NOERROR, NODATA), and anything about any other name with NXDOMAIN. It can
// withhold answers: never answer a name (to stall a lookup), hold a name's
// A answers until released, or hold every A answer until a given number of
// distinct names have been asked for and then answer them all at once, which
// only lookups that are out at the same time can get through. It counts the
// queries it received per name and type.
//
// One thread serves (POSIX socket and poll() on it and on a wake pipe); the
// destructor wakes and joins it, so nothing is left running.
//
// Thread safety: every method may be called from any thread while it runs.
#ifndef NEWSHOUND_TESTS_SUPPORT_DNS_SERVER_H_
#define NEWSHOUND_TESTS_SUPPORT_DNS_SERVER_H_

#include <netinet/in.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace newshound::test {

class DnsServer {
 public:
  static constexpr uint16_t kTypeA = 1;
  static constexpr uint16_t kTypeAaaa = 28;

  // Binds 127.0.0.1 on a port of its own; throws std::runtime_error when it
  // cannot.
  DnsServer();
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  int port() const { return port_; }
  // "127.0.0.1:N", as network.dns_servers takes it.
  std::string address() const;

  // `name` (case-insensitive) has the address `ipv4`, `ttl` seconds.
  void Add(const std::string& name, const std::string& ipv4, uint32_t ttl = 300);
  // Queries about `name` are never answered.
  void Silence(const std::string& name);
  // A answers for `name` are held back until Release(name).
  void Hold(const std::string& name);
  void Release(const std::string& name);
  // From now on every A answer is held back until `names` distinct names
  // have been asked for; then they are all sent at once, and answers are
  // immediate again.
  void HoldAnswersUntil(size_t names);

  // Queries received for `name` with this type.
  size_t Queries(const std::string& name, uint16_t type = kTypeA) const;
  // Queries received, all names and types together.
  size_t TotalQueries() const;
  // Sizes of the batches HoldAnswersUntil let go, in order.
  std::vector<size_t> ReleasedBatches() const;
  // Blocks until `count` queries of `type` for `name` have arrived; false if
  // `timeout` (a safety net, not a measurement) passes first.
  bool WaitForQueries(const std::string& name, size_t count, std::chrono::milliseconds timeout,
                      uint16_t type = kTypeA);

 private:
  struct Record {
    uint32_t address = 0;  // host order
    uint32_t ttl = 0;
  };
  struct Held {
    std::string name;
    sockaddr_in peer{};
    std::string response;
  };

  void Serve();
  void Answer(const unsigned char* data, size_t size, const sockaddr_in& peer);
  void Send(const sockaddr_in& peer, const std::string& response);

  int fd_ = -1;
  int wake_fds_[2] = {-1, -1};  // a pipe: the destructor writes, the server's poll() watches the read end
  int port_ = 0;
  std::thread thread_;

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable queries_changed_;
  std::map<std::string, Record> records_;
  std::set<std::string> silent_;
  std::set<std::string> held_names_;
  size_t batch_ = 0;  // HoldAnswersUntil's count while it holds; 0: not holding
  std::vector<Held> held_batch_;    // by HoldAnswersUntil
  std::vector<Held> held_by_name_;  // by Hold(name)
  std::vector<size_t> released_batches_;
  std::map<std::pair<std::string, uint16_t>, size_t> queries_;
  size_t total_queries_ = 0;
};

}  // namespace newshound::test

#endif  // NEWSHOUND_TESTS_SUPPORT_DNS_SERVER_H_
