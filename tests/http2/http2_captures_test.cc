// Http2Analyzer on the captures recorded in corpus/http2 (record_http2.py: curl, nghttp,
// nghttpd and python3-h2 peers, 3% loss each way): TLS 1.3 and 1.2 decrypted with curl's
// key logs (ALPN h2, three concurrent streams), prior knowledge, an h2c upgrade (HttpAnalyzer
// until its 101 handoff, then Http2Analyzer, as the session layer will), server push, a POST
// upload and a download aborted by RST_STREAM. Every object's sha256 must be one the peers
// recorded in corpus/http2/objects.json, and every recorded one must be extracted.
#include <openssl/sha.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "catch2/catch.hpp"
#include "protocols/http/http_analyzer.h"
#include "protocols/http2/http2_analyzer.h"
#include "testing/memory_output.h"
#include "testing/paths.h"
#include "testing/pcap_streams.h"
#include "tls/keylog.h"
#include "tls/tls_decryptor.h"

namespace tcpfollow {
namespace {

using testing::MemoryOutput;

std::string Dir() { return testing::RepoRoot() + "/corpus/http2/"; }

std::string Sha256Hex(absl::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(md), sizeof(md)));
}

nlohmann::json Expected(const std::string& pcap) {
  std::string text = testing::ReadFileOrEmpty(Dir() + "objects.json");
  REQUIRE_FALSE(text.empty());
  nlohmann::json all = nlohmann::json::parse(text);
  REQUIRE(all.contains(pcap));
  return all[pcap];
}

struct Result {
  std::vector<nlohmann::json> records;
  std::vector<MemoryOutput::Object> objects;
  Http2Stats stats;
  uint64_t missed = 0;
};

// Feeds every connection of `pcap` to an Http2Analyzer, through TLS when `keylog` is set.
// Forwards one connection's events (data, gaps, ends) to its analyzer.
class Forward : public StreamSink {
 public:
  explicit Forward(std::unique_ptr<Analyzer> a) : a_(std::move(a)) {}
  void OnData(Direction dir, absl::Time ts, absl::string_view bytes) override {
    a_->OnData(dir, ts, bytes);
  }
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override {
    missed += length;
    a_->OnGap(dir, ts, length);
  }
  void OnEnd(Direction dir, absl::Time ts) override { a_->OnEnd(dir, ts); }
  Analyzer* analyzer() { return a_.get(); }
  uint64_t missed = 0;

 private:
  std::unique_ptr<Analyzer> a_;
};

Result Run(const std::string& pcap, const std::string& keylog = "") {
  Result r;
  MemoryOutput out;
  tls::KeyLogStore keys;
  if (!keylog.empty()) {
    std::string text = testing::ReadFileOrEmpty(Dir() + keylog);
    REQUIRE_FALSE(text.empty());
    keys.AppendKeyLogBytes(text);
  }
  std::map<uint64_t, std::unique_ptr<Forward>> conns;
  testing::StreamEvents events;
  events.open = [&](const ConnectionInfo& info) -> StreamSink* {
    Http2Options options;
    std::unique_ptr<Analyzer> a;
    if (keylog.empty()) {
      a = std::make_unique<Http2Analyzer>(info, &out, Http2Limits(), &r.stats, options);
    } else {
      options.tls = true;
      tls::TlsDecryptorConfig config;
      config.secrets = &keys;
      a = std::make_unique<tls::TlsDecryptor>(
          info, &out, config, [&r, &out, options, info](const StageFacts& facts) {
            CHECK(facts.alpn == "h2");  // what the session layer picks HTTP/2 by
            return std::make_unique<Http2Analyzer>(info, &out, Http2Limits(), &r.stats,
                                                   options);
          });
    }
    auto& f = conns[info.id];
    f = std::make_unique<Forward>(std::move(a));
    return f.get();
  };
  events.close = [&](const ConnectionInfo& info, absl::Time last) {
    Forward* f = conns[info.id].get();
    f->analyzer()->OnClose(last);
    r.missed += f->missed;
  };
  REQUIRE(testing::ReplayPcapStreams(Dir() + pcap, events).ok());
  REQUIRE_FALSE(conns.empty());
  r.records = out.records("http");
  r.objects = out.objects();
  return r;
}

