// Fuzzes the TLS decryptor end to end through an injected check-byte cipher and a secret
// source that knows every client random, so that fuzzed records reach the code after
// decryption (handshake after CCS, TLS 1.3 inner types, KeyUpdate, alerts, plaintext
// forwarding). Input: [dir][len][bytes] records; dir bit 0 = server, bit 1 = gap first,
// bit 2 = end of direction. Small limits so that the caps are hit (tls_decrypt_driver.h).
#include "fuzz/tls_decrypt_driver.h"
#include "tls/testing/test_cipher.h"
#include "tls/tls_decryptor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  static tls::testing::EverySecret secrets;
  tls::TlsSessionCache cache;
  tls::TlsDecryptorConfig config = fuzzing::CheckByteDecryptorConfig();
  config.secrets = &secrets;
  config.session_cache = &cache;
  fuzzing::DriveTlsDecryptor(config, data, size);
  return 0;
}
