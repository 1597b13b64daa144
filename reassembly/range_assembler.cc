// Implementation notes: a resource's ranges are a map start -> end (exclusive), disjoint
// and never adjacent (adjacent ones are merged), so "complete" is one range [0, total).
// A writer holds a shared_ptr to its resource; a resource leaves by_key_ when it is
// closed, and a writer whose resource was closed under it (FinishAll) drops its bytes.
#include "reassembly/range_assembler.h"

#include <algorithm>
#include <utility>

namespace tcpfollow {

struct RangeAssembler::Resource {
  std::string key;
  std::unique_ptr<RangeStorage> storage;
  ObjectMeta meta;
  std::vector<ConnectionInfo> conns;
  int64_t total = -1;
  std::map<uint64_t, uint64_t> have;  // start -> end (exclusive)
  uint64_t stored = 0;
  uint64_t pieces = 0;
  uint64_t overlap_bytes = 0;
  uint64_t conflict_bytes = 0;
  uint64_t total_mismatches = 0;
  int open = 0;
  absl::Time last_ts = absl::InfinitePast();
  uint64_t last_use = 0;
  uint64_t seq = 0;  // order begun
  bool closed = false;

  bool Complete() const {
    return total > 0 && have.size() == 1 && have.begin()->first == 0 &&
           have.begin()->second == static_cast<uint64_t>(total);
  }
};

nlohmann::json RangeStats::ToJson() const {
  return {{"pieces", pieces},
          {"resources", resources},
          {"complete", complete},
          {"incomplete", incomplete},
          {"evicted", evicted},
          {"idle_closed", idle_closed},
          {"bytes", bytes},
          {"overlap_bytes", overlap_bytes},
          {"conflict_bytes", conflict_bytes},
          {"total_mismatches", total_mismatches},
          {"dropped_pieces", dropped_pieces},
          {"dropped_bytes", dropped_bytes},
          {"ranges_limited", ranges_limited}};
}

void RangeStats::Add(const RangeStats& o) {
  pieces += o.pieces;
  resources += o.resources;
  complete += o.complete;
  incomplete += o.incomplete;
  evicted += o.evicted;
  idle_closed += o.idle_closed;
  bytes += o.bytes;
  overlap_bytes += o.overlap_bytes;
  conflict_bytes += o.conflict_bytes;
  total_mismatches += o.total_mismatches;
  dropped_pieces += o.dropped_pieces;
  dropped_bytes += o.dropped_bytes;
  ranges_limited += o.ranges_limited;
}

// One piece: bytes are buffered up to 64 KiB, then put at their offset under the lock.
class RangeAssembler::PieceWriter : public ObjectWriter {
 public:
  PieceWriter(RangeAssembler* a, std::shared_ptr<Resource> r, const ObjectPiece& piece,
              std::string fuid)
      : a_(a), r_(std::move(r)), fuid_(std::move(fuid)), next_(piece.offset),
        end_(piece.offset + piece.length) {}
  ~PieceWriter() override {
    if (!finished_) Finish(absl::InfinitePast());
  }

  const std::string& fuid() const override { return fuid_; }

  void Write(absl::string_view bytes) override {
    if (finished_ || bytes.empty()) return;
    uint64_t room = end_ - std::min(end_, next_ + buffer_.size());
    if (bytes.size() > room) {
      std::lock_guard<std::mutex> lock(a_->mu_);
      a_->stats_.dropped_bytes += bytes.size() - room;
      bytes = bytes.substr(0, room);
    }
    if (!r_) {
      if (!bytes.empty()) {
        std::lock_guard<std::mutex> lock(a_->mu_);
        a_->stats_.dropped_bytes += bytes.size();
      }
      next_ += bytes.size();
      return;
    }
    buffer_.append(bytes.data(), bytes.size());
    if (buffer_.size() >= kFlushBytes) Flush();
  }

  void Gap(uint64_t length) override {
    if (finished_) return;
    Flush();
    next_ += std::min(length, end_ - std::min(end_, next_));
  }

  ObjectResult Finish(absl::Time ts, const nlohmann::json& = nlohmann::json::object()) override {
    ObjectResult res;
    if (finished_) return res;
    finished_ = true;
    res.fuid = fuid_;
    if (!r_) return res;
    std::lock_guard<std::mutex> lock(a_->mu_);
    FlushLocked();
    a_->PieceDone(r_, ts);
    res.size = next_;
    r_.reset();
    return res;
  }

 private:
  static constexpr size_t kFlushBytes = 64u << 10;

  void Flush() {
    if (buffer_.empty() || !r_) return;
    std::lock_guard<std::mutex> lock(a_->mu_);
    FlushLocked();
  }
  void FlushLocked() {
    if (buffer_.empty()) return;
    a_->Put(r_.get(), next_, buffer_);
    next_ += buffer_.size();
    buffer_.clear();
  }