// Every object is an expected one and every expected one was extracted (as a multiset).
void CheckObjects(const Result& r, const nlohmann::json& expected) {
  std::multiset<std::string> want, got;
  for (const auto& e : expected) want.insert(e["sha256"].get<std::string>());
  for (const auto& o : r.objects) {
    got.insert(Sha256Hex(o.data));
    CHECK(o.finished);
    CHECK_FALSE(o.extra.contains("partial"));
  }
  CHECK(got == want);
  for (const auto& rec : r.records) {
    CHECK(rec["version"] == "2");
    CHECK(rec["partial"] == false);
    CHECK_FALSE(rec.contains("hpack_desync"));
    CHECK(rec["status_code"].get<int>() / 100 == 2);
  }
}

void CheckTls(const std::string& name) {
  Result r = Run(name + ".pcap", name + ".keylog");
  nlohmann::json expected = Expected(name + ".pcap");
  REQUIRE(r.records.size() == 3);
  std::map<std::string, int> streams;
  for (const auto& rec : r.records) {
    CHECK(rec["tls"] == true);
    CHECK(rec["method"] == "GET");
    CHECK(rec["user_agent"] == "curl/7.88.1");
    CHECK(absl::StartsWith(rec["host"].get<std::string>(), "198.18.0.2:"));
    streams[rec["uri"]] = rec["stream_id"];
  }
  // curl -Z multiplexed the three on one connection.
  CHECK(streams.size() == 3);
  CHECK(r.stats.connections == 1);
  CheckObjects(r, expected);
}

TEST_CASE("TLS 1.3, ALPN h2, key log: three concurrent streams") { CheckTls("tls13"); }

TEST_CASE("TLS 1.2, ALPN h2, key log: three concurrent streams") { CheckTls("tls12"); }

TEST_CASE("prior knowledge: curl and nghttp") {
  Result r = Run("prior.pcap");
  REQUIRE(r.records.size() == 4);
  CHECK(r.stats.connections == 3);
  CheckObjects(r, Expected("prior.pcap"));
}

TEST_CASE("h2c upgrade: HttpAnalyzer hands over after the 101, the request is stream 1") {
  auto conns = testing::ReadPcapStreams(Dir() + "h2c.pcap");
  REQUIRE(conns.ok());
  REQUIRE(conns->size() == 1);
  const auto& c = (*conns)[0];
  MemoryOutput out;
  Result r;
  // As the session layer will: HTTP/1.x until its 101 handoff, then HTTP/2 from the byte
  // after the 101 head (and every later byte of both directions).
  HttpAnalyzer h1(c.info, &out);
  std::unique_ptr<Http2Analyzer> h2;
  Http2UpgradeRequest up;
  absl::Time last = c.info.start;
  for (const auto& chunk : c.chunks) {
    absl::string_view b = chunk.bytes;
    last = chunk.ts;
    if (h2 == nullptr) {
      size_t used = h1.OnData(chunk.dir, chunk.ts, b);
      if (h1.handoff() == nullptr) continue;
      REQUIRE(h1.handoff()->to == "http2");
      REQUIRE(h1.upgraded() != nullptr);
      REQUIRE(h1.upgraded()->upgrade == "h2c");
      up = Http2UpgradeRequest::FromHttp1(*h1.upgraded());
      Http2Options options;
      options.upgrade = &up;
      h2 = std::make_unique<Http2Analyzer>(c.info, &out, Http2Limits(), &r.stats, options);
      // Client bytes sent before the 101 (held by HTTP/1) go first, as the session does.
      const std::string& held = h1.handoff()->held[Index(Direction::kClientToServer)];
      if (!held.empty()) h2->OnData(Direction::kClientToServer, chunk.ts, held);
      b.remove_prefix(used);
    }
    if (!b.empty()) h2->OnData(chunk.dir, chunk.ts, b);
  }
  REQUIRE(h2 != nullptr);
  h1.OnClose(last);
  h2->OnClose(last);
  const auto& records = out.records("http");
  REQUIRE(records.size() == 2);
  CHECK(records[0]["status_code"] == 101);
  CHECK(records[0]["upgrade"] == "h2c");
  r.records = {records[1]};
  r.objects = out.objects();
  const nlohmann::json& rec = r.records[0];
  CHECK(rec["stream_id"] == 1);
  CHECK(rec["upgrade"] == "h2c");
  CHECK(rec["uri"] == "/text.txt");
  CHECK(rec["user_agent"] == "curl/7.88.1");
  CHECK(rec["resp_mime_types"][0] == "text/plain");
  CheckObjects(r, Expected("h2c.pcap"));
  // The body came gzip-encoded and was decoded through protocols/content.
  CHECK(r.stats.content.bytes_in > 0);
  CHECK(r.stats.content.bytes_in < r.stats.content.bytes_out);
}

