// Test-side helper: replays the TCP connections of a capture file through the real packet
// path (tins_ext capture and decoding, IP defragmentation, TCP reassembly with default
// limits), so protocol tests can run public vectors and corpus captures without the tool
// around them. ReplayPcapStreams hands each connection's events to a sink of the caller's;
// ReadPcapStreams collects every connection's bytes in memory (whole captures: tests only).
#ifndef TCPFOLLOW_TESTING_PCAP_STREAMS_H_
#define TCPFOLLOW_TESTING_PCAP_STREAMS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "reassembly/stream_sink.h"

namespace tcpfollow::testing {

struct StreamEvents {
  // A new connection: return the sink for its events (called before any of them); null
  // drops them.
  std::function<StreamSink*(const ConnectionInfo&)> open;
  // The connection's last event has been delivered.
  std::function<void(const ConnectionInfo&, absl::Time last)> close;
};

// Replays every TCP connection of the capture at `path`, connections interleaved in packet
// order. Errors: unreadable file, unsupported link type.
absl::Status ReplayPcapStreams(const std::string& path, const StreamEvents& events);

// One delivery of in-order bytes (gaps are not listed; they show in `missed`).
struct StreamChunk {
  Direction dir;
  absl::Time ts;
  std::string bytes;
};

struct CapturedConnection {
  ConnectionInfo info;
  std::string bytes[2];     // by Index(Direction)
  uint64_t missed[2] = {0, 0};
  std::vector<StreamChunk> chunks;  // in delivery order
};

// Every connection of the capture, in the order they started.
absl::StatusOr<std::vector<CapturedConnection>> ReadPcapStreams(const std::string& path);

}  // namespace tcpfollow::testing

#endif  // TCPFOLLOW_TESTING_PCAP_STREAMS_H_
