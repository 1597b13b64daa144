// Captures recorded here with real peers (corpus/tls/record.py: Python ssl on both ends,
// tcpdump -i lo): RSA key exchange in TLS 1.0/1.1/1.2 (CBC with encrypt-then-MAC and
// extended master secret, GCM), resumption by session ID and by ticket with an RSA key only,
// and key-log captures for TLS 1.2 ECDHE (GCM, CBC, ChaCha20) and TLS 1.3 (three suites, with
// a PSK-resumed second connection). The decrypted plaintext must hash to what each peer sent.
#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"
#include "testing/paths.h"
#include "tls/key_schedule.h"
#include "tls/keylog.h"
#include "testing/pcap_streams.h"
#include "tls/testing/decryptor_run.h"
#include "tls/tls_decryptor.h"

namespace tcpfollow::tls {
namespace {

using testing::DecryptConnection;
using testing::DecryptorRun;
using Outcome = testing::DecryptOutcome;

std::string Dir() { return tcpfollow::testing::RepoRoot() + "/corpus/tls/"; }

std::vector<Outcome> RunCapture(const std::string& pcap, TlsDecryptorConfig config) {
  auto conns = tcpfollow::testing::ReadPcapStreams(Dir() + pcap);
  REQUIRE(conns.ok());
  std::vector<Outcome> out;
  for (const auto& c : *conns) {
    out.push_back(DecryptConnection(c, config));
    REQUIRE(out.back().records == 1);
  }
  return out;
}

std::string Sha256Hex(const std::string& s) { return absl::BytesToHexString(*Digest("SHA256", s)); }

nlohmann::json Manifest() {
  std::string text = tcpfollow::testing::ReadFileOrEmpty(Dir() + "manifest.json");
  REQUIRE(!text.empty());
  return nlohmann::json::parse(text);
}

const nlohmann::json& Entry(const nlohmann::json& m, const std::string& pcap) {
  for (const auto& e : m) {
    if (e["pcap"] == pcap) return e;
  }
  FAIL("no manifest entry for " << pcap);
  return m;
}

void CheckPlaintext(const std::vector<Outcome>& got, const nlohmann::json& entry) {
  REQUIRE(got.size() == entry["connections"].size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO(entry["pcap"] << " connection " << i << ": " << got[i].fields.dump());
    CHECK(got[i].fields["decrypted"] == true);
    CHECK(got[i].stats.mac_failures == 0);
    CHECK(Sha256Hex(got[i].plain[0]) == entry["client_sha256"]);
    CHECK(Sha256Hex(got[i].plain[1]) == entry["server_sha256"]);
    CHECK(got[i].fields["resumed"] == entry["connections"][i]["resumed"]);
  }
}

TEST_CASE("Corpus: RSA key exchange TLS 1.0-1.2 decrypts with the server key", "[tls][corpus]") {
  nlohmann::json m = Manifest();
  RsaKeyStore keys;
  REQUIRE(keys.AddKey(tcpfollow::testing::ReadFileOrEmpty(Dir() + "server.key.pem"), "").ok());
  TlsSessionCache cache;
  TlsDecryptorConfig config;
  config.rsa_keys = &keys;
  config.session_cache = &cache;
  for (const char* pcap : {"rsa_tls10_cbc.pcap", "rsa_tls11_cbc.pcap", "rsa_tls12_cbc.pcap",
                           "rsa_tls12_gcm.pcap", "rsa_tls12_resume_id.pcap",
                           "rsa_tls12_resume_ticket.pcap"}) {
    std::vector<Outcome> got = RunCapture(pcap, config);
    CheckPlaintext(got, Entry(m, pcap));
    CHECK(got[0].fields["subject"] == "O=tcpfollow,CN=tcpfollow.test");
    CHECK(got[0].fields["cert_sha256"].get<std::string>().size() == 64);
    CHECK(got[0].fields["server_name"] == "tcpfollow.test");
  }
}

TEST_CASE("Corpus: RSA key forms (PKCS#8 DER, encrypted PEM, IP:PORT binding) all decrypt", "[tls][corpus]") {
  nlohmann::json m = Manifest();
  struct Form {
    const char* file;
    const char* password;
    bool bind;
  } forms[] = {{"server.key.pk8.der", "", false},
               {"server.key.enc.pem", "tcpfollow", false},
               {"server.key.pem", "", true}};
  for (const Form& f : forms) {
    INFO(f.file);
    RsaKeyStore keys;
    std::optional<Endpoint> server;
    if (f.bind) {
      auto spec = ParseRsaKeySpec("127.0.0.1:14434:server.key.pem");
      REQUIRE(spec.ok());
      server = spec->server;
    }
    REQUIRE(keys.AddKey(tcpfollow::testing::ReadFileOrEmpty(Dir() + f.file), f.password, server).ok());
    TlsDecryptorConfig config;
    config.rsa_keys = &keys;
    CheckPlaintext(RunCapture("rsa_tls12_gcm.pcap", config), Entry(m, "rsa_tls12_gcm.pcap"));
  }
}

TEST_CASE("Corpus: wrong or missing RSA key is reported in words", "[tls][corpus]") {
  RsaKeyStore other;
  REQUIRE(other.AddKey(tcpfollow::testing::ReadFileOrEmpty(Dir() + "other.key.pem"), "").ok());
  TlsDecryptorConfig config;
  config.rsa_keys = &other;
  std::vector<Outcome> got = RunCapture("rsa_tls12_gcm.pcap", config);
  CHECK(got[0].fields["decrypted"] == false);
  CHECK(got[0].fields["reason"] == "none of the RSA keys matches the server certificate's public key "
                                    "[TLS_RSA_WITH_AES_256_GCM_SHA384]");
  CHECK(got[0].plain[0].empty());

  // Bound to the server's endpoint but not its certificate.
  RsaKeyStore bound;
  Endpoint ep = *ParseRsaKeySpec("127.0.0.1:14434:x").value().server;
  REQUIRE(bound.AddKey(tcpfollow::testing::ReadFileOrEmpty(Dir() + "other.key.pem"), "", ep).ok());
  config.rsa_keys = &bound;
  got = RunCapture("rsa_tls12_gcm.pcap", config);
  CHECK(got[0].fields["reason"].get<std::string>().find("does not match the server certificate") !=
        std::string::npos);

  // The right key cannot help an ECDHE session.
  RsaKeyStore right;
  REQUIRE(right.AddKey(tcpfollow::testing::ReadFileOrEmpty(Dir() + "server.key.pem"), "").ok());
  config.rsa_keys = &right;
  got = RunCapture("ecdhe_tls12_gcm.pcap", config);
  CHECK(got[0].fields["decrypted"] == false);
  CHECK(got[0].fields["reason"] ==
        "no key log entry for this client random; an RSA key cannot decrypt a session with ECDHE key exchange (forward secrecy) [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]");
  got = RunCapture("tls13_aes_128_gcm_sha256.pcap", config);
  CHECK(got[0].fields["reason"].get<std::string>().find("TLS 1.3 sessions need a key log") !=
        std::string::npos);
}

TEST_CASE("Corpus: key-log captures, TLS 1.2 ECDHE and TLS 1.3 with resumption", "[tls][corpus]") {
  nlohmann::json m = Manifest();
  for (const char* pcap : {"ecdhe_tls12_gcm.pcap", "ecdhe_tls12_cbc.pcap", "ecdhe_tls12_chacha.pcap",
                           "tls13_aes_128_gcm_sha256.pcap", "tls13_aes_256_gcm_sha384.pcap",
                           "tls13_chacha20_poly1305_sha256.pcap"}) {
    const nlohmann::json& e = Entry(m, pcap);
    KeyLogStore keys;
    keys.AddKeyLogText(tcpfollow::testing::ReadFileOrEmpty(Dir() + e["keylog"].get<std::string>()));
    TlsDecryptorConfig config;
    config.secrets = &keys;
    std::vector<Outcome> got = RunCapture(pcap, config);
    CheckPlaintext(got, e);
    CHECK(got[0].fields["cipher"].get<std::string>().find(
              e["connections"][0]["cipher"].get<std::string>().substr(0, 3)) != std::string::npos);
  }
}

TEST_CASE("Corpus: a key log appended after the session started is picked up", "[tls][corpus]") {
  nlohmann::json m = Manifest();
  const nlohmann::json& e = Entry(m, "tls13_aes_128_gcm_sha256.pcap");
  std::string keylog = tcpfollow::testing::ReadFileOrEmpty(Dir() + e["keylog"].get<std::string>());
  auto conns = tcpfollow::testing::ReadPcapStreams(Dir() + "tls13_aes_128_gcm_sha256.pcap");
  REQUIRE(conns.ok());
  const auto& c = (*conns)[0];
  KeyLogStore keys;
  TlsDecryptorConfig config;
  config.secrets = &keys;
  DecryptorRun run(config);
  size_t half = c.chunks.size() / 2;
  for (size_t i = 0; i < half; ++i) {
    run.dec.OnData(static_cast<Direction>(c.chunks[i].dir), absl::UnixEpoch(), c.chunks[i].bytes);
  }
  CHECK(run.rec == nullptr);  // nothing decrypted yet: no secrets
  keys.AppendKeyLogBytes(keylog);  // the tool tails the file
  for (size_t i = half; i < c.chunks.size(); ++i) {
    run.dec.OnData(static_cast<Direction>(c.chunks[i].dir), absl::UnixEpoch(), c.chunks[i].bytes);
  }
  run.dec.OnClose(absl::UnixEpoch());
  REQUIRE(run.rec != nullptr);
  CHECK(Sha256Hex(run.rec->data[0]) == e["client_sha256"]);
  CHECK(Sha256Hex(run.rec->data[1]) == e["server_sha256"]);
  CHECK(run.output.records[0].second["decrypted"] == true);
  CHECK_FALSE(run.output.records[0].second.contains("reason"));
}

TEST_CASE("Corpus: 0-RTT data with no CLIENT_EARLY_TRAFFIC_SECRET is a gap, the rest decrypts",
          "[tls][corpus]") {
  // corpus/tls/record_lab.py early_data_nokey: the key log lacks the early secret.
  nlohmann::json m = nlohmann::json::parse(
      tcpfollow::testing::ReadFileOrEmpty(Dir() + "early_data_nokey.manifest.json"));
  KeyLogStore keys;
  keys.AddKeyLogText(tcpfollow::testing::ReadFileOrEmpty(Dir() + "early_data_nokey.keylog"));
  auto conns = tcpfollow::testing::ReadPcapStreams(Dir() + "early_data_nokey.pcap");
  REQUIRE(conns.ok());
  REQUIRE(conns->size() == 2);
  const auto& c = (*conns)[1];  // the second connection sends 0-RTT data
  TlsDecryptorConfig config;
  config.secrets = &keys;
  DecryptorRun run(config, c.info);
  run.Feed(c);
  run.dec.OnClose(absl::UnixEpoch());
  REQUIRE(run.rec != nullptr);
  uint64_t early = m["notes"]["early_data_length"];
  // The analyzer sees the early data's length as a gap first, then the later requests.
  CHECK(run.rec->log.rfind("gap" + std::to_string(early) + " C", 0) == 0);
  CHECK(run.rec->gaps[0] == 1);
  CHECK(Sha256Hex(run.rec->data[0]) == m["notes"]["client_plain_after_gap_sha256"]);
  const nlohmann::json& f = run.output.records[0].second;
  CHECK(f["decrypted"] == true);
  CHECK(f["early_data"] == true);
  CHECK(f["early_data_missed_bytes"] == early);
  CHECK(f["client_plain_missed_bytes"] == early);
  CHECK(run.dec.stats().mac_failures == 0);
}

}  // namespace
}  // namespace tcpfollow::tls
