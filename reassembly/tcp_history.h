// Zeek's conn.log `history` and `conn_state` for one TCP connection, kept in 10 bytes.
//
// TcpHistory records, per side, the first SYN (S), SYN-ACK (H), pure ACK (A), data (D),
// FIN (F) and RST (R), in the order first seen, as Zeek's base scripts do (one letter per
// kind and side: no repeat counts, no checksum 'C', retransmission 'T' or window 'W' letters,
// no 'Q'/'I' for packets with several of SYN/FIN/RST). It also notes whether the three-way
// handshake was seen. ConnState() then applies Zeek's conn_state rules to the letters: the
// endpoint states are derived from them, not from a full TCP state machine, so a side that
// sent a FIN is "closed" even if the FIN was never acknowledged.
#ifndef TCPFOLLOW_REASSEMBLY_TCP_HISTORY_H_
#define TCPFOLLOW_REASSEMBLY_TCP_HISTORY_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace tcpfollow {

class TcpHistory {
 public:
  // One segment from the client (from_client) or the server, with its TCP flags.
  void OnSegment(bool from_client, uint8_t flags, size_t payload_len);

  std::string History() const;
  std::string ConnState() const;
  bool handshake() const { return (seen_ & kHandshakeBit) != 0; }

 private:
  enum Letter { kS = 0, kH, kA, kD, kF, kR, kLetters };
  static constexpr uint16_t kHandshakeBit = 1u << 12;
  bool Has(bool client, Letter l) const {
    return (seen_ & (1u << ((client ? 0 : kLetters) + l))) != 0;
  }
  void Add(bool client, Letter l);

  uint64_t order_ = 0;  // 4 bits per recorded letter (index 0..11), oldest lowest
  uint16_t seen_ = 0;   // bit per letter index, plus kHandshakeBit
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_REASSEMBLY_TCP_HISTORY_H_
