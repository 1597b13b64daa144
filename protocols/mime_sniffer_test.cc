#include "protocols/mime_sniffer.h"

#include <string>
#include <thread>
#include <vector>

#include "catch2/catch.hpp"

namespace tcpfollow {
namespace {

const std::string kPng(
    "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89", 33);
const std::string kGif(
    "GIF89a\x01\0\x01\0\x80\0\0\xff\xff\xff\0\0\0!\xf9\x04\x01\0\0\0\0,"
    "\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0;",
    43);
const std::string kJpeg("\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0\xff\xd9", 22);

TEST_CASE("SniffMimeType: binary bytes are typed by libmagic, whatever was declared", "[mime]") {
  MimeSniffStats stats;
  CHECK(SniffMimeType(kPng, "text/plain", &stats) == "image/png");
  CHECK(SniffMimeType(kGif, "image/png", &stats) == "image/gif");
  CHECK(SniffMimeType(kJpeg, "", &stats) == "image/jpeg");
  CHECK(SniffMimeType("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
                      "application/octet-stream", &stats) == "application/pdf");
  CHECK(SniffMimeType(std::string("\x1f\x8b\x08\0\0\0\0\0\0\x03\x01\x02\x03", 13), "text/html",
                      &stats) == "application/gzip");
  std::string binary;
  for (int i = 0; i < 600; ++i) binary.push_back(static_cast<char>((i * 7919 + 13) % 251));
  CHECK(SniffMimeType(binary, "text/plain", &stats) == "application/octet-stream");
  CHECK(stats.sniffed == 6);
  CHECK(stats.text_declared == 0);
  CHECK(stats.failed == 0);
  CHECK(stats.nanoseconds > 0);
  CHECK(SniffMimeType("", "text/plain", &stats).empty());  // no object, no sniff
  CHECK(stats.sniffed == 6);
  CHECK(MimeSnifferError().empty());
}

TEST_CASE("SniffMimeType: text keeps a textual declared type, else libmagic types it", "[mime]") {
  const std::string html =
      "<!DOCTYPE html>\n<html><head><title>t</title></head><body>x</body></html>\n";
  const std::string words = "just some words of plain text\nand a second line\n";
  MimeSniffStats stats;
  // Text declared as text: the declaration stands (libmagic cannot tell CSS from text).
  CHECK(SniffMimeType(words, "text/css", &stats) == "text/css");
  CHECK(SniffMimeType("{\"a\": [1, 2]}\n", "application/json", &stats) == "application/json");
  CHECK(SniffMimeType(html, "text/plain", &stats) == "text/plain");
  CHECK(SniffMimeType(words, "image/svg+xml", &stats) == "image/svg+xml");
  CHECK(stats.text_declared == 4);
  // Text declared as binary, or not at all: libmagic's full analysis.
  CHECK(SniffMimeType(html, "image/png", &stats) == "text/html");
  CHECK(SniffMimeType(html, "", &stats) == "text/html");
  CHECK(SniffMimeType(words, "application/octet-stream", &stats) == "text/plain");
  CHECK(stats.sniffed == 3);
}

TEST_CASE("IsTextualMimeType: text, message, JSON, JavaScript, XML, forms", "[mime]") {
  for (const char* t : {"text/plain", "text/html", "message/rfc822", "application/json",
                        "application/javascript", "application/xml", "image/svg+xml",
                        "application/ld+json", "application/x-www-form-urlencoded"}) {
    CHECK(IsTextualMimeType(t));
  }
  for (const char* t : {"", "image/png", "application/octet-stream", "application/pdf",
                        "multipart/form-data", "application/zip"}) {
    CHECK_FALSE(IsTextualMimeType(t));
  }
}

TEST_CASE("NormalizeMimeType: declared types without parameters or trailing dots", "[mime]") {
  CHECK(NormalizeMimeType("text/html; charset=utf-8") == "text/html");
  CHECK(NormalizeMimeType("  Image/PNG ") == "image/png");
  CHECK(NormalizeMimeType("text/plain.") == "text/plain");
  CHECK(NormalizeMimeType("text/plain.;charset=x") == "text/plain");
  CHECK(NormalizeMimeType("application/vnd.ms-excel") == "application/vnd.ms-excel");
  CHECK(NormalizeMimeType("image/svg+xml;q=1") == "image/svg+xml");
  CHECK(NormalizeMimeType("multipart/form-data; boundary=xyz") == "multipart/form-data");
  CHECK(NormalizeMimeType("text") == "");
  CHECK(NormalizeMimeType("text/") == "");
  CHECK(NormalizeMimeType("/html") == "");
  CHECK(NormalizeMimeType("") == "");
  CHECK(NormalizeMimeType("te\"xt/html") == "");
  CHECK(NormalizeMimeType("text/html\xff") == "text/html");
}

}  // namespace
}  // namespace tcpfollow
