// One capture's bytes through everything a connection meets in tcpfollow, in memory: our
// capture readers (classic pcap or pcapng, plain or compressed), link/IP/TCP decoding, IP
// defragmentation, TCP reassembly, and per connection the session layer's StageChain over
// every registered protocol (tools/session/registry.cc): content detection, TLS decrypted
// with a fixed key log and RSA keys (the corpus' own, embedded at build time by the
// session_fuzz_keys genrules, so the seeds' sessions decrypt), every handoff (STARTTLS,
// AUTH TLS / PROT P, CONNECT, h2c Upgrade, ALPN) and expected connections (FTP data
// channels) matched to later connections through the real ExpectationTable. Records and
// objects go to testing::MemoryOutput; nothing is written to files.
//
// Limits are small where they are data (TCP, defragmentation, TLS, capture blocks) so that
// the cap paths run; the protocol analyzers run with the limits the registry gives them.
// Invariants (a violation traps): every connection started is ended; each connection's
// stages received exactly the bytes and gaps its summary counts; buffered TCP and fragment
// bytes stay under their caps; every record names a connection that was started and
// serialises as JSON (MemoryOutput dumps it: invalid UTF-8 throws); every object begun is
// finished by the time its connection is closed; every protocol's counters serialise.
// Not covered here: the files RunOutput writes (stream files, --write-decrypted, Follow).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "fuzz/small_pipeline.h"
#include "reassembly/packet_pipeline.h"
#include "testing/memory_output.h"
#include "tins_ext/capture_source.h"
#include "tls/keylog.h"
#include "tls/rsa_keys.h"
#include "tls/session_cache.h"
#include "tools/session/expectations.h"
#include "tools/session/protocol_set.h"
#include "tools/session/registry.h"
#include "tools/session/stage_chain.h"

namespace tcpfollow {
namespace {

// Every key log of corpus/ concatenated (genrule session_fuzz_keylog).
constexpr char kKeyLog[] =
#include "fuzz/session_fuzz_keylog.inc"
    ;
// The corpus' RSA server keys (genrule session_fuzz_rsa).
const char* const kRsaKeys[] = {
#include "fuzz/session_fuzz_rsa.inc"
};

struct FixedKeys {
  tls::KeyLogStore keylog;
  tls::RsaKeyStore rsa;
  FixedKeys() {
    keylog.AddKeyLogText(kKeyLog);
    for (const char* pem : kRsaKeys) {
      if (!rsa.AddKey(pem, "").ok()) __builtin_trap();
    }
    if (keylog.size() == 0 || rsa.size() == 0) __builtin_trap();
  }
};

const FixedKeys& Keys() {
  static const FixedKeys* keys = new FixedKeys();
  return *keys;
}

// Records and objects into memory, announced connections into the expectation table.
class FuzzOutput : public AnalyzerOutput {
 public:
  explicit FuzzOutput(ExpectationTable* table) : table_(table) {}
  void Record(absl::string_view log, const ConnectionInfo& conn, absl::Time ts,
              nlohmann::json fields) override {
    if (started_.count(conn.id) == 0) __builtin_trap();
    memory_.Record(log, conn, ts, std::move(fields));
  }
  std::unique_ptr<ObjectWriter> BeginObject(const ConnectionInfo& conn,
                                            const ObjectMeta& meta) override {
    if (started_.count(conn.id) == 0) __builtin_trap();
    return memory_.BeginObject(conn, meta);
  }
  std::unique_ptr<ObjectWriter> BeginObjectPiece(const ConnectionInfo& conn,
                                                 const ObjectMeta& meta,
                                                 const ObjectPiece& piece) override {
    if (started_.count(conn.id) == 0) __builtin_trap();
    return memory_.BeginObjectPiece(conn, meta, piece);
  }
  void OfferObjectPrefix(const ConnectionInfo& conn, const ObjectMeta& meta,
                         const ObjectPiece& piece, const std::string& path) override {
    if (started_.count(conn.id) == 0) __builtin_trap();
    memory_.OfferObjectPrefix(conn, meta, piece, path);
  }
  void ExpectConnection(const IpAddress& client, const Endpoint& server, absl::Time now,
                        absl::Duration timeout, AnalyzerFactory factory) override {
    table_->Expect(client, server, now, timeout, std::move(factory));
  }

