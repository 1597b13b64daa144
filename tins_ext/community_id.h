// Community ID v1 (https://github.com/corelight/community-id-spec), the flow hash Zeek,
// Suricata and others write so that their records of one connection can be joined:
// "1:" + base64(SHA-1(seed, lower endpoint's address, the other's, protocol, 0, lower
// endpoint's port, the other's)), the endpoints ordered by address then port, so both
// directions give the same value. Ports only: no ICMP type/code mapping (TCP and UDP
// are what tcpfollow sees).
#ifndef TCPFOLLOW_TINS_EXT_COMMUNITY_ID_H_
#define TCPFOLLOW_TINS_EXT_COMMUNITY_ID_H_

#include <cstdint>
#include <string>

#include "tins_ext/ip_address.h"

namespace tcpfollow {

constexpr uint8_t kIpProtoTcp = 6;
constexpr uint8_t kIpProtoUdp = 17;

// "" when the two addresses are of different families or none.
std::string CommunityIdV1(const Endpoint& a, const Endpoint& b, uint8_t proto = kIpProtoTcp,
                          uint16_t seed = 0);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_COMMUNITY_ID_H_
