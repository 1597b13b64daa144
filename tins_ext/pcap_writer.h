// Writing classic pcap files (microsecond or nanosecond, raw IP or Ethernet) and building
// synthetic IP/TCP packets with correct checksums, for --write-decrypted,
// --write-defragmented and the benchmarks' generated captures.
//
// What comes from where: PcapWriter, the file writer the tool uses, is libpcap's dumper
// (pcap_open_dead_with_tstamp_precision + pcap_dump_fopen + pcap_dump): libpcap writes the
// file header and every record header (host byte order, as every libpcap savefile). Not
// Tins::PacketWriter: it takes PDUs and sets the wire length to the captured length, where
// we write packets longer than the snaplen with their real length. The Build*/Fragment*
// packet builders are ours (raw byte layout with checksums, no I/O; the product does not
// link libtins): pcap_writer_test checks BuildTcpPacket and BuildEthernetFrame against
// libtins' bytes. Tests craft their packets and in-memory captures with testing/packets.h
// (libtins, libpcap's dumper). No pcapng.
#ifndef TCPFOLLOW_TINS_EXT_PCAP_WRITER_H_
#define TCPFOLLOW_TINS_EXT_PCAP_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <pcap/pcap.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tins_ext/ip_address.h"
#include "tins_ext/tcp_segment.h"

namespace tcpfollow {

struct PcapFormat {
  static constexpr uint32_t kLinkTypeEthernet = 1;
  static constexpr uint32_t kLinkTypeRaw = 101;  // raw IPv4/IPv6 (DLT_RAW 12/14 map here)
  uint32_t link_type = kLinkTypeRaw;
  bool nanosecond = true;
  uint32_t snaplen = 262144;
};

// libpcap's handle for writing `format` (pcap_dump_fopen): its link type (raw IP as DLT_RAW,
// which libpcap writes as LINKTYPE_RAW) and timestamp precision. Null on failure.
pcap_t* OpenDeadPcap(const PcapFormat& format);
// The record header of a packet of `size` bytes at `ts`: seconds and fraction (µs or ns,
// rounded down), caplen cut to the snaplen, wire length `wire_len` or `size` when 0.
pcap_pkthdr PcapRecordHeader(const PcapFormat& format, absl::Time ts, size_t size,
                             uint32_t wire_len = 0);

// Writes a pcap file record by record through libpcap's dumper. Every write error is
// returned (and sticks).
class PcapWriter {
 public:
  static absl::StatusOr<std::unique_ptr<PcapWriter>> Open(const std::string& path,
                                                          const PcapFormat& format);
  ~PcapWriter();
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  absl::Status Write(absl::Time ts, absl::string_view packet, uint32_t wire_len = 0);
  // Flushes and closes; further writes fail.
  absl::Status Close();
  uint64_t packets_written() const { return packets_; }

 private:
  PcapWriter(std::FILE* file, std::string path, const PcapFormat& format)
      : file_(file), path_(std::move(path)), format_(format) {}
  absl::Status Fail(const char* what);
  void Release();

  std::FILE* file_;              // owned by dumper_ once it exists
  pcap_t* dead_ = nullptr;       // libpcap handle with the link type and precision
  pcap_dumper_t* dumper_ = nullptr;
  std::string path_;
  PcapFormat format_;
  uint64_t packets_ = 0;
  absl::Status status_;
};

// One's-complement sum as used by IPv4/TCP/UDP, folded and complemented.
uint16_t InternetChecksum(absl::string_view data, uint32_t initial_sum = 0);

struct TcpPacketSpec {
  static constexpr size_t kMaxPayload = 65535 - 20 - 20;
  Endpoint src, dst;  // both IPv4 or both IPv6; the family of src decides
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = tcp_flags::kAck;
  uint16_t window = 65535;
  uint8_t ttl = 64;
  uint16_t ip_id = 0;
  absl::string_view payload;  // cut to kMaxPayload
};

// An IPv4 or IPv6 datagram carrying one TCP segment, checksums filled in.
std::string BuildTcpPacket(const TcpPacketSpec& spec);

// An Ethernet II frame around an IP datagram (ethertype from its version nibble), with
// 802.1Q tags in `vlan_ids` (outermost first; the outermost uses `outer_tpid` when more
// than one tag is given, e.g. 0x88a8 for QinQ). Short frames are padded to 60 bytes.
std::string BuildEthernetFrame(absl::string_view ip, const std::vector<uint16_t>& vlan_ids = {},
                               uint16_t outer_tpid = 0x8100);

// Splits an IPv4 datagram (no options needed) into fragments carrying at most
// `max_data` bytes of payload each (rounded down to a multiple of 8, at least 8).
std::vector<std::string> FragmentIpv4(absl::string_view datagram, size_t max_data);
// Splits an IPv6 datagram after its fixed header with a Fragment header (id `id`);
// extension headers, if any, travel in the fragmentable part.
std::vector<std::string> FragmentIpv6(absl::string_view datagram, size_t max_data,
                                      uint32_t id);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_PCAP_WRITER_H_
