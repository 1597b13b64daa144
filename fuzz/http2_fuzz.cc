// libFuzzer harness for Http2Analyzer (and through it Http2FrameParser, HpackDecoder and
// the content decoders). The first byte picks options (bit 0 midstream, bit 1 no preface
// expected, bit 2 an h2c upgrade request as stream 1, bit 3 tls); the rest is records
// [direction][length][bytes] (fuzz/fuzz_input.h): the direction byte's low bit picks the
// side, bit 0x80 turns the record into a gap of `length` + 1 bytes, bit 0x40 ends that
// direction, bit 0x20 also decodes the record as a lone HPACK block with a second decoder.
// Small limits so that cap paths run. Invariants: OnData consumes all it is given; objects
// are finished once and, when cut, stay within the content output limit; the HPACK table
// never exceeds its limit; records stay bounded by the input.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz/checking_output.h"
#include "fuzz/fuzz_input.h"
#include "protocols/http2/hpack.h"
#include "protocols/http2/http2_analyzer.h"

namespace tcpfollow {
namespace {

using fuzzing::CheckingOutput;

class NullSink : public HpackDecoder::Sink {
 public:
  void OnField(absl::string_view name, absl::string_view value) override {
    bytes += name.size() + value.size();
  }
  uint64_t bytes = 0;
};

}  // namespace
}  // namespace tcpfollow

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  Http2Limits limits;
  limits.frames.max_header_block_bytes = 2048;
  limits.frames.max_continuation_frames = 4;
  limits.frames.max_control_frame_bytes = 256;
  limits.frames.max_resync_bytes = 4096;
  limits.hpack.max_table_size = 1024;
  limits.hpack.max_header_list_size = 1024;
  limits.content.max_output_bytes = 4096;
  limits.content.max_ratio = 20;
  limits.content.ratio_grace_bytes = 256;
  limits.max_concurrent_streams = 8;
  CheckingOutput out(limits.content.max_output_bytes);
  Http2Stats stats;
  HpackStats lone_stats;
  HpackDecoder lone(limits.hpack, &lone_stats);
  FuzzInput in(data, size);
  uint8_t mode = in.Byte();
  Http2Options options;
  options.midstream = mode & 1;
  options.expect_preface = !(mode & 2);
  options.tls = mode & 8;
  Http2UpgradeRequest up;
  up.method = "POST";
  up.uri = "/u";
  up.host = "h";
  up.headers = {{"Content-Encoding", "gzip"}};
  up.body = "not gzip";
  if (mode & 4) options.upgrade = &up;
  {
    Http2Analyzer a(ConnectionInfo{}, &out, limits, &stats, options);
    uint8_t d;
    const uint8_t* bytes;
    size_t len;
    absl::Time t = absl::UnixEpoch();
    while (in.Next(&d, &bytes, &len)) {
      Direction dir = (d & 1) ? Direction::kServerToClient : Direction::kClientToServer;
      absl::string_view b(reinterpret_cast<const char*>(bytes), len);
      t += absl::Milliseconds(1);
      if (d & 0x80) {
        a.OnGap(dir, t, len + 1);
      } else if (d & 0x40) {
        a.OnEnd(dir, t);
      } else {
        if (a.OnData(dir, t, b) != len) std::abort();
      }
      if (d & 0x20) {
        NullSink sink;
        lone.Decode(b, &sink);
        if (lone.table_size() > limits.hpack.max_table_size) std::abort();
        if (sink.bytes > limits.hpack.max_header_list_size) std::abort();
      }
    }
    a.OnClose(t);
  }
  // A stream needs a 9-byte frame header (the upgrade adds one).
  if (out.records > size / 9 + 2) std::abort();
  return 0;
}
