// TLS session decryption as a stream stage; see tls_decryptor.h. RFC 5246, RFC 8446,
// RFC 7627 (extended master secret), RFC 5077 (tickets), RFC 7366 (encrypt-then-MAC).
#include "tls/tls_decryptor.h"

#include <deque>

#include "reassembly/utf8.h"

#include "absl/strings/str_cat.h"
#include "tls/cipher_suites.h"
#include "absl/strings/escaping.h"
#include "tls/key_schedule.h"

namespace tcpfollow::tls {
namespace {

constexpr Direction kClient = Direction::kClientToServer;
constexpr Direction kServer = Direction::kServerToClient;

const char* KxName(KeyExchange kx) {
  switch (kx) {
    case KeyExchange::kDhe: return "DHE";
    case KeyExchange::kEcdhe: return "ECDHE";
    case KeyExchange::kEcdh: return "ECDH";
    case KeyExchange::kDh: return "DH";
    case KeyExchange::kPsk: return "PSK";
    case KeyExchange::kDhePsk: return "DHE_PSK";
    case KeyExchange::kRsaPsk: return "RSA_PSK";
    case KeyExchange::kEcdhePsk: return "ECDHE_PSK";
    default: return "RSA";
  }
}

bool IsPsk(KeyExchange kx) {
  return kx == KeyExchange::kPsk || kx == KeyExchange::kDhePsk || kx == KeyExchange::kRsaPsk ||
         kx == KeyExchange::kEcdhePsk;
}

// Where one record is decrypted to: a buffer kept by the thread and reused, so that sizing
// it for the next record neither allocates nor zero-fills 16 KiB again (the zero-filling
// was a quarter of the instructions of a decrypt-and-log run). A decryptor may run inside
// another's delivery (TLS in a decrypted tunnel), so the buffers are a stack. A record
// holds at most 2^14 + 2048 bytes, so each stays that small.
class PlainBuffer {
 public:
  PlainBuffer() {
    if (depth_ == stack_.size()) stack_.emplace_back();
    buf_ = &stack_[depth_++];
  }
  ~PlainBuffer() { --depth_; }
  PlainBuffer(const PlainBuffer&) = delete;
  PlainBuffer& operator=(const PlainBuffer&) = delete;
  std::string* get() { return buf_; }

