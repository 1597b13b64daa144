// The table of TLS cipher suites this package knows: for each IANA code point its name, key
// exchange, record protection (OpenSSL EVP cipher name, key and IV sizes, MAC digest) and PRF
// digest. It describes suites; it does not decide whether OpenSSL can run them (see cipher.h).
#ifndef TCPFOLLOW_TLS_CIPHER_SUITES_H_
#define TCPFOLLOW_TLS_CIPHER_SUITES_H_

#include <cstdint>
#include <string>

namespace tcpfollow::tls {

enum class KeyExchange : uint8_t {
  kRsa, kDhe, kEcdhe, kEcdh, kDh, kTls13,
  kPsk, kDhePsk, kRsaPsk, kEcdhePsk,  // RFC 4279, 5487, 5489
};
enum class CipherMode : uint8_t { kStream, kCbc, kGcm, kCcm, kCcm8, kChaCha20Poly1305 };

struct CipherSuite {
  uint16_t id;
  const char* name;
  KeyExchange kx;
  CipherMode mode;
  const char* evp_cipher;  // OpenSSL cipher name, e.g. "AES-128-GCM"
  int key_len;
  int iv_len;       // CBC: block size; AEAD: fixed IV (TLS 1.2 GCM/CCM: 4, otherwise 12)
  const char* mac;  // HMAC digest for stream/CBC suites, nullptr for AEAD
  const char* prf;  // TLS 1.2 PRF / TLS 1.3 HKDF digest
  bool export_grade;
  bool legacy_provider;  // needs OpenSSL's legacy provider (RC4, DES, IDEA, SEED, RC2)
};

// nullptr when the suite is unknown.
const CipherSuite* FindCipherSuite(uint16_t id);
// The IANA name ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), also for suites this package
// cannot decrypt; "0xc0ff" only for code points with no name known here.
std::string CipherSuiteName(uint16_t id);
// "TLS 1.2", "SSL 3.0", "TLS 1.3 (draft 23)", or "0x0305".
std::string VersionName(uint16_t version);
// The draft number of a TLS 1.3 draft version (0x7F12-0x7F1C: drafts 18-28), else 0.
int Tls13Draft(uint16_t version);
// TLS 1.3 or one of its drafts.
bool IsTls13(uint16_t version);
// "close_notify", "handshake_failure" (RFC 8446 6, RFC 5246 7.2), or "alert_N".
std::string AlertName(uint8_t description);

bool IsAead(CipherMode mode);
int TagLength(CipherMode mode);  // AEAD tag length, 0 otherwise

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_CIPHER_SUITES_H_
