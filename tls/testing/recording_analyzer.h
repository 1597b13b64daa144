// Test doubles: an Analyzer that records the plaintext it is given and an in-memory
// AnalyzerOutput. The driver that feeds a captured connection through a TlsDecryptor with
// them is decryptor_run.h.
#ifndef TCPFOLLOW_TLS_TESTING_RECORDING_ANALYZER_H_
#define TCPFOLLOW_TLS_TESTING_RECORDING_ANALYZER_H_

#include <memory>
#include <string>
#include <vector>

#include "reassembly/analyzer.h"

namespace tcpfollow::tls::testing {

class RecordingAnalyzer : public Analyzer {
 public:
  size_t OnData(Direction dir, absl::Time, absl::string_view bytes) override {
    data[Index(dir)].append(bytes.data(), bytes.size());
    log += (dir == Direction::kClientToServer ? "C" : "S") + std::to_string(bytes.size()) + " ";
    return bytes.size();
  }
  void OnGap(Direction dir, absl::Time, uint64_t length) override {
    ++gaps[Index(dir)];
    log += "gap" + std::to_string(length) + " ";
  }
  void OnEnd(Direction dir, absl::Time) override { ended[Index(dir)] = true; }
  void OnClose(absl::Time) override { closed = true; }
  const char* service() const override { return "recording"; }

  std::string data[2];
  int gaps[2] = {0, 0};
  bool ended[2] = {false, false};
  bool closed = false;
  std::string log;
};

class MemoryOutput : public AnalyzerOutput {
 public:
  void Record(absl::string_view log, const ConnectionInfo&, absl::Time,
              nlohmann::json fields) override {
    records.push_back({std::string(log), std::move(fields)});
  }
  std::unique_ptr<ObjectWriter> BeginObject(const ConnectionInfo&, const ObjectMeta&) override {
    return nullptr;
  }
  void ExpectConnection(const IpAddress&, const Endpoint&, absl::Time, absl::Duration,
                        AnalyzerFactory) override {}
  std::vector<std::pair<std::string, nlohmann::json>> records;
};

}  // namespace tcpfollow::tls::testing

#endif  // TCPFOLLOW_TLS_TESTING_RECORDING_ANALYZER_H_
