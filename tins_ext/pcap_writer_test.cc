// Tests for pcap_writer.h: file and record layout, timestamp precision, snaplen, write
// errors, checksums of synthetic packets, and the fragmentation helpers. References from
// outside: libpcap reads back what PcapWriter (libpcap's dumper) wrote; libtins
// (testing/packets.h) builds the same TCP packets and Ethernet frames as BuildTcpPacket and
// BuildEthernetFrame, byte for byte.
#include "tins_ext/pcap_writer.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>
#include <pcap/pcap.h>

#include "testing/packets.h"
#include "tins_ext/decode.h"

namespace tcpfollow {
namespace {

uint32_t Le32At(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(s[at + i]);
  return v;
}

TcpPacketSpec Spec(const char* src, const char* dst, absl::string_view payload) {
  TcpPacketSpec s;
  s.src = {IpAddress::FromString(src), 5555};
  s.dst = {IpAddress::FromString(dst), 25};
  s.seq = 0x01020304;
  s.ack = 0x0a0b0c0d;
  s.payload = payload;
  return s;
}

std::string ReadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f != nullptr);
  std::string bytes;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) bytes.append(buf, n);
  std::fclose(f);
  return bytes;
}

// What PcapWriter writes for `records` (time, data, wire length) in `format`.
std::string Written(const PcapFormat& format,
                    const std::vector<std::tuple<absl::Time, std::string, uint32_t>>& records) {
  const std::string path = testing::TempPath("layout_test.pcap");
  auto w = PcapWriter::Open(path, format);
  REQUIRE(w.ok());
  for (const auto& [ts, data, wire] : records) REQUIRE((*w)->Write(ts, data, wire).ok());
  REQUIRE((*w)->Close().ok());
  return ReadFile(path);
}

TEST_CASE("PcapWriter: header and records in micro- and nanoseconds", "[pcap_writer]") {
  const absl::Time ts = absl::FromUnixNanos(1700000000123456789);
  for (bool nano : {false, true}) {
    PcapFormat format;
    format.nanosecond = nano;
    format.link_type = 12;  // DLT_RAW is written as LINKTYPE_RAW
    const std::string file = Written(format, {{ts, "abc", 0}});
    REQUIRE(file.size() == 24 + 16 + 3);
    CHECK(Le32At(file, 0) == (nano ? 0xa1b23c4du : 0xa1b2c3d4u));
    CHECK(Le32At(file, 16) == 262144);
    CHECK(Le32At(file, 20) == 101);
    CHECK(Le32At(file, 24) == 1700000000u);
    CHECK(Le32At(file, 28) == (nano ? 123456789u : 123456u));
    CHECK(Le32At(file, 32) == 3);
    CHECK(Le32At(file, 36) == 3);
    CHECK(file.substr(40) == "abc");
  }
}

TEST_CASE("PcapWriter: snaplen cuts data and keeps the wire length", "[pcap_writer]") {
  PcapFormat format;
  format.snaplen = 4;
  const std::string out =
      Written(format, {{absl::UnixEpoch(), "abcdefgh", 0}, {absl::UnixEpoch(), "ab", 1500}});
  CHECK(Le32At(out, 24 + 8) == 4);
  CHECK(Le32At(out, 24 + 12) == 8);
  CHECK(out.substr(24 + 16, 4) == "abcd");
  CHECK(Le32At(out, 24 + 20 + 12) == 1500);
}

TEST_CASE("PcapWriter: open and write errors are reported", "[pcap_writer]") {
  auto missing_dir = PcapWriter::Open("/nonexistent-dir/x.pcap", PcapFormat());
  REQUIRE_FALSE(missing_dir.ok());
  CHECK(missing_dir.status().message().find("/nonexistent-dir/x.pcap") != std::string::npos);

  auto full = PcapWriter::Open("/dev/full", PcapFormat());
  REQUIRE(full.ok());
  const std::string big(1 << 16, 'x');
  absl::Status st;
  for (int i = 0; i < 4 && st.ok(); ++i) st = (*full)->Write(absl::UnixEpoch(), big);
  if (st.ok()) st = (*full)->Close();
  CHECK_FALSE(st.ok());
  CHECK_FALSE((*full)->Write(absl::UnixEpoch(), "y").ok());  // the error sticks
}

