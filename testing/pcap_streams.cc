// ReplayPcapStreams (see pcap_streams.h).
#include "testing/pcap_streams.h"

#include <pcap/pcap.h>

#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace tcpfollow::testing {
namespace {

uint16_t Be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t Be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

struct Half {
  bool have_isn = false;
  uint32_t next = 0;                     // next sequence number to deliver
  std::map<uint32_t, std::string> held;  // relative to `next` base, keyed by absolute seq
  bool fin = false;
};

struct Conn {
  ConnectionInfo info;
  StreamSink* sink = nullptr;
  Half half[2];
  absl::Time last;
};

// Signed distance a - b in sequence space.
int64_t SeqDiff(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b); }

void Drain(Conn& c, int d, absl::Time ts, bool force) {
  Half& h = c.half[d];
  Direction dir = static_cast<Direction>(d);
  while (!h.held.empty()) {
    auto it = h.held.begin();
    int64_t off = SeqDiff(it->first, h.next);
    if (off > 0) {
      if (!force) return;
      c.sink->OnGap(dir, ts, static_cast<uint64_t>(off));
      h.next = it->first;
      off = 0;
    }
    std::string data = std::move(it->second);
    h.held.erase(it);
    if (static_cast<int64_t>(data.size()) + off <= 0) continue;  // wholly old
    absl::string_view fresh = absl::string_view(data).substr(static_cast<size_t>(-off));
    c.sink->OnData(dir, ts, fresh);
    h.next += static_cast<uint32_t>(fresh.size());
  }
}

}  // namespace

absl::Status ReplayPcapStreams(const std::string& path, const StreamEvents& events) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  if (p == nullptr) return absl::NotFoundError(absl::StrCat(path, ": ", err));
  int link = pcap_datalink(p);
  absl::flat_hash_map<FlowKey, std::unique_ptr<Conn>> conns;
  std::vector<Conn*> order;
  uint64_t next_id = 1;
  pcap_pkthdr* hdr;
  const u_char* pkt;
  int rc;
  while ((rc = pcap_next_ex(p, &hdr, &pkt)) == 1) {
    absl::Time ts = absl::FromUnixMicros(int64_t{hdr->ts.tv_sec} * 1000000 + hdr->ts.tv_usec);
    const uint8_t* q = pkt;
    size_t n = hdr->caplen;
    uint16_t ethertype = 0;
    if (link == DLT_EN10MB) {
      if (n < 14) continue;
      ethertype = Be16(q + 12);
      q += 14, n -= 14;
      while ((ethertype == 0x8100 || ethertype == 0x88a8) && n >= 4) {
        ethertype = Be16(q + 2);
        q += 4, n -= 4;
      }
    } else if (link == DLT_LINUX_SLL) {
      if (n < 16) continue;
      ethertype = Be16(q + 14);
      q += 16, n -= 16;
    } else if (link == DLT_RAW || link == 101 /* LINKTYPE_RAW */) {
      if (n < 1) continue;
      ethertype = (q[0] >> 4) == 6 ? 0x86dd : 0x0800;
    } else if (link == DLT_NULL || link == DLT_LOOP) {
      if (n < 4) continue;
      q += 4, n -= 4;
      if (n < 1) continue;
      ethertype = (q[0] >> 4) == 6 ? 0x86dd : 0x0800;
    } else {
      pcap_close(p);
      return absl::UnimplementedError(absl::StrCat("link type ", link));
    }
    Endpoint src, dst;
    const uint8_t* tcp;
    size_t tcp_len;
    if (ethertype == 0x0800) {
      if (n < 20 || (q[0] >> 4) != 4) continue;
      size_t ihl = (q[0] & 0x0f) * 4;
      size_t total = Be16(q + 2);
      if (q[9] != 6 || ihl < 20 || total > n || total < ihl) continue;
      if ((Be16(q + 6) & 0x3fff) != 0) continue;  // fragments: not handled here
      src.addr = IpAddress::V4(q + 12);
      dst.addr = IpAddress::V4(q + 16);
      tcp = q + ihl;
      tcp_len = total - ihl;
    } else if (ethertype == 0x86dd) {
      if (n < 40 || q[6] != 6) continue;  // no extension headers here
      size_t plen = Be16(q + 4);
      if (40 + plen > n) continue;
      src.addr = IpAddress::V6(q + 8);
      dst.addr = IpAddress::V6(q + 24);
      tcp = q + 40;
      tcp_len = plen;
    } else {
      continue;
    }
    if (tcp_len < 20) continue;
    size_t off = (tcp[12] >> 4) * 4;
    if (off < 20 || off > tcp_len) continue;
    src.port = Be16(tcp);
    dst.port = Be16(tcp + 2);
    uint32_t seq = Be32(tcp + 4);
    uint8_t flags = tcp[13];
    bool syn = flags & 0x02, ack = flags & 0x10, fin = flags & 0x01, rst = flags & 0x04;
    absl::string_view payload(reinterpret_cast<const char*>(tcp + off), tcp_len - off);

    FlowKey key = FlowKey::Of(src, dst, 0);
    auto& slot = conns[key];
    if (!slot) {
      slot = std::make_unique<Conn>();
      slot->info.id = next_id++;
      bool src_is_client = !(syn && ack);
      slot->info.client = src_is_client ? src : dst;
      slot->info.server = src_is_client ? dst : src;
      slot->info.start = ts;
      slot->info.saw_handshake = syn;
      slot->sink = events.open(slot->info);
      order.push_back(slot.get());
    }
    Conn& c = *slot;
    c.last = ts;
    int d = src == c.info.client ? 0 : 1;
    Half& h = c.half[d];
    if (!h.have_isn) {
      h.have_isn = true;
      h.next = syn ? seq + 1 : seq;
    }
    if (c.sink == nullptr) continue;
    uint32_t data_seq = syn ? seq + 1 : seq;
    if (!payload.empty() && SeqDiff(data_seq + payload.size(), h.next) > 0) {
      auto it = h.held.find(data_seq);
      if (it == h.held.end() || it->second.size() < payload.size()) {
        h.held[data_seq] = std::string(payload);
      }
      Drain(c, d, ts, false);
    }
    if ((fin || rst) && !h.fin) {
      h.fin = true;
      Drain(c, d, ts, true);
      c.sink->OnEnd(static_cast<Direction>(d), ts);
    }
  }
  pcap_close(p);
  for (Conn* c : order) {
    if (c->sink != nullptr) {
      for (int d = 0; d < 2; ++d) {
        Drain(*c, d, c->last, true);
        if (!c->half[d].fin) c->sink->OnEnd(static_cast<Direction>(d), c->last);
      }
    }
    if (events.close) events.close(c->info, c->last);
  }
  return absl::OkStatus();
}

}  // namespace tcpfollow::testing
