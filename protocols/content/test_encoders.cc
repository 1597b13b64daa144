// Test-only encoders (see test_encoders.h). Failures abort: they are test set-up bugs.
#include "protocols/content/test_encoders.h"

#include <lzma.h>
#include <zlib.h>

#include <cstdlib>
#include <vector>

#include "brotli/encode.h"

namespace tcpfollow::testing {
namespace {

std::string Deflate(absl::string_view data, int window_bits, int level = 9) {
  z_stream zs{};
  if (deflateInit2(&zs, level, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = data.size();
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = out.size();
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

std::string GzipEncode(absl::string_view data) { return Deflate(data, 16 + MAX_WBITS); }
std::string GzipStoredEncode(absl::string_view data) { return Deflate(data, 16 + MAX_WBITS, 0); }
std::string ZlibEncode(absl::string_view data) { return Deflate(data, MAX_WBITS); }
std::string RawDeflateEncode(absl::string_view data) { return Deflate(data, -MAX_WBITS); }

std::string BrotliEncode(absl::string_view data) {
  size_t size = BrotliEncoderMaxCompressedSize(data.size()) + 64;
  std::string out(size, '\0');
  if (!BrotliEncoderCompress(BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC,
                             data.size(), reinterpret_cast<const uint8_t*>(data.data()), &size,
                             reinterpret_cast<uint8_t*>(out.data()))) {
    std::abort();
  }
  out.resize(size);
  return out;
}

std::string LzmaAloneEncode(absl::string_view data, uint32_t dict_size) {
  lzma_options_lzma options;
  if (lzma_lzma_preset(&options, 6)) std::abort();
  options.dict_size = dict_size;
  lzma_stream strm = LZMA_STREAM_INIT;
  if (lzma_alone_encoder(&strm, &options) != LZMA_OK) std::abort();
  std::string out(data.size() + data.size() / 2 + 1024, '\0');
  strm.next_in = reinterpret_cast<const uint8_t*>(data.data());
  strm.avail_in = data.size();
  strm.next_out = reinterpret_cast<uint8_t*>(out.data());
  strm.avail_out = out.size();
  if (lzma_code(&strm, LZMA_FINISH) != LZMA_STREAM_END) std::abort();
  out.resize(strm.total_out);
  lzma_end(&strm);
  return out;
}

}  // namespace tcpfollow::testing
