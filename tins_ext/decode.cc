// Link, IP and TCP header decoding over string_views; see decode.h. All reads are
// bounds-checked byte loads, so unaligned and short input is safe.
#include "tins_ext/decode.h"

#include <algorithm>
#include <cstring>

#ifdef __SSE2__
#include <immintrin.h>
#endif

namespace tcpfollow {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88a8;
constexpr uint16_t kEtherQinQOld = 0x9100;
constexpr uint16_t kEtherPppoeSession = 0x8864;
constexpr uint16_t kEtherMpls = 0x8847;
constexpr uint16_t kEtherVnTag = 0x8926;       // Cisco VN-Tag: 4-byte tag, then an ethertype
constexpr uint16_t kEtherPbb = 0x88e7;         // 802.1ah I-TAG: 4 bytes, then customer MACs
constexpr uint16_t kEtherFabricPath = 0x8903;  // Cisco FabricPath: FTag/TTL, then an Ethernet frame
constexpr uint16_t kPppIpv4 = 0x0021;
constexpr uint16_t kPppIpv6 = 0x0057;

constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kIpv6HopByHop = 0;
constexpr uint8_t kIpv6Routing = 43;
constexpr uint8_t kIpv6Fragment = 44;
constexpr uint8_t kIpv6Ah = 51;
constexpr uint8_t kIpv6DestOpts = 60;
constexpr uint8_t kIpv6Mobility = 135;
constexpr uint8_t kIpv6Hip = 139;
constexpr uint8_t kIpv6Shim6 = 140;

inline const uint8_t* U8(absl::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}
inline uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline uint32_t Le32(const uint8_t* p) {
  return uint32_t{p[3]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[1]} << 8 | p[0];
}

// Hands the bytes after an ethertype to the IP decoder, following VLAN tags (802.1Q,
// 802.1ad), VN-Tags, 802.1ah PBB (I-TAG and the customer frame's MAC addresses), Cisco
// FabricPath (the classical Ethernet frame it carries), PPPoE sessions and MPLS label
// stacks. `rest` starts right after the ethertype field.
DecodeError DecodeEthertype(uint16_t type, absl::string_view rest, uint32_t vlan,
                            IpPacket* out) {
  int tags = 0;
  while (true) {
    size_t skip = 0;  // bytes after this ethertype up to and including the next ethertype
    switch (type) {
      case kEtherVlan:
      case kEtherQinQ:
      case kEtherQinQOld:
        if (rest.size() >= 4) vlan = ((vlan << 12) | (Be16(U8(rest)) & 0x0fff)) & 0xffffff;
        skip = 4;
        break;
      case kEtherVnTag:
        skip = 6;
        break;
      case kEtherPbb:
        skip = 4 + 12 + 2;
        break;
      case kEtherFabricPath:
        skip = 2 + 12 + 2;
        break;
      default:
        break;
    }
    if (skip == 0) break;
    if (++tags > DecodeLimits::kMaxVlanTags) return DecodeError::kNotIp;
    if (rest.size() < skip) return DecodeError::kTruncatedLink;
    type = Be16(U8(rest) + skip - 2);
    rest.remove_prefix(skip);
  }
  switch (type) {
    case kEtherIpv4:
    case kEtherIpv6: {
      if (rest.empty()) return DecodeError::kTruncatedIp;
      const int version = U8(rest)[0] >> 4;
      if (version != (type == kEtherIpv4 ? 4 : 6)) return DecodeError::kBadIpVersion;
      return DecodeIp(rest, vlan, out);
    }
    case kEtherPppoeSession: {
      // ver/type, code, session id, length (of the PPP frame), then the PPP protocol:
      // two bytes, or one when compressed (RFC 1661 PFC: an odd first byte).
      if (rest.size() < 7) return DecodeError::kTruncatedLink;
      const uint8_t* p = U8(rest);
      if (p[0] != 0x11 || p[1] != 0) return DecodeError::kNotIp;
      const bool compressed = (p[6] & 0x01) != 0;
      if (!compressed && rest.size() < 8) return DecodeError::kTruncatedLink;
      const uint16_t ppp = compressed ? p[6] : Be16(p + 6);
      if (ppp != kPppIpv4 && ppp != kPppIpv6) return DecodeError::kNotIp;
      return DecodeEthertype(ppp == kPppIpv4 ? kEtherIpv4 : kEtherIpv6,
                             rest.substr(compressed ? 7 : 8), vlan, out);
    }
    case kEtherMpls: {
      for (int i = 0;; ++i) {
        if (i >= DecodeLimits::kMaxMplsLabels) return DecodeError::kNotIp;
        if (rest.size() < 4) return DecodeError::kTruncatedLink;
        const bool bottom = (U8(rest)[2] & 0x01) != 0;
        rest.remove_prefix(4);
        if (bottom) break;
      }
      if (rest.empty()) return DecodeError::kTruncatedIp;
      const int version = U8(rest)[0] >> 4;
      if (version != 4 && version != 6) return DecodeError::kNotIp;
      return DecodeIp(rest, vlan, out);
    }
    default:
      return DecodeError::kNotIp;
  }
}

// BSD loopback: a 4-byte address family in the writer's byte order (DLT_NULL) or network
// order (DLT_LOOP); both orders are tried since captures travel between machines.
DecodeError DecodeLoopback(absl::string_view frame, IpPacket* out) {
  if (frame.size() < 4) return DecodeError::kTruncatedLink;
  uint32_t af = Be32(U8(frame));
  if (af > 0xffff) af = Le32(U8(frame));
  frame.remove_prefix(4);
  switch (af) {
    case 2:
      return DecodeEthertype(kEtherIpv4, frame, 0, out);
    case 24:
    case 28:
    case 30:
      return DecodeEthertype(kEtherIpv6, frame, 0, out);
    default:
      return DecodeError::kNotIp;
  }
}

// Linux NFLOG (DLT 239): a 4-byte header (address family, version 0, resource id), then
// TLVs whose length (including the 4-byte TLV header, padded to 4) and type are in the
// capturing host's byte order, which the capture readers have made ours. The packet is
// the NFULA_PAYLOAD TLV (type 9).
DecodeError DecodeNflog(absl::string_view frame, IpPacket* out) {
  if (frame.size() < 4) return DecodeError::kTruncatedLink;
  const uint8_t family = U8(frame)[0];
  if (U8(frame)[1] != 0) return DecodeError::kUnsupportedLink;  // unknown version
  frame.remove_prefix(4);
  for (int i = 0; i < DecodeLimits::kMaxNflogTlvs; ++i) {
    if (frame.size() < 4) return DecodeError::kTruncatedLink;
    uint16_t f[2];
    std::memcpy(f, frame.data(), 4);
    const size_t len = f[0], type = f[1];
    if (len < 4 || len > frame.size()) return DecodeError::kTruncatedLink;
    if (type == 9) {  // NFULA_PAYLOAD
      const absl::string_view packet = frame.substr(4, len - 4);
      if (family == 2) return DecodeEthertype(kEtherIpv4, packet, 0, out);
      if (family == 10) return DecodeEthertype(kEtherIpv6, packet, 0, out);
      return DecodeIp(packet, 0, out);
    }
    frame.remove_prefix(std::min(frame.size(), (len + 3) / 4 * 4));
  }
  return DecodeError::kNotIp;  // no payload TLV (or more TLVs than we look at)
}

DecodeError DecodeIpv4(absl::string_view ip, uint32_t vlan, IpPacket* out) {
  if (ip.size() < 20) return DecodeError::kTruncatedIp;
  const uint8_t* p = U8(ip);
  const size_t header_len = size_t{p[0] & 0x0fu} * 4;
  if (header_len < 20) return DecodeError::kBadIpHeaderLength;
  if (header_len > ip.size()) return DecodeError::kTruncatedIp;
  size_t total = Be16(p + 2);
  if (total == 0) total = ip.size();  // segmentation offload on the capturing host
  if (total < header_len) return DecodeError::kBadIpTotalLength;
  if (total > ip.size()) return DecodeError::kTruncatedIp;
  ip = ip.substr(0, total);  // drops link padding

  const uint16_t frag = Be16(p + 6);
  out->vlan = vlan;
  out->version = 4;
  out->ttl_or_hlim = p[8];
  out->protocol = p[9];
  out->src = IpAddress::V4(p + 12);
  out->dst = IpAddress::V4(p + 16);
  out->ip = ip;
  out->payload = ip.substr(header_len);
  out->dont_fragment = (frag & 0x4000) != 0;
  out->more_fragments = (frag & 0x2000) != 0;
  out->frag_offset = uint32_t{frag & 0x1fffu} * 8;
  out->is_fragment = out->more_fragments || out->frag_offset != 0;
  out->frag_id = Be16(p + 4);
  out->unfragmentable_len = static_cast<uint16_t>(header_len);
  out->frag_next_header = 0;
  out->frag_next_header_offset = 0;
  return DecodeError::kOk;
}

DecodeError DecodeIpv6(absl::string_view ip, uint32_t vlan, IpPacket* out) {
  if (ip.size() < 40) return DecodeError::kTruncatedIp;
  const uint8_t* p = U8(ip);
  size_t payload_len = Be16(p + 4);
  if (payload_len == 0) payload_len = ip.size() - 40;  // jumbogram or GSO: to the end
  if (40 + payload_len > ip.size()) return DecodeError::kTruncatedIp;
  ip = ip.substr(0, 40 + payload_len);
  p = U8(ip);

  out->vlan = vlan;
  out->version = 6;
  out->ttl_or_hlim = p[7];
  out->src = IpAddress::V6(p + 8);
  out->dst = IpAddress::V6(p + 24);
  out->ip = ip;
  out->is_fragment = false;
  out->frag_id = 0;
  out->frag_offset = 0;
  out->more_fragments = false;
  out->dont_fragment = false;
  out->unfragmentable_len = 0;
  out->frag_next_header = 0;
  out->frag_next_header_offset = 0;

  uint8_t next = p[6];
  size_t next_offset = 6;  // where the byte naming `next` sits
  size_t pos = 40;
  for (int headers = 0;; ++headers) {
    size_t len = 0;
    switch (next) {
      case kIpv6HopByHop:
      case kIpv6Routing:
      case kIpv6DestOpts:
      case kIpv6Mobility:
      case kIpv6Hip:
      case kIpv6Shim6:
        if (ip.size() - pos < 2) return DecodeError::kIpv6ExtHeaderChain;
        len = (size_t{p[pos + 1]} + 1) * 8;
        break;
      case kIpv6Ah:
        if (ip.size() - pos < 2) return DecodeError::kIpv6ExtHeaderChain;
        len = (size_t{p[pos + 1]} + 2) * 4;
        break;
      case kIpv6Fragment:
        len = 8;
        break;
      default:
        // TCP, UDP, ESP, no-next-header, ICMPv6, ...: the walk ends.
        out->protocol = next;
        out->payload = ip.substr(pos);
        return DecodeError::kOk;
    }
    if (headers >= DecodeLimits::kMaxIpv6ExtHeaders || len > ip.size() - pos) {
      return DecodeError::kIpv6ExtHeaderChain;
    }
    if (next == kIpv6Fragment) {
      const uint16_t off_flags = Be16(p + pos + 2);
      const uint32_t offset = uint32_t{off_flags & 0xfff8u};
      const bool more = (off_flags & 0x0001) != 0;
      if (offset != 0 || more) {  // RFC 6946: an atomic fragment is decoded as a whole
        out->is_fragment = true;
        out->frag_offset = offset;
        out->more_fragments = more;
        out->frag_id = Be32(p + pos + 4);
        out->frag_next_header = p[pos];
        out->frag_next_header_offset = static_cast<uint16_t>(next_offset);
        out->unfragmentable_len = static_cast<uint16_t>(pos);
        out->protocol = p[pos];
        out->payload = ip.substr(pos + 8);
        return DecodeError::kOk;
      }
    }
    next = p[pos];
    next_offset = pos;
    pos += len;
  }
}

}  // namespace

