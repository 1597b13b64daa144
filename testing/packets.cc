// Test packets crafted with libtins, pcap bytes written by libpcap's dumper, pcapng blocks;
// see packets.h.
#include "testing/packets.h"

#include <pcap/pcap.h>
#include <tins/constants.h>
#include <tins/tins.h>

#include <algorithm>
#include <cstdlib>

namespace tcpfollow::testing {
namespace {

Tins::RawPDU Raw(absl::string_view bytes) {
  return Tins::RawPDU(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<uint32_t>(bytes.size()));
}

std::string ToString(const std::vector<uint8_t>& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "testing/packets: %s\n", what.c_str());
  std::abort();
}

}  // namespace

std::string TcpPacket(const TcpPacketSpec& s) {
  Tins::TCP tcp(s.dst.port, s.src.port);
  tcp.seq(s.seq);
  tcp.ack_seq(s.ack);
  tcp.flags(s.flags);
  tcp.window(s.window);
  tcp.inner_pdu(Raw(s.payload.substr(0, TcpPacketSpec::kMaxPayload)));
  if (s.src.addr.is_v4()) {
    Tins::IP ip(s.dst.addr.ToString(), s.src.addr.ToString());
    ip.ttl(s.ttl);
    ip.id(s.ip_id);
    ip.flags(Tins::IP::DONT_FRAGMENT);
    ip.inner_pdu(tcp);
    return ToString(ip.serialize());
  }
  Tins::IPv6 ip(s.dst.addr.ToString(), s.src.addr.ToString());
  ip.hop_limit(s.ttl);
  ip.inner_pdu(tcp);
  return ToString(ip.serialize());
}

std::string Ipv4Datagram(const Ipv4Fields& f, absl::string_view payload) {
  Tins::IP ip(f.dst, f.src);
  ip.id(f.id);
  ip.ttl(f.ttl);
  ip.protocol(f.protocol);  // kept: libtins sets it only for PDUs it knows, not raw bytes
  ip.fragment_offset(static_cast<uint16_t>(f.offset / 8));
  ip.flags(static_cast<Tins::IP::Flags>((f.more_fragments ? Tins::IP::MORE_FRAGMENTS : 0) |
                                        (f.dont_fragment ? Tins::IP::DONT_FRAGMENT : 0)));
  if (f.nop_options) {
    for (int i = 0; i < 3; ++i) ip.add_option(Tins::IP::option(Tins::IP::NOOP));
    ip.add_option(Tins::IP::option(Tins::IP::END));
  }
  ip.inner_pdu(Raw(payload));
  return ToString(ip.serialize());
}

std::string Ipv6Datagram(const std::string& src, const std::string& dst, uint8_t next,
                         absl::string_view rest, uint8_t hop_limit) {
  Tins::IPv6 ip(dst, src);
  ip.hop_limit(hop_limit);
  ip.next_header(next);
  ip.inner_pdu(Raw(rest));
  return ToString(ip.serialize());
}

std::string EthernetFrame(absl::string_view ip, const std::vector<uint16_t>& vlan_ids,
                          uint16_t outer_tpid) {
  const bool v6 = !ip.empty() && (static_cast<uint8_t>(ip[0]) >> 4) == 6;
  // From the inside out: each tag carries what follows it as raw bytes, so that libtins
  // writes the EtherTypes given here rather than guessing them from a parsed payload.
  std::string payload(ip);
  uint16_t type = v6 ? Tins::Constants::Ethernet::IPV6 : Tins::Constants::Ethernet::IP;
  for (size_t i = vlan_ids.size(); i-- > 0;) {
    Tins::Dot1Q tag(vlan_ids[i] & 0x0fff, /*append_pad=*/false);
    tag.payload_type(type);
    tag.inner_pdu(Raw(payload));
    payload = ToString(tag.serialize());
    type = (i == 0 && vlan_ids.size() > 1) ? outer_tpid : uint16_t{Tins::Constants::Ethernet::VLAN};
  }
  Tins::EthernetII eth("02:00:00:00:00:02", "02:00:00:00:00:01");
  eth.payload_type(type);
  eth.inner_pdu(Raw(payload));
  return ToString(eth.serialize());
}

std::string NumberedPacket(int i, uint16_t dport) {
  TcpPacketSpec s;
  s.src = {IpAddress::FromString("10.0.0.1"), static_cast<uint16_t>(1000 + i)};
  s.dst = {IpAddress::FromString("10.0.0.2"), dport};
  s.seq = static_cast<uint32_t>(i);
  std::string payload(static_cast<size_t>(i * 37 % 500), '\0');
  uint32_t x = 2463534242u + static_cast<uint32_t>(i);  // xorshift32
  for (char& c : payload) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  s.payload = payload;
  return TcpPacket(s);
}

absl::Time NumberedTime(int i) {
  return absl::FromUnixNanos(1600000000000000000 + i * 1000001001LL);
}

