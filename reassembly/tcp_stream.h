// One direction of a TCP connection turned into ordered bytes, gaps and an end, for a
// StreamSink. Sequence numbers are 32-bit and wrap; internally every byte has a 64-bit
// offset relative to the first data byte, computed from the signed 32-bit distance to the
// next expected sequence number, so wrap-around never needs special cases.
//
// In-order data is handed to the sink straight from the segment (no copy). Out-of-order
// data is held in non-overlapping, non-adjacent chunks (std::map keyed by offset), capped
// by TcpStreamLimits; the segments' original bounds are kept next to them because overlap
// policies decide per pair (new segment, earlier segment), as in Novak & Sturges,
// "Target-Based TCP Stream Reassembly" (2007) and Suricata's stream-tcp-list.c:
//   first  (Vista): earlier data always wins
//   last:           later data always wins
//   bsd, windows:   later data wins over a segment it starts before
//   linux:          ... or one it starts at and ends beyond
//   old-linux:      ... or one it starts at and ends at or beyond
//   solaris:        later data wins over a segment it ends beyond, or ends at while not
//                   starting after it
// A byte takes the later data only if every earlier segment covering it loses.
// Bytes already delivered never change: data overlapping them is counted (overlaps,
// retransmitted_bytes) and, when TcpStreamLimits::delivered_history_bytes keeps a copy of
// the latest delivered bytes, compared (overlap_conflicts).
//
// Holes become gap events when the peer acknowledges past them, when the buffer cap is
// hit (skip to the first held chunk), or at Close (everything held is flushed with gaps
// between, then acknowledged-but-never-seen bytes up to the ACK or FIN are a final gap —
// Zeek's "missed bytes"; a bare ACK alone never produces a gap before that).
// Not validated here: window sizes (no window scale is known), PAWS, checksums.
#ifndef TCPFOLLOW_REASSEMBLY_TCP_STREAM_H_
#define TCPFOLLOW_REASSEMBLY_TCP_STREAM_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "reassembly/stream_sink.h"

namespace tcpfollow {

enum class TcpPolicy : uint8_t { kFirst, kLast, kBsd, kLinux, kOldLinux, kWindows, kSolaris };

// "first", "last", "bsd", "linux", "old-linux", "windows", "solaris" (one table in
// tcp_stream.cc serves parsing, naming and the list for --help and messages).
const char* TcpPolicyName(TcpPolicy policy);
bool ParseTcpPolicy(absl::string_view name, TcpPolicy* policy);
// Every policy name, comma-separated, in the table's order ("first, last, ...").
std::string TcpPolicyNames();

// Whether bytes of a new segment [new_start, new_end) replace the overlapping bytes of an
// earlier segment [old_start, old_end) under `policy` (offsets; ends exclusive).
bool NewDataWins(TcpPolicy policy, uint64_t new_start, uint64_t new_end, uint64_t old_start,
                 uint64_t old_end);

struct TcpStreamLimits {
  // Out-of-order bytes held; over it, the first hole becomes a gap.
  size_t max_buffered_bytes = 4u << 20;
  // Out-of-order segments remembered for overlap policies; over it, same as above.
  size_t max_buffered_segments = 16384;
  // Data or FIN starting further than this past the next expected byte is ignored
  // (largest window a scaled TCP window can announce is 2^30).
  uint64_t max_seq_ahead = uint64_t{1} << 30;
  // Copy of the latest delivered bytes used to check retransmissions for conflicts;
  // 0 = off (delivery stays zero-copy and memory per connection stays small).
  size_t delivered_history_bytes = 0;
};

struct TcpStreamCounters {
  uint64_t buffer_limit_hits = 0;
  uint64_t keepalives = 0;
  uint64_t out_of_window = 0;  // data ignored: too far ahead, before the start, after FIN
};

class TcpStreamReassembler {
 public:
  TcpStreamReassembler(Direction dir, TcpPolicy policy, const TcpStreamLimits& limits);
  TcpStreamReassembler(const TcpStreamReassembler&) = delete;
  TcpStreamReassembler& operator=(const TcpStreamReassembler&) = delete;

  // Null drops events.
  void set_sink(StreamSink* sink) { sink_ = sink != nullptr ? sink : &no_op_sink_; }

