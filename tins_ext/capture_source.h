// Packet sources behind one interface: a capture file (classic pcap or pcapng, plain or
// compressed with gzip, zstd or xz, a path or standard input) and a live interface, all
// with nanosecond timestamps. Classic pcap and pcapng are read by our own block readers
// (pcapng with any number of interfaces, each with its own link type, snapshot length and
// timestamp resolution and offset; several sections; either byte order; Decryption
// Secrets Blocks handed to a callback); rare variants go through libpcap, as do live
// captures (one socket, or several in an AF_PACKET fanout group).
// Validates that the input opens, is a capture and that the BPF filter compiles.
// A file damaged in the middle (cut inside a record, an impossible record or block length)
// is read up to the damage, which damage() names with its offset: damaged input is counted,
// not fatal. Does not decode packets (decode.h does) and hands out views into an internal
// buffer, valid until the next call to Next().
#ifndef TCPFOLLOW_TINS_EXT_CAPTURE_SOURCE_H_
#define TCPFOLLOW_TINS_EXT_CAPTURE_SOURCE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tins_ext/byte_source.h"

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
  // Files read by our own readers:
  uint64_t sections = 0;        // pcapng Section Header Blocks
  uint64_t interfaces = 0;      // pcapng Interface Description Blocks, all sections
  uint64_t secrets_blocks = 0;  // pcapng Decryption Secrets Blocks
  uint64_t skipped_blocks = 0;  // pcapng blocks of other types (statistics, name resolution,
                                // custom, unknown), skipped
  uint64_t filter_unusable = 0;  // packets of an interface whose link type the BPF filter
                                 // cannot be compiled for (dropped)
};

// Where and why a capture file stopped being readable before its end.
struct CaptureDamage {
  // Byte offset of the damaged record or block, in the file; for compressed input, in the
  // decompressed bytes (a compressed stream damaged itself names its compressed offset in
  // `problem`).
  uint64_t offset = 0;
  std::string problem;  // "record length 300000 is impossible (more than 262144)", ...
};

// What a capture file is, for the summary.
struct CaptureFormat {
  std::string container;  // "pcap", "pcapng", or "pcap (libpcap)" for variants libpcap reads
  Compression compression = Compression::kNone;
};

// A pcapng Decryption Secrets Block as read: the secrets type (0x544c534b "TLSK" for a
// TLS key log, ...) and its data; `offset` is the block's offset in the (decompressed) file.
struct DecryptionSecrets {
  uint32_t type = 0;
  absl::string_view data;
  uint64_t offset = 0;
};

// Limits of the file readers.
struct CaptureLimits {
  // Largest pcapng block read into memory (libpcap's limit); a packet block above it is
  // damage, another block is skipped unread.
  uint32_t max_block_bytes = 16u << 20;
  // Interfaces per pcapng section; an IDB past it is damage.
  uint32_t max_interfaces = 65536;
  DecompressLimits decompress;
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
  // Set when the file could not be read to its end (truncated, or damaged); every packet
  // before the damage was returned.
  virtual std::optional<CaptureDamage> damage() const { return std::nullopt; }
  virtual CaptureFormat format() const { return CaptureFormat(); }
  // Called with every Decryption Secrets Block as the reader meets it (pcapng files read by
  // our reader), before any packet that follows the block. The view is valid during the call.
  virtual void set_secrets_handler(std::function<void(const DecryptionSecrets&)> handler) {}
};


// How a capture file is read. kAuto reads classic pcap files (version 2.4, the link types
// the decoder reads) and every pcapng file with our block readers (an uncompressed file
// opened by path is read in place, mapped: no copy; standard input and compressed input
// one copy per packet) and the rare rest through libpcap; kLibpcap always hands the (decompressed) bytes to libpcap
// (tests and fuzz/capture_reader_fuzz compare the two).
enum class FileReader { kAuto, kLibpcap };

// Opens a capture file ("-" = standard input), plain or compressed, with an optional BPF
// filter. Errors (one line): the file cannot be opened, is not a capture, or the filter
// does not compile.
absl::StatusOr<std::unique_ptr<CaptureSource>> OpenCaptureFile(
    const std::string& path, const std::string& bpf, FileReader reader = FileReader::kAuto,
    const CaptureLimits& limits = CaptureLimits());

// The same over bytes in memory (fuzzers, tests); `name` appears in messages.
absl::StatusOr<std::unique_ptr<CaptureSource>> OpenCaptureBytes(
    std::string bytes, const std::string& name, const std::string& bpf,
    FileReader reader = FileReader::kAuto, const CaptureLimits& limits = CaptureLimits());

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

// A link type's name as libpcap gives it ("EN10MB", "NFLOG", ...; "DLT 147" for values it
// cannot name): the "listening on" line, the summary's line on undecoded link types.
std::string LinkTypeName(int dlt);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_CAPTURE_SOURCE_H_
