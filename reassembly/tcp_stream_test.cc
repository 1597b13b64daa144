// Tests for one direction of TCP reassembly (TcpStreamReassembler): delivery, holes,
// overlaps and their policies, caps, FIN/RST checks, all at several initial sequence
// numbers including ones that wrap past 2^32.
#include "reassembly/tcp_stream.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include "reassembly/tcp_test_util.h"

namespace tcpfollow {
namespace {

using testing::RecordingSink;
using testing::T;

constexpr uint32_t kIsns[] = {0u, 1u, 1000u, 0xFFFFFFF0u, 0xFFFFFFFFu, 0xFFFFFFFFu - 10};

struct Harness {
  explicit Harness(uint32_t isn_in, TcpPolicy policy = TcpPolicy::kFirst,
                   TcpStreamLimits limits = TcpStreamLimits())
      : isn(isn_in), sink(&log, ""), stream(Direction::kClientToServer, policy, limits) {
    stream.set_sink(&sink);
    stream.InitFromSyn(isn);
  }
  // `offset` counts from the first data byte (ISN + 1).
  void Data(uint64_t offset, absl::string_view bytes) {
    stream.OnData(isn + 1 + static_cast<uint32_t>(offset), bytes, T(1));
  }
  void Ack(uint64_t offset) { stream.OnPeerAck(isn + 1 + static_cast<uint32_t>(offset), T(1)); }
  bool Fin(uint64_t offset) { return stream.OnFin(isn + 1 + static_cast<uint32_t>(offset), T(1)); }
  const std::string& content() const { return sink.content[0]; }

