// An in-memory AnalyzerOutput for protocol tests: records are kept per log as JSON (with
// the ts/uid fields the real output layer adds), objects as strings with their meta, fuid
// and finish extras, and ExpectConnection calls as a list. Pieces (BeginObjectPiece) go
// through a RangeAssembler whose stitched objects join the object list when they are
// written (complete, or at FinishRanges), with their files.jsonl fields as `extra`.
// Test-only: no files.
#ifndef TCPFOLLOW_TESTING_MEMORY_OUTPUT_H_
#define TCPFOLLOW_TESTING_MEMORY_OUTPUT_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "reassembly/analyzer.h"
#include "reassembly/range_assembler.h"

namespace tcpfollow::testing {

class MemoryOutput : public AnalyzerOutput {
 public:
  struct Object {
    uint64_t conn_id = 0;
    ObjectMeta meta;
    std::string fuid;
    std::string data;
    bool finished = false;
    nlohmann::json extra;  // what Finish() was given
  };
  struct Expectation {
    IpAddress client;
    Endpoint server;
    absl::Time now;
    absl::Duration timeout;
    AnalyzerFactory factory;
  };

  void Record(absl::string_view log, const ConnectionInfo& conn, absl::Time ts,
              nlohmann::json fields) override;
  std::unique_ptr<ObjectWriter> BeginObject(const ConnectionInfo& conn,
                                            const ObjectMeta& meta) override;
  std::unique_ptr<ObjectWriter> BeginObjectPiece(const ConnectionInfo& conn,
                                                 const ObjectMeta& meta,
                                                 const ObjectPiece& piece) override;
  void OfferObjectPrefix(const ConnectionInfo& conn, const ObjectMeta& meta,
                         const ObjectPiece& piece, const std::string& path) override;
  void ExpectConnection(const IpAddress& client, const Endpoint& server, absl::Time now,
                        absl::Duration timeout, AnalyzerFactory factory) override;

  explicit MemoryOutput(const RangeLimits& range_limits = {});
  ~MemoryOutput() override;
  // Writes the stitched objects still open (as the tool does at the end of a run).
  void FinishRanges(absl::Time ts = absl::UnixEpoch());
  RangeStats range_stats() const { return ranges_->stats(); }

  // Records of one log, in order (empty when none); every log's, by log name.
  const std::vector<nlohmann::json>& records(absl::string_view log) const;
  const std::map<std::string, std::vector<nlohmann::json>, std::less<>>& all_records() const {
    return records_;
  }
  // Objects in the order they were begun.
  const std::vector<Object>& objects() const { return objects_; }
  const Object* FindObject(absl::string_view fuid) const;
  const std::vector<Expectation>& expectations() const { return expectations_; }

 private:
  friend class MemoryObjectWriter;
  std::map<std::string, std::vector<nlohmann::json>, std::less<>> records_;
  std::vector<Object> objects_;
  std::vector<Expectation> expectations_;
  uint64_t stitched_ = 0;
  struct Offer {
    ConnectionInfo conn;
    ObjectMeta meta;
    std::string data;
  };
  std::map<std::string, Offer> offers_;  // by resource key
  void FeedPrefix(const std::string& key, const Offer& offer);
  std::unique_ptr<RangeAssembler> ranges_;
};

}  // namespace tcpfollow::testing

#endif  // TCPFOLLOW_TESTING_MEMORY_OUTPUT_H_
