// Implementation notes: MultipartParser finds delimiters and heads and calls back here;
// ByteRangesParser turns its events into ByteRangesVisitor calls and anomalies, counting
// parts per body (the stats may be shared by many bodies).
#include "protocols/http/byte_ranges.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"

namespace tcpfollow {
namespace {

constexpr size_t kMaxDigits = 18;

bool ParseNumber(absl::string_view s, uint64_t* out) {
  s = absl::StripAsciiWhitespace(s);
  if (s.empty() || s.size() > kMaxDigits) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::optional<ContentRange> ParseContentRange(absl::string_view value) {
  value = absl::StripAsciiWhitespace(value);
  if (value.size() < 6 || !absl::StartsWithIgnoreCase(value, "bytes") ||
      !absl::ascii_isspace(static_cast<unsigned char>(value[5]))) {
    return std::nullopt;
  }
  value.remove_prefix(6);
  size_t dash = value.find('-');
  size_t slash = value.find('/');
  if (dash == absl::string_view::npos || slash == absl::string_view::npos || slash < dash) {
    return std::nullopt;
  }
  ContentRange r;
  if (!ParseNumber(value.substr(0, dash), &r.first) ||
      !ParseNumber(value.substr(dash + 1, slash - dash - 1), &r.last) || r.last < r.first) {
    return std::nullopt;
  }
  absl::string_view total = absl::StripAsciiWhitespace(value.substr(slash + 1));
  if (total != "*") {
    uint64_t t = 0;
    if (!ParseNumber(total, &t) || r.last >= t) return std::nullopt;
    r.total = static_cast<int64_t>(t);
  }
  return r;
}

std::string ByteRangesBoundary(absl::string_view content_type) {
  absl::string_view type =
      absl::StripAsciiWhitespace(content_type.substr(0, content_type.find(';')));
  if (!absl::EqualsIgnoreCase(type, "multipart/byteranges")) return "";
  return MultipartBoundary(content_type);
}

namespace {

MultipartLimits CoreLimits(const ByteRangesLimits& limits) {
  MultipartLimits l;
  l.max_header_bytes = limits.max_part_head_bytes;
  l.max_parts = limits.max_parts;
  l.max_delimiter_line = limits.max_delimiter_line;
  return l;
}

MultipartSyntax Strict() {
  MultipartSyntax s;
  s.whole_body_fallback = false;
  s.lenient_delimiter_line = false;
  return s;
}

}  // namespace

ByteRangesParser::ByteRangesParser(std::string boundary, ByteRangesVisitor* visitor,
                                   const ByteRangesLimits& limits, ByteRangesStats* stats)
    : visitor_(visitor),
      stats_(stats ? stats : &own_stats_),
      parser_(boundary, CoreLimits(limits), this, /*stats=*/nullptr, Strict()) {}

void ByteRangesParser::OnPartBegin(const MultipartPart& part) {
  range_.reset();
  for (const std::string& line : part.header_lines) {
    absl::string_view name, value;
    if (!SplitHeaderLine(line, &name, &value)) {
      visitor_->OnAnomaly("byteranges_bad_part_header");
    } else if (absl::EqualsIgnoreCase(name, "content-range")) {
      range_ = ParseContentRange(value);
      if (!range_) visitor_->OnAnomaly("byteranges_invalid_content_range");
    }
  }
  ++parts_;
  ++stats_->parts;
  if (!range_) ++stats_->parts_without_range;
  part_damaged_ = false;
  part_left_ = range_ ? range_->length() : 0;
  visitor_->OnPart(range_, part.content_type);
}

void ByteRangesParser::OnPartData(absl::string_view bytes) {
  if (range_) part_left_ -= std::min<uint64_t>(part_left_, bytes.size());
  visitor_->OnPartData(bytes);
}

bool ByteRangesParser::OnPartGap(uint64_t length) {
  part_damaged_ = true;
  if (range_ && length <= part_left_) {  // a hole at its offset: a delimiter cannot fit
    part_left_ -= length;
    visitor_->OnPartGap(length);
    return true;
  }
  if (range_ && part_left_ > 0) visitor_->OnPartGap(part_left_);
  Resync("byteranges_gap");
  return false;
}

void ByteRangesParser::OnPartEnd(bool closed) {
  if (!closed && ending_) Unterminated();
  if (closed && range_ && part_left_ > 0) {
    visitor_->OnAnomaly("byteranges_part_shorter_than_range");
  }
  visitor_->OnPartEnd(closed && !part_damaged_);
}

void ByteRangesParser::OnSkipped(MultipartSkip what) {
  switch (what) {
    case MultipartSkip::kHeaderTooLong:
      Resync("byteranges_part_head_too_long");
      return;
    case MultipartSkip::kBadDelimiterLine:
      Resync("byteranges_bad_delimiter_line");
      return;
    case MultipartSkip::kTooManyParts:
      ++parts_;
      ++stats_->parts;
      ++stats_->parts_skipped;
      if (!too_many_said_) visitor_->OnAnomaly("byteranges_too_many_parts");
      too_many_said_ = true;
      return;
  }
}

void ByteRangesParser::Resync(absl::string_view why) {
  visitor_->OnAnomaly(why);
  ++stats_->resyncs;
}

void ByteRangesParser::Gap(uint64_t length) {
  if (done() || length == 0) return;
  // Outside a part the gap is lost with whatever it hid; inside one, OnPartGap decides.
  if (!parser_.part_open()) Resync("byteranges_gap");
  parser_.Gap(length);
}

void ByteRangesParser::Unterminated() {
  if (unterminated_said_) return;
  unterminated_said_ = true;
  visitor_->OnAnomaly(parts_ == 0 ? "byteranges_without_parts" : "byteranges_unterminated");
}

void ByteRangesParser::End() {
  if (done()) return;
  ending_ = true;
  parser_.Finish();  // a part still open ends through OnPartEnd, after its held bytes
  Unterminated();
  ended_ = true;
}

}  // namespace tcpfollow
