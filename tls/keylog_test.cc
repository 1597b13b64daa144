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
  KeyLogLimits limits;
  limits.max_entries = 2;
  KeyLogStore s(limits);
  for (char c : std::string("123")) {
    s.AddKeyLogText("CLIENT_RANDOM " + std::string(64, c) + " " + kMaster);
  }
  CHECK(s.size() == 2);
  CHECK(s.stats().full == 1);
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

}  // namespace
}  // namespace tcpfollow::tls
