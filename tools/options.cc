#include "tools/options.h"

#include <getopt.h>

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "reassembly/ip_defrag.h"
#include "reassembly/tcp_stream.h"

namespace tcpfollow {

const char kVersion[] = "tcpfollow 0.1.0";

namespace {

enum LongOnly {
  kJson = 1000,
  kFollow,
  kNoStreams,
  kVerifyChecksums,
  kNoObjects,
  kNoReport,
  kWriteDecrypted,
  kWriteDefragmented,
  kKeylog,
  kRsaKey,
  kRsaKeyPassword,
  kPsk,
  kTcpPolicy,
  kFragPolicy,
  kMaxFlows,
  kMaxFlowBuffer,
  kMaxTotalBuffer,
  kTcpTimeout,
  kMaxFragDatagrams,
  kMaxFragsPerDatagram,
  kMaxFragBytes,
  kFragTimeout,
  kThreads,
  kOverlapHistory,
  kStreamsOnly,
  kVersionOpt,
  kFanoutId,
  kRotate,
  kImmediateMode,
  kFollowRaw,
  kFollowConn,
  kFollowFormat,
  kListProtocols,
  kListLogs,
  kForce,
  kAppend,
};

const option kLongOptions[] = {
    {"help", no_argument, nullptr, 'h'},
    {"version", no_argument, nullptr, kVersionOpt},
    {"json", no_argument, nullptr, kJson},
    {"follow", no_argument, nullptr, kFollow},
    {"follow-raw", no_argument, nullptr, kFollowRaw},
    {"follow-conn", required_argument, nullptr, kFollowConn},
    {"follow-format", required_argument, nullptr, kFollowFormat},
    {"list-protocols", no_argument, nullptr, kListProtocols},
    {"list-logs", no_argument, nullptr, kListLogs},
    {"force", no_argument, nullptr, kForce},
    {"append", no_argument, nullptr, kAppend},
    {"no-streams", no_argument, nullptr, kNoStreams},
    {"no-objects", no_argument, nullptr, kNoObjects},
    {"no-report", no_argument, nullptr, kNoReport},
    {"write-decrypted", required_argument, nullptr, kWriteDecrypted},
    {"write-defragmented", required_argument, nullptr, kWriteDefragmented},
    {"keylog", required_argument, nullptr, kKeylog},
    {"rsa-key", required_argument, nullptr, kRsaKey},
    {"rsa-key-password", required_argument, nullptr, kRsaKeyPassword},
    {"psk", required_argument, nullptr, kPsk},
    {"tcp-policy", required_argument, nullptr, kTcpPolicy},
    {"frag-policy", required_argument, nullptr, kFragPolicy},
    {"verify-checksums", no_argument, nullptr, kVerifyChecksums},
    {"max-flows", required_argument, nullptr, kMaxFlows},
    {"max-flow-buffer", required_argument, nullptr, kMaxFlowBuffer},
    {"max-total-buffer", required_argument, nullptr, kMaxTotalBuffer},
    {"tcp-timeout", required_argument, nullptr, kTcpTimeout},
    {"max-frag-datagrams", required_argument, nullptr, kMaxFragDatagrams},
    {"max-frags-per-datagram", required_argument, nullptr, kMaxFragsPerDatagram},
    {"max-frag-bytes", required_argument, nullptr, kMaxFragBytes},
    {"frag-timeout", required_argument, nullptr, kFragTimeout},
    {"threads", required_argument, nullptr, kThreads},
    {"overlap-history", required_argument, nullptr, kOverlapHistory},
    {"streams-only", no_argument, nullptr, kStreamsOnly},
    {"fanout-id", required_argument, nullptr, kFanoutId},
    {"rotate", required_argument, nullptr, kRotate},
    {"immediate-mode", no_argument, nullptr, kImmediateMode},
    {nullptr, 0, nullptr, 0},
};

// Accepts a plain number or one with a k/m/g suffix (powers of 1024).
absl::StatusOr<uint64_t> ParseSize(const char* flag, absl::string_view text) {
  uint64_t mult = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'k': case 'K': mult = 1ull << 10; break;
      case 'm': case 'M': mult = 1ull << 20; break;
      case 'g': case 'G': mult = 1ull << 30; break;
      default: break;
    }
    if (mult != 1) text.remove_suffix(1);
  }
  uint64_t v = 0;
  if (!absl::SimpleAtoi(text, &v) || v == 0 || v > (UINT64_MAX / mult)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": expected a positive number (k/m/g suffix allowed), got '",
                     text, "'"));
  }
  return v * mult;
}

