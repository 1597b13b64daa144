// Tests for the TCP connection table (TcpReassembler): roles, handshakes, ends (FIN, RST,
// timeout, end of input, eviction, port reuse), limits just under and just over, and
// whole event logs from a recording handler.
#include "reassembly/tcp_reassembler.h"

#include <algorithm>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include "reassembly/tcp_test_util.h"

namespace tcpfollow {
namespace {

using testing::Ep;
using testing::RecordingHandler;
using testing::Seg;
using testing::T;
namespace f = tcp_flags;

using Log = std::vector<std::string>;

const Endpoint kCli = Ep("10.0.0.1", 51000);
const Endpoint kSrv = Ep("10.0.0.2", 80);
constexpr uint32_t kC = 0xFFFFFFF0u;  // client ISN: data wraps past 2^32
constexpr uint32_t kS = 5000;        // server ISN

void Handshake(TcpReassembler& r, double ts = 1.0) {
  r.OnSegment(Seg(kCli, kSrv, f::kSyn, kC, 0, "", ts));
  r.OnSegment(Seg(kSrv, kCli, f::kSyn | f::kAck, kS, kC + 1, "", ts));
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 1, kS + 1, "", ts));
}

TEST_CASE("TcpReassembler: handshake, data both ways, FINs", "[tcp]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  Handshake(r);
  r.OnSegment(Seg(kCli, kSrv, f::kAck | f::kPsh, kC + 1, kS + 1, "GET / HTTP/1.1\r\n\r\n"));
  r.OnSegment(Seg(kSrv, kCli, f::kAck, kS + 1, kC + 19, "HTTP/1.1 200 OK\r\n"));
  r.OnSegment(Seg(kSrv, kCli, f::kAck | f::kFin, kS + 18, kC + 19, "\r\n"));
  r.OnSegment(Seg(kCli, kSrv, f::kAck | f::kFin, kC + 19, kS + 21));
  // Both FINs are in; the connection waits for the final ACK.
  CHECK(h.log.back() == "#1 C end");
  CHECK(r.stats().active == 1);
  // The final ACK of the last FIN: counted, and the connection ends.
  r.OnSegment(Seg(kSrv, kCli, f::kAck, kS + 21, kC + 20));
  CHECK(h.log == Log{"start #1 10.0.0.1:51000 -> 10.0.0.2:80 handshake",
                     "#1 C data 'GET / HTTP/1.1\\x0d\\x0a\\x0d\\x0a'",
                     "#1 S data 'HTTP/1.1 200 OK\\x0d\\x0a'", "#1 S data '\\x0d\\x0a'",
                     "#1 S end", "#1 C end", "end #1 fin C 18/0 S 19/0"});
  // A retransmitted ACK afterwards: absorbed by the tombstone, no new connection.
  r.OnSegment(Seg(kSrv, kCli, f::kAck, kS + 21, kC + 20));
  CHECK(r.stats().segments_after_close == 1);
  CHECK(r.stats().connections_seen == 1);
  CHECK(r.stats().closed_fin == 1);
  CHECK(r.stats().active == 0);
  CHECK(h.summaries[0].dir[0].fin);
  CHECK(h.summaries[0].dir[1].fin);
  CHECK(h.summaries[0].dir[0].packets == 4);
  CHECK(h.summaries[0].dir[1].packets == 4);  // SYN-ACK, data, FIN, the final ACK
  r.FinishAll(T(2));
  CHECK(h.log.size() == 7);  // nothing more to report
  CHECK(r.table_size() == 0);
}

