// Tests for capture_source.h: pcap (µs and ns, written by libpcap's dumper) and pcapng files
// (testing/packets.h) read back, BPF filters, files cut at every byte of their last records, foreign and
// missing files, BreakLoop, a shared pcapng vector, files read in place that grow, shrink or
// are large, and a live capture on loopback (timer ticks, filters, -Z) when the test may capture.
#include "tins_ext/capture_source.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"

#include "testing/packets.h"
#include "testing/paths.h"
#include "testing/resident.h"
#include "tins_ext/decode.h"

namespace tcpfollow {
namespace {

using testing::NumberedPacket;
using testing::NumberedTime;
using testing::PcapBytes;
using testing::TempPath;
using testing::WriteFile;

struct Read {
  std::vector<std::string> packets;
  std::vector<absl::Time> times;
  bool truncated = false;
  int link_type = -1;
};

Read ReadAll(const std::string& path, const std::string& bpf = "") {
  Read r;
  auto src = OpenCaptureFile(path, bpf);
  REQUIRE(src.ok());
  r.link_type = (*src)->link_type();
  RawPacket p;
  while (true) {
    auto more = (*src)->Next(&p);
    REQUIRE(more.ok());
    if (!*more) break;
    REQUIRE(p.data != nullptr);
    CHECK(p.link_type == r.link_type);
    r.packets.emplace_back(reinterpret_cast<const char*>(p.data), p.caplen);
    r.times.push_back(p.ts);
  }
  r.truncated = (*src)->truncated();
  CHECK((*src)->stats().packets == r.packets.size());
  return r;
}

TEST_CASE("Capture: pcap files in micro- and nanoseconds read back exactly", "[capture]") {
  for (bool nano : {false, true}) {
    for (uint32_t link : {PcapFormat::kLinkTypeRaw, PcapFormat::kLinkTypeEthernet}) {
      PcapFormat format;
      format.nanosecond = nano;
      format.link_type = link;
      PcapBytes file(format);
      std::vector<std::string> frames;
      for (int i = 0; i < 5; ++i) {
        frames.push_back(link == 1 ? testing::EthernetFrame(NumberedPacket(i)) : NumberedPacket(i));
        file.Add(NumberedTime(i), frames.back());
      }
      const std::string path = TempPath("rt.pcap");
      WriteFile(path, file.bytes());
      const Read r = ReadAll(path);
      CHECK(r.packets == frames);
      CHECK_FALSE(r.truncated);
      REQUIRE(r.times.size() == 5);
      for (int i = 0; i < 5; ++i) {
        const absl::Duration precision = nano ? absl::Nanoseconds(1) : absl::Microseconds(1);
        CHECK(r.times[i] == absl::Floor(NumberedTime(i) - absl::UnixEpoch(), precision) + absl::UnixEpoch());
        IpPacket ip;
        CHECK(DecodeFrame(r.link_type, r.packets[i], &ip) == DecodeError::kOk);
      }
    }
  }
}

TEST_CASE("Capture: progress counts bytes up to the file size", "[capture]") {
  PcapBytes pcap;
  for (int i = 0; i < 100; ++i) pcap.Add(NumberedTime(i), NumberedPacket(i));
  const std::string file = pcap.bytes();
  const std::string path = TempPath("progress.pcap");
  WriteFile(path, file);
  auto src = OpenCaptureFile(path, "");
  REQUIRE(src.ok());
  CHECK((*src)->total_bytes() == file.size());
  RawPacket p;
  uint64_t last = 0;
  while (*(*src)->Next(&p)) {
    CHECK((*src)->bytes_read() >= last);
    last = (*src)->bytes_read();
  }
  CHECK((*src)->bytes_read() == file.size());
}

TEST_CASE("Capture: a BPF filter selects packets; a bad one is a clear error", "[capture]") {
  PcapBytes file;
  for (int i = 0; i < 6; ++i) file.Add(NumberedTime(i), NumberedPacket(i, i % 2 ? 443 : 80));
  const std::string path = TempPath("bpf.pcap");
  WriteFile(path, file.bytes());
  const Read r = ReadAll(path, "tcp dst port 443");
  REQUIRE(r.packets.size() == 3);
  for (const std::string& pkt : r.packets) {
    IpPacket ip;
    TcpSegment seg;
    REQUIRE(DecodeFrame(r.link_type, pkt, &ip) == DecodeError::kOk);
    REQUIRE(DecodeTcp(ip, absl::Time(), &seg) == DecodeError::kOk);
    CHECK(seg.dst.port == 443);
  }
  auto bad = OpenCaptureFile(path, "tcp port banana");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("tcp port banana") != std::string::npos);
}

TEST_CASE("Capture: a pcap cut at any byte returns every complete packet, then truncated",
          "[capture]") {
  PcapBytes pcap;
  for (int i = 0; i < 3; ++i) pcap.Add(NumberedTime(i), NumberedPacket(i + 3));
  const std::string file = pcap.bytes();
  const std::vector<size_t> ends = pcap.ends();
  const std::string path = TempPath("cut.pcap");
  for (size_t cut = 24; cut <= file.size(); ++cut) {
    WriteFile(path, file.substr(0, cut));
    const Read r = ReadAll(path);
    size_t complete = 0;
    while (complete < ends.size() && ends[complete] <= cut) ++complete;
    const bool at_boundary = cut == 24 || (complete > 0 && ends[complete - 1] == cut);
    INFO("cut at " << cut);
    CHECK(r.packets.size() == complete);
    CHECK(r.truncated == !at_boundary);
    if (cut == file.size() - 1) {  // after the end, Next keeps saying so
      auto src = OpenCaptureFile(path, "");
      REQUIRE(src.ok());
      RawPacket p;
      while (*(*src)->Next(&p)) {
      }
      auto again = (*src)->Next(&p);
      REQUIRE(again.ok());
      CHECK_FALSE(*again);
      CHECK((*src)->truncated());
    }
  }
}

// A minimal pcapng: section header, one raw-IP interface with nanosecond resolution, and
// one enhanced packet block per packet; `ends` gets where each packet block ends.
std::string Pcapng(const std::vector<std::string>& packets, std::vector<size_t>* ends) {
  testing::Pcapng f;
  f.Section(false).Interface(101, 262144, 9);
  for (size_t i = 0; i < packets.size(); ++i) {
    f.Epb(0, static_cast<uint64_t>(absl::ToUnixNanos(NumberedTime(static_cast<int>(i)))), packets[i]);
  }
  const std::vector<size_t> blocks = f.block_ends();
  ends->assign(blocks.begin() + 2, blocks.end());
  return f.bytes();
}

TEST_CASE("Capture: pcapng with nanosecond resolution, whole and cut", "[capture]") {
  std::vector<std::string> packets = {NumberedPacket(1), NumberedPacket(2), NumberedPacket(3)};
  std::vector<size_t> ends;
  const std::string file = Pcapng(packets, &ends);
  const std::string path = TempPath("hand.pcapng");
  WriteFile(path, file);
  const Read r = ReadAll(path);
  CHECK(r.packets == packets);
  CHECK_FALSE(r.truncated);
  REQUIRE(r.times.size() == 3);
  for (int i = 0; i < 3; ++i) CHECK(r.times[i] == NumberedTime(i));
  // Cut inside the last packet block.
  for (size_t cut = ends[1] + 1; cut < ends[2]; ++cut) {
    WriteFile(path, file.substr(0, cut));
    const Read c = ReadAll(path);
    INFO("cut at " << cut);
    CHECK(c.packets.size() == 2);
    CHECK(c.truncated);
  }
}

TEST_CASE("Capture: foreign, empty and missing files are clear errors", "[capture]") {
  const std::string text = TempPath("notes.txt");
  WriteFile(text, "this is not a capture file, just some text\n");
  auto foreign = OpenCaptureFile(text, "");
  REQUIRE_FALSE(foreign.ok());
  CHECK(foreign.status().message().find(text) != std::string::npos);
  CHECK(foreign.status().message().find('\n') == std::string::npos);

  const std::string empty = TempPath("empty.pcap");
  WriteFile(empty, "");
  CHECK_FALSE(OpenCaptureFile(empty, "").ok());

  auto missing = OpenCaptureFile(TempPath("no-such-file.pcap"), "");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().message().find("no-such-file.pcap") != std::string::npos);
}

