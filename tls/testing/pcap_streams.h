// Test helper: reads a pcap/pcapng with libpcap and reassembles clean captures per TCP
// connection (in-order assumption; retransmitted bytes are dropped by sequence number, holes
// are not handled). Link types: Ethernet, Linux cooked (v1/v2), raw IP, BSD loopback.
// For library tests only, until the real pipeline (tins_ext + reassembly) exists.
#ifndef TCPFOLLOW_TLS_TESTING_PCAP_STREAMS_H_
#define TCPFOLLOW_TLS_TESTING_PCAP_STREAMS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tcpfollow::tls::testing {

struct StreamEvent {
  int dir;  // 0 client->server, 1 server->client
  std::string bytes;
  double ts;
};

struct TcpConnection {
  std::string client_ip, server_ip;  // printable
  std::vector<uint8_t> server_addr;  // 4 or 16 bytes
  uint16_t client_port = 0, server_port = 0;
  std::string client_bytes, server_bytes;
  std::vector<StreamEvent> events;  // in packet order
};

absl::StatusOr<std::vector<TcpConnection>> ReadPcapStreams(const std::string& path);

}  // namespace tcpfollow::tls::testing

#endif  // TCPFOLLOW_TLS_TESTING_PCAP_STREAMS_H_