TEST_CASE("a hole in the capture: that stream partial with its missed bytes, others whole") {
  Result r = Run("prior_gap.pcap");
  REQUIRE(r.records.size() == 4);
  CHECK(r.missed == 1228);
  nlohmann::json expected = Expected("prior_gap.pcap");
  std::multiset<std::string> want, got;
  for (const auto& e : expected) {
    if (!e.contains("partial")) want.insert(e["sha256"].get<std::string>());
  }
  const MemoryOutput::Object* holed = nullptr;
  for (const auto& o : r.objects) {
    if (o.extra.contains("partial")) {
      CHECK(holed == nullptr);
      holed = &o;
    } else {
      got.insert(Sha256Hex(o.data));
    }
  }
  CHECK(got == want);
  REQUIRE(holed != nullptr);
  INFO(holed->extra.dump());
  for (const auto& rec : r.records) INFO(rec.dump());
  CHECK(holed->extra.value("missing_bytes", 0) == 1228);
  // The hole was inside text.txt's body (or took a frame header with it).
  CHECK(holed->data.size() <= 25090 - 1228 + 9);
  CHECK(holed->data.size() >= 25090 - 1228 - 16384);
  int partial = 0;
  for (const auto& rec : r.records) {
    CHECK_FALSE(rec.contains("hpack_desync"));
    if (rec["partial"] == true) {
      ++partial;
      CHECK(rec.value("uri", "") == "/text.txt");
      CHECK(rec.value("missed_bytes", 0) == 1228);
    }
  }
  CHECK(partial == 1);
}

TEST_CASE("server push: nghttpd -p, nghttp") {
  Result r = Run("push.pcap");
  REQUIRE(r.records.size() == 2);
  int pushes = 0;
  for (const auto& rec : r.records) {
    if (rec["push"] == true) {
      ++pushes;
      CHECK(rec["uri"] == "/style.css");
      CHECK(rec["stream_id"].get<int>() % 2 == 0);
    }
  }
  CHECK(pushes == 1);
  CheckObjects(r, Expected("push.pcap"));
}

TEST_CASE("POST upload: the request body is an object") {
  Result r = Run("post.pcap");
  REQUIRE(r.records.size() == 1);
  CHECK(r.records[0]["method"] == "POST");
  CHECK(r.records[0]["status_code"] == 201);
  CHECK(r.records[0]["orig_fuids"].size() == 1);
  CheckObjects(r, Expected("post.pcap"));
}

TEST_CASE("aborted download: RST_STREAM CANCEL, the object a partial prefix") {
  Result r = Run("abort.pcap");
  nlohmann::json e = Expected("abort.pcap")[0];
  REQUIRE(r.records.size() == 1);
  const nlohmann::json& rec = r.records[0];
  CHECK(rec["reset"] == "CANCEL");
  CHECK(rec["partial"] == true);
  REQUIRE(r.objects.size() == 1);
  const std::string& data = r.objects[0].data;
  CHECK(data.size() >= e["min_length"].get<size_t>());
  CHECK(data.size() < e["length"].get<size_t>());
  CHECK(Sha256Hex(data.substr(0, 30000)) == e["sha256_first_30000"]);
  CHECK(r.objects[0].extra["partial"] == true);
}

}  // namespace
}  // namespace tcpfollow
