// Registrable domains from the public suffix list. Its own file so that
// code using only the rest of the URL module (plugins) does not pull in
// libpsl.
#include <libpsl.h>

#include <cctype>
#include <string>

#include "newshound/url.h"

namespace newshound {

std::string RegistrableDomain(std::string_view host) {
  std::string lower(host);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool ip_literal = lower.find(':') != std::string::npos ||
                          lower.find_first_not_of("0123456789.") == std::string::npos;
  if (ip_literal) return lower;
  // psl_builtin() is the list compiled into libpsl: immutable and safe to
  // share between threads.
  const psl_ctx_t* psl = psl_builtin();
  if (psl == nullptr) return lower;
  const char* domain = psl_registrable_domain(psl, lower.c_str());
  return domain != nullptr ? std::string(domain) : lower;
}

}  // namespace newshound
