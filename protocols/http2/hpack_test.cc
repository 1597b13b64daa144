// HpackDecoder: every example of RFC 7541 Appendix C (C.2 to C.6: fields decoded, dynamic
// table entries and sizes after each block); Huffman errors (EOS, long or non-1 padding);
// malformed blocks decoded up to the error and the next block decoded again; the
// out-of-step logic (a lost block: only exact entries are used, never a wrong value;
// back in step after a size update to 0 or once the known entries fill the table);
// limits just under and just over; and a cross-check against libnghttp2's deflater
// (a reference encoder) on generated header lists over many table sizes.
#include "protocols/http2/hpack.h"

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "catch2/catch.hpp"
#include "protocols/http2/http2_test_util.h"

namespace tcpfollow {
namespace {

using h2test::Fields;

class Collect : public HpackDecoder::Sink {
 public:
  void OnField(absl::string_view name, absl::string_view value) override {
    fields.emplace_back(std::string(name), std::string(value));
  }
  Fields fields;
};

Fields DecodeHex(HpackDecoder* d, absl::string_view hex, HpackDecoder::Result* r = nullptr) {
  Collect c;
  HpackDecoder::Result res = d->Decode(absl::HexStringToBytes(hex), &c);
  if (r) *r = res;
  REQUIRE_FALSE(res.malformed);
  return c.fields;
}

void CheckEntry(const HpackDecoder& d, size_t index, absl::string_view name,
                absl::string_view value) {
  auto e = d.DynamicEntry(index);
  CHECK(e.first == name);
  CHECK(e.second == value);
}

const Fields kReq1 = {{":method", "GET"}, {":scheme", "http"}, {":path", "/"},
                      {":authority", "www.example.com"}};
Fields Req2() {
  Fields f = kReq1;
  f.emplace_back("cache-control", "no-cache");
  return f;
}
const Fields kReq3 = {{":method", "GET"}, {":scheme", "https"}, {":path", "/index.html"},
                      {":authority", "www.example.com"}, {"custom-key", "custom-value"}};
const Fields kResp1 = {{":status", "302"}, {"cache-control", "private"},
                       {"date", "Mon, 21 Oct 2013 20:13:21 GMT"},
                       {"location", "https://www.example.com"}};
const Fields kResp2 = {{":status", "307"}, {"cache-control", "private"},
                       {"date", "Mon, 21 Oct 2013 20:13:21 GMT"},
                       {"location", "https://www.example.com"}};
const Fields kResp3 = {{":status", "200"}, {"cache-control", "private"},
                       {"date", "Mon, 21 Oct 2013 20:13:22 GMT"},
                       {"location", "https://www.example.com"}, {"content-encoding", "gzip"},
                       {"set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"}};

TEST_CASE("C.2 field representations") {
  {
    HpackDecoder d({}, nullptr);
    CHECK(DecodeHex(&d, "400a637573746f6d2d6b65790d637573746f6d2d686561646572") ==
          Fields{{"custom-key", "custom-header"}});
    CHECK(d.table_size() == 55);
    CHECK(d.dynamic_entries() == 1);
    CheckEntry(d, 62, "custom-key", "custom-header");
  }
  {
    HpackDecoder d({}, nullptr);
    CHECK(DecodeHex(&d, "040c2f73616d706c652f70617468") == Fields{{":path", "/sample/path"}});
    CHECK(d.table_size() == 0);
  }
  {
    HpackDecoder d({}, nullptr);
    CHECK(DecodeHex(&d, "100870617373776f726406736563726574") ==
          Fields{{"password", "secret"}});
    CHECK(d.table_size() == 0);
  }
  {
    HpackDecoder d({}, nullptr);
    CHECK(DecodeHex(&d, "82") == Fields{{":method", "GET"}});
    CHECK(d.table_size() == 0);
  }
}

void CheckRequests(const std::vector<std::string>& blocks) {
  HpackDecoder d({}, nullptr);
  CHECK(DecodeHex(&d, blocks[0]) == kReq1);
  CHECK(d.table_size() == 57);
  CheckEntry(d, 62, ":authority", "www.example.com");
  CHECK(DecodeHex(&d, blocks[1]) == Req2());
  CHECK(d.table_size() == 110);
  CheckEntry(d, 62, "cache-control", "no-cache");
  CheckEntry(d, 63, ":authority", "www.example.com");
  CHECK(DecodeHex(&d, blocks[2]) == kReq3);
  CHECK(d.table_size() == 164);
  CHECK(d.dynamic_entries() == 3);
  CheckEntry(d, 62, "custom-key", "custom-value");
  CheckEntry(d, 63, "cache-control", "no-cache");
  CheckEntry(d, 64, ":authority", "www.example.com");
}

TEST_CASE("C.3 requests without Huffman coding") {
  CheckRequests({"828684410f7777772e6578616d706c652e636f6d", "828684be58086e6f2d6361636865",
                 "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565"});
}

TEST_CASE("C.4 requests with Huffman coding") {
  CheckRequests({"828684418cf1e3c2e5f23a6ba0ab90f4ff", "828684be5886a8eb10649cbf",
                 "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf"});
}

void CheckResponses(const std::vector<std::string>& blocks) {
  HpackDecoder d({}, nullptr);
  d.SetSettingsTableSize(256);
  CHECK(DecodeHex(&d, blocks[0]) == kResp1);
  CHECK(d.table_size() == 222);
  CHECK(d.dynamic_entries() == 4);
  CheckEntry(d, 62, "location", "https://www.example.com");
  CheckEntry(d, 63, "date", "Mon, 21 Oct 2013 20:13:21 GMT");
  CheckEntry(d, 64, "cache-control", "private");
  CheckEntry(d, 65, ":status", "302");
  CHECK(DecodeHex(&d, blocks[1]) == kResp2);
  CHECK(d.table_size() == 222);
  CHECK(d.dynamic_entries() == 4);
  CheckEntry(d, 62, ":status", "307");
  CheckEntry(d, 63, "location", "https://www.example.com");
  CheckEntry(d, 64, "date", "Mon, 21 Oct 2013 20:13:21 GMT");
  CheckEntry(d, 65, "cache-control", "private");
  CHECK(DecodeHex(&d, blocks[2]) == kResp3);
  CHECK(d.table_size() == 215);
  CHECK(d.dynamic_entries() == 3);
  CheckEntry(d, 62, "set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1");
  CheckEntry(d, 63, "content-encoding", "gzip");
  CheckEntry(d, 64, "date", "Mon, 21 Oct 2013 20:13:22 GMT");
}

TEST_CASE("C.5 responses without Huffman coding, table of 256") {
  CheckResponses(
      {"4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120"
       "474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
       "4803333037c1c0bf",
       "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a6970773866"
       "6f6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630"
       "303b2076657273696f6e3d31"});
}

TEST_CASE("C.6 responses with Huffman coding, table of 256") {
  CheckResponses(
      {"488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad1718"
       "63c78f0b97c8e9ae82ae43d3",
       "4883640effc1c0bf",
       "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b3"
       "35dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007"});
}

TEST_CASE("Huffman strings: valid, EOS, bad padding") {
  std::string out;
  REQUIRE(HuffmanDecode(absl::HexStringToBytes("f1e3c2e5f23a6ba0ab90f4ff"), &out));
  CHECK(out == "www.example.com");
  out.clear();
  CHECK(HuffmanDecode("", &out));
  CHECK(out.empty());
  // '0' is 00000 (5 bits): 00000111 pads with three ones.
  out.clear();
  CHECK(HuffmanDecode(std::string(1, '\x07'), &out));
  CHECK(out == "0");
  // Padding of zeros.
  out.clear();
  CHECK_FALSE(HuffmanDecode(std::string(1, '\x00'), &out));
  // Eight bits of padding: "0" then a whole 0xff byte.
  out.clear();
  CHECK_FALSE(HuffmanDecode(std::string("\x07\xff", 2), &out));
  // EOS (30 ones) inside the string.
  out.clear();
  CHECK_FALSE(HuffmanDecode(std::string("\xff\xff\xff\xff", 4), &out));
}

TEST_CASE("a malformed block is decoded up to the error; the next block decodes") {
  HpackStats stats;
  HpackDecoder d({}, &stats);
  Collect c;
  // :method GET, then a literal whose value length runs past the block.
  auto r = d.Decode(absl::HexStringToBytes("82400a637573746f6d2d6b65790d6375"), &c);
  CHECK(r.malformed);
  CHECK(c.fields == Fields{{":method", "GET"}});
  CHECK(stats.malformed_blocks == 1);
  CHECK_FALSE(d.in_step());  // the lost field may have been an insertion
  // Index 0.
  Collect c2;
  r = d.Decode(absl::HexStringToBytes("8680"), &c2);
  CHECK(r.malformed);
  CHECK(c2.fields == Fields{{":scheme", "http"}});
  // Bad Huffman in a name.
  Collect c3;
  r = d.Decode(absl::HexStringToBytes("008100"), &c3);
  CHECK(r.malformed);
  CHECK(stats.huffman_errors == 1);
  // Integer too large.
  Collect c4;
  r = d.Decode(absl::HexStringToBytes("ffffffffffffff01"), &c4);
  CHECK(r.malformed);
  // A good block still decodes: static and literal fields are trusted out of step.
  Collect c5;
  r = d.Decode(absl::HexStringToBytes("8286"), &c5);
  CHECK_FALSE(r.malformed);
  CHECK(c5.fields == Fields{{":method", "GET"}, {":scheme", "http"}});
}

TEST_CASE("a lost block: references to unknown entries are dropped, known ones used") {
  // C.3 requests; the first block is lost.
  HpackStats stats;
  HpackDecoder d({}, &stats);
  d.MarkDesync();
  HpackDecoder::Result r;
  Fields f = DecodeHex(&d, "828684be58086e6f2d6361636865", &r);
  CHECK(r.untrusted);
  // :authority (index 62, inserted by the lost block) is dropped; the rest is exact.
  CHECK(f == Fields{{":method", "GET"}, {":scheme", "http"}, {":path", "/"},
                    {"cache-control", "no-cache"}});
  CHECK(stats.untrusted_fields == 1);
  // Third block: 63 is the lost :authority again (dropped); custom-key is inserted.
  f = DecodeHex(&d, "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565", &r);
  CHECK(r.untrusted);
  CHECK(f == Fields{{":method", "GET"}, {":scheme", "https"}, {":path", "/index.html"},
                    {"custom-key", "custom-value"}});
  f = DecodeHex(&d, "be", &r);  // 62: custom-key, known
  CHECK_FALSE(r.untrusted);
  CHECK(f == Fields{{"custom-key", "custom-value"}});
  CHECK_FALSE(d.in_step());
  // A size update to 0 then back: the encoder's table is empty, in step again.
  f = DecodeHex(&d, "203fe11f82", &r);
  CHECK(d.in_step());
  CHECK(stats.resyncs == 1);
  CHECK(d.max_table_size() == 4096);
  CHECK(d.dynamic_entries() == 0);
}

TEST_CASE("a literal indexed under an unknown name keeps its place, content unknown") {
  HpackStats stats;
  HpackDecoder d({}, &stats);
  d.MarkDesync();
  HpackDecoder::Result r;
  // Name index 62 (unknown), value "abc", with incremental indexing: dropped, yet indexed.
  CHECK(DecodeHex(&d, "7e03616263", &r).empty());
  CHECK(r.untrusted);
  CHECK(d.dynamic_entries() == 1);
  CHECK(DecodeHex(&d, "400178017982", &r) == Fields{{"x", "y"}, {":method", "GET"}});
  CHECK(DecodeHex(&d, "be", &r) == Fields{{"x", "y"}});
  CHECK_FALSE(r.untrusted);
  CHECK(DecodeHex(&d, "bf", &r).empty());  // the entry of unknown name
  CHECK(r.untrusted);
  CHECK(stats.untrusted_fields == 2);
  CHECK_FALSE(d.in_step());
}

TEST_CASE("out of step: back in step once the known entries fill the table") {
  HpackStats stats;
  HpackDecoder d({}, &stats);
  d.SetSettingsTableSize(256);
  // Our table holds an entry the encoder does not have (its table was reset in a lost block).
  DecodeHex(&d, "400a637573746f6d2d6b65790d637573746f6d2d686561646572");  // 55 bytes
  d.MarkDesync();
  // Insert 100-byte entries: name "x" (1) + 67 value bytes + 32.
  std::string value(67, 'v');
  std::string block = absl::StrCat("4001", absl::BytesToHexString("x"), "43",
                                   absl::BytesToHexString(value));
  DecodeHex(&d, block);
  DecodeHex(&d, block);
  CHECK_FALSE(d.in_step());  // 200 bytes known of 256: older entries may still be there
  DecodeHex(&d, block);      // 300 > 256: everything older is gone for the encoder too
  CHECK(d.in_step());
  CHECK(d.dynamic_entries() == 2);
  HpackDecoder::Result r;
  CHECK(DecodeHex(&d, "bf", &r) == Fields{{"x", value}});
  CHECK_FALSE(r.untrusted);
  CHECK(stats.resyncs == 1);
}

TEST_CASE("limit: header list size just under and just over") {
  // Two fields: custom-key/custom-header (55) and :method GET (42): 97 bytes.
  const char* block = "400a637573746f6d2d6b65790d637573746f6d2d68656164657282";
  {
    HpackLimits limits;
    limits.max_header_list_size = 97;
    HpackStats stats;
    HpackDecoder d(limits, &stats);
    HpackDecoder::Result r;
    CHECK(DecodeHex(&d, block, &r).size() == 2);
    CHECK_FALSE(r.list_limited);
    CHECK(stats.dropped_fields == 0);
  }
  {
    HpackLimits limits;
    limits.max_header_list_size = 96;
    HpackStats stats;
    HpackDecoder d(limits, &stats);
    HpackDecoder::Result r;
    CHECK(DecodeHex(&d, block, &r) == Fields{{"custom-key", "custom-header"}});
    CHECK(r.list_limited);
    CHECK(stats.dropped_fields == 1);
    CHECK(stats.list_limited_blocks == 1);
    // The dropped-from-output field was still indexed: the table stays in step.
    CHECK(d.in_step());
    CHECK(d.dynamic_entries() == 1);
  }
}

TEST_CASE("limit: table size just under and just over") {
  // A size update to 300 then three 100-byte insertions.
  std::string value(67, 'v');
  std::string insert = absl::StrCat("4001", absl::BytesToHexString("x"), "43",
                                    absl::BytesToHexString(value));
  std::string block = absl::StrCat("3f8d02", insert, insert, insert);  // 31 + 269 = 300
  {
    HpackLimits limits;
    limits.max_table_size = 300;
    HpackStats stats;
    HpackDecoder d(limits, &stats);
    DecodeHex(&d, block);
    CHECK(d.max_table_size() == 300);
    CHECK(d.dynamic_entries() == 3);
    CHECK(stats.table_size_limited == 0);
    CHECK(d.in_step());
  }
  {
    HpackLimits limits;
    limits.max_table_size = 299;
    HpackStats stats;
    HpackDecoder d(limits, &stats);
    DecodeHex(&d, block);
    CHECK(d.max_table_size() == 299);
    CHECK(d.table_size() <= 299);
    CHECK(d.dynamic_entries() == 2);
    CHECK(stats.table_size_limited == 1);
    CHECK_FALSE(d.in_step());  // we dropped an entry the encoder kept
  }
}

// libnghttp2's deflater (h2test::Encoder) is the reference encoder.
using Deflater = h2test::Encoder;

Fields RandomFields(std::mt19937* rng) {
  static const char* kNames[] = {"accept", "user-agent", "cookie", "x-trace", "content-type",
                                 "cache-control", "x-a", "server", "date", "etag"};
  Fields f = {{":method", (*rng)() % 2 ? "GET" : "POST"},
              {":path", absl::StrCat("/p/", (*rng)() % 50)},
              {":authority", "example.com"}};
  int n = (*rng)() % 12;
  for (int i = 0; i < n; ++i) {
    std::string value;
    int len = (*rng)() % 3 == 0 ? (*rng)() % 300 : (*rng)() % 20;
    for (int k = 0; k < len; ++k) value.push_back(static_cast<char>(32 + (*rng)() % 95));
    if ((*rng)() % 4 == 0) value = absl::StrCat("v", (*rng)() % 5);  // repeated values
    f.emplace_back(kNames[(*rng)() % 10], value);
  }
  return f;
}

TEST_CASE("cross-check against libnghttp2's deflater") {
  std::mt19937 rng(12);
  for (size_t table : {0u, 64u, 256u, 4096u}) {
    Deflater enc(4096);
    HpackDecoder dec({}, nullptr);
    if (table != 4096) enc.ChangeTableSize(table);  // emits a size update in the next block
    for (int i = 0; i < 400; ++i) {
      Fields f = RandomFields(&rng);
      Collect c;
      auto r = dec.Decode(enc.Block(f), &c);
      REQUIRE_FALSE(r.malformed);
      REQUIRE_FALSE(r.untrusted);
      REQUIRE(c.fields == f);
    }
    CHECK(dec.in_step());
  }
}

TEST_CASE("cross-check with lost blocks: what is emitted is always right") {
  std::mt19937 rng(7);
  HpackStats stats;
  for (int run = 0; run < 20; ++run) {
    Deflater enc(4096);
    HpackDecoder dec({}, &stats);
    for (int i = 0; i < 200; ++i) {
      Fields f = RandomFields(&rng);
      std::string block = enc.Block(f);
      if (i % 37 == 5) {  // lost in a gap
        dec.MarkDesync();
        continue;
      }
      Collect c;
      auto r = dec.Decode(block, &c);
      REQUIRE_FALSE(r.malformed);
      // Every emitted field is one of the block's, in order.
      size_t k = 0;
      for (const auto& field : c.fields) {
        while (k < f.size() && f[k] != field) ++k;
        REQUIRE(k < f.size());
        ++k;
      }
      if (!r.untrusted) REQUIRE(c.fields == f);
    }
  }
  CHECK(stats.desyncs > 0);
  CHECK(stats.untrusted_fields > 0);
  CHECK(stats.resyncs > 0);  // large values fill a 4096-byte table
}

}  // namespace
}  // namespace tcpfollow
