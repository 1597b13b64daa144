// What the TLS decryptor harnesses (tls_decrypt_fuzz, tls_psk_fuzz) share: the decryptor
// configuration that reaches past decryption without real keys (the injected check-byte
// cipher of tls/testing/test_cipher.h) with limits small enough that the caps are hit, and
// the drive of one TlsDecryptor, plaintext into a RecordingAnalyzer, over an input of
// [dir][len][bytes] records (fuzz_input.h): dir bit 0 = server, bit 1 = a gap of len + 1
// bytes first, bit 2 = end of that direction after the bytes. Where the secrets come from
// (a key log store, --psk keys, a session cache) is each harness's own.
#ifndef TCPFOLLOW_FUZZ_TLS_DECRYPT_DRIVER_H_
#define TCPFOLLOW_FUZZ_TLS_DECRYPT_DRIVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "fuzz/fuzz_input.h"
#include "tls/testing/recording_analyzer.h"
#include "tls/testing/test_cipher.h"
#include "tls/tls_decryptor.h"

namespace tcpfollow::fuzzing {

// The check-byte cipher and small limits; no secrets yet.
inline tls::TlsDecryptorConfig CheckByteDecryptorConfig() {
  tls::TlsDecryptorConfig config = tls::testing::CheckByteConfig(nullptr);
  config.limits.max_pending_bytes = 2048;
  config.limits.max_transcript_bytes = 2048;
  config.limits.handshake.max_message_length = 4096;
  config.limits.record.max_record_length = 2048;
  return config;
}

// Feeds the input's records to a TlsDecryptor made with `config`, then closes it.
inline void DriveTlsDecryptor(const tls::TlsDecryptorConfig& config, const uint8_t* data,
                              size_t size) {
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
}

}  // namespace tcpfollow::fuzzing

#endif  // TCPFOLLOW_FUZZ_TLS_DECRYPT_DRIVER_H_
