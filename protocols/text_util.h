// Small helpers shared by the protocols (HTTP, SMTP, FTP, MIME): wire text made safe for
// JSON records and line-end stripping (MIME types from the bytes: mime_sniffer.h, libmagic).
// No allocation beyond the returned strings.
#ifndef TCPFOLLOW_PROTOCOLS_TEXT_UTIL_H_
#define TCPFOLLOW_PROTOCOLS_TEXT_UTIL_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "reassembly/utf8.h"

namespace tcpfollow {

// ToValidUtf8, ToValidUtf8Capped: the one sanitiser for every log, in reassembly/utf8.h
// (below tls/ too, which uses it for the TLS record).

// `line` without its trailing CR/LF characters.
inline absl::string_view StripEol(absl::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_TEXT_UTIL_H_