PcapBytes::PcapBytes(const PcapFormat& format) : format_(format) {
  mem_ = open_memstream(&buf_, &size_);
  if (mem_ == nullptr) Die("open_memstream failed");
  pcap_t* dead = OpenDeadPcap(format);  // as PcapWriter
  if (dead == nullptr) Die("pcap_open_dead failed");
  dead_ = dead;
  pcap_dumper_t* dumper = pcap_dump_fopen(dead, mem_);
  if (dumper == nullptr) Die(pcap_geterr(dead));
  dumper_ = dumper;
  Flush();
}

PcapBytes::~PcapBytes() {
  pcap_dump_close(static_cast<pcap_dumper_t*>(dumper_));  // closes mem_
  pcap_close(static_cast<pcap_t*>(dead_));
  std::free(buf_);
}

size_t PcapBytes::Flush() {
  if (pcap_dump_flush(static_cast<pcap_dumper_t*>(dumper_)) != 0) Die("pcap_dump_flush failed");
  return size_;
}

PcapBytes& PcapBytes::Add(absl::Time ts, absl::string_view data, uint32_t wire_len) {
  const pcap_pkthdr h = PcapRecordHeader(format_, ts, data.size(), wire_len);
  pcap_dump(static_cast<u_char*>(dumper_), &h, reinterpret_cast<const u_char*>(data.data()));
  ends_.push_back(Flush());
  return *this;
}

std::string PcapBytes::bytes() { return std::string(buf_, Flush()); }

std::string NumberedPcap(int n, std::vector<size_t>* ends) {
  PcapFormat format;
  format.nanosecond = true;
  PcapBytes file(format);
  for (int i = 0; i < n; ++i) file.Add(NumberedTime(i), NumberedPacket(i));
  if (ends != nullptr) *ends = file.ends();
  return file.bytes();
}

Pcapng& Pcapng::Section(bool swapped) {
  swapped_ = swapped;
  std::string b = U32(0x1a2b3c4d) + U16(1) + U16(0) + U32(0xffffffff) + U32(0xffffffff);
  return Block(0x0a0d0d0a, b);
}

Pcapng& Pcapng::Interface(uint16_t link, uint32_t snaplen, uint8_t tsresol, int64_t tsoffset) {
  std::string b = U16(link) + U16(0) + U32(snaplen);
  b += U16(2) + U16(4) + "eth0";  // if_name
  if (tsresol != 0xff) {
    b += U16(9) + U16(1) + std::string(1, static_cast<char>(tsresol)) + std::string(3, '\0');
  }
  if (tsoffset != 0) b += U16(14) + U16(8) + U64(static_cast<uint64_t>(tsoffset));
  b += U16(0) + U16(0);
  return Block(1, b);
}

Pcapng& Pcapng::Epb(uint32_t iface, uint64_t ts, const std::string& data, uint32_t caplen) {
  std::string b = U32(iface) + U32(ts >> 32) + U32(ts & 0xffffffff) +
                  U32(caplen == UINT32_MAX ? data.size() : caplen) + U32(data.size()) + data;
  return Block(6, Pad(b));
}

Pcapng& Pcapng::Spb(const std::string& data) { return Block(3, Pad(U32(data.size()) + data)); }

Pcapng& Pcapng::Pb(uint16_t iface, uint64_t ts, const std::string& data) {
  std::string b = U16(iface) + U16(0) + U32(ts >> 32) + U32(ts & 0xffffffff) +
                  U32(data.size()) + U32(data.size()) + data;
  return Block(2, Pad(b));
}

Pcapng& Pcapng::Dsb(uint32_t type, const std::string& data) {
  return Block(0x0a, Pad(U32(type) + U32(data.size()) + data));
}

Pcapng& Pcapng::Block(uint32_t type, const std::string& body) {
  starts_.push_back(out_.size());
  out_ += U32(type) + U32(body.size() + 12) + body + U32(body.size() + 12);
  return *this;
}

std::vector<size_t> Pcapng::block_ends() const {
  std::vector<size_t> ends;
  for (size_t i = 0; i < starts_.size(); ++i) {
    ends.push_back(i + 1 < starts_.size() ? starts_[i + 1] : out_.size());
  }
  return ends;
}

std::string Pcapng::Pad(std::string b) {
  b.resize((b.size() + 3) / 4 * 4, '\0');
  return b;
}

std::string Pcapng::U16(uint16_t v) const {
  if (swapped_) v = __builtin_bswap16(v);
  return std::string(reinterpret_cast<const char*>(&v), 2);
}

std::string Pcapng::U32(uint64_t v64) const {
  uint32_t v = static_cast<uint32_t>(v64);
  if (swapped_) v = __builtin_bswap32(v);
  return std::string(reinterpret_cast<const char*>(&v), 4);
}

std::string Pcapng::U64(uint64_t v) const {
  if (swapped_) v = __builtin_bswap64(v);
  return std::string(reinterpret_cast<const char*>(&v), 8);
}

std::string TempPath(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  return std::string(tmp ? tmp : "/tmp") + "/" + name;
}

void WriteFile(const std::string& path, absl::string_view bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) Die("cannot create " + path);
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  if (std::fclose(f) != 0 || !ok) Die("cannot write " + path);
}

}  // namespace tcpfollow::testing
