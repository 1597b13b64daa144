// The protocols tcpfollow knows, in detection order, and the TLS stage. Adding a
// protocol is one package plus one entry in protocol_registry.cc.
#ifndef TCPFOLLOW_TOOLS_PROTOCOL_REGISTRY_H_
#define TCPFOLLOW_TOOLS_PROTOCOL_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/options.h"
#include "protocols/protocol_stack.h"

namespace tcpfollow {

// Key material and the like loaded once per run; errors name the file at fault.
class ProtocolContext {
 public:
  virtual ~ProtocolContext() = default;
  // The protocol set of worker `shard`: analyzers share key stores and the TLS session
  // cache (both locked) but each worker has its own counters and SMTP memory budget.
  virtual const ProtocolSet& set(int shard = 0) const = 0;
  // Summary lines ("TLS sessions 4 (decrypted 3, ...)") for the end of a run;
  // `tls_records` is the number of sessions tls.jsonl recorded.
  virtual std::vector<std::string> SummaryLines(uint64_t tls_records) const = 0;
  // Live capture: re-reads key logs that may have grown.
  virtual void Refresh() {}
};

absl::StatusOr<std::unique_ptr<ProtocolContext>> MakeProtocols(const Options& options,
                                                                int shards = 1);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_PROTOCOL_REGISTRY_H_
