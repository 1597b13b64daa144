// ContentDecoder: every coding round-trips against a real encoder, fed whole, byte by byte
// and split at every point; stacked codings; concatenated gzip members; the output and
// ratio bounds (just under / just over); corrupt and truncated input.
#include "protocols/content/content_decoder.h"

#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "protocols/content/test_encoders.h"

namespace tcpfollow {
namespace {

using testing::BrotliEncode;
using testing::GzipEncode;
using testing::GzipStoredEncode;
using testing::LzmaAloneEncode;
using testing::RawDeflateEncode;
using testing::ZlibEncode;

struct Result {
  std::string out;
  absl::Status status;
  bool limited = false;
};

// Feeds `encoded` in pieces cut at `cuts` (sorted offsets) and finishes.
Result Decode(const std::vector<ContentCoding>& codings, const std::string& encoded,
              const std::vector<size_t>& cuts = {}, ContentLimits limits = {},
              ContentStats* stats = nullptr) {
  Result r;
  ContentDecoder d(codings, limits, [&r](absl::string_view b) { r.out.append(b.data(), b.size()); },
                   stats);
  size_t at = 0;
  for (size_t cut : cuts) {
    d.Write(absl::string_view(encoded).substr(at, cut - at)).IgnoreError();
    at = cut;
  }
  d.Write(absl::string_view(encoded).substr(at)).IgnoreError();
  r.status = d.Finish();
  r.limited = d.limited();
  return r;
}

std::string Sample() {
  std::string s;
  for (int i = 0; i < 300; ++i) s += "line " + std::to_string(i * 7919 % 1000) + " of the body\n";
  return s;
}

TEST_CASE("ParseContentEncoding: codings in applied order", "[content]") {
  auto c = ParseContentEncoding(" gzip, identity ,BR,x-gzip, deflate");
  REQUIRE(c.ok());
  REQUIRE(*c == std::vector<ContentCoding>{ContentCoding::kGzip, ContentCoding::kBrotli,
                                           ContentCoding::kGzip, ContentCoding::kDeflate});
  REQUIRE(*ParseContentEncoding("lzma") == std::vector<ContentCoding>{ContentCoding::kLzma});
  REQUIRE(ParseContentEncoding("identity")->empty());
  REQUIRE(ParseContentEncoding("compress").status().code() == absl::StatusCode::kUnimplemented);
  ContentLimits limits;
  limits.max_codings = 2;
  REQUIRE(ParseContentEncoding("gzip,gzip", limits).ok());
  REQUIRE(!ParseContentEncoding("gzip,gzip,gzip", limits).ok());
}

TEST_CASE("ContentDecoder: each coding decodes whole, byte by byte and split anywhere",
          "[content]") {
  const std::string plain = Sample();
  struct Case {
    const char* name;
    ContentCoding coding;
    std::string encoded;
  };
  std::vector<Case> cases = {
      {"gzip", ContentCoding::kGzip, GzipEncode(plain)},
      {"deflate zlib", ContentCoding::kDeflate, ZlibEncode(plain)},
      {"deflate raw", ContentCoding::kDeflate, RawDeflateEncode(plain)},
      {"br", ContentCoding::kBrotli, BrotliEncode(plain)},
      {"lzma", ContentCoding::kLzma, LzmaAloneEncode(plain)},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      REQUIRE(c.encoded.size() < plain.size());
      Result whole = Decode({c.coding}, c.encoded);
      REQUIRE(whole.status.ok());
      REQUIRE(whole.out == plain);
      std::vector<size_t> every;
      for (size_t i = 1; i < c.encoded.size(); ++i) every.push_back(i);
      Result bytewise = Decode({c.coding}, c.encoded, every);
      REQUIRE(bytewise.status.ok());
      REQUIRE(bytewise.out == plain);
      for (size_t cut = 0; cut <= c.encoded.size(); ++cut) {
        Result split = Decode({c.coding}, c.encoded, {cut});
        REQUIRE(split.status.ok());
        REQUIRE(split.out == plain);
      }
    }
  }
}

TEST_CASE("ContentDecoder: stacked codings are removed last-applied first", "[content]") {
  const std::string plain = Sample();
  // Content-Encoding: deflate, gzip, br  => br(gzip(deflate(plain)))
  std::string encoded = BrotliEncode(GzipEncode(ZlibEncode(plain)));
  auto codings = ParseContentEncoding("deflate, gzip, br");
  REQUIRE(codings.ok());
  Result r = Decode(*codings, encoded);
  REQUIRE(r.status.ok());
  REQUIRE(r.out == plain);
  for (size_t cut = 0; cut <= encoded.size(); ++cut) {
    REQUIRE(Decode(*codings, encoded, {cut}).out == plain);
  }
  // The wrong order fails rather than producing garbage silently.
  Result wrong = Decode({ContentCoding::kBrotli, ContentCoding::kGzip, ContentCoding::kDeflate},
                        encoded);
  REQUIRE(!wrong.status.ok());
}

TEST_CASE("ContentDecoder: lzma memory is capped by the header's dictionary size",
          "[content][limits]") {
  const std::string plain = Sample();
  ContentLimits limits;
  limits.max_lzma_memory = 4 << 20;
  Result small = Decode({ContentCoding::kLzma}, LzmaAloneEncode(plain, 1 << 20), {}, limits);
  REQUIRE(small.status.ok());
  REQUIRE(small.out == plain);
  Result big = Decode({ContentCoding::kLzma}, LzmaAloneEncode(plain, 8 << 20), {}, limits);
  REQUIRE(big.status.code() == absl::StatusCode::kResourceExhausted);
  REQUIRE(big.out.empty());
}

TEST_CASE("ContentDecoder: identity and empty coding list pass bytes through", "[content]") {
  Result r = Decode({}, "plain bytes", {3, 5});
  REQUIRE(r.status.ok());
  REQUIRE(r.out == "plain bytes");
}

TEST_CASE("ContentDecoder: concatenated gzip members decode as one body", "[content]") {
  std::string encoded = GzipEncode("first part, ") + GzipEncode("second part");
  Result r = Decode({ContentCoding::kGzip}, encoded);
  REQUIRE(r.status.ok());
  REQUIRE(r.out == "first part, second part");
}

TEST_CASE("ContentDecoder: output limit cuts exactly at the limit", "[content][limits]") {
  const std::string plain = Sample();
  ContentLimits limits;
  limits.max_ratio = 0;
  SECTION("just under") {
    limits.max_output_bytes = plain.size();
    Result r = Decode({ContentCoding::kGzip}, GzipEncode(plain), {}, limits);
    REQUIRE(!r.limited);
    REQUIRE(r.out == plain);
  }
  SECTION("just over") {
    limits.max_output_bytes = plain.size() - 1;
    ContentStats stats;
    Result r = Decode({ContentCoding::kGzip}, GzipEncode(plain), {}, limits, &stats);
    REQUIRE(r.limited);
    REQUIRE(r.out == plain.substr(0, plain.size() - 1));
    REQUIRE(stats.output_limited == 1);
    REQUIRE(stats.bytes_out == plain.size() - 1);
  }
}

TEST_CASE("ContentDecoder: a gzip bomb is cut off by the ratio limit, not expanded",
          "[content][limits]") {
  // 64 MiB of zeros compresses to ~64 KiB; encode it once in pieces to keep the test fast.
  std::string zeros(64 << 20, '\0');
  std::string bomb = GzipEncode(zeros);
  zeros.clear();
  zeros.shrink_to_fit();
  ContentLimits limits;
  limits.max_output_bytes = 1ull << 40;
  limits.max_ratio = 100;
  limits.ratio_grace_bytes = 4096;
  ContentStats stats;
  uint64_t produced = 0;
  ContentDecoder d({ContentCoding::kGzip}, limits, [&](absl::string_view b) { produced += b.size(); },
                   &stats);
  REQUIRE(d.Write(bomb).ok());
  REQUIRE(d.limited());
  REQUIRE(stats.ratio_limited == 1);
  REQUIRE(produced <= 100 * bomb.size());
  REQUIRE(produced >= 100 * bomb.size() - 1);
  // Further input is ignored.
  REQUIRE(d.Write(bomb).ok());
  REQUIRE(d.bytes_out() == produced);
}

TEST_CASE("ContentDecoder: the ratio grace lets small, very compressible bodies through",
          "[content][limits]") {
  std::string zeros(4096, '\0');
  ContentLimits limits;
  limits.max_ratio = 2;
  limits.ratio_grace_bytes = 4096;
  Result r = Decode({ContentCoding::kGzip}, GzipEncode(zeros), {}, limits);
  REQUIRE(!r.limited);
  REQUIRE(r.out == zeros);
  limits.ratio_grace_bytes = 4095;
  REQUIRE(Decode({ContentCoding::kGzip}, GzipEncode(zeros), {}, limits).limited);
}

TEST_CASE("ContentDecoder: corrupt and truncated input are errors, earlier output kept",
          "[content]") {
  const std::string plain = Sample();
  std::string gz = GzipEncode(plain);
  SECTION("truncated gzip") {
    Result r = Decode({ContentCoding::kGzip}, gz.substr(0, gz.size() / 2));
    REQUIRE(r.status.code() == absl::StatusCode::kDataLoss);
    REQUIRE(plain.compare(0, r.out.size(), r.out) == 0);
  }
  SECTION("garbage gzip") {
    Result r = Decode({ContentCoding::kGzip}, "this is not gzip at all");
    REQUIRE(r.status.code() == absl::StatusCode::kDataLoss);
    REQUIRE(r.out.empty());
  }
  SECTION("truncated brotli") {
    std::string br = BrotliEncode(plain);
    Result r = Decode({ContentCoding::kBrotli}, br.substr(0, br.size() - 3));
    REQUIRE(!r.status.ok());
  }
  SECTION("gzip whose data was altered: the trailer CRC32 catches it") {
    // Stored (level 0) deflate keeps the bytes as they are, so a flipped byte still
    // inflates; only the member trailer tells. The decoded bytes stay delivered.
    std::string bad = GzipStoredEncode(plain);
    bad[bad.size() / 2] ^= 0x5A;
    Result r = Decode({ContentCoding::kGzip}, bad);
    REQUIRE(r.status.code() == absl::StatusCode::kDataLoss);
    REQUIRE(r.out.size() == plain.size());
    REQUIRE(r.out != plain);
    Result good = Decode({ContentCoding::kGzip}, GzipStoredEncode(plain));
    REQUIRE(good.status.ok());
    REQUIRE(good.out == plain);
  }
  SECTION("error is sticky") {
    ContentDecoder d({ContentCoding::kGzip}, {}, [](absl::string_view) {});
    REQUIRE(!d.Write("garbage garbage garbage").ok());
    REQUIRE(!d.Write(gz).ok());
  }
}

}  // namespace
}  // namespace tcpfollow
