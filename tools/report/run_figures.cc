#include "tools/report/run_figures.h"

#include "absl/strings/str_cat.h"

namespace tcpfollow {

RunFigures CollectRunFigures(const std::string& input, bool live, const CaptureSource& source,
                             const PacketPipeline& pipeline, const TcpStats& tcp,
                             double wall_seconds) {
  RunFigures r;
  r.input = input;
  r.wall_seconds = wall_seconds;
  const PacketCounts& c = pipeline.counts();
  auto add = [&](std::string name, uint64_t v) { r.counters.push_back({std::move(name), v}); };
  add("packets", c.packets);
  add("captured bytes", c.bytes);
  add("TCP segments", c.tcp_segments);
  add("UDP packets (not followed)", c.udp);
  add("other IP packets (not followed)", c.other_ip);
  for (size_t i = 1; i < c.errors.size(); ++i) {
    if (c.errors[i] > 0) {
      add(absl::StrCat("damaged packets: ", DecodeErrorName(static_cast<DecodeError>(i))),
          c.errors[i]);
    }
  }
  const DefragStats& d = pipeline.defrag_stats();
  if (d.fragments > 0) {
    for (const auto& [name, value] : d.Items()) add(absl::StrCat("IP fragments: ", name), value);
  }
  add("TCP overlaps", tcp.overlaps);
  add("TCP overlaps with different data", tcp.overlap_conflicts);
  add("connections evicted (connection limit)", tcp.evicted_connection_limit);
  add("out-of-order buffer limit hits", tcp.buffer_limit_hits);
  if (live) {
    CaptureStats cs = source.stats();
    add("kernel drops", cs.kernel_drops);
    add("interface drops", cs.if_drops);
  }
  if (source.truncated()) r.notes.push_back("the capture file is truncated: its last packet is incomplete");
  return r;
}

}  // namespace tcpfollow
