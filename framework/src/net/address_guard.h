// The SSRF guard: which addresses the crawl may connect to. A crawler
// follows links and redirects that anyone on the web can write, so by
// default it refuses every address that is not public (loopback, private,
// link-local, multicast, unspecified, reserved): a page cannot send it to
// 127.0.0.1:6379 or to a cloud metadata service at 169.254.169.254.
// network.allow opens chosen networks. The fetcher checks the address it is
// about to connect to, after DNS resolution (so a name that resolves to a
// private address is caught, and DNS rebinding has nothing to race) and on
// every redirect hop, since every hop is a new request.
//
// Thread safety: pure functions.
#ifndef NEWSHOUND_NET_ADDRESS_GUARD_H_
#define NEWSHOUND_NET_ADDRESS_GUARD_H_

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "newshound/config.h"

namespace newshound::net {

// The special-purpose range `address` is in ("loopback", "private",
// "link-local", "multicast", "unspecified", "shared address space",
// "documentation", "benchmarking", "reserved", "broadcast", ...), or nullopt
// for a public unicast address. IPv4 inside IPv6 (mapped ::ffff:a.b.c.d,
// NAT64 64:ff9b::/96, 6to4 2002::/16) is judged by the IPv4 address it
// carries.
std::optional<std::string_view> NonPublicRange(const boost::asio::ip::address& address);

// Whether `address` is inside `network` (an IPv4 network also covers the
// IPv4-mapped form of its addresses).
bool InNetwork(const boost::asio::ip::address& address, const IpNetwork& network);

// Why the crawl must not connect to `address`: its range, when it is not
// public and no network of `allow` covers it; nullopt when it may.
std::optional<std::string_view> RefusedRange(const boost::asio::ip::address& address,
                                             const std::vector<IpNetwork>& allow);

}  // namespace newshound::net

#endif  // NEWSHOUND_NET_ADDRESS_GUARD_H_
