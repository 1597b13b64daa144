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
    inet_ntop(AF_INET, bytes.data(), buf, sizeof(buf));
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