absl::StatusOr<absl::Duration> ParseSeconds(const char* flag, absl::string_view text) {
  double s = 0;
  if (!absl::SimpleAtod(text, &s) || !(s > 0) || s > 1e9) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": expected a positive number of seconds, got '", text, "'"));
  }
  return absl::Seconds(s);
}

absl::StatusOr<int> ParseInt(const char* flag, absl::string_view text, int lo, int hi) {
  int v = 0;
  if (!absl::SimpleAtoi(text, &v) || v < lo || v > hi) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": expected a number from ", lo,
                                                   " to ", hi, ", got '", text, "'"));
  }
  return v;
}

// "-o needs a directory": what the option's argument is, in the message.
std::string MissingArgument(int opt, const char* arg) {
  const char* what = "an argument";
  switch (opt) {
    case 'o': what = "a directory"; break;
    case 'r': what = "a capture file (- for standard input)"; break;
    case 'i': what = "an interface name"; break;
    case 's': what = "a snapshot length"; break;
    case 'B': what = "a buffer size in KiB"; break;
    case 'Z': what = "a user name"; break;
    case kKeylog: what = "a key log file"; break;
    case kRsaKey: what = "[IP:PORT:]FILE"; break;
    case kFollowConn: what = "a uid, IP:PORT,IP:PORT or an index"; break;
    default: break;
  }
  std::string name = opt > 0 && opt < 128 ? std::string("-") + static_cast<char>(opt)
                                          : std::string(arg);
  // getopt leaves "--name" (maybe "--name=") in argv for long options.
  return absl::StrCat(name, " needs ", what);
}

