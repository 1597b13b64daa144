// Fuzzes KeyLogStore and KeyLogFeed: input records are appended as tailed bytes to the
// store's own source (dir 0), to a second source through a KeyLogFeed (dir 1, finished at
// the end), or as whole texts (dir 2); dir 3 sets a client random filter from the record.
// Invariants: entries never exceed the cap, a feed's bad-line count never exceeds its
// lines and names a line it read, lookups of every stored random work.
#include <cstdlib>
#include <cstring>

#include "fuzz/fuzz_input.h"
#include "tls/keylog.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow::tls;
  KeyLogLimits limits;
  limits.max_entries = 8;
  limits.max_line_length = 300;
  KeyLogStore store(limits);
  KeyLogFeed feed(&store);
  tcpfollow::FuzzInput in(data, size);
  uint8_t dir;
  const uint8_t* bytes;
  size_t len;
  while (in.Next(&dir, &bytes, &len)) {
    absl::string_view text(reinterpret_cast<const char*>(bytes), len);
    switch (dir & 3) {
      case 0: store.AppendKeyLogBytes(text); break;
      case 1: feed.Append(text); break;
      case 2: store.AddKeyLogText(text); break;
      default: {
        ClientRandomSet filter;
        for (size_t i = 0; i + 32 <= len; i += 32) {
          ClientRandom r;
          std::memcpy(r.data(), bytes + i, 32);
          filter.insert(r);
        }
        store.SetClientRandomFilter(std::move(filter));
        break;
      }
    }
    if (store.size() > limits.max_entries) abort();
    store.Find(SecretLabel::kClientRandom, text.substr(0, 32));
  }
  feed.Finish();
  if (feed.bad_lines() > feed.lines()) abort();
  if (feed.bad_lines() > 0 && (feed.first_bad_line() == 0 || feed.first_bad_line() > feed.lines())) abort();
  if (store.size() > limits.max_entries) abort();
  return 0;
}
