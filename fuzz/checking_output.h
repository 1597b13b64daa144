// CheckingOutput: the AnalyzerOutput of the HTTP/1 and HTTP/2 fuzz harnesses. Records are
// serialised (and counted), objects counted, and the invariants every object must keep are
// asserted: nothing is written after Finish, Finish comes once, and an object cut by the
// decompression limit stays within `max_object` bytes.
#ifndef TCPFOLLOW_FUZZ_CHECKING_OUTPUT_H_
#define TCPFOLLOW_FUZZ_CHECKING_OUTPUT_H_

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "reassembly/analyzer.h"

namespace tcpfollow::fuzzing {

class CheckingOutput : public AnalyzerOutput {
 public:
  explicit CheckingOutput(uint64_t max_object) : max_object_(max_object) {}
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
  void ExpectConnection(const IpAddress&, const Endpoint&, absl::Time, absl::Duration,
                        AnalyzerFactory) override {}
  uint64_t records = 0, objects = 0;

 private:
  uint64_t max_object_;
};

}  // namespace tcpfollow::fuzzing

#endif  // TCPFOLLOW_FUZZ_CHECKING_OUTPUT_H_
