#include "protocols/http2/http2_protocol.h"

#include "absl/strings/ascii.h"
#include "protocols/http2/http2_analyzer.h"

namespace tcpfollow {
namespace {

nlohmann::json ToJson(const Http2Stats& s) {
  nlohmann::json frames = nlohmann::json::object();
  uint64_t by_type = 0;
  for (uint64_t n : s.frames.frames) by_type += n;
  frames["frames"] = by_type;
  frames["unknown_frames"] = s.frames.unknown_frames;
  frames["malformed_frames"] = s.frames.malformed_frames;
  frames["header_blocks"] = s.frames.header_blocks;
  frames["header_blocks_lost"] = s.frames.header_blocks_lost;
  frames["header_block_limited"] = s.frames.header_block_limited;
  frames["continuation_limited"] = s.frames.continuation_limited;
  frames["gaps"] = s.frames.gaps;
  frames["gaps_in_frame"] = s.frames.gaps_in_frame;
  frames["resyncs"] = s.frames.resyncs;
  frames["resync_skipped_bytes"] = s.frames.resync_skipped_bytes;
  frames["directions_lost"] = s.frames.directions_lost;
  frames["ignored_bytes"] = s.frames.ignored_bytes;
  const HpackStats& h = s.hpack;
  nlohmann::json j = {{"connections", s.connections},
                      {"streams", s.streams},
                      {"resets", s.resets},
                      {"pushes", s.pushes},
                      {"streams_limited", s.streams_limited},
                      {"hpack_desync_streams", s.hpack_desync_streams},
                      {"unattributed_data_bytes", s.unattributed_data_bytes},
                      {"frames", frames},
                      {"hpack",
                       {{"blocks", h.blocks},
                        {"fields", h.fields},
                        {"malformed_blocks", h.malformed_blocks},
                        {"huffman_errors", h.huffman_errors},
                        {"bad_indexes", h.bad_indexes},
                        {"untrusted_fields", h.untrusted_fields},
                        {"list_limited_blocks", h.list_limited_blocks},
                        {"dropped_fields", h.dropped_fields},
                        {"size_updates", h.size_updates},
                        {"table_size_limited", h.table_size_limited},
                        {"desyncs", h.desyncs},
                        {"resyncs", h.resyncs}}}};
  AddHttpCommonStats(s, &j);
  return j;
}

// The h2c upgrade request from the pairs the HTTP/1 analyzer handed over.
Http2UpgradeRequest UpgradeRequest(const StageFacts& facts) {
  Http2UpgradeRequest req;
  for (const auto& [name, value] : facts.upgrade_request) {
    if (name == ":method") {
      req.method = value;
    } else if (name == ":path") {
      req.uri = value;
    } else if (name == ":authority") {
      req.host = value;
    } else if (!name.empty() && name[0] != ':') {
      req.headers.push_back({name, value});
    }
  }
  return req;
}

class Http2Instance : public ProtocolInstance {
 public:
  Detection Detect(const DetectInput& in) const override {
    switch (LooksLikeHttp2Preface(in.client)) {
      case Http2Detection::kYes: return Detection::kYes;
      case Http2Detection::kMaybe: return in.client_ended ? Detection::kNo : Detection::kMaybe;
      case Http2Detection::kNo: return Detection::kNo;
    }
    return Detection::kNo;
  }

  std::unique_ptr<Analyzer> NewAnalyzer(const ConnectionInfo& conn, AnalyzerOutput* out,
                                        const StageFacts& facts, NextStage) override {
    Http2Options options;
    options.tls = facts.tls;
    options.midstream = facts.midstream;
    options.follow = facts.transcript;
    if (facts.transcript != nullptr) facts.transcript->NameStreams("http2 stream");
    Http2UpgradeRequest upgrade;
    if (!facts.upgrade_request.empty()) {
      upgrade = UpgradeRequest(facts);
      options.upgrade = &upgrade;  // copied by the analyzer
    }
    return std::make_unique<Http2Analyzer>(conn, out, Http2Limits(), &stats_, options);
  }

  nlohmann::json Stats() const override { return ToJson(stats_); }

 private:
  Http2Stats stats_;
};

}  // namespace

ProtocolSpec Http2Protocol() {
  ProtocolSpec spec;
  spec.name = "http2";
  spec.description = "HTTP/2 streams as HTTP transactions (http.jsonl, version 2), objects";
  spec.logs = {"http"};
  spec.alpn = {"h2"};
  spec.fuzz_harnesses = {"http2_fuzz"};
  spec.make = [](const ProtocolConfig&) { return std::make_unique<Http2Instance>(); };
  return spec;
}

}  // namespace tcpfollow
