// libFuzzer harness for HttpAnalyzer (and through it HttpParser in both roles, the
// content decoders, and for 206 answers Content-Range, multipart/byteranges and the range
// assembler, whose stitched objects CheckingOutput checks). Input records
// [direction][length][bytes] (fuzz/fuzz_input.h); the direction byte's low bit picks the
// side, bit 0x80 turns the record into a gap of `length` bytes, bit 0x40 ends that
// direction. Small limits so that cap paths run.
// Invariants: OnData never consumes more than it was given; decoded objects stay within
// the content output limit; records stay bounded by the input.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz/checking_output.h"
#include "fuzz/fuzz_input.h"
#include "protocols/http/http_analyzer.h"

namespace tcpfollow {
namespace {

using fuzzing::CheckingOutput;

}  // namespace
}  // namespace tcpfollow

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  HttpAnalyzerLimits limits;
  limits.parser.max_head_bytes = 512;
  limits.parser.max_headers = 8;
  limits.parser.max_line_bytes = 64;
  limits.parser.max_chunk_size_digits = 6;
  limits.content.max_output_bytes = 4096;
  limits.content.max_ratio = 20;
  limits.content.ratio_grace_bytes = 256;
  limits.max_pending_transactions = 4;
  limits.max_held_tunnel_bytes = 64;
  limits.byteranges.max_part_head_bytes = 96;
  limits.byteranges.max_parts = 4;
  CheckingOutput out(limits.content.max_output_bytes);
  HttpAnalyzerStats stats;
  {
    HttpAnalyzer a(ConnectionInfo{}, &out, limits, &stats);
    FuzzInput in(data, size);
    uint8_t d;
    const uint8_t* bytes;
    size_t len;
    absl::Time t = absl::UnixEpoch();
    while (in.Next(&d, &bytes, &len) && !a.handed_off()) {
      Direction dir = (d & 1) ? Direction::kServerToClient : Direction::kClientToServer;
      t += absl::Milliseconds(1);
      if (d & 0x80) {
        a.OnGap(dir, t, len + 1);
      } else if (d & 0x40) {
        a.OnEnd(dir, t);
      } else {
        size_t used = a.OnData(dir, t, absl::string_view(reinterpret_cast<const char*>(bytes), len));
        if (used > len) std::abort();
        if (used < len && !a.handed_off()) std::abort();
      }
      if (a.held_tunnel_bytes().size() > limits.max_held_tunnel_bytes) std::abort();
    }
    a.OnClose(t);
  }
  // Every transaction needs at least one start line: a few bytes of input each.
  if (out.records > size + 1) std::abort();
  return 0;
}