const char* DecodeErrorName(DecodeError e) {
  switch (e) {
    case DecodeError::kOk: return "ok";
    case DecodeError::kTruncatedLink: return "truncated_link";
    case DecodeError::kUnsupportedLink: return "unsupported_link";
    case DecodeError::kNotIp: return "not_ip";
    case DecodeError::kTruncatedIp: return "truncated_ip";
    case DecodeError::kBadIpVersion: return "bad_ip_version";
    case DecodeError::kBadIpHeaderLength: return "bad_ip_header_length";
    case DecodeError::kBadIpTotalLength: return "bad_ip_total_length";
    case DecodeError::kIpv6ExtHeaderChain: return "ipv6_ext_header_chain";
    case DecodeError::kNotTcp: return "not_tcp";
    case DecodeError::kFragment: return "fragment";
    case DecodeError::kTruncatedTcp: return "truncated_tcp";
    case DecodeError::kBadTcpHeaderLength: return "bad_tcp_header_length";
    case DecodeError::kCount: break;
  }
  return "unknown";
}

DecodeError DecodeEthertypePayload(uint16_t type, absl::string_view rest, uint32_t vlan,
                                   IpPacket* out) {
  return DecodeEthertype(type, rest, vlan, out);
}

DecodeError DecodeIp(absl::string_view ip, uint32_t vlan, IpPacket* out) {
  if (ip.empty()) return DecodeError::kTruncatedIp;
  switch (U8(ip)[0] >> 4) {
    case 4: return DecodeIpv4(ip, vlan, out);
    case 6: return DecodeIpv6(ip, vlan, out);
    default: return DecodeError::kBadIpVersion;
  }
}

