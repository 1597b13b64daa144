// Follow: selecting one connection (uid, endpoints in either order, index), and the
// formats (ASCII turns with gaps marked, hex dump offsets, raw hex, YAML, JSON lines).
#include "tools/session/follow.h"

#include <catch2/catch.hpp>
#include "nlohmann/json.hpp"

namespace tcpfollow {
namespace {

constexpr Direction kC = Direction::kClientToServer;
constexpr Direction kS = Direction::kServerToClient;
const absl::Time kT = absl::FromUnixSeconds(1700000000);

ConnectionInfo Conn() {
  ConnectionInfo c;
  c.id = 3;
  c.client = {IpAddress::FromString("127.0.0.1"), 51000};
  c.server = {IpAddress::FromString("127.0.0.2"), 443};
  return c;
}

FollowHeader Header() {
  FollowHeader h;
  h.uid = "Cabc";
  h.client = Conn().client;
  h.server = Conn().server;
  h.close_reason = "fin";
  h.layer = "tcp";
  h.sent[0] = 18;
  h.sent[1] = 4;
  h.missing[1] = 10;
  return h;
}

FollowTranscript Transcript() {
  FollowTranscript t(1 << 20);
  t.Data(kC, kT, "GET / HTTP/1.1\r\n");
  t.Data(kC, kT, "\r\n");
  t.Gap(kS, kT, 10);
  t.Data(kS, kT, "ok\x01\n");
  return t;
}

TEST_CASE("Follow: a selector names one connection", "[follow]") {
  ConnectionInfo c = Conn();
  CHECK(FollowSelects("", c, "Cabc"));
  CHECK(FollowSelects("Cabc", c, "Cabc"));
  CHECK_FALSE(FollowSelects("Cabd", c, "Cabc"));
  CHECK(FollowSelects("127.0.0.1:51000,127.0.0.2:443", c, "Cabc"));
  CHECK(FollowSelects("127.0.0.2:443,127.0.0.1:51000", c, "Cabc"));
  CHECK_FALSE(FollowSelects("127.0.0.2:443,127.0.0.1:51001", c, "Cabc"));
  CHECK(FollowSelects("2", c, "Cabc"));  // the third connection: index 2
  CHECK_FALSE(FollowSelects("0", c, "Cabc"));
}

TEST_CASE("Follow: ASCII shows turns, server indented, gaps marked", "[follow]") {
  std::string out = RenderFollow(FollowFormat::kAscii, Header(), Transcript());
  CHECK(out.find("Follow: tcp Cabc  127.0.0.1:51000 -> 127.0.0.2:443  (fin)") != std::string::npos);
  CHECK(out.find("\nGET / HTTP/1.1\n") != std::string::npos);
  CHECK(out.find("\n\t[10 bytes missing from the capture]\n\tok.\n") != std::string::npos);
  CHECK(out.find("server sent 4 bytes (10 missing)") != std::string::npos);
}

TEST_CASE("Follow: hex dump, raw and YAML", "[follow]") {
  std::string hex = RenderFollow(FollowFormat::kHex, Header(), Transcript());
  CHECK(hex.find("00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 31 0d 0a  GET / HTTP/1.1..")
        != std::string::npos);
  CHECK(hex.find("    0000000a  6f 6b 01 0a") != std::string::npos);  // after the 10 lost
  std::string raw = RenderFollow(FollowFormat::kRaw, Header(), Transcript());
  CHECK(raw.find("474554202f20485454502f312e310d0a0d0a\n") != std::string::npos);
  CHECK(raw.find("\t6f6b010a\n") != std::string::npos);
  std::string yaml = RenderFollow(FollowFormat::kYaml, Header(), Transcript());
  CHECK(yaml.find("peers:\n  - peer: 0\n    host: 127.0.0.1\n    port: 51000\n") != std::string::npos);
  CHECK(yaml.find("    data: !!binary |\n      b2sBCg==\n") != std::string::npos);
  CHECK(yaml.find("    missing: 10\n") != std::string::npos);
}

TEST_CASE("Follow: JSON is one parseable line per connection", "[follow]") {
  std::string line = RenderFollow(FollowFormat::kJson, Header(), Transcript());
  REQUIRE(line.back() == '\n');
  REQUIRE(line.find('\n') == line.size() - 1);
  nlohmann::json j = nlohmann::json::parse(line);
  CHECK(j["uid"] == "Cabc");
  REQUIRE(j["turns"].size() == 3);
  CHECK(j["turns"][1]["missing"] == 10);
  CHECK(j["turns"][2]["data"] == "b2sBCg==");
}

TEST_CASE("Follow: the transcript is capped", "[follow]") {
  FollowTranscript t(8);
  t.Data(kC, kT, "0123456789");
  t.Data(kS, kT, "x");
  REQUIRE(t.turns().size() == 1);
  CHECK(t.turns()[0].bytes == "01234567");
  CHECK(t.truncated());
}

}  // namespace
}  // namespace tcpfollow
