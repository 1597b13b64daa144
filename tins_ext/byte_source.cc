// Plain and compressed byte sources; see byte_source.h.
#include "tins_ext/byte_source.h"

#include <fcntl.h>
#include <lzma.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace tcpfollow {
namespace {

constexpr size_t kHead = 6;  // the longest magic (xz)

// The undecompressed input: a file descriptor or a string, read in order.
class RawInput {
 public:
  virtual ~RawInput() = default;
  virtual absl::StatusOr<size_t> ReadRaw(uint8_t* buf, size_t n) = 0;
  virtual std::unique_ptr<MappedFile> Map(uint64_t /*size*/) { return nullptr; }
};

class FdInput : public RawInput {
 public:
  FdInput(int fd, bool owned, std::string name) : fd_(fd), owned_(owned), name_(std::move(name)) {}
  ~FdInput() override {
    if (owned_) close(fd_);
  }
  absl::StatusOr<size_t> ReadRaw(uint8_t* buf, size_t n) override {
    while (true) {
      const ssize_t got = read(fd_, buf, n);
      if (got >= 0) return static_cast<size_t>(got);
      // A signal (SIGINT, SIGTERM) ends a blocked read: the reader decides whether it was
      // asked to stop (CaptureSource::BreakLoop) or reads on.
      if (errno == EINTR) return absl::CancelledError("interrupted");
      return absl::DataLossError(absl::StrCat("error reading ", name_, ": ", std::strerror(errno)));
    }
  }
  // Files opened by path only: standard input may be a regular file read from elsewhere
  // than its start.
  std::unique_ptr<MappedFile> Map(uint64_t size) override {
    return owned_ ? MappedFile::Map(fd_, size) : nullptr;
  }

 private:
  const int fd_;
  const bool owned_;
  const std::string name_;
};

class StringInput : public RawInput {
 public:
  explicit StringInput(std::string bytes) : bytes_(std::move(bytes)) {}
  absl::StatusOr<size_t> ReadRaw(uint8_t* buf, size_t n) override {
    const size_t take = std::min(n, bytes_.size() - pos_);
    std::memcpy(buf, bytes_.data() + pos_, take);
    pos_ += take;
    return take;
  }

 private:
  std::string bytes_;
  size_t pos_ = 0;
};

// Shared by every source: the raw input, the first bytes already read (to detect the
// compression) and the counters.
class SourceBase : public ByteSource {
 public:
  SourceBase(std::unique_ptr<RawInput> raw, std::string head, uint64_t file_size)
      : raw_(std::move(raw)), head_(std::move(head)) {
    file_size_ = file_size;
    stats_.compressed_bytes = head_.size();
  }

 protected:
  // Raw bytes: the head first, then the input.
  absl::StatusOr<size_t> ReadRawCounted(uint8_t* buf, size_t n) {
    if (head_pos_ < head_.size()) {
      const size_t take = std::min(n, head_.size() - head_pos_);
      std::memcpy(buf, head_.data() + head_pos_, take);
      head_pos_ += take;
      return take;
    }
    absl::StatusOr<size_t> got = raw_->ReadRaw(buf, n);
    if (got.ok()) stats_.compressed_bytes += *got;
    return got;
  }

  std::unique_ptr<RawInput> raw_;
  std::string head_;
  size_t head_pos_ = 0;
};

class PlainSource : public SourceBase {
 public:
  using SourceBase::SourceBase;
  std::unique_ptr<MappedFile> MapFile() override { return raw_->Map(file_size_); }
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    absl::StatusOr<size_t> got = ReadRawCounted(buf, n);
    if (got.ok()) stats_.decompressed_bytes += *got;
    return got;
  }
};