DecodeError DecodeFrame(int link_type, absl::string_view frame, IpPacket* out) {
  switch (link_type) {
    case link_type::kEthernet:
      if (frame.size() < 14) return DecodeError::kTruncatedLink;
      return DecodeEthertype(Be16(U8(frame) + 12), frame.substr(14), 0, out);
    case link_type::kLinuxSll:
      if (frame.size() < 16) return DecodeError::kTruncatedLink;
      return DecodeEthertype(Be16(U8(frame) + 14), frame.substr(16), 0, out);
    case link_type::kLinuxSll2:
      if (frame.size() < 20) return DecodeError::kTruncatedLink;
      return DecodeEthertype(Be16(U8(frame)), frame.substr(20), 0, out);
    case link_type::kRaw:
    case link_type::kRawOpenBsd:
    case link_type::kLinkTypeRaw:
      return DecodeIp(frame, 0, out);
    case link_type::kIpv4:
      return DecodeEthertype(kEtherIpv4, frame, 0, out);
    case link_type::kIpv6:
      return DecodeEthertype(kEtherIpv6, frame, 0, out);
    case link_type::kNull:
    case link_type::kLoop:
      return DecodeLoopback(frame, out);
    case link_type::kNflog:
      return DecodeNflog(frame, out);
    default:
      return DecodeError::kUnsupportedLink;
  }
}

