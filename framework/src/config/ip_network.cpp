// network.allow entries: CIDR networks, parsed strictly (inet_pton), so a
// typo fails at load instead of opening or closing the wrong range.
#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "newshound/config.h"

namespace newshound {

std::optional<IpNetwork> ParseIpNetwork(std::string_view text, std::string& error) {
  const size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  IpNetwork network;
  network.text = std::string(text);
  if (inet_pton(AF_INET, address.c_str(), network.bytes) == 1) {
    network.v6 = false;
  } else if (inet_pton(AF_INET6, address.c_str(), network.bytes) == 1) {
    network.v6 = true;
  } else {
    error = "not an IP address or network (CIDR, e.g. 127.0.0.1/32 or fd00::/8)";
    return std::nullopt;
  }
  const int max_prefix = network.v6 ? 128 : 32;
  network.prefix = max_prefix;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    int prefix = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || prefix < 0 ||
        prefix > max_prefix) {
      error = "prefix length must be a number from 0 to " + std::to_string(max_prefix);
      return std::nullopt;
    }
    network.prefix = prefix;
  }
  const int bytes = network.v6 ? 16 : 4;
  for (int bit = network.prefix; bit < bytes * 8; ++bit) {
    if (network.bytes[bit / 8] & (0x80 >> (bit % 8))) {
      error = "address has bits set past the /" + std::to_string(network.prefix) + " prefix (did you mean a /" +
              std::to_string(max_prefix) + "?)";
      return std::nullopt;
    }
  }
  return network;
}

}  // namespace newshound
