// Implementation notes: the parser keeps unhandled bytes in buf_, which starts as "\r\n"
// so that a body opening with "--boundary" matches the delimiter "\r\n--boundary" like
// every later one. In a part, all but the last delimiter_.size() - 1 bytes of buf_ are
// handed on at once (they cannot start a delimiter that is still incomplete).
#include "protocols/http/byte_ranges.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tcpfollow {
namespace {

constexpr size_t kMaxDigits = 18;
constexpr size_t kMaxBoundary = 200;
constexpr size_t kMaxDelimiterLine = 256;

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
  std::vector<absl::string_view> parts = absl::StrSplit(content_type, ';');
  if (parts.empty() ||
      !absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(parts[0]), "multipart/byteranges")) {
    return "";
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    absl::string_view p = absl::StripAsciiWhitespace(parts[i]);
    size_t eq = p.find('=');
    if (eq == absl::string_view::npos ||
        !absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(p.substr(0, eq)), "boundary")) {
      continue;
    }
    absl::string_view v = absl::StripAsciiWhitespace(p.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    if (v.empty() || v.size() > kMaxBoundary) return "";
    return std::string(v);
  }
  return "";
}

ByteRangesParser::ByteRangesParser(std::string boundary, ByteRangesVisitor* visitor,
                                   const ByteRangesLimits& limits, ByteRangesStats* stats)
    : delimiter_("\r\n--" + boundary),
      visitor_(visitor),
      limits_(limits),
      stats_(stats ? stats : &own_stats_),
      buf_("\r\n") {}

void ByteRangesParser::Feed(absl::string_view bytes) {
  if (state_ == State::kEpilogue || bytes.empty()) return;
  buf_.append(bytes.data(), bytes.size());
  Run();
}

void ByteRangesParser::Run() {
  while (true) {
    switch (state_) {
      case State::kEpilogue:
        buf_.clear();
        return;
      case State::kPreamble:
      case State::kPart: {
        size_t pos = buf_.find(delimiter_);
        if (pos == std::string::npos) {
          size_t keep = std::min(buf_.size(), delimiter_.size() - 1);
          if (state_ == State::kPart) {
            PartData(absl::string_view(buf_).substr(0, buf_.size() - keep));
          }
          buf_.erase(0, buf_.size() - keep);
          return;
        }
        if (state_ == State::kPart) {
          PartData(absl::string_view(buf_).substr(0, pos));
          EndPart(true);
        }
        buf_.erase(0, pos + delimiter_.size());
        state_ = State::kAfterDelimiter;
        break;
      }
      case State::kAfterDelimiter: {
        if (buf_.size() < 2) return;
        if (buf_[0] == '-' && buf_[1] == '-') {
          state_ = State::kEpilogue;
          break;
        }
        size_t nl = buf_.find('\n');
        if (nl == std::string::npos) {
          if (buf_.size() > kMaxDelimiterLine) Resync("byteranges_bad_delimiter_line");
          else return;
          break;
        }
        // Only transport padding (spaces, tabs) may follow the boundary on its line.
        absl::string_view rest = absl::StripAsciiWhitespace(absl::string_view(buf_).substr(0, nl));
        if (!rest.empty()) {
          Resync("byteranges_bad_delimiter_line");
          break;
        }
        buf_.erase(0, nl + 1);
        state_ = State::kHead;
        head_bytes_ = 0;
        range_.reset();
        content_type_.clear();
        break;
      }
      case State::kHead: {
        size_t nl = buf_.find('\n');
        if (nl == std::string::npos) {
          if (head_bytes_ + buf_.size() > limits_.max_part_head_bytes) {
            Resync("byteranges_part_head_too_long");
            break;
          }
          return;
        }
        head_bytes_ += nl + 1;
        if (head_bytes_ > limits_.max_part_head_bytes) {
          Resync("byteranges_part_head_too_long");
          break;
        }
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) {
          HeadLine(line);
          break;
        }
        // The head is over: the part's bytes follow.
        ++stats_->parts;
        state_ = State::kPart;
        if (stats_->parts > limits_.max_parts) {
          if (!skipping_) visitor_->OnAnomaly("byteranges_too_many_parts");
          skipping_ = true;
          ++stats_->parts_skipped;
          break;
        }
        if (!range_) ++stats_->parts_without_range;
        in_part_ = true;
        part_damaged_ = false;
        part_left_ = range_ ? range_->length() : 0;
        visitor_->OnPart(range_, content_type_);
        break;
      }
    }
  }
}

void ByteRangesParser::HeadLine(absl::string_view line) {
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) {
    visitor_->OnAnomaly("byteranges_bad_part_header");
    return;
  }
  absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
  absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  if (absl::EqualsIgnoreCase(name, "content-range")) {
    range_ = ParseContentRange(value);
    if (!range_) visitor_->OnAnomaly("byteranges_invalid_content_range");
  } else if (absl::EqualsIgnoreCase(name, "content-type")) {
    content_type_ = std::string(value);
  }
}

void ByteRangesParser::PartData(absl::string_view bytes) {
  if (!in_part_ || bytes.empty()) return;
  if (range_) part_left_ -= std::min<uint64_t>(part_left_, bytes.size());
  visitor_->OnPartData(bytes);
}

void ByteRangesParser::EndPart(bool complete) {
  if (!in_part_) return;
  in_part_ = false;
  if (complete && range_ && part_left_ > 0) {
    visitor_->OnAnomaly("byteranges_part_shorter_than_range");
  }
  visitor_->OnPartEnd(complete && !part_damaged_);
}

void ByteRangesParser::Resync(absl::string_view why) {
  visitor_->OnAnomaly(why);
  ++stats_->resyncs;
  EndPart(false);
  state_ = State::kPreamble;
}

void ByteRangesParser::Gap(uint64_t length) {
  if (state_ == State::kEpilogue || length == 0) return;
  if (state_ == State::kPart && in_part_ && range_ && buf_.size() + length <= part_left_) {
    // A hole inside a part whose length is known: the held bytes are the part's (a
    // delimiter cannot fit in what is left of it), then the hole at its offset.
    PartData(buf_);
    buf_.clear();
    part_left_ -= length;
    part_damaged_ = true;
    visitor_->OnPartGap(length);
    return;
  }
  if (state_ == State::kPart && in_part_) {
    PartData(buf_);
    if (range_ && part_left_ > 0) visitor_->OnPartGap(part_left_);
    part_damaged_ = true;
  }
  buf_.clear();
  Resync("byteranges_gap");
}

void ByteRangesParser::End() {
  if (state_ == State::kEpilogue) return;
  if (state_ == State::kPart && in_part_) PartData(buf_);
  buf_.clear();
  if (stats_->parts == 0) {
    visitor_->OnAnomaly("byteranges_without_parts");
  } else {
    visitor_->OnAnomaly("byteranges_unterminated");
  }
  EndPart(false);
  state_ = State::kEpilogue;
}

}  // namespace tcpfollow
