// Implementation notes: the data scan looks for "\n--boundary" with string_view::find over
// each piece as given (no copy); only a possible delimiter start at a piece's end (at most
// the delimiter's length, plus a CR) is carried in pending_ and completed byte by byte
// from the next piece. The header block is the only other thing held, up to its limit.
#include "protocols/mime/multipart_parser.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tcpfollow {
namespace {

constexpr size_t kMaxParameters = 64;
constexpr size_t kMaxBoundary = 200;

enum class Match { kNo, kPartial, kFull };

// Whether `s` ([CR] then the start of `delim`) may be, or is, a delimiter.
Match MatchDelimiter(absl::string_view s, absl::string_view delim) {
  if (!s.empty() && s[0] == '\r') s.remove_prefix(1);
  if (s.size() > delim.size() || delim.substr(0, s.size()) != s) return Match::kNo;
  return s.size() == delim.size() ? Match::kFull : Match::kPartial;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = absl::ascii_tolower(static_cast<unsigned char>(c));
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string PercentDecode(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < s.size() && (hi = HexValue(s[i + 1])) >= 0 &&
        (lo = HexValue(s[i + 2])) >= 0) {
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string Latin1ToUtf8(absl::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back(static_cast<char>(0xc0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3f)));
    }
  }
  return out;
}

// RFC 5987 / 2231 extended value: charset'language'percent-encoded.
std::string DecodeExtended(absl::string_view v) {
  absl::string_view charset;
  size_t q1 = v.find('\'');
  size_t q2 = q1 == absl::string_view::npos ? q1 : v.find('\'', q1 + 1);
  if (q2 != absl::string_view::npos) {
    charset = v.substr(0, q1);
    v = v.substr(q2 + 1);
  }
  std::string bytes = PercentDecode(v);
  if (absl::EqualsIgnoreCase(charset, "iso-8859-1") || absl::EqualsIgnoreCase(charset, "latin1")) {
    return Latin1ToUtf8(bytes);
  }
  return bytes;
}

struct RawParameter {
  std::string name;  // lower case
  std::string value;
};

// `; a=1; b="x;y"` after the first token, as written (quoted strings unescaped).
std::vector<RawParameter> SplitParameters(absl::string_view value) {
  std::vector<RawParameter> out;
  size_t i = value.find(';');
  if (i == absl::string_view::npos) return out;
  ++i;
  while (i < value.size() && out.size() < kMaxParameters) {
    while (i < value.size() && (value[i] == ';' || absl::ascii_isspace(value[i]))) ++i;
    size_t name_start = i;
    while (i < value.size() && value[i] != '=' && value[i] != ';') ++i;
    RawParameter p;
    p.name =
        absl::AsciiStrToLower(absl::StripAsciiWhitespace(value.substr(name_start, i - name_start)));
    if (i < value.size() && value[i] == '=') {
      ++i;
      while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
      if (i < value.size() && value[i] == '"') {
        ++i;
        while (i < value.size() && value[i] != '"') {
          if (value[i] == '\\' && i + 1 < value.size() &&
              (value[i + 1] == '"' || value[i + 1] == '\\')) {
            ++i;
          }
          p.value.push_back(value[i]);
          ++i;
        }
        if (i < value.size()) ++i;                        // closing quote
        while (i < value.size() && value[i] != ';') ++i;  // junk after the quotes
      } else {
        size_t start = i;
        while (i < value.size() && value[i] != ';') ++i;
        p.value = std::string(absl::StripAsciiWhitespace(value.substr(start, i - start)));
      }
    }
    if (!p.name.empty()) out.push_back(std::move(p));
  }
  return out;
}

// "filename*1*" -> base "filename", index 1, extended; false when not a continuation.
bool ContinuationName(absl::string_view name, std::string* base, int* index, bool* extended) {
  size_t star = name.find('*');
  if (star == absl::string_view::npos || star == 0) return false;
  absl::string_view rest = name.substr(star + 1);
  *extended = absl::ConsumeSuffix(&rest, "*");
  if (rest.empty() || rest.size() > 3 || !std::all_of(rest.begin(), rest.end(), [](char c) {
        return absl::ascii_isdigit(static_cast<unsigned char>(c));
      })) {
    return false;
  }
  if (!absl::SimpleAtoi(rest, index)) return false;
  *base = std::string(name.substr(0, star));
  return true;
}

}  // namespace