TEST_CASE("TcpReassembler: same streams whatever the segmentation", "[tcp]") {
  const std::string req = "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
  const std::string resp = "HTTP/1.1 204 No Content\r\n\r\n";
  for (size_t piece : {1, 3, 7, 1000}) {
    for (bool reverse : {false, true}) {
      RecordingHandler h;
      TcpReassembler r(TcpLimits(), &h);
      Handshake(r);
      std::vector<TcpSegment> segs;
      for (size_t i = 0; i < req.size(); i += piece) {
        segs.push_back(Seg(kCli, kSrv, f::kAck, kC + 1 + i, kS + 1,
                           absl::string_view(req).substr(i, piece)));
      }
      if (reverse) std::reverse(segs.begin(), segs.end());
      for (const auto& s : segs) r.OnSegment(s);
      r.OnSegment(Seg(kSrv, kCli, f::kAck, kS + 1, kC + 1 + req.size(), resp));
      r.FinishAll(T(9));
      REQUIRE(h.contents.size() == 1);
      CHECK(h.contents[0][0] == req);
      CHECK(h.contents[0][1] == resp);
      CHECK(h.summaries[0].reason == CloseReason::kEndOfInput);
    }
  }
}

TEST_CASE("TcpReassembler: data on SYN and SYN-ACK", "[tcp]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  r.OnSegment(Seg(kCli, kSrv, f::kSyn, kC, 0, "early"));
  r.OnSegment(Seg(kSrv, kCli, f::kSyn | f::kAck, kS, kC + 6, "tfo"));
  r.OnSegment(Seg(kCli, kSrv, f::kSyn, kC, 0, "early"));  // retransmitted SYN: no new conn
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 6, kS + 4, "!"));
  r.FinishAll(T(2));
  CHECK(h.contents[0][0] == "early!");
  CHECK(h.contents[0][1] == "tfo");
  CHECK(r.stats().connections_seen == 1);
  CHECK(h.summaries[0].dir[0].overlaps == 1);
}

TEST_CASE("TcpReassembler: first seen at the SYN-ACK", "[tcp]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  r.OnSegment(Seg(kSrv, kCli, f::kSyn | f::kAck, kS, kC + 1));
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 1, kS + 1, "hi"));
  r.OnSegment(Seg(kCli, kSrv, f::kSyn, kC, 0));  // the SYN, late: same ISN, not a new conn
  r.FinishAll(T(2));
  CHECK(h.log == Log{"start #1 10.0.0.1:51000 -> 10.0.0.2:80 handshake", "#1 C data 'hi'",
                     "#1 C end", "#1 S end", "end #1 end_of_input C 2/0 S 0/0"});
}

TEST_CASE("TcpReassembler: mid-stream pickup guesses the server", "[tcp]") {
  struct Case {
    uint16_t src, dst;
    bool src_is_server;
  };
  for (const Case& c : {Case{80, 51000, true}, Case{51000, 80, false}, Case{8080, 50000, true},
                        Case{50000, 8080, false}, Case{1023, 1024, true}, Case{443, 22, false},
                        Case{7000, 7000, false}}) {
    RecordingHandler h;
    TcpReassembler r(TcpLimits(), &h);
    const Endpoint a = Ep("192.168.1.1", c.src), b = Ep("192.168.1.2", c.dst);
    r.OnSegment(Seg(a, b, f::kAck | f::kPsh, 777, 888, "data"));
    r.FinishAll(T(2));
    const std::string expect_client = (c.src_is_server ? b : a).ToString();
    const std::string expect_server = (c.src_is_server ? a : b).ToString();
    INFO(c.src << " -> " << c.dst);
    CHECK(h.log[0] == "start #1 " + expect_client + " -> " + expect_server + " midstream");
    CHECK(h.contents[0][c.src_is_server ? 1 : 0] == "data");
  }
}

TEST_CASE("TcpReassembler: bare ACK, FIN or RST never creates a connection", "[tcp]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  r.OnSegment(Seg(kCli, kSrv, f::kAck, 1, 2));
  r.OnSegment(Seg(kCli, kSrv, f::kAck | f::kFin, 1, 2));
  r.OnSegment(Seg(kCli, kSrv, f::kRst, 1, 2));
  r.OnSegment(Seg(kCli, kSrv, f::kRst | f::kAck, 1, 2, "rst text"));
  CHECK(h.log.empty());
  CHECK(r.stats().segments_ignored_no_connection == 4);
  CHECK(r.table_size() == 0);
}

