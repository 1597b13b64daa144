#include "tools/session/protocol_set.h"

namespace tcpfollow {

ProtocolSet::ProtocolSet(const std::vector<ProtocolSpec>& specs, const ProtocolConfig& config) {
  for (const ProtocolSpec& spec : specs) entries_.push_back({&spec, spec.make(config)});
}

const ProtocolSet::Entry* ProtocolSet::Find(absl::string_view name) const {
  for (const Entry& e : entries_) {
    if (e.spec->name == name) return &e;
  }
  return nullptr;
}

const ProtocolSet::Entry* ProtocolSet::FindByAlpn(absl::string_view alpn) const {
  if (alpn.empty()) return nullptr;
  for (const Entry& e : entries_) {
    for (const std::string& id : e.spec->alpn) {
      if (id == alpn) return &e;
    }
  }
  return nullptr;
}

}  // namespace tcpfollow
