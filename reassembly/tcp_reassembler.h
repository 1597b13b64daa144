// The TCP connection table: turns decoded segments (tins_ext/tcp_segment.h) into
// per-connection ordered streams for a ConnectionHandler (reassembly/stream_sink.h).
//
// Connections: the SYN sender (SYN without ACK) is the client; a connection first seen at
// its SYN-ACK has the SYN-ACK's receiver as client. A connection picked up mid-stream
// (first segment carries data) guesses roles: the endpoint whose port is below 1024 while
// the other's is not is the server; otherwise the lower port is the server; on equal
// ports the destination. Bare ACK/FIN/RST segments never create a connection.
//
// Ends: both FINs reached in sequence and the final ACK after them (kFin; without that ACK
// final_ack_wait after the last FIN), an in-window RST (kRst; see
// TcpStreamReassembler::RstInWindow; a side that never sent anything may reset only with
// an ACK of exactly what its peer sent, RFC 793 SYN-SENT rule), no packet for
// idle_timeout of packet time (kIdleTimeout), eviction by max_connections (kEvicted, least
// recently active first), a new SYN with another ISN on the same 4-tuple (kPortReuse),
// FinishAll (kEndOfInput by default). After kFin/kRst the entry lingers as a tombstone for
// closed_linger to absorb trailing ACKs and retransmitted FINs; a SYN on it starts a new
// connection.
//
// Cost: one hash lookup per segment, LRU kept as intrusive lists moved with splice, so
// OnSegment and Advance are amortized O(1); in-order payload goes to the sink without a
// copy. Total-buffer eviction scans only connections that currently hold data.
// All state is in the instance: shard by FlowKey hash, one instance per thread, with
// id_base/id_stride keeping connection ids unique across shards.
#ifndef TCPFOLLOW_REASSEMBLY_TCP_REASSEMBLER_H_
#define TCPFOLLOW_REASSEMBLY_TCP_REASSEMBLER_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "reassembly/stream_sink.h"
#include "reassembly/tcp_stream.h"
#include "tins_ext/ip_address.h"
#include "tins_ext/tcp_segment.h"

namespace tcpfollow {

// Defaults keep the reassembler's own memory well under 100 MB: at most 64 MiB of
// out-of-order bytes in total, and table entries of roughly 0.5 KiB each.
struct TcpLimits {
  size_t max_connections = 100000;                  // open + lingering entries
  size_t max_buffered_per_direction = 4u << 20;     // out-of-order bytes per direction
  size_t max_segments_per_direction = 16384;        // out-of-order segments per direction
  size_t max_buffered_total = 64u << 20;            // out-of-order bytes, all connections
  absl::Duration idle_timeout = absl::Seconds(300); // Zeek's tcp_inactivity_timeout
  absl::Duration closed_linger = absl::Seconds(10); // tombstone after FIN/RST
  // An in-window RST ends a connection only if the endpoints stop: a SYN-ACK or data
  // continuing the same sequence space within this time shows the receiver discarded it
  // (an injected RST with a bad timestamp, as in Suricata's bug-3286 evasion captures).
  absl::Duration reset_grace = absl::Seconds(5);
  // After both FINs the connection ends at the final ACK (counted in its packets, as Zeek
  // counts it), or when none came within this time.
  absl::Duration final_ack_wait = absl::Seconds(1);
  size_t delivered_history_bytes = 0;               // see TcpStreamLimits
  TcpPolicy policy = TcpPolicy::kFirst;             // overlap policy (not a limit, but a knob)
  // Drop segments whose TCP checksum is wrong (Zeek's default) instead of only counting
  // them (ours: offloading leaves wrong checksums in captures taken on the sender).
  bool verify_checksums = false;
};

struct TcpReassemblerOptions {
  uint64_t id_base = 1;    // first connection id
  uint64_t id_stride = 1;  // ids go id_base, id_base + stride, ...
};

struct TcpStats {
  uint64_t segments = 0;
  uint64_t connections_seen = 0;
  uint64_t active = 0;  // open connections now (tombstones excluded)
  uint64_t max_active = 0;
  uint64_t closed_fin = 0;
  uint64_t closed_rst = 0;
  uint64_t rst_disregarded = 0;  // RSTs the endpoints evidently ignored (traffic went on)
  uint64_t timed_out = 0;
  uint64_t closed_end_of_input = 0;
  uint64_t port_reuse = 0;
  uint64_t evicted_connection_limit = 0;
  // Folded in from each connection when it ends.
  uint64_t bytes_delivered = 0;
  uint64_t gaps = 0;
  uint64_t missed_bytes = 0;
  uint64_t overlaps = 0;
  uint64_t overlap_conflicts = 0;
  uint64_t retransmitted_bytes = 0;
  uint64_t keepalives = 0;
  uint64_t segments_out_of_window = 0;
  uint64_t buffer_limit_hits = 0;
  // Live.
  uint64_t total_buffer_evictions = 0;
  uint64_t bad_rst_ignored = 0;
  uint64_t bad_fin_ignored = 0;
  uint64_t segments_ignored_no_connection = 0;
  uint64_t segments_after_close = 0;
  uint64_t final_ack_timeouts = 0;
  uint64_t bad_checksums = 0;          // segments whose TCP checksum did not verify
  uint64_t bad_checksums_dropped = 0;  // ... dropped for it (verify_checksums)  // FIN-closed connections whose final ACK never came
  uint64_t buffered_bytes = 0;  // out-of-order bytes held now
  uint64_t max_buffered_bytes = 0;
};

class TcpReassembler {
 public:
  TcpReassembler(const TcpLimits& limits, ConnectionHandler* handler,
                 const TcpReassemblerOptions& options = TcpReassemblerOptions());
  ~TcpReassembler();  // open connections are dropped unreported: call FinishAll first
  TcpReassembler(const TcpReassembler&) = delete;
  TcpReassembler& operator=(const TcpReassembler&) = delete;

