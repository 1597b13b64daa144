// What the analyzer throughput benchmarks (protocols/http:http_benchmark,
// protocols/http2:http2_benchmark) share: CountingOutput, an AnalyzerOutput that counts
// record fields and copies every object write into one reused buffer (what writing a file
// costs in user space at least, without the I/O), and the synthetic bodies they feed.
// Test-only: nothing is kept, hashed or checked; for figures, not for assertions.
#ifndef TCPFOLLOW_TESTING_BENCH_OUTPUT_H_
#define TCPFOLLOW_TESTING_BENCH_OUTPUT_H_

#include <cstddef>
#include <memory>
#include <string>

#include "reassembly/analyzer.h"

namespace tcpfollow::testing {

class CountingOutput : public AnalyzerOutput {
 public:
  void Record(absl::string_view log, const ConnectionInfo& conn, absl::Time ts,
              nlohmann::json fields) override;
  std::unique_ptr<ObjectWriter> BeginObject(const ConnectionInfo& conn,
                                            const ObjectMeta& meta) override;
  void ExpectConnection(const IpAddress&, const Endpoint&, absl::Time, absl::Duration,
                        AnalyzerFactory) override {}

  // Fields of all the records written so far.
  size_t record_fields = 0;

 private:
  std::string scratch_;
};

// `size` bytes of lowercase letters in a fixed pattern that gzip barely shrinks.
std::string PatternBody(size_t size);

// Text-like bytes (words of a small vocabulary and numbers from a seeded generator),
// about 3:1 under gzip; at least `size` bytes (the same bytes on every call).
std::string WordText(size_t size);

}  // namespace tcpfollow::testing

#endif  // TCPFOLLOW_TESTING_BENCH_OUTPUT_H_
