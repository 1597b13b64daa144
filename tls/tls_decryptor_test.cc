// TlsDecryptor behaviour with an injected check-byte cipher (synthetic sessions) and with a
// real capture: split invariance, MAC failures never reach downstream, gaps are forwarded and
// resynchronised, secrets that never come are bounded and explained, non-TLS is recognised.
#include "tls/tls_decryptor.h"

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"
#include "testing/paths.h"
#include "tls/key_schedule.h"
#include "tls/testing/pcap_streams.h"
#include "tls/testing/recording_analyzer.h"
#include "tls/testing/test_cipher.h"

namespace tcpfollow::tls {
namespace {

using namespace testing;  // NOLINT: test doubles
constexpr Direction kC = Direction::kClientToServer;
constexpr Direction kS = Direction::kServerToClient;

struct Event {
  Direction dir;
  std::string bytes;
};

// A TLS 1.2 ECDHE-GCM session whose records are protected with the check-byte cipher.
// ClientHello is split across two records; ServerHello and ServerHelloDone share one.
std::vector<Event> SyntheticSession(int app_records = 3) {
  std::vector<Event> ev;
  std::string ch = HandshakeMessage(1, ClientHelloBody(0xC02F));
  ev.push_back({kC, RecordBytes(22, 0x0301, ch.substr(0, 10)) +
                        RecordBytes(22, 0x0301, ch.substr(10))});
  ev.push_back({kS, RecordBytes(22, 0x0303, HandshakeMessage(2, ServerHelloBody(0xC02F)) +
                                                HandshakeMessage(14, ""))});
  ev.push_back({kC, RecordBytes(20, 0x0303, "\x01") +
                        RecordBytes(22, 0x0303, Protect(HandshakeMessage(20, "fin-c"), 0))});
  ev.push_back({kS, RecordBytes(20, 0x0303, "\x01") +
                        RecordBytes(22, 0x0303, Protect(HandshakeMessage(20, "fin-s"), 0))});
  for (int i = 0; i < app_records; ++i) {
    ev.push_back({kC, RecordBytes(23, 0x0303, Protect("request " + std::to_string(i) + "\n", i + 1))});
    ev.push_back({kS, RecordBytes(23, 0x0303, Protect("response " + std::to_string(i) + "\n", i + 1))});
  }
  return ev;
}

struct Run {
  explicit Run(TlsDecryptorConfig config)
      : dec(ConnectionInfo{}, &output, config, [this](const ConnectionInfo&) {
          auto a = std::make_unique<RecordingAnalyzer>();
          rec = a.get();
          return a;
        }) {}
  MemoryOutput output;
  RecordingAnalyzer* rec = nullptr;
  TlsDecryptor dec;
  std::string plain(int d) const { return rec ? rec->data[d] : std::string(); }
};

TlsDecryptorConfig TestConfig() {
  static EverySecret secrets;
  static CheckByteCipherFactory factory;
  TlsDecryptorConfig config;
  config.secrets = &secrets;
  config.cipher_factory = &factory;
  return config;
}

void FeedSplit(TlsDecryptor& dec, const std::vector<Event>& ev, size_t chunk) {
  for (const Event& e : ev) {
    for (size_t i = 0; i < e.bytes.size(); i += chunk) {
      dec.OnData(e.dir, absl::UnixEpoch(), absl::string_view(e.bytes).substr(i, chunk));
    }
  }
}

TEST_CASE("TlsDecryptor: synthetic session, same plaintext for every chunk size", "[tls]") {
  std::vector<Event> ev = SyntheticSession();
  std::string want_c = "request 0\nrequest 1\nrequest 2\n";
  std::string want_s = "response 0\nresponse 1\nresponse 2\n";
  for (size_t chunk : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}, size_t{100000}}) {
    INFO("chunk " << chunk);
    Run r(TestConfig());
    FeedSplit(r.dec, ev, chunk);
    r.dec.OnClose(absl::UnixEpoch());
    CHECK(r.plain(0) == want_c);
    CHECK(r.plain(1) == want_s);
    REQUIRE(r.output.records.size() == 1);
    const nlohmann::json& j = r.output.records[0].second;
    CHECK(j["server_name"] == "example.test");
    CHECK(j["cipher"] == "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    CHECK(j["version"] == "TLS 1.2");
    CHECK(j["decrypted"] == true);
    CHECK(j["resumed"] == false);
    CHECK(r.rec->closed);
  }
}

TEST_CASE("TlsDecryptor: a record failing its MAC is counted and never forwarded", "[tls]") {
  std::vector<Event> ev = SyntheticSession();
  std::string& bad = ev[5].bytes;  // server "response 0"
  bad.back() = static_cast<char>(bad.back() ^ 1);
  Run r(TestConfig());
  FeedSplit(r.dec, ev, 100000);
  r.dec.OnClose(absl::UnixEpoch());
  CHECK(r.dec.stats().mac_failures == 1);
  CHECK(r.plain(1) == "response 1\nresponse 2\n");
  CHECK(r.output.records[0].second["mac_failures"] == 1);
}

TEST_CASE("TlsDecryptor: wrong secret on the first record stops with a reason", "[tls]") {
  std::vector<Event> ev = SyntheticSession();
  std::string& fin = ev[3].bytes;  // server Finished
  fin.back() = static_cast<char>(fin.back() ^ 1);
  Run r(TestConfig());
  FeedSplit(r.dec, ev, 100000);
  r.dec.OnClose(absl::UnixEpoch());
  CHECK(r.plain(1).empty());
  CHECK(r.plain(0) == "request 0\nrequest 1\nrequest 2\n");
  CHECK(r.output.records[0].second["reason"].get<std::string>().find("integrity check") !=
        std::string::npos);
}

TEST_CASE("TlsDecryptor: gap inside ciphertext is forwarded and decryption resynchronises", "[tls]") {
  std::vector<Event> ev = SyntheticSession(4);
  Run r(TestConfig());
  for (size_t i = 0; i < ev.size(); ++i) {
    if (i == 5) {  // server "response 0": deliver half, lose the rest
      r.dec.OnData(kS, absl::UnixEpoch(), ev[i].bytes.substr(0, 8));
      r.dec.OnGap(kS, absl::UnixEpoch(), ev[i].bytes.size() - 8);
      continue;
    }
    if (i == 7) {  // "response 1" lost entirely
      r.dec.OnGap(kS, absl::UnixEpoch(), ev[i].bytes.size());
      continue;
    }
    r.dec.OnData(ev[i].dir, absl::UnixEpoch(), ev[i].bytes);
  }
  r.dec.OnClose(absl::UnixEpoch());
  CHECK(r.plain(1) == "response 2\nresponse 3\n");
  CHECK(r.rec->gaps[1] == 2);
  CHECK(r.dec.stats().resyncs == 1);
  CHECK(r.dec.stats().mac_failures == 0);
}

TEST_CASE("TlsDecryptor: ciphertext waiting for a secret is bounded and explained", "[tls]") {
  KeyLogStore empty;
  CheckByteCipherFactory factory;
  TlsDecryptorConfig config;
  config.secrets = &empty;
  config.cipher_factory = &factory;
  std::vector<Event> ev = SyntheticSession(3);
  SECTION("under the limit: explained at close") {
    Run r(config);
    FeedSplit(r.dec, ev, 100000);
    r.dec.OnClose(absl::UnixEpoch());
    CHECK(r.rec == nullptr);
    CHECK(r.output.records[0].second["decrypted"] == false);
    CHECK(r.output.records[0].second["reason"] == "no key log entry for this client random");
    CHECK(r.dec.stats().pending_overflow == 0);
  }
  SECTION("over the limit: dropped and counted") {
    config.limits.max_pending_bytes = 20;
    Run r(config);
    FeedSplit(r.dec, ev, 100000);
    r.dec.OnClose(absl::UnixEpoch());
    CHECK(r.dec.stats().pending_overflow == 2);
    CHECK(r.output.records[0].second["decrypted"] == false);
  }
  SECTION("secret arrives later: buffered records decrypt in order") {
    Run r(config);
    FeedSplit(r.dec, std::vector<Event>(ev.begin(), ev.end() - 2), 100000);
    empty.AddKeyLogText("CLIENT_RANDOM " + std::string(64, '1') + " " + std::string(96, '4') + "\n");
    FeedSplit(r.dec, std::vector<Event>(ev.end() - 2, ev.end()), 100000);
    r.dec.OnClose(absl::UnixEpoch());
    CHECK(r.plain(0) == "request 0\nrequest 1\nrequest 2\n");
    CHECK(r.plain(1) == "response 0\nresponse 1\nresponse 2\n");
  }
}

TEST_CASE("TlsDecryptor: not TLS makes no record and no downstream", "[tls]") {
  Run r(TestConfig());
  r.dec.OnData(kC, absl::UnixEpoch(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  r.dec.OnData(kS, absl::UnixEpoch(), "HTTP/1.1 200 OK\r\n\r\n");
  r.dec.OnClose(absl::UnixEpoch());
  CHECK(r.rec == nullptr);
  CHECK(r.output.records.empty());
}

TEST_CASE("LooksLikeTls: ClientHello records and SSLv2 hellos, not other protocols", "[tls]") {
  std::string ch = RecordBytes(22, 0x0301, HandshakeMessage(1, ClientHelloBody(0x002F)));
  CHECK(LooksLikeTls(ch));
  CHECK(LooksLikeTls(ch.substr(0, 3)));
  CHECK(LooksLikeTls(std::string("\x80\x2e\x01\x03\x01", 5)));
  CHECK_FALSE(LooksLikeTls("GET / HTTP/1.1\r\n"));
  CHECK_FALSE(LooksLikeTls("220 smtp.example ESMTP\r\n"));
  CHECK_FALSE(LooksLikeTls(RecordBytes(23, 0x0303, "x")));
  CHECK_FALSE(LooksLikeTls(""));
}

TEST_CASE("TlsDecryptor: real capture gives the same plaintext byte by byte", "[tls]") {
  std::string dir = tcpfollow::testing::RepoRoot() + "/corpus/tls/";
  auto conns = ReadPcapStreams(dir + "ecdhe_tls12_cbc.pcap");
  REQUIRE(conns.ok());
  KeyLogStore keys;
  keys.AddKeyLogText(tcpfollow::testing::ReadFileOrEmpty(dir + "ecdhe_tls12_cbc.keylog"));
  TlsDecryptorConfig config;
  config.secrets = &keys;
  std::string sha[2];
  for (size_t chunk : {size_t{100000}, size_t{1}, size_t{1000}}) {
    Run r(config);
    for (const auto& e : (*conns)[0].events) {
      for (size_t i = 0; i < e.bytes.size(); i += chunk) {
        r.dec.OnData(static_cast<Direction>(e.dir), absl::UnixEpoch(),
                     absl::string_view(e.bytes).substr(i, chunk));
      }
    }
    r.dec.OnClose(absl::UnixEpoch());
    REQUIRE(r.rec != nullptr);
    for (int d = 0; d < 2; ++d) {
      std::string h = absl::BytesToHexString(*Digest("SHA256", r.plain(d)));
      if (sha[d].empty()) sha[d] = h;
      CHECK(h == sha[d]);
    }
  }
}

}  // namespace
}  // namespace tcpfollow::tls
