// TLS key derivation on OpenSSL's EVP_KDF: the TLS 1.0-1.2 PRF ("TLS1-PRF", MD5-SHA1 before
// TLS 1.2), master secret (classic and extended), key block, and TLS 1.3 HKDF-Expand-Label
// ("TLS13-KDF") for traffic keys, IVs and KeyUpdate. No primitive is implemented here.
#ifndef TCPFOLLOW_TLS_KEY_SCHEDULE_H_
#define TCPFOLLOW_TLS_KEY_SCHEDULE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tcpfollow::tls {

// PRF digest for `version` and a suite whose PRF digest is `suite_prf` ("SHA256"/"SHA384").
std::string PrfDigest(uint16_t version, absl::string_view suite_prf);

absl::StatusOr<std::string> Tls1Prf(absl::string_view digest, absl::string_view secret,
                                    absl::string_view label, absl::string_view seed,
                                    size_t out_len);

// SSL 3.0 (RFC 6101 6.1, 6.2.2): master_secret = MD5(pms + SHA1("A" + pms + cr + sr)) +
// MD5(pms + SHA1("BB" + ...)) + MD5(pms + SHA1("CCC" + ...)); the key block is the same
// construction over (master, sr + cr), as long as asked.
absl::StatusOr<std::string> Ssl3Derive(absl::string_view secret, absl::string_view seed,
                                       size_t out_len);

// Hash of `data` with an OpenSSL digest name; "MD5-SHA1" gives the 36-byte TLS 1.0 hash.
absl::StatusOr<std::string> Digest(absl::string_view digest, absl::string_view data);
size_t DigestSize(absl::string_view digest);

// `prefix` is "tls13 " (RFC 8446); TLS 1.3 drafts before 20 used "TLS 1.3, ".
absl::StatusOr<std::string> HkdfExpandLabel(absl::string_view digest, absl::string_view secret,
                                            absl::string_view label, absl::string_view context,
                                            size_t out_len, absl::string_view prefix = "tls13 ");

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_KEY_SCHEDULE_H_
