#include "protocols/mime_sniffer.h"

#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

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
  const std::string words = "just some words of plain text\nand a second line\n";
  MimeSniffStats stats;
  // Text declared as text: the declaration stands (libmagic cannot tell CSS from text).
  CHECK(SniffMimeType(words, "text/css", &stats) == "text/css");
  CHECK(SniffMimeType("{\"a\": [1, 2]}\n", "application/json", &stats) == "application/json");
  CHECK(SniffMimeType(words, "text/plain", &stats) == "text/plain");
  CHECK(SniffMimeType(words, "image/svg+xml", &stats) == "image/svg+xml");
  CHECK(stats.text_declared == 4);
  // Text declared as binary, or not at all: libmagic's full analysis.
  CHECK(SniffMimeType("#!/bin/sh\necho hello\n", "image/png", &stats) == "text/x-shellscript");
  CHECK(SniffMimeType(words, "application/octet-stream", &stats) == "text/plain");
  CHECK(SniffMimeType(words, "", &stats) == "text/plain");
  CHECK(stats.sniffed == 3);
  CHECK(stats.text_shape == 0);
}

TEST_CASE("SniffMimeType: HTML, XML and JSON served as text/plain are told apart", "[mime]") {
  const std::string html =
      "<!DOCTYPE html>\n<html><head><title>t</title></head><body>x</body></html>\n";
  const std::string fragment = "\r\n  <div class=\"note\">a fragment of a page</div>\n";
  const std::string xml = "<?xml version=\"1.0\"?>\n<catalog><book id=\"1\"/></catalog>\n";
  const std::string svg =
      "<!-- drawn by hand -->\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"8\" "
      "height=\"8\"><rect width=\"8\" height=\"8\"/></svg>\n";
  const std::string json = "{\"items\": [{\"id\": 1, \"ok\": true, \"v\": -1.5e3}, null]}\n";
  MimeSniffStats stats;
  // The case users met: a page served as text/plain stayed text/plain.
  CHECK(SniffMimeType(html, "text/plain", &stats) == "text/html");
  CHECK(SniffMimeType(fragment, "text/plain", &stats) == "text/html");
  CHECK(SniffMimeType(json, "text/plain", &stats) == "application/json");
  CHECK(SniffMimeType(json, "text/html", &stats) == "application/json");  // a PHP API's way
  CHECK(SniffMimeType(html, "application/json", &stats) == "text/html");  // an error page
  CHECK(SniffMimeType(json, "", &stats) == "application/json");  // libmagic: text/plain
  CHECK(SniffMimeType(html, "", &stats) == "text/html");
  CHECK(SniffMimeType(svg, "text/plain", &stats) == "image/svg+xml");  // no HTML comment
  CHECK(stats.text_shape == 8);
  CHECK(stats.sniffed == 0);
  CHECK(SniffMimeType("<?xml version=\"1.0\"?>\n<!-- c -->\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
                      "width=\"8\"></svg>\n", "text/plain", &stats) == "image/svg+xml");
  CHECK(stats.text_shape == 9);
  // Other XML: libmagic names the kind.
  CHECK(SniffMimeType(xml, "text/plain", &stats) == "text/xml");
  CHECK(stats.sniffed == 1);
  // A declared type the shape agrees with stands.
  CHECK(SniffMimeType(html, "application/xhtml+xml", &stats) == "application/xhtml+xml");
  CHECK(SniffMimeType(xml, "application/rss+xml", &stats) == "application/rss+xml");
  CHECK(SniffMimeType(json, "application/javascript", &stats) == "application/javascript");
  CHECK(SniffMimeType(json, "application/ld+json", &stats) == "application/ld+json");
  CHECK(SniffMimeType(html, "text/html", &stats) == "text/html");
  // Text that only looks a little like them stays what it was declared.
  for (const char* plain : {"[INFO] started\n[INFO] stopped\n", "{ color: red }\n",
                            "a < b and c > d\n", "{\"a\": 1}\n{\"b\": 2}\n",
                            "[1, 2] and more\n", "<!-- a comment that never ends"}) {
    INFO(plain);
    CHECK(SniffMimeType(plain, "text/plain", &stats) == "text/plain");
  }
  CHECK(stats.text_declared == 5 + 6);
}

