// The packet pipeline limits of the capture-level harnesses (pcap_pipeline_fuzz,
// session_fuzz): small enough that a fuzzed capture of a few KB reaches every cap
// (connections, buffered bytes and segments per direction and in total, idle timeout,
// fragment datagrams and bytes). Limits only; each harness wires its own handler.
#ifndef TCPFOLLOW_FUZZ_SMALL_PIPELINE_H_
#define TCPFOLLOW_FUZZ_SMALL_PIPELINE_H_

#include "reassembly/packet_pipeline.h"

namespace tcpfollow::fuzzing {

inline PacketPipelineConfig SmallPipelineConfig() {
  PacketPipelineConfig config;
  config.tcp.max_connections = 8;
  config.tcp.max_buffered_per_direction = 4096;
  config.tcp.max_buffered_total = 16384;
  config.tcp.max_segments_per_direction = 16;
  config.tcp.idle_timeout = absl::Seconds(30);
  config.defrag.max_datagrams = 8;
  config.defrag.max_fragments_per_datagram = 8;
  config.defrag.max_bytes = 32768;
  return config;
}

}  // namespace tcpfollow::fuzzing

#endif  // TCPFOLLOW_FUZZ_SMALL_PIPELINE_H_
