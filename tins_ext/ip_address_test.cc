// IpAddress::ToString formats IPv4 by hand: it must equal inet_ntop for every octet value
// in every position, and IPv6 stays inet_ntop's (RFC 5952) form.
#include "tins_ext/ip_address.h"

#include <arpa/inet.h>

#include <catch2/catch.hpp>

namespace tcpfollow {
namespace {

std::string Ntop(int family, const uint8_t* p) {
  char buf[INET6_ADDRSTRLEN];
  REQUIRE(inet_ntop(family, p, buf, sizeof(buf)) != nullptr);
  return buf;
}

TEST_CASE("IpAddress::ToString: IPv4 equals inet_ntop for every octet value", "[ip_address]") {
  for (int pos = 0; pos < 4; ++pos) {
    for (int v = 0; v < 256; ++v) {
      uint8_t b[4] = {198, 18, 0, 1};
      b[pos] = static_cast<uint8_t>(v);
      INFO("octet " << pos << " = " << v);
      CHECK(IpAddress::V4(b).ToString() == Ntop(AF_INET, b));
    }
  }
  const uint8_t zero[4] = {0, 0, 0, 0}, ones[4] = {255, 255, 255, 255};
  CHECK(IpAddress::V4(zero).ToString() == "0.0.0.0");
  CHECK(IpAddress::V4(ones).ToString() == "255.255.255.255");
  CHECK(Endpoint{IpAddress::V4(ones), 65535}.ToString() == "255.255.255.255:65535");
}

TEST_CASE("IpAddress::ToString: IPv6 in RFC 5952 form, unset is '-'", "[ip_address]") {
  CHECK(IpAddress::FromString("2001:db8:0:0:0:0:0:1").ToString() == "2001:db8::1");
  CHECK(IpAddress::FromString("::ffff:198.18.0.1").ToString() == "::ffff:198.18.0.1");
  CHECK(Endpoint{IpAddress::FromString("2001:db8::2"), 443}.ToString() == "[2001:db8::2]:443");
  CHECK(IpAddress().ToString() == "-");
}

}  // namespace
}  // namespace tcpfollow
