#include "tools/output_dir.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace tcpfollow {

namespace {

bool SafeName(const std::string& n) {
  return !n.empty() && n.find('/') == std::string::npos && n != "." && n != "..";
}

absl::StatusOr<int> OpenDirAt(int parent, const char* name, const std::string& shown) {
  if (mkdirat(parent, name, 0755) != 0 && errno != EEXIST) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create directory ", shown, ": ", std::strerror(errno)));
  }
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot open directory ", shown, ": ", std::strerror(errno)));
  }
  return fd;
}

// Removes what a run of tcpfollow writes in DIR, and nothing else.
absl::Status RemoveEarlierRun(const std::string& path) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    const std::string name = entry.path().filename().string();
    bool ours = name == "streams" || name == "objects" || name == "report" ||
                name == "report.html" || name == "stats.json" ||
                absl::EndsWith(name, ".jsonl");
    if (!ours) continue;
    std::filesystem::remove_all(entry.path(), ec);
    if (ec) {
      return absl::PermissionDeniedError(
          absl::StrCat("--force: cannot remove ", entry.path().string(), ": ", ec.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<OutputDir>> OutputDir::Open(const std::string& path,
                                                           Reuse reuse) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec && !std::filesystem::is_directory(path)) {
    // The real reason (EACCES, ENOTDIR, EROFS, ...), not what open() says afterwards.
    return absl::PermissionDeniedError(
        absl::StrCat("cannot create output directory ", path, ": ", ec.message()));
  }
  if (reuse == Reuse::kRefuse && !std::filesystem::is_empty(path, ec) && !ec) {
    return absl::FailedPreconditionError(absl::StrCat(
        "output directory ", path, " is not empty (an earlier run?): --force replaces "
        "what tcpfollow wrote there, --append adds this run to it"));
  }
  if (reuse == Reuse::kReplace) {
    absl::Status s = RemoveEarlierRun(path);
    if (!s.ok()) return s;
  }
  // The top directory is the user's choice and may itself be a symlink; only what is
  // created inside it is protected.
  int top = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (top < 0) {
    return absl::PermissionDeniedError(
        absl::StrCat("cannot use output directory ", path, ": ", std::strerror(errno)));
  }
  auto streams = OpenDirAt(top, "streams", path + "/streams");
  if (!streams.ok()) {
    close(top);
    return streams.status();
  }
  auto objects = OpenDirAt(top, "objects", path + "/objects");
  if (!objects.ok()) {
    close(top);
    close(*streams);
    return objects.status();
  }
  auto dir = std::unique_ptr<OutputDir>(new OutputDir(path, top, *streams, *objects));
  dir->append_ = reuse == Reuse::kAppend;
  return dir;
}

void OutputDir::RemoveIfEmpty(Sub sub) {
  const char* name = sub == Sub::kStreams ? "streams" : "objects";
  unlinkat(top_, name, AT_REMOVEDIR);  // fails, as wanted, when something is in it
}

OutputDir::~OutputDir() {
  close(top_);
  close(streams_);
  close(objects_);
}

int OutputDir::DirFd(Sub sub) const {
  switch (sub) {
    case Sub::kStreams: return streams_;
    case Sub::kObjects: return objects_;
    case Sub::kTop: break;
  }
  return top_;
}

std::string OutputDir::Relative(Sub sub, absl::string_view name) {
  switch (sub) {
    case Sub::kStreams: return absl::StrCat("streams/", name);
    case Sub::kObjects: return absl::StrCat("objects/", name);
    case Sub::kTop: break;
  }
  return std::string(name);
}

absl::Status OutputDir::Failure(absl::string_view verb, Sub sub, absl::string_view name,
                                absl::string_view to) {
  const int err = errno;
  std::string msg = absl::StrCat("cannot ", verb, " ", path_, "/", Relative(sub, name),
                                 to.empty() ? "" : " to ", to, ": ", std::strerror(err));
  RecordError(msg);
  return absl::PermissionDeniedError(msg);
}

absl::StatusOr<int> OutputDir::Create(Sub sub, absl::string_view name) {
  std::string n(name);
  if (!SafeName(n)) {
    return absl::InvalidArgumentError(absl::StrCat("refusing file name '", n, "'"));
  }
  const bool append = append_ && sub == Sub::kTop && absl::EndsWith(n, ".jsonl");
  int fd = openat(DirFd(sub), n.c_str(),
                  O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC) | O_NOFOLLOW | O_CLOEXEC,
                  0644);
  if (fd < 0) return Failure("create", sub, name);
  return fd;
}