bool OneOf(const std::string& v, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (v == n) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<Options> ParseOptions(int argc, char** argv) {
  Options o;
  optind = 1;
  opterr = 0;
  int c;
  // '+' stops at the first non-option so that BPF expressions such as "not port 22"
  // are left intact.
  // '+' stops at the first non-option; ':' reports a missing argument as such.
  while ((c = getopt_long(argc, argv, "+:hr:i:o:s:pB:Z:qV", kLongOptions, nullptr)) != -1) {
    absl::StatusOr<uint64_t> size;
    absl::StatusOr<absl::Duration> dur;
    absl::StatusOr<int> num;
    switch (c) {
      case 'h': o.help = true; break;
      case 'V':
      case kVersionOpt: o.version = true; break;
      case 'r': o.read_file = optarg; break;
      case 'i': o.interface = optarg; break;
      case 'o':
        o.out_dir = optarg;
        o.out_dir_given = true;
        break;
      case 's':
        num = ParseInt("-s", optarg, 64, 262144);
        if (!num.ok()) return num.status();
        o.snaplen = *num;
        break;
      case 'p': o.promisc = false; break;
      case 'B':
        num = ParseInt("-B", optarg, 1, 4 << 20);
        if (!num.ok()) return num.status();
        o.buffer_kib = *num;
        break;
      case 'Z': o.drop_user = optarg; break;
      case 'q': o.quiet = true; break;
      case kJson: o.json = true; break;
      case kFollow: o.follow = true; break;
      case kFollowRaw:
        o.follow = true;
        o.follow_raw = true;
        break;
      case kFollowConn:
        o.follow = true;
        o.follow_selector = optarg;
        break;
      case kFollowFormat:
        o.follow = true;
        o.follow_format = optarg;
        if (!OneOf(o.follow_format, {"ascii", "hex", "raw", "yaml", "json"})) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--follow-format: unknown format '", o.follow_format,
              "' (ascii, hex, raw, yaml, json)"));
        }
        break;
      case kListProtocols: o.list_protocols = true; break;
      case kListLogs: o.list_logs = true; break;
      case kForce: o.force = true; break;
      case kAppend: o.append = true; break;
      case kNoStreams: o.write_streams = false; break;
      case kVerifyChecksums: o.verify_checksums = true; break;
      case kNoObjects: o.write_objects = false; break;
      case kNoReport: o.write_report = false; break;
      case kStreamsOnly: o.analyze = false; break;
      case kWriteDecrypted: o.write_decrypted = optarg; break;
      case kWriteDefragmented: o.write_defragmented = optarg; break;
      case kKeylog: o.keylogs.push_back(optarg); break;
      case kRsaKey: o.rsa_keys.push_back(optarg); break;
      case kRsaKeyPassword: o.rsa_key_password = optarg; break;
      case kPsk: o.psks.push_back(optarg); break;
      case kTcpPolicy:
        o.tcp_policy = optarg;
        if (TcpPolicy p; !ParseTcpPolicy(o.tcp_policy, &p)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--tcp-policy: unknown policy '", o.tcp_policy, "' (", TcpPolicyNames(), ")"));
        }
        break;
      case kFragPolicy:
        o.frag_policy = optarg;
        if (FragPolicy p; !ParseFragPolicy(o.frag_policy, &p)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--frag-policy: unknown policy '", o.frag_policy, "' (", FragPolicyNames(), ")"));
        }
        break;
#define SIZE_FLAG(k, name, field)              \
  case k:                                      \
    size = ParseSize(name, optarg);            \
    if (!size.ok()) return size.status();      \
    o.field = *size;                           \
    break;
      SIZE_FLAG(kMaxFlows, "max-flows", max_flows)
      SIZE_FLAG(kMaxFlowBuffer, "max-flow-buffer", max_flow_buffer)
      SIZE_FLAG(kMaxTotalBuffer, "max-total-buffer", max_total_buffer)
      SIZE_FLAG(kMaxFragDatagrams, "max-frag-datagrams", max_frag_datagrams)
      SIZE_FLAG(kMaxFragsPerDatagram, "max-frags-per-datagram", max_frags_per_datagram)
      SIZE_FLAG(kMaxFragBytes, "max-frag-bytes", max_frag_bytes)
      SIZE_FLAG(kOverlapHistory, "overlap-history", overlap_history)
#undef SIZE_FLAG
      case kTcpTimeout:
        dur = ParseSeconds("tcp-timeout", optarg);
        if (!dur.ok()) return dur.status();
        o.tcp_timeout = *dur;
        break;
      case kFragTimeout:
        dur = ParseSeconds("frag-timeout", optarg);
        if (!dur.ok()) return dur.status();
        o.frag_timeout = *dur;
        break;
      case kThreads:
        num = ParseInt("--threads", optarg, 1, 256);
        if (!num.ok()) return num.status();
        o.threads = *num;
        break;
      case kFanoutId:
        num = ParseInt("--fanout-id", optarg, 0, 65535);
        if (!num.ok()) return num.status();
        o.fanout_id = *num;
        break;
      case kRotate:
        dur = ParseSeconds("rotate", optarg);
        if (!dur.ok()) return dur.status();
        if (*dur < absl::Seconds(1)) {
          return absl::InvalidArgumentError("--rotate: at least 1 second");
        }
        o.rotate = *dur;
        break;
      case kImmediateMode: o.immediate = true; break;
      case ':':
        return absl::InvalidArgumentError(MissingArgument(optopt, argv[optind - 1]));
      default: {
        const char* arg = argv[optind - 1];
        if (optopt != 0 && optopt < 1000) {
          return absl::InvalidArgumentError(absl::StrCat(
              "unknown option -", std::string(1, static_cast<char>(optopt)), " (see --help)"));
        }
        return absl::InvalidArgumentError(absl::StrCat("unknown option ", arg, " (see --help)"));
      }
    }
  }
  std::vector<std::string> rest(argv + optind, argv + argc);
  o.bpf = absl::StrJoin(rest, " ");
  if (o.help || o.version || o.list_protocols || o.list_logs) return o;
  if (o.force && o.append) {
    return absl::InvalidArgumentError("--force and --append: choose one");
  }
  if (o.read_file.empty() == o.interface.empty()) {
    return absl::InvalidArgumentError(
        "give exactly one input: -r FILE (capture file, - for standard input) or -i IFACE");
  }
  if (!o.drop_user.empty() && o.interface.empty()) {
    // Reading a file as root and dropping privileges is allowed too; nothing to check.
  }
  if (const char* env = std::getenv("SSLKEYLOGFILE"); env != nullptr && *env != '\0') {
    o.keylogs.push_back(env);
  }
  return o;
}

