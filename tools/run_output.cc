#include "tools/run_output.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <vector>
#include <cerrno>
#include <cstdio>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tins_ext/community_id.h"
#include "tools/mime_extensions.h"

namespace tcpfollow {

namespace {

// A connection's uid and Community ID, kept for the last connection this thread asked
// for: a connection writes many records and objects (one per transaction), and both ids
// cost formatting and a hash each time.
struct ConnectionIds {
  ConnectionInfo conn;
  std::string uid;
  std::string community_id;
};

const ConnectionIds& IdsOf(const ConnectionInfo& conn) {
  thread_local ConnectionIds last;
  thread_local bool valid = false;
  if (!valid || last.conn.id != conn.id || last.conn.start != conn.start ||
      !(last.conn.client == conn.client) || !(last.conn.server == conn.server) ||
      last.conn.vlan != conn.vlan) {
    last.conn = conn;
    last.uid = ConnectionUid(conn);
    last.community_id = CommunityIdV1(conn.client, conn.server);
    valid = true;
  }
  return last;
}


uint64_t Mix(uint64_t x) {  // splitmix64 finaliser
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

double Seconds(absl::Time t) { return absl::ToDoubleSeconds(t - absl::UnixEpoch()); }

// FNV-1a: a hash that is the same in every run and on every machine (absl::Hash is not).
uint64_t StableHash(absl::string_view bytes, uint64_t h = 0xcbf29ce484222325ull) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// The stored name of an object: the protocol's name made safe; a name without an extension
// gets the one its type has (a page fetched from "/" stored as "Fx-<source>.html"), so that
// a double-click opens it with the right program.
std::string ObjectFileName(const ObjectMeta& meta) {
  std::string name = SanitizeFileName(meta.name, meta.source.empty() ? "object" : meta.source);
  const std::string extension = !meta.extension.empty()
                                    ? meta.extension
                                    : MimeExtensions::System().For(meta.mime_type);
  if (!extension.empty() && name.find('.') == std::string::npos) {
    absl::StrAppend(&name, ".", SanitizeFileName(extension, "bin"));
  }
  return name;
}

// Zeek's files.log tx_hosts / rx_hosts / is_orig of an object `sender` sent over `conns`
// (each address once, in the connections' order).
void AddHosts(Direction sender, const std::vector<const ConnectionInfo*>& conns,
              nlohmann::json* rec) {
  const bool orig = sender == Direction::kClientToServer;
  std::vector<std::string> tx, rx;
  for (const ConnectionInfo* c : conns) {
    std::string t = (orig ? c->client : c->server).addr.ToString();
    std::string r = (orig ? c->server : c->client).addr.ToString();
    if (std::find(tx.begin(), tx.end(), t) == tx.end()) tx.push_back(std::move(t));
    if (std::find(rx.begin(), rx.end(), r) == rx.end()) rx.push_back(std::move(r));
  }
  (*rec)["tx_hosts"] = std::move(tx);
  (*rec)["rx_hosts"] = std::move(rx);
  (*rec)["is_orig"] = orig;
}

// Streams one object to objects/<fuid>-<name>, hashing as it goes; with `store` false
// (--no-objects) only counts its bytes.
class FileObjectWriter : public ObjectWriter {
 public:
  FileObjectWriter(RunOutput* out, const ConnectionInfo& conn, const ObjectMeta& meta,
                   std::string fuid, bool store)
      : out_(out),
        meta_(meta),
        fuid_(std::move(fuid)),
        uid_(IdsOf(conn).uid),
        community_id_(IdsOf(conn).community_id),
        store_(store) {
    if (meta.sender) AddHosts(*meta.sender, {&conn}, &hosts_);
    file_name_ = absl::StrCat(fuid_, "-", ObjectFileName(meta));
    if (store_) {  // --no-objects: nothing to hash
      sha_ = EVP_MD_CTX_new();
      EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr);
    }
  }
  ~FileObjectWriter() override {
    if (!finished_) Finish(absl::UnixEpoch(), {{"partial", true}});
    EVP_MD_CTX_free(sha_);
  }

  const std::string& fuid() const override { return fuid_; }

  void Write(absl::string_view bytes) override {
    if (finished_) return;
    size_ += bytes.size();
    if (!store_) return;
    EVP_DigestUpdate(sha_, bytes.data(), bytes.size());
    if (buffer_.FullFor(bytes.size())) FlushBuffer();
    buffer_.Append(bytes, kFlushAt);
    if (buffer_.size() >= kFlushAt) FlushBuffer();
  }

  ObjectResult Finish(absl::Time ts, const nlohmann::json& extra) override {
    ObjectResult r;
    if (finished_) return r;
    finished_ = true;
    r.fuid = fuid_;
    r.size = size_;
    r.ok = true;  // write errors surface in the run's summary and exit status
    nlohmann::json rec = {{"ts", Seconds(ts)},      {"fuid", fuid_}, {"uid", uid_},
                          {"source", meta_.source}, {"size", size_}};
    if (!community_id_.empty()) rec["community_id"] = community_id_;
    if (store_) {
      FlushBuffer();
      unsigned char md[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      EVP_DigestFinal_ex(sha_, md, &len);
      r.path = OutputDir::Relative(OutputDir::Sub::kObjects, file_name_);
      r.sha256 = absl::BytesToHexString(
          absl::string_view(reinterpret_cast<const char*>(md), len));
      rec["path"] = r.path;
      rec["sha256"] = r.sha256;
    }
    if (!meta_.name.empty()) rec["name"] = meta_.name;
    if (!meta_.mime_type.empty()) rec["mime_type"] = meta_.mime_type;
    if (!meta_.declared_mime_type.empty()) rec["declared_mime_type"] = meta_.declared_mime_type;
    for (auto it = hosts_.begin(); it != hosts_.end(); ++it) rec[it.key()] = it.value();
    if (meta_.carried_by.is_object()) {
      for (auto it = meta_.carried_by.begin(); it != meta_.carried_by.end(); ++it) {
        rec[it.key()] = it.value();
      }
    }
    if (extra.is_object()) {
      for (auto it = extra.begin(); it != extra.end(); ++it) rec[it.key()] = it.value();
    }
    out_->OnObjectFinished(rec, size_);
    return r;
  }

 private:
  static constexpr size_t kFlushAt = 64u << 10;  // bytes buffered before a write

  // Hands the buffered bytes to the background writer (the first call creates the file,
  // so even an empty object exists on disk).
  void FlushBuffer() {
    if (buffer_.empty() && buffer_.handed_over()) return;
    bool create = false;
    std::string bytes = buffer_.TakeBytes(&create);
    out_->files()->Write(OutputDir::Sub::kObjects, file_name_, std::move(bytes), create);
  }

  RunOutput* out_;
  ObjectMeta meta_;
  std::string fuid_;
  std::string uid_;
  std::string community_id_;
  nlohmann::json hosts_ = nlohmann::json::object();  // tx_hosts, rx_hosts, is_orig
  std::string file_name_;
  EVP_MD_CTX* sha_ = nullptr;  // null when not storing
  FileBuffer buffer_;
  uint64_t size_ = 0;
  const bool store_;
  bool finished_ = false;
};

// A stitched object's bytes: objects/<fuid>-<name>, written at the pieces' offsets (the
// holes of an incomplete object read as zeros); hashed when complete. The file is opened
// for each batch of bytes (at most every 64 KiB of a range) and closed again, so the
// resources tracked at once (RangeLimits::max_resources) hold no descriptors. Without a
// file (--no-objects, or it could not be made) only the record is written.
class FileRangeStorage : public RangeStorage {
 public:
  FileRangeStorage(RunOutput* out, std::string fuid, std::string file_name,
                   const ObjectMeta& meta)
      : out_(out), fuid_(std::move(fuid)), file_name_(std::move(file_name)),
        sender_(meta.sender), carried_by_(meta.carried_by) {}
  const std::string& fuid() const override { return fuid_; }

  void WriteAt(uint64_t offset, absl::string_view bytes) override {
    if (file_name_.empty() || failed_) return;
    int fd = Open();
    if (fd < 0) return;
    failed_ = !out_->dir()->WriteAllAt(fd, offset, bytes,
                                       OutputDir::Relative(OutputDir::Sub::kObjects, file_name_));
    close(fd);
  }

  bool ReadAt(uint64_t offset, uint64_t length, std::string* out) override {
    if (file_name_.empty() || failed_) return false;
    int fd = Open();
    if (fd < 0) return false;
    bool ok = ReadFd(fd, offset, length, out);
    close(fd);
    return ok;
  }

  void Close(absl::Time ts, nlohmann::json record, uint64_t length, bool complete,
             const std::vector<ConnectionInfo>& conns) override {
    nlohmann::json rec = {{"ts", Seconds(ts)}, {"fuid", fuid_}};
    // The connections in the order they started (not the order workers reached them), so
    // the record is the same with --threads: uid and community_id are the earliest one's.
    std::vector<std::pair<std::pair<absl::Time, std::string>, const ConnectionInfo*>> order;
    for (const ConnectionInfo& c : conns) order.push_back({{c.start, ConnectionUid(c)}, &c});
    std::sort(order.begin(), order.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    if (!order.empty()) {
      const ConnectionInfo& first = *order[0].second;
      rec["uid"] = order[0].first.second;
      std::string community_id = CommunityIdV1(first.client, first.server);
      if (!community_id.empty()) rec["community_id"] = std::move(community_id);
      if (order.size() > 1) {
        std::vector<std::string> uids;
        for (const auto& o : order) uids.push_back(o.first.second);
        rec["uids"] = std::move(uids);
      }
    }
    if (sender_) {  // every host that sent a piece, every one that received one
      std::vector<const ConnectionInfo*> in_order;
      for (const auto& o : order) in_order.push_back(o.second);
      AddHosts(*sender_, in_order, &rec);
    }
    if (carried_by_.is_object()) {  // the first piece's request
      for (auto it = carried_by_.begin(); it != carried_by_.end(); ++it) rec[it.key()] = it.value();
    }
    for (auto it = record.begin(); it != record.end(); ++it) rec[it.key()] = it.value();
    if (!file_name_.empty()) {
      rec["path"] = OutputDir::Relative(OutputDir::Sub::kObjects, file_name_);
      if (complete && !failed_) {
        std::string sha = Sha256(length);
        if (!sha.empty()) rec["sha256"] = std::move(sha);
      }
    }
    out_->OnObjectFinished(rec, rec.value("size", uint64_t{0}));
  }

 private:
  int Open() {
    absl::StatusOr<int> fd = out_->dir()->OpenReadWrite(OutputDir::Sub::kObjects, file_name_);
    if (!fd.ok()) {
      failed_ = true;
      return -1;
    }
    return *fd;
  }

  static bool ReadFd(int fd, uint64_t offset, uint64_t length, std::string* out) {
    out->assign(length, '\0');
    uint64_t done = 0;
    while (done < length) {
      ssize_t n = pread(fd, &(*out)[done], length - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return false;
      if (n == 0) break;  // past the end: zeros
      done += static_cast<uint64_t>(n);
    }
    return true;
  }

  // "" when the file cannot be read back.
  std::string Sha256(uint64_t length) {
    int fd = Open();
    if (fd < 0) return "";
    EVP_MD_CTX* sha = EVP_MD_CTX_new();
    EVP_DigestInit_ex(sha, EVP_sha256(), nullptr);
    std::string chunk;
    bool ok = true;
    for (uint64_t off = 0; off < length && ok;) {
      uint64_t n = std::min<uint64_t>(length - off, 1u << 20);
      ok = ReadFd(fd, off, n, &chunk);
      EVP_DigestUpdate(sha, chunk.data(), chunk.size());
      off += n;
    }
    close(fd);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(sha, md, &len);
    EVP_MD_CTX_free(sha);
    if (!ok) return "";
    return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(md), len));
  }

  RunOutput* out_;
  std::string fuid_;
  std::string file_name_;  // "" when not stored
  std::optional<Direction> sender_;
  nlohmann::json carried_by_;
  bool failed_ = false;
};

}  // namespace

std::string ConnectionUid(const ConnectionInfo& c) {
  const int64_t start_ns = absl::ToInt64Nanoseconds(c.start - absl::UnixEpoch());
  std::string key = absl::StrCat(start_ns, "|", c.client.ToString(), "|", c.server.ToString(),
                                 "|", c.vlan);
  return MakeUid('C', StableHash(key));
}

std::string MakeUid(char prefix, uint64_t n) {
  static const char kDigits[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  // The prefix is mixed in so that connection n and object n get unrelated ids.
  uint64_t x = Mix(n ^ (static_cast<uint64_t>(static_cast<unsigned char>(prefix)) << 56));
  std::string s(1, prefix);
  for (int i = 0; i < 11; ++i) {
    s.push_back(kDigits[x % 62]);
    x /= 62;
  }
  return s;
}

RunOutput::RunOutput(OutputDir* dir, bool print_json, int shards, bool store_objects,
                     const std::vector<std::string>& logs)
    : dir_(dir),
      print_json_(print_json),
      store_objects_(store_objects),
      files_(dir),
      next_fuid_(std::max(1, shards), 0) {
  // The logs users look for exist after every run, even when empty.
  for (const std::string& log : logs) Log(log);
  // A stitched object's id comes from its resource's key, so it is the same whichever
  // worker sees the first piece; a later object of the same key (the resource fetched
  // again after it was complete, or an earlier run's file under --append) takes the next
  // name that is free.
  ranges_ = std::make_unique<RangeAssembler>(
      [this](absl::string_view key, const ConnectionInfo& conn,
             const ObjectMeta& meta) -> std::unique_ptr<RangeStorage> {
        const std::string name = ObjectFileName(meta);
        if (!store_objects_ || dir_ == nullptr) {
          uint64_t h = StableHash(IdsOf(conn).uid, StableHash(key));
          return std::make_unique<FileRangeStorage>(this, MakeUid('F', h), "", meta);
        }
        for (uint64_t g = 0;; ++g) {
          std::string fuid = MakeUid('F', StableHash(key, Mix(g ^ 0x5354495443480000ull)));
          std::string file = absl::StrCat(fuid, "-", name);
          absl::StatusOr<int> fd = dir_->CreateExclusive(OutputDir::Sub::kObjects, file);
          if (fd.ok()) {
            close(*fd);
            return std::make_unique<FileRangeStorage>(this, fuid, file, meta);
          }
          if (!absl::IsAlreadyExists(fd.status()) || g >= 1000) {
            return std::make_unique<FileRangeStorage>(this, fuid, "", meta);
          }
        }
      });
}

RunOutput::~RunOutput() {
  ranges_->FinishAll(absl::InfinitePast());
  Flush();
}

JsonlFile* RunOutput::Log(absl::string_view log) {
  auto it = logs_.find(log);
  if (it == logs_.end()) {
    it = logs_
             .emplace(std::string(log),
                      std::make_unique<JsonlFile>(dir_, absl::StrCat(log, ".jsonl")))
             .first;
  }
  return it->second.get();
}


nlohmann::json RunOutput::BaseRecord(const ConnectionInfo& conn, absl::Time ts) {
  nlohmann::json rec{
      {"ts", Seconds(ts)},
      {"uid", IdsOf(conn).uid},
      {"id.orig_h", conn.client.addr.ToString()},
      {"id.orig_p", conn.client.port},
      {"id.resp_h", conn.server.addr.ToString()},
      {"id.resp_p", conn.server.port},
  };
  const std::string& community_id = IdsOf(conn).community_id;
  if (!community_id.empty()) rec["community_id"] = community_id;
  return rec;
}

void RunOutput::WriteRecord(absl::string_view log, nlohmann::json record) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_.records;
  if (print_json_) {
    nlohmann::json shown = record;
    shown["_log"] = std::string(log);
    std::string line = shown.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line.push_back('\n');
    fwrite(line.data(), 1, line.size(), stdout);
  }
  Log(log)->Append(record);
}

void RunOutput::Record(absl::string_view log, const ConnectionInfo& conn, absl::Time ts,
                       nlohmann::json fields) {
  nlohmann::json rec = BaseRecord(conn, ts);
  if (fields.is_object()) {
    for (auto it = fields.begin(); it != fields.end(); ++it) rec[it.key()] = std::move(it.value());
  }
  WriteRecord(log, std::move(rec));
}

std::unique_ptr<ObjectWriter> RunOutput::BeginObject(const ConnectionInfo& conn,
                                                     const ObjectMeta& meta) {
  uint64_t n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const uint64_t shards = next_fuid_.size();
    const uint64_t shard = conn.id == 0 ? 0 : (conn.id - 1) % shards;
    n = next_fuid_[shard]++ * shards + shard;
  }
  // The connection's uid keeps object ids of different captures apart; `n` those of one run.
  const uint64_t fuid = StableHash(IdsOf(conn).uid, Mix(n));
  return std::make_unique<FileObjectWriter>(this, conn, meta, MakeUid('F', fuid), store_objects_);
}

std::unique_ptr<ObjectWriter> RunOutput::BeginObjectPiece(const ConnectionInfo& conn,
                                                          const ObjectMeta& meta,
                                                          const ObjectPiece& piece) {
  std::optional<Offer> offer;
  {
    std::lock_guard<std::mutex> lock(offers_mu_);
    auto it = offers_.find(piece.key);
    if (it != offers_.end()) {
      offer = std::move(it->second);
      offer_order_.erase(offer->order);
      offers_.erase(it);
    }
  }
  if (offer) FeedPrefix(piece.key, *offer);
  return ranges_->BeginPiece(conn, meta, piece);
}

void RunOutput::OfferObjectPrefix(const ConnectionInfo& conn, const ObjectMeta& meta,
                                  const ObjectPiece& piece, const std::string& path) {
  if (!store_objects_ || dir_ == nullptr || piece.key.empty() || piece.length == 0) return;
  Offer offer;
  offer.conn = conn;
  offer.meta = meta;
  offer.length = piece.length;
  offer.path = path;
  if (ranges_->Tracks(piece.key)) {  // the ranges came first
    FeedPrefix(piece.key, offer);
    return;
  }
  std::lock_guard<std::mutex> lock(offers_mu_);
  auto it = offers_.find(piece.key);
  if (it != offers_.end()) {  // a later cut answer replaces the earlier one
    offer_order_.erase(it->second.order);
    offers_.erase(it);
  }
  if (offers_.size() >= kMaxOffers) {
    offers_.erase(offer_order_.front());
    offer_order_.pop_front();
  }
  offer.order = offer_order_.insert(offer_order_.end(), piece.key);
  offers_.emplace(piece.key, std::move(offer));
}

void RunOutput::FeedPrefix(const std::string& key, const Offer& offer) {
  const std::string prefix = OutputDir::Relative(OutputDir::Sub::kObjects, "");
  if (offer.path.compare(0, prefix.size(), prefix) != 0) return;
  files_.Drain();  // the cut answer's bytes are on disk
  absl::StatusOr<int> fd =
      dir_->OpenReadWrite(OutputDir::Sub::kObjects, offer.path.substr(prefix.size()));
  if (!fd.ok()) return;
  ObjectPiece piece;
  piece.key = key;
  piece.length = offer.length;
  std::unique_ptr<ObjectWriter> w = ranges_->BeginPiece(offer.conn, offer.meta, piece);
  std::string chunk(64u << 10, '\0');
  for (uint64_t off = 0; off < offer.length;) {
    ssize_t n = pread(*fd, &chunk[0], std::min<uint64_t>(chunk.size(), offer.length - off),
                      static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    w->Write(absl::string_view(chunk.data(), static_cast<size_t>(n)));
    off += static_cast<uint64_t>(n);
  }
  close(*fd);
  w->Finish(absl::InfinitePast());
}

void RunOutput::FinishRanges(absl::Time ts) { ranges_->FinishAll(ts); }

void RunOutput::OnObjectFinished(const nlohmann::json& record, uint64_t size) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_.objects;
    counts_.object_bytes += size;
  }
  WriteRecord("files", record);
}

uint64_t RunOutput::records_in(absl::string_view log) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = logs_.find(log);
  return it == logs_.end() ? 0 : it->second->records();
}

void RunOutput::FlushLogs() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, file] : logs_) file->Flush();
  if (print_json_) fflush(stdout);
}

std::vector<std::string> RunOutput::RotateLogs(absl::string_view stamp) {
  std::vector<std::string> names;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, file] : logs_) {
    std::string used = file->Rotate(absl::StrCat(name, ".", stamp, ".jsonl"));
    if (!used.empty()) names.push_back(std::move(used));
  }
  return names;
}

void RunOutput::Flush() {
  files_.Drain();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, file] : logs_) file->Flush();
  if (print_json_) fflush(stdout);
}

}  // namespace tcpfollow