TEST_CASE("Capture: \"-\" reads standard input", "[capture]") {
  PcapBytes pcap;
  for (int i = 0; i < 3; ++i) pcap.Add(NumberedTime(i), NumberedPacket(i));
  const std::string file = pcap.bytes();
  const std::string path = TempPath("stdin.pcap");
  WriteFile(path, file);
  const int saved = dup(0);
  const int fd = open(path.c_str(), O_RDONLY);
  REQUIRE(saved >= 0);
  REQUIRE(fd >= 0);
  REQUIRE(dup2(fd, 0) == 0);
  close(fd);
  std::clearerr(stdin);
  auto src = OpenCaptureFile("-", "");
  int packets = 0;
  std::string error;
  if (src.ok()) {
    RawPacket p;
    while (true) {
      auto more = (*src)->Next(&p);
      if (!more.ok() || !*more) break;
      ++packets;
    }
    CHECK((*src)->total_bytes() == file.size());  // a regular file on stdin has a size
    src->reset();
  } else {
    error = std::string(src.status().message());
  }
  dup2(saved, 0);
  close(saved);
  std::clearerr(stdin);
  INFO(error);
  REQUIRE(error.empty());
  CHECK(packets == 3);
}

TEST_CASE("Capture: BreakLoop ends a file early", "[capture]") {
  PcapBytes file;
  for (int i = 0; i < 4; ++i) file.Add(NumberedTime(i), NumberedPacket(i));
  const std::string path = TempPath("break.pcap");
  WriteFile(path, file.bytes());
  auto src = OpenCaptureFile(path, "");
  REQUIRE(src.ok());
  RawPacket p;
  REQUIRE(*(*src)->Next(&p));
  (*src)->BreakLoop();
  auto more = (*src)->Next(&p);
  REQUIRE(more.ok());
  CHECK_FALSE(*more);
  CHECK_FALSE((*src)->truncated());
}

