// RsaKeyStore and ParseRsaKeySpec: key forms, passwords, endpoint binding, certificate
// matching, and the pre-master secret checks (length, version bytes, wrong key).
#include "tls/rsa_keys.h"

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "testing/paths.h"

namespace tcpfollow::tls {
namespace {

std::string File(const std::string& name) {
  return tcpfollow::testing::ReadFileOrEmpty(tcpfollow::testing::RepoRoot() + "/corpus/tls/" + name);
}

std::string CertDer() {
  std::string pem = File("server.crt.pem");
  std::string b64;
  for (absl::string_view line : absl::StrSplit(pem, '\n')) {
    if (!line.empty() && line[0] != '-') b64 += std::string(line);
  }
  std::string der;
  REQUIRE(absl::Base64Unescape(b64, &der));
  return der;
}

std::string Encrypt(EVP_PKEY* key, const std::string& plain) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
  EVP_PKEY_encrypt_init(ctx);
  EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING);
  size_t len = 0;
  EVP_PKEY_encrypt(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(plain.data()), plain.size());
  std::string out(len, '\0');
  EVP_PKEY_encrypt(ctx, reinterpret_cast<unsigned char*>(out.data()), &len,
                   reinterpret_cast<const unsigned char*>(plain.data()), plain.size());
  EVP_PKEY_CTX_free(ctx);
  out.resize(len);
  return out;
}

TEST_CASE("ParseRsaKeySpec: FILE, IP:PORT:FILE, [IPv6]:PORT:FILE, bad ports", "[tls]") {
  auto a = ParseRsaKeySpec("key.pem");
  REQUIRE(a.ok());
  CHECK_FALSE(a->server.has_value());
  CHECK(a->path == "key.pem");
  auto b = ParseRsaKeySpec("10.0.0.1:443:/keys/k.pem");
  REQUIRE(b.ok());
  CHECK(b->server->ToString() == "10.0.0.1:443");
  CHECK(b->path == "/keys/k.pem");
  auto c = ParseRsaKeySpec("[2001:db8::1]:8443:k.der");
  REQUIRE(c.ok());
  CHECK(c->server->port == 8443);
  CHECK(c->path == "k.der");
  CHECK_FALSE(ParseRsaKeySpec("10.0.0.1:99999:k.pem").ok());
  CHECK_FALSE(ParseRsaKeySpec("10.0.0.1:x:k.pem").ok());
  CHECK(ParseRsaKeySpec("C:dir:file").value().path == "C:dir:file");
}

TEST_CASE("RsaKeyStore: PEM PKCS#1, DER PKCS#8, encrypted PKCS#8 with password", "[tls]") {
  RsaKeyStore s;
  CHECK(s.AddKey(File("server.key.pem"), "").ok());
  CHECK(s.AddKey(File("server.key.pk8.der"), "").ok());
  CHECK(s.AddKey(File("server.key.enc.pem"), "tcpfollow").ok());
  CHECK_FALSE(s.AddKey(File("server.key.enc.pem"), "wrong").ok());
  CHECK_FALSE(s.AddKey("not a key", "").ok());
  CHECK_FALSE(s.AddKey(File("server.crt.pem"), "").ok());
  CHECK(s.size() == 3);
}

TEST_CASE("RsaKeyStore: matched by certificate, bound by endpoint, reasons in words", "[tls]") {
  std::string cert = CertDer();
  Endpoint server = *ParseRsaKeySpec("192.0.2.1:443:k").value().server;
  Endpoint elsewhere = *ParseRsaKeySpec("192.0.2.2:443:k").value().server;
  RsaKeyStore s;
  REQUIRE(s.AddKey(File("other.key.pem"), "").ok());
  std::string why;
  CHECK(s.FindKey(server, cert, &why) == nullptr);
  CHECK(why == "none of the RSA keys matches the server certificate's public key");
  REQUIRE(s.AddKey(File("server.key.pem"), "").ok());
  CHECK(s.FindKey(server, cert, &why) != nullptr);
  CHECK(s.FindKey(server, "", &why) == nullptr);
  CHECK(why.find("no server certificate seen") != std::string::npos);
  RsaKeyStore bound;
  REQUIRE(bound.AddKey(File("server.key.pem"), "", server).ok());
  CHECK(bound.FindKey(server, "", &why) != nullptr);  // no certificate: the binding decides
  CHECK(bound.FindKey(elsewhere, "", &why) == nullptr);
}

