// --tls-wrong-name HOST: clients asking for HOST get a certificate from the
// right CA that does not cover HOST, so a crawler's hostname check must
// reject it.
//
// The server's certificate is chosen during the TLS handshake, from the
// server name (SNI) in the ClientHello, before any HTTP request exists; so
// this is chosen per host, not per path, and cannot be a --respond step.

#ifndef NEWSHOUND_TOOLS_OUTLET_SERVER_WRONG_NAME_TLS_H_
#define NEWSHOUND_TOOLS_OUTLET_SERVER_WRONG_NAME_TLS_H_

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace newshound::outlet {

class WrongNameTls {
 public:
  // `hosts`: DNS names, compared case-insensitively; `wrong`: the context
  // with the certificate to present to them.
  WrongNameTls(std::vector<std::string> hosts,
               std::unique_ptr<boost::asio::ssl::context> wrong);
  WrongNameTls(const WrongNameTls&) = delete;
  WrongNameTls& operator=(const WrongNameTls&) = delete;

  // Makes handshakes on `server` switch to the wrong certificate for those
  // hosts. This object must outlive every handshake on `server`.
  void Install(boost::asio::ssl::context& server);

  // Whether a --tls-wrong-name value can be a server name: a DNS name (SNI
  // carries no IP addresses, RFC 6066), not kWrongCertificateName; nullopt
  // if so, else why not.
  static std::optional<std::string> Invalid(std::string_view host);

 private:
  static int OnServerName(SSL* ssl, int* alert, void* self);
  bool Matches(std::string_view server_name) const;

  std::vector<std::string> hosts_;  // lower-case
  std::unique_ptr<boost::asio::ssl::context> wrong_;
};

}  // namespace newshound::outlet

#endif  // NEWSHOUND_TOOLS_OUTLET_SERVER_WRONG_NAME_TLS_H_
