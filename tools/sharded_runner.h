// --threads N: TCP reassembly and everything after it (stream files, TLS, HTTP, SMTP,
// FTP) run in N worker threads, each owning the connections whose flow hash falls to it.
// The reading thread keeps capture, decoding and IP defragmentation (fragments of one
// datagram may carry different ports, so they are reassembled before routing), copies each
// segment into its shard's batch and hands full batches over through a bounded queue.
//
// Shards are chosen by a hash of the two IP addresses (and VLAN), not the ports: an FTP
// data connection must be seen after the control reply that announced it, and a resumed
// TLS session after the full handshake that cached its secret, so connections between the
// same two hosts stay in one thread, in capture order. The hash is a fixed function
// (never a per-process seed), and each
// shard numbers its connections base s+1, stride N, so the same input gives the same
// connection ids on every run. Record order across shards depends on timing; the records
// themselves do not.
#ifndef TCPFOLLOW_TOOLS_SHARDED_RUNNER_H_
#define TCPFOLLOW_TOOLS_SHARDED_RUNNER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "reassembly/stream_sink.h"
#include "reassembly/tcp_reassembler.h"
#include "tins_ext/tcp_segment.h"

namespace tcpfollow {

// Adds every counter of `from` to *to (gauges too: the sum over shards).
void AddTcpStats(const TcpStats& from, TcpStats* to);

// A stable 64-bit hash of a segment's address pair, the same for both directions.
uint64_t StableFlowHash(const TcpSegment& seg);

class ShardedRunner {
 public:
  // `handler_for(s)` is shard s's ConnectionHandler; it is only called from shard s.
  ShardedRunner(int shards, const TcpLimits& limits,
                const std::function<ConnectionHandler*(int)>& handler_for);
  ~ShardedRunner();

  // Reading thread only.
  void Route(const TcpSegment& seg);
  void Tick(absl::Time now);
  // Flushes every batch, ends every connection at `now`, joins the workers.
  void Finish(absl::Time now);

  // After Finish: the shards' statistics added up.
  TcpStats stats() const;

 private:
  struct Item {
    TcpSegment seg;    // payload empty here; the worker points it into the batch's arena
    size_t offset = 0;
    size_t length = 0;
    bool tick = false;
  };
  struct Batch {
    std::vector<Item> items;
    std::string arena;
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
  };

  void Push(Shard* s);
  void Work(Shard* s);

  std::vector<std::unique_ptr<Shard>> shards_;
  bool finished_ = false;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_SHARDED_RUNNER_H_
