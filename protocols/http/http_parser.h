// Incremental HTTP/1.0 and 1.1 message parser for one direction of a connection (requests
// or responses), in the shape of QUICHE's BalsaFrame: fed byte chunks of any size, it calls
// an HttpVisitor as soon as it can. string_views passed to the visitor are valid only during
// the call. Body bytes are passed straight from the input, never copied; only an incomplete
// start line + header block (or trailer block, or chunk-size line) is buffered, up to caps in
// HttpLimits.
//
// Validates framing: Content-Length (duplicates identical or conflicting), chunked (sizes,
// extensions, trailers), close-delimited response bodies, no body for 1xx/204/304; HEAD and
// CONNECT are the visitor's call (OnHeadersComplete returns kNoBody or kStop). Tolerates what
// browsers and servers tolerate (LF-only line ends, folded headers, extra spaces, blank lines
// between messages) and reports each as an anomaly; response heads also as browsers read
// them: a lone CR ends a line, whitespace before a colon still names the field, up to 4
// junk bytes may precede "HTTP", a whitespace-only line ends the head only if the body
// follows it. A folded line continues the line before it, even a field name. A gap inside
// a body of known length keeps the parser in sync. A gap inside a chunked body that runs
// past the current chunk resynchronises on the next chunk-size line (a line of hex digits,
// perhaps an extension, right after a line end): the bytes before it are the tail of a
// chunk and stay in the body, the gap is reported (OnBodyGap: the wire bytes lost, chunk
// framing included) once the body is known to go on, and the chunks after it are framed
// as usual; a status or request line first, the end of the stream, or no chunk-size line
// within HttpLimits::max_chunk_resync_bytes ends the message as incomplete instead. Any
// other gap ends the current message as incomplete, and the parser skips to the next line
// that looks like a request or status line. Exceeding a limit is a sticky error: the rest of the direction is ignored. A head
// cut short by a gap or a limit still reports its start line (then OnMessageIncomplete), so
// that transactions stay paired. A malformed request line (no URI, binary junk) is reported
// with what could be read of it and its head parsed as usual, unless a real request line
// follows it in the same head (junk before a request, skipped). Does no I/O, no content
// decoding.
#ifndef TCPFOLLOW_PROTOCOLS_HTTP_HTTP_PARSER_H_
#define TCPFOLLOW_PROTOCOLS_HTTP_HTTP_PARSER_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace tcpfollow {

struct HttpLimits {
  size_t max_head_bytes = 64 * 1024;  // start line + headers, or the trailer block
  size_t max_headers = 256;           // more are dropped (counted, reported as an anomaly)
  size_t max_line_bytes = 8 * 1024;   // chunk-size line; line examined when resynchronising
  size_t max_chunk_size_digits = 15;  // hex digits of a chunk size (15 => below 2^60)
  // Bytes held after a gap inside a chunked body while looking for the next chunk-size line.
  size_t max_chunk_resync_bytes = 64 * 1024;
};

struct HttpStats {
  uint64_t messages = 0;           // completed messages
  uint64_t incomplete = 0;         // messages ended by a gap, an error or the end of stream
  uint64_t body_bytes = 0;         // body bytes passed to OnBody (transfer coding removed)
  uint64_t anomalies = 0;          // tolerated deviations reported through OnAnomaly
  uint64_t gaps = 0;
  uint64_t resyncs = 0;            // times parsing resumed at a recognised start line
  uint64_t chunk_resyncs = 0;      // chunked bodies resumed at a chunk-size line after a gap
  uint64_t chunk_resync_failures = 0;  // ... that ended instead (start line, cap, end)
  uint64_t head_too_large = 0;     // limit hits
  uint64_t headers_dropped = 0;
  uint64_t line_too_long = 0;
  uint64_t chunk_size_overflow = 0;
  uint64_t errors = 0;             // sticky errors
};

enum class HttpRole : uint8_t { kRequest, kResponse };

enum class BodyFraming : uint8_t {
  kNone,      // no body
  kLength,    // Content-Length
  kChunked,   // Transfer-Encoding: chunked
  kClose,     // response body delimited by the end of the connection
};

