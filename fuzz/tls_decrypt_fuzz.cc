// Fuzzes the TLS decryptor end to end through an injected check-byte cipher and a secret
// source that knows every client random, so that fuzzed records reach the code after
// decryption (handshake after CCS, TLS 1.3 inner types, KeyUpdate, alerts, plaintext
// forwarding). Input: [dir][len][bytes] records; dir bit 0 = server, bit 1 = gap first,
// bit 2 = end of direction. Small limits so that the caps are hit.
#include "fuzz/fuzz_input.h"
#include "tls/testing/recording_analyzer.h"
#include "tls/testing/test_cipher.h"
#include "tls/tls_decryptor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  static tls::testing::EverySecret secrets;
  static tls::testing::CheckByteCipherFactory factory;
  tls::TlsSessionCache cache;
  tls::TlsDecryptorConfig config;
  config.secrets = &secrets;
  config.cipher_factory = &factory;
  config.session_cache = &cache;
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
