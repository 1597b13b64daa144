// One decoded TCP segment, as the reassembler consumes it. Produced by tins_ext/decode.h
// from a packet (or a defragmented datagram); views point into the packet buffer and are
// valid only for the duration of the call that hands the segment over.
#ifndef TCPFOLLOW_TINS_EXT_TCP_SEGMENT_H_
#define TCPFOLLOW_TINS_EXT_TCP_SEGMENT_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "tins_ext/ip_address.h"

namespace tcpfollow {

namespace tcp_flags {
constexpr uint8_t kFin = 0x01;
constexpr uint8_t kSyn = 0x02;
constexpr uint8_t kRst = 0x04;
constexpr uint8_t kPsh = 0x08;
constexpr uint8_t kAck = 0x10;
constexpr uint8_t kUrg = 0x20;
}  // namespace tcp_flags

struct TcpSegment {
  absl::Time ts;  // packet time, never the wall clock when reading a file
  Endpoint src, dst;
  uint32_t vlan = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  absl::string_view payload;
  // The TCP checksum did not verify (whole segment captured). Offloading makes this common
  // in captures taken on the sending host: counted, and dropped only if asked.
  bool bad_checksum = false;

  bool has(uint8_t flag) const { return (flags & flag) != 0; }
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_TCP_SEGMENT_H_
