#include "testcerts.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace newshound::testcerts {
namespace {

template <auto kFree>
struct Freer {
  template <typename T>
  void operator()(T* p) const {
    kFree(p);
  }
};
using BioPtr = std::unique_ptr<BIO, Freer<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Freer<X509_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Freer<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Freer<X509_EXTENSION_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Freer<GENERAL_NAMES_free>>;
using NamePtr = std::unique_ptr<GENERAL_NAME, Freer<GENERAL_NAME_free>>;
using BasicConstraintsPtr =
    std::unique_ptr<BASIC_CONSTRAINTS, Freer<BASIC_CONSTRAINTS_free>>;

// X.509 caps a commonName at 64 characters (ub-common-name).
constexpr size_t kMaxCommonName = 64;

// Throws with `what` plus OpenSSL's queued errors, and empties the queue so
// a later, unrelated TLS operation in the same thread does not pick them up.
[[noreturn]] void Fail(std::string_view what) {
  std::string message = "testcerts: ";
  message += what;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    message += "; ";
    message += buf;
  }
  throw std::runtime_error(message);
}

void Check(bool ok, std::string_view what) {
  if (!ok) Fail(what);
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, size > 0 ? static_cast<size_t>(size) : 0);
}

BioPtr ReadBio(const std::string& text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  Check(bio != nullptr, "BIO_new_mem_buf failed");
  return bio;
}

X509Ptr LoadCert(const std::string& pem) {
  BioPtr bio = ReadBio(pem);
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  Check(cert != nullptr, "cannot parse PEM certificate");
  return cert;
}

PkeyPtr LoadKey(const std::string& pem) {
  BioPtr bio = ReadBio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  Check(key != nullptr, "cannot parse PEM private key");
  return key;
}

PkeyPtr NewKey() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  Check(key != nullptr, "EC P-256 key generation failed");
  return key;
}

Pem ToPem(X509* cert, EVP_PKEY* key) {
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  Check(cert_bio && key_bio, "BIO_new failed");
  Check(PEM_write_bio_X509(cert_bio.get(), cert) == 1,
        "PEM_write_bio_X509 failed");
  Check(PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0,
                                 nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey failed");
  return Pem{BioText(cert_bio.get()), BioText(key_bio.get())};
}

void SetValidity(X509* cert, TimePoint not_before, TimePoint not_after) {
  Check(not_before <= not_after, "not_before is after not_after");
  Check(ASN1_TIME_set(X509_getm_notBefore(cert),
                      std::chrono::system_clock::to_time_t(not_before)) !=
            nullptr,
        "cannot set notBefore");
  Check(ASN1_TIME_set(X509_getm_notAfter(cert),
                      std::chrono::system_clock::to_time_t(not_after)) !=
            nullptr,
        "cannot set notAfter");
}

// A random positive 127-bit serial: unique enough that two certificates from
// one CA never collide, which some clients would reject.
void SetRandomSerial(X509* cert) {
  BnPtr bn(BN_new());
  Check(bn != nullptr, "BN_new failed");
  Check(BN_rand(bn.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1,
        "BN_rand failed");
  Check(BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr,
        "cannot set serial number");
}

void SetSubjectCn(X509* cert, const std::string& common_name) {
  X509_NAME* name = X509_get_subject_name(cert);
  Check(X509_NAME_add_entry_by_txt(
            name, "CN", MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
            -1, 0) == 1,
        "cannot set subject CN");
}

// Adds an extension written in openssl.cnf syntax; `ctx` supplies the issuer
// and subject certificates that key identifiers are computed from.
void AddExt(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  Check(ext != nullptr, std::string("cannot build extension ") +
                            OBJ_nid2sn(nid) + "=" + value);
  Check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext failed");
}

// subjectAltName built from GENERAL_NAME values rather than a config string,
// so a name can never be misread as config syntax (commas, "IP:" prefixes).
void AddSubjectAltName(X509* cert, const std::vector<std::string>& dns_names,
                       const std::vector<std::string>& ip_addrs) {
  NamesPtr names(sk_GENERAL_NAME_new_null());
  Check(names != nullptr, "sk_GENERAL_NAME_new_null failed");
  for (const std::string& dns : dns_names) {
    Check(!dns.empty(), "empty DNS name");
    NamePtr name(GENERAL_NAME_new());
    ASN1_IA5STRING* value = ASN1_IA5STRING_new();
    Check(name && value, "allocation failed");
    if (ASN1_STRING_set(value, dns.data(), static_cast<int>(dns.size())) !=
        1) {
      ASN1_IA5STRING_free(value);
      Fail("ASN1_STRING_set failed");
    }
    GENERAL_NAME_set0_value(name.get(), GEN_DNS, value);
    Check(sk_GENERAL_NAME_push(names.get(), name.get()) > 0, "push failed");
    name.release();  // now owned by `names`
  }
  for (const std::string& ip : ip_addrs) {
    ASN1_OCTET_STRING* value = a2i_IPADDRESS(ip.c_str());
    if (value == nullptr) Fail("not an IP address: '" + ip + "'");
    NamePtr name(GENERAL_NAME_new());
    if (!name) {
      ASN1_OCTET_STRING_free(value);
      Fail("allocation failed");
    }
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, value);
    Check(sk_GENERAL_NAME_push(names.get(), name.get()) > 0, "push failed");
    name.release();
  }
  Check(X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0,
                          X509V3_ADD_DEFAULT) == 1,
        "cannot add subjectAltName");
}

std::string NameCn(const X509_NAME* name) {
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return {};
  ASN1_STRING* data =
      X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) {
    ERR_clear_error();
    return {};
  }
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

