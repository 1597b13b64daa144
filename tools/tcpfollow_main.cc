// tcpfollow: follows every TCP conversation in a capture file or on a live interface and
// writes per-connection records, raw streams, decrypted plaintext and extracted objects.
// This file is the shell around the engine: options, the capture loop, signals, the
// progress bar and the summary. It is the only place that reads the wall clock (the
// progress bar, and the idle timer of a quiet live capture).
//
// Live captures: one socket read by the main thread, or with --threads N, N sockets in an
// AF_PACKET fanout group, each read by its own worker thread with its own pipeline
// (decoding, defragmentation, reassembly, protocols); the main thread then only ticks.
// Every second the tick writes the logs' buffered records (records reach the files
// within a second of a connection's end), re-reads growing key logs, rotates the logs
// (--rotate) and redraws the status line with the kernel's drop counters. At the end:
// the summary, stats.json, and a warning naming -B and --threads when packets were
// dropped.
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <optional>
#include <cstring>
#include <filesystem>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "protocols/mime_sniffer.h"
#include "tools/options.h"
#include "tools/output_dir.h"
#include "reassembly/packet_pipeline.h"
#include "tins_ext/capture_source.h"
#include "tins_ext/not_ip.h"
#include "tins_ext/pcap_writer.h"
#include "tins_ext/tunnel.h"
#include "tools/report/report.h"
#include "tools/session/registry.h"
#include "tools/session/session.h"
#include "tools/run_output.h"
#include "tools/sharded_runner.h"
#include "tools/stats_json.h"

namespace tcpfollow {
namespace {

std::atomic<CaptureSource*> g_source{nullptr};
std::atomic<int> g_signal{0};

void OnSignal(int sig) {
  g_signal.store(sig);
  if (CaptureSource* s = g_source.load()) s->BreakLoop();
}

void InstallSignalHandlers() {
  struct sigaction sa = {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // A file-size limit (ulimit -f) must fail the write (EFBIG), reported like a full disk,
  // not kill the process with everything unflushed.
  signal(SIGXFSZ, SIG_IGN);
}

std::string HumanBytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  return u == 0 ? absl::StrFormat("%.0f %s", b, units[u]) : absl::StrFormat("%.1f %s", b, units[u]);
}

// A one-line progress bar on standard error: bytes read of total, and the rate.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled), start_(absl::Now()) {}
  void Update(uint64_t done, uint64_t total, bool final = false) {
    if (!enabled_ || total == 0) return;
    absl::Time now = absl::Now();
    if (!final && now < next_) return;
    next_ = now + absl::Milliseconds(200);
    double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
    double secs = std::max(1e-3, absl::ToDoubleSeconds(now - start_));
    constexpr int kWidth = 30;
    int filled = static_cast<int>(frac * kWidth);
    std::string bar(filled, '#');
    bar.append(kWidth - filled, ' ');
    std::fprintf(stderr, "\r[%s] %3.0f%%  %s / %s  %s/s ", bar.c_str(), frac * 100,
                 HumanBytes(done).c_str(), HumanBytes(total).c_str(),
                 HumanBytes(done / secs).c_str());
    drawn_ = true;
  }
  void Clear() {
    if (drawn_) std::fprintf(stderr, "\r%*s\r", 79, "");
    drawn_ = false;
  }

