// Implementation notes: the head (start line + headers) is parsed as one block once its
// terminating blank line is seen, straight from the input when the whole block is there,
// otherwise from buf_ (bounded by max_head_bytes). Working on whole blocks makes folded
// header lines and LF-only line ends simple to handle. Bodies are passed on as slices of the
// input.
#include "protocols/http/http_parser.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tcpfollow {
namespace {

constexpr size_t kNpos = absl::string_view::npos;

struct TokenTable {
  bool ok[256] = {};
  constexpr TokenTable() {
    for (int c = '0'; c <= '9'; ++c) ok[c] = true;
    for (int c = 'a'; c <= 'z'; ++c) ok[c] = ok[c - 'a' + 'A'] = true;
    for (char c : "!#$%&'*+-.^_`|~") ok[static_cast<unsigned char>(c)] = c != 0;
  }
};
constexpr TokenTable kTokenTable;

bool IsTokenChar(char c) { return kTokenTable.ok[static_cast<unsigned char>(c)]; }

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

// A line of only spaces, tabs and CRs. It ends a request's header block; in a response it
// ends the block only when what follows cannot be more of it (LineAfterWhitespaceLine).
bool IsBlank(absl::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

enum class NextLine : uint8_t { kHead, kBody, kUnknown };

// What follows a whitespace-only line inside a response head: more head (an empty line, a
// folded line, "name:", a lone CR and then one of those) or the body (anything else). As
// libhtp reads it: "Content-Length: 88\r\n \r\n\r\n" ends at the empty line, while
// "...\n \nX5O!P..." ends at the whitespace line. kUnknown until enough bytes are there.
NextLine LineAfterWhitespaceLine(absl::string_view rest) {
  while (!rest.empty() && rest.front() == '\r') rest.remove_prefix(1);
  if (rest.empty()) return NextLine::kUnknown;
  if (rest.front() == '\n' || IsSpace(rest.front())) return NextLine::kHead;
  // Field names are short: a longer run is body (and bounds the rescans while undecided).
  constexpr size_t kMaxNameLookahead = 256;
  size_t i = 0;
  while (i < rest.size() && IsTokenChar(rest[i])) ++i;
  if (i == 0) return NextLine::kBody;
  while (i < rest.size() && IsSpace(rest[i])) ++i;
  if (i >= kMaxNameLookahead) return NextLine::kBody;
  if (i == rest.size()) return NextLine::kUnknown;
  return rest[i] == ':' ? NextLine::kHead : NextLine::kBody;
}

enum class Http09Probe : uint8_t { kHttp1, kHttp09, kUndecided };

// Whether a response starting with `start` has a status line, once enough bytes are in (at
// the end of the stream, kUndecided means HTTP/0.9).
Http09Probe ProbeHttp09(absl::string_view start, bool answers_http09_request) {
  if (answers_http09_request) {
    // An HTTP/0.9 request is answered with bare bytes (nginx, Apache): only a status line
    // at the very start (after the junk browsers skip) makes it an HTTP/1.x answer, not
    // "HTTP" somewhere in the text.
    for (size_t i = 0; i <= 4 && i < start.size(); ++i) {
      absl::string_view at = start.substr(i);
      if (at.size() < 5) return Http09Probe::kUndecided;
      if (absl::StartsWithIgnoreCase(at, "http/")) return Http09Probe::kHttp1;
    }
    return Http09Probe::kHttp09;
  }
  // Browsers take a response that does not start with "HTTP" (after at most a few junk
  // bytes; Chrome allows 4) as HTTP/0.9. Junk lines before a status line are tolerated
  // elsewhere (resync; HTTP evader's "SIP/2.0 200 ok\r\nHTTP/1.1 200 ok"), so look further.
  constexpr size_t kProbeBytes = 64;
  for (size_t i = 0; i + 4 <= start.size() && i < kProbeBytes; ++i) {
    if (absl::StartsWithIgnoreCase(start.substr(i), "http")) return Http09Probe::kHttp1;
  }
  return start.size() >= kProbeBytes + 3 ? Http09Probe::kHttp09 : Http09Probe::kUndecided;
}

absl::string_view StripCr(absl::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

absl::string_view TrimSpaces(absl::string_view s) {
  while (!s.empty() && (IsSpace(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (IsSpace(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

constexpr absl::string_view kMethods[] = {
    "GET",      "POST",      "HEAD",       "PUT",      "DELETE",   "CONNECT", "OPTIONS",
    "TRACE",    "PATCH",     "PROPFIND",   "PROPPATCH", "MKCOL",   "COPY",    "MOVE",
    "LOCK",     "UNLOCK",    "SEARCH",     "REPORT",   "MKACTIVITY", "CHECKOUT", "MERGE",
    "NOTIFY",   "SUBSCRIBE", "UNSUBSCRIBE", "PURGE",   "M-SEARCH", "BPROPFIND", "POLL",
};

bool IsKnownMethod(absl::string_view m) {
  for (absl::string_view k : kMethods) {
    if (m == k) return true;
  }
  return false;
}

// "HTTP/1.1 200 ..." or "HTTP/1.0 404" (prefix of a line).
bool LooksLikeStatusLine(absl::string_view s) {
  return s.size() >= 12 && absl::StartsWith(s, "HTTP/1.") && absl::ascii_isdigit(s[7]) &&
         s[8] == ' ' && absl::ascii_isdigit(s[9]) && absl::ascii_isdigit(s[10]) &&
         absl::ascii_isdigit(s[11]);
}

// A method (any token: RFC 9110 9.1 leaves the set open, QUERY, CCM_POST, ...), a space,
// then " HTTP/1." later on the first line.
bool LooksLikeRequestLine(absl::string_view s) {
  size_t sp = s.find(' ');
  if (sp == kNpos || !IsToken(s.substr(0, sp))) return false;
  absl::string_view line = s.substr(0, s.find('\n'));
  return line.find(" HTTP/1.", sp) != kNpos;
}

// A request line without a version: "GET /path".
bool IsHttp09RequestLine(absl::string_view line) {
  line = TrimSpaces(line);
  size_t last_space = line.find_last_of(" \t");
  if (last_space == kNpos) return false;  // a lone token: malformed, not 0.9
  return !absl::StartsWith(line.substr(last_space + 1), "HTTP/");
}

// A whole first line that is an HTTP/0.9 request with a known method: "GET /path". (Any
// token would take in the first line of many line-based protocols.)
bool LooksLikeHttp09Request(absl::string_view s) {
  size_t nl = s.find('\n');
  if (nl == kNpos) return false;
  absl::string_view line = TrimSpaces(s.substr(0, nl));
  size_t sp = line.find(' ');
  if (sp == kNpos || !IsKnownMethod(line.substr(0, sp))) return false;
  absl::string_view target = line.substr(sp + 1);
  return !target.empty() && target.find_first_of(" \t") == kNpos &&
         (target.front() == '/' || absl::StartsWithIgnoreCase(target, "http://"));
}

// Content-Length value: digits, or a list of identical digit strings ("5, 5").
// Returns false when invalid; *conflict when list entries differ.
bool ParseContentLength(absl::string_view value, uint64_t* out, bool* conflict) {
  bool have = false;
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    part = TrimSpaces(part);
    // Leading zeros do not count against the size: servers read "000...050" as 50.
    while (part.size() > 1 && part.front() == '0') part.remove_prefix(1);
    if (part.empty() || part.size() > 18) return false;
    uint64_t v = 0;
    for (char c : part) {
      if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
      v = v * 10 + (c - '0');
    }
    if (have && v != *out) *conflict = true;
    if (!have) *out = v;
    have = true;
  }
  return have;
}

}  // namespace

bool HeaderNameIs(absl::string_view name, absl::string_view lower) {
  if (name.size() == lower.size()) return absl::EqualsIgnoreCase(name, lower);
  if (name.size() < lower.size() || IsToken(name)) return false;  // nothing to drop
  return HeaderTextForMatching(name) == lower;
}

std::string HeaderTextForMatching(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c > 0x20 && c < 0x7f) out.push_back(absl::ascii_tolower(c));
  }
  return out;
}

bool LooksLikeHttp(absl::string_view first_bytes) {
  return LooksLikeStatusLine(first_bytes) || LooksLikeRequestLine(first_bytes) ||
         LooksLikeHttp09Request(first_bytes);
}

bool LooksLikeHttpResponse(absl::string_view server_first_bytes) {
  return LooksLikeStatusLine(server_first_bytes);
}

HttpParser::HttpParser(HttpRole role, HttpVisitor* visitor, const HttpLimits& limits,
                       HttpStats* stats)
    : role_(role), visitor_(visitor), limits_(limits), stats_(stats ? stats : &own_stats_) {}

size_t HttpParser::Feed(absl::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    absl::string_view rest = bytes.substr(pos);
    size_t used = 0;
    switch (state_) {
      case State::kHead: used = FeedHead(rest); break;
      case State::kBodyLength:
      case State::kBodyClose:
      case State::kChunkData: used = FeedBody(rest); break;
      case State::kChunkSize: used = FeedChunkSize(rest); break;
      case State::kChunkDataEnd: used = FeedChunkDataEnd(rest); break;
      case State::kTrailers: used = FeedTrailers(rest); break;
      case State::kResync: used = FeedResync(rest); break;
      case State::kChunkResync: used = FeedChunkResync(rest); break;
      case State::kStopped: return pos;
      case State::kError:
      case State::kEnded: return bytes.size();
    }
    pos += used;
  }
  return pos;
}

void HttpParser::ResetScan() {
  buf_.clear();
  scan_pos_ = 0;
  line_start_ = 0;
  first_line_done_ = false;
  blank_line_pending_ = false;
  probing_http09_ = false;
}

size_t HttpParser::ScanBlock(absl::string_view buf, bool first_line_special) {
  while (true) {
    size_t nl = buf.find('\n', scan_pos_);
    if (nl == kNpos) {
      scan_pos_ = buf.size();
      return kNpos;
    }
    const size_t this_line = line_start_;
    absl::string_view line = StripCr(buf.substr(line_start_, nl - line_start_));
    scan_pos_ = line_start_ = nl + 1;
    if (!first_line_done_) {
      first_line_done_ = true;
      if (first_line_special && role_ == HttpRole::kRequest && IsHttp09RequestLine(line)) {
        return nl + 1;
      }
      if (!first_line_special && line.empty()) return nl + 1;  // trailers: none
    } else if (line.empty()) {
      return nl + 1;
    } else if (IsBlank(line)) {
      if (first_line_special && role_ == HttpRole::kResponse) {
        NextLine next = LineAfterWhitespaceLine(buf.substr(nl + 1));
        if (next == NextLine::kUnknown) {
          scan_pos_ = line_start_ = this_line;  // decide when more bytes (or the end) come
          blank_line_pending_ = true;
          return kNpos;
        }
        blank_line_pending_ = false;
        if (next == NextLine::kHead) {
          Anomaly("whitespace_line_in_headers");
          continue;
        }
      }
      Anomaly("whitespace_line_ends_headers");
      return nl + 1;
    }
  }
}

size_t HttpParser::FeedHead(absl::string_view data) {
  size_t pos = 0;
  if (buf_.empty()) {
    // Blank lines before a message (e.g. a stray CRLF after a POST body) are skipped.
    while (pos < data.size() && (data[pos] == '\r' || data[pos] == '\n')) ++pos;
    if (pos == data.size()) return pos;
    data.remove_prefix(pos);
    in_message_ = true;
    lf_only_reported_ = false;
    ResetScan();
    probing_http09_ = role_ == HttpRole::kResponse && visitor_->AcceptsHttp09Response();
    answers_http09_ = probing_http09_ && visitor_->AnswersHttp09Request();
    if (probing_http09_) {
      switch (ProbeHttp09(data, answers_http09_)) {
        case Http09Probe::kHttp09:
          StartHttp09Response();
          return pos;  // the bytes are fed again, as body
        case Http09Probe::kUndecided:
          buf_.assign(data.data(), data.size());  // not scanned yet: scan state stays at 0
          return pos + data.size();
        case Http09Probe::kHttp1:
          probing_http09_ = false;
          break;
      }
    }
    size_t end = ScanBlock(data, true);
    if (end != kNpos && end <= limits_.max_head_bytes) {
      ParseHead(data.substr(0, end));
      return pos + end;
    }
    if (end != kNpos || data.size() > limits_.max_head_bytes) {
      ++stats_->head_too_large;
      ReportStartLine(data);
      Fail("head_too_large");
      return pos + data.size();
    }
    buf_.assign(data.data(), data.size());  // scan state already covers these bytes
    return pos + data.size();
  }
  size_t old = buf_.size();
  size_t take = std::min(data.size(), limits_.max_head_bytes + 1 - old);
  buf_.append(data.data(), take);
  if (probing_http09_) {
    switch (ProbeHttp09(buf_, answers_http09_)) {
      case Http09Probe::kHttp09: {
        std::string body = std::move(buf_);
        ResetScan();
        StartHttp09Response();
        Feed(body);
        return take;
      }
      case Http09Probe::kUndecided:
        return take;
      case Http09Probe::kHttp1:
        probing_http09_ = false;
        break;
    }
  }
  size_t end = ScanBlock(buf_, true);
  if (end == kNpos || end > limits_.max_head_bytes) {
    if (end != kNpos || buf_.size() > limits_.max_head_bytes) {
      ++stats_->head_too_large;
      ReportStartLine(buf_);
      Fail("head_too_large");
      return data.size();
    }
    return take;
  }
  std::string block = std::move(buf_);
  ResetScan();
  ParseHead(absl::string_view(block).substr(0, end));
  return end - old;
}

bool HttpParser::ParseStartLine(absl::string_view line, HttpMessageInfo* info) {
  if (role_ == HttpRole::kRequest) {
    line = TrimSpaces(line);
    size_t sp = line.find_first_of(" \t");
    if (sp == kNpos) return false;
    absl::string_view method = line.substr(0, sp);
    if (!IsToken(method)) return false;
    absl::string_view rest = line.substr(sp + 1);
    bool extra_space = !rest.empty() && IsSpace(rest.front());
    rest = TrimSpaces(rest);
    absl::string_view target = rest;
    absl::string_view version;
    size_t last = rest.find_last_of(" \t");
    if (last != kNpos && absl::StartsWith(rest.substr(last + 1), "HTTP/")) {
      version = rest.substr(last + 1);
      target = TrimSpaces(rest.substr(0, last));
      if (target.find_first_of(" \t") != kNpos) Anomaly("space_in_uri");
      if (last > 0 && IsSpace(rest[last - 1])) extra_space = true;
    } else {
      if (last != kNpos) return false;  // "GET /a b": neither 0.9 nor 1.x
      info->http09 = true;
      Anomaly("http09_request");
    }
    if (target.empty()) return false;
    if (extra_space) Anomaly("extra_space_in_request_line");
    info->http11 = absl::EqualsIgnoreCase(version, "HTTP/1.1");
    visitor_->OnRequestLine(method, target, version);
    return true;
  }
  if (!line.empty() && IsSpace(line.front())) {
    Anomaly("space_before_status_line");
    line = TrimSpaces(line);
  }
  if (!absl::StartsWithIgnoreCase(line, "HTTP/")) return false;
  if (!absl::StartsWith(line, "HTTP/")) Anomaly("lowercase_http_version");
  size_t sp = line.find_first_of(" \t");
  absl::string_view version = line.substr(0, sp);
  absl::string_view rest = sp == kNpos ? absl::string_view() : line.substr(sp + 1);
  if (!rest.empty() && IsSpace(rest.front())) Anomaly("extra_space_in_status_line");
  rest = absl::StripLeadingAsciiWhitespace(rest);
  if (rest.size() < 3 || !absl::ascii_isdigit(rest[0]) || !absl::ascii_isdigit(rest[1]) ||
      !absl::ascii_isdigit(rest[2]) || (rest.size() > 3 && !IsSpace(rest[3]))) {
    // Browsers show such a response as a 200 (HTTP evader's "broken status" cases).
    Anomaly("invalid_status_code");
    info->status = 200;
    visitor_->OnStatusLine(version, info->status, TrimSpaces(rest));
    return true;
  }
  info->status = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
  visitor_->OnStatusLine(version, info->status, TrimSpaces(rest.substr(3)));
  info->http11 = absl::EqualsIgnoreCase(version, "HTTP/1.1");
  return true;
}

void HttpParser::ParseFields(absl::string_view block, bool trailers, HttpMessageInfo* info) {
  struct Field {
    absl::string_view name;
    absl::string_view value;
    bool spaced = false;  // whitespace before the colon: not used for a request's framing
  };
  std::vector<Field> fields;
  fields.reserve(16);
  // Lines joined with their folded continuations (rare; no allocation until used).
  std::vector<std::unique_ptr<std::string>> folded;
  auto add_field = [&](absl::string_view line) {
    size_t colon = line.find(':');
    if (colon == kNpos) {
      Anomaly("header_without_colon");
      return;
    }
    absl::string_view name = line.substr(0, colon);
    bool spaced = false;
    if (!name.empty() && IsSpace(name.back())) {
      Anomaly("space_before_colon");
      name = TrimSpaces(name);
      spaced = true;
    }
    if (!IsToken(name)) {
      Anomaly("invalid_header_name");
      if (HeaderTextForMatching(name).empty()) return;
    }
    if (fields.size() >= limits_.max_headers) {
      ++stats_->headers_dropped;
      Anomaly("too_many_headers");
      return;
    }
    fields.push_back({name, TrimSpaces(line.substr(colon + 1)), spaced});
  };
  // A folded line continues the line before it, whatever that holds (RFC 9112 5.2: obs-fold
  // is replaced by a space before the field is interpreted), so "Transfer-Encoding\r\n
  // :chunked" is one field. Lines are collected until the next unfolded one.
  absl::string_view current;
  std::string* joined = nullptr;
  auto take_line = [&](absl::string_view line) {
    if (line.empty()) return;
    if (IsSpace(line.front())) {
      absl::string_view more = TrimSpaces(line);
      if (more.empty()) return;  // whitespace only: adds nothing
      if (current.empty()) {
        Anomaly("continuation_without_header");
        return;
      }
      Anomaly("folded_header");
      if (joined == nullptr) {
        folded.push_back(std::make_unique<std::string>(current));
        joined = folded.back().get();
      }
      absl::StrAppend(joined, " ", more);
      return;
    }
    if (!current.empty()) add_field(joined ? absl::string_view(*joined) : current);
    current = line;
    joined = nullptr;
  };
  bool cr_reported = false;  // once per block
  size_t pos = 0;
  while (pos < block.size()) {
    size_t nl = block.find('\n', pos);
    bool last = nl == kNpos;
    absl::string_view raw = block.substr(pos, last ? kNpos : nl - pos);
    pos = last ? block.size() : nl + 1;
    absl::string_view line = StripCr(raw);
    if (line.empty()) continue;
    if (raw.size() == line.size() && !last && !lf_only_reported_) {
      lf_only_reported_ = true;
      Anomaly("lf_line_ending");
    }
    // In a response a lone CR ends a line too: browsers split header lines at CR or LF.
    if (role_ == HttpRole::kRequest || line.find('\r') == kNpos) {
      take_line(line);
      continue;
    }
    if (!cr_reported) {
      cr_reported = true;
      Anomaly("cr_line_ending");
    }
    for (absl::string_view piece : absl::StrSplit(line, '\r')) take_line(piece);
  }
  if (!current.empty()) add_field(joined ? absl::string_view(*joined) : current);

  bool cl_seen = false, cl_invalid = false, cl_conflict = false;
  bool te_seen = false, te_chunked = false;
  uint64_t cl = 0;
  for (const Field& f : fields) {
    if (trailers) {
      visitor_->OnTrailer(f.name, f.value);
      continue;
    }
    visitor_->OnHeader(f.name, f.value);
    // RFC 9112 5.1: a server rejects "Name :"; a proxy fixes it in a response, as browsers
    // read it ("Transfer-Encoding : chunked" is chunked to them).
    if (f.spaced && role_ == HttpRole::kRequest) continue;
    if (HeaderNameIs(f.name, "content-length")) {
      uint64_t v = 0;
      bool conflict = false;
      if (!ParseContentLength(f.value, &v, &conflict)) {
        cl_invalid = true;
      } else {
        if (conflict || (cl_seen && v != cl)) cl_conflict = true;
        if (!cl_seen) cl = v;
        cl_seen = true;
      }
    } else if (HeaderNameIs(f.name, "transfer-encoding")) {
      te_seen = true;
      // As libhtp and browsers: "chunked" anywhere in the value, whatever surrounds it.
      std::string value = HeaderTextForMatching(f.value);
      te_chunked = te_chunked || absl::StrContains(value, "chunked");
      if (value != "chunked") Anomaly("unusual_transfer_encoding");
    }
  }
  if (trailers) return;

  const bool response = role_ == HttpRole::kResponse;
  if (info->http09 || (response && (info->status / 100 == 1 || info->status == 204 ||
                                    info->status == 304))) {
    info->framing = BodyFraming::kNone;
    if (response && (cl_seen || te_seen) && info->status / 100 == 1) {
      Anomaly("framing_on_bodyless_status");
    }
  } else if (te_seen) {
    if (cl_seen && !cl_conflict) info->content_length = cl;  // for the identity fallback
    if (cl_seen || cl_invalid) {
      info->framing_conflict = true;
      Anomaly("content_length_with_transfer_encoding");
    }
    if (te_chunked) {
      info->framing = BodyFraming::kChunked;
    } else {
      Anomaly("unknown_transfer_encoding");
      info->framing = response ? BodyFraming::kClose : BodyFraming::kNone;
    }
  } else if (cl_invalid && !cl_seen) {
    Anomaly("invalid_content_length");
    info->framing = response ? BodyFraming::kClose : BodyFraming::kNone;
  } else if (cl_seen) {
    if (cl_conflict || cl_invalid) {
      info->framing_conflict = true;
      Anomaly("conflicting_content_length");
    }
    info->framing = BodyFraming::kLength;
    info->content_length = cl;
  } else {
    info->framing = response ? BodyFraming::kClose : BodyFraming::kNone;
  }
}

absl::string_view HttpParser::StartLine(absl::string_view head) const {
  absl::string_view line = StripCr(head.substr(0, head.find('\n')));
  if (role_ == HttpRole::kRequest) return line;
  // Browsers look for "HTTP" a few bytes in (Chrome: up to 4), so "\0HTTP/1.1 200 ok" and
  // " \rHTTP/1.1 200 ok" are status lines.
  if (!absl::StartsWithIgnoreCase(line, "http")) {
    for (size_t skip = 1; skip <= 4 && skip < line.size(); ++skip) {
      if (absl::StartsWithIgnoreCase(line.substr(skip), "http/")) {
        line.remove_prefix(skip);
        break;
      }
    }
  }
  // A status line ends at a lone CR as well ("HTTP/1.1 200\rTransfer-Encoding: chunked").
  return line.substr(0, line.find('\r'));
}

void HttpParser::ReportStartLine(absl::string_view partial_head) {
  size_t nl = partial_head.find('\n');
  if (nl == kNpos || nl >= limits_.max_head_bytes) return;
  HttpMessageInfo unused;
  absl::string_view line = StartLine(partial_head);
  if (!ParseStartLine(line, &unused) && role_ == HttpRole::kRequest) {
    Anomaly("invalid_request_line");
    ReportMalformedRequestLine(line);
  }
}

void HttpParser::ReportMalformedRequestLine(absl::string_view line) {
  line = TrimSpaces(line);
  absl::string_view method, target, version;
  size_t sp = line.find_first_of(" \t");
  absl::string_view first = line.substr(0, sp);
  absl::string_view rest = sp == kNpos ? absl::string_view() : TrimSpaces(line.substr(sp + 1));
  if (IsToken(first)) {
    method = first;
  } else {
    rest = absl::string_view();  // junk: nothing after it can be trusted either
  }
  size_t last = rest.find_last_of(" \t");
  absl::string_view last_word = last == kNpos ? rest : rest.substr(last + 1);
  if (absl::StartsWith(last_word, "HTTP/")) {
    version = last_word;
    rest = last == kNpos ? absl::string_view() : TrimSpaces(rest.substr(0, last));
  }
  target = rest;
  visitor_->OnMalformedRequestLine(method, target, version);
}

bool HttpParser::HoldsRequestLine(absl::string_view rest) {
  while (!rest.empty()) {
    size_t nl = rest.find('\n');
    if (LooksLikeRequestLine(rest.substr(0, nl == kNpos ? rest.size() : nl + 1))) return true;
    if (nl == kNpos) break;
    rest.remove_prefix(nl + 1);
  }
  return false;
}

void HttpParser::ParseHead(absl::string_view block) {
  size_t nl = block.find('\n');
  absl::string_view start = StartLine(block);
  const size_t skipped = start.data() - block.data();
  if (skipped > 0) Anomaly("junk_before_status_line");
  // Header lines start after the start line's LF, or after its lone CR.
  absl::string_view fields = nl == kNpos ? absl::string_view() : block.substr(nl + 1);
  if (skipped + start.size() < StripCr(block.substr(0, nl)).size()) {
    Anomaly("cr_line_ending");
    fields = block.substr(skipped + start.size() + 1);
  }
  HttpMessageInfo info;
  if (!ParseStartLine(start, &info)) {
    Anomaly(role_ == HttpRole::kRequest ? "invalid_request_line" : "invalid_status_line");
    if (role_ == HttpRole::kRequest && !HoldsRequestLine(fields)) {
      // A malformed request, not junk before one: the server answers it, so log it.
      ReportMalformedRequestLine(start);
      ParseFields(fields, false, &info);
      EndHead(info);
      return;
    }
    in_message_ = false;
    state_ = State::kResync;
    resync_line_start_ = true;
    // The rest of this block may hold the real start line (garbage before a request). A
    // line found by resync is a valid start line, so this recurses at most once more.
    absl::string_view after = nl == kNpos ? absl::string_view() : block.substr(nl + 1);
    if (!after.empty()) Feed(after);
    return;
  }
  ParseFields(fields, false, &info);
  EndHead(info);
}

void HttpParser::EndHead(HttpMessageInfo info) {
  HeadersAction action = visitor_->OnHeadersComplete(info);
  if (action == HeadersAction::kStop) {
    ++stats_->messages;
    in_message_ = false;
    state_ = State::kStopped;
    return;
  }
  if (action == HeadersAction::kNoBody) info.framing = BodyFraming::kNone;
  StartBody(info);
}

void HttpParser::StartHttp09Response() {
  probing_http09_ = false;
  Anomaly("http09_response");
  HttpMessageInfo info;
  info.http09 = true;
  info.status = 200;
  info.framing = BodyFraming::kClose;
  visitor_->OnStatusLine("HTTP/0.9", info.status, "");
  EndHead(info);
}

void HttpParser::StartBody(const HttpMessageInfo& info) {
  switch (info.framing) {
    case BodyFraming::kNone:
      CompleteMessage();
      return;
    case BodyFraming::kLength:
      remaining_ = info.content_length;
      if (remaining_ == 0) {
        CompleteMessage();
      } else {
        state_ = State::kBodyLength;
      }
      return;
    case BodyFraming::kChunked:
      state_ = State::kChunkSize;
      first_chunk_ = true;
      skipped_.clear();
      fallback_length_ = info.content_length;
      ResetScan();
      return;
    case BodyFraming::kClose:
      state_ = State::kBodyClose;
      return;
  }
}

size_t HttpParser::FeedBody(absl::string_view data) {
  size_t n = data.size();
  if (state_ != State::kBodyClose && remaining_ < n) n = static_cast<size_t>(remaining_);
  stats_->body_bytes += n;
  visitor_->OnBody(data.substr(0, n));
  if (state_ == State::kBodyClose) return n;
  remaining_ -= n;
  if (remaining_ == 0) {
    if (state_ == State::kBodyLength) {
      CompleteMessage();
    } else {
      state_ = State::kChunkDataEnd;
      saw_cr_ = false;
    }
  }
  return n;
}

size_t HttpParser::FeedChunkSize(absl::string_view data) {
  size_t nl = data.find('\n');
  size_t take = nl == kNpos ? data.size() : nl + 1;
  if (first_chunk_ && (fallback_length_ > 0 || role_ == HttpRole::kResponse)) {
    // Labelled chunked but is not (as libhtp and browsers read it): as soon as the first
    // visible byte cannot start a chunk size, the body is the bytes as sent, delimited by
    // Content-Length if there was one, else by the close.
    absl::string_view probe = absl::StripLeadingAsciiWhitespace(
        buf_.empty() ? data.substr(0, take) : absl::string_view(buf_));
    if (probe.empty() && !buf_.empty()) {
      probe = absl::StripLeadingAsciiWhitespace(data.substr(0, take));
    }
    if (!probe.empty() && !absl::ascii_isxdigit(static_cast<unsigned char>(probe.front()))) {
      Anomaly("chunked_body_not_chunked");
      std::string raw = std::move(skipped_);
      skipped_.clear();
      raw.append(buf_);
      ResetScan();
      raw.append(data.data(), take);
      remaining_ = fallback_length_;
      state_ = fallback_length_ > 0 ? State::kBodyLength : State::kBodyClose;
      Feed(raw);  // re-read as body; counted as consumed here
      return take;
    }
  }
  if (buf_.size() + take > limits_.max_line_bytes) {
    ++stats_->line_too_long;
    Fail("chunk_size_line_too_long");
    return data.size();
  }
  if (nl == kNpos) {
    buf_.append(data.data(), data.size());
    return take;
  }
  absl::string_view line;
  std::string joined;
  if (buf_.empty()) {
    line = data.substr(0, nl);
  } else {
    buf_.append(data.data(), nl);
    joined = std::move(buf_);
    buf_.clear();
    line = joined;
  }
  const absl::string_view unstripped = line;
  line = StripCr(line);
  absl::string_view digits = line;
  if (!digits.empty() && absl::ascii_isspace(static_cast<unsigned char>(digits.front()))) {
    Anomaly("space_before_chunk_size");
    digits = absl::StripLeadingAsciiWhitespace(digits);
  }
  if (digits.empty()) {
    Anomaly("blank_line_before_chunk_size");  // tolerated, as browsers do
    if (first_chunk_ && skipped_.size() + unstripped.size() + 1 <= limits_.max_line_bytes) {
      absl::StrAppend(&skipped_, unstripped, "\n");  // the body's own bytes if not chunked
    }
    return take;
  }
  size_t end = 0;
  uint64_t size = 0;
  while (end < digits.size() && absl::ascii_isxdigit(static_cast<unsigned char>(digits[end]))) {
    if (end >= limits_.max_chunk_size_digits) {
      ++stats_->chunk_size_overflow;
      Fail("chunk_size_overflow");
      return take;
    }
    char c = digits[end];
    size = size * 16 + (absl::ascii_isdigit(c) ? c - '0' : (absl::ascii_tolower(c) - 'a' + 10));
    ++end;
  }
  absl::string_view tail = digits.substr(end);
  if (!tail.empty() && IsSpace(tail.front())) {
    Anomaly("space_after_chunk_size");
    tail = absl::StripLeadingAsciiWhitespace(tail);
  }
  if (end > 0 && !tail.empty() && tail.front() != ';') {
    Anomaly("chunk_size_trailing_garbage");  // browsers read the leading hex digits
    tail = absl::string_view();
  }
  if (end == 0) {
    Anomaly("invalid_chunk_size");
    AbandonMessage("invalid_chunk_size");
    return take;
  }
  first_chunk_ = false;
  skipped_.clear();
  if (size == 0) {
    state_ = State::kTrailers;
    ResetScan();
    return take;
  }
  remaining_ = size;
  state_ = State::kChunkData;
  return take;
}

size_t HttpParser::FeedChunkDataEnd(absl::string_view data) {
  char c = data[0];
  if (c == '\r' && !saw_cr_) {
    saw_cr_ = true;
    return 1;
  }
  state_ = State::kChunkSize;
  ResetScan();
  if (c == '\n') {
    if (!saw_cr_ && !lf_only_reported_) {
      lf_only_reported_ = true;
      Anomaly("lf_line_ending");
    }
    return 1;
  }
  Anomaly("missing_chunk_terminator");
  return 0;  // this byte starts the next chunk-size line
}

size_t HttpParser::FeedTrailers(absl::string_view data) {
  size_t old = buf_.size();
  size_t take = std::min(data.size(), limits_.max_head_bytes + 1 - old);
  buf_.append(data.data(), take);
  size_t end = ScanBlock(buf_, false);
  if (end == kNpos || end > limits_.max_head_bytes) {
    if (end != kNpos || buf_.size() > limits_.max_head_bytes) {
      ++stats_->head_too_large;
      Fail("trailers_too_large");
      return data.size();
    }
    return take;
  }
  std::string block = std::move(buf_);
  ResetScan();
  HttpMessageInfo unused;
  ParseFields(absl::string_view(block).substr(0, end), true, &unused);
  CompleteMessage();
  return end - old;
}

size_t HttpParser::FeedResync(absl::string_view data) {
  size_t nl = data.find('\n');
  size_t take = nl == kNpos ? data.size() : nl + 1;
  if (resync_line_start_) {
    if (buf_.size() + take > limits_.max_line_bytes) {
      resync_line_start_ = false;  // too long for a start line: skip to its end
      buf_.clear();
    } else {
      buf_.append(data.data(), take);
    }
  }
  if (nl == kNpos) return take;
  bool found = resync_line_start_ && (role_ == HttpRole::kRequest
                                          ? LooksLikeRequestLine(buf_)
                                          : LooksLikeStatusLine(buf_));
  if (!found && resync_line_start_ && role_ == HttpRole::kResponse) {
    // A body cut by a gap often runs straight into the next status line: "HTTP/1.x NNN"
    // is distinctive enough to look for inside the line.
    for (size_t at = buf_.find("HTTP/1."); at != std::string::npos;
         at = buf_.find("HTTP/1.", at + 1)) {
      if (LooksLikeStatusLine(absl::string_view(buf_).substr(at))) {
        buf_.erase(0, at);
        found = true;
        break;
      }
    }
  }
  resync_line_start_ = true;
  if (!found) {
    buf_.clear();
    return take;
  }
  ++stats_->resyncs;
  std::string line = std::move(buf_);
  ResetScan();
  state_ = State::kHead;
  // Re-enter head parsing with the recognised line.
  in_message_ = true;
  lf_only_reported_ = false;
  buf_ = std::move(line);
  size_t end = ScanBlock(buf_, true);
  if (end != kNpos) {  // HTTP/0.9 request: complete on its own
    std::string block = std::move(buf_);
    ResetScan();
    ParseHead(block);
  }
  return take;
}

namespace {

// A chunk-size line as a resynchronising parser accepts it: 1 to `max_digits` hex digits,
// then optional spaces and either the line's end or a ';' extension.
bool ParseChunkSizeLine(absl::string_view line, size_t max_digits, uint64_t* size) {
  size_t n = 0;
  uint64_t v = 0;
  while (n < line.size() && absl::ascii_isxdigit(static_cast<unsigned char>(line[n]))) {
    if (n >= max_digits) return false;
    const char c = line[n];
    v = v * 16 + (absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10);
    ++n;
  }
  if (n == 0) return false;
  absl::string_view tail = absl::StripLeadingAsciiWhitespace(line.substr(n));
  if (!tail.empty() && tail.front() != ';') return false;
  *size = v;
  return true;
}

}  // namespace

void HttpParser::StartChunkResync(uint64_t lost) {
  ResetScan();
  state_ = State::kChunkResync;
  chunk_lost_ = lost;
  chunk_scan_ = 0;
  chunk_line_ = std::string::npos;  // the bytes right after a gap start no known line
}

size_t HttpParser::FeedChunkResync(absl::string_view data) {
  const size_t held = buf_.size();
  const size_t cap = limits_.max_chunk_resync_bytes;
  if (held >= cap) {
    FailChunkResync();
    return 0;  // what follows is parsed in the new state
  }
  const size_t take = std::min(cap - held, data.size());
  buf_.append(data.data(), take);
  // Bytes after `at` go to the state just entered: those of this call by returning where
  // they start, those held from earlier calls fed again here.
  auto hand_on = [&](size_t at, std::string earlier) -> size_t {
    if (at >= held) return at - held;
    Feed(earlier);
    return 0;
  };
  while (true) {
    const size_t nl = buf_.find('\n', chunk_scan_);
    if (nl == std::string::npos) {
      chunk_scan_ = buf_.size();
      return take;
    }
    chunk_scan_ = nl + 1;
    if (chunk_line_ == std::string::npos) {  // the first line end after the gap
      chunk_line_ = nl + 1;
      continue;
    }
    const size_t line_start = chunk_line_;
    chunk_line_ = nl + 1;
    const absl::string_view raw = absl::string_view(buf_).substr(line_start, nl - line_start);
    uint64_t size = 0;
    // Chunk framing is CRLF on both sides of a size line: "...data\r\n1f40\r\n".
    const bool framed = line_start >= 2 && buf_[line_start - 2] == '\r' && !raw.empty() &&
                        raw.back() == '\r' && raw.size() <= limits_.max_line_bytes;
    if (framed && ParseChunkSizeLine(StripCr(raw), limits_.max_chunk_size_digits, &size)) {
      // Text can hold a line of hex digits ("2024"): the chunk it announces must end in
      // CRLF (or, for the last chunk, a blank line or a trailer field follow). Checked
      // when those bytes fit within the cap; a bigger chunk is taken on trust.
      const size_t after = nl + 1;
      const uint64_t check_at = size == 0 ? after : after + size;
      if (check_at + 2 <= cap) {
        if (buf_.size() < check_at + 2 ||
            (size == 0 && buf_.compare(check_at, 2, "\r\n") != 0 &&
             buf_.find('\n', check_at) == std::string::npos)) {
          chunk_scan_ = nl;  // wait for the bytes that decide, then look at this line again
          chunk_line_ = line_start;
          return take;
        }
        const bool ends_right =
            size == 0 ? buf_.compare(check_at, 2, "\r\n") == 0 ||
                            absl::string_view(buf_)
                                    .substr(check_at, buf_.find('\n', check_at) - check_at)
                                    .find(':') != absl::string_view::npos
                      : buf_.compare(check_at, 2, "\r\n") == 0;
        if (!ends_right) continue;
      }
      // The body goes on: what the gaps took is missing from it, and what came between
      // the gap and this line (up to the CRLF before it) is the tail of a chunk.
      ++stats_->chunk_resyncs;
      std::string held_bytes = std::move(buf_);
      const uint64_t lost = chunk_lost_;
      ResetScan();
      chunk_lost_ = 0;
      visitor_->OnBodyGap(lost);
      const size_t data_end = line_start - 2;
      if (data_end > 0) {
        stats_->body_bytes += data_end;
        visitor_->OnBody(absl::string_view(held_bytes).substr(0, data_end));
      }
      if (size == 0) {
        state_ = State::kTrailers;
      } else {
        remaining_ = size;
        state_ = State::kChunkData;
      }
      return hand_on(after, after < held ? held_bytes.substr(after, held - after) : "");
    }
    if (role_ == HttpRole::kRequest ? LooksLikeRequestLine(StripCr(raw))
                                    : LooksLikeStatusLine(StripCr(raw))) {
      // The next message: this body ended somewhere in the gap.
      std::string earlier = line_start < held ? buf_.substr(line_start, held - line_start) : "";
      FailChunkResync();
      return hand_on(line_start, std::move(earlier));
    }
  }
}

void HttpParser::FailChunkResync() {
  ++stats_->chunk_resync_failures;
  chunk_lost_ = 0;
  AbandonMessage("gap");
}

void HttpParser::CompleteMessage() {
  ++stats_->messages;
  in_message_ = false;
  state_ = State::kHead;
  ResetScan();
  visitor_->OnMessageComplete();
}

void HttpParser::AbandonMessage(absl::string_view why) {
  if (in_message_) {
    ++stats_->incomplete;
    in_message_ = false;
    visitor_->OnMessageIncomplete(why);
  }
  ResetScan();
  state_ = State::kResync;
  resync_line_start_ = true;
}

void HttpParser::Fail(absl::string_view what) {
  ++stats_->errors;
  if (in_message_) {
    ++stats_->incomplete;
    in_message_ = false;
    visitor_->OnMessageIncomplete(what);
  }
  ResetScan();
  state_ = State::kError;
  visitor_->OnError(what);
}

void HttpParser::Anomaly(absl::string_view what) {
  ++stats_->anomalies;
  visitor_->OnAnomaly(what);
}

void HttpParser::OnGap(uint64_t length) {
  ++stats_->gaps;
  switch (state_) {
    case State::kBodyLength:
    case State::kChunkData:
      if (length < remaining_ ||
          (length == remaining_ && state_ == State::kChunkData)) {
        remaining_ -= length;
        visitor_->OnBodyGap(length);
        if (remaining_ == 0) {
          state_ = State::kChunkDataEnd;
          saw_cr_ = false;
        }
        return;
      }
      if (length == remaining_) {
        visitor_->OnBodyGap(length);
        remaining_ = 0;
        CompleteMessage();
        return;
      }
      visitor_->OnBodyGap(remaining_);
      if (state_ == State::kChunkData) {
        StartChunkResync(length - remaining_);
        return;
      }
      AbandonMessage("gap");
      return;
    case State::kBodyClose:
      visitor_->OnBodyGap(length);
      return;
    case State::kHead:
      if (!in_message_) {  // between messages: the next one may start anywhere
        ResetScan();
        state_ = State::kResync;
        resync_line_start_ = true;
        return;
      }
      ReportStartLine(buf_);
      AbandonMessage("gap");
      return;
    case State::kChunkSize:
    case State::kChunkDataEnd:
      // Between chunks (not before the first, which may show the body is not chunked).
      if (!first_chunk_) {
        StartChunkResync(length);
        return;
      }
      AbandonMessage("gap");
      return;
    case State::kTrailers:
      AbandonMessage("gap");
      return;
    case State::kChunkResync:
      // Bytes held since the last gap cannot be placed either: they count as lost.
      chunk_lost_ += length + buf_.size();
      buf_.clear();
      chunk_scan_ = 0;
      chunk_line_ = std::string::npos;
      return;
    case State::kResync:
      buf_.clear();
      resync_line_start_ = true;
      return;
    case State::kStopped:
    case State::kError:
    case State::kEnded:
      return;
  }
}

void HttpParser::OnEnd() {
  if (state_ == State::kHead && probing_http09_) {
    // Too few bytes came to hold "HTTP": all of them are the HTTP/0.9 answer.
    std::string body = std::move(buf_);
    ResetScan();
    StartHttp09Response();
    Feed(body);
  } else if (state_ == State::kHead && blank_line_pending_) {
    // The head was waiting to see what follows a whitespace line: nothing more will, so
    // the head ends there and what came after it is the body.
    std::string data = std::move(buf_);
    size_t end = data.find('\n', line_start_) + 1;
    ResetScan();
    Anomaly("whitespace_line_ends_headers");
    ParseHead(absl::string_view(data).substr(0, end));
    if (end < data.size()) Feed(absl::string_view(data).substr(end));
  }
  if (state_ == State::kHead && in_message_ && !buf_.empty()) {
    ReportStartLine(buf_);  // a head the stream ended inside: its transaction is known
  }
  if (state_ == State::kBodyClose) {
    CompleteMessage();
  } else if (in_message_) {
    ++stats_->incomplete;
    in_message_ = false;
    visitor_->OnMessageIncomplete("end_of_stream");
  }
  if (state_ != State::kStopped) state_ = State::kEnded;
}

void HttpParser::Resume() {
  if (state_ != State::kStopped) return;
  state_ = State::kHead;
  ResetScan();
}

}  // namespace tcpfollow