DecodeError DecodeTcp(const IpPacket& ip, absl::Time ts, TcpSegment* out) {
  if (ip.protocol != kProtoTcp) return DecodeError::kNotTcp;
  if (ip.is_fragment) return DecodeError::kFragment;
  absl::string_view tcp = ip.payload;
  if (tcp.size() < 20) return DecodeError::kTruncatedTcp;
  const uint8_t* p = U8(tcp);
  const size_t header_len = (size_t{p[12]} >> 4) * 4;
  if (header_len < 20 || header_len > tcp.size()) return DecodeError::kBadTcpHeaderLength;
  out->ts = ts;
  out->src.addr = ip.src;
  out->src.port = Be16(p);
  out->dst.addr = ip.dst;
  out->dst.port = Be16(p + 2);
  out->vlan = ip.vlan;
  out->seq = Be32(p + 4);
  out->ack = Be32(p + 8);
  out->flags = p[13] & 0x3f;
  out->window = Be16(p + 14);
  out->payload = tcp.substr(header_len);
  out->bad_checksum = !TcpChecksumOk(ip);
  return DecodeError::kOk;
}

namespace {

// Ones' complement sum of `data` in memory order, as 32-bit words added into 64-bit
// accumulators (no carries to propagate for 2^32 words). The byte order does not matter
// for checking: a valid sum folds to 0xffff either way. `data` starts at an even offset of
// the summed stream. Every TCP payload byte passes through here (bad_checksums is counted
// for every segment), so the loop is vectorised: each 64-bit lane adds its low and high
// 32-bit halves (a mask and a shift: ALU work, not the shuffle unit), 16 bytes per vector
// with SSE2 and 32 with AVX2, the wider one chosen once at run time.
uint64_t SumScalar(const uint8_t* p, size_t n, uint64_t a0) {
  uint64_t a1 = 0, a2 = 0, a3 = 0;
  while (n >= 16) {
    uint32_t w[4];
    std::memcpy(w, p, 16);
    a0 += w[0];
    a1 += w[1];
    a2 += w[2];
    a3 += w[3];
    p += 16;
    n -= 16;
  }
  while (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, 4);
    a0 += w;
    p += 4;
    n -= 4;
  }
  uint32_t tail = 0;
  std::memcpy(&tail, p, n);  // zero-padded, as the odd byte is
  a1 += tail;
  // Fold each to 33 bits before adding, so the total cannot overflow.
  auto fold32 = [](uint64_t v) { return (v & 0xffffffffu) + (v >> 32); };
  return fold32(a0) + fold32(a1) + fold32(a2) + fold32(a3);
}

