// Tests for line_reader.h: lines split at LF across calls, the cap, and resets.
#include "protocols/line_reader.h"

#include <string>

#include <catch2/catch.hpp>

namespace tcpfollow {
namespace {

using S = LineReader::Status;

TEST_CASE("LineReader: lines split at LF, one per call, across chunks", "[line]") {
  LineReader r(100);
  absl::string_view in = "HELO a\r\nMA";
  CHECK(r.Next(&in) == S::kLine);
  CHECK(r.TakeLine() == "HELO a\r\n");
  CHECK(in == "MA");
  CHECK(r.Next(&in) == S::kNeedMore);
  CHECK(in.empty());
  CHECK(r.pending_bytes() == 2);
  absl::string_view more = "IL FROM:<x>\nrest";
  CHECK(r.Next(&more) == S::kLine);
  CHECK(r.TakeLine() == "MAIL FROM:<x>\n");
  CHECK(more == "rest");  // what follows is left for the caller (e.g. a DATA body)
}

TEST_CASE("LineReader: a line over the cap is cut at once, its rest dropped", "[line]") {
  LineReader r(4);
  absl::string_view in = "abcdefg";
  CHECK(r.Next(&in) == S::kCutLine);
  CHECK(r.TakeLine() == "abcd");
  CHECK(r.Next(&in) == S::kNeedMore);  // "efg" dropped
  absl::string_view more = "hij\nok\n";
  CHECK(r.Next(&more) == S::kLine);     // the rest up to LF dropped, then the next line
  CHECK(r.TakeLine() == "ok\n");
  // Cut within one chunk that holds the LF: nothing more to skip.
  absl::string_view one = "123456\nx\n";
  CHECK(r.Next(&one) == S::kCutLine);
  CHECK(r.TakeLine() == "1234");
  CHECK(r.Next(&one) == S::kLine);
  CHECK(r.TakeLine() == "x\n");
  // Exactly the cap without LF: cut, and the LF that follows ends the dropped rest.
  absl::string_view exact = "abcd";
  CHECK(r.Next(&exact) == S::kCutLine);
  CHECK(r.TakeLine() == "abcd");
  absl::string_view lf = "\nyes\n";
  CHECK(r.Next(&lf) == S::kLine);
  CHECK(r.TakeLine() == "yes\n");
}

TEST_CASE("LineReader: Reset drops a partial line, optionally up to the next LF", "[line]") {
  LineReader r(100);
  absl::string_view in = "partial";
  CHECK(r.Next(&in) == S::kNeedMore);
  r.Reset(/*skip_to_eol=*/true);
  absl::string_view after = "tail of a cut line\nNOOP\n";
  CHECK(r.Next(&after) == S::kLine);
  CHECK(r.TakeLine() == "NOOP\n");
  absl::string_view again = "half";
  CHECK(r.Next(&again) == S::kNeedMore);
  r.Reset(/*skip_to_eol=*/false);
  absl::string_view next = "QUIT\n";
  CHECK(r.Next(&next) == S::kLine);
  CHECK(r.TakeLine() == "QUIT\n");
}

}  // namespace
}  // namespace tcpfollow
