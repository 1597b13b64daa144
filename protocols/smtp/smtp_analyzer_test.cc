// SmtpAnalyzer: transactions, pipelining, DATA/BDAT, AUTH, STARTTLS handoff, MIME parts,
// limits and gaps. Every conversation is also fed byte by byte and split at every point,
// and must give the same records and objects.
#include "protocols/smtp/smtp_analyzer.h"

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "testing/memory_output.h"

namespace tcpfollow {
namespace {

constexpr Direction kC = Direction::kClientToServer;
constexpr Direction kS = Direction::kServerToClient;

struct Turn {
  Direction dir;
  std::string bytes;
};

ConnectionInfo Conn() {
  ConnectionInfo c;
  c.id = 7;
  c.client = {IpAddress::FromString("10.0.0.1"), 40000};
  c.server = {IpAddress::FromString("10.0.0.2"), 25};
  return c;
}

absl::Time T() { return absl::FromUnixSeconds(1700000000); }

// Feeds turns, each cut into pieces of `piece` bytes (0: whole) or split once at `split`.
std::string Run(const std::vector<Turn>& turns, testing::MemoryOutput* out, size_t piece, size_t split,
                const SmtpLimits& limits = SmtpLimits()) {
  SmtpAnalyzer analyzer(Conn(), out, limits);
  for (const Turn& t : turns) {
    absl::string_view rest = t.bytes;
    std::vector<absl::string_view> parts;
    if (piece > 0) {
      for (size_t i = 0; i < rest.size(); i += piece) parts.push_back(rest.substr(i, piece));
    } else if (split > 0 && split < rest.size()) {
      parts = {rest.substr(0, split), rest.substr(split)};
    } else {
      parts = {rest};
    }
    for (absl::string_view p : parts) {
      size_t used = analyzer.OnData(t.dir, T(), p);
      REQUIRE(used == p.size());
    }
  }
  analyzer.OnClose(T());
  std::string log;
  for (const auto& [name, records] : out->all_records()) {
    for (const auto& r : records) absl::StrAppend(&log, name, " ", r.dump(), "\n");
  }
  for (const auto& o : out->objects()) {
    absl::StrAppend(&log, o.fuid, " ", o.meta.name, " ", o.meta.mime_type, " ", o.finished,
                    " ", o.extra.dump(), " [", o.data, "]\n");
  }
  return log;
}

// Whole, byte by byte, and split at every point must agree; returns the whole-run output.
void RunAllWays(const std::vector<Turn>& turns, testing::MemoryOutput* whole,
                const SmtpLimits& limits = SmtpLimits()) {
  std::string expected = Run(turns, whole, 0, 0, limits);
  {
    testing::MemoryOutput out;
    CHECK(Run(turns, &out, 1, 0, limits) == expected);
  }
  size_t longest = 0;
  for (const Turn& t : turns) longest = std::max(longest, t.bytes.size());
  for (size_t split = 1; split < longest; ++split) {
    testing::MemoryOutput out;
    std::string got = Run(turns, &out, 0, split, limits);
    if (got != expected) {
      FAIL("split at " << split << " differs:\n" << got << "\nexpected:\n" << expected);
    }
  }
}

const char kMessage[] =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.org\r\n"
    "Subject: hello\r\n"
    "Message-ID: <m1@example.com>\r\n"
    "Received: from x ([192.0.2.9]) by y\r\n"
    "Content-Type: multipart/mixed; boundary=B\r\n"
    "\r\n"
    "--B\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "..a line starting with a dot\r\n"
    "--B\r\n"
    "Content-Type: application/pdf\r\n"
    "Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "JVBERi0=\r\n"
    "--B--\r\n";

std::string Unstuffed() {
  std::string m = kMessage;
  m.replace(m.find("..a line"), 2, ".");
  return m;
}

std::vector<Turn> BasicSession() {
  return {{kS, "220 mx.example ESMTP ready\r\n"},
          {kC, "EHLO client.example\r\n"},
          {kS, "250-mx.example\r\n250-PIPELINING\r\n250 CHUNKING\r\n"},
          {kC, "MAIL FROM:<alice@example.com> SIZE=100\r\n"},
          {kS, "250 ok\r\n"},
          {kC, "RCPT TO:<bob@example.org>\r\n"},
          {kS, "250 ok\r\n"},
          {kC, "RCPT TO:<carol@example.net>\r\n"},
          {kS, "250 ok\r\n"},
          {kC, "DATA\r\n"},
          {kS, "354 go ahead\r\n"},
          {kC, std::string(kMessage) + ".\r\n"},
          {kS, "250 2.0.0 queued as X1\r\n"},
          {kC, "QUIT\r\n"},
          {kS, "221 bye\r\n"}};
}

TEST_CASE("SmtpAnalyzer: one transaction, record fields and objects", "[smtp]") {
  testing::MemoryOutput out;
  RunAllWays(BasicSession(), &out);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 1);
  const nlohmann::json& r = records[0];
  CHECK(r["helo"] == "client.example");
  CHECK(r["mailfrom"] == "alice@example.com");
  CHECK(r["rcptto"] == nlohmann::json({"bob@example.org", "carol@example.net"}));
  CHECK(r["from"] == "Alice <alice@example.com>");
  CHECK(r["to"] == nlohmann::json({"bob@example.org"}));
  CHECK(r["subject"] == "hello");
  CHECK(r["msg_id"] == "<m1@example.com>");
  CHECK(r["last_reply"] == "250 2.0.0 queued as X1");
  CHECK(r["path"] == nlohmann::json({"10.0.0.2", "10.0.0.1", "192.0.2.9"}));
  CHECK(r["tls"] == false);
  CHECK(r["trans_depth"] == 1);
  REQUIRE(r["fuids"].size() == 3);
  const auto* eml = out.FindObject(r["fuids"][0]);
  REQUIRE(eml != nullptr);
  CHECK(eml->meta.extension == "eml");
  CHECK(eml->data == Unstuffed());
  // The files.jsonl record names the mail that carried it; complete: not partial.
  CHECK(!eml->extra.contains("partial"));
  CHECK(eml->extra["mailfrom"] == r["mailfrom"]);
  CHECK(eml->extra["rcptto"] == r["rcptto"]);
  CHECK(eml->extra["subject"] == "hello");
  CHECK(eml->meta.sender == Direction::kClientToServer);
  const auto* text = out.FindObject(r["fuids"][1]);
  CHECK(text->data == ".a line starting with a dot");
  const auto* pdf = out.FindObject(r["fuids"][2]);
  CHECK(pdf->meta.name == "../../etc/passwd");  // passed as seen; the output layer sanitises
  CHECK(pdf->meta.mime_type == "application/pdf");
  CHECK(pdf->data == "%PDF-");
}

TEST_CASE("SmtpAnalyzer: pipelined commands matched to replies in order", "[smtp]") {
  testing::MemoryOutput out;
  RunAllWays({{kS, "220 mx ESMTP\r\n"},
              {kC, "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nRCPT TO:<bad@x>\r\nDATA\r\n"},
              {kS, "250 mx\r\n250 ok\r\n250 ok\r\n550 no such user\r\n354 go\r\n"},
              {kC, "Subject: p\r\n\r\nbody\r\n.\r\nMAIL FROM:<c@x>\r\nRCPT TO:<d@x>\r\nDATA\r\n"},
              {kS, "250 first\r\n250 ok\r\n250 ok\r\n354 go\r\n"},
              {kC, "Subject: q\r\n\r\nsecond\r\n.\r\nQUIT\r\n"},
              {kS, "250 second\r\n221 bye\r\n"}},
             &out);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 2);
  CHECK(records[0]["subject"] == "p");
  CHECK(records[0]["last_reply"] == "250 first");
  CHECK(records[0]["rcptto"].size() == 2);
  CHECK(records[1]["subject"] == "q");
  CHECK(records[1]["mailfrom"] == "c@x");
  CHECK(records[1]["trans_depth"] == 2);
  CHECK(records[1]["last_reply"] == "250 second");
  CHECK(out.FindObject(records[1]["fuids"][0])->data == "Subject: q\r\n\r\nsecond\r\n");
}

