// TLS material for outlet-server's --tls-generate DIR: a private CA and a
// server certificate kept in DIR so that repeated runs reuse them (fast, and
// clients that already trust DIR/ca.pem keep trusting the server).
//
// Files in DIR:
//   ca.pem           the CA certificate clients should trust
//   ca-key.pem       its key, kept so a new leaf can be issued by the same CA
//   server.pem       the server certificate
//   server-key.pem   its key
//
// The server certificate is reused when it was issued by ca.pem, matches its
// key, covers every requested DNS name and IP address and is valid for at
// least another hour; otherwise a new one is issued (by the existing CA when
// ca-key.pem is there, else by a new CA that replaces ca.pem).

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_TLS_MATERIAL_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_TLS_MATERIAL_H_

#include <filesystem>
#include <string>
#include <vector>

namespace newshound::outlet {

struct TlsFiles {
  std::filesystem::path cert;
  std::filesystem::path key;
  std::filesystem::path ca;  // empty when the files were given, not generated
  bool generated = false;    // false when everything was reused
};

// Makes sure DIR holds usable material for the names. On failure returns
// false with `error` set. Concurrent runs on one DIR are serialized with a
// lock file, DIR/.lock.
bool PrepareGeneratedTls(const std::filesystem::path& dir,
                         const std::vector<std::string>& dns_names,
                         const std::vector<std::string>& ip_addrs,
                         TlsFiles& files, std::string& error);

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_TLS_MATERIAL_H_
