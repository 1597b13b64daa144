// Tunnel decapsulation; see tunnel.h. All reads are bounds-checked byte loads.
#include "tins_ext/tunnel.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "tins_ext/flow_hash.h"

namespace tcpfollow {
namespace {

constexpr uint8_t kProtoIpv4 = 4;
constexpr uint8_t kProtoIpv6 = 41;
constexpr uint8_t kProtoGre = 47;
constexpr uint8_t kProtoUdp = 17;

constexpr uint16_t kPortVxlan = 4789;
constexpr uint16_t kPortGeneve = 6081;
constexpr uint16_t kPortGtpU = 2152;
constexpr uint16_t kPortTeredo = 3544;
constexpr uint16_t kPortAyiya = 5072;

constexpr uint16_t kGreTeb = 0x6558;        // transparent Ethernet bridging
constexpr uint16_t kGreErspan2 = 0x88be;    // ERSPAN type I (no sequence) and II
constexpr uint16_t kGreErspan3 = 0x22eb;

inline const uint8_t* U8(absl::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }
inline uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

// An inner Ethernet frame.
TunnelResult InnerEthernet(absl::string_view frame, IpPacket* inner) {
  return DecodeFrame(link_type::kEthernet, frame, inner) == DecodeError::kOk
             ? TunnelResult::kOk
             : TunnelResult::kMalformed;
}
TunnelResult InnerIp(absl::string_view packet, IpPacket* inner, int want_version = 0) {
  if (packet.empty()) return TunnelResult::kMalformed;
  const int version = U8(packet)[0] >> 4;
  if (want_version != 0 && version != want_version) return TunnelResult::kMalformed;
  return DecodeIp(packet, 0, inner) == DecodeError::kOk ? TunnelResult::kOk
                                                        : TunnelResult::kMalformed;
}
// What an ethertype names (IPv4, IPv6, VLAN tags, MPLS, ...), as after an Ethernet header.
TunnelResult InnerEthertype(uint16_t type, absl::string_view rest, IpPacket* inner) {
  return DecodeEthertypePayload(type, rest, 0, inner) == DecodeError::kOk
             ? TunnelResult::kOk
             : TunnelResult::kMalformed;
}

TunnelResult Gre(absl::string_view gre, IpPacket* inner, TunnelLayer* layer) {
  if (gre.size() < 4) return TunnelResult::kMalformed;
  const uint8_t* p = U8(gre);
  const uint16_t flags = Be16(p);
  if ((flags & 0x0007) != 0) return TunnelResult::kNotTunnel;  // version 1 (PPTP) and up
  if ((flags & 0x4000) != 0) return TunnelResult::kNotTunnel;  // source routing (RFC 1701)
  const uint16_t proto = Be16(p + 2);
  size_t pos = 4;
  if (flags & 0x8000) pos += 4;  // checksum + reserved
  if (flags & 0x2000) {          // key
    if (gre.size() < pos + 4) return TunnelResult::kMalformed;
    layer->id = Be32(p + pos);
    layer->has_id = true;
    pos += 4;
  }
  const bool has_seq = (flags & 0x1000) != 0;
  if (has_seq) pos += 4;
  if (gre.size() < pos) return TunnelResult::kMalformed;
  absl::string_view rest = gre.substr(pos);
  switch (proto) {
    case kGreTeb:
      return InnerEthernet(rest, inner);
    case kGreErspan2:
      layer->type = TunnelType::kErspan;
      if (!has_seq) return InnerEthernet(rest, inner);  // type I: no ERSPAN header
      if (rest.size() < 8 || (U8(rest)[0] >> 4) != 1) return TunnelResult::kMalformed;
      return InnerEthernet(rest.substr(8), inner);
    case kGreErspan3: {
      layer->type = TunnelType::kErspan;
      if (rest.size() < 12 || (U8(rest)[0] >> 4) != 2) return TunnelResult::kMalformed;
      const bool platform = (U8(rest)[11] & 0x01) != 0;  // O flag: 8-byte sub-header
      const size_t header = platform ? 20 : 12;
      if (rest.size() < header) return TunnelResult::kMalformed;
      return InnerEthernet(rest.substr(header), inner);
    }
    default:
      return InnerEthertype(proto, rest, inner);
  }
}

TunnelResult Vxlan(absl::string_view udp, IpPacket* inner, TunnelLayer* layer) {
  if (udp.size() < 8 || (U8(udp)[0] & 0x08) == 0) return TunnelResult::kMalformed;  // I flag
  layer->type = TunnelType::kVxlan;
  layer->id = Be32(U8(udp) + 4) >> 8;
  layer->has_id = true;
  return InnerEthernet(udp.substr(8), inner);
}

TunnelResult Geneve(absl::string_view udp, IpPacket* inner, TunnelLayer* layer) {
  if (udp.size() < 8) return TunnelResult::kMalformed;
  const uint8_t* p = U8(udp);
  if ((p[0] >> 6) != 0) return TunnelResult::kMalformed;  // version 0
  const size_t header = 8 + size_t{p[0] & 0x3fu} * 4;
  if (udp.size() < header) return TunnelResult::kMalformed;
  layer->type = TunnelType::kGeneve;
  layer->id = Be32(p + 4) >> 8;
  layer->has_id = true;
  const uint16_t proto = Be16(p + 2);
  if (proto == kGreTeb) return InnerEthernet(udp.substr(header), inner);
  return InnerEthertype(proto, udp.substr(header), inner);
}

TunnelResult GtpU(absl::string_view udp, IpPacket* inner, TunnelLayer* layer) {
  if (udp.size() < 8) return TunnelResult::kMalformed;
  const uint8_t* p = U8(udp);
  if ((p[0] >> 5) != 1 || (p[0] & 0x10) == 0) return TunnelResult::kMalformed;  // v1, GTP
  if (p[1] != 0xff) return TunnelResult::kNotTunnel;  // signalling (echo, error, ...)
  const size_t length = Be16(p + 2);                  // after the 8 mandatory bytes
  if (udp.size() < 8 + length) return TunnelResult::kMalformed;
  udp = udp.substr(0, 8 + length);
  layer->type = TunnelType::kGtpU;
  layer->id = Be32(p + 4);  // TEID
  layer->has_id = true;
  size_t pos = 8;
  if (p[0] & 0x07) {  // E, S or PN: sequence number, N-PDU number, next extension type
    if (udp.size() < 12) return TunnelResult::kMalformed;
    uint8_t next = p[11];
    pos = 12;
    for (int i = 0; next != 0; ++i) {
      if (i >= 8 || udp.size() < pos + 1) return TunnelResult::kMalformed;
      const size_t ext = size_t{p[pos]} * 4;  // includes the length and next-type bytes
      if (ext == 0 || udp.size() < pos + ext) return TunnelResult::kMalformed;
      next = p[pos + ext - 1];
      pos += ext;
    }
  }
  return InnerIp(udp.substr(pos), inner);
}

// Teredo (RFC 4380): IPv6 in UDP, after an optional authentication header (0x0001) and
// an optional origin indication (0x0000), in that order.
TunnelResult Teredo(absl::string_view udp, IpPacket* inner, TunnelLayer* layer) {
  size_t pos = 0;
  const uint8_t* p = U8(udp);
  if (udp.size() >= 2 && Be16(p) == 0x0001) {
    if (udp.size() < 4) return TunnelResult::kMalformed;
    pos = 4 + size_t{p[2]} + p[3] + 8 + 1;
  }
  if (udp.size() >= pos + 2 && Be16(p + pos) == 0x0000) pos += 8;
  if (udp.size() < pos + 40) return TunnelResult::kNotTunnel;
  const absl::string_view v6 = udp.substr(pos);
  // Not every datagram on the port is Teredo: the inner packet must be IPv6 whose length
  // matches the datagram exactly.
  if ((U8(v6)[0] >> 4) != 6 || size_t{Be16(U8(v6) + 4)} + 40 != v6.size()) {
    return TunnelResult::kNotTunnel;
  }
  layer->type = TunnelType::kTeredo;
  return InnerIp(v6, inner, 6);
}

// AYIYA (draft-massar-v6ops-ayiya): identity (2^n bytes), signature (n * 4 bytes), then the
// packet named by the next-header field, for the forward opcode.
TunnelResult Ayiya(absl::string_view udp, IpPacket* inner, TunnelLayer* layer) {
  if (udp.size() < 8) return TunnelResult::kNotTunnel;
  const uint8_t* p = U8(udp);
  const size_t id_len = size_t{1} << (p[0] >> 4);
  const size_t sig_len = static_cast<size_t>(p[1] >> 4) * 4;
  const size_t header = 8 + id_len + sig_len;
  if ((p[2] & 0x0f) != 1) return TunnelResult::kNotTunnel;  // not "forward"
  const uint8_t next = p[3];
  if (next != kProtoIpv4 && next != kProtoIpv6) return TunnelResult::kNotTunnel;
  if (udp.size() < header) return TunnelResult::kMalformed;
  layer->type = TunnelType::kAyiya;
  return InnerIp(udp.substr(header), inner, next == kProtoIpv4 ? 4 : 6);
}

}  // namespace

const char* TunnelTypeName(TunnelType t) {
  switch (t) {
    case TunnelType::kIpInIp: return "ip";
    case TunnelType::kGre: return "gre";
    case TunnelType::kErspan: return "erspan";
    case TunnelType::kVxlan: return "vxlan";
    case TunnelType::kGeneve: return "geneve";
    case TunnelType::kGtpU: return "gtpu";
    case TunnelType::kTeredo: return "teredo";
    case TunnelType::kAyiya: return "ayiya";
    case TunnelType::kCount: break;
  }
  return "unknown";
}

TunnelResult Decapsulate(const IpPacket& outer, IpPacket* inner, TunnelLayer* layer) {
  if (outer.is_fragment) return TunnelResult::kNotTunnel;
  *layer = TunnelLayer();
  layer->outer_src.addr = outer.src;
  layer->outer_dst.addr = outer.dst;
  switch (outer.protocol) {
    case kProtoIpv4:
    case kProtoIpv6:
      layer->type = TunnelType::kIpInIp;
      return InnerIp(outer.payload, inner, outer.protocol == kProtoIpv4 ? 4 : 6);
    case kProtoGre:
      layer->type = TunnelType::kGre;
      return Gre(outer.payload, inner, layer);
    case kProtoUdp:
      break;
    default:
      return TunnelResult::kNotTunnel;
  }
  if (outer.payload.size() < 8) return TunnelResult::kNotTunnel;
  const uint8_t* u = U8(outer.payload);
  const uint16_t sport = Be16(u), dport = Be16(u + 2);
  const auto either = [&](uint16_t port) { return sport == port || dport == port; };
  if (dport != kPortVxlan && dport != kPortGeneve && !either(kPortGtpU) && !either(kPortTeredo) &&
      !either(kPortAyiya)) {
    return TunnelResult::kNotTunnel;  // the common case: one look at the ports
  }
  const size_t udp_len = Be16(u + 4);
  if (udp_len < 8 || udp_len > outer.payload.size()) return TunnelResult::kMalformed;
  const absl::string_view udp = outer.payload.substr(8, udp_len - 8);
  layer->outer_src.port = sport;
  layer->outer_dst.port = dport;
  if (dport == kPortVxlan) return Vxlan(udp, inner, layer);
  if (dport == kPortGeneve) return Geneve(udp, inner, layer);
  if (either(kPortGtpU)) return GtpU(udp, inner, layer);
  if (either(kPortTeredo)) return Teredo(udp, inner, layer);
  return Ayiya(udp, inner, layer);
}

uint64_t ChainTunnelId(uint64_t outer_id, const TunnelLayer& layer) {
  const uint64_t a = StableAddressHash(layer.outer_src.addr);
  const uint64_t b = StableAddressHash(layer.outer_dst.addr);
  // GTP TEIDs differ per direction: left out. VNIs and GRE keys name the tunnel.
  const bool vni = layer.has_id && layer.type != TunnelType::kGtpU;
  uint64_t h = MixHash64(std::min(a, b) * 31 + std::max(a, b));
  h = MixHash64(h ^ (uint64_t{static_cast<uint8_t>(layer.type)} << 40) ^ (vni ? layer.id : 0));
  h = MixHash64(h + outer_id * 0x9e3779b97f4a7c15ULL);
  return h == 0 ? 1 : h;  // 0 means "no tunnel"
}

uint64_t TunnelStats::total_packets() const {
  uint64_t n = 0;
  for (uint64_t p : packets) n += p;
  return n;
}

const TunnelPath* TunnelTable::Extend(const TunnelPath* outer, const TunnelLayer& layer,
                                      TunnelStats* stats) {
  const uint64_t id = ChainTunnelId(outer != nullptr ? outer->id : 0, layer);
  auto it = by_id_.find(id);
  if (it != by_id_.end()) return it->second;
  if (paths_.size() >= limits_.max_tunnels) return nullptr;
  TunnelPath path;
  if (outer != nullptr) path = *outer;
  if (path.depth >= TunnelPath::kMaxLayers) return nullptr;
  path.layers[path.depth++] = layer;
  path.id = id;
  paths_.push_back(path);
  ++stats->tunnels[static_cast<size_t>(layer.type)];
  by_id_.emplace(id, &paths_.back());
  return &paths_.back();
}

std::string DescribeTunnelLayer(const TunnelLayer& l) {
  const auto ep = [&](const Endpoint& e) {
    const std::string a = e.addr.ToString();
    if (l.outer_src.port == 0 && l.outer_dst.port == 0) return a;
    return e.addr.is_v6() ? absl::StrCat("[", a, "]:", e.port) : absl::StrCat(a, ":", e.port);
  };
  std::string s = absl::StrCat(TunnelTypeName(l.type), " ", ep(l.outer_src), " > ", ep(l.outer_dst));
  if (l.has_id) {
    const char* what = l.type == TunnelType::kGtpU ? "teid"
                       : (l.type == TunnelType::kGre || l.type == TunnelType::kErspan) ? "key"
                                                                                       : "vni";
    absl::StrAppend(&s, " ", what, " ", l.id);
  }
  return s;
}

}  // namespace tcpfollow
