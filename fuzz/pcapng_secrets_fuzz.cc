// Fuzzes the two walks over a whole capture file's bytes that key loading makes: the pcapng
// Decryption Secrets Block walk and the ClientHello client-random scan (fed in chunks whose
// sizes come from the first input byte). Invariants: secrets never exceed the input or the
// cap; the scan finds the same randoms whatever the chunking; randoms stay under the cap.
#include <cstdlib>

#include "tins_ext/pcapng_secrets.h"
#include "tls/client_random_scan.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  if (size == 0) return 0;
  size_t chunk = 1 + data[0] % 97;
  absl::string_view file(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t total = 0;
  for (const std::string& s : ExtractPcapngSecretsFromBytes(file)) total += s.size();
  if (total > file.size() || total > kMaxPcapngSecretBytes) abort();

  tls::ClientRandomScanLimits limits;
  limits.max_randoms = 16;
  tls::ClientRandomScanner whole(limits), pieces(limits);
  whole.Feed(file);
  whole.Finish();
  for (size_t i = 0; i < file.size(); i += chunk) pieces.Feed(file.substr(i, chunk));
  pieces.Finish();
  if (whole.randoms().size() > limits.max_randoms) abort();
  if (whole.plain_capture() != pieces.plain_capture()) abort();
  if (whole.stats().full == 0 && whole.randoms() != pieces.randoms()) abort();
  return 0;
}
