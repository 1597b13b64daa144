#include "tools/mime_extensions.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <catch2/catch.hpp>

namespace tcpfollow {
namespace {

std::string TempFile(const std::string& text) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/mime.types.test";
  std::ofstream(path) << text;
  return path;
}

TEST_CASE("MimeExtensions: the built-in table without any mime.types file", "[mime]") {
  MimeExtensions m("/nonexistent/mime.types");
  CHECK(m.file_types() == 0);
  CHECK(m.For("text/plain") == "txt");
  CHECK(m.For("Text/HTML; charset=UTF-8") == "html");
  CHECK(m.For("application/pdf") == "pdf");
  CHECK(m.For("image/png") == "png");
  CHECK(m.For("image/jpeg") == "jpg");
  CHECK(m.For("message/rfc822") == "eml");
  CHECK(m.For("application/octet-stream") == "bin");
  // Families: any text is text, +xml / +json suffixes say the syntax.
  CHECK(m.For("text/x-unheard-of") == "txt");
  CHECK(m.For("application/vnd.example+xml") == "xml");
  CHECK(m.For("application/problem+json") == "json");
  CHECK(m.For("application/x-unheard-of").empty());
  CHECK(m.For("").empty());
  CHECK(m.For("  ;charset=x").empty());
}

TEST_CASE("MimeExtensions: a mime.types file adds types, never unsafe extensions", "[mime]") {
  std::string path = TempFile(
      "# comment\n"
      "application/vnd.oasis.opendocument.chart\todc\n"
      "application/x-example\t\tex1 ex2\n"
      "application/x-noext\n"
      "application/x-slash\t../etc\n"
      "application/x-dot\ta.b\n"
      "application/x-long\tabcdefghijklmnop\n"
      "text/plain\tnotxt\n");  // the built-in table wins for the common types
  MimeExtensions m(path);
  CHECK(m.For("application/vnd.oasis.opendocument.chart") == "odc");
  CHECK(m.For("application/x-example") == "ex1");
  CHECK(m.For("application/x-noext").empty());
  CHECK(m.For("application/x-slash").empty());
  CHECK(m.For("application/x-dot").empty());
  CHECK(m.For("application/x-long").empty());
  CHECK(m.For("text/plain") == "txt");
  std::remove(path.c_str());
}

TEST_CASE("MimeExtensions: the system's /etc/mime.types when present", "[mime]") {
  // scripts/setup.sh installs Debian's media-types, which lists ~2,000 types; one the
  // built-in table does not name comes from it.
  REQUIRE(std::ifstream("/etc/mime.types").good());
  CHECK(MimeExtensions::System().file_types() > 1000);
  CHECK(MimeExtensions::System().For("application/vnd.oasis.opendocument.chart") == "odc");
}

}  // namespace
}  // namespace tcpfollow
