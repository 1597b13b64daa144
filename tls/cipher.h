// Record protection for one direction of one epoch: decrypts a record fragment and checks
// its MAC or AEAD tag (OpenSSL EVP only). Covers stream (RC4), CBC with HMAC (TLS 1.0 IV
// chaining, explicit IVs from TLS 1.1, MAC-then-encrypt or encrypt-then-MAC) and AEAD (GCM,
// CCM, CCM_8, ChaCha20-Poly1305; TLS 1.2 explicit or XORed nonces, TLS 1.3 nonces and AAD).
// Ciphers are made by a RecordCipherFactory so that tests and fuzzers can inject their own.
// SSL 3.0 records (its own MAC and padding) too; export-grade suites are not.
#ifndef TCPFOLLOW_TLS_CIPHER_H_
#define TCPFOLLOW_TLS_CIPHER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tls/cipher_suites.h"

namespace tcpfollow::tls {

struct TrafficKeys {
  std::string mac_key;  // empty for AEAD
  std::string key;
  std::string iv;  // CBC TLS 1.0: initial IV; AEAD: fixed/static IV
};

class RecordCipher {
 public:
  virtual ~RecordCipher() = default;
  // Decrypts `fragment` of a record with header (`type`, `version`) and sequence number `seq`
  // into *out (replaced). A MAC/tag/padding failure returns kDataLoss and leaves the cipher
  // able to try the next record (except stream ciphers, whose state moves on regardless).
  virtual absl::Status Decrypt(uint8_t type, uint16_t version, uint64_t seq,
                               absl::string_view fragment, std::string* out) = 0;
  // Whether a record can be decrypted without the previous one (resynchronisation after a
  // gap): false for stream ciphers and TLS 1.0 CBC.
  virtual bool Independent() const = 0;
};

struct CipherParams {
  const CipherSuite* suite = nullptr;
  uint16_t version = 0;  // negotiated version (0x0304 selects TLS 1.3 record rules)
  bool encrypt_then_mac = false;
  TrafficKeys keys;
};

class RecordCipherFactory {
 public:
  virtual ~RecordCipherFactory() = default;
  virtual absl::StatusOr<std::unique_ptr<RecordCipher>> Create(const CipherParams& p) const = 0;
};

// The OpenSSL implementation. Loads the legacy provider (with default) once, where present.
const RecordCipherFactory& OpenSslCipherFactory();

// Loads OpenSSL's default and legacy providers once (RC4, DES, SEED, RC2 for old suites
// and old PKCS#12 files).
void LoadOpenSslProviders();

// True if OpenSSL can run this suite's cipher here (legacy provider loaded where needed).
bool CipherAvailable(const CipherSuite& suite);

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_CIPHER_H_
