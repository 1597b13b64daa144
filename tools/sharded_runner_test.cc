// ShardedRunner keeps the order between connections of one host pair that run in
// different workers: a connection started after another's data sees that data processed,
// and a segment after another connection's end sees that end. Workers are slowed down
// on purpose (a sleep in the earlier connection's callbacks) so that without the ordering
// the later connection would be handled first.
#include "tools/sharded_runner.h"

#include <atomic>
#include <chrono>
#include <thread>

#include <catch2/catch.hpp>

namespace tcpfollow {
namespace {

constexpr uint16_t kControlPort = 40000;
constexpr uint16_t kServerPort = 21;

struct Shared {
  std::atomic<bool> control_data_done{false};
  std::atomic<bool> data_ended{false};
  std::atomic<int> data_started_after_control_data{-1};  // -1 not started, 0 no, 1 yes
  std::atomic<int> control_saw_data_end{-1};
};

class Sink : public StreamSink {
 public:
  Sink(Shared* shared, bool control) : shared_(shared), control_(control) {}
  void OnData(Direction, absl::Time, absl::string_view bytes) override {
    if (!control_) return;
    if (bytes == "227") {
      std::this_thread::sleep_for(std::chrono::milliseconds(60));
      shared_->control_data_done = true;
    } else if (bytes == "226") {
      shared_->control_saw_data_end = shared_->data_ended ? 1 : 0;
    }
  }
  void OnGap(Direction, absl::Time, uint64_t) override {}

 private:
  Shared* shared_;
  bool control_;
};

class Handler : public ConnectionHandler {
 public:
  explicit Handler(Shared* shared) : shared_(shared) {}
  std::unique_ptr<StreamSink> OnConnectionStart(const ConnectionInfo& info) override {
    const bool control = info.client.port == kControlPort;
    if (!control) shared_->data_started_after_control_data = shared_->control_data_done ? 1 : 0;
    return std::make_unique<Sink>(shared_, control);
  }
  void OnConnectionEnd(const ConnectionInfo& info, const ConnectionSummary&,
                       std::unique_ptr<StreamSink>) override {
    if (info.client.port != kControlPort && info.server.port != kServerPort) {
      std::this_thread::sleep_for(std::chrono::milliseconds(60));
      shared_->data_ended = true;
    }
  }

 private:
  Shared* shared_;
};

Endpoint Ep(const char* addr, uint16_t port) {
  Endpoint e;
  e.addr = IpAddress::FromString(addr);
  e.port = port;
  return e;
}

TcpSegment Seg(const Endpoint& src, const Endpoint& dst, uint32_t seq, uint32_t ack,
               uint8_t flags, absl::string_view payload, int ms) {
  TcpSegment s;
  s.ts = absl::FromUnixSeconds(1000) + absl::Milliseconds(ms);
  s.src = src;
  s.dst = dst;
  s.seq = seq;
  s.ack = ack;
  s.flags = flags;
  s.window = 65535;
  s.payload = payload;
  return s;
}

TEST_CASE("ShardedRunner: connections of one host pair keep capture order across workers",
          "[sharded]") {
  using namespace tcp_flags;
  const Endpoint client = Ep("198.18.0.1", kControlPort);
  const Endpoint server = Ep("198.18.0.2", kServerPort);
  // A data connection of the same pair that falls to the other of two shards.
  uint16_t data_port = 50000;
  {
    TcpSegment c = Seg(client, server, 0, 0, kSyn, "", 0);
    const uint64_t control_shard = StableConnectionHash(c) % 2;
    while (true) {
      TcpSegment d = Seg(Ep("198.18.0.1", data_port), Ep("198.18.0.2", 30000), 0, 0, kSyn, "", 0);
      if (StableConnectionHash(d) % 2 != control_shard) break;
      ++data_port;
    }
  }
  const Endpoint dc = Ep("198.18.0.1", data_port);
  const Endpoint ds = Ep("198.18.0.2", 30000);
  // StableConnectionHash is symmetric.
  CHECK(StableConnectionHash(Seg(dc, ds, 0, 0, kSyn, "", 0)) ==
        StableConnectionHash(Seg(ds, dc, 0, 0, kSyn | kAck, "", 0)));

  Shared shared;
  Handler h0(&shared), h1(&shared);
  TcpLimits limits;
  ShardedRunner runner(2, limits, [&](int s) -> ConnectionHandler* { return s == 0 ? &h0 : &h1; });
  int t = 0;
  // Control: handshake, then the "227" reply.
  runner.Route(Seg(client, server, 100, 0, kSyn, "", t++));
  runner.Route(Seg(server, client, 500, 101, kSyn | kAck, "", t++));
  runner.Route(Seg(client, server, 101, 501, kAck, "", t++));
  runner.Route(Seg(server, client, 501, 101, kAck | kPsh, "227", t++));
  // Data connection: opened after the 227, closed (both FINs, final ACK).
  runner.Route(Seg(dc, ds, 1000, 0, kSyn, "", t++));
  runner.Route(Seg(ds, dc, 2000, 1001, kSyn | kAck, "", t++));
  runner.Route(Seg(dc, ds, 1001, 2001, kAck, "", t++));
  runner.Route(Seg(ds, dc, 2001, 1001, kAck | kPsh, "file", t++));
  runner.Route(Seg(ds, dc, 2005, 1001, kAck | kFin, "", t++));
  runner.Route(Seg(dc, ds, 1001, 2006, kAck | kFin, "", t++));
  runner.Route(Seg(ds, dc, 2006, 1002, kAck, "", t++));
  // Control: "226" after the data connection ended.
  runner.Route(Seg(server, client, 504, 101, kAck | kPsh, "226", t++));
  runner.Finish(absl::FromUnixSeconds(1001));

  CHECK(shared.data_started_after_control_data == 1);
  CHECK(shared.control_saw_data_end == 1);
  CHECK(runner.shard_stats().syn_waits >= 2);
}

}  // namespace
}  // namespace tcpfollow
