// What a 206 Partial Content answer says about the bytes it carries (RFC 9110 14.4, 14.6):
// the Content-Range field ("bytes 0-99/1000", "bytes 0-99/*"), and the incremental parser
// of a multipart/byteranges body, whose parts each carry their own Content-Range.
//
// ByteRangesParser is fed the body (transfer coding already removed) in chunks of any
// size and calls its visitor as soon as it can. The delimiters and part heads are found by
// protocols/mime/multipart_parser (the one streaming multipart parser, in its strict
// dialect: no whole-body fallback, only white space after a boundary); this layer adds what
// is particular to byteranges: each part's Content-Range, the bytes a part has left, and
// what a gap does. A gap inside a part whose Content-Range gives its length is passed on as
// a hole at that offset; a gap anywhere else (or longer than what the part has left) ends
// the part and the parser looks for the next delimiter. It counts what it could not use
// (anomalies); it does not check that parts are in order or disjoint (the range assembler
// deals with that), and it does no I/O.
#ifndef TCPFOLLOW_PROTOCOLS_HTTP_BYTE_RANGES_H_
#define TCPFOLLOW_PROTOCOLS_HTTP_BYTE_RANGES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "protocols/mime/multipart_parser.h"

namespace tcpfollow {

struct ContentRange {
  uint64_t first = 0;
  uint64_t last = 0;   // inclusive
  int64_t total = -1;  // -1: "*" (unknown)
  uint64_t length() const { return last - first + 1; }
};

// "bytes FIRST-LAST/TOTAL" or "bytes FIRST-LAST/*" (unit case-insensitive, spaces around
// the numbers tolerated). Nothing for other units, "bytes */TOTAL" (the 416 form), last <
// first, last >= total, or numbers of more than 18 digits.
std::optional<ContentRange> ParseContentRange(absl::string_view value);

// The boundary of a "multipart/byteranges; boundary=..." Content-Type, as MultipartBoundary
// reads it; "" when the type is another one or the boundary is unusable.
std::string ByteRangesBoundary(absl::string_view content_type);

class ByteRangesVisitor {
 public:
  virtual ~ByteRangesVisitor() = default;
  // A part begins: its Content-Range (nothing when missing or invalid) and Content-Type.
  virtual void OnPart(const std::optional<ContentRange>& range,
                      absl::string_view content_type) = 0;
  virtual void OnPartData(absl::string_view bytes) = 0;
  virtual void OnPartGap(uint64_t length) = 0;
  // The part ended; `complete` when its delimiter was seen and nothing was missing.
  virtual void OnPartEnd(bool complete) = 0;
  // Something the parser could not use: "byteranges_part_head_too_long", ...
  virtual void OnAnomaly(absl::string_view what) = 0;
};

struct ByteRangesLimits {
  size_t max_part_head_bytes = 4096;
  size_t max_parts = 4096;          // more parts are skipped (one anomaly)
  size_t max_delimiter_line = 256;  // white space after a boundary
};

struct ByteRangesStats {
  uint64_t parts = 0;
  uint64_t parts_without_range = 0;
  uint64_t parts_skipped = 0;   // past max_parts
  uint64_t resyncs = 0;         // gaps or bad delimiter lines that sent it looking for one
};

class ByteRangesParser : private MultipartVisitor {
 public:
  ByteRangesParser(std::string boundary, ByteRangesVisitor* visitor,
                   const ByteRangesLimits& limits = {}, ByteRangesStats* stats = nullptr);

  void Feed(absl::string_view bytes) { parser_.Feed(bytes); }
  void Gap(uint64_t length);
  // The body is over; a part still open ends incomplete.
  void End();

  bool done() const { return ended_ || parser_.closed(); }

 private:
  // MultipartVisitor
  void OnPartBegin(const MultipartPart& part) override;
  void OnPartData(absl::string_view bytes) override;
  bool OnPartGap(uint64_t length) override;
  void OnPartEnd(bool closed) override;
  void OnSkipped(MultipartSkip what) override;

  void Resync(absl::string_view why);
  // The anomaly of a body that ended before its close delimiter (once).
  void Unterminated();

  ByteRangesVisitor* visitor_;
  ByteRangesStats own_stats_;
  ByteRangesStats* stats_;
  uint64_t parts_ = 0;          // this body's (stats_ may add up several bodies)
  bool too_many_said_ = false;  // byteranges_too_many_parts reported
  bool ending_ = false;         // in End()
  bool ended_ = false;
  bool unterminated_said_ = false;
  std::optional<ContentRange> range_;  // the current part's
  bool part_damaged_ = false;
  uint64_t part_left_ = 0;  // of the declared length (when range_)
  MultipartParser parser_;  // last: it calls the members above
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_HTTP_BYTE_RANGES_H_
