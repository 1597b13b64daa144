#include "tins_ext/ip_address.h"

#include <arpa/inet.h>

namespace tcpfollow {

IpAddress IpAddress::FromString(const std::string& text) {
  IpAddress a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = Family::kV4;
  } else if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = Family::kV6;
  } else {
    a = IpAddress();
  }
  return a;
}

namespace {

char* PutDecimalOctet(char* p, unsigned v) {
  if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
  if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
  *p++ = static_cast<char>('0' + v % 10);
  return p;
}

// RFC 5952 text, as glibc's inet_ntop writes it (which formats each group with sprintf):
// lower-case hex without leading zeros, the first longest run of two or more zero groups
// as "::", and the last 32 bits dotted for IPv4-compatible (::a.b.c.d) and IPv4-mapped
// (::ffff:a.b.c.d) addresses.
std::string V6ToString(const uint8_t* b) {
  uint16_t g[8];
  for (int i = 0; i < 8; ++i) g[i] = static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]);
  int best = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) best = i, best_len = j - i;
    i = j;
  }
  if (best_len < 2) best = -1;
  const bool dotted = best == 0 && (best_len == 6 || (best_len == 5 && g[5] == 0xffff));
  char buf[48];
  char* p = buf;
  static const char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      *p++ = ':';
      if (best + best_len == 8) *p++ = ':';
      i += best_len - 1;
      continue;
    }
    if (i > 0) *p++ = ':';
    if (dotted && i == 6) {
      for (int k = 12; k < 16; ++k) {
        if (k > 12) *p++ = '.';
        p = PutDecimalOctet(p, b[k]);
      }
      break;
    }
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned nibble = (g[i] >> shift) & 0xf;
      if (nibble != 0 || started || shift == 0) {
        *p++ = kHex[nibble];
        started = true;
      }
    }
  }
  return std::string(buf, p - buf);
}

}  // namespace

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (is_v4()) {
    // By hand: glibc's inet_ntop formats IPv4 with sprintf, and every record, stream name
    // and uid formats addresses (it was 3% of a full run's instructions).
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      if (i > 0) *p++ = '.';
      p = PutDecimalOctet(p, bytes[i]);
    }
    return std::string(buf, p - buf);
  } else if (is_v6()) {
    return V6ToString(bytes.data());
  } else {
    return "-";
  }
  return buf;
}

std::string Endpoint::ToString() const {
  if (addr.is_v6()) return "[" + addr.ToString() + "]:" + std::to_string(port);
  return addr.ToString() + ":" + std::to_string(port);
}

}  // namespace tcpfollow
