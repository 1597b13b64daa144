// MemoryOutput (see memory_output.h). Writers refer to their object by index, so objects
// stay valid while the vector grows.
#include "testing/memory_output.h"

#include "absl/strings/str_cat.h"

namespace tcpfollow::testing {

class MemoryObjectWriter : public ObjectWriter {
 public:
  MemoryObjectWriter(MemoryOutput* out, size_t index) : out_(out), index_(index) {}
  const std::string& fuid() const override { return out_->objects_[index_].fuid; }
  void Write(absl::string_view bytes) override {
    out_->objects_[index_].data.append(bytes.data(), bytes.size());
  }
  ObjectResult Finish(absl::Time, const nlohmann::json& extra) override {
    MemoryOutput::Object& o = out_->objects_[index_];
    o.finished = true;
    o.extra = extra;
    ObjectResult r;
    r.fuid = o.fuid;
    r.path = absl::StrCat("objects/", o.fuid);
    r.size = o.data.size();
    return r;
  }

 private:
  MemoryOutput* out_;
  size_t index_;
};

void MemoryOutput::Record(absl::string_view log, const ConnectionInfo& conn, absl::Time ts,
                          nlohmann::json fields) {
  fields.dump();  // throws (failing the test) on invalid UTF-8, as the real writer would
  fields["ts"] = absl::ToDoubleSeconds(ts - absl::UnixEpoch());
  fields["uid"] = absl::StrCat("C", conn.id);
  auto it = records_.find(log);
  if (it == records_.end()) it = records_.emplace(std::string(log), std::vector<nlohmann::json>{}).first;
  it->second.push_back(std::move(fields));
}

std::unique_ptr<ObjectWriter> MemoryOutput::BeginObject(const ConnectionInfo& conn,
                                                        const ObjectMeta& meta) {
  Object o;
  o.conn_id = conn.id;
  o.meta = meta;
  o.fuid = absl::StrCat("F", objects_.size() + 1);
  objects_.push_back(std::move(o));
  return std::make_unique<MemoryObjectWriter>(this, objects_.size() - 1);
}

MemoryOutput::MemoryOutput(const RangeLimits& range_limits) {
  ranges_ = std::make_unique<RangeAssembler>(
      [this](absl::string_view, const ConnectionInfo& conn,
             const ObjectMeta& meta) -> std::unique_ptr<RangeStorage> {
        std::string fuid = absl::StrCat("FS", ++stitched_);
        uint64_t conn_id = conn.id;
        return std::make_unique<MemoryRangeStorage>(
            fuid, [this, conn_id, meta](const std::string& id, nlohmann::json record,
                                        std::string contents, bool) {
              Object o;
              o.conn_id = conn_id;
              o.meta = meta;
              o.fuid = id;
              o.data = std::move(contents);
              o.finished = true;
              o.extra = std::move(record);
              objects_.push_back(std::move(o));
            });
      },
      range_limits);
}

MemoryOutput::~MemoryOutput() = default;

std::unique_ptr<ObjectWriter> MemoryOutput::BeginObjectPiece(const ConnectionInfo& conn,
                                                             const ObjectMeta& meta,
                                                             const ObjectPiece& piece) {
  auto it = offers_.find(piece.key);
  if (it != offers_.end()) {
    Offer offer = std::move(it->second);
    offers_.erase(it);
    FeedPrefix(piece.key, offer);
  }
  return ranges_->BeginPiece(conn, meta, piece);
}

// As the tool: the offered object's first bytes become the resource's first piece.
void MemoryOutput::OfferObjectPrefix(const ConnectionInfo& conn, const ObjectMeta& meta,
                                     const ObjectPiece& piece, const std::string& path) {
  const Object* o = nullptr;
  for (const Object& x : objects_) {
    if (absl::StrCat("objects/", x.fuid) == path) o = &x;
  }
  if (o == nullptr) return;
  Offer offer{conn, meta, o->data.substr(0, piece.length)};
  if (ranges_->Tracks(piece.key)) {
    FeedPrefix(piece.key, offer);
  } else {
    offers_[piece.key] = std::move(offer);
  }
}

void MemoryOutput::FeedPrefix(const std::string& key, const Offer& offer) {
  ObjectPiece piece;
  piece.key = key;
  piece.length = offer.data.size();
  auto w = ranges_->BeginPiece(offer.conn, offer.meta, piece);
  w->Write(offer.data);
  w->Finish(absl::InfinitePast());
}

void MemoryOutput::FinishRanges(absl::Time ts) { ranges_->FinishAll(ts); }

void MemoryOutput::ExpectConnection(const IpAddress& client, const Endpoint& server,
                                    absl::Time now, absl::Duration timeout,
                                    AnalyzerFactory factory) {
  expectations_.push_back({client, server, now, timeout, std::move(factory)});
}

const std::vector<nlohmann::json>& MemoryOutput::records(absl::string_view log) const {
  static const std::vector<nlohmann::json> kNone;
  auto it = records_.find(log);
  return it == records_.end() ? kNone : it->second;
}

const MemoryOutput::Object* MemoryOutput::FindObject(absl::string_view fuid) const {
  for (const Object& o : objects_) {
    if (o.fuid == fuid) return &o;
  }
  return nullptr;
}

}  // namespace tcpfollow::testing