// The input-buffer handling the three decompressors share.
class CompressedSource : public SourceBase {
 public:
  CompressedSource(std::unique_ptr<RawInput> raw, std::string head, uint64_t file_size,
                   const DecompressLimits& limits)
      : SourceBase(std::move(raw), std::move(head), file_size),
        in_(std::max<size_t>(limits.input_buffer, 4096)) {}
  bool truncated_stream() const override { return truncated_; }

 protected:
  // Refills in_ when it is empty. false: the input has ended.
  absl::StatusOr<bool> Fill() {
    if (in_pos_ < in_end_) return true;
    if (input_ended_) return false;
    absl::StatusOr<size_t> got = ReadRawCounted(in_.data(), in_.size());
    if (!got.ok()) return got.status();
    in_pos_ = 0;
    in_end_ = *got;
    if (*got == 0) input_ended_ = true;
    return *got > 0;
  }
  // Compressed offset of the next unconsumed input byte.
  uint64_t offset() const { return stats_.compressed_bytes - (in_end_ - in_pos_); }
  absl::Status Damaged(const std::string& what) {
    failed_ = true;
    return absl::DataLossError(absl::StrCat(CompressionName(compression()),
                                            " data damaged at compressed byte ", offset(),
                                            ": ", what));
  }

  std::vector<uint8_t> in_;
  size_t in_pos_ = 0;
  size_t in_end_ = 0;
  bool input_ended_ = false;
  bool truncated_ = false;
  bool failed_ = false;
  bool done_ = false;
};

class GzipSource : public CompressedSource {
 public:
  GzipSource(std::unique_ptr<RawInput> raw, std::string head, uint64_t file_size,
             const DecompressLimits& limits)
      : CompressedSource(std::move(raw), std::move(head), file_size, limits) {
    ok_ = inflateInit2(&z_, 16 + MAX_WBITS) == Z_OK;
    stats_.members = 1;
  }
  ~GzipSource() override {
    if (ok_) inflateEnd(&z_);
  }
  Compression compression() const override { return Compression::kGzip; }

  absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    if (!ok_) return absl::ResourceExhaustedError("cannot start the gzip decompressor");
    if (failed_) return Damaged("after an earlier error");
    size_t out = 0;
    while (out < n && !done_) {
      absl::StatusOr<bool> more = Fill();
      if (!more.ok()) return more.status();
      if (!*more) {  // the input ended inside a member
        truncated_ = in_member_;
        done_ = true;
        break;
      }
      if (!in_member_) {  // between members: another one, or trailing bytes to ignore
        if (in_[in_pos_] != 0x1f) {
          done_ = true;
          break;
        }
        inflateReset(&z_);
        in_member_ = true;
        ++stats_.members;
      }
      z_.next_in = in_.data() + in_pos_;
      z_.avail_in = static_cast<uInt>(in_end_ - in_pos_);
      z_.next_out = buf + out;
      z_.avail_out = static_cast<uInt>(std::min<size_t>(n - out, 1u << 30));
      const int rc = inflate(&z_, Z_NO_FLUSH);
      const size_t produced = static_cast<size_t>(z_.next_out - (buf + out));
      out += produced;
      in_pos_ = static_cast<size_t>(z_.next_in - in_.data());
      if (rc == Z_STREAM_END) {
        in_member_ = false;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        stats_.decompressed_bytes += out;
        if (out > 0) {  // hand out what came before the damage; the error comes next
          pending_error_ = z_.msg != nullptr ? z_.msg : "inflate failed";
          failed_pending_ = true;
          return out;
        }
        return Damaged(z_.msg != nullptr ? z_.msg : "inflate failed");
      }
    }
    stats_.decompressed_bytes += out;
    if (out == 0 && failed_pending_) return Damaged(pending_error_);
    return out;
  }

 private:
  z_stream z_ = {};
  bool ok_ = false;
  bool in_member_ = true;
  bool failed_pending_ = false;
  std::string pending_error_;
};