absl::StatusOr<int> OutputDir::CreateExclusive(Sub sub, absl::string_view name) {
  std::string n(name);
  if (!SafeName(n)) {
    return absl::InvalidArgumentError(absl::StrCat("refusing file name '", n, "'"));
  }
  int fd = openat(DirFd(sub), n.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0644);
  if (fd < 0 && errno == EEXIST) {
    return absl::AlreadyExistsError(absl::StrCat(Relative(sub, name), " exists"));
  }
  if (fd < 0) return Failure("create", sub, name);
  return fd;
}

absl::StatusOr<int> OutputDir::OpenReadWrite(Sub sub, absl::string_view name) {
  std::string n(name);
  if (!SafeName(n)) {
    return absl::InvalidArgumentError(absl::StrCat("refusing file name '", n, "'"));
  }
  int fd = openat(DirFd(sub), n.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Failure("open", sub, name);
  return fd;
}

absl::StatusOr<int> OutputDir::OpenAppend(Sub sub, absl::string_view name) {
  std::string n(name);
  int fd = openat(DirFd(sub), n.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return Failure("open", sub, name);
  return fd;
}

absl::StatusOr<std::string> OutputDir::Rename(Sub sub, absl::string_view from,
                                              absl::string_view to) {
  std::string f(from), t(to);
  if (!SafeName(f) || !SafeName(t)) {
    return absl::InvalidArgumentError(absl::StrCat("refusing file names '", f, "', '", t, "'"));
  }
  const int dir = DirFd(sub);
  const size_t dot = t.rfind('.');
  const std::string stem = dot == std::string::npos ? t : t.substr(0, dot);
  const std::string ext = dot == std::string::npos ? "" : t.substr(dot);
  std::string target = t;
  for (int i = 1; i < 1000; ++i) {
    struct stat st;
    if (fstatat(dir, target.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) break;
    target = absl::StrCat(stem, "-", i, ext);
  }
  if (renameat(dir, f.c_str(), dir, target.c_str()) != 0) {
    return Failure("rename", sub, f, target);
  }
  return target;
}

absl::Status OutputDir::WriteWhole(Sub sub, absl::string_view name, absl::string_view bytes) {
  const std::string tmp = absl::StrCat(".", name, ".tmp");
  absl::StatusOr<int> fd = Create(sub, tmp);
  if (!fd.ok()) return fd.status();
  const bool ok = WriteAll(*fd, bytes, Relative(sub, name));
  close(*fd);
  if (!ok) {
    unlinkat(DirFd(sub), tmp.c_str(), 0);
    return absl::DataLossError(absl::StrCat("cannot write ", path_, "/", Relative(sub, name)));
  }
  if (renameat(DirFd(sub), tmp.c_str(), DirFd(sub), std::string(name).c_str()) != 0) {
    return Failure("rename", sub, tmp);
  }
  return absl::OkStatus();
}

bool OutputDir::WriteAll(int fd, absl::string_view bytes, absl::string_view what) {
  return WriteLoop(fd, nullptr, bytes, what);
}

bool OutputDir::WriteAllAt(int fd, uint64_t offset, absl::string_view bytes,
                           absl::string_view what) {
  return WriteLoop(fd, &offset, bytes, what);
}

bool OutputDir::WriteLoop(int fd, const uint64_t* offset, absl::string_view bytes,
                          absl::string_view what) {
  uint64_t at = offset != nullptr ? *offset : 0;
  while (!bytes.empty()) {
    ssize_t n = offset != nullptr
                    ? pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(at))
                    : write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      RecordError(absl::StrCat("writing ", path_, "/", what, ": ",
                               n < 0 ? std::strerror(errno) : "short write"));
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
    at += static_cast<uint64_t>(n);
  }
  return true;
}

void OutputDir::RecordError(std::string message) {
  std::lock_guard<std::mutex> lock(mu_);
  ++write_errors_;
  if (first_error_.empty()) first_error_ = std::move(message);
}

uint64_t OutputDir::write_errors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return write_errors_;
}

std::string OutputDir::first_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return first_error_;
}

size_t BackgroundWriter::JobCost(const std::string& name, const std::string& bytes) {
  return sizeof(Job) + 2 * 32 + name.capacity() + bytes.capacity();  // 32: malloc overhead
}

BackgroundWriter::BackgroundWriter(OutputDir* dir, size_t max_pending)
    : dir_(dir), max_pending_(max_pending), thread_([this] { Run(); }) {}

BackgroundWriter::~BackgroundWriter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_.notify_all();  // unconditionally: the writer may be about to sleep
  thread_.join();
}

