// The protocols of one worker: an instance of every registered ProtocolSpec
// (tools/session/registry.cc), found by name, by ALPN id, or by content detection.
#ifndef TCPFOLLOW_TOOLS_SESSION_PROTOCOL_SET_H_
#define TCPFOLLOW_TOOLS_SESSION_PROTOCOL_SET_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "reassembly/protocol.h"

namespace tcpfollow {

class ProtocolSet {
 public:
  struct Entry {
    const ProtocolSpec* spec;
    std::unique_ptr<ProtocolInstance> instance;
  };

  // `specs` outlive the set; detection tries them in this order.
  ProtocolSet(const std::vector<ProtocolSpec>& specs, const ProtocolConfig& config);
  // A set that parses nothing (--streams-only).
  ProtocolSet() = default;

  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* Find(absl::string_view name) const;
  const Entry* FindByAlpn(absl::string_view alpn) const;
  bool empty() const { return entries_.empty(); }

 private:
  std::vector<Entry> entries_;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_SESSION_PROTOCOL_SET_H_
