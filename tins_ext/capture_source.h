// Packet sources behind one interface: a capture file (pcap or pcapng, microsecond or
// nanosecond, or standard input) and a live interface, both through libpcap with
// nanosecond timestamps. Validates that the input opens, is a capture and that the BPF
// filter compiles; reports a file that ends mid-packet as truncated rather than as an
// error. Does not decode packets (decode.h does) and hands out views into libpcap's
// buffer, valid until the next call to Next().
#ifndef TCPFOLLOW_TINS_EXT_CAPTURE_SOURCE_H_
#define TCPFOLLOW_TINS_EXT_CAPTURE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>

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
  uint64_t kernel_drops = 0;  // live only: pcap_stats ps_drop
  uint64_t if_drops = 0;      // live only: pcap_stats ps_ifdrop
};

class CaptureSource {
 public:
  virtual ~CaptureSource() = default;
  // true: *p holds a packet, or (live only) p->data == nullptr for a timeout tick.
  // false: end of input (end of file, or BreakLoop()). Error status on a read error.
  virtual absl::StatusOr<bool> Next(RawPacket* p) = 0;
  virtual int link_type() const = 0;
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

struct LiveOptions {
  std::string iface;
  std::string bpf;
  int snaplen = 262144;
  bool promisc = true;
  int buffer_kib = 0;  // 0 = libpcap's default
  // Longest a Next() call waits: with no packet by then it returns true with
  // data == nullptr (a tick for the idle timer). Also libpcap's buffer timeout, so a
  // packet may be delivered up to this late.
  int timeout_ms = 100;
  // -Z: after activation, initgroups/setgid/setuid to this user (verified), if non-empty.
  std::string drop_user;
};

absl::StatusOr<std::unique_ptr<CaptureSource>> OpenLive(const LiveOptions& options);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_CAPTURE_SOURCE_H_
