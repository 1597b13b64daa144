// Fuzzes handshake reassembly and every handshake parser: input records are handshake
// record contents; each reassembled message goes to the parser for its type (and to the
// ClientHello/ServerHello/Certificate parsers regardless of type, to reach more code).
#include <cstdlib>

#include "fuzz/fuzz_input.h"
#include "tls/handshake.h"
#include "tls/rsa_keys.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow::tls;
  HandshakeLimits limits;
  limits.max_message_length = 4096;
  HandshakeAssembler assembler(limits);
  tcpfollow::FuzzInput in(data, size);
  uint8_t dir;
  const uint8_t* bytes;
  size_t len;
  while (in.Next(&dir, &bytes, &len)) {
    absl::string_view record(reinterpret_cast<const char*>(bytes), len);
    if (dir & 1) ParseSslv2ClientHello(record).ok();
    assembler.Feed(record, [&](uint8_t type, absl::string_view body, absl::string_view whole) {
      if (whole.size() != body.size() + 4 || body.size() > limits.max_message_length) abort();
      ParseClientHello(body).ok();
      ParseServerHello(body).ok();
      ParseEncryptedExtensions(body).ok();
      auto certs = ParseCertificate(body, type & 1);
      if (certs.ok() && !certs->empty() && (dir & 2)) DescribeCertificate((*certs)[0]).ok();
      ParseRsaClientKeyExchange(body, type & 2).ok();
      ParseNewSessionTicket12(body).ok();
    });
  }
  return 0;
}
