// Tunnel decapsulation, one layer at a time, zero-copy (the inner packet's views point into
// the outer packet's buffer): IP-in-IP (4in4, 6in4, 4in6, 6in6), GRE version 0 (checksum,
// key and sequence number fields; IPv4, IPv6, MPLS, VLAN and transparent Ethernet bridging
// payloads; ERSPAN types I, II and III), VXLAN (UDP 4789), Geneve (UDP 6081, options
// skipped), GTP-U (UDP 2152, G-PDUs with their extension headers), Teredo (UDP 3544, with
// authentication and origin indication headers) and AYIYA (UDP 5072, forward opcode).
// Validates each header's length fields and that an inner IP packet decodes; does not
// verify checksums or AYIYA signatures, does not decapsulate GRE version 1 (PPTP) or GTP
// messages other than G-PDU, and leaves nesting to the caller (TunnelLimits::max_depth).
// The tunnel a packet came through becomes part of its connection's identity
// (TcpSegment::tunnel_id); TunnelTable keeps one TunnelPath per distinct tunnel for
// flows.jsonl's tunnel_parents.
#ifndef TCPFOLLOW_TINS_EXT_TUNNEL_H_
#define TCPFOLLOW_TINS_EXT_TUNNEL_H_

#include <array>
#include <cstdint>
#include <deque>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "tins_ext/decode.h"
#include "tins_ext/tcp_segment.h"

namespace tcpfollow {

// "ip", "gre", "erspan", "vxlan", "geneve", "gtpu", "teredo", "ayiya".
const char* TunnelTypeName(TunnelType t);

enum class TunnelResult : uint8_t {
  kNotTunnel,  // not a tunnel this decoder knows: the packet is what it is
  kOk,         // *inner and *layer are set
  kMalformed,  // a tunnel header (by protocol or port) whose lengths or inner packet are bad
};

// Decapsulates one layer of `outer`, a whole datagram (not a fragment).
TunnelResult Decapsulate(const IpPacket& outer, IpPacket* inner, TunnelLayer* layer);

// A connection's identity within its tunnel path: the same for both directions of the
// connection (the outer addresses sorted; the VXLAN/Geneve VNI and the GRE key included;
// GTP TEIDs and UDP ports not, since they differ per direction), and chained with the
// path outside it. A path is described (TunnelTable) as its first packet showed it.
uint64_t ChainTunnelId(uint64_t outer_id, const TunnelLayer& layer);

struct TunnelLimits {
  int max_depth = 4;            // tunnels inside tunnels; a deeper packet is dropped (counted)
  size_t max_tunnels = 65536;   // distinct tunnel paths described for tunnel_parents
};

struct TunnelStats {
  std::array<uint64_t, static_cast<size_t>(TunnelType::kCount)> packets{};  // decapsulated
  std::array<uint64_t, static_cast<size_t>(TunnelType::kCount)> tunnels{};  // distinct paths
  uint64_t malformed = 0;   // tunnel headers that did not hold a valid inner packet
  uint64_t too_deep = 0;    // packets dropped at max_depth
  uint64_t not_described = 0;  // packets of paths beyond max_tunnels (keyed, not described)
  uint64_t total_packets() const;
};

// Interns tunnel paths: TunnelPath pointers stay valid (and unchanged) for the table's
// lifetime, so connections can point at theirs from any thread once published.
class TunnelTable {
 public:
  explicit TunnelTable(const TunnelLimits& limits) : limits_(limits) {}
  // The path `outer` extended by `layer` (outer may be null: the first layer). Null when
  // the table is full (the id still separates connections).
  const TunnelPath* Extend(const TunnelPath* outer, const TunnelLayer& layer, TunnelStats* stats);

 private:
  TunnelLimits limits_;
  std::deque<TunnelPath> paths_;
  absl::flat_hash_map<uint64_t, const TunnelPath*> by_id_;
};

// "vxlan 198.18.0.1:40000 > 198.18.0.2:4789 vni 42", as flows.jsonl's tunnel_parents.
std::string DescribeTunnelLayer(const TunnelLayer& layer);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_TUNNEL_H_
