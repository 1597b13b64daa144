// Zero-copy decoding of one captured frame: link layer (Ethernet with 802.1Q/ad tags,
// VN-Tag, 802.1ah PBB, FabricPath, PPPoE, MPLS; Linux SLL/SLL2; NFLOG; raw IP; BSD
// loopback), IPv4/IPv6 (with extension headers) and TCP. Nothing is allocated; every view in the results points into the caller's
// buffer. Validates what a reassembler must be able to trust (version, header lengths,
// total/payload length against the captured bytes, extension-header chains, TCP data
// offset) and trims trailing link padding. Verifies TCP checksums (TcpSegment::bad_checksum;
// offload makes them unreliable in captures, so nothing is refused for it), not IPv4
// header checksums; does not parse IP or TCP options, and does not reassemble
// fragments: a fragment is reported as such and DecodeTcp refuses it. Reassembled
// datagrams go back through DecodeIp. IPv6 extension headers are walked in any order
// (the RFC 8200 order is not enforced) and a routing header does not change `dst`.
#ifndef TCPFOLLOW_TINS_EXT_DECODE_H_
#define TCPFOLLOW_TINS_EXT_DECODE_H_

#include <array>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tins_ext/ip_address.h"
#include "tins_ext/tcp_segment.h"

namespace tcpfollow {

// Link types as libpcap reports them (DLT_*) plus the file-format values (LINKTYPE_*)
// where they differ, so both are accepted.
namespace link_type {
constexpr int kNull = 0;         // BSD loopback, address family in host byte order
constexpr int kEthernet = 1;
constexpr int kRawOpenBsd = 14;  // DLT_RAW on OpenBSD
constexpr int kRaw = 12;         // DLT_RAW elsewhere
constexpr int kLinkTypeRaw = 101;
constexpr int kLoop = 108;       // OpenBSD loopback, address family in network byte order
constexpr int kLinuxSll = 113;
constexpr int kIpv4 = 228;
constexpr int kIpv6 = 229;
constexpr int kNflog = 239;      // Linux NFLOG (tcpdump -i nflog)
constexpr int kLinuxSll2 = 276;
}  // namespace link_type

enum class DecodeError : uint8_t {
  kOk = 0,
  kTruncatedLink,       // frame shorter than its link header (or a VLAN/PPPoE tag)
  kUnsupportedLink,     // link type not decoded here
  kNotIp,               // link payload is not IPv4/IPv6 (ARP, LLDP, ...)
  kTruncatedIp,         // fewer bytes captured than the IP header/length says (snaplen)
  kBadIpVersion,        // version nibble neither 4 nor 6 (or not what the link said)
  kBadIpHeaderLength,   // IPv4 IHL < 5
  kBadIpTotalLength,    // IPv4 total length shorter than its header
  kIpv6ExtHeaderChain,  // extension header chain too long or running past the datagram
  kNotTcp,              // DecodeTcp on another protocol (not an error in the capture)
  kFragment,            // DecodeTcp on a fragment: reassemble first
  kTruncatedTcp,        // datagram payload shorter than a TCP header
  kBadTcpHeaderLength,  // TCP data offset < 5 or past the end of the datagram
  kCount,               // number of values; not an outcome
};

// snake_case name for summaries: "ok", "truncated_link", ...
const char* DecodeErrorName(DecodeError e);

struct IpPacket {
  IpAddress src, dst;
  uint32_t vlan = 0;  // outer << 12 | inner for two tags; a single tag is its id
  uint8_t version = 0;
  // Upper-layer protocol: IPv4 protocol, or the IPv6 next header that ended the walk
  // (TCP, UDP, ESP, no-next-header, ...). For a fragment it is the fragment's next header.
  uint8_t protocol = 0;
  absl::string_view ip;       // whole datagram from the IP header, trimmed to its length
  absl::string_view payload;  // upper-layer bytes (after all extension headers)
  bool is_fragment = false;
  uint32_t frag_id = 0;
  uint32_t frag_offset = 0;  // bytes
  bool more_fragments = false;
  bool dont_fragment = false;
  // IPv6: bytes before the Fragment header (IPv6 header + unfragmentable extension
  // headers); IPv4: header length. The fragment's data is ip.substr(...) after the
  // Fragment header, i.e. `payload`.
  uint16_t unfragmentable_len = 0;
  uint8_t frag_next_header = 0;  // IPv6 Fragment header's next header
  // IPv6: offset within `ip` of the next-header byte that names the Fragment header
  // (6 for the fixed header), so a reassembler can rewrite it. 0 when not a fragment.
  uint16_t frag_next_header_offset = 0;
  uint8_t ttl_or_hlim = 0;
};

// Limits on the decoder's work per packet.
struct DecodeLimits {
  static constexpr int kMaxIpv6ExtHeaders = 16;
  static constexpr int kMaxVlanTags = 8;  // VLAN tags, VN-Tags, PBB and FabricPath headers
  static constexpr int kMaxMplsLabels = 8;
  static constexpr int kMaxNflogTlvs = 32;  // TLVs looked at for the payload
};

// Decodes link + IP. On success `out` describes the IP datagram; on an error `out` may be
// partly filled and must not be used.
DecodeError DecodeFrame(int link_type, absl::string_view frame, IpPacket* out);

// Decodes an IP datagram starting at its header (version picked from the first nibble).
// IPv4 total length 0 (TCP segmentation offload on the capturing host) and IPv6 payload
// length 0 with bytes following (jumbogram / GSO) are taken to run to the end of `ip`.
DecodeError DecodeIp(absl::string_view ip, uint32_t vlan, IpPacket* out);

// Decodes what follows an ethertype field (`rest` starts after it) as DecodeFrame does
// inside an Ethernet frame: VLAN tags, MPLS, PPPoE, ... down to IP. For tunnels whose
// header names an ethertype (GRE, Geneve).
DecodeError DecodeEthertypePayload(uint16_t type, absl::string_view rest, uint32_t vlan,
                                   IpPacket* out);

// Decodes the TCP header of a non-fragment datagram with protocol 6. Views point into
// the same buffer as `ip`.
DecodeError DecodeTcp(const IpPacket& ip, absl::Time ts, TcpSegment* out);
// The TCP checksum of a whole (unfragmented or reassembled) TCP datagram verifies.
bool TcpChecksumOk(const IpPacket& ip);

// Counts packets by outcome and kind, for the run summary: call Count() with every
// DecodeFrame/DecodeTcp result and CountIp() for every decoded datagram.
struct DecodeStats {
  uint64_t ipv4 = 0;
  uint64_t ipv6 = 0;
  uint64_t tcp = 0;
  uint64_t udp = 0;
  uint64_t other_l4 = 0;
  uint64_t fragments = 0;
  std::array<uint64_t, static_cast<size_t>(DecodeError::kCount)> errors{};

  // Counts one DecodeFrame/DecodeIp/DecodeTcp outcome (kOk included).
  void Count(DecodeError e) { ++errors[static_cast<size_t>(e)]; }
  // Counts a successfully decoded datagram by version, fragment-ness and protocol.
  void CountIp(const IpPacket& p);
  uint64_t count(DecodeError e) const { return errors[static_cast<size_t>(e)]; }
  // Malformed or truncated packets: every error but kOk, kNotTcp, kFragment,
  // kUnsupportedLink and kNotIp.
  uint64_t malformed() const;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_DECODE_H_
