// Fuzzes SSL 3.0 record protection with the real OpenSSL ciphers: the first byte picks a
// suite (AES-128-CBC-SHA, RC4-128-MD5, RC4-128-SHA, 3DES-EDE-CBC-SHA), keys come from
// Ssl3Derive over the next 48 bytes (so the SSL 3.0 key derivation runs too), and every
// following [dir][len][bytes] record is decrypted in its direction: the SSL 3.0 MAC, the
// lax CBC padding check and IV chaining. Invariants: a record that verifies is shorter
// than its fragment; nothing crashes on short, unaligned or garbage fragments.
#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "tls/cipher.h"
#include "tls/cipher_suites.h"
#include "tls/key_schedule.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow::tls;
  if (size < 49) return 0;
  static const uint16_t kSuites[] = {0x002F, 0x0004, 0x0005, 0x000A};
  const CipherSuite* suite = FindCipherSuite(kSuites[data[0] % 4]);
  if (suite == nullptr) abort();
  std::string secret(reinterpret_cast<const char*>(data) + 1, 48);
  size_t mac_len = DigestSize(suite->mac);
  auto block = Ssl3Derive(secret, std::string(64, '\x01'),
                          2 * (mac_len + suite->key_len + suite->iv_len));
  if (!block.ok()) abort();
  std::unique_ptr<RecordCipher> ciphers[2];
  size_t off = 0;
  auto take = [&](size_t n) {
    std::string s = block->substr(off, n);
    off += n;
    return s;
  };
  TrafficKeys keys[2];
  keys[0].mac_key = take(mac_len);
  keys[1].mac_key = take(mac_len);
  keys[0].key = take(suite->key_len);
  keys[1].key = take(suite->key_len);
  keys[0].iv = take(suite->iv_len);
  keys[1].iv = take(suite->iv_len);
  for (int i = 0; i < 2; ++i) {
    auto c = OpenSslCipherFactory().Create(CipherParams{suite, 0x0300, false, keys[i]});
    if (!c.ok()) return 0;  // the legacy provider is missing: RC4 cannot run here
    ciphers[i] = std::move(*c);
  }
  tcpfollow::FuzzInput in(data + 49, size - 49);
  uint8_t dir;
  const uint8_t* bytes;
  size_t len;
  uint64_t seq[2] = {0, 0};
  std::string out;
  while (in.Next(&dir, &bytes, &len)) {
    int d = dir & 1;
    absl::string_view fragment(reinterpret_cast<const char*>(bytes), len);
    if (ciphers[d]->Decrypt(dir >> 1 & 3 ? 23 : 22, 0x0300, seq[d]++, fragment, &out).ok() &&
        out.size() >= fragment.size()) {
      abort();
    }
  }
  return 0;
}
