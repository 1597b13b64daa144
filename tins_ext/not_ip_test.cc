#include "tins_ext/not_ip.h"

#include <string>

#include <catch2/catch.hpp>

#include "tins_ext/decode.h"

namespace tcpfollow {
namespace {

std::string Eth(const std::string& after_macs) { return std::string(12, '\x02') + after_macs; }

TEST_CASE("NotIp: ethertypes, tags and 802.3 LLC frames are named", "[not_ip]") {
  CHECK(NotIpName(NotIpKey(link_type::kEthernet, Eth(std::string("\x08\x06", 2) + "arp"))) == "arp");
  CHECK(NotIpName(NotIpKey(link_type::kEthernet, Eth("\x88\xcc" + std::string(10, 0)))) == "lldp");
  CHECK(NotIpName(NotIpKey(link_type::kEthernet, Eth("\x88\xb5" + std::string(10, 0)))) == "0x88b5");
  // Behind a VLAN tag and a QinQ tag.
  std::string tagged = std::string("\x88\xa8\x00\x05\x81\x00\x00\x07\x08\x06", 10) + "arp!";
  CHECK(NotIpName(NotIpKey(link_type::kEthernet, Eth(tagged))) == "arp");
  // 802.3 length + LLC: STP; SNAP with Cisco's CDP; another DSAP.
  CHECK(NotIpName(NotIpKey(link_type::kEthernet, Eth(std::string("\x00\x26\x42\x42\x03", 5)))) == "stp");
  CHECK(NotIpName(NotIpKey(link_type::kEthernet,
                           Eth(std::string("\x00\x30\xaa\xaa\x03\x00\x00\x0c\x20\x00", 10)))) == "cdp");
  CHECK(NotIpName(NotIpKey(link_type::kEthernet, Eth(std::string("\x00\x30\xf0\xf0\x03", 5)))) ==
        "llc 0xf0");
  // Too short to say.
  CHECK(NotIpName(NotIpKey(link_type::kEthernet, "short")) == "unknown");
}

TEST_CASE("NotIp: Linux cooked captures and BSD loopback", "[not_ip]") {
  std::string sll(14, '\0');
  CHECK(NotIpName(NotIpKey(link_type::kLinuxSll, sll + std::string("\x08\x06", 2) + "arp")) == "arp");
  CHECK(NotIpName(NotIpKey(link_type::kLinuxSll, sll + std::string("\x00\x04\x42\x42\x03", 5))) ==
        "stp");
  std::string sll2 = std::string("\x88\xcc", 2) + std::string(18, '\0');
  CHECK(NotIpName(NotIpKey(link_type::kLinuxSll2, sll2)) == "lldp");
  // Address family 7 written in either byte order.
  CHECK(NotIpName(NotIpKey(link_type::kNull, std::string("\x07\x00\x00\x00xx", 6))) ==
        "loopback af 7");
  CHECK(NotIpName(NotIpKey(link_type::kLoop, std::string("\x00\x00\x00\x07xx", 6))) ==
        "loopback af 7");
  CHECK(NotIpName(kNotIpOther) == "other");
}

}  // namespace
}  // namespace tcpfollow
