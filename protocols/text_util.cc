#include "protocols/text_util.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace tcpfollow {

std::string ToValidUtf8(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = p[i];
    size_t len = 0;
    uint32_t min = 0;
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      min = 0x10000;
    }
    bool ok = len != 0 && i + len <= n;
    uint32_t cp = len == 0 ? 0 : (c & (0x7F >> len));
    for (size_t k = 1; ok && k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      out.append(bytes.data() + i, len);
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++i;
    }
  }
  return out;
}

std::string ToValidUtf8Capped(absl::string_view bytes, size_t cap) {
  std::string out = ToValidUtf8(bytes.substr(0, cap));
  if (out.size() <= cap) return out;
  size_t end = cap;
  while (end > 0 && (static_cast<unsigned char>(out[end]) & 0xC0) == 0x80) --end;
  out.resize(end);
  return out;
}

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