TEST_CASE("SmtpAnalyzer: RSET logs and clears the envelope", "[smtp]") {
  testing::MemoryOutput out;
  RunAllWays({{kS, "220 mx\r\n"},
              {kC, "HELO c\r\n"}, {kS, "250 mx\r\n"},
              {kC, "MAIL FROM:<a@x>\r\n"}, {kS, "250 ok\r\n"},
              {kC, "RSET\r\n"}, {kS, "250 ok\r\n"},
              {kC, "MAIL FROM:<b@x>\r\n"}, {kS, "250 ok\r\n"},
              {kC, "RCPT TO:<c@x>\r\n"}, {kS, "250 ok\r\n"},
              {kC, "DATA\r\n"}, {kS, "354 go\r\n"},
              {kC, "x\r\n.\r\n"}, {kS, "250 ok\r\n"}},
             &out);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 2);
  CHECK(records[0]["mailfrom"] == "a@x");
  CHECK_FALSE(records[0].contains("fuids"));
  CHECK(records[1]["mailfrom"] == "b@x");
  CHECK(records[1]["rcptto"] == nlohmann::json({"c@x"}));
}

TEST_CASE("SmtpAnalyzer: BDAT chunks and BDAT LAST", "[smtp]") {
  testing::MemoryOutput out;
  RunAllWays({{kS, "220 mx\r\n"},
              {kC, "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\n"},
              {kS, "250 mx\r\n250 ok\r\n250 ok\r\n"},
              {kC, "BDAT 18\r\nSubject: b\r\n\r\n.x\r\nBDAT 4 LAST\r\nend\n"},
              {kS, "250 18 octets\r\n250 message ok\r\n"},
              {kC, "MAIL FROM:<z@x>\r\nRCPT TO:<b@x>\r\nBDAT 0 LAST\r\n"},
              {kS, "250 ok\r\n250 ok\r\n250 empty\r\n"}},
             &out);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 2);
  CHECK(out.FindObject(records[0]["fuids"][0])->data == "Subject: b\r\n\r\n.x\r\nend\n");
  CHECK(records[0]["subject"] == "b");
  CHECK(records[0]["last_reply"] == "250 message ok");
  CHECK(out.FindObject(records[1]["fuids"][0])->data.empty());
  CHECK(records[1]["last_reply"] == "250 empty");
}

