// OpenSSL record ciphers; see cipher.h. RFC 5246 6.2.3, RFC 7366 (encrypt-then-MAC),
// RFC 5288/6655 (GCM/CCM nonces), RFC 7905 (ChaCha20 nonces), RFC 8446 5.2-5.3.
#include "tls/cipher.h"

#include <cstdlib>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

#include <mutex>

#include "absl/strings/str_cat.h"

namespace tcpfollow::tls {
namespace {

OSSL_PROVIDER* g_default_provider = nullptr;
OSSL_PROVIDER* g_legacy_provider = nullptr;

void UnloadProviders() {
  if (g_legacy_provider != nullptr) OSSL_PROVIDER_unload(g_legacy_provider);
  if (g_default_provider != nullptr) OSSL_PROVIDER_unload(g_default_provider);
  g_legacy_provider = g_default_provider = nullptr;
}

void LoadProvidersOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Loading any provider explicitly stops the implicit default; load both. They are
    // unloaded at exit (before OpenSSL's own cleanup, which was registered earlier), so
    // that leak checkers see nothing of the legacy module left behind.
    g_default_provider = OSSL_PROVIDER_load(nullptr, "default");
    g_legacy_provider = OSSL_PROVIDER_load(nullptr, "legacy");
    std::atexit(UnloadProviders);
  });
}

const unsigned char* U(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* U(std::string* s) { return reinterpret_cast<unsigned char*>(s->data()); }

void PutU64(uint64_t v, unsigned char* p) {
  for (int i = 7; i >= 0; --i) p[7 - i] = static_cast<unsigned char>(v >> (8 * i));
}

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
  void operator()(EVP_CIPHER* c) const { EVP_CIPHER_free(c); }
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
  void operator()(EVP_MD* m) const { EVP_MD_free(m); }
};

absl::Status BadRecord(absl::string_view why) { return absl::DataLossError(why); }

// HMAC over the TLS MAC input: seq || type || version || length || data. SSL 3.0
// (RFC 6101 5.2.3.1): hash(key + pad_2 + hash(key + pad_1 + seq || type || length || data)),
// pads of 0x36 / 0x5c, 48 bytes for MD5 and 40 for SHA-1.
class RecordMac {
 public:
  absl::Status Init(const char* digest, absl::string_view key, bool ssl3 = false) {
    if (ssl3) {
      ssl3_ = true;
      md_.reset(EVP_MD_fetch(nullptr, digest, nullptr));
      if (!md_) return absl::UnavailableError(absl::StrCat(digest, " unavailable"));
      ssl3_key_ = std::string(key);
      size_ = EVP_MD_get_size(md_.get());
      pad_len_ = size_ == 16 ? 48 : 40;
      return absl::OkStatus();
    }
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (mac == nullptr) return absl::UnavailableError("OpenSSL has no HMAC");
    ctx_.reset(EVP_MAC_CTX_new(mac));
    EVP_MAC_free(mac);
    digest_ = digest;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_.data(), 0),
        OSSL_PARAM_construct_end()};
    if (!ctx_ || EVP_MAC_init(ctx_.get(), U(key), key.size(), params) != 1) {
      return absl::UnavailableError(absl::StrCat("HMAC-", digest, " unavailable"));
    }
    size_ = EVP_MAC_CTX_get_mac_size(ctx_.get());
    return absl::OkStatus();
  }
  size_t size() const { return size_; }
  bool Verify(uint64_t seq, uint8_t type, uint16_t version, absl::string_view data,
              absl::string_view expected) {
    if (ssl3_) return VerifySsl3(seq, type, data, expected);
    unsigned char header[13];
    PutU64(seq, header);
    header[8] = type;
    header[9] = version >> 8;
    header[10] = version & 0xff;
    header[11] = data.size() >> 8;
    header[12] = data.size() & 0xff;
    unsigned char out[EVP_MAX_MD_SIZE];
    size_t out_len = 0;
    if (EVP_MAC_init(ctx_.get(), nullptr, 0, nullptr) != 1 ||
        EVP_MAC_update(ctx_.get(), header, sizeof(header)) != 1 ||
        EVP_MAC_update(ctx_.get(), U(data), data.size()) != 1 ||
        EVP_MAC_final(ctx_.get(), out, &out_len, sizeof(out)) != 1) {
      return false;
    }
    return out_len == expected.size() && CRYPTO_memcmp(out, expected.data(), out_len) == 0;
  }

 private:
  bool VerifySsl3(uint64_t seq, uint8_t type, absl::string_view data, absl::string_view expected) {
    unsigned char header[11];
    PutU64(seq, header);
    header[8] = type;
    header[9] = data.size() >> 8;
    header[10] = data.size() & 0xff;
    std::string pad1(pad_len_, '\x36'), pad2(pad_len_, '\x5c');
    unsigned char inner[EVP_MAX_MD_SIZE], outer[EVP_MAX_MD_SIZE];
    unsigned int inner_len = 0, outer_len = 0;
    EVP_MD_CTX* c = EVP_MD_CTX_new();
    bool ok = c != nullptr && EVP_DigestInit_ex(c, md_.get(), nullptr) == 1 &&
              EVP_DigestUpdate(c, ssl3_key_.data(), ssl3_key_.size()) == 1 &&
              EVP_DigestUpdate(c, pad1.data(), pad1.size()) == 1 &&
              EVP_DigestUpdate(c, header, sizeof(header)) == 1 &&
              EVP_DigestUpdate(c, data.data(), data.size()) == 1 &&
              EVP_DigestFinal_ex(c, inner, &inner_len) == 1 &&
              EVP_DigestInit_ex(c, md_.get(), nullptr) == 1 &&
              EVP_DigestUpdate(c, ssl3_key_.data(), ssl3_key_.size()) == 1 &&
              EVP_DigestUpdate(c, pad2.data(), pad2.size()) == 1 &&
              EVP_DigestUpdate(c, inner, inner_len) == 1 &&
              EVP_DigestFinal_ex(c, outer, &outer_len) == 1;
    EVP_MD_CTX_free(c);
    return ok && outer_len == expected.size() &&
           CRYPTO_memcmp(outer, expected.data(), outer_len) == 0;
  }

  bool ssl3_ = false;
  std::unique_ptr<EVP_MD, CtxDeleter> md_;
  std::string ssl3_key_;
  size_t pad_len_ = 0;
  std::unique_ptr<EVP_MAC_CTX, CtxDeleter> ctx_;
  std::string digest_;
  size_t size_ = 0;
};

