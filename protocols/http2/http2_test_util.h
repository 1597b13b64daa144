// Test-only builders of HTTP/2 bytes: frames by hand, header blocks by libnghttp2's HPACK
// deflater (a reference encoder independent of the decoder under test), and whole
// client/server conversations. Used by the tests, the benchmark and the fuzz seeds.
#ifndef TCPFOLLOW_PROTOCOLS_HTTP2_HTTP2_TEST_UTIL_H_
#define TCPFOLLOW_PROTOCOLS_HTTP2_HTTP2_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

struct nghttp2_hd_deflater;

namespace tcpfollow::h2test {

using Fields = std::vector<std::pair<std::string, std::string>>;

// One frame: 9-byte header and payload.
std::string Frame(uint8_t type, uint8_t flags, uint32_t stream, absl::string_view payload);
std::string Settings(const std::vector<std::pair<uint16_t, uint32_t>>& s = {}, bool ack = false);
std::string Data(uint32_t stream, absl::string_view data, bool end_stream, uint8_t pad = 0);
std::string RstStream(uint32_t stream, uint32_t code);
std::string GoAway(uint32_t last_stream, uint32_t code);
std::string Ping();
std::string WindowUpdate(uint32_t stream, uint32_t increment);
// DATA frames of at most `frame` bytes each, the last one END_STREAM when `end_stream`.
std::string DataFrames(uint32_t stream, absl::string_view data, size_t frame, bool end_stream);

// A libnghttp2 deflater (one per direction, as endpoints keep one).
class Encoder {
 public:
  explicit Encoder(size_t table_size = 4096);
  ~Encoder();
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;
  std::string Block(const Fields& fields);
  // The deflater's table becomes `n` bytes; the next block starts with the size update.
  void ChangeTableSize(size_t n);
  // HEADERS with the whole block (END_HEADERS), optionally padded / with priority, or
  // split into HEADERS + CONTINUATIONs of at most `fragment` bytes.
  std::string Headers(uint32_t stream, const Fields& fields, bool end_stream,
                      size_t fragment = 0, uint8_t pad = 0, bool priority = false);
  std::string PushPromise(uint32_t stream, uint32_t promised, const Fields& fields);

 private:
  nghttp2_hd_deflater* d_ = nullptr;
};

}  // namespace tcpfollow::h2test

#endif  // TCPFOLLOW_PROTOCOLS_HTTP2_HTTP2_TEST_UTIL_H_
