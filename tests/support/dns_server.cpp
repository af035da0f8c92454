#include "dns_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace newshound::test {
namespace {

constexpr uint16_t kClassIn = 1;
constexpr int kRcodeNxdomain = 3;

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

void Put16(std::string& out, uint16_t value) {
  out += static_cast<char>(value >> 8);
  out += static_cast<char>(value & 0xFF);
}

void Put32(std::string& out, uint32_t value) {
  Put16(out, static_cast<uint16_t>(value >> 16));
  Put16(out, static_cast<uint16_t>(value & 0xFFFF));
}

uint16_t Get16(const unsigned char* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

// The question of a query (RFC 1035 4.1.2), which every answer repeats.
struct Question {
  uint16_t id = 0;
  uint16_t flags = 0;
  std::string name;  // lower case, no trailing dot
  uint16_t type = 0;
  uint16_t klass = 0;
  size_t end = 0;  // offset just past the question
};

// False for anything that is not a well-formed one-question query.
bool ParseQuery(const unsigned char* data, size_t size, Question& q) {
  if (size < 12) return false;
  q.id = Get16(data);
  q.flags = Get16(data + 2);
  if ((q.flags & 0x8000) != 0 || Get16(data + 4) != 1) return false;  // a response, or not one question
  size_t at = 12;
  for (;;) {
    if (at >= size) return false;
    const size_t length = data[at++];
    if (length == 0) break;
    if (length > 63 || at + length > size) return false;  // no compression in a question we accept
    if (!q.name.empty()) q.name += '.';
    q.name.append(reinterpret_cast<const char*>(data + at), length);
    at += length;
  }
  if (at + 4 > size) return false;
  q.type = Get16(data + at);
  q.klass = Get16(data + at + 2);
  q.end = at + 4;
  q.name = Lower(q.name);
  return true;
}

}  // namespace

DnsServer::DnsServer() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("DnsServer: socket: ") + std::strerror(errno));
  // Room for a burst of queries from many lookups at once.
  const int buffer = 4 << 20;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const std::string error = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("DnsServer: bind 127.0.0.1: " + error);
  }
  socklen_t length = sizeof(addr);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length);
  port_ = ntohs(addr.sin_port);
  if (::pipe2(wake_fds_, O_CLOEXEC) != 0) {
    ::close(fd_);
    throw std::runtime_error(std::string("DnsServer: pipe: ") + std::strerror(errno));
  }
  thread_ = std::thread([this] { Serve(); });
}

DnsServer::~DnsServer() {
  const char byte = 0;
  [[maybe_unused]] ssize_t n = ::write(wake_fds_[1], &byte, 1);
  thread_.join();
  ::close(fd_);
  ::close(wake_fds_[0]);
  ::close(wake_fds_[1]);
}

std::string DnsServer::address() const { return "127.0.0.1:" + std::to_string(port_); }

void DnsServer::Add(const std::string& name, const std::string& ipv4, uint32_t ttl) {
  in_addr address{};
  if (::inet_pton(AF_INET, ipv4.c_str(), &address) != 1) throw std::runtime_error("DnsServer::Add: not IPv4: " + ipv4);
  std::lock_guard<std::mutex> lock(mutex_);
  records_[Lower(name)] = Record{ntohl(address.s_addr), ttl};
}

void DnsServer::Silence(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  silent_.insert(Lower(name));
}

void DnsServer::Hold(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  held_names_.insert(Lower(name));
}

void DnsServer::Release(const std::string& name) {
  const std::string key = Lower(name);
  std::vector<Held> release;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    held_names_.erase(key);
    auto split = std::stable_partition(held_by_name_.begin(), held_by_name_.end(),
                                       [&](const Held& held) { return held.name != key; });
    release.assign(split, held_by_name_.end());
    held_by_name_.erase(split, held_by_name_.end());
  }
  for (const auto& held : release) Send(held.peer, held.response);
}

void DnsServer::HoldAnswersUntil(size_t names) {
  std::lock_guard<std::mutex> lock(mutex_);
  batch_ = names;
}

size_t DnsServer::Queries(const std::string& name, uint16_t type) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = queries_.find({Lower(name), type});
  return it == queries_.end() ? 0 : it->second;
}

size_t DnsServer::TotalQueries() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return total_queries_;
}

std::vector<size_t> DnsServer::ReleasedBatches() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return released_batches_;
}

bool DnsServer::WaitForQueries(const std::string& name, size_t count, std::chrono::milliseconds timeout,
                               uint16_t type) {
  const auto key = std::make_pair(Lower(name), type);
  std::unique_lock<std::mutex> lock(mutex_);
  return queries_changed_.wait_for(lock, timeout, [&] {
    auto it = queries_.find(key);
    return it != queries_.end() && it->second >= count;
  });
}

void DnsServer::Serve() {
  unsigned char buffer[4096];
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    // Everything that has arrived, before waiting again.
    for (;;) {
      sockaddr_in peer{};
      socklen_t length = sizeof(peer);
      const ssize_t n = ::recvfrom(fd_, buffer, sizeof(buffer), 0, reinterpret_cast<sockaddr*>(&peer), &length);
      if (n < 0) break;  // EAGAIN: drained
      Answer(buffer, static_cast<size_t>(n), peer);
    }
  }
}

void DnsServer::Answer(const unsigned char* data, size_t size, const sockaddr_in& peer) {
  Question q;
  if (!ParseQuery(data, size, q)) return;
  std::vector<Held> batch;
  std::string response;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++queries_[{q.name, q.type}];
    ++total_queries_;
    queries_changed_.notify_all();
    if (silent_.count(q.name)) return;

    auto record = records_.find(q.name);
    const bool answer_a = record != records_.end() && q.type == DnsServer::kTypeA && q.klass == kClassIn;
    // Header (RFC 1035 4.1.1): same id, QR, opcode and RD copied, AA, RA.
    Put16(response, q.id);
    uint16_t flags = static_cast<uint16_t>(0x8000 | (q.flags & 0x7900) | 0x0400 | 0x0080);
    if (record == records_.end()) flags |= kRcodeNxdomain;
    Put16(response, flags);
    Put16(response, 1);                   // QDCOUNT
    Put16(response, answer_a ? 1 : 0);    // ANCOUNT
    Put16(response, 0);                   // NSCOUNT
    Put16(response, 0);                   // ARCOUNT
    response.append(reinterpret_cast<const char*>(data + 12), q.end - 12);
    if (answer_a) {
      Put16(response, 0xC00C);  // the name: a pointer to the question's
      Put16(response, DnsServer::kTypeA);
      Put16(response, kClassIn);
      Put32(response, record->second.ttl);
      Put16(response, 4);
      Put32(response, record->second.address);
      if (held_names_.count(q.name)) {
        held_by_name_.push_back(Held{q.name, peer, std::move(response)});
        return;
      }
      if (batch_ > 0) {
        held_batch_.push_back(Held{q.name, peer, std::move(response)});
        response.clear();  // goes out with the batch
        std::set<std::string> names;
        for (const auto& held : held_batch_) names.insert(held.name);
        if (names.size() < batch_) return;
        batch_ = 0;
        released_batches_.push_back(names.size());
        batch.swap(held_batch_);
      }
    }
  }
  for (const auto& held : batch) Send(held.peer, held.response);
  if (!response.empty()) Send(peer, response);
}

void DnsServer::Send(const sockaddr_in& peer, const std::string& response) {
  // Best effort, like any UDP server: the client retries what is lost.
  ::sendto(fd_, response.data(), response.size(), 0, reinterpret_cast<const sockaddr*>(&peer), sizeof(peer));
}

}  // namespace newshound::test
