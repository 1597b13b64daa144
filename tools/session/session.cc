#include "tools/session/session.h"

#include <unistd.h>

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "tins_ext/tunnel.h"
#include "tools/report/turn_log.h"

namespace tcpfollow {
namespace {

// "198.18.0.1.51000", "2001_db8__1.443": no colons in file names (IPv6 colons become '_').
std::string EndpointForFile(const Endpoint& e) {
  std::string addr = e.addr.ToString();
  std::replace(addr.begin(), addr.end(), ':', '_');
  return absl::StrCat(addr, ".", e.port);
}

// "<first packet, UTC>-<client ip>.<port>-<server ip>.<port>-<uid>.<suffix>", e.g.
// "20261201T101500.123456-198.18.0.1.51000-198.18.0.2.80-Cq2b....client": names sort by
// time and say which hosts talked. Built when a direction's file is created and kept by
// that StreamFile (directions that carry no bytes get no file and no name).
std::string StreamFileName(const ConnectionInfo& info, const char* suffix) {
  return absl::StrCat(absl::FormatTime("%Y%m%dT%H%M%E6S", info.start, absl::UTCTimeZone()), "-",
                      EndpointForFile(info.client), "-", EndpointForFile(info.server), "-",
                      ConnectionUid(info), ".", suffix);
}

// One direction's bytes, as a file in streams/, created at the direction's first byte.
// Bytes are held up to a threshold, then handed to the background writer (which keeps only
// a few files open), so thousands of connections never hold thousands of descriptors; the
// threshold drops when all buffers together pass the budget.
class StreamFile {
 public:
  // `info` outlives the file (both belong to one Session).
  StreamFile(SessionManager* manager, const ConnectionInfo* info, const char* suffix)
      : manager_(manager), info_(info), suffix_(suffix) {}
  ~StreamFile() {
    if (size_ > 0) Flush();  // a direction that carried nothing gets no file
  }

  void Append(absl::string_view bytes) {
    const SessionOptions& o = manager_->options();
    size_t limit = manager_->buffered_bytes > o.stream_budget ? 4096 : o.stream_buffer;
    if (buf_.FullFor(bytes.size())) Flush();
    // The budget counts what the buffers hold allocated, reserved room included.
    const size_t held = buf_.held();
    buf_.Append(bytes, limit);
    manager_->buffered_bytes += buf_.held() - held;
    size_ += bytes.size();
    if (buf_.size() >= limit) Flush();
  }

  // Hands the buffer to the background writer; the first flush creates the file.
  void Flush() {
    if (buf_.empty() && buf_.handed_over()) return;
    if (!buf_.handed_over()) ++manager_->mutable_stats()->stream_files;
    manager_->buffered_bytes -= buf_.held();
    bool create = false;
    std::string bytes = buf_.TakeBytes(&create);
    manager_->run_output()->files()->Write(OutputDir::Sub::kStreams, name(), std::move(bytes),
                                           create);
  }

  std::string path() { return OutputDir::Relative(OutputDir::Sub::kStreams, name()); }
  uint64_t size() const { return size_; }

 private:
  SessionManager* manager_;
  const ConnectionInfo* info_;
  const std::string& name() {
    if (name_.empty()) name_ = StreamFileName(*info_, suffix_);
    return name_;
  }

