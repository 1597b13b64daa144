// RangeAssembler with in-memory storage: pieces out of order and from several connections
// stitched into the original bytes, written once complete (not before every piece is
// done); overlaps (equal, and differing: first bytes win, conflicts counted); holes inside
// a piece; an unknown total; a total that disagrees; bytes past a piece's declared end;
// and each limit (resources, ranges, offset, idle time) just under and just over.
#include "reassembly/range_assembler.h"

#include <string>
#include <vector>

#include "catch2/catch.hpp"

namespace tcpfollow {
namespace {

struct Written {
  std::string fuid;
  nlohmann::json record;
  std::string contents;
  bool complete = false;
};

struct Fixture {
  explicit Fixture(RangeLimits limits = {})
      : assembler(
            [this](absl::string_view key, const ConnectionInfo&, const ObjectMeta&) {
              return std::make_unique<MemoryRangeStorage>(
                  "F-" + std::string(key),
                  [this](const std::string& fuid, nlohmann::json rec, std::string contents,
                         bool complete) {
                    written.push_back({fuid, std::move(rec), std::move(contents), complete});
                  });
            },
            limits) {}

  // One piece, written whole and finished.
  std::string Piece(const std::string& key, uint64_t offset, absl::string_view bytes,
                    int64_t total, uint64_t conn_id = 1, absl::Time ts = absl::UnixEpoch()) {
    ConnectionInfo conn;
    conn.id = conn_id;
    ObjectMeta meta;
    meta.source = "http";
    meta.name = "file.bin";
    auto w = assembler.BeginPiece(conn, meta, {key, offset, bytes.size(), total});
    std::string fuid = w->fuid();
    w->Write(bytes);
    w->Finish(ts);
    return fuid;
  }

