// CheckingOutput: the AnalyzerOutput of the HTTP/1 and HTTP/2 fuzz harnesses. Records are
// serialised (and counted), objects counted, and the invariants every object must keep are
// asserted: nothing is written after Finish, Finish comes once, and an object cut by the
// decompression limit stays within `max_object` bytes. Pieces of stitched objects (206
// answers) go through a RangeAssembler with small limits kept in memory; each stitched
// object written must keep its record consistent: complete means one range [0, total)
// and no missing_ranges, size never above the total, missing ranges inside the total.
#ifndef TCPFOLLOW_FUZZ_CHECKING_OUTPUT_H_
#define TCPFOLLOW_FUZZ_CHECKING_OUTPUT_H_

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "reassembly/analyzer.h"
#include "reassembly/range_assembler.h"

namespace tcpfollow::fuzzing {

class CheckingOutput : public AnalyzerOutput {
 public:
  explicit CheckingOutput(uint64_t max_object) : max_object_(max_object) {
    RangeLimits limits;
    limits.max_resources = 4;
    limits.max_ranges_per_resource = 8;
    limits.max_resource_bytes = 1u << 20;
    ranges_ = std::make_unique<RangeAssembler>(
        [this](absl::string_view, const ConnectionInfo&, const ObjectMeta&) {
          return std::make_unique<MemoryRangeStorage>(
              "FS" + std::to_string(++stitched), [this](const std::string&, nlohmann::json rec,
                                                        std::string contents, bool complete) {
                CheckStitched(rec, contents, complete);
              });
        },
        limits);
  }
  ~CheckingOutput() override {
    ranges_->FinishAll(absl::UnixEpoch());
    RangeStats s = ranges_->stats();
    if (s.complete + s.incomplete != s.resources) std::abort();
    if (ranges_->tracked() != 0) std::abort();
  }
  class Writer : public ObjectWriter {
   public:
    Writer(uint64_t max, std::string fuid) : max_(max), fuid_(std::move(fuid)) {}
    const std::string& fuid() const override { return fuid_; }
    void Write(absl::string_view b) override {
      if (finished_) std::abort();  // written after Finish
      size_ += b.size();
    }
    ObjectResult Finish(absl::Time, const nlohmann::json& extra) override {
      if (finished_) std::abort();
      finished_ = true;
      if (extra.contains("decompression_limited") && size_ > max_) std::abort();
      ObjectResult r;
      r.fuid = fuid_;
      r.size = size_;
      return r;
    }

   private:
    uint64_t max_;
    std::string fuid_;
    uint64_t size_ = 0;
    bool finished_ = false;
  };
  void Record(absl::string_view, const ConnectionInfo&, absl::Time, nlohmann::json f) override {
    (void)f.dump();
    ++records;
  }
  std::unique_ptr<ObjectWriter> BeginObject(const ConnectionInfo&, const ObjectMeta&) override {
    return std::make_unique<Writer>(max_object_, "F" + std::to_string(++objects));
  }
  std::unique_ptr<ObjectWriter> BeginObjectPiece(const ConnectionInfo& conn,
                                                 const ObjectMeta& meta,
                                                 const ObjectPiece& piece) override {
    if (piece.key.empty()) std::abort();
    if (piece.length == 0) std::abort();  // Content-Range: last >= first
    if (piece.total >= 0 && piece.offset + piece.length > static_cast<uint64_t>(piece.total)) {
      std::abort();  // last < total
    }
    return ranges_->BeginPiece(conn, meta, piece);
  }
  void ExpectConnection(const IpAddress&, const Endpoint&, absl::Time, absl::Duration,
                        AnalyzerFactory) override {}
  uint64_t records = 0, objects = 0, stitched = 0;

 private:
  static void CheckStitched(const nlohmann::json& rec, const std::string& contents,
                            bool complete) {
    const uint64_t size = rec.at("size").get<uint64_t>();
    if (rec.at("complete").get<bool>() != complete) std::abort();
    if (complete) {
      if (rec.contains("missing_ranges")) std::abort();
      if (size != rec.at("total_length").get<uint64_t>() || contents.size() != size) std::abort();
      return;
    }
    uint64_t missing = 0;
    for (const auto& r : rec.at("missing_ranges")) {
      uint64_t first = r.at(0).get<uint64_t>(), last = r.at(1).get<uint64_t>();
      if (last < first) std::abort();
      missing += last - first + 1;
    }
    if (rec.contains("total_length")) {
      const uint64_t total = rec.at("total_length").get<uint64_t>();
      if (size > total || size + missing != total) std::abort();
    }
  }

  uint64_t max_object_;
  std::unique_ptr<RangeAssembler> ranges_;
};

}  // namespace tcpfollow::fuzzing

#endif  // TCPFOLLOW_FUZZ_CHECKING_OUTPUT_H_
