// IpAddress::ToString formats IPv4 by hand: it must equal inet_ntop for every octet value
// in every position, and IPv6 stays inet_ntop's (RFC 5952) form.
#include "tins_ext/ip_address.h"

#include <arpa/inet.h>

#include <random>

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

TEST_CASE("IpAddress::ToString: IPv6 equals inet_ntop (zero runs, mapped, compatible)", "[ip_address]") {
  // Groups drawn mostly from 0 so that runs of every length and position occur, plus
  // 0xffff (mapped addresses), small values and random ones.
  std::mt19937 rng(5952);
  for (int n = 0; n < 200000; ++n) {
    uint8_t b[16];
    for (int i = 0; i < 8; ++i) {
      uint16_t g = 0;
      switch (rng() % 6) {
        case 0: case 1: case 2: g = 0; break;
        case 3: g = 0xffff; break;
        case 4: g = static_cast<uint16_t>(rng() % 16); break;
        default: g = static_cast<uint16_t>(rng()); break;
      }
      b[2 * i] = static_cast<uint8_t>(g >> 8);
      b[2 * i + 1] = static_cast<uint8_t>(g);
    }
    const std::string ours = IpAddress::V6(b).ToString();
    const std::string theirs = Ntop(AF_INET6, b);
    if (ours != theirs) {
      INFO("address " << n);
      CHECK(ours == theirs);
    }
  }
}

TEST_CASE("IpAddress::ToString: IPv6 in RFC 5952 form, unset is '-'", "[ip_address]") {
  CHECK(IpAddress::FromString("2001:db8:0:0:0:0:0:1").ToString() == "2001:db8::1");
  CHECK(IpAddress::FromString("::ffff:198.18.0.1").ToString() == "::ffff:198.18.0.1");
  CHECK(Endpoint{IpAddress::FromString("2001:db8::2"), 443}.ToString() == "[2001:db8::2]:443");
  CHECK(IpAddress().ToString() == "-");
}

}  // namespace
}  // namespace tcpfollow