TEST_CASE("TcpReassembler: RST in window ends, out of window is ignored", "[tcp]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  Handshake(r);
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 1, kS + 1, "abc"));
  r.OnSegment(Seg(kSrv, kCli, f::kRst, kS + 1 + 70000, 0));  // beyond the window
  r.OnSegment(Seg(kSrv, kCli, f::kRst, kS, 0));              // before next
  CHECK(r.stats().bad_rst_ignored == 2);
  CHECK(r.stats().active == 1);
  r.OnSegment(Seg(kSrv, kCli, f::kRst, kS + 1 + 100, 0));  // in window
  // Provisional for reset_grace: the endpoints may still go on (see the next test).
  CHECK(h.log.back() == "#1 C data 'abc'");
  r.Advance(T(1) + TcpLimits().reset_grace);
  CHECK(h.log.back() == "#1 C data 'abc'");
  r.Advance(T(1) + TcpLimits().reset_grace + absl::Milliseconds(1));
  CHECK(h.log.back() == "end #1 rst C 3/0 S 0/0");
  CHECK(h.summaries[0].dir[1].rst);
  CHECK(r.stats().closed_rst == 1);
}

TEST_CASE("TcpReassembler: a RST the endpoints ignore does not end the connection", "[tcp]") {
  // Suricata's bug-3286 evasion: a forged RST (bad timestamp echo) that the client's
  // stack discards, then the real SYN-ACK and data. Bare ACKs and FINs after the RST do
  // not count as going on; a SYN-ACK or data does.
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  r.OnSegment(Seg(kCli, kSrv, f::kSyn, kC, 0));
  r.OnSegment(Seg(kSrv, kCli, f::kRst | f::kAck, 0, kC + 1));  // acceptable by sequence
  r.OnSegment(Seg(kSrv, kCli, f::kFin | f::kAck, 0, kC + 1));   // ignored while reset
  r.OnSegment(Seg(kSrv, kCli, f::kSyn | f::kAck, kS, kC + 1));  // the endpoints go on
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 1, kS + 1, "GET /"));
  r.OnSegment(Seg(kSrv, kCli, f::kAck, kS + 1, kC + 6, "200"));
  CHECK(r.stats().rst_disregarded == 1);
  r.Advance(T(100));  // no idle timeout yet (300 s); the RST no longer ends it
  CHECK(r.stats().closed_rst == 0);
  r.FinishAll(T(100));
  CHECK(h.log == Log{"start #1 10.0.0.1:51000 -> 10.0.0.2:80 handshake", "#1 C data 'GET /'",
                     "#1 S data '200'", "#1 C end", "#1 S end",
                     "end #1 end_of_input C 5/0 S 3/0"});
  CHECK_FALSE(h.summaries[0].dir[1].rst);
}

TEST_CASE("TcpReassembler: a new SYN after a provisional RST ends it as reset", "[tcp]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  Handshake(r);
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 1, kS + 1, "abc"));
  r.OnSegment(Seg(kCli, kSrv, f::kRst | f::kAck, kC + 4, kS + 1));
  r.OnSegment(Seg(kCli, kSrv, f::kSyn, 77, 0, "", 2.0));
  CHECK(r.stats().closed_rst == 1);
  CHECK(r.stats().connections_seen == 2);
  CHECK(h.log.back() == "start #2 10.0.0.1:51000 -> 10.0.0.2:80 handshake");
  // The first connection's pending-reset entry is stale now; expiring it must neither
  // touch the freed connection (pcap_pipeline_fuzz found that: regression-reset-uaf.pcap)
  // nor end the new one.
  r.Advance(T(30));
  CHECK(r.stats().closed_rst == 1);
  CHECK(r.stats().active == 1);
}

TEST_CASE("TcpReassembler: RST with data pending flushes then gaps", "[tcp]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  Handshake(r);
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 1, kS + 1, "ab"));
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 6, kS + 1, "fg"));  // hole [2, 5)
  r.OnSegment(Seg(kCli, kSrv, f::kRst | f::kAck, kC + 3, kS + 1));
  r.FinishAll(T(2));
  CHECK(h.log == Log{"start #1 10.0.0.1:51000 -> 10.0.0.2:80 handshake", "#1 C data 'ab'",
                     "#1 C gap 3", "#1 C data 'fg'", "#1 C end", "#1 S end",
                     "end #1 rst C 4/3 S 0/0"});
}

