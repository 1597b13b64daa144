// The interface everything downstream of TCP reassembly consumes (Zeek's analyzer
// interface, cut down): per connection, ordered data, gaps (bytes that will never arrive)
// and the end of each direction, all stamped with packet time. Views are valid only for
// the duration of the call.
//
// A ConnectionHandler is asked for one StreamSink per connection when the connection is
// first seen, and told when it ends, with its summary. Reassembly never does I/O; writing
// files is the handler's business (tools/).
#ifndef TCPFOLLOW_REASSEMBLY_STREAM_SINK_H_
#define TCPFOLLOW_REASSEMBLY_STREAM_SINK_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tins_ext/ip_address.h"
#include "tins_ext/tcp_segment.h"

namespace tcpfollow {

enum class Direction : uint8_t { kClientToServer = 0, kServerToClient = 1 };
inline int Index(Direction d) { return static_cast<int>(d); }
inline Direction Opposite(Direction d) {
  return d == Direction::kClientToServer ? Direction::kServerToClient
                                         : Direction::kClientToServer;
}

// Why a connection ended. Names are what flows.jsonl prints in close_reason.
enum class CloseReason : uint8_t {
  kFin,           // both directions sent an in-sequence FIN
  kRst,           // an in-window RST
  kIdleTimeout,   // no packet for the idle timeout (packet time)
  kEndOfInput,    // the capture ended (or capture was stopped) with the connection open
  kEvicted,       // pushed out by the connection limit
  kPortReuse,     // a new SYN on the same 4-tuple after this connection finished
};
const char* CloseReasonName(CloseReason r);

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // In-order bytes of one direction. Each byte is delivered exactly once.
  virtual void OnData(Direction dir, absl::Time ts, absl::string_view bytes) = 0;
  // `length` bytes of `dir` will never be delivered; data continues after them.
  virtual void OnGap(Direction dir, absl::Time ts, uint64_t length) = 0;
  // `dir` has ended (in-sequence FIN, or RST / timeout / end of input for both).
  virtual void OnEnd(Direction dir, absl::Time ts) {}
};

class NoOpStreamSink : public StreamSink {
 public:
  void OnData(Direction, absl::Time, absl::string_view) override {}
  void OnGap(Direction, absl::Time, uint64_t) override {}
};

struct ConnectionInfo {
  uint64_t id = 0;      // unique within a run; tools turns it into the record's uid
  Endpoint client;      // the SYN sender, or the best guess for mid-stream pickups
  Endpoint server;
  uint32_t vlan = 0;
  // The tunnels the connection was carried in (outermost first), valid as long as the
  // PacketPipeline that decapsulated them (the whole run);
  // null outside tunnels, or when the path was not described (TunnelLimits::max_tunnels)
  // while tunnel_id still keys the connection. flows.jsonl: tunnel_parents.
  const TunnelPath* tunnel = nullptr;
  uint64_t tunnel_id = 0;
  absl::Time start;     // time of the first packet
  bool saw_handshake = false;  // false: picked up mid-stream, roles guessed
};

struct DirectionSummary {
  uint64_t bytes = 0;          // bytes delivered (OnData)
  uint64_t missed_bytes = 0;   // bytes reported as gaps
  uint64_t gaps = 0;           // number of gap events
  uint64_t packets = 0;
  uint64_t bad_checksums = 0;      // segments whose TCP checksum did not verify
  uint64_t overlaps = 0;           // segments overlapping data already held or delivered
  uint64_t overlap_conflicts = 0;  // ... whose bytes differed from what was kept
  uint64_t retransmitted_bytes = 0;
  bool fin = false;
  bool rst = false;
};

struct ConnectionSummary {
  absl::Time end;       // time of the last packet (or of the timeout decision)
  CloseReason reason = CloseReason::kEndOfInput;
  DirectionSummary dir[2];
  // Zeek's conn.log `history`: S H A D F R (SYN, SYN-ACK, pure ACK, data, FIN, RST), upper
  // case from the client, lower case from the server, each once per side in the order first
  // seen; empty when nothing was tracked.
  std::string history;
  // Zeek's conn.log `conn_state` (S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH,
  // SHR, OTH), derived from history.
  std::string conn_state;
  // The three-way handshake was seen: the client's SYN, the server's SYN-ACK, then an ACK
  // from the client.
  bool handshake = false;
};

class ConnectionHandler {
 public:
  virtual ~ConnectionHandler() = default;
  // Called once when a connection is first seen. The returned sink receives every event
  // of that connection until OnConnectionEnd; it may be null (events are dropped).
  virtual std::unique_ptr<StreamSink> OnConnectionStart(const ConnectionInfo& info) = 0;
  // Called once, after the last event, with the sink returned by OnConnectionStart.
  virtual void OnConnectionEnd(const ConnectionInfo& info, const ConnectionSummary& summary,
                               std::unique_ptr<StreamSink> sink) = 0;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_REASSEMBLY_STREAM_SINK_H_
