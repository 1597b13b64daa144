// PskStore, PSK ClientKeyExchange parsing and the RFC 4279 pre-master secret; the PSK and
// RSA_PSK sessions of corpus/tls/psk_suites.pcap decrypt from --psk alone, to what the
// server sent, and DHE/ECDHE_PSK ones say why.
#include "tls/psk.h"

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"
#include "testing/paths.h"
#include "testing/pcap_streams.h"
#include "tls/key_schedule.h"
#include "tls/testing/decryptor_run.h"
#include "tls/tls_decryptor.h"

namespace tcpfollow::tls {
namespace {

TEST_CASE("PskStore: [IDENTITY:]HEX, identity match first, bad specs", "[tls]") {
  PskStore s;
  REQUIRE(s.Add("0a0b").ok());
  REQUIRE(s.Add("client1:0x1122").ok());
  REQUIRE(s.Add("a:b:3344").ok());  // the last colon separates
  CHECK(*s.Find("client1") == std::string("\x11\x22", 2));
  CHECK(*s.Find("a:b") == std::string("\x33\x44", 2));
  CHECK(*s.Find("someone else") == std::string("\x0a\x0b", 2));
  PskStore only_named;
  REQUIRE(only_named.Add("x:ff").ok());
  CHECK(!only_named.Find("y"));
  CHECK(!s.Add("abc").ok());     // odd
  CHECK(!s.Add("id:zz").ok());   // not hex
  CHECK(!s.Add("id:").ok());     // empty
  PskLimits limits;
  limits.max_key_bytes = 2;
  PskStore small(limits);
  CHECK(small.Add("aabb").ok());
  CHECK(!small.Add("aabbcc").ok());
}

TEST_CASE("PSK: ClientKeyExchange parsing and the RFC 4279 pre-master secret", "[tls]") {
  auto psk = ParsePskClientKeyExchange(std::string("\x00\x03" "abc", 5), KeyExchange::kPsk);
  REQUIRE(psk.ok());
  CHECK(psk->identity == "abc");
  auto rsa = ParsePskClientKeyExchange(std::string("\x00\x01" "x" "\x00\x02" "zz", 7),
                                       KeyExchange::kRsaPsk);
  REQUIRE(rsa.ok());
  CHECK(rsa->encrypted_pre_master == "zz");
  CHECK(!ParsePskClientKeyExchange(std::string("\x00\x05" "ab", 4), KeyExchange::kPsk).ok());
  CHECK(!ParsePskClientKeyExchange(std::string("\x00\x01" "x" "\x00\x09", 5), KeyExchange::kRsaPsk).ok());
  // RFC 4279 2: N zero bytes for plain PSK.
  CHECK(absl::BytesToHexString(PskPreMasterSecret(std::string(2, '\0'), "\xaa\xbb")) ==
        "00020000" "0002aabb");
}

TEST_CASE("Corpus: PSK and RSA_PSK sessions decrypt from --psk, DHE/ECDHE_PSK say why",
          "[tls][corpus]") {
  std::string dir = tcpfollow::testing::RepoRoot() + "/corpus/tls/";
  auto m = nlohmann::json::parse(tcpfollow::testing::ReadFileOrEmpty(dir + "psk_flag.manifest.json"));
  PskStore psks;
  REQUIRE(psks.Add("tcpfollow:a1b2c3d4e5f60718293a4b5c6d7e8f90").ok());
  RsaKeyStore rsa;
  REQUIRE(rsa.AddKey(tcpfollow::testing::ReadFileOrEmpty(dir + "server.key.pem"), "").ok());
  TlsDecryptorConfig config;
  config.psks = &psks;
  config.rsa_keys = &rsa;
  auto conns = tcpfollow::testing::ReadPcapStreams(dir + "psk_suites.pcap");
  REQUIRE(conns.ok());
  REQUIRE(conns->size() == 12);
  int decrypted = 0;
  std::set<std::string> served;
  for (const auto& o : m["objects"]) served.insert(o["sha256"].get<std::string>());
  for (const auto& c : *conns) {
    testing::DecryptorRun run(config, c.info);
    run.Feed(c);
    run.dec.OnClose(absl::UnixEpoch());
    const nlohmann::json& f = run.output.records[0].second;
    std::string cipher = f["cipher"];
    INFO(cipher << " " << f.dump());
    bool dh = cipher.find("DHE_PSK") != std::string::npos;
    CHECK(f["decrypted"] == !dh);
    if (dh) {
      CHECK(f["reason"].get<std::string>().find("Diffie-Hellman secret is needed") != std::string::npos);
      continue;
    }
    ++decrypted;
    REQUIRE(run.rec != nullptr);
    // The server's answer is an HTTP/1.0 header and the file the manifest lists.
    std::string body = run.rec->data[1].substr(run.rec->data[1].find("\r\n\r\n") + 4);
    CHECK(served.count(absl::BytesToHexString(*Digest("SHA256", body))) == 1);
  }
  CHECK(decrypted == 8);
  // A wrong key fails its first record's check; an unknown identity says so.
  PskStore wrong;
  REQUIRE(wrong.Add("tcpfollow:00").ok());
  PskStore other_id;
  REQUIRE(other_id.Add("nobody:a1b2c3d4e5f60718293a4b5c6d7e8f90").ok());
  for (PskStore* s : {&wrong, &other_id}) {
    config.psks = s;
    testing::MemoryOutput output;
    TlsDecryptor dec((*conns)[0].info, &output, config, nullptr);
    for (const auto& e : (*conns)[0].chunks) dec.OnData(static_cast<Direction>(e.dir), e.ts, e.bytes);
    dec.OnClose(absl::UnixEpoch());
    std::string reason = output.records[0].second["reason"];
    CHECK(output.records[0].second["decrypted"] == false);
    CHECK(reason.find(s == &wrong ? "integrity check" : "no --psk for the PSK identity \"tcpfollow\"") !=
          std::string::npos);
  }
}

}  // namespace
}  // namespace tcpfollow::tls