TEST_CASE("TcpReassembler: refused connection (RST/ACK to a SYN)", "[tcp]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  r.OnSegment(Seg(kCli, kSrv, f::kSyn, kC, 0));
  r.OnSegment(Seg(kSrv, kCli, f::kRst | f::kAck, 0, kC + 7));  // does not ack the SYN
  CHECK(r.stats().bad_rst_ignored == 1);
  r.OnSegment(Seg(kSrv, kCli, f::kRst | f::kAck, 0, kC + 1));
  r.Advance(T(10));
  CHECK(h.log.back() == "end #1 rst C 0/0 S 0/0");
}

TEST_CASE("TcpReassembler: FIN before the data fills in", "[tcp]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  Handshake(r);
  r.OnSegment(Seg(kCli, kSrv, f::kAck | f::kFin, kC + 4, kS + 1, "def"));
  r.OnSegment(Seg(kSrv, kCli, f::kAck | f::kFin, kS + 1, kC + 1));
  CHECK(r.stats().active == 1);
  r.OnSegment(Seg(kCli, kSrv, f::kAck | f::kFin, kC + 2, kS + 1));  // contradicts: ignored
  CHECK(r.stats().bad_fin_ignored == 1);
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 1, kS + 2, "abc"));
  r.OnSegment(Seg(kSrv, kCli, f::kAck, kS + 2, kC + 8));  // the final ACK
  CHECK(h.log == Log{"start #1 10.0.0.1:51000 -> 10.0.0.2:80 handshake", "#1 S end",
                     "#1 C data 'abc'", "#1 C data 'def'", "#1 C end",
                     "end #1 fin C 6/0 S 0/0"});
}

TEST_CASE("TcpReassembler: ACK past a hole gaps it", "[tcp]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  Handshake(r);
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 1, kS + 1, "aaaa"));
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 9, kS + 1, "cccc"));
  r.OnSegment(Seg(kSrv, kCli, f::kAck, kS + 1, kC + 13, "ok"));
  CHECK(h.log == Log{"start #1 10.0.0.1:51000 -> 10.0.0.2:80 handshake", "#1 C data 'aaaa'",
                     "#1 C gap 4", "#1 C data 'cccc'", "#1 S data 'ok'"});
}

TEST_CASE("TcpReassembler: port reuse after FIN and on an open connection", "[tcp]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  Handshake(r);
  r.OnSegment(Seg(kCli, kSrv, f::kAck | f::kFin, kC + 1, kS + 1));
  r.OnSegment(Seg(kSrv, kCli, f::kAck | f::kFin, kS + 1, kC + 2));
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 2, kS + 2));
  CHECK(h.log.back() == "end #1 fin C 0/0 S 0/0");
  r.OnSegment(Seg(kCli, kSrv, f::kSyn, 42, 0, "", 2));  // new ISN on the lingering tuple
  r.OnSegment(Seg(kCli, kSrv, f::kAck, 43, 1, "x", 2));
  CHECK(h.log.back() == "#2 C data 'x'");
  r.OnSegment(Seg(kCli, kSrv, f::kSyn, 9000, 0, "", 3));  // open connection, another ISN
  CHECK(h.log[h.log.size() - 2] == "end #2 port_reuse C 1/0 S 0/0");
  CHECK(h.log.back() == "start #3 10.0.0.1:51000 -> 10.0.0.2:80 handshake");
  CHECK(r.stats().port_reuse == 2);
  CHECK(r.stats().connections_seen == 3);
}

