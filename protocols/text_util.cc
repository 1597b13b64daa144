#include "protocols/text_util.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace tcpfollow {

std::string SniffMimeType(absl::string_view h) {
  auto starts = [&](absl::string_view p) { return absl::StartsWith(h, p); };
  if (starts("\x89PNG\r\n\x1a\n")) return "image/png";
  if (starts("\xff\xd8\xff")) return "image/jpeg";
  if (starts("GIF87a") || starts("GIF89a")) return "image/gif";
  if (starts("%PDF-")) return "application/pdf";
  if (starts("PK\x03\x04")) return "application/zip";
  if (starts("\x1f\x8b")) return "application/gzip";
  if (starts("MZ")) return "application/x-dosexec";
  if (starts("\x7f" "ELF")) return "application/x-executable";
  absl::string_view t = absl::StripLeadingAsciiWhitespace(h);
  std::string lower = absl::AsciiStrToLower(t.substr(0, 16));
  if (absl::StartsWith(lower, "<!doctype html") || absl::StartsWith(lower, "<html") ||
      absl::StartsWith(lower, "<head") || absl::StartsWith(lower, "<body")) {
    return "text/html";
  }
  if (absl::StartsWith(lower, "<?xml")) return "text/xml";
  if (h.empty()) return "";
  size_t n = std::min<size_t>(h.size(), 512);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = h[i];
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') {
      return "application/octet-stream";
    }
  }
  return "text/plain";
}

}  // namespace tcpfollow
