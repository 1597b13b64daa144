// Http2FrameParser: each frame type's fields (padding and priority stripped, PUSH_PROMISE's
// promised id, CONTINUATION assembly), unknown types skipped, malformed frames counted,
// the preface, the CONTINUATION and header block limits just under and just over, gaps
// inside a frame (parser stays in step) and over a boundary (resync at a trusted boundary,
// or the direction given up), and the same events for every split of the input.
#include "protocols/http2/http2_frames.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "protocols/http2/http2_test_util.h"

namespace tcpfollow {
namespace {

using h2test::Frame;

// Logs events as text; DATA chunks of one frame are joined so splits do not show.
class Log : public Http2FrameVisitor {
 public:
  void OnData(uint32_t stream, absl::string_view bytes) override {
    data_[stream].append(bytes.data(), bytes.size());
  }
  void OnDataGap(uint32_t stream, uint64_t length) override {
    Flush(stream);
    events.push_back(absl::StrCat("gap ", stream, " ", length));
  }
  void OnDataEnd(uint32_t stream, bool end_stream) override {
    Flush(stream);
    events.push_back(absl::StrCat("end ", stream, end_stream ? " ES" : ""));
  }
  void OnHeaderBlock(uint8_t type, uint32_t stream, uint32_t promised, bool end_stream,
                     absl::string_view block) override {
    events.push_back(absl::StrCat("block ", type, " ", stream, " ", promised,
                                  end_stream ? " ES " : " ", block));
  }
  void OnHeaderBlockLost(uint8_t type, uint32_t stream, uint32_t, bool, const char* why) override {
    events.push_back(absl::StrCat("lost ", type, " ", stream, " ", why));
  }
  void OnRstStream(uint32_t stream, uint32_t code) override {
    events.push_back(absl::StrCat("rst ", stream, " ", Http2ErrorName(code)));
  }
  void OnSettings(bool ack, const std::vector<std::pair<uint16_t, uint32_t>>& s) override {
    std::string e = ack ? "settings ack" : "settings";
    for (auto& [id, v] : s) absl::StrAppend(&e, " ", id, "=", v);
    events.push_back(e);
  }
  void OnGoAway(uint32_t last, uint32_t code) override {
    events.push_back(absl::StrCat("goaway ", last, " ", Http2ErrorName(code)));
  }
  void OnSyncLost(uint64_t length) override {
    for (auto& [stream, data] : data_) Flush(stream);
    events.push_back(absl::StrCat("synclost ", length));
  }
  void OnResync(uint64_t skipped) override { events.push_back(absl::StrCat("resync ", skipped)); }
  void OnDirectionLost() override { events.push_back("dirlost"); }
  void OnFrameError(const char* what) override { events.push_back(absl::StrCat("error ", what)); }
  bool PlausibleStream(uint8_t, uint32_t stream) override { return stream < 100; }

  std::vector<std::string> events;

