// RangeAssembler: stitches the pieces of a resource sent in parts (HTTP 206 ranges, from
// any transaction on any connection and any worker thread) into one object by offset, as
// Zeek's files framework reassembles a file from the offsets Content-Range gives. Per
// resource it keeps the disjoint byte ranges received (merged), the total length once a
// piece names it, and the pieces still open; the bytes themselves go straight to a
// RangeStorage at their offsets (the tool's sparse file under objects/, memory in tests),
// so nothing is buffered here beyond each writer's 64 KiB.
//
// Overlapping bytes: the first ones received win; later ones are compared with them and
// differing bytes counted (conflict_bytes), never stored. A resource whose ranges cover
// [0, total) is finished (its files.jsonl record written) as soon as no piece of it is
// open; the others when the run ends (FinishAll), when max_resources needs room (the least
// recently used idle one), or after idle_timeout of packet time without a piece. The
// record says `complete`, `total_length` (when known) and `missing_ranges`.
//
// Thread-safe: one mutex, taken per piece begun or finished and per 64 KiB written. Knows
// nothing of HTTP (the key is opaque), does not decode content codings, and does not hash:
// the storage adds the path and the sha256 of a complete object.
#ifndef TCPFOLLOW_REASSEMBLY_RANGE_ASSEMBLER_H_
#define TCPFOLLOW_REASSEMBLY_RANGE_ASSEMBLER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "reassembly/analyzer.h"

namespace tcpfollow {

struct RangeLimits {
  // Resources tracked at once; a new one closes the least recently used idle one
  // (written as incomplete). When every tracked one has a piece open, the new piece is
  // dropped.
  size_t max_resources = 1024;
  // Disjoint ranges kept per resource; a piece that would add more is dropped there.
  size_t max_ranges_per_resource = 1024;
  // Bytes past this offset are dropped (a hostile "bytes 2^60-.../*" makes no huge file).
  uint64_t max_resource_bytes = uint64_t{1} << 36;  // 64 GiB
  // Packet time without a piece after which an incomplete resource is written.
  absl::Duration idle_timeout = absl::Minutes(10);
  // Connections named in a stitched object's record (`uids`).
  size_t max_connections_named = 16;
};

struct RangeStats {
  uint64_t pieces = 0;            // pieces begun
  uint64_t resources = 0;         // stitched objects begun
  uint64_t complete = 0;          // written complete
  uint64_t incomplete = 0;        // written with ranges missing
  uint64_t evicted = 0;           // of those, closed early by max_resources
  uint64_t idle_closed = 0;       // of those, closed by idle_timeout
  uint64_t bytes = 0;             // distinct bytes stored
  uint64_t overlap_bytes = 0;     // received again (compared, not stored)
  uint64_t conflict_bytes = 0;    // of those, different from the bytes stored first
  uint64_t total_mismatches = 0;  // pieces naming another total than their resource's
  uint64_t dropped_pieces = 0;    // pieces refused (total mismatch, every resource busy)
  uint64_t dropped_bytes = 0;     // not stored: past the piece's length or the total,
                                  // max_resource_bytes, max_ranges_per_resource, refused
  uint64_t ranges_limited = 0;    // ranges dropped by max_ranges_per_resource

  nlohmann::json ToJson() const;
  void Add(const RangeStats& o);
};

// Where one stitched object's bytes live.
class RangeStorage {
 public:
  virtual ~RangeStorage() = default;
  virtual const std::string& fuid() const = 0;
  virtual void WriteAt(uint64_t offset, absl::string_view bytes) = 0;
  // Bytes [offset, offset + length) as stored, to compare an overlap; false when bytes
  // are not kept (--no-objects): nothing is compared then.
  virtual bool ReadAt(uint64_t offset, uint64_t length, std::string* out) = 0;
  // The object is finished. `record` holds its files.jsonl fields (source, size, name,
  // mime_type, complete, total_length, missing_ranges, ...); `conns` the connections its
  // pieces came from (the first first). The storage adds fuid, uid, path and, when
  // `complete`, the sha256 of its `length` bytes, and writes the record.
  virtual void Close(absl::Time ts, nlohmann::json record, uint64_t length, bool complete,
                     const std::vector<ConnectionInfo>& conns) = 0;
};

// Makes the storage of a new resource; `conn` and `meta` are its first piece's.
using RangeStorageFactory = std::function<std::unique_ptr<RangeStorage>(
    absl::string_view key, const ConnectionInfo& conn, const ObjectMeta& meta)>;

class RangeAssembler {
 public:
  RangeAssembler(RangeStorageFactory factory, const RangeLimits& limits = {});
  // Drops what is still tracked without writing it: call FinishAll first.
  ~RangeAssembler();
  RangeAssembler(const RangeAssembler&) = delete;
  RangeAssembler& operator=(const RangeAssembler&) = delete;

  // The writer of one piece (AnalyzerOutput::BeginObjectPiece). Its fuid is the stitched
  // object's ("" when the piece was refused: its bytes are then dropped and counted).
  std::unique_ptr<ObjectWriter> BeginPiece(const ConnectionInfo& conn, const ObjectMeta& meta,
                                           const ObjectPiece& piece);
  // Writes every resource still tracked (the end of the run), complete or not.
  void FinishAll(absl::Time ts);

  RangeStats stats() const;
  size_t tracked() const;
  bool Tracks(absl::string_view key) const;

  struct Resource;
  class PieceWriter;

 private:
  friend class PieceWriter;
  void Put(Resource* r, uint64_t offset, absl::string_view bytes);      // mu_ held
  void PieceDone(const std::shared_ptr<Resource>& r, absl::Time ts);     // mu_ held
  void Close(Resource* r, absl::Time ts);                                // mu_ held
  void CloseIdle(absl::Time now);                                        // mu_ held
  bool MakeRoom();                                                       // mu_ held

  RangeStorageFactory factory_;
  RangeLimits limits_;
  mutable std::mutex mu_;  // guards everything below
  absl::flat_hash_map<std::string, std::shared_ptr<Resource>> by_key_;
  RangeStats stats_;
  uint64_t clock_ = 0;  // use order, for the least recently used
};

// Bytes kept in memory (tests, fuzzers): the stored pieces, and on Close a callback with
// the record and the object as stored (holes as zeros, up to `max_contents`).
class MemoryRangeStorage : public RangeStorage {
 public:
  using OnClose = std::function<void(const std::string& fuid, nlohmann::json record,
                                     std::string contents, bool complete)>;
  MemoryRangeStorage(std::string fuid, OnClose on_close, uint64_t max_contents = 1u << 26)
      : fuid_(std::move(fuid)), on_close_(std::move(on_close)), max_contents_(max_contents) {}
  const std::string& fuid() const override { return fuid_; }
  void WriteAt(uint64_t offset, absl::string_view bytes) override;
  bool ReadAt(uint64_t offset, uint64_t length, std::string* out) override;
  void Close(absl::Time ts, nlohmann::json record, uint64_t length, bool complete,
             const std::vector<ConnectionInfo>& conns) override;

 private:
  std::string fuid_;
  OnClose on_close_;
  uint64_t max_contents_;
  std::map<uint64_t, std::string> pieces_;  // disjoint: the assembler writes new bytes only
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_REASSEMBLY_RANGE_ASSEMBLER_H_