void BackgroundWriter::Write(OutputDir::Sub sub, std::string name, std::string bytes,
                             bool create) {
  std::unique_lock<std::mutex> lock(mu_);
  if (pending_bytes_ > max_pending_) {
    ++producers_waiting_;
    room_.wait(lock, [&] { return pending_bytes_ <= max_pending_; });
    --producers_waiting_;
  }
  // Each job is charged for its bookkeeping too: a flood of tiny connections queues many
  // small jobs, and the cap must bound memory, not just payload.
  const size_t cost = JobCost(name, bytes);
  pending_bytes_ += cost;
  jobs_.push_back({sub, std::move(name), std::move(bytes), create});
  const bool wake = writer_idle_;
  lock.unlock();
  if (wake) work_.notify_one();
}

void BackgroundWriter::Drain() {
  std::unique_lock<std::mutex> lock(mu_);
  ++producers_waiting_;
  room_.wait(lock, [&] { return jobs_.empty() && !busy_; });
  --producers_waiting_;
}

void BackgroundWriter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    if (jobs_.empty() && !stop_) {
      writer_idle_ = true;
      work_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
      writer_idle_ = false;
    }
    if (jobs_.empty()) {  // stop_ with nothing left: every job was written
      CloseAll();
      return;
    }
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    busy_ = true;
    lock.unlock();
    absl::StatusOr<int> fd = FdFor(job);
    if (fd.ok()) dir_->WriteAll(*fd, job.bytes, OutputDir::Relative(job.sub, job.name));
    lock.lock();
    busy_ = false;
    pending_bytes_ -= JobCost(job.name, job.bytes);
    if (producers_waiting_ > 0) room_.notify_all();
  }
}

absl::StatusOr<int> BackgroundWriter::FdFor(const Job& job) {
  std::string key = absl::StrCat(static_cast<int>(job.sub), "/", job.name);
  for (auto it = open_.begin(); it != open_.end(); ++it) {
    if (it->first != key) continue;
    if (job.create) {  // made anew: the cached descriptor is for the old file
      close(it->second);
      open_.erase(it);
      break;
    }
    open_.splice(open_.begin(), open_, it);
    return it->second;
  }
  absl::StatusOr<int> fd =
      job.create ? dir_->Create(job.sub, job.name) : dir_->OpenAppend(job.sub, job.name);
  if (!fd.ok()) return fd;
  open_.emplace_front(std::move(key), *fd);
  if (open_.size() > kOpenFiles) {
    close(open_.back().second);
    open_.pop_back();
  }
  return fd;
}

void BackgroundWriter::CloseAll() {
  for (const auto& [key, fd] : open_) close(fd);
  open_.clear();
}

JsonlFile::~JsonlFile() {
  Flush();
  if (fd_ >= 0) close(fd_);
}

void JsonlFile::Append(const nlohmann::json& record) {
  buffer_ += record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  buffer_ += '\n';
  ++records_;
  ++records_in_file_;
  if (buffer_.size() >= (64u << 10)) Flush();
}

void JsonlFile::Flush() {
  if (failed_open_) return;
  if (fd_ < 0) {  // opened on first flush, so an empty log still exists after a run
    auto fd = dir_->Create(OutputDir::Sub::kTop, name_);
    if (!fd.ok()) {
      failed_open_ = true;
      buffer_.clear();
      return;
    }
    fd_ = *fd;
    good_size_ = 0;
  }
  if (buffer_.empty()) return;
  if (dir_->WriteAll(fd_, buffer_, name_)) {
    good_size_ += buffer_.size();
  } else if (ftruncate(fd_, static_cast<off_t>(good_size_)) != 0) {
    // Nothing more can be done; the error was already reported by WriteAll.
  }
  buffer_.clear();
}

std::string JsonlFile::Rotate(absl::string_view rotated_name) {
  Flush();
  if (fd_ < 0 || records_in_file_ == 0) return "";
  close(fd_);
  fd_ = -1;
  records_in_file_ = 0;
  absl::StatusOr<std::string> used = dir_->Rename(OutputDir::Sub::kTop, name_, rotated_name);
  return used.ok() ? *used : "";
}

std::string SanitizeFileName(absl::string_view name, absl::string_view fallback) {
  // Keep only the last path component, whichever separator the sender used.
  size_t slash = name.find_last_of("/\\");
  if (slash != absl::string_view::npos) name.remove_prefix(slash + 1);
  std::string out;
  out.reserve(std::min<size_t>(name.size(), 80));
  for (unsigned char c : name) {
    if (out.size() >= 80) break;
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '+';
    out.push_back(ok ? static_cast<char>(c) : '_');
  }
  size_t lead = out.find_first_not_of('.');
  out.erase(0, lead == std::string::npos ? out.size() : lead);
  if (out.empty()) out = std::string(fallback);
  return out;
}

}  // namespace tcpfollow
