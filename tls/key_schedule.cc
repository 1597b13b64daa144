// EVP_KDF wrappers; see key_schedule.h.
#include "tls/key_schedule.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tcpfollow::tls {
namespace {

absl::StatusOr<std::string> Derive(const char* kdf_name, OSSL_PARAM* params, size_t out_len) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, kdf_name, nullptr);
  if (kdf == nullptr) return absl::UnavailableError(absl::StrCat("OpenSSL has no ", kdf_name));
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (ctx == nullptr) return absl::InternalError("EVP_KDF_CTX_new failed");
  std::string out(out_len, '\0');
  int ok = EVP_KDF_derive(ctx, reinterpret_cast<unsigned char*>(out.data()), out_len, params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) return absl::InternalError(absl::StrCat(kdf_name, " derivation failed"));
  return out;
}

OSSL_PARAM OctetParam(const char* key, absl::string_view v) {
  return OSSL_PARAM_construct_octet_string(key, const_cast<char*>(v.data()), v.size());
}

}  // namespace

std::string PrfDigest(uint16_t version, absl::string_view suite_prf) {
  if (version < 0x0303) return "MD5-SHA1";
  return std::string(suite_prf);
}

absl::StatusOr<std::string> Tls1Prf(absl::string_view digest, absl::string_view secret,
                                    absl::string_view label, absl::string_view seed,
                                    size_t out_len) {
  std::string digest_name(digest);
  std::string full_seed = absl::StrCat(label, seed);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name.data(), 0),
      OctetParam(OSSL_KDF_PARAM_SECRET, secret),
      OctetParam(OSSL_KDF_PARAM_SEED, full_seed),
      OSSL_PARAM_construct_end(),
  };
  return Derive(OSSL_KDF_NAME_TLS1_PRF, params, out_len);
}

absl::StatusOr<std::string> Ssl3Derive(absl::string_view secret, absl::string_view seed,
                                       size_t out_len) {
  std::string out;
  for (int i = 0; out.size() < out_len; ++i) {
    if (i >= 26) return absl::InvalidArgumentError("SSL 3.0 derivation: too many bytes asked");
    std::string label(i + 1, static_cast<char>('A' + i));
    auto inner = Digest("SHA1", absl::StrCat(label, secret, seed));
    if (!inner.ok()) return inner.status();
    auto outer = Digest("MD5", absl::StrCat(secret, *inner));
    if (!outer.ok()) return outer.status();
    out += *outer;
  }
  out.resize(out_len);
  return out;
}

absl::StatusOr<std::string> Digest(absl::string_view digest, absl::string_view data) {
  EVP_MD* md = EVP_MD_fetch(nullptr, std::string(digest).c_str(), nullptr);
  if (md == nullptr) return absl::UnavailableError(absl::StrCat("OpenSSL has no ", digest));
  std::string out(EVP_MD_get_size(md), '\0');
  unsigned int len = 0;
  int ok = EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()),
                      &len, md, nullptr);
  EVP_MD_free(md);
  if (ok != 1) return absl::InternalError("EVP_Digest failed");
  out.resize(len);
  return out;
}

size_t DigestSize(absl::string_view digest) {
  EVP_MD* md = EVP_MD_fetch(nullptr, std::string(digest).c_str(), nullptr);
  if (md == nullptr) return 0;
  size_t n = EVP_MD_get_size(md);
  EVP_MD_free(md);
  return n;
}

absl::StatusOr<std::string> HkdfExpandLabel(absl::string_view digest, absl::string_view secret,
                                            absl::string_view label, absl::string_view context,
                                            size_t out_len, absl::string_view prefix) {
  std::string digest_name(digest);
  int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name.data(), 0),
      OctetParam(OSSL_KDF_PARAM_KEY, secret),
      OctetParam(OSSL_KDF_PARAM_PREFIX, prefix),
      OctetParam(OSSL_KDF_PARAM_LABEL, label),
      OctetParam(OSSL_KDF_PARAM_DATA, context),
      OSSL_PARAM_construct_end(),
  };
  return Derive("TLS13-KDF", params, out_len);
}

}  // namespace tcpfollow::tls
