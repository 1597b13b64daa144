// Measures record decryption throughput per core: TLS 1.3 / TLS 1.2 AES-128-GCM, AES-256-GCM
// and ChaCha20-Poly1305 on full 16 KiB records, through the same RecordCipher the decryptor
// uses (tag checked). Build with --config=opt:  bazel run --config=opt //tls:cipher_benchmark
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "tls/cipher.h"
#include "tls/cipher_suites.h"
#include "tls/key_schedule.h"
#include "tls/keylog.h"
#include "tls/tls_decryptor.h"
#include "absl/strings/escaping.h"

namespace tcpfollow::tls {
namespace {

// Encrypts one TLS 1.3 record (AAD = header, nonce = iv ^ seq) so that decryption succeeds.
std::string Seal13(const CipherSuite& s, const std::string& key, const std::string& iv,
                   const std::string& plain, uint64_t seq) {
  EVP_CIPHER* c = EVP_CIPHER_fetch(nullptr, s.evp_cipher, nullptr);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  unsigned char nonce[12];
  std::memcpy(nonce, iv.data(), 12);
  for (int i = 0; i < 8; ++i) nonce[4 + i] ^= static_cast<unsigned char>(seq >> (56 - 8 * i));
  size_t len = plain.size() + 16;
  unsigned char aad[5] = {23, 3, 3, static_cast<unsigned char>(len >> 8),
                          static_cast<unsigned char>(len)};
  std::string out(len, '\0');
  int n = 0;
  EVP_EncryptInit_ex2(ctx, c, reinterpret_cast<const unsigned char*>(key.data()), nonce, nullptr);
  EVP_EncryptUpdate(ctx, nullptr, &n, aad, 5);
  EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(out.data()), &n,
                    reinterpret_cast<const unsigned char*>(plain.data()), plain.size());
  EVP_EncryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()) + n, &n);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out.data() + plain.size());
  EVP_CIPHER_CTX_free(ctx);
  EVP_CIPHER_free(c);
  return out;
}

void Bench(uint16_t id) {
  const CipherSuite* s = FindCipherSuite(id);
  CipherParams p{s, 0x0304, false, {"", std::string(s->key_len, '\x01'), std::string(12, '\x02')}};
  auto cipher = OpenSslCipherFactory().Create(p);
  if (!cipher.ok()) {
    std::printf("%s: %s\n", s->name, std::string(cipher.status().message()).c_str());
    return;
  }
  constexpr int kRecords = 64;
  std::string plain(16384, 'p');
  std::string records[kRecords];
  for (int i = 0; i < kRecords; ++i) records[i] = Seal13(*s, p.keys.key, p.keys.iv, plain, i);
  std::string out;
  out.reserve(16384 + 64);
  uint64_t bytes = 0;
  int failures = 0;
  auto start = std::chrono::steady_clock::now();
  double secs = 0;
  uint64_t round = 0;
  do {
    // Sequence numbers must match; re-create nothing, just decrypt the same 64 records.
    for (int i = 0; i < kRecords; ++i) {
      if (!(*cipher)->Decrypt(23, 0x0303, i, records[i], &out).ok()) ++failures;
      bytes += out.size();
    }
    ++round;
    secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (secs < 2.0);
  std::printf("%-32s %7.2f GB/s  (%llu rounds, %d tag failures)\n", s->name, bytes / secs / 1e9,
              static_cast<unsigned long long>(round), failures);
}

class CountingAnalyzer : public Analyzer {
 public:
  size_t OnData(Direction, absl::Time, absl::string_view b) override {
    bytes += b.size();
    return b.size();
  }
  void OnGap(Direction, absl::Time, uint64_t) override {}
  void OnEnd(Direction, absl::Time) override {}
  void OnClose(absl::Time) override {}
  const char* service() const override { return "count"; }
  uint64_t bytes = 0;
};

std::string Hs(uint8_t type, const std::string& body) {
  return std::string{static_cast<char>(type), 0, static_cast<char>(body.size() >> 8),
                     static_cast<char>(body.size())} + body;
}
std::string Rec(uint8_t type, const std::string& body) {
  return std::string{static_cast<char>(type), 3, 3, static_cast<char>(body.size() >> 8),
                     static_cast<char>(body.size())} + body;
}

// The whole decryptor (record framing, decryption, forwarding) on a TLS 1.3 AES-128-GCM
// server stream fed in 64 KiB chunks.
void BenchDecryptor() {
  const CipherSuite* s = FindCipherSuite(0x1301);
  std::string random(32, '\x11'), secret(32, '\x33');
  KeyLogStore keys;
  keys.AddKeyLogText("SERVER_HANDSHAKE_TRAFFIC_SECRET " + absl::BytesToHexString(random) + " " +
                     absl::BytesToHexString(secret) + "\n");
  std::string key = *HkdfExpandLabel("SHA256", secret, "key", "", 16);
  std::string iv = *HkdfExpandLabel("SHA256", secret, "iv", "", 12);
  std::string ch = "\x03\x03" + random + std::string("\x00\x00\x02\x13\x01\x01\x00\x00\x00", 9);
  std::string sh = "\x03\x03" + std::string(32, '\x22') +
                   std::string("\x00\x13\x01\x00\x00\x06\x00\x2b\x00\x02\x03\x04", 12);
  std::string stream;
  std::string plain(16383, 'p');
  plain.push_back(23);  // inner content type
  for (int i = 0; i < 4096; ++i) stream += Rec(23, Seal13(*s, key, iv, plain, i));
  TlsDecryptorConfig config;
  config.secrets = &keys;
  CountingAnalyzer* sink = nullptr;
  TlsDecryptor dec(ConnectionInfo{}, nullptr, config, [&sink](const StageFacts&) {
    auto a = std::make_unique<CountingAnalyzer>();
    sink = a.get();
    return a;
  });
  dec.OnData(Direction::kClientToServer, absl::UnixEpoch(), Rec(22, Hs(1, ch)));
  dec.OnData(Direction::kServerToClient, absl::UnixEpoch(), Rec(22, Hs(2, sh)));
  auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < stream.size(); i += 65536) {
    dec.OnData(Direction::kServerToClient, absl::UnixEpoch(),
               absl::string_view(stream).substr(i, 65536));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t got = sink ? sink->bytes : 0;
  std::printf("%-32s %7.2f GB/s  (%.0f MiB plaintext, %llu MAC failures)\n",
              "TlsDecryptor TLS1.3 AES-128-GCM", got / secs / 1e9, got / 1048576.0,
              static_cast<unsigned long long>(dec.stats().mac_failures));
}

}  // namespace
}  // namespace tcpfollow::tls

int main() {
  for (uint16_t id : {0x1301, 0x1302, 0x1303}) tcpfollow::tls::Bench(id);
  tcpfollow::tls::BenchDecryptor();
  return 0;
}