TEST_CASE("RsaKeyStore::DecryptPreMaster: checks length, version bytes and key", "[tls]") {
  RsaKeyStore s;
  REQUIRE(s.AddKey(File("server.key.pem"), "").ok());
  REQUIRE(s.AddKey(File("other.key.pem"), "").ok());
  Endpoint any;
  std::string why;
  EVP_PKEY* key = s.FindKey(any, CertDer(), &why);
  REQUIRE(key != nullptr);
  std::string pms = std::string("\x03\x03", 2) + std::string(46, '\x33');
  std::string enc = Encrypt(key, pms);
  CHECK(*RsaKeyStore::DecryptPreMaster(key, enc, 0x0303, 0x0303) == pms);
  CHECK_FALSE(RsaKeyStore::DecryptPreMaster(key, enc, 0x0301, 0x0302).ok());
  CHECK_FALSE(RsaKeyStore::DecryptPreMaster(key, Encrypt(key, pms.substr(0, 47)), 0x0303, 0x0303).ok());
  // Ciphertext for this key given to a different key must fail, not yield random bytes.
  RsaKeyStore other_only;
  REQUIRE(other_only.AddKey(File("other.key.pem"), "").ok());
  Endpoint ep = *ParseRsaKeySpec("192.0.2.9:1:k").value().server;
  RsaKeyStore bound;
  REQUIRE(bound.AddKey(File("other.key.pem"), "", ep).ok());
  EVP_PKEY* wrong = bound.FindKey(ep, "", &why);
  REQUIRE(wrong != nullptr);
  for (int i = 0; i < 20; ++i) {
    std::string p = std::string("\x03\x03", 2) + std::string(46, static_cast<char>(i));
    CHECK_FALSE(RsaKeyStore::DecryptPreMaster(wrong, Encrypt(key, p), 0x0303, 0x0303).ok());
  }
}

TEST_CASE("RsaKeyStore: PKCS#12, and errors that say whether form or password is wrong", "[tls]") {
  // corpus/tls/make_p12.sh
  for (const char* file : {"server.p12", "server.legacy.pfx"}) {
    INFO(file);
    RsaKeyStore keys;
    REQUIRE(keys.AddKey(File(file), "tcpfollow").ok());
    std::string why;
    CHECK(keys.FindKey(Endpoint{}, CertDer(), &why) != nullptr);
    absl::Status wrong = RsaKeyStore().AddKey(File(file), "nope");
    CHECK(wrong.message() == "PKCS#12 file: the password is wrong");
    absl::Status none = RsaKeyStore().AddKey(File(file), "");
    CHECK(none.message() == "a PKCS#12 file that needs a password (--rsa-key-password)");
  }
  RsaKeyStore nopass;
  CHECK(nopass.AddKey(File("nopass.p12"), "").ok());
  CHECK(nopass.size() == 1);
  std::string why;
  CHECK(nopass.FindKey(Endpoint{}, CertDer(), &why) == nullptr);  // other.key.pem

  CHECK(RsaKeyStore().AddKey(File("server.key.enc.pem"), "nope").message() ==
        "an encrypted private key: the password is wrong");
  CHECK(RsaKeyStore().AddKey(File("server.key.enc.pem"), "").message() ==
        "an encrypted private key that needs a password (--rsa-key-password)");
  CHECK(RsaKeyStore().AddKey(File("server.crt.pem"), "").message() ==
        "not an RSA private key in a form tcpfollow reads (PEM or DER; PKCS#1, PKCS#8 or PKCS#12)");
  CHECK(RsaKeyStore().AddKey("garbage", "x").message() ==
        "not an RSA private key in a form tcpfollow reads (PEM or DER; PKCS#1, PKCS#8 or PKCS#12)");
}

}  // namespace
}  // namespace tcpfollow::tls
