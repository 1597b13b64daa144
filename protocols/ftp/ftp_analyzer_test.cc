// FtpAnalyzer/FtpDataAnalyzer: control records, multi-line replies, data-channel
// expectations (PASV, EPSV, PORT, EPRT; IPv4 and IPv6; NAT), transfers tied to their
// command in every order, AUTH TLS handoff, limits and the address parsers. Control
// conversations are also fed byte by byte and split at every point.
#include "protocols/ftp/ftp_analyzer.h"

#include <catch2/catch.hpp>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "testing/memory_output.h"

namespace tcpfollow {
namespace {

constexpr Direction kC = Direction::kClientToServer;
constexpr Direction kS = Direction::kServerToClient;

absl::Time T(int s = 0) { return absl::FromUnixSeconds(1700000000 + s); }

ConnectionInfo Control(const char* client = "10.0.0.1", const char* server = "10.0.0.2") {
  ConnectionInfo c;
  c.id = 1;
  c.client = {IpAddress::FromString(client), 40000};
  c.server = {IpAddress::FromString(server), 21};
  return c;
}

ConnectionInfo DataConn(uint64_t id, const Endpoint& client, const Endpoint& server) {
  ConnectionInfo c;
  c.id = id;
  c.client = client;
  c.server = server;
  return c;
}

std::unique_ptr<Analyzer> Connect(testing::MemoryOutput& out, size_t expectation, uint64_t id) {
  REQUIRE(out.expectations().size() > expectation);
  const auto& e = out.expectations()[expectation];
  Endpoint from{e.client, 50000};
  std::unique_ptr<Analyzer> data = e.factory(DataConn(id, from, e.server));
  REQUIRE(std::string(data->service()) == "ftp-data");
  return data;
}

const char kLogin[] =
    "USER alice\r\nPASS s3cret\r\n";

TEST_CASE("FtpAnalyzer: passive RETR becomes a named object and one record", "[ftp]") {
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out);
  ftp.OnData(kS, T(), "220 ProFTPD ready\r\n");
  ftp.OnData(kC, T(), kLogin);
  ftp.OnData(kS, T(), "331 password please\r\n230-Welcome\r\n230-to the server\r\n230 Logged in\r\n");
  ftp.OnData(kC, T(1), "PASV\r\n");
  ftp.OnData(kS, T(1), "227 Entering Passive Mode (10,0,0,2,195,80).\r\n");
  REQUIRE(out.expectations().size() == 1);
  CHECK(out.expectations()[0].client == IpAddress::FromString("10.0.0.1"));
  CHECK(out.expectations()[0].server.ToString() == "10.0.0.2:50000");
  auto data = Connect(out, 0, 2);
  ftp.OnData(kC, T(2), "RETR /pub/file.pdf\r\n");
  ftp.OnData(kS, T(2), "150 Opening BINARY mode\r\n");
  data->OnData(kS, T(2), "%PDF-1.4 ");
  data->OnData(kS, T(2), "rest of file");
  data->OnEnd(kS, T(3));
  ftp.OnData(kS, T(3), "226 Transfer complete\r\n");
  data->OnClose(T(3));
  ftp.OnClose(T(4));
  auto records = out.records("ftp");
  REQUIRE(records.size() == 4);
  CHECK(records[1]["command"] == "PASS");
  CHECK(records[1]["reply_code"] == 230);
  CHECK(records[1]["reply_msg"] == "Logged in");
  CHECK(records[2]["command"] == "PASV");
  CHECK(records[2]["data_channel.resp_p"] == 50000);
  const nlohmann::json& retr = records[3];
  CHECK(retr["command"] == "RETR");
  CHECK(retr["arg"] == "/pub/file.pdf");
  CHECK(retr["user"] == "alice");
  CHECK(retr["password"] == "s3cret");
  CHECK(retr["reply_code"] == 226);
  CHECK(retr["data_channel.passive"] == true);
  CHECK(retr["data_channel.orig_h"] == "10.0.0.1");
  CHECK(retr["data_channel.resp_h"] == "10.0.0.2");
  CHECK(retr["data_channel.resp_p"] == 50000);
  CHECK(retr["file_size"] == 21);
  CHECK(retr["mime_type"] == "application/pdf");
  const auto* object = out.FindObject(retr["fuid"]);
  REQUIRE(object != nullptr);
  CHECK(object->meta.name == "/pub/file.pdf");
  CHECK(object->meta.source == "ftp");
  CHECK(object->data == "%PDF-1.4 rest of file");
  CHECK(object->conn_id == 2);
}

TEST_CASE("FtpAnalyzer: data before the command is held and named later", "[ftp]") {
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out);
  ftp.OnData(kS, T(), "220 ready\r\n");
  ftp.OnData(kC, T(), "PASV\r\n");
  ftp.OnData(kS, T(), "227 Entering Passive Mode (10,0,0,2,4,1)\r\n");
  auto data = Connect(out, 0, 2);
  SECTION("data still open when the command arrives") {
    data->OnData(kS, T(1), "early bytes ");
    ftp.OnData(kC, T(1), "RETR a.txt\r\n");
    data->OnData(kS, T(1), "late bytes");
    data->OnClose(T(2));
  }
  SECTION("data finished before the command arrives") {
    data->OnData(kS, T(1), "early bytes late bytes");
    data->OnClose(T(2));
    ftp.OnData(kC, T(1), "RETR a.txt\r\n");
  }
  ftp.OnData(kS, T(2), "150 go\r\n226 done\r\n");
  ftp.OnClose(T(3));
  auto records = out.records("ftp");
  REQUIRE(records.size() == 2);
  const auto* object = out.FindObject(records[1]["fuid"]);
  REQUIRE(object != nullptr);
  CHECK(object->meta.name == "a.txt");
  CHECK(object->data == "early bytes late bytes");
  CHECK(records[1]["mime_type"] == "text/plain");
}