#ifdef __SSE2__
uint64_t SumSse2(const uint8_t* p, size_t n) {
  const __m128i low = _mm_set1_epi64x(0xffffffff);
  __m128i v0 = _mm_setzero_si128(), v1 = v0;
  while (n >= 32) {
    const __m128i x0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i x1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
    v0 = _mm_add_epi64(v0, _mm_add_epi64(_mm_and_si128(x0, low), _mm_srli_epi64(x0, 32)));
    v1 = _mm_add_epi64(v1, _mm_add_epi64(_mm_and_si128(x1, low), _mm_srli_epi64(x1, 32)));
    p += 32;
    n -= 32;
  }
  uint64_t lanes[4];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes), v0);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes + 2), v1);
  // Each lane is below 2^38 for any packet (2^32 words of 33 bits would be needed to
  // overflow), so their sum fits.
  return SumScalar(p, n, lanes[0] + lanes[1] + lanes[2] + lanes[3]);
}

__attribute__((target("avx2"))) uint64_t SumAvx2(const uint8_t* p, size_t n) {
  const __m256i low = _mm256_set1_epi64x(0xffffffff);
  __m256i v0 = _mm256_setzero_si256(), v1 = v0;
  while (n >= 64) {
    const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    v0 = _mm256_add_epi64(v0, _mm256_add_epi64(_mm256_and_si256(x0, low), _mm256_srli_epi64(x0, 32)));
    v1 = _mm256_add_epi64(v1, _mm256_add_epi64(_mm256_and_si256(x1, low), _mm256_srli_epi64(x1, 32)));
    p += 64;
    n -= 64;
  }
  uint64_t lanes[8];
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes), v0);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes + 4), v1);
  uint64_t sum = 0;
  for (uint64_t lane : lanes) sum += lane;
  return sum + SumSse2(p, n);
}

using SumFn = uint64_t (*)(const uint8_t*, size_t);
const SumFn kSum = [] {
  __builtin_cpu_init();  // may run before libgcc's own initialiser
  return __builtin_cpu_supports("avx2") ? SumAvx2 : SumSse2;
}();
#endif

uint64_t SumWords(const uint8_t* p, size_t n, uint64_t sum) {
  auto fold32 = [](uint64_t v) { return (v & 0xffffffffu) + (v >> 32); };
#ifdef __SSE2__
  if (n >= 32) return fold32(kSum(p, n)) + fold32(sum);
#endif
  return fold32(SumScalar(p, n, 0)) + fold32(sum);
}

uint16_t Fold(uint64_t sum) {
  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffffffffu) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

}  // namespace

bool TcpChecksumOk(const IpPacket& ip) {
  const absl::string_view tcp = ip.payload;
  // The pseudo-header (addresses, protocol, TCP length) as 32-bit words in memory order,
  // like the rest; the protocol and length are the network-order 16-bit words 0|6 and len.
  const uint8_t words[4] = {0, kProtoTcp, static_cast<uint8_t>(tcp.size() >> 8),
                            static_cast<uint8_t>(tcp.size())};
  uint32_t w;
  std::memcpy(&w, words, 4);
  uint64_t sum = w;
  for (size_t i = 0; i < ip.src.size(); i += 4) {
    std::memcpy(&w, ip.src.bytes.data() + i, 4);
    sum += w;
    std::memcpy(&w, ip.dst.bytes.data() + i, 4);
    sum += w;
  }
  sum = SumWords(reinterpret_cast<const uint8_t*>(tcp.data()), tcp.size(), sum);
  return Fold(sum) == 0xffff;
}

void DecodeStats::CountIp(const IpPacket& p) {
  if (p.version == 4) ++ipv4;
  if (p.version == 6) ++ipv6;
  if (p.is_fragment) {
    ++fragments;
  } else if (p.protocol == kProtoTcp) {
    ++tcp;
  } else if (p.protocol == kProtoUdp) {
    ++udp;
  } else {
    ++other_l4;
  }
}

uint64_t DecodeStats::malformed() const {
  uint64_t n = 0;
  for (size_t i = 0; i < errors.size(); ++i) {
    const auto e = static_cast<DecodeError>(i);
    if (e != DecodeError::kOk && e != DecodeError::kNotTcp && e != DecodeError::kFragment &&
        e != DecodeError::kUnsupportedLink && e != DecodeError::kNotIp) {
      n += errors[i];
    }
  }
  return n;
}

}  // namespace tcpfollow
