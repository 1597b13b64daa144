// HttpAnalyzer against an in-memory output: record fields (Zeek http.log names), request /
// response pairing with pipelining, HEAD, 100-continue, content codings (gzip, deflate,
// br, lzma, stacked) in objects byte for byte, the decompression bound, CONNECT and Upgrade
// handoffs, gaps and close marking transactions partial. Every conversation is also fed
// byte by byte and split at every point of every message: records and objects must match.
#include "protocols/http/http_analyzer.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "protocols/content/test_encoders.h"
#include "testing/memory_output.h"

namespace tcpfollow {
namespace {

using testing::MemoryOutput;
constexpr Direction kC = Direction::kClientToServer;
constexpr Direction kS = Direction::kServerToClient;

struct Event {
  Direction dir;
  std::string bytes;
  uint64_t gap = 0;  // when non-zero: a gap of this length instead of bytes
};

struct Outcome {
  std::vector<nlohmann::json> records;
  std::vector<MemoryOutput::Object> objects;
  std::string handoff = "none";  // Handoff::to, "detect" for kDetectByContent
  std::vector<size_t> consumed;
  std::string held;
};

// Runs `events`; each data event is cut into pieces of `piece` bytes (0: whole), or split
// once at `split` when split > 0.
Outcome RunConversation(const std::vector<Event>& events, size_t piece = 0,
                        HttpAnalyzerLimits limits = {}, size_t split_event = SIZE_MAX,
                        size_t split_at = 0) {
  MemoryOutput out;
  ConnectionInfo conn;
  conn.id = 7;
  HttpAnalyzer a(conn, &out, limits);
  Outcome o;
  absl::Time t = absl::FromUnixSeconds(1000);
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    t += absl::Seconds(1);
    if (a.handed_off()) break;
    if (e.gap) {
      a.OnGap(e.dir, t, e.gap);
      continue;
    }
    std::vector<absl::string_view> pieces;
    absl::string_view b = e.bytes;
    if (i == split_event) {
      pieces = {b.substr(0, split_at), b.substr(split_at)};
    } else if (piece == 0) {
      pieces = {b};
    } else {
      for (size_t at = 0; at < b.size(); at += piece) pieces.push_back(b.substr(at, piece));
    }
    size_t consumed = 0;
    for (absl::string_view p : pieces) {
      if (p.empty()) continue;
      size_t used = a.OnData(e.dir, t, p);
      consumed += used;
      if (used < p.size()) break;
    }
    o.consumed.push_back(consumed);
  }
  a.OnClose(t + absl::Seconds(1));
  o.records = out.records("http");
  for (auto& r : o.records) r.erase("ts");
  o.objects = out.objects();
  if (const Handoff* h = a.handoff()) {
    o.handoff = h->to.empty() ? "detect" : h->to;
    o.held = h->held[Index(Direction::kClientToServer)];
  } else {
    o.held = std::string(a.held_tunnel_bytes());
  }
  return o;
}

std::string Describe(const Outcome& o) {
  std::string s;
  for (const auto& r : o.records) absl::StrAppend(&s, r.dump(), "\n");
  for (const auto& ob : o.objects) {
    absl::StrAppend(&s, ob.fuid, " ", ob.meta.source, " name=", ob.meta.name,
                    " mime=", ob.meta.mime_type, " data=", absl::CEscape(ob.data),
                    " extra=", ob.extra.dump(), " finished=", ob.finished, "\n");
  }
  absl::StrAppend(&s, "handoff=", o.handoff, " held=", absl::CEscape(o.held));
  for (size_t c : o.consumed) absl::StrAppend(&s, " ", c);
  return s;
}

// Whole, byte by byte, and every split of every event give the same outcome.
Outcome RunEverySplit(const std::vector<Event>& events, HttpAnalyzerLimits limits = {}) {
  Outcome whole = RunConversation(events, 0, limits);
  std::string want = Describe(whole);
  REQUIRE(Describe(RunConversation(events, 1, limits)) == want);
  for (size_t i = 0; i < events.size(); ++i) {
    for (size_t at = 1; at < events[i].bytes.size(); ++at) {
      INFO("event " << i << " split at " << at);
      REQUIRE(Describe(RunConversation(events, 0, limits, i, at)) == want);
    }
  }
  return whole;
}

TEST_CASE("HttpAnalyzer: one transaction carries Zeek's http.log fields", "[http]") {
  std::string auth = absl::Base64Escape("alice:secret");
  Outcome o = RunEverySplit({
      {kC, "GET /dir/report.pdf?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n"
           "User-Agent: curl/8.0\r\nReferer: http://example.com/\r\n"
           "Authorization: Basic " + auth + "\r\n\r\n"},
      {kS, "HTTP/1.1 200 OK\r\nContent-Type: application/pdf; x=y\r\n"
           "Content-Length: 9\r\n\r\n%PDF-1.4\n"},
  });
  REQUIRE(o.records.size() == 1);
  const auto& r = o.records[0];
  REQUIRE(r["method"] == "GET");
  REQUIRE(r["host"] == "example.com:8080");
  REQUIRE(r["uri"] == "/dir/report.pdf?x=1");
  REQUIRE(r["referrer"] == "http://example.com/");
  REQUIRE(r["version"] == "1.1");
  REQUIRE(r["user_agent"] == "curl/8.0");
  REQUIRE(r["username"] == "alice");
  REQUIRE(r["status_code"] == 200);
  REQUIRE(r["status_msg"] == "OK");
  REQUIRE(r["request_body_len"] == 0);
  REQUIRE(r["response_body_len"] == 9);
  REQUIRE(r["partial"] == false);
  REQUIRE(r["uid"] == "C7");
  REQUIRE(!r.contains("orig_fuids"));
  REQUIRE(o.objects.size() == 1);
  REQUIRE(r["resp_fuids"] == nlohmann::json::array({o.objects[0].fuid}));
  REQUIRE(r["resp_mime_types"] == nlohmann::json::array({"application/pdf"}));
  REQUIRE(o.objects[0].data == "%PDF-1.4\n");
  REQUIRE(o.objects[0].meta.name == "report.pdf");
  REQUIRE(o.objects[0].meta.source == "http");
  REQUIRE(o.objects[0].finished);
}

TEST_CASE("HttpAnalyzer: Content-Disposition names and proxy headers, as Zeek logs them",
          "[http]") {
  Outcome o = RunEverySplit({
      {kC, "POST /up HTTP/1.1\r\nHost: h\r\nVia: 1.1 squid\r\nX-Forwarded-For: 10.1.1.1\r\n"
           "Content-Disposition: attachment; filename=\"in.txt\"\r\n"
           "Content-Length: 2\r\n\r\nhi"
           "GET /a/b.bin HTTP/1.1\r\nHost: h\r\n\r\n"},
      {kS, "HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"out.csv\"\r\n"
           "Content-Length: 3\r\n\r\na,b"
           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"},
  });
  REQUIRE(o.records.size() == 2);
  CHECK(o.records[0]["orig_filenames"] == nlohmann::json::array({"in.txt"}));
  CHECK(o.records[0]["resp_filenames"] == nlohmann::json::array({"out.csv"}));
  CHECK(o.records[0]["proxied"] ==
        nlohmann::json::array({"VIA -> 1.1 squid", "X-FORWARDED-FOR -> 10.1.1.1"}));
  // Named after the URI, not by the server: no resp_filenames (the object is still "b.bin").
  CHECK_FALSE(o.records[1].contains("resp_filenames"));
  CHECK_FALSE(o.records[1].contains("proxied"));
  REQUIRE(o.objects.size() == 3);
  CHECK(o.objects[2].meta.name == "b.bin");
}

TEST_CASE("HttpAnalyzer: pipelined requests are answered in order; HEAD has no body",
          "[http]") {
  Outcome o = RunEverySplit({
      {kC, "HEAD /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"
           "POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\ndata"},
      {kS, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
           "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnot"
           "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"},
  });
  REQUIRE(o.records.size() == 3);
  REQUIRE(o.records[0]["method"] == "HEAD");
  REQUIRE(o.records[0]["status_code"] == 200);
  REQUIRE(o.records[0]["response_body_len"] == 0);
  REQUIRE(o.records[1]["uri"] == "/b");
  REQUIRE(o.records[1]["status_code"] == 404);
  REQUIRE(o.records[1]["response_body_len"] == 3);
  REQUIRE(o.records[2]["method"] == "POST");
  REQUIRE(o.records[2]["status_code"] == 201);
  REQUIRE(o.records[2]["request_body_len"] == 4);
  REQUIRE(o.records[2]["orig_mime_types"] == nlohmann::json::array({"text/plain"}));
  for (int i = 0; i < 3; ++i) {
    REQUIRE(o.records[i]["trans_depth"] == i + 1);
    REQUIRE(o.records[i]["partial"] == false);
  }
}

TEST_CASE("HttpAnalyzer: 100-continue keeps the request for the final answer", "[http]") {
  Outcome o = RunEverySplit({
      {kC, "POST /up HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"},
      {kS, "HTTP/1.1 100 Continue\r\n\r\n"},
      {kC, "hello"},
      {kS, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
  });
  REQUIRE(o.records.size() == 1);
  REQUIRE(o.records[0]["info_code"] == 100);
  REQUIRE(o.records[0]["status_code"] == 200);
  REQUIRE(o.records[0]["request_body_len"] == 5);
  REQUIRE(o.records[0]["response_body_len"] == 2);
}

TEST_CASE("HttpAnalyzer: version is the reply's, as in Zeek; the request's has its own field",
          "[http]") {
  Outcome o = RunEverySplit({
      {kC, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"},
      {kS, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"},
  });
  REQUIRE(o.records.size() == 1);
  CHECK(o.records[0]["version"] == "1.0");
  CHECK(o.records[0]["request_version"] == "1.1");
}

TEST_CASE("HttpAnalyzer: a 101 is both the status and the informational reply", "[http]") {
  Outcome o = RunConversation({
      {kC, "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"},
      {kS, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"},
  });
  REQUIRE(o.records.size() == 1);
  CHECK(o.records[0]["status_code"] == 101);
  CHECK(o.records[0]["info_code"] == 101);
  CHECK(o.records[0]["info_msg"] == "Switching Protocols");
}

TEST_CASE("HttpAnalyzer: content codings are removed; objects hold the decoded body",
          "[http][content]") {
  std::string plain;
  for (int i = 0; i < 200; ++i) absl::StrAppend(&plain, "<p>paragraph ", i, "</p>\n");
  plain = "<html>" + plain + "</html>";
  std::string coding;
  std::string encoded;
  SECTION("gzip") {
    coding = "gzip";
    encoded = testing::GzipEncode(plain);
  }
  SECTION("deflate (zlib)") {
    coding = "deflate";
    encoded = testing::ZlibEncode(plain);
  }
  SECTION("deflate (raw)") {
    coding = "deflate";
    encoded = testing::RawDeflateEncode(plain);
  }
  SECTION("br") {
    coding = "br";
    encoded = testing::BrotliEncode(plain);
  }
  SECTION("lzma") {
    coding = "lzma";
    encoded = testing::LzmaAloneEncode(plain);
  }
  SECTION("gzip then br") {
    coding = "gzip, br";
    encoded = testing::BrotliEncode(testing::GzipEncode(plain));
  }
  // Chunked transfer coding on top, in two chunks.
  size_t half = encoded.size() / 2;
  std::string body = absl::StrCat(absl::Hex(half), "\r\n", encoded.substr(0, half), "\r\n",
                                  absl::Hex(encoded.size() - half), "\r\n",
                                  encoded.substr(half), "\r\n0\r\n\r\n");
  Outcome o = RunConversation({
      {kC, "GET /page HTTP/1.1\r\nHost: h\r\n\r\n"},
      {kS, "HTTP/1.1 200 OK\r\nContent-Encoding: " + coding +
               "\r\nTransfer-Encoding: chunked\r\n\r\n" + body},
  });
  REQUIRE(o.records.size() == 1);
  REQUIRE(o.objects.size() == 1);
  REQUIRE(o.objects[0].data == plain);
  REQUIRE(o.records[0]["response_body_len"] == plain.size());
  REQUIRE(o.records[0]["resp_mime_types"] == nlohmann::json::array({"text/html"}));
  REQUIRE(o.records[0]["decompression_limited"] == false);
  REQUIRE(o.records[0]["anomalous"] == false);
  Outcome bytewise = RunConversation(
      {{kC, "GET /page HTTP/1.1\r\nHost: h\r\n\r\n"},
       {kS, "HTTP/1.1 200 OK\r\nContent-Encoding: " + coding +
                "\r\nTransfer-Encoding: chunked\r\n\r\n" + body}},
      1);
  REQUIRE(Describe(bytewise) == Describe(o));
}

TEST_CASE("HttpAnalyzer: a gzip bomb is cut at the limit and flagged", "[http][limits]") {
  std::string zeros(8 << 20, '0');
  std::string bomb = testing::GzipEncode(zeros);
  HttpAnalyzerLimits limits;
  limits.content.max_ratio = 50;
  limits.content.ratio_grace_bytes = 1024;
  Outcome o = RunConversation(
      {{kC, "GET /bomb HTTP/1.1\r\nHost: h\r\n\r\n"},
       {kS, absl::StrCat("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ",
                         bomb.size(), "\r\n\r\n", bomb)},
       {kC, "GET /next HTTP/1.1\r\nHost: h\r\n\r\n"},
       {kS, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}},
      0, limits);
  REQUIRE(o.records.size() == 2);
  REQUIRE(o.records[0]["decompression_limited"] == true);
  REQUIRE(o.records[0]["anomalous"] == true);
  REQUIRE(o.objects[0].data.size() <= 50 * bomb.size());
  REQUIRE(o.objects[0].data.size() < zeros.size());
  REQUIRE(o.objects[0].data == zeros.substr(0, o.objects[0].data.size()));
  REQUIRE(o.objects[0].extra["decompression_limited"] == true);
  // The connection stays in sync after the bomb.
  REQUIRE(o.records[1]["uri"] == "/next");
  REQUIRE(o.records[1]["decompression_limited"] == false);
  REQUIRE(o.objects[1].data == "ok");
}

TEST_CASE("HttpAnalyzer: output size limit just under and just over", "[http][limits]") {
  std::string plain(10000, 'a');
  std::vector<Event> conv = {
      {kC, "GET / HTTP/1.1\r\n\r\n"},
      {kS, absl::StrCat("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ",
                        testing::GzipEncode(plain).size(), "\r\n\r\n",
                        testing::GzipEncode(plain))}};
  HttpAnalyzerLimits limits;
  limits.content.max_ratio = 0;
  limits.content.max_output_bytes = plain.size();
  Outcome under = RunConversation(conv, 0, limits);
  REQUIRE(under.records[0]["decompression_limited"] == false);
  REQUIRE(under.objects[0].data == plain);
  limits.content.max_output_bytes = plain.size() - 1;
  Outcome over = RunConversation(conv, 0, limits);
  REQUIRE(over.records[0]["decompression_limited"] == true);
  REQUIRE(over.objects[0].data.size() == plain.size() - 1);
}

TEST_CASE("HttpAnalyzer: a body labelled gzip but sent plain is kept as sent", "[http]") {
  Outcome o = RunEverySplit({
      {kC, "GET /x HTTP/1.1\r\n\r\n"},
      {kS, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 5\r\n\r\nplain"},
  });
  REQUIRE(o.objects[0].data == "plain");
  REQUIRE(o.records[0]["anomalies"] ==
          nlohmann::json::array({"content_not_encoded_as_labelled"}));
}

TEST_CASE("HttpAnalyzer: CONNECT 2xx hands the rest of the stream to content detection", "[http][handoff]") {
  std::string hello = "\x16\x03\x01\x00\x05hello";
  std::string answer = "HTTP/1.1 200 Connection established\r\n\r\n";
  SECTION("tunnel bytes after the answer") {
    Outcome o = RunEverySplit({
        {kC, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"},
        {kS, answer + hello},
    });
    REQUIRE(o.handoff == "detect");
    REQUIRE(o.consumed.back() == answer.size());
    REQUIRE(o.records.size() == 1);
    REQUIRE(o.records[0]["method"] == "CONNECT");
    REQUIRE(o.records[0]["uri"] == "example.com:443");
    REQUIRE(o.records[0]["tunnel"] == true);
    REQUIRE(o.records[0]["partial"] == false);
    REQUIRE(o.held.empty());
  }
  SECTION("client hello before the answer is held for the tunnel") {
    Outcome o = RunEverySplit({
        {kC, "CONNECT example.com:443 HTTP/1.1\r\n\r\n" + hello},
        {kS, answer},
    });
    REQUIRE(o.handoff == "detect");
    REQUIRE(o.held == hello);
  }
  SECTION("a refused CONNECT goes back to HTTP") {
    Outcome o = RunEverySplit({
        {kC, "CONNECT example.com:443 HTTP/1.1\r\n\r\nGET http://e/ HTTP/1.1\r\n\r\n"},
        {kS, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 4\r\n\r\ndeny"
             "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
    });
    REQUIRE(o.handoff == "none");
    REQUIRE(o.records.size() == 2);
    REQUIRE(o.records[0]["status_code"] == 407);
    REQUIRE(o.records[0]["response_body_len"] == 4);
    REQUIRE(o.records[1]["uri"] == "http://e/");
    REQUIRE(o.records[1]["status_code"] == 200);
  }
}

TEST_CASE("HttpAnalyzer: 101 Switching Protocols hands over to the named protocol",
          "[http][handoff]") {
  for (std::string proto : {"websocket", "h2c"}) {
    std::string answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: " + proto +
                         "\r\nConnection: Upgrade\r\n\r\n";
    Outcome o = RunEverySplit({
        {kC, "GET /chat HTTP/1.1\r\nHost: h\r\nUpgrade: " + proto +
                 "\r\nConnection: Upgrade\r\n\r\n"},
        {kS, answer + "\x81\x05hello"},
    });
    REQUIRE(o.handoff == (proto == "h2c" ? "http2" : proto));
    REQUIRE(o.consumed.back() == answer.size());
    REQUIRE(o.records.size() == 1);
    REQUIRE(o.records[0]["status_code"] == 101);
    REQUIRE(o.records[0]["upgrade"] == proto);
  }
}

TEST_CASE("HttpAnalyzer: a gap in a body marks the transaction partial and stays in sync",
          "[http][gap]") {
  Outcome o = RunConversation({
      {kC, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"},
      {kS, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"},
      {kS, "", 4},
      {kS, "xyzHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
  });
  REQUIRE(o.records.size() == 2);
  REQUIRE(o.records[0]["partial"] == true);
  REQUIRE(o.records[0]["response_body_len"] == 6);
  REQUIRE(o.objects[0].data == "abcxyz");
  REQUIRE(o.objects[0].extra["missing_bytes"] == 4);
  REQUIRE(o.records[1]["partial"] == false);
  REQUIRE(o.objects[1].data == "ok");
}

TEST_CASE("HttpAnalyzer: a gap in a request head resumes at the next request", "[http][gap]") {
  Outcome o = RunConversation({
      {kC, "GET /lost HTTP/1.1\r\nHost: h"},
      {kC, "", 100},
      {kC, "er: x\r\n\r\nGET /found HTTP/1.1\r\nHost: h\r\n\r\n"},
      {kS, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nA"
           "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nB"},
  });
  REQUIRE(o.records.size() == 2);
  REQUIRE(o.records[0]["uri"] == "/lost");
  REQUIRE(o.records[0]["partial"] == true);
  REQUIRE(o.records[1]["uri"] == "/found");
  REQUIRE(o.records[1]["partial"] == false);
}

TEST_CASE("HttpAnalyzer: close in the middle of a response flushes it as partial", "[http]") {
  Outcome o = RunEverySplit({
      {kC, "GET /big HTTP/1.1\r\n\r\nGET /never HTTP/1.1\r\n\r\n"},
      {kS, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial body"},
  });
  REQUIRE(o.records.size() == 2);
  REQUIRE(o.records[0]["partial"] == true);
  REQUIRE(o.records[0]["response_body_len"] == 12);
  REQUIRE(o.objects[0].extra["partial"] == true);
  REQUIRE(o.records[1]["uri"] == "/never");
  REQUIRE(!o.records[1].contains("status_code"));
}

TEST_CASE("HttpAnalyzer: a response head as browsers read it still decodes its body",
          "[http][content]") {
  // Lone CRs end lines, the field name is folded away from its colon, and a
  // whitespace-only line precedes the empty one (HTTP evader's deviations, combined).
  std::string plain = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
  std::string gz = testing::GzipEncode(plain);
  Outcome o = RunEverySplit({
      {kC, "GET /eicar.txt HTTP/1.1\r\nHost: h\r\n\r\n"},
      {kS, absl::StrCat("HTTP/1.1 200 ok\rContent-Encoding\r\n :\r\n gzip\rContent-Length: ",
                        gz.size(), "\r\n \r\n\r\n", gz)},
  });
  REQUIRE(o.objects.size() == 1);
  REQUIRE(o.objects[0].meta.name == "eicar.txt");
  REQUIRE(o.objects[0].data == plain);
  REQUIRE(o.records[0]["status_code"] == 200);
}

TEST_CASE("HttpAnalyzer: an answer without a status line is HTTP/0.9 on a fresh connection",
          "[http]") {
  std::string file = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
  SECTION("the first answer") {
    Outcome o = RunEverySplit({{kC, "GET /dir/eicar.txt HTTP/1.1\r\nHost: h\r\n\r\n"},
                               {kS, file}});
    REQUIRE(o.objects.size() == 1);
    REQUIRE(o.objects[0].meta.name == "eicar.txt");
    REQUIRE(o.objects[0].data == file);
    REQUIRE(o.records[0]["status_code"] == 200);
    REQUIRE(o.records[0]["anomalies"] == nlohmann::json::array({"http09_response"}));
  }
  SECTION("after 100 Continue") {
    Outcome o = RunEverySplit({{kC, "GET /eicar.txt HTTP/1.1\r\nHost: h\r\n\r\n"},
                               {kS, "HTTP/1.1 100 Continue\r\n\r\n" + file}});
    REQUIRE(o.objects.size() == 1);
    REQUIRE(o.objects[0].data == file);
    REQUIRE(o.records[0]["info_code"] == 100);
    REQUIRE(o.records[0]["status_code"] == 200);
  }
  SECTION("not on a reused connection, not to CONNECT") {
    Outcome reused = RunEverySplit({{kC, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"},
                                    {kS, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"},
                                    {kC, "GET /eicar.txt HTTP/1.1\r\nHost: h\r\n\r\n"},
                                    {kS, file}});
    REQUIRE(reused.objects.size() == 1);
    REQUIRE(reused.objects[0].data == "ok");
    Outcome connect = RunConversation({{kC, "CONNECT h:443 HTTP/1.1\r\n\r\n"}, {kS, file}});
    REQUIRE(connect.handoff == "none");
    REQUIRE(connect.objects.empty());
  }
}

TEST_CASE("HttpAnalyzer: object names come from Content-Disposition first", "[http]") {
  Outcome o = RunConversation({
      {kC, "GET /download?id=3 HTTP/1.1\r\n\r\n"},
      {kS, "HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"../evil.exe\"\r\n"
           "Content-Length: 2\r\n\r\nMZ"},
  });
  REQUIRE(o.objects[0].meta.name == "../evil.exe");  // sanitising is the output layer's job
  REQUIRE(o.objects[0].meta.declared_mime_type.empty());
  REQUIRE(ContentDispositionFilename("attachment; filename*=UTF-8''na%C3%AFve.txt; filename=x") ==
          "na\xC3\xAFve.txt");
  REQUIRE(ContentDispositionFilename("inline") == "");
  REQUIRE(UriBasename("/a/b/c.tar.gz?x=/y#z") == "c.tar.gz");
  REQUIRE(UriBasename("/dir/") == "");
}

TEST_CASE("HttpAnalyzer: a response without a request is logged on its own", "[http]") {
  HttpAnalyzerStats stats;
  MemoryOutput out;
  HttpAnalyzer a(ConnectionInfo{}, &out, {}, &stats);
  a.OnData(kS, absl::FromUnixSeconds(5), "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  a.OnClose(absl::FromUnixSeconds(6));
  REQUIRE(stats.unmatched_responses == 1);
  REQUIRE(out.records("http").size() == 1);
  REQUIRE(out.records("http")[0]["status_code"] == 200);
  REQUIRE(!out.records("http")[0].contains("method"));
}

TEST_CASE("HttpAnalyzer: pending requests are capped", "[http][limits]") {
  HttpAnalyzerLimits limits;
  limits.max_pending_transactions = 3;
  HttpAnalyzerStats stats;
  MemoryOutput out;
  HttpAnalyzer a(ConnectionInfo{}, &out, limits, &stats);
  for (int i = 0; i < 3; ++i) a.OnData(kC, absl::FromUnixSeconds(1), "GET / HTTP/1.1\r\n\r\n");
  REQUIRE(out.records("http").empty());
  a.OnData(kC, absl::FromUnixSeconds(1), "GET / HTTP/1.1\r\n\r\n");
  REQUIRE(out.records("http").size() == 1);
  REQUIRE(stats.pending_overflow == 1);
}

}  // namespace
}  // namespace tcpfollow

namespace tcpfollow {
namespace {

// Fuzzer finding (corpus/fuzz/http_fuzz/crash_invalid_utf8_uri): a request target with a
// byte that is not UTF-8 made the record throw when serialised.
TEST_CASE("HttpAnalyzer: non-UTF-8 bytes in record fields are escaped", "[http][fuzz]") {
  testing::MemoryOutput out;
  HttpAnalyzer a(ConnectionInfo{}, &out);
  a.OnData(Direction::kClientToServer, absl::FromUnixSeconds(1),
           "GET /caf\xe9/\xc3\xa9t\xc3 HTTP/1.1\r\nUser-Agent: \xff\r\n\r\n");
  a.OnClose(absl::FromUnixSeconds(2));
  REQUIRE(out.records("http").size() == 1);
  const auto& r = out.records("http")[0];
  REQUIRE_NOTHROW(r.dump());
  REQUIRE(r["uri"] == "/caf\\xe9/\xc3\xa9t\\xc3");
  REQUIRE(r["user_agent"] == "\\xff");
}

TEST_CASE("HttpAnalyzer: an h2c upgrade holds the client's preface for HTTP/2", "[http][handoff]") {
  const std::string request =
      "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/7.88\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n"
      "Connection: Upgrade, HTTP2-Settings\r\n\r\n";
  const std::string preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  SECTION("101: the switch carries the preface and the upgrade request") {
    MemoryOutput out;
    HttpAnalyzer a(ConnectionInfo{}, &out);
    absl::Time t = absl::FromUnixSeconds(1000);
    REQUIRE(a.OnData(kC, t, request + preface) == request.size() + preface.size());
    std::string answer = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                         "Upgrade: h2c\r\n\r\n";
    REQUIRE(a.OnData(kS, t, answer + "\x00\x00\x00\x04") == answer.size());
    REQUIRE(a.handoff() != nullptr);
    CHECK(a.handoff()->to == "http2");
    CHECK(a.handoff()->held[0] == preface);
    const auto& req = a.handoff()->facts.upgrade_request;
    REQUIRE(req.size() >= 4);
    CHECK(req[0] == std::make_pair(std::string(":method"), std::string("GET")));
    CHECK(req[1] == std::make_pair(std::string(":path"), std::string("/index.html")));
    CHECK(req[2] == std::make_pair(std::string(":authority"), std::string("example.com")));
    a.OnClose(t);
    CHECK(out.records("http").size() == 1);
  }
  SECTION("refused: the held bytes are HTTP again") {
    Outcome o = RunEverySplit({
        {kC, request + "GET /next HTTP/1.1\r\nHost: example.com\r\n\r\n"},
        {kS, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
             "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
    });
    CHECK(o.handoff == "none");
    REQUIRE(o.records.size() == 2);
    CHECK(o.records[1]["uri"] == "/next");
  }
}

}  // namespace
}  // namespace tcpfollow

namespace tcpfollow {
namespace {

const std::string kPngBytes("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89",
                            33);
const std::string kGifBytes("GIF89a\x01\0\x01\0\x80\0\0\xff\xff\xff\0\0\0!\xf9\x04\x01\0\0\0\0,"
                            "\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0;",
                            43);
const std::string kJpegBytes("\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9", 22);

std::string Response(absl::string_view headers, absl::string_view body) {
  return absl::StrCat("HTTP/1.1 200 OK\r\n", headers, "Content-Length: ", body.size(), "\r\n\r\n",
                      body);
}

TEST_CASE("HttpAnalyzer: MIME types come from the bytes, the declared type beside", "[http][mime]") {
  const std::string html = "<!DOCTYPE html>\n<html><head><title>t</title></head><body>" +
                           std::string(2000, 'x') + "</body></html>\n";
  Outcome o = RunEverySplit({
      {kC, "GET /logo.png HTTP/1.1\r\n\r\nGET /anim.png HTTP/1.1\r\n\r\nGET /photo HTTP/1.1\r\n\r\n"
           "GET /page HTTP/1.1\r\n\r\nGET /notes.txt HTTP/1.1\r\n\r\n"},
      {kS, Response("Content-Type: text/plain\r\n", kPngBytes) +
               Response("Content-Type: image/png\r\n", kGifBytes) + Response("", kJpegBytes) +
               Response("Content-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n",
                        testing::GzipEncode(html)) +
               Response("Content-Type: Text/Plain.\r\n", "words of plain text\nand more\n")},
  });
  REQUIRE(o.records.size() == 5);
  const std::vector<std::pair<std::string, std::string>> want = {
      {"image/png", "text/plain"},
      {"image/gif", "image/png"},
      {"image/jpeg", ""},
      {"text/html", "text/html"},  // the decoded body, not application/gzip
      {"text/plain", "text/plain"},  // no trailing dot, lower case
  };
  REQUIRE(o.objects.size() == 5);
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("object " << i);
    CHECK(o.records[i]["resp_mime_types"] == nlohmann::json::array({want[i].first}));
    CHECK(o.objects[i].meta.mime_type == want[i].first);
    CHECK(o.objects[i].meta.declared_mime_type == want[i].second);
    if (want[i].second.empty()) {
      CHECK_FALSE(o.records[i].contains("resp_declared_mime_types"));
    } else {
      CHECK(o.records[i]["resp_declared_mime_types"] == nlohmann::json::array({want[i].second}));
    }
  }
  CHECK(o.objects[3].data == html);
}

TEST_CASE("HttpAnalyzer: the sniffed type does not depend on how the body was split",
          "[http][mime]") {
  // Text for most of the sniffing window, then a NUL inside it: binary, however it arrives.
  std::string body(kMimeSniffBytes - 10, 'a');
  body += std::string(1, '\0') + std::string(3000, 'b');
  Outcome o = RunEverySplit({{kC, "GET /x HTTP/1.1\r\n\r\n"}, {kS, Response("", body)}});
  REQUIRE(o.objects.size() == 1);
  CHECK(o.objects[0].meta.mime_type == "application/octet-stream");
  CHECK(o.objects[0].data == body);
}

std::string FormBody(absl::string_view boundary) {
  return absl::StrCat(
      "--", boundary, "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\ntwo files\r\n",
      "--", boundary,
      "\r\nContent-Disposition: form-data; name=\"image\"; filename=\"dot.png\"\r\n"
      "Content-Type: image/png\r\n\r\n",
      kPngBytes, "\r\n--", boundary,
      "\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"photo.jpg\"\r\n"
      "Content-Type: text/plain\r\n\r\n",
      kJpegBytes, "\r\n--", boundary, "--\r\n");
}

std::string FormRequest(absl::string_view boundary, absl::string_view body) {
  return absl::StrCat("POST /upload HTTP/1.1\r\nHost: h\r\n",
                      "Content-Type: multipart/form-data; boundary=", boundary,
                      "\r\nContent-Length: ", body.size(), "\r\n\r\n", body);
}

TEST_CASE("HttpAnalyzer: multipart/form-data: each file part is an object", "[http][multipart]") {
  const std::string boundary = "------------------------4f2a0c1d9e8b7a65";
  const std::string body = FormBody(boundary);
  Outcome o = RunEverySplit({{kC, FormRequest(boundary, body)},
                             {kS, Response("Content-Type: text/plain\r\n", "ok")}});
  REQUIRE(o.records.size() == 1);
  const auto& r = o.records[0];
  CHECK(r["request_body_len"] == body.size());
  REQUIRE(r["orig_fuids"].size() == 2);
  CHECK(r["orig_filenames"] == nlohmann::json::array({"dot.png", "photo.jpg"}));
  CHECK(r["orig_mime_types"] == nlohmann::json::array({"image/png", "image/jpeg"}));
  CHECK(r["orig_declared_mime_types"] == nlohmann::json::array({"image/png", "text/plain"}));
  REQUIRE(o.objects.size() == 3);  // two parts and the response
  CHECK(o.objects[0].meta.name == "dot.png");
  CHECK(o.objects[0].data == kPngBytes);
  CHECK(o.objects[0].fuid == r["orig_fuids"][0]);
  CHECK_FALSE(o.objects[0].extra.contains("partial"));  // whole: its delimiter came
  CHECK(o.objects[1].meta.name == "photo.jpg");
  CHECK(o.objects[1].data == kJpegBytes);
  CHECK(o.objects[1].meta.mime_type == "image/jpeg");
  CHECK(o.objects[1].meta.declared_mime_type == "text/plain");
  CHECK(o.objects[2].data == "ok");
}

TEST_CASE("HttpAnalyzer: multipart/form-data: a part cut by a gap is partial", "[http][multipart]") {
  const std::string boundary = "XyZ";
  std::string big(3000, 'q');
  for (size_t i = 0; i < big.size(); i += 61) big[i] = '\n';
  const std::string body = absl::StrCat(
      "--XyZ\r\nContent-Disposition: form-data; name=a; filename*=UTF-8''r%C3%A9sum%C3%A9.txt\r\n\r\n",
      big, "\r\n--XyZ\r\nContent-Disposition: form-data; name=b; filename=after.gif\r\n\r\n",
      kGifBytes, "\r\n--XyZ--\r\n");
  const std::string request = FormRequest(boundary, body);
  const size_t cut = request.find(big) + 1000;
  HttpAnalyzerStats stats;
  MemoryOutput out;
  HttpAnalyzer a(ConnectionInfo{}, &out, {}, &stats);
  absl::Time t = absl::FromUnixSeconds(10);
  a.OnData(kC, t, absl::string_view(request).substr(0, cut));
  a.OnGap(kC, t, 500);
  a.OnData(kC, t, absl::string_view(request).substr(cut + 500));
  a.OnData(kS, t, Response("", "ok"));
  a.OnClose(t);
  REQUIRE(out.objects().size() == 3);
  const auto& first = out.objects()[0];
  CHECK(first.meta.name == "r\xc3\xa9sum\xc3\xa9.txt");
  CHECK(first.data == big.substr(0, 1000) + big.substr(1500));
  CHECK(first.extra["partial"] == true);
  CHECK(first.extra["missing_bytes"] == 500);
  const auto& second = out.objects()[1];
  CHECK(second.meta.name == "after.gif");
  CHECK(second.data == kGifBytes);
  CHECK(second.meta.mime_type == "image/gif");
  CHECK_FALSE(second.extra.contains("partial"));
  const auto& r = out.records("http")[0];
  CHECK(r["partial"] == true);
  CHECK(r["orig_filenames"] == nlohmann::json::array({"r\xc3\xa9sum\xc3\xa9.txt", "after.gif"}));
  CHECK(stats.multipart.parts == 2);
  CHECK(stats.multipart.gaps == 1);
  CHECK(stats.sniff.sniffed == 3);
}

TEST_CASE("HttpAnalyzer: multipart/form-data without a usable boundary stays one object",
          "[http][multipart]") {
  SECTION("no boundary parameter") {
    Outcome o = RunEverySplit({{kC, "POST /u HTTP/1.1\r\nContent-Type: multipart/form-data\r\n"
                                    "Content-Length: 5\r\n\r\nhello"}});
    REQUIRE(o.objects.size() == 1);
    CHECK(o.objects[0].data == "hello");
    CHECK(o.records[0]["anomalies"] == nlohmann::json::array({"multipart_without_boundary"}));
  }
  SECTION("a boundary the body never uses") {
    const std::string body = "field=1&other=" + std::string(5000, 'z');
    Outcome o = RunEverySplit({{kC, FormRequest("nothere", body)}});
    REQUIRE(o.objects.size() == 1);
    CHECK(o.objects[0].data == body);
    CHECK(o.objects[0].meta.declared_mime_type == "multipart/form-data");
    CHECK(o.records[0]["anomalies"] == nlohmann::json::array({"multipart_boundary_not_found"}));
  }
}

TEST_CASE("HttpAnalyzer: form-data parts over the limit are not objects", "[http][multipart][limits]") {
  HttpAnalyzerLimits limits;
  limits.multipart.max_parts = 1;
  HttpAnalyzerStats stats;
  MemoryOutput out;
  HttpAnalyzer a(ConnectionInfo{}, &out, limits, &stats);
  const std::string boundary = "b0undary";
  a.OnData(kC, absl::FromUnixSeconds(1), FormRequest(boundary, FormBody(boundary)));
  a.OnClose(absl::FromUnixSeconds(2));
  // The text field is the one part allowed: neither file is extracted.
  CHECK(out.objects().empty());
  CHECK(stats.multipart.parts_skipped == 2);
}

}  // namespace
}  // namespace tcpfollow
