// The whole packet path fed pcap/pcapng bytes: libpcap's file parser, link/IP/TCP decoding,
// defragmentation and TCP reassembly, with small limits so that every cap is reached.
// Checks that each connection's summary agrees with the events its sink received and that
// buffered bytes never exceed the configured total.
#include <cstdint>
#include <cstdio>
#include <memory>

#include <pcap/pcap.h>

#include "fuzz/small_pipeline.h"
#include "reassembly/packet_pipeline.h"

namespace tcpfollow {
namespace {

class CheckingSink : public StreamSink {
 public:
  void OnData(Direction dir, absl::Time, absl::string_view bytes) override {
    bytes_[Index(dir)] += bytes.size();
  }
  void OnGap(Direction dir, absl::Time, uint64_t length) override {
    missed_[Index(dir)] += length;
  }
  uint64_t bytes_[2] = {0, 0};
  uint64_t missed_[2] = {0, 0};
};

class CheckingHandler : public ConnectionHandler {
 public:
  std::unique_ptr<StreamSink> OnConnectionStart(const ConnectionInfo&) override {
    ++open_;
    return std::make_unique<CheckingSink>();
  }
  void OnConnectionEnd(const ConnectionInfo&, const ConnectionSummary& s,
                       std::unique_ptr<StreamSink> sink) override {
    --open_;
    auto* c = static_cast<CheckingSink*>(sink.get());
    for (int d = 0; d < 2; ++d) {
      if (c->bytes_[d] != s.dir[d].bytes || c->missed_[d] != s.dir[d].missed_bytes) __builtin_trap();
    }
  }
  int64_t open_ = 0;
};

}  // namespace
}  // namespace tcpfollow

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  if (size == 0) return 0;
  FILE* f = fmemopen(const_cast<uint8_t*>(data), size, "rb");
  if (f == nullptr) return 0;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
  if (p == nullptr) {
    fclose(f);
    return 0;
  }
  const PacketPipelineConfig config = fuzzing::SmallPipelineConfig();
  CheckingHandler handler;
  {
    PacketPipeline pipeline(config, &handler);
    const int link = pcap_datalink(p);
    pcap_pkthdr* hdr;
    const u_char* bytes;
    int packets = 0;
    while (pcap_next_ex(p, &hdr, &bytes) == 1 && ++packets < 4096) {
      RawPacket raw;
      raw.ts = absl::FromUnixSeconds(hdr->ts.tv_sec) + absl::Nanoseconds(hdr->ts.tv_usec);
      raw.link_type = link;
      raw.caplen = hdr->caplen;
      raw.wirelen = hdr->len;
      raw.data = bytes;
      pipeline.OnPacket(raw);
      if (pipeline.tcp_stats().buffered_bytes > config.tcp.max_buffered_total) __builtin_trap();
      if (pipeline.defrag_stats().bytes_held > config.defrag.max_bytes) __builtin_trap();
    }
    pipeline.Finish(pipeline.last_packet_time());
  }
  if (handler.open_ != 0) __builtin_trap();  // every connection started was ended
  pcap_close(p);  // closes f
  return 0;
}
