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

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (is_v4()) {
    // By hand: glibc's inet_ntop formats IPv4 with sprintf, and every record, stream name
    // and uid formats addresses (it was 3% of a full run's instructions).
    char* p = buf;
    for (int i = 0; i < 4; ++i) {
      const unsigned v = bytes[i];
      if (i > 0) *p++ = '.';
      if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
      if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
      *p++ = static_cast<char>('0' + v % 10);
    }
    return std::string(buf, p - buf);
  } else if (is_v6()) {
    inet_ntop(AF_INET6, bytes.data(), buf, sizeof(buf));
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
