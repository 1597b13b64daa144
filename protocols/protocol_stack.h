// Chooses and runs the protocol analyzers of one connection. Protocols are detected by
// content on any port (ports are never trusted): the first bytes of each direction are
// held, bounded, until one protocol claims them or all decline. When an analyzer hands its
// connection over to TLS (STARTTLS, AUTH TLS, CONNECT), the rest of the stream is routed
// through a TLS decryptor whose plaintext feeds a fresh analyzer of the same protocol.
//
// Adding a protocol means adding one package with an Analyzer and a detector, and one
// entry in tools/protocol_registry.cc; nothing else in the pipeline changes. TLS enters
// only through ProtocolSet::make_tls, so this package does not depend on tls/.
#ifndef TCPFOLLOW_PROTOCOLS_PROTOCOL_STACK_H_
#define TCPFOLLOW_PROTOCOLS_PROTOCOL_STACK_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "reassembly/analyzer.h"

namespace tcpfollow {

enum class Detection { kNo, kMaybe, kYes };

struct ProtocolSpec {
  std::string name;
  // First bytes seen so far in each direction (either may be empty).
  std::function<Detection(absl::string_view client, absl::string_view server)> detect;
  // after_tls: the analyzer receives the plaintext of a connection this protocol switched
  // to TLS (it starts after the greeting and marks its records tls=true).
  std::function<std::unique_ptr<Analyzer>(const ConnectionInfo&, AnalyzerOutput*,
                                          bool after_tls)>
      make;
};

// Builds the TLS stage: a decryptor (itself an Analyzer) whose plaintext goes to the
// analyzer `downstream` returns, called once the session's protocol is known.
using TlsStageFactory = std::function<std::unique_ptr<Analyzer>(
    const ConnectionInfo&, AnalyzerOutput*, std::function<std::unique_ptr<Analyzer>()> downstream)>;

struct ProtocolSet {
  std::vector<ProtocolSpec> protocols;  // cleartext protocols, in detection priority order
  std::function<Detection(absl::string_view client, absl::string_view server)> detect_tls;
  TlsStageFactory make_tls;  // null when TLS support is not built in
};

class ProtocolStack : public Analyzer {
 public:
  // `wrap_plaintext` lets the tool tee decrypted bytes (plaintext stream files) before
  // they reach the next analyzer; it may return its argument unchanged.
  using PlainWrapper = std::function<std::unique_ptr<Analyzer>(std::unique_ptr<Analyzer>)>;

  ProtocolStack(const ConnectionInfo* conn, AnalyzerOutput* out, const ProtocolSet* set,
                bool allow_tls, PlainWrapper wrap_plaintext);
  // A stack whose protocol is already known (an expected FTP data connection).
  ProtocolStack(const ConnectionInfo* conn, AnalyzerOutput* out, const ProtocolSet* set,
                std::unique_ptr<Analyzer> known, PlainWrapper wrap_plaintext);

  size_t OnData(Direction dir, absl::Time ts, absl::string_view bytes) override;
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override;
  void OnEnd(Direction dir, absl::Time ts) override;
  void OnClose(absl::Time ts) override;
  Handoff handoff() const override { return Handoff::kNone; }
  const char* service() const override;

  static constexpr size_t kMaxDetectBytes = 8192;

 private:
  struct Pending {
    enum class Kind { kData, kGap, kEnd } kind;
    Direction dir;
    absl::Time ts;
    std::string bytes;
    uint64_t gap = 0;
  };

  void Detect(absl::Time ts);
  void Start(std::unique_ptr<Analyzer> analyzer, const ProtocolSpec* spec);
  void Forward(Direction dir, absl::Time ts, absl::string_view bytes);
  void GiveUp();

  const ConnectionInfo* conn_;
  AnalyzerOutput* out_;
  const ProtocolSet* set_;
  bool allow_tls_;
  PlainWrapper wrap_plaintext_;

  enum class State { kDetecting, kRunning, kIgnoring } state_ = State::kDetecting;
  std::vector<Pending> pending_;
  std::string first_[2];  // detection window per direction
  size_t pending_bytes_ = 0;

  std::unique_ptr<Analyzer> analyzer_;  // the cleartext analyzer, or the TLS stage
  const ProtocolSpec* spec_ = nullptr;  // protocol of analyzer_ when cleartext
  bool via_tls_ = false;                // analyzer_ is a TLS stage
  std::string service_;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_PROTOCOL_STACK_H_
