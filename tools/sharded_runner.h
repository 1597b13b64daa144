// --threads N: TCP reassembly and everything after it (stream files, the session layer's
// stages) run in N worker threads, each owning the connections whose flow hash falls to it.
// The reading thread keeps capture, decoding and IP defragmentation (fragments of one
// datagram may carry different ports, so they are reassembled before routing), copies each
// segment into its shard's batch and hands full batches over through a bounded queue.
//
// Shards are chosen by a symmetric hash of the connection (addresses, ports, VLAN), so
// a single busy host pair spreads over every worker too. Connections between two hosts can
// depend on each other through state the workers share: an announced data connection must
// be seen after the control reply that announced it (the session layer's expectations), and a resumed
// TLS session after the full handshake that cached its secret (the TLS session cache).
// Dependencies run both ways (a control connection logs its transfer's size when the
// final reply comes, after the data connection ended), so two ordering rules, per host pair,
// applied in the workers: a connection's first SYN waits until every other worker that
// got segments of the same pair has processed all it was given before that SYN; and after
// a FIN or RST of the pair (and the segments of that connection after it, up to the final
// ACK that ends it), the next segment of that pair in every other worker waits for it. The reading thread tracks, per address pair, the shards it went to and its last
// FIN/RST; a waiting segment carries the index each shard must reach. Results are then
// the same as in capture order, whatever the thread timing, while the segments between
// those events (the bulk of a busy pair's traffic) run in parallel. Pairs are tracked up to ShardLimits::max_tracked_pairs;
// beyond that the table starts afresh (counted), which only forgets old dependencies.
//
// The hash is a fixed function (never a per-process seed), and each shard numbers its
// connections base s+1, stride N, so the same input gives the same connection ids on
// every run. Record order across shards depends on timing; the records themselves do not.
#ifndef TCPFOLLOW_TOOLS_SHARDED_RUNNER_H_
#define TCPFOLLOW_TOOLS_SHARDED_RUNNER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "reassembly/stream_sink.h"
#include "reassembly/tcp_reassembler.h"
#include "tins_ext/tcp_segment.h"

namespace tcpfollow {

// Adds every counter of `from` to *to (gauges too: the sum over shards).
void AddTcpStats(const TcpStats& from, TcpStats* to);

// A stable 64-bit hash of a segment's address pair, the same for both directions.
uint64_t StableFlowHash(const TcpSegment& seg);
// A stable 64-bit hash of a segment's connection (addresses, ports, VLAN), the same for
// both directions.
uint64_t StableConnectionHash(const TcpSegment& seg);

struct ShardLimits {
  size_t max_tracked_pairs = 1 << 16;  // address pairs whose shards are remembered
};

struct ShardStats {
  uint64_t syn_waits = 0;           // SYNs that had to wait for another worker
  uint64_t pair_table_resets = 0;   // max_tracked_pairs reached: table started afresh
};

class ShardedRunner {
 public:
  // `handler_for(s)` is shard s's ConnectionHandler; it is only called from shard s.
  ShardedRunner(int shards, const TcpLimits& limits,
                const std::function<ConnectionHandler*(int)>& handler_for,
                const ShardLimits& shard_limits = ShardLimits());
  ~ShardedRunner();

  // Reading thread only.
  void Route(const TcpSegment& seg);
  void Tick(absl::Time now);
  // Flushes every batch, ends every connection at `now`, joins the workers.
  void Finish(absl::Time now);

  // After Finish: the shards' statistics added up.
  TcpStats stats() const;
  ShardStats shard_stats() const;

 private:
  struct Item {
    TcpSegment seg;    // payload empty here; the worker points it into the batch's arena
    size_t offset = 0;
    size_t length = 0;
    uint64_t index = 0;  // position in the routing order (segments and ticks)
    int barrier = -1;    // index into Batch::barriers: wait before this item
    bool tick = false;
  };
  struct Batch {
    std::vector<Item> items;
    std::string arena;
    // Per barrier: (shard, index it must have processed) pairs.
    std::vector<std::vector<std::pair<int, uint64_t>>> barriers;
  };
  struct Shard {
    std::unique_ptr<TcpReassembler> tcp;
    std::unique_ptr<Batch> filling;
    std::mutex mu;
    std::condition_variable ready, room;
    std::deque<std::unique_ptr<Batch>> queue;
    bool finishing = false;
    absl::Time finish_at;
    std::thread thread;
    uint64_t last_routed = 0;          // reading thread: index of the last item routed here
    std::atomic<uint64_t> done{0};     // index of the last item processed
    // Lowest index a waiting worker needs this shard to reach (UINT64_MAX: nobody waits).
    std::atomic<uint64_t> wake_at{UINT64_MAX};
    uint64_t syn_waits = 0;            // worker thread
  };

  void Push(Shard* s);
  void Work(Shard* s);
  void WaitFor(const std::vector<std::pair<int, uint64_t>>& waits, Shard* self);

  std::vector<std::unique_ptr<Shard>> shards_;
  ShardLimits shard_limits_;
  // Reading thread, per address pair: the shards (bit s % 64) it was routed to, its last
  // FIN or RST, and the shards already ordered after that.
  struct PairState {
    uint64_t shards = 0;
    uint64_t event_index = 0;
    int event_shard = 0;
    uint64_t event_conn = 0;  // connection hash of the FIN/RST
    uint64_t synced = 0;
  };
  absl::flat_hash_map<uint64_t, PairState> pair_shards_;
  uint64_t next_index_ = 0;
  uint64_t pair_table_resets_ = 0;
  // Workers waiting at a barrier sleep here; a worker wakes them when it reaches the
  // index one of them asked for (Shard::wake_at), not after every item.
  std::mutex progress_mu_;
  std::condition_variable progress_;
  bool finished_ = false;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_SHARDED_RUNNER_H_
