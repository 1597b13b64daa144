// tcpfollow: follows every TCP conversation in a capture file or on a live interface and
// writes per-connection records, raw streams, decrypted plaintext and extracted objects.
// This file is the shell around the engine: options, the capture loop, signals, the
// progress bar and the summary. It is the only place that reads the wall clock (the
// progress bar, and the idle timer of a quiet live capture).
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "tools/flow_writer.h"
#include "tools/options.h"
#include "tools/output_dir.h"
#include "reassembly/packet_pipeline.h"
#include "tins_ext/capture_source.h"
#include "tins_ext/pcap_writer.h"
#include "tools/protocol_registry.h"
#include "tools/run_output.h"
#include "tools/sharded_runner.h"

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

void PrintSummary(const Options& o, const CaptureSource& source, const PacketPipeline& p,
                  const TcpStats& t, const FlowWriterStats& fs, const RunOutput& out,
                  const ProtocolContext& protos, double wall_secs) {
  const PacketCounts& c = p.counts();
  std::vector<std::string> lines;
  lines.push_back(absl::StrFormat("tcpfollow: %d packets, %s %s in %.2f s", c.packets,
                                  HumanBytes(c.bytes), o.read_file.empty() ? "captured" : "read",
                                  wall_secs));
  lines.push_back(absl::StrFormat(
      "  connections %d (fin %d, rst %d, idle timeout %d, evicted %d, open at end %d); "
      "%d TCP segments",
      fs.connections, t.closed_fin, t.closed_rst, t.timed_out,
      t.evicted_connection_limit, t.closed_end_of_input, c.tcp_segments));
  lines.push_back(absl::StrFormat(
      "  streams %s in %d files; gaps %d (%s missed); overlaps %d (%d with different data)",
      HumanBytes(fs.stream_bytes), fs.stream_files, fs.gaps, HumanBytes(fs.missed_bytes),
      t.overlaps, t.overlap_conflicts));
  std::vector<std::string> errors;
  for (size_t i = 1; i < c.errors.size(); ++i) {
    if (c.errors[i] > 0) {
      errors.push_back(absl::StrCat(DecodeErrorName(static_cast<DecodeError>(i)), " ", c.errors[i]));
    }
  }
  if (!errors.empty()) lines.push_back("  damaged or undecodable packets: " + absl::StrJoin(errors, ", "));
  const DefragStats& d = p.defrag_stats();
  if (d.fragments > 0) {
    std::vector<std::string> anomalies;
    for (const auto& [name, value] : d.Items()) {
      if (value > 0 && std::string(name) != "fragments" &&
          std::string(name) != "datagrams_completed" && std::string(name) != "bytes_held" &&
          std::string(name) != "datagrams_in_progress") {
        anomalies.push_back(absl::StrCat(name, " ", value));
      }
    }
    lines.push_back(absl::StrFormat("  IP fragments %d -> %d datagrams%s%s", d.fragments,
                                    d.datagrams_completed, anomalies.empty() ? "" : "; ",
                                    absl::StrJoin(anomalies, ", ")));
  }
  if (c.udp + c.other_ip > 0) {
    lines.push_back(absl::StrFormat("  not TCP: udp %d, other %d", c.udp, c.other_ip));
  }
  for (const std::string& l : protos.SummaryLines(out.records_in("tls"))) {
    lines.push_back("  " + l);
  }
  lines.push_back(absl::StrFormat("  records: http %d, smtp %d, ftp %d, tls %d; objects %s %d (%s)",
                                  out.records_in("http"), out.records_in("smtp"),
                                  out.records_in("ftp"), out.records_in("tls"),
                                  o.write_objects ? "extracted" : "seen (not stored: --no-objects)",
                                  out.counts().objects, HumanBytes(out.counts().object_bytes)));
  CaptureStats cs = source.stats();
  if (!o.interface.empty()) {
    lines.push_back(absl::StrFormat("  kernel drops %d, interface drops %d", cs.kernel_drops,
                                    cs.if_drops));
  }
  if (source.truncated()) {
    lines.push_back("  the capture file is truncated: its last packet is incomplete");
  }
  if (out.dir() != nullptr) lines.push_back("  output: " + out.dir()->path());
  for (const std::string& l : lines) std::fprintf(stderr, "%s\n", l.c_str());
}

