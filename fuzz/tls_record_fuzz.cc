// Fuzzes TlsRecordReader: chunked input ([dir][len][bytes] records; dir bit 1 = gap first),
// small length cap. Invariants: fragments never exceed the cap, the buffer stays bounded.
#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "tls/record_layer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  tls::RecordLimits limits;
  limits.max_record_length = 512;
  tls::TlsRecordReader reader(limits, size > 0 && (data[0] & 1));
  FuzzInput in(data, size);
  uint8_t dir;
  const uint8_t* bytes;
  size_t len;
  while (in.Next(&dir, &bytes, &len)) {
    if (dir & 2) {
      reader.SetResyncVersion(dir & 4 ? 0x0303 : 0);
      reader.OnGap();
    }
    reader.Feed(absl::string_view(reinterpret_cast<const char*>(bytes), len),
                [&](const tls::TlsRecord& r) {
                  if (r.fragment.size() > limits.max_record_length) abort();
                });
    if (reader.buffered() > limits.max_record_length + 5 + len + 4) abort();
  }
  return 0;
}
