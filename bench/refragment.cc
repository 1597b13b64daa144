// refragment: rewrites a capture so that every IPv4/IPv6 datagram longer than a threshold
// travels as 3 IP fragments (Ethernet header kept), for the defragmentation benchmark.
// Reads any capture libpcap opens (Ethernet link type only; other packets and non-IP
// frames are copied unchanged), writes a classic Ethernet pcap. With --shuffle the
// fragments of each datagram are emitted in a per-datagram pseudo-random order (seeded,
// reproducible). IPv4 datagrams keep their identification; IPv6 ones get a fresh
// Fragment-header id. Does not handle VLAN tags or IPv4 options beyond copying them.
//
// usage: refragment [--min N] [--shuffle] IN.pcap OUT.pcap    (N default 200 bytes)
#include <pcap/pcap.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tins_ext/pcap_writer.h"

namespace tcpfollow {
namespace {

constexpr size_t kEthernetHeader = 14;
constexpr int kFragments = 3;

struct Counts {
  uint64_t packets = 0;
  uint64_t fragmented = 0;
  uint64_t fragments_written = 0;
};

uint16_t Be16(const u_char* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

// Payload bytes per fragment so that `payload` splits into exactly kFragments pieces
// (a multiple of 8, as IP requires for all but the last fragment).
size_t FragmentData(size_t payload) {
  size_t per = (payload + kFragments - 1) / kFragments;
  return (per + 7) & ~static_cast<size_t>(7);
}

// The IP datagram inside an Ethernet frame (without trailing padding), or empty.
absl::string_view IpDatagram(const u_char* frame, size_t len, bool* v6) {
  if (len < kEthernetHeader + 20) return {};
  const uint16_t type = Be16(frame + 12);
  const u_char* ip = frame + kEthernetHeader;
  const size_t avail = len - kEthernetHeader;
  if (type == 0x0800 && (ip[0] >> 4) == 4) {
    const size_t total = Be16(ip + 2);
    const uint16_t frag = Be16(ip + 6);
    if (total > avail || total < 20 || (frag & 0x3fff) != 0) return {};  // cut or already a fragment
    *v6 = false;
    return absl::string_view(reinterpret_cast<const char*>(ip), total);
  }
  if (type == 0x86dd && (ip[0] >> 4) == 6 && avail >= 40) {
    const size_t total = 40 + Be16(ip + 4);
    if (total > avail || ip[6] == 44) return {};
    *v6 = true;
    return absl::string_view(reinterpret_cast<const char*>(ip), total);
  }
  return {};
}

int Run(size_t min_len, bool shuffle, const char* in_path, const char* out_path) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* in = pcap_open_offline_with_tstamp_precision(in_path, PCAP_TSTAMP_PRECISION_NANO, err);
  if (in == nullptr) {
    std::fprintf(stderr, "refragment: %s\n", err);
    return 1;
  }
  if (pcap_datalink(in) != DLT_EN10MB) {
    std::fprintf(stderr, "refragment: %s is not an Ethernet capture\n", in_path);
    pcap_close(in);
    return 1;
  }
  PcapFormat format;
  format.link_type = PcapFormat::kLinkTypeEthernet;
  format.nanosecond = true;
  auto writer = PcapWriter::Open(out_path, format);
  if (!writer.ok()) {
    std::fprintf(stderr, "refragment: %s\n", std::string(writer.status().message()).c_str());
    pcap_close(in);
    return 1;
  }
  std::mt19937 rng(12345);
  uint32_t ipv6_id = 1;
  Counts counts;
  std::string frame;
  pcap_pkthdr* header;
  const u_char* data;
  int rc;
  while ((rc = pcap_next_ex(in, &header, &data)) == 1) {
    ++counts.packets;
    const absl::Time ts = absl::FromUnixNanos(int64_t{header->ts.tv_sec} * 1000000000 +
                                              header->ts.tv_usec);
    const absl::string_view original(reinterpret_cast<const char*>(data), header->caplen);
    bool v6 = false;
    const absl::string_view ip = IpDatagram(data, header->caplen, &v6);
    absl::Status status;
    if (ip.size() <= min_len || header->caplen != header->len) {
      status = (*writer)->Write(ts, original, header->len);
    } else {
      const size_t ip_header = v6 ? 40 : (ip[0] & 0x0f) * 4;
      const size_t per = FragmentData(ip.size() - ip_header);
      std::vector<std::string> frags =
          v6 ? FragmentIpv6(ip, per, ipv6_id++) : FragmentIpv4(ip, per);
      if (shuffle) std::shuffle(frags.begin(), frags.end(), rng);
      ++counts.fragmented;
      for (const std::string& f : frags) {
        frame.assign(original.data(), kEthernetHeader);
        frame += f;
        status.Update((*writer)->Write(ts, frame));
        ++counts.fragments_written;
      }
    }
    if (!status.ok()) {
      std::fprintf(stderr, "refragment: %s\n", std::string(status.message()).c_str());
      pcap_close(in);
      return 1;
    }
  }
  if (rc == -1) std::fprintf(stderr, "refragment: read error: %s\n", pcap_geterr(in));
  pcap_close(in);
  const absl::Status closed = (*writer)->Close();
  if (!closed.ok() || rc == -1) {
    if (!closed.ok()) std::fprintf(stderr, "refragment: %s\n", std::string(closed.message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "refragment: %llu packets read, %llu datagrams fragmented into %llu fragments\n",
               static_cast<unsigned long long>(counts.packets),
               static_cast<unsigned long long>(counts.fragmented),
               static_cast<unsigned long long>(counts.fragments_written));
  return 0;
}

}  // namespace
}  // namespace tcpfollow

int main(int argc, char** argv) {
  size_t min_len = 200;
  bool shuffle = false;
  int i = 1;
  for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; ++i) {
    if (std::strcmp(argv[i], "--shuffle") == 0) {
      shuffle = true;
    } else if (std::strcmp(argv[i], "--min") == 0 && i + 1 < argc) {
      min_len = std::strtoul(argv[++i], nullptr, 10);
    } else {
      break;
    }
  }
  if (argc - i != 2) {
    std::fprintf(stderr, "usage: refragment [--min N] [--shuffle] IN.pcap OUT.pcap\n");
    return 1;
  }
  return tcpfollow::Run(min_len, shuffle, argv[i], argv[i + 1]);
}