TimePoint ToTimePoint(const ASN1_TIME* time) {
  std::tm tm{};
  Check(ASN1_TIME_to_tm(time, &tm) == 1, "cannot parse certificate time");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

Pem MakeCa(const std::string& common_name, TimePoint not_before,
           TimePoint not_after) {
  Check(!common_name.empty() && common_name.size() <= kMaxCommonName,
        "CA common name must have 1 to 64 characters");
  PkeyPtr key = NewKey();
  X509Ptr cert(X509_new());
  Check(cert != nullptr, "X509_new failed");
  Check(X509_set_version(cert.get(), X509_VERSION_3) == 1,
        "X509_set_version failed");
  SetRandomSerial(cert.get());
  SetValidity(cert.get(), not_before, not_after);
  SetSubjectCn(cert.get(), common_name);
  Check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) ==
            1,
        "X509_set_issuer_name failed");
  Check(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey failed");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  AddExt(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE");
  AddExt(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
  AddExt(cert.get(), &ctx, NID_subject_key_identifier, "hash");

  Check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0,
        "signing the CA certificate failed");
  return ToPem(cert.get(), key.get());
}

Pem MakeCa(const std::string& common_name) {
  auto now = std::chrono::system_clock::now();
  return MakeCa(common_name, now - kDefaultBackdate, now + kDefaultCaLifetime);
}

Pem IssueLeaf(const Pem& ca, const std::vector<std::string>& dns_names,
              const std::vector<std::string>& ip_addrs, TimePoint not_before,
              TimePoint not_after) {
  Check(!dns_names.empty() || !ip_addrs.empty(),
        "a leaf certificate needs at least one DNS name or IP address");
  X509Ptr ca_cert = LoadCert(ca.cert);
  PkeyPtr ca_key = LoadKey(ca.key);
  Check(X509_check_private_key(ca_cert.get(), ca_key.get()) == 1,
        "CA key does not match CA certificate");

  PkeyPtr key = NewKey();
  X509Ptr cert(X509_new());
  Check(cert != nullptr, "X509_new failed");
  Check(X509_set_version(cert.get(), X509_VERSION_3) == 1,
        "X509_set_version failed");
  SetRandomSerial(cert.get());
  SetValidity(cert.get(), not_before, not_after);
  // The CN is informational only (clients match subjectAltName); skip it when
  // it would exceed the X.509 length limit instead of failing.
  const std::string& cn = dns_names.empty() ? ip_addrs.front() : dns_names.front();
  if (cn.size() <= kMaxCommonName) SetSubjectCn(cert.get(), cn);
  Check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())) ==
            1,
        "X509_set_issuer_name failed");
  Check(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey failed");

  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca_cert.get(), cert.get(), nullptr, nullptr, 0);
  AddExt(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE");
  AddExt(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature");
  AddExt(cert.get(), &ctx, NID_ext_key_usage, "serverAuth");
  AddExt(cert.get(), &ctx, NID_subject_key_identifier, "hash");
  AddExt(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
  AddSubjectAltName(cert.get(), dns_names, ip_addrs);

  Check(X509_sign(cert.get(), ca_key.get(), EVP_sha256()) > 0,
        "signing the leaf certificate failed");
  return ToPem(cert.get(), key.get());
}

Pem IssueLeaf(const Pem& ca, const std::vector<std::string>& dns_names,
              const std::vector<std::string>& ip_addrs) {
  auto now = std::chrono::system_clock::now();
  return IssueLeaf(ca, dns_names, ip_addrs, now - kDefaultBackdate,
                   now + kDefaultLeafLifetime);
}

CertInfo Inspect(const std::string& cert_pem) {
  X509Ptr cert = LoadCert(cert_pem);
  CertInfo info;
  info.subject_cn = NameCn(X509_get_subject_name(cert.get()));
  info.issuer_cn = NameCn(X509_get_issuer_name(cert.get()));
  info.not_before = ToTimePoint(X509_get0_notBefore(cert.get()));
  info.not_after = ToTimePoint(X509_get0_notAfter(cert.get()));

  BasicConstraintsPtr bc(static_cast<BASIC_CONSTRAINTS*>(
      X509_get_ext_d2i(cert.get(), NID_basic_constraints, nullptr, nullptr)));
  info.is_ca = bc != nullptr && bc->ca != 0;

  NamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = name->d.dNSName;
      info.dns_names.emplace_back(
          reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
          static_cast<size_t>(ASN1_STRING_length(dns)));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      int len = ASN1_STRING_length(ip);
      char text[INET6_ADDRSTRLEN] = {};
      int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : -1;
      if (family != -1 &&
          inet_ntop(family, ASN1_STRING_get0_data(ip), text, sizeof text)) {
        info.ip_addrs.emplace_back(text);
      }
    }
  }
  ERR_clear_error();  // absent extensions leave harmless entries behind
  return info;
}

bool IsIssuedBy(const std::string& cert_pem, const std::string& ca_cert_pem) {
  X509Ptr cert = LoadCert(cert_pem);
  X509Ptr ca = LoadCert(ca_cert_pem);
  bool ok = X509_check_issued(ca.get(), cert.get()) == X509_V_OK &&
            X509_verify(cert.get(), X509_get0_pubkey(ca.get())) == 1;
  ERR_clear_error();
  return ok;
}

bool KeyMatchesCert(const std::string& cert_pem, const std::string& key_pem) {
  X509Ptr cert = LoadCert(cert_pem);
  PkeyPtr key = LoadKey(key_pem);
  bool ok = X509_check_private_key(cert.get(), key.get()) == 1;
  ERR_clear_error();
  return ok;
}

}  // namespace newshound::testcerts
