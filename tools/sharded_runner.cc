#include "tools/sharded_runner.h"

#include <algorithm>
#include <cstring>

namespace tcpfollow {

namespace {

constexpr size_t kBatchItems = 512;
constexpr size_t kBatchBytes = 256u << 10;
constexpr size_t kQueuedBatches = 16;  // per shard: bounds memory between threads

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  return x ^ (x >> 33);
}

uint64_t AddressHash(const IpAddress& addr) {
  uint64_t a, b;
  std::memcpy(&a, addr.bytes.data(), 8);
  std::memcpy(&b, addr.bytes.data() + 8, 8);
  return Mix(a ^ Mix(b ^ static_cast<uint8_t>(addr.family)));
}

}  // namespace

uint64_t StableFlowHash(const TcpSegment& seg) {
  // Symmetric: both directions of a connection land on the same shard.
  return Mix(AddressHash(seg.src.addr) + AddressHash(seg.dst.addr) + seg.vlan);
}

ShardedRunner::ShardedRunner(int shards, const TcpLimits& limits,
                             const std::function<ConnectionHandler*(int)>& handler_for) {
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
  Shard* s = shards_[StableFlowHash(seg) % shards_.size()].get();
  Batch* b = s->filling.get();
  Item item;
  item.seg = seg;
  item.seg.payload = absl::string_view();
  item.offset = b->arena.size();
  item.length = seg.payload.size();
  b->arena.append(seg.payload.data(), seg.payload.size());
  b->items.push_back(item);
  if (b->items.size() >= kBatchItems || b->arena.size() >= kBatchBytes) Push(s);
}

void ShardedRunner::Tick(absl::Time now) {
  for (auto& s : shards_) {
    Item item;
    item.tick = true;
    item.seg.ts = now;
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
      if (item.tick) {
        s->tcp->Advance(item.seg.ts);
        continue;
      }
      item.seg.payload = absl::string_view(batch->arena.data() + item.offset, item.length);
      s->tcp->OnSegment(item.seg);
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
