// pcap files through libpcap's dumper and synthetic packets (ours); see pcap_writer.h.
#include "tins_ext/pcap_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tcpfollow {
namespace {

void SetBe16(std::string* s, size_t at, uint16_t v) {
  (*s)[at] = static_cast<char>(v >> 8);
  (*s)[at + 1] = static_cast<char>(v & 0xff);
}
void SetBe32(std::string* s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*s)[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
}
uint32_t SumWords(absl::string_view data, uint32_t sum) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  for (; n >= 2; n -= 2, p += 2) sum += uint32_t{p[0]} << 8 | p[1];
  if (n == 1) sum += uint32_t{p[0]} << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

absl::string_view AddressBytes(const IpAddress& a) {
  return absl::string_view(reinterpret_cast<const char*>(a.bytes.data()), a.size());
}

}  // namespace

pcap_t* OpenDeadPcap(const PcapFormat& format) {
  // libpcap takes a DLT and writes the matching LINKTYPE: raw IP is DLT_RAW (written as
  // LINKTYPE_RAW 101, which libpcap refuses as a DLT); Ethernet and the rest are the same
  // number in both spaces.
  const bool raw = format.link_type == PcapFormat::kLinkTypeRaw || format.link_type == 12 ||
                   format.link_type == 14;
  return pcap_open_dead_with_tstamp_precision(
      raw ? DLT_RAW : static_cast<int>(format.link_type), static_cast<int>(format.snaplen),
      format.nanosecond ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
}

pcap_pkthdr PcapRecordHeader(const PcapFormat& format, absl::Time ts, size_t size,
                             uint32_t wire_len) {
  const int64_t units = format.nanosecond ? absl::ToUnixNanos(ts) : absl::ToUnixMicros(ts);
  const int64_t per_second = format.nanosecond ? 1000000000 : 1000000;
  int64_t seconds = units / per_second;
  int64_t fraction = units % per_second;
  if (fraction < 0) {
    fraction += per_second;
    --seconds;
  }
  pcap_pkthdr header;
  header.ts.tv_sec = static_cast<time_t>(seconds);
  header.ts.tv_usec = static_cast<suseconds_t>(fraction);  // nanoseconds in a nano file
  header.caplen = static_cast<bpf_u_int32>(std::min<size_t>(size, format.snaplen));
  header.len = wire_len != 0 ? wire_len : static_cast<bpf_u_int32>(size);
  return header;
}

absl::StatusOr<std::unique_ptr<PcapWriter>> PcapWriter::Open(const std::string& path,
                                                             const PcapFormat& format) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("cannot create pcap file ", path, ": ", std::strerror(errno)));
  }
  std::unique_ptr<PcapWriter> writer(new PcapWriter(file, path, format));
  writer->dead_ = OpenDeadPcap(format);
  if (writer->dead_ == nullptr) return absl::InternalError("pcap_open_dead failed");
  writer->dumper_ = pcap_dump_fopen(writer->dead_, file);  // writes the file header
  if (writer->dumper_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot write pcap file ", path, ": ",
                                               pcap_geterr(writer->dead_)));
  }
  if (std::ferror(file)) return writer->Fail("write");
  return writer;
}

void PcapWriter::Release() {
  if (dumper_ != nullptr) {
    pcap_dump_close(dumper_);  // closes file_
  } else if (file_ != nullptr) {
    std::fclose(file_);
  }
  dumper_ = nullptr;
  file_ = nullptr;
  if (dead_ != nullptr) pcap_close(dead_);
  dead_ = nullptr;
}

PcapWriter::~PcapWriter() { Release(); }

absl::Status PcapWriter::Fail(const char* what) {
  status_ = absl::DataLossError(
      absl::StrCat("cannot ", what, " pcap file ", path_, ": ", std::strerror(errno)));
  return status_;
}

absl::Status PcapWriter::Write(absl::Time ts, absl::string_view packet, uint32_t wire_len) {
  if (!status_.ok()) return status_;
  if (dumper_ == nullptr) return absl::FailedPreconditionError("pcap writer is closed");
  const pcap_pkthdr header = PcapRecordHeader(format_, ts, packet.size(), wire_len);
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &header,
            reinterpret_cast<const u_char*>(packet.data()));
  if (std::ferror(file_)) return Fail("write");
  ++packets_;
  return absl::OkStatus();
}

absl::Status PcapWriter::Close() {
  if (dumper_ == nullptr) return status_;
  // pcap_dump_close() does not report fclose's result: flush (and check) before it.
  const bool flushed = pcap_dump_flush(dumper_) == 0 && !std::ferror(file_);
  Release();
  if (status_.ok() && !flushed) return Fail("close");
  return status_;
}

uint16_t InternetChecksum(absl::string_view data, uint32_t initial_sum) {
  return static_cast<uint16_t>(~SumWords(data, initial_sum) & 0xffff);
}