std::string HelpText() {
  return R"(usage: tcpfollow [options] [BPF expression]

Follows every TCP conversation in a capture file or on a live interface: reassembles IP
fragments and TCP streams, decrypts TLS with keys you give it, parses the protocols listed
at the end, and writes per-connection records, raw streams and extracted objects to an output directory.

Input (exactly one):
  -r FILE                 read a pcap or pcapng file; - reads standard input
  -i IFACE                capture live (any: all interfaces)
  -s SNAPLEN              live snapshot length (default 262144)
  -p                      do not put the interface into promiscuous mode
  -B KIB                  kernel capture buffer per socket in KiB (default 131072: 128 MiB,
                          as Zeek; drops are counted and reported, raise it if any)
  --immediate-mode        hand over each packet at once (libpcap immediate mode) instead of
                          in blocks every 100 ms at most; more CPU, more drops at high rates
  --fanout-id ID          AF_PACKET fanout group of --threads with -i (default: from the pid)
  -Z USER                 drop privileges to USER once the capture is open
  BPF expression          trailing arguments, as in tcpdump

Output:
  -o DIR                  output directory (default ./tcpfollow-out); nothing is written outside it.
                          A directory holding an earlier run is refused unless one of:
  --force                 replace what an earlier run wrote in DIR (other files are kept)
  --append                add this run to DIR (uids and file names cannot collide)
  --json                  also print every record to standard output as JSON lines
  --follow                print each finished conversation like Wireshark's Follow TCP Stream;
                          decrypted TLS is shown as plaintext. Without -o nothing is written
  --follow-conn SEL       follow one connection: a uid (C...), IP:PORT,IP:PORT (either order,
                          IPv6 in brackets) or its index (0 = first connection, as tcp.stream)
  --follow-format FMT     ascii (default), hex, raw, yaml; with --json: JSON lines
  --follow-raw            show the bytes on the wire even when the session was decrypted
  --list-protocols        the protocols this build parses (name, logs, fuzz harnesses)
  --list-logs             the JSONL logs a run can write
  --no-streams            do not write the raw per-direction stream files
  --no-objects            do not extract objects: protocols are still parsed and logged,
                          files.jsonl still lists each object (size, type) without path or sha256
  --no-report             do not write report.html (the page of the run: summary, timeline,
                          hosts, each protocol's log, files, connections with transcripts)
  --streams-only          reassemble and write streams and flows.jsonl only, as tcpflow does:
                          no TLS decryption, no protocol parsing
  --write-decrypted FILE  write decrypted TLS payloads as a pcap of synthetic TCP packets
  --write-defragmented FILE  write every reassembled IP datagram to a pcap
  --rotate S              every S seconds close the logs and rename them
                          <log>.YYYY-MM-DD-HH-MM-SS.jsonl (UTC open time), as Zeek does;
                          live: wall clock, files: packet time
  -q                      no progress bar and no summary on standard error

TLS:
  --keylog FILE           NSS key log (SSLKEYLOGFILE format); repeatable; $SSLKEYLOGFILE is read too
  --rsa-key [IP:PORT:]FILE  RSA private key: PEM or DER, PKCS#1, PKCS#8 or PKCS#12
                          (.p12/.pfx); repeatable. A key is used for every session whose
                          server certificate it matches. With IP:PORT it is also used for that
                          server's sessions that show no certificate (resumed, or captured
                          mid-way); an IP:PORT that matches no session, or a key that does not
                          match that server's certificate, leaves certificate matching on
  --rsa-key-password PASS password of encrypted private keys and PKCS#12 files
  --psk [IDENTITY:]HEX    pre-shared key for TLS 1.0-1.2 PSK and RSA_PSK suites (the master
                          secret built as RFC 4279 says); without IDENTITY it serves any
                          identity; repeatable. DHE/ECDHE_PSK sessions need a key log

Reassembly and limits (sizes take k/m/g suffixes; times are seconds of packet time):
  --tcp-policy P          overlapping TCP data: )" + TcpPolicyNames() + R"( (default first)
  --frag-policy P         overlapping IP fragments: )" + FragPolicyNames() + R"( (default first)
  --verify-checksums      drop TCP segments whose checksum is wrong (counted either way, in
                          flows.jsonl bad_checksums; kept by default: offloading leaves wrong
                          checksums in captures taken on the sending host)
  --max-flows N           connections tracked at once (default 65536, about 2-3 KB of memory each;
                          the least recently active is evicted and written out)
  --max-flow-buffer N     out-of-order bytes held per direction (default 4m; beyond it a gap is declared)
  --max-total-buffer N    out-of-order bytes held in total (default 64m)
  --tcp-timeout S         idle connection timeout (default 300)
  --overlap-history N     keep the last N delivered bytes per direction to detect retransmissions
                          whose bytes differ from what was delivered (default off; overlaps among
                          out-of-order data are always checked)
  --max-frag-datagrams N  IP datagrams being reassembled at once (default 100000)
  --max-frags-per-datagram N  fragments per datagram (default 128)
  --max-frag-bytes N      fragment bytes held in total (default 64m)
  --frag-timeout S        fragment reassembly timeout (default 60)

Other:
  --threads N             worker threads (connections are sharded by flow hash; default 1);
                          with -i: N capture sockets in one AF_PACKET fanout group, each
                          with its own worker
  -h, --help              this text
  --version               print the version

Exit status: 0 when the input was processed (damaged packets are counted, not fatal),
1 on bad usage, unreadable input or an output write error.
)";
}

}  // namespace tcpfollow