  bool initialized() const { return initialized_; }
  bool isn_known() const { return isn_known_; }
  // The SYN's sequence number (or, mid-stream, the one before the first byte).
  uint32_t isn() const { return base_seq_ - 1; }
  // The first data byte follows the SYN's sequence number.
  void InitFromSyn(uint32_t isn);
  // Mid-stream: `seq` is the first data byte.
  void InitAt(uint32_t seq);
  uint32_t next_seq() const { return base_seq_ + static_cast<uint32_t>(next_offset_); }
  uint64_t next_offset() const { return next_offset_; }

  // Payload starting at `seq` (for a SYN, seq + 1). Initializes the stream if needed.
  void OnData(uint32_t seq, absl::string_view payload, absl::Time ts);
  // A FIN whose sequence number is `seq` (after the data of its segment). Returns false if
  // it contradicts the stream (before delivered data, before held data, a second FIN at a
  // different place, too far ahead); such a FIN is ignored.
  bool OnFin(uint32_t seq, absl::Time ts);
  // The other side acknowledged everything before `ack`.
  void OnPeerAck(uint32_t ack, absl::Time ts);
  // RFC 5961 section 3: a RST is acceptable when its sequence number lies in the receive
  // window. A passive observer cannot see challenge ACKs, so it takes the whole window
  // [next, next + 65535] (no window scale is known), widened up to the highest byte
  // seen from this side.
  bool RstInWindow(uint32_t seq) const;

  // Delivers everything held, gaps in between (total-buffer eviction).
  void FlushWithGaps(absl::Time ts);
  // End of the direction: flush with gaps, gap up to what the peer acknowledged or the
  // FIN, then OnEnd (once).
  void Close(absl::Time ts);

  bool fin_done() const { return fin_done_; }  // FIN reached in sequence, OnEnd sent
  bool ended() const { return ended_; }
  size_t buffered_bytes() const { return held_ ? held_->buffered : 0; }
  const DirectionSummary& summary() const { return summary_; }
  DirectionSummary* mutable_summary() { return &summary_; }
  const TcpStreamCounters& counters() const { return counters_; }

 private:
  int64_t ToOffset(uint32_t seq) const;
  void Deliver(absl::string_view bytes, absl::Time ts);
  void Insert(uint64_t start, absl::string_view payload, bool* overlapped, bool* conflict);
  void Resolve(char* held, uint64_t from, uint64_t to, uint64_t start,
               absl::string_view payload, bool* overlapped, bool* conflict);
  void FlushContiguous(absl::Time ts);
  void SkipTo(uint64_t offset, absl::Time ts);
  void EnforceCap(absl::Time ts);
  void ApplyAck(absl::Time ts);
  void CheckFin(absl::Time ts);
  void PruneOriginals();
  bool holding() const { return held_ && !held_->chunks.empty(); }
  void RecordHistory(absl::string_view bytes);
  bool HistoryDiffers(uint64_t start, absl::string_view bytes) const;

  Direction dir_;
  TcpPolicy policy_;
  TcpStreamLimits limits_;
  static NoOpStreamSink no_op_sink_;  // stateless: one for every stream
  StreamSink* sink_ = &no_op_sink_;

  bool initialized_ = false;
  bool isn_known_ = false;
  bool fin_done_ = false;
  bool ended_ = false;
  uint32_t base_seq_ = 0;      // sequence number of offset 0
  uint64_t next_offset_ = 0;   // next byte to deliver
  uint64_t max_acked_ = 0;     // highest offset the peer acknowledged
  uint64_t highest_seen_ = 0;  // end of the highest data seen
  int64_t fin_offset_ = -1;    // offset of the FIN, -1 until a valid one is seen

  // Out-of-order state, allocated when a byte first arrives ahead of the next expected one
  // and freed once everything held is delivered: most streams arrive in order, and a
  // connection flood then costs no more than the in-order fields per stream.
  struct Held {
    std::map<uint64_t, std::string> chunks;  // held bytes: offset -> bytes
    size_t buffered = 0;
    std::set<std::pair<uint64_t, uint64_t>> originals;  // held segments' [start, end)
    uint64_t max_original_len = 0;
    std::vector<uint8_t> keep_old;  // scratch: per new byte, an earlier segment wins
  };
  std::unique_ptr<Held> held_;

  std::string history_;  // ring of the latest delivered bytes, by offset modulo size

  DirectionSummary summary_;
  TcpStreamCounters counters_;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_REASSEMBLY_TCP_STREAM_H_