  uint32_t isn;
  std::vector<std::string> log;
  RecordingSink sink;
  TcpStreamReassembler stream;
};

TEST_CASE("TcpStream: in-order data is delivered straight from the segment", "[tcp]") {
  for (uint32_t isn : kIsns) {
    Harness h(isn);
    const std::string a = "hello ", b = "world";
    h.Data(0, a);
    CHECK(h.sink.last_data == a.data());  // no copy
    h.Data(6, b);
    CHECK(h.sink.last_data == b.data());
    CHECK(h.log == std::vector<std::string>{"C data 'hello '", "C data 'world'"});
    CHECK(h.stream.buffered_bytes() == 0);
    CHECK(h.stream.summary().bytes == 11);
  }
}

TEST_CASE("TcpStream: out-of-order segments wait for the hole, then go out merged", "[tcp]") {
  for (uint32_t isn : kIsns) {
    Harness h(isn);
    h.Data(6, "CCC");
    h.Data(3, "BBB");
    CHECK(h.log.empty());
    CHECK(h.stream.buffered_bytes() == 6);
    h.Data(0, "AAA");
    CHECK(h.log == std::vector<std::string>{"C data 'AAA'", "C data 'BBBCCC'"});
    CHECK(h.stream.buffered_bytes() == 0);
    CHECK(h.stream.summary().overlaps == 0);
  }
}

TEST_CASE("TcpStream: retransmission and partial overlap of delivered data", "[tcp]") {
  Harness h(0xFFFFFFF8u);
  h.Data(0, "abcdef");
  h.Data(0, "abcdef");   // full retransmission
  h.Data(4, "efghij");   // partial: 'ef' again, 'ghij' new
  h.Data(2, "XX");       // differs, but delivered bytes never change
  CHECK(h.content() == "abcdefghij");
  CHECK(h.stream.summary().overlaps == 3);
  CHECK(h.stream.summary().retransmitted_bytes == 6 + 2 + 2);
  // Without a history of delivered bytes, the difference cannot be seen.
  CHECK(h.stream.summary().overlap_conflicts == 0);
}

TEST_CASE("TcpStream: delivered history finds retransmissions with other bytes", "[tcp]") {
  TcpStreamLimits limits;
  limits.delivered_history_bytes = 4;
  Harness h(7, TcpPolicy::kFirst, limits);
  h.Data(0, "abcdefgh");
  h.Data(4, "efgh");  // same bytes: overlap, no conflict
  CHECK(h.stream.summary().overlap_conflicts == 0);
  h.Data(6, "Xh");  // differs inside the history
  CHECK(h.stream.summary().overlap_conflicts == 1);
  h.Data(0, "Q");  // older than the history: cannot be checked
  CHECK(h.stream.summary().overlap_conflicts == 1);
  CHECK(h.stream.summary().overlaps == 3);
  CHECK(h.content() == "abcdefgh");
}

TEST_CASE("TcpStream: buffered overlap conflicts are counted", "[tcp]") {
  Harness h(0);
  h.Data(4, "eeee");
  h.Data(4, "eeee");  // same
  CHECK(h.stream.summary().overlap_conflicts == 0);
  h.Data(6, "XXyy");  // differs on 'ee'
  h.Data(0, "aaaa");
  CHECK(h.content() == "aaaaeeeeyy");  // first policy keeps 'ee'
  CHECK(h.stream.summary().overlaps == 2);
  CHECK(h.stream.summary().overlap_conflicts == 1);
}

TEST_CASE("TcpStream: keep-alive and zero-window probe", "[tcp]") {
  for (uint32_t isn : kIsns) {
    Harness h(isn);
    h.Data(0, "abc");
    h.Data(2, "c");  // keep-alive: seq = next - 1, one byte
    h.Data(2, "");   // keep-alive without data
    CHECK(h.stream.summary().overlaps == 0);
    CHECK(h.stream.counters().keepalives == 1);
    h.Data(3, "d");  // zero-window probe: the next byte, sent early
    // Sent again: one byte at next - 1 looks exactly like a keep-alive, and is dropped
    // like one (both carry nothing new).
    h.Data(3, "d");
    CHECK(h.stream.counters().keepalives == 2);
    h.Data(3, "defg");  // the window opened: 'd' again plus new bytes
    CHECK(h.content() == "abcdefg");
    CHECK(h.stream.summary().overlaps == 1);
    CHECK(h.stream.summary().gaps == 0);
  }
}

TEST_CASE("TcpStream: wrap-around at every split and order", "[tcp]") {
  const std::string text = "The quick brown fox jumps over the lazy dog, 0123456789.";
  for (uint32_t isn : kIsns) {
    for (size_t piece = 1; piece <= 9; ++piece) {
      std::vector<std::pair<size_t, std::string>> segs;
      for (size_t i = 0; i < text.size(); i += piece) segs.push_back({i, text.substr(i, piece)});
      for (int order = 0; order < 3; ++order) {
        auto shuffled = segs;
        if (order == 1) std::reverse(shuffled.begin(), shuffled.end());
        if (order == 2) std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(piece + isn));
        Harness h(isn);
        for (const auto& s : shuffled) h.Data(s.first, s.second);
        CHECK(h.content() == text);
        CHECK(h.stream.buffered_bytes() == 0);
        CHECK(h.stream.summary().gaps == 0);
      }
    }
  }
}

TEST_CASE("TcpStream: split anywhere gives the same bytes", "[tcp]") {
  const std::string text = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    for (bool swap : {false, true}) {
      Harness h(0xFFFFFFFEu);
      const std::string a = text.substr(0, cut), b = text.substr(cut);
      if (swap) {
        h.Data(cut, b);
        h.Data(0, a);
      } else {
        h.Data(0, a);
        h.Data(cut, b);
      }
      CHECK(h.content() == text);
    }
  }
}

TEST_CASE("TcpStream: a hole the peer acknowledged becomes a gap", "[tcp]") {
  for (uint32_t isn : kIsns) {
    Harness h(isn);
    h.Data(0, "aaaa");
    h.Data(8, "cccc");
    h.Ack(6);  // does not cover the hole [4, 8)
    CHECK(h.log == std::vector<std::string>{"C data 'aaaa'"});
    h.Ack(12);
    CHECK(h.log == std::vector<std::string>{"C data 'aaaa'", "C gap 4", "C data 'cccc'"});
    CHECK(h.stream.summary().missed_bytes == 4);
  }
}