 private:
  bool enabled_;
  absl::Time start_;
  absl::Time next_ = absl::InfinitePast();
  bool drawn_ = false;
};

TcpLimits MakeTcpLimits(const Options& o) {
  TcpLimits l;
  l.max_connections = o.max_flows;
  l.max_buffered_per_direction = o.max_flow_buffer;
  l.max_buffered_total = o.max_total_buffer;
  l.idle_timeout = o.tcp_timeout;
  l.delivered_history_bytes = o.overlap_history;
  l.verify_checksums = o.verify_checksums;
  return l;
}

DefragLimits MakeDefragLimits(const Options& o) {
  DefragLimits l;
  l.max_datagrams = o.max_frag_datagrams;
  l.max_fragments_per_datagram = o.max_frags_per_datagram;
  l.max_bytes = o.max_frag_bytes;
  l.timeout = o.frag_timeout;
  return l;
}

// What the summary and stats.json report, added up over the pipelines and sockets.
struct RunTotals {
  PacketCounts packets;
  std::vector<std::pair<std::string, uint64_t>> defrag;  // DefragStats::Items, summed
  TcpStats tcp;
  SessionStats streams;
  CaptureStats capture;
  bool truncated = false;
  std::optional<CaptureDamage> damage;  // a file read up to damage
  CaptureFormat format;                 // a file: pcap / pcapng, compression
  CaptureStats file;                    // a file: the reader's own counters (pcapng blocks)
  TunnelStats tunnels;
  int sockets = 0;       // live
  int buffer_kib = 0;    // live, per socket
  uint64_t rotated_files = 0;
  ShardStats shards;  // offline --threads
};

void AddCounts(const PacketCounts& c, PacketCounts* sum) {
  sum->packets += c.packets;
  sum->bytes += c.bytes;
  sum->tcp_segments += c.tcp_segments;
  sum->udp += c.udp;
  sum->other_ip += c.other_ip;
  sum->reassembled_datagrams += c.reassembled_datagrams;
  for (size_t i = 0; i < c.errors.size(); ++i) sum->errors[i] += c.errors[i];
  for (const auto& [type, n] : c.unsupported_link_types) {
    bool found = false;
    for (auto& [sum_type, sum_n] : sum->unsupported_link_types) {
      if (sum_type == type) {
        sum_n += n;
        found = true;
      }
    }
    if (!found) sum->unsupported_link_types.emplace_back(type, n);
  }
  for (const auto& [key, n] : c.not_ip) {
    auto it = std::find_if(sum->not_ip.begin(), sum->not_ip.end(),
                           [key = key](const auto& kn) { return kn.first == key; });
    if (it == sum->not_ip.end()) {
      sum->not_ip.emplace_back(key, n);
    } else {
      it->second += n;
    }
  }
}

// "arp 12, lldp 3, 0x88b5 2": what the frames that are not IP carried, most first.
std::vector<std::pair<std::string, uint64_t>> NotIpKinds(const PacketCounts& c) {
  std::vector<std::pair<std::string, uint64_t>> kinds;
  uint64_t named = 0;
  for (const auto& [key, n] : c.not_ip) {
    const std::string name = NotIpName(key);
    auto it = std::find_if(kinds.begin(), kinds.end(),
                           [&name](const auto& kn) { return kn.first == name; });
    if (it == kinds.end()) {
      kinds.emplace_back(name, n);
    } else {
      it->second += n;  // two keys with one name (0x8847 and 0x8848: mpls)
    }
    named += n;
  }
  // Frames of tunnels' inner layers that were not IP are counted but not looked into.
  const uint64_t all = c.errors[static_cast<size_t>(DecodeError::kNotIp)];
  if (all > named) kinds.emplace_back("other", all - named);
  std::stable_sort(kinds.begin(), kinds.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return kinds;
}

void AddTunnelStats(const TunnelStats& t, TunnelStats* sum) {
  for (size_t i = 0; i < t.packets.size(); ++i) {
    sum->packets[i] += t.packets[i];
    sum->tunnels[i] += t.tunnels[i];
  }
  sum->malformed += t.malformed;
  sum->too_deep += t.too_deep;
  sum->not_described += t.not_described;
}

void AddDefrag(const DefragStats& d, std::vector<std::pair<std::string, uint64_t>>* sum) {
  std::vector<std::pair<const char*, uint64_t>> items = d.Items();
  if (sum->empty()) {
    for (const auto& [name, value] : items) sum->emplace_back(name, 0);
  }
  for (size_t i = 0; i < items.size() && i < sum->size(); ++i) (*sum)[i].second += items[i].second;
}

uint64_t DefragItem(const RunTotals& t, absl::string_view name) {
  for (const auto& [n, v] : t.defrag) {
    if (n == name) return v;
  }
  return 0;
}

uint64_t Drops(const CaptureStats& cs) { return cs.kernel_drops + cs.if_drops; }

std::string DropShare(const CaptureStats& cs) {
  const uint64_t seen = std::max(cs.kernel_received, cs.packets + cs.kernel_drops);
  if (seen == 0) return "";
  return absl::StrFormat(" (%.2f%% of %d)", 100.0 * Drops(cs) / seen, seen);
}

void PrintSummary(const Options& o, const RunTotals& t, const RunOutput& out,
                  const ProtocolRuntime& protos, double wall_secs) {
  const PacketCounts& c = t.packets;
  const SessionStats& fs = t.streams;
  std::vector<std::string> lines;
  lines.push_back(absl::StrFormat("tcpfollow: %d packets, %s %s in %.2f s", c.packets,
                                  HumanBytes(c.bytes), o.read_file.empty() ? "captured" : "read",
                                  wall_secs));
  // Evictions name the option that raises the limit they hit.
  const std::string evicted =
      t.tcp.evicted_connection_limit > 0
          ? absl::StrFormat("evicted %d (--max-flows %d reached)",
                            t.tcp.evicted_connection_limit, o.max_flows)
          : "evicted 0";
  lines.push_back(absl::StrFormat(
      "  connections %d (fin %d, rst %d, idle timeout %d, %s, open at end %d); "
      "%d TCP segments",
      fs.connections, t.tcp.closed_fin, t.tcp.closed_rst, t.tcp.timed_out, evicted,
      t.tcp.closed_end_of_input, c.tcp_segments));
  std::string gap_cause;
  if (!o.interface.empty() && fs.gaps > 0) {
    gap_cause = Drops(t.capture) > 0
                    ? " (the capture dropped packets: some or all of these gaps are"
                      " drops at this host, not losses in the network)"
                    : " (no packet was dropped by the capture: the gaps were in the traffic)";
  }
  lines.push_back(absl::StrFormat(
      "  streams %s in %d files; gaps %d (%s missed)%s; overlaps %d (%d with different data)",
      HumanBytes(fs.stream_bytes), fs.stream_files, fs.gaps, HumanBytes(fs.missed_bytes),
      gap_cause, t.tcp.overlaps, t.tcp.overlap_conflicts));
  std::vector<std::string> errors;
  for (size_t i = 1; i < c.errors.size(); ++i) {
    // Frames that are not IP (ARP, LLDP, ...) are not damage: they get their own line.
    if (static_cast<DecodeError>(i) == DecodeError::kNotIp) continue;
    if (c.errors[i] > 0) {
      errors.push_back(absl::StrCat(DecodeErrorName(static_cast<DecodeError>(i)), " ", c.errors[i]));
    }
  }
  if (!errors.empty()) lines.push_back("  damaged or undecodable packets: " + absl::StrJoin(errors, ", "));
  const size_t not_ip = static_cast<size_t>(DecodeError::kNotIp);
  if (not_ip < c.errors.size() && c.errors[not_ip] > 0) {
    std::vector<std::string> kinds;
    for (const auto& [name, n] : NotIpKinds(c)) kinds.push_back(absl::StrCat(name, " ", n));
    lines.push_back(absl::StrFormat("  not IP: %s (%d packets skipped)", absl::StrJoin(kinds, ", "),
                                    c.errors[not_ip]));
  }
  for (const auto& [type, count] : c.unsupported_link_types) {
    lines.push_back(absl::StrFormat("  link type %d (%s) is not decoded: %d packets skipped", type,
                                    LinkTypeName(type), count));
  }
  if (DefragItem(t, "fragments") > 0) {
    std::vector<std::string> anomalies;
    for (const auto& [name, value] : t.defrag) {
      if (value > 0 && name != "fragments" && name != "datagrams_completed" &&
          name != "bytes_held" && name != "datagrams_in_progress") {
        anomalies.push_back(absl::StrCat(name, " ", value));
      }
    }
    lines.push_back(absl::StrFormat("  IP fragments %d -> %d datagrams%s%s",
                                    DefragItem(t, "fragments"),
                                    DefragItem(t, "datagrams_completed"),
                                    anomalies.empty() ? "" : "; ", absl::StrJoin(anomalies, ", ")));
  }
  const TunnelStats& tu = t.tunnels;
  if (tu.total_packets() + tu.malformed + tu.too_deep > 0) {
    std::vector<std::string> kinds;
    for (size_t i = 0; i < tu.packets.size(); ++i) {
      if (tu.packets[i] > 0) {
        kinds.push_back(absl::StrFormat("%s %d (%d packets)",
                                        TunnelTypeName(static_cast<TunnelType>(i)), tu.tunnels[i],
                                        tu.packets[i]));
      }
    }
    std::string line = "  tunnels: " + (kinds.empty() ? std::string("none decapsulated")
                                                       : absl::StrJoin(kinds, ", "));
    if (tu.malformed > 0) absl::StrAppend(&line, "; malformed ", tu.malformed);
    if (tu.too_deep > 0) absl::StrAppend(&line, "; nested too deep ", tu.too_deep);
    if (tu.not_described > 0) absl::StrAppend(&line, "; packets of undescribed paths ", tu.not_described);
    lines.push_back(line);
  }
  if (c.udp + c.other_ip > 0) {
    lines.push_back(absl::StrFormat("  not TCP: udp %d, other %d", c.udp, c.other_ip));
  }
  for (const std::string& l : protos.SummaryLines()) lines.push_back("  " + l);
  if (!fs.chain.decrypted_not_parsed.empty()) {  // decrypted, then nobody read the plaintext
    uint64_t total = 0;
    std::vector<std::string> why;
    for (const auto& [reason, n] : fs.chain.decrypted_not_parsed) {
      total += n;
      why.push_back(absl::StrFormat("%s (%d)", reason, n));
    }
    lines.push_back(absl::StrFormat("  %d session%s decrypted but not parsed: %s", total,
                                    total == 1 ? "" : "s", absl::StrJoin(why, ", ")));
  }
  std::vector<std::string> records;
  for (const std::string& log : RegisteredLogs()) {
    if (log != "flows" && log != "files" && !protos.specs().empty()) {
      records.push_back(absl::StrCat(log, " ", out.records_in(log)));
    }
  }
  lines.push_back(absl::StrFormat(
      "  records: %s; objects %s %d (%s)",
      records.empty() ? "none (--streams-only)" : absl::StrJoin(records, ", "),
      o.write_objects ? "extracted" : "seen (not stored: --no-objects)", out.counts().objects,
      HumanBytes(out.counts().object_bytes)));
  const RangeStats ranges = out.range_stats();
  if (ranges.resources > 0) {
    lines.push_back(absl::StrFormat(
        "  partial content: %d ranges stitched into %d objects, %d complete, %d incomplete%s",
        ranges.pieces, ranges.resources, ranges.complete, ranges.incomplete,
        ranges.conflict_bytes > 0
            ? absl::StrFormat("; %d bytes differ where ranges overlap", ranges.conflict_bytes)
            : ""));
  }
  if (!o.interface.empty()) {
    lines.push_back(absl::StrFormat(
        "  kernel drops %d%s, interface drops %d; capture buffer %d KiB x %d socket%s",
        t.capture.kernel_drops, DropShare(t.capture), t.capture.if_drops, t.buffer_kib,
        t.sockets, t.sockets == 1 ? "" : "s"));
  }
  if (t.rotated_files > 0) {
    lines.push_back(absl::StrFormat("  logs rotated: %d files", t.rotated_files));
  }
  if (t.damage) {
    // Damaged input is counted, not fatal: everything before the damage was processed.
    lines.push_back(absl::StrFormat("  the capture file is %s at byte %d%s: %s; read up to there",
                                    t.truncated ? "truncated" : "damaged", t.damage->offset,
                                    t.format.compression == Compression::kNone
                                        ? ""
                                        : " of the decompressed data",
                                    t.damage->problem));
  }
  const CaptureStats& cs = t.file;
  if (t.format.container == "pcapng" || t.format.compression != Compression::kNone) {
    std::string input = t.format.container;
    if (t.format.compression != Compression::kNone) {
      absl::StrAppend(&input, ", ", CompressionName(t.format.compression), "-compressed");
    }
    if (t.format.container == "pcapng") {
      absl::StrAppend(&input, "; ", cs.sections, " section", cs.sections == 1 ? "" : "s", ", ",
                      cs.interfaces, " interface", cs.interfaces == 1 ? "" : "s",
                      ", decryption secrets blocks ", cs.secrets_blocks, ", other blocks skipped ",
                      cs.skipped_blocks);
    }
    lines.push_back("  input: " + input);
  }
  if (cs.filter_unusable > 0) {
    lines.push_back(absl::StrFormat(
        "  %d packets dropped: the BPF filter does not compile for their interface's link type",
        cs.filter_unusable));
  }
  if (out.dir() != nullptr && (o.out_dir_given || !o.follow)) {
    lines.push_back("  output: " + out.dir()->path());
  }
  for (const std::string& l : lines) std::fprintf(stderr, "%s\n", l.c_str());
}

// Printed whatever -q says: the output is missing data, and the user can fix it.
void WarnDrops(const RunTotals& t) {
  if (Drops(t.capture) == 0) return;
  std::string remedy = absl::StrFormat(
      "raise the capture buffer with -B KIB (now %d KiB per socket)%s", t.buffer_kib,
      t.sockets <= 1 ? " or spread the capture over cores with --threads N"
                     : absl::StrFormat(" or use more sockets than --threads %d", t.sockets));
  if (t.capture.if_drops > 0) {
    absl::StrAppend(&remedy, "; interface drops happen before the capture buffer: enlarge the "
                             "NIC's receive ring (ethtool -G IFACE rx N)");
  }
  std::fprintf(stderr,
               "tcpfollow: WARNING: %llu packets dropped before tcpfollow could read them "
               "(kernel %llu, interface %llu)%s; the streams' %llu gaps (%s missed) may come "
               "from these drops. To lose nothing: %s.\n",
               static_cast<unsigned long long>(Drops(t.capture)),
               static_cast<unsigned long long>(t.capture.kernel_drops),
               static_cast<unsigned long long>(t.capture.if_drops), DropShare(t.capture).c_str(),
               static_cast<unsigned long long>(t.streams.gaps),
               HumanBytes(t.streams.missed_bytes).c_str(), remedy.c_str());
}

void WriteStats(const Options& o, const RunTotals& t, const RunOutput& out,
                const ProtocolRuntime& protos, const ExpectationTable& expectations,
                absl::Time started, double wall_secs, StatsJson* stats) {
  stats->Section("protocols") = protos.Stats();
  nlohmann::json& sessions = stats->Section("sessions");
  const StageChainStats& ch = t.streams.chain;
  sessions["detected"] = ch.detected;
  sessions["undetected"] = ch.undetected;
  sessions["midstream_detected"] = ch.midstream_detected;
  sessions["midstream_skipped_bytes"] = ch.midstream_skipped_bytes;
  sessions["switches"] = ch.switches;
  sessions["switches_refused"] = ch.switches_refused;
  sessions["alpn_selected"] = ch.alpn_selected;
  nlohmann::json not_parsed = nlohmann::json::object();
  for (const auto& [reason, n] : ch.decrypted_not_parsed) not_parsed[reason] = n;
  sessions["decrypted_not_parsed"] = not_parsed;
  sessions["decrypted_connections"] = t.streams.decrypted_connections;
  sessions["expectations_matched"] = expectations.matched();
  sessions["expectations_matched_late"] = t.streams.late_expectations;
  sessions["expectations_dropped"] = expectations.dropped();
  nlohmann::json& run = stats->Section("run");
  run["version"] = std::string(kVersion);
  run["input"] = o.read_file.empty() ? "interface " + o.interface : o.read_file;
  run["filter"] = o.bpf;
  run["threads"] = o.threads;
  run["started"] = absl::ToDoubleSeconds(started - absl::UnixEpoch());
  run["wall_seconds"] = wall_secs;
  nlohmann::json& cap = stats->Section("capture");
  cap["packets"] = t.capture.packets;
  cap["truncated"] = t.truncated;
  if (t.damage) {
    cap["damage"] = {{"offset", t.damage->offset}, {"problem", t.damage->problem}};
  }
  if (!t.format.container.empty()) {
    cap["format"] = t.format.container;
    cap["compression"] = CompressionName(t.format.compression);
  }
  if (t.format.container == "pcapng") {
    cap["pcapng_sections"] = t.file.sections;
    cap["pcapng_interfaces"] = t.file.interfaces;
    cap["pcapng_secrets_blocks"] = t.file.secrets_blocks;
    cap["pcapng_skipped_blocks"] = t.file.skipped_blocks;
  }
  if (t.file.filter_unusable > 0) cap["filter_unusable"] = t.file.filter_unusable;
  if (t.tunnels.total_packets() + t.tunnels.malformed + t.tunnels.too_deep > 0) {
    nlohmann::json& tun = stats->Section("tunnels");
    for (size_t i = 0; i < t.tunnels.packets.size(); ++i) {
      const std::string name = TunnelTypeName(static_cast<TunnelType>(i));
      tun[name + "_packets"] = t.tunnels.packets[i];
      tun[name + "_tunnels"] = t.tunnels.tunnels[i];
    }
    tun["malformed"] = t.tunnels.malformed;
    tun["too_deep"] = t.tunnels.too_deep;
    tun["not_described"] = t.tunnels.not_described;
  }
  if (!o.interface.empty()) {
    cap["kernel_received"] = t.capture.kernel_received;
    cap["kernel_drops"] = t.capture.kernel_drops;
    cap["interface_drops"] = t.capture.if_drops;
    cap["sockets"] = t.sockets;
    cap["buffer_kib"] = t.buffer_kib;
    cap["immediate_mode"] = o.immediate;
  }
  nlohmann::json& pk = stats->Section("packets");
  pk["packets"] = t.packets.packets;
  pk["bytes"] = t.packets.bytes;
  pk["tcp_segments"] = t.packets.tcp_segments;
  pk["udp"] = t.packets.udp;
  pk["other_ip"] = t.packets.other_ip;
  pk["reassembled_datagrams"] = t.packets.reassembled_datagrams;
  nlohmann::json errors = nlohmann::json::object();
  for (size_t i = 1; i < t.packets.errors.size(); ++i) {
    errors[DecodeErrorName(static_cast<DecodeError>(i))] = t.packets.errors[i];
  }
  pk["decode_errors"] = errors;
  nlohmann::json not_ip = nlohmann::json::object();
  for (const auto& [name, n] : NotIpKinds(t.packets)) not_ip[name] = n;
  pk["not_ip"] = not_ip;
  nlohmann::json& tcp = stats->Section("tcp");
  const TcpStats& s = t.tcp;
#define TCP_FIELD(f) tcp[#f] = s.f;
  TCP_FIELD(segments) TCP_FIELD(connections_seen) TCP_FIELD(max_active) TCP_FIELD(closed_fin)
  TCP_FIELD(closed_rst) TCP_FIELD(rst_disregarded) TCP_FIELD(timed_out)
  TCP_FIELD(closed_end_of_input) TCP_FIELD(port_reuse) TCP_FIELD(evicted_connection_limit)
  TCP_FIELD(bytes_delivered) TCP_FIELD(gaps) TCP_FIELD(missed_bytes) TCP_FIELD(overlaps)
  TCP_FIELD(overlap_conflicts) TCP_FIELD(retransmitted_bytes) TCP_FIELD(keepalives)
  TCP_FIELD(segments_out_of_window) TCP_FIELD(buffer_limit_hits)
  TCP_FIELD(total_buffer_evictions) TCP_FIELD(bad_rst_ignored) TCP_FIELD(bad_fin_ignored)
  TCP_FIELD(segments_ignored_no_connection) TCP_FIELD(segments_after_close)
  TCP_FIELD(max_buffered_bytes)
#undef TCP_FIELD
  nlohmann::json& defrag = stats->Section("defrag");
  for (const auto& [name, value] : t.defrag) defrag[name] = value;
  if (o.threads > 1 && o.interface.empty()) {
    nlohmann::json& sh = stats->Section("threads");
    sh["workers"] = o.threads;
    sh["syn_waits"] = t.shards.syn_waits;
    sh["pair_table_resets"] = t.shards.pair_table_resets;
  }
  nlohmann::json& st = stats->Section("streams");
  st["connections"] = t.streams.connections;
  st["stream_files"] = t.streams.stream_files;
  st["stream_bytes"] = t.streams.stream_bytes;
  st["plaintext_files"] = t.streams.plaintext_files;
  st["gaps"] = t.streams.gaps;
  st["missed_bytes"] = t.streams.missed_bytes;
  nlohmann::json& ou = stats->Section("output");
  nlohmann::json records = nlohmann::json::object();
  for (const std::string& log : RegisteredLogs()) records[log] = out.records_in(log);
  ou["records"] = records;
  ou["objects"] = out.counts().objects;
  ou["object_bytes"] = out.counts().object_bytes;
  ou["ranges"] = out.range_stats().ToJson();

  ou["rotated_files"] = t.rotated_files;
  ou["write_errors"] = out.dir() != nullptr ? out.dir()->write_errors() : 0;
}

// The once-a-second work of a run: writing buffered records (live), re-reading key logs
// (live), rotating logs (--rotate), and the live status line. Called from the thread
// that runs the capture loop (one socket) or the main thread (fanout).
class Ticker {
 public:
  Ticker(const Options& o, RunOutput* out, tls::KeyMaterial* protos,
         std::vector<CaptureSource*> sources, bool status_line)
      : o_(o),
        live_(!o.interface.empty()),
        out_(out),
        protos_(protos),
        sources_(std::move(sources)),
        status_line_(status_line),
        started_(absl::Now()) {}

  // `wall`: the wall clock, live only (InfinitePast offline); `clock`: what rotation
  // follows (wall clock live, packet time offline).
  void MaybeTick(absl::Time wall, absl::Time clock) {
    if (o_.rotate > absl::ZeroDuration() && clock != absl::InfinitePast()) MaybeRotate(clock);
    if (!live_) return;
    if (wall >= next_refresh_) {
      // Key log lines appended while capturing. Often: a short TLS session (a 300 kB
      // download takes milliseconds) ends before a once-a-second re-read would have
      // found its secret, and the decryptor waits for secrets only while the connection
      // lasts. Re-reading a key log that did not grow costs two system calls.
      next_refresh_ = wall + absl::Milliseconds(20);
      protos_->Refresh();
    }
    if (wall < next_tick_) return;
    next_tick_ = wall + absl::Seconds(1);
    out_->FlushLogs();
    CaptureStats cs = Capture();
    if (status_line_) {
      std::string line = absl::StrFormat(
          "\rlive %ds: %d packets, %d connections logged, kernel drops %d%s ",
          static_cast<int64_t>(absl::ToDoubleSeconds(wall - started_)), cs.packets,
          out_->records_in("flows"), cs.kernel_drops,
          cs.if_drops > 0 ? absl::StrFormat(", interface drops %d", cs.if_drops) : "");
      if (Drops(cs) > 0) absl::StrAppend(&line, "(DROPPING: raise -B or --threads) ");
      std::fputs(line.c_str(), stderr);
      drawn_ = true;
    } else if (Drops(cs) > reported_drops_ && wall >= next_drop_report_ && !o_.quiet) {
      std::fprintf(stderr,
                   "tcpfollow: the capture has dropped %llu packets so far (kernel %llu, "
                   "interface %llu): raise -B or use --threads\n",
                   static_cast<unsigned long long>(Drops(cs)),
                   static_cast<unsigned long long>(cs.kernel_drops),
                   static_cast<unsigned long long>(cs.if_drops));
      reported_drops_ = Drops(cs);
      next_drop_report_ = wall + absl::Seconds(10);
    }
  }

  // End of the run: the last period's logs are rotated too (as Zeek does at exit).
  void Finish() {
    ClearLine();
    if (o_.rotate > absl::ZeroDuration() && period_open_ != absl::InfinitePast()) {
      rotated_ += out_->RotateLogs(Stamp(period_open_)).size();
    }
  }
  void ClearLine() {
    if (drawn_) std::fprintf(stderr, "\r%*s\r", 100, "");
    drawn_ = false;
  }

  CaptureStats Capture() const {
    CaptureStats sum;
    for (CaptureSource* s : sources_) {
      CaptureStats c = s->stats();
      sum.packets += c.packets;
      sum.kernel_received += c.kernel_received;
      sum.kernel_drops += c.kernel_drops;
      sum.if_drops += c.if_drops;
    }
    return sum;
  }
  uint64_t rotated() const { return rotated_; }

 private:
  static std::string Stamp(absl::Time t) {
    return absl::FormatTime("%Y-%m-%d-%H-%M-%S", t, absl::UTCTimeZone());
  }
  void MaybeRotate(absl::Time clock) {
    if (period_open_ == absl::InfinitePast()) {
      period_open_ = clock;
      next_rotate_ = absl::UnixEpoch() + absl::Floor(clock - absl::UnixEpoch(), o_.rotate) +
                     o_.rotate;
      return;
    }
    if (clock < next_rotate_) return;
    out_->FlushLogs();
    rotated_ += out_->RotateLogs(Stamp(period_open_)).size();
    period_open_ = absl::UnixEpoch() + absl::Floor(clock - absl::UnixEpoch(), o_.rotate);
    next_rotate_ = period_open_ + o_.rotate;
  }

  const Options& o_;
  const bool live_;
  RunOutput* out_;
  tls::KeyMaterial* protos_;
  std::vector<CaptureSource*> sources_;
  const bool status_line_;
  const absl::Time started_;
  absl::Time next_tick_ = absl::InfinitePast();
  absl::Time next_refresh_ = absl::InfinitePast();
  absl::Time period_open_ = absl::InfinitePast();
  absl::Time next_rotate_ = absl::InfiniteFuture();
  absl::Time next_drop_report_ = absl::InfinitePast();
  uint64_t reported_drops_ = 0;
  uint64_t rotated_ = 0;
  bool drawn_ = false;
};

// One fanout socket's worker: reads its socket and runs its own pipeline until the
// socket is told to stop (BreakLoop) or fails.
struct LiveWorker {
  CaptureSource* source = nullptr;
  std::unique_ptr<PacketPipeline> pipeline;
  absl::Status error;
  std::thread thread;
};

void RunLiveWorker(LiveWorker* w, std::atomic<bool>* failed) {
  RawPacket pkt;
  while (true) {
    absl::StatusOr<bool> more = w->source->Next(&pkt);
    if (!more.ok()) {
      w->error = more.status();
      failed->store(true);
      return;
    }
    if (!*more) return;
    if (pkt.data != nullptr) {
      w->pipeline->OnPacket(pkt);
    } else {
      w->pipeline->Advance(absl::Now());  // a quiet socket: time still passes
    }
  }
}

int Run(int argc, char** argv) {
  absl::StatusOr<Options> parsed = ParseOptions(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "tcpfollow: %s\n", std::string(parsed.status().message()).c_str());
    return 1;
  }
  Options o = *parsed;
  if (o.help) {
    std::fputs(HelpText().c_str(), stdout);
    std::fputs(("\n" + ProtocolHelp()).c_str(), stdout);
    return 0;
  }
  if (o.list_protocols) {
    for (const ProtocolSpec& spec : RegisteredProtocols()) {
      std::printf("%s\t%s\t%s\n", spec.name.c_str(), absl::StrJoin(spec.logs, ",").c_str(),
                  absl::StrJoin(spec.fuzz_harnesses, ",").c_str());
    }
    return 0;
  }
  if (o.list_logs) {
    for (const std::string& log : RegisteredLogs()) std::printf("%s\n", log.c_str());
    return 0;
  }
  if (!o.analyze && (!o.keylogs.empty() || !o.rsa_keys.empty())) {
    // One line, once: --streams-only parses no TLS, so the keys would silently do nothing.
    std::fprintf(stderr, "tcpfollow: warning: --streams-only decrypts nothing: %s unused\n",
                 !o.keylogs.empty() && !o.rsa_keys.empty() ? "--keylog and --rsa-key are"
                 : !o.keylogs.empty()                      ? "--keylog is"
                                                           : "--rsa-key is");
  }
  if (o.version) {
    std::printf("%s\n", kVersion);
    return 0;
  }
  if (o.analyze) {
    // Objects are typed by libmagic: one line, once, when its database cannot be opened.
    const std::string magic = MimeSnifferError();
    if (!magic.empty()) {
      std::fprintf(stderr, "tcpfollow: warning: objects keep their declared MIME types: %s\n",
                   magic.c_str());
    }
  }

  const bool live = !o.interface.empty();
  // Live with --threads N: N fanout sockets, one pipeline each. Otherwise one source;
  // --threads N then shards reassembly behind the reading thread (ShardedRunner).
  const bool fanout = live && o.threads > 1;
  std::vector<std::unique_ptr<CaptureSource>> sources;
  LiveOptions live_options;
  if (!live) {
    absl::StatusOr<std::unique_ptr<CaptureSource>> file = OpenCaptureFile(o.read_file, o.bpf);
    if (!file.ok()) {
      std::fprintf(stderr, "tcpfollow: %s\n", std::string(file.status().message()).c_str());
      return 1;
    }
    sources.push_back(std::move(*file));
  } else {
    live_options.iface = o.interface;
    live_options.bpf = o.bpf;
    live_options.snaplen = o.snaplen;
    live_options.promisc = o.promisc;
    live_options.buffer_kib = o.buffer_kib > 0 ? o.buffer_kib : kDefaultLiveBufferKib;
    live_options.immediate = o.immediate;
    live_options.drop_user = o.drop_user;
    live_options.fanout_id =
        o.fanout_id >= 0 ? o.fanout_id : static_cast<int>(getpid() & 0xffff);
    auto group = OpenLiveGroup(live_options, fanout ? o.threads : 1);
    if (!group.ok()) {
      std::fprintf(stderr, "tcpfollow: %s\n", std::string(group.status().message()).c_str());
      return 1;
    }
    sources = std::move(*group);
  }

  absl::StatusOr<std::unique_ptr<ProtocolRuntime>> protocols = ProtocolRuntime::Load(o, o.threads);
  if (!protocols.ok()) {
    std::fprintf(stderr, "tcpfollow: %s\n", std::string(protocols.status().message()).c_str());
    return 1;
  }
  // Decryption Secrets Blocks of a compressed pcapng, or of one on standard input, reach the
  // key store as the reader meets them (a plain file's were read before the first packet;
  // sessions that come first wait for their secret, bounded, as with a growing key log).
  if (!live && (*protocols)->keys()->secrets_blocks() == 0) {
    tls::KeyMaterial* keys = (*protocols)->keys();
    sources[0]->set_secrets_handler([keys](const DecryptionSecrets& s) {
      constexpr uint32_t kTlsKeyLog = 0x544c534b;  // pcapng secrets type "TLSK"
      if (s.type == kTlsKeyLog) keys->AddSecretsBlock(s.data);
    });
  }
  // --follow alone is a viewer: logs go to a private directory removed at the end.
  std::string viewer_dir;
  if (o.follow && !o.out_dir_given) {
    char tmpl[] = "/tmp/tcpfollow-follow-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      std::fprintf(stderr, "tcpfollow: cannot create a directory in /tmp: %s\n",
                   std::strerror(errno));
      return 1;
    }
    viewer_dir = tmpl;
    o.out_dir = viewer_dir + "/out";
    o.write_streams = false;
    o.write_objects = false;
    o.write_report = false;
  }
  absl::StatusOr<std::unique_ptr<OutputDir>> dir = OutputDir::Open(
      o.out_dir, o.force    ? OutputDir::Reuse::kReplace
                 : o.append ? OutputDir::Reuse::kAppend
                            : OutputDir::Reuse::kRefuse);
  if (!dir.ok()) {
    std::fprintf(stderr, "tcpfollow: %s\n", std::string(dir.status().message()).c_str());
    return 1;
  }
  std::unique_ptr<PcapWriter> defragmented;
  if (!o.write_defragmented.empty()) {
    PcapFormat format;
    format.link_type = PcapFormat::kLinkTypeRaw;
    auto w = PcapWriter::Open(o.write_defragmented, format);
    if (!w.ok()) {
      std::fprintf(stderr, "tcpfollow: %s\n", std::string(w.status().message()).c_str());
      return 1;
    }
    defragmented = std::move(*w);
  }

  std::unique_ptr<DecryptedPcap> decrypted;
  if (!o.write_decrypted.empty()) {
    auto d = DecryptedPcap::Open(o.write_decrypted);
    if (!d.ok()) {
      std::fprintf(stderr, "tcpfollow: %s\n", std::string(d.status().message()).c_str());
      return 1;
    }
    decrypted = std::move(*d);
  }

  RunOutput out(dir->get(), o.json, o.threads, o.write_objects, RegisteredLogs());
  ExpectationTable expectations;
  SessionOptions so;
  so.write_streams = o.write_streams;
  so.follow.enabled = o.follow;
  so.follow.wire = o.follow_raw;
  so.follow.selector = o.follow_selector;
  so.follow.format = o.json ? FollowFormat::kJson : *ParseFollowFormat(o.follow_format);
  so.decrypted_pcap = decrypted.get();
  // One SessionManager per worker (--threads); with one thread the reading thread is it.
  std::vector<std::unique_ptr<SessionManager>> flows;
  for (int i = 0; i < o.threads; ++i) {
    flows.push_back(std::make_unique<SessionManager>(&out, &expectations,
                                                     &(*protocols)->set(i), so));
  }
  PacketPipelineConfig config;
  config.tcp = MakeTcpLimits(o);
  ParseTcpPolicy(o.tcp_policy, &config.tcp.policy);
  config.defrag = MakeDefragLimits(o);
  ParseFragPolicy(o.frag_policy, &config.frag_policy);
  uint64_t defragmented_write_errors = 0;
  std::mutex defragmented_mu;  // fanout workers share the writer
  if (defragmented) {
    config.on_defragmented = [&](absl::Time ts, absl::string_view datagram) {
      std::lock_guard<std::mutex> lock(defragmented_mu);
      if (!defragmented->Write(ts, datagram).ok()) ++defragmented_write_errors;
    };
  }
  std::unique_ptr<ShardedRunner> shards;
  if (o.threads > 1 && !fanout) {
    shards = std::make_unique<ShardedRunner>(o.threads, config.tcp,
                                             [&](int i) { return flows[i].get(); });
    config.route_segment = [&](const TcpSegment& seg) { shards->Route(seg); };
    config.route_time = [&](absl::Time now) { shards->Tick(now); };
  }
  // Fanout: worker i numbers its connections i+1, i+1+N, ... (as ShardedRunner's shards
  // do) and gets 1/N of the connection, buffer and fragment limits.
  std::vector<LiveWorker> workers(fanout ? o.threads : 0);
  for (int i = 0; i < static_cast<int>(workers.size()); ++i) {
    PacketPipelineConfig c = config;
    const uint64_t n = static_cast<uint64_t>(o.threads);
    c.tcp_options.id_base = static_cast<uint64_t>(i) + 1;
    c.tcp_options.id_stride = n;
    c.tcp.max_connections = std::max<size_t>(1, c.tcp.max_connections / n);
    c.tcp.max_buffered_total = std::max<size_t>(1, c.tcp.max_buffered_total / n);
    c.defrag.max_datagrams = std::max<size_t>(1, c.defrag.max_datagrams / n);
    c.defrag.max_bytes = std::max<size_t>(1, c.defrag.max_bytes / n);
    workers[i].source = sources[i].get();
    workers[i].pipeline = std::make_unique<PacketPipeline>(c, flows[i].get());
  }
  std::unique_ptr<PacketPipeline> single;
  if (!fanout) single = std::make_unique<PacketPipeline>(config, flows[0].get());

  std::vector<CaptureSource*> raw_sources;
  for (auto& s : sources) raw_sources.push_back(s.get());
  if (!fanout) g_source.store(raw_sources[0]);
  InstallSignalHandlers();
  if (live) {  // as tcpdump, even with -q: what is being captured, with which settings
    std::string line = absl::StrCat("listening on ", o.interface, ", link-type ",
                                    LinkTypeName(raw_sources[0]->link_type()), ", snapshot ",
                                    o.snaplen);
    if (!o.bpf.empty()) absl::StrAppend(&line, ", filter \"", o.bpf, "\"");
    absl::StrAppend(&line, ", buffer ", live_options.buffer_kib, " KiB");
    if (fanout) {
      absl::StrAppend(&line, " x ", o.threads, " sockets in fanout group ",
                      live_options.fanout_id);
    }
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  const bool show_progress = !o.quiet && !live && isatty(STDERR_FILENO);
  ProgressBar progress(show_progress);
  Ticker ticker(o, &out, (*protocols)->keys(), raw_sources,
                /*status_line=*/live && !o.quiet && isatty(STDERR_FILENO));
  const absl::Time started = absl::Now();
  int exit_code = 0;
  absl::Time end = absl::InfinitePast();
  if (fanout) {
    std::atomic<bool> failed{false};
    for (LiveWorker& w : workers) w.thread = std::thread(RunLiveWorker, &w, &failed);
    while (g_signal.load() == 0 && !failed.load()) {
      poll(nullptr, 0, 20);  // a signal ends the wait early
      const absl::Time now = absl::Now();
      ticker.MaybeTick(now, now);
    }
    for (CaptureSource* s : raw_sources) s->BreakLoop();
    for (LiveWorker& w : workers) w.thread.join();
    ticker.ClearLine();
    for (LiveWorker& w : workers) {
      if (!w.error.ok()) {
        std::fprintf(stderr, "tcpfollow: %s\n", std::string(w.error.message()).c_str());
        exit_code = 1;
        break;
      }
    }
    end = absl::Now();
    for (LiveWorker& w : workers) {
      end = std::max(end, w.pipeline->last_packet_time());
    }
    for (LiveWorker& w : workers) w.pipeline->Finish(end);
  } else {
    CaptureSource* src = raw_sources[0];
    RawPacket pkt;
    while (true) {
      absl::StatusOr<bool> more = src->Next(&pkt);
      if (!more.ok()) {
        progress.Clear();
        ticker.ClearLine();
        std::fprintf(stderr, "tcpfollow: %s\n", std::string(more.status().message()).c_str());
        exit_code = 1;
        break;
      }
      if (!*more) break;
      if (pkt.data != nullptr) {
        single->OnPacket(pkt);
      } else {
        // A quiet live capture: time still passes for idle timeouts.
        single->Advance(absl::Now());
      }
      if (show_progress) progress.Update(src->bytes_read(), src->total_bytes());
      if (live) {
        const absl::Time now = absl::Now();
        ticker.MaybeTick(now, now);
      } else if (o.rotate > absl::ZeroDuration()) {
        ticker.MaybeTick(absl::InfinitePast(), single->last_packet_time());
      }
    }
    g_source.store(nullptr);
    if (show_progress) {
      progress.Update(src->total_bytes(), src->total_bytes(), /*final=*/true);
      progress.Clear();
    }
    ticker.ClearLine();
    end = single->last_packet_time();
    if (live) end = std::max(end, absl::Now());
    single->Finish(end);
    if (shards) shards->Finish(end);
  }
  out.FinishRanges(end);
  out.Flush();
  // --no-streams / --no-objects leave no empty directories behind.
  if (!o.write_streams) (*dir)->RemoveIfEmpty(OutputDir::Sub::kStreams);
  if (!o.write_objects) (*dir)->RemoveIfEmpty(OutputDir::Sub::kObjects);
  ticker.ClearLine();
  if (defragmented) {
    absl::Status s = defragmented->Close();
    if (!s.ok() || defragmented_write_errors > 0) {
      std::fprintf(stderr, "tcpfollow: %s\n", std::string(s.message()).c_str());
      exit_code = 1;
    }
  }
  if (decrypted) {
    absl::Status s = decrypted->Close();
    if (!s.ok()) {
      std::fprintf(stderr, "tcpfollow: %s\n", std::string(s.message()).c_str());
      exit_code = 1;
    }
  }

  RunTotals totals;
  for (const auto& f : flows) {
    totals.streams.connections += f->stats().connections;
    totals.streams.stream_files += f->stats().stream_files;
    totals.streams.stream_bytes += f->stats().stream_bytes;
    totals.streams.plaintext_files += f->stats().plaintext_files;
    totals.streams.gaps += f->stats().gaps;
    totals.streams.missed_bytes += f->stats().missed_bytes;
    totals.streams.decrypted_connections += f->stats().decrypted_connections;
    totals.streams.late_expectations += f->stats().late_expectations;
    const StageChainStats& c = f->stats().chain;
    StageChainStats& sum = totals.streams.chain;
    sum.detected += c.detected;
    sum.undetected += c.undetected;
    sum.midstream_detected += c.midstream_detected;
    sum.midstream_skipped_bytes += c.midstream_skipped_bytes;
    sum.switches += c.switches;
    sum.switches_refused += c.switches_refused;
    sum.alpn_selected += c.alpn_selected;
    for (const auto& [why, n] : c.decrypted_not_parsed) sum.decrypted_not_parsed[why] += n;
  }
  if (fanout) {
    for (LiveWorker& w : workers) {
      AddCounts(w.pipeline->counts(), &totals.packets);
      AddDefrag(w.pipeline->defrag_stats(), &totals.defrag);
      AddTunnelStats(w.pipeline->tunnel_stats(), &totals.tunnels);
      AddTcpStats(w.pipeline->tcp_stats(), &totals.tcp);
    }
  } else {
    totals.packets = single->counts();
    AddDefrag(single->defrag_stats(), &totals.defrag);
    AddTunnelStats(single->tunnel_stats(), &totals.tunnels);
    totals.tcp = shards ? shards->stats() : single->tcp_stats();
    if (shards) totals.shards = shards->shard_stats();
  }
  totals.capture = ticker.Capture();
  for (CaptureSource* s : raw_sources) totals.truncated = totals.truncated || s->truncated();
  if (!live) {
    totals.damage = raw_sources[0]->damage();
    totals.format = raw_sources[0]->format();
    totals.file = raw_sources[0]->stats();
  }
  totals.sockets = live ? static_cast<int>(raw_sources.size()) : 0;
  totals.buffer_kib = live_options.buffer_kib;
  totals.rotated_files = ticker.rotated();
  const double wall_secs = absl::ToDoubleSeconds(absl::Now() - started);
  if (!o.quiet) {
    PrintSummary(o, totals, out, **protocols, wall_secs);
  } else if (totals.damage) {
    // Even quiet, damaged input is named (one line); the run still succeeds.
    std::fprintf(stderr, "tcpfollow: %s is %s at byte %llu: %s; read up to there\n",
                 o.read_file == "-" ? "standard input" : o.read_file.c_str(),
                 totals.truncated ? "truncated" : "damaged",
                 static_cast<unsigned long long>(totals.damage->offset),
                 totals.damage->problem.c_str());
  }
  WarnDrops(totals);
  StatsJson stats;
  WriteStats(o, totals, out, **protocols, expectations, started, wall_secs, &stats);
  absl::Status written = stats.Write(dir->get());
  if (!written.ok() && (*dir)->write_errors() == 0) {
    std::fprintf(stderr, "tcpfollow: %s\n", std::string(written.message()).c_str());
    exit_code = 1;
  }
  if (o.write_report) {  // report.html from the records and stats.json (tools/report)
    ReportStats report_stats;
    // Every registered protocol's section (as make_report does), --streams-only too.
    absl::Status s = WriteReport(dir->get(), RegisteredProtocols(), ReportLimits(), &report_stats);
    if (!s.ok()) std::fprintf(stderr, "tcpfollow: %s\n", std::string(s.message()).c_str());
  }
  // --rotate: the last period's logs are renamed too (stats.json counts the rotations
  // before it). report.html covers every period: it reads the rotated files and the open ones.
  ticker.Finish();
  if ((*dir)->write_errors() > 0) {
    std::fprintf(stderr, "tcpfollow: %s (%llu write errors in all)\n",
                 (*dir)->first_error().c_str(), static_cast<unsigned long long>((*dir)->write_errors()));
    exit_code = 1;
  }
  if (!viewer_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(viewer_dir, ec);
  }
  return exit_code;
}

}  // namespace
}  // namespace tcpfollow

int main(int argc, char** argv) { return tcpfollow::Run(argc, argv); }
