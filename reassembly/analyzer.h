// The contract between stream stages (TLS decryption, HTTP/SMTP/FTP parsing) and the tool
// that owns files. A protocol is one package that implements Analyzer, plus a content
// detector; it never opens files: records, extracted objects and expected connections go
// through AnalyzerOutput, which tools/ implements (and tests implement in memory).
//
// Flow of one connection: reassembly -> a chain of stages (tools/session/): TLS, then the
// protocol that ALPN or content names. A stage never builds its successor: when its stream
// changes protocol (SMTP STARTTLS, FTP AUTH TLS or PROT P, HTTP CONNECT or Upgrade) it asks
// for the switch with RequestHandoff() and consumes nothing more; the session layer
// performs the switch at the byte where OnData stopped, as Suricata's app layer does.
#ifndef TCPFOLLOW_REASSEMBLY_ANALYZER_H_
#define TCPFOLLOW_REASSEMBLY_ANALYZER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "reassembly/stream_sink.h"

namespace tcpfollow {

// What an extracted object is. `name` is the protocol's own name for it (URI file name,
// Content-Disposition, MIME filename, FTP argument) exactly as seen: the output layer
// sanitises it, analyzers never do path handling.
struct ObjectMeta {
  std::string source;     // "http", "smtp", "ftp"
  std::string name;       // may be empty or hostile
  std::string mime_type;  // sniffed from the bytes (protocols/mime_sniffer); may be empty
  std::string extension;  // preferred extension without dot when name has none ("eml");
                          // empty: the output layer takes one from mime_type
  // Which end of the connection given to BeginObject sent the object: files.jsonl's
  // tx_hosts (that end's address), rx_hosts (the other's) and is_orig. Unset: not logged.
  std::optional<Direction> sender;
  std::string declared_mime_type;  // what the protocol said (Content-Type); may be empty
  // The carrying record's key facts under its log's field names ({"method", "host", "uri"}),
  // merged into the files.jsonl record; for objects stitched from pieces (HTTP 206), whose
  // record no single Finish writes. Others may pass them to Finish instead.
  nlohmann::json carried_by = nlohmann::json::object();
};

// Where an object ended up; filled when the object is finished.
struct ObjectResult {
  std::string fuid;    // unique id, referenced from http/smtp/ftp records
  std::string path;    // relative to the output directory
  std::string sha256;  // hex
  uint64_t size = 0;
  bool ok = true;      // false when writing failed (disk full, ...)
};

class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual const std::string& fuid() const = 0;
  virtual void Write(absl::string_view bytes) = 0;
  // `length` bytes at this point were not captured. An object stored by offset (a piece,
  // see AnalyzerOutput::BeginObjectPiece) leaves a hole there; others continue after it.
  virtual void Gap(uint64_t length) { (void)length; }
  // Closes the object and writes its files.jsonl record. `extra` fields are merged into
  // that record: {"partial": true}, and the carrying record's key facts under that log's
  // own field names (http: method, host, uri; smtp: mailfrom, rcptto, subject; ftp:
  // command, arg), so that files.jsonl needs no join.
  virtual ObjectResult Finish(absl::Time ts, const nlohmann::json& extra = nlohmann::json::object()) = 0;
};

// One piece of a resource sent in parts (an HTTP 206 range): bytes from `offset` of the
// resource named `key`. Pieces with the same key, from any transaction on any connection,
// are stitched into one object by offset.
struct ObjectPiece {
  std::string key;      // the resource (HTTP: host, URI and validator); never empty
  uint64_t offset = 0;  // of the piece's first byte in the resource
  uint64_t length = 0;  // bytes the piece says it holds; more are dropped
  int64_t total = -1;   // the resource's length, -1 when not known ("bytes 0-99/*")
};

class Analyzer;

// Creates the analyzer for a connection that an analyzer announced (FTP data channels).
using AnalyzerFactory = std::function<std::unique_ptr<Analyzer>(const ConnectionInfo&)>;

