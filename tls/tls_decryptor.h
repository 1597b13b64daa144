// The TLS stream stage of one connection (an Analyzer, service "tls"): frames records in
// both directions, follows the handshake (TLS 1.0-1.3, resumption, renegotiation,
// HelloRetryRequest, KeyUpdate, 0-RTT), obtains secrets from a key log (SecretSource), the
// resumption cache or an RSA key, decrypts and authenticates records, and forwards
// application-data plaintext to a downstream Analyzer made by a factory (HTTP, SMTP, FTP or a
// stream writer), told the ALPN, SNI and version. Failed MACs/tags are counted, never forwarded. Ciphertext that arrives
// before its secret is buffered up to a limit and decrypted when the secret appears (a
// key log appended to while capturing). After a gap in ciphertext it resynchronises on the
// next record that authenticates, or stops and says why; gaps are forwarded downstream with
// the ciphertext length (the plaintext length of lost records is unknown).
// At OnClose it writes one tls.jsonl record. Does no I/O.
#ifndef TCPFOLLOW_TLS_TLS_DECRYPTOR_H_
#define TCPFOLLOW_TLS_TLS_DECRYPTOR_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "reassembly/analyzer.h"
#include "reassembly/protocol.h"
#include "tls/cipher.h"
#include "tls/compression.h"
#include "tls/handshake.h"
#include "tls/keylog.h"
#include "tls/psk.h"
#include "tls/record_layer.h"
#include "tls/rsa_keys.h"
#include "tls/session_cache.h"

namespace tcpfollow::tls {

// True if a client's first bytes look like a TLS ClientHello (record or SSLv2-compatible).
bool LooksLikeTls(absl::string_view client_first_bytes);

struct TlsDecryptorLimits {
  RecordLimits record;
  HandshakeLimits handshake;
  size_t max_pending_bytes = 4 * 1024 * 1024;  // per direction, waiting for a secret
  size_t max_transcript_bytes = 512 * 1024;    // handshake hash input (extended master secret)
  int max_resync_records = 64;                 // sequence numbers tried after a gap
  int max_consecutive_failures = 8;            // MAC failures before giving up
  size_t max_handshakes_listed = 16;           // renegotiations: the first 15 and the latest
};

struct TlsDecryptorStats {
  uint64_t records[2] = {0, 0};
  uint64_t decrypted_records[2] = {0, 0};
  uint64_t plaintext_bytes[2] = {0, 0};  // application data forwarded
  uint64_t mac_failures = 0;             // records whose MAC/tag did not verify
  uint64_t pending_overflow = 0;         // times ciphertext waiting for a secret overflowed
  uint64_t skipped_early_data = 0;       // 0-RTT records that could not be decrypted
  uint64_t early_data_missed_bytes = 0;  // their plaintext length, forwarded as a gap
  uint64_t plaintext_missed_bytes[2] = {0, 0};  // gaps forwarded downstream
  uint64_t gaps = 0;
  uint64_t resyncs = 0;
  uint64_t alerts = 0;
  uint64_t heartbeats = 0;
  uint64_t key_updates = 0;
  uint64_t renegotiations = 0;
};

// A worker's TLS counters: every session adds to them when it closes.
struct TlsTotals {
  static constexpr size_t kMaxReasons = 64;  // distinct reasons kept (hostile input)
  uint64_t sessions = 0;
  uint64_t decrypted = 0;
  std::map<std::string, uint64_t> not_decrypted;  // by reason
  uint64_t mac_failures = 0;
  uint64_t plaintext_bytes = 0;
  uint64_t skipped_early_data = 0;
  uint64_t pending_overflow = 0;
  uint64_t gaps = 0;
  uint64_t resyncs = 0;
  uint64_t alerts = 0;
  uint64_t renegotiations = 0;
  uint64_t records = 0;
  uint64_t decrypted_records = 0;
  uint64_t early_data_missed_bytes = 0;
  uint64_t plaintext_missed_bytes = 0;
  uint64_t heartbeats = 0;
  uint64_t key_updates = 0;
};

struct TlsDecryptorConfig {
  const SecretSource* secrets = nullptr;   // key log store; may be null
  const RsaKeyStore* rsa_keys = nullptr;   // may be null
  const PskStore* psks = nullptr;          // --psk keys; may be null
  TlsSessionCache* session_cache = nullptr;  // may be null
  TlsTotals* totals = nullptr;               // may be null
  const RecordCipherFactory* cipher_factory = nullptr;  // null: OpenSSL
  TlsDecryptorLimits limits;
};

class TlsDecryptor : public Analyzer {
 public:
  // `downstream` is called once, when the first plaintext is ready; it may return null.
  TlsDecryptor(const ConnectionInfo& conn, AnalyzerOutput* output, TlsDecryptorConfig config,
               NextStage downstream);
  ~TlsDecryptor() override;

