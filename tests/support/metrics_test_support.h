// For the metrics tests (core and e2e): a strict parser of the Prometheus
// text format 0.0.4 (so a test checks what a scraper would read, not
// substrings), and a blocking HTTP/1.1 client over a raw loopback socket (so
// the server is tested with bytes on the wire, not through Beast's own
// client).
// Failures throw std::runtime_error, which GTest reports with the message.
#ifndef NEWSHOUND_TESTS_SUPPORT_METRICS_TEST_SUPPORT_H_
#define NEWSHOUND_TESTS_SUPPORT_METRICS_TEST_SUPPORT_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace newshound::test {

// --- Prometheus text ---------------------------------------------------------

struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;  // values unescaped
  double value = 0;
};

struct PromFamily {
  std::string help;  // unescaped
  std::string type;  // counter, gauge, histogram, summary, untyped
};

struct PromText {
  std::map<std::string, PromFamily> families;
  std::vector<PromSample> samples;  // in order

  // The sample `name` with exactly these labels; nullopt if absent.
  std::optional<double> Find(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    for (const PromSample& s : samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    return std::nullopt;
  }
  // Like Find, but the sample must exist.
  double Value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    std::optional<double> v = Find(name, labels);
    if (!v) {
      std::string text = name + "{";
      for (const auto& [k, val] : labels) text += k + "=\"" + val + "\",";
      throw std::runtime_error("no sample " + text + "}");
    }
    return *v;
  }
  // Every sample named `name` whose labels include `subset`.
  std::vector<PromSample> All(const std::string& name, const std::map<std::string, std::string>& subset = {}) const {
    std::vector<PromSample> out;
    for (const PromSample& s : samples) {
      if (s.name != name) continue;
      bool match = true;
      for (const auto& [k, v] : subset) {
        auto it = s.labels.find(k);
        if (it == s.labels.end() || it->second != v) match = false;
      }
      if (match) out.push_back(s);
    }
    return out;
  }
};

namespace prom_detail {

inline bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
inline bool IsNameChar(char c) { return IsNameStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

inline std::runtime_error Error(std::size_t line_no, const std::string& line, const std::string& why) {
  return std::runtime_error("prometheus text line " + std::to_string(line_no) + ": " + why + ": " + line);
}

inline double ParseValue(const std::string& text) {
  if (text == "+Inf") return 1.0 / 0.0;
  if (text == "-Inf") return -1.0 / 0.0;
  if (text == "NaN") return 0.0 / 0.0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) throw std::runtime_error("bad value '" + text + "'");
  return v;
}

// The family a sample belongs to: a histogram's _bucket/_sum/_count samples
// belong to the histogram's family.
inline std::string FamilyOf(const std::string& name, const std::map<std::string, PromFamily>& families) {
  if (families.count(name)) return name;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string_view s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      const std::string base = name.substr(0, name.size() - s.size());
      auto it = families.find(base);
      if (it != families.end() && (it->second.type == "histogram" || it->second.type == "summary")) return base;
    }
  }
  return "";
}

}  // namespace prom_detail

