// The SSRF guard's verdicts (framework/src/net/address_guard.h) and the
// network.allow entries it is opened with.
#include "net/address_guard.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "newshound/config.h"

namespace newshound::net {
namespace {

std::optional<std::string_view> Range(const char* text) {
  return NonPublicRange(boost::asio::ip::make_address(text));
}

IpNetwork Network(const char* text) {
  std::string error;
  auto network = ParseIpNetwork(text, error);
  EXPECT_TRUE(network) << text << ": " << error;
  return network.value_or(IpNetwork{});
}

std::string ParseError(const char* text) {
  std::string error;
  EXPECT_FALSE(ParseIpNetwork(text, error)) << text;
  return error;
}

TEST(AddressGuard, EveryNonPublicIpv4RangeIsNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"0.0.0.0", "unspecified"},          {"0.1.2.3", "unspecified"},
      {"10.0.0.1", "private"},             {"10.255.255.255", "private"},
      {"100.64.0.1", "shared address space"}, {"100.127.255.254", "shared address space"},
      {"127.0.0.1", "loopback"},           {"127.255.0.9", "loopback"},
      {"169.254.169.254", "link-local"},   {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},       {"192.0.0.8", "reserved"},
      {"192.0.2.1", "documentation"},      {"192.168.1.1", "private"},
      {"198.18.0.1", "benchmarking"},      {"198.19.255.255", "benchmarking"},
      {"198.51.100.7", "documentation"},   {"203.0.113.9", "documentation"},
      {"224.0.0.1", "multicast"},          {"239.255.255.250", "multicast"},
      {"240.0.0.1", "reserved"},           {"255.255.255.255", "broadcast"},
  };
  for (const auto& [address, range] : cases) EXPECT_EQ(Range(address), std::string_view(range)) << address;
}

TEST(AddressGuard, PublicAddressesNextToTheRangesAreAllowed) {
  for (const char* address : {"1.1.1.1", "9.255.255.255", "11.0.0.0", "100.63.255.255", "100.128.0.0", "126.255.255.255",
                              "128.0.0.0", "169.253.255.255", "169.255.0.0", "172.15.255.255", "172.32.0.0",
                              "192.0.1.0", "192.88.99.1", "192.167.255.255", "192.169.0.0", "198.17.255.255",
                              "198.20.0.0", "223.255.255.255", "93.184.216.34"})
    EXPECT_EQ(Range(address), std::nullopt) << address;
}

TEST(AddressGuard, Ipv6RangesAndIpv4CarriedInIpv6) {
  const std::pair<const char*, const char*> cases[] = {
      {"::", "unspecified"},
      {"::1", "loopback"},
      {"::ffff:127.0.0.1", "loopback"},      // IPv4-mapped
      {"::ffff:10.1.2.3", "private"},
      {"64:ff9b::a9fe:a9fe", "link-local"},  // NAT64 of 169.254.169.254
      {"64:ff9b:1::1", "private"},           // local-use NAT64
      {"2002:7f00:1::", "loopback"},         // 6to4 of 127.0.0.1
      {"2002:c0a8:101::1", "private"},       // 6to4 of 192.168.1.1
      {"100::1", "reserved"},                // discard-only
      {"2001:db8::1", "documentation"},
      {"fc00::1", "private"},
      {"fd12:3456::1", "private"},
      {"fe80::1", "link-local"},
      {"febf::1", "link-local"},
      {"fec0::1", "private"},
      {"ff02::1", "multicast"},
      {"::7f00:1", "reserved"},  // IPv4-compatible, deprecated
  };
  for (const auto& [address, range] : cases) EXPECT_EQ(Range(address), std::string_view(range)) << address;
  for (const char* address : {"2606:4700:4700::1111", "2001:4860:4860::8888", "2002:5db8:d822::1", "::ffff:8.8.8.8",
                              "64:ff9b::808:808", "fbff::1"})
    EXPECT_EQ(Range(address), std::nullopt) << address;
}

TEST(AddressGuard, AllowOpensExactlyTheNetworksListed) {
  const std::vector<IpNetwork> allow = {Network("127.0.0.1/32"), Network("10.20.0.0/16"), Network("fd00::/8")};
  auto refused = [&](const char* text) { return RefusedRange(boost::asio::ip::make_address(text), allow); };
  EXPECT_EQ(refused("127.0.0.1"), std::nullopt);
  EXPECT_EQ(refused("::ffff:127.0.0.1"), std::nullopt);  // the mapped form of an allowed address
  EXPECT_EQ(refused("127.0.0.2"), std::string_view("loopback"));
  EXPECT_EQ(refused("::1"), std::string_view("loopback"));  // IPv6 loopback is not 127.0.0.1/32
  EXPECT_EQ(refused("10.20.255.1"), std::nullopt);
  EXPECT_EQ(refused("10.21.0.1"), std::string_view("private"));
  EXPECT_EQ(refused("fd99::5"), std::nullopt);
  EXPECT_EQ(refused("fc00::5"), std::string_view("private"));
  EXPECT_EQ(refused("169.254.169.254"), std::string_view("link-local"));
  EXPECT_EQ(refused("8.8.8.8"), std::nullopt);  // public: never refused
  EXPECT_EQ(RefusedRange(boost::asio::ip::make_address("127.0.0.1"), {}), std::string_view("loopback"));
}

TEST(AddressGuard, ZeroPrefixOpensAWholeFamily) {
  const std::vector<IpNetwork> allow = {Network("0.0.0.0/0")};
  EXPECT_EQ(RefusedRange(boost::asio::ip::make_address("192.168.0.1"), allow), std::nullopt);
  EXPECT_EQ(RefusedRange(boost::asio::ip::make_address("fe80::1"), allow), std::string_view("link-local"));
}

TEST(IpNetworkParse, AcceptsCidrAndBareAddresses) {
  IpNetwork host = Network("192.168.1.5");
  EXPECT_FALSE(host.v6);
  EXPECT_EQ(host.prefix, 32);
  IpNetwork v6 = Network("fd00::/8");
  EXPECT_TRUE(v6.v6);
  EXPECT_EQ(v6.prefix, 8);
  EXPECT_EQ(v6.bytes[0], 0xfd);
  EXPECT_EQ(Network("::1").prefix, 128);
  EXPECT_EQ(Network("10.0.0.0/8").text, "10.0.0.0/8");
}

TEST(IpNetworkParse, MalformedEntriesSayWhatIsWrong) {
  EXPECT_EQ(ParseError("localhost"), "not an IP address or network (CIDR, e.g. 127.0.0.1/32 or fd00::/8)");
  EXPECT_EQ(ParseError("127.0.0.1/33"), "prefix length must be a number from 0 to 32");
  EXPECT_EQ(ParseError("::1/129"), "prefix length must be a number from 0 to 128");
  EXPECT_EQ(ParseError("10.0.0.0/"), "prefix length must be a number from 0 to 32");
  EXPECT_EQ(ParseError("10.0.0.0/8x"), "prefix length must be a number from 0 to 32");
  EXPECT_EQ(ParseError("10.0.0.0/-1"), "prefix length must be a number from 0 to 32");
  EXPECT_EQ(ParseError("10.1.2.3/8"), "address has bits set past the /8 prefix (did you mean a /32?)");
  EXPECT_EQ(ParseError("127.1/32"), "not an IP address or network (CIDR, e.g. 127.0.0.1/32 or fd00::/8)");
}

}  // namespace
}  // namespace newshound::net
