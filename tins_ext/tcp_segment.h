// One decoded TCP segment, as the reassembler consumes it. Produced by tins_ext/decode.h
// from a packet (or a defragmented datagram); views point into the packet buffer and are
// valid only for the duration of the call that hands the segment over.
#ifndef TCPFOLLOW_TINS_EXT_TCP_SEGMENT_H_
#define TCPFOLLOW_TINS_EXT_TCP_SEGMENT_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tins_ext/ip_address.h"

namespace tcpfollow {

namespace tcp_flags {
constexpr uint8_t kFin = 0x01;
constexpr uint8_t kSyn = 0x02;
constexpr uint8_t kRst = 0x04;
constexpr uint8_t kPsh = 0x08;
constexpr uint8_t kAck = 0x10;
constexpr uint8_t kUrg = 0x20;
}  // namespace tcp_flags

// A tunnel a packet was carried in (tins_ext/tunnel.h decapsulates them).
enum class TunnelType : uint8_t {
  kIpInIp, kGre, kErspan, kVxlan, kGeneve, kGtpU, kTeredo, kAyiya, kCount
};

// One layer of tunnel: the outer packet's endpoints (ports 0 for IP-in-IP and GRE) as the
// first packet seen had them, and the VNI / GRE key / GTP TEID when the header has one.
struct TunnelLayer {
  TunnelType type = TunnelType::kIpInIp;
  Endpoint outer_src, outer_dst;
  uint32_t id = 0;
  bool has_id = false;
};

// The tunnels around a connection, outermost first; `id` identifies the path (see
// ChainTunnelId). Interned by TunnelTable: valid for the whole run.
struct TunnelPath {
  static constexpr int kMaxLayers = 8;
  uint64_t id = 0;
  int depth = 0;
  TunnelLayer layers[kMaxLayers];
};

struct TcpSegment {
  absl::Time ts;  // packet time, never the wall clock when reading a file
  Endpoint src, dst;
  uint32_t vlan = 0;
  // Tunnels: 0 and null outside any. The id is part of the connection's key; the path
  // (null when not described: TunnelLimits::max_tunnels) is for its record.
  uint64_t tunnel_id = 0;
  const TunnelPath* tunnel = nullptr;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  absl::string_view payload;
  // The TCP checksum did not verify (whole segment captured). Offloading makes this common
  // in captures taken on the sending host: counted, and dropped only if asked.
  bool bad_checksum = false;

  bool has(uint8_t flag) const { return (flags & flag) != 0; }
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_TCP_SEGMENT_H_
