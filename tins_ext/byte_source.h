// The bytes of a capture file, decompressed on the fly: a plain file or standard input, or
// either compressed with gzip (zlib), zstd (libzstd) or xz (liblzma), the compression told
// by the first bytes, never by the name (as tshark 4 reads them). Streaming: nothing is
// written to a temporary file, and memory is bounded (a fixed input buffer plus the
// decompressor's state, capped by DecompressLimits). Concatenated gzip members, zstd
// frames and xz streams are read one after the other, as zcat, zstdcat and xzcat do.
// Does not know capture formats (capture_source.h does) and does not seek.
#ifndef TCPFOLLOW_TINS_EXT_BYTE_SOURCE_H_
#define TCPFOLLOW_TINS_EXT_BYTE_SOURCE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tins_ext/mapped_file.h"

namespace tcpfollow {

enum class Compression : uint8_t { kNone, kGzip, kZstd, kXz };
// "none", "gzip", "zstd", "xz".
const char* CompressionName(Compression c);
// The compression whose magic bytes start `head` (kNone when none does or `head` is short).
Compression DetectCompression(absl::string_view head);

struct DecompressLimits {
  size_t input_buffer = 256 << 10;  // compressed bytes read from the file at a time
  // zstd frames asking for a larger window (2^N bytes) are refused: 2^27 = 128 MiB is
  // zstd's own default limit for decompression.
  int zstd_max_window_log = 27;
  uint64_t xz_max_memory = 128u << 20;  // liblzma's memory limit for one xz stream
};

// Counters of one source; the summary shows them for compressed input.
struct DecompressStats {
  uint64_t compressed_bytes = 0;    // bytes read from the file
  uint64_t decompressed_bytes = 0;  // bytes handed out by Read
  uint64_t members = 0;             // gzip members / zstd frames / xz streams started
};

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `n` bytes into `buf`; 0 only at the end of the input. On damaged compressed
  // data the bytes before the damage are returned first, then an error (DataLossError,
  // naming the compression and the compressed offset). A compressed stream that stops
  // before its end marker ends normally but sets truncated_stream().
  virtual absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) = 0;
  virtual Compression compression() const { return Compression::kNone; }
  // The compressed input ended inside a gzip member, zstd frame or xz stream.
  virtual bool truncated_stream() const { return false; }
  const DecompressStats& stats() const { return stats_; }
  // Size of the underlying file when it is a regular file, else 0 (pipes).
  uint64_t file_size() const { return file_size_; }
  // An uncompressed regular file opened by path, mapped so that it can be read in place
  // (offsets in the mapping are offsets of the bytes Read hands out); null for standard
  // input, compressed input, bytes in memory, or when mapping fails. The source must
  // outlive the mapping.
  virtual std::unique_ptr<MappedFile> MapFile() { return nullptr; }

 protected:
  DecompressStats stats_;
  uint64_t file_size_ = 0;
};

// Opens `path` ("-" = standard input) and wraps it in the decompressor its first bytes
// ask for. `name` in error messages is the path, or "standard input".
absl::StatusOr<std::unique_ptr<ByteSource>> OpenByteSource(
    const std::string& path, const DecompressLimits& limits = DecompressLimits());

// A source over bytes in memory (tests, fuzzers), decompressed like a file.
std::unique_ptr<ByteSource> ByteSourceFromString(std::string bytes,
                                                 const DecompressLimits& limits =
                                                     DecompressLimits());

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_BYTE_SOURCE_H_
