// Implementation notes: a frame is parsed in three parts: the 9-byte header, the prefix
// fields of its type (pad length, priority, promised stream id: kept in prefix_), then the
// content (DATA handed on, header fragments appended to block_, other frames kept in
// control_ up to a limit) followed by its padding. Every state survives any split.
#include "protocols/http2/http2_frames.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tcpfollow {
namespace {

constexpr uint8_t kEndStream = 0x1;
constexpr uint8_t kAck = 0x1;
constexpr uint8_t kEndHeaders = 0x4;
constexpr uint8_t kPadded = 0x8;
constexpr uint8_t kPriorityFlag = 0x20;

uint32_t Be32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

std::string Http2ErrorName(uint32_t code) {
  static const char* kNames[] = {"NO_ERROR",          "PROTOCOL_ERROR",   "INTERNAL_ERROR",
                                 "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED",
                                 "FRAME_SIZE_ERROR",  "REFUSED_STREAM",   "CANCEL",
                                 "COMPRESSION_ERROR", "CONNECT_ERROR",    "ENHANCE_YOUR_CALM",
                                 "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"};
  if (code < sizeof(kNames) / sizeof(kNames[0])) return kNames[code];
  return absl::StrCat("0x", absl::Hex(code));
}

Http2FrameParser::Http2FrameParser(bool expect_preface, const Http2FrameLimits& limits,
                                   Http2FrameVisitor* visitor, Http2FrameStats* stats)
    : limits_(limits),
      v_(visitor),
      stats_(stats),
      state_(expect_preface ? State::kPreface : State::kHeader) {}

void Http2FrameParser::Feed(absl::string_view in) {
  while (!in.empty()) {
    switch (state_) {
      case State::kPreface: {
        size_t n = std::min(in.size(), kHttp2Preface.size() - preface_seen_);
        if (in.substr(0, n) != kHttp2Preface.substr(preface_seen_, n)) {
          v_->OnFrameError("bad connection preface");
          state_ = State::kResync;
          scan_.clear();
          break;
        }
        preface_seen_ += n;
        in.remove_prefix(n);
        if (preface_seen_ == kHttp2Preface.size()) state_ = State::kHeader;
        break;
      }
      case State::kHeader: {
        if (header_len_ == 0 && in.size() >= 9) {
          std::copy(in.data(), in.data() + 9, header_);
          header_len_ = 9;
          in.remove_prefix(9);
        } else {
          size_t n = std::min(in.size(), 9 - header_len_);
          std::copy(in.data(), in.data() + n, header_ + header_len_);
          header_len_ += n;
          in.remove_prefix(n);
        }
        if (header_len_ == 9) BeginFrame();
        break;
      }
      case State::kPayload:
        in.remove_prefix(ParsePayload(in));
        break;
      case State::kResync:
        scan_.append(in.data(), in.size());
        in = absl::string_view();
        Scan(false);
        break;
      case State::kLost:
        stats_->ignored_bytes += in.size();
        return;
    }
  }
}

void Http2FrameParser::BeginFrame() {
  header_len_ = 0;
  length_ = (uint32_t{header_[0]} << 16) | (uint32_t{header_[1]} << 8) | header_[2];
  type_ = header_[3];
  flags_ = header_[4];
  stream_ = Be32(header_ + 5) & 0x7fffffffu;
  remaining_ = length_;
  prefix_.clear();
  control_.clear();
  control_cut_ = false;
  pad_ = 0;
  pad_known_ = true;
  prefix_left_ = 0;
  if (type_ < kHttp2KnownFrameTypes) {
    ++stats_->frames[type_];
  } else {
    ++stats_->unknown_frames;
  }
  if (in_block_ && !(type_ == kHttp2Continuation && stream_ == block_stream_)) {
    // A header block must continue with CONTINUATION frames of its stream.
    v_->OnFrameError("header block interrupted");
    LoseHeaderBlock("interrupted");
    in_block_ = false;
    block_lost_ = false;
  }
  switch (type_) {
    case kHttp2Data:
      if (flags_ & kPadded) prefix_left_ = 1;
      if (stream_ == 0) {
        ++stats_->malformed_frames;
        v_->OnFrameError("DATA on stream 0");
        type_ = 0xff;  // skipped
      }
      break;
    case kHttp2Headers:
      prefix_left_ = ((flags_ & kPadded) ? 1 : 0) + ((flags_ & kPriorityFlag) ? 5 : 0);
      BeginHeaderBlock(type_, stream_, 0, (flags_ & kEndStream) != 0);
      break;
    case kHttp2PushPromise:
      prefix_left_ = ((flags_ & kPadded) ? 1 : 0) + 4;
      BeginHeaderBlock(type_, stream_, 0, false);
      break;
    case kHttp2Continuation:
      if (!in_block_) {
        ++stats_->malformed_frames;
        v_->OnFrameError("CONTINUATION without a header block");
        type_ = 0xff;
      } else if (++block_continuations_ > limits_.max_continuation_frames) {
        if (!block_lost_) ++stats_->continuation_limited;
        LoseHeaderBlock("too_many_continuations");
      }
      break;
    default:
      break;
  }
  if (prefix_left_ > remaining_) {
    ++stats_->malformed_frames;
    v_->OnFrameError("frame shorter than its fields");
    if (in_block_ && type_ != kHttp2Continuation) LoseHeaderBlock("malformed");
    prefix_left_ = remaining_;
    type_ = 0xff;
  }
  state_ = State::kPayload;
  if (remaining_ == 0) EndFrame();
}

void Http2FrameParser::BeginHeaderBlock(uint8_t type, uint32_t stream, uint32_t promised,
                                        bool end_stream) {
  in_block_ = true;
  block_lost_ = false;
  block_type_ = type;
  block_stream_ = stream;
  block_promised_ = promised;
  block_end_stream_ = end_stream;
  block_continuations_ = 0;
  block_.clear();
  if (stream == 0) {
    ++stats_->malformed_frames;
    v_->OnFrameError("header block on stream 0");
    LoseHeaderBlock("stream_0");
  }
}

void Http2FrameParser::LoseHeaderBlock(const char* why) {
  if (!in_block_ || block_lost_) return;
  block_lost_ = true;
  block_.clear();
  block_.shrink_to_fit();
  ++stats_->header_blocks_lost;
  v_->OnHeaderBlockLost(block_type_, block_stream_, block_promised_, block_end_stream_, why);
}

size_t Http2FrameParser::ParsePayload(absl::string_view in) {
  size_t used = 0;
  // Prefix fields.
  while (prefix_left_ > 0 && used < in.size()) {
    size_t n = std::min<size_t>(prefix_left_, in.size() - used);
    prefix_.append(in.data() + used, n);
    used += n;
    prefix_left_ -= n;
    remaining_ -= n;
    if (prefix_left_ == 0) {
      const unsigned char* p = reinterpret_cast<const unsigned char*>(prefix_.data());
      if (flags_ & kPadded && type_ != 0xff && type_ <= kHttp2PushPromise) {
        pad_ = p[0];
        if (pad_ > remaining_) {
          ++stats_->malformed_frames;
          v_->OnFrameError("padding longer than the frame");
          if (type_ != kHttp2Data) LoseHeaderBlock("malformed");
          pad_ = remaining_;
        }
      }
      if (type_ == kHttp2PushPromise) {
        block_promised_ = Be32(p + ((flags_ & kPadded) ? 1 : 0)) & 0x7fffffffu;
      }
    }
  }
  if (prefix_left_ > 0) return used;
  // Content, then padding.
  size_t avail = in.size() - used;
  size_t content_left = remaining_ > pad_ ? remaining_ - pad_ : 0;
  size_t n = std::min(avail, content_left);
  if (n > 0) {
    absl::string_view chunk = in.substr(used, n);
    switch (type_) {
      case kHttp2Data:
        v_->OnData(stream_, chunk);
        break;
      case kHttp2Headers:
      case kHttp2PushPromise:
      case kHttp2Continuation:
        if (!block_lost_) {
          if (block_.size() + n > limits_.max_header_block_bytes) {
            ++stats_->header_block_limited;
            LoseHeaderBlock("too_large");
          } else {
            block_.append(chunk.data(), chunk.size());
          }
        }
        break;
      case 0xff:
        break;
      default: {
        size_t keep = std::min(n, limits_.max_control_frame_bytes - std::min(
                                      limits_.max_control_frame_bytes, control_.size()));
        control_.append(chunk.data(), keep);
        if (keep < n) control_cut_ = true;
        break;
      }
    }
    used += n;
    remaining_ -= n;
  }
  size_t skip = std::min<size_t>(remaining_, in.size() - used);
  if (remaining_ <= pad_) {
    used += skip;
    remaining_ -= skip;
  }
  if (remaining_ == 0) EndFrame();
  return used;
}

void Http2FrameParser::EndFrame() {
  state_ = State::kHeader;
  switch (type_) {
    case kHttp2Data:
      v_->OnDataEnd(stream_, (flags_ & kEndStream) != 0);
      break;
    case kHttp2Headers:
    case kHttp2PushPromise:
    case kHttp2Continuation:
      if (flags_ & kEndHeaders) {
        if (!block_lost_) {
          ++stats_->header_blocks;
          std::string block = std::move(block_);
          block_.clear();
          in_block_ = false;
          v_->OnHeaderBlock(block_type_, block_stream_, block_promised_, block_end_stream_,
                            block);
        }
        in_block_ = false;
        block_lost_ = false;
      }
      break;
    case 0xff:
      if (in_block_ && (flags_ & kEndHeaders)) {
        in_block_ = false;
        block_lost_ = false;
      }
      break;
    default:
      DispatchControl();
      break;
  }
}

void Http2FrameParser::DispatchControl() {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(control_.data());
  auto malformed = [&](const char* what) {
    ++stats_->malformed_frames;
    v_->OnFrameError(what);
  };
  switch (type_) {
    case kHttp2RstStream:
      if (length_ != 4 || stream_ == 0) return malformed("bad RST_STREAM");
      v_->OnRstStream(stream_, Be32(p));
      break;
    case kHttp2Settings: {
      if (length_ % 6 != 0 || stream_ != 0 || control_cut_) return malformed("bad SETTINGS");
      std::vector<std::pair<uint16_t, uint32_t>> s;
      for (size_t i = 0; i + 6 <= control_.size(); i += 6) {
        s.emplace_back(static_cast<uint16_t>((p[i] << 8) | p[i + 1]), Be32(p + i + 2));
      }
      v_->OnSettings((flags_ & kAck) != 0, s);
      break;
    }
    case kHttp2GoAway:
      if (length_ < 8 || stream_ != 0) return malformed("bad GOAWAY");
      v_->OnGoAway(Be32(p) & 0x7fffffffu, Be32(p + 4));
      break;
    case kHttp2Priority:
      if (length_ != 5) return malformed("bad PRIORITY");
      break;
    case kHttp2Ping:
      if (length_ != 8 || stream_ != 0) return malformed("bad PING");
      break;
    case kHttp2WindowUpdate:
      if (length_ != 4) return malformed("bad WINDOW_UPDATE");
      break;
    default:
      break;  // unknown types are skipped
  }
}

void Http2FrameParser::OnGap(uint64_t length) {
  ++stats_->gaps;
  if (state_ == State::kLost) {
    stats_->ignored_bytes += length;
    return;
  }
  if (state_ == State::kPayload && length <= remaining_) {
    ++stats_->gaps_in_frame;
    uint64_t left = length;
    if (prefix_left_ > 0) {
      // The type's fields are lost: the padding is unknown, the promised stream too.
      uint64_t n = std::min<uint64_t>(prefix_left_, left);
      prefix_left_ -= n;
      remaining_ -= n;
      left -= n;
      pad_ = 0;
      pad_known_ = false;
      if (type_ == kHttp2Headers || type_ == kHttp2PushPromise) LoseHeaderBlock("gap");
    }
    if (left > 0) {
      if (type_ == kHttp2Data) {
        uint64_t content_left = remaining_ > pad_ ? remaining_ - pad_ : 0;
        v_->OnDataGap(stream_, std::min(left, content_left));
      } else if (type_ == kHttp2Headers || type_ == kHttp2PushPromise ||
                 type_ == kHttp2Continuation) {
        LoseHeaderBlock("gap");
      } else {
        type_ = 0xff;  // a control frame with a hole is dropped
      }
      remaining_ -= left;
    }
    if (remaining_ == 0) EndFrame();
    return;
  }
  // The gap runs past the end of the current frame: its end (and whatever frames were in
  // the lost range) is unknown. OnSyncLost tells about every stream it may have hit.
  if (in_block_) LoseHeaderBlock("gap");
  in_block_ = false;
  block_lost_ = false;
  header_len_ = 0;
  v_->OnSyncLost(length);
  state_ = State::kResync;
  scan_.clear();
  scan_skipped_ = 0;
}

void Http2FrameParser::StartResync() {
  state_ = State::kResync;
  scan_.clear();
  scan_skipped_ = 0;
}

void Http2FrameParser::OnEnd() {
  if (state_ == State::kResync) Scan(true);
}

bool Http2FrameParser::ValidHeader(const unsigned char* p) const {
  uint32_t len = (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
  uint8_t type = p[3], flags = p[4];
  if (p[5] & 0x80) return false;  // reserved bit
  uint32_t stream = Be32(p + 5) & 0x7fffffffu;
  if (len > max_frame_size_) return false;
  switch (type) {
    case kHttp2Data:
      if (stream == 0 || (flags & ~(kEndStream | kPadded))) return false;
      break;
    case kHttp2Headers:
      if (stream == 0 || (flags & ~(kEndStream | kEndHeaders | kPadded | kPriorityFlag))) {
        return false;
      }
      break;
    case kHttp2Priority:
      if (stream == 0 || len != 5 || flags) return false;
      break;
    case kHttp2RstStream:
      if (stream == 0 || len != 4 || flags) return false;
      break;
    case kHttp2Settings:
      if (stream != 0 || len % 6 || (flags & ~kAck) || ((flags & kAck) && len)) return false;
      return true;
    case kHttp2PushPromise:
      if (stream == 0 || (flags & ~(kEndHeaders | kPadded))) return false;
      break;
    case kHttp2Ping:
      return stream == 0 && len == 8 && (flags & ~kAck) == 0;
    case kHttp2GoAway:
      return stream == 0 && len >= 8 && flags == 0;
    case kHttp2WindowUpdate:
      if (len != 4 || flags) return false;
      if (stream == 0) return true;
      break;
    default:
      return false;  // a CONTINUATION cannot start a trusted run: its block is gone
  }
  return v_->PlausibleStream(type, stream);
}

void Http2FrameParser::Scan(bool at_end) {
  const unsigned char* b = reinterpret_cast<const unsigned char*>(scan_.data());
  size_t p = 0;
  while (p + 9 <= scan_.size()) {
    if (ValidHeader(b + p)) {
      uint32_t len = (uint32_t{b[p]} << 16) | (uint32_t{b[p + 1]} << 8) | b[p + 2];
      size_t next = p + 9 + len;
      if (next + 9 <= scan_.size()) {
        if (ValidHeader(b + next)) break;
      } else if (!at_end) {
        break;  // need more bytes to judge this candidate
      } else if (next <= scan_.size()) {
        break;  // the direction ends with this frame
      }
    }
    ++p;
  }
  bool found = p + 9 <= scan_.size();
  if (!found && at_end) p = scan_.size();
  if (!found && !at_end && scan_.size() >= 8) p = scan_.size() - 8;  // keep a header's worth
  if (!found && !at_end && scan_.size() < 8) p = 0;
  scan_skipped_ += p;
  stats_->resync_skipped_bytes += p;
  if (scan_skipped_ > limits_.max_resync_bytes) {
    ++stats_->directions_lost;
    stats_->ignored_bytes += scan_.size() - p;
    scan_.clear();
    state_ = State::kLost;
    v_->OnDirectionLost();
    return;
  }
  if (!found) {
    scan_.erase(0, p);
    return;
  }
  // Is the candidate confirmed (its successor checked or the stream ending)?
  uint32_t len = (uint32_t{b[p]} << 16) | (uint32_t{b[p + 1]} << 8) | b[p + 2];
  size_t next = p + 9 + len;
  bool confirmed = (next + 9 <= scan_.size()) || at_end;
  if (!confirmed) {
    scan_.erase(0, p);
    if (scan_.size() > limits_.max_resync_bytes) {
      ++stats_->directions_lost;
      stats_->ignored_bytes += scan_.size();
      scan_.clear();
      state_ = State::kLost;
      v_->OnDirectionLost();
    }
    return;
  }
  ++stats_->resyncs;
  v_->OnResync(scan_skipped_);
  std::string rest = scan_.substr(p);
  scan_.clear();
  scan_skipped_ = 0;
  state_ = State::kHeader;
  header_len_ = 0;
  Feed(rest);
}

}  // namespace tcpfollow
