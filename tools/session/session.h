// One connection, from TCP reassembly to records: a Session is the StreamSink of one
// connection. It writes the raw stream files, runs the connection's StageChain (detection,
// TLS, the protocol analyzers, handoffs), taps the first TLS layer's plaintext (plaintext
// stream files, --write-decrypted, Follow), keeps the Follow transcript, and at the end
// writes the flows.jsonl record. SessionManager is the ConnectionHandler that makes one
// Session per connection (an expected connection starts with its announced analyzer).
//
// The path of one connection: PacketPipeline -> TcpReassembler -> Session::OnData ->
// StageChain::OnData (detect) -> e.g. TlsDecryptor -> PlaintextTee -> StageChain -> the
// analyzer ALPN or content names
// -> AnalyzerOutput::Record / BeginObject (SessionOutput -> RunOutput).
#ifndef TCPFOLLOW_TOOLS_SESSION_SESSION_H_
#define TCPFOLLOW_TOOLS_SESSION_SESSION_H_

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "reassembly/stream_sink.h"
#include "tools/decrypted_pcap.h"
#include "tools/run_output.h"
#include "tools/session/expectations.h"
#include "tools/session/follow.h"
#include "tools/session/protocol_set.h"
#include "tools/session/stage_chain.h"

namespace tcpfollow {

// The AnalyzerOutput analyzers see: records and objects go to the run's output, announced
// connections to the expectation table.
class SessionOutput : public AnalyzerOutput {
 public:
  SessionOutput(RunOutput* out, ExpectationTable* expectations)
      : out_(out), expectations_(expectations) {}
  void Record(absl::string_view log, const ConnectionInfo& conn, absl::Time ts,
              nlohmann::json fields) override {
    out_->Record(log, conn, ts, std::move(fields));
  }
  std::unique_ptr<ObjectWriter> BeginObject(const ConnectionInfo& conn,
                                            const ObjectMeta& meta) override {
    return out_->BeginObject(conn, meta);
  }
  std::unique_ptr<ObjectWriter> BeginObjectPiece(const ConnectionInfo& conn,
                                                 const ObjectMeta& meta,
                                                 const ObjectPiece& piece) override {
    return out_->BeginObjectPiece(conn, meta, piece);
  }
  void OfferObjectPrefix(const ConnectionInfo& conn, const ObjectMeta& meta,
                         const ObjectPiece& piece, const std::string& path) override {
    out_->OfferObjectPrefix(conn, meta, piece, path);
  }
  void ExpectConnection(const IpAddress& client, const Endpoint& server, absl::Time now,
                        absl::Duration timeout, AnalyzerFactory factory) override {
    expectations_->Expect(client, server, now, timeout, std::move(factory));
  }

 private:
  RunOutput* out_;
  ExpectationTable* expectations_;
};

struct SessionOptions {
  bool write_streams = true;
  FollowOptions follow;             // follow.enabled: print conversations
  size_t stream_buffer = 64u << 10; // bytes held per stream file before writing
  size_t stream_budget = 32u << 20; // all stream buffers together
  DecryptedPcap* decrypted_pcap = nullptr;  // --write-decrypted
};

struct SessionStats {
  uint64_t connections = 0;
  uint64_t stream_files = 0;
  uint64_t stream_bytes = 0;
  uint64_t plaintext_files = 0;
  uint64_t decrypted_connections = 0;
  uint64_t gaps = 0;
  uint64_t missed_bytes = 0;
  // Announced connections found at their first byte rather than at their start (live
  // --threads: the announcing reply was still in another worker's queue at the SYN).
  uint64_t late_expectations = 0;
  StageChainStats chain;
};

class SessionManager : public ConnectionHandler {
 public:
  // `set` is this worker's protocols; `out` and `expectations` are shared by all workers.
  SessionManager(RunOutput* out, ExpectationTable* expectations, const ProtocolSet* set,
                 SessionOptions options);
  ~SessionManager() override;

  std::unique_ptr<StreamSink> OnConnectionStart(const ConnectionInfo& info) override;
  void OnConnectionEnd(const ConnectionInfo& info, const ConnectionSummary& summary,
                       std::unique_ptr<StreamSink> sink) override;

  const SessionStats& stats() const { return stats_; }

  // Shared by the sessions of this worker.
  size_t buffered_bytes = 0;  // bytes held in all stream files
  uint64_t connection_index = 0;  // order of connections seen (Follow's selector by index)
  const SessionOptions& options() const { return options_; }
  RunOutput* run_output() { return out_; }
  AnalyzerOutput* analyzer_output() { return &analyzer_output_; }
  const ProtocolSet* protocols() const { return set_; }
  ExpectationTable* expectations() { return expectations_; }
  SessionStats* mutable_stats() { return &stats_; }

 private:
  RunOutput* out_;
  ExpectationTable* expectations_;
  SessionOutput analyzer_output_;
  const ProtocolSet* set_;
  SessionOptions options_;
  SessionStats stats_;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_SESSION_SESSION_H_
