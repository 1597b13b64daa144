// MimeExtractor: headers, decoded parts, limits (just under / just over) and hostile input.
#include "protocols/mime/mime_extractor.h"

#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"

namespace tcpfollow {
namespace {

const char kMultipart[] =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.org, Carol <carol@example.net>\r\n"
    "Cc: dave@example.com\r\n"
    "Subject: =?UTF-8?B?SMOpbGxv?= report\r\n"
    "Date: Mon, 1 Jan 2024 10:00:00 +0000\r\n"
    "Message-ID: <abc123@example.com>\r\n"
    "X-Mailer: TestMailer 1.0\r\n"
    "Received: from a.example ([192.0.2.7]) by mx\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"XX\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--XX\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "caf=C3=A9 =3D ok=\r\n"
    " soft\r\n"
    "--XX\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Disposition: attachment; filename=\"data.bin\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "AAECAwT/\r\n"
    "--XX\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Disposition: attachment; filename*=utf-8''%E2%82%AC%20rates.txt\r\n"
    "\r\n"
    "plain\r\n"
    "--XX--\r\n";

TEST_CASE("MimeExtractor: headers into fields", "[mime]") {
  MimeExtractor extractor;
  auto message = extractor.Extract(kMultipart);
  REQUIRE(message.ok());
  const MimeHeaders& h = message->headers;
  CHECK(h.from == "Alice <alice@example.com>");
  REQUIRE(h.to.size() == 2);
  CHECK(h.to[0] == "bob@example.org");
  CHECK(h.to[1] == "Carol <carol@example.net>");
  REQUIRE(h.cc.size() == 1);
  CHECK(h.subject == "H\xC3\xA9llo report");
  CHECK(h.date == "Mon, 1 Jan 2024 10:00:00 +0000");
  CHECK(h.message_id == "<abc123@example.com>");
  CHECK(h.user_agent == "TestMailer 1.0");
  REQUIRE(h.received.size() == 1);
  CHECK(h.received[0].find("192.0.2.7") != std::string::npos);
}

TEST_CASE("MimeExtractor: parts decoded with names and types", "[mime]") {
  MimeExtractor extractor;
  auto message = extractor.Extract(kMultipart);
  REQUIRE(message.ok());
  REQUIRE(message->parts.size() == 3);
  CHECK(message->parts[0].mime_type == "text/plain");
  // The CRLF before a boundary belongs to the delimiter (RFC 2046 5.1.1).
  CHECK(message->parts[0].content == "caf\xC3\xA9 = ok soft");
  CHECK_FALSE(message->parts[0].attachment);
  CHECK(message->parts[1].filename == "data.bin");
  CHECK(message->parts[1].attachment);
  CHECK(message->parts[1].content == std::string("\x00\x01\x02\x03\x04\xFF", 6));
  CHECK(message->parts[2].filename == "\xE2\x82\xAC rates.txt");
  CHECK(extractor.stats().parts == 3);
}

TEST_CASE("MimeExtractor: single-part message is one part", "[mime]") {
  MimeExtractor extractor;
  auto message = extractor.Extract("Subject: hi\r\n\r\nbody line\r\n");
  REQUIRE(message.ok());
  REQUIRE(message->parts.size() == 1);
  CHECK(message->parts[0].content == "body line\r\n");
  CHECK(message->headers.subject == "hi");
}

TEST_CASE("MimeExtractor: message size limit just under and just over", "[mime][limits]") {
  std::string msg = "Subject: x\r\n\r\nabc\r\n";
  MimeLimits limits;
  limits.max_message_bytes = msg.size();
  MimeExtractor under(limits);
  CHECK(under.Extract(msg).ok());
  limits.max_message_bytes = msg.size() - 1;
  MimeExtractor over(limits);
  auto result = over.Extract(msg);
  CHECK(absl::IsResourceExhausted(result.status()));
  CHECK(over.stats().too_large == 1);
}

std::string Nested(int levels) {
  std::string head, tail;
  for (int i = 0; i < levels; ++i) {
    absl::StrAppend(&head, "Content-Type: multipart/mixed; boundary=b", i, "\r\n\r\n--b", i,
                    "\r\n");
    tail = absl::StrCat("\r\n--b", i, "--\r\n", tail);
  }
  return absl::StrCat("Subject: deep\r\n", head, "Content-Type: text/plain\r\n\r\nleaf", tail);
}

TEST_CASE("MimeExtractor: nesting limit just under and just over", "[mime][limits]") {
  MimeLimits limits;
  limits.max_content_type_lines = 11;
  MimeExtractor under(limits);
  auto ok = under.Extract(Nested(10));
  REQUIRE(ok.ok());
  REQUIRE(ok->parts.size() == 1);
  CHECK(ok->parts[0].content.rfind("leaf", 0) == 0);
  MimeExtractor over(limits);
  CHECK(absl::IsResourceExhausted(over.Extract(Nested(11)).status()));
  CHECK(over.stats().too_nested == 1);
}

TEST_CASE("MimeExtractor: deep nesting over the default is refused, not recursed", "[mime]") {
  MimeExtractor extractor;
  CHECK_FALSE(extractor.Extract(Nested(100000)).ok());
}

TEST_CASE("MimeExtractor: part count and part size limits", "[mime][limits]") {
  MimeLimits limits;
  limits.max_parts = 2;
  limits.max_part_bytes = 3;
  MimeExtractor extractor(limits);
  auto message = extractor.Extract(kMultipart);
  REQUIRE(message.ok());
  REQUIRE(message->parts.size() == 2);
  CHECK(message->parts[0].content == "caf");
  CHECK(message->parts[0].truncated);
  CHECK(extractor.stats().parts_dropped == 1);
  CHECK(extractor.stats().parts_truncated == 2);
}

TEST_CASE("MimeExtractor: header value limit and invalid UTF-8", "[mime][limits]") {
  MimeLimits limits;
  limits.max_header_value_bytes = 5;
  MimeExtractor extractor(limits);
  auto message = extractor.Extract("Subject: abcdefgh\r\nDate: \xFF\xFE\r\n\r\nx");
  REQUIRE(message.ok());
  CHECK(message->headers.subject == "abcde");
  CHECK(message->headers.date.find('\xFF') == std::string::npos);
  CHECK(extractor.stats().values_truncated >= 1);
}

TEST_CASE("MimeExtractor: 10 MB header line is parsed within bounds", "[mime][limits]") {
  std::string msg = "Subject: " + std::string(10u << 20, 'a') + "\r\n\r\nbody\r\n";
  MimeExtractor extractor;
  auto message = extractor.Extract(msg);
  REQUIRE(message.ok());
  CHECK(message->headers.subject.size() == extractor.limits().max_header_value_bytes);
}

TEST_CASE("MimeExtractor: garbage does not crash", "[mime]") {
  MimeExtractor extractor;
  for (const char* input : {"", "\r\n", "--\r\n--", "Content-Type: multipart/mixed\r\n\r\n--",
                            "Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--",
                            "Content-Transfer-Encoding: base64\r\n\r\n====!!!"}) {
    auto message = extractor.Extract(input);
    if (message.ok()) CHECK(message->parts.size() <= 1);
  }
}

TEST_CASE("ToValidUtf8Capped: escapes never push past the cap", "[mime]") {
  CHECK(ToValidUtf8Capped("\xFF\xFF\xFF", 4) == "\\xff");
  CHECK(ToValidUtf8Capped("\xFF\xFF\xFF", 6) == "\\xff");  // never splits an escape
  CHECK(ToValidUtf8Capped("\xFF\xFF\xFF", 8) == "\\xff\\xff");
  CHECK(ToValidUtf8Capped("abc", 2) == "ab");
  CHECK(ToValidUtf8Capped("a\xC3\xA9", 2) == "a");  // never splits a character
}

TEST_CASE("MimeExtractor: invalid bytes in a long header stay within the cap", "[mime]") {
  // Found by mime_fuzz: each invalid byte becomes 4 bytes (\\xNN).
  MimeLimits limits;
  limits.max_header_value_bytes = 16;
  MimeExtractor extractor(limits);
  auto message = extractor.Extract("Subject:" + std::string(40, '\xFF') + "\r\n\r\nx");
  REQUIRE(message.ok());
  CHECK(message->headers.subject.size() <= 16);
  CHECK_FALSE(message->headers.subject.empty());
}

TEST_CASE("ToValidUtf8: keeps valid text, replaces invalid bytes", "[mime]") {
  CHECK(ToValidUtf8("abc \xC3\xA9 \xF0\x9F\x98\x80") == "abc \xC3\xA9 \xF0\x9F\x98\x80");
  CHECK(ToValidUtf8("a\xFF" "b") == "a\\xff" "b");
  CHECK(ToValidUtf8("\xC0\x80") == "\\xc0\\x80");             // overlong
  CHECK(ToValidUtf8("\xED\xA0\x80") == "\\xed\\xa0\\x80");  // surrogate
  CHECK(ToValidUtf8("\xE2\x82") == "\\xe2\\x82");              // truncated
  CHECK(ToValidUtf8("\xF4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}

TEST_CASE("StitchAroundGaps: cuts each gap from the boundary before to the one after", "[mime]") {
  const std::string msg =
      "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
      "--B\r\n\r\none\r\n--B\r\n\r\ntw|o\r\n--B\r\n\r\nthree\r\n--B--\r\n";
  const size_t gap = msg.find('|');
  auto s = StitchAroundGaps(msg, {gap});
  REQUIRE(s.ok());
  CHECK(*s ==
        "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
        "--B\r\n\r\none\r\n--B\r\n\r\nthree\r\n--B--\r\n");
  // No boundary after the gap: the message is closed after the last complete part.
  auto t = StitchAroundGaps(msg.substr(0, gap), {gap});
  REQUIRE(t.ok());
  CHECK(*t == "Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\n\r\none\r\n--B--\r\n");
  MimeExtractor x;
  auto parsed = x.Extract(*s);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->parts.size() == 2);
  CHECK(parsed->parts[1].content == "three");
  CHECK_FALSE(StitchAroundGaps("Subject: x\r\n\r\nbody", {20}).ok());     // not multipart
  CHECK_FALSE(StitchAroundGaps(msg, {5}).ok());                             // gap in headers
}

TEST_CASE("MimeExtractor: an attached message is a part, then its own parts", "[mime]") {
  const std::string inner =
      "Subject: inner\r\nContent-Type: multipart/mixed; boundary=\"I\"\r\n\r\n"
      "--I\r\nContent-Disposition: attachment; filename=\"a.txt\"\r\n\r\nA\r\n--I--";
  const std::string msg =
      "Content-Type: multipart/mixed; boundary=\"O\"\r\n\r\n--O\r\n"
      "Content-Type: message/rfc822; name=\"fw.eml\"\r\n\r\n" + inner + "\r\n--O--\r\n";
  MimeExtractor x;
  auto parsed = x.Extract(msg);
  REQUIRE(parsed.ok());
  REQUIRE(parsed->parts.size() == 2);
  CHECK(parsed->parts[0].mime_type == "message/rfc822");
  CHECK(parsed->parts[0].filename == "fw.eml");
  CHECK(parsed->parts[0].content == inner);
  CHECK(parsed->parts[1].filename == "a.txt");
  CHECK(parsed->parts[1].content == "A");
}

}  // namespace
}  // namespace tcpfollow