class AnalyzerOutput {
 public:
  virtual ~AnalyzerOutput() = default;
  // Appends one record to DIR/<log>.jsonl ("http", "tls", "smtp", "ftp"). The output layer
  // adds ts, uid and id.* of `conn`; `fields` holds the rest.
  virtual void Record(absl::string_view log, const ConnectionInfo& conn, absl::Time ts,
                      nlohmann::json fields) = 0;
  // Starts an extracted object for `conn`.
  virtual std::unique_ptr<ObjectWriter> BeginObject(const ConnectionInfo& conn,
                                                    const ObjectMeta& meta) = 0;
  // Starts a piece of a stitched object (see ObjectPiece). The writer's fuid is the
  // stitched object's, the same for every piece of the resource; its Finish writes no
  // record: the stitched object gets one files.jsonl record when it is complete, or as
  // incomplete when the run ends or a limit closes it. The default (outputs that do not
  // stitch) stores the piece as an object of its own.
  virtual std::unique_ptr<ObjectWriter> BeginObjectPiece(const ConnectionInfo& conn,
                                                         const ObjectMeta& meta,
                                                         const ObjectPiece& piece) {
    (void)piece;
    return BeginObject(conn, meta);
  }
  // The first `piece.length` bytes of resource `piece.key` are the object at `path` (relative
  // to the output), an answer cut short that a 206 may resume (curl -C -): when ranges of
  // that resource come, their stitched object starts with those bytes. Default: ignored.
  virtual void OfferObjectPrefix(const ConnectionInfo& conn, const ObjectMeta& meta,
                                 const ObjectPiece& piece, const std::string& path) {
    (void)conn, (void)meta, (void)piece, (void)path;
  }
  // The next connection from `client` (port 0: any port) to `server` within `timeout`
  // of packet time is analysed by `factory` instead of content detection.
  virtual void ExpectConnection(const IpAddress& client, const Endpoint& server,
                                absl::Time now, absl::Duration timeout,
                                AnalyzerFactory factory) = 0;
};

// Where a stage that multiplexes streams over one connection (HTTP/2) writes each stream's
// conversation for Follow, as text (Wireshark's Follow HTTP/2 Stream).
class StreamTranscript {
 public:
  virtual ~StreamTranscript() = default;
  virtual void OnStreamText(uint32_t stream, Direction dir, absl::Time ts,
                            absl::string_view text) = 0;
  // What the streams are, for Follow's headers ("http2 stream" gives "http2 stream 3");
  // said by the stage's protocol when it makes the stage.
  virtual void NameStreams(absl::string_view what) { (void)what; }
};

// What a stage learned that the stage after it needs.
struct StageFacts {
  bool tls = false;        // the bytes are the plaintext of a TLS session
  bool continued = false;  // the protocol goes on after a switch (STARTTLS): no greeting
  bool midstream = false;  // the stream's start was not captured: begin at a boundary
  std::string alpn;        // negotiated by TLS ("h2", "http/1.1")
  std::string sni;
  std::string tls_version;  // "TLSv12"
  // The HTTP/1.1 request that asked for an upgrade (h2c: it is stream 1), as name/value
  // pairs with the pseudo-headers :method, :path, :authority, :scheme first.
  std::vector<std::pair<std::string, std::string>> upgrade_request;
  // Set by the session when the connection is followed; passed down the whole chain.
  StreamTranscript* transcript = nullptr;
};

// Protocol names a Handoff can name besides the registered protocols.
inline constexpr const char kDetectByContent[] = "";  // a tunnel: TLS or whatever it carries
inline constexpr const char kTlsStage[] = "tls";

// A switch of protocol asked for by a stage: STARTTLS, AUTH TLS, PROT P, CONNECT, Upgrade.
struct Handoff {
  std::string to;     // the next stage: kTlsStage, "http2", kDetectByContent, ...; a name
                      // no protocol has ("websocket") means the rest is not parsed
  std::string inner;  // after kTlsStage: the protocol of the plaintext ("" = ALPN/content)
  // After kTlsStage, instead of `inner`: the analyzer for the plaintext, made by the stage
  // that knows its state (an FTP data connection's transfer after PROT P).
  std::unique_ptr<Analyzer> successor;
  // Bytes of each direction consumed before the switch was known (the ClientHello a client
  // sends right after CONNECT, before the 200): the next stage gets them first.
  std::string held[2];
  StageFacts facts;   // for the next stage
};

class Analyzer {
 public:
  virtual ~Analyzer() = default;
  // Returns the number of bytes consumed: all of them, unless the analyzer asked for a
  // handoff, in which case the rest belongs to the next stage.
  virtual size_t OnData(Direction dir, absl::Time ts, absl::string_view bytes) = 0;
  virtual void OnGap(Direction dir, absl::Time ts, uint64_t length) = 0;
  virtual void OnEnd(Direction dir, absl::Time ts) = 0;
  // The connection is over: flush anything in progress (marked partial if incomplete).
  virtual void OnClose(absl::Time ts) = 0;
  // flows.jsonl "service" value: "http", "tls", "smtp", "ftp", "ftp-data".
  virtual const char* service() const = 0;

  // The switch this analyzer asked for, until the session layer takes it; null if none.
  const Handoff* handoff() const { return handoff_.get(); }
  // True once the analyzer asked for a switch (taken or not): it consumes nothing more.
  bool handed_off() const { return handed_off_; }
  std::unique_ptr<Handoff> TakeHandoff() { return std::move(handoff_); }

 protected:
  // Asks the session layer to switch protocol where OnData stops consuming.
  void RequestHandoff(Handoff h) {
    handoff_ = std::make_unique<Handoff>(std::move(h));
    handed_off_ = true;
  }

 private:
  std::unique_ptr<Handoff> handoff_;
  bool handed_off_ = false;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_REASSEMBLY_ANALYZER_H_
