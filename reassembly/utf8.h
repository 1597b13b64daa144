// The one UTF-8 sanitiser for every log: bytes from the wire made safe for JSON records.
// Below protocols/ and tls/ so that both use it (HTTP, SMTP, FTP, MIME, and TLS's server
// name, ALPN and certificate names); protocols/text_util.h re-exports it. No allocation
// beyond the returned strings.
#ifndef TCPFOLLOW_REASSEMBLY_UTF8_H_
#define TCPFOLLOW_REASSEMBLY_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace tcpfollow {

// Replaces every byte that is not part of a valid UTF-8 character with the four characters
// \xNN (lower-case hex, as Zeek writes them), so that the value can go into a JSON record
// and the original bytes stay recoverable.
std::string ToValidUtf8(absl::string_view bytes);
// ToValidUtf8 of at most the first `cap` bytes, cut to at most `cap` bytes at a character
// or escape boundary (an escape is 4 bytes, so sanitising can grow the text).
std::string ToValidUtf8Capped(absl::string_view bytes, size_t cap);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_REASSEMBLY_UTF8_H_
