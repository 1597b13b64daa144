#include "tools/session/expectations.h"

namespace tcpfollow {

void ExpectationTable::Expect(const IpAddress& client, const Endpoint& server, absl::Time now,
                              absl::Duration timeout, AnalyzerFactory factory) {
  std::lock_guard<std::mutex> lock(mu_);
  // Drop stale ones first; the table stays small and bounded whatever the traffic says.
  std::vector<Expectation> kept;
  for (auto& e : table_) {
    if (e.deadline >= now) kept.push_back(std::move(e));
  }
  table_ = std::move(kept);
  if (table_.size() >= kMaxExpectations) {
    table_.erase(table_.begin());
    ++dropped_;
  }
  table_.push_back({client, server, now + timeout, std::move(factory)});
}

AnalyzerFactory ExpectationTable::Take(const ConnectionInfo& conn) {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < table_.size(); ++i) {
    const Expectation& e = table_[i];
    if (e.deadline < conn.start) continue;
    bool server_matches = e.server.addr == conn.server.addr &&
                          (e.server.port == 0 || e.server.port == conn.server.port);
    bool client_matches =
        e.client.family == IpAddress::Family::kNone || e.client == conn.client.addr;
    if (server_matches && client_matches) {
      AnalyzerFactory f = std::move(table_[i].factory);
      table_.erase(table_.begin() + static_cast<long>(i));
      ++matched_;
      return f;
    }
  }
  return nullptr;
}

uint64_t ExpectationTable::matched() const {
  std::lock_guard<std::mutex> lock(mu_);
  return matched_;
}

uint64_t ExpectationTable::dropped() const {
  std::lock_guard<std::mutex> lock(mu_);
  return dropped_;
}

}  // namespace tcpfollow