TEST_CASE("FtpAnalyzer: active PORT and LIST output", "[ftp]") {
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out);
  ftp.OnData(kS, T(), "220 ready\r\n");
  ftp.OnData(kC, T(), "PORT 10,0,0,1,7,208\r\n");
  ftp.OnData(kS, T(), "200 PORT ok\r\n");
  REQUIRE(out.expectations().size() == 1);
  CHECK(out.expectations()[0].client == IpAddress::FromString("10.0.0.2"));  // server connects
  CHECK(out.expectations()[0].server.ToString() == "10.0.0.1:2000");
  ftp.OnData(kC, T(), "LIST\r\n");
  auto data = Connect(out, 0, 3);
  ftp.OnData(kS, T(), "150 listing\r\n");
  data->OnData(kC, T(), "-rw-r--r-- 1 ftp ftp 10 a.txt\r\n");  // data conn client = FTP server
  data->OnEnd(kC, T());
  ftp.OnData(kS, T(), "226 done\r\n");
  ftp.OnClose(T());
  auto records = out.records("ftp");
  REQUIRE(records.size() == 2);
  CHECK(records[1]["command"] == "LIST");
  CHECK(records[1]["data_channel.passive"] == false);
  CHECK(records[1]["data_channel.orig_h"] == "10.0.0.2");
  CHECK(records[1]["data_channel.resp_p"] == 2000);
  const auto* object = out.FindObject(records[1]["fuid"]);
  REQUIRE(object != nullptr);
  CHECK(object->meta.name == "LIST");
  CHECK(object->meta.mime_type == "text/plain");
  CHECK(object->data == "-rw-r--r-- 1 ftp ftp 10 a.txt\r\n");
}

TEST_CASE("FtpAnalyzer: active data connection opened before the PORT reply", "[ftp]") {
  // pyftpdlib connects to the client first and only then answers 200; the expectation
  // must exist from the PORT command on (corpus/ftp/modes.pcap records this order).
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out);
  ftp.OnData(kS, T(), "220 ready\r\n");
  ftp.OnData(kC, T(), "PORT 10,0,0,1,7,208\r\n");
  REQUIRE(out.expectations().size() == 1);
  auto data = Connect(out, 0, 3);
  ftp.OnData(kS, T(), "200 Active data connection established.\r\n");
  ftp.OnData(kC, T(), "RETR f.bin\r\n");
  ftp.OnData(kS, T(), "150 sending\r\n");
  data->OnData(kC, T(), "0123456789");
  data->OnEnd(kC, T());
  ftp.OnData(kS, T(), "226 done\r\n");
  ftp.OnClose(T());
  auto records = out.records("ftp");
  REQUIRE(records.size() == 2);
  CHECK(records[0]["command"] == "PORT");
  CHECK(records[0]["data_channel.resp_p"] == 2000);
  CHECK(records[1]["command"] == "RETR");
  const auto* object = out.FindObject(records[1]["fuid"]);
  REQUIRE(object != nullptr);
  CHECK(object->meta.name == "f.bin");
  CHECK(object->data == "0123456789");
}

