// 206 answers through HttpAnalyzer into MemoryOutput's range assembler: single ranges on
// two connections and a multipart/byteranges answer stitched into the original bytes with
// one object whose fuid every 206 record names; a range never fetched listed as missing;
// another ETag kept apart; a 206 without Content-Range stored as an object of its own; and
// the multipart answer fed in pieces of several sizes, or cut in two at every byte, gives
// the same object and record.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "protocols/http/http_analyzer.h"
#include "testing/memory_output.h"

namespace tcpfollow {
namespace {

using testing::MemoryOutput;
constexpr Direction kC = Direction::kClientToServer;
constexpr Direction kS = Direction::kServerToClient;

std::string FileBytes(size_t n) {
  std::string s;
  uint32_t x = 12345;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s.push_back(static_cast<char>(x >> 24));
  }
  return s;
}

std::string Request(const std::string& range) {
  return absl::StrCat("GET /files/big.bin HTTP/1.1\r\nHost: example.test\r\nRange: bytes=", range,
                      "\r\n\r\n");
}

std::string Single(const std::string& file, size_t first, size_t last,
                   const std::string& etag = "\"v1\"") {
  return absl::StrCat("HTTP/1.1 206 Partial Content\r\nETag: ", etag,
                      "\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes ",
                      first, "-", last, "/", file.size(), "\r\nContent-Length: ",
                      last - first + 1, "\r\n\r\n", file.substr(first, last - first + 1));
}

std::string Multipart(const std::string& file, const std::vector<std::pair<size_t, size_t>>& rs) {
  std::string body;
  for (auto [a, b] : rs) {
    absl::StrAppend(&body, "\r\n--SEP\r\nContent-Type: application/octet-stream\r\n",
                    "Content-Range: bytes ", a, "-", b, "/", file.size(), "\r\n\r\n",
                    file.substr(a, b - a + 1));
  }
  absl::StrAppend(&body, "\r\n--SEP--\r\n");
  return absl::StrCat("HTTP/1.1 206 Partial Content\r\nETag: \"v1\"\r\n",
                      "Content-Type: multipart/byteranges; boundary=SEP\r\nContent-Length: ",
                      body.size(), "\r\n\r\n", body);
}

// One connection: each (request, answer) pair, the answer fed in pieces of `piece` bytes,
// or (`cut` > 0) in two pieces cut at that byte.
void Connection(MemoryOutput* out, uint64_t id,
                const std::vector<std::pair<std::string, std::string>>& exchanges,
                size_t piece = 0, size_t cut = 0) {
  ConnectionInfo conn;
  conn.id = id;
  HttpAnalyzer a(conn, out);
  absl::Time t = absl::FromUnixSeconds(1000 + id);
  for (const auto& [req, resp] : exchanges) {
    a.OnData(kC, t, req);
    absl::string_view r = resp;
    if (cut > 0) {
      a.OnData(kS, t, r.substr(0, cut));
      a.OnData(kS, t, r.substr(cut));
      continue;
    }
    size_t step = piece == 0 ? r.size() : piece;
    for (size_t i = 0; i < r.size(); i += step) a.OnData(kS, t, r.substr(i, step));
  }
  a.OnClose(t);
}

const MemoryOutput::Object* Stitched(const MemoryOutput& out) {
  const MemoryOutput::Object* found = nullptr;
  for (const auto& o : out.objects()) {
    if (o.extra.is_object() && o.extra.value("stitched", false)) {
      if (found != nullptr) return nullptr;  // more than one
      found = &o;
    }
  }
  return found;
}

TEST_CASE("HttpAnalyzer 206: ranges over two connections and a multipart answer make one file",
          "[http][ranges]") {
  const std::string file = FileBytes(1000);
  MemoryOutput out;
  Connection(&out, 1, {{Request("0-99,200-299"), Multipart(file, {{0, 99}, {200, 299}})},
                       {Request("100-199"), Single(file, 100, 199)}});
  Connection(&out, 2, {{Request("300-999"), Single(file, 300, 999)}});
  const MemoryOutput::Object* o = Stitched(out);
  REQUIRE(o != nullptr);
  CHECK(o->data == file);
  CHECK(o->extra["complete"] == true);
  CHECK(o->extra["total_length"] == 1000);
  CHECK(o->extra["mime_type"] == "application/octet-stream");
  CHECK(o->meta.name == "big.bin");
  // No other object: the ranges are not also stored as files of their own.
  CHECK(out.objects().size() == 1);
  const auto& http = out.records("http");
  REQUIRE(http.size() == 3);
  for (const auto& rec : http) {
    CHECK(rec["status_code"] == 206);
    CHECK(rec["resp_fuids"] == nlohmann::json::array({o->fuid}));
  }
  CHECK(http[0]["response_body_len"] > 200);  // the multipart body as sent
  CHECK(http[1]["response_body_len"] == 100);
}

TEST_CASE("HttpAnalyzer 206: a range never fetched is listed as missing", "[http][ranges]") {
  const std::string file = FileBytes(3000);
  MemoryOutput out;
  Connection(&out, 1, {{Request("0-999"), Single(file, 0, 999)}});
  Connection(&out, 2, {{Request("2000-2999"), Single(file, 2000, 2999)}});
  CHECK(Stitched(out) == nullptr);  // not complete: not written before the end
  out.FinishRanges();
  const MemoryOutput::Object* o = Stitched(out);
  REQUIRE(o != nullptr);
  CHECK(o->extra["complete"] == false);
  CHECK(o->extra["missing_ranges"] == nlohmann::json::parse("[[1000,1999]]"));
  CHECK(o->extra["size"] == 2000);
  CHECK(o->data.substr(0, 1000) == file.substr(0, 1000));
  CHECK(o->data.substr(2000) == file.substr(2000));
}

TEST_CASE("HttpAnalyzer 206: another ETag is another object", "[http][ranges]") {
  const std::string file = FileBytes(200);
  MemoryOutput out;
  Connection(&out, 1, {{Request("0-99"), Single(file, 0, 99, "\"v1\"")},
                       {Request("100-199"), Single(file, 100, 199, "\"v2\"")}});
  out.FinishRanges();
  const auto& http = out.records("http");
  REQUIRE(http.size() == 2);
  CHECK(http[0]["resp_fuids"] != http[1]["resp_fuids"]);
  CHECK(out.objects().size() == 2);
}

TEST_CASE("HttpAnalyzer 206: without Content-Range the body is an object of its own",
          "[http][ranges]") {
  MemoryOutput out;
  Connection(&out, 1, {{Request("0-3"),
                        "HTTP/1.1 206 Partial Content\r\nContent-Length: 4\r\n\r\nabcd"}});
  REQUIRE(out.objects().size() == 1);
  CHECK(out.objects()[0].data == "abcd");
  const auto& http = out.records("http");
  REQUIRE(http.size() == 1);
  CHECK(http[0]["anomalies"] == nlohmann::json::array({"partial_content_without_range"}));
  CHECK(out.range_stats().pieces == 0);
}

TEST_CASE("HttpAnalyzer 206: the multipart answer fed in pieces of any size", "[http][ranges]") {
  const std::string file = FileBytes(300);
  for (size_t piece : {1, 2, 3, 7, 64}) {
    INFO("pieces of " << piece);
    MemoryOutput out;
    Connection(&out, 1,
               {{Request("0-99,100-299"), Multipart(file, {{0, 99}, {100, 299}})}}, piece);
    const MemoryOutput::Object* o = Stitched(out);
    REQUIRE(o != nullptr);
    CHECK(o->data == file);
  }
}

TEST_CASE("HttpAnalyzer 206: the multipart answer cut in two at every byte", "[http][ranges]") {
  const std::string file = FileBytes(120);
  const std::string req = Request("0-49,50-119");
  const std::string resp = Multipart(file, {{0, 49}, {50, 119}});
  MemoryOutput whole;
  Connection(&whole, 1, {{req, resp}});
  const MemoryOutput::Object* w = Stitched(whole);
  REQUIRE(w != nullptr);
  REQUIRE(w->data == file);
  const nlohmann::json want = whole.records("http").at(0);
  for (size_t cut = 1; cut < resp.size(); ++cut) {
    INFO("cut at " << cut);
    MemoryOutput out;
    Connection(&out, 1, {{req, resp}}, 0, cut);
    const MemoryOutput::Object* o = Stitched(out);
    REQUIRE(o != nullptr);
    REQUIRE(o->data == file);
    REQUIRE(o->extra == w->extra);
    REQUIRE(out.objects().size() == 1);
    REQUIRE(out.records("http").size() == 1);
    REQUIRE(out.records("http")[0] == want);
  }
}

TEST_CASE("HttpAnalyzer 206: a gap inside a range leaves a hole at its offset",
          "[http][ranges]") {
  const std::string file = FileBytes(400);
  MemoryOutput out;
  ConnectionInfo conn;
  conn.id = 1;
  {
    HttpAnalyzer a(conn, &out);
    absl::Time t = absl::FromUnixSeconds(1000);
    a.OnData(kC, t, Request("0-399"));
    std::string resp = Single(file, 0, 399);
    size_t body = resp.size() - 400;
    a.OnData(kS, t, absl::string_view(resp).substr(0, body + 100));
    a.OnGap(kS, t, 50);
    a.OnData(kS, t, absl::string_view(resp).substr(body + 150));
    a.OnClose(t);
  }
  out.FinishRanges();
  const MemoryOutput::Object* o = Stitched(out);
  REQUIRE(o != nullptr);
  CHECK(o->extra["missing_ranges"] == nlohmann::json::parse("[[100,149]]"));
  CHECK(o->data.substr(150) == file.substr(150));
  CHECK(out.records("http")[0]["partial"] == true);
}

}  // namespace
}  // namespace tcpfollow

