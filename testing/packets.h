// Packets and capture files for tests, made by the libraries the tool's own code is checked
// against: frames are crafted with libtins (Tins::EthernetII, Dot1Q, IP, IPv6, TCP, RawPDU,
// serialize(): lengths and checksums are libtins'), classic pcap bytes are written by
// libpcap's dumper (pcap_dump_fopen on a memory stream), and pcapng, which libpcap does not
// write, block by block here. Also the temporary files the capture tests read.
//
// Not for the product: tcpfollow's own packet builders (tins_ext/pcap_writer.h, used by
// --write-decrypted and the benchmarks) are checked against TcpPacket and EthernetFrame in
// pcap_writer_test. Files that libpcap would never write (other byte orders, old versions,
// record headers that lie) stay hand-written in the tests that need them.
#ifndef TCPFOLLOW_TESTING_PACKETS_H_
#define TCPFOLLOW_TESTING_PACKETS_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tins_ext/pcap_writer.h"

namespace tcpfollow::testing {

// One TCP segment in an IPv4 (don't-fragment set) or IPv6 datagram, built by libtins.
std::string TcpPacket(const TcpPacketSpec& spec);

// An IPv4 datagram: the fields given, total length and header checksum libtins', then
// `payload` as raw bytes (a fragment's part, or anything).
struct Ipv4Fields {
  std::string src = "10.0.0.1";
  std::string dst = "10.0.0.2";
  uint16_t id = 0;
  uint8_t protocol = 6;
  uint32_t offset = 0;  // in bytes, a multiple of 8
  bool more_fragments = false;
  bool dont_fragment = false;
  uint8_t ttl = 64;
  bool nop_options = false;  // 4 bytes of options: NOP NOP NOP, end of list
};
std::string Ipv4Datagram(const Ipv4Fields& fields, absl::string_view payload);

// An IPv6 datagram: the fixed header (next header `next`, payload length libtins'), then
// `rest` as raw bytes (extension headers and what follows them).
std::string Ipv6Datagram(const std::string& src, const std::string& dst, uint8_t next,
                         absl::string_view rest, uint8_t hop_limit = 64);

// An Ethernet II frame (02:00:00:00:00:01 -> 02:00:00:00:00:02) around an IP datagram,
// EtherType from its version nibble, built by libtins; 802.1Q tags in `vlan_ids`
// (outermost first; with more than one, the outermost's TPID is `outer_tpid`, e.g. 0x88a8
// for QinQ). libtins pads the frame to 60 bytes.
std::string EthernetFrame(absl::string_view ip, const std::vector<uint16_t>& vlan_ids = {},
                          uint16_t outer_tpid = 0x8100);

// Packet `i` of a numbered series: 10.0.0.1:(1000+i) -> 10.0.0.2:`dport`, seq i, with
// i*37 % 500 bytes of payload that do not compress (so compressed files have many blocks).
std::string NumberedPacket(int i, uint16_t dport = 80);
// Its time: 1600000000 s + i * 1.000001001 s.
absl::Time NumberedTime(int i);

// A classic pcap file in memory, written by libpcap's dumper (little-endian on this
// machine, version 2.4): the file header at once, then one record per Add.
class PcapBytes {
 public:
  explicit PcapBytes(const PcapFormat& format = PcapFormat());
  ~PcapBytes();
  PcapBytes(const PcapBytes&) = delete;
  PcapBytes& operator=(const PcapBytes&) = delete;

  // One record: `data` cut to the snaplen; wire length `wire_len`, or data's size when 0.
  PcapBytes& Add(absl::Time ts, absl::string_view data, uint32_t wire_len = 0);
  // The file so far.
  std::string bytes();
  // The offset just past each record.
  const std::vector<size_t>& ends() const { return ends_; }

 private:
  size_t Flush();

  PcapFormat format_;
  char* buf_ = nullptr;
  size_t size_ = 0;
  std::FILE* mem_ = nullptr;
  void* dead_ = nullptr;    // pcap_t
  void* dumper_ = nullptr;  // pcap_dumper_t
  std::vector<size_t> ends_;
};

// The numbered series 0..n-1 (NumberedPacket/NumberedTime) as a nanosecond raw-IP pcap.
std::string NumberedPcap(int n, std::vector<size_t>* ends = nullptr);

// pcapng written block by block, in either byte order (libpcap writes no pcapng).
class Pcapng {
 public:
  explicit Pcapng(bool swapped = false) : swapped_(swapped) {}
  // A Section Header Block; later blocks use its byte order.
  Pcapng& Section(bool swapped);
  // An Interface Description Block named "eth0"; if_tsresol (0xff: none, microseconds) and
  // if_tsoffset (0: none).
  Pcapng& Interface(uint16_t link, uint32_t snaplen, uint8_t tsresol = 0xff,
                    int64_t tsoffset = 0);
  // Enhanced, Simple and (obsolete) Packet Blocks; `caplen` may lie (UINT32_MAX: the size).
  Pcapng& Epb(uint32_t iface, uint64_t ts, const std::string& data,
              uint32_t caplen = UINT32_MAX);
  Pcapng& Spb(const std::string& data);
  Pcapng& Pb(uint16_t iface, uint64_t ts, const std::string& data);
  // A Decryption Secrets Block.
  Pcapng& Dsb(uint32_t type, const std::string& data);
  // Any block: type, then `body` framed by the two length fields.
  Pcapng& Block(uint32_t type, const std::string& body);

  const std::string& bytes() const { return out_; }
  // Where block `i` (counting from 0, the section header included) starts.
  size_t block_offset(size_t i) const { return starts_[i]; }
  // Where each block ends.
  std::vector<size_t> block_ends() const;

 private:
  static std::string Pad(std::string b);
  std::string U16(uint16_t v) const;
  std::string U32(uint64_t v) const;
  std::string U64(uint64_t v) const;

  bool swapped_;
  std::string out_;
  std::vector<size_t> starts_;
};

// A path under $TEST_TMPDIR (else /tmp).
std::string TempPath(const std::string& name);
// Writes `bytes` to `path`; a failure ends the test binary with a message.
void WriteFile(const std::string& path, absl::string_view bytes);

}  // namespace tcpfollow::testing

#endif  // TCPFOLLOW_TESTING_PACKETS_H_