TEST_CASE("FtpAnalyzer: a refused PORT is not used by the next transfer", "[ftp]") {
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out);
  ftp.OnData(kS, T(), "220 ready\r\n");
  ftp.OnData(kC, T(), "PORT 10,0,0,1,7,208\r\n");
  ftp.OnData(kS, T(), "500 Illegal PORT command\r\n");
  ftp.OnData(kC, T(), "RETR f.bin\r\n");
  ftp.OnData(kS, T(), "425 Use PORT or PASV first\r\n");
  ftp.OnClose(T());
  auto records = out.records("ftp");
  REQUIRE(records.size() == 2);
  CHECK_FALSE(records[0].contains("data_channel.resp_p"));
  CHECK(records[1]["reply_code"] == 425);
  CHECK_FALSE(records[1].contains("data_channel.resp_p"));
}

TEST_CASE("FtpAnalyzer: EPSV and EPRT over IPv6", "[ftp]") {
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control("2001:db8::1", "2001:db8::2"), &out);
  ftp.OnData(kS, T(), "220 ready\r\n");
  ftp.OnData(kC, T(), "EPSV\r\n");
  ftp.OnData(kS, T(), "229 Entering Extended Passive Mode (|||6446|)\r\n");
  ftp.OnData(kC, T(), "EPRT |2|2001:db8::1|5282|\r\n");
  ftp.OnData(kS, T(), "200 EPRT ok\r\n");
  REQUIRE(out.expectations().size() == 2);
  CHECK(out.expectations()[0].server.ToString() == "[2001:db8::2]:6446");
  CHECK(out.expectations()[1].client == IpAddress::FromString("2001:db8::2"));
  CHECK(out.expectations()[1].server.ToString() == "[2001:db8::1]:5282");
  // STOR uses the most recent announcement (EPRT).
  ftp.OnData(kC, T(), "STOR up.bin\r\n");
  auto data = Connect(out, 1, 4);
  ftp.OnData(kS, T(), "150 ok\r\n");
  data->OnData(kS, T(), std::string("\x00\x01\x02", 3));
  data->OnClose(T());
  ftp.OnData(kS, T(), "226 stored\r\n");
  ftp.OnClose(T());
  auto records = out.records("ftp");
  REQUIRE(records.size() == 3);
  CHECK(records[2]["data_channel.resp_h"] == "2001:db8::1");
  CHECK(records[2]["file_size"] == 3);
  CHECK(out.FindObject(records[2]["fuid"])->meta.name == "up.bin");
}

TEST_CASE("FtpAnalyzer: NAT announcement registers both addresses", "[ftp]") {
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out);
  ftp.OnData(kS, T(), "220 ready\r\n");
  ftp.OnData(kC, T(), "PASV\r\n");
  ftp.OnData(kS, T(), "227 Entering Passive Mode (192,168,1,5,0,21)\r\n");
  REQUIRE(out.expectations().size() == 2);
  CHECK(out.expectations()[0].server.ToString() == "192.168.1.5:21");
  CHECK(out.expectations()[1].server.ToString() == "10.0.0.2:21");
}

TEST_CASE("FtpAnalyzer: failed RETR logs at once without a file", "[ftp]") {
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out);
  ftp.OnData(kS, T(), "220 ready\r\n");
  ftp.OnData(kC, T(), "PASV\r\n");
  ftp.OnData(kS, T(), "227 (10,0,0,2,4,1)\r\n");
  ftp.OnData(kC, T(), "RETR ../../etc/shadow\r\n");
  ftp.OnData(kS, T(), "550 No such file\r\n");
  auto records = out.records("ftp");
  REQUIRE(records.size() == 2);
  CHECK(records[1]["reply_code"] == 550);
  CHECK_FALSE(records[1].contains("fuid"));
}

TEST_CASE("FtpAnalyzer: transfer still open at control close is logged", "[ftp]") {
  testing::MemoryOutput out;
  auto ftp = std::make_unique<FtpAnalyzer>(Control(), &out);
  ftp->OnData(kS, T(), "220 ready\r\n");
  ftp->OnData(kC, T(), "PASV\r\n");
  ftp->OnData(kS, T(), "227 (10,0,0,2,4,1)\r\n");
  auto data = Connect(out, 0, 2);
  ftp->OnData(kC, T(), "RETR ../../x\r\n");
  ftp->OnData(kS, T(), "150 go\r\n");
  data->OnData(kS, T(), "abc");
  ftp->OnClose(T(1));
  ftp.reset();  // the data analyzer keeps the session alive
  auto records = out.records("ftp");
  REQUIRE(records.size() == 2);
  CHECK(records[1]["reply_code"] == 150);
  data->OnClose(T(2));
  REQUIRE(out.objects().size() == 1);
  CHECK(out.objects()[0].meta.name == "../../x");  // as seen; the output layer sanitises
  CHECK(out.objects()[0].data == "abc");
  CHECK(out.objects()[0].finished);
}

