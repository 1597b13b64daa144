// Handshake reassembly (split and coalesced messages, cap) and message parsers on real
// ClientHello/ServerHello/Certificate bytes from corpus/tls captures and on truncations.
#include "tls/handshake.h"

#include <catch2/catch.hpp>

#include "testing/paths.h"
#include "tls/record_layer.h"
#include "tls/rsa_keys.h"
#include "testing/pcap_streams.h"
#include "tls/testing/test_cipher.h"

namespace tcpfollow::tls {
namespace {

std::string Log(HandshakeAssembler& a, const std::vector<std::string>& records) {
  std::string log;
  for (const auto& r : records) {
    a.Feed(r, [&](uint8_t t, absl::string_view body, absl::string_view whole) {
      log += std::to_string(t) + ":" + std::string(body) + ":" + std::to_string(whole.size()) + ";";
    });
  }
  return log;
}

TEST_CASE("HandshakeAssembler: messages split across and coalesced in records", "[tls]") {
  std::string stream = testing::HandshakeMessage(2, "hello") + testing::HandshakeMessage(11, "") +
                       testing::HandshakeMessage(14, std::string(300, 'c'));
  HandshakeAssembler whole_a;
  std::string whole = Log(whole_a, {stream});
  CHECK(whole == "2:hello:9;11::4;14:" + std::string(300, 'c') + ":304;");
  for (size_t i = 0; i <= stream.size(); ++i) {
    for (size_t j = i; j <= stream.size(); j += 13) {
      HandshakeAssembler a;
      REQUIRE(Log(a, {stream.substr(0, i), stream.substr(i, j - i), stream.substr(j)}) == whole);
      REQUIRE(a.empty());
    }
  }
}

TEST_CASE("HandshakeAssembler: message length cap just under and over", "[tls]") {
  HandshakeLimits limits;
  limits.max_message_length = 100;
  HandshakeAssembler ok(limits);
  CHECK(Log(ok, {testing::HandshakeMessage(11, std::string(100, 'x'))}).size() > 0);
  HandshakeAssembler over(limits);
  CHECK(Log(over, {testing::HandshakeMessage(11, std::string(101, 'x'))}).empty());
  CHECK(over.failed());
  CHECK(over.stats().oversized == 1);
}

// The first handshake messages of each direction of a recorded capture.
std::vector<std::pair<uint8_t, std::string>> CaptureMessages(const std::string& pcap, int dir) {
  auto conns = tcpfollow::testing::ReadPcapStreams(tcpfollow::testing::RepoRoot() + "/corpus/tls/" + pcap);
  REQUIRE(conns.ok());
  const std::string& bytes = dir == 0 ? (*conns)[0].bytes[0] : (*conns)[0].bytes[1];
  TlsRecordReader reader;
  HandshakeAssembler hs;
  std::vector<std::pair<uint8_t, std::string>> out;
  bool stop = false;
  reader.Feed(bytes, [&](const TlsRecord& r) {
    if (stop || r.type != kHandshake) {
      stop = stop || r.type == kChangeCipherSpec || r.type == kApplicationData;
      return;
    }
    hs.Feed(r.fragment, [&](uint8_t t, absl::string_view body, absl::string_view) {
      out.emplace_back(t, std::string(body));
    });
  });
  return out;
}

TEST_CASE("ParseClientHello/ParseServerHello: TLS 1.3 capture", "[tls]") {
  auto c = CaptureMessages("tls13_aes_128_gcm_sha256.pcap", 0);
  REQUIRE(!c.empty());
  REQUIRE(c[0].first == kClientHello);
  auto ch = ParseClientHello(c[0].second);
  REQUIRE(ch.ok());
  CHECK(ch->server_name == "tcpfollow.test");
  CHECK(ch->random.size() == 32);
  CHECK(ch->key_share);
  CHECK(std::find(ch->supported_versions.begin(), ch->supported_versions.end(), 0x0304) !=
        ch->supported_versions.end());
  auto s = CaptureMessages("tls13_aes_128_gcm_sha256.pcap", 1);
  REQUIRE(s[0].first == kServerHello);
  auto sh = ParseServerHello(s[0].second);
  REQUIRE(sh.ok());
  CHECK(sh->version == 0x0304);
  CHECK(sh->legacy_version == 0x0303);
  CHECK(sh->cipher_suite == 0x1301);
  CHECK_FALSE(sh->hello_retry_request);
  // Every truncation fails cleanly (or parses a prefix without extensions).
  for (size_t i = 0; i < c[0].second.size(); ++i) ParseClientHello(c[0].second.substr(0, i)).ok();
  for (size_t i = 0; i < 38; ++i) CHECK_FALSE(ParseServerHello(s[0].second.substr(0, i)).ok());
}

TEST_CASE("ParseServerHello/ParseCertificate: TLS 1.2 RSA capture with EMS and ETM", "[tls]") {
  auto s = CaptureMessages("rsa_tls12_cbc.pcap", 1);
  REQUIRE(s.size() >= 3);
  auto sh = ParseServerHello(s[0].second);
  REQUIRE(sh.ok());
  CHECK(sh->version == 0x0303);
  CHECK(sh->extended_master_secret);
  CHECK(sh->encrypt_then_mac);
  CHECK(sh->cipher_suite == 0x003C);
  REQUIRE(s[1].first == kCertificate);
  auto certs = ParseCertificate(s[1].second, false);
  REQUIRE(certs.ok());
  REQUIRE(certs->size() == 1);
  auto info = DescribeCertificate((*certs)[0]);
  REQUIRE(info.ok());
  CHECK(info->subject == "O=tcpfollow,CN=tcpfollow.test");
  CHECK(info->issuer == info->subject);
  CHECK_FALSE(ParseCertificate(s[1].second.substr(0, 10), false).ok());
  auto c = CaptureMessages("rsa_tls12_cbc.pcap", 0);
  REQUIRE(c.size() >= 2);
  REQUIRE(c[1].first == kClientKeyExchange);
  auto pms = ParseRsaClientKeyExchange(c[1].second, false);
  REQUIRE(pms.ok());
  CHECK(pms->size() == 256);  // 2048-bit key
}

TEST_CASE("ParseServerHello: HelloRetryRequest is recognised by its random", "[tls]") {
  const unsigned char hrr[32] = {
      0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
      0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
  std::string body = "\x03\x03" + std::string(reinterpret_cast<const char*>(hrr), 32) +
                     std::string("\x00\x13\x01\x00\x00\x06\x00\x2b\x00\x02\x03\x04", 12);
  auto sh = ParseServerHello(body);
  REQUIRE(sh.ok());
  CHECK(sh->hello_retry_request);
  CHECK(sh->version == 0x0304);
  body[10] ^= 1;
  CHECK_FALSE(ParseServerHello(body)->hello_retry_request);
}

TEST_CASE("ParseSslv2ClientHello: challenge becomes the right-aligned random", "[tls]") {
  std::string msg = std::string("\x01\x03\x01\x00\x06\x00\x00\x00\x10", 9) +
                    std::string("\x00\x00\x2f\x01\x00\x80", 6) + std::string(16, '\x5a');
  auto ch = ParseSslv2ClientHello(msg);
  REQUIRE(ch.ok());
  CHECK(ch->version == 0x0301);
  CHECK(ch->cipher_suites == std::vector<uint16_t>{0x002f});
  CHECK(ch->random == std::string(16, '\0') + std::string(16, '\x5a'));
  CHECK_FALSE(ParseSslv2ClientHello(msg.substr(0, msg.size() - 1)).ok());
}

TEST_CASE("ParseEncryptedExtensions/NewSessionTicket: ALPN, early_data, ticket", "[tls]") {
  std::string alpn = std::string("\x00\x10\x00\x05\x00\x03\x02h2", 9);
  std::string early = std::string("\x00\x2a\x00\x00", 4);
  std::string exts = alpn + early;
  std::string body = std::string(1, '\0') + static_cast<char>(exts.size()) + exts;
  auto ee = ParseEncryptedExtensions(body);
  REQUIRE(ee.ok());
  CHECK(ee->alpn == "h2");
  CHECK(ee->early_data);
  CHECK_FALSE(ParseEncryptedExtensions(body.substr(0, body.size() - 1)).ok());
  auto t = ParseNewSessionTicket12(std::string("\x00\x00\x01\x00\x00\x03" "abc", 9));
  REQUIRE(t.ok());
  CHECK(*t == "abc");
}

}  // namespace
}  // namespace tcpfollow::tls