  std::set<uint64_t> started_;
  testing::MemoryOutput memory_;

 private:
  ExpectationTable* table_;
};

// Passes the first TLS layer's plaintext on, counting it (the tool's tee writes files).
class CountingTap : public PlaintextTap {
 public:
  class Tee : public Analyzer {
   public:
    Tee(CountingTap* tap, std::unique_ptr<Analyzer> next) : tap_(tap), next_(std::move(next)) {}
    size_t OnData(Direction dir, absl::Time ts, absl::string_view bytes) override {
      tap_->bytes += bytes.size();
      if (next_) next_->OnData(dir, ts, bytes);
      return bytes.size();
    }
    void OnGap(Direction dir, absl::Time ts, uint64_t length) override {
      if (next_) next_->OnGap(dir, ts, length);
    }
    void OnEnd(Direction dir, absl::Time ts) override {
      if (next_) next_->OnEnd(dir, ts);
    }
    void OnClose(absl::Time ts) override {
      if (next_) next_->OnClose(ts);
    }
    const char* service() const override { return next_ ? next_->service() : ""; }

   private:
    CountingTap* tap_;
    std::unique_ptr<Analyzer> next_;
  };
  std::unique_ptr<Analyzer> Tap(std::unique_ptr<Analyzer> next) override {
    ++taps;
    return std::make_unique<Tee>(this, std::move(next));
  }
  uint64_t taps = 0;
  uint64_t bytes = 0;
};

// One connection: what reassembly delivered (counted) and its chain of stages.
class SessionSink : public StreamSink {
 public:
  SessionSink(const ConnectionInfo& info, FuzzOutput* out, const ProtocolSet* set,
              AnalyzerFactory expected, StageChainStats* stats)
      : info_(info) {
    if (expected) {
      chain_ = std::make_unique<StageChain>(&info_, out, set, expected(info_), &tap_, stats);
    } else {
      chain_ = std::make_unique<StageChain>(&info_, out, set, StageFacts(), &tap_, stats);
    }
  }
  void OnData(Direction dir, absl::Time ts, absl::string_view bytes) override {
    bytes_[Index(dir)] += bytes.size();
    chain_->OnData(dir, ts, bytes);
  }
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override {
    missed_[Index(dir)] += length;
    chain_->OnGap(dir, ts, length);
  }
  void OnEnd(Direction dir, absl::Time ts) override { chain_->OnEnd(dir, ts); }
  void Close(absl::Time ts) {
    chain_->OnClose(ts);
    (void)chain_->service();
    if (tap_.taps > 1) __builtin_trap();  // only the first TLS layer is tapped
  }

  uint64_t plaintext_bytes() const { return tap_.bytes; }
  uint64_t bytes_[2] = {0, 0};
  uint64_t missed_[2] = {0, 0};

 private:
  ConnectionInfo info_;
  CountingTap tap_;
  std::unique_ptr<StageChain> chain_;  // last: holds pointers to info_ and tap_
};

class FuzzSessions : public ConnectionHandler {
 public:
  FuzzSessions(FuzzOutput* out, ExpectationTable* table, const ProtocolSet* set)
      : out_(out), table_(table), set_(set) {}
  std::unique_ptr<StreamSink> OnConnectionStart(const ConnectionInfo& info) override {
    ++open_;
    if (!out_->started_.insert(info.id).second) __builtin_trap();  // ids are unique
    return std::make_unique<SessionSink>(info, out_, set_, table_->Take(info), &stats_);
  }
  void OnConnectionEnd(const ConnectionInfo& info, const ConnectionSummary& s,
                       std::unique_ptr<StreamSink> sink) override {
    --open_;
    auto* c = static_cast<SessionSink*>(sink.get());
    c->Close(s.end);
    plaintext_bytes_ += c->plaintext_bytes();
    for (int d = 0; d < 2; ++d) {
      if (c->bytes_[d] != s.dir[d].bytes || c->missed_[d] != s.dir[d].missed_bytes) {
        __builtin_trap();
      }
    }
    sink.reset();  // stages gone: every object they began must be finished
    for (const testing::MemoryOutput::Object& o : out_->memory_.objects()) {
      if (o.conn_id == info.id && !o.finished) __builtin_trap();
    }
  }
  int64_t open_ = 0;
  uint64_t plaintext_bytes_ = 0;
  StageChainStats stats_;

