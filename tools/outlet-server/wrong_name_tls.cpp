#include "wrong_name_tls.h"

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <utility>

#include "tls_material.h"

namespace newshound::outlet {
namespace {

std::string Lower(std::string_view text) {
  std::string out;
  for (char c : text) out += (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
  return out;
}

}  // namespace

WrongNameTls::WrongNameTls(std::vector<std::string> hosts,
                           std::unique_ptr<boost::asio::ssl::context> wrong)
    : wrong_(std::move(wrong)) {
  for (const std::string& host : hosts) hosts_.push_back(Lower(host));
}

void WrongNameTls::Install(boost::asio::ssl::context& server) {
  SSL_CTX_set_tlsext_servername_callback(server.native_handle(),
                                         &WrongNameTls::OnServerName);
  SSL_CTX_set_tlsext_servername_arg(server.native_handle(), this);
}

std::optional<std::string> WrongNameTls::Invalid(std::string_view host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(std::string(host), ec);
  if (!ec) {
    return "an IP address; clients send no server name (SNI) for one, so "
           "the certificate cannot be chosen for it";
  }
  if (host.empty()) return "empty";
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
    if (!ok) return "not a DNS name";
  }
  if (Lower(host) == kWrongCertificateName) {
    return "the name the wrong certificate is issued for";
  }
  return std::nullopt;
}

int WrongNameTls::OnServerName(SSL* ssl, int* /*alert*/, void* self) {
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  const auto* wrong_name = static_cast<const WrongNameTls*>(self);
  if (name != nullptr && wrong_name->Matches(name)) {
    // Takes the certificate and key of the other context for this
    // connection only (and a reference to it).
    SSL_set_SSL_CTX(ssl, wrong_name->wrong_->native_handle());
  }
  return SSL_TLSEXT_ERR_OK;
}

bool WrongNameTls::Matches(std::string_view server_name) const {
  const std::string lower = Lower(server_name);
  for (const std::string& host : hosts_) {
    if (host == lower) return true;
  }
  return false;
}

}  // namespace newshound::outlet
