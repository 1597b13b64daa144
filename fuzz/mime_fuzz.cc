// libFuzzer harness for MimeExtractor: the input is one mail message. Small limits so the
// cap paths run. Invariants: no crash or abort inside GMime, results within the limits,
// header values valid UTF-8 (checked by round-tripping through ToValidUtf8).
#include <cstddef>
#include <cstdint>

#include "protocols/mime/mime_extractor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  MimeLimits limits;
  limits.max_message_bytes = 1 << 20;
  limits.max_content_type_lines = 64;
  limits.max_parts = 16;
  limits.max_part_bytes = 4096;
  limits.max_header_value_bytes = 256;
  limits.max_address_count = 8;
  limits.max_received = 4;
  MimeExtractor extractor(limits);
  auto message =
      extractor.Extract(absl::string_view(reinterpret_cast<const char*>(data), size));
  if (!message.ok()) return 0;
  if (message->parts.size() > limits.max_parts) __builtin_trap();
  for (const MimePart& part : message->parts) {
    if (part.content.size() > limits.max_part_bytes) __builtin_trap();
    if (ToValidUtf8(part.filename) != part.filename) __builtin_trap();
  }
  const MimeHeaders& h = message->headers;
  if (h.to.size() > limits.max_address_count || h.received.size() > limits.max_received) {
    __builtin_trap();
  }
  if (ToValidUtf8(h.subject) != h.subject || h.subject.size() > limits.max_header_value_bytes) {
    __builtin_trap();
  }
  return 0;
}