TEST_CASE("FtpAnalyzer: AUTH TLS hands off after the 234 reply", "[ftp][tls]") {
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out);
  ftp.OnData(kS, T(), "220 ready\r\n");
  ftp.OnData(kC, T(), "AUTH TLS\r\n");
  std::string reply = "234 AUTH TLS ok\r\n\x16\x03\x01";
  CHECK(ftp.OnData(kS, T(), reply) == reply.size() - 3);
  REQUIRE(ftp.handoff() != nullptr);
  CHECK(ftp.handoff()->to == kTlsStage);
  CHECK(ftp.handoff()->inner == "ftp");
  CHECK(ftp.handoff()->facts.continued);
  testing::MemoryOutput after;
  FtpAnalyzer plain(Control(), &after, FtpLimits(), /*after_tls=*/true);
  plain.OnData(kC, T(), "USER bob\r\n");
  plain.OnData(kS, T(), "331 pass\r\n");
  auto records = after.records("ftp");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["tls"] == true);
  CHECK(records[0]["user"] == "bob");
}

TEST_CASE("FtpAnalyzer: a PROT P data channel hands over to TLS; its plaintext is stored",
          "[ftp][tls]") {
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out, FtpLimits(), /*after_tls=*/true);
  ftp.OnData(kC, T(), "PROT P\r\nPASV\r\n");
  ftp.OnData(kS, T(), "200 ok\r\n227 (10,0,0,2,4,1)\r\n");
  auto data = Connect(out, 0, 2);
  ftp.OnData(kC, T(), "RETR f.bin\r\n");
  // The data connection's first bytes are TLS: nothing consumed, handed over.
  CHECK(data->OnData(kS, T(), "\x16\x03\x01 hello") == 0);
  REQUIRE(data->handoff() != nullptr);
  CHECK(data->handoff()->to == kTlsStage);
  std::unique_ptr<Analyzer> plain = std::move(data->TakeHandoff()->successor);
  REQUIRE(plain != nullptr);
  CHECK(data->handoff() == nullptr);  // taken once
  CHECK(data->handed_off());          // and the analyzer consumes nothing more
  data->OnClose(T());                       // the handed-off analyzer ends nothing
  CHECK(out.objects().empty());
  SECTION("decrypted: the transfer is stored like a cleartext one") {
    CHECK(plain->OnData(kS, T(), "secret ") == 7);
    CHECK(plain->OnData(kS, T(), "bytes") == 5);
    plain->OnEnd(kS, T());
    plain->OnClose(T());
    ftp.OnData(kS, T(), "150 go\r\n226 ok\r\n");
    auto records = out.records("ftp");
    REQUIRE(records.size() == 3);
    CHECK(records[2]["encrypted"] == true);
    CHECK(records[2]["decrypted"] == true);
    REQUIRE(out.objects().size() == 1);
    CHECK(out.objects()[0].data == "secret bytes");
    CHECK(out.objects()[0].meta.name == "f.bin");
    CHECK(records[2]["fuid"] == out.objects()[0].fuid);
  }
  SECTION("not decrypted (no keys): flagged, the record still written") {
    plain.reset();  // the TLS stage never made it
    ftp.OnData(kS, T(), "150 go\r\n226 ok\r\n");
    auto records = out.records("ftp");
    REQUIRE(records.size() == 3);
    CHECK(records[2]["encrypted"] == true);
    CHECK_FALSE(records[2].contains("decrypted"));
    CHECK(out.objects().empty());
  }
}

std::string RunControl(const std::vector<std::pair<Direction, std::string>>& turns,
                       size_t piece, size_t split) {
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out);
  for (const auto& [dir, bytes] : turns) {
    absl::string_view rest = bytes;
    std::vector<absl::string_view> parts;
    if (piece > 0) {
      for (size_t i = 0; i < rest.size(); i += piece) parts.push_back(rest.substr(i, piece));
    } else if (split > 0 && split < rest.size()) {
      parts = {rest.substr(0, split), rest.substr(split)};
    } else {
      parts = {rest};
    }
    for (absl::string_view p : parts) REQUIRE(ftp.OnData(dir, T(), p) == p.size());
  }
  ftp.OnClose(T());
  std::string log;
  for (const auto& [name, records] : out.all_records()) {
    for (const auto& r : records) absl::StrAppend(&log, name, " ", r.dump(), "\n");
  }
  for (const auto& e : out.expectations()) absl::StrAppend(&log, e.server.ToString(), "\n");
  return log;
}

