#include "tins_ext/community_id.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>
#include <string>
#include <tuple>

#include "absl/strings/escaping.h"

namespace tcpfollow {

std::string CommunityIdV1(const Endpoint& a, const Endpoint& b, uint8_t proto, uint16_t seed) {
  if (a.addr.family != b.addr.family || a.addr.family == IpAddress::Family::kNone) return "";
  const bool a_first = std::tie(a.addr.bytes, a.port) <= std::tie(b.addr.bytes, b.port);
  const Endpoint& lo = a_first ? a : b;
  const Endpoint& hi = a_first ? b : a;
  const size_t n = a.addr.size();
  uint8_t buf[2 + 16 + 16 + 2 + 4];
  size_t len = 0;
  buf[len++] = static_cast<uint8_t>(seed >> 8);
  buf[len++] = static_cast<uint8_t>(seed);
  for (size_t i = 0; i < n; ++i) buf[len++] = lo.addr.bytes[i];
  for (size_t i = 0; i < n; ++i) buf[len++] = hi.addr.bytes[i];
  buf[len++] = proto;
  buf[len++] = 0;  // padding
  buf[len++] = static_cast<uint8_t>(lo.port >> 8);
  buf[len++] = static_cast<uint8_t>(lo.port);
  buf[len++] = static_cast<uint8_t>(hi.port >> 8);
  buf[len++] = static_cast<uint8_t>(hi.port);
  // OpenSSL 3's one-shot SHA1() looks the algorithm up in the provider on every call,
  // which cost more than the hash of these 40 bytes: fetch it once, and keep one context
  // per thread (records are written for every transaction, from every worker).
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(),
                                                                         &EVP_MD_CTX_free);
  unsigned char digest[SHA_DIGEST_LENGTH];
  if (sha1 == nullptr || ctx == nullptr || !EVP_DigestInit_ex2(ctx.get(), sha1, nullptr) ||
      !EVP_DigestUpdate(ctx.get(), buf, len) ||
      !EVP_DigestFinal_ex(ctx.get(), digest, nullptr)) {
    return "";
  }
  return "1:" + absl::Base64Escape(
                    absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace tcpfollow
