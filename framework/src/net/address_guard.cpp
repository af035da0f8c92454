#include "net/address_guard.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace newshound::net {
namespace {

using Bytes4 = std::array<uint8_t, 4>;
using Bytes16 = std::array<uint8_t, 16>;

struct Range4 {
  Bytes4 base;
  int prefix;
  std::string_view name;
};
struct Range6 {
  Bytes16 base;
  int prefix;
  std::string_view name;
};

bool PrefixMatches(const uint8_t* address, const uint8_t* base, int prefix) {
  const int whole = prefix / 8;
  if (std::memcmp(address, base, whole) != 0) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (address[whole] & mask) == (base[whole] & mask);
}

// IANA's IPv4 special-purpose registry, the entries that are not globally
// reachable (RFC 6890 and successors), plus multicast and the reserved
// class E. 192.88.99.0/24 (the retired 6to4 relay anycast) is left out:
// it is routable.
constexpr Range4 kRanges4[] = {
    {{0, 0, 0, 0}, 8, "unspecified"},  // "this network"; 0.0.0.0 reaches the local host on Linux
    {{10, 0, 0, 0}, 8, "private"},
    {{100, 64, 0, 0}, 10, "shared address space"},  // carrier-grade NAT
    {{127, 0, 0, 0}, 8, "loopback"},
    {{169, 254, 0, 0}, 16, "link-local"},  // cloud metadata services live here
    {{172, 16, 0, 0}, 12, "private"},
    {{192, 0, 0, 0}, 24, "reserved"},  // IETF protocol assignments
    {{192, 0, 2, 0}, 24, "documentation"},
    {{192, 168, 0, 0}, 16, "private"},
    {{198, 18, 0, 0}, 15, "benchmarking"},
    {{198, 51, 100, 0}, 24, "documentation"},
    {{203, 0, 113, 0}, 24, "documentation"},
    {{224, 0, 0, 0}, 4, "multicast"},
    {{255, 255, 255, 255}, 32, "broadcast"},  // before class E, which holds it
    {{240, 0, 0, 0}, 4, "reserved"},
};

constexpr Range6 kRanges6[] = {
    {{}, 128, "unspecified"},
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128, "loopback"},
    {{0, 0x64, 0xff, 0x9b, 0, 1}, 48, "private"},  // local-use NAT64 (RFC 8215)
    {{0x01, 0x00}, 64, "reserved"},                // discard-only (RFC 6666)
    {{0x20, 0x01, 0x0d, 0xb8}, 32, "documentation"},
    {{0xfc}, 7, "private"},  // unique local
    {{0xfe, 0x80}, 10, "link-local"},
    {{0xfe, 0xc0}, 10, "private"},  // site-local, deprecated but still routed inside sites
    {{0xff}, 8, "multicast"},
    {{}, 96, "reserved"},  // IPv4-compatible (deprecated); after :: and ::1
};

std::optional<std::string_view> NonPublic4(const Bytes4& address) {
  for (const Range4& range : kRanges4)
    if (PrefixMatches(address.data(), range.base.data(), range.prefix)) return range.name;
  return std::nullopt;
}

// The IPv4 address an IPv6 address carries, for the forms that deliver to
// it: IPv4-mapped, NAT64 (well-known prefix) and 6to4.
std::optional<Bytes4> EmbeddedV4(const Bytes16& a) {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(a.data(), kMapped, 12) == 0 || std::memcmp(a.data(), kNat64, 12) == 0)
    return Bytes4{a[12], a[13], a[14], a[15]};
  if (a[0] == 0x20 && a[1] == 0x02) return Bytes4{a[2], a[3], a[4], a[5]};
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> NonPublicRange(const boost::asio::ip::address& address) {
  if (address.is_v4()) return NonPublic4(address.to_v4().to_bytes());
  const Bytes16 bytes = address.to_v6().to_bytes();
  if (auto v4 = EmbeddedV4(bytes)) return NonPublic4(*v4);
  for (const Range6& range : kRanges6)
    if (PrefixMatches(bytes.data(), range.base.data(), range.prefix)) return range.name;
  return std::nullopt;
}

bool InNetwork(const boost::asio::ip::address& address, const IpNetwork& network) {
  if (address.is_v4() || address.to_v6().is_v4_mapped()) {
    if (network.v6) return false;
    const Bytes4 bytes = address.is_v4() ? address.to_v4().to_bytes()
                                         : boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped,
                                                                            address.to_v6())
                                               .to_bytes();
    return PrefixMatches(bytes.data(), network.bytes, network.prefix);
  }
  if (!network.v6) return false;
  const Bytes16 bytes = address.to_v6().to_bytes();
  return PrefixMatches(bytes.data(), network.bytes, network.prefix);
}

std::optional<std::string_view> RefusedRange(const boost::asio::ip::address& address,
                                             const std::vector<IpNetwork>& allow) {
  auto range = NonPublicRange(address);
  if (!range) return std::nullopt;
  for (const IpNetwork& network : allow)
    if (InNetwork(address, network)) return std::nullopt;
  return range;
}

}  // namespace newshound::net
