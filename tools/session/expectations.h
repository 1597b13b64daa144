// Connections announced before they start (a protocol's data channels, such as those a
// passive-mode reply announces): the
// next connection from `client` (any address if unset) to `server` (port 0: any port)
// within the timeout of packet time is given to the announced analyzer instead of content
// detection. Bounded (the oldest announcement goes first) and thread-safe: with --threads
// every worker shares one table.
#ifndef TCPFOLLOW_TOOLS_SESSION_EXPECTATIONS_H_
#define TCPFOLLOW_TOOLS_SESSION_EXPECTATIONS_H_

#include <cstdint>
#include <mutex>
#include <vector>

#include "reassembly/analyzer.h"

namespace tcpfollow {

class ExpectationTable {
 public:
  static constexpr size_t kMaxExpectations = 1024;

  void Expect(const IpAddress& client, const Endpoint& server, absl::Time now,
              absl::Duration timeout, AnalyzerFactory factory);
  // The factory of an expectation matching this new connection, removed; null if none.
  AnalyzerFactory Take(const ConnectionInfo& conn);
  uint64_t matched() const;
  uint64_t dropped() const;  // evicted by kMaxExpectations

 private:
  struct Expectation {
    IpAddress client;
    Endpoint server;
    absl::Time deadline;
    AnalyzerFactory factory;
  };
  mutable std::mutex mu_;
  std::vector<Expectation> table_;  // few at a time: one per announced transfer
  uint64_t matched_ = 0;
  uint64_t dropped_ = 0;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_SESSION_EXPECTATIONS_H_
