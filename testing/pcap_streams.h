// Test-side helper: reads a capture with libpcap and replays each TCP connection into a
// StreamSink-like callback set, so protocol tests can run public vectors before (and
// independently of) the real pipeline. Deliberately simple: IPv4/IPv6 over Ethernet (with
// VLAN tags), Linux SLL, raw IP and BSD loopback; no IP fragments; per direction, segments
// are ordered by sequence number (first copy of a byte wins), holes become gaps at the end
// of the connection or when later data is released. Client = the SYN sender, else the
// first packet's sender. Not for production use: no limits, whole captures in memory.
#ifndef TCPFOLLOW_TESTING_PCAP_STREAMS_H_
#define TCPFOLLOW_TESTING_PCAP_STREAMS_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "reassembly/stream_sink.h"

namespace tcpfollow::testing {

struct StreamEvents {
  // A new connection: return the sink for its events (called before any of them).
  std::function<StreamSink*(const ConnectionInfo&)> open;
  // The connection's last event has been delivered.
  std::function<void(const ConnectionInfo&, absl::Time last)> close;
};

// Replays every TCP connection of the capture at `path`, connections interleaved in packet
// order. Errors: unreadable file, unsupported link type.
absl::Status ReplayPcapStreams(const std::string& path, const StreamEvents& events);

}  // namespace tcpfollow::testing

#endif  // TCPFOLLOW_TESTING_PCAP_STREAMS_H_
