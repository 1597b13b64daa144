// Fuzzes tins_ext/decode.h and tins_ext/tunnel.h: the first byte picks a link type from
// kLinkTypes, the rest is the frame. Checks that every view the decoder hands out lies
// inside the input, that a decoded datagram decodes the same way again through DecodeIp
// (as a reassembled one would), and that TCP is never decoded from a fragment; then
// decapsulates tunnels layer by layer (IP-in-IP, GRE/ERSPAN, VXLAN, Geneve, GTP-U, Teredo,
// AYIYA) up to the nesting cap, each inner packet checked the same way and lying inside
// its outer packet's payload.
#include <cstdint>
#include <cstdlib>
#include <utility>

#include "absl/strings/string_view.h"
#include "tins_ext/decode.h"
#include "tins_ext/tunnel.h"

namespace {

constexpr int kLinkTypes[] = {
    tcpfollow::link_type::kEthernet,   tcpfollow::link_type::kLinuxSll,
    tcpfollow::link_type::kLinuxSll2,  tcpfollow::link_type::kRaw,
    tcpfollow::link_type::kRawOpenBsd, tcpfollow::link_type::kLinkTypeRaw,
    tcpfollow::link_type::kIpv4,       tcpfollow::link_type::kIpv6,
    tcpfollow::link_type::kNull,       tcpfollow::link_type::kLoop,
    147,  // unsupported
    tcpfollow::link_type::kNflog,
};

void Require(bool ok) {
  if (!ok) std::abort();
}

bool Within(absl::string_view inner, absl::string_view outer) {
  return inner.data() >= outer.data() && inner.size() <= outer.size() &&
         inner.data() - outer.data() <= static_cast<std::ptrdiff_t>(outer.size() - inner.size());
}

// A decoded datagram (from the frame or from inside a tunnel): it decodes the same way
// again, TCP only from non-fragments, every view inside `frame`.
void CheckDatagram(const tcpfollow::IpPacket& ip, absl::string_view frame) {
  Require(Within(ip.ip, frame));
  Require(Within(ip.payload, ip.ip));
  Require(ip.version == 4 || ip.version == 6);
  Require(ip.unfragmentable_len <= ip.ip.size());
  if (ip.is_fragment && ip.version == 6) {
    Require(ip.frag_next_header_offset < ip.unfragmentable_len);
    Require(ip.payload.data() == ip.ip.data() + ip.unfragmentable_len + 8);
  }
  tcpfollow::IpPacket again;
  Require(tcpfollow::DecodeIp(ip.ip, ip.vlan, &again) == tcpfollow::DecodeError::kOk);
  Require(again.ip == ip.ip && again.payload.data() == ip.payload.data() &&
          again.payload.size() == ip.payload.size() && again.protocol == ip.protocol &&
          again.is_fragment == ip.is_fragment && again.src == ip.src && again.dst == ip.dst);
  tcpfollow::TcpSegment seg;
  const tcpfollow::DecodeError t = tcpfollow::DecodeTcp(ip, absl::UnixEpoch(), &seg);
  if (ip.is_fragment) Require(t != tcpfollow::DecodeError::kOk);
  if (t == tcpfollow::DecodeError::kOk) {
    Require(ip.protocol == 6);
    Require(Within(seg.payload, ip.payload));
    Require(seg.payload.size() + 20 <= ip.payload.size());
    Require(seg.src.addr == ip.src && seg.dst.addr == ip.dst && seg.vlan == ip.vlan);
  }
}

}  // namespace


extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int link = kLinkTypes[data[0] % (sizeof(kLinkTypes) / sizeof(kLinkTypes[0]))];
  const absl::string_view frame(reinterpret_cast<const char*>(data + 1), size - 1);
  tcpfollow::IpPacket ip;
  const tcpfollow::DecodeError e = tcpfollow::DecodeFrame(link, frame, &ip);
  Require(tcpfollow::DecodeErrorName(e) != nullptr);
  if (e != tcpfollow::DecodeError::kOk) return 0;
  CheckDatagram(ip, frame);
  // Tunnels, layer by layer, as the pipeline decapsulates them.
  tcpfollow::IpPacket outer = ip;
  uint64_t id = 0;
  for (int depth = 0; depth < tcpfollow::TunnelLimits().max_depth; ++depth) {
    tcpfollow::IpPacket inner;
    tcpfollow::TunnelLayer layer;
    const tcpfollow::TunnelResult r = tcpfollow::Decapsulate(outer, &inner, &layer);
    if (r != tcpfollow::TunnelResult::kOk) break;
    Require(!outer.is_fragment);
    Require(Within(inner.ip, outer.payload));
    Require(tcpfollow::TunnelTypeName(layer.type) != nullptr);
    Require(layer.outer_src.addr == outer.src && layer.outer_dst.addr == outer.dst);
    const uint64_t next = tcpfollow::ChainTunnelId(id, layer);
    Require(next != 0);
    // The same for the other direction (outer endpoints swapped).
    tcpfollow::TunnelLayer back = layer;
    std::swap(back.outer_src, back.outer_dst);
    Require(tcpfollow::ChainTunnelId(id, back) == next);
    id = next;
    CheckDatagram(inner, frame);
    outer = inner;
  }
  return 0;
}