// What the parser knows about a message when its header block is complete.
struct HttpMessageInfo {
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;  // for kLength (also kept with kChunked, for a fallback)
  int status = 0;               // responses
  bool http09 = false;  // request line without a version, or response without a status line
  bool framing_conflict = false;  // Content-Length with Transfer-Encoding, or differing lengths
  bool http11 = false;            // version is exactly HTTP/1.1 (Transfer-Encoding applies)
};

enum class HeadersAction : uint8_t {
  kContinue,  // frame the body as the headers say
  kNoBody,    // the message has no body (response to HEAD, or to a failed CONNECT...)
  kStop,      // stop parsing: the rest of the stream is not HTTP (tunnel, upgrade)
};

class HttpVisitor {
 public:
  virtual ~HttpVisitor() = default;
  virtual void OnRequestLine(absl::string_view method, absl::string_view target,
                             absl::string_view version) {}
  // A request's first line that is not a request line ("GET" alone, "GET /a b", binary
  // junk), with what could be read of it: the method when the first word is a token, the
  // target, the version when the last word starts with "HTTP/" (each may be empty). Its
  // header block is parsed and framed as usual, so that the answer pairs with it.
  virtual void OnMalformedRequestLine(absl::string_view method, absl::string_view target,
                                      absl::string_view version) {}
  virtual void OnStatusLine(absl::string_view version, int status, absl::string_view reason) {}
  virtual void OnHeader(absl::string_view name, absl::string_view value) {}
  virtual HeadersAction OnHeadersComplete(const HttpMessageInfo& info) {
    return HeadersAction::kContinue;
  }
  virtual void OnBody(absl::string_view bytes) {}
  // `length` body bytes were lost in a capture gap; framing is still known.
  virtual void OnBodyGap(uint64_t length) {}
  virtual void OnTrailer(absl::string_view name, absl::string_view value) {}
  virtual void OnMessageComplete() {}
  // The message in progress ends without completing (gap, malformed framing, end of stream).
  virtual void OnMessageIncomplete(absl::string_view why) {}
  // A deviation the parser tolerated ("lf_line_ending", "folded_header", ...).
  virtual void OnAnomaly(absl::string_view what) {}
  // A limit was exceeded: the parser stops for good.
  virtual void OnError(absl::string_view what) {}
  // Asked as a response starts: may it be an HTTP/0.9 answer (no status line, the body runs
  // to the end of the stream)? If so, a response whose first 64 bytes hold no "HTTP" is one
  // (reported as status 200, version "HTTP/0.9").
  virtual bool AcceptsHttp09Response() { return false; }
  // Asked when AcceptsHttp09Response() said yes: is the request being answered itself an
  // HTTP/0.9 request? Then only a status line at the very start makes the answer HTTP/1.x.
  virtual bool AnswersHttp09Request() { return false; }
};

class NoOpHttpVisitor : public HttpVisitor {};

class HttpParser {
 public:
  HttpParser(HttpRole role, HttpVisitor* visitor, const HttpLimits& limits = {},
             HttpStats* stats = nullptr);

  // Returns the bytes consumed: all of them unless OnHeadersComplete returned kStop during
  // this call (then the count ends at the end of that header block).
  size_t Feed(absl::string_view bytes);
  // `length` bytes of this direction will never arrive.
  void OnGap(uint64_t length);
  // The direction has ended: a close-delimited body completes; anything else in progress is
  // incomplete.
  void OnEnd();
  // Body bytes the framing announced (Content-Length, or the current chunk's size) that
  // have not arrived, neither as data nor as a gap; 0 outside a length-framed body.
  uint64_t unreceived_body() const {
    return state_ == State::kBodyLength || state_ == State::kChunkData ? remaining_ : 0;
  }
  // After kStop: parse again from the next byte fed (a CONNECT that was refused).
  void Resume();

  bool stopped() const { return state_ == State::kStopped; }
  bool failed() const { return state_ == State::kError; }
  bool in_message() const { return in_message_; }
  const HttpStats& stats() const { return *stats_; }

 private:
  enum class State : uint8_t {
    kHead, kBodyLength, kBodyClose, kChunkSize, kChunkData, kChunkDataEnd, kTrailers,
    kChunkResync, kResync, kStopped, kError, kEnded,
  };