TEST_CASE("TcpReassembler: idle timeout, just under and just over", "[tcp][limits]") {
  TcpLimits limits;
  limits.idle_timeout = absl::Seconds(10);
  RecordingHandler h;
  TcpReassembler r(limits, &h);
  Handshake(r, 100);
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 1, kS + 1, "a", 100));
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 3, kS + 1, "c", 100));
  r.Advance(T(110));  // exactly the timeout: still open
  CHECK(r.stats().active == 1);
  r.Advance(T(110.000001));
  CHECK(r.stats().timed_out == 1);
  CHECK(h.log == Log{"start #1 10.0.0.1:51000 -> 10.0.0.2:80 handshake", "#1 C data 'a'",
                     "#1 C gap 1", "#1 C data 'c'", "#1 C end", "#1 S end",
                     "end #1 idle_timeout C 2/1 S 0/0"});
  CHECK(h.summaries[0].end == T(100));
  r.Advance(T(50));  // time never goes back
  CHECK(r.table_size() == 0);
}

TEST_CASE("TcpReassembler: FinishAll ends every open connection", "[tcp]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  for (uint16_t port = 40000; port < 40005; ++port) {
    r.OnSegment(Seg(Ep("10.1.1.1", port), kSrv, f::kSyn, port, 0));
  }
  CHECK(r.stats().active == 5);
  r.FinishAll(T(2), CloseReason::kEndOfInput);
  CHECK(h.summaries.size() == 5);
  CHECK(r.stats().closed_end_of_input == 5);
  CHECK(r.stats().active == 0);
  CHECK(r.stats().max_active == 5);
}

TEST_CASE("TcpReassembler: connection limit, just under and just over", "[tcp][limits]") {
  TcpLimits limits;
  limits.max_connections = 3;
  RecordingHandler h;
  TcpReassembler r(limits, &h);
  for (uint16_t port = 40000; port < 40003; ++port) {
    r.OnSegment(Seg(Ep("10.1.1.1", port), kSrv, f::kSyn, port, 0, "", port - 39999));
  }
  r.OnSegment(Seg(Ep("10.1.1.1", 40000), kSrv, f::kAck, 40001, 1, "x", 4));  // refresh #1
  CHECK(r.stats().evicted_connection_limit == 0);
  r.OnSegment(Seg(Ep("10.1.1.1", 40003), kSrv, f::kSyn, 7, 0, "", 5));
  CHECK(r.stats().evicted_connection_limit == 1);
  CHECK(h.log.back() == "start #4 10.1.1.1:40003 -> 10.0.0.2:80 handshake");
  CHECK(h.log[h.log.size() - 2] == "end #2 evicted C 0/0 S 0/0");  // least recently active
  CHECK(r.table_size() == 3);
}

TEST_CASE("TcpReassembler: total buffer cap, just under and just over", "[tcp][limits]") {
  for (bool over : {false, true}) {
    TcpLimits limits;
    limits.max_buffered_total = 10;
    RecordingHandler h;
    TcpReassembler r(limits, &h);
    const Endpoint c2 = Ep("10.0.0.3", 52000);
    r.OnSegment(Seg(kCli, kSrv, f::kAck, 100, 1, "hello"));
    r.OnSegment(Seg(kCli, kSrv, f::kAck, 110, 1, "abcdef"));  // 6 held
    r.OnSegment(Seg(c2, kSrv, f::kAck, 100, 1, "x"));
    r.OnSegment(Seg(c2, kSrv, f::kAck, 110, 1, over ? "12345" : "1234"));
    CHECK(r.stats().total_buffer_evictions == (over ? 1 : 0));
    CHECK(r.stats().buffered_bytes == (over ? (size_t)5 : (size_t)10));
    if (over) CHECK(h.log.back() == "#1 C data 'abcdef'");
    r.FinishAll(T(3));
    CHECK(r.stats().buffered_bytes == 0);
  }
}

TEST_CASE("TcpReassembler: connection ids follow base and stride", "[tcp]") {
  RecordingHandler h;
  TcpReassemblerOptions options;
  options.id_base = 3;
  options.id_stride = 4;
  TcpReassembler r(TcpLimits(), &h, options);
  r.OnSegment(Seg(kCli, kSrv, f::kSyn, 1, 0));
  r.OnSegment(Seg(Ep("10.0.0.9", 1234), kSrv, f::kSyn, 1, 0));
  r.FinishAll(T(2));
  CHECK(h.log[0].rfind("start #3 ", 0) == 0);
  CHECK(h.log[1].rfind("start #7 ", 0) == 0);
}

