// Packet sources behind one interface: a capture file (pcap or pcapng, microsecond or
// nanosecond, or standard input) and a live interface (one socket, or several in an
// AF_PACKET fanout group), both through libpcap with nanosecond timestamps. Validates that the input opens, is a capture and that the BPF
// filter compiles; reports a file that ends mid-packet as truncated rather than as an
// error. Does not decode packets (decode.h does) and hands out views into libpcap's
// buffer, valid until the next call to Next().
#ifndef TCPFOLLOW_TINS_EXT_CAPTURE_SOURCE_H_
#define TCPFOLLOW_TINS_EXT_CAPTURE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tcpfollow {

struct RawPacket {
  absl::Time ts;
  int link_type = 0;  // DLT_*
  uint32_t caplen = 0;
  uint32_t wirelen = 0;
  // nullptr (with caplen 0) when Next() returned true without a packet: a live
  // capture's read timeout expired, so the caller can run its idle timer.
  const uint8_t* data = nullptr;
};

struct CaptureStats {
  uint64_t packets = 0;       // packets returned by Next()
  uint64_t kernel_received = 0;  // live only: pcap_stats ps_recv (passed the filter)
  uint64_t kernel_drops = 0;  // live only: pcap_stats ps_drop (no room in the buffer)
  uint64_t if_drops = 0;      // live only: pcap_stats ps_ifdrop (dropped by the interface)
};

class CaptureSource {
 public:
  virtual ~CaptureSource() = default;
  // true: *p holds a packet, or (live only) p->data == nullptr for a timeout tick.
  // false: end of input (end of file, or BreakLoop()). Error status on a read error.
  virtual absl::StatusOr<bool> Next(RawPacket* p) = 0;
  virtual int link_type() const = 0;
  // Live sources may be asked from another thread than the one calling Next().
  virtual CaptureStats stats() const = 0;
  // Makes the next (or the current, for live captures) Next() return false.
  // Async-signal-safe: sets a lock-free flag and calls pcap_breakloop.
  virtual void BreakLoop() = 0;
  // File position and size for a progress bar; 0 when unknown (pipes, live).
  virtual uint64_t bytes_read() const { return 0; }
  virtual uint64_t total_bytes() const { return 0; }
  // The file ended in the middle of a packet (every complete packet was returned).
  virtual bool truncated() const { return false; }
};

// How a capture file is read. kAuto reads classic pcap files of the common link types in
// large blocks (one copy per packet) and everything else (pcapng, standard input) through
// libpcap; kLibpcap always uses libpcap (tests compare the two).
enum class FileReader { kAuto, kLibpcap };

// Opens a capture file ("-" = standard input), with an optional BPF filter.
absl::StatusOr<std::unique_ptr<CaptureSource>> OpenCaptureFile(
    const std::string& path, const std::string& bpf, FileReader reader = FileReader::kAuto);

// The kernel capture buffer (per socket) when -B is not given: 128 MiB, as Zeek's
// AF_PACKET default. Measured (bench/RESULTS.md, "Live rate"): libpcap's own default
// (2 MiB) drops packets at rates a laptop produces, 32 MiB still drops during a replay at
// top speed, 128 MiB drops none. The memory is only committed by the kernel as the
// ring is allocated at start; it is per socket, so --threads N uses N times as much.
constexpr int kDefaultLiveBufferKib = 128 * 1024;

struct LiveOptions {
  std::string iface;
  std::string bpf;
  int snaplen = 262144;
  bool promisc = true;
  int buffer_kib = kDefaultLiveBufferKib;  // per socket; 0 = libpcap's default (2 MiB)
  // Longest a Next() call waits: with no packet by then it returns true with
  // data == nullptr (a tick for the idle timer). Also libpcap's buffer timeout, so a
  // packet may be delivered up to this late.
  int timeout_ms = 100;
  // false (the default): libpcap's TPACKET_V3 ring, which hands over whole blocks of
  // packets (one wake-up per block, or per timeout_ms when traffic is light): fewer
  // system calls and wake-ups, so fewer drops at high rates, at the cost of up to
  // timeout_ms of latency, which a tool writing records as connections end can afford.
  // true: immediate mode (libpcap falls back to TPACKET_V2, one wake-up per packet).
  bool immediate = false;
  // -Z: after activation, initgroups/setgid/setuid to this user (verified), if non-empty.
  std::string drop_user;
  // OpenLiveGroup with more than one socket: the AF_PACKET fanout group id (0-65535);
  // -1 picks one from the process id, so that two instances on one host do not join
  // each other's group by accident.
  int fanout_id = -1;
};

// One live capture socket.
absl::StatusOr<std::unique_ptr<CaptureSource>> OpenLive(const LiveOptions& options);

// `sockets` live captures on one interface that share its traffic: with more than one,
// every socket joins one AF_PACKET fanout group (PACKET_FANOUT_HASH |
// PACKET_FANOUT_FLAG_DEFRAG), so the kernel sends both directions of a connection (its
// symmetric flow hash) and every fragment of an IPv4 datagram (reassembled first) to the
// same socket. Packets that arrived before the group was complete are discarded, so no
// packet is seen by two sockets. Linux only; a clear error elsewhere or on `any` when
// the kernel refuses.
absl::StatusOr<std::vector<std::unique_ptr<CaptureSource>>> OpenLiveGroup(
    const LiveOptions& options, int sockets);

// What OpenLive chose, for the "listening on" line: link type name, e.g. "EN10MB".
std::string LinkTypeName(int dlt);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_CAPTURE_SOURCE_H_