 private:
  static thread_local std::deque<std::string> stack_;  // stable addresses as it grows
  static thread_local size_t depth_;
  std::string* buf_;
};
thread_local std::deque<std::string> PlainBuffer::stack_;
thread_local size_t PlainBuffer::depth_ = 0;

}  // namespace

bool LooksLikeTls(absl::string_view p) {
  if (p.size() >= 3 && (static_cast<uint8_t>(p[0]) & 0x80) && p[2] == 1) {
    uint8_t major = p.size() > 3 ? static_cast<uint8_t>(p[3]) : 3;
    return major == 3 || major == 0;  // SSLv2-framed ClientHello offering SSL 3 / TLS
  }
  if (p.size() < 3) return false;
  if (p[0] != kHandshake || p[1] != 3 || static_cast<uint8_t>(p[2]) > 4) return false;
  if (p.size() >= 5 && !PlausibleRecordHeader(p, 16384 + 2048)) return false;
  return p.size() < 6 || p[5] == kClientHello;
}

struct TlsDecryptor::DirState {
  DirState(const TlsDecryptorLimits& l, bool client)
      : reader(l.record, client), hs(l.handshake) {}
  TlsRecordReader reader;
  HandshakeAssembler hs;
  std::unique_ptr<RecordCipher> cipher;
  std::unique_ptr<RecordCipher> early_cipher;  // TLS 1.3 client 0-RTT
  bool early_mode = false;                     // records may be 0-RTT data
  uint64_t early_seq = 0;
  bool encrypted = false;  // records from now on are protected
  KeyPhase phase = KeyPhase::kNone;
  std::string secret;  // TLS 1.3 current traffic secret
  uint64_t seq = 0;
  bool waiting = false;  // protected, secret not known yet
  std::deque<Pending> pending;
  size_t pending_bytes = 0;
  bool dead = false;
  bool resyncing = false;
  bool rehunt = false;
  bool any_success = false;
  int consecutive_failures = 0;
  uint16_t record_version = 0;
  std::unique_ptr<RecordInflater> inflater;  // TLS compression in this epoch
  bool end_pending = false;  // OnEnd arrived while records waited for a secret
  absl::Time end_ts;
};

TlsDecryptor::TlsDecryptor(const ConnectionInfo& conn, AnalyzerOutput* output,
                           TlsDecryptorConfig config, NextStage downstream)
    : conn_(conn),
      output_(output),
      config_(config),
      factory_(config.cipher_factory ? config.cipher_factory : &OpenSslCipherFactory()),
      downstream_factory_(std::move(downstream)) {
  dirs_[0] = std::make_unique<DirState>(config_.limits, true);
  dirs_[1] = std::make_unique<DirState>(config_.limits, false);
  if (config_.secrets) waiting_generation_ = config_.secrets->generation();
}

TlsDecryptor::~TlsDecryptor() = default;

void TlsDecryptor::SetReason(const std::string& why) {
  if (reason_.empty()) reason_ = why;
}

void TlsDecryptor::Stop(Direction dir, const std::string& why) {
  DirState& d = D(dir);
  d.dead = true;
  d.pending.clear();
  d.pending_bytes = 0;
  d.cipher.reset();
  SetReason(why);
}

size_t TlsDecryptor::OnData(Direction dir, absl::Time ts, absl::string_view bytes) {
  if (first_ts_ == absl::InfinitePast()) first_ts_ = ts;
  RetryWaiting();
  DirState& d = D(dir);
  if (!is_tls_ || d.dead) return bytes.size();
  bool ok = d.reader.Feed(bytes, [&](const TlsRecord& r) {
    ++stats_.records[Index(dir)];
    HandleRecord(dir, ts, r.type, r.version, r.fragment);
  });
  if (d.rehunt) {
    d.rehunt = false;
    d.reader.OnGap();
  } else if (!ok && !d.dead) {
    if (stats_.records[0] + stats_.records[1] == 0) {
      is_tls_ = false;
      SetReason("not TLS: the stream does not start with a TLS record");
    }
    Stop(dir, "lost TLS record framing (a record header is invalid)");
  }
  return bytes.size();
}

void TlsDecryptor::OnGap(Direction dir, absl::Time ts, uint64_t length) {
  ++stats_.gaps;
  DirState& d = D(dir);
  if (d.encrypted) {
    ForwardGap(dir, ts, length);
  } else if (downstream_ && !downstream_done_) {
    downstream_->OnGap(dir, ts, length);
  }
  if (d.dead || !is_tls_) return;
  d.reader.SetResyncVersion(d.record_version);
  d.reader.OnGap();
  d.hs.Reset();
  if (!d.encrypted) return;
  if ((d.cipher && !d.cipher->Independent()) ||
      (suite_ && suite_->mode == CipherMode::kStream) ||
      (suite_ && suite_->mode == CipherMode::kCbc && version_ < 0x0302)) {
    Stop(dir, "bytes are missing from the capture in a stream-cipher or TLS 1.0 CBC session: "
              "records after the gap cannot be decrypted");
    return;
  }
  d.resyncing = true;
}

void TlsDecryptor::OnEnd(Direction dir, absl::Time ts) {
  DirState& d = D(dir);
  if (!d.pending.empty() && !d.dead) {
    d.end_pending = true;  // forwarded after the waiting records, or at close
    d.end_ts = ts;
    return;
  }
  if (downstream_ && !downstream_done_) downstream_->OnEnd(dir, ts);
}

void TlsDecryptor::OnClose(absl::Time ts) {
  if (closed_) return;
  closed_ = true;
  RetryWaiting();
  for (Direction dir : {kClient, kServer}) {
    DirState& d = D(dir);
    if (d.waiting && !d.pending.empty()) SetReason("the secret for this session never arrived");
  }
  for (Direction dir : {kClient, kServer}) {
    DirState& d = D(dir);
    if (d.end_pending && downstream_ && !downstream_done_) downstream_->OnEnd(dir, d.end_ts);
    d.end_pending = false;
  }
  if (downstream_) downstream_->OnClose(ts);
  const bool recorded = is_tls_ && (have_ch_ || stats_.records[1] > 0);
  if (output_ != nullptr && recorded) {
    output_->Record("tls", conn_, first_ts_ == absl::InfinitePast() ? ts : first_ts_,
                    RecordFields());
  }
  if (config_.totals != nullptr && recorded) AddTo(config_.totals);
}

void TlsDecryptor::AddTo(TlsTotals* t) const {
  ++t->sessions;
  if (decrypted_) {
    ++t->decrypted;
  } else if (t->not_decrypted.size() < TlsTotals::kMaxReasons ||
             t->not_decrypted.count(reason_) > 0) {
    ++t->not_decrypted[reason_.empty() ? std::string("no reason recorded") : reason_];
  }
  t->mac_failures += stats_.mac_failures;
  t->plaintext_bytes += stats_.plaintext_bytes[0] + stats_.plaintext_bytes[1];
  t->skipped_early_data += stats_.skipped_early_data;
  t->pending_overflow += stats_.pending_overflow;
  t->gaps += stats_.gaps;
  t->resyncs += stats_.resyncs;
  t->alerts += stats_.alerts;
  t->renegotiations += stats_.renegotiations;
  t->records += stats_.records[0] + stats_.records[1];
  t->decrypted_records += stats_.decrypted_records[0] + stats_.decrypted_records[1];
  t->early_data_missed_bytes += stats_.early_data_missed_bytes;
  t->plaintext_missed_bytes += stats_.plaintext_missed_bytes[0] + stats_.plaintext_missed_bytes[1];
  t->heartbeats += stats_.heartbeats;
  t->key_updates += stats_.key_updates;
}

void TlsDecryptor::HandleRecord(Direction dir, absl::Time ts, uint8_t type, uint16_t version,
                                absl::string_view fragment) {
  DirState& d = D(dir);
  if (d.dead || d.rehunt) return;
  if (type == kSslv2ClientHello) {
    if (dir != kClient) return;
    auto ch = ParseSslv2ClientHello(fragment);
    if (ch.ok()) {
      d.record_version = ch->version;
      OnClientHello(*ch);
    }
    return;
  }
  bool early_before_sh = dir == kClient && !d.encrypted && type == kApplicationData &&
                         have_ch_ && ch_.early_data && !have_sh_;
  if (!d.encrypted && !early_before_sh) {
    d.record_version = version;
    Dispatch(dir, ts, type, fragment);
    return;
  }
  if (tls13_ && type == kChangeCipherSpec) return;  // middlebox compatibility, plaintext
  if (early_before_sh || d.waiting || (!d.cipher && !d.early_mode)) {
    if (d.pending_bytes + fragment.size() > config_.limits.max_pending_bytes) {
      ++stats_.pending_overflow;
      Stop(dir, reason_.empty() ? "too much ciphertext buffered while waiting for a secret"
                                : reason_);
      return;
    }
    d.pending.push_back(Pending{type, version, std::string(fragment), ts});
    d.pending_bytes += fragment.size();
    return;
  }
  PlainBuffer buffer;
  const std::string& plain = *buffer.get();
  if (!DecryptRecord(dir, ts, type, version, fragment, buffer.get())) return;
  d.record_version = version;
  decrypted_ = true;
  ++stats_.decrypted_records[Index(dir)];
  uint8_t inner = type;
  absl::string_view content = plain;
  std::string inflated;
  if (d.inflater) {
    if (!d.inflater->Inflate(plain, &inflated).ok()) {
      Stop(dir, "a compressed record does not decompress");
      return;
    }
    content = inflated;
  }
  if (tls13_) {
    size_t end = content.size();
    while (end > 0 && content[end - 1] == 0) --end;
    if (end == 0) return;  // no content type: malformed inner plaintext
    inner = static_cast<uint8_t>(content[end - 1]);
    content = content.substr(0, end - 1);
  }
  Dispatch(dir, ts, inner, content);
}

void TlsDecryptor::SkipEarlyData(Direction dir, absl::Time ts, absl::string_view fragment) {
  // Inner plaintext: content, content type byte, padding (assumed none), then the tag.
  size_t overhead = 1 + (suite_ ? TagLength(suite_->mode) : 16);
  size_t length = fragment.size() > overhead ? fragment.size() - overhead : 0;
  // With 0-RTT accepted, the last early record is EndOfEarlyData (a 4-byte handshake
  // message), not application data.
  if (early_data_accepted_ && length == 4) return;
  if (length == 0) return;
  stats_.early_data_missed_bytes += length;
  ForwardGap(dir, ts, length);
}

void TlsDecryptor::ForwardGap(Direction dir, absl::Time ts, uint64_t length) {
  if (!downstream_made_) {
    downstream_made_ = true;  // plaintext will follow the gap: the parser must see it
    MakeDownstream();
  }
  stats_.plaintext_missed_bytes[Index(dir)] += length;
  if (downstream_ && !downstream_done_) downstream_->OnGap(dir, ts, length);
}

bool TlsDecryptor::DecryptRecord(Direction dir, absl::Time ts, uint8_t type, uint16_t version,
                                 absl::string_view fragment, std::string* plain) {
  DirState& d = D(dir);
  if (d.early_mode) {
    if (d.early_cipher &&
        d.early_cipher->Decrypt(type, version, d.early_seq, fragment, plain).ok()) {
      ++d.early_seq;
      return true;
    }
    if (d.cipher && d.cipher->Decrypt(type, version, d.seq, fragment, plain).ok()) {
      ++d.seq;
      d.early_mode = false;  // the server rejected 0-RTT, or it is over
      d.any_success = true;
      return true;
    }
    ++stats_.skipped_early_data;
    if (!d.early_cipher) SkipEarlyData(dir, ts, fragment);
    return false;
  }
  if (d.resyncing) {
    for (int k = 0; k < config_.limits.max_resync_records; ++k) {
      if (d.cipher->Decrypt(type, version, d.seq + k, fragment, plain).ok()) {
        d.seq += k + 1;
        d.resyncing = false;
        ++stats_.resyncs;
        return true;
      }
    }
    d.rehunt = true;  // a false header, or too many records lost: look further
    return false;
  }
  absl::Status s = d.cipher->Decrypt(type, version, d.seq, fragment, plain);
  ++d.seq;
  if (s.ok()) {
    d.any_success = true;
    d.consecutive_failures = 0;
    return true;
  }
  ++stats_.mac_failures;
  ++d.consecutive_failures;
  if (!d.any_success) {
    Stop(dir, "the first encrypted record fails its integrity check: the secret or key does "
              "not belong to this session");
  } else if (d.consecutive_failures >= config_.limits.max_consecutive_failures) {
    Stop(dir, "records keep failing their integrity check (corrupted capture?)");
  }
  return false;
}

void TlsDecryptor::Dispatch(Direction dir, absl::Time ts, uint8_t type,
                            absl::string_view content) {
  DirState& d = D(dir);
  switch (type) {
    case kChangeCipherSpec:
      if (!tls13_) OnChangeCipherSpec(dir);
      break;
    case kAlert:
      ++stats_.alerts;
      if (content.size() >= 2) {
        last_alert_ = absl::StrCat(static_cast<uint8_t>(content[0]) == 2 ? "fatal " : "",
                                   AlertName(static_cast<uint8_t>(content[1])));
        last_alert_from_ = dir;
      }
      break;
    case kHandshake:
      d.hs.Feed(content, [&](uint8_t t, absl::string_view body, absl::string_view whole) {
        OnHandshakeMessage(dir, ts, t, body, whole);
      });
      break;
    case kApplicationData:
      if (d.encrypted && !content.empty()) DeliverPlaintext(dir, ts, content);
      break;
    case kHeartbeat:
      ++stats_.heartbeats;
      break;
    default:
      break;
  }
}

void TlsDecryptor::MakeDownstream() {
  if (!downstream_factory_) return;
  StageFacts facts;
  facts.tls = true;
  facts.alpn = alpn_;
  facts.sni = ch_.server_name;
  if (version_ != 0) facts.tls_version = VersionName(version_);
  downstream_ = downstream_factory_(facts);
}

void TlsDecryptor::DeliverPlaintext(Direction dir, absl::Time ts, absl::string_view plain) {
  stats_.plaintext_bytes[Index(dir)] += plain.size();
  if (!downstream_made_) {
    downstream_made_ = true;
    MakeDownstream();
  }
  if (!downstream_ || downstream_done_) return;
  downstream_->OnData(dir, ts, plain);
  // The stage after TLS switches protocol itself (a CONNECT inside TLS is run by the
  // session layer's chain); a bare analyzer that asks for a switch gets no more bytes.
  if (downstream_->handed_off()) downstream_done_ = true;
}

void TlsDecryptor::OnHandshakeMessage(Direction dir, absl::Time ts, uint8_t type,
                                      absl::string_view body, absl::string_view whole) {
  if (type == kClientHello && dir == kClient && !hrr_) {
    transcript_.clear();
    transcript_overflow_ = false;
  }
  if (type != kHelloRequest && !keys_ready_ && !tls13_) {
    if (transcript_.size() + whole.size() > config_.limits.max_transcript_bytes) {
      transcript_overflow_ = true;
    } else {
      transcript_.append(whole.data(), whole.size());
    }
  }
  switch (type) {
    case kClientHello:
      if (dir == kClient) {
        auto ch = ParseClientHello(body);
        if (ch.ok()) OnClientHello(*ch);
      }
      break;
    case kServerHello:
      if (dir == kServer) {
        auto sh = ParseServerHello(body);
        if (sh.ok()) OnServerHello(*sh);
      }
      break;
    case kCertificate:
      if (dir == kServer) {
        auto certs = ParseCertificate(body, tls13_);
        if (certs.ok() && !certs->empty()) {
          leaf_cert_ = (*certs)[0];
          saw_certificate_ = true;
        }
      }
      break;
    case kServerHelloDone:
      server_hello_done_ = true;
      break;
    case kClientKeyExchange:
      if (dir == kClient && suite_ && IsPsk(suite_->kx)) {
        auto cke = ParsePskClientKeyExchange(body, suite_->kx);
        if (cke.ok()) {
          psk_identity_ = cke->identity;
          encrypted_pms_ = cke->encrypted_pre_master;
        }
        ems_transcript_len_ = transcript_.size();
      } else if (dir == kClient && suite_ && suite_->kx == KeyExchange::kRsa) {
        auto pms = ParseRsaClientKeyExchange(body, version_ == 0x0300);
        if (pms.ok()) encrypted_pms_ = *pms;
        ems_transcript_len_ = transcript_.size();
      }
      break;
    case kNewSessionTicket:
      if (dir == kServer && !tls13_) {
        auto ticket = ParseNewSessionTicket12(body);
        if (ticket.ok()) {
          pending_ticket_ = *ticket;
          if (config_.session_cache && !master_secret_.empty()) {
            config_.session_cache->StoreByTicket(pending_ticket_, master_secret_);
          }
        }
      }
      break;
    case kEncryptedExtensions:
      if (dir == kServer) {
        auto ee = ParseEncryptedExtensions(body);
        if (ee.ok()) {
          if (!ee->alpn.empty()) alpn_ = ee->alpn;
          early_data_accepted_ = ee->early_data;
        }
      }
      break;
    case kEndOfEarlyData:
      if (dir == kClient) {
        D(kClient).early_mode = false;
        D(kClient).early_cipher.reset();
      }
      break;
    case kFinished:
      if (tls13_) InstallTls13Keys(dir, KeyPhase::kApplication);
      break;
    case kKeyUpdate:
      if (tls13_ && suite_ && !D(dir).secret.empty()) {
        ++stats_.key_updates;
        std::string digest = suite_->prf;
        auto next = HkdfExpandLabel(digest, D(dir).secret, "traffic upd", "", DigestSize(digest),
                                    LabelPrefix());
        if (next.ok()) InstallTls13Secret(dir, *next);
      }
      break;
    default:
      break;
  }
}

void TlsDecryptor::OnClientHello(const ClientHello& ch) {
  if (have_sh_ && !hrr_) {
    ++stats_.renegotiations;
    keys_ready_ = false;
    server_hello_done_ = false;
    encrypted_pms_.clear();
  }
  hrr_ = false;
  have_sh_ = false;
  ch_ = ch;
  have_ch_ = true;
}

void TlsDecryptor::OnServerHello(const ServerHello& sh) {
  if (sh.hello_retry_request) {
    hrr_ = true;  // a second ClientHello follows; the client random stays
    return;
  }
  sh_ = sh;
  have_sh_ = true;
  version_ = sh.version;
  tls13_ = IsTls13(version_);
  suite_ = FindCipherSuite(sh.cipher_suite);
  if (!sh.alpn.empty()) alpn_ = sh.alpn;
  // A renegotiation flood keeps the first handshakes and the latest.
  if (handshakes_.size() >= config_.limits.max_handshakes_listed && !handshakes_.empty()) {
    handshakes_.pop_back();
  }
  handshakes_.push_back({version_, sh.cipher_suite, false});
  if (suite_ == nullptr) {
    SetReason(absl::StrCat("cipher suite ", CipherSuiteName(sh.cipher_suite),
                           " is not supported"));
  }
  if (!tls13_) return;
  SetResumed(sh.pre_shared_key);
  if (suite_ == nullptr) {
    Stop(kClient, reason_);
    Stop(kServer, reason_);
    return;
  }
  DirState& s = D(kServer);
  s.encrypted = true;
  InstallTls13Keys(kServer, KeyPhase::kHandshake);
  DirState& c = D(kClient);
  c.encrypted = true;
  if (ch_.early_data) {
    c.early_mode = true;
    InstallTls13Keys(kClient, KeyPhase::kEarly);
  }
  InstallTls13Keys(kClient, KeyPhase::kHandshake);
  Drain(kClient);
}

void TlsDecryptor::OnChangeCipherSpec(Direction dir) {
  // Before a ServerHello (after a HelloRetryRequest, TLS 1.3 middlebox compatibility) a
  // ChangeCipherSpec changes nothing.
  if (!have_sh_ || hrr_) return;
  DirState& d = D(dir);
  if (dir == kServer && !server_hello_done_ && have_sh_) SetResumed(true);
  d.encrypted = true;
  d.seq = 0;
  d.cipher.reset();
  d.any_success = false;
  d.inflater.reset();
  if (sh_.compression == 1) d.inflater = std::make_unique<RecordInflater>();
  if (!keys_ready_) EstablishTls12Keys();
  if (!keys_ready_) {
    d.waiting = true;
    return;
  }
  auto cipher = factory_->Create(next_params_[Index(dir)]);
  if (!cipher.ok()) {
    Stop(dir, std::string(cipher.status().message()));
    return;
  }
  d.cipher = std::move(*cipher);
  d.waiting = false;
}

absl::StatusOr<std::string> TlsDecryptor::RsaPreMaster() {
  if (config_.rsa_keys == nullptr || config_.rsa_keys->size() == 0) {
    return absl::NotFoundError(suite_->kx == KeyExchange::kRsaPsk
                                   ? "no key log entry for this client random and no RSA key given "
                                     "(RSA_PSK needs the RSA key and the PSK)"
                                   : "no key log entry for this client random and no RSA key given");
  }
  if (encrypted_pms_.empty()) {
    return absl::NotFoundError("the RSA-encrypted pre-master secret (ClientKeyExchange) was not seen");
  }
  std::string why;
  EVP_PKEY* key = config_.rsa_keys->FindKey(conn_.server, leaf_cert_, &why);
  if (key == nullptr) return absl::NotFoundError(why);
  return RsaKeyStore::DecryptPreMaster(key, encrypted_pms_, ch_.version, version_);
}

absl::StatusOr<std::string> TlsDecryptor::MasterFromKeys() {
  std::string pms;
  if (suite_->kx == KeyExchange::kRsa) {
    auto rsa = RsaPreMaster();
    if (!rsa.ok()) return rsa.status();
    pms = std::move(*rsa);
  } else {
    // PSK, RSA_PSK (RFC 4279 2 and 4).
    if (config_.psks == nullptr || config_.psks->size() == 0) {
      return absl::NotFoundError(absl::StrCat("no key log entry for this client random and no "
                                              "pre-shared key given (--psk) for this ",
                                              KxName(suite_->kx), " session"));
    }
    std::optional<std::string> psk = config_.psks->Find(psk_identity_);
    if (!psk) {
      return absl::NotFoundError(absl::StrCat("no --psk for the PSK identity \"",
                                              absl::CHexEscape(psk_identity_), "\""));
    }
    std::string other(psk->size(), '\0');
    if (suite_->kx == KeyExchange::kRsaPsk) {
      auto rsa = RsaPreMaster();
      if (!rsa.ok()) return rsa.status();
      other = std::move(*rsa);
    }
    pms = PskPreMasterSecret(other, *psk);
  }
  if (version_ == 0x0300) return Ssl3Derive(pms, ch_.random + sh_.random, 48);
  std::string prf = PrfDigest(version_, suite_->prf);
  if (sh_.extended_master_secret) {
    if (transcript_overflow_) {
      return absl::ResourceExhaustedError("handshake too large to compute the extended master secret");
    }
    auto hash = Digest(prf, transcript_.substr(0, ems_transcript_len_));
    if (!hash.ok()) return hash.status();
    return Tls1Prf(prf, pms, "extended master secret", *hash, 48);
  }
  return Tls1Prf(prf, pms, "master secret", ch_.random + sh_.random, 48);
}

bool TlsDecryptor::EstablishTls12Keys() {
  if (suite_ == nullptr) {
    SetReason("the cipher suite is unknown or the ServerHello was not seen");
    return false;
  }
  if (version_ < 0x0300) {
    SetReason(absl::StrCat(VersionName(version_), " decryption is not supported"));
    return false;
  }
  const bool resumed = !handshakes_.empty() && handshakes_.back().resumed;
  std::optional<std::string> master;
  if (config_.secrets) master = config_.secrets->Find(SecretLabel::kClientRandom, ch_.random);
  if (!master && resumed && config_.session_cache) {
    master = config_.session_cache->FindByTicket(ch_.session_ticket);
    if (!master) master = config_.session_cache->FindBySessionId(sh_.session_id);
  }
  if (!master && !resumed &&
      (suite_->kx == KeyExchange::kRsa || suite_->kx == KeyExchange::kPsk ||
       suite_->kx == KeyExchange::kRsaPsk)) {
    auto m = MasterFromKeys();
    if (!m.ok()) {
      SetReason(std::string(m.status().message()));
      return false;
    }
    master = *m;
  }
  if (!master) {
    if (resumed) {
      SetReason("resumed session whose full handshake was not decrypted in this run, and no "
                "key log entry for this client random");
    } else if (IsPsk(suite_->kx) && config_.psks && config_.psks->size() > 0) {
      SetReason(absl::StrCat("no key log entry for this client random; a pre-shared key alone "
                             "cannot decrypt ", KxName(suite_->kx), " key exchange (the "
                             "Diffie-Hellman secret is needed)"));
    } else if (config_.rsa_keys && config_.rsa_keys->size() > 0) {
      SetReason(absl::StrCat("no key log entry for this client random; an RSA key cannot "
                             "decrypt a session with ", KxName(suite_->kx), " key exchange (forward secrecy)"));
    } else {
      SetReason("no key log entry for this client random");
    }
    return false;
  }
  std::string prf = PrfDigest(version_, suite_->prf);
  size_t mac_len = suite_->mac ? DigestSize(suite_->mac) : 0;
  size_t key_len = suite_->key_len, iv_len = suite_->iv_len;
  size_t block_len = 2 * (mac_len + key_len + iv_len);
  auto block = version_ == 0x0300
                   ? Ssl3Derive(*master, sh_.random + ch_.random, block_len)
                   : Tls1Prf(prf, *master, "key expansion", sh_.random + ch_.random, block_len);
  if (!block.ok()) {
    SetReason(std::string(block.status().message()));
    return false;
  }
  absl::string_view kb = *block;
  size_t off = 0;
  auto take = [&](size_t n) {
    std::string out(kb.substr(off, n));
    off += n;
    return out;
  };
  TrafficKeys keys[2];
  keys[0].mac_key = take(mac_len);
  keys[1].mac_key = take(mac_len);
  keys[0].key = take(key_len);
  keys[1].key = take(key_len);
  keys[0].iv = take(iv_len);
  keys[1].iv = take(iv_len);
  for (int i = 0; i < 2; ++i) {
    next_params_[i].suite = suite_;
    next_params_[i].version = version_;
    next_params_[i].encrypt_then_mac = sh_.encrypt_then_mac && suite_->mode == CipherMode::kCbc;
    next_params_[i].keys = std::move(keys[i]);
  }
  master_secret_ = *master;
  keys_ready_ = true;
  if (config_.session_cache) {
    config_.session_cache->StoreBySessionId(sh_.session_id, master_secret_);
    config_.session_cache->StoreByTicket(pending_ticket_, master_secret_);
  }
  return true;
}

const char* TlsDecryptor::LabelPrefix() const {
  int draft = Tls13Draft(version_);
  return draft != 0 && draft < 20 ? "TLS 1.3, " : "tls13 ";
}

void TlsDecryptor::SetResumed(bool resumed) {
  if (!handshakes_.empty()) handshakes_.back().resumed = resumed;
}

std::string TlsDecryptor::FallbackReason() const {
  std::string alert;
  if (!last_alert_.empty()) {
    alert = absl::StrCat(" (the ", last_alert_from_ == kClient ? "client" : "server",
                         " sent alert ", last_alert_, ")");
  }
  if (!have_ch_ && !have_sh_) {
    return "no ClientHello or ServerHello seen: the capture starts after the handshake";
  }
  if (!have_sh_) {
    if (stats_.records[1] == 0) return absl::StrCat("the server never answered the ClientHello", alert);
    return absl::StrCat("the handshake ended before a ServerHello", alert);
  }
  if (!D(kClient).encrypted && !D(kServer).encrypted) {
    return absl::StrCat("the handshake ended before any record was encrypted", alert);
  }
  return absl::StrCat("no encrypted record was seen to decrypt", alert);
}

bool TlsDecryptor::InstallTls13Keys(Direction dir, KeyPhase phase) {
  DirState& d = D(dir);
  bool client = dir == kClient;
  SecretLabel label =
      phase == KeyPhase::kEarly ? SecretLabel::kClientEarlyTraffic
      : phase == KeyPhase::kHandshake
          ? (client ? SecretLabel::kClientHandshakeTraffic : SecretLabel::kServerHandshakeTraffic)
          : (client ? SecretLabel::kClientTraffic0 : SecretLabel::kServerTraffic0);
  std::optional<std::string> secret;
  if (config_.secrets) secret = config_.secrets->Find(label, ch_.random);
  if (phase == KeyPhase::kEarly) {
    if (!secret) return false;
    std::string digest = suite_->prf;
    auto key = HkdfExpandLabel(digest, *secret, "key", "", suite_->key_len, LabelPrefix());
    auto iv = HkdfExpandLabel(digest, *secret, "iv", "", 12, LabelPrefix());
    if (!key.ok() || !iv.ok()) return false;
    auto c = factory_->Create(CipherParams{suite_, version_, false, {"", *key, *iv}});
    if (c.ok()) d.early_cipher = std::move(*c);
    d.early_seq = 0;
    return c.ok();
  }
  d.phase = phase;
  if (!secret) {
    d.waiting = true;
    d.cipher.reset();
    SetReason(absl::StrCat("no key log entry (", SecretLabelName(label),
                           ") for this client random; TLS 1.3 sessions need a key log"));
    return false;
  }
  return InstallTls13Secret(dir, *secret);
}

bool TlsDecryptor::InstallTls13Secret(Direction dir, const std::string& secret) {
  DirState& d = D(dir);
  std::string digest = suite_->prf;
  auto key = HkdfExpandLabel(digest, secret, "key", "", suite_->key_len, LabelPrefix());
  auto iv = HkdfExpandLabel(digest, secret, "iv", "", 12, LabelPrefix());
  if (!key.ok() || !iv.ok()) {
    Stop(dir, "TLS 1.3 key derivation failed");
    return false;
  }
  auto c = factory_->Create(CipherParams{suite_, version_, false, {"", *key, *iv}});
  if (!c.ok()) {
    Stop(dir, std::string(c.status().message()));
    return false;
  }
  d.cipher = std::move(*c);
  d.secret = secret;
  d.seq = 0;
  d.waiting = false;
  d.any_success = false;
  d.consecutive_failures = 0;
  return true;
}

void TlsDecryptor::RetryWaiting() {
  if (config_.secrets == nullptr) return;
  if (!D(kClient).waiting && !D(kServer).waiting) return;
  uint64_t gen = config_.secrets->generation();
  if (gen == waiting_generation_) return;
  waiting_generation_ = gen;
  for (Direction dir : {kServer, kClient}) {
    DirState& d = D(dir);
    if (!d.waiting || d.dead) continue;
    if (tls13_) {
      if (d.early_mode && !d.early_cipher) InstallTls13Keys(dir, KeyPhase::kEarly);
      InstallTls13Keys(dir, d.phase);
    } else {
      if (!keys_ready_ && !EstablishTls12Keys()) continue;
      reason_.clear();
      auto cipher = factory_->Create(next_params_[Index(dir)]);
      if (!cipher.ok()) {
        Stop(dir, std::string(cipher.status().message()));
        continue;
      }
      d.cipher = std::move(*cipher);
      d.waiting = false;
    }
    if (!d.waiting) {
      if (!D(kClient).waiting && !D(kServer).waiting) reason_.clear();
      Drain(dir);
    }
  }
}

void TlsDecryptor::Drain(Direction dir) {
  DirState& d = D(dir);
  std::deque<Pending> queue;
  queue.swap(d.pending);
  d.pending_bytes = 0;
  for (Pending& p : queue) HandleRecord(dir, p.ts, p.type, p.version, p.fragment);
  if (d.end_pending && d.pending.empty()) {
    d.end_pending = false;
    if (downstream_ && !downstream_done_) downstream_->OnEnd(dir, d.end_ts);
  }
}

nlohmann::json TlsDecryptor::RecordFields() const {
  nlohmann::json j;
  uint16_t version = have_sh_ ? version_ : (have_ch_ ? ch_.version : 0);
  if (version) j["version"] = VersionName(version);
  if (have_sh_) j["cipher"] = CipherSuiteName(sh_.cipher_suite);
  // Wire bytes (a fuzzed SNI held 0xF5): made valid UTF-8 as every log's text is.
  if (!ch_.server_name.empty()) j["server_name"] = ToValidUtf8(ch_.server_name);
  if (!alpn_.empty()) j["alpn"] = ToValidUtf8(alpn_);
  j["resumed"] = !handshakes_.empty() && handshakes_.front().resumed;
  if (handshakes_.size() > 1) {
    // A renegotiated connection: each handshake as it was.
    nlohmann::json list = nlohmann::json::array();
    for (const HandshakeFacts& h : handshakes_) {
      list.push_back({{"version", VersionName(h.version)},
                      {"cipher", CipherSuiteName(h.cipher_suite)},
                      {"resumed", h.resumed}});
    }
    j["handshakes"] = std::move(list);
  }
  j["decrypted"] = decrypted_;
  if (!decrypted_) {
    // Every undecrypted session says why, naming its suite.
    std::string why = reason_.empty() ? FallbackReason() : reason_;
    if (have_sh_) {
      std::string suite = CipherSuiteName(sh_.cipher_suite);
      if (why.find(suite) == std::string::npos) absl::StrAppend(&why, " [", suite, "]");
    }
    j["reason"] = why;
  } else if (!reason_.empty()) {
    j["reason"] = reason_;
  }
  if (!leaf_cert_.empty()) {
    auto info = DescribeCertificate(leaf_cert_);
    if (info.ok()) {
      j["subject"] = ToValidUtf8(info->subject);
      j["issuer"] = ToValidUtf8(info->issuer);
      j["cert_sha256"] = info->sha256;
    }
  }
  if (!last_alert_.empty()) j["last_alert"] = last_alert_;
  j["client_plain_bytes"] = stats_.plaintext_bytes[0];
  j["server_plain_bytes"] = stats_.plaintext_bytes[1];
  if (stats_.mac_failures) j["mac_failures"] = stats_.mac_failures;
  if (stats_.key_updates) j["key_updates"] = stats_.key_updates;
  if (stats_.renegotiations) j["renegotiations"] = stats_.renegotiations;
  if (have_ch_ && ch_.early_data) j["early_data"] = early_data_accepted_;
  if (stats_.skipped_early_data) {
    // 0-RTT records no key decrypts (no CLIENT_EARLY_TRAFFIC_SECRET): a gap in the client's
    // plaintext; what follows is decrypted as usual.
    j["early_data_skipped_records"] = stats_.skipped_early_data;
    j["early_data_missed_bytes"] = stats_.early_data_missed_bytes;
  }
  if (stats_.plaintext_missed_bytes[0]) j["client_plain_missed_bytes"] = stats_.plaintext_missed_bytes[0];
  if (stats_.plaintext_missed_bytes[1]) j["server_plain_missed_bytes"] = stats_.plaintext_missed_bytes[1];
  if (have_sh_ && sh_.compression == 1) j["compression"] = "deflate";
  return j;
}

}  // namespace tcpfollow::tls
