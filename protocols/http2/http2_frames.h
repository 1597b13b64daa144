// Http2FrameParser: the incremental HTTP/2 frame layer (RFC 9113 section 4 and 6) of one
// direction, as an observer needs it. Bytes arrive in any split; the parser calls its
// visitor with what matters for reconstructing transactions:
//   - DATA payloads streamed (never buffered), padding stripped;
//   - complete header blocks: HEADERS or PUSH_PROMISE plus their CONTINUATION frames,
//     padding and priority fields stripped, bounded by Http2FrameLimits;
//   - RST_STREAM, SETTINGS, GOAWAY; PRIORITY, PING, WINDOW_UPDATE and unknown frame types
//     are counted and skipped (flow control is irrelevant to an observer).
// The client direction may start with the 24-byte connection preface.
//
// Gaps: bytes lost inside a frame whose length is known keep the parser in step (a DATA
// payload continues after OnDataGap; a header block being assembled is reported lost).
// When a gap swallows a frame boundary, the parser scans the following bytes for a
// boundary it can trust: a valid frame header (type, length, flags and stream rules of its
// type, and a stream the visitor finds plausible) immediately followed by another valid one.
// If none is found within max_resync_bytes the direction is given up: later bytes are
// counted and ignored. It does not decode HPACK and does not track stream states: the
// analyzer does (http2_analyzer.h).
#ifndef TCPFOLLOW_PROTOCOLS_HTTP2_HTTP2_FRAMES_H_
#define TCPFOLLOW_PROTOCOLS_HTTP2_HTTP2_FRAMES_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace tcpfollow {

// Frame types (RFC 9113 6).
enum Http2FrameType : uint8_t {
  kHttp2Data = 0,
  kHttp2Headers = 1,
  kHttp2Priority = 2,
  kHttp2RstStream = 3,
  kHttp2Settings = 4,
  kHttp2PushPromise = 5,
  kHttp2Ping = 6,
  kHttp2GoAway = 7,
  kHttp2WindowUpdate = 8,
  kHttp2Continuation = 9,
};
constexpr int kHttp2KnownFrameTypes = 10;

inline constexpr absl::string_view kHttp2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

// The name of an HTTP/2 error code ("CANCEL"), or "0x..." for unknown ones.
std::string Http2ErrorName(uint32_t code);

struct Http2FrameLimits {
  size_t max_header_block_bytes = 1 << 20;  // encoded, HEADERS/PUSH_PROMISE + CONTINUATIONs
  size_t max_continuation_frames = 64;      // per header block (the CONTINUATION flood)
  size_t max_control_frame_bytes = 64 * 1024;  // other frames' payload kept (GOAWAY debug...)
  size_t max_resync_bytes = 256 * 1024;     // scanned for a frame boundary after a gap
};

struct Http2FrameStats {
  uint64_t frames[kHttp2KnownFrameTypes] = {};
  uint64_t unknown_frames = 0;
  uint64_t malformed_frames = 0;        // wrong length or stream for their type
  uint64_t header_blocks = 0;
  uint64_t header_blocks_lost = 0;      // to a gap, a limit or a malformed frame
  uint64_t header_block_limited = 0;    // over max_header_block_bytes
  uint64_t continuation_limited = 0;    // over max_continuation_frames
  uint64_t gaps = 0;
  uint64_t gaps_in_frame = 0;           // the frame boundary survived
  uint64_t resyncs = 0;                 // boundary found again after a gap
  uint64_t resync_skipped_bytes = 0;
  uint64_t directions_lost = 0;         // no boundary within max_resync_bytes
  uint64_t ignored_bytes = 0;           // after a direction was lost
};

