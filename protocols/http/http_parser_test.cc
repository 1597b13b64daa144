// HttpParser: event logs from a recording visitor, each input fed whole, byte by byte and
// split at every point (the logs must not differ); framing (length, chunked, close, no-body
// statuses, HEAD via the visitor), tolerated deviations, conflicting framing, gaps and
// resynchronisation, kStop, and each limit just under and just over.
#include "protocols/http/http_parser.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "catch2/catch.hpp"

namespace tcpfollow {
namespace {

// Turns callbacks into lines; consecutive body slices are merged so logs do not depend on
// how the input was split.
class RecordingVisitor : public HttpVisitor {
 public:
  std::vector<std::string> log;
  HeadersAction action = HeadersAction::kContinue;
  bool no_body_for_head = true;
  bool accept_http09 = false;
  std::string last_method;

  void OnRequestLine(absl::string_view m, absl::string_view t, absl::string_view v) override {
    last_method = std::string(m);
    Add(absl::StrCat("request ", m, " ", t, " ", v));
  }
  void OnMalformedRequestLine(absl::string_view m, absl::string_view t,
                              absl::string_view v) override {
    Add(absl::StrCat("malformed_request [", m, "] [", t, "] [", v, "]"));
  }
  void OnStatusLine(absl::string_view v, int s, absl::string_view r) override {
    Add(absl::StrCat("status ", v, " ", s, " ", r));
  }
  void OnHeader(absl::string_view n, absl::string_view v) override {
    Add(absl::StrCat("header ", n, "=", v));
  }
  HeadersAction OnHeadersComplete(const HttpMessageInfo& info) override {
    Add(absl::StrCat("headers_complete framing=", static_cast<int>(info.framing),
                     " length=", info.content_length, info.framing_conflict ? " conflict" : ""));
    return action;
  }
  void OnBody(absl::string_view b) override {
    if (!log.empty() && log.back().rfind("body ", 0) == 0) {
      log.back().append(b.data(), b.size());
    } else {
      Add(absl::StrCat("body ", b));
    }
  }
  void OnBodyGap(uint64_t n) override { Add(absl::StrCat("body_gap ", n)); }
  void OnTrailer(absl::string_view n, absl::string_view v) override {
    Add(absl::StrCat("trailer ", n, "=", v));
  }
  void OnMessageComplete() override { Add("complete"); }
  void OnMessageIncomplete(absl::string_view why) override { Add(absl::StrCat("incomplete ", why)); }
  void OnAnomaly(absl::string_view what) override { Add(absl::StrCat("anomaly ", what)); }
  void OnError(absl::string_view what) override { Add(absl::StrCat("error ", what)); }
  bool AcceptsHttp09Response() override { return accept_http09; }
  bool AnswersHttp09Request() override { return answers_http09; }
  bool answers_http09 = false;

