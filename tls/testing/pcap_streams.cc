// Minimal pcap -> TCP streams for tests; see pcap_streams.h.
#include "tls/testing/pcap_streams.h"

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <map>
#include <tuple>

#include "absl/status/status.h"

namespace tcpfollow::tls::testing {
namespace {

struct Key {
  std::string a, b;
  uint16_t pa, pb;
  bool operator<(const Key& o) const {
    return std::tie(a, pa, b, pb) < std::tie(o.a, o.pa, o.b, o.pb);
  }
};

struct ConnState {
  TcpConnection conn;
  std::string client_addr;
  bool have_next[2] = {false, false};
  uint32_t next[2] = {0, 0};
};

uint16_t U16(const uint8_t* p) { return (p[0] << 8) | p[1]; }
uint32_t U32(const uint8_t* p) { return (uint32_t{p[0]} << 24) | (p[1] << 16) | (p[2] << 8) | p[3]; }

std::string Printable(const std::string& raw) {
  char buf[INET6_ADDRSTRLEN] = {0};
  inet_ntop(raw.size() == 4 ? AF_INET : AF_INET6, raw.data(), buf, sizeof(buf));
  return buf;
}

}  // namespace

absl::StatusOr<std::vector<TcpConnection>> ReadPcapStreams(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* pc = pcap_open_offline(path.c_str(), err);
  if (pc == nullptr) return absl::NotFoundError(err);
  int link = pcap_datalink(pc);
  std::map<Key, size_t> index;
  std::vector<ConnState> conns;
  pcap_pkthdr* h;
  const u_char* data;
  while (pcap_next_ex(pc, &h, &data) == 1) {
    const uint8_t* p = data;
    size_t n = h->caplen;
    uint16_t ethertype = 0;
    if (link == DLT_EN10MB) {
      if (n < 14) continue;
      ethertype = U16(p + 12);
      p += 14, n -= 14;
      while ((ethertype == 0x8100 || ethertype == 0x88a8) && n >= 4) {
        ethertype = U16(p + 2);
        p += 4, n -= 4;
      }
    } else if (link == DLT_LINUX_SLL) {
      if (n < 16) continue;
      ethertype = U16(p + 14);
      p += 16, n -= 16;
    } else if (link == 276 /* LINUX_SLL2 */) {
      if (n < 20) continue;
      ethertype = U16(p);
      p += 20, n -= 20;
    } else if (link == DLT_NULL || link == DLT_LOOP) {
      if (n < 4) continue;
      uint32_t fam = link == DLT_NULL ? (p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t{p[3]} << 24)) : U32(p);
      ethertype = fam == 2 ? 0x0800 : 0x86dd;
      p += 4, n -= 4;
    } else if (link == DLT_RAW || link == 228 || link == 229) {
      if (n < 1) continue;
      ethertype = (p[0] >> 4) == 4 ? 0x0800 : 0x86dd;
    } else {
      pcap_close(pc);
      return absl::UnimplementedError("unsupported link type");
    }
    std::string src, dst;
    const uint8_t* tcp;
    size_t tcp_len;
    if (ethertype == 0x0800) {
      if (n < 20 || p[9] != 6) continue;
      size_t ihl = (p[0] & 0x0f) * 4;
      size_t total = std::min<size_t>(U16(p + 2), n);
      if (total < ihl) continue;
      src.assign(reinterpret_cast<const char*>(p + 12), 4);
      dst.assign(reinterpret_cast<const char*>(p + 16), 4);
      tcp = p + ihl;
      tcp_len = total - ihl;
    } else if (ethertype == 0x86dd) {
      if (n < 40 || p[6] != 6) continue;
      size_t total = std::min<size_t>(40 + U16(p + 4), n);
      src.assign(reinterpret_cast<const char*>(p + 8), 16);
      dst.assign(reinterpret_cast<const char*>(p + 24), 16);
      tcp = p + 40;
      tcp_len = total - 40;
    } else {
      continue;
    }
    if (tcp_len < 20) continue;
    uint16_t sport = U16(tcp), dport = U16(tcp + 2);
    uint32_t seq = U32(tcp + 4);
    size_t off = (tcp[12] >> 4) * 4;
    uint8_t flags = tcp[13];
    if (off > tcp_len) continue;
    bool syn = flags & 0x02, ack = flags & 0x10;
    Key k = src < dst || (src == dst && sport < dport) ? Key{src, dst, sport, dport}
                                                      : Key{dst, src, dport, sport};
    auto it = index.find(k);
    if (it == index.end()) {
      // Client: sender of a bare SYN, else the first sender.
      ConnState st;
      bool sender_is_client = !(syn && ack);
      st.client_addr = sender_is_client ? src : dst;
      st.conn.client_port = sender_is_client ? sport : dport;
      st.conn.server_port = sender_is_client ? dport : sport;
      std::string server = sender_is_client ? dst : src;
      st.conn.client_ip = Printable(st.client_addr);
      st.conn.server_ip = Printable(server);
      st.conn.server_addr.assign(server.begin(), server.end());
      it = index.emplace(k, conns.size()).first;
      conns.push_back(std::move(st));
    }
    ConnState& st = conns[it->second];
    int dir = (src == st.client_addr && sport == st.conn.client_port) ? 0 : 1;
    const uint8_t* payload = tcp + off;
    size_t len = tcp_len - off;
    if (syn) {
      st.have_next[dir] = true;
      st.next[dir] = seq + 1;
      continue;
    }
    if (len == 0) continue;
    if (!st.have_next[dir]) {
      st.have_next[dir] = true;
      st.next[dir] = seq;
    }
    int32_t delta = static_cast<int32_t>(st.next[dir] - seq);
    if (delta >= static_cast<int32_t>(len)) continue;  // retransmission
    if (delta > 0) {
      payload += delta;
      len -= delta;
      seq += delta;
    }
    std::string bytes(reinterpret_cast<const char*>(payload), len);
    st.next[dir] = seq + len;
    (dir == 0 ? st.conn.client_bytes : st.conn.server_bytes) += bytes;
    st.conn.events.push_back(
        StreamEvent{dir, std::move(bytes), h->ts.tv_sec + h->ts.tv_usec / 1e6});
  }
  pcap_close(pc);
  std::vector<TcpConnection> out;
  for (auto& st : conns) out.push_back(std::move(st.conn));
  return out;
}

}  // namespace tcpfollow::tls::testing