  std::vector<Written> written;
  RangeAssembler assembler;
};

std::string Original(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>('a' + (i * 7) % 26));
  return s;
}

TEST_CASE("RangeAssembler: pieces out of order from several connections make the original",
          "[ranges]") {
  Fixture f;
  const std::string orig = Original(1000);
  std::string a = f.Piece("k", 600, absl::string_view(orig).substr(600), 1000, 1);
  std::string b = f.Piece("k", 0, absl::string_view(orig).substr(0, 300), 1000, 2);
  REQUIRE(f.written.empty());
  std::string c = f.Piece("k", 300, absl::string_view(orig).substr(300, 300), 1000, 3);
  CHECK(a == b);
  CHECK(b == c);
  REQUIRE(f.written.size() == 1);
  CHECK(f.written[0].complete);
  CHECK(f.written[0].contents == orig);
  CHECK(f.written[0].record["complete"] == true);
  CHECK(f.written[0].record["total_length"] == 1000);
  CHECK(f.written[0].record["size"] == 1000);
  CHECK(f.written[0].record["ranges"] == 3);
  CHECK_FALSE(f.written[0].record.contains("missing_ranges"));
  CHECK(f.assembler.tracked() == 0);
  CHECK(f.assembler.stats().complete == 1);
}

TEST_CASE("RangeAssembler: a complete object waits for its open pieces", "[ranges]") {
  Fixture f;
  const std::string orig = Original(100);
  ConnectionInfo conn;
  auto w = f.assembler.BeginPiece(conn, {}, {"k", 0, 100, 100});
  w->Write(orig);
  // Another piece of the same bytes is still open: nothing is written yet.
  auto w2 = f.assembler.BeginPiece(conn, {}, {"k", 50, 50, 100});
  w->Finish(absl::UnixEpoch());
  CHECK(f.written.empty());
  w2->Write(absl::string_view(orig).substr(50));
  w2->Finish(absl::UnixEpoch());
  REQUIRE(f.written.size() == 1);
  CHECK(f.written[0].contents == orig);
  CHECK(f.assembler.stats().overlap_bytes == 50);
  CHECK(f.assembler.stats().conflict_bytes == 0);
}

TEST_CASE("RangeAssembler: overlapping bytes: the first win, differences are counted",
          "[ranges]") {
  Fixture f;
  const std::string orig = Original(20);
  f.Piece("k", 0, absl::string_view(orig).substr(0, 12), 20);
  std::string other = orig.substr(8);
  other[0] = 'X';  // byte 8 differs
  other[2] = 'Y';  // byte 10 differs
  f.Piece("k", 8, other, 20);
  REQUIRE(f.written.size() == 1);
  CHECK(f.written[0].contents == orig);
  CHECK(f.written[0].record["conflict_bytes"] == 2);
  CHECK(f.assembler.stats().overlap_bytes == 4);
  CHECK(f.assembler.stats().conflict_bytes == 2);
}

TEST_CASE("RangeAssembler: a hole inside a piece and a range never sent are listed",
          "[ranges]") {
  Fixture f;
  const std::string orig = Original(1000);
  ConnectionInfo conn;
  auto w = f.assembler.BeginPiece(conn, {}, {"k", 0, 500, 1000});
  w->Write(absl::string_view(orig).substr(0, 100));
  w->Gap(50);  // bytes 100..149 not captured
  w->Write(absl::string_view(orig).substr(150, 350));
  w->Finish(absl::UnixEpoch());
  f.Piece("k", 700, absl::string_view(orig).substr(700), 1000);  // 500..699 never asked for
  CHECK(f.written.empty());
  f.assembler.FinishAll(absl::UnixEpoch());
  REQUIRE(f.written.size() == 1);
  const Written& o = f.written[0];
  CHECK_FALSE(o.complete);
  CHECK(o.record["complete"] == false);
  CHECK(o.record["partial"] == true);
  CHECK(o.record["missing_ranges"] == nlohmann::json::parse("[[100,149],[500,699]]"));
  CHECK(o.record["missing_bytes"] == 250);
  CHECK(o.record["size"] == 750);
  CHECK(o.record["total_length"] == 1000);
  REQUIRE(o.contents.size() == 1000);
  CHECK(o.contents.substr(0, 100) == orig.substr(0, 100));
  CHECK(o.contents.substr(100, 50) == std::string(50, '\0'));  // holes read as zeros
  CHECK(o.contents.substr(700) == orig.substr(700));
}

TEST_CASE("RangeAssembler: an unknown total lists the holes before the last byte",
          "[ranges]") {
  Fixture f;
  const std::string orig = Original(300);
  f.Piece("k", 0, absl::string_view(orig).substr(0, 100), -1);
  f.Piece("k", 200, absl::string_view(orig).substr(200), -1);
  f.assembler.FinishAll(absl::UnixEpoch());
  REQUIRE(f.written.size() == 1);
  CHECK_FALSE(f.written[0].complete);
  CHECK_FALSE(f.written[0].record.contains("total_length"));
  CHECK(f.written[0].record["missing_ranges"] == nlohmann::json::parse("[[100,199]]"));
}

TEST_CASE("RangeAssembler: a later total completes an object begun with '*'", "[ranges]") {
  Fixture f;
  const std::string orig = Original(300);
  f.Piece("k", 0, absl::string_view(orig).substr(0, 200), -1);
  f.Piece("k", 200, absl::string_view(orig).substr(200), 300);
  REQUIRE(f.written.size() == 1);
  CHECK(f.written[0].complete);
  CHECK(f.written[0].contents == orig);
}

TEST_CASE("RangeAssembler: a piece naming another total is dropped and counted", "[ranges]") {
  Fixture f;
  const std::string orig = Original(300);
  f.Piece("k", 0, absl::string_view(orig).substr(0, 100), 300);
  f.Piece("k", 100, absl::string_view(orig).substr(100, 100), 999);
  f.assembler.FinishAll(absl::UnixEpoch());
  REQUIRE(f.written.size() == 1);
  CHECK(f.written[0].record["size"] == 100);
  CHECK(f.written[0].record["total_mismatches"] == 1);
  CHECK(f.assembler.stats().total_mismatches == 1);
  CHECK(f.assembler.stats().dropped_bytes == 100);
}

TEST_CASE("RangeAssembler: bytes past a piece's declared length are dropped", "[ranges]") {
  Fixture f;
  ConnectionInfo conn;
  auto w = f.assembler.BeginPiece(conn, {}, {"k", 0, 10, 10});
  w->Write("0123456789abc");
  w->Finish(absl::UnixEpoch());
  REQUIRE(f.written.size() == 1);
  CHECK(f.written[0].contents == "0123456789");
  CHECK(f.assembler.stats().dropped_bytes == 3);
}

TEST_CASE("RangeAssembler: different keys are different objects", "[ranges]") {
  Fixture f;
  std::string a = f.Piece("etag-1", 0, "abc", 6);
  std::string b = f.Piece("etag-2", 3, "def", 6);
  CHECK(a != b);
  f.assembler.FinishAll(absl::UnixEpoch());
  CHECK(f.written.size() == 2);
}

TEST_CASE("RangeAssembler: max_resources closes the least recently used one", "[ranges]") {
  RangeLimits limits;
  limits.max_resources = 2;
  Fixture f(limits);
  f.Piece("a", 0, "x", 10);
  f.Piece("b", 0, "x", 10);
  CHECK(f.written.empty());  // just under: both tracked
  f.Piece("a", 1, "y", 10);  // a used again: b is now the oldest
  f.Piece("c", 0, "x", 10);  // just over
  REQUIRE(f.written.size() == 1);
  CHECK(f.written[0].fuid == "F-b");
  CHECK_FALSE(f.written[0].complete);
  CHECK(f.assembler.stats().evicted == 1);
  CHECK(f.assembler.tracked() == 2);
}

TEST_CASE("RangeAssembler: a new resource is refused when every one has a piece open",
          "[ranges]") {
  RangeLimits limits;
  limits.max_resources = 1;
  Fixture f(limits);
  ConnectionInfo conn;
  auto open = f.assembler.BeginPiece(conn, {}, {"a", 0, 10, 10});
  auto refused = f.assembler.BeginPiece(conn, {}, {"b", 0, 3, 10});
  CHECK(refused->fuid().empty());
  refused->Write("abc");
  refused->Finish(absl::UnixEpoch());
  CHECK(f.assembler.stats().dropped_pieces == 1);
  CHECK(f.assembler.stats().dropped_bytes == 3);
  open->Finish(absl::UnixEpoch());
}

TEST_CASE("RangeAssembler: max_ranges_per_resource", "[ranges]") {
  RangeLimits limits;
  limits.max_ranges_per_resource = 2;
  Fixture f(limits);
  f.Piece("k", 0, "a", 10);
  f.Piece("k", 4, "b", 10);  // just under: two ranges
  f.Piece("k", 1, "c", 10);  // joins the first: still two
  f.Piece("k", 8, "d", 10);  // just over: a third range is dropped
  CHECK(f.assembler.stats().ranges_limited == 1);
  f.assembler.FinishAll(absl::UnixEpoch());
  REQUIRE(f.written.size() == 1);
  CHECK(f.written[0].record["size"] == 3);
  CHECK(f.written[0].record["missing_ranges"] == nlohmann::json::parse("[[2,3],[5,9]]"));
}

TEST_CASE("RangeAssembler: max_resource_bytes", "[ranges]") {
  RangeLimits limits;
  limits.max_resource_bytes = 100;
  Fixture f(limits);
  f.Piece("k", 95, "0123456789", -1);  // 5 bytes fit, 5 past the limit
  f.Piece("k", 100, "z", -1);           // wholly past it
  f.assembler.FinishAll(absl::UnixEpoch());
  CHECK(f.assembler.stats().dropped_bytes == 6);
  REQUIRE(f.written.size() == 1);
  CHECK(f.written[0].record["size"] == 5);
}

TEST_CASE("RangeAssembler: idle_timeout writes an incomplete object", "[ranges]") {
  RangeLimits limits;
  limits.idle_timeout = absl::Minutes(10);
  Fixture f(limits);
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  f.Piece("a", 0, "x", 10, 1, t0);
  f.Piece("b", 0, "x", 10, 1, t0 + absl::Minutes(10));  // just under
  CHECK(f.written.empty());
  f.Piece("b", 1, "y", 10, 1, t0 + absl::Minutes(10) + absl::Seconds(1));  // just over for a
  REQUIRE(f.written.size() == 1);
  CHECK(f.written[0].fuid == "F-a");
  CHECK(f.assembler.stats().idle_closed == 1);
}

}  // namespace
}  // namespace tcpfollow
