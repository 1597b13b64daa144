#include "tools/sharded_runner.h"

#include <algorithm>
#include <cstring>

#include "tins_ext/flow_hash.h"

namespace tcpfollow {

namespace {

constexpr size_t kBatchItems = 512;
constexpr size_t kBatchBytes = 256u << 10;
constexpr size_t kQueuedBatches = 16;  // per shard: bounds memory between threads

}  // namespace

uint64_t StableFlowHash(const TcpSegment& seg) {
  // Symmetric: both directions of a connection land on the same shard.
  return MixHash64(StableAddressHash(seg.src.addr) + StableAddressHash(seg.dst.addr) + seg.vlan +
                   seg.tunnel_id);
}

uint64_t StableConnectionHash(const TcpSegment& seg) {
  // Each endpoint hashed with its port, the two added: the same for both directions.
  return MixHash64(StableEndpointHash(seg.src) + StableEndpointHash(seg.dst) + seg.vlan +
                   seg.tunnel_id);
}

ShardedRunner::ShardedRunner(int shards, const TcpLimits& limits,
                             const std::function<ConnectionHandler*(int)>& handler_for,
                             const ShardLimits& shard_limits)
    : shard_limits_(shard_limits) {
  TcpLimits per_shard = limits;
  per_shard.max_connections = std::max<size_t>(1, limits.max_connections / shards);
  per_shard.max_buffered_total = std::max<size_t>(1, limits.max_buffered_total / shards);
  for (int i = 0; i < shards; ++i) {
    auto s = std::make_unique<Shard>();
    TcpReassemblerOptions options;
    options.id_base = static_cast<uint64_t>(i) + 1;
    options.id_stride = static_cast<uint64_t>(shards);
    s->tcp = std::make_unique<TcpReassembler>(per_shard, handler_for(i), options);
    s->filling = std::make_unique<Batch>();
    shards_.push_back(std::move(s));
  }
  for (auto& s : shards_) {
    Shard* raw = s.get();
    s->thread = std::thread([this, raw] { Work(raw); });
  }
}

ShardedRunner::~ShardedRunner() {
  if (!finished_) Finish(absl::UnixEpoch());
}

void ShardedRunner::Route(const TcpSegment& seg) {
  const uint64_t conn_hash = StableConnectionHash(seg);
  const size_t target = conn_hash % shards_.size();
  Shard* s = shards_[target].get();
  const uint64_t index = ++next_index_;
  int barrier = -1;
  if (shards_.size() > 1) {
    if (pair_shards_.size() >= shard_limits_.max_tracked_pairs) {
      pair_shards_.clear();
      ++pair_table_resets_;
    }
    PairState& pair = pair_shards_[StableFlowHash(seg)];
    const uint64_t bit = uint64_t{1} << (target % 64);
    std::vector<std::pair<int, uint64_t>> waits;
    const uint64_t others = pair.shards & ~bit;
    if (others != 0 && seg.has(tcp_flags::kSyn) && !seg.has(tcp_flags::kAck)) {
      // A new connection of a pair other shards have seen runs after everything they
      // were given so far (an announced data connection after the reply announcing it, a
      // resumed TLS session after the handshake that cached it).
      for (size_t i = 0; i < shards_.size(); ++i) {
        if (i == target || (others & (uint64_t{1} << (i % 64))) == 0) continue;
        if (shards_[i]->last_routed > 0) waits.emplace_back(static_cast<int>(i), shards_[i]->last_routed);
      }
      pair.synced |= bit;
    } else if (pair.event_index > 0 && (pair.synced & bit) == 0) {
      // The pair's last connection end (FIN/RST) was routed elsewhere: this shard's next
      // segment of the pair runs after it (a transfer's final reply after its end).
      waits.emplace_back(pair.event_shard, pair.event_index);
      pair.synced |= bit;
    }
    if (!waits.empty()) {
      for (const auto& w : waits) {
        Shard* o = shards_[w.first].get();
        if (!o->filling->items.empty()) Push(o);  // what it must process is queued
      }
      barrier = static_cast<int>(s->filling->barriers.size());
      s->filling->barriers.push_back(std::move(waits));
    }
    // A FIN or RST, and every later segment of the same connection (the connection
    // ends at the final ACK after both FINs), is what the pair's next segments elsewhere
    // wait for.
    if (seg.has(tcp_flags::kFin) || seg.has(tcp_flags::kRst) ||
        (pair.event_index > 0 && pair.event_conn == conn_hash)) {
      pair.event_index = index;
      pair.event_shard = static_cast<int>(target);
      pair.event_conn = conn_hash;
      pair.synced = bit;
    }
    pair.shards |= bit;
  }
  Batch* b = s->filling.get();
  Item item;
  item.seg = seg;
  item.seg.payload = absl::string_view();
  item.offset = b->arena.size();
  item.length = seg.payload.size();
  item.index = index;
  item.barrier = barrier;
  b->arena.append(seg.payload.data(), seg.payload.size());
  b->items.push_back(item);
  s->last_routed = index;
  if (b->items.size() >= kBatchItems || b->arena.size() >= kBatchBytes) Push(s);
}

void ShardedRunner::Tick(absl::Time now) {
  for (auto& s : shards_) {
    Item item;
    item.tick = true;
    item.seg.ts = now;
    item.index = ++next_index_;
    s->last_routed = item.index;
    s->filling->items.push_back(item);
    Push(s.get());
  }
}

void ShardedRunner::Push(Shard* s) {
  std::unique_ptr<Batch> full = std::move(s->filling);
  s->filling = std::make_unique<Batch>();
  s->filling->items.reserve(kBatchItems);
  std::unique_lock<std::mutex> lock(s->mu);
  s->room.wait(lock, [&] { return s->queue.size() < kQueuedBatches; });
  s->queue.push_back(std::move(full));
  lock.unlock();
  s->ready.notify_one();
}

void ShardedRunner::WaitFor(const std::vector<std::pair<int, uint64_t>>& waits, Shard* self) {
  for (const auto& [shard, index] : waits) {
    Shard* o = shards_[shard].get();
    if (o->done.load() >= index) continue;
    ++self->syn_waits;
    std::unique_lock<std::mutex> lock(progress_mu_);
    while (o->done.load() < index) {
      // Asks `o` to wake us once it is there (the lowest index any waiter needs).
      uint64_t want = o->wake_at.load();
      while (index < want && !o->wake_at.compare_exchange_weak(want, index)) {
      }
      if (o->done.load() >= index) break;
      progress_.wait(lock);
    }
  }
}

void ShardedRunner::Work(Shard* s) {
  while (true) {
    std::unique_ptr<Batch> batch;
    {
      std::unique_lock<std::mutex> lock(s->mu);
      s->ready.wait(lock, [&] { return !s->queue.empty() || s->finishing; });
      if (s->queue.empty()) break;  // finishing, and every batch processed
      batch = std::move(s->queue.front());
      s->queue.pop_front();
    }
    s->room.notify_one();
    for (Item& item : batch->items) {
      if (item.barrier >= 0) WaitFor(batch->barriers[item.barrier], s);
      if (item.tick) {
        s->tcp->Advance(item.seg.ts);
      } else {
        item.seg.payload = absl::string_view(batch->arena.data() + item.offset, item.length);
        s->tcp->OnSegment(item.seg);
      }
      // Sequentially consistent, both: a waiter sets wake_at and then reads done; this
      // stores done and then reads wake_at, so one of the two sees the other.
      s->done.store(item.index);
      if (item.index >= s->wake_at.load()) {
        std::lock_guard<std::mutex> lock(progress_mu_);
        s->wake_at.store(UINT64_MAX);
        progress_.notify_all();
      }
    }
  }
  s->tcp->FinishAll(s->finish_at, CloseReason::kEndOfInput);
}

void ShardedRunner::Finish(absl::Time now) {
  if (finished_) return;
  finished_ = true;
  for (auto& s : shards_) {
    if (!s->filling->items.empty()) Push(s.get());
    {
      std::lock_guard<std::mutex> lock(s->mu);
      s->finishing = true;
      s->finish_at = now;
    }
    s->ready.notify_one();
  }
  for (auto& s : shards_) s->thread.join();
}

ShardStats ShardedRunner::shard_stats() const {
  ShardStats st;
  for (const auto& s : shards_) st.syn_waits += s->syn_waits;
  st.pair_table_resets = pair_table_resets_;
  return st;
}

void AddTcpStats(const TcpStats& t, TcpStats* sum) {
  sum->segments += t.segments;
  sum->connections_seen += t.connections_seen;
  sum->active += t.active;
  sum->max_active += t.max_active;
  sum->closed_fin += t.closed_fin;
  sum->closed_rst += t.closed_rst;
  sum->rst_disregarded += t.rst_disregarded;
  sum->timed_out += t.timed_out;
  sum->closed_end_of_input += t.closed_end_of_input;
  sum->port_reuse += t.port_reuse;
  sum->evicted_connection_limit += t.evicted_connection_limit;
  sum->bytes_delivered += t.bytes_delivered;
  sum->gaps += t.gaps;
  sum->missed_bytes += t.missed_bytes;
  sum->overlaps += t.overlaps;
  sum->overlap_conflicts += t.overlap_conflicts;
  sum->retransmitted_bytes += t.retransmitted_bytes;
  sum->keepalives += t.keepalives;
  sum->segments_out_of_window += t.segments_out_of_window;
  sum->buffer_limit_hits += t.buffer_limit_hits;
  sum->total_buffer_evictions += t.total_buffer_evictions;
  sum->bad_rst_ignored += t.bad_rst_ignored;
  sum->bad_fin_ignored += t.bad_fin_ignored;
  sum->segments_ignored_no_connection += t.segments_ignored_no_connection;
  sum->segments_after_close += t.segments_after_close;
  sum->buffered_bytes += t.buffered_bytes;
  sum->max_buffered_bytes += t.max_buffered_bytes;
}

TcpStats ShardedRunner::stats() const {
  TcpStats sum;
  for (const auto& s : shards_) AddTcpStats(s->tcp->stats(), &sum);
  return sum;
}

}  // namespace tcpfollow