TEST_CASE("SmtpAnalyzer: AUTH PLAIN and AUTH LOGIN credentials", "[smtp]") {
  testing::MemoryOutput plain;
  // "\0user1\0secret1"
  RunAllWays({{kS, "220 mx\r\n"}, {kC, "EHLO c\r\n"}, {kS, "250 mx\r\n"},
              {kC, "AUTH PLAIN AHVzZXIxAHNlY3JldDE=\r\n"}, {kS, "235 ok\r\n"},
              {kC, "MAIL FROM:<a@x>\r\n"}, {kS, "250 ok\r\n"}},
             &plain);
  auto r1 = plain.records("smtp");
  REQUIRE(r1.size() == 1);
  CHECK(r1[0]["auth_mechanism"] == "PLAIN");
  CHECK(r1[0]["user"] == "user1");
  CHECK(r1[0]["password"] == "secret1");
  CHECK(r1[0]["auth_success"] == true);

  testing::MemoryOutput login;
  RunAllWays({{kS, "220 mx\r\n"}, {kC, "EHLO c\r\n"}, {kS, "250 mx\r\n"},
              {kC, "AUTH LOGIN\r\n"}, {kS, "334 VXNlcm5hbWU6\r\n"},
              {kC, "dXNlcjI=\r\n"}, {kS, "334 UGFzc3dvcmQ6\r\n"},
              {kC, "cGFzczI=\r\n"}, {kS, "535 bad\r\n"},
              {kC, "QUIT\r\n"}, {kS, "221 bye\r\n"}},
             &login);
  auto r2 = login.records("smtp");
  REQUIRE(r2.size() == 1);
  CHECK(r2[0]["user"] == "user2");
  CHECK(r2[0]["password"] == "pass2");
  CHECK(r2[0]["auth_success"] == false);
}

TEST_CASE("SmtpAnalyzer: rejected DATA keeps parsing commands", "[smtp]") {
  testing::MemoryOutput out;
  RunAllWays({{kS, "220 mx\r\n"}, {kC, "HELO c\r\nMAIL FROM:<a@x>\r\nDATA\r\n"},
              {kS, "250 mx\r\n250 ok\r\n554 no valid recipients\r\n"},
              {kC, "RSET\r\nMAIL FROM:<b@x>\r\n"}, {kS, "250 ok\r\n250 ok\r\n"}},
             &out);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 2);
  CHECK(records[0]["last_reply"] == "554 no valid recipients");
  CHECK(records[1]["mailfrom"] == "b@x");
  CHECK(out.objects().empty());
}

TEST_CASE("SmtpAnalyzer: STARTTLS hands off after the 220 reply", "[smtp][tls]") {
  testing::MemoryOutput out;
  SmtpAnalyzer analyzer(Conn(), &out);
  analyzer.OnData(kS, T(), "220 mx ESMTP\r\n");
  analyzer.OnData(kC, T(), "EHLO c\r\nSTARTTLS\r\n");
  std::string server = "250-mx\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n\x16\x03\x01";
  size_t used = analyzer.OnData(kS, T(), server);
  CHECK(used == server.size() - 3);
  REQUIRE(analyzer.handoff() != nullptr);
  CHECK(analyzer.handoff()->to == kTlsStage);
  CHECK(analyzer.handoff()->inner == "smtp");
  auto records = out.records("smtp");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["helo"] == "c");
  CHECK(records[0]["tls"] == true);

  testing::MemoryOutput after;
  SmtpAnalyzer plain(Conn(), &after, SmtpLimits(), /*after_starttls=*/true);
  plain.OnData(kC, T(), "EHLO c2\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n");
  plain.OnData(kS, T(), "250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n");
  plain.OnData(kC, T(), "hi\r\n.\r\n");
  plain.OnData(kS, T(), "250 ok\r\n");
  plain.OnClose(T());
  auto r2 = after.records("smtp");
  REQUIRE(r2.size() == 1);
  CHECK(r2[0]["helo"] == "c2");
  CHECK(r2[0]["tls"] == true);
  CHECK(after.FindObject(r2[0]["fuids"][0])->data == "hi\r\n");
}

