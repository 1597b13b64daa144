// The output layer of one run: the JSON-lines logs, extracted objects and connection ids.
// The session layer (tools/session/) offers it to analyzers as their AnalyzerOutput; it
// adds the fields every record shares: ts, uid, id.*.
// Thread-safe: with --threads every worker shares one RunOutput (one lock, taken once
// per record or object, never per byte).
#ifndef TCPFOLLOW_TOOLS_RUN_OUTPUT_H_
#define TCPFOLLOW_TOOLS_RUN_OUTPUT_H_

#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "reassembly/analyzer.h"
#include "reassembly/range_assembler.h"
#include "tools/output_dir.h"

namespace tcpfollow {

// Zeek-style identifiers: "C" / "F" followed by 11 base62 digits of a mixed number, so they
// are short and look random.
std::string MakeUid(char prefix, uint64_t n);
// A connection's uid, from its first packet's time and its endpoints: the same connection
// gets the same uid in every run over it (with a BPF filter, with --threads), and
// connections of different captures do not collide, so logs of several runs can be merged.
std::string ConnectionUid(const ConnectionInfo& conn);

struct OutputCounts {
  uint64_t records = 0;
  uint64_t objects = 0;
  uint64_t object_bytes = 0;
};

class RunOutput {
 public:
  // `shards`: worker count; connection ids of shard s are s+1, s+1+shards, ... and each
  // shard numbers its objects itself, so ids do not depend on thread timing.
  // `store_objects` false (--no-objects): objects get ids and files.jsonl records (size,
  // name, type) but their bytes are neither written nor hashed.
  // `logs`: the logs created at the start, so that they exist after every run, even empty.
  RunOutput(OutputDir* dir, bool print_json, int shards = 1, bool store_objects = true,
            const std::vector<std::string>& logs = {});
  ~RunOutput();

  // What AnalyzerOutput offers analyzers: a record (ts, uid, id.* added), an object.
  void Record(absl::string_view log, const ConnectionInfo& conn, absl::Time ts,
              nlohmann::json fields);
  std::unique_ptr<ObjectWriter> BeginObject(const ConnectionInfo& conn,
                                            const ObjectMeta& meta);
  // A piece of a stitched object (a byte range of a resource): one RangeAssembler for the
  // whole run, shared by every worker (--threads, fanout), so ranges from connections that
  // different workers handle meet. Its object is a sparse file written at the pieces'
  // offsets.
  std::unique_ptr<ObjectWriter> BeginObjectPiece(const ConnectionInfo& conn,
                                                 const ObjectMeta& meta,
                                                 const ObjectPiece& piece);
  // An answer cut short (objects/ file at `path`): kept (the last 1024) as the start of
  // its resource; ranges of that resource begin their stitched object with its bytes.
  void OfferObjectPrefix(const ConnectionInfo& conn, const ObjectMeta& meta,
                         const ObjectPiece& piece, const std::string& path);
  // Writes the files.jsonl records of the stitched objects still open (incomplete ones);
  // call once every connection is closed, before Flush.
  void FinishRanges(absl::Time ts);
  RangeStats range_stats() const { return ranges_->stats(); }

  // A record with ts/uid/id.* filled in, written to DIR/<log>.jsonl (and stdout with --json).
  void WriteRecord(absl::string_view log, nlohmann::json record);
  static nlohmann::json BaseRecord(const ConnectionInfo& conn, absl::Time ts);

  OutputDir* dir() const { return dir_; }
  // Stream and object bytes go to files through this thread (see BackgroundWriter).
  BackgroundWriter* files() { return &files_; }
  const OutputCounts& counts() const { return counts_; }
  uint64_t records_in(absl::string_view log) const;
  // Waits for the background writer, then writes the logs' buffered records.
  void Flush();
  // Writes the logs' buffered records without waiting for stream and object bytes: the
  // live run loop calls it every second, so records reach the files (and tail -f,
  // Filebeat, Vector) within a second of a connection's end, and a crash loses at most
  // that second. Cheap when nothing is buffered.
  void FlushLogs();
  // --rotate: every log holding records is closed and renamed <log>.<stamp>.jsonl; the
  // next records start a new <log>.jsonl. Returns the names given.
  std::vector<std::string> RotateLogs(absl::string_view stamp);

  // Called by object writers.
  void OnObjectFinished(const nlohmann::json& record, uint64_t size);

 private:
  JsonlFile* Log(absl::string_view log);  // mu_ held

  OutputDir* dir_;
  bool print_json_;
  bool store_objects_;
  BackgroundWriter files_;
  mutable std::mutex mu_;  // guards everything below
  std::map<std::string, std::unique_ptr<JsonlFile>, std::less<>> logs_;
  std::vector<uint64_t> next_fuid_;  // per shard
  OutputCounts counts_;
  std::unique_ptr<RangeAssembler> ranges_;  // has its own lock; calls OnObjectFinished

  struct Offer {
    ConnectionInfo conn;
    ObjectMeta meta;
    uint64_t length = 0;
    std::string path;
    std::list<std::string>::iterator order;
  };
  static constexpr size_t kMaxOffers = 1024;
  // Puts an offered prefix into the assembler as the resource's first piece.
  void FeedPrefix(const std::string& key, const Offer& offer);
  std::mutex offers_mu_;  // guards the two below; never held with mu_
  absl::flat_hash_map<std::string, Offer> offers_;
  std::list<std::string> offer_order_;  // oldest first
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_RUN_OUTPUT_H_
