// Streaming removal of HTTP content codings (RFC 9110 section 8.4): gzip (also x-gzip, with
// concatenated members), deflate (zlib as the RFC says, or raw deflate as some servers send;
// told apart by the zlib header), br (brotli), lzma (the .lzma format, dictionary memory
// capped) and identity, stacked in any order as listed in Content-Encoding (decoded
// last-applied first).
//
// Output is bounded: once the decoded size passes `max_output_bytes`, or passes
// `max_ratio` times the encoded input (after `ratio_grace_bytes`), the output is cut at the
// limit, limited() becomes true and further input is ignored: a decompression bomb is flagged,
// never expanded. Corrupt input stops decoding with an error (sticky); what was decoded before
// stays delivered. No I/O; decoded bytes go to a callback as they are produced.
#ifndef TCPFOLLOW_PROTOCOLS_CONTENT_CONTENT_DECODER_H_
#define TCPFOLLOW_PROTOCOLS_CONTENT_CONTENT_DECODER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tcpfollow {

enum class ContentCoding : uint8_t { kIdentity, kGzip, kDeflate, kBrotli, kLzma };
const char* ContentCodingName(ContentCoding c);

struct ContentLimits {
  uint64_t max_output_bytes = 64ull << 20;  // decoded bytes per body
  uint64_t max_ratio = 1000;                // decoded / encoded
  uint64_t ratio_grace_bytes = 1ull << 20;  // ratio is not checked below this output size
  size_t max_codings = 4;                   // stacked codings accepted in one header
  uint64_t max_lzma_memory = 16ull << 20;   // lzma decoder memory (mostly dictionary) per body
};

struct ContentStats {
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t output_limited = 0;  // bodies cut at max_output_bytes
  uint64_t ratio_limited = 0;   // bodies cut at max_ratio
  uint64_t errors = 0;          // corrupt encoded data
};

// Parses a Content-Encoding value ("gzip", "deflate, br", "x-gzip"): codings in the order
// they were applied. Empty or "identity" entries are dropped. Unknown codings and more than
// `limits.max_codings` entries are errors (the caller keeps the body encoded).
absl::StatusOr<std::vector<ContentCoding>> ParseContentEncoding(absl::string_view value,
                                                                const ContentLimits& limits = {});

class ContentDecoder {
 public:
  using Sink = std::function<void(absl::string_view)>;

  // `applied` is what ParseContentEncoding returned; `sink` receives decoded bytes and must
  // outlive the decoder; `stats` (optional) is shared across decoders.
  ContentDecoder(std::vector<ContentCoding> applied, const ContentLimits& limits, Sink sink,
                 ContentStats* stats = nullptr);
  ~ContentDecoder();
  ContentDecoder(const ContentDecoder&) = delete;
  ContentDecoder& operator=(const ContentDecoder&) = delete;

  // Decodes one chunk of encoded bytes. Errors are sticky; after limited() input is ignored.
  absl::Status Write(absl::string_view encoded);
  // The encoded body has ended: an error if the last coding's stream is unfinished.
  absl::Status Finish();

  bool limited() const { return limited_; }
  const absl::Status& status() const { return status_; }
  uint64_t bytes_in() const { return bytes_in_; }
  uint64_t bytes_out() const { return bytes_out_; }

  class Stage;  // one coding; defined in the .cc

 private:
  // Passes decoded bytes of stage `index` on to the next stage, or to the sink at the end.
  absl::Status Emit(size_t index, absl::string_view bytes);
  absl::Status Deliver(absl::string_view bytes);

  ContentLimits limits_;
  Sink sink_;
  ContentStats* stats_;
  std::vector<std::unique_ptr<Stage>> stages_;  // decode order: last applied first
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
  bool limited_ = false;
  absl::Status status_;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_CONTENT_CONTENT_DECODER_H_
