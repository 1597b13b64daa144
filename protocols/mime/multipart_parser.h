// MultipartParser: a streaming multipart body parser (RFC 2046 section 5.1, as HTML forms
// send multipart/form-data, RFC 7578) for bodies that arrive in pieces of any size and may
// have holes: HTTP request bodies, whose size is unbounded, so nothing but a part's header
// block and a possible partial delimiter is ever held. Reports each part's headers
// (Content-Disposition name and filename, Content-Type), its bytes, the gaps inside it and
// whether its closing delimiter came. GMime (protocols/mime/mime_extractor) stays the
// parser for complete mail messages; this one exists because it can stream and can carry
// on after a hole, which a parser over a whole message cannot.
//
// Lenient where servers are: a delimiter is "--boundary" at the start of the body or after
// LF (its CR, if any, belongs to it); anything after the boundary on the delimiter line is
// transport padding; header lines end at LF and may be folded. A body with no delimiter in
// its first max_preamble_bytes is not multipart: its bytes are handed on as one pseudo
// part (`whole_body`), so the caller keeps the body as it was sent.
//
// Gaps: inside a part's data the part continues after the hole (the caller marks it
// partial); in a part's header block or on a delimiter line the part is lost and the parser
// resynchronises at the next delimiter (counted). Limits: a header block over
// max_header_bytes skips its part; parts past max_parts are skipped; both counted.
// Not done: nested multipart parts are reported as one part (not descended into); no
// Content-Transfer-Encoding decoding (RFC 7578 forbids it for form-data).
//
// It is also the boundary and part-header parser under multipart/byteranges bodies
// (protocols/http/byte_ranges), which add only what a 206 part says (Content-Range,
// offsets): MultipartSyntax turns off the whole-body fallback and the padding leniency,
// MultipartVisitor::OnPartGap decides whether a part goes on past a hole, and OnSkipped
// tells what the parser passed over.
#ifndef TCPFOLLOW_PROTOCOLS_MIME_MULTIPART_PARSER_H_
#define TCPFOLLOW_PROTOCOLS_MIME_MULTIPART_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace tcpfollow {

struct MultipartLimits {
  size_t max_header_bytes = 8192;    // one part's header block
  size_t max_parts = 64;             // parts reported per body
  size_t max_preamble_bytes = 4096;  // bytes before the first delimiter
  size_t max_delimiter_line = 1024;  // transport padding after a boundary
};

// Where the two dialects differ (form-data: the defaults; byteranges: both false).
struct MultipartSyntax {
  // A body with no delimiter in its first max_preamble_bytes is handed on whole; when
  // false the parser keeps looking for one (and holds no preamble).
  bool whole_body_fallback = true;
  // Anything may follow the boundary on its line (transport padding); when false only
  // white space may, and a line with more is skipped (kBadDelimiterLine) like an overlong one.
  bool lenient_delimiter_line = true;
};

struct MultipartStats {
  uint64_t bodies = 0;            // parsers made
  uint64_t parts = 0;             // parts reported (OnPartBegin, whole_body excluded)
  uint64_t parts_skipped = 0;     // over max_parts
  uint64_t headers_too_long = 0;  // header blocks over max_header_bytes (part skipped)
  uint64_t nested = 0;            // parts that are multipart themselves (not descended)
  uint64_t gaps = 0;              // holes inside a body
  uint64_t resyncs = 0;           // parts lost to a hole in their headers or delimiter
  uint64_t unterminated = 0;      // bodies that ended without their close delimiter
  uint64_t not_multipart = 0;     // bodies with no delimiter: handed on whole

  MultipartStats& operator+=(const MultipartStats& o);
  nlohmann::json ToJson() const;
};

// Content-Disposition as RFC 6266 / 7578 read it.
struct ContentDisposition {
  std::string type;      // "form-data", "attachment", "inline" (lower case)
  std::string name;      // name=
  std::string filename;  // filename* (RFC 5987/2231 decoded) if present, else filename
  bool has_filename = false;
};

// Parameters of a header value (`type/subtype; a=1; b="x y"`), names in lower case, values
// unquoted (`\"` and `\\` unescaped); RFC 2231 continuations (`name*0`, `name*1*`) joined;
// extended values (`name*=charset'lang'%XX`) percent-decoded, ISO-8859-1 made UTF-8, and
// stored under `name*`. At most 64 parameters.
std::vector<std::pair<std::string, std::string>> ParseHeaderParameters(absl::string_view value);