TEST_CASE("FtpAnalyzer: whole, byte by byte and split at every point agree", "[ftp]") {
  std::vector<std::pair<Direction, std::string>> turns = {
      {kS, "220-Hello\r\n220-second line\r\n220 ready\r\n"},
      {kC, "USER anonymous\r\nPASS a@b\r\n"},
      {kS, "331 ok\r\n230 in\r\n"},
      {kC, "CWD /pub\r\nPWD\r\nTYPE I\r\nMODE S\r\nSIZE x\r\nREST 0\r\n"},
      {kS, "250 ok\r\n257 \"/pub\"\r\n200 I\r\n200 S\r\n213 100\r\n350 rest\r\n"},
      {kC, "EPSV\r\nMLSD\r\nRNFR a\r\nRNTO b\r\nDELE b\r\nSTOU\r\nAPPE c\r\nNLST\r\nQUIT\r\n"},
      {kS, "229 (|||1234|)\r\n150 x\r\n226 y\r\n350 z\r\n250 r\r\n250 d\r\n"
           "425 no data\r\n425 no data\r\n425 no data\r\n221-bye\r\n221 bye\r\n"}};
  std::string expected = RunControl(turns, 0, 0);
  CHECK(RunControl(turns, 1, 0) == expected);
  for (size_t split = 1; split < 200; ++split) {
    std::string got = RunControl(turns, 0, split);
    if (got != expected) FAIL("split at " << split << ":\n" << got);
  }
  CHECK(expected.find("\"command\":\"RNTO\"") != std::string::npos);
  CHECK(expected.find("\"reply_msg\":\"bye\"") != std::string::npos);
  CHECK(expected.find("\"command\":\"QUIT\"") != std::string::npos);
  CHECK(expected.find("10.0.0.2:1234") != std::string::npos);
}

TEST_CASE("FtpAnalyzer: command line limit just under and just over", "[ftp][limits]") {
  FtpLimits limits;
  limits.max_command_line_bytes = 32;
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out, limits);
  ftp.OnData(kS, T(), "220 ready\r\n");
  ftp.OnData(kC, T(), "USER " + std::string(25, 'u') + "\r\n");  // 32 bytes
  ftp.OnData(kS, T(), "331 ok\r\n");
  CHECK(ftp.stats().long_lines == 0);
  ftp.OnData(kC, T(), "USER " + std::string(26, 'v') + "\r\n");  // 33 bytes
  ftp.OnData(kS, T(), "331 ok\r\n");
  CHECK(ftp.stats().long_lines == 1);
  std::string endless(1 << 20, 'w');
  for (int i = 0; i < 10; ++i) ftp.OnData(kC, T(), endless);
  ftp.OnData(kC, T(), "\r\nUSER z\r\n");
  ftp.OnData(kS, T(), "500 what\r\n331 ok\r\n");
  CHECK(ftp.stats().long_lines == 2);
  auto records = out.records("ftp");
  REQUIRE(records.size() == 4);
  CHECK(records[0]["user"] == std::string(25, 'u'));
  CHECK(records[3]["user"] == "z");
}

TEST_CASE("FtpAnalyzer: held data over the limit starts an unnamed object", "[ftp][limits]") {
  FtpLimits limits;
  limits.max_unbound_bytes = 8;
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out, limits);
  ftp.OnData(kS, T(), "220 ready\r\n");
  ftp.OnData(kC, T(), "PASV\r\n");
  ftp.OnData(kS, T(), "227 (10,0,0,2,4,1)\r\n");
  auto data = Connect(out, 0, 2);
  data->OnData(kS, T(), "12345678");
  CHECK(out.objects().empty());
  data->OnData(kS, T(), "9");
  REQUIRE(out.objects().size() == 1);
  CHECK(out.objects()[0].meta.name.empty());
  CHECK(ftp.stats().unbound_overflow == 1);
  data->OnClose(T());
  CHECK(out.objects()[0].data == "123456789");
}

