// Fuzz harness for IpDefragmenter. The first byte picks the overlap policy, the second
// squeezes the limits (so eviction, the fragment cap and the timeout are reached), then
// records ([flags:1][length:2][bytes], fuzz_input.h) each describe one fragment:
//   flags 0xff: the bytes are a raw IP datagram, decoded with tins_ext/decode;
//   otherwise bit0 IPv6, bit1 MF, bit2 DF, bits3-4 identification, bits5-7 seconds of
//   packet time to advance; bytes = [offset/8: 2 bytes big-endian][fragment data].
// Checks the invariants: every completed datagram decodes, is at most 65535 bytes of
// payload, and the bytes held never exceed the cap; after Finish nothing is held.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz/fuzz_input.h"
#include "reassembly/ip_defrag.h"
#include "tins_ext/decode.h"

namespace {

void Put16(std::string* s, size_t at, uint32_t v) {
  (*s)[at] = static_cast<char>(v >> 8);
  (*s)[at + 1] = static_cast<char>(v);
}

// Builds an IPv4 or IPv6 fragment around `data`.
std::string BuildFragment(uint8_t flags, uint32_t offset8, const uint8_t* data, size_t len) {
  const bool v6 = flags & 1, mf = flags & 2, df = flags & 4;
  const uint32_t id = (flags >> 3) & 3;
  std::string p;
  if (!v6) {
    p.assign(20, '\0');
    p[0] = 0x45;
    Put16(&p, 2, static_cast<uint32_t>(20 + len));
    Put16(&p, 4, id);
    Put16(&p, 6, (df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | (offset8 & 0x1fff));
    p[8] = 64;
    p[9] = 6;
    p[12] = 10; p[15] = 1; p[16] = 10; p[19] = 2;
  } else {
    p.assign(48, '\0');
    p[0] = 0x60;
    p[6] = 44;
    p[7] = 64;
    p[23] = 1;
    p[39] = 2;
    p[40] = 6;
    Put16(&p, 42, ((offset8 & 0x1fff) << 3) | (mf ? 1 : 0));
    p[47] = static_cast<char>(id);
    Put16(&p, 4, static_cast<uint32_t>(8 + len));
  }
  p.append(reinterpret_cast<const char*>(data), len);
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  FuzzInput in(data, size);
  const FragPolicy policy = static_cast<FragPolicy>(in.Byte() % 7);
  const uint8_t squeeze = in.Byte();
  DefragLimits limits;
  limits.max_datagrams = 1 + (squeeze & 7);
  limits.max_fragments_per_datagram = 4 + ((squeeze >> 3) & 31);
  limits.max_bytes = 2048u << ((squeeze >> 5) & 7);
  limits.timeout = absl::Seconds(5);
  IpDefragmenter defrag(limits, policy);

  absl::Time now = absl::UnixEpoch();
  std::string packet, datagram;
  uint8_t flags;
  const uint8_t* bytes;
  size_t len;
  while (in.Next(&flags, &bytes, &len)) {
    if (flags == 0xff) {
      packet.assign(reinterpret_cast<const char*>(bytes), len);
    } else {
      if (len < 2) continue;
      packet = BuildFragment(flags, (uint32_t{bytes[0]} << 8) | bytes[1], bytes + 2, len - 2);
      now += absl::Seconds(flags >> 5);
    }
    IpPacket pkt;
    if (DecodeIp(packet, 0, &pkt) != DecodeError::kOk) continue;
    if (defrag.Add(now, pkt, &datagram)) {
      IpPacket whole;
      if (DecodeIp(datagram, 0, &whole) != DecodeError::kOk) std::abort();
      if (whole.ip.size() != datagram.size()) std::abort();
      if (pkt.version == 4 && datagram.size() > 65535) std::abort();
      if (pkt.version == 6 && datagram.size() > 65535 + 40 + 65535) std::abort();
    }
    if (defrag.stats().bytes_held > limits.max_bytes) std::abort();
    if (defrag.stats().datagrams_in_progress > limits.max_datagrams) std::abort();
  }
  defrag.Finish();
  if (defrag.stats().bytes_held != 0 || defrag.stats().datagrams_in_progress != 0) std::abort();
  return 0;
}