MultipartStats& MultipartStats::operator+=(const MultipartStats& o) {
  bodies += o.bodies;
  parts += o.parts;
  parts_skipped += o.parts_skipped;
  headers_too_long += o.headers_too_long;
  nested += o.nested;
  gaps += o.gaps;
  resyncs += o.resyncs;
  unterminated += o.unterminated;
  not_multipart += o.not_multipart;
  return *this;
}

nlohmann::json MultipartStats::ToJson() const {
  return {{"bodies", bodies},
          {"parts", parts},
          {"parts_skipped", parts_skipped},
          {"headers_too_long", headers_too_long},
          {"nested", nested},
          {"gaps", gaps},
          {"resyncs", resyncs},
          {"unterminated", unterminated},
          {"not_multipart", not_multipart}};
}

std::vector<std::pair<std::string, std::string>> ParseHeaderParameters(absl::string_view value) {
  std::vector<std::pair<std::string, std::string>> out;
  struct Segment {
    int index;
    bool extended;
    std::string value;
  };
  std::vector<std::pair<std::string, std::vector<Segment>>> continued;
  for (RawParameter& p : SplitParameters(value)) {
    std::string base;
    int index = 0;
    bool extended = false;
    if (ContinuationName(p.name, &base, &index, &extended)) {
      auto it = std::find_if(continued.begin(), continued.end(),
                             [&](const auto& c) { return c.first == base; });
      if (it == continued.end()) {
        continued.emplace_back(base, std::vector<Segment>());
        it = continued.end() - 1;
      }
      it->second.push_back({index, extended, std::move(p.value)});
    } else if (p.name.back() == '*') {
      out.emplace_back(p.name, DecodeExtended(p.value));
    } else {
      out.emplace_back(p.name, std::move(p.value));
    }
  }
  for (auto& [base, segments] : continued) {
    std::sort(segments.begin(), segments.end(),
              [](const Segment& a, const Segment& b) { return a.index < b.index; });
    if (segments.empty() || segments[0].index != 0) continue;
    // Joined while the indexes run on; extended segments percent-decoded, the charset
    // named by the first one.
    std::string charset_part, joined;
    bool any_extended = false;
    for (size_t i = 0; i < segments.size() && segments[i].index == static_cast<int>(i); ++i) {
      const Segment& s = segments[i];
      if (s.extended) {
        any_extended = true;
        absl::string_view v = s.value;
        if (i == 0) {
          size_t q1 = v.find('\'');
          size_t q2 = q1 == absl::string_view::npos ? q1 : v.find('\'', q1 + 1);
          if (q2 != absl::string_view::npos) {
            charset_part = std::string(v.substr(0, q2 + 1));
            v = v.substr(q2 + 1);
          }
        }
        joined += PercentDecode(v);
      } else {
        joined += s.value;
      }
    }
    if (any_extended) {
      absl::string_view charset =
          absl::string_view(charset_part).substr(0, absl::string_view(charset_part).find('\''));
      if (absl::EqualsIgnoreCase(charset, "iso-8859-1")) joined = Latin1ToUtf8(joined);
      out.emplace_back(base + "*", std::move(joined));
    } else {
      out.emplace_back(base, std::move(joined));
    }
  }
  return out;
}

ContentDisposition ParseContentDisposition(absl::string_view value) {
  ContentDisposition d;
  d.type = absl::AsciiStrToLower(absl::StripAsciiWhitespace(value.substr(0, value.find(';'))));
  std::string plain, extended;
  bool has_plain = false, has_extended = false;
  for (auto& [name, v] : ParseHeaderParameters(value)) {
    if (name == "name" && d.name.empty()) {
      d.name = v;
    } else if (name == "filename" && !has_plain) {
      plain = v;
      has_plain = true;
    } else if (name == "filename*" && !has_extended) {
      extended = v;
      has_extended = true;
    }
  }
  d.has_filename = has_plain || has_extended;
  d.filename = has_extended && !extended.empty() ? extended : plain;
  return d;
}