  RangeAssembler* a_;
  std::shared_ptr<Resource> r_;  // null: refused
  std::string fuid_;
  uint64_t next_;  // offset of buffer_'s first byte
  uint64_t end_;   // the piece's declared end
  std::string buffer_;
  bool finished_ = false;
};

RangeAssembler::RangeAssembler(RangeStorageFactory factory, const RangeLimits& limits)
    : factory_(std::move(factory)), limits_(limits) {}

RangeAssembler::~RangeAssembler() = default;

std::unique_ptr<ObjectWriter> RangeAssembler::BeginPiece(const ConnectionInfo& conn,
                                                         const ObjectMeta& meta,
                                                         const ObjectPiece& piece) {
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.pieces;
  auto it = by_key_.find(piece.key);
  std::shared_ptr<Resource> r;
  if (it != by_key_.end()) {
    r = it->second;
  } else {
    if (by_key_.size() >= limits_.max_resources && !MakeRoom()) {
      ++stats_.dropped_pieces;
      return std::make_unique<PieceWriter>(this, nullptr, piece, "");
    }
    r = std::make_shared<Resource>();
    r->key = piece.key;
    r->seq = stats_.resources;
    r->meta = meta;
    r->storage = factory_(piece.key, conn, meta);
    ++stats_.resources;
    by_key_.emplace(piece.key, r);
  }
  if (piece.total >= 0) {
    // A total that bytes already stored (from "bytes a-b/*" pieces) go past is wrong too.
    const bool fits = r->have.empty() ||
                      r->have.rbegin()->second <= static_cast<uint64_t>(piece.total);
    if (r->total < 0 && fits) {
      r->total = piece.total;
    } else if (r->total != piece.total) {
      ++stats_.total_mismatches;
      ++r->total_mismatches;
      ++stats_.dropped_pieces;
      return std::make_unique<PieceWriter>(this, nullptr, piece, r->storage->fuid());
    }
  }
  if (r->meta.mime_type.empty()) r->meta.mime_type = meta.mime_type;
  if (r->meta.name.empty()) r->meta.name = meta.name;
  bool known = false;
  for (const ConnectionInfo& c : r->conns) known = known || c.id == conn.id;
  if (!known && r->conns.size() < limits_.max_connections_named) r->conns.push_back(conn);
  ++r->pieces;
  ++r->open;
  r->last_use = ++clock_;
  return std::make_unique<PieceWriter>(this, r, piece, r->storage->fuid());
}

void RangeAssembler::Put(Resource* r, uint64_t offset, absl::string_view bytes) {
  if (r->closed) {
    stats_.dropped_bytes += bytes.size();
    return;
  }
  uint64_t end = offset + bytes.size();
  uint64_t limit = limits_.max_resource_bytes;
  if (r->total >= 0) limit = std::min(limit, static_cast<uint64_t>(r->total));
  if (end > limit) {
    uint64_t keep = offset >= limit ? 0 : limit - offset;
    stats_.dropped_bytes += bytes.size() - keep;
    bytes = bytes.substr(0, keep);
    end = offset + keep;
  }
  if (bytes.empty()) return;
  // The new segments (holes in what the resource has) within [offset, end); the rest is
  // compared with what was stored first.
  std::vector<std::pair<uint64_t, uint64_t>> fresh;
  auto it = r->have.upper_bound(offset);
  if (it != r->have.begin()) {
    auto prev = std::prev(it);
    if (prev->second > offset) it = prev;
  }
  uint64_t pos = offset;
  std::string old;
  while (pos < end) {
    if (it != r->have.end() && it->first <= pos) {
      uint64_t stop = std::min(end, it->second);
      uint64_t n = stop - pos;
      r->overlap_bytes += n;
      stats_.overlap_bytes += n;
      old.clear();
      if (r->storage->ReadAt(pos, n, &old) && old.size() == n) {
        absl::string_view now = bytes.substr(pos - offset, n);
        uint64_t differ = 0;
        for (uint64_t i = 0; i < n; ++i) differ += old[i] != now[i];
        r->conflict_bytes += differ;
        stats_.conflict_bytes += differ;
      }
      pos = stop;
      ++it;
      continue;
    }
    uint64_t stop = it == r->have.end() ? end : std::min(end, it->first);
    fresh.emplace_back(pos, stop);
    pos = stop;
  }
  for (auto [s, e] : fresh) {
    auto next = r->have.lower_bound(s);  // first range starting at or after s (>= e here)
    bool joins_right = next != r->have.end() && next->first == e;
    auto prev = next == r->have.begin() ? r->have.end() : std::prev(next);
    bool joins_left = prev != r->have.end() && prev->second == s;
    if (!joins_left && !joins_right && r->have.size() >= limits_.max_ranges_per_resource) {
      ++stats_.ranges_limited;
      stats_.dropped_bytes += e - s;
      continue;
    }
    r->storage->WriteAt(s, bytes.substr(s - offset, e - s));
    r->stored += e - s;
    stats_.bytes += e - s;
    uint64_t new_end = e;
    if (joins_right) {
      new_end = next->second;
      r->have.erase(next);
    }
    if (joins_left) {
      prev->second = new_end;
    } else {
      r->have.emplace(s, new_end);
    }
  }
}

void RangeAssembler::PieceDone(const std::shared_ptr<Resource>& r, absl::Time ts) {
  --r->open;
  if (ts > r->last_ts) r->last_ts = ts;
  if (!r->closed && r->open == 0 && r->Complete()) Close(r.get(), r->last_ts);
  CloseIdle(ts);
}

void RangeAssembler::CloseIdle(absl::Time now) {
  if (now == absl::InfinitePast() || limits_.idle_timeout <= absl::ZeroDuration()) return;
  std::vector<Resource*> idle;
  for (auto& [key, r] : by_key_) {
    if (r->open == 0 && r->last_ts != absl::InfinitePast() &&
        now - r->last_ts > limits_.idle_timeout) {
      idle.push_back(r.get());
    }
  }
  for (Resource* r : idle) {
    ++stats_.idle_closed;
    Close(r, r->last_ts);
  }
}

bool RangeAssembler::MakeRoom() {
  Resource* oldest = nullptr;
  for (auto& [key, r] : by_key_) {
    if (r->open == 0 && (oldest == nullptr || r->last_use < oldest->last_use)) oldest = r.get();
  }
  if (oldest == nullptr) return false;
  ++stats_.evicted;
  Close(oldest, oldest->last_ts);
  return true;
}

void RangeAssembler::Close(Resource* r, absl::Time ts) {
  if (r->closed) return;
  r->closed = true;
  const bool complete = r->Complete();
  uint64_t length = complete ? static_cast<uint64_t>(r->total)
                             : (r->have.empty() ? 0 : r->have.rbegin()->second);
  nlohmann::json rec = nlohmann::json::object();
  rec["source"] = r->meta.source.empty() ? "http" : r->meta.source;
  rec["size"] = r->stored;
  if (!r->meta.name.empty()) rec["name"] = r->meta.name;
  if (!r->meta.mime_type.empty()) rec["mime_type"] = r->meta.mime_type;
  rec["stitched"] = true;
  rec["complete"] = complete;
  if (r->total >= 0) rec["total_length"] = r->total;
  rec["ranges"] = r->pieces;
  if (!complete) {
    // Holes as [first, last] byte positions; after the last range only when the total is
    // known (else how much follows is unknown).
    nlohmann::json missing = nlohmann::json::array();
    uint64_t pos = 0, missing_bytes = 0;
    for (auto [s, e] : r->have) {
      if (s > pos) {
        missing.push_back({pos, s - 1});
        missing_bytes += s - pos;
      }
      pos = e;
    }
    if (r->total >= 0 && pos < static_cast<uint64_t>(r->total)) {
      missing.push_back({pos, static_cast<uint64_t>(r->total) - 1});
      missing_bytes += static_cast<uint64_t>(r->total) - pos;
    }
    rec["missing_ranges"] = std::move(missing);
    rec["missing_bytes"] = missing_bytes;
    rec["partial"] = true;
  }
  if (r->conflict_bytes > 0) rec["conflict_bytes"] = r->conflict_bytes;
  if (r->total_mismatches > 0) rec["total_mismatches"] = r->total_mismatches;
  ++(complete ? stats_.complete : stats_.incomplete);
  r->storage->Close(ts == absl::InfinitePast() ? absl::UnixEpoch() : ts, std::move(rec), length,
                    complete, r->conns);
  r->have.clear();
  const std::string key = r->key;
  by_key_.erase(key);  // may free r
}

void RangeAssembler::FinishAll(absl::Time ts) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<Resource>> all;
  for (auto& [key, r] : by_key_) all.push_back(r);
  // In the order they were begun, so records come out the same in every run.
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a->seq < b->seq; });
  for (auto& r : all) Close(r.get(), r->last_ts == absl::InfinitePast() ? ts : r->last_ts);
}

RangeStats RangeAssembler::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

bool RangeAssembler::Tracks(absl::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_key_.contains(key);
}

size_t RangeAssembler::tracked() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_key_.size();
}

void MemoryRangeStorage::WriteAt(uint64_t offset, absl::string_view bytes) {
  pieces_[offset].assign(bytes.data(), bytes.size());
}

bool MemoryRangeStorage::ReadAt(uint64_t offset, uint64_t length, std::string* out) {
  out->assign(length, '\0');
  for (const auto& [start, data] : pieces_) {
    uint64_t s = std::max(start, offset), e = std::min(start + data.size(), offset + length);
    if (s < e) out->replace(s - offset, e - s, data, s - start, e - s);
  }
  return true;
}

void MemoryRangeStorage::Close(absl::Time, nlohmann::json record, uint64_t length,
                               bool complete, const std::vector<ConnectionInfo>&) {
  std::string contents;
  if (length <= max_contents_) ReadAt(0, length, &contents);
  pieces_.clear();
  if (on_close_) on_close_(fuid_, std::move(record), std::move(contents), complete);
}

}  // namespace tcpfollow
