// Fuzzes the TLS decryptor's pre-shared key path: no key log, a --psk key for any identity
// and one for "tcpfollow", through the injected check-byte cipher, so fuzzed PSK and
// RSA_PSK ClientKeyExchange messages reach the RFC 4279 pre-master construction, the
// master secret and key block, and the records after. Input as tls_decrypt_fuzz:
// [dir][len][bytes] records; dir bit 0 = server, bit 1 = gap first, bit 2 = end.
#include "fuzz/tls_decrypt_driver.h"
#include "tls/psk.h"
#include "tls/tls_decryptor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  static tls::PskStore* psks = [] {
    auto* s = new tls::PskStore();
    s->Add("tcpfollow:a1b2c3d4e5f60718293a4b5c6d7e8f90").ok();
    s->Add("0102030405060708").ok();
    return s;
  }();
  tls::TlsDecryptorConfig config = fuzzing::CheckByteDecryptorConfig();
  config.psks = psks;
  fuzzing::DriveTlsDecryptor(config, data, size);
  return 0;
}
