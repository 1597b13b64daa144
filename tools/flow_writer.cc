#include "tools/flow_writer.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/report/turn_log.h"

namespace tcpfollow {

namespace {

std::string EndpointForFile(const Endpoint& e) {
  return absl::StrCat(e.addr.ToString(), ".", e.port);
}

// "<uid>-<client ip>.<port>-<server ip>.<port>.<suffix>". Built when needed, not kept: a
// connection flood would otherwise hold four names per connection.
std::string StreamFileName(const ConnectionInfo& info, const char* suffix) {
  return absl::StrCat(MakeUid('C', info.id), "-", EndpointForFile(info.client), "-",
                      EndpointForFile(info.server), ".", suffix);
}

// One direction's bytes, as a file in streams/, created at the direction's first byte.
// Bytes are held up to a threshold, then handed to the background writer (which keeps only
// a few files open), so thousands of connections never hold thousands of descriptors; the
// threshold drops when all buffers together pass the budget.
class StreamFile {
 public:
  // `info` outlives the file (both belong to one ConnectionPipeline).
  StreamFile(FlowWriter* writer, const ConnectionInfo* info, const char* suffix)
      : writer_(writer), info_(info), suffix_(suffix) {}
  ~StreamFile() {
    if (size_ > 0) Flush();  // a direction that carried nothing gets no file
  }

  void Append(absl::string_view bytes) {
    buf_.append(bytes.data(), bytes.size());
    writer_->buffered_bytes += bytes.size();
    size_ += bytes.size();
    const FlowWriterOptions& o = writer_->options();
    size_t limit = writer_->buffered_bytes > o.stream_budget ? 4096 : o.stream_buffer;
    if (buf_.size() >= limit) Flush();
  }

  // Hands the buffer to the background writer; the first flush creates the file.
  void Flush() {
    if (buf_.empty() && created_) return;
    if (!created_) ++writer_->mutable_stats()->stream_files;
    writer_->buffered_bytes -= buf_.size();
    writer_->out()->files()->Write(OutputDir::Sub::kStreams, StreamFileName(*info_, suffix_),
                                   std::move(buf_), !created_);
    created_ = true;
    buf_ = std::string();
  }

  std::string path() const {
    return OutputDir::Relative(OutputDir::Sub::kStreams, StreamFileName(*info_, suffix_));
  }
  uint64_t size() const { return size_; }

 private:
  FlowWriter* writer_;
  const ConnectionInfo* info_;
  const char* suffix_;
  std::string buf_;
  uint64_t size_ = 0;
  bool created_ = false;
};

// Tees decrypted bytes into client_plain/server_plain stream files before handing them
// to the next analyzer.
class PlaintextTee : public Analyzer {
 public:
  PlaintextTee(std::unique_ptr<StreamFile>* files, DecryptedPcap* pcap,
               const ConnectionInfo& info, std::unique_ptr<Analyzer> next, TurnLog* turns)
      : files_(files), pcap_(pcap), next_(std::move(next)), turns_(turns) {
    flow_.client = info.client;
    flow_.server = info.server;
  }
  size_t OnData(Direction dir, absl::Time ts, absl::string_view bytes) override {
    if (files_[Index(dir)]) files_[Index(dir)]->Append(bytes);
    if (turns_) turns_->Data(Index(dir), bytes.size());
    if (pcap_) pcap_->Data(&flow_, dir, ts, bytes);
    if (next_) next_->OnData(dir, ts, bytes);
    return bytes.size();
  }
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override {
    if (pcap_) pcap_->Gap(&flow_, dir, length);
    if (turns_) turns_->Gap(Index(dir), length);
    if (next_) next_->OnGap(dir, ts, length);
  }
  void OnEnd(Direction dir, absl::Time ts) override {
    if (next_) next_->OnEnd(dir, ts);
  }
  void OnClose(absl::Time ts) override {
    if (pcap_) pcap_->End(&flow_, ts);
    if (next_) next_->OnClose(ts);
  }
  const char* service() const override { return next_ ? next_->service() : ""; }