TEST_CASE("PcapWriter: writes a file record by record", "[pcap_writer]") {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(tmp ? tmp : "/tmp") + "/writer_test.pcap";
  auto w = PcapWriter::Open(path, PcapFormat());
  REQUIRE(w.ok());
  REQUIRE((*w)->Write(absl::FromUnixSeconds(1), "one").ok());
  REQUIRE((*w)->Write(absl::FromUnixSeconds(2), "two").ok());
  CHECK((*w)->packets_written() == 2);
  REQUIRE((*w)->Close().ok());
  CHECK_FALSE((*w)->Write(absl::FromUnixSeconds(3), "three").ok());
  std::FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE(f != nullptr);
  std::string bytes(200, '\0');
  bytes.resize(std::fread(&bytes[0], 1, bytes.size(), f));
  std::fclose(f);
  // The test helper writes the same bytes through libpcap's dumper on a memory stream.
  testing::PcapBytes expect;
  expect.Add(absl::FromUnixSeconds(1), "one").Add(absl::FromUnixSeconds(2), "two");
  CHECK(bytes == expect.bytes());
}

TEST_CASE("PcapWriter: libpcap reads back what it wrote", "[pcap_writer]") {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(tmp ? tmp : "/tmp") + "/dumper_test.pcap";
  const std::string big(300, 'z');
  const absl::Time times[] = {absl::FromUnixNanos(1700000000123456789),
                              absl::FromUnixNanos(-1500000001), absl::UnixEpoch()};
  for (bool nano : {false, true}) {
    for (uint32_t link : {uint32_t{1}, uint32_t{12}, uint32_t{101}}) {
      PcapFormat format;
      format.nanosecond = nano;
      format.link_type = link;
      format.snaplen = 128;
      auto w = PcapWriter::Open(path, format);
      REQUIRE(w.ok());
      for (const absl::Time ts : times) {
        REQUIRE((*w)->Write(ts, "short").ok());
        REQUIRE((*w)->Write(ts, big, 1500).ok());  // cut to the snaplen, wire length kept
      }
      REQUIRE((*w)->Close().ok());

      // And libpcap reads it back as written.
      char err[PCAP_ERRBUF_SIZE];
      pcap_t* p = pcap_open_offline_with_tstamp_precision(
          path.c_str(), nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO, err);
      REQUIRE(p != nullptr);
      CHECK(pcap_datalink(p) == (link == 1 ? DLT_EN10MB : DLT_RAW));
      CHECK(pcap_snapshot(p) == 128);
      pcap_pkthdr* h;
      const u_char* data;
      int records = 0;
      while (pcap_next_ex(p, &h, &data) == 1) {
        const absl::Time ts = times[records / 2];
        const bool small = records % 2 == 0;
        const int64_t units = nano ? absl::ToUnixNanos(ts) : absl::ToUnixMicros(ts);
        const int64_t per = nano ? 1000000000 : 1000000;
        CHECK(int64_t{h->ts.tv_sec} * per + h->ts.tv_usec == units);
        CHECK(h->caplen == (small ? 5u : 128u));
        CHECK(h->len == (small ? 5u : 1500u));
        CHECK(std::string(reinterpret_cast<const char*>(data), h->caplen) ==
              (small ? std::string("short") : big.substr(0, 128)));
        ++records;
      }
      CHECK(records == 6);
      pcap_close(p);
    }
  }
}

TEST_CASE("PcapWriter: BuildTcpPacket gives the bytes libtins builds", "[pcap_writer]") {
  for (const char* payload : {"", "a", "odd length payload!", "even length payload!"}) {
    for (auto [src, dst] : {std::pair{"10.1.2.3", "10.3.2.1"},
                            std::pair{"2001:db8::1", "2001:db8::2"}}) {
      TcpPacketSpec spec = Spec(src, dst, payload);
      for (uint8_t flags : {tcp_flags::kSyn, uint8_t{tcp_flags::kSyn | tcp_flags::kAck},
                            uint8_t{tcp_flags::kFin | tcp_flags::kAck}, tcp_flags::kAck}) {
        spec.flags = flags;
        spec.ip_id = 0x1234;
        CHECK(BuildTcpPacket(spec) == testing::TcpPacket(spec));
      }
    }
  }
}

