// TurnLog: the order in which a connection's first bytes came, for the flows.jsonl field
// `turns` (raw streams) and `plain_turns` (decrypted plaintext). Each entry is
// [direction, n]: direction 0 is the client, 1 the server; n > 0 bytes that direction sent
// (the next n bytes of its stream file), n < 0 bytes missing from the capture there (a gap:
// the stream file goes on with the bytes after it). With it the report interleaves the two
// stream files the way Follow TCP Stream shows a conversation. Only the beginning is kept
// (TurnLogLimits); the stream files hold everything.
#ifndef TCPFOLLOW_TOOLS_REPORT_TURN_LOG_H_
#define TCPFOLLOW_TOOLS_REPORT_TURN_LOG_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"

namespace tcpfollow {

struct TurnLogLimits {
  size_t max_turns = 64;         // entries kept
  uint64_t max_bytes = 16384;    // bytes (both directions) after which nothing is added
};

class TurnLog {
 public:
  explicit TurnLog(TurnLogLimits limits = TurnLogLimits()) : limits_(limits) {}

  void Data(int dir, uint64_t n) { Add(dir, static_cast<int64_t>(n)); }
  void Gap(int dir, uint64_t n) { Add(dir, -static_cast<int64_t>(n)); }
  bool empty() const { return turns_.empty(); }
  // True when a limit stopped the log before the connection ended.
  bool truncated() const { return truncated_; }

  nlohmann::json ToJson() const {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& [dir, n] : turns_) a.push_back({dir, n});
    return a;
  }

 private:
  void Add(int dir, int64_t n) {
    if (n == 0) return;
    if (bytes_ >= limits_.max_bytes) {
      truncated_ = true;
      return;
    }
    if (!turns_.empty() && turns_.back().first == dir && (turns_.back().second > 0) == (n > 0)) {
      turns_.back().second += n;
    } else if (turns_.size() < limits_.max_turns) {
      turns_.push_back({dir, n});
    } else {
      truncated_ = true;
      bytes_ = limits_.max_bytes;
      return;
    }
    if (n > 0) bytes_ += static_cast<uint64_t>(n);
  }

  TurnLogLimits limits_;
  std::vector<std::pair<int, int64_t>> turns_;
  uint64_t bytes_ = 0;
  bool truncated_ = false;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_REPORT_TURN_LOG_H_
