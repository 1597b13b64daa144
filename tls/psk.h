// Pre-shared keys for the TLS 1.0-1.2 PSK key exchanges (RFC 4279, RFC 5487, RFC 5489):
// parses "--psk [IDENTITY:]HEX", finds the key for the identity a ClientKeyExchange names
// (a key given without identity serves any), parses PSK ClientKeyExchange messages and
// builds the pre-master secret as RFC 4279 section 2 and 4 say (Wireshark's tls.psk does
// the same): for plain PSK, N zero bytes; for RSA_PSK, the 48-byte RSA-decrypted secret.
// DHE_PSK and ECDHE_PSK need the Diffie-Hellman secret, which a PSK alone cannot give
// (those sessions decrypt from a key log). TLS 1.3 external PSKs are not covered (their
// traffic secrets come from a key log). No I/O.
#ifndef TCPFOLLOW_TLS_PSK_H_
#define TCPFOLLOW_TLS_PSK_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tls/cipher_suites.h"

namespace tcpfollow::tls {

struct PskLimits {
  size_t max_key_bytes = 1024;  // RFC 4279 allows up to 2^16-1; real keys are short
};

class PskStore {
 public:
  explicit PskStore(PskLimits limits = {}) : limits_(limits) {}
  // "[IDENTITY:]HEX" (the last colon separates; hex may have a 0x prefix).
  absl::Status Add(absl::string_view spec);
  // The key for `identity`: one given for it, else one given without identity.
  std::optional<std::string> Find(absl::string_view identity) const;
  size_t size() const { return keys_.size(); }

 private:
  struct Entry {
    bool any_identity;
    std::string identity;
    std::string key;
  };
  PskLimits limits_;
  std::vector<Entry> keys_;
};

// What a PSK-family ClientKeyExchange carries.
struct PskClientKeyExchange {
  std::string identity;
  std::string encrypted_pre_master;  // RSA_PSK only
};
absl::StatusOr<PskClientKeyExchange> ParsePskClientKeyExchange(absl::string_view body,
                                                               KeyExchange kx);

// RFC 4279: uint16(len(other)) || other || uint16(len(psk)) || psk, where other is
// len(psk) zero bytes (PSK) or the RSA pre-master secret (RSA_PSK).
std::string PskPreMasterSecret(absl::string_view other_secret, absl::string_view psk);

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_PSK_H_
