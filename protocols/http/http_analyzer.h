// HttpAnalyzer: the "http" Analyzer (reassembly/analyzer.h) for one connection. Runs an
// HttpParser per direction, pairs responses with requests in order (a FIFO, so keep-alive
// and pipelining work; an interim 1xx answer does not consume the request), tells the
// response side when a body is absent (HEAD) or when the stream stops being HTTP: a CONNECT
// 2xx hands the rest to whatever the tunnel carries, a 101 answer to the protocol named by
// Upgrade ("h2c": HTTP/2, with the upgrade request as stream 1; the record says which). Removes content codings through
// protocols/content (bounded; a bomb is cut and flagged) and streams each non-empty body
// into AnalyzerOutput::BeginObject with the protocol's name for it (Content-Disposition
// filename or the URI's last path segment; never sanitised here) and its MIME type
// (sniffed from the bytes, protocols/mime_sniffer; Content-Type as the declared type). Writes one http record per transaction
// when both of its messages are done, or at close, marked partial if something is missing.
#ifndef TCPFOLLOW_PROTOCOLS_HTTP_HTTP_ANALYZER_H_
#define TCPFOLLOW_PROTOCOLS_HTTP_HTTP_ANALYZER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "protocols/content/content_decoder.h"
#include "protocols/http/http_parser.h"
#include "protocols/http/http_transaction.h"
#include "reassembly/analyzer.h"

namespace tcpfollow {

// Bodies, content codings and anomalies: HttpCommonLimits (protocols/http/http_transaction.h).
struct HttpAnalyzerLimits : HttpCommonLimits {
  HttpLimits parser;
  size_t max_pending_transactions = 128;    // requests awaiting a response; oldest flushed
  size_t max_held_tunnel_bytes = 64 * 1024; // client bytes after CONNECT, before the answer
};

// Records, objects, content codings, MIME types, form-data: HttpCommonStats.
struct HttpAnalyzerStats : HttpCommonStats {
  HttpStats request;   // client-direction parser
  HttpStats response;  // server-direction parser
  uint64_t unmatched_responses = 0;   // responses with no request pending
  uint64_t pending_overflow = 0;      // transactions flushed early by max_pending_transactions
  uint64_t held_bytes_dropped = 0;    // tunnel bytes beyond max_held_tunnel_bytes
};

class HttpAnalyzer : public Analyzer {
 public:
  // `out` and `stats` (optional) must outlive the analyzer.
  HttpAnalyzer(const ConnectionInfo& conn, AnalyzerOutput* out,
               const HttpAnalyzerLimits& limits = {}, HttpAnalyzerStats* stats = nullptr);
  ~HttpAnalyzer() override;

  size_t OnData(Direction dir, absl::Time ts, absl::string_view bytes) override;
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override;
  void OnEnd(Direction dir, absl::Time ts) override;
  void OnClose(absl::Time ts) override;
  const char* service() const override { return "http"; }

  // Client bytes received after a CONNECT or Upgrade request and before its answer: on a
  // switch they go to the next stage in Handoff::held (usually a TLS ClientHello or an
  // HTTP/2 preface); on a refusal they are parsed as HTTP again.
  absl::string_view held_tunnel_bytes() const { return held_; }

  const HttpAnalyzerStats& stats() const { return *stats_; }

  // After the handoff a 101 answer asks for: the transaction it answered (its upgrade field
  // names the new protocol; for h2c it becomes HTTP/2 stream 1). Null otherwise.
  const HttpTransaction* upgraded() const { return upgraded_.get(); }

  class Side;

 private:
  // Asks for the switch a CONNECT 2xx or a 101 answer announces.
  void SwitchTo(absl::string_view protocol, const HttpTransaction& tx);
  void Emit(HttpTransaction* tx);
  // Closes whatever body of `tx` is still open, then emits it.
  void Retire(HttpTransaction* tx);
  void FlushAll(absl::Time ts);
  void Hold(absl::string_view bytes);
  // A CONNECT was refused: parse the held client bytes as HTTP again.
  void ResumeRequests();

  ConnectionInfo conn_;
  AnalyzerOutput* out_;
  HttpAnalyzerLimits limits_;
  HttpAnalyzerStats own_stats_;
  HttpAnalyzerStats* stats_;
  HttpBodyContext body_ctx_;
  std::deque<std::unique_ptr<HttpTransaction>> pending_;  // in request order
  std::unique_ptr<Side> request_;
  std::unique_ptr<Side> response_;
  std::string held_;
  std::unique_ptr<HttpTransaction> upgraded_;
  int depth_ = 0;
  absl::Time ts_;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_HTTP_HTTP_ANALYZER_H_
