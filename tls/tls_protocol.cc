#include "tls/tls_protocol.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tls/tls_decryptor.h"

namespace tcpfollow::tls {
namespace {

class TlsInstance : public ProtocolInstance {
 public:
  explicit TlsInstance(TlsDecryptorConfig base) : base_(base) {}

  Detection Detect(const DetectInput& in) const override {
    // A session seen from its middle has no handshake to take keys from.
    if (in.midstream) return Detection::kNo;
    if (in.client.empty()) return in.server.empty() ? Detection::kMaybe : Detection::kNo;
    if (LooksLikeTls(in.client)) return Detection::kYes;
    return in.client.size() < 6 && !in.client_ended ? Detection::kMaybe : Detection::kNo;
  }

  std::unique_ptr<Analyzer> NewAnalyzer(const ConnectionInfo& conn, AnalyzerOutput* out,
                                        const StageFacts&, NextStage next) override {
    TlsDecryptorConfig config = base_;
    config.totals = &totals_;
    return std::make_unique<TlsDecryptor>(conn, out, config, std::move(next));
  }

  nlohmann::json Stats() const override {
    const TlsTotals& t = totals_;
    nlohmann::json reasons = nlohmann::json::object();
    for (const auto& [why, n] : t.not_decrypted) reasons[why] = n;
    return {{"sessions", t.sessions},
            {"decrypted", t.decrypted},
            {"not_decrypted", reasons},
            {"mac_failures", t.mac_failures},
            {"plaintext_bytes", t.plaintext_bytes},
            {"skipped_early_data", t.skipped_early_data},
            {"pending_overflow", t.pending_overflow},
            {"gaps", t.gaps},
            {"resyncs", t.resyncs},
            {"alerts", t.alerts},
            {"renegotiations", t.renegotiations},
            {"records", t.records},
            {"decrypted_records", t.decrypted_records},
            {"early_data_missed_bytes", t.early_data_missed_bytes},
            {"plaintext_missed_bytes", t.plaintext_missed_bytes},
            {"heartbeats", t.heartbeats},
            {"key_updates", t.key_updates}};
  }

 private:
  TlsDecryptorConfig base_;
  TlsTotals totals_;
};

// What a user can do about a reason, when there is something.
std::string Remedy(const std::string& why) {
  if (absl::StrContains(why, "no key log entry")) {
    return " (is the key log from this capture? --keylog FILE)";
  }
  if (absl::StrContains(why, "RSA") || absl::StrContains(why, "private key")) {
    return " (--rsa-key [IP:PORT:]FILE with the server's key)";
  }
  return "";
}

std::vector<std::string> Summary(const nlohmann::json& s) {
  std::vector<std::string> lines;
  uint64_t sessions = s.value("sessions", uint64_t{0});
  if (sessions == 0) return lines;
  lines.push_back(absl::StrCat("TLS sessions ", sessions, " (decrypted ",
                               s.value("decrypted", uint64_t{0}), ", MAC/tag failures ",
                               s.value("mac_failures", uint64_t{0}), ")"));
  if (s.contains("not_decrypted")) {
    for (const auto& [why, n] : s["not_decrypted"].items()) {
      lines.push_back(absl::StrCat("  not decrypted: ", n.get<uint64_t>(), " session",
                                   n.get<uint64_t>() == 1 ? "" : "s", ": ", why, Remedy(why)));
    }
  }
  return lines;
}

}  // namespace

ProtocolSpec TlsProtocol(TlsDecryptorConfig base) {
  ProtocolSpec spec;
  spec.name = "tls";
  spec.description = "TLS/SSL sessions (tls.jsonl), decrypted with --keylog or --rsa-key";
  spec.logs = {"tls"};
  spec.ports = {443, 465, 993, 995, 8443};
  spec.fuzz_harnesses = {"tls_record_fuzz", "tls_handshake_fuzz", "keylog_fuzz",
                         "key_load_fuzz", "tls_decrypt_fuzz"};
  spec.make = [base](const ProtocolConfig&) { return std::make_unique<TlsInstance>(base); };
  spec.summary = Summary;
  LogView view;
  view.log = "tls";
  view.id = "tls";
  view.title = "TLS";
  view.fields = {{"ts", FieldKind::kTime},        {"uid"},
                 {"server_name", FieldKind::kIntern}, {"version", FieldKind::kIntern},
                 {"cipher", FieldKind::kIntern},  {"alpn", FieldKind::kIntern},
                 {"resumed"},                     {"decrypted"},
                 {"reason", FieldKind::kIntern},  {"subject", FieldKind::kIntern}};
  view.columns = {TimeColumn(),
                  ConnectionColumn(),
                  {"server name", {"server_name"}},
                  {"version", {"version"}},
                  {"cipher", {"cipher"}},
                  {"ALPN", {"alpn"}},
                  {"resumed", {"resumed"}, ColumnShow::kYes},
                  {"decrypted", {"decrypted"}, ColumnShow::kYesNo},
                  {"reason", {"reason"}},
                  {"certificate", {"subject"}}};
  view.counts = {{"TLS sessions", [](const LogRecordFields& r) {
                    if (r.Bool("decrypted")) return std::string("decrypted");
                    const std::string reason = r.Str("reason");
                    return absl::StrCat("not decrypted: ",
                                        reason.empty() ? "(no reason given)" : reason);
                  }}};
  view.tops = {{"TLS server names", "server_name", "server name", "(no SNI)", "sessions",
                "decrypted", "decrypted"}};
  spec.views = {std::move(view)};
  spec.colors = {{"tls", "#f28e2b"}};
  return spec;
}

}  // namespace tcpfollow::tls
