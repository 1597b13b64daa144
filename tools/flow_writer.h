// The ConnectionHandler of the tool: for each connection TCP reassembly reports, it writes
// the raw stream files, runs the protocol stack (TLS, HTTP, SMTP, FTP), keeps the
// --follow transcript, and at the end writes the connection's flows.jsonl record.
#ifndef TCPFOLLOW_TOOLS_FLOW_WRITER_H_
#define TCPFOLLOW_TOOLS_FLOW_WRITER_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "reassembly/stream_sink.h"
#include "protocols/protocol_stack.h"
#include "tools/decrypted_pcap.h"
#include "tools/run_output.h"

namespace tcpfollow {

struct FlowWriterOptions {
  bool write_streams = true;
  bool follow = false;              // print conversations to `follow_out`
  FILE* follow_out = stdout;
  size_t follow_cap = 1u << 20;     // transcript bytes kept per connection
  size_t stream_buffer = 64u << 10; // bytes held per stream file before writing
  size_t stream_budget = 32u << 20; // all stream buffers together
  DecryptedPcap* decrypted_pcap = nullptr;  // --write-decrypted
};

struct FlowWriterStats {
  uint64_t connections = 0;
  uint64_t stream_files = 0;
  uint64_t stream_bytes = 0;
  uint64_t plaintext_files = 0;
  uint64_t gaps = 0;
  uint64_t missed_bytes = 0;
};

class FlowWriter : public ConnectionHandler {
 public:
  FlowWriter(RunOutput* out, const ProtocolSet* protocols, FlowWriterOptions options);
  ~FlowWriter() override;

  std::unique_ptr<StreamSink> OnConnectionStart(const ConnectionInfo& info) override;
  void OnConnectionEnd(const ConnectionInfo& info, const ConnectionSummary& summary,
                       std::unique_ptr<StreamSink> sink) override;

  const FlowWriterStats& stats() const { return stats_; }

  // Shared by the connection pipelines: bytes buffered in all stream files.
  size_t buffered_bytes = 0;
  const FlowWriterOptions& options() const { return options_; }
  RunOutput* out() { return out_; }
  const ProtocolSet* protocols() const { return protocols_; }
  FlowWriterStats* mutable_stats() { return &stats_; }

 private:
  RunOutput* out_;
  const ProtocolSet* protocols_;
  FlowWriterOptions options_;
  FlowWriterStats stats_;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_FLOW_WRITER_H_
