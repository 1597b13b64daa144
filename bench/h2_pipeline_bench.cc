// HTTP/2 over TLS below the tool: a capture replayed through the real packet path
// (testing:pcap_streams: capture reading, decoding, defragmentation, TCP reassembly), TLS
// decrypted with its key log (tls/), plaintext into Http2Analyzer, every object SHA-256
// hashed (no file writes, no stream files, no records written out). Prints plaintext
// bytes, objects, CPU seconds (the process's, clock()) and GB of plaintext per CPU second:
// the library part of the whole-tool figure, until the session layer routes ALPN h2 to
// protocols/http2 and `tcpfollow --no-streams` can be timed on the same capture.
//
// usage: bazel run --config=opt //bench:h2_pipeline_bench -- CAPTURE.pcap KEYLOG
//        (bench/make_h2_capture.sh records one)
#include <openssl/sha.h>

#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <string>

#include "protocols/http2/http2_analyzer.h"
#include "testing/paths.h"
#include "testing/pcap_streams.h"
#include "tls/keylog.h"
#include "tls/tls_decryptor.h"

namespace tcpfollow {
namespace {

class HashingOutput : public AnalyzerOutput {
 public:
  class Writer : public ObjectWriter {
   public:
    explicit Writer(HashingOutput* out) : out_(out) { SHA256_Init(&ctx_); }
    const std::string& fuid() const override { return fuid_; }
    void Write(absl::string_view b) override {
      SHA256_Update(&ctx_, b.data(), b.size());
      out_->object_bytes += b.size();
    }
    ObjectResult Finish(absl::Time, const nlohmann::json&) override {
      unsigned char md[SHA256_DIGEST_LENGTH];
      SHA256_Final(md, &ctx_);
      ++out_->objects;
      return {};
    }

   private:
    HashingOutput* out_;
    SHA256_CTX ctx_;
    std::string fuid_ = "F";
  };
  void Record(absl::string_view log, const ConnectionInfo&, absl::Time, nlohmann::json f) override {
    if (log == "http") ++http_records;
    (void)f.dump();
  }
  std::unique_ptr<ObjectWriter> BeginObject(const ConnectionInfo&, const ObjectMeta&) override {
    return std::make_unique<Writer>(this);
  }
  void ExpectConnection(const IpAddress&, const Endpoint&, absl::Time, absl::Duration,
                        AnalyzerFactory) override {}
  uint64_t objects = 0, object_bytes = 0, http_records = 0;
};

// Counts the plaintext handed to Http2Analyzer.
class Counting : public Analyzer {
 public:
  Counting(std::unique_ptr<Analyzer> inner, uint64_t* bytes) : inner_(std::move(inner)), bytes_(bytes) {}
  size_t OnData(Direction dir, absl::Time ts, absl::string_view b) override {
    *bytes_ += b.size();
    return inner_->OnData(dir, ts, b);
  }
  void OnGap(Direction dir, absl::Time ts, uint64_t n) override { inner_->OnGap(dir, ts, n); }
  void OnEnd(Direction dir, absl::Time ts) override { inner_->OnEnd(dir, ts); }
  void OnClose(absl::Time ts) override { inner_->OnClose(ts); }
  const char* service() const override { return inner_->service(); }

 private:
  std::unique_ptr<Analyzer> inner_;
  uint64_t* bytes_;
};

class Forward : public StreamSink {
 public:
  explicit Forward(std::unique_ptr<Analyzer> a) : a_(std::move(a)) {}
  void OnData(Direction dir, absl::Time ts, absl::string_view b) override { a_->OnData(dir, ts, b); }
  void OnGap(Direction dir, absl::Time ts, uint64_t n) override { a_->OnGap(dir, ts, n); }
  void OnEnd(Direction dir, absl::Time ts) override { a_->OnEnd(dir, ts); }
  std::unique_ptr<Analyzer> a_;
};

}  // namespace
}  // namespace tcpfollow

int main(int argc, char** argv) {
  using namespace tcpfollow;
  if (argc != 3) {
    std::fprintf(stderr, "usage: h2_pipeline_bench CAPTURE.pcap KEYLOG\n");
    return 2;
  }
  tls::KeyLogStore keys;
  std::string keylog = testing::ReadFileOrEmpty(argv[2]);
  if (keylog.empty()) {
    std::fprintf(stderr, "h2_pipeline_bench: cannot read key log %s\n", argv[2]);
    return 1;
  }
  keys.AppendKeyLogBytes(keylog);
  HashingOutput out;
  Http2Stats stats;
  uint64_t plaintext = 0;
  std::map<uint64_t, std::unique_ptr<Forward>> conns;
  testing::StreamEvents events;
  events.open = [&](const ConnectionInfo& info) -> StreamSink* {
    tls::TlsDecryptorConfig config;
    config.secrets = &keys;
    auto dec = std::make_unique<tls::TlsDecryptor>(
        info, &out, config, [&, info](const StageFacts&) -> std::unique_ptr<Analyzer> {
          Http2Options options;
          options.tls = true;
          return std::make_unique<Counting>(
              std::make_unique<Http2Analyzer>(info, &out, Http2Limits(), &stats, options),
              &plaintext);
        });
    auto& f = conns[info.id];
    f = std::make_unique<Forward>(std::move(dec));
    return f.get();
  };
  events.close = [&](const ConnectionInfo& info, absl::Time last) {
    conns[info.id]->a_->OnClose(last);
    conns.erase(info.id);
  };
  std::clock_t start = std::clock();
  absl::Status st = testing::ReplayPcapStreams(argv[1], events);
  double cpu = double(std::clock() - start) / CLOCKS_PER_SEC;
  if (!st.ok()) {
    std::fprintf(stderr, "h2_pipeline_bench: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  std::printf("plaintext %.1f MB, %llu objects (%.1f MB), %llu http records, %llu streams\n",
              plaintext / 1e6, (unsigned long long)out.objects, out.object_bytes / 1e6,
              (unsigned long long)out.http_records, (unsigned long long)stats.streams);
  std::printf("CPU %.2f s: %.2f GB of plaintext per CPU second\n", cpu, plaintext / 1e9 / cpu);
  return 0;
}
