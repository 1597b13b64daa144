// gen_floods: writes the adversarial captures of the memory benchmark (bench/run.sh memory),
// Ethernet pcaps built with tins_ext/pcap_writer, fast enough for hundreds of MB:
//   syn   N connections (default 500000): SYN, SYN-ACK, then 64 client bytes; never closed
//   ooo   N connections (default 100) each with a 1448-byte hole after the handshake and
//         M bytes (default 2 MiB) of data after the hole, connections interleaved, never filled
//   frag  N incomplete IPv4 datagrams (default 200000): only the first of two ~1000-byte
//         fragments of each, all with distinct (src, id) keys
//   bomb  N HTTP transactions (default 8), each a response with Content-Encoding: gzip whose
//         body inflates to M bytes of zeros (default 1 GiB; ~1 MB on the wire)
// Packet times advance 1 microsecond per packet, so no idle timeout ever helps.
// It only generates inputs; it does not run or measure anything.
//
// usage: gen_floods KIND OUT.pcap [N] [M]
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tins_ext/ip_address.h"
#include "tins_ext/pcap_writer.h"
#include "tins_ext/tcp_segment.h"

namespace tcpfollow {
namespace {

constexpr size_t kSegment = 1448;

Endpoint V4(uint32_t addr, uint16_t port) {
  const uint8_t b[4] = {static_cast<uint8_t>(addr >> 24), static_cast<uint8_t>(addr >> 16),
                        static_cast<uint8_t>(addr >> 8), static_cast<uint8_t>(addr)};
  Endpoint e;
  e.addr = IpAddress::V4(b);
  e.port = port;
  return e;
}

// Writes Ethernet-framed packets with a clock that advances 1 us per packet.
class FloodWriter {
 public:
  explicit FloodWriter(std::unique_ptr<PcapWriter> writer) : writer_(std::move(writer)) {}

  bool WriteIp(absl::string_view ip) {
    now_ += absl::Microseconds(1);
    const absl::Status s = writer_->Write(now_, BuildEthernetFrame(ip));
    if (!s.ok()) std::fprintf(stderr, "gen_floods: %s\n", std::string(s.message()).c_str());
    return s.ok();
  }
  bool WriteTcp(const Endpoint& src, const Endpoint& dst, uint32_t seq, uint32_t ack,
                uint8_t flags, absl::string_view payload = {}) {
    TcpPacketSpec spec;
    spec.src = src;
    spec.dst = dst;
    spec.seq = seq;
    spec.ack = ack;
    spec.flags = flags;
    spec.payload = payload;
    spec.ip_id = static_cast<uint16_t>(++ip_id_);
    return WriteIp(BuildTcpPacket(spec));
  }
  bool Close() { return writer_->Close().ok(); }

 private:
  std::unique_ptr<PcapWriter> writer_;
  absl::Time now_ = absl::FromUnixSeconds(1700000000);
  uint32_t ip_id_ = 0;
};

// The three-way handshake; client data then starts at cisn + 1, server data at sisn + 1.
bool Handshake(FloodWriter& w, const Endpoint& c, const Endpoint& s, uint32_t cisn,
               uint32_t sisn) {
  using namespace tcp_flags;
  return w.WriteTcp(c, s, cisn, 0, kSyn) && w.WriteTcp(s, c, sisn, cisn + 1, kSyn | kAck) &&
         w.WriteTcp(c, s, cisn + 1, sisn + 1, kAck);
}

bool SynFlood(FloodWriter& w, uint64_t n) {
  const std::string data(64, 'x');
  const Endpoint server = V4(0x0aff0001, 80);  // 10.255.0.1
  for (uint64_t i = 0; i < n; ++i) {
    const Endpoint client = V4(0x0a000000 + static_cast<uint32_t>(i / 50000) + 1,
                               static_cast<uint16_t>(10000 + i % 50000));
    using namespace tcp_flags;
    const uint32_t cisn = static_cast<uint32_t>(i * 7919), sisn = static_cast<uint32_t>(i * 104729);
    if (!w.WriteTcp(client, server, cisn, 0, kSyn) ||
        !w.WriteTcp(server, client, sisn, cisn + 1, kSyn | kAck) ||
        !w.WriteTcp(client, server, cisn + 1, sisn + 1, kAck | kPsh, data)) {
      return false;
    }
  }
  return true;
}

bool OutOfOrderFlood(FloodWriter& w, uint64_t n, uint64_t bytes_after_hole) {
  const std::string segment(kSegment, 'o');
  const Endpoint server = V4(0x0aff0002, 80);
  std::vector<Endpoint> clients;
  for (uint64_t i = 0; i < n; ++i) {
    clients.push_back(V4(0x0b000001, static_cast<uint16_t>(20000 + i)));
    if (!Handshake(w, clients.back(), server, 1000, 5000)) return false;
  }
  // Server data starts at 5001; the first segment (the hole) is never sent.
  for (uint64_t off = kSegment; off < kSegment + bytes_after_hole; off += kSegment) {
    for (uint64_t i = 0; i < n; ++i) {
      if (!w.WriteTcp(server, clients[i], static_cast<uint32_t>(5001 + off), 1001,
                      tcp_flags::kAck, segment)) {
        return false;
      }
    }
  }
  return true;
}

bool FragmentFlood(FloodWriter& w, uint64_t n) {
  const std::string payload(2000, 'f');
  for (uint64_t i = 0; i < n; ++i) {
    TcpPacketSpec spec;
    spec.src = V4(0x0c000001 + static_cast<uint32_t>(i >> 16), 30000);
    spec.dst = V4(0x0aff0003, 80);
    spec.seq = 1;
    spec.flags = tcp_flags::kAck;
    spec.payload = payload;
    spec.ip_id = static_cast<uint16_t>(i);
    const std::vector<std::string> frags = FragmentIpv4(BuildTcpPacket(spec), 1000);
    if (!w.WriteIp(frags.front())) return false;  // the rest never arrives
  }
  return true;
}

// gzip of `size` zero bytes.
std::string GzipZeros(uint64_t size) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY);
  const std::vector<unsigned char> zeros(1 << 20, 0);
  std::string out;
  std::vector<unsigned char> buf(1 << 16);
  uint64_t left = size;
  int flush = Z_NO_FLUSH;
  do {
    if (z.avail_in == 0 && flush == Z_NO_FLUSH) {
      const uint64_t chunk = left < zeros.size() ? left : zeros.size();
      z.next_in = const_cast<unsigned char*>(zeros.data());
      z.avail_in = static_cast<uInt>(chunk);
      left -= chunk;
      if (left == 0) flush = Z_FINISH;
    }
    z.next_out = buf.data();
    z.avail_out = static_cast<uInt>(buf.size());
    const int rc = deflate(&z, flush);
    out.append(reinterpret_cast<char*>(buf.data()), buf.size() - z.avail_out);
    if (rc == Z_STREAM_END) break;
  } while (true);
  deflateEnd(&z);
  return out;
}

