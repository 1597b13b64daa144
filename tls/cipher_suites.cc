// Cipher suite table (IANA TLS registry; key/IV sizes from RFC 5246 Appendix C, RFC 5288,
// RFC 6655, RFC 7905, RFC 8446 B.4).
#include "tls/cipher_suites.h"

#include "absl/strings/str_format.h"

namespace tcpfollow::tls {
namespace {

using K = KeyExchange;
using M = CipherMode;

constexpr CipherSuite kSuites[] = {
    // id, name, kx, mode, evp, key, iv, mac, prf, export, legacy
    {0x0003, "TLS_RSA_EXPORT_WITH_RC4_40_MD5", K::kRsa, M::kStream, "RC4", 5, 0, "MD5", "SHA256", true, true},
    {0x0004, "TLS_RSA_WITH_RC4_128_MD5", K::kRsa, M::kStream, "RC4", 16, 0, "MD5", "SHA256", false, true},
    {0x0005, "TLS_RSA_WITH_RC4_128_SHA", K::kRsa, M::kStream, "RC4", 16, 0, "SHA1", "SHA256", false, true},
    {0x0006, "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", K::kRsa, M::kCbc, "RC2-CBC", 5, 8, "MD5", "SHA256", true, true},
    {0x0007, "TLS_RSA_WITH_IDEA_CBC_SHA", K::kRsa, M::kCbc, "IDEA-CBC", 16, 8, "SHA1", "SHA256", false, true},
    {0x0008, "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", K::kRsa, M::kCbc, "DES-CBC", 5, 8, "SHA1", "SHA256", true, true},
    {0x0009, "TLS_RSA_WITH_DES_CBC_SHA", K::kRsa, M::kCbc, "DES-CBC", 8, 8, "SHA1", "SHA256", false, true},
    {0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA", K::kRsa, M::kCbc, "DES-EDE3-CBC", 24, 8, "SHA1", "SHA256", false, false},
    {0x0011, "TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA", K::kDhe, M::kCbc, "DES-CBC", 5, 8, "SHA1", "SHA256", true, true},
    {0x0012, "TLS_DHE_DSS_WITH_DES_CBC_SHA", K::kDhe, M::kCbc, "DES-CBC", 8, 8, "SHA1", "SHA256", false, true},
    {0x0013, "TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", K::kDhe, M::kCbc, "DES-EDE3-CBC", 24, 8, "SHA1", "SHA256", false, false},
    {0x0014, "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", K::kDhe, M::kCbc, "DES-CBC", 5, 8, "SHA1", "SHA256", true, true},
    {0x0015, "TLS_DHE_RSA_WITH_DES_CBC_SHA", K::kDhe, M::kCbc, "DES-CBC", 8, 8, "SHA1", "SHA256", false, true},
    {0x0016, "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", K::kDhe, M::kCbc, "DES-EDE3-CBC", 24, 8, "SHA1", "SHA256", false, false},
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", K::kRsa, M::kCbc, "AES-128-CBC", 16, 16, "SHA1", "SHA256", false, false},
    {0x0032, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", K::kDhe, M::kCbc, "AES-128-CBC", 16, 16, "SHA1", "SHA256", false, false},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", K::kDhe, M::kCbc, "AES-128-CBC", 16, 16, "SHA1", "SHA256", false, false},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", K::kRsa, M::kCbc, "AES-256-CBC", 32, 16, "SHA1", "SHA256", false, false},
    {0x0038, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA", K::kDhe, M::kCbc, "AES-256-CBC", 32, 16, "SHA1", "SHA256", false, false},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", K::kDhe, M::kCbc, "AES-256-CBC", 32, 16, "SHA1", "SHA256", false, false},
    {0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", K::kRsa, M::kCbc, "AES-128-CBC", 16, 16, "SHA256", "SHA256", false, false},
    {0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", K::kRsa, M::kCbc, "AES-256-CBC", 32, 16, "SHA256", "SHA256", false, false},
    {0x0040, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA256", K::kDhe, M::kCbc, "AES-128-CBC", 16, 16, "SHA256", "SHA256", false, false},
    {0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA", K::kRsa, M::kCbc, "CAMELLIA-128-CBC", 16, 16, "SHA1", "SHA256", false, false},
    {0x0044, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA", K::kDhe, M::kCbc, "CAMELLIA-128-CBC", 16, 16, "SHA1", "SHA256", false, false},
    {0x0045, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA", K::kDhe, M::kCbc, "CAMELLIA-128-CBC", 16, 16, "SHA1", "SHA256", false, false},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", K::kDhe, M::kCbc, "AES-128-CBC", 16, 16, "SHA256", "SHA256", false, false},
    {0x006A, "TLS_DHE_DSS_WITH_AES_256_CBC_SHA256", K::kDhe, M::kCbc, "AES-256-CBC", 32, 16, "SHA256", "SHA256", false, false},
    {0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", K::kDhe, M::kCbc, "AES-256-CBC", 32, 16, "SHA256", "SHA256", false, false},
    {0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA", K::kRsa, M::kCbc, "CAMELLIA-256-CBC", 32, 16, "SHA1", "SHA256", false, false},
    {0x0087, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA", K::kDhe, M::kCbc, "CAMELLIA-256-CBC", 32, 16, "SHA1", "SHA256", false, false},
    {0x0088, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA", K::kDhe, M::kCbc, "CAMELLIA-256-CBC", 32, 16, "SHA1", "SHA256", false, false},
    {0x0096, "TLS_RSA_WITH_SEED_CBC_SHA", K::kRsa, M::kCbc, "SEED-CBC", 16, 16, "SHA1", "SHA256", false, true},
    {0x0099, "TLS_DHE_DSS_WITH_SEED_CBC_SHA", K::kDhe, M::kCbc, "SEED-CBC", 16, 16, "SHA1", "SHA256", false, true},
    {0x009A, "TLS_DHE_RSA_WITH_SEED_CBC_SHA", K::kDhe, M::kCbc, "SEED-CBC", 16, 16, "SHA1", "SHA256", false, true},
    {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", K::kRsa, M::kGcm, "AES-128-GCM", 16, 4, nullptr, "SHA256", false, false},
    {0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", K::kRsa, M::kGcm, "AES-256-GCM", 32, 4, nullptr, "SHA384", false, false},
    {0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", K::kDhe, M::kGcm, "AES-128-GCM", 16, 4, nullptr, "SHA256", false, false},
    {0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", K::kDhe, M::kGcm, "AES-256-GCM", 32, 4, nullptr, "SHA384", false, false},
    {0x00A2, "TLS_DHE_DSS_WITH_AES_128_GCM_SHA256", K::kDhe, M::kGcm, "AES-128-GCM", 16, 4, nullptr, "SHA256", false, false},
    {0x00A3, "TLS_DHE_DSS_WITH_AES_256_GCM_SHA384", K::kDhe, M::kGcm, "AES-256-GCM", 32, 4, nullptr, "SHA384", false, false},
    {0x00BA, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA256", K::kRsa, M::kCbc, "CAMELLIA-128-CBC", 16, 16, "SHA256", "SHA256", false, false},
    {0x00C0, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA256", K::kRsa, M::kCbc, "CAMELLIA-256-CBC", 32, 16, "SHA256", "SHA256", false, false},
    {0x1301, "TLS_AES_128_GCM_SHA256", K::kTls13, M::kGcm, "AES-128-GCM", 16, 12, nullptr, "SHA256", false, false},
    {0x1302, "TLS_AES_256_GCM_SHA384", K::kTls13, M::kGcm, "AES-256-GCM", 32, 12, nullptr, "SHA384", false, false},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256", K::kTls13, M::kChaCha20Poly1305, "ChaCha20-Poly1305", 32, 12, nullptr, "SHA256", false, false},
    {0x1304, "TLS_AES_128_CCM_SHA256", K::kTls13, M::kCcm, "AES-128-CCM", 16, 12, nullptr, "SHA256", false, false},
    {0x1305, "TLS_AES_128_CCM_8_SHA256", K::kTls13, M::kCcm8, "AES-128-CCM", 16, 12, nullptr, "SHA256", false, false},
    {0xC002, "TLS_ECDH_ECDSA_WITH_RC4_128_SHA", K::kEcdh, M::kStream, "RC4", 16, 0, "SHA1", "SHA256", false, true},
    {0xC003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA", K::kEcdh, M::kCbc, "DES-EDE3-CBC", 24, 8, "SHA1", "SHA256", false, false},
    {0xC004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA", K::kEcdh, M::kCbc, "AES-128-CBC", 16, 16, "SHA1", "SHA256", false, false},
    {0xC005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA", K::kEcdh, M::kCbc, "AES-256-CBC", 32, 16, "SHA1", "SHA256", false, false},
    {0xC007, "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", K::kEcdhe, M::kStream, "RC4", 16, 0, "SHA1", "SHA256", false, true},
    {0xC008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", K::kEcdhe, M::kCbc, "DES-EDE3-CBC", 24, 8, "SHA1", "SHA256", false, false},
    {0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", K::kEcdhe, M::kCbc, "AES-128-CBC", 16, 16, "SHA1", "SHA256", false, false},
    {0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", K::kEcdhe, M::kCbc, "AES-256-CBC", 32, 16, "SHA1", "SHA256", false, false},
    {0xC00C, "TLS_ECDH_RSA_WITH_RC4_128_SHA", K::kEcdh, M::kStream, "RC4", 16, 0, "SHA1", "SHA256", false, true},
    {0xC00D, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA", K::kEcdh, M::kCbc, "DES-EDE3-CBC", 24, 8, "SHA1", "SHA256", false, false},
    {0xC00E, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", K::kEcdh, M::kCbc, "AES-128-CBC", 16, 16, "SHA1", "SHA256", false, false},
    {0xC00F, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA", K::kEcdh, M::kCbc, "AES-256-CBC", 32, 16, "SHA1", "SHA256", false, false},
    {0xC011, "TLS_ECDHE_RSA_WITH_RC4_128_SHA", K::kEcdhe, M::kStream, "RC4", 16, 0, "SHA1", "SHA256", false, true},
    {0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", K::kEcdhe, M::kCbc, "DES-EDE3-CBC", 24, 8, "SHA1", "SHA256", false, false},
    {0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", K::kEcdhe, M::kCbc, "AES-128-CBC", 16, 16, "SHA1", "SHA256", false, false},
    {0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", K::kEcdhe, M::kCbc, "AES-256-CBC", 32, 16, "SHA1", "SHA256", false, false},
    {0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", K::kEcdhe, M::kCbc, "AES-128-CBC", 16, 16, "SHA256", "SHA256", false, false},
    {0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", K::kEcdhe, M::kCbc, "AES-256-CBC", 32, 16, "SHA384", "SHA384", false, false},
    {0xC025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256", K::kEcdh, M::kCbc, "AES-128-CBC", 16, 16, "SHA256", "SHA256", false, false},
    {0xC026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384", K::kEcdh, M::kCbc, "AES-256-CBC", 32, 16, "SHA384", "SHA384", false, false},
    {0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", K::kEcdhe, M::kCbc, "AES-128-CBC", 16, 16, "SHA256", "SHA256", false, false},
    {0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", K::kEcdhe, M::kCbc, "AES-256-CBC", 32, 16, "SHA384", "SHA384", false, false},
    {0xC029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256", K::kEcdh, M::kCbc, "AES-128-CBC", 16, 16, "SHA256", "SHA256", false, false},
    {0xC02A, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384", K::kEcdh, M::kCbc, "AES-256-CBC", 32, 16, "SHA384", "SHA384", false, false},
    {0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", K::kEcdhe, M::kGcm, "AES-128-GCM", 16, 4, nullptr, "SHA256", false, false},
    {0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", K::kEcdhe, M::kGcm, "AES-256-GCM", 32, 4, nullptr, "SHA384", false, false},
    {0xC02D, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256", K::kEcdh, M::kGcm, "AES-128-GCM", 16, 4, nullptr, "SHA256", false, false},
    {0xC02E, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384", K::kEcdh, M::kGcm, "AES-256-GCM", 32, 4, nullptr, "SHA384", false, false},
    {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", K::kEcdhe, M::kGcm, "AES-128-GCM", 16, 4, nullptr, "SHA256", false, false},
    {0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", K::kEcdhe, M::kGcm, "AES-256-GCM", 32, 4, nullptr, "SHA384", false, false},
    {0xC031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256", K::kEcdh, M::kGcm, "AES-128-GCM", 16, 4, nullptr, "SHA256", false, false},
    {0xC032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384", K::kEcdh, M::kGcm, "AES-256-GCM", 32, 4, nullptr, "SHA384", false, false},
    {0xC09C, "TLS_RSA_WITH_AES_128_CCM", K::kRsa, M::kCcm, "AES-128-CCM", 16, 4, nullptr, "SHA256", false, false},
    {0xC09D, "TLS_RSA_WITH_AES_256_CCM", K::kRsa, M::kCcm, "AES-256-CCM", 32, 4, nullptr, "SHA256", false, false},
    {0xC09E, "TLS_DHE_RSA_WITH_AES_128_CCM", K::kDhe, M::kCcm, "AES-128-CCM", 16, 4, nullptr, "SHA256", false, false},
    {0xC09F, "TLS_DHE_RSA_WITH_AES_256_CCM", K::kDhe, M::kCcm, "AES-256-CCM", 32, 4, nullptr, "SHA256", false, false},
    {0xC0A0, "TLS_RSA_WITH_AES_128_CCM_8", K::kRsa, M::kCcm8, "AES-128-CCM", 16, 4, nullptr, "SHA256", false, false},
    {0xC0A1, "TLS_RSA_WITH_AES_256_CCM_8", K::kRsa, M::kCcm8, "AES-256-CCM", 32, 4, nullptr, "SHA256", false, false},
    {0xC0A2, "TLS_DHE_RSA_WITH_AES_128_CCM_8", K::kDhe, M::kCcm8, "AES-128-CCM", 16, 4, nullptr, "SHA256", false, false},
    {0xC0A3, "TLS_DHE_RSA_WITH_AES_256_CCM_8", K::kDhe, M::kCcm8, "AES-256-CCM", 32, 4, nullptr, "SHA256", false, false},
    {0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", K::kEcdhe, M::kCcm, "AES-128-CCM", 16, 4, nullptr, "SHA256", false, false},
    {0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", K::kEcdhe, M::kCcm, "AES-256-CCM", 32, 4, nullptr, "SHA256", false, false},
    {0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8", K::kEcdhe, M::kCcm8, "AES-128-CCM", 16, 4, nullptr, "SHA256", false, false},
    {0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8", K::kEcdhe, M::kCcm8, "AES-256-CCM", 32, 4, nullptr, "SHA256", false, false},
    {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", K::kEcdhe, M::kChaCha20Poly1305, "ChaCha20-Poly1305", 32, 12, nullptr, "SHA256", false, false},
    {0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", K::kEcdhe, M::kChaCha20Poly1305, "ChaCha20-Poly1305", 32, 12, nullptr, "SHA256", false, false},
    {0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", K::kDhe, M::kChaCha20Poly1305, "ChaCha20-Poly1305", 32, 12, nullptr, "SHA256", false, false},
};

}  // namespace

const CipherSuite* FindCipherSuite(uint16_t id) {
  for (const CipherSuite& s : kSuites) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

std::string CipherSuiteName(uint16_t id) {
  const CipherSuite* s = FindCipherSuite(id);
  return s ? std::string(s->name) : absl::StrFormat("0x%04x", id);
}

std::string VersionName(uint16_t version) {
  switch (version) {
    case 0x0002: return "SSL 2.0";
    case 0x0300: return "SSL 3.0";
    case 0x0301: return "TLS 1.0";
    case 0x0302: return "TLS 1.1";
    case 0x0303: return "TLS 1.2";
    case 0x0304: return "TLS 1.3";
    default: return absl::StrFormat("0x%04x", version);
  }
}

bool IsAead(CipherMode mode) {
  return mode == CipherMode::kGcm || mode == CipherMode::kCcm || mode == CipherMode::kCcm8 ||
         mode == CipherMode::kChaCha20Poly1305;
}

int TagLength(CipherMode mode) {
  if (mode == CipherMode::kCcm8) return 8;
  return IsAead(mode) ? 16 : 0;
}

}  // namespace tcpfollow::tls