TEST_CASE("FtpAnalyzer: gap in data marks the transfer partial", "[ftp]") {
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out);
  ftp.OnData(kS, T(), "220 ready\r\n");
  ftp.OnData(kC, T(), "PASV\r\nRETR f\r\n");
  ftp.OnData(kS, T(), "227 (10,0,0,2,4,1)\r\n");
  auto data = Connect(out, 0, 2);
  data->OnData(kS, T(), "ab");
  data->OnGap(kS, T(), 10);
  data->OnData(kS, T(), "cd");
  data->OnClose(T());
  ftp.OnData(kS, T(), "150 go\r\n226 ok\r\n");
  auto records = out.records("ftp");
  REQUIRE(records.size() == 2);
  CHECK(records[1]["partial"] == true);
  CHECK(out.FindObject(records[1]["fuid"])->extra["partial"] == true);
}

TEST_CASE("FtpAnalyzer: missing_bytes counts what the 150 reply announced and never came",
          "[ftp]") {
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out);
  ftp.OnData(kS, T(), "220 ready\r\n");
  ftp.OnData(kC, T(), "PASV\r\n");
  ftp.OnData(kS, T(), "227 (10,0,0,2,4,1)\r\n");
  auto data = Connect(out, 0, 2);
  ftp.OnData(kC, T(1), "RETR big.bin\r\n");
  ftp.OnData(kS, T(1), "150 Opening BINARY mode data connection for big.bin (100 bytes).\r\n");
  data->OnData(kS, T(2), std::string(30, 'a'));
  data->OnGap(kS, T(2), 20);
  data->OnData(kS, T(2), std::string(10, 'b'));
  data->OnClose(T(3));  // the rest (40 bytes) was never captured
  ftp.OnData(kS, T(3), "226 Transfer complete\r\n");
  ftp.OnClose(T(4));
  auto records = out.records("ftp");
  REQUIRE(records.size() == 2);
  CHECK(records[1]["partial"] == true);
  const auto* obj = out.FindObject(records[1]["fuid"]);
  REQUIRE(obj != nullptr);
  CHECK(obj->extra["missing_bytes"] == 60);
  CHECK(obj->extra["partial"] == true);
  CHECK(obj->extra["command"] == "RETR");
  CHECK(obj->extra["arg"] == "big.bin");
  CHECK(obj->meta.sender == Direction::kServerToClient);
}

TEST_CASE("FtpAnalyzer: a SIZE answer gives a RETR its length; REST and other files do not",
          "[ftp]") {
  auto run = [](const std::string& before, const std::string& file) {
    testing::MemoryOutput out;
    FtpAnalyzer ftp(Control(), &out);
    ftp.OnData(kS, T(), "220 ready\r\n");
    ftp.OnData(kC, T(), "SIZE f.bin\r\n");
    ftp.OnData(kS, T(), "213 50\r\n");
    if (!before.empty()) {
      ftp.OnData(kC, T(), before);
      ftp.OnData(kS, T(), "350 ok\r\n");
    }
    ftp.OnData(kC, T(), "EPSV\r\n");
    ftp.OnData(kS, T(), "229 Entering Extended Passive Mode (|||4097|)\r\n");
    auto data = Connect(out, 0, 2);
    ftp.OnData(kC, T(), "RETR " + file + "\r\n");
    ftp.OnData(kS, T(), "150 File status okay.\r\n");
    data->OnData(kS, T(), std::string(20, 'x'));
    data->OnClose(T(1));
    ftp.OnData(kS, T(1), "226 ok\r\n");
    ftp.OnClose(T(2));
    REQUIRE(out.objects().size() == 1);
    return out.objects()[0].extra;
  };
  nlohmann::json sized = run("", "f.bin");
  CHECK(sized["missing_bytes"] == 30);
  CHECK(sized["partial"] == true);
  nlohmann::json restarted = run("REST 10\r\n", "f.bin");
  CHECK(!restarted.contains("missing_bytes"));
  CHECK(!restarted.contains("partial"));
  nlohmann::json other = run("", "g.bin");
  CHECK(!other.contains("missing_bytes"));
}

