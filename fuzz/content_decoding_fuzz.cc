// libFuzzer harness for ContentDecoder. The first two bytes pick up to three stacked
// codings (three bits each, modulo 5: identity, gzip, deflate, br, lzma); the rest is
// split into write calls by
// fuzz/fuzz_input.h records. Small limits. Invariants: output never exceeds
// max_output_bytes nor max(grace, ratio * input); nothing is delivered after limited()
// or after an error.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "protocols/content/content_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  if (size < 2) return 0;
  std::vector<ContentCoding> codings;
  const unsigned selector = data[0] | (data[1] << 8);
  for (int i = 0; i < 3; ++i) {
    int c = ((selector >> (3 * i)) & 7) % 5;
    if (c != 0) codings.push_back(static_cast<ContentCoding>(c));
  }
  ContentLimits limits;
  limits.max_output_bytes = 1 << 16;
  limits.max_ratio = 50;
  limits.ratio_grace_bytes = 1024;
  uint64_t out = 0;
  bool closed = false;
  ContentDecoder d(codings, limits, [&](absl::string_view b) {
    if (closed) std::abort();
    out += b.size();
  });
  FuzzInput in(data + 2, size - 2);
  uint8_t unused;
  const uint8_t* bytes;
  size_t len;
  uint64_t fed = 0;
  while (in.Next(&unused, &bytes, &len)) {
    fed += len;
    absl::Status s = d.Write(absl::string_view(reinterpret_cast<const char*>(bytes), len));
    if (!s.ok() || d.limited()) closed = true;
    uint64_t ratio_cap = std::max<uint64_t>(limits.ratio_grace_bytes, limits.max_ratio * fed);
    if (out > limits.max_output_bytes || out > ratio_cap) std::abort();
    if (d.bytes_out() != out) std::abort();
  }
  if (!closed) d.Finish().IgnoreError();
  return 0;
}