 private:
  void Add(std::string line) { log.push_back(std::move(line)); }
};

struct Run {
  std::vector<std::string> log;
  size_t consumed = 0;
  HttpStats stats;
};

// Feeds `input` cut at `cuts`, then ends the direction if `end`.
Run Parse(HttpRole role, const std::string& input, const std::vector<size_t>& cuts,
          HttpLimits limits = {}, HeadersAction action = HeadersAction::kContinue,
          bool end = true, bool accept_http09 = false) {
  Run run;
  RecordingVisitor v;
  v.action = action;
  v.accept_http09 = accept_http09;
  HttpParser p(role, &v, limits, &run.stats);
  size_t at = 0;
  bool stopped = false;
  auto feed = [&](absl::string_view piece) {
    if (stopped) return;
    size_t used = p.Feed(piece);
    run.consumed += used;
    if (used < piece.size()) stopped = true;
  };
  for (size_t cut : cuts) {
    feed(absl::string_view(input).substr(at, cut - at));
    at = cut;
  }
  feed(absl::string_view(input).substr(at));
  if (end) p.OnEnd();
  run.log = v.log;
  return run;
}

// The log fed whole; REQUIREs the same log byte by byte and for every two-piece split.
std::vector<std::string> ParseEverySplit(HttpRole role, const std::string& input,
                                         HttpLimits limits = {},
                                         HeadersAction action = HeadersAction::kContinue,
                                         bool accept_http09 = false) {
  Run whole = Parse(role, input, {}, limits, action, true, accept_http09);
  std::vector<size_t> every;
  for (size_t i = 1; i < input.size(); ++i) every.push_back(i);
  Run bytewise = Parse(role, input, every, limits, action, true, accept_http09);
  INFO("input: " << input);
  REQUIRE(absl::StrJoin(bytewise.log, "\n") == absl::StrJoin(whole.log, "\n"));
  REQUIRE(bytewise.consumed == whole.consumed);
  for (size_t cut = 0; cut <= input.size(); ++cut) {
    Run split = Parse(role, input, {cut}, limits, action, true, accept_http09);
    INFO("cut at " << cut);
    REQUIRE(absl::StrJoin(split.log, "\n") == absl::StrJoin(whole.log, "\n"));
    REQUIRE(split.consumed == whole.consumed);
  }
  return whole.log;
}

using Log = std::vector<std::string>;

TEST_CASE("HttpParser: pipelined keep-alive requests with and without bodies", "[http]") {
  std::string in =
      "GET /a HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\n\r\n"
      "POST /form HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello"
      "\r\nGET /b HTTP/1.0\r\n\r\n";
  Log log = ParseEverySplit(HttpRole::kRequest, in);
  Log want = {
      "request GET /a HTTP/1.1", "header Host=example.com", "header User-Agent=t/1",
      "headers_complete framing=0 length=0", "complete",
      "request POST /form HTTP/1.1", "header Host=example.com", "header Content-Length=5",
      "headers_complete framing=1 length=5", "body hello", "complete",
      "request GET /b HTTP/1.0", "headers_complete framing=0 length=0", "complete"};
  REQUIRE(log == want);
}

TEST_CASE("HttpParser: chunked body with extensions and trailers", "[http]") {
  std::string in =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "7\r\n, world\r\n"
      "0\r\nX-Checksum: abc\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n";
  Log log = ParseEverySplit(HttpRole::kResponse, in);
  Log want = {"status HTTP/1.1 200 OK", "header Transfer-Encoding=chunked",
              "headers_complete framing=2 length=0", "body hello, world",
              "trailer X-Checksum=abc", "complete",
              "status HTTP/1.1 204 No Content", "headers_complete framing=0 length=0",
              "complete"};
  REQUIRE(log == want);
}

TEST_CASE("HttpParser: chunked body without trailers, LF-only chunk lines", "[http]") {
  std::string in = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\n0\n\n";
  Log log = ParseEverySplit(HttpRole::kResponse, in);
  Log want = {"status HTTP/1.1 200 OK", "header Transfer-Encoding=chunked",
              "headers_complete framing=2 length=0", "body abc", "anomaly lf_line_ending",
              "complete"};
  REQUIRE(log == want);
}

TEST_CASE("HttpParser: response body delimited by close", "[http]") {
  std::string in = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end";
  Log log = ParseEverySplit(HttpRole::kResponse, in);
  REQUIRE(log.back() == "complete");
  REQUIRE(log[log.size() - 2] == "body until the end");
  // Without the end of the stream the message never completes.
  Run open = Parse(HttpRole::kResponse, in, {}, {}, HeadersAction::kContinue, false);
  REQUIRE(open.log.back() == "body until the end");
}

TEST_CASE("HttpParser: 1xx, 204 and 304 have no body; 100-continue precedes the answer",
          "[http]") {
  std::string in =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n";
  Log log = ParseEverySplit(HttpRole::kResponse, in);
  Log want = {"status HTTP/1.1 100 Continue", "headers_complete framing=0 length=0", "complete",
              "status HTTP/1.1 200 OK", "header Content-Length=2",
              "headers_complete framing=1 length=2", "body ok", "complete",
              "status HTTP/1.1 304 Not Modified", "header Content-Length=99",
              "headers_complete framing=0 length=0", "complete",
              "status HTTP/1.1 204 No Content", "headers_complete framing=0 length=0",
              "complete"};
  REQUIRE(log == want);
}

TEST_CASE("HttpParser: the visitor can declare no body (HEAD) or stop (CONNECT)", "[http]") {
  std::string in = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
  Log log = ParseEverySplit(HttpRole::kResponse, in, {}, HeadersAction::kNoBody);
  REQUIRE(std::count(log.begin(), log.end(), "complete") == 2);

  std::string tunnel = "HTTP/1.1 200 Connection established\r\n\r\n\x16\x03\x01\x02\x00";
  Log stop = ParseEverySplit(HttpRole::kResponse, tunnel, {}, HeadersAction::kStop);
  REQUIRE(stop.back() == "headers_complete framing=3 length=0");
  Run r = Parse(HttpRole::kResponse, tunnel, {}, {}, HeadersAction::kStop);
  REQUIRE(r.consumed == tunnel.find("\r\n\r\n") + 4);
  Run r2 = Parse(HttpRole::kResponse, tunnel, {10, 40}, {}, HeadersAction::kStop);
  REQUIRE(r2.consumed == tunnel.find("\r\n\r\n") + 4);
}

TEST_CASE("HttpParser: tolerated deviations are parsed and reported", "[http]") {
  std::string in =
      "\r\nGET  /x  HTTP/1.1\n"
      "Host : example.com\n"
      "X-Long: first\n"
      "  second\n"
      "Content-Length: 3\n"
      "Content-Length: 3\n"
      "\nabc";
  Log log = ParseEverySplit(HttpRole::kRequest, in);
  Log want = {"anomaly extra_space_in_request_line", "request GET /x HTTP/1.1",
              "anomaly lf_line_ending", "anomaly space_before_colon", "anomaly folded_header",
              "header Host=example.com", "header X-Long=first second",
              "header Content-Length=3", "header Content-Length=3",
              "headers_complete framing=1 length=3", "body abc", "complete"};
  REQUIRE(log == want);
}

TEST_CASE("HttpParser: conflicting framing is flagged", "[http]") {
  SECTION("two different Content-Length values") {
    Log log = ParseEverySplit(HttpRole::kRequest,
                              "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"
                              "abc");
    REQUIRE(std::count(log.begin(), log.end(), "anomaly conflicting_content_length") == 1);
    REQUIRE(std::count(log.begin(), log.end(), "headers_complete framing=1 length=3 conflict") == 1);
  }
  SECTION("Content-Length with chunked: chunked wins") {
    Log log = ParseEverySplit(HttpRole::kRequest,
                              "POST / HTTP/1.1\r\nContent-Length: 100\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n");
    REQUIRE(std::count(log.begin(), log.end(), "anomaly content_length_with_transfer_encoding") == 1);
    REQUIRE(std::count(log.begin(), log.end(), "body x") == 1);
    REQUIRE(log.back() == "complete");
  }
}

TEST_CASE("HttpParser: HTTP/0.9 simple request", "[http]") {
  Log log = ParseEverySplit(HttpRole::kRequest, "GET /old\r\nGET /new HTTP/1.0\r\n\r\n");
  Log want = {"anomaly http09_request", "request GET /old ",
              "headers_complete framing=0 length=0", "complete", "request GET /new HTTP/1.0",
              "headers_complete framing=0 length=0", "complete"};
  REQUIRE(log == want);
}

TEST_CASE("HttpParser: garbage before a request is skipped to the next request line",
          "[http]") {
  Log log = ParseEverySplit(HttpRole::kRequest,
                            "\x01\x02garbage\r\nGET /x HTTP/1.1\r\nHost: h\r\n\r\n");
  Log want = {"anomaly invalid_request_line", "request GET /x HTTP/1.1", "header Host=h",
              "headers_complete framing=0 length=0", "complete"};
  REQUIRE(log == want);
}

// Feeds `a`, a gap of `gap` bytes, then `b`.
Log WithGap(HttpRole role, const std::string& a, uint64_t gap, const std::string& b,
            HttpStats* stats = nullptr) {
  RecordingVisitor v;
  HttpParser p(role, &v, {}, stats);
  p.Feed(a);
  p.OnGap(gap);
  p.Feed(b);
  p.OnEnd();
  return v.log;
}

TEST_CASE("HttpParser: a gap inside a Content-Length body keeps the parser in sync",
          "[http][gap]") {
  Log log = WithGap(HttpRole::kResponse, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nab", 5,
                    "cde" "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  Log want = {"status HTTP/1.1 200 OK", "header Content-Length=10",
              "headers_complete framing=1 length=10", "body ab", "body_gap 5", "body cde",
              "complete", "status HTTP/1.1 404 Not Found", "header Content-Length=0",
              "headers_complete framing=1 length=0", "complete"};
  REQUIRE(log == want);
}

TEST_CASE("HttpParser: a gap inside a chunk keeps the parser in sync", "[http][gap]") {
  Log log = WithGap(HttpRole::kResponse,
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nab", 6,
                    "cd\r\n0\r\n\r\n");
  REQUIRE(log[3] == "body ab");
  REQUIRE(log[4] == "body_gap 6");
  REQUIRE(log[5] == "body cd");
  REQUIRE(log.back() == "complete");
}

// WithGap with `b` fed whole, byte by byte and in two pieces at every point: the same log.
Log WithGapEverySplit(HttpRole role, const std::string& a, uint64_t gap, const std::string& b,
                      HttpLimits limits = {}, HttpStats* stats = nullptr) {
  auto run = [&](const std::vector<size_t>& cuts, HttpStats* st) {
    RecordingVisitor v;
    HttpParser p(role, &v, limits, st);
    p.Feed(a);
    p.OnGap(gap);
    size_t at = 0;
    for (size_t cut : cuts) {
      p.Feed(absl::string_view(b).substr(at, cut - at));
      at = cut;
    }
    p.Feed(absl::string_view(b).substr(at));
    p.OnEnd();
    return v.log;
  };
  Log whole = run({}, stats);
  std::vector<size_t> every;
  for (size_t i = 1; i < b.size(); ++i) every.push_back(i);
  INFO("after the gap: " << b);
  REQUIRE(absl::StrJoin(run(every, nullptr), "\n") == absl::StrJoin(whole, "\n"));
  for (size_t cut = 0; cut <= b.size(); ++cut) {
    INFO("cut at " << cut);
    REQUIRE(absl::StrJoin(run({cut}, nullptr), "\n") == absl::StrJoin(whole, "\n"));
  }
  return whole;
}

const char kChunkedHead[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

TEST_CASE("HttpParser: a gap past a chunk's end resyncs at the next chunk-size line",
          "[http][gap]") {
  // Sent: 5 "abcde", 6 "fghijk", 4 "wxyz", 0. Lost: "cde\r\n6\r\nfgh" (11 bytes).
  HttpStats stats;
  Log log = WithGapEverySplit(HttpRole::kResponse, std::string(kChunkedHead) + "5\r\nab", 11,
                              "ijk\r\n4\r\nwxyz\r\n0\r\n\r\n", {}, &stats);
  Log want = {"status HTTP/1.1 200 OK", "header Transfer-Encoding=chunked",
              "headers_complete framing=2 length=0", "body ab", "body_gap 3", "body_gap 8",
              "body ijkwxyz", "complete"};
  REQUIRE(log == want);
  REQUIRE(stats.chunk_resyncs == 1);
  REQUIRE(stats.incomplete == 0);
}

TEST_CASE("HttpParser: after a chunk resync the last chunk ends the body", "[http][gap]") {
  Log log = WithGapEverySplit(HttpRole::kResponse, std::string(kChunkedHead) + "5\r\nab", 11,
                              "ijk\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
  Log want = {"status HTTP/1.1 200 OK", "header Transfer-Encoding=chunked",
              "headers_complete framing=2 length=0", "body ab", "body_gap 3", "body_gap 8",
              "body ijk", "complete", "status HTTP/1.1 204 No Content",
              "headers_complete framing=0 length=0", "complete"};
  REQUIRE(log == want);
}

TEST_CASE("HttpParser: a line of hex digits in chunk data is not taken for a chunk size",
          "[http][gap]") {
  // "11" would announce 17 bytes not followed by CRLF: data. "4" then frames "wxyz".
  Log log = WithGapEverySplit(HttpRole::kResponse, std::string(kChunkedHead) + "5\r\nab", 20,
                              "ijk\r\n11\r\nmore text\r\n4\r\nwxyz\r\n0\r\n\r\n");
  REQUIRE(log[4] == "body_gap 3");
  REQUIRE(log[5] == "body_gap 17");
  REQUIRE(log[6] == "body ijk\r\n11\r\nmore textwxyz");
  REQUIRE(log.back() == "complete");
}

TEST_CASE("HttpParser: a status line before any chunk-size line ends the chunked body",
          "[http][gap]") {
  HttpStats stats;
  Log log = WithGapEverySplit(HttpRole::kResponse, std::string(kChunkedHead) + "5\r\nab", 40,
                              "tail\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz", {},
                              &stats);
  Log want = {"status HTTP/1.1 200 OK", "header Transfer-Encoding=chunked",
              "headers_complete framing=2 length=0", "body ab", "body_gap 3", "incomplete gap",
              "status HTTP/1.1 200 OK", "header Content-Length=1",
              "headers_complete framing=1 length=1", "body z", "complete"};
  REQUIRE(log == want);
  REQUIRE(stats.chunk_resync_failures == 1);
}

TEST_CASE("HttpParser: chunk resync holds at most max_chunk_resync_bytes", "[http][gap][limits]") {
  HttpLimits limits;
  limits.max_chunk_resync_bytes = 16;
  const std::string tail(40, 'q');
  Log over = WithGapEverySplit(HttpRole::kResponse, std::string(kChunkedHead) + "5\r\nab", 11,
                               tail + "\r\nHTTP/1.1 204 No Content\r\n\r\n", limits);
  REQUIRE(over[5] == "incomplete gap");
  REQUIRE(over[6] == "status HTTP/1.1 204 No Content");
  // Just under: the chunk-size line is found within the cap.
  Log under = WithGapEverySplit(HttpRole::kResponse, std::string(kChunkedHead) + "5\r\nab", 11,
                                "ijk\r\n2\r\nzz\r\n0\r\n\r\n", limits);
  REQUIRE(under[5] == "body_gap 8");
  REQUIRE(under.back() == "complete");
}

TEST_CASE("HttpParser: a gap in the headers marks the message incomplete and resyncs",
          "[http][gap]") {
  HttpStats stats;
  Log log = WithGap(HttpRole::kRequest, "GET /a HTTP/1.1\r\nHost: exa", 20,
                    "ple.com\r\nAccept: */*\r\n\r\nGET /b HTTP/1.1\r\n\r\n", &stats);
  Log want = {"request GET /a HTTP/1.1", "incomplete gap", "request GET /b HTTP/1.1",
              "headers_complete framing=0 length=0", "complete"};
  REQUIRE(log == want);
  REQUIRE(stats.resyncs == 1);
  REQUIRE(stats.incomplete == 1);
}

TEST_CASE("HttpParser: a gap past the end of a body resyncs at the next status line",
          "[http][gap]") {
  Log log = WithGap(HttpRole::kResponse, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab", 50,
                    "x-tail of something\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz");
  Log want = {"status HTTP/1.1 200 OK", "header Content-Length=4",
              "headers_complete framing=1 length=4", "body ab", "body_gap 2",
              "incomplete gap", "status HTTP/1.1 200 OK", "header Content-Length=1",
              "headers_complete framing=1 length=1", "body z", "complete"};
  REQUIRE(log == want);
}

TEST_CASE("HttpParser: a gap that ends exactly at a message start resumes there",
          "[http][gap]") {
  Log log = WithGap(HttpRole::kRequest, "", 100, "GET /after HTTP/1.1\r\n\r\n");
  REQUIRE(log[0] == "request GET /after HTTP/1.1");
  REQUIRE(log.back() == "complete");
}

TEST_CASE("HttpParser: the end of stream inside a message is incomplete", "[http]") {
  Run r = Parse(HttpRole::kRequest, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", {});
  REQUIRE(r.log.back() == "incomplete end_of_stream");
  REQUIRE(r.stats.incomplete == 1);
}

TEST_CASE("HttpParser: head size limit just under and just over", "[http][limits]") {
  std::string head = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n";
  HttpLimits limits;
  limits.max_head_bytes = head.size();
  Log ok = ParseEverySplit(HttpRole::kRequest, head, limits);
  REQUIRE(ok.back() == "complete");
  limits.max_head_bytes = head.size() - 1;
  Log over = ParseEverySplit(HttpRole::kRequest, head + "GET / HTTP/1.1\r\n\r\n", limits);
  REQUIRE(over == Log{"request GET / HTTP/1.1", "incomplete head_too_large",
                      "error head_too_large"});
}

TEST_CASE("HttpParser: a huge header line is cut off without buffering it", "[http][limits]") {
  HttpStats stats;
  RecordingVisitor v;
  HttpParser p(HttpRole::kRequest, &v, {}, &stats);
  p.Feed("GET / HTTP/1.1\r\nX-Huge: ");
  std::string mb(1 << 20, 'x');
  for (int i = 0; i < 8; ++i) REQUIRE(p.Feed(mb) == mb.size());
  REQUIRE(p.failed());
  REQUIRE(stats.head_too_large == 1);
  REQUIRE(v.log == Log{"request GET / HTTP/1.1", "incomplete head_too_large",
                       "error head_too_large"});
}

TEST_CASE("HttpParser: too many headers are dropped and counted", "[http][limits]") {
  HttpLimits limits;
  limits.max_headers = 2;
  Run r = Parse(HttpRole::kRequest, "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", {}, limits);
  REQUIRE(std::count(r.log.begin(), r.log.end(), "anomaly too_many_headers") == 1);
  REQUIRE(std::count(r.log.begin(), r.log.end(), "header C=3") == 0);
  REQUIRE(r.stats.headers_dropped == 1);
}

TEST_CASE("HttpParser: chunk-size overflow is an error, the longest allowed size is not",
          "[http][limits]") {
  std::string prefix = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  HttpStats stats;
  RecordingVisitor v;
  HttpParser p(HttpRole::kResponse, &v, {}, &stats);
  p.Feed(prefix + "fffffffffffffff\r\nabc");  // 15 digits: accepted
  REQUIRE(!p.failed());
  REQUIRE(v.log.back() == "body abc");

  Run over = Parse(HttpRole::kResponse, prefix + "1ffffffffffffffff\r\nabc", {});
  REQUIRE(over.stats.chunk_size_overflow == 1);
  REQUIRE(over.log.back() == "error chunk_size_overflow");
  Run over_split = Parse(HttpRole::kResponse, prefix + "1ffffffffffffffff\r\nabc", {prefix.size() + 3});
  REQUIRE(over_split.log == over.log);
}

TEST_CASE("HttpParser: an invalid chunk size abandons the message and resyncs", "[http]") {
  Log log = ParseEverySplit(HttpRole::kRequest,
                            "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "3\r\nabc\r\nzz\r\nGET /next HTTP/1.1\r\n\r\n");
  REQUIRE(std::count(log.begin(), log.end(), "incomplete invalid_chunk_size") == 1);
  REQUIRE(std::count(log.begin(), log.end(), "request GET /next HTTP/1.1") == 1);
  REQUIRE(log.back() == "complete");
}

TEST_CASE("HttpParser: a body labelled chunked that is not is read as sent", "[http]") {
  SECTION("delimited by Content-Length") {
    Log log = ParseEverySplit(HttpRole::kResponse,
                              "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n"
                              "Content-Length: 9\r\n\r\nX5O!P\nabcHTTP/1.0 204 No\r\n\r\n");
    REQUIRE(std::count(log.begin(), log.end(), "anomaly chunked_body_not_chunked") == 1);
    REQUIRE(std::count(log.begin(), log.end(), "body X5O!P\nabc") == 1);
    REQUIRE(std::count(log.begin(), log.end(), "complete") == 2);
  }
  SECTION("delimited by the close") {
    Log log = ParseEverySplit(HttpRole::kResponse,
                              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked x\r\n\r\n"
                              "\r\n plain text body");
    REQUIRE(log[log.size() - 2] == "body \r\n plain text body");
    REQUIRE(log.back() == "complete");
  }
  SECTION("a real first chunk keeps chunked framing") {
    Log log = ParseEverySplit(HttpRole::kResponse,
                              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                              "Content-Length: 100\r\n\r\n2\r\nok\r\n0\r\n\r\n");
    REQUIRE(std::count(log.begin(), log.end(), "body ok") == 1);
    REQUIRE(log.back() == "complete");
  }
}

// Response heads as browsers read them (HTTP evader serves each of these).
TEST_CASE("HttpParser: a lone CR ends a response head line; not a request's", "[http]") {
  SECTION("every line ends in CR, the head in CRLF LF") {
    Log log = ParseEverySplit(HttpRole::kResponse,
                              "HTTP/1.1 200 ok\rContent-Type: text/plain\rContent-Length: 5"
                              "\r\n\nhelloHTTP/1.1 204 No\r\n\r\n");
    Log want = {"anomaly cr_line_ending", "status HTTP/1.1 200 ok",
                "anomaly cr_line_ending", "header Content-Type=text/plain",
                "header Content-Length=5", "headers_complete framing=1 length=5",
                "body hello", "complete", "status HTTP/1.1 204 No",
                "headers_complete framing=0 length=0", "complete"};
    REQUIRE(log == want);
  }
  SECTION("the status line ends at CR, headers follow on its line") {
    Log log = ParseEverySplit(HttpRole::kResponse,
                              "HTTP/1.1 200\rTransfer-Encoding:chunked\r\n\r\n"
                              "3\r\nabc\r\n0\r\n\r\n");
    REQUIRE(std::count(log.begin(), log.end(), "header Transfer-Encoding=chunked") == 1);
    REQUIRE(std::count(log.begin(), log.end(), "body abc") == 1);
    REQUIRE(log.back() == "complete");
  }
  SECTION("LF CR line ends, and CR CR LF inside the head") {
    Log log = ParseEverySplit(HttpRole::kResponse,
                              "HTTP/1.1 200 ok\n\rContent-Length: 3\n\rX: y\r\n\r\r\n"
                              "Z: w\r\n\r\nabc");
    Log want = {"anomaly whitespace_line_in_headers", "status HTTP/1.1 200 ok",
                "anomaly lf_line_ending", "anomaly cr_line_ending",
                "header Content-Length=3", "header X=y",
                "header Z=w", "headers_complete framing=1 length=3", "body abc", "complete"};
    REQUIRE(log == want);
  }
  SECTION("a request line and request fields keep their CRs") {
    Log log = ParseEverySplit(HttpRole::kRequest,
                              "POST /a HTTP/1.1\r\nX: a\rContent-Length: 2\r\n\r\n");
    REQUIRE(std::count(log.begin(), log.end(), "header X=a\rContent-Length: 2") == 1);
    REQUIRE(std::count(log.begin(), log.end(), "headers_complete framing=0 length=0") == 1);
  }
}

TEST_CASE("HttpParser: a whitespace-only line ends a response head only if the body follows",
          "[http]") {
  SECTION("followed by the empty line: skipped") {
    Log log = ParseEverySplit(HttpRole::kResponse,
                              "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n \r\n\r\nhello");
    Log want = {"anomaly whitespace_line_in_headers", "status HTTP/1.1 200 OK",
                "header Content-Length=5", "headers_complete framing=1 length=5",
                "body hello", "complete"};
    REQUIRE(log == want);
  }
  SECTION("followed by a header: skipped") {
    Log log = ParseEverySplit(HttpRole::kResponse,
                              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\t\r\n"
                              "Connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    REQUIRE(std::count(log.begin(), log.end(), "header Connection=close") == 1);
    REQUIRE(std::count(log.begin(), log.end(), "body abc") == 1);
    REQUIRE(log.back() == "complete");
  }
  SECTION("followed by the body: the head ends there") {
    Log log = ParseEverySplit(HttpRole::kResponse,
                              "HTTP/1.1 200 OK\r\nContent-Length: 5\n \nhello");
    Log want = {"anomaly whitespace_line_ends_headers", "status HTTP/1.1 200 OK",
                "anomaly lf_line_ending", "header Content-Length=5",
                "headers_complete framing=1 length=5", "body hello", "complete"};
    REQUIRE(log == want);
  }
  SECTION("the stream ends before the next line can be told apart") {
    Log log = ParseEverySplit(HttpRole::kResponse, "HTTP/1.0 200 OK\r\nX: y\r\n \r\nabc");
    Log want = {"anomaly whitespace_line_ends_headers", "status HTTP/1.0 200 OK",
                "header X=y", "headers_complete framing=3 length=0", "body abc",
                "complete"};
    REQUIRE(log == want);
  }
  SECTION("a request head still ends at it") {
    Log log = ParseEverySplit(HttpRole::kRequest,
                              "GET / HTTP/1.1\r\nHost: h\r\n \r\nGET /b HTTP/1.1\r\n\r\n");
    REQUIRE(std::count(log.begin(), log.end(), "complete") == 2);
  }
}

TEST_CASE("HttpParser: a folded line continues the line before it, field name or value",
          "[http]") {
  SECTION("the colon and value folded after the name") {
    Log log = ParseEverySplit(HttpRole::kResponse,
                              "HTTP/1.1 200 OK\r\nTransfer-Encoding\r\n \r\n :\r\n chunked\r\n"
                              "\r\n3\r\nabc\r\n0\r\n\r\n");
    REQUIRE(std::count(log.begin(), log.end(), "header Transfer-Encoding=chunked") == 1);
    REQUIRE(std::count(log.begin(), log.end(), "headers_complete framing=2 length=0") == 1);
    REQUIRE(std::count(log.begin(), log.end(), "body abc") == 1);
  }
  SECTION("an empty value folded onto the next lines") {
    Log log = ParseEverySplit(HttpRole::kResponse,
                              "HTTP/1.1 200 OK\r\nContent-Encoding:\r\n \r\n deflate\r\n ,\r\n"
                              "Content-Length: 0\r\n\r\n");
    REQUIRE(std::count(log.begin(), log.end(), "header Content-Encoding=deflate ,") == 1);
  }
  SECTION("a lone CR and a space fold too") {
    Log log = ParseEverySplit(HttpRole::kResponse,
                              "HTTP/1.1 200 OK\r\nTransfer-Encoding: \r chunked\r\n\r\n"
                              "3\r\nabc\r\n0\r\n\r\n");
    REQUIRE(std::count(log.begin(), log.end(), "body abc") == 1);
  }
}

TEST_CASE("HttpParser: space before the colon frames a response, not a request", "[http]") {
  Log response = ParseEverySplit(HttpRole::kResponse,
                                 "HTTP/1.1 200 OK\r\nTransfer-Encoding : chunked\r\n\r\n"
                                 "3\r\nabc\r\n0\r\n\r\n");
  REQUIRE(std::count(response.begin(), response.end(), "body abc") == 1);
  REQUIRE(response.back() == "complete");
  Log request = ParseEverySplit(HttpRole::kRequest,
                                "POST / HTTP/1.1\r\nContent-Length\t: 3\r\n\r\n");
  REQUIRE(std::count(request.begin(), request.end(), "headers_complete framing=0 length=0") ==
          1);
}

TEST_CASE("HttpParser: up to 4 junk bytes before HTTP on the status line are skipped",
          "[http]") {
  for (std::string junk : {std::string(1, '\0'), std::string(" \r"), std::string("\x01\x02")}) {
    INFO(absl::CEscape(junk));
    Log log = ParseEverySplit(HttpRole::kResponse,
                              junk + "HTTP/1.1 200 ok\r\nContent-Length: 2\r\n\r\nok");
    Log want = {"anomaly junk_before_status_line", "status HTTP/1.1 200 ok",
                "header Content-Length=2", "headers_complete framing=1 length=2", "body ok",
                "complete"};
    REQUIRE(log == want);
  }
}

TEST_CASE("HttpParser: a response without HTTP in its first bytes is HTTP/0.9 if accepted",
          "[http]") {
  auto parse = [](const std::string& in) {
    return ParseEverySplit(HttpRole::kResponse, in, {}, HeadersAction::kContinue, true);
  };
  std::string file(100, 'x');
  SECTION("long enough to tell") {
    Log want = {"anomaly http09_response", "status HTTP/0.9 200 ",
                "headers_complete framing=3 length=0", "body " + file, "complete"};
    REQUIRE(parse(file) == want);
  }
  SECTION("shorter: the end of the stream tells") {
    Log want = {"anomaly http09_response", "status HTTP/0.9 200 ",
                "headers_complete framing=3 length=0", "body hi\r\n\r\n", "complete"};
    REQUIRE(parse("hi\r\n\r\n") == want);
  }
  SECTION("after an interim answer") {
    Log log = parse("HTTP/1.1 100 Continue\r\n\r\n" + file);
    Log want = {"status HTTP/1.1 100 Continue", "headers_complete framing=0 length=0",
                "complete", "anomaly http09_response", "status HTTP/0.9 200 ",
                "headers_complete framing=3 length=0", "body " + file, "complete"};
    REQUIRE(log == want);
  }
  SECTION("a junk line before a status line is not") {
    Log log = parse("SIP/2.0 200 ok\r\nHTTP/1.1 200 ok\r\nContent-Length: 2\r\n\r\nok");
    REQUIRE(std::count(log.begin(), log.end(), "status HTTP/1.1 200 ok") == 1);
    REQUIRE(std::count(log.begin(), log.end(), "body ok") == 1);
  }
  SECTION("not accepted: skipped as before") {
    Log log = ParseEverySplit(HttpRole::kResponse, file);
    REQUIRE(std::count(log.begin(), log.end(), "body " + file) == 0);
  }
}

TEST_CASE("LooksLikeHttp: requests and responses, not other protocols", "[http]") {
  REQUIRE(LooksLikeHttp("GET / HTTP/1.1\r\nHost: x\r\n"));
  REQUIRE(LooksLikeHttp("OPTIONS * HTTP/1.0\r\n"));
  REQUIRE(LooksLikeHttp("HTTP/1.1 200 OK\r\n"));
  REQUIRE(LooksLikeHttp("HTTP/1.0 404"));
  REQUIRE(!LooksLikeHttp("GET /"));  // no version yet
  REQUIRE(LooksLikeHttp("FOO / HTTP/1.1\r\n"));  // any method token (RFC 9110 9.1)
  REQUIRE(LooksLikeHttp("QUERY /search HTTP/1.1\r\n"));
  REQUIRE(LooksLikeHttp("CCM_POST /ccm HTTP/1.1\r\n"));
  REQUIRE(LooksLikeHttp("GET / HTTP/1.\r\n"));
  REQUIRE(LooksLikeHttp("GET /old09.txt\r\n"));  // HTTP/0.9, known method, whole line
  REQUIRE(!LooksLikeHttp("USER anonymous\r\n"));
  REQUIRE(!LooksLikeHttp("F(O / HTTP/1.1\r\n"));  // not a token
  REQUIRE(LooksLikeHttpResponse("HTTP/1.1 400 Bad Request\r\n"));
  REQUIRE(!LooksLikeHttpResponse("220 ftp ready\r\n"));
  REQUIRE(!LooksLikeHttp("220 smtp.example.com ESMTP\r\n"));
  REQUIRE(!LooksLikeHttp("\x16\x03\x01\x02\x00"));
  REQUIRE(!LooksLikeHttp("HTTP/2.0 200 OK\r\n"));
  REQUIRE(!LooksLikeHttp("GET / HTTP/1.1"  // version only on a later line
                         "\n"  "x") == false);
}

TEST_CASE("HttpParser: a malformed request line is reported with what is known", "[http]") {
  SECTION("no URI") {
    Log log = ParseEverySplit(HttpRole::kRequest, "GET\r\nHost: h\r\n\r\n");
    Log want = {"anomaly invalid_request_line", "malformed_request [GET] [] []", "header Host=h",
                "headers_complete framing=0 length=0", "complete"};
    REQUIRE(log == want);
  }
  SECTION("spaces in the URI, no version") {
    // Without a version the line ends the request, as an HTTP/0.9 one would.
    Log log = ParseEverySplit(HttpRole::kRequest, "GET /a b\r\n");
    Log want = {"anomaly invalid_request_line", "malformed_request [GET] [/a b] []",
                "headers_complete framing=0 length=0", "complete"};
    REQUIRE(log == want);
  }
  SECTION("binary junk: nothing known but that there was a request") {
    Log log = ParseEverySplit(HttpRole::kRequest, "\x16\xfe\x01\x00bin\xff junk\r\n\r\n");
    REQUIRE(std::count(log.begin(), log.end(), "malformed_request [] [] []") == 1);
    REQUIRE(log.back() == "complete");
  }
  SECTION("the stream ends inside its head") {
    Log log = ParseEverySplit(HttpRole::kRequest, "GET\r\nHost: h\r\n");
    Log want = {"anomaly invalid_request_line", "malformed_request [GET] [] []",
                "incomplete end_of_stream"};
    REQUIRE(log == want);
  }
}

TEST_CASE("HttpParser: any method token is a request", "[http]") {
  Log log = ParseEverySplit(HttpRole::kRequest,
                            "QUERY /s HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                            "CCM_POST /c HTTP/1.1\r\n\r\n");
  Log want = {"request QUERY /s HTTP/1.1", "header Content-Length=3",
              "headers_complete framing=1 length=3", "body abc", "complete",
              "request CCM_POST /c HTTP/1.1", "headers_complete framing=0 length=0", "complete"};
  REQUIRE(log == want);
}

TEST_CASE("HttpParser: Content-Length with many leading zeros is its value", "[http]") {
  std::string in = "POST /z HTTP/1.1\r\nContent-Length: " + std::string(40, '0') + "50\r\n\r\n" +
                   std::string(50, 'A') + "GET /next HTTP/1.1\r\n\r\n";
  Log log = ParseEverySplit(HttpRole::kRequest, in);
  REQUIRE(std::count(log.begin(), log.end(), "headers_complete framing=1 length=50") == 1);
  REQUIRE(std::count(log.begin(), log.end(), "body " + std::string(50, 'A')) == 1);
  REQUIRE(std::count(log.begin(), log.end(), "request GET /next HTTP/1.1") == 1);
  // The value still has a limit: 19 significant digits are refused.
  Log big = ParseEverySplit(HttpRole::kRequest,
                            "POST /z HTTP/1.1\r\nContent-Length: 0" + std::string(19, '9') +
                                "\r\n\r\n");
  REQUIRE(std::count(big.begin(), big.end(), "anomaly invalid_content_length") == 1);
}

TEST_CASE("HttpParser: an answer to an HTTP/0.9 request is bare bytes even if they say HTTP",
          "[http]") {
  std::string body = "This is an HTTP/0.9 answer, no status line.\n";
  auto run = [&](const std::string& in, const std::vector<size_t>& cuts) {
    RecordingVisitor v;
    v.accept_http09 = v.answers_http09 = true;
    HttpParser p(HttpRole::kResponse, &v);
    size_t at = 0;
    for (size_t c : cuts) {
      p.Feed(absl::string_view(in).substr(at, c - at));
      at = c;
    }
    p.Feed(absl::string_view(in).substr(at));
    p.OnEnd();
    return v.log;
  };
  Log want = {"anomaly http09_response", "status HTTP/0.9 200 ",
              "headers_complete framing=3 length=0", "body " + body, "complete"};
  for (size_t cut = 0; cut <= body.size(); ++cut) REQUIRE(run(body, {cut}) == want);
  Log real = run("HTTP/1.0 200 OK\r\n\r\nhi", {});
  REQUIRE(real[0] == "status HTTP/1.0 200 OK");
}

}  // namespace
}  // namespace tcpfollow
