// The run's own figures for report.html (RunFigures): packets, bytes, segments, damaged
// packets, fragments, drops, as tcpfollow's end-of-run summary prints them. Everything the
// records say (connections, gaps, TLS, objects) the report counts from the records.
#ifndef TCPFOLLOW_TOOLS_REPORT_RUN_FIGURES_H_
#define TCPFOLLOW_TOOLS_REPORT_RUN_FIGURES_H_

#include <string>

#include "reassembly/packet_pipeline.h"
#include "reassembly/tcp_reassembler.h"
#include "tins_ext/capture_source.h"
#include "tools/report/report.h"

namespace tcpfollow {

RunFigures CollectRunFigures(const std::string& input, bool live, const CaptureSource& source,
                             const PacketPipeline& pipeline, const TcpStats& tcp,
                             double wall_seconds);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_REPORT_RUN_FIGURES_H_