TEST_CASE("PcapWriter: BuildEthernetFrame gives the frames libtins builds", "[pcap_writer]") {
  for (const std::string& payload : {std::string(), std::string(100, 'x')}) {
    for (auto [src, dst] : {std::pair{"10.1.2.3", "10.3.2.1"},
                            std::pair{"2001:db8::1", "2001:db8::2"}}) {
      const std::string ip = BuildTcpPacket(Spec(src, dst, payload));
      INFO(src << " payload " << payload.size());
      CHECK(BuildEthernetFrame(ip) == testing::EthernetFrame(ip));
      CHECK(BuildEthernetFrame(ip, {42}) == testing::EthernetFrame(ip, {42}));
      CHECK(BuildEthernetFrame(ip, {5, 4095}, 0x88a8) ==
            testing::EthernetFrame(ip, {5, 4095}, 0x88a8));
    }
  }
}

TEST_CASE("PcapWriter: internet checksum matches RFC 1071's example", "[pcap_writer]") {
  const std::string data("\x00\x01\xf2\x03\xf4\xf5\xf6\xf7", 8);
  CHECK(InternetChecksum(data) == 0x220d);
  CHECK(InternetChecksum(std::string("\x00\x01\xf2", 3)) == static_cast<uint16_t>(~0xf201 & 0xffff));
}

// Sums the TCP pseudo-header and segment; a correct checksum makes this 0.
uint16_t VerifyTcp(const IpPacket& p) {
  std::string pseudo(reinterpret_cast<const char*>(p.src.bytes.data()), p.src.size());
  pseudo.append(reinterpret_cast<const char*>(p.dst.bytes.data()), p.dst.size());
  pseudo += std::string("\x00\x06", 2);
  pseudo.push_back(static_cast<char>(p.payload.size() >> 8));
  pseudo.push_back(static_cast<char>(p.payload.size() & 0xff));
  pseudo.append(p.payload.data(), p.payload.size());
  return InternetChecksum(pseudo);
}

TEST_CASE("PcapWriter: synthetic TCP packets carry correct checksums", "[pcap_writer]") {
  for (const char* payload : {"", "a", "odd length payload!", "even length payload!"}) {
    for (auto [src, dst] : {std::pair{"10.1.2.3", "10.3.2.1"}, std::pair{"fe80::1", "ff02::fb"}}) {
      const TcpPacketSpec spec = Spec(src, dst, payload);
      const std::string pkt = BuildTcpPacket(spec);
      IpPacket p;
      REQUIRE(DecodeIp(pkt, 0, &p) == DecodeError::kOk);
      if (p.version == 4) CHECK(InternetChecksum(pkt.substr(0, 20)) == 0);
      CHECK(VerifyTcp(p) == 0);
      TcpSegment seg;
      REQUIRE(DecodeTcp(p, absl::Time(), &seg) == DecodeError::kOk);
      CHECK(seg.seq == spec.seq);
      CHECK(seg.ack == spec.ack);
      CHECK(seg.payload == payload);
    }
  }
}

TEST_CASE("PcapWriter: fragments put back together give the datagram's payload", "[pcap_writer]") {
  std::string payload;
  for (int i = 0; i < 300; ++i) payload.push_back(static_cast<char>('a' + i % 26));
  for (const char* src : {"192.0.2.1", "2001:db8::7"}) {
    const std::string dst = src[0] == '1' ? "192.0.2.2" : "2001:db8::8";
    const std::string pkt = BuildTcpPacket(Spec(src, dst.c_str(), payload));
    const size_t header = src[0] == '1' ? 20 : 40;
    for (size_t max : {1u, 8u, 100u, 1000u}) {
      const std::vector<std::string> frags =
          header == 20 ? FragmentIpv4(pkt, max) : FragmentIpv6(pkt, max, 77);
      REQUIRE_FALSE(frags.empty());
      std::string joined;
      for (const std::string& f : frags) {
        IpPacket p;
        REQUIRE(DecodeIp(f, 0, &p) == DecodeError::kOk);
        CHECK(p.frag_offset == joined.size());
        if (header == 20) CHECK(InternetChecksum(f.substr(0, 20)) == 0);
        joined.append(p.payload.data(), p.payload.size());
      }
      CHECK(joined == pkt.substr(header));
      const size_t step = std::max<size_t>(8, max / 8 * 8);
      CHECK(frags.size() == (pkt.size() - header + step - 1) / step);
    }
  }
}

}  // namespace
}  // namespace tcpfollow