std::string MultipartBoundary(absl::string_view content_type) {
  std::string type = absl::AsciiStrToLower(
      absl::StripAsciiWhitespace(content_type.substr(0, content_type.find(';'))));
  if (!absl::StartsWith(type, "multipart/")) return "";
  for (auto& [name, v] : ParseHeaderParameters(content_type)) {
    if (name != "boundary") continue;
    if (v.empty() || v.size() > kMaxBoundary || v.find_first_of("\r\n") != std::string::npos) {
      return "";
    }
    return v;
  }
  return "";
}

bool SplitHeaderLine(absl::string_view line, absl::string_view* name, absl::string_view* value) {
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return false;
  *name = absl::StripAsciiWhitespace(line.substr(0, colon));
  *value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  return true;
}

MultipartParser::MultipartParser(absl::string_view boundary, const MultipartLimits& limits,
                                 MultipartVisitor* visitor, MultipartStats* stats,
                                 const MultipartSyntax& syntax)
    : delimiter_("\n--"),
      limits_(limits),
      syntax_(syntax),
      visitor_(visitor),
      stats_(stats != nullptr ? stats : &own_stats_) {
  delimiter_.append(boundary.data(), boundary.size());
  // The body's first line may be a delimiter: as if a line ended just before it.
  pending_ = "\n";
  ++stats_->bodies;
}

void MultipartParser::Feed(absl::string_view in) {
  while (!in.empty()) {
    switch (state_) {
      case State::kDone:
      case State::kEpilogue:
        return;
      case State::kWhole:
        visitor_->OnPartData(in);
        return;
      case State::kPreamble: {
        if (preamble_gap_ || !syntax_.whole_body_fallback) {  // just find a delimiter
          ScanData(&in);
          break;
        }
        if (preamble_.size() >= limits_.max_preamble_bytes) {
          // A delimiter that began within the limit may still complete, byte by byte (so
          // that how the body was split does not matter); none may begin after it.
          while (!pending_.empty() && !in.empty()) {
            pending_.push_back(in[0]);
            preamble_.push_back(in[0]);
            in.remove_prefix(1);
            Match m = MatchDelimiter(pending_, delimiter_);
            if (m == Match::kFull) {
              pending_.clear();
              DelimiterFound();
            } else if (m == Match::kNo) {
              pending_.clear();
            }
          }
          if (state_ != State::kPreamble || !pending_.empty()) break;
          GoWhole(in);
          return;
        }
        absl::string_view piece = in.substr(0, limits_.max_preamble_bytes - preamble_.size());
        absl::string_view rest = piece;
        if (ScanData(&rest)) {
          in.remove_prefix(piece.size() - rest.size());
          break;
        }
        preamble_.append(piece.data(), piece.size());
        in.remove_prefix(piece.size());
        break;
      }
      case State::kData:
        ScanData(&in);
        break;
      case State::kDelimiterLine:
        DelimiterLine(&in);
        break;
      case State::kHeaders:
        Headers(&in);
        break;
    }
  }
}

bool MultipartParser::ScanData(absl::string_view* in) {
  if (!pending_.empty()) {
    std::string data;  // carried bytes that turned out not to start a delimiter
    while (!in->empty() && !pending_.empty()) {
      pending_.push_back((*in)[0]);
      in->remove_prefix(1);
      Match m = MatchDelimiter(pending_, delimiter_);
      while (m == Match::kNo && !pending_.empty()) {
        data.push_back(pending_[0]);
        pending_.erase(0, 1);
        m = pending_.empty() ? Match::kNo : MatchDelimiter(pending_, delimiter_);
      }
      if (m == Match::kFull) {
        pending_.clear();
        Emit(data);
        DelimiterFound();
        return true;
      }
    }
    Emit(data);
    if (!pending_.empty()) return false;  // the piece ended inside a possible delimiter
  }
  absl::string_view s = *in;
  size_t p = s.find(delimiter_);
  if (p != absl::string_view::npos) {
    Emit(s.substr(0, p > 0 && s[p - 1] == '\r' ? p - 1 : p));
    in->remove_prefix(p + delimiter_.size());
    DelimiterFound();
    return true;
  }
  // A delimiter may start in the last bytes: carry them.
  size_t keep = s.size();
  for (size_t i = s.size() > delimiter_.size() ? s.size() - delimiter_.size() : 0; i < s.size();
       ++i) {
    if ((s[i] == '\r' || s[i] == '\n') && MatchDelimiter(s.substr(i), delimiter_) != Match::kNo) {
      keep = i;
      break;
    }
  }
  Emit(s.substr(0, keep));
  pending_.assign(s.data() + keep, s.size() - keep);
  in->remove_prefix(s.size());
  return false;
}