TEST_CASE("FTP address parsers", "[ftp]") {
  CHECK(ParsePasvReply("Entering Passive Mode (192,168,0,1,4,1)")->ToString() ==
        "192.168.0.1:1025");
  CHECK(ParsePasvReply("Entering Passive Mode 10,1,2,3,0,21")->ToString() == "10.1.2.3:21");
  CHECK_FALSE(ParsePasvReply("Entering Passive Mode (300,1,2,3,0,21)"));
  CHECK_FALSE(ParsePasvReply("(1,2,3,4,5)"));
  CHECK(*ParseEpsvReply("Entering Extended Passive Mode (|||6446|)") == 6446);
  CHECK(*ParseEpsvReply("ok (!!!21!)") == 21);
  CHECK_FALSE(ParseEpsvReply("(|||70000|)"));
  CHECK_FALSE(ParseEpsvReply("no parens"));
  CHECK(ParsePortArg("10,0,0,1,7,208")->ToString() == "10.0.0.1:2000");
  CHECK(ParseEprtArg("|1|132.235.1.2|6275|")->ToString() == "132.235.1.2:6275");
  CHECK(ParseEprtArg("|2|1080::8:800:200C:417A|5282|")->ToString() ==
        "[1080::8:800:200c:417a]:5282");
  CHECK_FALSE(ParseEprtArg("|1|::1|5282|"));
  CHECK_FALSE(ParseEprtArg("|3|x|1|"));
  CHECK_FALSE(ParseEprtArg(""));
}

TEST_CASE("LooksLikeFtp: greeting plus FTP commands", "[ftp]") {
  CHECK(LooksLikeFtp("USER anonymous\r\n", "220 ProFTPD Server\r\n"));
  CHECK(LooksLikeFtp("AUTH TLS\r\n", "220-hello\r\n220 ok\r\n"));
  CHECK(LooksLikeFtp("", "220 (vsFTPd 3.0.3)\r\n"));
  CHECK_FALSE(LooksLikeFtp("EHLO x\r\n", "220 mx ESMTP\r\n"));
  CHECK_FALSE(LooksLikeFtp("", "220 mx ESMTP FTP-free SMTP\r\n"));
  CHECK_FALSE(LooksLikeFtp("USER x\r\n", "SSH-2.0-OpenSSH\r\n"));
}

// Commands and replies of one session, one line per call, each a second apart; `gap_before`
// names lines whose segment the capture lost (each on a line boundary).
std::vector<nlohmann::json> Session(const std::vector<std::pair<Direction, std::string>>& lines,
                                    const std::set<size_t>& gap_before) {
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out);
  int t = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (gap_before.count(i)) {
      ftp.OnGap(lines[i].first, T(t), lines[i].second.size());
      continue;
    }
    ftp.OnData(lines[i].first, T(++t), lines[i].second);
  }
  ftp.OnClose(T(++t));
  return out.records("ftp");
}

TEST_CASE("FtpAnalyzer: after a gap, pairing recovers at the next line", "[ftp][gap]") {
  std::vector<std::pair<Direction, std::string>> lines = {
      {kS, "220 ready\r\n"},   {kC, "USER a\r\n"},         {kS, "331 pass\r\n"},
      {kC, "PASS b\r\n"},      {kS, "230 in\r\n"},         {kC, "PWD\r\n"},
      {kS, "257 \"/\"\r\n"},     {kC, "TYPE I\r\n"},       {kS, "200 type I\r\n"},
      {kC, "NOOP\r\n"},        {kS, "200 noop\r\n"},       {kC, "CWD x\r\n"},
      {kS, "250 cwd\r\n"},     {kC, "QUIT\r\n"},           {kS, "221 bye\r\n"}};
  // The reply to PWD (6) and the NOOP command (9) are missing from the capture.
  auto r = Session(lines, {6, 9});
  REQUIRE(r.size() == 6);
  CHECK(r[2]["command"] == "PWD");
  CHECK(r[2]["reply_lost"] == true);
  CHECK(!r[2].contains("reply_code"));
  CHECK(r[3]["command"] == "TYPE");  // the first line after the gap is not dropped
  CHECK(r[3]["reply_code"] == 200);
  CHECK(r[3]["reply_msg"] == "type I");
  CHECK(r[4]["command"] == "CWD");  // "200 noop" answered nothing we saw
  CHECK(r[4]["reply_code"] == 250);
  CHECK(r[5]["command"] == "QUIT");
  CHECK(r[5]["reply_code"] == 221);
}

