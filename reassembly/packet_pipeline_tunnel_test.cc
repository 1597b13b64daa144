// Tests tunnel decapsulation in the packet pipeline on corpus/inputs/tunnels.pcap (one HTTP
// exchange in each tunnel type, built by corpus/inputs/make_tunnels.py): every connection
// is found inside its tunnel with the bytes each side sent, connections with the same inner
// 4-tuple in two VXLAN VNIs stay apart, and the nesting cap and the tunnel table's size
// limit work just under and just over.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "reassembly/packet_pipeline.h"
#include "testing/paths.h"
#include "tins_ext/capture_source.h"
#include "tins_ext/tunnel.h"

namespace tcpfollow {
namespace {

struct Conn {
  ConnectionInfo info;
  std::string bytes[2];
};

class Collect : public ConnectionHandler {
 public:
  class Sink : public StreamSink {
   public:
    explicit Sink(Conn* c) : c_(c) {}
    void OnData(Direction d, absl::Time, absl::string_view b) override {
      c_->bytes[Index(d)].append(b.data(), b.size());
    }
    void OnGap(Direction, absl::Time, uint64_t) override {}

   private:
    Conn* c_;
  };
  std::unique_ptr<StreamSink> OnConnectionStart(const ConnectionInfo& info) override {
    conns.push_back(std::make_unique<Conn>());
    conns.back()->info = info;
    return std::make_unique<Sink>(conns.back().get());
  }
  void OnConnectionEnd(const ConnectionInfo&, const ConnectionSummary&,
                       std::unique_ptr<StreamSink>) override {}
  std::vector<std::unique_ptr<Conn>> conns;
};

struct Run {
  std::unique_ptr<Collect> collect = std::make_unique<Collect>();
  std::unique_ptr<PacketPipeline> pipeline;  // owns the tunnel paths connections point at
  TunnelStats stats;
  uint64_t udp = 0;
};

Run Replay(const TunnelLimits& limits) {
  Run run;
  PacketPipelineConfig config;
  config.tunnel = limits;
  run.pipeline = std::make_unique<PacketPipeline>(config, run.collect.get());
  PacketPipeline& pipeline = *run.pipeline;
  auto src = OpenCaptureFile(testing::RepoRoot() + "/corpus/inputs/tunnels.pcap", "");
  REQUIRE(src.ok());
  RawPacket p;
  while (*(*src)->Next(&p)) pipeline.OnPacket(p);
  pipeline.Finish(pipeline.last_packet_time());
  run.stats = pipeline.tunnel_stats();
  run.udp = pipeline.counts().udp;
  return run;
}

std::string Parents(const ConnectionInfo& info) {
  if (info.tunnel == nullptr) return "";
  std::string s;
  for (int i = 0; i < info.tunnel->depth; ++i) {
    s += (i ? " | " : "") + DescribeTunnelLayer(info.tunnel->layers[i]);
  }
  return s;
}

TEST_CASE("Tunnels: every tunnel type of the corpus capture is decapsulated", "[tunnel]") {
  const Run run = Replay(TunnelLimits());
  REQUIRE(run.collect->conns.size() == 16);
  std::map<std::string, int> types;
  for (const auto& c : run.collect->conns) {
    INFO(c->info.client.ToString());
    REQUIRE(c->info.tunnel != nullptr);
    CHECK(c->info.tunnel_id == c->info.tunnel->id);
    CHECK(c->info.server.port == 25180);
    CHECK(c->bytes[0].rfind("GET /file25180 HTTP/1.1\r\n", 0) == 0);
    CHECK(c->bytes[1].rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    for (int i = 0; i < c->info.tunnel->depth; ++i) {
      ++types[TunnelTypeName(c->info.tunnel->layers[i].type)];
    }
  }
  CHECK(types == std::map<std::string, int>{{"ayiya", 1}, {"erspan", 3}, {"geneve", 1},
                                            {"gre", 3},   {"gtpu", 1},   {"ip", 4},
                                            {"teredo", 1}, {"vxlan", 3}});
  CHECK(run.stats.total_packets() == 170);  // 160 inner packets, 10 of them two layers deep
  CHECK(run.stats.malformed == 0);
  CHECK(run.udp == 0);  // no tunnel packet counted as plain UDP
  // The same inner 4-tuple in VNI 42 and 43: two connections, told apart by the tunnel.
  std::vector<const Conn*> same;
  for (const auto& c : run.collect->conns) {
    if (c->info.client.ToString() == "198.18.2.10:25110") same.push_back(c.get());
  }
  REQUIRE(same.size() == 2);
  CHECK(same[0]->info.tunnel_id != same[1]->info.tunnel_id);
  CHECK(Parents(same[0]->info) == "vxlan 198.18.11.1:49152 > 198.18.11.2:4789 vni 42");
  CHECK(Parents(same[1]->info) == "vxlan 198.18.11.1:49152 > 198.18.11.2:4789 vni 43");
  CHECK(same[0]->bytes[1] != same[1]->bytes[1]);
}

TEST_CASE("Tunnels: the nesting cap, just under and just over", "[tunnel][limits]") {
  TunnelLimits limits;
  limits.max_depth = 2;  // VXLAN in GRE is two deep: fits
  Run under = Replay(limits);
  CHECK(under.collect->conns.size() == 16);
  CHECK(under.stats.too_deep == 0);
  limits.max_depth = 1;
  Run over = Replay(limits);
  CHECK(over.collect->conns.size() == 15);
  CHECK(over.stats.too_deep == 10);
  bool nested = false;
  for (const auto& c : under.collect->conns) {
    if (c->info.tunnel->depth == 2) {
      nested = true;
      CHECK(Parents(c->info) ==
            "gre 198.18.10.1 > 198.18.10.2 | vxlan 198.18.16.1:49152 > 198.18.16.2:4789 vni 9");
    }
  }
  CHECK(nested);
}

TEST_CASE("Tunnels: past the table's size connections are keyed but not described",
          "[tunnel][limits]") {
  const size_t all = [] {
    const Run r = Replay(TunnelLimits());
    size_t n = 0;
    for (uint64_t t : r.stats.tunnels) n += t;
    return n;
  }();
  TunnelLimits limits;
  limits.max_tunnels = all;
  CHECK(Replay(limits).stats.not_described == 0);
  limits.max_tunnels = all - 1;
  const Run over = Replay(limits);
  CHECK(over.stats.not_described > 0);
  REQUIRE(over.collect->conns.size() == 16);  // still 16 connections: the id keys them
  int undescribed = 0;
  for (const auto& c : over.collect->conns) {
    CHECK(c->info.tunnel_id != 0);
    if (c->info.tunnel == nullptr) ++undescribed;
  }
  CHECK(undescribed >= 1);
}

}  // namespace
}  // namespace tcpfollow
