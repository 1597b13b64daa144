// Http2Analyzer: the "http" Analyzer (reassembly/analyzer.h) for an HTTP/2 connection,
// whichever way it was entered: ALPN h2 after TLS (Http2Options::tls), the client preface
// on any port (prior knowledge, gRPC), or an h2c upgrade (Http2Options::upgrade: the
// HTTP/1.1 request becomes stream 1; the analyzer starts at the byte after the 101 head).
//
// Each direction runs an Http2FrameParser and an HpackDecoder; every header block is
// decoded, also those of streams that are reset, refused by a limit or unknown, so the
// dynamic table stays in step. Every stream is one transaction, written to http.jsonl with
// the fields HTTP/1.x records have (protocols/http/http_transaction.h) plus version "2",
// stream_id, push, and when they apply reset (RST_STREAM or GOAWAY error code name),
// hpack_desync (header fields of the stream could not be decoded: the table was out of
// step), missed_bytes and tls. Request and response bodies become objects through the
// same HttpBody as HTTP/1.x (content codings removed, bounded). A server push is one
// transaction: the PUSH_PROMISE's request and the pushed response, marked push.
//
// Gaps are per direction: a gap inside a frame keeps the parser in step (a DATA payload
// with a hole: its object is partial with the missed bytes); a gap over a frame boundary
// marks every stream open in that direction partial (missed_bytes counts the whole gap for
// each, an upper bound), puts that direction's HPACK table out of step, and parsing resumes
// at a trusted frame boundary, or that direction is given up (anomaly
// http2_<client|server>_direction_lost on the streams it leaves). Streams whose headers
// could not be decoded keep their record but their DATA is not extracted (it cannot be
// named, typed or decoded). For --follow it hands decoded streams to an Http2FollowSink;
// printing them is the tool's business.
#ifndef TCPFOLLOW_PROTOCOLS_HTTP2_HTTP2_ANALYZER_H_
#define TCPFOLLOW_PROTOCOLS_HTTP2_HTTP2_ANALYZER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "protocols/content/content_decoder.h"
#include "protocols/http/http_transaction.h"
#include "protocols/http2/hpack.h"
#include "protocols/http2/http2_frames.h"
#include "reassembly/analyzer.h"

namespace tcpfollow {

// Bodies, content codings and anomalies as HTTP/1.x: HttpCommonLimits
// (protocols/http/http_transaction.h).
struct Http2Limits : HttpCommonLimits {
  Http2FrameLimits frames;  // header block bytes, CONTINUATIONs per block, resync window
  HpackLimits hpack;        // HPACK table size, header list size
  // Open streams tracked (servers commonly allow 100-128); more are counted, not kept. With
  // the header list limit this bounds what one connection holds: 256 x 64 KiB.
  size_t max_concurrent_streams = 256;
};

// Records, objects, content codings, MIME types, form-data: HttpCommonStats.
struct Http2Stats : HttpCommonStats {
  Http2FrameStats frames;  // both directions
  HpackStats hpack;        // both directions
  uint64_t connections = 0;
  uint64_t streams = 0;
  uint64_t resets = 0;        // streams ended by RST_STREAM or GOAWAY
  uint64_t pushes = 0;
  uint64_t streams_limited = 0;      // new streams beyond max_concurrent_streams
  uint64_t hpack_desync_streams = 0;
  uint64_t unattributed_data_bytes = 0;  // DATA of unknown streams or undecoded headers
};

// The HTTP/1.1 request of an h2c upgrade (`Upgrade: h2c` answered by 101): stream 1.
// Either as HttpAnalyzer parsed it (FromHttp1: its request fields and the objects it already
// extracted from the request body), or field by field.
struct Http2UpgradeRequest {
  std::string method, uri, version = "1.1", host;
  std::vector<std::pair<std::string, std::string>> headers;  // as received, Host included
  std::string body;   // the request body as sent (content codings still applied)
  bool body_complete = true;
  // When the HTTP/1.x analyzer already extracted the body (leave `body` empty): its
  // objects, named in stream 1's record instead of being stored twice.
  std::vector<std::string> orig_fuids, orig_mime_types, orig_declared_mime_types;
  absl::Time ts;
  // Set by FromHttp1: the request half of the HTTP/1.1 transaction, copied as is.
  std::unique_ptr<HttpTransaction> http1;

  // From HttpAnalyzer::upgraded().
  static Http2UpgradeRequest FromHttp1(const HttpTransaction& tx);
};

// Receives an HTTP/2 connection per stream, as Wireshark's Follow HTTP/2 Stream shows it
// (for --follow): each decoded header block as "name: value" lines closed by an empty
// line, and DATA payloads as sent (content codings kept, padding removed). A pushed
// stream's promised request comes as its client-to-server header block.
using Http2FollowSink = StreamTranscript;

struct Http2Options {
  bool tls = false;  // plaintext of a decrypted TLS session: records say tls: true
  // The client direction starts with the 24-byte preface (prior knowledge, ALPN h2, h2c
  // after the 101). False: frames from the first byte.
  bool expect_preface = true;
  // Joined mid-connection: look for a trusted frame boundary first; HPACK out of step.
  bool midstream = false;
  // Set for an h2c upgrade; copied.
  const Http2UpgradeRequest* upgrade = nullptr;
  // Optional per-stream transcript; must outlive the analyzer.
  Http2FollowSink* follow = nullptr;
};

// Is this the start of an HTTP/2 client preface? kYes with all 24 bytes, kMaybe for a
// shorter prefix of it, kNo otherwise. (Its own tri-state, so this package does not depend
// on the connection plumbing; it maps one to one onto protocol_stack's Detection.)
enum class Http2Detection { kNo, kMaybe, kYes };
Http2Detection LooksLikeHttp2Preface(absl::string_view client_first_bytes);

class Http2Analyzer : public Analyzer {
 public:
  // `out` and `stats` (optional) must outlive the analyzer.
  Http2Analyzer(const ConnectionInfo& conn, AnalyzerOutput* out, const Http2Limits& limits = {},
                Http2Stats* stats = nullptr, const Http2Options& options = {});
  ~Http2Analyzer() override;

  size_t OnData(Direction dir, absl::Time ts, absl::string_view bytes) override;
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override;
  void OnEnd(Direction dir, absl::Time ts) override;
  void OnClose(absl::Time ts) override;
  const char* service() const override { return "http"; }

  const Http2Stats& stats() const { return *stats_; }

  struct Stream;
  class Side;

 private:
  Stream* FindStream(uint32_t id);
  // A new stream (nullptr when over max_concurrent_streams).
  Stream* NewStream(uint32_t id);
  void EndSide(Stream* s, int side, bool incomplete);
  void Reset(Stream* s, uint32_t code);
  void MaybeEmit(Stream* s);
  void Emit(Stream* s);
  void StartUpgrade(const Http2UpgradeRequest& req);

  ConnectionInfo conn_;
  AnalyzerOutput* out_;
  Http2Limits limits_;
  Http2Stats own_stats_;
  Http2Stats* stats_;
  Http2Options options_;
  HttpBodyContext body_ctx_;
  std::map<uint32_t, std::unique_ptr<Stream>> streams_;
  std::unique_ptr<Side> sides_[2];  // by Index(Direction)
  int depth_ = 0;
  uint32_t max_stream_[2] = {0, 0};  // highest stream id opened by the client / server
  absl::Time ts_;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_HTTP2_HTTP2_ANALYZER_H_