 private:
  FuzzOutput* out_;
  ExpectationTable* table_;
  const ProtocolSet* set_;
};

}  // namespace
}  // namespace tcpfollow

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  if (size == 0) return 0;
  CaptureLimits capture_limits;
  capture_limits.max_block_bytes = 256 << 10;
  capture_limits.max_interfaces = 16;
  auto src = OpenCaptureBytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz",
                              "", FileReader::kAuto, capture_limits);
  if (!src.ok()) return 0;

  const FixedKeys& keys = Keys();
  tls::TlsSessionCache cache;  // per input: resumption within one capture only
  tls::TlsDecryptorConfig tls_config;
  tls_config.secrets = &keys.keylog;
  tls_config.rsa_keys = &keys.rsa;
  tls_config.session_cache = &cache;
  tls_config.limits.max_pending_bytes = 8192;
  tls_config.limits.max_transcript_bytes = 64 << 10;
  tls_config.limits.max_resync_records = 8;
  tls_config.limits.max_handshakes_listed = 4;
  const std::vector<ProtocolSpec> specs = RegisteredProtocols(tls_config);
  const ProtocolSet set(specs, ProtocolConfig());

  const PacketPipelineConfig config = fuzzing::SmallPipelineConfig();

  ExpectationTable expectations;
  FuzzOutput out(&expectations);
  FuzzSessions sessions(&out, &expectations, &set);
  {
    PacketPipeline pipeline(config, &sessions);
    RawPacket p;
    for (int packets = 0; packets < 4096; ++packets) {
      absl::StatusOr<bool> more = (*src)->Next(&p);
      if (!more.ok() || !*more) break;
      if (p.data == nullptr) __builtin_trap();  // files never produce timer ticks
      pipeline.OnPacket(p);
      if (pipeline.tcp_stats().buffered_bytes > config.tcp.max_buffered_total) __builtin_trap();
      if (pipeline.defrag_stats().bytes_held > config.defrag.max_bytes) __builtin_trap();
    }
    pipeline.Finish(pipeline.last_packet_time());
  }
  if (sessions.open_ != 0) __builtin_trap();  // every connection started was ended
  // Stitched objects (206 pieces): every one begun is written, complete or not.
  out.memory_.FinishRanges();
  const RangeStats ranges = out.memory_.range_stats();
  if (ranges.complete + ranges.incomplete != ranges.resources) __builtin_trap();
  nlohmann::json summary = nlohmann::json::object();
  for (const ProtocolSet::Entry& e : set.entries()) {
    const nlohmann::json stats = e.instance->Stats();
    if (!stats.is_object()) __builtin_trap();
    summary[e.spec->name] = stats;
  }
  // TCPFOLLOW_FUZZ_VERBOSE=1: what each input reached (for checking the seeds).
  static const bool verbose = std::getenv("TCPFOLLOW_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    nlohmann::json records = nlohmann::json::object();
    for (const auto& [log, recs] : out.memory_.all_records()) records[log] = recs.size();
    std::fprintf(stderr, "connections %zu detected %llu switches %llu alpn %llu "
                 "expected %llu plaintext %llu objects %zu records %s\n",
                 out.started_.size(), (unsigned long long)sessions.stats_.detected,
                 (unsigned long long)sessions.stats_.switches,
                 (unsigned long long)sessions.stats_.alpn_selected,
                 (unsigned long long)expectations.matched(),
                 (unsigned long long)sessions.plaintext_bytes_,
                 out.memory_.objects().size(), records.dump().c_str());
  }
  return 0;
}
