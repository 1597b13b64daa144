// libFuzzer harness for SniffMimeType and ShapeOfText (protocols/mime_sniffer): the first
// byte picks the declared type, the rest is the object's start. Invariants: the type is
// never empty for bytes and is already normalised; a JSON shape holds for every shorter
// head that goes past the leading white space (the check accepts a head cut anywhere
// inside a valid document); the same input gives the same type twice. libmagic itself is
// only called, not checked.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "protocols/mime_sniffer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  if (size == 0) return 0;
  static const char* kDeclared[] = {"",          "text/plain",       "text/html",
                                    "text/css",  "application/json", "application/xhtml+xml",
                                    "image/png", "application/javascript", "image/x-tga",
                                    "audio/mpeg"};
  const char* declared = kDeclared[data[0] % (sizeof(kDeclared) / sizeof(kDeclared[0]))];
  const absl::string_view head(reinterpret_cast<const char*>(data) + 1, size - 1);
  MimeSniffStats stats;
  const std::string type = SniffMimeType(head, declared, &stats);
  if (!head.empty() && MimeSnifferError().empty()) {
    if (type.empty() || NormalizeMimeType(type) != type) __builtin_trap();
  }
  if (SniffMimeType(head, declared, nullptr) != type) __builtin_trap();
  if (ShapeOfText(head) == TextShape::kJson) {
    absl::string_view h = head.substr(0, kMimeSniffBytes);
    size_t first = 0;
    if (h.substr(0, 3) == "\xef\xbb\xbf") first = 3;
    while (first < h.size() && (h[first] == ' ' || h[first] == '\t' || h[first] == '\n' ||
                                h[first] == '\r' || h[first] == '\f')) {
      ++first;
    }
    for (size_t n : {first + 1, (first + 1 + h.size()) / 2, h.size()}) {
      if (n > first && n <= h.size() && ShapeOfText(h.substr(0, n)) != TextShape::kJson) {
        __builtin_trap();
      }
    }
  }
  return 0;
}