class ZstdSource : public CompressedSource {
 public:
  ZstdSource(std::unique_ptr<RawInput> raw, std::string head, uint64_t file_size,
             const DecompressLimits& limits)
      : CompressedSource(std::move(raw), std::move(head), file_size, limits),
        dctx_(ZSTD_createDCtx()) {
    if (dctx_ != nullptr) {
      ZSTD_DCtx_setParameter(dctx_, ZSTD_d_windowLogMax, limits.zstd_max_window_log);
    }
    stats_.members = 1;
  }
  ~ZstdSource() override { ZSTD_freeDCtx(dctx_); }
  Compression compression() const override { return Compression::kZstd; }

  absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    if (dctx_ == nullptr) return absl::ResourceExhaustedError("cannot start the zstd decompressor");
    if (failed_) return Damaged("after an earlier error");
    size_t out = 0;
    while (out < n && !done_) {
      // Output may still be pending inside the decoder with no new input needed.
      absl::StatusOr<bool> more = Fill();
      if (!more.ok()) return more.status();
      if (!*more && frame_done_) {
        done_ = true;
        break;
      }
      ZSTD_inBuffer in = {in_.data() + in_pos_, in_end_ - in_pos_, 0};
      ZSTD_outBuffer o = {buf + out, n - out, 0};
      if (frame_done_ && in.size > 0) {
        frame_done_ = false;
        ++stats_.members;
      }
      const size_t rc = ZSTD_decompressStream(dctx_, &o, &in);
      in_pos_ += in.pos;
      out += o.pos;
      if (ZSTD_isError(rc)) {
        stats_.decompressed_bytes += out;
        if (out > 0) {
          pending_error_ = ZSTD_getErrorName(rc);
          failed_pending_ = true;
          return out;
        }
        return Damaged(ZSTD_getErrorName(rc));
      }
      if (rc == 0) frame_done_ = true;
      if (!*more && o.pos == 0) {  // no input left and nothing more came out
        truncated_ = !frame_done_;
        done_ = true;
      }
    }
    stats_.decompressed_bytes += out;
    if (out == 0 && failed_pending_) return Damaged(pending_error_);
    return out;
  }

 private:
  ZSTD_DCtx* dctx_;
  bool frame_done_ = false;
  bool failed_pending_ = false;
  std::string pending_error_;
};

class XzSource : public CompressedSource {
 public:
  XzSource(std::unique_ptr<RawInput> raw, std::string head, uint64_t file_size,
           const DecompressLimits& limits)
      : CompressedSource(std::move(raw), std::move(head), file_size, limits) {
    ok_ = lzma_stream_decoder(&s_, limits.xz_max_memory, LZMA_CONCATENATED) == LZMA_OK;
    stats_.members = 1;
  }
  ~XzSource() override { lzma_end(&s_); }
  Compression compression() const override { return Compression::kXz; }

  absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    if (!ok_) return absl::ResourceExhaustedError("cannot start the xz decompressor");
    if (failed_) return Damaged("after an earlier error");
    size_t out = 0;
    while (out < n && !done_) {
      absl::StatusOr<bool> more = Fill();
      if (!more.ok()) return more.status();
      s_.next_in = in_.data() + in_pos_;
      s_.avail_in = in_end_ - in_pos_;
      s_.next_out = buf + out;
      s_.avail_out = n - out;
      const lzma_ret rc = lzma_code(&s_, *more ? LZMA_RUN : LZMA_FINISH);
      out += static_cast<size_t>(s_.next_out - (buf + out));
      in_pos_ = static_cast<size_t>(s_.next_in - in_.data());
      if (rc == LZMA_STREAM_END) {
        done_ = true;
      } else if (rc == LZMA_BUF_ERROR && !*more) {
        truncated_ = true;  // input ended inside a stream
        done_ = true;
      } else if (rc != LZMA_OK) {
        const char* why = rc == LZMA_MEMLIMIT_ERROR ? "needs more memory than the limit"
                          : rc == LZMA_FORMAT_ERROR ? "not xz data"
                          : rc == LZMA_DATA_ERROR   ? "corrupt data"
                          : rc == LZMA_OPTIONS_ERROR ? "unsupported options"
                                                      : "decoder error";
        stats_.decompressed_bytes += out;
        if (out > 0) {
          pending_error_ = why;
          failed_pending_ = true;
          return out;
        }
        return Damaged(why);
      }
    }
    stats_.decompressed_bytes += out;
    if (out == 0 && failed_pending_) return Damaged(pending_error_);
    return out;
  }

 private:
  lzma_stream s_ = LZMA_STREAM_INIT;
  bool ok_ = false;
  bool failed_pending_ = false;
  std::string pending_error_;
};

