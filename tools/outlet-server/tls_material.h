// TLS material for outlet-server's --tls-generate DIR: a private CA and a
// server certificate kept in DIR so that repeated runs reuse them (fast, and
// clients that already trust DIR/ca.pem keep trusting the server).
//
// Files in DIR:
//   ca.pem           the CA certificate clients should trust
//   ca-key.pem       its key, kept so a new leaf can be issued by the same CA
//   server.pem       the server certificate
//   server-key.pem   its key
//   wrong-name.pem, wrong-name-key.pem
//                    with --tls-wrong-name only: a certificate from the same
//                    CA for kWrongCertificateName alone, and its key
//
// The server certificate is reused when it was issued by ca.pem, matches its
// key, covers every requested DNS name and IP address and is valid for at
// least another hour; otherwise a new one is issued (by the existing CA when
// ca-key.pem is there, else by a new CA that replaces ca.pem).

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_TLS_MATERIAL_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_TLS_MATERIAL_H_

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace newshound::outlet {

// The only name the --tls-wrong-name certificate covers; .invalid is
// reserved (RFC 6761), so no client ever asks for it.
inline constexpr std::string_view kWrongCertificateName = "wrong-name.invalid";

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

// Makes sure DIR, already prepared by PrepareGeneratedTls, also holds a
// certificate from its CA for kWrongCertificateName only (wrong-name.pem,
// reused while usable like server.pem); `files` gets its paths (cert, key).
bool PrepareWrongNameTls(const std::filesystem::path& dir, TlsFiles& files,
                         std::string& error);

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_TLS_MATERIAL_H_
