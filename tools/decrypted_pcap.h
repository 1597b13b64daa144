// --write-decrypted: decrypted TLS payloads as a pcap of synthetic TCP packets on the
// connection's own 4-tuple, so Wireshark or any tool can read the plaintext. Each
// connection gets a synthetic three-way handshake before its first plaintext byte and a
// FIN exchange at its end; sequence numbers count plaintext bytes, and a gap in the
// plaintext advances them without data, so readers see the hole. The packets are built by
// tins_ext's BuildTcpPacket (ours; pcap_writer_test checks it gives libtins' bytes) and
// written by PcapWriter, which is libpcap's dumper (pcap_dump).
#ifndef TCPFOLLOW_TOOLS_DECRYPTED_PCAP_H_
#define TCPFOLLOW_TOOLS_DECRYPTED_PCAP_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "reassembly/stream_sink.h"
#include "tins_ext/pcap_writer.h"

namespace tcpfollow {

class DecryptedPcap {
 public:
  static absl::StatusOr<std::unique_ptr<DecryptedPcap>> Open(const std::string& path);

  // Per-connection sequence state; one per decrypted connection.
  struct Flow {
    Endpoint client, server;
    uint32_t next_seq[2] = {1000, 2000000};  // arbitrary, fixed ISNs: output is reproducible
    bool started = false;
  };

  void Data(Flow* flow, Direction dir, absl::Time ts, absl::string_view bytes);
  void Gap(Flow* flow, Direction dir, uint64_t length);
  void End(Flow* flow, absl::Time ts);
  absl::Status Close();
  uint64_t packets() const { return writer_->packets_written(); }

 private:
  explicit DecryptedPcap(std::unique_ptr<PcapWriter> w) : writer_(std::move(w)) {}
  void Emit(const Flow& flow, Direction dir, absl::Time ts, uint8_t flags,
            absl::string_view payload);
  void Start(Flow* flow, absl::Time ts);

  std::mutex mu_;  // workers of --threads share one file
  std::unique_ptr<PcapWriter> writer_;
  absl::Status status_;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_DECRYPTED_PCAP_H_