absl::StatusOr<std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>> NewCtx(const char* name) {
  LoadProvidersOnce();
  std::unique_ptr<EVP_CIPHER, CtxDeleter> cipher(EVP_CIPHER_fetch(nullptr, name, nullptr));
  if (!cipher) return absl::UnavailableError(absl::StrCat("OpenSSL cannot run ", name));
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_DecryptInit_ex2(ctx.get(), cipher.get(), nullptr, nullptr, nullptr) != 1) {
    return absl::UnavailableError(absl::StrCat("cannot initialise ", name));
  }
  return ctx;
}

// A context for the suite's cipher with the record key set (RC4 and CBC; the key length
// is set first because RC4 and some legacy ciphers take variable-length keys).
absl::StatusOr<std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>> NewKeyedCtx(const CipherParams& p) {
  auto ctx = NewCtx(p.suite->evp_cipher);
  if (!ctx.ok()) return ctx.status();
  EVP_CIPHER_CTX_set_key_length(ctx->get(), p.keys.key.size());
  if (EVP_DecryptInit_ex2(ctx->get(), nullptr, U(p.keys.key), nullptr, nullptr) != 1) {
    return absl::InternalError(absl::StrCat(p.suite->evp_cipher, " key setup failed"));
  }
  return ctx;
}

class StreamCipher : public RecordCipher {
 public:
  absl::Status Init(const CipherParams& p) {
    auto ctx = NewKeyedCtx(p);
    if (!ctx.ok()) return ctx.status();
    ctx_ = std::move(*ctx);
    return mac_.Init(p.suite->mac, p.keys.mac_key, p.version == 0x0300);
  }
  absl::Status Decrypt(uint8_t type, uint16_t version, uint64_t seq, absl::string_view fragment,
                       std::string* out) override {
    out->resize(fragment.size());
    int len = 0;
    if (EVP_DecryptUpdate(ctx_.get(), U(out), &len, U(fragment), fragment.size()) != 1) {
      return BadRecord("stream cipher failed");
    }
    if (fragment.size() < mac_.size()) return BadRecord("record shorter than its MAC");
    size_t content = fragment.size() - mac_.size();
    absl::string_view plain(*out);
    if (!mac_.Verify(seq, type, version, plain.substr(0, content), plain.substr(content))) {
      return BadRecord("bad record MAC");
    }
    out->resize(content);
    return absl::OkStatus();
  }
  bool Independent() const override { return false; }

 private:
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctx_;
  RecordMac mac_;
};

class CbcCipher : public RecordCipher {
 public:
  absl::Status Init(const CipherParams& p) {
    auto ctx = NewKeyedCtx(p);
    if (!ctx.ok()) return ctx.status();
    ctx_ = std::move(*ctx);
    EVP_CIPHER_CTX_set_padding(ctx_.get(), 0);
    block_ = EVP_CIPHER_CTX_get_block_size(ctx_.get());
    explicit_iv_ = p.version >= 0x0302;
    etm_ = p.encrypt_then_mac;
    chain_iv_ = p.keys.iv;
    ssl3_ = p.version == 0x0300;
    return mac_.Init(p.suite->mac, p.keys.mac_key, ssl3_);
  }