TEST_CASE("TcpStream: acked-but-unseen bytes are a gap only when data follows or at close",
          "[tcp]") {
  Harness h(100);
  h.Data(0, "aa");
  h.Ack(10);  // a bare ACK does not invent a gap
  CHECK(h.log == std::vector<std::string>{"C data 'aa'"});
  h.Data(10, "kk");  // data after the acked region: the hole is known lost
  CHECK(h.log == std::vector<std::string>{"C data 'aa'", "C gap 8", "C data 'kk'"});
  h.Ack(20);
  h.stream.Close(T(2));
  CHECK(h.log.back() == "C end");
  CHECK(h.log[h.log.size() - 2] == "C gap 8");  // Zeek's missed bytes at close
  CHECK(h.stream.summary().missed_bytes == 16);
}

TEST_CASE("TcpStream: an ACK one past the data at close is an unseen FIN", "[tcp]") {
  Harness h(5);
  h.Data(0, "abc");
  h.Ack(4);
  h.stream.Close(T(2));
  CHECK(h.log == std::vector<std::string>{"C data 'abc'", "C end"});
}

TEST_CASE("TcpStream: per-direction buffer cap, just under and just over", "[tcp][limits]") {
  TcpStreamLimits limits;
  limits.max_buffered_bytes = 8;
  {
    Harness h(0, TcpPolicy::kFirst, limits);
    h.Data(4, "bbbb");
    h.Data(10, "dddd");  // 8 bytes held: at the cap
    CHECK(h.log.empty());
    CHECK(h.stream.counters().buffer_limit_hits == 0);
    h.Data(0, "aaaa");
    h.Data(8, "cc");
    CHECK(h.content() == "aaaabbbbccdddd");
  }
  {
    Harness h(0, TcpPolicy::kFirst, limits);
    h.Data(4, "bbbb");
    h.Data(10, "ddddd");  // 9 bytes held: skip to the first held chunk
    CHECK(h.log == std::vector<std::string>{"C gap 4", "C data 'bbbb'"});
    CHECK(h.stream.counters().buffer_limit_hits == 1);
    CHECK(h.stream.buffered_bytes() == 5);
    h.Data(8, "cc");
    CHECK(h.content() == std::string(4, '\0') + "bbbbccddddd");
  }
}

TEST_CASE("TcpStream: segment count cap, just under and just over", "[tcp][limits]") {
  TcpStreamLimits limits;
  limits.max_buffered_segments = 2;
  Harness under(0, TcpPolicy::kFirst, limits);
  under.Data(2, "b");
  under.Data(4, "c");
  CHECK(under.stream.counters().buffer_limit_hits == 0);
  Harness over(0, TcpPolicy::kFirst, limits);
  over.Data(2, "b");
  over.Data(4, "c");
  over.Data(6, "d");
  CHECK(over.stream.counters().buffer_limit_hits == 1);
  CHECK(over.log == std::vector<std::string>{"C gap 2", "C data 'b'"});
}

TEST_CASE("TcpStream: FIN takes effect once the data before it is in", "[tcp]") {
  for (uint32_t isn : kIsns) {
    Harness h(isn);
    h.Data(3, "def");
    CHECK(h.Fin(6));  // FIN ahead of a hole
    CHECK(h.log.empty());
    CHECK_FALSE(h.stream.fin_done());
    h.Data(6, "zzz");  // nothing exists after the FIN
    h.Data(0, "abc");
    CHECK(h.log == std::vector<std::string>{"C data 'abc'", "C data 'def'", "C end"});
    CHECK(h.stream.fin_done());
    CHECK(h.Fin(6));  // retransmitted FIN
  }
}

TEST_CASE("TcpStream: FIN out of sequence is refused", "[tcp]") {
  Harness h(0xFFFFFFFFu);
  h.Data(0, "abcdef");
  CHECK_FALSE(h.Fin(3));  // before delivered data
  h.Data(10, "xyz");
  CHECK_FALSE(h.Fin(11));  // before held data
  CHECK_FALSE(h.Fin(uint64_t{1} << 31));  // far away
  CHECK(h.Fin(13));
  CHECK_FALSE(h.Fin(14));  // a second FIN elsewhere
  CHECK_FALSE(h.stream.fin_done());
}

