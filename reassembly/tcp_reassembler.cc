// See tcp_reassembler.h.
#include "reassembly/tcp_reassembler.h"

#include <utility>

#include "reassembly/tcp_history.h"

namespace tcpfollow {
namespace {

bool IsWellKnown(uint16_t port) { return port < 1024; }

// True when `a` looks like the server of a connection picked up mid-stream.
bool LooksLikeServer(uint16_t a, uint16_t b) {
  if (IsWellKnown(a) != IsWellKnown(b)) return IsWellKnown(a);
  return a < b;
}

}  // namespace

struct TcpReassembler::Connection {
  Connection(const FlowKey& k, TcpPolicy policy, const TcpStreamLimits& limits)
      : key(k),
        stream{TcpStreamReassembler(Direction::kClientToServer, policy, limits),
               TcpStreamReassembler(Direction::kServerToClient, policy, limits)} {}

  size_t buffered() const { return stream[0].buffered_bytes() + stream[1].buffered_bytes(); }
  Direction DirectionOf(const TcpSegment& s) const {
    return s.src == info.client ? Direction::kClientToServer : Direction::kServerToClient;
  }

  FlowKey key;
  ConnectionInfo info;
  std::unique_ptr<StreamSink> sink;
  TcpStreamReassembler stream[2];
  TcpHistory history;  // flows.jsonl history, conn_state, handshake
  absl::Time last_seen;
  absl::Time closed_at;
  bool closed = false;  // tombstone: ended by FIN/RST, lingering
  bool reset_pending = false;  // an acceptable RST was seen; ends at reset_at + grace
  absl::Time reset_at;
  uint64_t reset_serial = 0;   // matches the resets_ entry that is current
  bool closing = false;        // both FINs in: ends at the final ACK from final_ack_from
  Direction final_ack_from = Direction::kClientToServer;
  absl::Time closing_at;
  uint64_t closing_serial = 0;  // matches the closing_ entry that is current
  LruList::iterator lru;
};

TcpReassembler::TcpReassembler(const TcpLimits& limits, ConnectionHandler* handler,
                               const TcpReassemblerOptions& options)
    : limits_(limits), handler_(handler), options_(options), next_id_(options.id_base) {
  stream_limits_.max_buffered_bytes = limits.max_buffered_per_direction;
  stream_limits_.max_buffered_segments = limits.max_segments_per_direction;
  stream_limits_.delivered_history_bytes = limits.delivered_history_bytes;
}

TcpReassembler::~TcpReassembler() = default;

void TcpReassembler::OnSegment(const TcpSegment& seg) {
  Advance(seg.ts);
  ++stats_.segments;
  const FlowKey key = FlowKey::Of(seg.src, seg.dst, seg.vlan, seg.tunnel_id);
  auto it = table_.find(key);
  Connection* conn = it == table_.end() ? nullptr : it->second.get();
  if (seg.bad_checksum) {
    ++stats_.bad_checksums;
    if (limits_.verify_checksums) {
      ++stats_.bad_checksums_dropped;
      if (conn != nullptr && !conn->closed) {
        ++conn->stream[Index(conn->DirectionOf(seg))].mutable_summary()->bad_checksums;
      }
      return;
    }
  }
  const bool new_syn = seg.has(tcp_flags::kSyn) && !seg.has(tcp_flags::kAck) &&
                       !seg.has(tcp_flags::kRst);
  if (conn != nullptr && conn->closed) {
    if (!new_syn) {
      ++stats_.segments_after_close;
      return;
    }
    Erase(conn);  // already reported when it ended
    conn = nullptr;
    ++stats_.port_reuse;
  }
  if (conn != nullptr && conn->reset_pending && new_syn) {
    End(conn, CloseReason::kRst, conn->reset_at);  // the RST stood: a new connection follows
    Erase(conn);
    conn = nullptr;
    ++stats_.port_reuse;
  }
  if (conn != nullptr && new_syn && IsNewSyn(*conn, seg)) {
    End(conn, CloseReason::kPortReuse, conn->last_seen);
    Erase(conn);
    conn = nullptr;
    ++stats_.port_reuse;
  }
  if (conn == nullptr) {
    conn = Create(key, seg);
    if (conn == nullptr) {
      ++stats_.segments_ignored_no_connection;
      return;
    }
  }
  Touch(conn);
  Process(conn, seg);
}

TcpReassembler::Connection* TcpReassembler::Create(const FlowKey& key, const TcpSegment& seg) {
  const bool syn = seg.has(tcp_flags::kSyn);
  const bool ack = seg.has(tcp_flags::kAck);
  if (seg.has(tcp_flags::kRst)) return nullptr;
  if (!syn && seg.payload.empty()) return nullptr;
  MakeRoom();
  auto owned = std::make_unique<Connection>(key, limits_.policy, stream_limits_);
  Connection* conn = owned.get();
  ConnectionInfo& info = conn->info;
  info.id = next_id_;
  next_id_ += options_.id_stride;
  info.vlan = seg.vlan;
  info.tunnel = seg.tunnel;
  info.tunnel_id = seg.tunnel_id;
  info.start = seg.ts;
  if (syn) {
    info.saw_handshake = true;
    const bool from_client = !ack;  // SYN: sender is the client; SYN-ACK: the receiver
    info.client = from_client ? seg.src : seg.dst;
    info.server = from_client ? seg.dst : seg.src;
  } else {
    const bool src_is_server = seg.src.port != seg.dst.port &&
                               LooksLikeServer(seg.src.port, seg.dst.port);
    info.client = src_is_server ? seg.dst : seg.src;
    info.server = src_is_server ? seg.src : seg.dst;
  }
  conn->sink = handler_->OnConnectionStart(info);
  if (conn->sink != nullptr) {
    conn->stream[0].set_sink(conn->sink.get());
    conn->stream[1].set_sink(conn->sink.get());
  }
  conn->last_seen = clock_;
  conn->lru = open_.insert(open_.end(), conn);
  table_.emplace(key, std::move(owned));
  ++stats_.connections_seen;
  ++stats_.active;
  if (stats_.active > stats_.max_active) stats_.max_active = stats_.active;
  return conn;
}

bool TcpReassembler::IsNewSyn(const Connection& conn, const TcpSegment& seg) const {
  const Direction dir = conn.DirectionOf(seg);
  const TcpStreamReassembler& s = conn.stream[Index(dir)];
  if (s.initialized() && s.isn() == seg.seq) return false;  // retransmitted SYN
  // Simultaneous open: the server's own SYN on a connection that saw the client's.
  if (dir == Direction::kServerToClient && !s.initialized() && conn.info.saw_handshake) {
    return false;
  }
  return true;
}

bool TcpReassembler::RstAcceptable(const Connection& conn, Direction dir,
                                   const TcpSegment& seg) const {
  const TcpStreamReassembler& sender = conn.stream[Index(dir)];
  if (sender.initialized()) return sender.RstInWindow(seg.seq);
  const TcpStreamReassembler& peer = conn.stream[Index(Opposite(dir))];
  return seg.has(tcp_flags::kAck) && peer.initialized() && seg.ack == peer.next_seq();
}

void TcpReassembler::Process(Connection* conn, const TcpSegment& seg) {
  const Direction dir = conn->DirectionOf(seg);
  TcpStreamReassembler& sender = conn->stream[Index(dir)];
  TcpStreamReassembler& peer = conn->stream[Index(Opposite(dir))];
  ++sender.mutable_summary()->packets;
  if (seg.bad_checksum) ++sender.mutable_summary()->bad_checksums;
  conn->history.OnSegment(dir == Direction::kClientToServer, seg.flags, seg.payload.size());
  if (conn->closing) {
    // Both FINs are in: the final ACK (or a RST) ends the connection, counted in it; a
    // retransmitted FIN from the other side is counted and changes nothing.
    if (dir == conn->final_ack_from || seg.has(tcp_flags::kRst)) {
      End(conn, CloseReason::kFin, seg.ts);
    }
    return;
  }
  const size_t before = conn->buffered();
  const bool sender_was_done = sender.fin_done();
  if (seg.has(tcp_flags::kRst)) {
    if (conn->reset_pending) return;  // a repeated RST changes nothing
    if (!RstAcceptable(*conn, dir, seg)) {
      ++stats_.bad_rst_ignored;
      return;
    }
    sender.mutable_summary()->rst = true;
    conn->reset_pending = true;
    conn->reset_at = seg.ts;
    conn->reset_serial = ++next_reset_serial_;
    resets_.push_back({conn->key, conn->reset_serial});
    return;
  }
  if (conn->reset_pending) {
    // Only a SYN-ACK or data shows that the endpoints went on; bare ACKs and FINs after a
    // RST are what a real reset leaves behind.
    const bool continues = !seg.payload.empty() ||
                           (seg.has(tcp_flags::kSyn) && seg.has(tcp_flags::kAck));
    if (!continues) return;
    conn->reset_pending = false;
    conn->stream[0].mutable_summary()->rst = false;
    conn->stream[1].mutable_summary()->rst = false;
    ++stats_.rst_disregarded;
  }
  uint32_t data_seq = seg.seq;
  if (seg.has(tcp_flags::kSyn)) {
    if (!sender.initialized()) sender.InitFromSyn(seg.seq);
    // A SYN-ACK tells where the client's data starts.
    if (seg.has(tcp_flags::kAck) && !peer.initialized()) peer.InitAt(seg.ack);
    data_seq = seg.seq + 1;
  }
  // What this side received comes before what it sends.
  if (seg.has(tcp_flags::kAck)) peer.OnPeerAck(seg.ack, seg.ts);
  sender.OnData(data_seq, seg.payload, seg.ts);
  if (seg.has(tcp_flags::kFin) &&
      !sender.OnFin(data_seq + static_cast<uint32_t>(seg.payload.size()), seg.ts)) {
    ++stats_.bad_fin_ignored;
  }
  UpdateBuffered(conn, before);
  if (sender.fin_done() && peer.fin_done()) {
    if (sender_was_done) {
      End(conn, CloseReason::kFin, seg.ts);  // this segment acknowledged the last FIN
    } else {
      // The sender's FIN was the last: the peer's ACK of it is still to come.
      conn->closing = true;
      conn->final_ack_from = Opposite(dir);
      conn->closing_at = seg.ts;
      conn->closing_serial = ++next_reset_serial_;
      closing_.push_back({conn->key, conn->closing_serial});
    }
  }
  EnforceTotalCap(seg.ts);
}

void TcpReassembler::Touch(Connection* conn) {
  conn->last_seen = clock_;
  open_.splice(open_.end(), open_, conn->lru);
}

void TcpReassembler::Advance(absl::Time now) {
  if (now > clock_) clock_ = now;
  while (!open_.empty() && clock_ - open_.front()->last_seen > limits_.idle_timeout) {
    Connection* conn = open_.front();
    End(conn, CloseReason::kIdleTimeout, conn->last_seen);
    Erase(conn);
  }
  while (!resets_.empty()) {
    const auto& [key, serial] = resets_.front();
    // Stale entries (the connection went on, or is gone) are dropped as they surface.
    auto it = table_.find(key);
    Connection* conn = it == table_.end() ? nullptr : it->second.get();
    if (conn == nullptr || !conn->reset_pending || conn->reset_serial != serial) {
      resets_.pop_front();
      continue;
    }
    if (clock_ - conn->reset_at <= limits_.reset_grace) break;
    resets_.pop_front();
    conn->reset_pending = false;
    End(conn, CloseReason::kRst, conn->reset_at);
  }
  while (!closing_.empty()) {
    const auto& [key, serial] = closing_.front();
    auto it = table_.find(key);
    Connection* conn = it == table_.end() ? nullptr : it->second.get();
    if (conn == nullptr || conn->closed || !conn->closing || conn->closing_serial != serial) {
      closing_.pop_front();
      continue;
    }
    if (clock_ - conn->closing_at <= limits_.final_ack_wait) break;
    closing_.pop_front();
    ++stats_.final_ack_timeouts;
    End(conn, CloseReason::kFin, conn->last_seen);
  }
  while (!closed_.empty() && clock_ - closed_.front()->closed_at > limits_.closed_linger) {
    Erase(closed_.front());
  }
}

void TcpReassembler::FinishAll(absl::Time now, CloseReason reason) {
  Advance(now);
  while (!open_.empty()) {
    Connection* conn = open_.front();
    End(conn, conn->reset_pending ? CloseReason::kRst : reason,
        conn->reset_pending ? conn->reset_at : conn->last_seen);
    Erase(conn);
  }
  resets_.clear();
  closing_.clear();
  while (!closed_.empty()) Erase(closed_.front());
}

void TcpReassembler::End(Connection* conn, CloseReason reason, absl::Time ts) {
  if (conn->closing) reason = CloseReason::kFin;  // only the final ACK was outstanding
  conn->closing = false;
  const size_t before = conn->buffered();
  conn->stream[0].Close(ts);
  conn->stream[1].Close(ts);
  UpdateBuffered(conn, before);
  ConnectionSummary summary;
  summary.end = conn->last_seen;
  summary.reason = reason;
  summary.history = conn->history.History();
  summary.conn_state = conn->history.ConnState();
  summary.handshake = conn->history.handshake();
  for (int d = 0; d < 2; ++d) {
    const TcpStreamReassembler& s = conn->stream[d];
    summary.dir[d] = s.summary();
    stats_.bytes_delivered += s.summary().bytes;
    stats_.gaps += s.summary().gaps;
    stats_.missed_bytes += s.summary().missed_bytes;
    stats_.overlaps += s.summary().overlaps;
    stats_.overlap_conflicts += s.summary().overlap_conflicts;
    stats_.retransmitted_bytes += s.summary().retransmitted_bytes;
    stats_.keepalives += s.counters().keepalives;
    stats_.segments_out_of_window += s.counters().out_of_window;
    stats_.buffer_limit_hits += s.counters().buffer_limit_hits;
  }
  switch (reason) {
    case CloseReason::kFin: ++stats_.closed_fin; break;
    case CloseReason::kRst: ++stats_.closed_rst; break;
    case CloseReason::kIdleTimeout: ++stats_.timed_out; break;
    case CloseReason::kEndOfInput: ++stats_.closed_end_of_input; break;
    case CloseReason::kEvicted: ++stats_.evicted_connection_limit; break;
    case CloseReason::kPortReuse: break;  // counted where the SYN is seen
  }
  --stats_.active;
  handler_->OnConnectionEnd(conn->info, summary, std::move(conn->sink));
  conn->stream[0].set_sink(nullptr);
  conn->stream[1].set_sink(nullptr);
  // Lingers as a tombstone until erased (the caller erases at once for other reasons).
  conn->closed = true;
  conn->closed_at = clock_;
  closed_.splice(closed_.end(), open_, conn->lru);
}

void TcpReassembler::Erase(Connection* conn) {
  buffering_.erase(conn);
  if (conn->closed) {
    closed_.erase(conn->lru);
  } else {
    open_.erase(conn->lru);
    --stats_.active;
  }
  table_.erase(conn->key);  // destroys *conn
}

void TcpReassembler::MakeRoom() {
  if (table_.size() < limits_.max_connections) return;
  if (!closed_.empty()) {
    Erase(closed_.front());
    return;
  }
  if (open_.empty()) return;
  Connection* conn = open_.front();
  End(conn, CloseReason::kEvicted, conn->last_seen);
  Erase(conn);
}

void TcpReassembler::UpdateBuffered(Connection* conn, size_t before) {
  const size_t after = conn->buffered();
  stats_.buffered_bytes = stats_.buffered_bytes + after - before;
  if (stats_.buffered_bytes > stats_.max_buffered_bytes) {
    stats_.max_buffered_bytes = stats_.buffered_bytes;
  }
  if (after > 0) {
    buffering_.insert(conn);
  } else if (before > 0) {
    buffering_.erase(conn);
  }
}

void TcpReassembler::EnforceTotalCap(absl::Time ts) {
  while (stats_.buffered_bytes > limits_.max_buffered_total && !buffering_.empty()) {
    Connection* fattest = nullptr;
    int fattest_dir = 0;
    size_t most = 0;
    for (Connection* c : buffering_) {
      for (int d = 0; d < 2; ++d) {
        if (c->stream[d].buffered_bytes() > most) {
          most = c->stream[d].buffered_bytes();
          fattest = c;
          fattest_dir = d;
        }
      }
    }
    if (fattest == nullptr) break;
    ++stats_.total_buffer_evictions;
    const size_t before = fattest->buffered();
    fattest->stream[fattest_dir].FlushWithGaps(ts);
    UpdateBuffered(fattest, before);
  }
}

}  // namespace tcpfollow
