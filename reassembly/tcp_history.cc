// See tcp_history.h.
#include "reassembly/tcp_history.h"

#include "tins_ext/tcp_segment.h"

namespace tcpfollow {
namespace {

constexpr char kUpper[] = "SHADFR";
constexpr char kLower[] = "shadfr";

enum class EndpointState { kInactive, kPartial, kSynSent, kSynAckSent, kEstablished, kClosed,
                           kReset };

}  // namespace

void TcpHistory::Add(bool client, Letter l) {
  const int index = (client ? 0 : kLetters) + l;
  const uint16_t bit = static_cast<uint16_t>(1u << index);
  if ((seen_ & bit) != 0) return;
  int count = 0;
  for (int i = 0; i < 2 * kLetters; ++i) count += (seen_ >> i) & 1;
  order_ |= static_cast<uint64_t>(index) << (4 * count);
  seen_ |= bit;
}

void TcpHistory::OnSegment(bool from_client, uint8_t flags, size_t payload_len) {
  const bool syn = (flags & tcp_flags::kSyn) != 0;
  const bool fin = (flags & tcp_flags::kFin) != 0;
  const bool rst = (flags & tcp_flags::kRst) != 0;
  const bool ack = (flags & tcp_flags::kAck) != 0;
  const int bits = int{syn} + int{fin} + int{rst};
  if (bits == 1) {
    if (syn) Add(from_client, ack ? kH : kS);
    if (fin) Add(from_client, kF);
    if (rst) Add(from_client, kR);
  } else if (bits == 0) {
    if (payload_len > 0) {
      Add(from_client, kD);
    } else if (ack) {
      Add(from_client, kA);
    }
  }
  // The handshake: the client's SYN, the server's SYN-ACK, then the client's ACK.
  if (from_client && ack && !syn && !rst && Has(true, kS) && Has(false, kH)) {
    seen_ |= kHandshakeBit;
  }
}

std::string TcpHistory::History() const {
  std::string out;
  int count = 0;
  for (int i = 0; i < 2 * kLetters; ++i) count += (seen_ >> i) & 1;
  for (int i = 0; i < count; ++i) {
    const int index = static_cast<int>((order_ >> (4 * i)) & 0xf);
    out += index < kLetters ? kUpper[index] : kLower[index - kLetters];
  }
  return out;
}

std::string TcpHistory::ConnState() const {
  // Endpoint states as Zeek's TCP analyzer would have them at the end, from the letters.
  auto state = [this](bool client) {
    if (Has(client, kR)) return EndpointState::kReset;
    if (Has(client, kF)) return EndpointState::kClosed;
    const Letter own_open = client ? kS : kH;
    if (Has(client, own_open)) {
      return handshake() ? EndpointState::kEstablished
                         : (client ? EndpointState::kSynSent : EndpointState::kSynAckSent);
    }
    if (Has(client, client ? kH : kS)) {
      return client ? EndpointState::kSynAckSent : EndpointState::kSynSent;
    }
    if (Has(client, kA) || Has(client, kD)) return EndpointState::kPartial;
    return EndpointState::kInactive;
  };
  const EndpointState os = state(true);
  const EndpointState rs = state(false);
  auto inactive = [](EndpointState s) {
    return s == EndpointState::kInactive || s == EndpointState::kPartial;
  };
  const bool o_inactive = inactive(os);
  const bool r_inactive = inactive(rs);
  // Zeek's base/protocols/conn/main.zeek conn_state(), in the same order.
  if (rs == EndpointState::kReset) {
    if (os == EndpointState::kSynSent || os == EndpointState::kSynAckSent ||
        (os == EndpointState::kReset && !Has(true, kD) && !Has(false, kD))) {
      return "REJ";
    }
    return o_inactive ? "RSTRH" : "RSTR";
  }
  if (os == EndpointState::kReset) {
    if (r_inactive) {
      // /^?S[^HAFGIQ]*R.*/: the client's SYN first, its RST before any H, A or F of its own.
      const std::string h = History();
      if (!h.empty() && h[0] == 'S') {
        for (size_t i = 1; i < h.size(); ++i) {
          if (h[i] == 'H' || h[i] == 'A' || h[i] == 'F') break;
          if (h[i] == 'R') return "RSTOS0";
        }
      }
      return "OTH";
    }
    return "RSTO";
  }
  if (rs == EndpointState::kClosed && os == EndpointState::kClosed) return "SF";
  if (os == EndpointState::kClosed) return r_inactive ? "SH" : "S2";
  if (rs == EndpointState::kClosed) return o_inactive ? "SHR" : "S3";
  if (os == EndpointState::kSynSent && rs == EndpointState::kInactive) return "S0";
  if (os == EndpointState::kEstablished && rs == EndpointState::kEstablished) return "S1";
  return "OTH";
}

}  // namespace tcpfollow
