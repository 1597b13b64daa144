// libFuzzer harness for TCP reassembly (reassembly/tcp_reassembler.h). The input is split
// into [direction][length][bytes] records (fuzz/fuzz_input.h); each record is one segment:
//   direction byte: bit 0 side (client/server), bits 1-5 TCP flags (FIN SYN RST PSH ACK),
//                   bits 6-7 which of four client ports (several connections at once);
//   bytes: [seq delta:2, signed][ack delta:2, signed][time step:1, 1/8 s] then payload.
// Sequence numbers start near 2^32 so that wrap-around is always exercised; each side's
// cursor follows its own data. Limits are tiny so that every cap path runs.
// Invariants checked (abort on failure): every sink event matches its connection's
// summary (bytes, gaps, missed bytes), nothing arrives after a direction's end or a
// connection's end, each connection ends exactly once, held bytes never exceed the
// per-direction and total caps, the table never exceeds max_connections, and FinishAll
// leaves nothing behind.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "fuzz/fuzz_input.h"
#include "reassembly/stream_sink.h"
#include "reassembly/tcp_reassembler.h"

namespace tcpfollow {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant failed: %s\n", what);
    std::abort();
  }
}

class CheckingSink : public StreamSink {
 public:
  void OnData(Direction dir, absl::Time, absl::string_view bytes) override {
    Check(!ended[Index(dir)] && !closed, "data after end");
    Check(!bytes.empty(), "empty data event");
    delivered[Index(dir)] += bytes.size();
  }
  void OnGap(Direction dir, absl::Time, uint64_t length) override {
    Check(!ended[Index(dir)] && !closed, "gap after end");
    Check(length > 0, "empty gap");
    missed[Index(dir)] += length;
    ++gaps[Index(dir)];
  }
  void OnEnd(Direction dir, absl::Time) override {
    Check(!ended[Index(dir)] && !closed, "second end");
    ended[Index(dir)] = true;
  }

  uint64_t delivered[2] = {0, 0};
  uint64_t missed[2] = {0, 0};
  uint64_t gaps[2] = {0, 0};
  bool ended[2] = {false, false};
  bool closed = false;
};

class CheckingHandler : public ConnectionHandler {
 public:
  std::unique_ptr<StreamSink> OnConnectionStart(const ConnectionInfo&) override {
    ++started;
    return std::make_unique<CheckingSink>();
  }
  void OnConnectionEnd(const ConnectionInfo&, const ConnectionSummary& summary,
                       std::unique_ptr<StreamSink> sink) override {
    auto* s = static_cast<CheckingSink*>(sink.get());
    Check(s != nullptr, "sink handed back");
    for (int d = 0; d < 2; ++d) {
      Check(s->ended[d], "direction ended before the connection");
      Check(s->delivered[d] == summary.dir[d].bytes, "bytes match summary");
      Check(s->missed[d] == summary.dir[d].missed_bytes, "missed bytes match summary");
      Check(s->gaps[d] == summary.dir[d].gaps, "gap count matches summary");
      Check(summary.dir[d].overlap_conflicts <= summary.dir[d].overlaps, "conflicts <= overlaps");
    }
    s->closed = true;
    ++ended;
  }
  uint64_t started = 0;
  uint64_t ended = 0;
};

}  // namespace
}  // namespace tcpfollow

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  TcpLimits limits;
  limits.max_connections = 3;
  limits.max_buffered_per_direction = 64;
  limits.max_segments_per_direction = 8;
  limits.max_buffered_total = 100;
  limits.idle_timeout = absl::Seconds(5);
  limits.closed_linger = absl::Seconds(2);
  limits.delivered_history_bytes = 16;
  FuzzInput in(data, size);
  limits.policy = static_cast<TcpPolicy>(in.Byte() % 7);

  CheckingHandler handler;
  TcpReassembler tcp(limits, &handler);
  Endpoint server;
  const uint8_t server_ip[4] = {10, 0, 0, 2};
  server.addr = IpAddress::V4(server_ip);
  server.port = 80;
  const uint8_t client_ip[4] = {10, 0, 0, 1};
  uint32_t cursor[2] = {0xFFFFFF00u, 0x7FFFFFF0u};
  absl::Time now = absl::FromUnixSeconds(1000000);

  uint8_t dir_byte;
  const uint8_t* bytes;
  size_t length;
  while (in.Next(&dir_byte, &bytes, &length)) {
    const int side = dir_byte & 1;
    Endpoint client;
    client.addr = IpAddress::V4(client_ip);
    client.port = static_cast<uint16_t>(40000 + (dir_byte >> 6));
    FuzzInput rec(bytes, length);
    const int16_t seq_delta = static_cast<int16_t>((rec.Byte() << 8) | rec.Byte());
    const int16_t ack_delta = static_cast<int16_t>((rec.Byte() << 8) | rec.Byte());
    now += absl::Milliseconds(125) * rec.Byte();
    const size_t header = length < 5 ? length : 5;
    TcpSegment seg;
    seg.ts = now;
    seg.src = side == 0 ? client : server;
    seg.dst = side == 0 ? server : client;
    seg.flags = static_cast<uint8_t>((dir_byte >> 1) & 0x1F);
    seg.seq = cursor[side] + static_cast<uint32_t>(static_cast<int32_t>(seq_delta));
    seg.ack = cursor[1 - side] + static_cast<uint32_t>(static_cast<int32_t>(ack_delta));
    seg.window = 65535;
    seg.payload = absl::string_view(reinterpret_cast<const char*>(bytes) + header,
                                    length - header);
    cursor[side] = seg.seq + static_cast<uint32_t>(seg.payload.size()) +
                   (seg.has(tcp_flags::kSyn) ? 1 : 0);
    tcp.OnSegment(seg);
    Check(tcp.stats().buffered_bytes <= limits.max_buffered_total, "total cap");
    Check(tcp.table_size() <= limits.max_connections, "connection cap");
    Check(tcp.stats().max_buffered_bytes <=
              limits.max_buffered_total + 2 * limits.max_buffered_per_direction + 65535,
          "peak held bytes bounded");
  }
  tcp.FinishAll(now + absl::Seconds(1));
  Check(handler.started == handler.ended, "every connection ended once");
  Check(tcp.stats().active == 0 && tcp.stats().buffered_bytes == 0, "nothing left open");
  Check(tcp.table_size() == 0, "table empty");
  Check(tcp.stats().connections_seen == handler.started, "connections counted");
  return 0;
}
