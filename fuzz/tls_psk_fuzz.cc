// Fuzzes the TLS decryptor's pre-shared key path: no key log, a --psk key for any identity
// and one for "tcpfollow", through the injected check-byte cipher, so fuzzed PSK and
// RSA_PSK ClientKeyExchange messages reach the RFC 4279 pre-master construction, the
// master secret and key block, and the records after. Input as tls_decrypt_fuzz:
// [dir][len][bytes] records; dir bit 0 = server, bit 1 = gap first, bit 2 = end.
#include "fuzz/fuzz_input.h"
#include "tls/psk.h"
#include "tls/testing/recording_analyzer.h"
#include "tls/testing/test_cipher.h"
#include "tls/tls_decryptor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  static tls::testing::CheckByteCipherFactory factory;
  static tls::PskStore* psks = [] {
    auto* s = new tls::PskStore();
    s->Add("tcpfollow:a1b2c3d4e5f60718293a4b5c6d7e8f90").ok();
    s->Add("0102030405060708").ok();
    return s;
  }();
  tls::TlsDecryptorConfig config;
  config.psks = psks;
  config.cipher_factory = &factory;
  config.limits.max_pending_bytes = 2048;
  config.limits.max_transcript_bytes = 2048;
  config.limits.handshake.max_message_length = 4096;
  config.limits.record.max_record_length = 2048;
  tls::testing::MemoryOutput output;
  tls::TlsDecryptor dec(ConnectionInfo{}, &output, config, [](const StageFacts&) {
    return std::make_unique<tls::testing::RecordingAnalyzer>();
  });
  FuzzInput in(data, size);
  uint8_t dir;
  const uint8_t* bytes;
  size_t len;
  while (in.Next(&dir, &bytes, &len)) {
    Direction d = (dir & 1) ? Direction::kServerToClient : Direction::kClientToServer;
    if (dir & 2) dec.OnGap(d, absl::UnixEpoch(), len + 1);
    dec.OnData(d, absl::UnixEpoch(), absl::string_view(reinterpret_cast<const char*>(bytes), len));
    if (dir & 4) dec.OnEnd(d, absl::UnixEpoch());
  }
  dec.OnClose(absl::UnixEpoch());
  return 0;
}