  size_t FeedHead(absl::string_view data);
  size_t FeedBody(absl::string_view data);
  size_t FeedChunkSize(absl::string_view data);
  size_t FeedChunkDataEnd(absl::string_view data);
  size_t FeedTrailers(absl::string_view data);
  size_t FeedResync(absl::string_view data);
  // After a gap inside a chunked body: `lost` wire bytes are gone; look for a chunk-size line.
  void StartChunkResync(uint64_t lost);
  size_t FeedChunkResync(absl::string_view data);
  // No chunk-size line: the message ends incomplete; parsing goes on at a start line.
  void FailChunkResync();
  // Finds the end of a header block in buf_ (or `data` when buf_ is empty).
  size_t ScanBlock(absl::string_view buf, bool first_line_special);
  void ParseHead(absl::string_view block);
  // The head is parsed: let the visitor decide, then frame the body.
  void EndHead(HttpMessageInfo info);
  void StartHttp09Response();
  // The start line of a head: its first line, which in a response also ends at a lone CR.
  absl::string_view StartLine(absl::string_view head) const;
  // A head is abandoned (gap, too large): still report its start line if it is complete,
  // so the transaction it began is known.
  void ReportStartLine(absl::string_view partial_head);
  void ParseFields(absl::string_view block, bool trailers, HttpMessageInfo* info);
  bool ParseStartLine(absl::string_view line, HttpMessageInfo* info);
  // A request's first line that ParseStartLine refused: reported with what is known.
  void ReportMalformedRequestLine(absl::string_view line);
  // Whether a line after the first of `rest` looks like a request line (junk before the
  // real request, rather than a malformed request).
  static bool HoldsRequestLine(absl::string_view rest);
  void StartBody(const HttpMessageInfo& info);
  void CompleteMessage();
  void AbandonMessage(absl::string_view why);  // incomplete + resync
  void Fail(absl::string_view what);
  void Anomaly(absl::string_view what);
  void ResetScan();

  HttpRole role_;
  HttpVisitor* visitor_;
  HttpLimits limits_;
  HttpStats own_stats_;
  HttpStats* stats_;

  State state_ = State::kHead;
  bool in_message_ = false;
  uint64_t remaining_ = 0;  // body or chunk bytes still expected
  bool saw_cr_ = false;     // chunk data terminator
  bool first_chunk_ = false;       // no chunk size read yet in this body
  uint64_t fallback_length_ = 0;   // Content-Length next to chunked (0: none)
  std::string skipped_;            // blank lines before the first chunk size
  bool lf_only_reported_ = false;

  std::string buf_;         // partial head / trailer block / chunk-size line / resync line
  size_t scan_pos_ = 0;     // ScanBlock progress in buf_
  size_t line_start_ = 0;
  bool first_line_done_ = false;
  bool blank_line_pending_ = false;  // ScanBlock waits for what follows a whitespace line
  bool probing_http09_ = false;      // a response start is buffered until ProbeHttp09 decides
  bool answers_http09_ = false;      // ... answering an HTTP/0.9 request
  bool resync_line_start_ = true;  // resync: buf_ holds the start of a line
  // kChunkResync: buf_ holds every byte since the gap (up to max_chunk_resync_bytes).
  uint64_t chunk_lost_ = 0;        // wire bytes lost in the gap(s), reported on success
  size_t chunk_scan_ = 0;          // buf_ searched for line ends up to here
  size_t chunk_line_ = std::string::npos;  // start of the line being examined
};

// True when `first_bytes` (the start of a direction) look like an HTTP/1.x request line (any
// method token, " HTTP/1." version on its first line), an HTTP/0.9 request line with a known
// method ("GET /path" and the line's end), or a status line "HTTP/1.x NNN". Give it the
// whole first line when possible (a request line is judged up to its end).
bool LooksLikeHttp(absl::string_view first_bytes);
// True when a server's first bytes are a status line "HTTP/1.x NNN": the connection is HTTP
// whatever the client sent (a malformed request line still gets an HTTP answer).
bool LooksLikeHttpResponse(absl::string_view server_first_bytes);

// A header name or value as framing decisions compare it: lower case, with every byte that
// is not visible ASCII removed ("Transfer-Encoding\0" and "chu\0nked" are what browsers
// act on as Transfer-Encoding: chunked; HTTP evader relies on that).
std::string HeaderTextForMatching(absl::string_view text);
// `name` matches the lower-case `lower` as HeaderTextForMatching would, without allocating
// for ordinary names.
bool HeaderNameIs(absl::string_view name, absl::string_view lower);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_HTTP_HTTP_PARSER_H_
