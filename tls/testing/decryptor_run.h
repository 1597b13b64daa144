// A TlsDecryptor as the TLS tests drive it: DecryptorRun makes one whose tls.jsonl record
// goes to a MemoryOutput and whose plaintext goes to a RecordingAnalyzer (made when the
// first plaintext is ready, so `rec` stays null while nothing is decrypted), and feeds it a
// captured connection (testing/pcap_streams.h) chunk by chunk. DecryptConnection runs one
// connection to its close and keeps what the tests check: the record, the plaintext each
// way, the stats. Asserts nothing itself: the tests do.
#ifndef TCPFOLLOW_TLS_TESTING_DECRYPTOR_RUN_H_
#define TCPFOLLOW_TLS_TESTING_DECRYPTOR_RUN_H_

#include <memory>
#include <string>

#include "testing/pcap_streams.h"
#include "tls/testing/recording_analyzer.h"
#include "tls/tls_decryptor.h"

namespace tcpfollow::tls::testing {

struct DecryptorRun {
  explicit DecryptorRun(TlsDecryptorConfig config, const ConnectionInfo& conn = ConnectionInfo{})
      : dec(conn, &output, config, [this](const StageFacts&) {
          auto a = std::make_unique<RecordingAnalyzer>();
          rec = a.get();
          return a;
        }) {}
  // Every chunk of the connection in delivery order, each at its packet time.
  void Feed(const tcpfollow::testing::CapturedConnection& c) {
    for (const auto& e : c.chunks) dec.OnData(static_cast<Direction>(e.dir), e.ts, e.bytes);
  }
  // The plaintext of direction `d` (Index(Direction)); empty if nothing was decrypted.
  std::string plain(int d) const { return rec ? rec->data[d] : std::string(); }

  MemoryOutput output;
  RecordingAnalyzer* rec = nullptr;
  TlsDecryptor dec;
};

struct DecryptOutcome {
  size_t records = 0;     // tls.jsonl records written: one per connection
  nlohmann::json fields;  // the first one's
  std::string plain[2];
  TlsDecryptorStats stats;
};

inline DecryptOutcome DecryptConnection(const tcpfollow::testing::CapturedConnection& c,
                                        TlsDecryptorConfig config) {
  DecryptorRun run(config, c.info);
  run.Feed(c);
  run.dec.OnClose(absl::UnixEpoch());
  DecryptOutcome o;
  o.records = run.output.records.size();
  if (o.records > 0) o.fields = run.output.records[0].second;
  o.plain[0] = run.plain(0);
  o.plain[1] = run.plain(1);
  o.stats = run.dec.stats();
  return o;
}

}  // namespace tcpfollow::tls::testing

#endif  // TCPFOLLOW_TLS_TESTING_DECRYPTOR_RUN_H_
