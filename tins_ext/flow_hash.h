// The one stable hash of addresses and flows, shared by the tunnel path ids
// (tins_ext/tunnel.cc) and the multi-threaded pipeline's shard choice
// (tools/sharded_runner.cc). Stable means: the same value in every run, process and build
// (unlike absl::Hash, which is seeded per process), so a flow lands on the same shard and a
// tunnel gets the same id every time. It is not a hash for hash tables (they use
// AbslHashValue in ip_address.h) and it is not keyed: a crafted capture can aim flows at
// one shard, which costs balance, never correctness.
#ifndef TCPFOLLOW_TINS_EXT_FLOW_HASH_H_
#define TCPFOLLOW_TINS_EXT_FLOW_HASH_H_

#include <cstdint>
#include <cstring>

#include "tins_ext/ip_address.h"

namespace tcpfollow {

// MurmurHash3's 64-bit finaliser: every input bit reaches every output bit.
inline uint64_t MixHash64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// All 16 address bytes and the family (an IPv4 address and its IPv4-mapped IPv6 form
// differ).
inline uint64_t StableAddressHash(const IpAddress& a) {
  uint64_t hi, lo;
  std::memcpy(&hi, a.bytes.data(), 8);
  std::memcpy(&lo, a.bytes.data() + 8, 8);
  return MixHash64(hi ^ MixHash64(lo + static_cast<uint8_t>(a.family)));
}

// An endpoint: its address hash with the port mixed in.
inline uint64_t StableEndpointHash(const Endpoint& e) {
  return MixHash64(StableAddressHash(e.addr) ^ e.port);
}

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_FLOW_HASH_H_
