// How a protocol package describes itself to the session layer (tools/session/): one
// ProtocolSpec per package, listed once in tools/session/registry.cc. Everything that lists
// protocols (content detection, the chain of stages, the logs a run writes, the summary,
// stats.json, --help, the tests' log lists, the fuzz harness lists, report.html's sections)
// is derived from those specs. A spec makes one ProtocolInstance per worker: the counters and shared budgets of
// that worker's analyzers, so nothing counted vanishes with an analyzer.
#ifndef TCPFOLLOW_REASSEMBLY_PROTOCOL_H_
#define TCPFOLLOW_REASSEMBLY_PROTOCOL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "reassembly/analyzer.h"
#include "reassembly/log_view.h"

namespace tcpfollow {

enum class Detection { kNo, kMaybe, kYes };

// What content detection sees of a connection: the first bytes of each direction (either
// may be empty; after a gap, from the first line boundary after it).
struct DetectInput {
  absl::string_view client;
  absl::string_view server;
  uint16_t server_port = 0;
  bool midstream = false;     // a gap came before these bytes: the start was not captured
  bool client_ended = false;  // no more client bytes will come (FIN, or a one-sided capture)
  bool server_ended = false;
};

// Makes the stage after a producing stage (the plaintext of TLS) once the producer knows
// what it learned; may return null (the bytes are then not parsed).
using NextStage = std::function<std::unique_ptr<Analyzer>(const StageFacts&)>;

// One worker's view of a protocol: detection, analyzers, and the counters they add to.
class ProtocolInstance {
 public:
  virtual ~ProtocolInstance() = default;
  virtual Detection Detect(const DetectInput& in) const = 0;
  // `next` is for stages that produce a stream for another stage (TLS); others ignore it.
  virtual std::unique_ptr<Analyzer> NewAnalyzer(const ConnectionInfo& conn,
                                                AnalyzerOutput* out, const StageFacts& facts,
                                                NextStage next) = 0;
  // Every counter of this worker, as a JSON object (summed over workers for stats.json).
  virtual nlohmann::json Stats() const = 0;
};

// Run-wide settings a protocol may read when its instances are made.
struct ProtocolConfig {
  int shard = 0;
};

struct ProtocolSpec {
  std::string name;               // flows.jsonl service, Handoff::to / inner
  std::string description;        // one line for --help
  std::vector<std::string> logs;  // the JSONL logs its analyzers write ("http")
  std::vector<std::string> alpn;  // ALPN ids that select it inside TLS ("h2")
  std::vector<uint16_t> ports;    // well-known server ports: a hint when content is unclear
  bool detect_by_content = true;  // false: only reached by a handoff, ALPN or expectation
  std::vector<std::string> fuzz_harnesses;  // fuzz/<name>.cc targets that cover it
  std::function<std::unique_ptr<ProtocolInstance>(const ProtocolConfig&)> make;
  // End-of-run summary lines from the summed Stats() (may be null).
  std::function<std::vector<std::string>(const nlohmann::json& stats)> summary;
  // How report.html shows its logs (log_view.h): one view per log it describes; a log
  // several protocols write is described by one of them (the first in the registry wins).
  std::vector<LogView> views;
  // report.html's colour ("#rrggbb") of each service it names in flows.jsonl; a service
  // without one gets a colour from its name.
  std::vector<std::pair<std::string, std::string>> colors;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_REASSEMBLY_PROTOCOL_H_
