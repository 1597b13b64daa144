// Key schedule: TLS 1.3 HKDF-Expand-Label against RFC 8448 (simple 1-RTT handshake), and the
// TLS 1.0-1.2 PRF against an independent P_hash computed here with HMAC.
#include "tls/key_schedule.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"

namespace tcpfollow::tls {
namespace {

std::string Hex(const std::string& s) { return absl::BytesToHexString(s); }
std::string Bin(const std::string& h) { return absl::HexStringToBytes(h); }

std::string PHash(const EVP_MD* md, const std::string& secret, const std::string& seed, size_t n) {
  auto hmac = [&](const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, secret.data(), secret.size(), reinterpret_cast<const unsigned char*>(data.data()),
         data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
  };
  std::string a = seed, out;
  while (out.size() < n) {
    a = hmac(a);
    out += hmac(a + seed);
  }
  return out.substr(0, n);
}

TEST_CASE("HkdfExpandLabel: RFC 8448 server handshake key and IV", "[tls]") {
  std::string secret = Bin("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38");
  CHECK(Hex(*HkdfExpandLabel("SHA256", secret, "key", "", 16)) == "3fce516009c21727d0f2e4e86ee403bc");
  CHECK(Hex(*HkdfExpandLabel("SHA256", secret, "iv", "", 12)) == "5d313eb2671276ee13000b30");
}

TEST_CASE("Tls1Prf: TLS 1.2 SHA-256/384 and TLS 1.0 MD5+SHA1 match P_hash", "[tls]") {
  std::string secret = "a secret of some length", seed = std::string(64, '\x07');
  for (const char* d : {"SHA256", "SHA384"}) {
    const EVP_MD* md = std::string(d) == "SHA256" ? EVP_sha256() : EVP_sha384();
    CHECK(*Tls1Prf(d, secret, "key expansion", seed, 104) ==
          PHash(md, secret, "key expansion" + seed, 104));
  }
  // TLS 1.0/1.1: secret split in halves (overlapping when odd), P_MD5 XOR P_SHA1.
  size_t half = (secret.size() + 1) / 2;
  std::string m = PHash(EVP_md5(), secret.substr(0, half), "master secret" + seed, 48);
  std::string s = PHash(EVP_sha1(), secret.substr(secret.size() - half), "master secret" + seed, 48);
  std::string x(48, '\0');
  for (int i = 0; i < 48; ++i) x[i] = m[i] ^ s[i];
  CHECK(*Tls1Prf(PrfDigest(0x0301, "SHA256"), secret, "master secret", seed, 48) == x);
  CHECK(PrfDigest(0x0303, "SHA384") == "SHA384");
}

TEST_CASE("Digest: MD5-SHA1 is the TLS 1.0 handshake hash", "[tls]") {
  CHECK(Digest("MD5-SHA1", "abc")->size() == 36);
  CHECK(Hex(*Digest("SHA256", "abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(DigestSize("SHA384") == 48);
}

}  // namespace
}  // namespace tcpfollow::tls