int Run(int argc, char** argv) {
  absl::StatusOr<Options> parsed = ParseOptions(argc, argv);
  if (!parsed.ok()) {
    std::fprintf(stderr, "tcpfollow: %s\n", std::string(parsed.status().message()).c_str());
    return 1;
  }
  const Options& o = *parsed;
  if (o.help) {
    std::fputs(HelpText().c_str(), stdout);
    return 0;
  }
  if (o.version) {
    std::printf("%s\n", kVersion);
    return 0;
  }

  absl::StatusOr<std::unique_ptr<CaptureSource>> source;
  if (!o.read_file.empty()) {
    source = OpenCaptureFile(o.read_file, o.bpf);
  } else {
    LiveOptions live;
    live.iface = o.interface;
    live.bpf = o.bpf;
    live.snaplen = o.snaplen;
    live.promisc = o.promisc;
    live.buffer_kib = o.buffer_kib;
    live.drop_user = o.drop_user;
    source = OpenLive(live);
  }
  if (!source.ok()) {
    std::fprintf(stderr, "tcpfollow: %s\n", std::string(source.status().message()).c_str());
    return 1;
  }

  absl::StatusOr<std::unique_ptr<ProtocolContext>> protocols = MakeProtocols(o, o.threads);
  if (!protocols.ok()) {
    std::fprintf(stderr, "tcpfollow: %s\n", std::string(protocols.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<OutputDir>> dir = OutputDir::Open(o.out_dir);
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

  RunOutput out(dir->get(), o.json, o.threads, o.write_objects);
  FlowWriterOptions fw;
  fw.write_streams = o.write_streams;
  fw.follow = o.follow;
  fw.decrypted_pcap = decrypted.get();
  // One FlowWriter per worker (--threads); with one thread the reading thread is the worker.
  std::vector<std::unique_ptr<FlowWriter>> flows;
  for (int i = 0; i < o.threads; ++i) {
    flows.push_back(std::make_unique<FlowWriter>(&out, &(*protocols)->set(i), fw));
  }
  PacketPipelineConfig config;
  config.tcp = MakeTcpLimits(o);
  ParseTcpPolicy(o.tcp_policy, &config.tcp.policy);
  config.defrag = MakeDefragLimits(o);
  ParseFragPolicy(o.frag_policy, &config.frag_policy);
  uint64_t defragmented_write_errors = 0;
  if (defragmented) {
    config.on_defragmented = [&](absl::Time ts, absl::string_view datagram) {
      if (!defragmented->Write(ts, datagram).ok()) ++defragmented_write_errors;
    };
  }
  std::unique_ptr<ShardedRunner> shards;
  if (o.threads > 1) {
    shards = std::make_unique<ShardedRunner>(o.threads, config.tcp,
                                             [&](int i) { return flows[i].get(); });
    config.route_segment = [&](const TcpSegment& seg) { shards->Route(seg); };
    config.route_time = [&](absl::Time now) { shards->Tick(now); };
  }
  PacketPipeline pipeline(config, flows[0].get());

  CaptureSource* src = source->get();
  g_source.store(src);
  InstallSignalHandlers();
  const bool show_progress = !o.quiet && !o.read_file.empty() && isatty(STDERR_FILENO);
  ProgressBar progress(show_progress);
  const absl::Time started = absl::Now();
  absl::Time next_refresh = started + absl::Seconds(1);
  int exit_code = 0;
  RawPacket pkt;
  while (true) {
    absl::StatusOr<bool> more = src->Next(&pkt);
    if (!more.ok()) {
      progress.Clear();
      std::fprintf(stderr, "tcpfollow: %s\n", std::string(more.status().message()).c_str());
      exit_code = 1;
      break;
    }
    if (!*more) break;
    if (pkt.data != nullptr) {
      pipeline.OnPacket(pkt);
    } else {
      // A quiet live capture: time still passes for idle timeouts.
      pipeline.Advance(absl::Now());
    }
    if (show_progress) progress.Update(src->bytes_read(), src->total_bytes());
    if (!o.interface.empty() && absl::Now() >= next_refresh) {
      (*protocols)->Refresh();  // key log lines appended while capturing
      next_refresh = absl::Now() + absl::Seconds(1);
    }
  }
  g_source.store(nullptr);
  if (show_progress) {
    progress.Update(src->total_bytes(), src->total_bytes(), /*final=*/true);
    progress.Clear();
  }
  absl::Time end = pipeline.last_packet_time();
  if (!o.interface.empty()) end = std::max(end, absl::Now());
  pipeline.Finish(end);
  if (shards) shards->Finish(end);
  out.Flush();
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
  if (!o.quiet) {
    FlowWriterStats fs;
    for (const auto& f : flows) {
      fs.connections += f->stats().connections;
      fs.stream_files += f->stats().stream_files;
      fs.stream_bytes += f->stats().stream_bytes;
      fs.plaintext_files += f->stats().plaintext_files;
      fs.gaps += f->stats().gaps;
      fs.missed_bytes += f->stats().missed_bytes;
    }
    PrintSummary(o, *src, pipeline, shards ? shards->stats() : pipeline.tcp_stats(), fs, out,
                 **protocols, absl::ToDoubleSeconds(absl::Now() - started));
  }
  if ((*dir)->write_errors() > 0) {
    std::fprintf(stderr, "tcpfollow: %s (%llu write errors in all)\n",
                 (*dir)->first_error().c_str(), static_cast<unsigned long long>((*dir)->write_errors()));
    exit_code = 1;
  }
  return exit_code;
}

}  // namespace
}  // namespace tcpfollow

int main(int argc, char** argv) { return tcpfollow::Run(argc, argv); }
