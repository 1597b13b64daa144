// Implementation notes: each coding is a Stage that decodes into a fixed 16 KiB buffer and
// hands every filled buffer to the next stage at once, so memory per body is the codec state
// plus one buffer per stage whatever the sizes involved. The output bound is enforced in
// Deliver(), the only place bytes reach the sink.
#include "protocols/content/content_decoder.h"

#include <lzma.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "brotli/decode.h"

namespace tcpfollow {
namespace {

constexpr size_t kChunk = 16 * 1024;

uint64_t SaturatingMul(uint64_t a, uint64_t b) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) {
    return std::numeric_limits<uint64_t>::max();
  }
  return a * b;
}

}  // namespace

const char* ContentCodingName(ContentCoding c) {
  switch (c) {
    case ContentCoding::kIdentity: return "identity";
    case ContentCoding::kGzip: return "gzip";
    case ContentCoding::kDeflate: return "deflate";
    case ContentCoding::kBrotli: return "br";
    case ContentCoding::kLzma: return "lzma";
  }
  return "?";
}

absl::StatusOr<std::vector<ContentCoding>> ParseContentEncoding(absl::string_view value,
                                                                const ContentLimits& limits) {
  std::vector<ContentCoding> out;
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    std::string token = absl::AsciiStrToLower(absl::StripAsciiWhitespace(part));
    if (token.empty() || token == "identity") continue;
    if (token == "gzip" || token == "x-gzip") {
      out.push_back(ContentCoding::kGzip);
    } else if (token == "deflate") {
      out.push_back(ContentCoding::kDeflate);
    } else if (token == "br") {
      out.push_back(ContentCoding::kBrotli);
    } else if (token == "lzma") {
      out.push_back(ContentCoding::kLzma);
    } else {
      return absl::UnimplementedError(absl::StrCat("unknown content coding: ", token));
    }
    if (out.size() > limits.max_codings) {
      return absl::ResourceExhaustedError("too many stacked content codings");
    }
  }
  return out;
}

class ContentDecoder::Stage {
 public:
  Stage(ContentDecoder* owner, size_t index) : owner_(owner), index_(index) {}
  virtual ~Stage() = default;
  virtual absl::Status Decode(absl::string_view in) = 0;
  virtual absl::Status Finish() = 0;

 protected:
  absl::Status Emit(const uint8_t* p, size_t n) {
    if (n == 0) return absl::OkStatus();
    return owner_->Emit(index_, absl::string_view(reinterpret_cast<const char*>(p), n));
  }
  bool stopped() const { return owner_->limited_; }

  ContentDecoder* owner_;
  size_t index_;
  uint8_t buf_[kChunk];
};

namespace {

// gzip (concatenated members allowed) and deflate (zlib-wrapped or raw). The gzip member
// header and trailer are parsed here rather than by zlib, as browsers do: reserved flag
// bits and a wrong header CRC do not stop decoding (HTTP evader tests both). The trailer's
// CRC32 and length are checked against what was decoded: the bytes stay delivered (that is
// what a browser shows), but a mismatch is reported as a decoding error, so that corrupt
// data is flagged rather than passed off as the object.
class ZlibStage : public ContentDecoder::Stage {
 public:
  ZlibStage(ContentDecoder* owner, size_t index, bool gzip)
      : Stage(owner, index), gzip_(gzip) {
    std::memset(&zs_, 0, sizeof(zs_));
  }
  ~ZlibStage() override {
    if (initialised_) inflateEnd(&zs_);
  }