  const char* suffix_;
  std::string name_;  // built at the first flush (the file's creation)
  FileBuffer buf_;
  uint64_t size_ = 0;
};

// Stream file suffixes and flows.jsonl `files` keys, by direction.
constexpr const char* kRawNames[2] = {"client", "server"};
constexpr const char* kPlainNames[2] = {"client_plain", "server_plain"};

// What a session keeps of its first TLS layer's plaintext.
struct Plaintext {
  std::unique_ptr<StreamFile> files[2];
  std::unique_ptr<FollowTranscript> transcript;
  TurnLog order;  // the first bytes' order, for the report (with stream files only)
  uint64_t bytes[2] = {0, 0};
  uint64_t missing[2] = {0, 0};
};

// Tees decrypted bytes into the plaintext stream files, the Follow transcript and
// --write-decrypted before handing them to the next stage.
class PlaintextTee : public Analyzer {
 public:
  PlaintextTee(Plaintext* plain, DecryptedPcap* pcap, const ConnectionInfo& info,
               std::unique_ptr<Analyzer> next)
      : plain_(plain), pcap_(pcap), next_(std::move(next)) {
    flow_.client = info.client;
    flow_.server = info.server;
  }
  size_t OnData(Direction dir, absl::Time ts, absl::string_view bytes) override {
    if (plain_->files[Index(dir)]) plain_->files[Index(dir)]->Append(bytes);
    if (plain_->transcript) plain_->transcript->Data(dir, ts, bytes);
    if (plain_->files[Index(dir)]) plain_->order.Data(Index(dir), bytes.size());
    plain_->bytes[Index(dir)] += bytes.size();
    if (pcap_) pcap_->Data(&flow_, dir, ts, bytes);
    if (next_) next_->OnData(dir, ts, bytes);
    return bytes.size();
  }
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override {
    if (plain_->transcript) plain_->transcript->Gap(dir, ts, length);
    if (plain_->files[Index(dir)]) plain_->order.Gap(Index(dir), length);
    plain_->missing[Index(dir)] += length;
    if (pcap_) pcap_->Gap(&flow_, dir, length);
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
  Plaintext* plain_;
  DecryptedPcap* pcap_;
  DecryptedPcap::Flow flow_;
  std::unique_ptr<Analyzer> next_;
};

// Everything that happens to one connection between its start and end.
class Session : public StreamSink, public PlaintextTap, public StreamTranscript {
 public:
  Session(SessionManager* manager, const ConnectionInfo& info, AnalyzerFactory expected)
      : manager_(manager), info_(info) {
    const FollowOptions& f = manager_->options().follow;
    following_ = f.enabled && FollowSelects(f.selector, info_, ConnectionUid(info_));
    if (following_) transcript_ = std::make_unique<FollowTranscript>(f.cap);
    StageChainStats* stats = &manager_->mutable_stats()->chain;
    StageFacts facts;
    if (following_) facts.transcript = this;  // a multiplexing stage: each stream's text
    look_again_ = !expected;
    if (expected) {
      chain_ = ExpectedChain(expected);
    } else {
      chain_ = std::make_unique<StageChain>(&info_, manager_->analyzer_output(),
                                            manager_->protocols(), facts, this, stats);
    }
  }

  // A connection that was not announced when it started is looked up once more at its
  // first byte: with live --threads, the worker that sees a data connection's SYN can be
  // ahead of the worker still holding the control connection's reply that announces it
  // (the offline sharded run orders them; live sockets cannot). The first data comes at least a round
  // trip after the SYN, which closes most of that window.
  void LookForExpectation() {
    look_again_ = false;
    AnalyzerFactory expected = manager_->expectations()->Take(info_);
    if (!expected) return;
    ++manager_->mutable_stats()->late_expectations;
    chain_ = ExpectedChain(expected);
  }

  // A chain whose first stage is the analyzer an expectation announced.
  std::unique_ptr<StageChain> ExpectedChain(const AnalyzerFactory& expected) {
    return std::make_unique<StageChain>(&info_, manager_->analyzer_output(),
                                        manager_->protocols(), expected(info_), this,
                                        &manager_->mutable_stats()->chain);
  }

