// The chain of stages of one connection, from reassembled bytes to the protocol analyzers:
// content detection (port hints only order the candidates), then the detected stage; when a
// stage asks for a switch (reassembly/analyzer.h: Handoff) the chain performs it at the
// byte where the stage stopped: TLS (STARTTLS, AUTH TLS, PROT P, a TLS tunnel), a named
// protocol (h2c after a 101), or detection afresh (what a CONNECT tunnel carries). A TLS
// stage's plaintext goes to a nested chain that starts with the protocol the handoff
// named, the one ALPN names, or detection by content.
//
// Detection holds the first bytes of each direction (bounded) until a protocol claims
// them or all decline. A stream whose start was not captured (a gap first, or no
// handshake seen) is still detected from lines after the gap, and the analyzer is told.
// Such a stream may begin with bytes no detector can place (the tail of a download under
// way when the capture started): while some protocol still says "maybe", a direction
// whose window fills is not held but passed on as a gap (up to kMaxMidstreamSkipBytes
// per direction), and detection goes on with what follows (the next request).
#ifndef TCPFOLLOW_TOOLS_SESSION_STAGE_CHAIN_H_
#define TCPFOLLOW_TOOLS_SESSION_STAGE_CHAIN_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "reassembly/analyzer.h"
#include "reassembly/protocol.h"
#include "tools/session/protocol_set.h"

namespace tcpfollow {

// Sees the plaintext of a connection's first TLS layer on its way to the next stage
// (plaintext stream files, --follow, --write-decrypted).
class PlaintextTap {
 public:
  virtual ~PlaintextTap() = default;
  // An analyzer that observes the plaintext and passes it to `next` (which may be null).
  virtual std::unique_ptr<Analyzer> Tap(std::unique_ptr<Analyzer> next) = 0;
};

struct StageChainStats {
  uint64_t detected = 0;        // chains whose protocol was found
  uint64_t undetected = 0;      // chains where every protocol declined
  uint64_t midstream_detected = 0;
  uint64_t midstream_skipped_bytes = 0;  // not held while detecting: a gap to the analyzer
  uint64_t switches = 0;        // handoffs performed
  uint64_t switches_refused = 0;  // to a protocol nobody parses, or past the caps
  uint64_t alpn_selected = 0;   // plaintext stages chosen by ALPN
  // Decrypted TLS sessions whose plaintext no stage parsed, by reason: "ALPN spdy/3" (an
  // ALPN no protocol claims, and nothing recognised the bytes), "no protocol detected in
  // the plaintext" (no ALPN). At most kMaxNotParsedReasons reasons; more ALPNs are
  // counted as "ALPN (other)".
  std::map<std::string, uint64_t> decrypted_not_parsed;
};

class StageChain : public Analyzer {
 public:
  static constexpr size_t kMaxDetectBytes = 8192;  // per direction
  static constexpr size_t kMaxPendingBytes = 4 * kMaxDetectBytes;
  static constexpr uint64_t kMaxMidstreamSkipBytes = 256 * 1024;  // per direction
  static constexpr int kMaxDepth = 4;     // TLS inside a tunnel inside TLS ...
  static constexpr int kMaxSwitches = 8;  // handoffs in one chain
  static constexpr size_t kMaxNotParsedReasons = 16;

  // `conn`, `out`, `set`, `tap` and `stats` outlive the chain; `tap` and `stats` may be
  // null. `start` names the first stage ("" : detect, unless facts.alpn names one).
  StageChain(const ConnectionInfo* conn, AnalyzerOutput* out, const ProtocolSet* set,
             StageFacts facts, PlaintextTap* tap, StageChainStats* stats,
             const std::string& start = "", int depth = 0);
  // A chain whose first stage is already made (an expected connection).
  StageChain(const ConnectionInfo* conn, AnalyzerOutput* out, const ProtocolSet* set,
             std::unique_ptr<Analyzer> first, PlaintextTap* tap, StageChainStats* stats);
  ~StageChain() override;

  size_t OnData(Direction dir, absl::Time ts, absl::string_view bytes) override;
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override;
  void OnEnd(Direction dir, absl::Time ts) override;
  void OnClose(absl::Time ts) override;
  // The first stage's protocol (its ProtocolSpec name), "" while none.
  const char* service() const override { return service_.c_str(); }

 private:
  struct Pending {
    enum class Kind { kData, kGap, kEnd } kind;
    Direction dir;
    absl::Time ts;
    std::string bytes;
    uint64_t gap = 0;
  };
  enum class State { kDetecting, kRunning, kIgnoring };

  void Detect(absl::Time ts, bool final);
  // Midstream: `dir`'s held bytes become gaps and its window starts afresh; false once
  // more than kMaxMidstreamSkipBytes of it were skipped.
  bool SkipHeld(Direction dir);
  // Runs `analyzer` and replays what detection held.
  void Start(std::unique_ptr<Analyzer> analyzer, const std::string& name);
  std::unique_ptr<Analyzer> Make(const ProtocolSet::Entry& entry, const StageFacts& facts,
                                 const std::string& inner);
  void Forward(Direction dir, absl::Time ts, absl::string_view bytes);
  void Switch(Handoff h, Direction dir, absl::Time ts, absl::string_view rest);
  void Restart(StageFacts facts);
  void GiveUp();
  // At the end: a TLS plaintext chain that carried bytes but never ran a stage says why.
  void CountNotParsed();

  const ConnectionInfo* conn_;
  AnalyzerOutput* out_;
  const ProtocolSet* set_;
  StageFacts facts_;
  PlaintextTap* tap_;  // null once used: only the first TLS layer is tapped
  StageChainStats* stats_;
  StageChainStats own_stats_;
  int depth_;
  int switches_ = 0;

  State state_ = State::kDetecting;
  std::vector<Pending> pending_;
  size_t pending_bytes_ = 0;
  std::string window_[2];  // detection window per direction (after the last gap)
  bool ended_[2] = {false, false};
  bool first_data_[2] = {true, true};
  uint64_t skipped_[2] = {0, 0};

  std::unique_ptr<Analyzer> analyzer_;
  std::unique_ptr<Analyzer> successor_;  // for the plaintext of a TLS stage (PROT P)
  std::string service_;
  std::string unknown_start_;  // the first stage was named but no protocol has that name
  bool saw_data_ = false;
  bool counted_ = false;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_SESSION_STAGE_CHAIN_H_