TEST_CASE("SmtpAnalyzer: refused STARTTLS continues in plaintext", "[smtp][tls]") {
  testing::MemoryOutput out;
  RunAllWays({{kS, "220 mx\r\n"}, {kC, "EHLO c\r\nSTARTTLS\r\n"},
              {kS, "250 mx\r\n454 TLS not available\r\n"},
              {kC, "MAIL FROM:<a@x>\r\n"}, {kS, "250 ok\r\n"}},
             &out);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["mailfrom"] == "a@x");
  CHECK(records[0]["tls"] == false);
}

TEST_CASE("SmtpAnalyzer: command line limit just under and just over", "[smtp][limits]") {
  SmtpLimits limits;
  limits.max_command_line_bytes = 64;
  std::string under = "MAIL FROM:<" + std::string(50, 'a') + ">\r";  // 64 with LF
  std::string over = "MAIL FROM:<" + std::string(200, 'b') + ">\r\n";
  testing::MemoryOutput out;
  SmtpAnalyzer analyzer(Conn(), &out, limits);
  analyzer.OnData(kC, T(), "HELO c\r\n" + under + "\n");
  analyzer.OnData(kC, T(), over + "RCPT TO:<r@x>\r\n");
  analyzer.OnClose(T());
  CHECK(analyzer.stats().long_lines == 1);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 2);
  CHECK(records[0]["mailfrom"] == std::string(50, 'a'));
  // The long line is acted on cut at the limit; the next command is parsed normally.
  CHECK(records[1]["mailfrom"].get<std::string>() == std::string(53, 'b'));
  CHECK(records[1]["rcptto"] == nlohmann::json({"r@x"}));
}

TEST_CASE("SmtpAnalyzer: endless line stays bounded", "[smtp][limits]") {
  testing::MemoryOutput out;
  SmtpAnalyzer analyzer(Conn(), &out);
  std::string chunk(1 << 20, 'x');
  for (int i = 0; i < 20; ++i) analyzer.OnData(kC, T(), chunk);
  analyzer.OnData(kC, T(), "\r\nHELO c\r\n");
  analyzer.OnClose(T());
  CHECK(analyzer.stats().long_lines == 1);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["helo"] == "c");
}

TEST_CASE("SmtpAnalyzer: DATA that never ends is a partial message", "[smtp][limits]") {
  testing::MemoryOutput out;
  SmtpAnalyzer analyzer(Conn(), &out);
  analyzer.OnData(kC, T(), "HELO c\r\nMAIL FROM:<a@x>\r\nDATA\r\n");
  analyzer.OnData(kS, T(), "250 mx\r\n250 ok\r\n354 go\r\n");
  std::string line = "Subject: s\r\n\r\n" + std::string(1000, 'y') + "\r\n";
  for (int i = 0; i < 100; ++i) analyzer.OnData(kC, T(), line);
  analyzer.OnClose(T());
  auto records = out.records("smtp");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["partial"] == true);
  const auto* eml = out.FindObject(records[0]["fuids"][0]);
  CHECK(eml->data.size() == line.size() * 100);
  CHECK(eml->extra["partial"] == true);
}

TEST_CASE("SmtpAnalyzer: MIME size limit just under and just over", "[smtp][limits]") {
  std::string body = "Subject: m\r\n\r\nabc\r\n";
  auto session = [&](size_t limit) {
    SmtpLimits limits;
    limits.mime.max_message_bytes = limit;
    testing::MemoryOutput out;
    SmtpAnalyzer analyzer(Conn(), &out, limits);
    analyzer.OnData(kC, T(), "HELO c\r\nMAIL FROM:<a@x>\r\nDATA\r\n");
    analyzer.OnData(kS, T(), "250 mx\r\n250 ok\r\n354 go\r\n");
    analyzer.OnData(kC, T(), body + ".\r\n");
    analyzer.OnData(kS, T(), "250 ok\r\n");
    analyzer.OnClose(T());
    return out.records("smtp").at(0);
  };
  nlohmann::json under = session(body.size());
  CHECK(under["subject"] == "m");
  CHECK_FALSE(under.contains("mime_error"));
  nlohmann::json over = session(body.size() - 1);
  CHECK_FALSE(over.contains("subject"));
  CHECK(over["mime_error"] == "message over the MIME size limit");
  CHECK(over["fuids"].size() == 1);  // the .eml is still written
  CHECK(over["message_bytes"] == body.size());
}

