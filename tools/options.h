// tcpfollow's command line: parsed into Options, validated, with the help text. Parsing
// never exits or prints; the caller reports the Status (one line) and exits 1.
#ifndef TCPFOLLOW_TOOLS_OPTIONS_H_
#define TCPFOLLOW_TOOLS_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tcpfollow {

struct Options {
  // Input: exactly one of read_file / interface.
  std::string read_file;
  std::string interface;
  std::string bpf;  // trailing arguments joined with spaces
  int snaplen = 262144;
  bool promisc = true;
  int buffer_kib = 0;  // -B; 0: kDefaultLiveBufferKib (capture_source.h)
  bool immediate = false;  // --immediate-mode: libpcap immediate mode (TPACKET_V2)
  int fanout_id = -1;      // --fanout-id; -1: from the process id
  std::string drop_user;

  // Output.
  std::string out_dir = "tcpfollow-out";
  bool json = false;
  bool follow = false;
  bool follow_raw = false;          // --follow-raw: the wire bytes even when decrypted
  std::string follow_selector;      // --follow-conn
  std::string follow_format = "ascii";
  bool out_dir_given = false;
  bool force = false;               // --force: replace an earlier run in -o DIR
  bool append = false;              // --append: add this run to -o DIR       // -o on the command line (--follow alone writes nothing)
  bool list_protocols = false;
  bool list_logs = false;
  bool write_streams = true;
  bool write_objects = true;  // false (--no-objects): objects logged, not stored or hashed
  bool write_report = true;  // false (--no-report): no report.html
  bool analyze = true;  // false (--streams-only): no TLS or protocol parsing
  std::string write_decrypted;
  std::string write_defragmented;
  bool quiet = false;
  // --rotate: every this many seconds (wall clock live, packet time offline) the logs are
  // closed and renamed <log>.YYYY-MM-DD-HH-MM-SS.jsonl (UTC, the time the file was
  // opened), as Zeek rotates its logs. Zero: no rotation.
  absl::Duration rotate = absl::ZeroDuration();

  // TLS.
  std::vector<std::string> keylogs;
  std::vector<std::string> rsa_keys;  // "[IP:PORT:]FILE"
  std::string rsa_key_password;
  std::vector<std::string> psks;  // "[IDENTITY:]HEX"

  // Reassembly.
  std::string tcp_policy = "first";
  bool verify_checksums = false;
  std::string frag_policy = "first";
  uint64_t max_flows = 65536;  // about 2 KB each with streams off; see --help
  uint64_t max_flow_buffer = 4ull << 20;     // bytes buffered out of order, per direction
  uint64_t max_total_buffer = 64ull << 20;   // all connections together
  absl::Duration tcp_timeout = absl::Seconds(300);
  // Bytes of delivered data kept per direction to compare retransmissions against, so
  // that a retransmission that differs from what was delivered is counted (0: off).
  uint64_t overlap_history = 0;
  uint64_t max_frag_datagrams = 100000;
  uint64_t max_frags_per_datagram = 128;
  uint64_t max_frag_bytes = 64ull << 20;
  absl::Duration frag_timeout = absl::Seconds(60);

  int threads = 1;

  bool help = false;
  bool version = false;
};

absl::StatusOr<Options> ParseOptions(int argc, char** argv);
std::string HelpText();
extern const char kVersion[];

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_OPTIONS_H_