  // StreamTranscript: a multiplexing stage's streams, each its own Follow transcript
  // (bounded: kMaxFollowedStreams, each with the Follow cap).
  void OnStreamText(uint32_t stream, Direction dir, absl::Time ts,
                    absl::string_view text) override {
    auto it = streams_.find(stream);
    if (it == streams_.end()) {
      if (streams_.size() >= kMaxFollowedStreams) return;
      it = streams_.emplace(stream, FollowTranscript(manager_->options().follow.cap / 4)).first;
    }
    it->second.Data(dir, ts, text);
  }
  void NameStreams(absl::string_view what) override { stream_name_ = std::string(what); }

  // PlaintextTap: the first TLS layer produced plaintext.
  std::unique_ptr<Analyzer> Tap(std::unique_ptr<Analyzer> next) override {
    decrypted_ = true;
    DecryptedPcap* pcap = manager_->options().decrypted_pcap;
    if (!manager_->options().write_streams && pcap == nullptr && !following_) return next;
    for (int d = 0; d < 2 && manager_->options().write_streams; ++d) {
      plain_.files[d] = std::make_unique<StreamFile>(manager_, &info_, kPlainNames[d]);
    }
    if (following_) {
      plain_.transcript = std::make_unique<FollowTranscript>(manager_->options().follow.cap);
    }
    return std::make_unique<PlaintextTee>(&plain_, pcap, info_, std::move(next));
  }

  void OnData(Direction dir, absl::Time ts, absl::string_view bytes) override {
    if (look_again_) LookForExpectation();
    if (manager_->options().write_streams) {
      std::unique_ptr<StreamFile>& raw = raw_[Index(dir)];
      if (!raw) raw = std::make_unique<StreamFile>(manager_, &info_, kRawNames[Index(dir)]);
      raw->Append(bytes);
      order_.Data(Index(dir), bytes.size());
    }
    if (transcript_) transcript_->Data(dir, ts, bytes);
    chain_->OnData(dir, ts, bytes);
  }
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override {
    if (look_again_) LookForExpectation();
    if (manager_->options().write_streams) order_.Gap(Index(dir), length);
    if (transcript_) transcript_->Gap(dir, ts, length);
    chain_->OnGap(dir, ts, length);
  }
  void OnEnd(Direction dir, absl::Time ts) override { chain_->OnEnd(dir, ts); }

  // Closes the stages and files, writes the flows.jsonl record, prints the transcript.
  void Finish(const ConnectionSummary& s) {
    chain_->OnClose(s.end);
    nlohmann::json files = nlohmann::json::object();
    for (int d = 0; d < 2; ++d) {
      // A direction that carried nothing gets no file: there is nothing to read in it.
      if (raw_[d] && raw_[d]->size() > 0) {
        raw_[d]->Flush();
        files[kRawNames[d]] = raw_[d]->path();
      }
      if (plain_.files[d] && plain_.files[d]->size() > 0) {
        plain_.files[d]->Flush();
        files[kPlainNames[d]] = plain_.files[d]->path();
        ++manager_->mutable_stats()->plaintext_files;
      }
    }
    nlohmann::json rec = RunOutput::BaseRecord(info_, info_.start);
    rec["proto"] = "tcp";
    const char* service = chain_->service();
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
    rec["bad_checksums"] = c.bad_checksums + v.bad_checksums;
    rec["orig_gaps"] = c.gaps;
    rec["resp_gaps"] = v.gaps;
    rec["close_reason"] = CloseReasonName(s.reason);
    rec["handshake"] = s.handshake;
    rec["conn_state"] = s.conn_state;
    rec["history"] = s.history;
    if (info_.vlan != 0) rec["vlan"] = info_.vlan;
    if (info_.tunnel != nullptr) {  // as Zeek's conn.log tunnel_parents, outermost first
      nlohmann::json parents = nlohmann::json::array();
      for (int i = 0; i < info_.tunnel->depth; ++i) {
        parents.push_back(DescribeTunnelLayer(info_.tunnel->layers[i]));
      }
      rec["tunnel_parents"] = std::move(parents);
    }
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
    if (!plain_.order.empty()) rec["plain_turns"] = plain_.order.ToJson();
    SessionStats* st = manager_->mutable_stats();
    st->stream_bytes += c.bytes + v.bytes;
    st->gaps += c.gaps + v.gaps;
    st->missed_bytes += c.missed_bytes + v.missed_bytes;
    if (decrypted_) ++st->decrypted_connections;
    manager_->run_output()->WriteRecord("flows", std::move(rec));
    if (following_) PrintTranscript(s);
  }

