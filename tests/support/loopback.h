// The tests' servers listen on 127.0.0.1 (and ::1), which the SSRF guard
// (framework/src/net/address_guard.h) refuses unless network.allow opens
// it, as a real operator's config for a local server would.
#ifndef NEWSHOUND_TESTS_SUPPORT_LOOPBACK_H_
#define NEWSHOUND_TESTS_SUPPORT_LOOPBACK_H_

#include <string>
#include <vector>

#include "newshound/config.h"
#include "newshound/fetch.h"

namespace newshound::test {

// network.allow for a test config: "allow: [...]" under a `network:` key.
inline constexpr char kAllowLoopback[] = "  allow: [127.0.0.1/32, \"::1/128\"]\n";

inline std::vector<IpNetwork> LoopbackNetworks() {
  std::vector<IpNetwork> networks;
  for (const char* text : {"127.0.0.1/32", "::1/128"}) {
    std::string error;
    networks.push_back(*ParseIpNetwork(text, error));
  }
  return networks;
}

// FetchSettings that may connect to the test's loopback servers.
inline FetchSettings LoopbackFetchSettings() {
  FetchSettings settings;
  settings.allow = LoopbackNetworks();
  return settings;
}

}  // namespace newshound::test

#endif  // NEWSHOUND_TESTS_SUPPORT_LOOPBACK_H_
