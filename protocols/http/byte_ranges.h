// What a 206 Partial Content answer says about the bytes it carries (RFC 9110 14.4, 14.6):
// the Content-Range field ("bytes 0-99/1000", "bytes 0-99/*"), and the incremental parser
// of a multipart/byteranges body, whose parts each carry their own Content-Range.
//
// ByteRangesParser is fed the body (transfer coding already removed) in chunks of any
// size, calls its visitor as soon as it can, and buffers at most one delimiter's length
// of a part's bytes or max_part_head_bytes of a part's head. A gap inside a part whose
// Content-Range gives its length is passed on as a hole at that offset; a gap anywhere
// else (or longer than what the part has left) ends the part and the parser looks for the
// next delimiter. It validates the delimiter lines and part heads, and counts what it
// could not use (anomalies); it does not check that parts are in order or disjoint (the
// range assembler deals with that), and it does no I/O.
#ifndef TCPFOLLOW_PROTOCOLS_HTTP_BYTE_RANGES_H_
#define TCPFOLLOW_PROTOCOLS_HTTP_BYTE_RANGES_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

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

// The boundary of a "multipart/byteranges; boundary=..." Content-Type (quoted or not);
// "" when the type is another one or the boundary is missing, empty or over 200 bytes.
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
  size_t max_parts = 4096;  // more parts are skipped (one anomaly)
};

struct ByteRangesStats {
  uint64_t parts = 0;
  uint64_t parts_without_range = 0;
  uint64_t parts_skipped = 0;   // past max_parts
  uint64_t resyncs = 0;         // gaps or bad delimiter lines that sent it looking for one
};

class ByteRangesParser {
 public:
  ByteRangesParser(std::string boundary, ByteRangesVisitor* visitor,
                   const ByteRangesLimits& limits = {}, ByteRangesStats* stats = nullptr);

  void Feed(absl::string_view bytes);
  void Gap(uint64_t length);
  // The body is over; a part still open ends incomplete.
  void End();

  bool done() const { return state_ == State::kEpilogue; }

 private:
  enum class State { kPreamble, kAfterDelimiter, kHead, kPart, kEpilogue };
  void Run();
  void PartData(absl::string_view bytes);
  void EndPart(bool complete);
  void HeadLine(absl::string_view line);
  void Resync(absl::string_view why);

  std::string delimiter_;  // "\r\n--" + boundary
  ByteRangesVisitor* visitor_;
  ByteRangesLimits limits_;
  ByteRangesStats own_stats_;
  ByteRangesStats* stats_;
  State state_ = State::kPreamble;
  std::string buf_;           // bytes not yet handed on
  size_t head_bytes_ = 0;
  std::optional<ContentRange> range_;
  std::string content_type_;
  bool in_part_ = false;      // OnPart was called, OnPartEnd not yet
  bool part_damaged_ = false;
  bool skipping_ = false;     // past max_parts
  uint64_t part_left_ = 0;    // of the declared length (when range_)
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_HTTP_BYTE_RANGES_H_
