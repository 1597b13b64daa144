#include "tools/decrypted_pcap.h"

namespace tcpfollow {

namespace {
constexpr size_t kSegmentPayload = 16384;  // keeps packets well under 64 KiB
}

absl::StatusOr<std::unique_ptr<DecryptedPcap>> DecryptedPcap::Open(const std::string& path) {
  PcapFormat format;
  format.link_type = PcapFormat::kLinkTypeRaw;
  auto w = PcapWriter::Open(path, format);
  if (!w.ok()) return w.status();
  return std::unique_ptr<DecryptedPcap>(new DecryptedPcap(std::move(*w)));
}

void DecryptedPcap::Emit(const Flow& flow, Direction dir, absl::Time ts, uint8_t flags,
                         absl::string_view payload) {
  TcpPacketSpec spec;
  const bool c2s = dir == Direction::kClientToServer;
  spec.src = c2s ? flow.client : flow.server;
  spec.dst = c2s ? flow.server : flow.client;
  spec.seq = flow.next_seq[Index(dir)];
  spec.ack = (flags & tcp_flags::kAck) ? flow.next_seq[Index(Opposite(dir))] : 0;
  spec.flags = flags;
  spec.payload = payload;
  std::string packet = BuildTcpPacket(spec);
  std::lock_guard<std::mutex> lock(mu_);
  absl::Status s = writer_->Write(ts, packet);
  if (!s.ok() && status_.ok()) status_ = s;
}

void DecryptedPcap::Start(Flow* flow, absl::Time ts) {
  if (flow->started) return;
  flow->started = true;
  using namespace tcp_flags;
  Emit(*flow, Direction::kClientToServer, ts, kSyn, {});
  flow->next_seq[0] += 1;
  Emit(*flow, Direction::kServerToClient, ts, kSyn | kAck, {});
  flow->next_seq[1] += 1;
  Emit(*flow, Direction::kClientToServer, ts, kAck, {});
}

void DecryptedPcap::Data(Flow* flow, Direction dir, absl::Time ts, absl::string_view bytes) {
  Start(flow, ts);
  while (!bytes.empty()) {
    absl::string_view part = bytes.substr(0, kSegmentPayload);
    Emit(*flow, dir, ts, tcp_flags::kAck | tcp_flags::kPsh, part);
    flow->next_seq[Index(dir)] += static_cast<uint32_t>(part.size());
    bytes.remove_prefix(part.size());
  }
}

void DecryptedPcap::Gap(Flow* flow, Direction dir, uint64_t length) {
  flow->next_seq[Index(dir)] += static_cast<uint32_t>(length);
}

void DecryptedPcap::End(Flow* flow, absl::Time ts) {
  if (!flow->started) return;
  using namespace tcp_flags;
  Emit(*flow, Direction::kClientToServer, ts, kFin | kAck, {});
  flow->next_seq[0] += 1;
  Emit(*flow, Direction::kServerToClient, ts, kFin | kAck, {});
  flow->next_seq[1] += 1;
  Emit(*flow, Direction::kClientToServer, ts, kAck, {});
}

absl::Status DecryptedPcap::Close() {
  absl::Status s = writer_->Close();
  return status_.ok() ? s : status_;
}

}  // namespace tcpfollow
