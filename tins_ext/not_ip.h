// What a frame that is not IP carries (ARP, LLDP, STP, ...), so that the summary and
// stats.json can say "not IP: arp 12, lldp 3, 0x88b5 2" instead of one count. Called only
// for frames DecodeFrame refused with kNotIp: it re-reads the link header (Ethernet with
// its VLAN-style tags, Linux SLL/SLL2, BSD loopback) and costs the hot path nothing.
// Names the ethertype after the tags; 802.3 frames (a length instead of an ethertype) by
// their LLC: STP (DSAP 0x42), SNAP's protocol (CDP, VTP, DTP, ...), or the DSAP. Does not
// validate what it names.
#ifndef TCPFOLLOW_TINS_EXT_NOT_IP_H_
#define TCPFOLLOW_TINS_EXT_NOT_IP_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace tcpfollow {

// A key for what the frame carries: an ethertype (0x0600-0xffff), or one of the
// kNotIp* ranges below with the value in the low 16 bits.
constexpr uint32_t kNotIpLlc = 0x10000;       // | DSAP
constexpr uint32_t kNotIpSnap = 0x20000;      // | SNAP protocol id
constexpr uint32_t kNotIpLoopback = 0x30000;  // | address family
constexpr uint32_t kNotIpUnknown = 0x40000;   // too short, NFLOG without payload, ...
constexpr uint32_t kNotIpOther = 0xffffffff;  // past the number of kinds a count names

uint32_t NotIpKey(int link_type, absl::string_view frame);
// "arp", "lldp", "stp", "cdp", "llc 0xf0", "0x88b5", "loopback af 7", "other".
std::string NotIpName(uint32_t key);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_NOT_IP_H_