TEST_CASE("SmtpAnalyzer: concurrent messages share one MIME memory budget", "[smtp][limits]") {
  // Two sessions in DATA at once; the budget holds one message, not two. The second is
  // still written as .eml, only its MIME parsing is skipped, and the budget is given back
  // when messages end so that a later message is parsed again.
  const std::string body = "Subject: m\r\n\r\n" + std::string(1000, 'x') + "\r\n";
  SmtpMimeBudget budget;
  budget.limit = body.size() + 10;
  SmtpLimits limits;
  limits.mime_budget = &budget;
  testing::MemoryOutput out1, out2, out3;
  SmtpAnalyzer a(Conn(), &out1, limits), b(Conn(), &out2, limits);
  for (SmtpAnalyzer* s : {&a, &b}) {
    s->OnData(kC, T(), "HELO c\r\nMAIL FROM:<a@x>\r\nDATA\r\n");
    s->OnData(kS, T(), "250 mx\r\n250 ok\r\n354 go\r\n");
  }
  a.OnData(kC, T(), body);
  CHECK(budget.used == body.size());
  b.OnData(kC, T(), body);  // over budget while a holds its copy
  CHECK(budget.used == body.size());
  for (SmtpAnalyzer* s : {&a, &b}) {
    s->OnData(kC, T(), ".\r\n");
    s->OnData(kS, T(), "250 ok\r\n");
    s->OnClose(T());
  }
  CHECK(budget.used == 0);
  CHECK(out1.records("smtp").at(0)["subject"] == "m");
  nlohmann::json second = out2.records("smtp").at(0);
  CHECK_FALSE(second.contains("subject"));
  CHECK(second["mime_error"] ==
        "MIME parsing skipped: the memory budget was held by other messages");
  CHECK(second["fuids"].size() == 1);
  SmtpAnalyzer c(Conn(), &out3, limits);
  c.OnData(kC, T(), "HELO c\r\nMAIL FROM:<a@x>\r\nDATA\r\n");
  c.OnData(kS, T(), "250 mx\r\n250 ok\r\n354 go\r\n");
  c.OnData(kC, T(), body + ".\r\n");
  c.OnData(kS, T(), "250 ok\r\n");
  c.OnClose(T());
  CHECK(out3.records("smtp").at(0)["subject"] == "m");
  CHECK(budget.used == 0);
}

TEST_CASE("SmtpAnalyzer: 10 MB header is written whole, fields capped", "[smtp][limits]") {
  testing::MemoryOutput out;
  SmtpAnalyzer analyzer(Conn(), &out);
  std::string message = "Subject: " + std::string(10u << 20, 's') + "\r\n\r\nbody\r\n";
  analyzer.OnData(kC, T(), "HELO c\r\nMAIL FROM:<a@x>\r\nDATA\r\n");
  analyzer.OnData(kS, T(), "250 mx\r\n250 ok\r\n354 go\r\n");
  analyzer.OnData(kC, T(), message + ".\r\n");
  analyzer.OnData(kS, T(), "250 ok\r\n");
  analyzer.OnClose(T());
  auto records = out.records("smtp");
  REQUIRE(records.size() == 1);
  CHECK(out.FindObject(records[0]["fuids"][0])->data == message);
  CHECK(records[0]["subject"].get<std::string>().size() == MimeLimits().max_header_value_bytes);
}

TEST_CASE("SmtpAnalyzer: gap inside DATA marks the message partial", "[smtp]") {
  testing::MemoryOutput out;
  SmtpAnalyzer analyzer(Conn(), &out);
  analyzer.OnData(kC, T(), "HELO c\r\nMAIL FROM:<a@x>\r\nDATA\r\n");
  analyzer.OnData(kS, T(), "250 mx\r\n250 ok\r\n354 go\r\n");
  analyzer.OnData(kC, T(), "Subject: g\r\n\r\nab");
  analyzer.OnGap(kC, T(), 100);
  analyzer.OnData(kC, T(), "cd\r\n.\r\n");
  analyzer.OnData(kS, T(), "250 ok\r\n");
  analyzer.OnClose(T());
  auto records = out.records("smtp");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["partial"] == true);
  CHECK(records[0]["mime_error"] == "gap in message");
  CHECK(out.FindObject(records[0]["fuids"][0])->data == "Subject: g\r\n\r\nabcd\r\n");
}

TEST_CASE("SmtpAnalyzer: one-sided capture treats held bytes as the message", "[smtp][limits]") {
  SmtpLimits limits;
  limits.max_held_bytes = 16;
  testing::MemoryOutput out;
  SmtpAnalyzer analyzer(Conn(), &out, limits);
  analyzer.OnData(kC, T(), "HELO c\r\nMAIL FROM:<a@x>\r\nDATA\r\n");
  analyzer.OnData(kC, T(), "Subject: one-sided\r\n\r\nbody\r\n.\r\nQUIT\r\n");
  analyzer.OnClose(T());
  CHECK(analyzer.stats().held_overflow == 1);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["subject"] == "one-sided");
  CHECK(out.FindObject(records[0]["fuids"][0])->data == "Subject: one-sided\r\n\r\nbody\r\n");
}

