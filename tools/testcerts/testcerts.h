// Test certificates made on the fly with OpenSSL 3: a private CA and leaf
// certificates it issues, so TLS can be exercised against 127.0.0.1 without
// any certificate checked into the tree or a dependency on the system store.
//
// Every key is EC P-256 and every signature SHA-256. The validity window and
// the names of a leaf are free, which is what lets tests build the bad cases
// a crawler must reject: an expired certificate (not_after in the past), a
// certificate for another host (names that do not match), and a certificate
// from an unknown CA (a second MakeCa the client does not trust).
//
// This is a test/tool library, not a module boundary of the core: failures
// are reported by throwing std::runtime_error with OpenSSL's error text.

#ifndef NEWSHOUND_TOOLS_TESTCERTS_TESTCERTS_H_
#define NEWSHOUND_TOOLS_TESTCERTS_TESTCERTS_H_

#include <chrono>
#include <string>
#include <vector>

namespace newshound::testcerts {

using TimePoint = std::chrono::system_clock::time_point;

// A certificate and its private key, both PEM text ("-----BEGIN
// CERTIFICATE-----" and a PKCS#8 "-----BEGIN PRIVATE KEY-----").
struct Pem {
  std::string cert;
  std::string key;
};

// What Inspect() reads back from a certificate.
struct CertInfo {
  std::string subject_cn;
  std::string issuer_cn;
  std::vector<std::string> dns_names;  // subjectAltName DNS entries
  std::vector<std::string> ip_addrs;   // subjectAltName IP entries, textual
  TimePoint not_before;
  TimePoint not_after;
  bool is_ca = false;  // basicConstraints CA:TRUE
};

// Default windows: start an hour in the past so clock skew between the
// machine that makes a certificate and the one checking it does not matter.
inline constexpr std::chrono::hours kDefaultBackdate{1};
inline constexpr std::chrono::hours kDefaultCaLifetime{24 * 365 * 10};
inline constexpr std::chrono::hours kDefaultLeafLifetime{24 * 825};

// A self-signed CA: basicConstraints critical CA:TRUE, keyUsage critical
// keyCertSign + cRLSign, subjectKeyIdentifier.
Pem MakeCa(const std::string& common_name, TimePoint not_before,
           TimePoint not_after);
// Same, valid from an hour ago for kDefaultCaLifetime.
Pem MakeCa(const std::string& common_name);

// A server certificate signed by `ca`: subjectAltName with every DNS name
// and IP address (IPv4 or IPv6 text) given, basicConstraints CA:FALSE,
// keyUsage critical digitalSignature, extendedKeyUsage serverAuth, subject
// and authority key identifiers. The subject CN is the first DNS name (or
// the first IP address). At least one name is required.
Pem IssueLeaf(const Pem& ca, const std::vector<std::string>& dns_names,
              const std::vector<std::string>& ip_addrs, TimePoint not_before,
              TimePoint not_after);
// Same, valid from an hour ago for kDefaultLeafLifetime.
Pem IssueLeaf(const Pem& ca, const std::vector<std::string>& dns_names,
              const std::vector<std::string>& ip_addrs);

// Parses a PEM certificate (the first one in `cert_pem`).
CertInfo Inspect(const std::string& cert_pem);

// True when `cert_pem` carries a signature that verifies with the public key
// of `ca_cert_pem` and names it as issuer. Only the signature link is
// checked, not validity dates or extensions.
bool IsIssuedBy(const std::string& cert_pem, const std::string& ca_cert_pem);

// True when the private key in `key_pem` belongs to the certificate.
bool KeyMatchesCert(const std::string& cert_pem, const std::string& key_pem);

}  // namespace newshound::testcerts

#endif  // NEWSHOUND_TOOLS_TESTCERTS_TESTCERTS_H_