class Http2FrameVisitor {
 public:
  virtual ~Http2FrameVisitor() = default;
  virtual void OnData(uint32_t stream, absl::string_view bytes) = 0;
  // `length` bytes of stream data (or its padding) were lost; the frame continues.
  virtual void OnDataGap(uint32_t stream, uint64_t length) = 0;
  virtual void OnDataEnd(uint32_t stream, bool end_stream) = 0;
  // A whole header block. `promised` is non-zero for PUSH_PROMISE; `end_stream` is the
  // HEADERS frame's END_STREAM flag.
  virtual void OnHeaderBlock(uint8_t type, uint32_t stream, uint32_t promised,
                             bool end_stream, absl::string_view block) = 0;
  // A header block that cannot be decoded: the HPACK table of this direction is out of
  // step. `why`: gap, interrupted, too_many_continuations, too_large, malformed, stream_0.
  virtual void OnHeaderBlockLost(uint8_t type, uint32_t stream, uint32_t promised,
                                 bool end_stream, const char* why) = 0;
  virtual void OnRstStream(uint32_t stream, uint32_t code) = 0;
  virtual void OnSettings(bool ack, const std::vector<std::pair<uint16_t, uint32_t>>& s) = 0;
  virtual void OnGoAway(uint32_t last_stream, uint32_t code) = 0;
  // A gap of `length` bytes swallowed a frame boundary; parsing resumes at OnResync or
  // stops at OnDirectionLost.
  virtual void OnSyncLost(uint64_t length) = 0;
  virtual void OnResync(uint64_t skipped) = 0;
  virtual void OnDirectionLost() = 0;
  virtual void OnFrameError(const char* what) = 0;
  // While resynchronising: may a frame of `type` on `stream` be real? (DATA: a stream
  // open in this direction; HEADERS: an open stream or a plausible new one.)
  virtual bool PlausibleStream(uint8_t type, uint32_t stream) { return true; }
};

class Http2FrameParser {
 public:
  // `expect_preface`: the client direction of a prior-knowledge connection (or after an
  // h2c upgrade) starts with the 24-byte preface. `visitor` and `stats` must outlive it.
  Http2FrameParser(bool expect_preface, const Http2FrameLimits& limits,
                   Http2FrameVisitor* visitor, Http2FrameStats* stats);

  void Feed(absl::string_view bytes);
  void OnGap(uint64_t length);
  // End of the direction: a resync scan in progress accepts a single valid header.
  void OnEnd();
  // Joined mid-connection: look for a trusted boundary before parsing.
  void StartResync();
  // The receiving peer's SETTINGS_MAX_FRAME_SIZE (used to judge candidate frames).
  void set_max_frame_size(uint32_t n) { max_frame_size_ = n; }

  bool lost() const { return state_ == State::kLost; }
  bool in_frame() const { return state_ == State::kPayload; }

 private:
  enum class State { kPreface, kHeader, kPayload, kResync, kLost };

  size_t ParsePayload(absl::string_view in);
  void BeginFrame();
  void EndFrame();
  void DispatchControl();
  void BeginHeaderBlock(uint8_t type, uint32_t stream, uint32_t promised, bool end_stream);
  void LoseHeaderBlock(const char* why);
  // Candidate frame header at `p` while resynchronising.
  bool ValidHeader(const unsigned char* p) const;
  void Scan(bool at_end);

  Http2FrameLimits limits_;
  Http2FrameVisitor* v_;
  Http2FrameStats* stats_;
  State state_;
  uint32_t max_frame_size_ = 16384;
  size_t preface_seen_ = 0;

  // Current frame.
  unsigned char header_[9];
  size_t header_len_ = 0;
  uint32_t length_ = 0;
  uint8_t type_ = 0, flags_ = 0;
  uint32_t stream_ = 0;
  uint32_t remaining_ = 0;    // payload bytes still to come
  uint32_t prefix_left_ = 0;  // pad length / priority / promised id bytes still to read
  uint32_t pad_ = 0;          // padding at the end of the payload
  bool pad_known_ = true;
  std::string prefix_;        // bytes of the fields before the fragment
  std::string control_;       // payload of a buffered control frame
  bool control_cut_ = false;

  // Header block being assembled.
  bool in_block_ = false;
  bool block_lost_ = false;
  uint8_t block_type_ = 0;
  uint32_t block_stream_ = 0, block_promised_ = 0;
  bool block_end_stream_ = false;
  size_t block_continuations_ = 0;
  std::string block_;

  std::string scan_;        // resync buffer
  uint64_t scan_skipped_ = 0;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_HTTP2_HTTP2_FRAMES_H_