// Parses the whole exposition; throws on anything a strict reader would
// reject: a sample before its # TYPE, a TYPE given twice, a bad name, label
// or escape, a duplicate series, a missing final newline.
inline PromText ParsePrometheusText(const std::string& text) {
  using namespace prom_detail;
  PromText result;
  std::set<std::string> series_seen;
  std::set<std::string> families_done;  // families whose samples have ended
  std::string current_family;
  if (!text.empty() && text.back() != '\n') throw std::runtime_error("prometheus text does not end with a newline");
  std::size_t pos = 0;
  std::size_t line_no = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.empty()) continue;
    if (line[0] == '#') {
      std::size_t i = 1;
      while (i < line.size() && line[i] == ' ') ++i;
      const std::size_t kw_end = line.find(' ', i);
      const std::string keyword = line.substr(i, kw_end - i);
      if (keyword != "HELP" && keyword != "TYPE") continue;  // a plain comment
      if (kw_end == std::string::npos) throw Error(line_no, line, "no metric name");
      std::size_t name_end = line.find(' ', kw_end + 1);
      const std::string name = line.substr(kw_end + 1, name_end - kw_end - 1);
      if (name.empty() || !IsNameStart(name[0]) || !std::all_of(name.begin(), name.end(), IsNameChar)) {
        throw Error(line_no, line, "bad metric name");
      }
      const std::string rest = name_end == std::string::npos ? "" : line.substr(name_end + 1);
      PromFamily& family = result.families[name];
      if (keyword == "HELP") {
        if (!family.help.empty()) throw Error(line_no, line, "second HELP");
        std::string help;
        for (std::size_t k = 0; k < rest.size(); ++k) {
          if (rest[k] == '\\' && k + 1 < rest.size()) {
            const char n = rest[++k];
            help += n == 'n' ? '\n' : n;
          } else {
            help += rest[k];
          }
        }
        family.help = help.empty() ? " " : help;
      } else {
        if (!family.type.empty()) throw Error(line_no, line, "second TYPE");
        static const std::set<std::string> kTypes = {"counter", "gauge", "histogram", "summary", "untyped"};
        if (!kTypes.count(rest)) throw Error(line_no, line, "bad type");
        if (families_done.count(name)) throw Error(line_no, line, "TYPE after the family's samples");
        family.type = rest;
      }
      continue;
    }
    // name{label="value",...} value [timestamp]
    PromSample sample;
    std::size_t i = 0;
    while (i < line.size() && IsNameChar(line[i])) ++i;
    sample.name = line.substr(0, i);
    if (sample.name.empty() || !IsNameStart(sample.name[0])) throw Error(line_no, line, "bad sample name");
    if (i < line.size() && line[i] == '{') {
      ++i;
      for (;;) {
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        std::size_t start = i;
        while (i < line.size() && IsNameChar(line[i])) ++i;
        const std::string label = line.substr(start, i - start);
        if (label.empty() || std::isdigit(static_cast<unsigned char>(label[0])) || label.find(':') != std::string::npos) {
          throw Error(line_no, line, "bad label name");
        }
        if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') throw Error(line_no, line, "expected =\"");
        i += 2;
        std::string value;
        for (;;) {
          if (i >= line.size()) throw Error(line_no, line, "unterminated label value");
          const char c = line[i++];
          if (c == '"') break;
          if (c == '\\') {
            if (i >= line.size()) throw Error(line_no, line, "dangling backslash");
            const char n = line[i++];
            if (n == 'n') value += '\n';
            else if (n == '\\' || n == '"') value += n;
            else throw Error(line_no, line, std::string("bad escape \\") + n);
          } else {
            value += c;
          }
        }
        if (sample.labels.count(label)) throw Error(line_no, line, "label given twice");
        sample.labels[label] = value;
        if (i < line.size() && line[i] == ',') ++i;
        else if (i >= line.size() || line[i] != '}') throw Error(line_no, line, "expected , or }");
      }
    }
    if (i >= line.size() || line[i] != ' ') throw Error(line_no, line, "expected a space before the value");
    ++i;
    const std::size_t value_end = line.find(' ', i);
    try {
      sample.value = ParseValue(line.substr(i, value_end - i));
    } catch (const std::exception& e) {
      throw Error(line_no, line, e.what());
    }
    const std::string family = FamilyOf(sample.name, result.families);
    if (family.empty() || result.families[family].type.empty()) {
      throw Error(line_no, line, "sample without a # TYPE for its family");
    }
    if (family != current_family) {
      if (families_done.count(family)) throw Error(line_no, line, "family's samples not together");
      if (!current_family.empty()) families_done.insert(current_family);
      current_family = family;
    }
    std::string key = sample.name;
    for (const auto& [k, v] : sample.labels) key += "\x01" + k + "\x02" + v;
    if (!series_seen.insert(key).second) throw Error(line_no, line, "duplicate series");
    result.samples.push_back(std::move(sample));
  }
  return result;
}

// --- HTTP over a raw socket --------------------------------------------------

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// One TCP connection to 127.0.0.1:port (or [::1] with `v6`); every read
// waits at most `timeout`.
class RawHttpClient {
 public:
  explicit RawHttpClient(uint16_t port, bool v6 = false,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : timeout_(timeout) {
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    int rc;
    if (v6) {
      sockaddr_in6 addr{};
      addr.sin6_family = AF_INET6;
      addr.sin6_port = htons(port);
      addr.sin6_addr = in6addr_loopback;
      rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    } else {
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    }
    if (rc != 0) {
      ::close(fd_);
      throw std::runtime_error("cannot connect to loopback port " + std::to_string(port));
    }
  }
  ~RawHttpClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawHttpClient(const RawHttpClient&) = delete;
  RawHttpClient& operator=(const RawHttpClient&) = delete;

  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  // Reads one response to a request of `method` (HEAD: no body follows).
  HttpResponse ReadResponse(std::string_view method = "GET") {
    std::size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) throw std::runtime_error("connection closed before a response head; got: " + buffer_);
    }
    HttpResponse response;
    const std::string head = buffer_.substr(0, header_end);
    buffer_.erase(0, header_end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
      throw std::runtime_error("bad status line: " + status_line);
    }
    response.status = std::stoi(status_line.substr(9, 3));
    while (line_end != std::string::npos) {
      const std::size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      response.headers[name] = value;
    }
    if (method == "HEAD") return response;
    const std::string length_text = response.Header("content-length");
    if (length_text.empty()) throw std::runtime_error("response without Content-Length");
    const std::size_t length = std::stoul(length_text);
    while (buffer_.size() < length) {
      if (!Fill()) throw std::runtime_error("connection closed in the body");
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  HttpResponse Request(std::string_view method, std::string_view target) {
    Send(std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    return ReadResponse(method);
  }

  // True once the server has closed the connection (EOF) within the timeout,
  // with no more bytes first.
  bool ClosedByPeer() {
    if (!buffer_.empty()) return false;
    return !Fill() && buffer_.empty();
  }

 private:
  // Reads more; false on EOF or error. Throws on timeout.
  bool Fill() {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
    if (ready == 0) throw std::runtime_error("timed out waiting for the server");
    char chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
};

// GET on a fresh connection.
inline HttpResponse HttpGet(uint16_t port, std::string_view target) {
  RawHttpClient client(port);
  return client.Request("GET", target);
}

}  // namespace newshound::test

#endif  // NEWSHOUND_TESTS_SUPPORT_METRICS_TEST_SUPPORT_H_
