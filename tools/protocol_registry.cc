#include "tools/protocol_registry.h"

namespace tcpfollow {

namespace {

class Protocols : public ProtocolContext {
 public:
  const ProtocolSet& set() const override { return set_; }
  std::vector<std::string> SummaryLines() const override { return {}; }

  ProtocolSet set_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ProtocolContext>> MakeProtocols(const Options& options) {
  auto p = std::make_unique<Protocols>();
  return std::unique_ptr<ProtocolContext>(std::move(p));
}

}  // namespace tcpfollow