TEST_CASE("ShapeOfText: HTML tags, XML, JSON, and what is neither", "[mime]") {
  CHECK(ShapeOfText("<html>") == TextShape::kHtml);
  CHECK(ShapeOfText("\xef\xbb\xbf  <!doctype HTML>") == TextShape::kHtml);
  CHECK(ShapeOfText("<!-- x --><!-- y -->\n<BODY bgcolor=white>") == TextShape::kHtml);
  CHECK(ShapeOfText("<?xml version=\"1.0\"?><!DOCTYPE html><html>") == TextShape::kHtml);
  CHECK(ShapeOfText("<p>x") == TextShape::kHtml);
  CHECK(ShapeOfText("<pre>x") == TextShape::kNone);  // not in WHATWG's list
  CHECK(ShapeOfText("<html") == TextShape::kNone);   // cut before the tag ends
  CHECK(ShapeOfText("<?xml version=\"1.0\"?><note/>") == TextShape::kXml);
  CHECK(ShapeOfText("<?xml version=\"1.0\" encoding=\"ut") == TextShape::kXml);
  CHECK(ShapeOfText("<svg width=\"1\">") == TextShape::kSvg);
  CHECK(ShapeOfText("<?xml version=\"1.0\"?>\n<svg>") == TextShape::kSvg);
  CHECK(ShapeOfText("[]") == TextShape::kJson);
  CHECK(ShapeOfText(" {}\n") == TextShape::kJson);
  CHECK(ShapeOfText("[1, -0.5, 2e10, \"a\\u00e9\\n\", true, false, null, {\"k\": []}]") ==
        TextShape::kJson);
  // A head cut anywhere inside a valid document is still JSON.
  const std::string doc = "{\"name\": \"tcp\\\"follow\", \"n\": [1.25e-3, true, null], \"o\": {}}";
  for (size_t n = 1; n <= doc.size(); ++n) {
    INFO(doc.substr(0, n));
    CHECK(ShapeOfText(doc.substr(0, n)) == TextShape::kJson);
  }
  CHECK(ShapeOfText("{") == TextShape::kJson);  // may be: the head ends there
  for (const char* no : {"", "x", "{'a': 1}", "{a: 1}", "[01]", "[1,]x", "[tru e]", "{\"a\" 1}",
                         "{\"a\":1}}", "[\"\x01\"]", "[\"\\x\"]", "[1.]", "[-]x", "42", "\"s\""}) {
    INFO(no);
    CHECK(ShapeOfText(no) == TextShape::kNone);
  }
}

std::string Hex(absl::string_view s) {
  std::string out;
  for (unsigned char c : s.substr(0, 16)) absl::StrAppendFormat(&out, "%02x", c);
  return out;
}

