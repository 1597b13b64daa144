// Tests for the input formats of capture_source.h beyond plain classic pcap: compressed
// files and standard input (gzip, zstd, xz; cut and corrupted streams), damaged files (cut
// records, impossible lengths: read up to the damage, which is named with its offset),
// files that are not captures, and pcapng as our block reader reads it (interfaces with
// their own link types, snapshot lengths, if_tsresol and if_tsoffset; EPB, SPB and the
// obsolete PB; Decryption Secrets Blocks; unknown blocks; byte-swapped and several sections).
// Packets and files come from testing/packets.h (libtins; libpcap's dumper; pcapng blocks).
#include <fcntl.h>
#include <lzma.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <pcap/pcap.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "testing/packets.h"
#include "tins_ext/byte_source.h"
#include "tins_ext/capture_source.h"
#include "tins_ext/decode.h"

namespace tcpfollow {
namespace {

using testing::NumberedPacket;
using testing::NumberedPcap;
using testing::Pcapng;
using testing::TempPath;
using testing::WriteFile;

std::string Gzip(const std::string& in) {
  z_stream z = {};
  REQUIRE(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, in.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// With a content checksum, as the zstd tool writes by default.
std::string Zstd(const std::string& in) {
  std::string out(ZSTD_compressBound(in.size()), '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  const size_t n = ZSTD_compress2(cctx, out.data(), out.size(), in.data(), in.size());
  ZSTD_freeCCtx(cctx);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::string Xz(const std::string& in) {
  std::string out(lzma_stream_buffer_bound(in.size()), '\0');
  size_t pos = 0;
  REQUIRE(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr,
                                  reinterpret_cast<const uint8_t*>(in.data()), in.size(),
                                  reinterpret_cast<uint8_t*>(out.data()), &pos,
                                  out.size()) == LZMA_OK);
  out.resize(pos);
  return out;
}

struct Read {
  bool opened = false;
  std::string open_error;
  std::vector<std::string> packets;
  std::vector<absl::Time> times;
  std::vector<int> link_types;
  std::optional<CaptureDamage> damage;
  bool truncated = false;
  CaptureStats stats;
  CaptureFormat format;
  uint64_t bytes_read = 0, total_bytes = 0;
};

Read ReadSource(absl::StatusOr<std::unique_ptr<CaptureSource>> src) {
  Read r;
  r.opened = src.ok();
  if (!src.ok()) {
    r.open_error = std::string(src.status().message());
    return r;
  }
  RawPacket p;
  while (true) {
    auto more = (*src)->Next(&p);
    REQUIRE(more.ok());
    if (!*more) break;
    r.packets.emplace_back(reinterpret_cast<const char*>(p.data), p.caplen);
    r.times.push_back(p.ts);
    r.link_types.push_back(p.link_type);
  }
  r.damage = (*src)->damage();
  r.truncated = (*src)->truncated();
  r.stats = (*src)->stats();
  r.format = (*src)->format();
  r.bytes_read = (*src)->bytes_read();
  r.total_bytes = (*src)->total_bytes();
  return r;
}

Read ReadBytes(const std::string& bytes, FileReader reader = FileReader::kAuto) {
  return ReadSource(OpenCaptureBytes(bytes, "test", "", reader));
}

TEST_CASE("Capture: gzip, zstd and xz files read like the plain file", "[capture][compressed]") {
  const std::string plain = NumberedPcap(300);
  const Read want = ReadBytes(plain);
  REQUIRE(want.packets.size() == 300);
  struct Case {
    Compression c;
    std::string bytes;
  };
  const std::vector<Case> cases = {{Compression::kGzip, Gzip(plain)},
                                   {Compression::kZstd, Zstd(plain)},
                                   {Compression::kXz, Xz(plain)},
                                   {Compression::kGzip, Gzip(plain.substr(0, 5000)) +
                                                            Gzip(plain.substr(5000))}};
  for (const Case& c : cases) {
    INFO(CompressionName(c.c));
    CHECK(DetectCompression(c.bytes) == c.c);
    const std::string path = TempPath("compressed.bin");  // the name says nothing
    WriteFile(path, c.bytes);
    for (FileReader reader : {FileReader::kAuto, FileReader::kLibpcap}) {
      const Read r = ReadSource(OpenCaptureFile(path, "", reader));
      REQUIRE(r.opened);
      CHECK(r.packets == want.packets);
      CHECK(r.times == want.times);
      CHECK_FALSE(r.damage.has_value());
      CHECK(r.format.compression == c.c);
      CHECK(r.total_bytes == c.bytes.size());  // progress: compressed bytes of the file
      CHECK(r.bytes_read == c.bytes.size());
    }
  }
}

TEST_CASE("Capture: compressed standard input", "[capture][compressed]") {
  const std::string plain = NumberedPcap(50);
  const std::string path = TempPath("stdin.pcap.zst");
  WriteFile(path, Zstd(plain));
  // A pipe, not a file: nothing can be read twice or sought.
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const std::string z = Zstd(plain);
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    size_t done = 0;
    while (done < z.size()) {
      const ssize_t n = write(fds[1], z.data() + done, z.size() - done);
      if (n <= 0) _exit(1);
      done += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  const int saved = dup(0);
  REQUIRE(dup2(fds[0], 0) == 0);
  close(fds[0]);
  const Read r = ReadSource(OpenCaptureFile("-", ""));
  dup2(saved, 0);
  close(saved);
  REQUIRE(r.opened);
  CHECK(r.packets.size() == 50);
  CHECK(r.total_bytes == 0);  // a pipe has no size
  CHECK(r.format.compression == Compression::kZstd);
}

TEST_CASE("Capture: a compressed file cut or corrupted is read up to the damage",
          "[capture][compressed]") {
  // Large enough for several compressed blocks (zstd's are up to 128 KiB).
  std::vector<size_t> ends;
  const std::string plain = NumberedPcap(2000, &ends);
  const Read whole = ReadBytes(plain);
  for (const std::string& z : {Gzip(plain), Zstd(plain), Xz(plain)}) {
    const Compression c = DetectCompression(z);
    INFO(CompressionName(c));
    // Cut in the middle of the compressed data: some packets, then truncation.
    const Read cut = ReadBytes(z.substr(0, z.size() / 2));
    REQUIRE(cut.opened);
    CHECK(cut.packets.size() > 100);
    CHECK(cut.packets.size() < 2000);
    REQUIRE(cut.damage.has_value());
    CHECK(cut.truncated);
    // Cut just before the end marker / checksum: most packets (zstd loses its last block),
    // then truncation.
    const Read tail = ReadBytes(z.substr(0, z.size() - 2));
    CHECK(tail.packets.size() > 1500);
    CHECK(tail.damage.has_value());
    // A damaged byte in the middle: the packets before it, then damage naming the compression.
    std::string bad = z;
    for (size_t i = bad.size() / 2; i < bad.size() / 2 + 64; ++i) bad[i] ^= 0x5a;
    const Read corrupt = ReadBytes(bad);
    INFO(corrupt.open_error);
    REQUIRE(corrupt.opened);
    CHECK(corrupt.packets.size() < 2000);
    REQUIRE(corrupt.damage.has_value());
    // The bytes well before the damage are exact (a damaged block's own bytes may be handed
    // out before its checksum fails).
    REQUIRE(corrupt.packets.size() > 100);
    for (size_t i = 0; i < 100; ++i) REQUIRE(corrupt.packets[i] == whole.packets[i]);
  }
}

TEST_CASE("Capture: damaged classic pcap: impossible length, cut record", "[capture][damage]") {
  std::vector<size_t> ends;
  std::string file = NumberedPcap(10, &ends);
  // Record 5's caplen becomes 0x7fffffff.
  std::string bad = file;
  const size_t at = ends[4];
  bad[at + 8] = '\xff';
  bad[at + 9] = '\xff';
  bad[at + 10] = '\xff';
  bad[at + 11] = '\x7f';
  for (FileReader reader : {FileReader::kAuto, FileReader::kLibpcap}) {
    const Read r = ReadBytes(bad, reader);
    REQUIRE(r.opened);
    CHECK(r.packets.size() == 5);
    REQUIRE(r.damage.has_value());
    CHECK_FALSE(r.truncated);
    if (reader == FileReader::kAuto) {
      CHECK(r.damage->offset == at);
      CHECK(r.damage->problem == "record length 2147483647 is impossible (more than 262144)");
    }
  }
  const Read cut = ReadBytes(file.substr(0, ends[6] + 20));
  CHECK(cut.packets.size() == 7);
  REQUIRE(cut.damage.has_value());
  CHECK(cut.truncated);
  CHECK(cut.damage->offset == ends[6]);
  CHECK(cut.damage->problem.find("ends inside a record") != std::string::npos);
}

TEST_CASE("Capture: what is not a capture is one line naming it", "[capture][damage]") {
  for (const std::string& bytes : {std::string("<!DOCTYPE html>\n<html>"), std::string("ab"),
                                   std::string(), Gzip("just text, compressed\n")}) {
    const Read r = ReadBytes(bytes);
    REQUIRE_FALSE(r.opened);
    CHECK(r.open_error.find("test") != std::string::npos);
    CHECK(r.open_error.find('\n') == std::string::npos);
  }
  CHECK(ReadBytes("<!DOCTYPE html>").open_error ==
        "cannot read capture test: not a pcap or pcapng file (it starts with 3c 21 44 4f 43 54 "
        "59 50)");
  CHECK(ReadBytes(Gzip("hello")).open_error.find("gzip-compressed") != std::string::npos);
}

TEST_CASE("Capture: pcapng interfaces each with their own link type, snaplen and clock",
          "[capture][pcapng]") {
  const std::string ip = NumberedPacket(1), ip2 = NumberedPacket(2, 443);
  const std::string eth = testing::EthernetFrame(ip2);
  std::string sll(16, '\0');
  sll[14] = 0x08;  // protocol IPv4
  sll += NumberedPacket(3);
  const std::string swapped_eth = testing::EthernetFrame(NumberedPacket(4));
  for (bool swapped : {false, true}) {
    INFO("swapped " << swapped);
    Pcapng f(swapped);
    f.Section(swapped)
        .Interface(101, 0)                       // raw IP, µs (default), snaplen 0 = maximum
        .Interface(1, 64, 9)                     // Ethernet, ns, snaplen 64
        .Interface(113, 262144, 0x80 | 20, 100)  // SLL, 2^-20 s, offset +100 s
        .Dsb(0x544c534b, "CLIENT_RANDOM 00 11\n")
        .Block(0x0bad, std::string(8, 'x'))  // unknown: skipped
        .Epb(0, 1600000000123456ull, ip)
        .Epb(1, 1600000000123456789ull, eth)
        .Epb(2, (uint64_t{1600000000} << 20) | (1 << 19), sll)  // .5 s
        .Spb(ip)
        .Pb(1, 1700000000000000001ull, eth)
        .Section(!swapped)  // a second section in the other byte order, own interfaces
        .Interface(1, 0)
        .Epb(0, 1500000000000001ull, swapped_eth);
    for (bool with_handler : {false, true}) {
      auto src = OpenCaptureBytes(f.bytes(), "multi.pcapng", "");
      REQUIRE(src.ok());
      std::vector<std::string> secrets;
      if (with_handler) {  // set after open: blocks read while opening are handed over too
        (*src)->set_secrets_handler([&](const DecryptionSecrets& s) {
          CHECK(s.type == 0x544c534b);
          secrets.emplace_back(s.data);
        });
      }
      CHECK((*src)->link_type() == DLT_RAW);
      const Read r = ReadSource(std::move(src));
      if (with_handler) CHECK(secrets == std::vector<std::string>{"CLIENT_RANDOM 00 11\n"});
      CHECK_FALSE(r.damage.has_value());
      REQUIRE(r.packets.size() == 6);
      CHECK(r.link_types == std::vector<int>{DLT_RAW, DLT_EN10MB, DLT_LINUX_SLL, DLT_RAW,
                                             DLT_EN10MB, DLT_EN10MB});
      CHECK(r.packets[0] == ip);
      CHECK(r.packets[1] == eth);  // longer than the interface's snaplen: kept, as Wireshark does
      CHECK(r.packets[2] == sll);
      CHECK(r.packets[3] == ip);
      CHECK(r.packets[5] == swapped_eth);
      CHECK(r.times[0] == absl::FromUnixNanos(1600000000123456000));
      CHECK(r.times[1] == absl::FromUnixNanos(1600000000123456789));
      CHECK(r.times[2] == absl::FromUnixNanos(1600000100500000000));
      CHECK(r.times[4] == absl::FromUnixNanos(1700000000000000001));
      CHECK(r.times[5] == absl::FromUnixNanos(1500000000000001000));
      CHECK(r.stats.sections == 2);
      CHECK(r.stats.interfaces == 4);
      CHECK(r.stats.secrets_blocks == 1);
      CHECK(r.stats.skipped_blocks == 1);
      CHECK(r.format.container == "pcapng");
      for (size_t i = 0; i < r.packets.size(); ++i) {
        IpPacket decoded;
        CHECK(DecodeFrame(r.link_types[i], r.packets[i], &decoded) == DecodeError::kOk);
      }
    }
    // A filter is compiled per link type.
    const Read filtered = ReadSource(OpenCaptureBytes(f.bytes(), "multi.pcapng", "tcp port 443"));
    CHECK(filtered.packets.size() == 2);
  }
}

TEST_CASE("Capture: damaged pcapng is read up to the damage", "[capture][pcapng][damage]") {
  const std::string ip = NumberedPacket(1);
  auto base = [&] {
    Pcapng f;
    f.Section(false).Interface(101, 0).Epb(0, 1, ip).Epb(0, 2, ip);
    return f;
  };
  {
    Pcapng f = base();
    f.Epb(3, 3, ip);  // no such interface
    const Read r = ReadBytes(f.bytes());
    CHECK(r.packets.size() == 2);
    REQUIRE(r.damage.has_value());
    CHECK(r.damage->offset == f.block_offset(4));
    CHECK(r.damage->problem == "packet on interface 3, which has no interface description");
  }
  {
    Pcapng f = base();
    f.Epb(0, 3, ip, 100000);  // caplen past the block
    const Read r = ReadBytes(f.bytes());
    CHECK(r.packets.size() == 2);
    REQUIRE(r.damage.has_value());
    CHECK(r.damage->problem == "packet length 100000 runs past its block");
  }
  {
    Pcapng f = base();
    std::string bytes = f.bytes() + std::string("\x06\0\0\0\x0d\0\0\0", 8);  // length 13
    const Read r = ReadBytes(bytes);
    CHECK(r.packets.size() == 2);
    REQUIRE(r.damage.has_value());
    CHECK(r.damage->offset == f.bytes().size());
    CHECK(r.damage->problem == "block length 13 is impossible (not a multiple of 4)");
  }
  {
    Pcapng f = base();
    f.Epb(0, 3, ip);
    for (size_t cut = f.block_offset(4) + 1; cut < f.bytes().size(); cut += 7) {
      const Read r = ReadBytes(f.bytes().substr(0, cut));
      CHECK(r.packets.size() == 2);
      CHECK(r.truncated);
      REQUIRE(r.damage.has_value());
      CHECK(r.damage->offset == f.block_offset(4));
    }
  }
  {
    Pcapng f;
    f.Section(false).Interface(101, 0, 30);  // if_tsresol 10^-30
    const Read r = ReadBytes(f.bytes());
    REQUIRE(r.damage.has_value());
    CHECK(r.damage->problem == "if_tsresol 10^-30 is impossible");
  }
}

TEST_CASE("Capture: a large unknown pcapng block is skipped without holding it",
          "[capture][pcapng]") {
  CaptureLimits limits;
  limits.max_block_bytes = 4096;
  Pcapng f;
  f.Section(false).Interface(101, 0).Block(0x40000bad, std::string(100000, 'u')).Epb(0, 1, NumberedPacket(1));
  const Read r = ReadSource(OpenCaptureBytes(f.bytes(), "big", "", FileReader::kAuto, limits));
  CHECK(r.packets.size() == 1);
  CHECK(r.stats.skipped_blocks == 1);
  CHECK_FALSE(r.damage.has_value());
  // Just over the limit for a packet block: damage; just under: read.
  for (size_t payload : {4096 - 32 - 4, 4096 - 32 + 4}) {
    Pcapng g;
    g.Section(false).Interface(101, 0).Epb(0, 1, std::string(payload, 'p'));
    const Read p = ReadSource(OpenCaptureBytes(g.bytes(), "big", "", FileReader::kAuto, limits));
    CHECK(p.packets.size() == (payload < 4096 - 32 ? 1u : 0u));
    CHECK(p.damage.has_value() == (payload >= 4096 - 32));
  }
}

TEST_CASE("Capture: single-interface pcapng reads as libpcap reads it", "[capture][pcapng]") {
  for (bool swapped : {false, true}) {
    for (uint8_t resol : {0xff, 3, 6, 9, 12, 0x80 | 10, 0x80 | 30}) {
      Pcapng f(swapped);
      f.Section(swapped).Interface(1, resol == 6 ? 0 : 1000, resol, resol == 9 ? -5 : 7);
      for (int i = 0; i < 5; ++i) {
        f.Epb(0, 1600000000123456789ull / (i + 1), testing::EthernetFrame(NumberedPacket(i)));
      }
      f.Spb(testing::EthernetFrame(NumberedPacket(9)));
      f.Pb(0, 77, testing::EthernetFrame(NumberedPacket(8)));
      const Read ours = ReadBytes(f.bytes());
      const Read lib = ReadBytes(f.bytes(), FileReader::kLibpcap);
      INFO("swapped " << swapped << " resol " << int{resol});
      REQUIRE(lib.opened);
      CHECK(ours.packets == lib.packets);
      CHECK(ours.times == lib.times);
      CHECK(ours.link_types == lib.link_types);
      CHECK_FALSE(ours.damage.has_value());
    }
  }
}

}  // namespace
}  // namespace tcpfollow

namespace tcpfollow {
namespace {

// fuzz/capture_reader_fuzz finding: an xz stream cut exactly at a record boundary read as a
// clean end through libpcap but as truncated through our reader; both now say truncated.
TEST_CASE("Capture: regression: a compressed stream cut at a record boundary is truncated",
          "[capture][compressed]") {
  std::vector<size_t> ends;
  const std::string plain = NumberedPcap(50, &ends);
  for (const std::string& z : {Gzip(plain), Xz(plain), Zstd(plain)}) {
    // One byte short: every record may be there, but the stream's end marker is not.
    for (FileReader reader : {FileReader::kAuto, FileReader::kLibpcap}) {
      const Read r = ReadBytes(z.substr(0, z.size() - 1), reader);
      REQUIRE(r.opened);
      CHECK(r.truncated);
      CHECK(r.damage.has_value());
    }
  }
}

}  // namespace
}  // namespace tcpfollow
