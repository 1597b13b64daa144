// IP addresses and TCP/UDP endpoints as plain values: 16 bytes plus a family, so IPv4 and
// IPv6 share one hashable, comparable type. Parsing from packets lives in decode.h; this
// file only holds, compares, hashes and prints.
#ifndef TCPFOLLOW_TINS_EXT_IP_ADDRESS_H_
#define TCPFOLLOW_TINS_EXT_IP_ADDRESS_H_

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <tuple>

namespace tcpfollow {

struct IpAddress {
  enum class Family : uint8_t { kNone = 0, kV4 = 4, kV6 = 6 };
  Family family = Family::kNone;
  // IPv4 uses the first 4 bytes; the rest stay zero so that comparison and hashing work.
  std::array<uint8_t, 16> bytes{};

  static IpAddress V4(const uint8_t* p) {
    IpAddress a;
    a.family = Family::kV4;
    std::memcpy(a.bytes.data(), p, 4);
    return a;
  }
  static IpAddress V6(const uint8_t* p) {
    IpAddress a;
    a.family = Family::kV6;
    std::memcpy(a.bytes.data(), p, 16);
    return a;
  }
  // Parses dotted-quad or RFC 4291 text; family kNone on failure.
  static IpAddress FromString(const std::string& text);

  bool is_v4() const { return family == Family::kV4; }
  bool is_v6() const { return family == Family::kV6; }
  size_t size() const { return is_v4() ? 4 : 16; }
  std::string ToString() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.family == b.family && a.bytes == b.bytes;
  }
  friend bool operator!=(const IpAddress& a, const IpAddress& b) { return !(a == b); }
  friend bool operator<(const IpAddress& a, const IpAddress& b) {
    return std::tie(a.family, a.bytes) < std::tie(b.family, b.bytes);
  }
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.family, a.bytes);
  }
};

struct Endpoint {
  IpAddress addr;
  uint16_t port = 0;

  std::string ToString() const;  // "1.2.3.4:80" or "[::1]:80"
  friend bool operator==(const Endpoint& a, const Endpoint& b) {
    return a.port == b.port && a.addr == b.addr;
  }
  friend bool operator!=(const Endpoint& a, const Endpoint& b) { return !(a == b); }
  friend bool operator<(const Endpoint& a, const Endpoint& b) {
    return std::tie(a.addr, a.port) < std::tie(b.addr, b.port);
  }
  template <typename H>
  friend H AbslHashValue(H h, const Endpoint& e) {
    return H::combine(std::move(h), e.addr, e.port);
  }
};

// A TCP connection's identity regardless of direction: the two endpoints in canonical
// (sorted) order plus the VLAN id(s) and the tunnel path, so both directions find the same
// table entry.
// The flow hash is what the multi-threaded pipeline shards on.
struct FlowKey {
  Endpoint lo, hi;
  uint32_t vlan = 0;  // outer 12 bits << 12 | inner 12 bits (QinQ); 0 when untagged
  uint64_t tunnel = 0;  // TcpSegment::tunnel_id: the tunnel path, 0 outside tunnels

  static FlowKey Of(const Endpoint& a, const Endpoint& b, uint32_t vlan, uint64_t tunnel = 0) {
    FlowKey k;
    k.tunnel = tunnel;
    if (b < a) {
      k.lo = b;
      k.hi = a;
    } else {
      k.lo = a;
      k.hi = b;
    }
    k.vlan = vlan;
    return k;
  }
  friend bool operator==(const FlowKey& a, const FlowKey& b) {
    return a.vlan == b.vlan && a.lo == b.lo && a.hi == b.hi && a.tunnel == b.tunnel;
  }
  template <typename H>
  friend H AbslHashValue(H h, const FlowKey& k) {
    return H::combine(std::move(h), k.lo, k.hi, k.vlan, k.tunnel);
  }
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_IP_ADDRESS_H_
