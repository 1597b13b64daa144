// The contract between stream stages (TLS decryption, HTTP/SMTP/FTP parsing) and the tool
// that owns files. A protocol is one package that implements Analyzer, plus a content
// detector; it never opens files: records, extracted objects and expected connections go
// through AnalyzerOutput, which tools/ implements (and tests implement in memory).
//
// Flow of one connection: reassembly -> (TLS decryptor ->) protocol analyzer. An analyzer
// may hand the rest of its stream to TLS (SMTP STARTTLS, FTP AUTH TLS, HTTP CONNECT): it
// then consumes less than it was given and reports handoff() == Handoff::kTls; the owner
// routes the unconsumed bytes and everything after them through a TLS decryptor whose
// plaintext feeds a fresh analyzer of the same protocol.
#ifndef TCPFOLLOW_REASSEMBLY_ANALYZER_H_
#define TCPFOLLOW_REASSEMBLY_ANALYZER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

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
  std::string mime_type;  // may be empty
  std::string extension;  // preferred extension without dot when name has none ("eml")
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
  // Closes the object and writes its files.jsonl record. `extra` fields are merged into
  // that record (e.g. {"partial": true}).
  virtual ObjectResult Finish(absl::Time ts, const nlohmann::json& extra = nlohmann::json::object()) = 0;
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
  // The next connection from `client` (port 0: any port) to `server` within `timeout`
  // of packet time is analysed by `factory` instead of content detection.
  virtual void ExpectConnection(const IpAddress& client, const Endpoint& server,
                                absl::Time now, absl::Duration timeout,
                                AnalyzerFactory factory) = 0;
};

enum class Handoff : uint8_t {
  kNone,    // keep feeding this analyzer
  kTls,     // route the remaining bytes through TLS, then a fresh analyzer
  kOpaque,  // stop parsing (websocket, h2c, tunnel of unknown content); bytes are ignored
};

class Analyzer {
 public:
  virtual ~Analyzer() = default;
  // Returns the number of bytes consumed: all of them, unless handoff() just became
  // something other than kNone, in which case the rest belongs to the next stage.
  virtual size_t OnData(Direction dir, absl::Time ts, absl::string_view bytes) = 0;
  virtual void OnGap(Direction dir, absl::Time ts, uint64_t length) = 0;
  virtual void OnEnd(Direction dir, absl::Time ts) = 0;
  // The connection is over: flush anything in progress (marked partial if incomplete).
  virtual void OnClose(absl::Time ts) = 0;
  virtual Handoff handoff() const { return Handoff::kNone; }
  // After a handoff: bytes of `dir` this analyzer consumed before it knew about the
  // handoff (the ClientHello a client sends right after CONNECT, before the 200). The
  // owner feeds them to the next stage ahead of the unconsumed rest.
  virtual std::string TakeHeldBytes(Direction dir) { return std::string(); }
  // After a handoff to TLS by an analyzer whose protocol was known in advance (an FTP data
  // connection after PROT P, found by expectation, not by content): the analyzer for the
  // plaintext. Null: the plaintext is not parsed.
  virtual std::unique_ptr<Analyzer> MakeAfterTls() { return nullptr; }
  // flows.jsonl "service" value: "http", "tls", "smtp", "ftp", "ftp-data".
  virtual const char* service() const = 0;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_REASSEMBLY_ANALYZER_H_
