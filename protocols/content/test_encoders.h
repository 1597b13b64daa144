// Test-only encoders for content codings: gzip, zlib, raw deflate, brotli and lzma of a
// string.
// Used to build bodies for decoder and HTTP tests; not part of any shipped library.
#ifndef TCPFOLLOW_PROTOCOLS_CONTENT_TEST_ENCODERS_H_
#define TCPFOLLOW_PROTOCOLS_CONTENT_TEST_ENCODERS_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace tcpfollow::testing {

std::string GzipEncode(absl::string_view data);
// gzip with stored (uncompressed) deflate blocks: the payload bytes appear as they are.
std::string GzipStoredEncode(absl::string_view data);
std::string ZlibEncode(absl::string_view data);
std::string RawDeflateEncode(absl::string_view data);
std::string BrotliEncode(absl::string_view data);
// The .lzma ("LZMA_Alone") format with an end marker, dictionary of `dict_size` bytes.
std::string LzmaAloneEncode(absl::string_view data, uint32_t dict_size = 1 << 20);

}  // namespace tcpfollow::testing

#endif  // TCPFOLLOW_PROTOCOLS_CONTENT_TEST_ENCODERS_H_