TEST_CASE("SmtpAnalyzer: a client that speaks before the greeting (pipelined connect)",
          "[smtp]") {
  testing::MemoryOutput out;
  RunAllWays({{kC, "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n"},
              {kS, "220 mx ESMTP\r\n"},
              {kS, "250-mx\r\n250 PIPELINING\r\n250 ok\r\n250 ok\r\n354 go\r\n"},
              {kC, "Subject: early\r\n\r\nbody\r\n.\r\n"},
              {kS, "250 queued\r\n"},
              {kC, "QUIT\r\n"},
              {kS, "221 bye\r\n"}},
             &out);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["helo"] == "c");
  CHECK(records[0]["mailfrom"] == "a@x");
  CHECK(records[0]["subject"] == "early");
  CHECK(records[0]["last_reply"] == "250 queued");
  CHECK_FALSE(records[0].contains("server_not_seen"));
  CHECK(out.FindObject(records[0]["fuids"][0])->data == "Subject: early\r\n\r\nbody\r\n");
}

TEST_CASE("SmtpAnalyzer: picked up mid-stream, a first 220 answers a command", "[smtp]") {
  // The capture starts after EHLO: the 220 answers STARTTLS, it is not a greeting.
  testing::MemoryOutput out;
  SmtpAnalyzer analyzer(Conn(), &out, SmtpLimits(), /*after_starttls=*/false,
                        /*midstream=*/true);
  analyzer.OnData(kC, T(), "STARTTLS\r\n");
  analyzer.OnData(kS, T(), "220 go ahead\r\n");
  CHECK(analyzer.handed_off());
  testing::MemoryOutput greeted_out;
  SmtpAnalyzer greeted(Conn(), &greeted_out);
  greeted.OnData(kC, T(), "STARTTLS\r\n");
  greeted.OnData(kS, T(), "220 go ahead\r\n");
  CHECK_FALSE(greeted.handed_off());  // from the start, the first 220 is the greeting
}

TEST_CASE("SmtpAnalyzer: only the client's side: mails extracted, server_not_seen",
          "[smtp]") {
  testing::MemoryOutput out;
  RunAllWays({{kC, "EHLO c\r\n"},
              {kC, "MAIL FROM:<a@x>\r\n"}, {kC, "RCPT TO:<b@x>\r\n"}, {kC, "DATA\r\n"},
              {kC, "Subject: one\r\n\r\n..dot\r\n.\r\n"},
              {kC, "MAIL FROM:<c@x>\r\n"}, {kC, "RCPT TO:<d@x>\r\n"}, {kC, "DATA\r\n"},
              {kC, "Subject: two\r\n\r\nsecond\r\n.\r\n"},
              {kC, "QUIT\r\n"}},
             &out);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 2);
  CHECK(records[0]["helo"] == "c");
  CHECK(records[0]["mailfrom"] == "a@x");
  CHECK(records[0]["server_not_seen"] == true);
  CHECK_FALSE(records[0].contains("partial"));
  CHECK(out.FindObject(records[0]["fuids"][0])->data == "Subject: one\r\n\r\n.dot\r\n");
  CHECK(records[1]["mailfrom"] == "c@x");
  CHECK(records[1]["rcptto"] == nlohmann::json({"d@x"}));
  CHECK(records[1]["server_not_seen"] == true);
  CHECK(out.FindObject(records[1]["fuids"][0])->data == "Subject: two\r\n\r\nsecond\r\n");
}

TEST_CASE("SmtpAnalyzer: invalid UTF-8 in commands stays valid JSON", "[smtp]") {
  testing::MemoryOutput out;
  SmtpAnalyzer analyzer(Conn(), &out);
  analyzer.OnData(kC, T(), "HELO \xFF\xFE\r\nMAIL FROM:<\xC3(@x>\r\n");
  analyzer.OnClose(T());
  auto records = out.records("smtp");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["helo"] == "\\xff\\xfe");  // the bytes stay recoverable, as in http.jsonl
}

TEST_CASE("SmtpAnalyzer: a rejected EHLO keeps the envelope (RFC 5321 4.1.4)", "[smtp]") {
  // suricata-verify smtp-rejected-ehlo-preserves-envelope, reduced.
  testing::MemoryOutput out;
  RunAllWays({{kS, "220 mx\r\n"},
              {kC, "HELO c.example\r\n"},
              {kS, "250 mx\r\n"},
              {kC, "MAIL FROM:<alice@x>\r\n"},
              {kS, "250 ok\r\n"},
              {kC, "EHLO\r\n"},
              {kS, "501 syntax\r\n"},
              {kC, "RCPT TO:<bob@x>\r\nDATA\r\n"},
              {kS, "250 ok\r\n354 go\r\n"},
              {kC, "Subject: s\r\n\r\nbody\r\n.\r\n"},
              {kS, "250 queued\r\n"}},
             &out);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["helo"] == "c.example");
  CHECK(records[0]["mailfrom"] == "alice@x");
  CHECK(records[0]["rcptto"] == nlohmann::json::array({"bob@x"}));
  CHECK(records[0]["subject"] == "s");
}