  absl::Status Decrypt(uint8_t type, uint16_t version, uint64_t seq, absl::string_view fragment,
                       std::string* out) override {
    absl::string_view body = fragment;
    absl::string_view mac;
    if (etm_) {
      if (body.size() < mac_.size()) return BadRecord("record shorter than its MAC");
      mac = body.substr(body.size() - mac_.size());
      body.remove_suffix(mac_.size());
      if (!mac_.Verify(seq, type, version, body, mac)) return BadRecord("bad record MAC");
    }
    absl::string_view iv = chain_iv_;
    if (explicit_iv_) {
      if (body.size() < block_) return BadRecord("record shorter than its IV");
      iv = body.substr(0, block_);
      body.remove_prefix(block_);
    }
    if (body.empty() || body.size() % block_ != 0) return BadRecord("bad CBC record length");
    out->resize(body.size());
    int len = 0;
    if (EVP_DecryptInit_ex2(ctx_.get(), nullptr, nullptr, U(iv), nullptr) != 1 ||
        EVP_DecryptUpdate(ctx_.get(), U(out), &len, U(body), body.size()) != 1) {
      return BadRecord("CBC decryption failed");
    }
    size_t pad = static_cast<uint8_t>(out->back());
    size_t need = pad + 1 + (etm_ ? 0 : mac_.size());
    if (need > out->size()) return BadRecord("bad CBC padding");
    if (ssl3_) {
      // SSL 3.0 padding bytes are arbitrary; only its length is checked (under a block).
      if (pad >= block_) return BadRecord("bad CBC padding");
    } else {
      for (size_t i = out->size() - pad - 1; i < out->size(); ++i) {
        if (static_cast<uint8_t>((*out)[i]) != pad) return BadRecord("bad CBC padding");
      }
    }
    size_t content = out->size() - need;
    if (!etm_) {
      absl::string_view plain(*out);
      if (!mac_.Verify(seq, type, version, plain.substr(0, content),
                       plain.substr(content, mac_.size()))) {
        return BadRecord("bad record MAC");
      }
    }
    if (!explicit_iv_) chain_iv_ = std::string(body.substr(body.size() - block_));
    out->resize(content);
    return absl::OkStatus();
  }
  bool Independent() const override { return explicit_iv_; }

 private:
  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctx_;
  RecordMac mac_;
  size_t block_ = 16;
  bool explicit_iv_ = true;
  bool etm_ = false;
  bool ssl3_ = false;
  std::string chain_iv_;
};