TEST_CASE("TcpReassembler: stats fold in per-connection counters", "[tcp]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  Handshake(r);
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 1, kS + 1, "abcd"));
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 1, kS + 1, "abcd"));
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 9, kS + 1, "ij"));
  r.FinishAll(T(2));
  CHECK(r.stats().bytes_delivered == 6);
  CHECK(r.stats().overlaps == 1);
  CHECK(r.stats().retransmitted_bytes == 4);
  CHECK(r.stats().gaps == 1);
  CHECK(r.stats().missed_bytes == 4);
  CHECK(r.stats().segments == 6);
}

}  // namespace
}  // namespace tcpfollow

namespace tcpfollow {
namespace {

// Fuzzer finding (corpus/fuzz/tcp_reassembly_fuzz/regress_port_reuse_held_bytes): a
// connection ended by port reuse while holding out-of-order bytes left them counted.
TEST_CASE("TcpReassembler: port reuse with held bytes releases them", "[tcp][fuzz]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  Handshake(r);
  r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 5, kS + 1, "held"));
  CHECK(r.stats().buffered_bytes == 4);
  r.OnSegment(Seg(kCli, kSrv, f::kSyn, 12345, 0, "", 2));
  CHECK(h.log[h.log.size() - 2] == "end #1 port_reuse C 4/4 S 0/0");
  CHECK(r.stats().buffered_bytes == 0);
  r.FinishAll(T(3));
  CHECK(r.stats().active == 0);
}

TEST_CASE("TcpReassembler: without a final ACK the FIN close ends after final_ack_wait",
          "[tcp]") {
  RecordingHandler h;
  TcpReassembler r(TcpLimits(), &h);
  Handshake(r);
  r.OnSegment(Seg(kCli, kSrv, f::kAck | f::kFin, kC + 1, kS + 1));
  r.OnSegment(Seg(kSrv, kCli, f::kAck | f::kFin, kS + 1, kC + 2));
  r.Advance(T(1.9));
  CHECK(r.stats().active == 1);
  r.Advance(T(2.1));
  CHECK(h.log.back() == "end #1 fin C 0/0 S 0/0");
  CHECK(r.stats().final_ack_timeouts == 1);
  // At the end of input the reason is still the FINs'.
  TcpReassembler r2(TcpLimits(), &h);
  Handshake(r2);
  r2.OnSegment(Seg(kCli, kSrv, f::kAck | f::kFin, kC + 1, kS + 1));
  r2.OnSegment(Seg(kSrv, kCli, f::kAck | f::kFin, kS + 1, kC + 2));
  r2.FinishAll(T(1));
  CHECK(h.log.back() == "end #1 fin C 0/0 S 0/0");
}

TEST_CASE("TcpReassembler: bad checksums are counted; dropped only with verify_checksums",
          "[tcp]") {
  for (bool verify : {false, true}) {
    RecordingHandler h;
    TcpLimits limits;
    limits.verify_checksums = verify;
    TcpReassembler r(limits, &h);
    Handshake(r);
    TcpSegment bad = Seg(kCli, kSrv, f::kAck, kC + 1, kS + 1, "abc");
    bad.bad_checksum = true;
    r.OnSegment(bad);
    r.OnSegment(Seg(kCli, kSrv, f::kAck, kC + 4, kS + 1, "def"));
    r.FinishAll(T(2));
    INFO("verify " << verify);
    CHECK(r.stats().bad_checksums == 1);
    CHECK(r.stats().bad_checksums_dropped == (verify ? 1 : 0));
    CHECK(h.summaries[0].dir[0].bad_checksums == 1);
    CHECK(h.summaries[0].dir[0].bytes == (verify ? 3 : 6));
    CHECK(h.summaries[0].dir[0].missed_bytes == (verify ? 3 : 0));
  }
}

}  // namespace
}  // namespace tcpfollow