void MultipartParser::Emit(absl::string_view bytes) {
  if (!bytes.empty() && state_ == State::kData && part_open_) visitor_->OnPartData(bytes);
}

void MultipartParser::DelimiterFound() {
  if (state_ == State::kPreamble) {
    delimiter_seen_ = true;
    std::string().swap(preamble_);
  }
  if (part_open_) EndPart(/*closed=*/true);
  state_ = State::kDelimiterLine;
  line_.clear();
  line_size_ = 0;
  line_junk_ = false;
}

void MultipartParser::DelimiterLine(absl::string_view* in) {
  size_t lf = in->find('\n');
  absl::string_view take = in->substr(0, lf);
  if (line_.size() < 2) {
    absl::string_view first = take.substr(0, 2 - line_.size());
    line_.append(first.data(), first.size());
  }
  line_size_ += take.size();
  line_junk_ = line_junk_ || take.find_first_not_of(" \t\r\v\f") != absl::string_view::npos;
  in->remove_prefix(lf == absl::string_view::npos ? in->size() : lf + 1);
  if (line_ == "--") {  // the close delimiter: the rest is epilogue
    state_ = State::kEpilogue;
    close_seen_ = true;
    return;
  }
  // Decided at the LF (only counted until then), so that the split does not matter.
  if (lf == absl::string_view::npos) return;
  if (line_size_ > limits_.max_delimiter_line ||
      (line_junk_ && !syntax_.lenient_delimiter_line)) {
    SkipDelimiterLine();
    return;
  }
  state_ = State::kHeaders;
  line_ = "\n";  // so that a blank first line ends the block like any other
}

// Not a delimiter line: the part it would open is skipped, and the LF that ended the line
// may start the next delimiter.
void MultipartParser::SkipDelimiterLine() {
  ++stats_->resyncs;
  state_ = State::kData;
  pending_ = "\n";
  visitor_->OnSkipped(MultipartSkip::kBadDelimiterLine);
}

void MultipartParser::Headers(absl::string_view* in) {
  // line_ is "\n" then the block: room for one byte over the limit, to know it is over.
  const size_t cap = limits_.max_header_bytes + 2;
  const size_t old = line_.size();
  absl::string_view take = in->substr(0, cap > old ? cap - old : 0);
  line_.append(take.data(), take.size());
  const size_t from = old >= 2 ? old - 2 : 0;
  size_t lf_lf = line_.find("\n\n", from);
  size_t lf_crlf = line_.find("\n\r\n", from);
  size_t end = std::string::npos, block = 0;
  if (lf_lf != std::string::npos && (lf_crlf == std::string::npos || lf_lf < lf_crlf)) {
    block = lf_lf;
    end = lf_lf + 2;
  } else if (lf_crlf != std::string::npos) {
    block = lf_crlf;
    end = lf_crlf + 3;
  }
  // The block, its blank line included, within max_header_bytes.
  if (end != std::string::npos && end - 1 <= limits_.max_header_bytes) {
    in->remove_prefix(end - old);
    std::string text = line_.substr(1, block);
    std::string().swap(line_);
    state_ = State::kData;
    pending_.clear();
    BeginPart(text);
    return;
  }
  in->remove_prefix(take.size());
  if (line_.size() - 1 > limits_.max_header_bytes) {
    ++stats_->headers_too_long;
    std::string().swap(line_);
    state_ = State::kData;  // the part is skipped up to the next delimiter
    pending_.clear();
    visitor_->OnSkipped(MultipartSkip::kHeaderTooLong);
  }
}