std::string BuildTcpPacket(const TcpPacketSpec& spec) {
  const absl::string_view payload = spec.payload.substr(0, TcpPacketSpec::kMaxPayload);
  const bool v4 = spec.src.addr.is_v4();
  const size_t ip_len = v4 ? 20 : 40;
  const size_t tcp_len = 20 + payload.size();
  std::string pkt(ip_len + 20, '\0');
  pkt.append(payload.data(), payload.size());

  if (v4) {
    pkt[0] = 0x45;
    SetBe16(&pkt, 2, static_cast<uint16_t>(ip_len + tcp_len));
    SetBe16(&pkt, 4, spec.ip_id);
    SetBe16(&pkt, 6, 0x4000);  // don't fragment
    pkt[8] = static_cast<char>(spec.ttl);
    pkt[9] = 6;
    std::memcpy(&pkt[12], spec.src.addr.bytes.data(), 4);
    std::memcpy(&pkt[16], spec.dst.addr.bytes.data(), 4);
    SetBe16(&pkt, 10, InternetChecksum(absl::string_view(pkt.data(), 20)));
  } else {
    pkt[0] = 0x60;
    SetBe16(&pkt, 4, static_cast<uint16_t>(tcp_len));
    pkt[6] = 6;
    pkt[7] = static_cast<char>(spec.ttl);
    std::memcpy(&pkt[8], spec.src.addr.bytes.data(), 16);
    std::memcpy(&pkt[24], spec.dst.addr.bytes.data(), 16);
  }

  const size_t t = ip_len;
  SetBe16(&pkt, t, spec.src.port);
  SetBe16(&pkt, t + 2, spec.dst.port);
  SetBe32(&pkt, t + 4, spec.seq);
  SetBe32(&pkt, t + 8, spec.ack);
  pkt[t + 12] = 0x50;
  pkt[t + 13] = static_cast<char>(spec.flags);
  SetBe16(&pkt, t + 14, spec.window);

  // Pseudo-header: addresses, protocol, TCP length.
  uint32_t sum = SumWords(AddressBytes(spec.src.addr), 0);
  sum = SumWords(AddressBytes(spec.dst.addr), sum);
  sum += 6;
  sum += static_cast<uint32_t>(tcp_len & 0xffff) + static_cast<uint32_t>(tcp_len >> 16);
  SetBe16(&pkt, t + 16, InternetChecksum(absl::string_view(pkt).substr(t), sum));
  return pkt;
}

std::string BuildEthernetFrame(absl::string_view ip, const std::vector<uint16_t>& vlan_ids,
                               uint16_t outer_tpid) {
  std::string frame;
  frame.append("\x02\x00\x00\x00\x00\x02", 6);  // destination
  frame.append("\x02\x00\x00\x00\x00\x01", 6);  // source
  for (size_t i = 0; i < vlan_ids.size(); ++i) {
    const uint16_t tpid = (i == 0 && vlan_ids.size() > 1) ? outer_tpid : 0x8100;
    frame.append(2, '\0');
    SetBe16(&frame, frame.size() - 2, tpid);
    frame.append(2, '\0');
    SetBe16(&frame, frame.size() - 2, vlan_ids[i] & 0x0fff);
  }
  const bool v6 = !ip.empty() && (static_cast<uint8_t>(ip[0]) >> 4) == 6;
  frame.append(v6 ? "\x86\xdd" : "\x08\x00", 2);
  frame.append(ip.data(), ip.size());
  if (frame.size() < 60) frame.resize(60, '\0');
  return frame;
}

std::vector<std::string> FragmentIpv4(absl::string_view datagram, size_t max_data) {
  std::vector<std::string> out;
  if (datagram.size() < 20) return out;
  const size_t header_len = size_t{static_cast<uint8_t>(datagram[0]) & 0x0fu} * 4;
  if (header_len < 20 || header_len > datagram.size()) return out;
  const absl::string_view header = datagram.substr(0, header_len);
  const absl::string_view data = datagram.substr(header_len);
  const size_t step = std::max<size_t>(8, max_data / 8 * 8);
  for (size_t off = 0; off < data.size() || (off == 0 && data.empty()); off += step) {
    const absl::string_view part = data.substr(off, step);
    std::string frag(header);
    frag.append(part.data(), part.size());
    SetBe16(&frag, 2, static_cast<uint16_t>(frag.size()));
    const bool more = off + part.size() < data.size();
    SetBe16(&frag, 6, static_cast<uint16_t>((more ? 0x2000 : 0) | (off / 8)));
    SetBe16(&frag, 10, 0);
    SetBe16(&frag, 10, InternetChecksum(absl::string_view(frag).substr(0, header_len)));
    out.push_back(std::move(frag));
    if (data.empty()) break;
  }
  return out;
}

std::vector<std::string> FragmentIpv6(absl::string_view datagram, size_t max_data,
                                      uint32_t id) {
  std::vector<std::string> out;
  if (datagram.size() < 40) return out;
  const uint8_t next_header = static_cast<uint8_t>(datagram[6]);
  const absl::string_view data = datagram.substr(40);
  const size_t step = std::max<size_t>(8, max_data / 8 * 8);
  for (size_t off = 0; off < data.size() || (off == 0 && data.empty()); off += step) {
    const absl::string_view part = data.substr(off, step);
    const bool more = off + part.size() < data.size();
    std::string frag(datagram.substr(0, 40));
    frag[6] = 44;
    std::string fh(8, '\0');
    fh[0] = static_cast<char>(next_header);
    SetBe16(&fh, 2, static_cast<uint16_t>(off | (more ? 1 : 0)));
    SetBe32(&fh, 4, id);
    frag += fh;
    frag.append(part.data(), part.size());
    SetBe16(&frag, 4, static_cast<uint16_t>(frag.size() - 40));
    out.push_back(std::move(frag));
    if (data.empty()) break;
  }
  return out;
}

}  // namespace tcpfollow