 private:
  std::unique_ptr<StreamFile>* files_;
  DecryptedPcap* pcap_;
  DecryptedPcap::Flow flow_;
  std::unique_ptr<Analyzer> next_;
  TurnLog* turns_;  // null without stream files
};

// Stream file suffixes and flows.jsonl `files` keys, by direction.
constexpr const char* kRawNames[2] = {"client", "server"};
constexpr const char* kPlainNames[2] = {"client_plain", "server_plain"};

// Everything that happens to one connection between its start and end.
class ConnectionPipeline : public StreamSink {
 public:
  ConnectionPipeline(FlowWriter* writer, const ConnectionInfo& info, AnalyzerFactory expected)
      : writer_(writer), info_(info) {
    auto wrap = [this](std::unique_ptr<Analyzer> next) -> std::unique_ptr<Analyzer> {
      decrypted_ = true;
      DecryptedPcap* pcap = writer_->options().decrypted_pcap;
      if (!writer_->options().write_streams && pcap == nullptr) return next;
      for (int d = 0; d < 2 && writer_->options().write_streams; ++d) {
        if (!plain_[d]) plain_[d] = std::make_unique<StreamFile>(writer_, &info_, kPlainNames[d]);
      }
      return std::make_unique<PlaintextTee>(plain_, pcap, info_, std::move(next),
                                            writer_->options().write_streams ? &plain_order_ : nullptr);
    };
    if (expected) {
      stack_ = std::make_unique<ProtocolStack>(&info_, writer->out(), writer->protocols(),
                                               expected(info_), wrap);
    } else {
      stack_ = std::make_unique<ProtocolStack>(&info_, writer->out(), writer->protocols(),
                                               /*allow_tls=*/true, wrap);
    }
  }

  void OnData(Direction dir, absl::Time ts, absl::string_view bytes) override {
    if (writer_->options().write_streams) {
      std::unique_ptr<StreamFile>& raw = raw_[Index(dir)];
      if (!raw) raw = std::make_unique<StreamFile>(writer_, &info_, kRawNames[Index(dir)]);
      raw->Append(bytes);
      order_.Data(Index(dir), bytes.size());
    }
    if (writer_->options().follow) Transcript(dir, bytes);
    stack_->OnData(dir, ts, bytes);
  }
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override {
    if (writer_->options().write_streams) order_.Gap(Index(dir), length);
    if (writer_->options().follow) {
      Transcript(dir, absl::StrCat("\n[", length, " bytes missing from the capture]\n"));
    }
    stack_->OnGap(dir, ts, length);
  }
  void OnEnd(Direction dir, absl::Time ts) override { stack_->OnEnd(dir, ts); }

  // Closes analyzers and files, writes the flows.jsonl record, prints the transcript.
  void Finish(const ConnectionSummary& s) {
    stack_->OnClose(s.end);
    nlohmann::json files = nlohmann::json::object();
    for (int d = 0; d < 2; ++d) {
      // A direction that carried nothing gets no file: there is nothing to read in it.
      if (raw_[d] && raw_[d]->size() > 0) {
        raw_[d]->Flush();
        files[kRawNames[d]] = raw_[d]->path();
      }
      if (plain_[d] && plain_[d]->size() > 0) {
        plain_[d]->Flush();
        files[kPlainNames[d]] = plain_[d]->path();
        ++writer_->mutable_stats()->plaintext_files;
      }
    }
    nlohmann::json rec = RunOutput::BaseRecord(info_, info_.start);
    rec["proto"] = "tcp";
    const char* service = stack_->service();
    if (service != nullptr && *service != '\0') rec["service"] = service;
    rec["duration"] = absl::ToDoubleSeconds(s.end - info_.start);
    const DirectionSummary& c = s.dir[0];
    const DirectionSummary& v = s.dir[1];
    rec["orig_bytes"] = c.bytes;
    rec["resp_bytes"] = v.bytes;
    rec["orig_missed_bytes"] = c.missed_bytes;
    rec["resp_missed_bytes"] = v.missed_bytes;
    rec["orig_pkts"] = c.packets;
    rec["resp_pkts"] = v.packets;
    rec["orig_gaps"] = c.gaps;
    rec["resp_gaps"] = v.gaps;
    rec["close_reason"] = CloseReasonName(s.reason);
    rec["handshake"] = info_.saw_handshake;
    if (info_.vlan != 0) rec["vlan"] = info_.vlan;
    if (c.overlaps + v.overlaps > 0) {
      rec["overlaps"] = c.overlaps + v.overlaps;
      rec["overlap_conflicts"] = c.overlap_conflicts + v.overlap_conflicts;
    }
    if (c.retransmitted_bytes + v.retransmitted_bytes > 0) {
      rec["retransmitted_bytes"] = c.retransmitted_bytes + v.retransmitted_bytes;
    }
    rec["decrypted"] = decrypted_;
    rec["files"] = std::move(files);
    // The order of the first bytes, for the report's transcripts (tools/report/turn_log.h).
    if (!order_.empty()) rec["turns"] = order_.ToJson();
    if (!plain_order_.empty()) rec["plain_turns"] = plain_order_.ToJson();
    FlowWriterStats* st = writer_->mutable_stats();
    st->stream_bytes += c.bytes + v.bytes;
    st->gaps += c.gaps + v.gaps;
    st->missed_bytes += c.missed_bytes + v.missed_bytes;
    writer_->out()->WriteRecord("flows", std::move(rec));
    if (writer_->options().follow) PrintTranscript(s);
  }

