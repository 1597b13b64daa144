#include "tools/protocol_registry.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "protocols/ftp/ftp_analyzer.h"
#include "protocols/http/http_analyzer.h"
#include "protocols/smtp/smtp_analyzer.h"
#include "tins_ext/pcapng_secrets.h"
#include "tls/key_material.h"
#include "tls/tls_decryptor.h"

namespace tcpfollow {

namespace {

// Client-speaks-first protocols are decided on the client's first line; until a newline
// (or the detection window) arrives the answer is "maybe".
bool FirstLineIncomplete(absl::string_view s) {
  return s.find('\n') == absl::string_view::npos;
}

Detection DetectHttp(absl::string_view client, absl::string_view server) {
  if (LooksLikeHttpResponse(server)) return Detection::kYes;  // whatever the client sent
  if (client.empty()) return server.empty() ? Detection::kMaybe : Detection::kNo;
  if (LooksLikeHttp(client)) return Detection::kYes;
  return FirstLineIncomplete(client) || server.empty() ? Detection::kMaybe : Detection::kNo;
}

// Server-speaks-first protocols (SMTP, FTP): a 220 greeting, then the client's commands
// tell which.
Detection DetectGreeting(bool (*looks_like)(absl::string_view, absl::string_view),
                         absl::string_view client, absl::string_view server) {
  if (looks_like(client, server)) return Detection::kYes;
  if (server.empty()) return client.empty() ? Detection::kMaybe : Detection::kNo;
  if (server[0] != '2' && server[0] != '1') return Detection::kNo;
  if (client.empty() || FirstLineIncomplete(client) || FirstLineIncomplete(server)) {
    return Detection::kMaybe;
  }
  return Detection::kNo;
}

Detection DetectTls(absl::string_view client, absl::string_view server) {
  if (client.empty()) return server.empty() ? Detection::kMaybe : Detection::kNo;
  if (tls::LooksLikeTls(client)) return Detection::kYes;
  return client.size() < 6 ? Detection::kMaybe : Detection::kNo;
}

// Reads a key material file from `offset` on in 1 MiB chunks (tls::ReadFileFn).
absl::StatusOr<uint64_t> ReadKeyFile(const std::string& path, uint64_t offset,
                                     const std::function<void(absl::string_view)>& chunk) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    return absl::Status(errno == ENOENT ? absl::StatusCode::kNotFound : absl::StatusCode::kUnavailable,
                        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  struct stat st;
  if (fstat(fileno(f.get()), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) < offset) {
    return static_cast<uint64_t>(st.st_size);  // truncated since the last look
  }
  if (offset > 0 && std::fseek(f.get(), static_cast<long>(offset), SEEK_SET) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot seek in ", path));
  }
  std::string buf(1 << 20, '\0');
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) {
    chunk(absl::string_view(buf.data(), n));
    offset += n;
  }
  return offset;
}

struct TlsCounts {
  uint64_t decrypted = 0;
  uint64_t mac_failures = 0;
};

// Counts sessions as they close, for the run summary.
class CountedTls : public Analyzer {
 public:
  CountedTls(std::unique_ptr<tls::TlsDecryptor> inner, TlsCounts* counts)
      : inner_(std::move(inner)), counts_(counts) {}
  size_t OnData(Direction dir, absl::Time ts, absl::string_view bytes) override {
    return inner_->OnData(dir, ts, bytes);
  }
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override {
    inner_->OnGap(dir, ts, length);
  }
  void OnEnd(Direction dir, absl::Time ts) override { inner_->OnEnd(dir, ts); }
  void OnClose(absl::Time ts) override {
    inner_->OnClose(ts);
    if (inner_->decrypted()) ++counts_->decrypted;
    counts_->mac_failures += inner_->stats().mac_failures;
  }
  Handoff handoff() const override { return inner_->handoff(); }
  const char* service() const override { return inner_->service(); }

