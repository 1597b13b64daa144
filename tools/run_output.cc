#include "tools/run_output.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tins_ext/community_id.h"

namespace tcpfollow {

namespace {


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

// Streams one object to objects/<fuid>-<name>, hashing as it goes; with `store` false
// (--no-objects) only counts its bytes.
class FileObjectWriter : public ObjectWriter {
 public:
  FileObjectWriter(RunOutput* out, const ConnectionInfo& conn, const ObjectMeta& meta,
                   std::string fuid, bool store)
      : out_(out),
        meta_(meta),
        fuid_(std::move(fuid)),
        uid_(ConnectionUid(conn)),
        community_id_(CommunityIdV1(conn.client, conn.server)),
        store_(store) {
    std::string name = SanitizeFileName(meta.name, meta.source.empty() ? "object" : meta.source);
    if (!meta.extension.empty() && name.find('.') == std::string::npos) {
      absl::StrAppend(&name, ".", SanitizeFileName(meta.extension, "bin"));
    }
    file_name_ = absl::StrCat(fuid_, "-", name);
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
    buffer_.append(bytes.data(), bytes.size());
    if (buffer_.size() >= (64u << 10)) FlushBuffer();
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
    if (extra.is_object()) {
      for (auto it = extra.begin(); it != extra.end(); ++it) rec[it.key()] = it.value();
    }
    out_->OnObjectFinished(rec, size_);
    return r;
  }

 private:
  // Hands the buffered bytes to the background writer (the first call creates the file,
  // so even an empty object exists on disk).
  void FlushBuffer() {
    if (buffer_.empty() && opened_) return;
    out_->files()->Write(OutputDir::Sub::kObjects, file_name_, std::move(buffer_), !opened_);
    opened_ = true;
    buffer_ = std::string();
  }

  RunOutput* out_;
  ObjectMeta meta_;
  std::string fuid_;
  std::string uid_;
  std::string community_id_;
  std::string file_name_;
  EVP_MD_CTX* sha_ = nullptr;  // null when not storing
  std::string buffer_;
  uint64_t size_ = 0;
  const bool store_;
  bool opened_ = false;
  bool finished_ = false;
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
}

RunOutput::~RunOutput() { Flush(); }

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

namespace {

// A connection's uid and Community ID, kept for the last connection this thread wrote a
// record for: a connection writes many records (one per transaction), and both ids cost
// formatting and a hash each time.
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

}  // namespace

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
  const uint64_t fuid = StableHash(ConnectionUid(conn), Mix(n));
  return std::make_unique<FileObjectWriter>(this, conn, meta, MakeUid('F', fuid), store_objects_);
}

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
