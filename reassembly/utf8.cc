// The one UTF-8 sanitiser for every log (see utf8.h).
#include "reassembly/utf8.h"

#include <cstdint>

namespace tcpfollow {

namespace {

// Length of the valid UTF-8 character at p[0..n), 0 when the bytes there are not one
// (truncated, overlong, a surrogate, above U+10FFFF, a stray continuation byte).
size_t ValidCharLength(const unsigned char* p, size_t n) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len = 0;
  uint32_t min = 0;
  if ((c & 0xE0) == 0xC0) {
    len = 2;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3;
    min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (len > n) return 0;
  uint32_t cp = c & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((p[k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[k] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

// Appends the sanitised form of `bytes` to `out`, a whole character or escape at a time,
// and stops before the first one that would take `out` past `cap` bytes.
void AppendValidUtf8(absl::string_view bytes, size_t cap, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    size_t len = ValidCharLength(p + i, n - i);
    if (len != 0) {
      if (out->size() + len > cap) return;
      out->append(bytes.data() + i, len);
      i += len;
    } else {
      if (out->size() + 4 > cap) return;
      char esc[4] = {'\\', 'x', kHex[p[i] >> 4], kHex[p[i] & 0xF]};
      out->append(esc, 4);
      ++i;
    }
  }
}

}  // namespace

// One sanitiser for every log (HTTP, SMTP, FTP, MIME). An invalid byte becomes the four
// characters \xNN, as Zeek writes it, rather than U+FFFD: the escape keeps the original
// byte recoverable from the record (U+FFFD loses which byte it was, and folds different
// wire values into one string), our logs read like Zeek's, and an escape is ASCII, so
// sanitising sanitised text changes nothing. A backslash on the wire is not escaped (as in
// Zeek), so "\x41" in a record may also be those four bytes on the wire.
std::string ToValidUtf8(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  AppendValidUtf8(bytes, std::string::npos, &out);
  return out;
}

std::string ToValidUtf8Capped(absl::string_view bytes, size_t cap) {
  std::string out;
  bytes = bytes.substr(0, cap);
  out.reserve(bytes.size());
  AppendValidUtf8(bytes, cap, &out);
  return out;
}

}  // namespace tcpfollow
