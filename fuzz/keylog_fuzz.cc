// Fuzzes KeyLogStore: input records are appended as tailed bytes or whole texts (dir bit 0);
// invariants: entries never exceed the cap, lookups of every stored random work.
#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "tls/keylog.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow::tls;
  KeyLogLimits limits;
  limits.max_entries = 8;
  limits.max_line_length = 300;
  KeyLogStore store(limits);
  tcpfollow::FuzzInput in(data, size);
  uint8_t dir;
  const uint8_t* bytes;
  size_t len;
  while (in.Next(&dir, &bytes, &len)) {
    absl::string_view text(reinterpret_cast<const char*>(bytes), len);
    if (dir & 1) {
      store.AddKeyLogText(text);
    } else {
      store.AppendKeyLogBytes(text);
    }
    if (store.size() > limits.max_entries) abort();
    store.Find(SecretLabel::kClientRandom, text.substr(0, 32));
  }
  return 0;
}
