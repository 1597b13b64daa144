// Tests for IpDefragmenter: the Sturges/Novak overlap pattern under every policy (IPv4 and
// IPv6), a byte model for the first/last policies on random overlapping fragments, exact
// rebuilt datagrams for any arrival order, every anomaly and limit counter, hostile inputs
// (teardrop, offsets past 65535, a flood of incomplete datagrams), and the suricata-verify
// defrag and ipv6-evasion captures read with libpcap. Fragments are crafted with libtins
// (testing/packets.h; the IPv6 extension headers byte by byte) and decoded with
// tins_ext/decode, so the decoder's fragment fields are exercised too.
#include "reassembly/ip_defrag.h"

#include <pcap/pcap.h>
#include <sys/resource.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "testing/packets.h"
#include "testing/paths.h"
#include "tins_ext/decode.h"

namespace tcpfollow {
namespace {

constexpr uint8_t kIcmp = 1;
constexpr uint8_t kTcpProto = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kIcmpv6 = 58;
constexpr uint8_t kDestOpts = 60;
constexpr uint8_t kFragmentHeader = 44;

absl::Time T(double seconds) { return absl::FromUnixMicros(1700000000000000) + absl::Seconds(seconds); }

void Put16(std::string* s, size_t at, uint32_t v) {
  (*s)[at] = static_cast<char>(v >> 8);
  (*s)[at + 1] = static_cast<char>(v);
}

uint16_t Checksum(absl::string_view h) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    sum += (uint32_t{static_cast<uint8_t>(h[i])} << 8) | static_cast<uint8_t>(h[i + 1]);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// An IPv4 datagram 10.0.0.1 -> 10.0.0.2 (header 20 bytes, or 24 with a 4-byte option)
// carrying `data`, crafted with libtins.
std::string Ipv4(uint16_t id, uint8_t proto, uint32_t offset, bool mf, bool df,
                 absl::string_view data, bool with_option = false) {
  testing::Ipv4Fields f;
  f.id = id;
  f.protocol = proto;
  f.offset = offset;
  f.more_fragments = mf;
  f.dont_fragment = df;
  f.nop_options = with_option;
  return testing::Ipv4Datagram(f, data);
}

// IPv6 2001:db8::1 -> 2001:db8::2 (fixed header crafted with libtins), optionally followed
// by an 8-byte Destination Options header, then (when `frag`) a Fragment header, written
// here byte by byte: they are what the defragmenter reads.
std::string Ipv6Fragment(uint32_t id, uint8_t next, uint32_t offset, bool mf,
                         absl::string_view data, bool dest_opts = false, bool frag = true) {
  std::string rest;
  if (dest_opts) {
    rest.append("\0\0\x01\x04\0\0\0\0", 8);  // next header (set below), length 0, PadN
    rest[0] = static_cast<char>(frag ? kFragmentHeader : next);
  }
  if (frag) {
    std::string f(8, '\0');
    f[0] = static_cast<char>(next);
    Put16(&f, 2, offset | (mf ? 1 : 0));
    f[4] = static_cast<char>(id >> 24); f[5] = static_cast<char>(id >> 16);
    f[6] = static_cast<char>(id >> 8); f[7] = static_cast<char>(id);
    rest += f;
  }
  rest.append(data.data(), data.size());
  const uint8_t first = dest_opts ? kDestOpts : frag ? kFragmentHeader : next;
  return testing::Ipv6Datagram("2001:db8::1", "2001:db8::2", first, rest);
}

// One fragment's bytes and what the decoder made of them (views into `bytes`).
struct Frag {
  std::string bytes;
  IpPacket pkt;
};

Frag Decoded(std::string bytes, uint32_t vlan = 0) {
  Frag f;
  f.bytes = std::move(bytes);
  REQUIRE(DecodeIp(f.bytes, vlan, &f.pkt) == DecodeError::kOk);
  return f;
}

Frag V4(uint16_t id, uint32_t offset, bool mf, absl::string_view data, uint8_t proto = kIcmp,
        bool df = false, uint32_t vlan = 0) {
  return Decoded(Ipv4(id, proto, offset, mf, df, data), vlan);
}

Frag V6(uint32_t id, uint32_t offset, bool mf, absl::string_view data, uint8_t next = kIcmpv6,
        bool dest_opts = false) {
  return Decoded(Ipv6Fragment(id, next, offset, mf, data, dest_opts));
}

// Feeds every fragment; returns the datagrams completed, in order.
std::vector<std::string> FeedAll(IpDefragmenter* d, const std::vector<Frag>& frags,
                                 double t0 = 0) {
  std::vector<std::string> out;
  std::string dgram;
  for (size_t i = 0; i < frags.size(); ++i) {
    if (d->Add(T(t0 + i * 0.001), frags[i].pkt, &dgram)) out.push_back(dgram);
  }
  return out;
}

uint64_t Stat(const IpDefragmenter& d, const std::string& name) {
  for (const auto& [n, v] : d.stats().Items()) {
    if (name == n) return v;
  }
  FAIL("no counter " << name);
  return 0;
}

// ---------------------------------------------------------------------------------------
// Sturges/Novak: 17 fragments, nine originals then eight overlapping ones, the last (Q,
// MF=0) completing the datagram. Layout in 8-byte slots (Suricata defrag.c,
// DefragDoSturgesNovakTest, after Novak's "Target-Based Fragmentation Reassembly").

struct SnFrag {
  char fill;
  uint32_t offset, len;
};
constexpr SnFrag kSturgesNovak[] = {
    {'A', 0, 24},   {'B', 32, 16},  {'C', 48, 24},  {'D', 80, 8},   {'E', 104, 16},
    {'F', 120, 24}, {'G', 144, 16}, {'H', 160, 16}, {'I', 176, 8},  {'J', 8, 32},
    {'K', 48, 24},  {'L', 72, 24},  {'M', 96, 24},  {'N', 128, 8},  {'O', 152, 8},
    {'P', 160, 8},  {'Q', 176, 16},
};

// Expected 192-byte payloads, one letter per 8-byte slot.
struct SnExpected {
  FragPolicy policy;
  const char* slots;
  const char* source;
};
const SnExpected kSnExpected[] = {
    {FragPolicy::kBsd, "AAAJJBCCCLLLMMMFFFGGHHIQ", "Suricata DefragSturgesNovakBsdTest"},
    {FragPolicy::kLinux, "AAAJJBKKKLLLMMMFFFGGPHQQ", "Suricata DefragSturgesNovakLinuxIpv4Test"},
    {FragPolicy::kWindows, "AAAJBBCCCLLLMEEFFFGGHHIQ",
     "Suricata DefragSturgesNovakWindowsIpv4Test"},
    {FragPolicy::kSolaris, "AAAJBBCCCLLLMMMFFFGGHHIQ", "Suricata DefragSturgesNovakSolarisTest"},
    {FragPolicy::kFirst, "AAAJBBCCCLDLMEEFFFGGHHIQ", "Suricata DefragSturgesNovakFirstTest"},
    {FragPolicy::kLast, "AJJJJBKKKLLLMMMFNFGOPHQQ", "Suricata DefragSturgesNovakLastTest"},
    // Not in Suricata's tests: derived here by hand from frag3's BSD-right rule (the
    // fragment reaching further right wins; equal ends: the one starting first keeps it):
    // J beats A (40 > 24) but not B (40 < 48); K beats C (same extent, later); L beats D;
    // M beats E (ends equal, M starts first); N, O, P lose (end inside F, G, H); Q beats I.
    {FragPolicy::kBsdRight, "AJJJBBKKKLLLMMMFFFGGHHQQ", "hand-derived from frag3 bsd-right"},
};

std::string Slots(const char* slots) {
  std::string s;
  for (const char* c = slots; *c; ++c) s.append(8, *c);
  return s;
}

std::vector<Frag> SturgesNovak(int version) {
  std::vector<Frag> frags;
  for (size_t i = 0; i < std::size(kSturgesNovak); ++i) {
    const SnFrag& f = kSturgesNovak[i];
    const bool mf = i + 1 < std::size(kSturgesNovak);
    std::string data(f.len, f.fill);
    frags.push_back(version == 4 ? V4(1, f.offset, mf, data) : V6(1, f.offset, mf, data));
  }
  return frags;
}

TEST_CASE("IpDefragmenter: Sturges/Novak pattern under every policy, IPv4 and IPv6",
          "[defrag]") {
  for (const SnExpected& e : kSnExpected) {
    for (int version : {4, 6}) {
      INFO(FragPolicyName(e.policy) << " IPv" << version << " (expected from " << e.source
                                    << ")");
      IpDefragmenter d(DefragLimits{}, e.policy);
      std::vector<std::string> out = FeedAll(&d, SturgesNovak(version));
      REQUIRE(out.size() == 1);
      const size_t hl = version == 4 ? 20 : 40;
      REQUIRE(out[0].size() == hl + 192);
      CHECK(out[0].substr(hl) == Slots(e.slots));
      CHECK(d.stats().overlap_different_data > 0);
      CHECK(d.stats().datagrams_in_progress == 0);
      CHECK(d.stats().bytes_held == 0);
    }
  }
}

// ---------------------------------------------------------------------------------------
// A byte model for first and last: the byte at x comes from the first (last) fragment in
// arrival order that covers x. Random overlapping fragments; the MF=0 fragment comes last.

TEST_CASE("IpDefragmenter: first and last policies agree with a byte model", "[defrag]") {
  std::mt19937 rng(12345);
  for (int round = 0; round < 300; ++round) {
    const uint32_t slots = 2 + uint32_t(rng()) % 40;
    const uint32_t total = slots * 8 - (uint32_t(rng()) % 8);  // last fragment may be short
    struct Raw {
      uint32_t offset;
      std::string data;
    };
    std::vector<Raw> raws;
    // A covering set in shuffled order, plus random overlapping fragments.
    for (uint32_t s = 0; s + 1 < slots;) {
      const uint32_t end = std::min(slots - 1, s + 1 + uint32_t(rng()) % 3);
      raws.push_back({s * 8, std::string((end - s) * 8, '\0')});
      s = end;
    }
    const int extra = uint32_t(rng()) % 6;
    for (int i = 0; i < extra; ++i) {
      uint32_t s = uint32_t(rng()) % (slots - 1);
      uint32_t n = 1 + uint32_t(rng()) % (slots - 1 - s);
      raws.push_back({s * 8, std::string(n * 8, '\0')});
    }
    std::shuffle(raws.begin(), raws.end(), rng);
    raws.push_back({(slots - 1) * 8, std::string(total - (slots - 1) * 8, '\0')});
    for (Raw& r : raws) {
      for (char& c : r.data) c = static_cast<char>('a' + uint32_t(rng()) % 3);
    }
    for (FragPolicy policy : {FragPolicy::kFirst, FragPolicy::kLast}) {
      std::string model(total, '?');
      std::vector<bool> set(total, false);
      for (const Raw& r : raws) {
        for (size_t i = 0; i < r.data.size(); ++i) {
          if (!set[r.offset + i] || policy == FragPolicy::kLast) model[r.offset + i] = r.data[i];
          set[r.offset + i] = true;
        }
      }
      for (int version : {4, 6}) {
        std::vector<Frag> frags;
        for (size_t i = 0; i < raws.size(); ++i) {
          const bool mf = i + 1 < raws.size();
          frags.push_back(version == 4 ? V4(7, raws[i].offset, mf, raws[i].data)
                                       : V6(7, raws[i].offset, mf, raws[i].data));
        }
        IpDefragmenter d(DefragLimits{}, policy);
        std::vector<std::string> out = FeedAll(&d, frags);
        INFO("round " << round << " " << FragPolicyName(policy) << " IPv" << version);
        REQUIRE(out.size() == 1);
        CHECK(out[0].substr(version == 4 ? 20 : 40) == model);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Exact rebuilt datagrams: fragment a real datagram like a router and check that any
// arrival order, with duplicates, gives the original bytes back.

std::string Payload(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::vector<Frag> FragmentV4(const std::string& datagram, size_t chunk, bool with_option) {
  const size_t hl = with_option ? 24 : 20;
  const std::string payload = datagram.substr(hl);
  std::vector<Frag> frags;
  for (size_t off = 0; off < payload.size(); off += chunk) {
    const std::string part = payload.substr(off, chunk);
    const bool mf = off + chunk < payload.size();
    frags.push_back(Decoded(Ipv4(0x1234, kTcpProto, off, mf, false, part, with_option)));
  }
  return frags;
}

std::vector<Frag> FragmentV6(const std::string& payload, size_t chunk, bool dest_opts) {
  std::vector<Frag> frags;
  for (size_t off = 0; off < payload.size(); off += chunk) {
    const bool mf = off + chunk < payload.size();
    frags.push_back(V6(0xdeadbeef, off, mf, payload.substr(off, chunk), kTcpProto, dest_opts));
  }
  return frags;
}

TEST_CASE("IpDefragmenter: any order with duplicates rebuilds the original datagram",
          "[defrag]") {
  const std::string payload = Payload(3000, 1);
  for (bool option : {false, true}) {
    const std::string original = Ipv4(0x1234, kTcpProto, 0, false, false, payload, option);
    const std::string original6 = Ipv6Fragment(0, kTcpProto, 0, false, payload, option, false);
    for (size_t chunk : {16u, 504u, 1480u}) {  // 16: 188 fragments, under the 256 limit
      std::mt19937 rng(static_cast<uint32_t>(chunk));
      for (int version : {4, 6}) {
        std::vector<Frag> frags = version == 4 ? FragmentV4(original, chunk, option)
                                               : FragmentV6(payload, chunk, option);
        const std::string& want = version == 4 ? original : original6;
        for (int trial = 0; trial < 6; ++trial) {
          std::vector<Frag> order = frags;
          if (trial == 1) std::reverse(order.begin(), order.end());
          if (trial >= 2) {
            for (int k = 0; k < 3; ++k) order.push_back(frags[uint32_t(rng()) % frags.size()]);
            std::shuffle(order.begin(), order.end(), rng);
          }
          // Everything but the completing fragment must come before it: trim after it.
          for (FragPolicy policy : {FragPolicy::kFirst, FragPolicy::kLinux}) {
            IpDefragmenter d(DefragLimits{}, policy);
            std::vector<std::string> out;
            std::string dgram;
            for (const Frag& f : order) {
              if (d.Add(T(0), f.pkt, &dgram)) out.push_back(dgram);
            }
            INFO("IPv" << version << " chunk " << chunk << " trial " << trial << " option "
                       << option);
            REQUIRE(!out.empty());
            CHECK(out[0] == want);
            if (version == 4) CHECK(Checksum(absl::string_view(out[0]).substr(0, option ? 24 : 20)) == 0);
            IpPacket re;
            REQUIRE(DecodeIp(out[0], 0, &re) == DecodeError::kOk);
            CHECK_FALSE(re.is_fragment);
            CHECK(re.protocol == kTcpProto);
            CHECK(re.payload == payload);
          }
        }
      }
    }
  }
}

TEST_CASE("IpDefragmenter: IPv4 keeps DF, clears MF and offset", "[defrag]") {
  IpDefragmenter d(DefragLimits{}, FragPolicy::kFirst);
  std::string out;
  CHECK_FALSE(d.Add(T(0), V4(5, 0, true, std::string(8, 'a'), kUdp, true).pkt, &out));
  REQUIRE(d.Add(T(0), V4(5, 8, false, "bb", kUdp, true).pkt, &out));
  CHECK(static_cast<uint8_t>(out[6]) == 0x40);
  CHECK(out[7] == 0);
  CHECK(out.size() == 30);
  CHECK(d.stats().df_fragments == 2);
}

// ---------------------------------------------------------------------------------------
// Keys, anomalies and their counters.

TEST_CASE("IpDefragmenter: datagrams are keyed by id, VLAN and IPv4 protocol", "[defrag]") {
  IpDefragmenter d(DefragLimits{}, FragPolicy::kFirst);
  std::string out;
  CHECK_FALSE(d.Add(T(0), V4(1, 0, true, std::string(8, 'a'), kIcmp, false, 1).pkt, &out));
  CHECK_FALSE(d.Add(T(0), V4(1, 8, false, "b", kIcmp, false, 2).pkt, &out));  // other VLAN
  CHECK_FALSE(d.Add(T(0), V4(1, 8, false, "b", kUdp, false, 1).pkt, &out));   // other proto
  CHECK_FALSE(d.Add(T(0), V4(2, 8, false, "b", kIcmp, false, 1).pkt, &out));  // other id
  CHECK(d.stats().datagrams_in_progress == 4);
  CHECK(d.Add(T(0), V4(1, 8, false, "b", kIcmp, false, 1).pkt, &out));
  CHECK(d.stats().datagrams_in_progress == 3);
}

TEST_CASE("IpDefragmenter: IPv6 next header is not part of the key; a conflict is counted",
          "[defrag]") {
  IpDefragmenter d(DefragLimits{}, FragPolicy::kFirst);
  std::string out;
  CHECK_FALSE(d.Add(T(0), V6(9, 8, false, "tail", kUdp).pkt, &out));
  REQUIRE(d.Add(T(0), V6(9, 0, true, std::string(8, 'h'), kIcmpv6).pkt, &out));
  CHECK(d.stats().conflicting_protocol == 1);
  CHECK(static_cast<uint8_t>(out[6]) == kIcmpv6);  // from the offset-0 fragment
  CHECK(out.size() == 40 + 12);
}

TEST_CASE("IpDefragmenter: overlaps with same and different data are told apart",
          "[defrag]") {
  IpDefragmenter d(DefragLimits{}, FragPolicy::kFirst);
  std::string out;
  d.Add(T(0), V4(3, 0, true, std::string(16, 'a')).pkt, &out);
  d.Add(T(0), V4(3, 8, true, std::string(16, 'a')).pkt, &out);  // 8 same bytes + new
  CHECK(Stat(d, "overlap_same_data") == 1);
  CHECK(Stat(d, "overlap_different_data") == 0);
  d.Add(T(0), V4(3, 0, true, std::string(16, 'a')).pkt, &out);  // exact duplicate
  CHECK(d.stats().duplicate_fragments == 1);
  d.Add(T(0), V4(3, 16, true, std::string(8, 'x')).pkt, &out);  // differs
  CHECK(d.stats().overlap_different_data == 1);
  REQUIRE(d.Add(T(0), V4(3, 24, false, "z").pkt, &out));
  CHECK(out.substr(20) == std::string(24, 'a') + "z");
}

TEST_CASE("IpDefragmenter: anomalies are counted and bad fragments dropped", "[defrag]") {
  IpDefragmenter d(DefragLimits{}, FragPolicy::kFirst);
  std::string out;
  SECTION("tiny fragments") {
    d.Add(T(0), V4(1, 0, true, std::string(8, 'a'), kTcpProto).pkt, &out);  // TCP hdr cut
    CHECK(d.stats().tiny_fragments == 1);
    d.Add(T(0), V4(2, 0, true, std::string(64, 'a'), kUdp).pkt, &out);  // at the limit
    CHECK(d.stats().tiny_fragments == 1);
    d.Add(T(0), V4(3, 0, true, std::string(56, 'a'), kUdp).pkt, &out);  // just under
    CHECK(d.stats().tiny_fragments == 2);
  }
  SECTION("misaligned non-last fragment") {
    CHECK_FALSE(d.Add(T(0), V4(1, 0, true, std::string(12, 'a')).pkt, &out));
    CHECK(d.stats().misaligned_length == 1);
    CHECK(d.stats().datagrams_in_progress == 0);
  }
  SECTION("empty fragment") {
    CHECK_FALSE(d.Add(T(0), V4(1, 8, false, "").pkt, &out));
    CHECK(d.stats().empty_fragments == 1);
  }
  SECTION("oversize: just under and just over 65535") {
    // IPv4, 20-byte header: payload may reach 65515.
    CHECK_FALSE(d.Add(T(0), V4(1, 65504, false, std::string(11, 'a')).pkt, &out));
    CHECK(d.stats().oversize == 0);
    CHECK_FALSE(d.Add(T(0), V4(2, 65504, false, std::string(12, 'a')).pkt, &out));
    CHECK(d.stats().oversize == 1);
    CHECK_FALSE(d.Add(T(0), V4(3, 65528, true, std::string(8, 'a')).pkt, &out));  // max offset
    CHECK(d.stats().oversize == 2);
    // IPv6 without extension headers: payload may reach 65535.
    CHECK_FALSE(d.Add(T(0), V6(4, 65528, false, std::string(7, 'a')).pkt, &out));
    CHECK(d.stats().oversize == 2);
    CHECK_FALSE(d.Add(T(0), V6(5, 65528, false, std::string(8, 'a')).pkt, &out));
    CHECK(d.stats().oversize == 3);
  }
  SECTION("inconsistent total length") {
    d.Add(T(0), V4(1, 16, false, std::string(8, 'c')).pkt, &out);
    d.Add(T(0), V4(1, 24, false, std::string(8, 'd')).pkt, &out);  // second, other end
    CHECK(d.stats().inconsistent_length == 1);
    d.Add(T(0), V4(1, 8, true, std::string(24, 'b')).pkt, &out);  // past the end: trimmed
    CHECK(d.stats().inconsistent_length == 2);
    REQUIRE(d.Add(T(0), V4(1, 0, true, std::string(8, 'a')).pkt, &out));
    // first policy: 16..24 keeps the earlier 'c'.
    CHECK(out.substr(20) == std::string(8, 'a') + std::string(8, 'b') + std::string(8, 'c'));
  }
  SECTION("IPv6 atomic fragment is returned at once, the Fragment header removed") {
    Frag f = V6(1, 0, false, "hello", kUdp, true);
    // tins_ext/decode treats these as whole packets already; describe it as a fragment.
    f.pkt.is_fragment = true;
    f.pkt.unfragmentable_len = 48;        // IPv6 header + Destination Options
    f.pkt.frag_next_header_offset = 40;   // the Destination Options' next header byte
    f.pkt.frag_next_header = kUdp;
    f.pkt.payload = absl::string_view(f.bytes).substr(56);
    REQUIRE(d.Add(T(0), f.pkt, &out));
    CHECK(out == Ipv6Fragment(0, kUdp, 0, false, "hello", true, false));
    CHECK(d.stats().atomic_fragments == 1);
    CHECK(d.stats().datagrams_in_progress == 0);
  }
  SECTION("malformed header lengths are refused") {
    Frag f = V4(1, 0, true, std::string(8, 'a'));
    f.pkt.unfragmentable_len = 4;
    CHECK_FALSE(d.Add(T(0), f.pkt, &out));
    CHECK(d.stats().malformed == 1);
  }
}

TEST_CASE("IpDefragmenter: teardrop overlap does not crash and is counted", "[defrag]") {
  for (FragPolicy policy : {FragPolicy::kFirst, FragPolicy::kLast, FragPolicy::kBsd,
                            FragPolicy::kBsdRight, FragPolicy::kLinux, FragPolicy::kWindows,
                            FragPolicy::kSolaris}) {
    IpDefragmenter d(DefragLimits{}, policy);
    std::string out;
    // Classic teardrop: 0..36 then a last fragment at 24 with 4 bytes (inside the first).
    d.Add(T(0), V4(0x77, 0, true, std::string(40, 'a')).pkt, &out);
    bool done = d.Add(T(0), V4(0x77, 24, false, "bbbb").pkt, &out);
    INFO(FragPolicyName(policy));
    CHECK(d.stats().inconsistent_length == 1);
    CHECK(d.stats().overlap_different_data == 1);
    REQUIRE(done);  // all bytes to the (short) end are there
    CHECK(out.size() == 20 + 28);
  }
}

// ---------------------------------------------------------------------------------------
// Limits: one test just under, one just over each.

TEST_CASE("IpDefragmenter: max_datagrams evicts the oldest", "[defrag][limits]") {
  DefragLimits limits;
  limits.max_datagrams = 3;
  IpDefragmenter d(limits, FragPolicy::kFirst);
  std::string out;
  for (uint16_t id = 1; id <= 3; ++id) d.Add(T(id), V4(id, 0, true, std::string(8, 'a')).pkt, &out);
  CHECK(d.stats().evicted == 0);
  d.Add(T(4), V4(4, 0, true, std::string(8, 'a')).pkt, &out);
  CHECK(d.stats().evicted == 1);
  CHECK(d.stats().datagrams_in_progress == 3);
  CHECK(d.Add(T(5), V4(2, 8, false, "x").pkt, &out));
  CHECK_FALSE(d.Add(T(5), V4(1, 8, false, "x").pkt, &out));  // id 1 was evicted
}

TEST_CASE("IpDefragmenter: max_fragments_per_datagram", "[defrag][limits]") {
  DefragLimits limits;
  limits.max_fragments_per_datagram = 4;
  for (uint32_t n : {4u, 5u}) {
    IpDefragmenter d(limits, FragPolicy::kFirst);
    std::string out;
    bool done = false;
    for (uint32_t i = 0; i < n; ++i) {
      done = d.Add(T(0), V4(1, i * 8, i + 1 < n, std::string(8, 'a')).pkt, &out);
    }
    INFO(n << " fragments");
    CHECK(done == (n == 4));
    CHECK(d.stats().too_many_fragments == (n == 5 ? 1 : 0));
  }
}

TEST_CASE("IpDefragmenter: max_bytes bounds what is held", "[defrag][limits]") {
  DefragLimits limits;
  limits.max_bytes = 20000;
  IpDefragmenter d(limits, FragPolicy::kFirst);
  std::string out;
  for (uint16_t id = 0; id < 100; ++id) {
    d.Add(T(0), V4(id, 0, true, std::string(1000, 'a')).pkt, &out);
    REQUIRE(d.stats().bytes_held <= limits.max_bytes);
  }
  CHECK(d.stats().evicted > 0);
  CHECK(d.stats().datagrams_in_progress < 20);
  CHECK(d.stats().peak_bytes_held <= limits.max_bytes);
  // A datagram that alone exceeds the cap is dropped too.
  limits.max_bytes = 500;
  IpDefragmenter small(limits, FragPolicy::kFirst);
  CHECK_FALSE(small.Add(T(0), V4(1, 0, true, std::string(1000, 'a')).pkt, &out));
  CHECK(small.stats().datagrams_in_progress == 0);
  CHECK(small.stats().evicted == 1);
}

TEST_CASE("IpDefragmenter: timeout from packet time, first fragment's time", "[defrag][limits]") {
  IpDefragmenter d(DefragLimits{}, FragPolicy::kFirst);
  std::string out;
  d.Add(T(0), V4(1, 0, true, std::string(8, 'a')).pkt, &out);
  d.Add(T(0), V4(2, 0, true, std::string(8, 'a')).pkt, &out);
  d.Advance(T(59.999));
  CHECK(d.stats().expired == 0);
  CHECK(d.Add(T(59.999), V4(1, 8, false, "x").pkt, &out));  // just in time
  d.Advance(T(60));
  CHECK(d.stats().expired == 1);  // id 2
  CHECK_FALSE(d.Add(T(60), V4(2, 8, false, "x").pkt, &out));
  // Time going backwards does not bring anything back or expire early.
  d.Advance(T(10));
  CHECK(d.stats().datagrams_in_progress == 1);
  d.Finish();
  CHECK(d.stats().incomplete_at_end == 1);
  CHECK(d.stats().datagrams_in_progress == 0);
  CHECK(d.stats().bytes_held == 0);
}

long PeakRssKb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

TEST_CASE("IpDefragmenter: a flood of 200,000 incomplete datagrams stays under the caps",
          "[defrag][limits][hostile]") {
  DefragLimits limits;
  limits.max_bytes = 8u << 20;
  IpDefragmenter d(limits, FragPolicy::kFirst);
  std::string out;
  const long rss_before = PeakRssKb();
  // Each datagram: one fragment at a large offset (the hostile case: it would need a
  // 65 KB buffer if buffers were dense) with 200 bytes.
  Frag f = V4(0, 60000, true, std::string(200, 'z'));
  for (uint32_t i = 0; i < 200000; ++i) {
    f.pkt.frag_id = i & 0xffff;
    f.pkt.src = IpAddress::V4(reinterpret_cast<const uint8_t*>("\x0a\x01\x00\x00"));
    f.pkt.src.bytes[2] = static_cast<uint8_t>(i >> 16);
    d.Add(T(i * 1e-5), f.pkt, &out);
    if (i % 1000 == 0) REQUIRE(d.stats().bytes_held <= limits.max_bytes);
  }
  const long rss_growth_kb = PeakRssKb() - rss_before;
  CHECK(d.stats().peak_bytes_held <= limits.max_bytes);
  CHECK(d.stats().peak_datagrams_in_progress <= limits.max_datagrams);
  CHECK(d.stats().evicted + d.stats().datagrams_in_progress == 200000);
  CHECK(d.stats().evicted > 100000);
  // Heap overhead on top of the accounted bytes: allow 4x the cap (not under
  // AddressSanitizer, whose quarantine keeps freed memory resident).
#ifndef __SANITIZE_ADDRESS__
  CHECK(rss_growth_kb < 4 * static_cast<long>(limits.max_bytes / 1024));
#endif
  WARN("flood: peak bytes held " << d.stats().peak_bytes_held << ", peak datagrams "
                                  << d.stats().peak_datagrams_in_progress << ", evicted "
                                  << d.stats().evicted << ", peak RSS growth " << rss_growth_kb
                                  << " KB");
}

TEST_CASE("IpDefragmenter: policy names round-trip; stats items are snake_case", "[defrag]") {
  for (const char* name : {"first", "last", "bsd", "bsd-right", "linux", "windows", "solaris"}) {
    FragPolicy p;
    REQUIRE(ParseFragPolicy(name, &p));
    CHECK(std::string(FragPolicyName(p)) == name);
  }
  FragPolicy p;
  CHECK_FALSE(ParseFragPolicy("vista", &p));
  DefragStats s;
  for (const auto& [name, value] : s.Items()) {
    CHECK(value == 0);
    for (const char* c = name; *c; ++c) CHECK((std::islower(*c) || *c == '_'));
  }
}

// ---------------------------------------------------------------------------------------
// suricata-verify captures.

struct CaptureResult {
  std::vector<std::string> datagrams;
  uint64_t fragments = 0;
  DefragStats stats;
};

// Reads a pcap with libpcap, decodes every frame (PPP by hand: tins_ext/decode does not
// take link type 9), and feeds fragments to a defragmenter.
bool RunCapture(const std::string& path, FragPolicy policy, CaptureResult* result) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* pcap = pcap_open_offline(path.c_str(), err);
  if (pcap == nullptr) return false;
  const int link = pcap_datalink(pcap);
  IpDefragmenter defrag(DefragLimits{}, policy);
  struct pcap_pkthdr* hdr;
  const u_char* data;
  std::string dgram;
  while (pcap_next_ex(pcap, &hdr, &data) == 1) {
    absl::string_view frame(reinterpret_cast<const char*>(data), hdr->caplen);
    IpPacket pkt;
    DecodeError e;
    if (link == 9) {  // PPP: protocol field of 1 byte when compressed, else 2
      size_t skip = (!frame.empty() && (static_cast<uint8_t>(frame[0]) & 1)) ? 1 : 2;
      if (frame.size() < skip) continue;
      e = DecodeIp(frame.substr(skip), 0, &pkt);
    } else {
      e = DecodeFrame(link, frame, &pkt);
    }
    if (e != DecodeError::kOk || !pkt.is_fragment) continue;
    ++result->fragments;
    absl::Time ts = absl::FromUnixMicros(int64_t{hdr->ts.tv_sec} * 1000000 + hdr->ts.tv_usec);
    if (defrag.Add(ts, pkt, &dgram)) result->datagrams.push_back(dgram);
  }
  pcap_close(pcap);
  defrag.Finish();
  result->stats = defrag.stats();
  return true;
}

std::vector<std::string> FilesEnding(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string p = e.path().string();
    if (p.size() >= suffix.size() && p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The IP datagram inside a packet Suricata logged (base64 of the link-layer frame).
std::string IpFromLoggedPacket(const std::string& frame, int linktype) {
  size_t pos = 0;
  if (linktype == 1) {  // Ethernet, possibly VLAN-tagged
    pos = 12;
    while (pos + 2 <= frame.size() &&
           (frame.compare(pos, 2, "\x81\x00", 2) == 0 || frame.compare(pos, 2, "\x88\xa8", 2) == 0)) {
      pos += 4;
    }
    pos += 2;
  } else if (linktype == 9) {
    pos = (static_cast<uint8_t>(frame[0]) & 1) ? 1 : 2;
  }
  return frame.substr(pos);
}

TEST_CASE("IpDefragmenter: suricata-verify defrag vectors give Suricata's packets",
          "[defrag][vectors]") {
  const std::string vectors = testing::VectorsDir();
  if (vectors.empty()) {
    WARN("SKIPPED: shared vectors not found");
    return;
  }
  const std::string base = vectors + "/suricata-verify/defrag";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(base)) {
    const std::string dir = entry.path().string();
    const std::string yaml = testing::ReadFileOrEmpty(dir + "/test.yaml");
    std::vector<std::string> pcaps = FilesEnding(dir, ".pcap");
    if (pcaps.empty()) continue;
    CaptureResult r;
    REQUIRE(RunCapture(pcaps[0], FragPolicy::kFirst, &r));
    INFO(dir);
    const size_t at = yaml.find("packet: \"");
    if (at == std::string::npos) {
      // bug-6942: the fragments are of an inner IPv4 datagram carried in GRE/PPP inside
      // unfragmented outer IPv4 packets; Suricata decodes the tunnel and reassembles the
      // inner one (logging it with its tunnel headers, 87384 bytes). tcpfollow does not
      // decode tunnels (tins_ext/decode stops at the outer IPv4 with protocol GRE), so no
      // fragment reaches the defragmenter: a known, stated difference.
      CHECK(r.fragments == 0);
      ++checked;
      continue;
    }
    const size_t start = at + 9;
    std::string logged;
    REQUIRE(absl::Base64Unescape(yaml.substr(start, yaml.find('"', start) - start), &logged));
    const size_t lt = yaml.find("packet_info.linktype: ");
    const int linktype = lt == std::string::npos ? 0 : std::atoi(yaml.c_str() + lt + 22);
    REQUIRE(r.datagrams.size() == 1);
    CHECK(r.datagrams[0] == IpFromLoggedPacket(logged, linktype));
    CHECK(r.stats.overlap_different_data == 0);
    ++checked;
  }
  CHECK(checked >= 6);
}

// ipv6-evasion: each test names the anomaly Suricata must raise; map it to our counter.
// "useless Fragment extension header" (atomic fragments) and "duplicated Fragment
// extension header" are decoder matters: tins_ext/decode treats an atomic fragment as a
// whole packet (RFC 6946), so nothing reaches the defragmenter and those are not checked
// here.
TEST_CASE("IpDefragmenter: suricata-verify ipv6-evasion fragment anomalies", "[defrag][vectors]") {
  const std::string vectors = testing::VectorsDir();
  if (vectors.empty()) {
    WARN("SKIPPED: shared vectors not found");
    return;
  }
  const std::string base = vectors + "/suricata-verify/ipv6-evasion";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(base)) {
    const std::string dir = entry.path().string();
    if (dir.find("fragments") == std::string::npos) continue;
    const std::string rules = testing::ReadFileOrEmpty(dir + "/test.rules");
    const std::string yaml = testing::ReadFileOrEmpty(dir + "/test.yaml");
    std::vector<std::string> pcaps = FilesEnding(dir, ".pcap");
    if (pcaps.empty()) continue;
    CaptureResult r;
    REQUIRE(RunCapture(pcaps[0], FragPolicy::kFirst, &r));
    INFO(dir << "\n" << rules);
    auto expects = [&](const char* sid) {
      return yaml.find(std::string("signature_id: ") + sid) != std::string::npos;
    };
    if (expects("2200072")) {  // FRAG IPv6 Fragmentation overlap
      CHECK(r.stats.overlap_same_data + r.stats.overlap_different_data > 0);
      ++checked;
    }
    if (expects("2200071")) {  // FRAG IPv6 Packet size too large
      CHECK(r.stats.oversize > 0);
      ++checked;
    }
    if (expects("2200119")) {  // FRAG IPv6 Fragment invalid length
      CHECK(r.stats.misaligned_length > 0);
      ++checked;
    }
    if (rules.find("itype:3;") != std::string::npos) {
      // The target answered "fragment reassembly time exceeded": it never completed the
      // datagram. Neither do we.
      CHECK(r.datagrams.empty());
      CHECK(r.stats.incomplete_at_end + r.stats.expired > 0);
      ++checked;
    }
    if (rules.find("itype:4;") != std::string::npos) {
      // The target answered "parameter problem" at octet 40: the first fragment carries a
      // second Fragment header inside its fragmentable part. A difference, stated: we
      // reassemble the outer datagram (the nested header names another next header than
      // the later fragments, counted as conflicting_protocol) and what comes out is
      // itself a fragment, which decodes as such and never reaches TCP reassembly.
      CHECK(r.stats.conflicting_protocol > 0);
      for (const std::string& dgram : r.datagrams) {
        IpPacket p;
        REQUIRE(DecodeIp(dgram, 0, &p) == DecodeError::kOk);
        CHECK(p.is_fragment);
      }
      ++checked;
    }
  }
  CHECK(checked >= 20);
}

}  // namespace
}  // namespace tcpfollow

namespace tcpfollow {
namespace {

// Every IP datagram of a capture, in order, as "src dst protocol payload"; fragments go
// through a defragmenter first (its completed datagrams take their place).
std::vector<std::string> DatagramsOf(const std::string& path, DefragStats* stats) {
  std::vector<std::string> out;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* pcap = pcap_open_offline(path.c_str(), err);
  if (pcap == nullptr) return out;
  const int link = pcap_datalink(pcap);
  IpDefragmenter defrag(DefragLimits{}, FragPolicy::kFirst);
  struct pcap_pkthdr* hdr;
  const u_char* data;
  std::string dgram;
  auto describe = [&](const IpPacket& p) {
    out.push_back(p.src.ToString() + " " + p.dst.ToString() + " " +
                  std::to_string(p.protocol) + " " + std::string(p.payload));
  };
  while (pcap_next_ex(pcap, &hdr, &data) == 1) {
    absl::string_view frame(reinterpret_cast<const char*>(data), hdr->caplen);
    IpPacket pkt;
    if (DecodeFrame(link, frame, &pkt) != DecodeError::kOk) continue;
    if (!pkt.is_fragment) {
      describe(pkt);
      continue;
    }
    absl::Time ts = absl::FromUnixMicros(int64_t{hdr->ts.tv_sec} * 1000000 + hdr->ts.tv_usec);
    if (defrag.Add(ts, pkt, &dgram)) {
      IpPacket whole;
      REQUIRE(DecodeIp(dgram, pkt.vlan, &whole) == DecodeError::kOk);
      describe(whole);
    }
  }
  pcap_close(pcap);
  defrag.Finish();
  *stats = defrag.stats();
  return out;
}

TEST_CASE("IpDefragmenter: a re-fragmented capture gives back every original datagram",
          "[defrag][capture]") {
  const std::string root = testing::RepoRoot();
  const std::string original = root + "/corpus/defrag/keepalive_source.pcap";
  const std::string refragmented = root + "/corpus/defrag/keepalive_refragmented.pcap";
  if (!std::filesystem::exists(original) || !std::filesystem::exists(refragmented)) {
    WARN("SKIPPED: corpus captures not found under " << root);
    return;
  }
  DefragStats plain_stats, stats;
  std::vector<std::string> want = DatagramsOf(original, &plain_stats);
  std::vector<std::string> got = DatagramsOf(refragmented, &stats);
  REQUIRE(!want.empty());
  CHECK(plain_stats.fragments == 0);
  CHECK(stats.datagrams_completed == want.size());
  CHECK(got == want);
  CHECK(stats.overlap_different_data == 0);
  // Late duplicates (after their datagram completed) start datagrams that never complete.
  CHECK(stats.duplicate_fragments + stats.incomplete_at_end + stats.expired > 0);
}

}  // namespace
}  // namespace tcpfollow