  absl::Status Decode(absl::string_view in) override {
    const uint8_t* p = reinterpret_cast<const uint8_t*>(in.data());
    size_t n = in.size();
    if (!initialised_) {
      // Raw deflate or zlib: decided on the first two bytes.
      if (!gzip_ && header_.size() + n < 2) {
        header_.append(in.data(), in.size());
        return absl::OkStatus();
      }
      int window_bits = -MAX_WBITS;
      if (!gzip_) {
        std::string first = header_ + std::string(in.substr(0, 2 - header_.size()));
        uint8_t cmf = first[0], flg = first[1];
        bool zlib = (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
        window_bits = zlib ? MAX_WBITS : -MAX_WBITS;
      }
      if (inflateInit2(&zs_, window_bits) != Z_OK) return absl::InternalError("inflateInit2");
      initialised_ = true;
      if (!header_.empty()) {
        std::string held = std::move(header_);
        header_.clear();
        absl::Status s = Run(reinterpret_cast<const uint8_t*>(held.data()), held.size());
        if (!s.ok()) return s;
      }
    }
    return Run(p, n);
  }

  absl::Status Finish() override {
    if (!initialised_ && header_.empty()) return absl::OkStatus();
    if (gzip_ ? !member_done_ : !ended_) return absl::DataLossError("compressed stream truncated");
    return absl::OkStatus();
  }

 private:
  enum class Gz : uint8_t { kFixed, kXlen, kExtra, kName, kComment, kHcrc, kBody, kTrailer, kBetween, kDone };

  absl::Status Run(const uint8_t* p, size_t n) {
    if (!gzip_) return Inflate(&p, &n);
    while (n > 0 && !stopped()) {
      switch (gz_) {
        case Gz::kFixed: {
          uint8_t c = *p++;
          --n;
          if ((hpos_ == 0 && c != 0x1f) || (hpos_ == 1 && c != 0x8b) || (hpos_ == 2 && c != 8)) {
            return absl::DataLossError("not a gzip member header");
          }
          if (hpos_ == 3) flags_ = c;
          if (++hpos_ == 10) NextHeaderPart();
          break;
        }
        case Gz::kXlen:
          need_ |= static_cast<uint32_t>(*p++) << (8 * hpos_++);
          --n;
          if (hpos_ == 2) gz_ = Gz::kExtra;
          break;
        case Gz::kExtra:
        case Gz::kHcrc:
        case Gz::kTrailer: {
          size_t k = std::min<size_t>(need_, n);
          if (gz_ == Gz::kTrailer) trailer_.append(reinterpret_cast<const char*>(p), k);
          p += k, n -= k, need_ -= static_cast<uint32_t>(k);
          if (need_ == 0) {
            if (gz_ == Gz::kTrailer) {
              gz_ = Gz::kBetween;
              absl::Status s = CheckTrailer();
              if (!s.ok()) return s;
            } else {
              NextHeaderPart();
            }
          }
          break;
        }
        case Gz::kName:
        case Gz::kComment: {
          const void* z = std::memchr(p, 0, n);
          if (z == nullptr) return absl::OkStatus();  // all of it belongs to the field
          size_t k = static_cast<const uint8_t*>(z) - p + 1;
          p += k, n -= k;
          NextHeaderPart();
          break;
        }
        case Gz::kBody: {
          absl::Status s = Inflate(&p, &n);
          if (!s.ok()) return s;
          if (ended_) {
            member_done_ = true;
            ended_ = false;
            inflateReset(&zs_);
            gz_ = Gz::kTrailer;
            need_ = 8;
          }
          break;
        }
        case Gz::kBetween:
          if (*p != 0x1f) {
            gz_ = Gz::kDone;  // trailing garbage after the last member is ignored
            return absl::OkStatus();
          }
          gz_ = Gz::kFixed;
          hpos_ = 0;
          break;
        case Gz::kDone:
          return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  }

  // After the fixed header or an optional field: the next field its flags announce.
  void NextHeaderPart() {
    hpos_ = 0;
    need_ = 0;
    if (gz_ == Gz::kFixed && (flags_ & 0x04)) {
      gz_ = Gz::kXlen;
    } else if ((gz_ == Gz::kFixed || gz_ == Gz::kExtra) && (flags_ & 0x08)) {
      gz_ = Gz::kName;
    } else if (gz_ != Gz::kComment && gz_ != Gz::kHcrc && (flags_ & 0x10)) {
      gz_ = Gz::kComment;
    } else if (gz_ != Gz::kHcrc && (flags_ & 0x02)) {
      gz_ = Gz::kHcrc;
      need_ = 2;
    } else {
      gz_ = Gz::kBody;
    }
  }

  // Inflates from *p; on return *p/*n hold what the stream did not use (after its end).
  absl::Status Inflate(const uint8_t** p, size_t* n) {
    absl::Status s = RunZlib(*p, *n);
    *p = zs_.next_in;
    *n = zs_.avail_in;
    return s;
  }

  absl::Status RunZlib(const uint8_t* p, size_t n) {
    zs_.next_in = const_cast<Bytef*>(p);
    zs_.avail_in = static_cast<uInt>(n);
    while (!stopped() && !ended_) {  // anything after the deflate stream's end is not ours
      zs_.next_out = buf_;
      zs_.avail_out = kChunk;
      int ret = inflate(&zs_, Z_NO_FLUSH);
      size_t produced = kChunk - zs_.avail_out;
      if (gzip_ && produced > 0) {
        member_crc_ = crc32(member_crc_, buf_, static_cast<uInt>(produced));
        member_size_ += produced;
      }
      absl::Status s = Emit(buf_, produced);
      if (!s.ok()) return s;
      if (ret == Z_STREAM_END) {
        ended_ = true;
        continue;
      }
      if (ret == Z_BUF_ERROR) break;  // no progress possible: needs more input
      if (ret != Z_OK) {
        return absl::DataLossError(absl::StrCat("inflate: ", zs_.msg ? zs_.msg : "error"));
      }
      if (zs_.avail_in == 0 && zs_.avail_out != 0) break;
    }
    return absl::OkStatus();
  }

  // The member trailer: CRC32 and length (mod 2^32) of the decoded data, little-endian.
  absl::Status CheckTrailer() {
    auto le32 = [&](size_t at) {
      return static_cast<uint32_t>(static_cast<uint8_t>(trailer_[at])) |
             static_cast<uint32_t>(static_cast<uint8_t>(trailer_[at + 1])) << 8 |
             static_cast<uint32_t>(static_cast<uint8_t>(trailer_[at + 2])) << 16 |
             static_cast<uint32_t>(static_cast<uint8_t>(trailer_[at + 3])) << 24;
    };
    const bool ok = le32(0) == static_cast<uint32_t>(member_crc_) &&
                    le32(4) == static_cast<uint32_t>(member_size_);
    trailer_.clear();
    member_crc_ = crc32(0L, Z_NULL, 0);
    member_size_ = 0;
    if (!ok) return absl::DataLossError("gzip trailer: CRC32 or length does not match the data");
    return absl::OkStatus();
  }

  bool gzip_;
  bool initialised_ = false;
  uLong member_crc_ = crc32(0L, Z_NULL, 0);
  uint64_t member_size_ = 0;
  std::string trailer_;
  bool ended_ = false;        // the current deflate stream ended
  bool member_done_ = false;  // gzip: at least one member decoded to its end
  Gz gz_ = Gz::kFixed;
  uint8_t flags_ = 0;
  uint32_t hpos_ = 0;
  uint32_t need_ = 0;
  std::string header_;  // up to 2 bytes while deciding zlib vs raw
  z_stream zs_;
};

class BrotliStage : public ContentDecoder::Stage {
 public:
  BrotliStage(ContentDecoder* owner, size_t index)
      : Stage(owner, index), state_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {}
  ~BrotliStage() override { BrotliDecoderDestroyInstance(state_); }

  absl::Status Decode(absl::string_view in) override {
    if (state_ == nullptr) return absl::InternalError("brotli init");
    started_ = true;
    const uint8_t* next_in = reinterpret_cast<const uint8_t*>(in.data());
    size_t avail_in = in.size();
    while (!stopped() && !ended_) {
      uint8_t* next_out = buf_;
      size_t avail_out = kChunk;
      BrotliDecoderResult r =
          BrotliDecoderDecompressStream(state_, &avail_in, &next_in, &avail_out, &next_out, nullptr);
      absl::Status s = Emit(buf_, kChunk - avail_out);
      if (!s.ok()) return s;
      if (r == BROTLI_DECODER_RESULT_SUCCESS) {
        ended_ = true;
      } else if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) {
        break;
      } else if (r == BROTLI_DECODER_RESULT_ERROR) {
        return absl::DataLossError(absl::StrCat(
            "brotli: ", BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state_))));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Finish() override {
    if (!ended_ && started_) return absl::DataLossError("compressed stream truncated");
    return absl::OkStatus();
  }

 private:
  BrotliDecoderState* state_;
  bool ended_ = false;
  bool started_ = false;
};

// lzma: the .lzma ("LZMA_Alone") format, what servers label Content-Encoding: lzma (libhtp
// decodes it; browsers have stopped asking for it). The header's dictionary size sets the
// memory needed: above `memlimit` the body is not decoded, as if it were corrupt.
class LzmaStage : public ContentDecoder::Stage {
 public:
  LzmaStage(ContentDecoder* owner, size_t index, uint64_t memlimit)
      : Stage(owner, index), memlimit_(memlimit) {}
  ~LzmaStage() override { lzma_end(&strm_); }

  absl::Status Decode(absl::string_view in) override {
    if (!initialised_) {
      if (lzma_alone_decoder(&strm_, memlimit_) != LZMA_OK) {
        return absl::InternalError("lzma_alone_decoder");
      }
      initialised_ = true;
    }
    strm_.next_in = reinterpret_cast<const uint8_t*>(in.data());
    strm_.avail_in = in.size();
    while (!stopped() && !ended_) {
      strm_.next_out = buf_;
      strm_.avail_out = kChunk;
      lzma_ret r = lzma_code(&strm_, LZMA_RUN);
      absl::Status s = Emit(buf_, kChunk - strm_.avail_out);
      if (!s.ok()) return s;
      if (r == LZMA_STREAM_END) {
        ended_ = true;  // anything after the stream's end is not ours
      } else if (r == LZMA_MEMLIMIT_ERROR) {
        return absl::ResourceExhaustedError("lzma: dictionary above the memory limit");
      } else if (r != LZMA_OK && r != LZMA_BUF_ERROR) {
        return absl::DataLossError(absl::StrCat("lzma: error ", static_cast<int>(r)));
      } else if (strm_.avail_in == 0 && strm_.avail_out != 0) {
        break;  // needs more input
      }
    }
    return absl::OkStatus();
  }

  absl::Status Finish() override {
    if (initialised_ && !ended_) return absl::DataLossError("compressed stream truncated");
    return absl::OkStatus();
  }

 private:
  uint64_t memlimit_;
  lzma_stream strm_ = LZMA_STREAM_INIT;
  bool initialised_ = false;
  bool ended_ = false;
};

}  // namespace

ContentDecoder::ContentDecoder(std::vector<ContentCoding> applied, const ContentLimits& limits,
                               Sink sink, ContentStats* stats)
    : limits_(limits), sink_(std::move(sink)), stats_(stats) {
  std::reverse(applied.begin(), applied.end());
  for (ContentCoding c : applied) {
    size_t index = stages_.size();
    switch (c) {
      case ContentCoding::kGzip:
        stages_.push_back(std::make_unique<ZlibStage>(this, index, true));
        break;
      case ContentCoding::kDeflate:
        stages_.push_back(std::make_unique<ZlibStage>(this, index, false));
        break;
      case ContentCoding::kBrotli:
        stages_.push_back(std::make_unique<BrotliStage>(this, index));
        break;
      case ContentCoding::kLzma:
        stages_.push_back(std::make_unique<LzmaStage>(this, index, limits_.max_lzma_memory));
        break;
      case ContentCoding::kIdentity:
        break;
    }
  }
}

ContentDecoder::~ContentDecoder() = default;

absl::Status ContentDecoder::Write(absl::string_view encoded) {
  if (!status_.ok() || limited_ || encoded.empty()) return status_;
  bytes_in_ += encoded.size();
  if (stats_) stats_->bytes_in += encoded.size();
  absl::Status s = stages_.empty() ? Deliver(encoded) : stages_[0]->Decode(encoded);
  if (!s.ok()) {
    status_ = s;
    if (stats_) ++stats_->errors;
  }
  return status_;
}

absl::Status ContentDecoder::Finish() {
  if (!status_.ok() || limited_) return status_;
  for (auto& stage : stages_) {
    absl::Status s = stage->Finish();
    if (!s.ok()) {
      status_ = s;
      if (stats_) ++stats_->errors;
      break;
    }
  }
  return status_;
}

absl::Status ContentDecoder::Emit(size_t index, absl::string_view bytes) {
  if (index + 1 < stages_.size()) return stages_[index + 1]->Decode(bytes);
  return Deliver(bytes);
}

absl::Status ContentDecoder::Deliver(absl::string_view bytes) {
  if (limited_) return absl::OkStatus();
  uint64_t by_size = limits_.max_output_bytes - std::min(limits_.max_output_bytes, bytes_out_);
  uint64_t ratio_cap = std::max(limits_.ratio_grace_bytes, SaturatingMul(limits_.max_ratio, bytes_in_));
  uint64_t by_ratio = limits_.max_ratio == 0 ? std::numeric_limits<uint64_t>::max()
                                             : ratio_cap - std::min(ratio_cap, bytes_out_);
  uint64_t allowed = std::min(by_size, by_ratio);
  if (bytes.size() > allowed) {
    limited_ = true;
    if (stats_) {
      if (by_size <= by_ratio) {
        ++stats_->output_limited;
      } else {
        ++stats_->ratio_limited;
      }
    }
    bytes = bytes.substr(0, allowed);
  }
  if (bytes.empty()) return absl::OkStatus();
  bytes_out_ += bytes.size();
  if (stats_) stats_->bytes_out += bytes.size();
  sink_(bytes);
  return absl::OkStatus();
}

}  // namespace tcpfollow