namespace tcpfollow {
namespace {

// A 200 answer (ETag) cut after `cut` bytes of `file`.
std::string Cut200(const std::string& file, size_t cut) {
  return absl::StrCat("HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Type: application/octet-stream",
                      "\r\nContent-Length: ", file.size(), "\r\n\r\n", file.substr(0, cut));
}

TEST_CASE("HttpAnalyzer 206: a 200 cut short and resumed with a range makes the file",
          "[http][ranges]") {
  const std::string file = FileBytes(1000);
  for (bool range_first : {false, true}) {
    INFO("range first: " << range_first);
    MemoryOutput out;
    auto cut = [&] { Connection(&out, 1, {{Request("0-"), Cut200(file, 400)}}); };
    auto resume = [&] { Connection(&out, 2, {{Request("400-"), Single(file, 400, 999)}}); };
    if (range_first) {
      resume();
      cut();
    } else {
      cut();
      resume();
    }
    const MemoryOutput::Object* o = Stitched(out);
    REQUIRE(o != nullptr);
    CHECK(o->extra["complete"] == true);
    CHECK(o->data == file);
    // The cut 200 is still an object of its own, partial.
    size_t cut_objects = 0;
    for (const auto& x : out.objects()) {
      if (!x.extra.value("stitched", false)) {
        ++cut_objects;
        CHECK(x.data == file.substr(0, 400));
        CHECK(x.extra["partial"] == true);
      }
    }
    CHECK(cut_objects == 1);
  }
}

TEST_CASE("HttpAnalyzer 206: a whole 200 is not taken into ranges", "[http][ranges]") {
  const std::string file = FileBytes(1000);
  MemoryOutput out;
  Connection(&out, 1, {{Request("0-"), Cut200(file, 1000)}});
  Connection(&out, 2, {{Request("400-"), Single(file, 400, 999)}});
  out.FinishRanges();
  const MemoryOutput::Object* o = Stitched(out);
  REQUIRE(o != nullptr);
  CHECK(o->extra["complete"] == false);
  CHECK(o->extra["missing_ranges"] == nlohmann::json::parse("[[0,399]]"));
}

}  // namespace
}  // namespace tcpfollow