TEST_CASE("TcpStream: RST window check (RFC 5961)", "[tcp]") {
  for (uint32_t isn : kIsns) {
    Harness h(isn);
    h.Data(0, "abcd");
    const uint32_t next = isn + 1 + 4;
    CHECK(h.stream.RstInWindow(next));
    CHECK(h.stream.RstInWindow(next + 65535));
    CHECK_FALSE(h.stream.RstInWindow(next + 65536));
    CHECK_FALSE(h.stream.RstInWindow(next - 1));
    CHECK_FALSE(h.stream.RstInWindow(next + 0x80000000u));
    h.Data(100000, "far");  // the highest byte seen widens the window
    CHECK(h.stream.RstInWindow(isn + 1 + 100003));
  }
}

TEST_CASE("TcpStream: close flushes held data with gaps between", "[tcp]") {
  Harness h(0xFFFFFFF0u);
  h.Data(0, "a");
  h.Data(3, "d");
  h.Data(6, "gh");
  h.stream.Close(T(3));
  CHECK(h.log == std::vector<std::string>{"C data 'a'", "C gap 2", "C data 'd'", "C gap 2",
                                          "C data 'gh'", "C end"});
  CHECK(h.stream.summary().gaps == 2);
  CHECK(h.stream.summary().missed_bytes == 4);
  CHECK(h.stream.buffered_bytes() == 0);
}

// ---- Overlap policies -------------------------------------------------------------
// The segment layouts and expected buffers are those of Suricata's
// src/tests/stream-tcp-list.c (OverlapBSD/OverlapBSDBefore/Same/After and the VISTA,
// LINUX, LINUXOLD, SOLARIS, LAST variants used by StreamTcpReassembleTest01..06), which
// follow Novak & Sturges (2007). Suricata's "rseq" 1 is the first data byte; here every
// step is shifted one byte later and byte 0 is sent last, so that nothing is delivered
// before every step has been applied (delivered bytes never change here). The expected
// strings use NUL for bytes never sent; gaps render as NUL too.
// Suricata has no Windows test: its overlap code treats OS_POLICY_WINDOWS like BSD, and
// OS_POLICY_VISTA like FIRST, so kWindows uses the BSD strings and kFirst the VISTA ones.

struct Step {
  uint32_t rseq;
  std::string bytes;
};

const std::vector<Step> kMain = {
    {2, "AAA"}, {6, "BB"}, {8, "CCC"}, {12, "D"}, {15, "EE"}, {17, "FFF"}, {20, "GG"},
    {22, "HH"}, {24, "I"}, {3, "JJJJ"}, {8, "KKK"}, {11, "LLL"}, {14, "MMM"}, {18, "N"},
    {21, "O"}, {22, "P"}, {24, "QQ"}, {1, "0"}};
const std::vector<Step> kBefore = {{3, "B"},    {9, "D"},   {12, "EE"}, {2, "AA"},
                                   {1, "JJJJ"}, {8, "LLL"}, {11, "MMM"}};
const std::vector<Step> kSame = {{1, "CCC"},  {15, "HH"}, {17, "II"}, {1, "KKK"},
                                 {1, "LLLL"}, {15, "P"},  {15, "QQ"}};
const std::vector<Step> kAfter = {{1, "AA"}, {16, "FFF"}, {19, "GG"},
                                  {2, "JJ"}, {20, "O"},   {17, "N"}};

std::string Z(int n) { return std::string(n, '\0'); }

struct PolicyCase {
  TcpPolicy policy;
  std::string main, before, same, after;
};

std::vector<PolicyCase> Cases() {
  const std::string bsd_main = "0AAAJJBCCCLLLMMMFFFGGHHIQ";
  const std::string bsd_before = "JJJJ" + Z(3) + "LLLMMM";
  const std::string bsd_same = "CCCL" + Z(10) + "HHII";
  const std::string bsd_after = "AAJ" + Z(12) + "FFFGG";
  return {
      {TcpPolicy::kBsd, bsd_main, bsd_before, bsd_same, bsd_after},
      {TcpPolicy::kWindows, bsd_main, bsd_before, bsd_same, bsd_after},
      {TcpPolicy::kFirst, "0AAAJBBCCCLDLMEEFFFGGHHIQ", "JABJ" + Z(3) + "LDLMEE",
       "CCCL" + Z(10) + "HHII", "AAJ" + Z(12) + "FFFGG"},
      {TcpPolicy::kLinux, "0AAAJJBCCCLLLMMMFFFGGHHQQ", "JJJJ" + Z(3) + "LLLMMM",
       "LLLL" + Z(10) + "HHII", "AAJ" + Z(12) + "FFFGG"},
      {TcpPolicy::kOldLinux, "0AAAJJBKKKLLLMMMFFFGGHHQQ", "JJJJ" + Z(3) + "LLLMMM",
       "LLLL" + Z(10) + "QQII", "AAJ" + Z(12) + "FFFGG"},
      {TcpPolicy::kSolaris, "0AJJJBBKKKLLLMMMFFFGGHHQQ", "JJJJ" + Z(3) + "LLLMMM",
       "LLLL" + Z(10) + "QQII", "AJJ" + Z(12) + "FFFGG"},
      {TcpPolicy::kLast, "0AJJJJBKKKLLLMMMFNFGOPHQQ", "JJJJ" + Z(3) + "LLLMMM",
       "LLLL" + Z(10) + "QQII", "AJJ" + Z(12) + "FNFGO"},
  };
}

