// What reading a capture file costs, mapped (OpenCaptureFile on a path) against read(2)
// (the same file given as standard input, which is never mapped), for three amounts of work
// per packet: none (the reader alone), decoding to a TCP segment without the checksum, and
// decoding with it (every payload byte summed, as tcpfollow does for bad_checksums).
// The runs alternate between the two ways, so both see the same machine; the figures are
// the fastest and the median of each, wall and CPU (user + system).
//
//   bazel run --config=opt //tins_ext:capture_read_benchmark -- FILE.pcap [RUNS]
//
// Warm the page cache first (cat FILE > /dev/null): this measures reading, not the disk.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "tins_ext/capture_source.h"
#include "tins_ext/decode.h"

namespace tcpfollow {
namespace {

enum class Work { kNone, kDecode, kDecodeAndChecksum };
const char* WorkName(Work w) {
  switch (w) {
    case Work::kNone: return "reader only";
    case Work::kDecode: return "decode, no checksum";
    case Work::kDecodeAndChecksum: return "decode + checksum";
  }
  return "";
}

double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Run {
  double wall = 0, cpu = 0;
  uint64_t packets = 0, bytes = 0, bad = 0;
};

Run ReadOnce(const std::string& path, bool mapped, Work work) {
  if (!mapped && std::freopen(path.c_str(), "rb", stdin) == nullptr) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    std::exit(1);
  }
  Run r;
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  auto src = OpenCaptureFile(mapped ? path : "-", "");
  if (!src.ok()) {
    std::fprintf(stderr, "%s\n", std::string(src.status().message()).c_str());
    std::exit(1);
  }
  RawPacket p;
  IpPacket ip;
  TcpSegment seg;
  while (*(*src)->Next(&p)) {
    ++r.packets;
    r.bytes += p.caplen;
    if (work == Work::kNone) continue;
    const absl::string_view frame(reinterpret_cast<const char*>(p.data), p.caplen);
    if (DecodeFrame(p.link_type, frame, &ip) != DecodeError::kOk) continue;
    if (work == Work::kDecode) {
      r.bad += ip.payload.size() > 20 && ip.payload[13] == 0x7f;  // keeps the decode
      continue;
    }
    if (DecodeTcp(ip, p.ts, &seg) == DecodeError::kOk && seg.bad_checksum) ++r.bad;
  }
  r.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.cpu = CpuSeconds() - cpu0;
  return r;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace
}  // namespace tcpfollow

int main(int argc, char** argv) {
  using namespace tcpfollow;
  if (argc < 2) {
    std::fprintf(stderr, "usage: capture_read_benchmark FILE.pcap [RUNS (default 9)]\n");
    return 2;
  }
  const std::string path = argv[1];
  const int runs = argc > 2 ? std::max(1, std::atoi(argv[2])) : 9;
  std::printf("%-22s %-8s %9s %9s %9s %9s %10s\n", "work per packet", "input", "wall min",
              "wall med", "CPU min", "CPU med", "MB/s (min)");
  for (Work work : {Work::kNone, Work::kDecode, Work::kDecodeAndChecksum}) {
    std::vector<double> wall[2], cpu[2];
    Run last;
    for (int i = 0; i < runs; ++i) {
      for (int k = 0; k < 2; ++k) {
        const bool mapped = (k == 0) == (i % 2 == 0);  // alternate which goes first
        const Run r = ReadOnce(path, mapped, work);
        wall[mapped].push_back(r.wall);
        cpu[mapped].push_back(r.cpu);
        last = r;
      }
    }
    for (int mapped : {1, 0}) {
      const double wmin = *std::min_element(wall[mapped].begin(), wall[mapped].end());
      std::printf("%-22s %-8s %9.4f %9.4f %9.4f %9.4f %10.0f\n", WorkName(work),
                  mapped ? "mapped" : "read(2)", wmin, Median(wall[mapped]),
                  *std::min_element(cpu[mapped].begin(), cpu[mapped].end()), Median(cpu[mapped]),
                  last.bytes / 1e6 / wmin);
    }
    if (work == Work::kDecodeAndChecksum) {
      std::printf("(%llu packets, %.1f MB of records, %llu bad TCP checksums)\n",
                  static_cast<unsigned long long>(last.packets), last.bytes / 1e6,
                  static_cast<unsigned long long>(last.bad));
    }
  }
  return 0;
}