 private:
  std::unique_ptr<tls::TlsDecryptor> inner_;
  TlsCounts* counts_;
};

class Protocols : public ProtocolContext {
 public:
  absl::Status Init(const Options& o, int shards) {
    tls::KeyMaterialOptions k;
    k.keylogs = o.keylogs;
    k.rsa_keys = o.rsa_keys;
    k.rsa_key_password = o.rsa_key_password;
    k.live = !o.interface.empty();
    if (!o.read_file.empty() && o.read_file != "-") {
      k.capture = o.read_file;  // read again for its ClientHello randoms when a key log is big
      // pcapng Decryption Secrets Blocks carry key log text inside the capture.
      auto secrets = ExtractPcapngSecrets(o.read_file);
      if (secrets.ok()) k.secrets_blocks = std::move(*secrets);
    }
    auto keys = tls::KeyMaterial::Load(k, ReadKeyFile);
    if (!keys.ok()) return keys.status();
    keys_ = std::move(*keys);
    for (const std::string& w : keys_->warnings()) std::fprintf(stderr, "tcpfollow: %s\n", w.c_str());
    shards_.resize(std::max(1, shards));
    for (Shard& s : shards_) {
      if (o.analyze) Build(&s);  // --streams-only: an empty set, connections left unparsed
    }
    return absl::OkStatus();
  }

  const ProtocolSet& set(int shard) const override { return shards_[shard].set; }

  std::vector<std::string> SummaryLines(uint64_t tls_records) const override {
    std::vector<std::string> lines;
    if (tls_records > 0 || !keys_->empty()) {
      TlsCounts tls;
      for (const Shard& s : shards_) {
        tls.decrypted += s.tls.decrypted;
        tls.mac_failures += s.tls.mac_failures;
      }
      std::string line = absl::StrCat("TLS sessions ", tls_records, " (decrypted ",
                                      tls.decrypted, ", MAC/tag failures ", tls.mac_failures,
                                      "); ", keys_->Summary());
      lines.push_back(line);
    }
    return lines;
  }

  void Refresh() override { keys_->Refresh(); }

 private:
  // Per worker: the set and the mutable state its analyzers update.
  struct Shard {
    ProtocolSet set;
    TlsCounts tls;
    HttpAnalyzerStats http_stats;
    SmtpMimeBudget smtp_budget;
  };

  void Build(Shard* shard) {
    ProtocolSet& set_ = shard->set;
    set_.protocols.push_back(
        {"http", DetectHttp,
         [shard](const ConnectionInfo& c, AnalyzerOutput* out, bool) -> std::unique_ptr<Analyzer> {
           return std::make_unique<HttpAnalyzer>(c, out, HttpAnalyzerLimits(), &shard->http_stats);
         }});
    set_.protocols.push_back(
        {"smtp",
         [](absl::string_view c, absl::string_view s) { return DetectGreeting(LooksLikeSmtp, c, s); },
         [shard](const ConnectionInfo& c, AnalyzerOutput* out, bool after_tls) -> std::unique_ptr<Analyzer> {
           SmtpLimits limits;
           // GMime needs several times a message's size while parsing it: 16 MiB per
           // message and 48 MiB across connections keep a mail flood near 100 MB.
           limits.mime.max_message_bytes = 16u << 20;
           limits.mime_budget = &shard->smtp_budget;
           return std::make_unique<SmtpAnalyzer>(c, out, limits, after_tls);
         }});
    set_.protocols.push_back(
        {"ftp",
         [](absl::string_view c, absl::string_view s) { return DetectGreeting(LooksLikeFtp, c, s); },
         [](const ConnectionInfo& c, AnalyzerOutput* out, bool after_tls) -> std::unique_ptr<Analyzer> {
           return std::make_unique<FtpAnalyzer>(c, out, FtpLimits(), after_tls);
         }});
    set_.detect_tls = DetectTls;
    set_.make_tls = [this, shard](const ConnectionInfo& c, AnalyzerOutput* out,
                           std::function<std::unique_ptr<Analyzer>()> downstream)
        -> std::unique_ptr<Analyzer> {
      tls::TlsDecryptorConfig config = keys_->Config();
      auto inner = std::make_unique<tls::TlsDecryptor>(
          c, out, config, [downstream](const ConnectionInfo&) { return downstream(); });
      return std::make_unique<CountedTls>(std::move(inner), &shard->tls);
    };
  }

  std::deque<Shard> shards_;  // deque: analyzers keep pointers into its elements
  std::unique_ptr<tls::KeyMaterial> keys_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ProtocolContext>> MakeProtocols(const Options& options,
                                                                int shards) {
  auto p = std::make_unique<Protocols>();
  absl::Status s = p->Init(options, shards);
  if (!s.ok()) return s;
  return std::unique_ptr<ProtocolContext>(std::move(p));
}

}  // namespace tcpfollow
