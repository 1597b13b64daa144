// See tcp_stream.h. Offsets are 64-bit and relative to the first data byte; a sequence
// number maps to next_offset_ plus its signed 32-bit distance from next_seq().
#include "reassembly/tcp_stream.h"

#include <algorithm>
#include <iterator>

namespace tcpfollow {
namespace {

constexpr uint64_t kUnscaledWindow = 65535;

// The one list of TCP policy names: parsing, naming, --help and error messages use it.
struct TcpPolicyEntry {
  TcpPolicy policy;
  const char* name;
};
constexpr TcpPolicyEntry kTcpPolicies[] = {
    {TcpPolicy::kFirst, "first"},        {TcpPolicy::kLast, "last"},
    {TcpPolicy::kBsd, "bsd"},            {TcpPolicy::kLinux, "linux"},
    {TcpPolicy::kOldLinux, "old-linux"}, {TcpPolicy::kWindows, "windows"},
    {TcpPolicy::kSolaris, "solaris"},
};

}  // namespace

const char* TcpPolicyName(TcpPolicy policy) {
  for (const TcpPolicyEntry& p : kTcpPolicies) {
    if (p.policy == policy) return p.name;
  }
  return "unknown";
}

bool ParseTcpPolicy(absl::string_view name, TcpPolicy* policy) {
  for (const TcpPolicyEntry& p : kTcpPolicies) {
    if (name == p.name) {
      *policy = p.policy;
      return true;
    }
  }
  return false;
}

std::string TcpPolicyNames() {
  std::string out;
  for (const TcpPolicyEntry& p : kTcpPolicies) {
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out;
}

bool NewDataWins(TcpPolicy policy, uint64_t new_start, uint64_t new_end, uint64_t old_start,
                 uint64_t old_end) {
  const bool starts_before = new_start < old_start;
  const bool starts_same = new_start == old_start;
  switch (policy) {
    case TcpPolicy::kFirst: return false;
    case TcpPolicy::kLast: return true;
    case TcpPolicy::kBsd:
    case TcpPolicy::kWindows: return starts_before;
    case TcpPolicy::kLinux: return starts_before || (starts_same && new_end > old_end);
    case TcpPolicy::kOldLinux: return starts_before || (starts_same && new_end >= old_end);
    case TcpPolicy::kSolaris:
      return new_end > old_end || (new_end == old_end && new_start <= old_start);
  }
  return false;
}

NoOpStreamSink TcpStreamReassembler::no_op_sink_;

TcpStreamReassembler::TcpStreamReassembler(Direction dir, TcpPolicy policy,
                                           const TcpStreamLimits& limits)
    : dir_(dir), policy_(policy), limits_(limits) {}

void TcpStreamReassembler::InitFromSyn(uint32_t isn) {
  InitAt(isn + 1);
  isn_known_ = true;
}

void TcpStreamReassembler::InitAt(uint32_t seq) {
  initialized_ = true;
  base_seq_ = seq;
  next_offset_ = 0;
}

int64_t TcpStreamReassembler::ToOffset(uint32_t seq) const {
  const int32_t delta = static_cast<int32_t>(seq - next_seq());
  return static_cast<int64_t>(next_offset_) + delta;
}

void TcpStreamReassembler::OnData(uint32_t seq, absl::string_view payload, absl::Time ts) {
  if (payload.empty()) return;
  if (!initialized_) InitAt(seq);
  int64_t start = ToOffset(seq);
  int64_t end = start + static_cast<int64_t>(payload.size());
  const int64_t next = static_cast<int64_t>(next_offset_);
  // Keep-alive: one byte (or none, handled above) just before the next expected byte.
  if (payload.size() == 1 && start == next - 1) {
    ++counters_.keepalives;
    return;
  }
  if (start > next && static_cast<uint64_t>(start - next) > limits_.max_seq_ahead) {
    ++counters_.out_of_window;
    return;
  }
  if (fin_offset_ >= 0 && end > fin_offset_) {  // nothing exists after the FIN
    ++counters_.out_of_window;
    if (fin_offset_ <= start) return;
    payload = payload.substr(0, static_cast<size_t>(fin_offset_ - start));
    end = fin_offset_;
  }
  if (start < 0) {  // before the first byte of the stream
    ++counters_.out_of_window;
    if (end <= 0) return;
    payload.remove_prefix(static_cast<size_t>(-start));
    start = 0;
  }
  highest_seen_ = std::max(highest_seen_, static_cast<uint64_t>(end));

  bool overlapped = false;
  bool conflict = false;
  if (start < next) {  // retransmitted bytes: what was delivered stays
    const int64_t dup_end = std::min(end, next);
    const absl::string_view dup = payload.substr(0, static_cast<size_t>(dup_end - start));
    overlapped = true;
    summary_.retransmitted_bytes += dup.size();
    if (HistoryDiffers(static_cast<uint64_t>(start), dup)) conflict = true;
    payload.remove_prefix(dup.size());
    start = dup_end;
  }
  if (!payload.empty()) {
    const uint64_t s = static_cast<uint64_t>(start);
    if (s == next_offset_ && (!holding() || s + payload.size() <= held_->chunks.begin()->first)) {
      Deliver(payload, ts);  // the common case: straight from the packet
      FlushContiguous(ts);
    } else {
      Insert(s, payload, &overlapped, &conflict);
      FlushContiguous(ts);
      EnforceCap(ts);
    }
  }
  if (overlapped) ++summary_.overlaps;
  if (conflict) ++summary_.overlap_conflicts;
  ApplyAck(ts);
  CheckFin(ts);
}

void TcpStreamReassembler::Deliver(absl::string_view bytes, absl::Time ts) {
  if (bytes.empty()) return;
  RecordHistory(bytes);
  summary_.bytes += bytes.size();
  next_offset_ += bytes.size();
  sink_->OnData(dir_, ts, bytes);
}

void TcpStreamReassembler::Insert(uint64_t s, absl::string_view payload, bool* overlapped,
                                  bool* conflict) {
  const uint64_t e = s + payload.size();
  if (!held_) held_ = std::make_unique<Held>();
  Held& h = *held_;
  auto& chunks = h.chunks;
  auto& originals = h.originals;
  auto& keep_old = h.keep_old;
  // Which new bytes lose to an earlier segment under the policy.
  keep_old.assign(payload.size(), 0);
  const uint64_t scan_from = s > h.max_original_len ? s - h.max_original_len : 0;
  for (auto it = originals.lower_bound({scan_from, 0}); it != originals.end() && it->first < e;
       ++it) {
    if (it->second <= s || NewDataWins(policy_, s, e, it->first, it->second)) continue;
    const uint64_t from = std::max(s, it->first) - s;
    const uint64_t to = std::min(e, it->second) - s;
    std::fill(keep_old.begin() + from, keep_old.begin() + to, 1);
  }
  originals.emplace(s, e);
  h.max_original_len = std::max(h.max_original_len, e - s);

  // Merge into the chunk that holds or touches `s`, or a new one, absorbing every chunk
  // up to and touching `e`.
  auto after = chunks.upper_bound(s);
  auto base = after;
  if (after != chunks.begin() && std::prev(after)->first + std::prev(after)->second.size() >= s) {
    base = std::prev(after);
  } else {
    base = chunks.emplace_hint(after, s, std::string());
  }
  std::string& bytes = base->second;
  uint64_t cur = base->first + bytes.size();
  if (cur > s) {
    Resolve(&bytes[s - base->first], s, std::min(e, cur), s, payload, overlapped, conflict);
  }
  auto n = std::next(base);
  while (true) {
    if (n != chunks.end() && n->first <= cur) {  // touches: absorb it
      const uint64_t n_end = n->first + n->second.size();
      if (e > n->first) {
        Resolve(&n->second[0], n->first, std::min(e, n_end), s, payload, overlapped, conflict);
      }
      bytes.append(n->second);
      cur = n_end;
      n = chunks.erase(n);
      continue;
    }
    if (cur >= e) break;
    const uint64_t fill_end = n == chunks.end() ? e : std::min(e, n->first);
    bytes.append(payload.data() + (cur - s), fill_end - cur);
    h.buffered += fill_end - cur;
    cur = fill_end;
  }
}

void TcpStreamReassembler::Resolve(char* held, uint64_t from, uint64_t to, uint64_t start,
                                   absl::string_view payload, bool* overlapped, bool* conflict) {
  if (to <= from) return;
  *overlapped = true;
  summary_.retransmitted_bytes += to - from;
  for (uint64_t x = from; x < to; ++x) {
    const char incoming = payload[x - start];
    char& kept = held[x - from];
    if (incoming == kept) continue;
    *conflict = true;
    if (!held_->keep_old[x - start]) kept = incoming;
  }
}

void TcpStreamReassembler::FlushContiguous(absl::Time ts) {
  while (holding() && held_->chunks.begin()->first == next_offset_) {
    auto it = held_->chunks.begin();
    held_->buffered -= it->second.size();
    Deliver(it->second, ts);
    held_->chunks.erase(it);
  }
  PruneOriginals();
}

void TcpStreamReassembler::PruneOriginals() {
  if (!held_) return;
  auto& originals = held_->originals;
  for (auto it = originals.begin(); it != originals.end() && it->first < next_offset_;) {
    it = it->second <= next_offset_ ? originals.erase(it) : std::next(it);
  }
  if (originals.empty()) held_->max_original_len = 0;
  if (originals.empty() && held_->chunks.empty()) held_.reset();  // back in order
}

void TcpStreamReassembler::SkipTo(uint64_t offset, absl::Time ts) {
  if (offset <= next_offset_) return;
  const uint64_t gap = offset - next_offset_;
  summary_.missed_bytes += gap;
  ++summary_.gaps;
  next_offset_ = offset;
  // Held bytes before the new position can no longer be delivered in order.
  while (holding() && held_->chunks.begin()->first < offset) {
    auto& chunks = held_->chunks;
    auto it = chunks.begin();
    const uint64_t end = it->first + it->second.size();
    if (end <= offset) {
      held_->buffered -= it->second.size();
      chunks.erase(it);
      continue;
    }
    std::string rest = it->second.substr(offset - it->first);
    held_->buffered -= it->second.size() - rest.size();
    chunks.erase(it);
    chunks.emplace(offset, std::move(rest));
  }
  PruneOriginals();
  sink_->OnGap(dir_, ts, gap);
}

void TcpStreamReassembler::EnforceCap(absl::Time ts) {
  while (holding() && (held_->buffered > limits_.max_buffered_bytes ||
                       held_->originals.size() > limits_.max_buffered_segments)) {
    ++counters_.buffer_limit_hits;
    SkipTo(held_->chunks.begin()->first, ts);
    FlushContiguous(ts);
  }
}

void TcpStreamReassembler::ApplyAck(absl::Time ts) {
  // A hole the peer acknowledged entirely was lost by the capture: skip it.
  while (holding() && max_acked_ >= held_->chunks.begin()->first) {
    SkipTo(held_->chunks.begin()->first, ts);
    FlushContiguous(ts);
  }
}

void TcpStreamReassembler::CheckFin(absl::Time ts) {
  if (fin_offset_ < 0 || ended_ || next_offset_ < static_cast<uint64_t>(fin_offset_)) return;
  fin_done_ = true;
  ended_ = true;
  summary_.fin = true;
  sink_->OnEnd(dir_, ts);
}

bool TcpStreamReassembler::OnFin(uint32_t seq, absl::Time ts) {
  if (!initialized_) InitAt(seq);
  const int64_t f = ToOffset(seq);
  if (fin_offset_ >= 0) return f == fin_offset_;  // a retransmitted FIN is fine
  const int64_t next = static_cast<int64_t>(next_offset_);
  if (f < next || static_cast<uint64_t>(f - next) > limits_.max_seq_ahead) return false;
  if (holding()) {
    const auto& last = *held_->chunks.rbegin();
    if (last.first + last.second.size() > static_cast<uint64_t>(f)) return false;
  }
  fin_offset_ = f;
  max_acked_ = std::min(max_acked_, static_cast<uint64_t>(f));
  ApplyAck(ts);
  CheckFin(ts);
  return true;
}

void TcpStreamReassembler::OnPeerAck(uint32_t ack, absl::Time ts) {
  if (!initialized_) return;
  int64_t a = ToOffset(ack);
  if (fin_offset_ >= 0) a = std::min(a, fin_offset_);  // the FIN takes one sequence number
  const int64_t next = static_cast<int64_t>(next_offset_);
  if (a <= next || static_cast<uint64_t>(a - next) > limits_.max_seq_ahead) return;
  max_acked_ = std::max(max_acked_, static_cast<uint64_t>(a));
  ApplyAck(ts);
  CheckFin(ts);
}

bool TcpStreamReassembler::RstInWindow(uint32_t seq) const {
  if (!initialized_) return false;
  const int64_t r = ToOffset(seq);
  const int64_t next = static_cast<int64_t>(next_offset_);
  const int64_t hi = std::max<int64_t>(next + kUnscaledWindow,
                                       static_cast<int64_t>(highest_seen_) + 1);
  return r >= next && r <= hi;
}

void TcpStreamReassembler::FlushWithGaps(absl::Time ts) {
  while (holding()) {
    SkipTo(held_->chunks.begin()->first, ts);
    FlushContiguous(ts);
  }
}

void TcpStreamReassembler::Close(absl::Time ts) {
  FlushWithGaps(ts);
  if (initialized_) {
    uint64_t end = max_acked_;
    if (fin_offset_ >= 0) {
      end = std::max(end, static_cast<uint64_t>(fin_offset_));
    } else if (end == next_offset_ + 1) {
      end = next_offset_;  // an ACK one past the data acknowledges a FIN we did not see
    }
    SkipTo(end, ts);
    CheckFin(ts);
  }
  if (!ended_) {
    ended_ = true;
    sink_->OnEnd(dir_, ts);
  }
}

void TcpStreamReassembler::RecordHistory(absl::string_view bytes) {
  // Called before next_offset_ moves: bytes[0] is at next_offset_.
  const size_t size = limits_.delivered_history_bytes;
  if (size == 0) return;
  if (history_.size() != size) history_.assign(size, '\0');
  uint64_t offset = next_offset_;
  if (bytes.size() > size) {
    offset += bytes.size() - size;
    bytes.remove_prefix(bytes.size() - size);
  }
  for (char c : bytes) history_[offset++ % size] = c;
}

bool TcpStreamReassembler::HistoryDiffers(uint64_t start, absl::string_view bytes) const {
  const size_t size = history_.size();
  if (size == 0) return false;
  const uint64_t oldest = next_offset_ > size ? next_offset_ - size : 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const uint64_t x = start + i;
    if (x < oldest || x >= next_offset_) continue;
    if (history_[x % size] != bytes[i]) return true;
  }
  return false;
}

}  // namespace tcpfollow
