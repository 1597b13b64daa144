// Fuzzes tins_ext/decode.h: the first byte picks a link type from kLinkTypes, the rest is
// the frame. Checks that every view the decoder hands out lies inside the input, that a
// decoded datagram decodes the same way again through DecodeIp (as a reassembled one
// would), and that TCP is never decoded from a fragment.
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "tins_ext/decode.h"

namespace {

constexpr int kLinkTypes[] = {
    tcpfollow::link_type::kEthernet,   tcpfollow::link_type::kLinuxSll,
    tcpfollow::link_type::kLinuxSll2,  tcpfollow::link_type::kRaw,
    tcpfollow::link_type::kRawOpenBsd, tcpfollow::link_type::kLinkTypeRaw,
    tcpfollow::link_type::kIpv4,       tcpfollow::link_type::kIpv6,
    tcpfollow::link_type::kNull,       tcpfollow::link_type::kLoop,
    147,  // unsupported
};

void Require(bool ok) {
  if (!ok) std::abort();
}

bool Within(absl::string_view inner, absl::string_view outer) {
  return inner.data() >= outer.data() && inner.size() <= outer.size() &&
         inner.data() - outer.data() <= static_cast<std::ptrdiff_t>(outer.size() - inner.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int link = kLinkTypes[data[0] % (sizeof(kLinkTypes) / sizeof(kLinkTypes[0]))];
  const absl::string_view frame(reinterpret_cast<const char*>(data + 1), size - 1);
  tcpfollow::IpPacket ip;
  const tcpfollow::DecodeError e = tcpfollow::DecodeFrame(link, frame, &ip);
  Require(tcpfollow::DecodeErrorName(e) != nullptr);
  if (e != tcpfollow::DecodeError::kOk) return 0;
  Require(Within(ip.ip, frame));
  Require(Within(ip.payload, ip.ip));
  Require(ip.version == 4 || ip.version == 6);
  Require(ip.unfragmentable_len <= ip.ip.size());
  if (ip.is_fragment && ip.version == 6) {
    Require(ip.frag_next_header_offset < ip.unfragmentable_len);
    Require(ip.payload.data() == ip.ip.data() + ip.unfragmentable_len + 8);
  }

  tcpfollow::IpPacket again;
  Require(tcpfollow::DecodeIp(ip.ip, ip.vlan, &again) == tcpfollow::DecodeError::kOk);
  Require(again.ip == ip.ip && again.payload.data() == ip.payload.data() &&
          again.payload.size() == ip.payload.size() && again.protocol == ip.protocol &&
          again.is_fragment == ip.is_fragment && again.src == ip.src && again.dst == ip.dst);

  tcpfollow::TcpSegment seg;
  const tcpfollow::DecodeError t = tcpfollow::DecodeTcp(ip, absl::UnixEpoch(), &seg);
  if (ip.is_fragment) Require(t != tcpfollow::DecodeError::kOk);
  if (t == tcpfollow::DecodeError::kOk) {
    Require(ip.protocol == 6);
    Require(Within(seg.payload, ip.payload));
    Require(seg.payload.size() + 20 <= ip.payload.size());
    Require(seg.src.addr == ip.src && seg.dst.addr == ip.dst && seg.vlan == ip.vlan);
  }
  return 0;
}