TEST_CASE("FtpAnalyzer: a gap that ends inside a line drops only that line's tail",
          "[ftp][gap]") {
  testing::MemoryOutput out;
  FtpAnalyzer ftp(Control(), &out);
  ftp.OnData(kS, T(1), "220 ready\r\n");
  ftp.OnData(kC, T(2), "SYST\r\n");
  ftp.OnData(kS, T(3), "215 UN");
  ftp.OnGap(kS, T(3), 4);
  ftp.OnData(kS, T(3), "pe: L8\r\n");
  ftp.OnData(kC, T(4), "PWD\r\n");
  ftp.OnData(kS, T(5), "257 \"/\"\r\n");
  ftp.OnClose(T(6));
  auto r = out.records("ftp");
  REQUIRE(r.size() == 2);
  CHECK(r[0]["command"] == "SYST");
  CHECK(r[0]["reply_lost"] == true);
  CHECK(r[1]["command"] == "PWD");
  CHECK(r[1]["reply_code"] == 257);
  CHECK(ftp.stats().lines_dropped_after_gap == 1);
}

TEST_CASE("FtpAnalyzer: malformed reply lines do not shift the pairing", "[ftp]") {
  auto r = Session({{kS, "220 ready\r\n"},
                    {kC, "FEAT\r\n"},
                    {kS, "99 no features\r\n"},
                    {kC, "STAT\r\n"},
                    {kS, "230_no_space\r\n"},
                    {kC, "HELP\r\n"},
                    {kS, "no code at all\r\n"},
                    {kC, "SYST\r\n"},
                    {kS, "215 UNIX\r\n"}},
                   {});
  REQUIRE(r.size() == 4);
  CHECK(r[0]["reply_code"] == 99);
  CHECK(r[0]["malformed_reply"] == true);
  CHECK(r[1]["reply_code"] == 230);
  CHECK(r[1]["reply_msg"] == "_no_space");
  CHECK(!r[2].contains("reply_code"));
  CHECK(r[2]["reply_msg"] == "no code at all");
  CHECK(r[3]["command"] == "SYST");
  CHECK(r[3]["reply_code"] == 215);
  CHECK(!r[3].contains("malformed_reply"));
}

TEST_CASE("FtpAnalyzer: file_size from the 150 reply when no data connection is seen",
          "[ftp]") {
  auto r = Session({{kS, "220 ready\r\n"},
                    {kC, "PASV\r\n"},
                    {kS, "227 Entering Passive Mode (10,0,0,2,195,80)\r\n"},
                    {kC, "RETR f.bin\r\n"},
                    {kS, "150 Opening BINARY mode data connection for f.bin (8192 bytes)\r\n"},
                    {kS, "226 done\r\n"}},
                   {});
  REQUIRE(r.size() == 2);
  CHECK(r[1]["command"] == "RETR");
  CHECK(r[1]["file_size"] == 8192);
  CHECK(AnnouncedSize("Opening data connection for x (12 bytes).") == 12u);
  CHECK(AnnouncedSize("Opening data connection (mode binary)") == std::nullopt);
}

}  // namespace
}  // namespace tcpfollow

namespace tcpfollow {
namespace {

// Text for most of the sniffing window, then binary: the type must be the same whether the
// file arrives in one piece or in small ones (the object waits for kMimeSniffBytes).
TEST_CASE("FtpAnalyzer: a file's MIME type does not depend on how it arrived", "[ftp][mime]") {
  std::string file(kMimeSniffBytes - 100, 'a');
  file += std::string(1, '\0') + std::string(5000, 'b');
  std::set<std::string> types;
  for (size_t piece : {file.size(), size_t{7}, size_t{1000}}) {
    FtpStats totals;
    FtpLimits limits;
    limits.totals = &totals;
    {
      testing::MemoryOutput out;  // its expectation holds the session: gone before `totals`
      FtpAnalyzer ftp(Control(), &out, limits);
      ftp.OnData(kS, T(), "220 ready\r\n");
      ftp.OnData(kC, T(), "PASV\r\n");
      ftp.OnData(kS, T(), "227 Entering Passive Mode (10,0,0,2,4,1)\r\n");
      ftp.OnData(kC, T(), "RETR f.bin\r\n");
      auto data = Connect(out, 0, 2);
      for (size_t at = 0; at < file.size(); at += piece) {
        data->OnData(kS, T(1), absl::string_view(file).substr(at, piece));
      }
      data->OnEnd(kS, T(2));
      ftp.OnData(kS, T(2), "150 go\r\n226 done\r\n");
      data->OnClose(T(2));
      ftp.OnClose(T(3));
      REQUIRE(out.objects().size() == 1);
      CHECK(out.objects()[0].data == file);
      types.insert(out.objects()[0].meta.mime_type);
    }
    CHECK(totals.sniff.sniffed == 1);
  }
  CHECK(types == std::set<std::string>{"application/octet-stream"});
}

}  // namespace
}  // namespace tcpfollow