std::string RunSteps(uint32_t isn, TcpPolicy policy, const std::vector<Step>& steps) {
  Harness h(isn, policy);
  for (const Step& s : steps) h.Data(s.rseq, s.bytes);
  CHECK(h.log.empty());
  h.Data(0, "#");
  h.stream.Close(T(2));
  return h.content().substr(1);
}

// The plain model of the two simplest policies: per byte, the first or the last writer.
std::string ModelSteps(bool last_wins, const std::vector<Step>& steps) {
  std::map<uint32_t, char> bytes;
  for (const Step& s : steps) {
    for (size_t i = 0; i < s.bytes.size(); ++i) {
      const uint32_t at = s.rseq - 1 + i;
      if (last_wins || !bytes.count(at)) bytes[at] = s.bytes[i];
    }
  }
  std::string out(bytes.rbegin()->first + 1, '\0');
  for (const auto& b : bytes) out[b.first] = b.second;
  return out;
}

TEST_CASE("TcpStream: overlap policies match Suricata's stream-tcp-list tests", "[tcp][policy]") {
  for (uint32_t isn : kIsns) {
    for (const PolicyCase& c : Cases()) {
      INFO("policy " << TcpPolicyName(c.policy) << " isn " << isn);
      CHECK(RunSteps(isn, c.policy, kMain) == c.main);
      CHECK(RunSteps(isn, c.policy, kBefore) == c.before);
      CHECK(RunSteps(isn, c.policy, kSame) == c.same);
      CHECK(RunSteps(isn, c.policy, kAfter) == c.after);
    }
  }
}

TEST_CASE("TcpStream: first and last policies agree with a byte model", "[tcp][policy]") {
  for (const auto* steps : {&kMain, &kBefore, &kSame, &kAfter}) {
    CHECK(RunSteps(0xFFFFFFF0u, TcpPolicy::kFirst, *steps) == ModelSteps(false, *steps));
    CHECK(RunSteps(0xFFFFFFF0u, TcpPolicy::kLast, *steps) == ModelSteps(true, *steps));
  }
  std::mt19937 rng(42);
  for (int round = 0; round < 300; ++round) {
    std::vector<Step> steps;
    const int n = 1 + rng() % 12;
    for (int i = 0; i < n; ++i) {
      Step s{static_cast<uint32_t>(1 + rng() % 30), std::string(1 + rng() % 8, 'a' + i)};
      steps.push_back(s);
    }
    const uint32_t isn = static_cast<uint32_t>(rng());
    INFO("round " << round);
    CHECK(RunSteps(isn, TcpPolicy::kFirst, steps) == ModelSteps(false, steps));
    CHECK(RunSteps(isn, TcpPolicy::kLast, steps) == ModelSteps(true, steps));
  }
}

TEST_CASE("TcpStream: policy names round-trip", "[tcp][policy]") {
  for (const PolicyCase& c : Cases()) {
    TcpPolicy parsed = TcpPolicy::kLast;
    REQUIRE(ParseTcpPolicy(TcpPolicyName(c.policy), &parsed));
    CHECK(parsed == c.policy);
  }
  TcpPolicy p;
  CHECK_FALSE(ParseTcpPolicy("bsd-right", &p));
}

}  // namespace
}  // namespace tcpfollow