  void OnSegment(const TcpSegment& segment);
  // Expires idle connections and tombstones as of packet time `now` (never goes back).
  void Advance(absl::Time now);
  // Advance(now), then ends every open connection with `reason`.
  void FinishAll(absl::Time now, CloseReason reason = CloseReason::kEndOfInput);

  const TcpStats& stats() const { return stats_; }
  size_t table_size() const { return table_.size(); }

 private:
  struct Connection;
  using LruList = std::list<Connection*>;

  Connection* Create(const FlowKey& key, const TcpSegment& segment);
  bool IsNewSyn(const Connection& conn, const TcpSegment& segment) const;
  bool RstAcceptable(const Connection& conn, Direction dir, const TcpSegment& segment) const;
  void Process(Connection* conn, const TcpSegment& segment);
  void Touch(Connection* conn);
  void End(Connection* conn, CloseReason reason, absl::Time ts);
  void Erase(Connection* conn);
  void MakeRoom();
  void UpdateBuffered(Connection* conn, size_t before);
  void EnforceTotalCap(absl::Time ts);

  TcpLimits limits_;
  ConnectionHandler* handler_;
  TcpReassemblerOptions options_;
  TcpStreamLimits stream_limits_;
  uint64_t next_id_;
  absl::Time clock_ = absl::InfinitePast();

  absl::flat_hash_map<FlowKey, std::unique_ptr<Connection>> table_;
  LruList open_;    // least recently active first
  LruList closed_;  // tombstones, oldest first
  // Connections with a provisional RST, oldest first, by key and serial: entries may be
  // stale (the connection went on, ended or was replaced), so they are looked up, never
  // dereferenced.
  std::deque<std::pair<FlowKey, uint64_t>> resets_;
  uint64_t next_reset_serial_ = 0;  // run-wide, so a reused address never matches
  // Connections with both FINs in, waiting for the final ACK; looked up like resets_.
  std::deque<std::pair<FlowKey, uint64_t>> closing_;
  absl::flat_hash_set<Connection*> buffering_;  // connections holding out-of-order bytes
  TcpStats stats_;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_REASSEMBLY_TCP_REASSEMBLER_H_
