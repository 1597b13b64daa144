// ReplayPcapStreams and ReadPcapStreams (see pcap_streams.h): the tool's own packet path
// with a handler that forwards to the caller.
#include "testing/pcap_streams.h"

#include <memory>

#include "reassembly/packet_pipeline.h"
#include "tins_ext/capture_source.h"

namespace tcpfollow::testing {
namespace {

// Forwards to a sink the caller owns.
class ForwardingSink : public StreamSink {
 public:
  explicit ForwardingSink(StreamSink* to) : to_(to) {}
  void OnData(Direction dir, absl::Time ts, absl::string_view bytes) override {
    if (to_) to_->OnData(dir, ts, bytes);
  }
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override {
    if (to_) to_->OnGap(dir, ts, length);
  }
  void OnEnd(Direction dir, absl::Time ts) override {
    if (to_) to_->OnEnd(dir, ts);
  }

 private:
  StreamSink* to_;
};

class Forwarder : public ConnectionHandler {
 public:
  explicit Forwarder(const StreamEvents& events) : events_(events) {}
  std::unique_ptr<StreamSink> OnConnectionStart(const ConnectionInfo& info) override {
    return std::make_unique<ForwardingSink>(events_.open ? events_.open(info) : nullptr);
  }
  void OnConnectionEnd(const ConnectionInfo& info, const ConnectionSummary& summary,
                       std::unique_ptr<StreamSink>) override {
    if (events_.close) events_.close(info, summary.end);
  }

 private:
  const StreamEvents& events_;
};

class Collector : public StreamSink {
 public:
  explicit Collector(CapturedConnection* c) : c_(c) {}
  void OnData(Direction dir, absl::Time ts, absl::string_view bytes) override {
    c_->bytes[Index(dir)].append(bytes.data(), bytes.size());
    c_->chunks.push_back({dir, ts, std::string(bytes)});
  }
  void OnGap(Direction dir, absl::Time, uint64_t length) override {
    c_->missed[Index(dir)] += length;
  }

 private:
  CapturedConnection* c_;
};

}  // namespace

absl::Status ReplayPcapStreams(const std::string& path, const StreamEvents& events) {
  absl::StatusOr<std::unique_ptr<CaptureSource>> source = OpenCaptureFile(path, "");
  if (!source.ok()) return source.status();
  Forwarder forwarder(events);
  PacketPipeline pipeline(PacketPipelineConfig(), &forwarder);
  RawPacket packet;
  while (true) {
    absl::StatusOr<bool> more = (*source)->Next(&packet);
    if (!more.ok()) return more.status();
    if (!*more) break;
    if (packet.data != nullptr) pipeline.OnPacket(packet);
  }
  pipeline.Finish(pipeline.last_packet_time());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<CapturedConnection>> ReadPcapStreams(const std::string& path) {
  // Connections are kept by pointer: sinks refer to them while more are added.
  std::vector<std::unique_ptr<CapturedConnection>> conns;
  std::vector<std::unique_ptr<Collector>> sinks;
  StreamEvents events;
  events.open = [&](const ConnectionInfo& info) -> StreamSink* {
    conns.push_back(std::make_unique<CapturedConnection>());
    conns.back()->info = info;
    sinks.push_back(std::make_unique<Collector>(conns.back().get()));
    return sinks.back().get();
  };
  absl::Status s = ReplayPcapStreams(path, events);
  if (!s.ok()) return s;
  std::vector<CapturedConnection> out;
  for (auto& c : conns) out.push_back(std::move(*c));
  return out;
}

}  // namespace tcpfollow::testing