TEST_CASE("SniffMimeType: weak signatures do not type random or patterned bytes", "[mime]") {
  MimeSniffStats stats;
  // corpus/records/everyday.pcap's FTP upload.bin (record_everyday.py writes
  // bytes(range(256)) * 20): libmagic calls it a TGA image.
  std::string ramp;
  for (int i = 0; i < 20 * 256; ++i) ramp.push_back(static_cast<char>(i % 256));
  CHECK(SniffMimeType(ramp, "", &stats) == "application/octet-stream");
  CHECK(stats.weak == 1);
  // Declared as what libmagic says: believed.
  CHECK(SniffMimeType(ramp, "image/x-tga", &stats) == "image/x-tga");

  // Random buffers (a transfer of compressed or encrypted data) and arrays of numbers, as
  // found when the weak types were listed; each must be application/octet-stream.
  std::vector<std::pair<std::string, std::string>> samples;  // name, bytes
  std::mt19937 rng(20261202);
  const size_t kSizes[] = {16, 64, 200, 512, 1024};
  for (int i = 0; i < 3000; ++i) {
    std::string b(kSizes[i % 5], '\0');
    for (char& c : b) c = static_cast<char>(rng());
    samples.emplace_back(absl::StrCat("random #", i), b);
  }
  for (int k = 0; k < 256; ++k) {
    std::string up, down, u16le, u16be, u32le, f32, byte_zeros(1024, '\0');
    for (int j = 0; j < 1024; ++j) {
      up.push_back(static_cast<char>(k + j));
      down.push_back(static_cast<char>(k - j));
    }
    for (int j = 0; j < 512; ++j) {
      const uint16_t v = static_cast<uint16_t>(k * 7 + j);
      u16le += std::string{static_cast<char>(v & 0xff), static_cast<char>(v >> 8)};
      u16be += std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
    }
    for (int j = 0; j < 256; ++j) {
      const uint32_t v = static_cast<uint32_t>(k * 1000 + j);
      const float f = static_cast<float>(k + j) * 0.37f;
      char fb[4];
      std::memcpy(fb, &f, 4);
      for (int b = 0; b < 4; ++b) u32le.push_back(static_cast<char>(v >> (8 * b)));
      f32.append(fb, 4);
    }
    byte_zeros[0] = static_cast<char>(k);
    for (const auto& [name, bytes] : {std::pair<const char*, std::string*>{"ramp up", &up},
                                      {"ramp down", &down}, {"u16le", &u16le},
                                      {"u16be", &u16be}, {"u32le", &u32le}, {"f32", &f32},
                                      {"a byte and zeros", &byte_zeros}}) {
      samples.emplace_back(absl::StrCat(name, " from ", k), *bytes);
    }
  }
  std::vector<std::string> typed;
  MimeSniffStats many;
  for (const auto& [name, bytes] : samples) {
    std::string t = SniffMimeType(bytes, "", &many);
    if (t != "application/octet-stream") typed.push_back(absl::StrCat(name, " ", Hex(bytes), ": ", t));
  }
  INFO(absl::StrJoin(typed, "\n"));
  CHECK(typed.empty());
  CHECK(many.sniffed == samples.size());
  CHECK(many.weak > 40);  // what libmagic alone would have typed
  CHECK(many.weak < 200);

  // The strong forms of the same types still count.
  std::string pe("MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0\xb8\0\0\0\0\0\0\0\x40", 25);
  pe.resize(0x80, '\0');
  pe[0x3c] = '\x80';  // the PE header's offset
  pe += std::string("PE\0\0\x4c\x01\x03\0", 8) + std::string(16, '\0') + "\x0b\x01";
  pe.resize(400, '\0');
  CHECK(SniffMimeType(pe, "", &stats) == "application/vnd.microsoft.portable-executable");
  // MP3 (MPEG 1 layer III, 128 kb/s, 44.1 kHz: 417-byte frames): one frame's sync bits
  // are weak; two frames in a row, an ID3 tag, or the same type declared are not.
  std::string frame("\xff\xfb\x90\x64", 4);
  for (int i = 0; i < 413; ++i) frame.push_back(static_cast<char>(rng()));
  std::string other(frame);
  other[2] = '\x98';  // 48 kHz: not where this stream's next frame would start
  CHECK(SniffMimeType(frame + other, "", &stats) == "application/octet-stream");
  CHECK(SniffMimeType(frame.substr(0, 600), "", &stats) == "application/octet-stream");
  CHECK(SniffMimeType(frame + frame, "", &stats) == "audio/mpeg");
  CHECK(SniffMimeType(std::string("ID3\x03\0\0\0\0\0\0", 10) + frame.substr(0, 600), "", &stats) ==
        "audio/mpeg");
  CHECK(SniffMimeType(frame + other, "audio/mpeg", &stats) == "audio/mpeg");
  CHECK(SniffMimeType("%!PS-Adobe-3.0\n%%Title: x\n", "", &stats) == "application/postscript");
  CHECK(stats.weak == 3);
  // Short text: Latin-script 8-bit text is text, short random bytes are not.
  CHECK(SniffMimeType("Gr\xfc\xdf Gott, J\xfcrgen\n", "", &stats) == "text/plain");
  CHECK(SniffMimeType("Gr\xc3\xbc\xc3\x9f Gott \xe3\x81\x93\xe3\x82\x93\n", "", &stats) == "text/plain");
  const std::string short_8bit("\xe9\x80\xa8\xd3\xb5\xc7\xfe\xa1\xb2\xc4\xe8\xd0\xf1\x8a\x9c\xab");
  CHECK(SniffMimeType(short_8bit, "", &stats) == "application/octet-stream");
  CHECK(SniffMimeType(short_8bit, "text/plain", &stats) == "text/plain");  // KOI8-R, maybe
}

TEST_CASE("SniffMimeType: bytes libmagic fails on get the declared type or octet-stream",
          "[mime]") {
  // Found by mime_sniff_fuzz: libmagic 5.44 answers these 9 bytes with an error (file(1):
  // "ERROR: (null)"); the type was "" when nothing was declared.
  const std::string bytes("\0\0\xfe\xff\xff\0g\0" "0", 9);
  MimeSniffStats stats;
  CHECK(SniffMimeType(bytes, "", &stats) == "application/octet-stream");
  CHECK(SniffMimeType(bytes, "image/png", &stats) == "image/png");
  CHECK(stats.failed == 2);
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
