#include "reassembly/packet_pipeline.h"

#include <algorithm>

#include "tins_ext/not_ip.h"

namespace tcpfollow {

namespace {
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIpv4 = 4;   // IP-in-IP
constexpr uint8_t kProtoIpv6 = 41;  // IPv6 in IP
constexpr uint8_t kProtoGre = 47;
// Timeouts are checked at most this often in packet time; cheap either way.
constexpr absl::Duration kAdvanceInterval = absl::Seconds(1);
}  // namespace

PacketPipeline::PacketPipeline(const PacketPipelineConfig& config, ConnectionHandler* handler)
    : config_(config),
      tcp_(config.tcp, handler, config.tcp_options),
      defrag_(config.defrag, config.frag_policy),
      tunnels_(config.tunnel),
      max_tunnel_depth_(std::clamp(config.tunnel.max_depth, 0, TunnelPath::kMaxLayers)) {}

void PacketPipeline::OnPacket(const RawPacket& packet) {
  ++counts_.packets;
  counts_.bytes += packet.caplen;
  // Packet time only moves forward for timeouts: a capture with a timestamp going
  // backwards (merged files, clock steps) must not expire everything or nothing.
  if (packet.ts > last_ts_) last_ts_ = packet.ts;
  if (last_ts_ >= next_advance_) {
    Advance(last_ts_);
    next_advance_ = last_ts_ + kAdvanceInterval;
  }
  IpPacket ip;
  const absl::string_view frame(reinterpret_cast<const char*>(packet.data), packet.caplen);
  DecodeError e = DecodeFrame(packet.link_type, frame, &ip);
  if (e != DecodeError::kOk) {
    ++counts_.errors[static_cast<size_t>(e)];
    if (e == DecodeError::kUnsupportedLink) CountUnsupportedLink(packet.link_type);
    if (e == DecodeError::kNotIp) CountNotIp(packet.link_type, frame);
    return;
  }
  OnIp(packet.ts, ip, Tunnel());
}

void PacketPipeline::CountUnsupportedLink(int link_type) {
  for (auto& [type, n] : counts_.unsupported_link_types) {
    if (type == link_type) {
      ++n;
      return;
    }
  }
  if (counts_.unsupported_link_types.size() < PacketCounts::kMaxUnsupportedLinkTypes) {
    counts_.unsupported_link_types.emplace_back(link_type, 1);
  }
}

void PacketPipeline::CountNotIp(int link_type, absl::string_view frame) {
  uint32_t key = NotIpKey(link_type, frame);
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& [k, n] : counts_.not_ip) {
      if (k == key) {
        ++n;
        return;
      }
    }
    if (counts_.not_ip.size() < PacketCounts::kMaxNotIpKinds) {
      counts_.not_ip.emplace_back(key, 1);
      return;
    }
    key = kNotIpOther;  // the table is full: counted under "other"
  }
  counts_.not_ip.emplace_back(key, 1);  // "other" when every slot holds a named kind
}

void PacketPipeline::OnIp(absl::Time ts, const IpPacket& ip, const Tunnel& tunnel) {
  if (ip.is_fragment) {
    // One buffer per tunnel depth: an inner fragment completing a datagram must not
    // overwrite the outer datagram its bytes are viewed in.
    std::string& datagram = datagram_[std::min<size_t>(tunnel.depth, datagram_.size() - 1)];
    if (!defrag_.Add(ts, ip, &datagram)) return;
    ++counts_.reassembled_datagrams;
    if (config_.on_defragmented) config_.on_defragmented(ts, datagram);
    IpPacket whole;
    DecodeError e = DecodeIp(datagram, ip.vlan, &whole);
    if (e != DecodeError::kOk) {
      ++counts_.errors[static_cast<size_t>(e)];
      return;
    }
    if (whole.is_fragment) return;  // cannot happen for a rebuilt datagram; never loop
    OnIp(ts, whole, tunnel);
    return;
  }
  if (ip.protocol != kProtoTcp) {
    if (ip.protocol == kProtoUdp || ip.protocol == kProtoIpv4 || ip.protocol == kProtoIpv6 ||
        ip.protocol == kProtoGre) {
      IpPacket inner;
      TunnelLayer layer;
      const TunnelResult r = Decapsulate(ip, &inner, &layer);
      if (r == TunnelResult::kOk) {
        if (tunnel.depth >= max_tunnel_depth_) {
          ++tunnel_stats_.too_deep;
          return;
        }
        ++tunnel_stats_.packets[static_cast<size_t>(layer.type)];
        Tunnel in;
        in.depth = tunnel.depth + 1;
        in.id = ChainTunnelId(tunnel.id, layer);
        // A path is described only when the path outside it is.
        if (tunnel.depth == 0 || tunnel.path != nullptr) {
          in.path = tunnels_.Extend(tunnel.path, layer, &tunnel_stats_);
        }
        if (in.path == nullptr) ++tunnel_stats_.not_described;
        OnIp(ts, inner, in);
        return;
      }
      if (r == TunnelResult::kMalformed) ++tunnel_stats_.malformed;
    }
    if (ip.protocol == kProtoUdp) {
      ++counts_.udp;
    } else {
      ++counts_.other_ip;
    }
    return;
  }
  TcpSegment seg;
  DecodeError e = DecodeTcp(ip, ts, &seg);
  if (e != DecodeError::kOk) {
    ++counts_.errors[static_cast<size_t>(e)];
    return;
  }
  seg.tunnel_id = tunnel.id;
  seg.tunnel = tunnel.path;
  ++counts_.tcp_segments;
  if (config_.route_segment) {
    config_.route_segment(seg);
  } else {
    tcp_.OnSegment(seg);
  }
}

void PacketPipeline::Advance(absl::Time now) {
  if (config_.route_time) config_.route_time(now);
  tcp_.Advance(now);
  defrag_.Advance(now);
}

void PacketPipeline::Finish(absl::Time now) {
  if (now == absl::InfinitePast()) now = absl::UnixEpoch();
  tcp_.FinishAll(now, CloseReason::kEndOfInput);
  defrag_.Finish();
}

}  // namespace tcpfollow