ContentDisposition ParseContentDisposition(absl::string_view value);

// The boundary of a multipart Content-Type value; "" when the type is not multipart/* or
// the boundary is missing, empty, longer than 200 bytes, or holds CR/LF.
std::string MultipartBoundary(absl::string_view content_type);

// A header line's name and value (white space around both removed); false when it has no
// colon.
bool SplitHeaderLine(absl::string_view line, absl::string_view* name, absl::string_view* value);

struct MultipartPart {
  bool whole_body = false;  // not multipart after all: every byte of the body follows
  ContentDisposition disposition;
  std::string content_type;  // as sent (may be empty)
  // The part's header lines in order, CR removed, folded ones joined (for what a caller
  // reads besides the two above).
  std::vector<std::string> header_lines;
};

// What the parser passed over (each also counted in MultipartStats).
enum class MultipartSkip {
  kHeaderTooLong,    // a part whose header block is over max_header_bytes
  kTooManyParts,     // a part past max_parts
  kBadDelimiterLine  // a delimiter line over max_delimiter_line, or not padding only
};

class MultipartVisitor {
 public:
  virtual ~MultipartVisitor() = default;
  virtual void OnPartBegin(const MultipartPart& part) = 0;
  virtual void OnPartData(absl::string_view bytes) = 0;
  // `length` bytes of the part's data are missing. Returns whether the part goes on after
  // the hole; if not, it ends (not closed) and the parser looks for the next delimiter.
  virtual bool OnPartGap(uint64_t length) = 0;
  // `closed`: the part's delimiter came (false when the body ended or was cut inside it).
  virtual void OnPartEnd(bool closed) = 0;
  virtual void OnSkipped(MultipartSkip /*what*/) {}
};

class MultipartParser {
 public:
  // `boundary` as MultipartBoundary() returned it (not empty); `visitor` and `stats`
  // (optional) must outlive the parser.
  MultipartParser(absl::string_view boundary, const MultipartLimits& limits,
                  MultipartVisitor* visitor, MultipartStats* stats = nullptr,
                  const MultipartSyntax& syntax = {});

  void Feed(absl::string_view bytes);
  // `length` bytes of the body are missing here.
  void Gap(uint64_t length);
  // The body is over: ends the part in progress (not closed). Further calls do nothing.
  void Finish();

  bool part_open() const { return part_open_; }
  // The close delimiter came (what follows is epilogue).
  bool closed() const { return close_seen_; }

 private:
  enum class State { kPreamble, kDelimiterLine, kHeaders, kData, kEpilogue, kWhole, kDone };

  // Data or preamble: hands bytes up to the next delimiter on, or all but a possible
  // delimiter start; returns true when a delimiter was consumed.
  bool ScanData(absl::string_view* in);
  void Emit(absl::string_view bytes);
  void DelimiterFound();
  void DelimiterLine(absl::string_view* in);
  void Headers(absl::string_view* in);
  void BeginPart(absl::string_view header_block);
  void EndPart(bool closed);
  void GoWhole(absl::string_view more);
  void SkipDelimiterLine();

  std::string delimiter_;  // "\n--" + boundary
  MultipartLimits limits_;
  MultipartSyntax syntax_;
  MultipartVisitor* visitor_;
  MultipartStats own_stats_;
  MultipartStats* stats_;
  State state_ = State::kPreamble;
  bool part_open_ = false;  // OnPartBegin said, OnPartEnd not yet
  bool delimiter_seen_ = false;
  bool preamble_gap_ = false;  // the preamble had a hole: no whole-body fallback
  bool close_seen_ = false;
  bool line_junk_ = false;     // the delimiter line has more than white space
  size_t parts_ = 0;
  std::string pending_;   // a possible start of a delimiter ([CR] LF - - ...)
  std::string preamble_;  // the body's bytes until the first delimiter (for kWhole)
  std::string line_;      // the delimiter line's first 2 bytes, or the header block so far
  size_t line_size_ = 0;  // the delimiter line's length so far
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_MIME_MULTIPART_PARSER_H_
