#include "tls_material.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "testcerts.h"

namespace newshound::outlet {
namespace {

namespace fs = std::filesystem;

constexpr char kCaCommonName[] = "newshound outlet-server test CA";

std::optional<std::string> ReadIfExists(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in),
                     std::istreambuf_iterator<char>());
}

// Writes through a temporary file and rename, so a reader (or a crashed
// writer) never leaves a half-written PEM behind; keys are private to the
// user.
void WriteAtomically(const fs::path& path, const std::string& content,
                     mode_t mode) {
  fs::path temp = path;
  temp += ".tmp." + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    throw std::runtime_error("cannot create " + temp.string() + ": " +
                             std::strerror(errno));
  }
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int saved = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      throw std::runtime_error("cannot write " + temp.string() + ": " +
                               std::strerror(saved));
    }
    written += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(temp.c_str());
    throw std::runtime_error("cannot rename to " + path.string() + ": " +
                             std::strerror(saved));
  }
}

bool Covers(const std::vector<std::string>& have,
            const std::vector<std::string>& want) {
  return std::all_of(want.begin(), want.end(), [&](const std::string& name) {
    return std::find(have.begin(), have.end(), name) != have.end();
  });
}

bool LeafUsable(const std::optional<std::string>& cert,
                const std::optional<std::string>& key,
                const std::optional<std::string>& ca_cert,
                const std::vector<std::string>& dns_names,
                const std::vector<std::string>& ip_addrs) {
  if (!cert || !key || !ca_cert) return false;
  try {
    if (!testcerts::KeyMatchesCert(*cert, *key)) return false;
    if (!testcerts::IsIssuedBy(*cert, *ca_cert)) return false;
    testcerts::CertInfo info = testcerts::Inspect(*cert);
    auto now = std::chrono::system_clock::now();
    return info.not_before <= now &&
           info.not_after > now + std::chrono::hours(1) &&
           Covers(info.dns_names, dns_names) && Covers(info.ip_addrs, ip_addrs);
  } catch (const std::exception&) {
    return false;  // unreadable files are simply replaced
  }
}

bool CaUsable(const std::optional<std::string>& cert,
              const std::optional<std::string>& key) {
  if (!cert || !key) return false;
  try {
    testcerts::CertInfo info = testcerts::Inspect(*cert);
    return info.is_ca && testcerts::KeyMatchesCert(*cert, *key) &&
           info.not_after >
               std::chrono::system_clock::now() + std::chrono::hours(24);
  } catch (const std::exception&) {
    return false;
  }
}

// Holds an exclusive flock on a file for the lifetime of the object.
class DirLock {
 public:
  explicit DirLock(const fs::path& path)
      : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ < 0) {
      throw std::runtime_error("cannot open lock file " + path.string() +
                               ": " + std::strerror(errno));
    }
    while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
    }
  }
  ~DirLock() { ::close(fd_); }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_;
};

}  // namespace

bool PrepareWrongNameTls(const fs::path& dir, TlsFiles& files,
                         std::string& error) {
  try {
    DirLock lock(dir / ".lock");
    files.ca = dir / "ca.pem";
    files.cert = dir / "wrong-name.pem";
    files.key = dir / "wrong-name-key.pem";
    files.generated = false;
    std::optional<std::string> ca_cert = ReadIfExists(files.ca);
    std::optional<std::string> ca_key = ReadIfExists(dir / "ca-key.pem");
    const std::vector<std::string> names = {std::string(kWrongCertificateName)};
    if (LeafUsable(ReadIfExists(files.cert), ReadIfExists(files.key), ca_cert,
                   names, {})) {
      return true;
    }
    if (!CaUsable(ca_cert, ca_key)) {
      error = "no usable CA (ca.pem, ca-key.pem) in " + dir.string();
      return false;
    }
    files.generated = true;
    testcerts::Pem leaf = testcerts::IssueLeaf({*ca_cert, *ca_key}, names, {});
    WriteAtomically(files.key, leaf.key, 0600);
    WriteAtomically(files.cert, leaf.cert, 0644);
    return true;
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
}

bool PrepareGeneratedTls(const fs::path& dir,
                         const std::vector<std::string>& dns_names,
                         const std::vector<std::string>& ip_addrs,
                         TlsFiles& files, std::string& error) {
  try {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      error = "cannot create " + dir.string() + ": " + ec.message();
      return false;
    }
    DirLock lock(dir / ".lock");

    files.ca = dir / "ca.pem";
    files.cert = dir / "server.pem";
    files.key = dir / "server-key.pem";
    const fs::path ca_key_path = dir / "ca-key.pem";
    files.generated = false;

    std::optional<std::string> ca_cert = ReadIfExists(files.ca);
    std::optional<std::string> ca_key = ReadIfExists(ca_key_path);
    if (LeafUsable(ReadIfExists(files.cert), ReadIfExists(files.key), ca_cert,
                   dns_names, ip_addrs)) {
      return true;
    }

    files.generated = true;
    testcerts::Pem ca;
    if (CaUsable(ca_cert, ca_key)) {
      ca = {*ca_cert, *ca_key};
    } else {
      ca = testcerts::MakeCa(kCaCommonName);
      WriteAtomically(ca_key_path, ca.key, 0600);
      WriteAtomically(files.ca, ca.cert, 0644);
    }
    testcerts::Pem leaf = testcerts::IssueLeaf(ca, dns_names, ip_addrs);
    // Key first: a reader that sees the new certificate also finds its key.
    WriteAtomically(files.key, leaf.key, 0600);
    WriteAtomically(files.cert, leaf.cert, 0644);
    return true;
  } catch (const std::exception& e) {
    error = e.what();
    return false;
  }
}

}  // namespace newshound::outlet
