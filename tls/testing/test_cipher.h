// Test and fuzz doubles for the decryption path: a RecordCipherFactory whose "cipher" is the
// identity plus a one-byte check (sum of bytes + sequence number), a SecretSource that knows a
// secret for every client random, and builders for synthetic handshake records. They let
// tests and fuzzers reach everything after decryption without real keys (DESIGN.md: an
// injected test cipher, not #ifdef).
#ifndef TCPFOLLOW_TLS_TESTING_TEST_CIPHER_H_
#define TCPFOLLOW_TLS_TESTING_TEST_CIPHER_H_

#include <memory>
#include <string>

#include "tls/cipher.h"
#include "tls/keylog.h"
#include "tls/tls_decryptor.h"

namespace tcpfollow::tls::testing {

inline uint8_t CheckByte(absl::string_view plain, uint64_t seq) {
  uint8_t sum = static_cast<uint8_t>(seq);
  for (char c : plain) sum += static_cast<uint8_t>(c);
  return sum;
}

class CheckByteCipher : public RecordCipher {
 public:
  absl::Status Decrypt(uint8_t, uint16_t, uint64_t seq, absl::string_view fragment,
                       std::string* out) override {
    if (fragment.empty()) return absl::DataLossError("empty");
    absl::string_view plain = fragment.substr(0, fragment.size() - 1);
    if (static_cast<uint8_t>(fragment.back()) != CheckByte(plain, seq)) {
      return absl::DataLossError("bad check byte");
    }
    out->assign(plain.data(), plain.size());
    return absl::OkStatus();
  }
  bool Independent() const override { return true; }
};

class CheckByteCipherFactory : public RecordCipherFactory {
 public:
  absl::StatusOr<std::unique_ptr<RecordCipher>> Create(const CipherParams&) const override {
    return std::unique_ptr<RecordCipher>(new CheckByteCipher());
  }
};

// "Encrypts" a record fragment for CheckByteCipher.
inline std::string Protect(absl::string_view plain, uint64_t seq) {
  return std::string(plain) + static_cast<char>(CheckByte(plain, seq));
}

// A decryptor configuration whose records go through CheckByteCipher, with `secrets` as
// its key log (null: none); limits at their defaults.
inline TlsDecryptorConfig CheckByteConfig(const SecretSource* secrets) {
  static CheckByteCipherFactory factory;
  TlsDecryptorConfig config;
  config.secrets = secrets;
  config.cipher_factory = &factory;
  return config;
}

class EverySecret : public SecretSource {
 public:
  std::optional<std::string> Find(SecretLabel label, absl::string_view) const override {
    return std::string(label == SecretLabel::kClientRandom ? 48 : 32, '\x42');
  }
  uint64_t generation() const override { return 1; }
};

inline std::string RecordBytes(uint8_t type, uint16_t version, absl::string_view body) {
  std::string r{static_cast<char>(type), static_cast<char>(version >> 8),
                static_cast<char>(version & 0xff), static_cast<char>(body.size() >> 8),
                static_cast<char>(body.size() & 0xff)};
  return r + std::string(body);
}

inline std::string HandshakeMessage(uint8_t type, absl::string_view body) {
  std::string m{static_cast<char>(type), static_cast<char>(body.size() >> 16),
                static_cast<char>(body.size() >> 8), static_cast<char>(body.size())};
  return m + std::string(body);
}

// ClientHello body: TLS 1.2, random 0x11..., one suite, SNI "example.test".
inline std::string ClientHelloBody(uint16_t suite) {
  std::string b = "\x03\x03" + std::string(32, '\x11') + std::string("\x00\x00\x02", 3);
  b += static_cast<char>(suite >> 8);
  b += static_cast<char>(suite & 0xff);
  b += std::string("\x01\x00", 2);
  std::string name = "example.test";
  std::string sni = std::string("\x00\x00", 2) + static_cast<char>(0) +
                    static_cast<char>(name.size() + 5) + static_cast<char>(0) +
                    static_cast<char>(name.size() + 3) + static_cast<char>(0) +
                    static_cast<char>(0) + static_cast<char>(name.size()) + name;
  b += static_cast<char>(0);
  b += static_cast<char>(sni.size());
  return b + sni;
}

inline std::string ServerHelloBody(uint16_t suite) {
  std::string b = "\x03\x03" + std::string(32, '\x22') + std::string("\x00", 1);
  b += static_cast<char>(suite >> 8);
  b += static_cast<char>(suite & 0xff);
  b += std::string("\x00", 1);
  return b;
}

}  // namespace tcpfollow::tls::testing

#endif  // TCPFOLLOW_TLS_TESTING_TEST_CIPHER_H_