bool SendStream(FloodWriter& w, const Endpoint& src, const Endpoint& dst, uint32_t* seq,
                uint32_t ack, absl::string_view bytes) {
  for (size_t off = 0; off < bytes.size(); off += kSegment) {
    const absl::string_view part = bytes.substr(off, kSegment);
    if (!w.WriteTcp(src, dst, *seq, ack, tcp_flags::kAck | tcp_flags::kPsh, part)) return false;
    *seq += static_cast<uint32_t>(part.size());
  }
  return true;
}

bool Bomb(FloodWriter& w, uint64_t n, uint64_t inflated) {
  const std::string body = GzipZeros(inflated);
  std::fprintf(stderr, "gen_floods: bomb body %zu bytes inflating to %llu\n", body.size(),
               static_cast<unsigned long long>(inflated));
  const Endpoint server = V4(0x0aff0004, 80);
  for (uint64_t i = 0; i < n; ++i) {
    const Endpoint client = V4(0x0d000001, static_cast<uint16_t>(40000 + i));
    uint32_t cseq = 1001, sseq = 5001;
    const std::string request = absl::StrCat("GET /bomb", i, ".txt HTTP/1.1\r\nHost: bomb\r\n\r\n");
    const std::string response = absl::StrCat(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\n"
        "Content-Length: ", body.size(), "\r\n\r\n", body);
    using namespace tcp_flags;
    if (!Handshake(w, client, server, 1000, 5000) ||
        !SendStream(w, client, server, &cseq, sseq, request) ||
        !SendStream(w, server, client, &sseq, cseq, response) ||
        !w.WriteTcp(client, server, cseq, sseq, kFin | kAck) ||
        !w.WriteTcp(server, client, sseq, cseq + 1, kFin | kAck)) {
      return false;
    }
  }
  return true;
}

int Main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: gen_floods syn|ooo|frag|bomb OUT.pcap [N] [M]\n");
    return 1;
  }
  const std::string kind = argv[1];
  const uint64_t n = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 0;
  const uint64_t m = argc > 4 ? std::strtoull(argv[4], nullptr, 10) : 0;
  PcapFormat format;
  format.link_type = PcapFormat::kLinkTypeEthernet;
  format.nanosecond = false;
  auto writer = PcapWriter::Open(argv[2], format);
  if (!writer.ok()) {
    std::fprintf(stderr, "gen_floods: %s\n", std::string(writer.status().message()).c_str());
    return 1;
  }
  FloodWriter w(std::move(*writer));
  bool ok;
  if (kind == "syn") {
    ok = SynFlood(w, n ? n : 500000);
  } else if (kind == "ooo") {
    ok = OutOfOrderFlood(w, n ? n : 100, m ? m : (2u << 20));
  } else if (kind == "frag") {
    ok = FragmentFlood(w, n ? n : 200000);
  } else if (kind == "bomb") {
    ok = Bomb(w, n ? n : 8, m ? m : (1ull << 30));
  } else {
    std::fprintf(stderr, "gen_floods: unknown kind %s\n", kind.c_str());
    return 1;
  }
  return ok && w.Close() ? 0 : 1;
}

}  // namespace
}  // namespace tcpfollow

int main(int argc, char** argv) { return tcpfollow::Main(argc, argv); }