TEST_CASE("Capture: the shared pcapng vector reads and decodes", "[capture][vectors]") {
  const std::string dir = testing::VectorsDir();
  if (dir.empty()) {
    WARN("shared vectors not found; skipping");
    return;
  }
  const Read r = ReadAll(dir + "/fq-tls/dump.pcapng");
  REQUIRE(r.packets.size() > 10);
  CHECK_FALSE(r.truncated);
  DecodeStats stats;
  for (const std::string& f : r.packets) {
    IpPacket ip;
    const DecodeError e = DecodeFrame(r.link_type, f, &ip);
    stats.Count(e);
    if (e == DecodeError::kOk) stats.CountIp(ip);
  }
  CHECK(stats.tcp > 10);
  CHECK(stats.malformed() == 0);
  for (size_t i = 1; i < r.times.size(); ++i) CHECK(r.times[i] >= r.times[0]);
}

// Live capture needs CAP_NET_RAW; without it these checks are skipped with a warning.
TEST_CASE("Capture: live errors name the interface or the filter", "[capture][live]") {
  LiveOptions o;
  o.iface = "no-such-iface0";
  auto none = OpenLive(o);
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().message().find("no-such-iface0") != std::string::npos);
  o.iface = "lo";
  o.bpf = "port port";
  auto bad = OpenLive(o);
  REQUIRE_FALSE(bad.ok());
  const std::string msg(bad.status().message());
  if (msg.find("ermission") != std::string::npos || msg.find("perm") != std::string::npos) {
    WARN("no permission to capture: " << msg);
    return;
  }
  CHECK(msg.find("port port") != std::string::npos);
}

