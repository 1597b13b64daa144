// LineReader: the one bounded line splitter of the line-based protocols (SMTP and FTP
// commands and replies). It cuts a byte stream at LF, keeps each line with its line end,
// and never holds more than `max_line_bytes` of a line: a longer line is handed on cut at
// the cap at once (the caller acts on what fits and counts it), and the rest of it, up to
// the next LF, is dropped as it arrives. It does not strip line ends, decode, or count:
// the caller's *Limits struct holds the cap and its *Stats struct counts cut lines.
#ifndef TCPFOLLOW_PROTOCOLS_LINE_READER_H_
#define TCPFOLLOW_PROTOCOLS_LINE_READER_H_

#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace tcpfollow {

class LineReader {
 public:
  enum class Status {
    kNeedMore,  // the input is used up and no line is complete
    kLine,      // line() is a whole line, with its LF (and CR)
    kCutLine,   // line() is the first max_line_bytes of a longer line
  };

  explicit LineReader(size_t max_line_bytes) : max_(max_line_bytes > 0 ? max_line_bytes : 1) {}

  // Consumes bytes from the front of `*bytes`: up to and including the LF that completes a
  // line (or the byte that reaches the cap), else all of them.
  Status Next(absl::string_view* bytes) {
    while (!bytes->empty()) {
      const size_t nl = bytes->find('\n');
      const bool ended = nl != absl::string_view::npos;
      const absl::string_view piece = bytes->substr(0, ended ? nl + 1 : bytes->size());
      bytes->remove_prefix(piece.size());
      if (skip_) {  // the rest of a line over the cap
        if (ended) skip_ = false;
        continue;
      }
      const size_t take = std::min(max_ - line_.size(), piece.size());
      line_.append(piece.data(), take);
      if (take < piece.size() || (!ended && line_.size() >= max_)) {
        skip_ = !ended;
        return Status::kCutLine;
      }
      if (ended) return Status::kLine;
    }
    return Status::kNeedMore;
  }

  // The line of the last kLine/kCutLine, moved out; the reader starts a new line.
  std::string TakeLine() {
    std::string out = std::move(line_);
    line_.clear();
    return out;
  }
  // Drops the unfinished line; with `skip_to_eol`, also what follows up to the next LF
  // (after a gap: the tail of a line cut by it).
  void Reset(bool skip_to_eol) {
    line_.clear();
    skip_ = skip_to_eol;
  }
  // Drops the unfinished line, leaving the skip state as it is.
  void ClearLine() { line_.clear(); }
  size_t pending_bytes() const { return line_.size(); }

 private:
  size_t max_;
  std::string line_;
  bool skip_ = false;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_LINE_READER_H_
