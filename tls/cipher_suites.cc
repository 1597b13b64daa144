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
    // PSK suites (RFC 4279, RFC 5487, RFC 5489, RFC 6655, RFC 7905, RFC 8442).
    {0x008A, "TLS_PSK_WITH_RC4_128_SHA", K::kPsk, M::kStream, "RC4", 16, 0, "SHA1", "SHA256", false, true},
    {0x008B, "TLS_PSK_WITH_3DES_EDE_CBC_SHA", K::kPsk, M::kCbc, "DES-EDE3-CBC", 24, 8, "SHA1", "SHA256", false, false},
    {0x008C, "TLS_PSK_WITH_AES_128_CBC_SHA", K::kPsk, M::kCbc, "AES-128-CBC", 16, 16, "SHA1", "SHA256", false, false},
    {0x008D, "TLS_PSK_WITH_AES_256_CBC_SHA", K::kPsk, M::kCbc, "AES-256-CBC", 32, 16, "SHA1", "SHA256", false, false},
    {0x008E, "TLS_DHE_PSK_WITH_RC4_128_SHA", K::kDhePsk, M::kStream, "RC4", 16, 0, "SHA1", "SHA256", false, true},
    {0x008F, "TLS_DHE_PSK_WITH_3DES_EDE_CBC_SHA", K::kDhePsk, M::kCbc, "DES-EDE3-CBC", 24, 8, "SHA1", "SHA256", false, false},
    {0x0090, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA", K::kDhePsk, M::kCbc, "AES-128-CBC", 16, 16, "SHA1", "SHA256", false, false},
    {0x0091, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA", K::kDhePsk, M::kCbc, "AES-256-CBC", 32, 16, "SHA1", "SHA256", false, false},
    {0x0092, "TLS_RSA_PSK_WITH_RC4_128_SHA", K::kRsaPsk, M::kStream, "RC4", 16, 0, "SHA1", "SHA256", false, true},
    {0x0093, "TLS_RSA_PSK_WITH_3DES_EDE_CBC_SHA", K::kRsaPsk, M::kCbc, "DES-EDE3-CBC", 24, 8, "SHA1", "SHA256", false, false},
    {0x0094, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA", K::kRsaPsk, M::kCbc, "AES-128-CBC", 16, 16, "SHA1", "SHA256", false, false},
    {0x0095, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA", K::kRsaPsk, M::kCbc, "AES-256-CBC", 32, 16, "SHA1", "SHA256", false, false},
    {0x00A8, "TLS_PSK_WITH_AES_128_GCM_SHA256", K::kPsk, M::kGcm, "AES-128-GCM", 16, 4, nullptr, "SHA256", false, false},
    {0x00A9, "TLS_PSK_WITH_AES_256_GCM_SHA384", K::kPsk, M::kGcm, "AES-256-GCM", 32, 4, nullptr, "SHA384", false, false},
    {0x00AA, "TLS_DHE_PSK_WITH_AES_128_GCM_SHA256", K::kDhePsk, M::kGcm, "AES-128-GCM", 16, 4, nullptr, "SHA256", false, false},
    {0x00AB, "TLS_DHE_PSK_WITH_AES_256_GCM_SHA384", K::kDhePsk, M::kGcm, "AES-256-GCM", 32, 4, nullptr, "SHA384", false, false},
    {0x00AC, "TLS_RSA_PSK_WITH_AES_128_GCM_SHA256", K::kRsaPsk, M::kGcm, "AES-128-GCM", 16, 4, nullptr, "SHA256", false, false},
    {0x00AD, "TLS_RSA_PSK_WITH_AES_256_GCM_SHA384", K::kRsaPsk, M::kGcm, "AES-256-GCM", 32, 4, nullptr, "SHA384", false, false},
    {0x00AE, "TLS_PSK_WITH_AES_128_CBC_SHA256", K::kPsk, M::kCbc, "AES-128-CBC", 16, 16, "SHA256", "SHA256", false, false},
    {0x00AF, "TLS_PSK_WITH_AES_256_CBC_SHA384", K::kPsk, M::kCbc, "AES-256-CBC", 32, 16, "SHA384", "SHA384", false, false},
    {0x00B2, "TLS_DHE_PSK_WITH_AES_128_CBC_SHA256", K::kDhePsk, M::kCbc, "AES-128-CBC", 16, 16, "SHA256", "SHA256", false, false},
    {0x00B3, "TLS_DHE_PSK_WITH_AES_256_CBC_SHA384", K::kDhePsk, M::kCbc, "AES-256-CBC", 32, 16, "SHA384", "SHA384", false, false},
    {0x00B6, "TLS_RSA_PSK_WITH_AES_128_CBC_SHA256", K::kRsaPsk, M::kCbc, "AES-128-CBC", 16, 16, "SHA256", "SHA256", false, false},
    {0x00B7, "TLS_RSA_PSK_WITH_AES_256_CBC_SHA384", K::kRsaPsk, M::kCbc, "AES-256-CBC", 32, 16, "SHA384", "SHA384", false, false},
    {0xC034, "TLS_ECDHE_PSK_WITH_3DES_EDE_CBC_SHA", K::kEcdhePsk, M::kCbc, "DES-EDE3-CBC", 24, 8, "SHA1", "SHA256", false, false},
    {0xC035, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", K::kEcdhePsk, M::kCbc, "AES-128-CBC", 16, 16, "SHA1", "SHA256", false, false},
    {0xC036, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA", K::kEcdhePsk, M::kCbc, "AES-256-CBC", 32, 16, "SHA1", "SHA256", false, false},
    {0xC037, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA256", K::kEcdhePsk, M::kCbc, "AES-128-CBC", 16, 16, "SHA256", "SHA256", false, false},
    {0xC038, "TLS_ECDHE_PSK_WITH_AES_256_CBC_SHA384", K::kEcdhePsk, M::kCbc, "AES-256-CBC", 32, 16, "SHA384", "SHA384", false, false},
    {0xC0A4, "TLS_PSK_WITH_AES_128_CCM", K::kPsk, M::kCcm, "AES-128-CCM", 16, 4, nullptr, "SHA256", false, false},
    {0xC0A5, "TLS_PSK_WITH_AES_256_CCM", K::kPsk, M::kCcm, "AES-256-CCM", 32, 4, nullptr, "SHA256", false, false},
    {0xC0A6, "TLS_DHE_PSK_WITH_AES_128_CCM", K::kDhePsk, M::kCcm, "AES-128-CCM", 16, 4, nullptr, "SHA256", false, false},
    {0xC0A7, "TLS_DHE_PSK_WITH_AES_256_CCM", K::kDhePsk, M::kCcm, "AES-256-CCM", 32, 4, nullptr, "SHA256", false, false},
    {0xC0A8, "TLS_PSK_WITH_AES_128_CCM_8", K::kPsk, M::kCcm8, "AES-128-CCM", 16, 4, nullptr, "SHA256", false, false},
    {0xC0A9, "TLS_PSK_WITH_AES_256_CCM_8", K::kPsk, M::kCcm8, "AES-256-CCM", 32, 4, nullptr, "SHA256", false, false},
    {0xC0AA, "TLS_PSK_DHE_WITH_AES_128_CCM_8", K::kDhePsk, M::kCcm8, "AES-128-CCM", 16, 4, nullptr, "SHA256", false, false},
    {0xC0AB, "TLS_PSK_DHE_WITH_AES_256_CCM_8", K::kDhePsk, M::kCcm8, "AES-256-CCM", 32, 4, nullptr, "SHA256", false, false},
    {0xCCAB, "TLS_PSK_WITH_CHACHA20_POLY1305_SHA256", K::kPsk, M::kChaCha20Poly1305, "ChaCha20-Poly1305", 32, 12, nullptr, "SHA256", false, false},
    {0xCCAC, "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", K::kEcdhePsk, M::kChaCha20Poly1305, "ChaCha20-Poly1305", 32, 12, nullptr, "SHA256", false, false},
    {0xCCAD, "TLS_DHE_PSK_WITH_CHACHA20_POLY1305_SHA256", K::kDhePsk, M::kChaCha20Poly1305, "ChaCha20-Poly1305", 32, 12, nullptr, "SHA256", false, false},
    {0xCCAE, "TLS_RSA_PSK_WITH_CHACHA20_POLY1305_SHA256", K::kRsaPsk, M::kChaCha20Poly1305, "ChaCha20-Poly1305", 32, 12, nullptr, "SHA256", false, false},
    {0xD001, "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256", K::kEcdhePsk, M::kGcm, "AES-128-GCM", 16, 4, nullptr, "SHA256", false, false},
    {0xD002, "TLS_ECDHE_PSK_WITH_AES_256_GCM_SHA384", K::kEcdhePsk, M::kGcm, "AES-256-GCM", 32, 4, nullptr, "SHA384", false, false},
    {0xD003, "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256", K::kEcdhePsk, M::kCcm8, "AES-128-CCM", 16, 4, nullptr, "SHA256", false, false},
    {0xD005, "TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256", K::kEcdhePsk, M::kCcm, "AES-128-CCM", 16, 4, nullptr, "SHA256", false, false},
};

// IANA names of suites this package cannot decrypt (generated from `openssl ciphers -V
// -stdname 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'` minus kSuites, plus NULL, SCSV and
// RFC 8442 ECDHE-PSK code points), so that records and reasons name them.
struct SuiteName {
  uint16_t id;
  const char* name;
};
constexpr SuiteName kOtherNames[] = {
    {0x0000, "TLS_NULL_WITH_NULL_NULL"},
    {0x0001, "TLS_RSA_WITH_NULL_MD5"},
    {0x0002, "TLS_RSA_WITH_NULL_SHA"},
    {0x002C, "TLS_PSK_WITH_NULL_SHA"},
    {0x002D, "TLS_DHE_PSK_WITH_NULL_SHA"},
    {0x002E, "TLS_RSA_PSK_WITH_NULL_SHA"},
    {0x0034, "TLS_DH_anon_WITH_AES_128_CBC_SHA"},
    {0x003A, "TLS_DH_anon_WITH_AES_256_CBC_SHA"},
    {0x003B, "TLS_RSA_WITH_NULL_SHA256"},
    {0x0046, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA"},
    {0x006C, "TLS_DH_anon_WITH_AES_128_CBC_SHA256"},
    {0x006D, "TLS_DH_anon_WITH_AES_256_CBC_SHA256"},
    {0x0089, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA"},
    {0x00A6, "TLS_DH_anon_WITH_AES_128_GCM_SHA256"},
    {0x00A7, "TLS_DH_anon_WITH_AES_256_GCM_SHA384"},
    {0x00B0, "TLS_PSK_WITH_NULL_SHA256"},
    {0x00B1, "TLS_PSK_WITH_NULL_SHA384"},
    {0x00B4, "TLS_DHE_PSK_WITH_NULL_SHA256"},
    {0x00B5, "TLS_DHE_PSK_WITH_NULL_SHA384"},
    {0x00B8, "TLS_RSA_PSK_WITH_NULL_SHA256"},
    {0x00B9, "TLS_RSA_PSK_WITH_NULL_SHA384"},
    {0x00BD, "TLS_DHE_DSS_WITH_CAMELLIA_128_CBC_SHA256"},
    {0x00BE, "TLS_DHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {0x00BF, "TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256"},
    {0x00C3, "TLS_DHE_DSS_WITH_CAMELLIA_256_CBC_SHA256"},
    {0x00C4, "TLS_DHE_RSA_WITH_CAMELLIA_256_CBC_SHA256"},
    {0x00C5, "TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256"},
    {0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
    {0x5600, "TLS_FALLBACK_SCSV"},
    {0xC006, "TLS_ECDHE_ECDSA_WITH_NULL_SHA"},
    {0xC010, "TLS_ECDHE_RSA_WITH_NULL_SHA"},
    {0xC015, "TLS_ECDH_anon_WITH_NULL_SHA"},
    {0xC018, "TLS_ECDH_anon_WITH_AES_128_CBC_SHA"},
    {0xC019, "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"},
    {0xC01D, "TLS_SRP_SHA_WITH_AES_128_CBC_SHA"},
    {0xC01E, "TLS_SRP_SHA_RSA_WITH_AES_128_CBC_SHA"},
    {0xC01F, "TLS_SRP_SHA_DSS_WITH_AES_128_CBC_SHA"},
    {0xC020, "TLS_SRP_SHA_WITH_AES_256_CBC_SHA"},
    {0xC021, "TLS_SRP_SHA_RSA_WITH_AES_256_CBC_SHA"},
    {0xC022, "TLS_SRP_SHA_DSS_WITH_AES_256_CBC_SHA"},
    {0xC039, "TLS_ECDHE_PSK_WITH_NULL_SHA"},
    {0xC03A, "TLS_ECDHE_PSK_WITH_NULL_SHA256"},
    {0xC03B, "TLS_ECDHE_PSK_WITH_NULL_SHA384"},
    {0xC050, "TLS_RSA_WITH_ARIA_128_GCM_SHA256"},
    {0xC051, "TLS_RSA_WITH_ARIA_256_GCM_SHA384"},
    {0xC052, "TLS_DHE_RSA_WITH_ARIA_128_GCM_SHA256"},
    {0xC053, "TLS_DHE_RSA_WITH_ARIA_256_GCM_SHA384"},
    {0xC056, "TLS_DHE_DSS_WITH_ARIA_128_GCM_SHA256"},
    {0xC057, "TLS_DHE_DSS_WITH_ARIA_256_GCM_SHA384"},
    {0xC05C, "TLS_ECDHE_ECDSA_WITH_ARIA_128_GCM_SHA256"},
    {0xC05D, "TLS_ECDHE_ECDSA_WITH_ARIA_256_GCM_SHA384"},
    {0xC060, "TLS_ECDHE_RSA_WITH_ARIA_128_GCM_SHA256"},
    {0xC061, "TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384"},
    {0xC06A, "TLS_PSK_WITH_ARIA_128_GCM_SHA256"},
    {0xC06B, "TLS_PSK_WITH_ARIA_256_GCM_SHA384"},
    {0xC06C, "TLS_DHE_PSK_WITH_ARIA_128_GCM_SHA256"},
    {0xC06D, "TLS_DHE_PSK_WITH_ARIA_256_GCM_SHA384"},
    {0xC06E, "TLS_RSA_PSK_WITH_ARIA_128_GCM_SHA256"},
    {0xC06F, "TLS_RSA_PSK_WITH_ARIA_256_GCM_SHA384"},
    {0xC072, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xC073, "TLS_ECDHE_ECDSA_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xC076, "TLS_ECDHE_RSA_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xC077, "TLS_ECDHE_RSA_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xC094, "TLS_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xC095, "TLS_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xC096, "TLS_DHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xC097, "TLS_DHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xC098, "TLS_RSA_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xC099, "TLS_RSA_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xC09A, "TLS_ECDHE_PSK_WITH_CAMELLIA_128_CBC_SHA256"},
    {0xC09B, "TLS_ECDHE_PSK_WITH_CAMELLIA_256_CBC_SHA384"},
    {0xC0B4, "TLS_SHA256_SHA256"},
    {0xC0B5, "TLS_SHA384_SHA384"},
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
  if (s != nullptr) return s->name;
  for (const SuiteName& n : kOtherNames) {
    if (n.id == id) return n.name;
  }
  return absl::StrFormat("0x%04x", id);
}

int Tls13Draft(uint16_t version) {
  return version >= 0x7F12 && version <= 0x7F1C ? version & 0xff : 0;
}

bool IsTls13(uint16_t version) { return version == 0x0304 || Tls13Draft(version) != 0; }

std::string AlertName(uint8_t description) {
  switch (description) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 21: return "decryption_failed";
    case 22: return "record_overflow";
    case 30: return "decompression_failure";
    case 40: return "handshake_failure";
    case 41: return "no_certificate";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 49: return "access_denied";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 60: return "export_restriction";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 86: return "inappropriate_fallback";
    case 90: return "user_canceled";
    case 100: return "no_renegotiation";
    case 109: return "missing_extension";
    case 110: return "unsupported_extension";
    case 111: return "certificate_unobtainable";
    case 112: return "unrecognized_name";
    case 113: return "bad_certificate_status_response";
    case 114: return "bad_certificate_hash_value";
    case 115: return "unknown_psk_identity";
    case 116: return "certificate_required";
    case 120: return "no_application_protocol";
    default: return absl::StrFormat("alert_%d", description);
  }
}

std::string VersionName(uint16_t version) {
  switch (version) {
    case 0x0002: return "SSL 2.0";
    case 0x0300: return "SSL 3.0";
    case 0x0301: return "TLS 1.0";
    case 0x0302: return "TLS 1.1";
    case 0x0303: return "TLS 1.2";
    case 0x0304: return "TLS 1.3";
    default:
      if (Tls13Draft(version)) return absl::StrFormat("TLS 1.3 (draft %d)", Tls13Draft(version));
      return absl::StrFormat("0x%04x", version);
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