TEST_CASE("Capture: live loopback delivers packets and timer ticks", "[capture][live]") {
  const int sock = socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(sock >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const int port = ntohs(addr.sin_port);

  LiveOptions o;
  o.iface = "lo";
  o.timeout_ms = 20;
  o.bpf = "udp dst port " + std::to_string(port);
  auto src = OpenLive(o);
  if (!src.ok()) {
    WARN("cannot capture on lo: " << src.status().message());
    close(sock);
    return;
  }
  CHECK(sendto(sock, "ping", 4, 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 4);
  close(sock);
  RawPacket p;
  bool got_packet = false;
  bool got_tick_after = false;
  for (int i = 0; i < 200 && !got_tick_after; ++i) {  // at most ~4 s
    auto more = (*src)->Next(&p);
    REQUIRE(more.ok());
    REQUIRE(*more);
    if (p.data == nullptr) {
      CHECK(p.caplen == 0);
      got_tick_after = got_packet;
      continue;
    }
    IpPacket ip;
    REQUIRE(DecodeFrame(p.link_type, absl::string_view(reinterpret_cast<const char*>(p.data), p.caplen), &ip) == DecodeError::kOk);
    CHECK(ip.protocol == 17);
    CHECK(ip.payload.substr(8) == "ping");
    got_packet = true;
  }
  CHECK(got_packet);
  CHECK(got_tick_after);
  CHECK((*src)->stats().packets == 1);
  (*src)->BreakLoop();
  auto after = (*src)->Next(&p);
  REQUIRE(after.ok());
  CHECK_FALSE(*after);
}

TEST_CASE("Capture: -Z drops privileges after opening", "[capture][live]") {
  if (geteuid() != 0) {
    WARN("not root; -Z not tested");
    return;
  }
  const passwd* nobody = getpwnam("nobody");
  if (nobody == nullptr) {
    WARN("no user nobody; -Z not tested");
    return;
  }
  const uid_t want = nobody->pw_uid;
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // the drop is for good, so it happens in a child process
    LiveOptions o;
    o.iface = "lo";
    o.drop_user = "nobody";
    auto src = OpenLive(o);
    if (!src.ok()) _exit(src.status().message().find("-Z") != std::string::npos ? 3 : 2);
    _exit(getuid() == want && geteuid() == want && setuid(0) != 0 ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 2) {
    WARN("cannot capture on lo; -Z not tested");
    return;
  }
  CHECK(WEXITSTATUS(status) == 0);

  LiveOptions o;
  o.iface = "lo";
  o.drop_user = "no-such-user-xyz";
  auto bad = OpenLive(o);
  if (bad.ok()) return;  // unreachable: the user does not exist
  CHECK(bad.status().message().find("no-such-user-xyz") != std::string::npos);
}


// The block reader (FileReader::kAuto on classic pcap files) must deliver exactly what
// libpcap delivers: every field of every packet, the end state and the errors.
struct Delivered {
  std::vector<std::string> packets;  // ts, caplen, wirelen, link type, then the bytes
  bool truncated = false;
  bool open_ok = false;
  std::string error;  // a read error
};

Delivered ReadWith(const std::string& path, const std::string& bpf, FileReader reader) {
  Delivered d;
  auto src = OpenCaptureFile(path, bpf, reader);
  d.open_ok = src.ok();
  if (!src.ok()) return d;
  RawPacket p;
  while (true) {
    auto more = (*src)->Next(&p);
    if (!more.ok()) {
      d.error = std::string(more.status().message());
      break;
    }
    if (!*more) break;
    d.packets.push_back(absl::StrCat(absl::ToUnixNanos(p.ts), " ", p.caplen, " ", p.wirelen, " ",
                                     p.link_type, " ") +
                        std::string(reinterpret_cast<const char*>(p.data), p.caplen));
  }
  d.truncated = (*src)->truncated();
  // Damage ends the file without an error status; both readers report it the same way.
  if (auto damage = (*src)->damage(); damage && !d.truncated) d.error = damage->problem;
  CHECK((*src)->damage().has_value() == (d.truncated || !d.error.empty()));
  CHECK((*src)->stats().packets == d.packets.size());
  if (d.error.empty()) CHECK((*src)->bytes_read() <= (*src)->total_bytes());
  return d;
}

void CheckSameAsLibpcap(const std::string& path, const std::string& bpf = "") {
  INFO(path << " filter \"" << bpf << "\"");
  const Delivered fast = ReadWith(path, bpf, FileReader::kAuto);
  const Delivered lib = ReadWith(path, bpf, FileReader::kLibpcap);
  REQUIRE(fast.open_ok == lib.open_ok);
  CHECK(fast.packets.size() == lib.packets.size());
  CHECK(fast.packets == lib.packets);
  CHECK(fast.truncated == lib.truncated);
  CHECK(fast.error.empty() == lib.error.empty());
}

std::string Swap32(uint32_t v, bool swapped) {
  if (swapped) v = __builtin_bswap32(v);
  return std::string(reinterpret_cast<const char*>(&v), 4);
}

// A classic pcap written field by field: either byte order, µs or ns, any version and
// snaplen, and record headers that may lie (caplen and len are written as given).
struct RawRecord {
  uint32_t sec, frac, caplen, len;
  std::string bytes;
};
std::string RawPcapFile(bool swapped, bool nano, uint16_t minor, uint32_t snaplen,
                        const std::vector<RawRecord>& records) {
  std::string f = Swap32(nano ? 0xA1B23C4D : 0xA1B2C3D4, swapped);
  const uint16_t v[2] = {static_cast<uint16_t>(swapped ? __builtin_bswap16(2) : 2),
                         static_cast<uint16_t>(swapped ? __builtin_bswap16(minor) : minor)};
  f.append(reinterpret_cast<const char*>(v), 4);
  f += Swap32(0, swapped) + Swap32(0, swapped) + Swap32(snaplen, swapped) + Swap32(1, swapped);
  for (const RawRecord& r : records) {
    f += Swap32(r.sec, swapped) + Swap32(r.frac, swapped) + Swap32(r.caplen, swapped) +
         Swap32(r.len, swapped) + r.bytes;
  }
  return f;
}

// Version 2.4, one record a second, each with the given caplen over its bytes.
std::string HandPcap(bool swapped, bool nano, uint32_t snaplen,
                     const std::vector<std::pair<uint32_t, std::string>>& records) {
  std::vector<RawRecord> raw;
  uint32_t t = 1600000000;
  for (const auto& [caplen, bytes] : records) {
    raw.push_back({t++, nano ? 999999999u : 999999u, caplen,
                   static_cast<uint32_t>(bytes.size()) + 7, bytes});
  }
  return RawPcapFile(swapped, nano, 4, snaplen, raw);
}

// One packet per (seconds, fraction) field pair, in a file of any version
// (fuzz/capture_reader_fuzz findings: libpcap reads version 2.0-2.3 files differently, and
// timestamps as signed, those of byte-swapped files as unsigned).
std::string RawPcap(uint16_t minor, bool nano,
                    const std::vector<std::pair<uint32_t, uint32_t>>& stamps,
                    bool swapped = false) {
  const std::string frame = NumberedPacket(3);
  const uint32_t size = static_cast<uint32_t>(frame.size());
  std::vector<RawRecord> raw;
  for (const auto& [sec, frac] : stamps) raw.push_back({sec, frac, size, size + 100, frame});
  return RawPcapFile(swapped, nano, minor, 65535, raw);
}

TEST_CASE("Capture: regression: old file versions and out-of-range timestamps read as "
          "libpcap reads them", "[capture]") {
  const std::string path = TempPath("raw.pcap");
  const std::vector<std::pair<uint32_t, uint32_t>> stamps = {
      {0xD9AC12D8, 5}, {1, 0xFFFFFFFF}, {1, 5000000}, {1, 0x80000000}, {1700000000, 999999}};
  for (uint16_t minor : {0, 2, 3, 4}) {
    for (bool nano : {false, true}) {
      for (bool swapped : {false, true}) {
        WriteFile(path, RawPcap(minor, nano, stamps, swapped));
        CheckSameAsLibpcap(path);
      }
    }
  }
  WriteFile(path, RawPcap(4, false, stamps));
  const Delivered d = ReadWith(path, "", FileReader::kAuto);
  REQUIRE(d.packets.size() == stamps.size());
  // Seconds are signed: 0xD9AC12D8 is before 1970, as libpcap and tcpdump show it.
  CHECK(d.packets[0].rfind("-643034407999995000 ", 0) == 0);
}

TEST_CASE("Capture: the block reader delivers what libpcap delivers", "[capture]") {
  SECTION("hand-made files: byte orders, resolutions, snaplens, lying and cut records") {
    const std::string path = TempPath("same.pcap");
    for (bool swapped : {false, true}) {
      for (bool nano : {false, true}) {
        std::vector<std::pair<uint32_t, std::string>> recs;
        for (int i = 0; i < 20; ++i) {
          std::string pkt = NumberedPacket(i, i % 2 ? 80 : 443);
          recs.emplace_back(static_cast<uint32_t>(pkt.size()), pkt);
        }
        recs.emplace_back(0, "");                                 // zero-length record
        recs.emplace_back(70000, std::string(70000, 'x'));         // above snaplen 128
        recs.emplace_back(262144, std::string(262144, 'y'));       // libpcap's maximum
        for (uint32_t snaplen : {0u, 128u, 65535u, 0xFFFFFFFFu}) {
          const std::string file = HandPcap(swapped, nano, snaplen, recs);
          WriteFile(path, file);
          CheckSameAsLibpcap(path);
          CheckSameAsLibpcap(path, "tcp port 80");
          WriteFile(path, file.substr(0, file.size() - 5));  // last record cut
          CheckSameAsLibpcap(path);
          WriteFile(path, file.substr(0, file.size() - 262144 - 10));  // header cut
          CheckSameAsLibpcap(path);
        }
        auto bad = recs;
        bad.insert(bad.begin() + 3, {262145, std::string(100, 'z')});  // over the maximum
        WriteFile(path, HandPcap(swapped, nano, 0, bad));
        const Delivered d = ReadWith(path, "", FileReader::kAuto);
        CHECK(d.packets.size() == 3);
        CHECK(d.error.find("262145") != std::string::npos);
        CheckSameAsLibpcap(path);
      }
    }
  }
  SECTION("every classic pcap in corpus/") {
    int files = 0;
    for (const char* dir : {"corpus/tcp", "corpus/http", "corpus/https", "corpus/smtp",
                            "corpus/ftp", "corpus/tls", "corpus/defrag"}) {
      const std::string d = testing::RepoRoot() + "/" + dir;
      for (const auto& e : std::filesystem::directory_iterator(d)) {
        if (e.path().extension() != ".pcap") continue;
        CheckSameAsLibpcap(e.path().string());
        CheckSameAsLibpcap(e.path().string(), "ip6 or tcp[13] & 2 != 0");
        ++files;
      }
    }
    CHECK(files >= 20);
  }
}


// ---------------------------------------------------------------------------------------
// Files read in place (mapped_file.h): a file that grows or shrinks while it is read, and
// the memory the reading takes.

// The numbered series as raw-IP records, with the file's record ends.
struct Series {
  std::string file;
  std::vector<size_t> ends;
  std::vector<std::string> packets;
};
Series MakeSeries(int n) {
  Series s;
  s.file = testing::NumberedPcap(n, &s.ends);
  for (int i = 0; i < n; ++i) s.packets.push_back(NumberedPacket(i));
  return s;
}

// Opens `path`, reads `first` packets, calls `meddle`, reads the rest.
Delivered ReadMeddled(const std::string& path, size_t first, const std::function<void()>& meddle) {
  Delivered d;
  auto src = OpenCaptureFile(path, "");
  REQUIRE(src.ok());
  RawPacket p;
  while (true) {
    if (d.packets.size() == first) meddle();
    auto more = (*src)->Next(&p);
    REQUIRE(more.ok());
    if (!*more) break;
    d.packets.emplace_back(reinterpret_cast<const char*>(p.data), p.caplen);
  }
  d.truncated = (*src)->truncated();
  if (auto damage = (*src)->damage()) d.error = damage->problem;
  return d;
}

size_t RecordsEndingBy(const std::vector<size_t>& ends, size_t cut) {
  size_t n = 0;
  while (n < ends.size() && ends[n] <= cut) ++n;
  return n;
}

TEST_CASE("Capture: a file that grows while it is read is read to its new end", "[capture]") {
  const Series s = MakeSeries(30000);  // several MiB: past the first mapped window
  const size_t half = s.ends[14999];
  const std::string path = TempPath("growing.pcap");
  WriteFile(path, absl::string_view(s.file).substr(0, half));
  const Delivered d = ReadMeddled(path, 10, [&] {
    std::FILE* f = std::fopen(path.c_str(), "ab");
    REQUIRE(f != nullptr);
    REQUIRE(std::fwrite(s.file.data() + half, 1, s.file.size() - half, f) == s.file.size() - half);
    std::fclose(f);
  });
  CHECK(d.error.empty());
  CHECK_FALSE(d.truncated);
  REQUIRE(d.packets.size() == s.packets.size());
  CHECK(d.packets == s.packets);
}

TEST_CASE("Capture: a file truncated while it is read ends with a message; the packets "
          "before the cut are intact", "[capture]") {
  const Series s = MakeSeries(30000);
  const std::string path = TempPath("shrinking.pcap");
  struct Case {
    const char* what;
    size_t cut;
  };
  // Ahead of the populated window (found before reading), inside it on a page boundary
  // (the lost pages fault: the handler), and inside it mid-page.
  for (const Case& c : {Case{"ahead", (5u << 20) + 1234}, Case{"in the window, page boundary", 1u << 20},
                        Case{"in the window, mid-page", (1u << 20) + 1000}}) {
    INFO(c.what);
    WriteFile(path, s.file);
    const Delivered d = ReadMeddled(path, 10, [&] { REQUIRE(truncate(path.c_str(), c.cut) == 0); });
    const size_t whole = RecordsEndingBy(s.ends, c.cut);
    REQUIRE(d.packets.size() >= whole);
    CHECK(std::vector<std::string>(d.packets.begin(), d.packets.begin() + whole) ==
          std::vector<std::string>(s.packets.begin(), s.packets.begin() + whole));
    // Past the cut only what the rest of the file's last page reads as (zeros, no fault):
    // the record the cut went through, its tail zeros, then zero-length records.
    for (size_t i = whole; i < d.packets.size(); ++i) {
      if (i > whole || d.packets[i].empty()) {
        CHECK(d.packets[i].empty());
        continue;
      }
      const size_t kept = c.cut - (s.ends[i - 1] + 16);  // the record's bytes before the cut
      REQUIRE(d.packets[i].size() == s.packets[i].size());
      CHECK(d.packets[i].substr(0, kept) == s.packets[i].substr(0, kept));
      CHECK(d.packets[i].substr(kept) == std::string(d.packets[i].size() - kept, '\0'));
    }
    CHECK(d.packets.size() - whole <= 4096 / 16);
    CHECK(d.error.find("shrank to " + std::to_string(c.cut) + " bytes") != std::string::npos);
  }
}

TEST_CASE("Capture: reading a large file keeps a few MiB resident", "[capture]") {
  const std::string path = TempPath("large.pcap");
  {
    PcapBytes pcap;
    const std::string record(60000, 'r');
    for (int i = 0; i < 1200; ++i) pcap.Add(NumberedTime(i), record);  // 72 MB
    WriteFile(path, pcap.bytes());
  }
  const uint64_t before = testing::ResidentBytes();
  uint64_t peak = before, bytes = 0, packets = 0;
  auto src = OpenCaptureFile(path, "");
  REQUIRE(src.ok());
  RawPacket p;
  while (*(*src)->Next(&p)) {
    bytes += p.caplen;
    ++packets;
    if (packets % 50 == 0) peak = std::max(peak, testing::ResidentBytes());
  }
  CHECK(packets == 1200);
  CHECK(bytes == 1200u * 60000u);
  INFO("resident before " << before << ", peak " << peak);
  CHECK(peak < before + (12u << 20));
}

}  // namespace
}  // namespace tcpfollow