absl::StatusOr<std::unique_ptr<ByteSource>> Wrap(std::unique_ptr<RawInput> raw,
                                                 uint64_t file_size,
                                                 const DecompressLimits& limits) {
  // Read the head: up to kHead bytes, fewer only at the end of the input.
  std::string head(kHead, '\0');
  size_t have = 0;
  while (have < kHead) {
    absl::StatusOr<size_t> got =
        raw->ReadRaw(reinterpret_cast<uint8_t*>(&head[have]), kHead - have);
    if (!got.ok()) return got.status();
    if (*got == 0) break;
    have += *got;
  }
  head.resize(have);
  switch (DetectCompression(head)) {
    case Compression::kGzip:
      return std::unique_ptr<ByteSource>(
          new GzipSource(std::move(raw), std::move(head), file_size, limits));
    case Compression::kZstd:
      return std::unique_ptr<ByteSource>(
          new ZstdSource(std::move(raw), std::move(head), file_size, limits));
    case Compression::kXz:
      return std::unique_ptr<ByteSource>(
          new XzSource(std::move(raw), std::move(head), file_size, limits));
    case Compression::kNone:
      break;
  }
  return std::unique_ptr<ByteSource>(new PlainSource(std::move(raw), std::move(head), file_size));
}

}  // namespace

const char* CompressionName(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
    case Compression::kXz: return "xz";
  }
  return "none";
}

Compression DetectCompression(absl::string_view head) {
  const auto starts = [&](absl::string_view magic) {
    return head.size() >= magic.size() && head.substr(0, magic.size()) == magic;
  };
  if (starts(absl::string_view("\x1f\x8b", 2))) return Compression::kGzip;
  if (starts(absl::string_view("\x28\xb5\x2f\xfd", 4))) return Compression::kZstd;
  if (starts(absl::string_view("\xfd" "7zXZ\x00", 6))) return Compression::kXz;
  return Compression::kNone;
}

absl::StatusOr<std::unique_ptr<ByteSource>> OpenByteSource(const std::string& path,
                                                           const DecompressLimits& limits) {
  const bool is_stdin = path == "-";
  const std::string name = is_stdin ? "standard input" : path;
  int fd = 0;
  if (!is_stdin) {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read capture ", name, ": ", std::strerror(errno)));
    }
  }
  struct stat st;
  uint64_t size = 0;
  if (fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      if (!is_stdin) close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat("cannot read capture ", name, ": Is a directory"));
    }
    if (S_ISREG(st.st_mode)) size = static_cast<uint64_t>(st.st_size);
  }
  // Sequential reads: ask the kernel for a long read-ahead.
  if (size > 0) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return Wrap(std::make_unique<FdInput>(fd, !is_stdin, name), size, limits);
}

std::unique_ptr<ByteSource> ByteSourceFromString(std::string bytes,
                                                 const DecompressLimits& limits) {
  const uint64_t size = bytes.size();
  absl::StatusOr<std::unique_ptr<ByteSource>> s =
      Wrap(std::make_unique<StringInput>(std::move(bytes)), size, limits);
  return s.ok() ? std::move(*s) : nullptr;  // a string input cannot fail to read
}

}  // namespace tcpfollow