class AeadCipher : public RecordCipher {
 public:
  absl::Status Init(const CipherParams& p) {
    auto ctx = NewCtx(p.suite->evp_cipher);
    if (!ctx.ok()) return ctx.status();
    ctx_ = std::move(*ctx);
    mode_ = p.suite->mode;
    tls13_ = IsTls13(p.version);
    // TLS 1.3 drafts before 25 authenticated no additional data.
    tls13_aad_ = Tls13Draft(p.version) == 0 || Tls13Draft(p.version) >= 25;
    tag_len_ = TagLength(mode_);
    key_ = p.keys.key;
    iv_ = p.keys.iv;
    // TLS 1.2 GCM/CCM: 4-byte fixed IV plus an 8-byte explicit nonce in each record.
    explicit_nonce_ = !tls13_ && mode_ != CipherMode::kChaCha20Poly1305;
    if (EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) != 1) {
      return absl::InternalError("cannot set AEAD IV length");
    }
    if (IsCcm() &&
        EVP_CIPHER_CTX_ctrl(ctx_.get(), EVP_CTRL_AEAD_SET_TAG, tag_len_, nullptr) != 1) {
      return absl::InternalError("cannot set CCM tag length");
    }
    if (!IsCcm() && EVP_DecryptInit_ex2(ctx_.get(), nullptr, U(key_), nullptr, nullptr) != 1) {
      return absl::InternalError("AEAD key setup failed");
    }
    if ((explicit_nonce_ && iv_.size() != 4) || (!explicit_nonce_ && iv_.size() != 12)) {
      return absl::InvalidArgumentError("bad AEAD IV length");
    }
    return absl::OkStatus();
  }

  absl::Status Decrypt(uint8_t type, uint16_t version, uint64_t seq, absl::string_view fragment,
                       std::string* out) override {
    unsigned char nonce[12];
    absl::string_view body = fragment;
    if (explicit_nonce_) {
      if (body.size() < 8) return BadRecord("record shorter than its nonce");
      std::memcpy(nonce, iv_.data(), 4);
      std::memcpy(nonce + 4, body.data(), 8);
      body.remove_prefix(8);
    } else {
      std::memcpy(nonce, iv_.data(), 12);
      unsigned char s[8];
      PutU64(seq, s);
      for (int i = 0; i < 8; ++i) nonce[4 + i] ^= s[i];
    }
    if (body.size() < tag_len_) return BadRecord("record shorter than its tag");
    absl::string_view tag = body.substr(body.size() - tag_len_);
    body.remove_suffix(tag_len_);
    unsigned char aad[13];
    size_t aad_len;
    if (tls13_ && !tls13_aad_) {
      aad_len = 0;
    } else if (tls13_) {
      aad[0] = type;
      aad[1] = version >> 8;
      aad[2] = version & 0xff;
      aad[3] = fragment.size() >> 8;
      aad[4] = fragment.size() & 0xff;
      aad_len = 5;
    } else {
      PutU64(seq, aad);
      aad[8] = type;
      aad[9] = version >> 8;
      aad[10] = version & 0xff;
      aad[11] = body.size() >> 8;
      aad[12] = body.size() & 0xff;
      aad_len = 13;
    }
    out->resize(body.size());
    EVP_CIPHER_CTX* c = ctx_.get();
    int len = 0;
    if (IsCcm()) {
      if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, tag_len_,
                              const_cast<char*>(tag.data())) != 1 ||
          EVP_DecryptInit_ex2(c, nullptr, U(key_), nonce, nullptr) != 1 ||
          EVP_DecryptUpdate(c, nullptr, &len, nullptr, body.size()) != 1 ||
          EVP_DecryptUpdate(c, nullptr, &len, aad, aad_len) != 1) {
        return BadRecord("CCM setup failed");
      }
      if (EVP_DecryptUpdate(c, U(out), &len, U(body), body.size()) != 1) {
        return BadRecord("bad record tag");
      }
      return absl::OkStatus();
    }
    if (EVP_DecryptInit_ex2(c, nullptr, nullptr, nonce, nullptr) != 1 ||
        EVP_DecryptUpdate(c, nullptr, &len, aad, aad_len) != 1 ||
        EVP_DecryptUpdate(c, U(out), &len, U(body), body.size()) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, tag_len_,
                            const_cast<char*>(tag.data())) != 1) {
      return BadRecord("AEAD decryption failed");
    }
    int final_len = 0;
    if (EVP_DecryptFinal_ex(c, U(out) + len, &final_len) != 1) {
      return BadRecord("bad record tag");
    }
    return absl::OkStatus();
  }
  bool Independent() const override { return true; }

 private:
  bool IsCcm() const { return mode_ == CipherMode::kCcm || mode_ == CipherMode::kCcm8; }

  std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter> ctx_;
  CipherMode mode_ = CipherMode::kGcm;
  bool tls13_ = false;
  bool tls13_aad_ = true;
  bool explicit_nonce_ = false;
  size_t tag_len_ = 16;
  std::string key_, iv_;
};

class OpenSslFactory : public RecordCipherFactory {
 public:
  absl::StatusOr<std::unique_ptr<RecordCipher>> Create(const CipherParams& p) const override {
    if (p.suite == nullptr) return absl::InvalidArgumentError("no cipher suite");
    if (p.suite->export_grade) {
      return absl::UnimplementedError("export-grade cipher suites are not supported");
    }
    absl::Status s;
    switch (p.suite->mode) {
      case CipherMode::kStream: {
        auto c = std::make_unique<StreamCipher>();
        s = c->Init(p);
        if (s.ok()) return std::unique_ptr<RecordCipher>(std::move(c));
        break;
      }
      case CipherMode::kCbc: {
        auto c = std::make_unique<CbcCipher>();
        s = c->Init(p);
        if (s.ok()) return std::unique_ptr<RecordCipher>(std::move(c));
        break;
      }
      default: {
        auto c = std::make_unique<AeadCipher>();
        s = c->Init(p);
        if (s.ok()) return std::unique_ptr<RecordCipher>(std::move(c));
        break;
      }
    }
    return s;
  }
};

}  // namespace

void LoadOpenSslProviders() { LoadProvidersOnce(); }

const RecordCipherFactory& OpenSslCipherFactory() {
  static const OpenSslFactory* factory = new OpenSslFactory();
  return *factory;
}

bool CipherAvailable(const CipherSuite& suite) {
  LoadProvidersOnce();
  EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, suite.evp_cipher, nullptr);
  EVP_CIPHER_free(c);
  return c != nullptr;
}

}  // namespace tcpfollow::tls
