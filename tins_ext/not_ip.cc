#include "tins_ext/not_ip.h"

#include "absl/strings/str_format.h"
#include "tins_ext/decode.h"

namespace tcpfollow {
namespace {

inline uint16_t Be16(absl::string_view s, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(s[at]) << 8 | static_cast<uint8_t>(s[at + 1]));
}

// After an ethertype field: tags walked as DecodeFrame walks them; 802.3 lengths read as
// LLC. `rest` starts after the field.
uint32_t FromEthertype(uint16_t type, absl::string_view rest) {
  for (int tags = 0; tags <= DecodeLimits::kMaxVlanTags; ++tags) {
    size_t skip = 0;
    switch (type) {
      case 0x8100: case 0x88a8: case 0x9100: skip = 4; break;  // VLAN tags
      case 0x8926: skip = 6; break;                            // VN-Tag
      case 0x88e7: skip = 4 + 12 + 2; break;                   // 802.1ah PBB
      case 0x8903: skip = 2 + 12 + 2; break;                   // FabricPath
      default: break;
    }
    if (skip == 0 || rest.size() < skip) break;
    type = Be16(rest, skip - 2);
    rest.remove_prefix(skip);
  }
  if (type >= 0x0600) return type;
  // 802.3: a length, then LLC (DSAP, SSAP, control) and perhaps SNAP (OUI, protocol).
  if (rest.size() < 3) return kNotIpUnknown;
  const uint8_t dsap = static_cast<uint8_t>(rest[0]);
  if (dsap == 0xaa && static_cast<uint8_t>(rest[1]) == 0xaa && rest.size() >= 8) {
    return kNotIpSnap | Be16(rest, 6);
  }
  return kNotIpLlc | dsap;
}

}  // namespace

uint32_t NotIpKey(int link_type, absl::string_view frame) {
  switch (link_type) {
    case link_type::kEthernet:
      if (frame.size() < 14) return kNotIpUnknown;
      return FromEthertype(Be16(frame, 12), frame.substr(14));
    case link_type::kLinuxSll:
      if (frame.size() < 16) return kNotIpUnknown;
      // Protocol 0x0004: the payload is 802.2 LLC itself.
      if (Be16(frame, 14) == 0x0004 && frame.size() >= 17) {
        return kNotIpLlc | static_cast<uint8_t>(frame[16]);
      }
      return FromEthertype(Be16(frame, 14), frame.substr(16));
    case link_type::kLinuxSll2:
      if (frame.size() < 20) return kNotIpUnknown;
      return FromEthertype(Be16(frame, 0), frame.substr(20));
    case link_type::kNull:
    case link_type::kLoop: {
      if (frame.size() < 4) return kNotIpUnknown;
      uint32_t af = static_cast<uint32_t>(Be16(frame, 0)) << 16 | Be16(frame, 2);
      if (af > 0xffff) {  // the writer's byte order was little-endian
        af = (af >> 24) | ((af >> 8) & 0xff00);
      }
      return kNotIpLoopback | (af & 0xffff);
    }
    default:
      return kNotIpUnknown;
  }
}

std::string NotIpName(uint32_t key) {
  if (key == kNotIpOther) return "other";
  if (key == kNotIpUnknown) return "unknown";
  const uint32_t value = key & 0xffff;
  switch (key & ~0xffffu) {
    case kNotIpLlc:
      if (value == 0x42) return "stp";
      if (value == 0xe0) return "ipx";
      if (value == 0xfe) return "osi";  // IS-IS, ES-IS
      return absl::StrFormat("llc 0x%02x", value);
    case kNotIpSnap:
      switch (value) {
        case 0x2000: return "cdp";
        case 0x2003: return "vtp";
        case 0x2004: return "dtp";
        case 0x0104: return "pagp";
        case 0x010b: return "pvst";
        case 0x0806: return "arp";
        default: return absl::StrFormat("snap 0x%04x", value);
      }
    case kNotIpLoopback:
      return absl::StrFormat("loopback af %d", value);
    default:
      break;
  }
  switch (value) {
    case 0x0806: return "arp";
    case 0x8035: return "rarp";
    case 0x0842: return "wol";
    case 0x22f0: return "avtp";
    case 0x22f3: return "trill";
    case 0x6002: return "dec-mop";
    case 0x6003: return "decnet";
    case 0x8137: return "ipx";
    case 0x809b: return "appletalk";
    case 0x80f3: return "aarp";
    case 0x8808: return "pause";
    case 0x8809: return "lacp";
    case 0x8847: return "mpls";
    case 0x8848: return "mpls";
    case 0x8863: return "pppoe-discovery";
    case 0x8864: return "pppoe";
    case 0x886d: return "intel-ans";
    case 0x888e: return "eapol";
    case 0x8892: return "profinet";
    case 0x889a: return "hyperscsi";
    case 0x88a2: return "aoe";
    case 0x88a4: return "ethercat";
    case 0x88b8: return "goose";
    case 0x88ba: return "sv";
    case 0x88cc: return "lldp";
    case 0x88e1: return "homeplug";
    case 0x88e3: return "mrp";
    case 0x88e5: return "macsec";
    case 0x88f5: return "mvrp";
    case 0x88f6: return "mmrp";
    case 0x88f7: return "ptp";
    case 0x88fb: return "prp";
    case 0x8902: return "cfm";
    case 0x8906: return "fcoe";
    case 0x8914: return "fip";
    case 0x8915: return "roce";
    case 0x892f: return "hsr";
    case 0x893a: return "ieee1905";
    case 0x9000: return "loopback";
    case 0x8100: return "vlan";
    case 0x88a8: return "qinq";
    default: return absl::StrFormat("0x%04x", value);
  }
}

}  // namespace tcpfollow
