// Detection of the server-first line protocols through their specs: greeting + command,
// a client that speaks first (pipelined connect, one-sided captures), sessions seen from
// their middle, and the cases that must stay undecided or refused.
#include "protocols/line_detect.h"

#include <catch2/catch.hpp>
#include "protocols/ftp/ftp_protocol.h"
#include "protocols/smtp/smtp_protocol.h"

namespace tcpfollow {
namespace {

Detection Detect(const ProtocolSpec& spec, absl::string_view client, absl::string_view server,
                 bool midstream = false, bool ended = false) {
  auto instance = spec.make(ProtocolConfig());
  DetectInput in;
  in.client = client;
  in.server = server;
  in.midstream = midstream;
  in.client_ended = in.server_ended = ended;
  return instance->Detect(in);
}

TEST_CASE("line protocols: greeting and first command", "[detect]") {
  CHECK(Detect(SmtpProtocol(), "EHLO c\r\n", "220 mx ESMTP\r\n") == Detection::kYes);
  CHECK(Detect(FtpProtocol(), "USER bob\r\n", "220 ready\r\n") == Detection::kYes);
  CHECK(Detect(SmtpProtocol(), "USER bob\r\n", "220 ready\r\n") == Detection::kNo);
  CHECK(Detect(FtpProtocol(), "EHLO c\r\n", "220 ready\r\n") == Detection::kNo);
  CHECK(Detect(SmtpProtocol(), "", "220 ready\r\n") == Detection::kMaybe);
  CHECK(Detect(SmtpProtocol(), "", "+OK POP3\r\n") == Detection::kNo);
}

TEST_CASE("line protocols: the client speaks before the banner", "[detect]") {
  // Pipelined connect: EHLO alone waits for the greeting; EHLO then MAIL is SMTP.
  CHECK(Detect(SmtpProtocol(), "EHLO c\r\n", "") == Detection::kMaybe);
  CHECK(Detect(SmtpProtocol(), "EHLO c\r\n", "220 mx\r\n") == Detection::kYes);
  CHECK(Detect(SmtpProtocol(), "EHLO c\r\nMAIL FROM:<a@b>\r\n", "") == Detection::kYes);
  // A capture with only the client's side: decided when the connection ends.
  CHECK(Detect(SmtpProtocol(), "EHLO c\r\n", "", false, true) == Detection::kYes);
  CHECK(Detect(FtpProtocol(), "USER bob\r\nPASS x\r\n", "") == Detection::kYes);
  CHECK(Detect(FtpProtocol(), "EHLO c\r\nMAIL FROM:<a@b>\r\n", "") == Detection::kNo);
}

TEST_CASE("line protocols: sessions captured from their middle", "[detect]") {
  CHECK(Detect(FtpProtocol(), "TYPE I\r\nPASV\r\n", "200 ok\r\n", true) == Detection::kYes);
  CHECK(Detect(SmtpProtocol(), "TYPE I\r\nPASV\r\n", "200 ok\r\n", true) != Detection::kYes);
  CHECK(Detect(SmtpProtocol(), "RCPT TO:<b@x>\r\n", "250 ok\r\n", true) == Detection::kYes);
  // USER/PASS alone could be POP3: not enough from the middle.
  CHECK(Detect(FtpProtocol(), "USER a\r\nPASS b\r\n", "", true, true) != Detection::kYes);
  // Server lines that are not numeric replies rule the protocols out.
  CHECK(Detect(FtpProtocol(), "RETR x\r\n", "HTTP/1.1 200 OK\r\n", true) == Detection::kNo);
}

}  // namespace
}  // namespace tcpfollow
