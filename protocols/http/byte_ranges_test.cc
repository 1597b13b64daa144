// Content-Range parsing (valid forms, the 416 form, other units, reversed and out-of-total
// ranges, overlong numbers), the multipart/byteranges boundary, and ByteRangesParser's
// event log: the same fed whole, byte by byte and split at every point; gaps inside a part
// of known length (a hole), across a delimiter (the part ends, the next one is found) and
// outside parts; a missing closing delimiter; an overlong part head; junk and overlong
// delimiter lines, bad head lines, short parts and max_parts, each split at every point.
#include "protocols/http/byte_ranges.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"

namespace tcpfollow {
namespace {

TEST_CASE("ParseContentRange: the forms a 206 uses", "[ranges]") {
  auto r = ParseContentRange("bytes 0-99/1000");
  REQUIRE(r);
  CHECK(r->first == 0);
  CHECK(r->last == 99);
  CHECK(r->total == 1000);
  CHECK(r->length() == 100);
  r = ParseContentRange("  Bytes 200-299/*  ");
  REQUIRE(r);
  CHECK(r->first == 200);
  CHECK(r->total == -1);
  r = ParseContentRange("bytes 999-999/1000");
  REQUIRE(r);
  CHECK(r->length() == 1);
}

TEST_CASE("ParseContentRange: what is refused", "[ranges]") {
  for (const char* bad :
       {"", "bytes", "bytes */1000", "items 0-9/10", "bytes 10-9/100", "bytes 0-100/100",
        "bytes 0-9", "bytes -9/10", "bytes 0-/10", "bytes0-9/10", "bytes 0-9/x",
        "bytes 0-1234567890123456789/*", "bytes 0x1-2/3", "bytes 1-2/0"}) {
    INFO(bad);
    CHECK_FALSE(ParseContentRange(bad));
  }
}

TEST_CASE("ByteRangesBoundary", "[ranges]") {
  CHECK(ByteRangesBoundary("multipart/byteranges; boundary=3d6b6a416f9b5") == "3d6b6a416f9b5");
  CHECK(ByteRangesBoundary("Multipart/ByteRanges;charset=x; Boundary=\"a b\"") == "a b");
  CHECK(ByteRangesBoundary("multipart/form-data; boundary=x").empty());
  CHECK(ByteRangesBoundary("multipart/byteranges").empty());
  CHECK(ByteRangesBoundary("multipart/byteranges; boundary=").empty());
  CHECK(ByteRangesBoundary(absl::StrCat("multipart/byteranges; boundary=", std::string(201, 'b')))
            .empty());
}

class Log : public ByteRangesVisitor {
 public:
  void OnPart(const std::optional<ContentRange>& r, absl::string_view type) override {
    Flush();
    events.push_back(r ? absl::StrCat("part ", r->first, "-", r->last, "/", r->total, " ", type)
                       : absl::StrCat("part none ", type));
  }
  void OnPartData(absl::string_view b) override { data.append(b.data(), b.size()); }
  void OnPartGap(uint64_t n) override {
    Flush();
    events.push_back(absl::StrCat("gap ", n));
  }
  void OnPartEnd(bool complete) override {
    Flush();
    events.push_back(complete ? "end" : "end incomplete");
  }
  void OnAnomaly(absl::string_view what) override {
    Flush();
    events.push_back(absl::StrCat("anomaly ", what));
  }
  void Flush() {
    if (!data.empty()) events.push_back(absl::StrCat("data ", data));
    data.clear();
  }
  std::vector<std::string> events;
  std::string data;
};

const char kBody[] =
    "preamble ignored\r\n"
    "--XyZ\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Range: bytes 0-9/40\r\n"
    "\r\n"
    "0123456789\r\n"
    "--XyZ  \r\n"
    "content-range: bytes 20-29/40\r\n"
    "\r\n"
    "--XyZ-not-\r\n"
    "--XyZ--\r\n"
    "epilogue ignored";

std::vector<std::string> Parse(const std::vector<absl::string_view>& pieces,
                               const std::string& boundary = "XyZ") {
  Log log;
  ByteRangesParser p(boundary, &log);
  for (absl::string_view piece : pieces) p.Feed(piece);
  p.End();
  log.Flush();
  return log.events;
}

TEST_CASE("ByteRangesParser: parts, whole and split anywhere", "[ranges]") {
  const std::vector<std::string> want = {
      "part 0-9/40 text/plain", "data 0123456789", "end",
      "part 20-29/40 ",         "data --XyZ-not-", "end"};
  absl::string_view body(kBody);
  CHECK(Parse({body}) == want);
  std::vector<absl::string_view> bytes;
  for (size_t i = 0; i < body.size(); ++i) bytes.push_back(body.substr(i, 1));
  CHECK(Parse(bytes) == want);
  for (size_t i = 1; i < body.size(); ++i) {
    INFO("split at " << i);
    CHECK(Parse({body.substr(0, i), body.substr(i)}) == want);
  }
}

TEST_CASE("ByteRangesParser: a body that starts with the delimiter", "[ranges]") {
  CHECK(Parse({"--b\r\nContent-Range: bytes 5-6/*\r\n\r\nab\r\n--b--\r\n"}, "b") ==
        std::vector<std::string>{"part 5-6/-1 ", "data ab", "end"});
}

TEST_CASE("ByteRangesParser: a gap inside a part of known length is a hole", "[ranges]") {
  Log log;
  ByteRangesParser p("b", &log);
  p.Feed("--b\r\nContent-Range: bytes 0-9/10\r\n\r\n0123");
  p.Gap(3);
  p.Feed("789\r\n--b--");
  p.End();
  log.Flush();
  CHECK(log.events == std::vector<std::string>{"part 0-9/10 ", "data 0123", "gap 3",
                                                "data 789", "end incomplete"});
}

TEST_CASE("ByteRangesParser: a gap across a delimiter ends the part; the next is found",
          "[ranges]") {
  Log log;
  ByteRangesParser p("b", &log);
  p.Feed("--b\r\nContent-Range: bytes 0-3/20\r\n\r\n01");
  p.Gap(40);  // the rest of the part, the delimiter and the next head
  p.Feed("junk\r\n--b\r\nContent-Range: bytes 10-11/20\r\n\r\nxy\r\n--b--\r\n");
  p.End();
  log.Flush();
  CHECK(log.events == std::vector<std::string>{"part 0-3/20 ", "data 01", "gap 2",
                                                "anomaly byteranges_gap", "end incomplete",
                                                "part 10-11/20 ", "data xy", "end"});
}

TEST_CASE("ByteRangesParser: no closing delimiter", "[ranges]") {
  CHECK(Parse({"--b\r\nContent-Range: bytes 0-1/2\r\n\r\nab"}, "b") ==
        std::vector<std::string>{"part 0-1/2 ", "data ab", "anomaly byteranges_unterminated",
                                 "end incomplete"});
  CHECK(Parse({"no parts at all"}) ==
        std::vector<std::string>{"anomaly byteranges_without_parts"});
}

TEST_CASE("ByteRangesParser: max_part_head_bytes, just under and just over", "[ranges]") {
  // The head "Content-Range: bytes 0-1/2\r\nX: yyyy\r\n\r\n" is 39 bytes.
  const std::string head = "Content-Range: bytes 0-1/2\r\nX: yyyy\r\n\r\n";
  REQUIRE(head.size() == 39);
  const std::string body = "--b\r\n" + head + "ab\r\n--b--";
  for (size_t limit : {39, 38}) {
    Log log;
    ByteRangesLimits limits;
    limits.max_part_head_bytes = limit;
    ByteRangesParser p("b", &log, limits);
    p.Feed(body);
    p.End();
    log.Flush();
    if (limit == 39) {
      CHECK(log.events == std::vector<std::string>{"part 0-1/2 ", "data ab", "end"});
    } else {
      REQUIRE_FALSE(log.events.empty());
      CHECK(log.events[0] == "anomaly byteranges_part_head_too_long");
    }
  }
}

TEST_CASE("ByteRangesParser: a part without Content-Range is reported as such", "[ranges]") {
  CHECK(Parse({"--b\r\nContent-Type: a/b\r\n\r\nzz\r\n--b--"}, "b") ==
        std::vector<std::string>{"part none a/b", "data zz", "end"});
}

// Each of these bodies gives the same events whole, byte by byte and cut in two anywhere.
void CheckSplits(const std::string& body, const std::vector<std::string>& want,
                 const std::string& boundary = "b") {
  absl::string_view b(body);
  CHECK(Parse({b}, boundary) == want);
  std::vector<absl::string_view> bytes;
  for (size_t i = 0; i < b.size(); ++i) bytes.push_back(b.substr(i, 1));
  CHECK(Parse(bytes, boundary) == want);
  for (size_t i = 0; i <= b.size(); ++i) {
    INFO("split at " << i);
    REQUIRE(Parse({b.substr(0, i), b.substr(i)}, boundary) == want);
  }
}

TEST_CASE("ByteRangesParser: more than white space after a boundary skips that part",
          "[ranges]") {
  CheckSplits(
      "--b\r\nContent-Range: bytes 0-1/6\r\n\r\nab\r\n"
      "--b-and-more\r\nContent-Range: bytes 2-3/6\r\n\r\ncd\r\n"
      "--b \t\r\nContent-Range: bytes 4-5/6\r\n\r\nef\r\n--b--",
      {"part 0-1/6 ", "data ab", "end", "anomaly byteranges_bad_delimiter_line",
       "part 4-5/6 ", "data ef", "end"});
}

// The overlong delimiter line is decided at its LF whatever the split (the parser before
// protocols/mime/multipart_parser took it when it came whole, skipped it when in pieces).
TEST_CASE("ByteRangesParser: an overlong delimiter line, a bad head line, a bad range",
          "[ranges]") {
  CheckSplits(absl::StrCat("--b", std::string(300, ' '),
                           "\r\nContent-Range: bytes 0-1/2\r\n\r\nab\r\n"
                           "--b\r\nno colon\r\nContent-Range: bytes 1-0/2\r\n\r\nxy\r\n"
                           "--b--\r\n"),
              {"anomaly byteranges_bad_delimiter_line", "anomaly byteranges_bad_part_header",
               "anomaly byteranges_invalid_content_range", "part none ", "data xy", "end"});
}

TEST_CASE("ByteRangesParser: a part shorter than its range, max_parts", "[ranges]") {
  const std::string body =
      "--b\r\nContent-Range: bytes 0-3/9\r\n\r\nab\r\n"
      "--b\r\nContent-Range: bytes 4-5/9\r\n\r\nef\r\n"
      "--b\r\nContent-Range: bytes 6-8/9\r\n\r\nghi\r\n--b--";
  CheckSplits(body, {"part 0-3/9 ", "data ab", "anomaly byteranges_part_shorter_than_range",
                     "end", "part 4-5/9 ", "data ef", "end", "part 6-8/9 ", "data ghi", "end"});
  Log log;
  ByteRangesLimits limits;
  limits.max_parts = 1;
  ByteRangesStats stats;
  ByteRangesParser p("b", &log, limits, &stats);
  p.Feed(body);
  p.End();
  log.Flush();
  CHECK(log.events == std::vector<std::string>{"part 0-3/9 ", "data ab",
                                                "anomaly byteranges_part_shorter_than_range",
                                                "end", "anomaly byteranges_too_many_parts"});
  CHECK(stats.parts == 3);
  CHECK(stats.parts_skipped == 2);
}

TEST_CASE("ByteRangesParser: gaps outside parts, after the end, and the stats", "[ranges]") {
  Log log;
  ByteRangesStats stats;
  ByteRangesParser p("b", &log, {}, &stats);
  p.Feed("pre");
  p.Gap(5);  // in the preamble
  p.Feed("amble\r\n--b\r\nContent-Ra");
  p.Gap(5);  // in a head: that part is lost
  p.Feed("\r\n\r\nlost\r\n--b\r\n\r\nno range\r\n--b--\r\n");
  p.Gap(5);  // in the epilogue: nothing
  p.End();
  log.Flush();
  CHECK(log.events == std::vector<std::string>{"anomaly byteranges_gap", "anomaly byteranges_gap",
                                                "part none ", "data no range", "end"});
  CHECK(stats.parts == 1);
  CHECK(stats.parts_without_range == 1);
  CHECK(stats.resyncs == 2);
}

}  // namespace
}  // namespace tcpfollow
