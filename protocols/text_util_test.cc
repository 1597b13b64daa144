// Tests for text_util.h: UTF-8 sanitising, line ends (MIME sniffing: mime_sniffer_test).
#include "protocols/text_util.h"

#include <string>

#include <catch2/catch.hpp>

namespace tcpfollow {
namespace {

TEST_CASE("TextUtil: invalid UTF-8 becomes \\xNN, valid text is kept", "[text]") {
  CHECK(ToValidUtf8("plain") == "plain");
  CHECK(ToValidUtf8("caf\xc3\xa9") == "caf\xc3\xa9");
  CHECK(ToValidUtf8("ok \xf0\x9f\x98\x80") == "ok \xf0\x9f\x98\x80");
  CHECK(ToValidUtf8("a\xff" "b") == "a\\xff" "b");
  CHECK(ToValidUtf8("\x80") == "\\x80");  // a stray continuation byte
  CHECK(ToValidUtf8("\xc0\xaf") == "\\xc0\\xaf");  // overlong
  CHECK(ToValidUtf8("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate is not UTF-8
  CHECK(ToValidUtf8(ToValidUtf8("\xfe\xc3")) == "\\xfe\\xc3");  // idempotent
  CHECK(ToValidUtf8Capped("\xff\xff", 4) == "\\xff");  // a second one would not fit
  CHECK(ToValidUtf8Capped("\xff\xff", 7) == "\\xff");  // nor half of one
}

TEST_CASE("TextUtil: StripEol removes CR and LF at the end only", "[text]") {
  CHECK(StripEol("a\r\n") == "a");
  CHECK(StripEol("a\rb\n") == "a\rb");
  CHECK(StripEol("") == "");
}

}  // namespace
}  // namespace tcpfollow
