// The protocols tcpfollow knows, in detection order (registry.cc: one line per protocol),
// and the run-wide state built from them: one ProtocolSet per worker, the TLS key material,
// the summed counters (stats.json) and the summary lines. Everything that lists protocols
// (--help, --list-protocols, --list-logs, the summary) is derived from here.
#ifndef TCPFOLLOW_TOOLS_SESSION_REGISTRY_H_
#define TCPFOLLOW_TOOLS_SESSION_REGISTRY_H_

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "reassembly/protocol.h"
#include "tools/options.h"
#include "tools/session/keys.h"
#include "tools/session/protocol_set.h"

namespace tcpfollow {

// Every protocol, TLS first. `tls` (key stores) may be empty when only names are needed.
std::vector<ProtocolSpec> RegisteredProtocols(tls::TlsDecryptorConfig tls = {});
// Every log a run can write: "flows", the protocols' logs, "files".
std::vector<std::string> RegisteredLogs();
// For --help: one line per protocol.
std::string ProtocolHelp();

class ProtocolRuntime {
 public:
  // --streams-only (`options.analyze` false): sets that parse nothing.
  static absl::StatusOr<std::unique_ptr<ProtocolRuntime>> Load(const Options& options,
                                                               int shards);

  const ProtocolSet& set(int shard) const { return sets_[shard]; }
  tls::KeyMaterial* keys() { return keys_.get(); }
  const std::vector<ProtocolSpec>& specs() const { return specs_; }
  // Per protocol, its counters summed over the workers; plus "keys".
  nlohmann::json Stats() const;
  // The protocols' own summary lines (TLS sessions decrypted and why not), key material.
  std::vector<std::string> SummaryLines() const;

 private:
  std::unique_ptr<tls::KeyMaterial> keys_;
  std::vector<ProtocolSpec> specs_;
  std::deque<ProtocolSet> sets_;  // deque: analyzers keep pointers into its elements
};

// Adds the numbers of `from` into `into`, key by key (objects recursively).
void SumJson(nlohmann::json* into, const nlohmann::json& from);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_SESSION_REGISTRY_H_
