// One packet's path through the engine: link and IP decoding, IP defragmentation, tunnel
// decapsulation (tins_ext/tunnel.h; connections inside a tunnel are keyed by the tunnel
// too), TCP decoding, TCP reassembly. No I/O: reassembled datagrams go to a callback (the tool
// writes them for --write-defragmented); capture sources and output live in the tool.
//
// Threading: one PacketPipeline is one shard. The multi-threaded tool gives each worker
// its own pipeline and routes every packet by FlowKey hash (fragments by their IP pair),
// so nothing here is shared between threads.
#ifndef TCPFOLLOW_REASSEMBLY_PACKET_PIPELINE_H_
#define TCPFOLLOW_REASSEMBLY_PACKET_PIPELINE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "reassembly/ip_defrag.h"
#include "reassembly/stream_sink.h"
#include "reassembly/tcp_reassembler.h"
#include "tins_ext/capture_source.h"
#include "tins_ext/decode.h"
#include "tins_ext/tunnel.h"
#include <functional>

namespace tcpfollow {

struct PacketPipelineConfig {
  TcpLimits tcp;
  TcpReassemblerOptions tcp_options;
  DefragLimits defrag;
  FragPolicy frag_policy = FragPolicy::kFirst;
  TunnelLimits tunnel;
  // Called with every datagram rebuilt from fragments (--write-defragmented).
  std::function<void(absl::Time ts, absl::string_view datagram)> on_defragmented;
  // Sharded mode: when set, decoded segments go here instead of this pipeline's own
  // TcpReassembler, and time ticks (every second of packet time, and from Advance) go to
  // route_time, so that per-thread reassemblers expire connections too.
  std::function<void(const TcpSegment&)> route_segment;
  std::function<void(absl::Time)> route_time;
};

struct PacketCounts {
  uint64_t packets = 0;
  uint64_t bytes = 0;  // captured bytes
  uint64_t tcp_segments = 0;
  uint64_t udp = 0;
  uint64_t other_ip = 0;
  uint64_t reassembled_datagrams = 0;
  std::array<uint64_t, static_cast<size_t>(DecodeError::kCount)> errors{};
  // Packets of link types the decoder does not read, per link type (DLT value); at most
  // kMaxUnsupportedLinkTypes distinct types are named, the rest counted in errors only.
  static constexpr size_t kMaxUnsupportedLinkTypes = 16;
  std::vector<std::pair<int, uint64_t>> unsupported_link_types;
  // Frames that are not IP (errors[kNotIp]), by what they carry (tins_ext/not_ip.h:
  // ethertype, LLC, ...); at most kMaxNotIpKinds kinds, the rest under kNotIpOther.
  static constexpr size_t kMaxNotIpKinds = 16;
  std::vector<std::pair<uint32_t, uint64_t>> not_ip;
};

class PacketPipeline {
 public:
  PacketPipeline(const PacketPipelineConfig& config, ConnectionHandler* handler);

  void OnPacket(const RawPacket& packet);
  // Runs timeouts up to `now` (packet time offline; wall clock on an idle live capture).
  void Advance(absl::Time now);
  // End of input: every connection is flushed and ended, fragments dropped (counted).
  void Finish(absl::Time now);

  const PacketCounts& counts() const { return counts_; }
  const TcpStats& tcp_stats() const { return tcp_.stats(); }
  const DefragStats& defrag_stats() const { return defrag_.stats(); }
  const TunnelStats& tunnel_stats() const { return tunnel_stats_; }
  absl::Time last_packet_time() const { return last_ts_; }

 private:
  // The tunnels a packet came through so far.
  struct Tunnel {
    int depth = 0;
    uint64_t id = 0;
    const TunnelPath* path = nullptr;
  };
  void OnIp(absl::Time ts, const IpPacket& ip, const Tunnel& tunnel);
  void CountUnsupportedLink(int link_type);
  void CountNotIp(int link_type, absl::string_view frame);

  PacketPipelineConfig config_;
  TcpReassembler tcp_;
  IpDefragmenter defrag_;
  PacketCounts counts_;
  TunnelTable tunnels_;
  TunnelStats tunnel_stats_;
  const int max_tunnel_depth_;
  // Reused buffers for reassembled datagrams, one per tunnel depth.
  std::array<std::string, TunnelPath::kMaxLayers + 1> datagram_;
  absl::Time last_ts_ = absl::InfinitePast();
  absl::Time next_advance_ = absl::InfinitePast();
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_REASSEMBLY_PACKET_PIPELINE_H_
