// KeyLogStore: labels used and ignored, malformed lines, incremental appends split at every
// point, generation changes, limits just under and over.
#include "tls/keylog.h"

#include <catch2/catch.hpp>

namespace tcpfollow::tls {
namespace {

const std::string kRandom(64, 'a');
const std::string kMaster(96, 'b');

std::string SampleLog() {
  return "# comment\n"
         "CLIENT_RANDOM " + kRandom + " " + kMaster + "\n"
         "CLIENT_HANDSHAKE_TRAFFIC_SECRET " + kRandom + " " + std::string(64, 'c') + "\r\n"
         "SERVER_TRAFFIC_SECRET_0 " + kRandom + " " + std::string(96, 'd') + "\n"
         "EXPORTER_SECRET " + kRandom + " " + std::string(64, 'e') + "\n"
         "CLIENT_RANDOM nothex " + kMaster + "\n"
         "CLIENT_RANDOM " + kRandom + "\n"
         "\n"
         "CLIENT_EARLY_TRAFFIC_SECRET " + std::string(64, 'f') + " " + std::string(64, '0');
}

std::string Summary(const KeyLogStore& s) {
  std::string random(32, '\xaa');
  std::string out;
  for (SecretLabel l : {SecretLabel::kClientRandom, SecretLabel::kClientHandshakeTraffic,
                        SecretLabel::kServerHandshakeTraffic, SecretLabel::kServerTraffic0}) {
    auto v = s.Find(l, random);
    out += v ? std::to_string(v->size()) + ":" + std::to_string(static_cast<uint8_t>((*v)[0])) : "-";
    out += ";";
  }
  auto early = s.Find(SecretLabel::kClientEarlyTraffic, std::string(32, '\xff'));
  out += early ? std::to_string(early->size()) : "-";
  KeyLogStats st = s.stats();
  return out + " entries=" + std::to_string(st.entries) + " ignored=" +
         std::to_string(st.ignored_labels) + " malformed=" + std::to_string(st.malformed);
}

TEST_CASE("KeyLogStore: parses used labels, ignores others, counts malformed", "[tls]") {
  KeyLogStore s;
  s.AddKeyLogText(SampleLog());
  CHECK(Summary(s) == "48:187;32:204;-;48:221;32 entries=4 ignored=1 malformed=2");
}

TEST_CASE("KeyLogStore: appended bytes split at every point give the same store", "[tls]") {
  std::string log = SampleLog() + "\n";
  KeyLogStore whole;
  whole.AddKeyLogText(log);
  for (size_t i = 0; i <= log.size(); ++i) {
    KeyLogStore s;
    s.AppendKeyLogBytes(log.substr(0, i));
    s.AppendKeyLogBytes(log.substr(i));
    REQUIRE(Summary(s) == Summary(whole));
  }
  KeyLogStore bytewise;
  for (char c : log) bytewise.AppendKeyLogBytes(std::string(1, c));
  CHECK(Summary(bytewise) == Summary(whole));
}

TEST_CASE("KeyLogStore: a partial last line waits for its newline when tailing", "[tls]") {
  KeyLogStore s;
  std::string line = "CLIENT_RANDOM " + kRandom + " " + kMaster;
  s.AppendKeyLogBytes(line);
  uint64_t g = s.generation();
  CHECK(s.size() == 0);
  s.AppendKeyLogBytes("\n");
  CHECK(s.size() == 1);
  CHECK(s.generation() > g);
  g = s.generation();
  s.AddKeyLogText(line);  // the same secret again: nothing new
  CHECK(s.generation() == g);
}

TEST_CASE("KeyLogStore: limits just under and over", "[tls]") {
  // max_entries 4: two generations of 2; at the fifth secret the oldest two go.
  KeyLogLimits limits;
  limits.max_entries = 4;
  KeyLogStore s(limits);
  auto random = [](char c) { return std::string(32, static_cast<char>(c)); };
  for (char c : std::string("1234")) {
    s.AddKeyLogText("CLIENT_RANDOM " + std::string(64, c) + " " + kMaster);
  }
  CHECK(s.size() == 4);
  CHECK(s.stats().evicted == 0);
  CHECK(s.Find(SecretLabel::kClientRandom, random('\x11')));
  s.AddKeyLogText("CLIENT_RANDOM " + std::string(64, '5') + " " + kMaster);
  CHECK(s.size() == 3);
  CHECK(s.stats().evicted == 2);
  CHECK(!s.Find(SecretLabel::kClientRandom, random('\x11')));
  CHECK(!s.Find(SecretLabel::kClientRandom, random('\x22')));
  CHECK(s.Find(SecretLabel::kClientRandom, random('\x33')));
  CHECK(s.Find(SecretLabel::kClientRandom, random('\x55')));
  KeyLogLimits line_limits;
  std::string line = "CLIENT_RANDOM " + kRandom + " " + kMaster;
  line_limits.max_line_length = line.size();
  KeyLogStore at(line_limits);
  at.AppendKeyLogBytes(line + "\n");
  CHECK(at.size() == 1);
  line_limits.max_line_length = line.size() - 1;
  KeyLogStore over(line_limits);
  over.AppendKeyLogBytes(line + "\n");
  over.AppendKeyLogBytes("CLIENT_RANDOM " + std::string(64, '9') + " " + kMaster.substr(0, 10) + "\n");
  CHECK(over.size() == 0);
  CHECK(over.stats().long_lines == 1);
}

TEST_CASE("KeyLogFeed: a last line without a newline counts once the source is complete", "[tls]") {
  std::string log = "CLIENT_RANDOM " + kRandom + " " + kMaster;  // no newline
  KeyLogStore s;
  KeyLogFeed feed(&s);
  feed.Append(log);
  CHECK(s.size() == 0);  // may still be being written
  feed.Finish();
  CHECK(s.size() == 1);
  CHECK(feed.lines() == 1);
  KeyLogStore text;
  text.AddKeyLogText(log);
  CHECK(text.size() == 1);
}

TEST_CASE("KeyLogFeed: unparsable lines counted with the first line number", "[tls]") {
  KeyLogLimits limits;
  limits.max_line_length = 300;
  std::string log = "# comment\n"
                    "\n"
                    "CLIENT_RANDOM " + kRandom + " " + kMaster + "\n"
                    "EXPORTER_SECRET " + kRandom + " " + std::string(64, 'e') + "\n"  // fine
                    "CLIENT_RANDOM zz " + kMaster + "\n"                              // line 5
                    + std::string(400, 'x') + "\n"                                    // too long
                    "CLIENT_RANDOM " + kRandom + "\n"                                // 2 fields
                    "SERVER_TRAFFIC_SECRET_0 " + std::string(64, '1') + " " + std::string(98, '2');
  // The same whatever the chunking.
  for (size_t split : {size_t{0}, size_t{7}, size_t{200}, log.size() - 3}) {
    KeyLogStore s(limits);
    KeyLogFeed feed(&s);
    feed.Append(log.substr(0, split));
    feed.Append(log.substr(split));
    feed.Finish();
    INFO("split " << split);
    CHECK(feed.lines() == 8);
    CHECK(feed.bad_lines() == 4);
    CHECK(feed.first_bad_line() == 5);
    CHECK(s.size() == 1);
  }
  KeyLogStore good;
  KeyLogFeed clean(&good);
  clean.Append("CLIENT_RANDOM " + kRandom + " " + kMaster + "\n");
  clean.Finish();
  CHECK(clean.bad_lines() == 0);
  CHECK(clean.first_bad_line() == 0);
}

TEST_CASE("KeyLogStore: a client random filter keeps only the capture's sessions", "[tls]") {
  KeyLogStore s;
  s.AddKeyLogText("CLIENT_RANDOM " + std::string(64, '1') + " " + kMaster + "\n" +
                  "CLIENT_RANDOM " + std::string(64, '2') + " " + kMaster + "\n");
  ClientRandomSet keep;
  ClientRandom r;
  r.fill(0x22);
  keep.insert(r);
  r.fill(0x33);
  keep.insert(r);
  s.SetClientRandomFilter(keep);
  CHECK(s.size() == 1);
  s.AddKeyLogText("CLIENT_RANDOM " + std::string(64, '3') + " " + kMaster + "\n" +
                  "CLIENT_RANDOM " + std::string(64, '4') + " " + kMaster + "\n");
  CHECK(s.size() == 2);
  CHECK(s.stats().not_in_capture == 2);
  CHECK(s.Find(SecretLabel::kClientRandom, std::string(32, '\x33')));
  CHECK(!s.Find(SecretLabel::kClientRandom, std::string(32, '\x44')));
}

}  // namespace
}  // namespace tcpfollow::tls