void MultipartParser::BeginPart(absl::string_view block) {
  if (parts_ >= limits_.max_parts) {
    ++stats_->parts_skipped;
    visitor_->OnSkipped(MultipartSkip::kTooManyParts);
    return;
  }
  // Header lines, folded ones joined.
  MultipartPart part;
  std::vector<std::string>& lines = part.header_lines;
  for (absl::string_view line : absl::StrSplit(block, '\n')) {
    absl::ConsumeSuffix(&line, "\r");
    if (line.empty()) continue;
    if ((line[0] == ' ' || line[0] == '\t') && !lines.empty()) {
      lines.back().push_back(' ');
      absl::string_view more = absl::StripLeadingAsciiWhitespace(line);
      lines.back().append(more.data(), more.size());
    } else {
      lines.emplace_back(line);
    }
  }
  for (const std::string& line : lines) {
    absl::string_view name, value;
    if (!SplitHeaderLine(line, &name, &value)) continue;
    if (absl::EqualsIgnoreCase(name, "content-disposition")) {
      part.disposition = ParseContentDisposition(value);
    } else if (absl::EqualsIgnoreCase(name, "content-type")) {
      part.content_type = std::string(value);
    }
  }
  ++parts_;
  ++stats_->parts;
  if (absl::StartsWithIgnoreCase(absl::StripLeadingAsciiWhitespace(part.content_type),
                                 "multipart/")) {
    ++stats_->nested;
  }
  part_open_ = true;
  visitor_->OnPartBegin(part);
}

void MultipartParser::EndPart(bool closed) {
  part_open_ = false;
  visitor_->OnPartEnd(closed);
}

void MultipartParser::GoWhole(absl::string_view more) {
  state_ = State::kWhole;
  ++stats_->not_multipart;
  pending_.clear();
  MultipartPart whole;
  whole.whole_body = true;
  part_open_ = true;
  visitor_->OnPartBegin(whole);
  if (!preamble_.empty()) visitor_->OnPartData(preamble_);
  std::string().swap(preamble_);
  if (!more.empty()) visitor_->OnPartData(more);
}

void MultipartParser::Gap(uint64_t length) {
  if (state_ == State::kDone || length == 0) return;
  ++stats_->gaps;
  switch (state_) {
    case State::kWhole:
      visitor_->OnPartGap(length);
      return;
    case State::kPreamble:
      if (!preamble_gap_) ++stats_->resyncs;
      preamble_gap_ = true;
      std::string().swap(preamble_);
      pending_.clear();
      return;
    case State::kData:
      if (part_open_) {
        Emit(pending_);  // what was carried was the part's data after all
        if (!visitor_->OnPartGap(length)) {
          ++stats_->resyncs;
          EndPart(/*closed=*/false);
        }
      }
      pending_.clear();
      return;
    case State::kDelimiterLine:
    case State::kHeaders:
      ++stats_->resyncs;  // the part that was starting is lost
      std::string().swap(line_);
      pending_.clear();
      state_ = State::kData;
      return;
    case State::kEpilogue:
    case State::kDone:
      return;
  }
}

void MultipartParser::Finish() {
  switch (state_) {
    case State::kDone:
      return;
    case State::kPreamble:
      if (!delimiter_seen_ && !preamble_gap_ && syntax_.whole_body_fallback) {
        GoWhole({});
        EndPart(/*closed=*/false);
      } else {
        ++stats_->unterminated;
      }
      break;
    case State::kWhole:
      EndPart(/*closed=*/false);
      break;
    case State::kData:
      if (part_open_) {
        Emit(pending_);
        EndPart(/*closed=*/false);
      }
      ++stats_->unterminated;
      break;
    case State::kDelimiterLine:
    case State::kHeaders:
      ++stats_->unterminated;
      break;
    case State::kEpilogue:
      break;
  }
  pending_.clear();
  state_ = State::kDone;
}

}  // namespace tcpfollow
