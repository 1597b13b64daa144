// RSA private keys for TLS RSA key exchange: loads PEM or DER, PKCS#1 or PKCS#8, encrypted
// with a password (OpenSSL's OSSL_DECODER), or PKCS#12 (.p12/.pfx, also -legacy ones); a
// failure says whether the form or the password is wrong. A key bound to a server IP:PORT
// is used for that server's sessions whose certificate it matches (or that show no
// certificate); any key, bound elsewhere or not, is used for a session whose certificate's
// public key it matches: a binding that does not match leaves certificate matching on.
// Decrypts the pre-master secret with
// PKCS#1 v1.5, implicit rejection turned off where OpenSSL has it, and accepts only a 48-byte
// result carrying the ClientHello version. Also describes certificates (subject, issuer,
// SHA-256) for tls.jsonl. Reads no files: the tool passes file contents.
#ifndef TCPFOLLOW_TLS_RSA_KEYS_H_
#define TCPFOLLOW_TLS_RSA_KEYS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tins_ext/ip_address.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace tcpfollow::tls {

// "--rsa-key [IP:PORT:]FILE" (IPv6 as [addr]:port:file).
struct RsaKeySpec {
  std::optional<Endpoint> server;
  std::string path;
};
absl::StatusOr<RsaKeySpec> ParseRsaKeySpec(absl::string_view arg);

struct CertificateInfo {
  std::string subject;  // RFC 2253
  std::string issuer;
  std::string sha256;   // hex of the DER
};
absl::StatusOr<CertificateInfo> DescribeCertificate(absl::string_view der);

class RsaKeyStore {
 public:
  RsaKeyStore();
  ~RsaKeyStore();
  RsaKeyStore(const RsaKeyStore&) = delete;
  RsaKeyStore& operator=(const RsaKeyStore&) = delete;

  // Loads one key from a file's bytes. `server` binds it to that endpoint.
  absl::Status AddKey(absl::string_view file_bytes, absl::string_view password,
                      std::optional<Endpoint> server = std::nullopt);
  size_t size() const { return keys_.size(); }

  // The key for a session with `server`, whose leaf certificate is `leaf_der` (may be empty).
  // A key bound to the endpoint wins; otherwise the key whose public key equals the
  // certificate's. On failure *why says, in words, why no key applies.
  EVP_PKEY* FindKey(const Endpoint& server, absl::string_view leaf_der, std::string* why) const;

  // Decrypts an RSA-encrypted pre-master secret; checks length 48 and that the version bytes
  // equal `client_version` (or `alt_version`, for clients that put the negotiated one).
  static absl::StatusOr<std::string> DecryptPreMaster(EVP_PKEY* key,
                                                      absl::string_view encrypted,
                                                      uint16_t client_version,
                                                      uint16_t alt_version);

 private:
  struct Entry;
  std::vector<std::unique_ptr<Entry>> keys_;
};

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_RSA_KEYS_H_
