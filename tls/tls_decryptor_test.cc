// TlsDecryptor behaviour with an injected check-byte cipher (synthetic sessions) and with a
// real capture: split invariance, MAC failures never reach downstream, gaps are forwarded and
// resynchronised, secrets that never come are bounded and explained, non-TLS is recognised.
#include "tls/tls_decryptor.h"

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"
#include "testing/paths.h"
#include "tls/key_schedule.h"
#include "testing/pcap_streams.h"
#include "tls/testing/decryptor_run.h"
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

using Run = DecryptorRun;

TlsDecryptorConfig TestConfig() {
  static EverySecret secrets;
  return CheckByteConfig(&secrets);
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

// Found by fuzz/session_fuzz (corpus/fuzz/session_fuzz/found_sni_not_utf8.pcap): a server
// name byte 0xF5 went into tls.jsonl as it was; the record's text is valid UTF-8 now, the
// byte escaped as every log escapes it (reassembly/utf8.h).
TEST_CASE("TlsDecryptor: a server name that is not UTF-8 is escaped in the record", "[tls]") {
  std::string ch = HandshakeMessage(1, ClientHelloBody(0xC02F));
  const size_t at = ch.find("example.test");
  REQUIRE(at != std::string::npos);
  ch[at + 11] = '\xf5';
  Run r(TestConfig());
  r.dec.OnData(kC, absl::UnixEpoch(), RecordBytes(22, 0x0301, ch));
  r.dec.OnClose(absl::UnixEpoch());
  REQUIRE(r.output.records.size() == 1);
  const nlohmann::json& j = r.output.records[0].second;
  CHECK(j["server_name"] == "example.tes\\xf5");
  CHECK_NOTHROW(j.dump());
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
  TlsDecryptorConfig config = CheckByteConfig(&empty);
  std::vector<Event> ev = SyntheticSession(3);
  SECTION("under the limit: explained at close") {
    Run r(config);
    FeedSplit(r.dec, ev, 100000);
    r.dec.OnClose(absl::UnixEpoch());
    CHECK(r.rec == nullptr);
    CHECK(r.output.records[0].second["decrypted"] == false);
    CHECK(r.output.records[0].second["reason"] ==
        "no key log entry for this client random [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]");
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

std::string Ext(uint16_t type, const std::string& body) {
  return std::string{static_cast<char>(type >> 8), static_cast<char>(type & 0xff),
                     static_cast<char>(body.size() >> 8), static_cast<char>(body.size() & 0xff)} +
         body;
}

std::string ClientHello13(bool early_data) {
  std::string ext = Ext(43, std::string("\x02\x03\x04", 3)) + Ext(51, std::string("\x00\x00", 2));
  if (early_data) ext += Ext(42, "");
  std::string b = "\x03\x03" + std::string(32, '\x11') + std::string("\x00\x00\x02\x13\x01\x01\x00", 7);
  b += static_cast<char>(ext.size() >> 8);
  b += static_cast<char>(ext.size() & 0xff);
  return HandshakeMessage(1, b + ext);
}

std::string ServerHello13(bool hrr) {
  static const unsigned char kHrr[32] = {
      0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
      0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
  std::string random = hrr ? std::string(reinterpret_cast<const char*>(kHrr), 32) : std::string(32, '\x22');
  std::string ext = Ext(43, std::string("\x03\x04", 2));
  std::string b = "\x03\x03" + random + std::string("\x00\x13\x01\x00", 4);
  b += static_cast<char>(ext.size() >> 8);
  b += static_cast<char>(ext.size() & 0xff);
  return HandshakeMessage(2, b + ext);
}

// A TLS 1.3 record: inner plaintext = content + type, protected with the check-byte cipher.
std::string Record13(const std::string& content, uint8_t inner_type, uint64_t seq) {
  return RecordBytes(23, 0x0303, Protect(content + static_cast<char>(inner_type) + std::string(3, '\0'), seq));
}

TEST_CASE("TlsDecryptor: TLS 1.3 with HelloRetryRequest, CCS compat and KeyUpdate", "[tls]") {
  std::vector<Event> ev = {
      {kC, RecordBytes(22, 0x0301, ClientHello13(false))},
      {kS, RecordBytes(22, 0x0303, ServerHello13(true)) + RecordBytes(20, 0x0303, "\x01")},
      {kC, RecordBytes(20, 0x0303, "\x01") + RecordBytes(22, 0x0303, ClientHello13(false))},
      {kS, RecordBytes(22, 0x0303, ServerHello13(false)) +
               Record13(HandshakeMessage(8, std::string("\x00\x09\x00\x10\x00\x05\x00\x03\x02h2", 11)), 22, 0) +
               Record13(HandshakeMessage(20, "fin-s"), 22, 1)},
      {kC, Record13(HandshakeMessage(20, "fin-c"), 22, 0) + Record13("request", 23, 0)},
      {kS, Record13("response", 23, 0) + Record13(HandshakeMessage(24, std::string(1, '\0')), 22, 1) +
               Record13(" after update", 23, 0)},
  };
  for (size_t chunk : {size_t{1}, size_t{5}, size_t{100000}}) {
    Run r(TestConfig());
    FeedSplit(r.dec, ev, chunk);
    r.dec.OnClose(absl::UnixEpoch());
    CHECK(r.plain(0) == "request");
    CHECK(r.plain(1) == "response after update");
    const nlohmann::json& j = r.output.records[0].second;
    INFO(j.dump());
    REQUIRE(j.contains("alpn"));
    REQUIRE(j.contains("key_updates"));
    CHECK(j["version"] == "TLS 1.3");
    CHECK(j["cipher"] == "TLS_AES_128_GCM_SHA256");
    CHECK(j["alpn"] == "h2");
    CHECK(j["key_updates"] == 1);
    CHECK(r.dec.stats().mac_failures == 0);
  }
}

TEST_CASE("TlsDecryptor: TLS 1.3 0-RTT data sent before the ServerHello is decrypted", "[tls]") {
  std::vector<Event> ev = {
      {kC, RecordBytes(22, 0x0301, ClientHello13(true)) + Record13("early ", 23, 0) +
               Record13(HandshakeMessage(5, ""), 22, 1)},
      {kS, RecordBytes(22, 0x0303, ServerHello13(false)) +
               Record13(HandshakeMessage(8, std::string("\x00\x04\x00\x2a\x00\x00", 6)), 22, 0) +
               Record13(HandshakeMessage(20, "fin-s"), 22, 1)},
      {kC, Record13(HandshakeMessage(20, "fin-c"), 22, 0) + Record13("late", 23, 0)},
  };
  Run r(TestConfig());
  FeedSplit(r.dec, ev, 100000);
  r.dec.OnClose(absl::UnixEpoch());
  CHECK(r.plain(0) == "early late");
  CHECK(r.output.records[0].second["early_data"] == true);
}

TEST_CASE("TlsDecryptor: renegotiation inside the encrypted session switches keys", "[tls]") {
  std::vector<Event> ev = SyntheticSession(1);  // app data seq 1 each way
  ev.push_back({kC, RecordBytes(22, 0x0303, Protect(HandshakeMessage(1, ClientHelloBody(0xC02F)), 2))});
  ev.push_back({kS, RecordBytes(22, 0x0303, Protect(HandshakeMessage(2, ServerHelloBody(0xC02F)) +
                                                        HandshakeMessage(14, ""), 2))});
  ev.push_back({kC, RecordBytes(20, 0x0303, Protect("\x01", 3)) +
                        RecordBytes(22, 0x0303, Protect(HandshakeMessage(20, "fin-c"), 0))});
  ev.push_back({kS, RecordBytes(20, 0x0303, Protect("\x01", 3)) +
                        RecordBytes(22, 0x0303, Protect(HandshakeMessage(20, "fin-s"), 0))});
  ev.push_back({kC, RecordBytes(23, 0x0303, Protect("after", 1))});
  ev.push_back({kS, RecordBytes(23, 0x0303, Protect("again", 1))});
  Run r(TestConfig());
  FeedSplit(r.dec, ev, 3);
  r.dec.OnClose(absl::UnixEpoch());
  CHECK(r.plain(0) == "request 0\nafter");
  CHECK(r.plain(1) == "response 0\nagain");
  CHECK(r.dec.stats().renegotiations == 1);
  CHECK(r.dec.stats().mac_failures == 0);
}

TEST_CASE("TlsDecryptor: end of a direction waits for records still waiting for a secret", "[tls]") {
  KeyLogStore keys;
  TlsDecryptorConfig config = CheckByteConfig(&keys);
  Run r(config);
  FeedSplit(r.dec, SyntheticSession(1), 100000);
  r.dec.OnEnd(kS, absl::UnixEpoch());
  keys.AddKeyLogText("CLIENT_RANDOM " + std::string(64, '1') + " " + std::string(96, '4'));
  r.dec.OnData(kC, absl::UnixEpoch(), "");
  REQUIRE(r.rec != nullptr);
  CHECK(r.plain(1) == "response 0\n");
  CHECK(r.rec->ended[1]);
  CHECK(r.rec->log.find("S11") != std::string::npos);
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
  auto conns = tcpfollow::testing::ReadPcapStreams(dir + "ecdhe_tls12_cbc.pcap");
  REQUIRE(conns.ok());
  KeyLogStore keys;
  keys.AddKeyLogText(tcpfollow::testing::ReadFileOrEmpty(dir + "ecdhe_tls12_cbc.keylog"));
  TlsDecryptorConfig config;
  config.secrets = &keys;
  std::string sha[2];
  for (size_t chunk : {size_t{100000}, size_t{1}, size_t{1000}}) {
    Run r(config);
    for (const auto& e : (*conns)[0].chunks) {
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