 private:
  // The plaintext when there is one (as tshark's follow,tls), the wire bytes otherwise or
  // when asked for.
  void PrintTranscript(const ConnectionSummary& s) {
    const FollowOptions& f = manager_->options().follow;
    FollowHeader h;
    h.uid = ConnectionUid(info_);
    h.client = info_.client;
    h.server = info_.server;
    h.close_reason = CloseReasonName(s.reason);
    const FollowTranscript* t = transcript_.get();
    if (plain_.transcript && !f.wire) {
      t = plain_.transcript.get();
      h.layer = "tls (decrypted; --follow-raw shows the bytes on the wire)";
      for (int d = 0; d < 2; ++d) {
        h.sent[d] = plain_.bytes[d];
        h.missing[d] = plain_.missing[d];
      }
    } else {
      h.layer = decrypted_ ? "tcp (raw bytes of a decrypted TLS session)" : "tcp";
      for (int d = 0; d < 2; ++d) {
        h.sent[d] = s.dir[d].bytes;
        h.missing[d] = s.dir[d].missed_bytes;
      }
    }
    // A multiplexed connection is shown per stream, not as the bytes that carry them.
    std::string out = streams_.empty() || f.wire ? RenderFollow(f.format, h, *t) : "";
    // Each stream as its stage wrote it (StreamTranscript); --follow-raw keeps to the bytes.
    for (const auto& [id, stream] : f.wire ? std::map<uint32_t, FollowTranscript>() : streams_) {
      FollowHeader sh = h;
      sh.layer = absl::StrCat(stream_name_, " ", id);
      for (int d = 0; d < 2; ++d) sh.sent[d] = sh.missing[d] = 0;
      for (const FollowTranscript::Turn& turn : stream.turns()) {
        sh.sent[Index(turn.dir)] += turn.bytes.size();
      }
      out += RenderFollow(f.format, sh, stream);
    }
    fwrite(out.data(), 1, out.size(), f.out);
  }

  SessionManager* manager_;
  ConnectionInfo info_;
  std::unique_ptr<StreamFile> raw_[2];
  TurnLog order_;
  Plaintext plain_;
  bool following_ = false;
  bool look_again_ = false;  // not announced at the start: look once more at the first byte
  std::unique_ptr<FollowTranscript> transcript_;
  static constexpr size_t kMaxFollowedStreams = 256;
  std::map<uint32_t, FollowTranscript> streams_;  // by stream id
  std::string stream_name_ = "stream";             // StreamTranscript::NameStreams
  bool decrypted_ = false;
  // Last: stages may hold pointers to the files and transcripts above.
  std::unique_ptr<StageChain> chain_;
};

}  // namespace

SessionManager::SessionManager(RunOutput* out, ExpectationTable* expectations,
                               const ProtocolSet* set, SessionOptions options)
    : out_(out), expectations_(expectations), analyzer_output_(out, expectations), set_(set),
      options_(options) {}

SessionManager::~SessionManager() = default;

std::unique_ptr<StreamSink> SessionManager::OnConnectionStart(const ConnectionInfo& info) {
  ++stats_.connections;
  return std::make_unique<Session>(this, info, expectations_->Take(info));
}

void SessionManager::OnConnectionEnd(const ConnectionInfo& info,
                                     const ConnectionSummary& summary,
                                     std::unique_ptr<StreamSink> sink) {
  if (auto* session = static_cast<Session*>(sink.get())) session->Finish(summary);
}

}  // namespace tcpfollow