 private:
  void Transcript(Direction dir, absl::string_view bytes) {
    size_t cap = writer_->options().follow_cap;
    if (transcript_bytes_ >= cap) {
      transcript_truncated_ = true;
      return;
    }
    if (turns_.empty() || turns_.back().first != dir) turns_.push_back({dir, std::string()});
    size_t take = std::min(bytes.size(), cap - transcript_bytes_);
    turns_.back().second.append(bytes.data(), take);
    transcript_bytes_ += take;
    if (take < bytes.size()) transcript_truncated_ = true;
  }

  // Wireshark's Follow TCP Stream, as text: a header, then each turn's bytes with
  // non-printing bytes shown as '.', client turns unindented and server turns indented.
  void PrintTranscript(const ConnectionSummary& s) {
    FILE* f = writer_->options().follow_out;
    std::string out = absl::StrFormat(
        "===================================================================\n"
        "Follow: tcp %s  %s -> %s  (%s)\n"
        "===================================================================\n",
        MakeUid('C', info_.id), info_.client.ToString(), info_.server.ToString(),
        CloseReasonName(s.reason));
    for (const auto& [dir, bytes] : turns_) {
      const bool server = dir == Direction::kServerToClient;
      std::string line = server ? "\t" : "";
      for (unsigned char ch : bytes) {
        if (ch == '\n') {
          out += line + "\n";
          line = server ? "\t" : "";
        } else if (ch == '\r') {
          continue;
        } else {
          line.push_back(ch >= 0x20 && ch < 0x7f ? static_cast<char>(ch) : '.');
        }
      }
      if (line.size() > (server ? 1u : 0u)) out += line + "\n";
    }
    if (transcript_truncated_) out += "[transcript truncated]\n";
    out += absl::StrFormat(
        "===================================================================\n"
        "client sent %d bytes (%d missing), server sent %d bytes (%d missing)\n\n",
        s.dir[0].bytes, s.dir[0].missed_bytes, s.dir[1].bytes, s.dir[1].missed_bytes);
    fwrite(out.data(), 1, out.size(), f);
  }

  FlowWriter* writer_;
  ConnectionInfo info_;
  std::unique_ptr<StreamFile> raw_[2];
  std::unique_ptr<StreamFile> plain_[2];
  TurnLog order_, plain_order_;  // the first bytes' order, raw and decrypted; before stack_
  std::unique_ptr<ProtocolStack> stack_;
  bool decrypted_ = false;
  std::vector<std::pair<Direction, std::string>> turns_;
  size_t transcript_bytes_ = 0;
  bool transcript_truncated_ = false;
};

}  // namespace

FlowWriter::FlowWriter(RunOutput* out, const ProtocolSet* protocols, FlowWriterOptions options)
    : out_(out), protocols_(protocols), options_(options) {}

FlowWriter::~FlowWriter() = default;

std::unique_ptr<StreamSink> FlowWriter::OnConnectionStart(const ConnectionInfo& info) {
  ++stats_.connections;
  return std::make_unique<ConnectionPipeline>(this, info, out_->TakeExpectation(info));
}

void FlowWriter::OnConnectionEnd(const ConnectionInfo& info, const ConnectionSummary& summary,
                                 std::unique_ptr<StreamSink> sink) {
  if (auto* pipeline = static_cast<ConnectionPipeline*>(sink.get())) pipeline->Finish(summary);
}

}  // namespace tcpfollow