 private:
  void Flush(uint32_t stream) {
    if (!data_[stream].empty()) events.push_back(absl::StrCat("data ", stream, " ", data_[stream]));
    data_[stream].clear();
  }
  std::map<uint32_t, std::string> data_;
};

std::vector<std::string> Run(absl::string_view bytes, bool preface = false, size_t piece = 0,
                             Http2FrameLimits limits = {}, Http2FrameStats* stats = nullptr) {
  Log log;
  Http2FrameStats own;
  Http2FrameParser p(preface, limits, &log, stats ? stats : &own);
  if (piece == 0) {
    p.Feed(bytes);
  } else {
    for (size_t i = 0; i < bytes.size(); i += piece) p.Feed(bytes.substr(i, piece));
  }
  p.OnEnd();
  return log.events;
}

std::string Be32(uint32_t v) {
  return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
}

std::string AllFrames() {
  std::string s = std::string(kHttp2Preface);
  s += h2test::Settings({{1, 4096}, {5, 32768}});
  // HEADERS padded (3) with priority: block "abc".
  s += Frame(1, 0x4 | 0x8 | 0x20, 1, std::string("\x03") + Be32(0) + "\x10" + "abc" + "zzz");
  s += Frame(2, 0, 1, Be32(0) + "\x10");             // PRIORITY
  s += h2test::Data(1, "hello", false, 4);           // padded DATA
  s += Frame(0xfa, 0, 1, "unknown type payload");    // unknown: skipped
  s += h2test::Ping();
  s += h2test::WindowUpdate(0, 1000);
  // HEADERS without END_HEADERS + 2 CONTINUATIONs.
  s += Frame(1, 0x1, 3, "de") + Frame(9, 0, 3, "fg") + Frame(9, 0x4, 3, "hi");
  s += Frame(5, 0x4 | 0x8, 1, std::string("\x01") + Be32(2) + "pp" + std::string(1, '\0'));  // PUSH_PROMISE
  s += h2test::Data(1, "", true);
  s += h2test::RstStream(3, 8);
  s += h2test::GoAway(3, 0);
  s += Frame(3, 0, 5, "xx");                         // RST_STREAM of a wrong length
  return s;
}

const std::vector<std::string> kAllEvents = {
    "settings 1=4096 5=32768",
    "block 1 1 0 abc",
    "data 1 hello",
    "end 1",
    "block 1 3 0 ES defghi",
    "block 5 1 2 pp",
    "end 1 ES",
    "rst 3 CANCEL",
    "goaway 3 NO_ERROR",
    "error bad RST_STREAM",
};

TEST_CASE("every frame type, fields stripped") {
  CHECK(Run(AllFrames(), true) == kAllEvents);
}

TEST_CASE("same events for every split point and byte by byte") {
  std::string all = AllFrames();
  CHECK(Run(all, true, 1) == kAllEvents);
  for (size_t cut = 1; cut < all.size(); ++cut) {
    Log log;
    Http2FrameStats stats;
    Http2FrameParser p(true, {}, &log, &stats);
    p.Feed(absl::string_view(all).substr(0, cut));
    p.Feed(absl::string_view(all).substr(cut));
    INFO("cut " << cut);
    REQUIRE(log.events == kAllEvents);
  }
}

TEST_CASE("a wrong preface starts a resync") {
  std::string s = "PRI * HTTP/1.1\r\n" + h2test::Settings() + h2test::Ping();
  auto ev = Run(s, true);
  REQUIRE(ev.size() >= 3);
  CHECK(ev[0] == "error bad connection preface");
  CHECK(ev[1].rfind("resync", 0) == 0);
  CHECK(ev[2] == "settings");
}

TEST_CASE("limit: CONTINUATION frames per block just under and just over") {
  auto build = [](int continuations) {
    std::string s = Frame(1, 0, 1, "a");
    for (int i = 0; i < continuations; ++i) {
      s += Frame(9, i + 1 == continuations ? 4 : 0, 1, "b");
    }
    return s + h2test::Ping();
  };
  Http2FrameLimits limits;
  limits.max_continuation_frames = 5;
  Http2FrameStats stats;
  CHECK(Run(build(5), false, 0, limits, &stats) ==
        std::vector<std::string>{"block 1 1 0 abbbbb"});
  CHECK(stats.continuation_limited == 0);
  CHECK(Run(build(6), false, 0, limits, &stats) ==
        std::vector<std::string>{"lost 1 1 too_many_continuations"});
  CHECK(stats.continuation_limited == 1);
  CHECK(stats.header_blocks_lost == 1);
}

TEST_CASE("limit: header block bytes just under and just over") {
  std::string s = Frame(1, 0, 1, std::string(60, 'a')) + Frame(9, 4, 1, std::string(40, 'b'));
  Http2FrameLimits limits;
  limits.max_header_block_bytes = 100;
  Http2FrameStats stats;
  auto ev = Run(s, false, 0, limits, &stats);
  REQUIRE(ev.size() == 1);
  CHECK(ev[0].size() == std::string("block 1 1 0 ").size() + 100);
  limits.max_header_block_bytes = 99;
  CHECK(Run(s, false, 0, limits, &stats) ==
        std::vector<std::string>{"lost 1 1 too_large"});
  CHECK(stats.header_block_limited == 1);
}

TEST_CASE("a header block interrupted by another frame is lost") {
  std::string s = Frame(1, 0, 1, "ab") + h2test::Ping() + Frame(9, 4, 1, "cd");
  CHECK(Run(s) == std::vector<std::string>{"error header block interrupted",
                                           "lost 1 1 interrupted",
                                           "error CONTINUATION without a header block"});
}

TEST_CASE("a gap inside a DATA frame keeps the parser in step") {
  std::string a = h2test::Data(1, "0123456789", false);
  std::string b = h2test::Data(1, "tail", true);
  Log log;
  Http2FrameStats stats;
  Http2FrameParser p(false, {}, &log, &stats);
  p.Feed(a.substr(0, 9 + 3));
  p.OnGap(4);
  p.Feed(a.substr(9 + 7));
  p.Feed(b);
  CHECK(log.events == std::vector<std::string>{"data 1 012", "gap 1 4", "data 1 789", "end 1",
                                               "data 1 tail", "end 1 ES"});
  CHECK(stats.gaps_in_frame == 1);
}

TEST_CASE("a gap inside a HEADERS frame loses the block, not the step") {
  std::string a = Frame(1, 4, 1, "abcdef");
  Log log;
  Http2FrameStats stats;
  Http2FrameParser p(false, {}, &log, &stats);
  p.Feed(a.substr(0, 11));
  p.OnGap(2);
  p.Feed(a.substr(13));
  p.Feed(h2test::RstStream(1, 8));
  CHECK(log.events == std::vector<std::string>{"lost 1 1 gap", "rst 1 CANCEL"});
}

TEST_CASE("a gap over a frame boundary: resync at a trusted boundary") {
  std::string a = h2test::Data(1, "0123456789", false);
  Log log;
  Http2FrameStats stats;
  Http2FrameParser p(false, {}, &log, &stats);
  p.Feed(a.substr(0, 12));
  p.OnGap(100);  // past the frame's end: the rest of it and more
  // Junk that is not a frame header, then two real frames.
  std::string after = std::string("\xff\xff\xff garbage") + h2test::Data(1, "again", false) +
                      h2test::Data(1, "!", true);
  p.Feed(after.substr(0, 5));
  p.Feed(after.substr(5));
  CHECK(log.events == std::vector<std::string>{"data 1 012", "synclost 100",
                                               "resync 11", "data 1 again", "end 1",
                                               "data 1 !", "end 1 ES"});
  CHECK(stats.resyncs == 1);
  CHECK(stats.resync_skipped_bytes == 11);
}

TEST_CASE("no boundary within max_resync_bytes: the direction is given up") {
  Http2FrameLimits limits;
  limits.max_resync_bytes = 1000;
  Log log;
  Http2FrameStats stats;
  Http2FrameParser p(false, limits, &log, &stats);
  p.OnGap(5);
  p.Feed(std::string(2000, '\xff'));
  p.Feed(h2test::Ping() + h2test::Ping());
  CHECK(log.events == std::vector<std::string>{"synclost 5", "dirlost"});
  CHECK(p.lost());
  CHECK(stats.directions_lost == 1);
  CHECK(stats.ignored_bytes > 0);
}

TEST_CASE("resync just under the window finds the boundary") {
  Http2FrameLimits limits;
  limits.max_resync_bytes = 1000;
  Log log;
  Http2FrameStats stats;
  Http2FrameParser p(false, limits, &log, &stats);
  p.OnGap(5);
  p.Feed(std::string(1000, '\xff') + h2test::Ping() + h2test::Ping());
  CHECK(log.events == std::vector<std::string>{"synclost 5", "resync 1000"});
  CHECK_FALSE(p.lost());
}

TEST_CASE("error code names") {
  CHECK(Http2ErrorName(0) == "NO_ERROR");
  CHECK(Http2ErrorName(8) == "CANCEL");
  CHECK(Http2ErrorName(0xd) == "HTTP_1_1_REQUIRED");
  CHECK(Http2ErrorName(0x1234) == "0x1234");
}

}  // namespace
}  // namespace tcpfollow