TEST_CASE("SmtpAnalyzer: an accepted EHLO ends the open transaction, not later ones", "[smtp]") {
  testing::MemoryOutput out;
  RunAllWays({{kS, "220 mx\r\n"},
              {kC, "EHLO a\r\nMAIL FROM:<x@x>\r\n"},
              {kS, "250 mx\r\n250 ok\r\n"},
              {kC, "EHLO b\r\nMAIL FROM:<y@x>\r\nRCPT TO:<z@x>\r\n"},
              {kS, "250 mx\r\n250 ok\r\n250 ok\r\n"}},
             &out);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 2);
  CHECK(records[0]["mailfrom"] == "x@x");
  CHECK_FALSE(records[0].contains("rcptto"));
  CHECK(records[1]["mailfrom"] == "y@x");
  CHECK(records[1]["helo"] == "b");
}

TEST_CASE("SmtpAnalyzer: a malformed BDAT carries no chunk (RFC 3030)", "[smtp]") {
  // suricata-verify smtp-bdat-bad-tail-reply-queue, reduced: "BDAT 5 X" is refused; the
  // next command must not be swallowed as five bytes of message.
  testing::MemoryOutput out;
  RunAllWays({{kS, "220 mx\r\n"},
              {kC, "EHLO c\r\nBDAT 5 X\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nBDAT 12 LAST\r\nSubject: q\r\n"},
              {kS, "250 mx\r\n501 bad tail\r\n250 ok\r\n250 ok\r\n250 done\r\n"}},
             &out);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["mailfrom"] == "a@x");
  CHECK(records[0]["message_bytes"] == 12);
}

TEST_CASE("LooksLikeSmtp: greeting plus EHLO/HELO", "[smtp]") {
  CHECK(LooksLikeSmtp("EHLO me\r\n", "220 mx ESMTP Postfix\r\n"));
  CHECK(LooksLikeSmtp("helo me\r\n", "220-mx\r\n220 hi\r\n"));
  CHECK(LooksLikeSmtp("", "220 mx.example ESMTP\r\n"));
  CHECK_FALSE(LooksLikeSmtp("USER anonymous\r\n", "220 ProFTPD Server\r\n"));
  CHECK_FALSE(LooksLikeSmtp("", "220 ProFTPD Server\r\n"));
  CHECK_FALSE(LooksLikeSmtp("EHLO me\r\n", "HTTP/1.1 200 OK\r\n"));
}

TEST_CASE("SmtpAnalyzer: a BDAT refused before its chunk carries no chunk", "[smtp]") {
  const std::string mail = "Subject: q\r\n\r\nbody\r\n";
  SECTION("the client waits for each reply") {
    testing::MemoryOutput out;
    RunAllWays({{kS, "220 mx\r\n"},
                {kC, "EHLO c\r\n"}, {kS, "250 mx\r\n"},
                {kC, "MAIL FROM:<a@x>\r\n"}, {kS, "250 ok\r\n"},
                {kC, "RCPT TO:<b@x>\r\n"}, {kS, "250 ok\r\n"},
                {kC, "BDAT 4294967296000 LAST\r\n"}, {kS, "552 too large\r\n"},
                {kC, "RSET\r\n"}, {kS, "250 reset\r\n"},
                {kC, "MAIL FROM:<c@x>\r\n"}, {kS, "250 ok\r\n"},
                {kC, "RCPT TO:<d@x>\r\n"}, {kS, "250 ok\r\n"},
                {kC, absl::StrCat("BDAT ", mail.size(), " LAST\r\n", mail)}, {kS, "250 queued\r\n"}},
               &out);
    auto records = out.records("smtp");
    REQUIRE(records.size() == 2);
    CHECK(records[0]["mailfrom"] == "a@x");
    CHECK(records[0]["last_reply"] == "552 too large");
    CHECK_FALSE(records[0].contains("fuids"));
    CHECK(records[1]["mailfrom"] == "c@x");
    CHECK(records[1]["message_bytes"] == mail.size());
    CHECK(out.FindObject(records[1]["fuids"][0])->data == mail);
  }
  SECTION("pipelined: the commands taken for a chunk are parsed again") {
    testing::MemoryOutput out;
    RunAllWays({{kS, "220 mx\r\n"},
                {kC, "EHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nBDAT 4294967296000 LAST\r\n"
                     "RSET\r\nMAIL FROM:<c@x>\r\nRCPT TO:<d@x>\r\n"},
                {kS, "250 mx\r\n250 ok\r\n250 ok\r\n552 too large\r\n250 reset\r\n250 ok\r\n250 ok\r\n"},
                {kC, absl::StrCat("BDAT ", mail.size(), " LAST\r\n", mail)}, {kS, "250 queued\r\n"}},
               &out);
    auto records = out.records("smtp");
    REQUIRE(records.size() == 2);
    CHECK(records[1]["mailfrom"] == "c@x");
    CHECK(records[1]["last_reply"] == "250 queued");
    CHECK(out.FindObject(records[1]["fuids"][0])->data == mail);
  }
}