  size_t OnData(Direction dir, absl::Time ts, absl::string_view bytes) override;
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override;
  void OnEnd(Direction dir, absl::Time ts) override;
  void OnClose(absl::Time ts) override;
  const char* service() const override { return "tls"; }

  // The tls.jsonl fields (what OnClose records).
  nlohmann::json RecordFields() const;
  const TlsDecryptorStats& stats() const { return stats_; }
  void AddTo(TlsTotals* totals) const;
  bool decrypted() const { return decrypted_; }
  Analyzer* downstream() const { return downstream_.get(); }

 private:
  struct DirState;
  struct Pending {
    uint8_t type;
    uint16_t version;
    std::string fragment;
    absl::Time ts;
  };
  enum class KeyPhase : uint8_t { kNone, kEarly, kHandshake, kApplication };

  DirState& D(Direction dir) { return *dirs_[Index(dir)]; }
  void HandleRecord(Direction dir, absl::Time ts, uint8_t type, uint16_t version,
                    absl::string_view fragment);
  bool DecryptRecord(Direction dir, absl::Time ts, uint8_t type, uint16_t version,
                     absl::string_view fragment, std::string* plain);
  // A 0-RTT record no key decrypts: its plaintext length becomes a gap downstream.
  void SkipEarlyData(Direction dir, absl::Time ts, absl::string_view fragment);
  void ForwardGap(Direction dir, absl::Time ts, uint64_t length);
  void Dispatch(Direction dir, absl::Time ts, uint8_t type, absl::string_view content);
  void OnHandshakeMessage(Direction dir, absl::Time ts, uint8_t type, absl::string_view body,
                          absl::string_view whole);
  void OnChangeCipherSpec(Direction dir);
  void OnClientHello(const ClientHello& ch);
  void OnServerHello(const ServerHello& sh);
  void DeliverPlaintext(Direction dir, absl::Time ts, absl::string_view plain);
  // Makes the next stage with what the handshake learned (ALPN, SNI, version).
  void MakeDownstream();

  // TLS <= 1.2: master secret and key block; false (with reason_) if not available.
  bool EstablishTls12Keys();
  // The master secret from the RSA key and/or a pre-shared key (RSA, PSK, RSA_PSK).
  absl::StatusOr<std::string> MasterFromKeys();
  absl::StatusOr<std::string> RsaPreMaster();
  // TLS 1.3: installs the cipher for `phase` in `dir`; false if the secret is missing.
  bool InstallTls13Keys(Direction dir, KeyPhase phase);
  bool InstallTls13Secret(Direction dir, const std::string& secret);
  void RetryWaiting();
  void Drain(Direction dir);
  void Stop(Direction dir, const std::string& why);
  void SetReason(const std::string& why);
  // The current handshake resumed a session (or not).
  void SetResumed(bool resumed);
  // Why nothing was decrypted when no step said so.
  std::string FallbackReason() const;
  const char* LabelPrefix() const;
  const DirState& D(Direction dir) const { return *dirs_[Index(dir)]; }

  ConnectionInfo conn_;
  AnalyzerOutput* output_;
  TlsDecryptorConfig config_;
  const RecordCipherFactory* factory_;
  NextStage downstream_factory_;
  std::unique_ptr<Analyzer> downstream_;
  bool downstream_made_ = false;
  bool downstream_done_ = false;

  std::unique_ptr<DirState> dirs_[2];
  bool is_tls_ = true;
  bool closed_ = false;
  absl::Time first_ts_ = absl::InfinitePast();

  // Handshake facts.
  ClientHello ch_;
  ServerHello sh_;
  bool have_ch_ = false, have_sh_ = false, hrr_ = false;
  const CipherSuite* suite_ = nullptr;
  uint16_t version_ = 0;
  bool tls13_ = false;
  bool server_hello_done_ = false, saw_certificate_ = false;
  struct HandshakeFacts {
    uint16_t version;
    uint16_t cipher_suite;
    bool resumed;
  };
  std::vector<HandshakeFacts> handshakes_;  // one per ServerHello (renegotiation adds more)
  bool early_data_accepted_ = false;
  std::string leaf_cert_;
  std::string encrypted_pms_;
  std::string psk_identity_;
  size_t ems_transcript_len_ = 0;  // transcript through ClientKeyExchange
  std::string pending_ticket_;
  std::string transcript_;
  bool transcript_overflow_ = false;
  std::string master_secret_;
  CipherParams next_params_[2];  // TLS <= 1.2: keys waiting for each direction's CCS
  bool keys_ready_ = false;
  std::string alpn_;

  uint64_t waiting_generation_ = 0;
  bool decrypted_ = false;
  std::string reason_;
  std::string last_alert_;
  Direction last_alert_from_ = Direction::kClientToServer;
  TlsDecryptorStats stats_;
};

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_TLS_DECRYPTOR_H_
