// Http2Analyzer against an in-memory output, with header blocks from libnghttp2's
// deflater: records (HTTP/1.x fields plus version, stream_id, push, reset, hpack_desync),
// concurrent streams, bodies with content codings as objects byte for byte, request bodies
// (POST, gRPC with trailers), server push, RST_STREAM and GOAWAY, h2c upgrade, a gap inside
// a DATA frame, a gap over frame boundaries (resync), a lost header block (hpack_desync,
// later streams still extracted), joining mid-connection, each limit just under and just
// over, and the same records and objects for the whole conversation fed at once, byte by
// byte and split at every point.
#include "protocols/http2/http2_analyzer.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "protocols/content/test_encoders.h"
#include "protocols/http/http_analyzer.h"
#include "protocols/http2/http2_test_util.h"
#include "testing/memory_output.h"

namespace tcpfollow {
namespace {

using h2test::Encoder;
using h2test::Fields;
using testing::GzipEncode;
using testing::MemoryOutput;
constexpr Direction kC = Direction::kClientToServer;
constexpr Direction kS = Direction::kServerToClient;

struct Event {
  Direction dir;
  std::string bytes;
  uint64_t gap = 0;
};

struct Outcome {
  std::vector<nlohmann::json> records;
  std::vector<MemoryOutput::Object> objects;
  Http2Stats stats;
};

ConnectionInfo Conn() {
  ConnectionInfo c;
  c.id = 7;
  c.saw_handshake = true;
  return c;
}

// Feeds `events` whole (piece 0), in pieces of `piece` bytes, or split once at `split`.
Outcome Run(const std::vector<Event>& events, size_t piece = 0, size_t split = 0,
            Http2Limits limits = {}, Http2Options options = {}) {
  MemoryOutput out;
  Outcome o;
  {
    Http2Analyzer a(Conn(), &out, limits, &o.stats, options);
    absl::Time ts = absl::FromUnixSeconds(1700000000);
    for (const Event& e : events) {
      ts += absl::Milliseconds(1);
      if (e.gap) {
        a.OnGap(e.dir, ts, e.gap);
        continue;
      }
      absl::string_view b = e.bytes;
      if (split > 0 && split < b.size()) {
        a.OnData(e.dir, ts, b.substr(0, split));
        a.OnData(e.dir, ts, b.substr(split));
      } else if (piece > 0) {
        for (size_t i = 0; i < b.size(); i += piece) a.OnData(e.dir, ts, b.substr(i, piece));
      } else {
        a.OnData(e.dir, ts, b);
      }
    }
    a.OnClose(ts + absl::Seconds(1));
  }
  o.records = out.records("http");
  o.objects = out.objects();
  return o;
}

const MemoryOutput::Object* ObjectOf(const Outcome& o, const nlohmann::json& r,
                                     const char* list = "resp_fuids") {
  if (!r.contains(list) || r[list].empty()) return nullptr;
  std::string fuid = r[list][0];
  for (const auto& obj : o.objects) {
    if (obj.fuid == fuid) return &obj;
  }
  return nullptr;
}

const nlohmann::json* StreamRecord(const Outcome& o, uint32_t id) {
  for (const auto& r : o.records) {
    if (r["stream_id"] == id) return &r;
  }
  return nullptr;
}

Fields Get(const std::string& path, const std::string& authority = "example.com") {
  return {{":method", "GET"}, {":scheme", "https"}, {":authority", authority},
          {":path", path}, {"user-agent", "curl/7.88.1"}, {"accept", "*/*"}};
}

std::string BigText(size_t n) {
  std::string s;
  for (size_t i = 0; s.size() < n; ++i) absl::StrAppend(&s, "line ", i, " of a text body\n");
  s.resize(n);
  return s;
}

// Two concurrent GETs (a 1-byte file and a gzip-encoded text) with interleaved DATA,
// padding, priority and CONTINUATION, plus PING/WINDOW_UPDATE/unknown frames.
std::vector<Event> Concurrent(const std::string& text) {
  Encoder ce, se;
  std::string gz = GzipEncode(text);
  std::string c = std::string(kHttp2Preface);
  c += h2test::Settings({{1, 4096}, {4, 65535}});
  c += ce.Headers(1, Get("/one.bin"), true, 0, 0, true);
  c += ce.Headers(3, Get("/text.txt"), true, 10);
  c += h2test::Settings({}, true);
  std::string s1 = h2test::Settings({{3, 100}});
  s1 += h2test::Settings({}, true);
  s1 += se.Headers(3, {{":status", "200"}, {"content-type", "text/plain"},
                                  {"content-encoding", "gzip"}}, false, 0, 5);
  s1 += h2test::Data(3, gz.substr(0, 100), false, 7);
  s1 += se.Headers(1, {{":status", "200"}, {"content-length", "1"}}, false);
  s1 += h2test::Ping();
  s1 += h2test::Frame(0x20, 0, 0, "ext");
  std::string s2 = h2test::Data(1, "x", true) + h2test::WindowUpdate(3, 100) +
                   h2test::DataFrames(3, gz.substr(100), 1000, true);
  return {{kC, c}, {kS, s1}, {kS, s2}};
}

TEST_CASE("concurrent streams: records and objects") {
  std::string text = BigText(20000);
  Outcome o = Run(Concurrent(text));
  REQUIRE(o.records.size() == 2);
  nlohmann::json r1 = *StreamRecord(o, 1);
  CHECK(r1["version"] == "2");
  CHECK(r1["method"] == "GET");
  CHECK(r1["host"] == "example.com");
  CHECK(r1["uri"] == "/one.bin");
  CHECK(r1["user_agent"] == "curl/7.88.1");
  CHECK(r1["status_code"] == 200);
  CHECK(r1["push"] == false);
  CHECK(r1["partial"] == false);
  CHECK(r1["response_body_len"] == 1);
  CHECK_FALSE(r1.contains("reset"));
  CHECK_FALSE(r1.contains("hpack_desync"));
  CHECK(r1["trans_depth"] == 1);
  const auto* obj1 = ObjectOf(o, r1);
  REQUIRE(obj1 != nullptr);
  CHECK(obj1->data == "x");
  CHECK(obj1->meta.name == "one.bin");
  nlohmann::json r3 = *StreamRecord(o, 3);
  CHECK(r3["uri"] == "/text.txt");
  CHECK(r3["response_body_len"] == text.size());
  CHECK(r3["resp_mime_types"][0] == "text/plain");
  const auto* obj3 = ObjectOf(o, r3);
  REQUIRE(obj3 != nullptr);
  CHECK(obj3->data == text);
  CHECK(obj3->finished);
  // Complete, and the files.jsonl record names the request that asked for it.
  CHECK(!obj3->extra.contains("partial"));
  CHECK(obj3->extra["method"] == "GET");
  CHECK(obj3->extra["uri"] == "/text.txt");
  CHECK(obj3->meta.sender == Direction::kServerToClient);
  CHECK(o.stats.frames.unknown_frames == 1);
  CHECK(o.stats.transactions == 2);
  CHECK(o.stats.objects == 2);
}

TEST_CASE("206 answers are counted as over HTTP/1.x (stats partial_content)") {
  Encoder ce, se;
  std::string c = std::string(kHttp2Preface) + h2test::Settings();
  Fields first = Get("/file.bin"), second = Get("/file.bin"), bad = Get("/other.bin");
  first.push_back({"range", "bytes=0-4"});
  second.push_back({"range", "bytes=5-9"});
  bad.push_back({"range", "bytes=0-4"});
  c += ce.Headers(1, first, true) + ce.Headers(3, second, true) + ce.Headers(5, bad, true);
  std::string s = h2test::Settings();
  s += se.Headers(1, {{":status", "206"}, {"content-range", "bytes 0-4/10"}, {"etag", "\"v1\""}},
                  false);
  s += h2test::Data(1, "01234", true);
  s += se.Headers(3, {{":status", "206"}, {"content-range", "bytes 5-9/10"}, {"etag", "\"v1\""}},
                  false);
  s += h2test::Data(3, "56789", true);
  s += se.Headers(5, {{":status", "206"}}, false);  // no Content-Range: kept whole
  s += h2test::Data(5, "abcde", true);
  Outcome o = Run({{kC, c}, {kS, s}});
  REQUIRE(o.records.size() == 3);
  CHECK(o.stats.partial_content.answers == 2);  // sent to the range assembler
  CHECK(o.stats.partial_content.not_placed == 1);
  nlohmann::json j;
  AddHttpCommonStats(o.stats, &j);
  CHECK(j["partial_content"]["answers"] == 2);
}

TEST_CASE("split invariance: whole, byte by byte, every split point") {
  std::string text = BigText(3000);
  std::vector<Event> ev = Concurrent(text);
  Outcome whole = Run(ev);
  REQUIRE(whole.records.size() == 2);
  auto same = [&](const Outcome& o) {
    REQUIRE(o.records.size() == whole.records.size());
    for (size_t i = 0; i < o.records.size(); ++i) REQUIRE(o.records[i] == whole.records[i]);
    REQUIRE(o.objects.size() == whole.objects.size());
    for (size_t i = 0; i < o.objects.size(); ++i) {
      REQUIRE(o.objects[i].data == whole.objects[i].data);
      REQUIRE(o.objects[i].meta.mime_type == whole.objects[i].meta.mime_type);
      REQUIRE(o.objects[i].extra == whole.objects[i].extra);
    }
  };
  same(Run(ev, 1));
  size_t longest = 0;
  for (const Event& e : ev) longest = std::max(longest, e.bytes.size());
  for (size_t cut = 1; cut < longest; ++cut) {
    INFO("split at " << cut);
    same(Run(ev, 0, cut));
  }
}

TEST_CASE("POST upload and gRPC request bodies are objects; trailers are read") {
  Encoder ce, se;
  std::string upload = BigText(5000);
  std::string grpc_msg = std::string("\0\0\0\0\x05hello", 10);
  std::string c = std::string(kHttp2Preface);
  c += h2test::Settings();
  c += ce.Headers(1, {{":method", "POST"}, {":scheme", "http"},
                                 {":authority", "h"}, {":path", "/upload"},
                                 {"content-type", "text/plain"}}, false);
  c += h2test::DataFrames(1, upload, 1024, true);
  c += ce.Headers(3, {{":method", "POST"}, {":scheme", "http"}, {":authority", "h"},
                                 {":path", "/pkg.Svc/Call"},
                                 {"content-type", "application/grpc"}, {"te", "trailers"}},
                             false);
  c += h2test::Data(3, grpc_msg, true);
  std::string s = h2test::Settings();
  s += se.Headers(1, {{":status", "201"}}, true);
  s += se.Headers(3, {{":status", "200"}, {"content-type", "application/grpc"}},
                             false);
  s += h2test::Data(3, grpc_msg, false);
  s += se.Headers(3, {{"grpc-status", "0"}}, true);
  Outcome o = Run({{kC, c}, {kS, s}});
  REQUIRE(o.records.size() == 2);
  nlohmann::json r1 = *StreamRecord(o, 1);
  CHECK(r1["method"] == "POST");
  CHECK(r1["status_code"] == 201);
  CHECK(r1["request_body_len"] == upload.size());
  const auto* up = ObjectOf(o, r1, "orig_fuids");
  REQUIRE(up != nullptr);
  CHECK(up->data == upload);
  CHECK(r1["orig_mime_types"][0] == "text/plain");
  nlohmann::json r3 = *StreamRecord(o, 3);
  CHECK(ObjectOf(o, r3, "orig_fuids")->data == grpc_msg);
  CHECK(ObjectOf(o, r3)->data == grpc_msg);
  CHECK(r3["partial"] == false);
}

TEST_CASE("server push: promised request and pushed response are one transaction") {
  Encoder ce, se;
  std::string c = std::string(kHttp2Preface) + h2test::Settings() +
                  ce.Headers(1, Get("/index.html"), true);
  std::string s = h2test::Settings();
  s += se.PushPromise(1, 2, Get("/style.css"));
  s += se.Headers(1, {{":status", "200"}, {"content-type", "text/html"}}, false);
  s += h2test::Data(1, "<html></html>", true);
  s += se.Headers(2, {{":status", "200"}, {"content-type", "text/css"}}, false);
  s += h2test::Data(2, "body{}", true);
  Outcome o = Run({{kC, c}, {kS, s}});
  REQUIRE(o.records.size() == 2);
  nlohmann::json r2 = *StreamRecord(o, 2);
  CHECK(r2["push"] == true);
  CHECK(r2["uri"] == "/style.css");
  CHECK(r2["method"] == "GET");
  CHECK(r2["status_code"] == 200);
  CHECK(r2["partial"] == false);
  CHECK(ObjectOf(o, r2)->data == "body{}");
  CHECK(StreamRecord(o, 1)->at("push") == false);
  CHECK(o.stats.pushes == 1);
}

TEST_CASE("RST_STREAM ends a download as reset with its error name") {
  Encoder ce, se;
  std::string big = BigText(10000);
  std::string c = std::string(kHttp2Preface) + h2test::Settings() +
                  ce.Headers(1, Get("/big"), true);
  std::string s = h2test::Settings() + se.Headers(1, {{":status", "200"}}, false) +
                  h2test::Data(1, big.substr(0, 3000), false);
  std::string c2 = h2test::RstStream(1, 8);
  std::string s2 = h2test::Data(1, big.substr(3000, 1000), false);  // in flight: ignored
  Outcome o = Run({{kC, c}, {kS, s}, {kC, c2}, {kS, s2}});
  REQUIRE(o.records.size() == 1);
  CHECK(o.records[0]["reset"] == "CANCEL");
  CHECK(o.records[0]["partial"] == true);
  const auto* obj = ObjectOf(o, o.records[0]);
  REQUIRE(obj != nullptr);
  CHECK(obj->data == big.substr(0, 3000));
  CHECK(obj->extra["partial"] == true);
  CHECK(o.stats.resets == 1);
}

TEST_CASE("GOAWAY resets the streams its sender never processed") {
  Encoder ce, se;
  std::string c = std::string(kHttp2Preface);
  c += h2test::Settings();
  c += ce.Headers(1, Get("/a"), true);
  c += ce.Headers(3, Get("/b"), true);
  std::string s = h2test::Settings() + h2test::GoAway(1, 0xb) +
                  se.Headers(1, {{":status", "200"}}, false) + h2test::Data(1, "a", true);
  Outcome o = Run({{kC, c}, {kS, s}});
  REQUIRE(o.records.size() == 2);
  CHECK(StreamRecord(o, 3)->at("reset") == "ENHANCE_YOUR_CALM");
  CHECK(StreamRecord(o, 1)->at("partial") == false);
  CHECK_FALSE(StreamRecord(o, 1)->contains("reset"));
}

TEST_CASE("h2c upgrade: the HTTP/1.1 request is stream 1") {
  Http2UpgradeRequest up;
  up.method = "POST";
  up.uri = "/form";
  up.host = "localhost:20080";
  up.headers = {{"Host", "localhost:20080"}, {"User-Agent", "curl/7.88.1"},
                {"Content-Type", "text/plain"}};
  up.body = "posted";
  Http2Options options;
  options.upgrade = &up;
  Encoder ce, se;
  std::string c = std::string(kHttp2Preface) + h2test::Settings() +
                  ce.Headers(3, Get("/second"), true);
  std::string s = h2test::Settings();
  s += se.Headers(1, {{":status", "200"}}, false);
  s += h2test::Data(1, "answer", true);
  s += se.Headers(3, {{":status", "404"}}, true);
  Outcome o = Run({{kC, c}, {kS, s}}, 0, 0, {}, options);
  REQUIRE(o.records.size() == 2);
  nlohmann::json r1 = *StreamRecord(o, 1);
  CHECK(r1["method"] == "POST");
  CHECK(r1["uri"] == "/form");
  CHECK(r1["host"] == "localhost:20080");
  CHECK(r1["user_agent"] == "curl/7.88.1");
  CHECK(r1["upgrade"] == "h2c");
  CHECK(r1["status_code"] == 200);
  CHECK(ObjectOf(o, r1, "orig_fuids")->data == "posted");
  CHECK(ObjectOf(o, r1)->data == "answer");
  CHECK(StreamRecord(o, 3)->at("status_code") == 404);
}

TEST_CASE("h2c upgrade handed over by HttpAnalyzer at the byte after the 101 head") {
  MemoryOutput out;
  absl::Time ts = absl::FromUnixSeconds(1700000000);
  HttpAnalyzer h1(Conn(), &out);
  std::string req =
      "GET /page HTTP/1.1\r\nHost: localhost:20081\r\nUser-Agent: curl/7.88.1\r\n"
      "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
      "HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n";
  CHECK(h1.OnData(kC, ts, req) == req.size());
  Encoder se;
  std::string server = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                       "Upgrade: h2c\r\n\r\n";
  size_t head = server.size();
  server += h2test::Settings();
  server += se.Headers(1, {{":status", "200"}, {"content-type", "text/html"}}, false);
  server += h2test::Data(1, "<p>upgraded</p>", true);
  size_t used = h1.OnData(kS, ts, server);
  CHECK(used == head);
  REQUIRE(h1.handoff() != nullptr);
  CHECK(h1.handoff()->to == "http2");
  REQUIRE(h1.upgraded() != nullptr);
  CHECK(h1.upgraded()->upgrade == "h2c");
  Http2UpgradeRequest up = Http2UpgradeRequest::FromHttp1(*h1.upgraded());
  Http2Options options;
  options.upgrade = &up;
  Http2Analyzer h2(Conn(), &out, {}, nullptr, options);
  h2.OnData(kS, ts, absl::string_view(server).substr(used));
  h2.OnData(kC, ts, std::string(kHttp2Preface) + h2test::Settings());
  h1.OnClose(ts);
  h2.OnClose(ts);
  const auto& records = out.records("http");
  REQUIRE(records.size() == 2);
  CHECK(records[0]["status_code"] == 101);  // HTTP/1.1's own record of the switch
  nlohmann::json r = records[1];
  CHECK(r["version"] == "2");
  CHECK(r["stream_id"] == 1);
  CHECK(r["uri"] == "/page");
  CHECK(r["user_agent"] == "curl/7.88.1");
  CHECK(r["host"] == "localhost:20081");
  CHECK(r["upgrade"] == "h2c");
  CHECK(r["status_code"] == 200);
  CHECK(r["partial"] == false);
  REQUIRE(out.objects().size() == 1);
  CHECK(out.objects()[0].data == "<p>upgraded</p>");
}

TEST_CASE("follow: decoded headers and DATA per stream") {
  struct Transcript : Http2FollowSink {
    void OnStreamText(uint32_t stream, Direction dir, absl::Time, absl::string_view text) override {
      absl::StrAppend(&by_stream[stream], dir == kC ? "> " : "< ", text);
    }
    std::map<uint32_t, std::string> by_stream;
  } t;
  Http2Options options;
  options.follow = &t;
  Encoder ce, se;
  std::string c = std::string(kHttp2Preface);
  c += ce.Headers(1, {{":method", "GET"}, {":path", "/a"}}, true);
  std::string s = se.PushPromise(1, 2, {{":method", "GET"}, {":path", "/p"}});
  s += se.Headers(1, {{":status", "200"}}, false);
  s += h2test::Data(1, "body-a", true, 3);
  s += se.Headers(2, {{":status", "200"}}, false);
  s += h2test::Data(2, "pushed", true);
  Run({{kC, c}, {kS, s}}, 0, 0, {}, options);
  CHECK(t.by_stream[1] == "> :method: GET\n:path: /a\n\n< :status: 200\n\n< body-a");
  CHECK(t.by_stream[2] == "> :method: GET\n:path: /p\n\n< :status: 200\n\n< pushed");
}

TEST_CASE("a promised stream id used twice: the first is written, not lost") {
  Encoder ce, se;
  std::string c = std::string(kHttp2Preface);
  c += ce.Headers(1, Get("/"), true);
  std::string s = se.PushPromise(1, 2, Get("/a.css"));
  s += se.PushPromise(1, 2, Get("/b.css"));
  s += se.Headers(1, {{":status", "200"}}, true);
  s += se.Headers(2, {{":status", "200"}}, false);
  s += h2test::Data(2, "b", true);
  Outcome o = Run({{kC, c}, {kS, s}});
  REQUIRE(o.records.size() == 3);
  CHECK(o.records[0]["uri"] == "/a.css");
  CHECK(o.records[0]["partial"] == true);
  CHECK(StreamRecord(o, 1)->at("partial") == false);
}

TEST_CASE("records say tls when the connection was decrypted") {
  Http2Options options;
  options.tls = true;
  Encoder ce, se;
  Outcome o = Run({{kC, std::string(kHttp2Preface) + ce.Headers(1, Get("/"), true)},
                   {kS, se.Headers(1, {{":status", "204"}}, true)}},
                  0, 0, {}, options);
  REQUIRE(o.records.size() == 1);
  CHECK(o.records[0]["tls"] == true);
  CHECK(o.objects.empty());
}

TEST_CASE("a gap inside a DATA frame: the object continues with a hole") {
  Encoder ce, se;
  std::string body = BigText(5000);
  std::string c = std::string(kHttp2Preface);
  c += ce.Headers(1, Get("/f"), true);
  c += ce.Headers(3, Get("/g"), true);
  std::string frame = h2test::Data(1, body, true);
  std::string s = se.Headers(1, {{":status", "200"}}, false);
  std::vector<Event> ev = {{kC, c},
                           {kS, s + frame.substr(0, 1009)},
                           {kS, "", 500},
                           {kS, frame.substr(1509)},
                           {kS, se.Headers(3, {{":status", "200"}}, false) +
                                    h2test::Data(3, "g", true)}};
  Outcome o = Run(ev);
  REQUIRE(o.records.size() == 2);
  nlohmann::json r1 = *StreamRecord(o, 1);
  CHECK(r1["partial"] == true);
  CHECK(r1["missed_bytes"] == 500);
  CHECK_FALSE(r1.contains("hpack_desync"));
  const auto* obj = ObjectOf(o, r1);
  CHECK(obj->data == body.substr(0, 1000) + body.substr(1500));
  CHECK(obj->extra["missing_bytes"] == 500);
  nlohmann::json r3 = *StreamRecord(o, 3);
  CHECK(r3["partial"] == false);
  CHECK(ObjectOf(o, r3)->data == "g");
}

TEST_CASE("a gap over frame boundaries: open streams partial, resync, later streams whole") {
  Encoder ce, se;
  std::string body = BigText(3000);
  std::string c = std::string(kHttp2Preface);
  c += ce.Headers(1, Get("/f"), true);
  c += ce.Headers(3, Get("/g"), true);
  std::string s1 = se.Headers(1, {{":status", "200"}, {"content-type", "text/plain"}}, false) +
                   h2test::Data(1, body.substr(0, 1000), false);
  // Lost: the rest of stream 1 in two frames and stream 3's response headers.
  std::string lost = h2test::Data(1, body.substr(1000, 1000), false) +
                     se.Headers(3, {{":status", "200"}, {"x-lost", "1"}}, false);
  std::string s2 = h2test::Data(1, body.substr(2000), true) + h2test::Data(3, "ggg", true);
  std::string c2 = ce.Headers(5, Get("/h"), true);
  std::string s3 = se.Headers(5, {{":status", "200"}, {"content-type", "text/plain"}}, false) +
                   h2test::Data(5, "hhh", true);
  Outcome o = Run({{kC, c}, {kS, s1}, {kS, "", lost.size()}, {kS, s2}, {kC, c2}, {kS, s3}});
  REQUIRE(o.records.size() == 3);
  nlohmann::json r1 = *StreamRecord(o, 1);
  CHECK(r1["partial"] == true);
  CHECK(r1["missed_bytes"] == lost.size());
  CHECK(ObjectOf(o, r1)->data == body.substr(0, 1000) + body.substr(2000));
  nlohmann::json r3 = *StreamRecord(o, 3);
  CHECK(r3["partial"] == true);
  CHECK_FALSE(r3.contains("resp_fuids"));  // its headers were lost: DATA not extracted
  nlohmann::json r5 = *StreamRecord(o, 5);
  CHECK(r5["status_code"] == 200);
  CHECK(ObjectOf(o, r5)->data == "hhh");
  CHECK(o.stats.frames.resyncs == 1);
}

TEST_CASE("a lost header block: hpack_desync, trusted fields and DATA still extracted") {
  Encoder ce, se;
  std::string c = std::string(kHttp2Preface);
  c += ce.Headers(1, Get("/a"), true);
  c += ce.Headers(3, Get("/b"), true);
  // Response 1's block inserts x-custom into the table; it is lost inside its frame.
  std::string h1 = se.Headers(1, {{":status", "200"}, {"x-custom", "value-123"}}, false);
  std::string s2 = h2test::Data(1, "aaa", true) +
                   se.Headers(3, {{":status", "200"}, {"x-custom", "value-123"}}, false) +
                   h2test::Data(3, "bbb", true);
  Outcome o = Run({{kC, c}, {kS, h1.substr(0, 12)}, {kS, "", h1.size() - 12}, {kS, s2}});
  REQUIRE(o.records.size() == 2);
  nlohmann::json r1 = *StreamRecord(o, 1);
  CHECK(r1["hpack_desync"] == true);
  CHECK(r1["partial"] == true);
  CHECK_FALSE(r1.contains("resp_fuids"));
  nlohmann::json r3 = *StreamRecord(o, 3);
  CHECK(r3["hpack_desync"] == true);     // x-custom referenced a lost entry
  CHECK(r3["status_code"] == 200);       // static table: trusted
  CHECK(ObjectOf(o, r3)->data == "bbb");
  CHECK(o.stats.hpack.untrusted_fields >= 1);
}

TEST_CASE("joined mid-connection: resync, then streams with decodable headers") {
  Encoder ce, se;
  // Warm both tables, then start capturing in the middle.
  std::string c_before = std::string(kHttp2Preface) + ce.Headers(1, Get("/warm"), true);
  std::string s_before = se.Headers(1, {{":status", "200"}, {"server", "nghttpd"}}, true);
  std::string c = ce.Headers(3, Get("/later"), true);
  c += h2test::WindowUpdate(0, 1000);
  std::string s = se.Headers(3, {{":status", "200"}, {"server", "nghttpd"}}, false) +
                  h2test::Data(3, "later body", true);
  Http2Options options;
  options.midstream = true;
  Outcome o = Run({{kC, c}, {kS, s}}, 0, 0, {}, options);
  REQUIRE(o.records.size() == 1);
  nlohmann::json r = o.records[0];
  CHECK(r["stream_id"] == 3);
  CHECK(r["status_code"] == 200);
  CHECK(r["hpack_desync"] == true);  // :authority / user-agent were in the unseen table
  REQUIRE(ObjectOf(o, r) != nullptr);
  CHECK(ObjectOf(o, r)->data == "later body");
}

TEST_CASE("preface detection") {
  CHECK(LooksLikeHttp2Preface(kHttp2Preface) == Http2Detection::kYes);
  CHECK(LooksLikeHttp2Preface(std::string(kHttp2Preface) + "more") == Http2Detection::kYes);
  CHECK(LooksLikeHttp2Preface("PRI * HT") == Http2Detection::kMaybe);
  CHECK(LooksLikeHttp2Preface("") == Http2Detection::kMaybe);
  CHECK(LooksLikeHttp2Preface("GET / HTTP/1.1\r\n") == Http2Detection::kNo);
  CHECK(LooksLikeHttp2Preface("PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n") == Http2Detection::kNo);
}

// Limits, each just under and just over.

TEST_CASE("limit: concurrent streams") {
  auto run = [](size_t max) {
    Encoder ce, se;
    std::string c = std::string(kHttp2Preface);
    for (uint32_t id = 1; id <= 7; id += 2) c += ce.Headers(id, Get("/x"), true);
    std::string s;
    for (uint32_t id = 1; id <= 7; id += 2) {
      s += se.Headers(id, {{":status", "200"}}, false);
      s += h2test::Data(id, "d", true);
    }
    Http2Limits limits;
    limits.max_concurrent_streams = max;
    return Run({{kC, c}, {kS, s}}, 0, 0, limits);
  };
  Outcome under = run(4);
  CHECK(under.records.size() == 4);
  CHECK(under.stats.streams_limited == 0);
  Outcome over = run(3);
  CHECK(over.stats.streams_limited >= 1);
  // The refused stream's response still decodes (the table stays in step) and the other
  // streams are whole.
  for (uint32_t id : {1u, 3u, 5u}) {
    const nlohmann::json* r = StreamRecord(over, id);
    REQUIRE(r != nullptr);
    CHECK(r->at("partial") == false);
    CHECK_FALSE(r->contains("hpack_desync"));
  }
}

TEST_CASE("limit: header list size") {
  auto run = [](size_t max) {
    Encoder ce, se;
    Fields f = Get("/x");  // 6 fields
    size_t size = 0;
    for (auto& [n, v] : f) size += n.size() + v.size() + 32;
    Http2Limits limits;
    limits.hpack.max_header_list_size = size + max;
    std::string c = std::string(kHttp2Preface) + ce.Headers(1, f, true);
    std::string s = se.Headers(1, {{":status", "200"}}, false) + h2test::Data(1, "d", true);
    return Run({{kC, c}, {kS, s}}, 0, 0, limits);
  };
  Outcome under = run(0);
  CHECK(under.records[0]["user_agent"] == "curl/7.88.1");
  CHECK(under.stats.hpack.dropped_fields == 0);
  Outcome over = run(-1);
  CHECK(over.stats.hpack.dropped_fields == 1);
  CHECK(over.records[0]["anomalies"][0] == "header_list_too_large");
}

TEST_CASE("limit: CONTINUATION frames per block") {
  auto run = [](size_t max) {
    Encoder ce, se;
    Fields f = Get("/x");
    f.emplace_back("cookie", std::string(200, 'c'));
    std::string block = ce.Block(f);  // fragments of 20 bytes
    size_t frames = (block.size() + 19) / 20;
    Http2Limits limits;
    limits.frames.max_continuation_frames = frames - 1 - max;
    Encoder ce2;
    std::string c = std::string(kHttp2Preface) + ce2.Headers(1, f, true, 20);
    std::string s = se.Headers(1, {{":status", "200"}}, false) + h2test::Data(1, "d", true);
    return Run({{kC, c}, {kS, s}}, 0, 0, limits);
  };
  Outcome under = run(0);
  CHECK(under.records[0]["uri"] == "/x");
  CHECK(under.stats.frames.continuation_limited == 0);
  Outcome over = run(1);
  CHECK(over.stats.frames.continuation_limited == 1);
  CHECK(over.records[0]["hpack_desync"] == true);
  CHECK_FALSE(over.records[0].contains("uri"));
}

TEST_CASE("limit: HPACK table size") {
  auto run = [](size_t cap) {
    Encoder ce, se;
    std::string c = std::string(kHttp2Preface);
    c += ce.Headers(1, Get("/x"), true);
    c += ce.Headers(3, Get("/x"), true);
    std::string s = se.Headers(1, {{":status", "200"}}, true);
    s += se.Headers(3, {{":status", "200"}}, true);
    Http2Limits limits;
    limits.hpack.max_table_size = cap;
    return Run({{kC, c}, {kS, s}}, 0, 0, limits);
  };
  Outcome under = run(4096);
  CHECK(under.stats.hpack.desyncs == 0);
  CHECK(StreamRecord(under, 3)->at("user_agent") == "curl/7.88.1");
  Outcome over = run(4095);  // below the 4096 the encoder uses: its table is cut
  CHECK(StreamRecord(over, 1)->at("user_agent") == "curl/7.88.1");
  // Entries fit either way here, so nothing is lost yet: the cut only bites on eviction.
  CHECK(StreamRecord(over, 3)->at("user_agent") == "curl/7.88.1");
  // A table filled to exactly 4096 bytes: with a cap one byte short, the oldest entry
  // (x-keep, 39 bytes) is evicted here but not by the encoder, which then refers to it.
  auto run_full = [](size_t cap) {
    Encoder ce;
    Encoder se;
    Fields base = {{":method", "GET"}, {":scheme", "https"}, {":path", "/"}};
    std::vector<Fields> blocks(4, base);
    blocks[0].emplace_back("x-keep", "k");                     // 6 + 1 + 32 = 39
    blocks[1].emplace_back("x-b1", std::string(2000, 'a'));   // 2036
    blocks[2].emplace_back("x-b2", std::string(1985, 'b'));   // 2021: 4096 in all
    blocks[3].emplace_back("x-keep", "k");
    std::string c = std::string(kHttp2Preface);
    std::string sv;
    for (uint32_t i = 0; i < 4; ++i) {
      c += ce.Headers(2 * i + 1, blocks[i], true);
      sv += se.Headers(2 * i + 1, {{":status", "200"}}, true);
    }
    Http2Limits limits;
    limits.hpack.max_table_size = cap;
    return Run({{kC, c}, {kS, sv}}, 0, 0, limits);
  };
  Outcome full = run_full(4096);
  CHECK(full.stats.hpack.desyncs == 0);
  CHECK_FALSE(StreamRecord(full, 7)->contains("hpack_desync"));
  Outcome cut = run_full(4095);
  CHECK(cut.stats.hpack.table_size_limited == 0);  // no size update: the initial 4096
  CHECK(cut.stats.hpack.desyncs == 1);
  CHECK(StreamRecord(cut, 7)->at("hpack_desync") == true);
  CHECK(cut.stats.hpack.untrusted_fields == 1);
}

TEST_CASE("limit: decompression cap") {
  auto run = [](uint64_t cap) {
    Encoder ce, se;
    std::string text(100000, 'a');
    std::string c = std::string(kHttp2Preface) + ce.Headers(1, Get("/z"), true);
    std::string s = se.Headers(1, {{":status", "200"}, {"content-encoding", "gzip"}}, false) +
                    h2test::DataFrames(1, GzipEncode(text), 16384, true);
    Http2Limits limits;
    limits.content.max_output_bytes = cap;
    return Run({{kC, c}, {kS, s}}, 0, 0, limits);
  };
  Outcome under = run(100000);
  CHECK(under.records[0]["decompression_limited"] == false);
  CHECK(under.objects[0].data.size() == 100000);
  Outcome over = run(99999);
  CHECK(over.records[0]["decompression_limited"] == true);
  CHECK(over.objects[0].data.size() == 99999);
  CHECK(over.stats.decompression_limited == 1);
}

TEST_CASE("garbage after a gap: the direction is given up, said in the records") {
  Encoder ce, se;
  std::string c = std::string(kHttp2Preface) + ce.Headers(1, Get("/a"), true);
  std::string s = se.Headers(1, {{":status", "200"}}, false) + h2test::Data(1, "aa", false);
  Http2Limits limits;
  limits.frames.max_resync_bytes = 4096;
  Outcome o = Run({{kC, c}, {kS, s}, {kS, "", 10}, {kS, std::string(10000, '\xee')}}, 0, 0,
                  limits);
  REQUIRE(o.records.size() == 1);
  CHECK(o.records[0]["partial"] == true);
  bool said = false;
  for (const auto& a : o.records[0]["anomalies"]) said |= a == "http2_server_direction_lost";
  CHECK(said);
  CHECK(o.stats.frames.directions_lost == 1);
}

}  // namespace
}  // namespace tcpfollow