TEST_CASE("SmtpAnalyzer: MIME parts complete around a gap are still extracted", "[smtp][gap]") {
  testing::MemoryOutput out;
  SmtpAnalyzer analyzer(Conn(), &out);
  analyzer.OnData(kC, T(), "HELO c\r\nMAIL FROM:<a@x>\r\nDATA\r\n");
  analyzer.OnData(kS, T(), "250 mx\r\n250 ok\r\n354 go\r\n");
  analyzer.OnData(kC, T(),
                  "Subject: g\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
                  "--B\r\nContent-Type: text/plain\r\n\r\nbefore\r\n"
                  "--B\r\nContent-Disposition: attachment; filename=\"lost.txt\"\r\n\r\nlo");
  analyzer.OnGap(kC, T(), 100);
  analyzer.OnData(kC, T(),
                  "st\r\n--B\r\nContent-Disposition: attachment; filename=\"after.txt\"\r\n\r\n"
                  "after\r\n--B--\r\n.\r\n");
  analyzer.OnData(kS, T(), "250 ok\r\n");
  analyzer.OnClose(T());
  auto records = out.records("smtp");
  REQUIRE(records.size() == 1);
  CHECK(records[0]["partial"] == true);
  CHECK(records[0]["subject"] == "g");
  REQUIRE(records[0]["fuids"].size() == 3);  // the message, "before", after.txt
  CHECK(out.FindObject(records[0]["fuids"][1])->data == "before");
  const auto* after = out.FindObject(records[0]["fuids"][2]);
  CHECK(after->meta.name == "after.txt");
  CHECK(after->data == "after");
  CHECK(analyzer.stats().mime_resynced == 1);
}

TEST_CASE("SmtpAnalyzer: an attached message/rfc822 is its own .eml", "[smtp]") {
  const std::string inner = "Subject: inner\r\n\r\nthe original text\r\n";
  testing::MemoryOutput out;
  RunAllWays({{kS, "220 mx\r\n"},
              {kC, "HELO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n"},
              {kS, "250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n"},
              {kC, "Subject: fwd\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
                   "--B\r\nContent-Type: message/rfc822\r\n"
                   "Content-Disposition: attachment; filename=\"orig.eml\"\r\n\r\n" + inner +
                   "\r\n--B--\r\n.\r\n"},
              {kS, "250 ok\r\n"}},
             &out);
  auto records = out.records("smtp");
  REQUIRE(records.size() == 1);
  REQUIRE(records[0]["fuids"].size() == 3);  // the message, orig.eml, its text
  const auto* eml = out.FindObject(records[0]["fuids"][1]);
  CHECK(eml->meta.name == "orig.eml");
  CHECK(eml->meta.mime_type == "message/rfc822");
  CHECK(eml->meta.extension == "eml");
  CHECK(eml->data == inner);
}

}  // namespace
}  // namespace tcpfollow

namespace tcpfollow {
namespace {

TEST_CASE("SmtpAnalyzer: attachments are typed by their bytes, the declared type beside",
          "[smtp][mime]") {
  // A GIF sent as application/octet-stream; text sent as binary.
  const std::string message =
      "From: a@example.com\r\nSubject: pic\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
      "--B\r\nContent-Type: Application/Octet-Stream.\r\n\r\njust words, no markup\r\n"
      "--B\r\nContent-Type: application/octet-stream; name=pic.bin\r\n"
      "Content-Disposition: attachment; filename=pic.bin\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n"
      "R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==\r\n--B--\r\n";
  SmtpStats stats;
  SmtpLimits limits;
  limits.stats = &stats;
  testing::MemoryOutput out;
  {
    SmtpAnalyzer a(Conn(), &out, limits);
    a.OnData(kS, T(), "220 mx ESMTP\r\n");
    a.OnData(kC, T(), "HELO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n");
    a.OnData(kS, T(), "250 hi\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    a.OnData(kC, T(), message + ".\r\n");
    a.OnData(kS, T(), "250 queued\r\n");
    a.OnClose(T());
  }
  REQUIRE(out.objects().size() == 3);
  CHECK(out.objects()[0].meta.mime_type == "message/rfc822");  // the .eml, by construction
  CHECK(out.objects()[1].meta.mime_type == "text/plain");
  CHECK(out.objects()[1].meta.declared_mime_type == "application/octet-stream");
  CHECK(out.objects()[2].meta.name == "pic.bin");
  CHECK(out.objects()[2].meta.mime_type == "image/gif");
  CHECK(out.objects()[2].meta.declared_mime_type == "application/octet-stream");
  CHECK(stats.sniff.sniffed == 2);
}

}  // namespace
}  // namespace tcpfollow
