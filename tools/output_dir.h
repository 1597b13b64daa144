// The output directory and everything written into it. Files are created with openat()
// relative to the directory's descriptor, with O_NOFOLLOW and O_EXCL, under names that
// contain no '/', so nothing the traffic says can place a file outside DIR or write
// through a symlink planted inside it.
//
// Write errors (a full disk, say) do not stop processing: the first one is reported once
// with the path and errno text, every one is counted, and JSON-lines files are cut back to
// their last complete line so that readers never see half a record.
#ifndef TCPFOLLOW_TOOLS_OUTPUT_DIR_H_
#define TCPFOLLOW_TOOLS_OUTPUT_DIR_H_

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace tcpfollow {

class OutputDir {
 public:
  enum class Sub { kTop, kStreams, kObjects };
  // What to do with a directory that already holds something (an earlier run).
  enum class Reuse {
    kRefuse,   // an error that names --force and --append: runs never mix silently
    kReplace,  // --force: what tcpfollow writes there (logs, streams/, objects/, ...) is removed
    kAppend,   // --append: logs are appended to; new files get ids that cannot collide
  };

  // Creates DIR (and its parents) if missing, then streams/ and objects/.
  static absl::StatusOr<std::unique_ptr<OutputDir>> Open(const std::string& path,
                                                         Reuse reuse = Reuse::kRefuse);
  // Removes streams/ or objects/ when nothing was written there (--no-streams, --no-objects).
  void RemoveIfEmpty(Sub sub);
  ~OutputDir();

  const std::string& path() const { return path_; }
  // Path relative to DIR of a file named `name` in `sub`.
  static std::string Relative(Sub sub, absl::string_view name);

  // Creates (or empties) the file `name`, which must not contain '/'; names are unique
  // within a run by construction (uid/fuid prefixes). With Reuse::kAppend a log (a .jsonl
  // file in DIR) is opened for appending instead.
  absl::StatusOr<int> Create(Sub sub, absl::string_view name);
  // Creates `name` for reading and writing at offsets (a stitched object's sparse file);
  // AlreadyExists, not counted as an error, when the name is taken (an earlier run's file
  // under --append): the caller picks another name.
  absl::StatusOr<int> CreateExclusive(Sub sub, absl::string_view name);
  // Opens an existing file of ours for reading and writing at offsets (no symlinks followed).
  absl::StatusOr<int> OpenReadWrite(Sub sub, absl::string_view name);
  // Opens an existing file of ours for appending (no symlinks followed).
  absl::StatusOr<int> OpenAppend(Sub sub, absl::string_view name);

  // Renames `from` to `to` within `sub` (same rules for names as Create). `to` must not
  // exist: a name already taken gets "-1", "-2", ... before its extension; returns the
  // name used.
  absl::StatusOr<std::string> Rename(Sub sub, absl::string_view from, absl::string_view to);
  // Writes `bytes` as the whole of `name` at once: to a temporary name, then renamed over
  // it, so a reader never sees a half-written file (stats.json).
  absl::Status WriteWhole(Sub sub, absl::string_view name, absl::string_view bytes);

  // Writes all of `bytes` to fd; on failure counts it, reports the first one, returns false.
  // Safe to call from the background writer and the main thread at once.
  bool WriteAll(int fd, absl::string_view bytes, absl::string_view what);
  // The same at `offset` (pwrite), for files written by offset.
  bool WriteAllAt(int fd, uint64_t offset, absl::string_view bytes, absl::string_view what);
  uint64_t write_errors() const;
  std::string first_error() const;

 private:
  OutputDir(std::string path, int top, int streams, int objects)
      : path_(std::move(path)), top_(top), streams_(streams), objects_(objects) {}
  int DirFd(Sub sub) const;
  void RecordError(std::string message);
  // errno's failure to `verb` (create, open, rename) `name` in `sub` (to `to`, if given):
  // recorded as a write error and returned, "cannot VERB DIR/sub/NAME[ to TO]: strerror".
  absl::Status Failure(absl::string_view verb, Sub sub, absl::string_view name,
                       absl::string_view to = "");
  // WriteAll (offset null: write, as the file's O_APPEND says) and WriteAllAt (pwrite).
  bool WriteLoop(int fd, const uint64_t* offset, absl::string_view bytes, absl::string_view what);

  std::string path_;
  int top_, streams_, objects_;
  bool append_ = false;
  mutable std::mutex mu_;  // guards the two error fields
  uint64_t write_errors_ = 0;
  std::string first_error_;
};

// The bytes of one output file (a stream file, an object) held until they are handed to
// the BackgroundWriter, whose first hand-over creates the file. A file handed over before
// is a long one: its next buffer is taken at the threshold at once and handed over before
// an append would pass it, so its bytes are copied in once, never again by a doubling of
// the string (which past 128 KiB is an mmap, a copy and an munmap).
class FileBuffer {
 public:
  // Whether the buffer must be handed over before `n` more bytes are appended.
  bool FullFor(size_t n) const {
    return handed_over_ && !buf_.empty() && buf_.size() + n > buf_.capacity();
  }
  // Appends; `threshold` is the size at which the owner hands the buffer over.
  void Append(absl::string_view bytes, size_t threshold) {
    if (handed_over_ && buf_.empty()) buf_.reserve(std::max(threshold, bytes.size()));
    buf_.append(bytes.data(), bytes.size());
  }
  // The bytes, for BackgroundWriter::Write; `create` is set the first time (the file is
  // made then).
  std::string TakeBytes(bool* create) {
    *create = !handed_over_;
    handed_over_ = true;
    return std::exchange(buf_, std::string());
  }
  size_t size() const { return buf_.size(); }
  bool empty() const { return buf_.empty(); }
  bool handed_over() const { return handed_over_; }
  // Bytes allocated (none while it fits in the string itself).
  size_t held() const {
    static const size_t kInline = std::string().capacity();
    return buf_.capacity() > kInline ? buf_.capacity() : 0;
  }

 private:
  std::string buf_;
  bool handed_over_ = false;
};

// Appends buffers to files of the output directory on a background thread, so that the
// kernel's copy into the page cache runs on the second core while packets are processed.
// One thread runs the jobs in submission order, so each file's bytes stay in order.
// Bytes waiting are capped: Write blocks while more than `max_pending` bytes wait.
class BackgroundWriter {
 public:
  BackgroundWriter(OutputDir* dir, size_t max_pending = 16u << 20);
  ~BackgroundWriter();  // drains

  // Appends `bytes` to `name` in `sub`; `create` empties or creates the file first.
  void Write(OutputDir::Sub sub, std::string name, std::string bytes, bool create);
  // Returns once every job submitted so far is written.
  void Drain();

 private:
  struct Job {
    OutputDir::Sub sub;
    std::string name;
    std::string bytes;
    bool create;
  };
  void Run();
  static size_t JobCost(const std::string& name, const std::string& bytes);
  // The writer thread's descriptor for a job's file, from a small cache of the most
  // recently written files (a download's file gets many jobs: one open, not one per job).
  absl::StatusOr<int> FdFor(const Job& job);
  void CloseAll();

  OutputDir* dir_;
  size_t max_pending_;
  std::mutex mu_;
  std::condition_variable work_, room_;
  std::deque<Job> jobs_;
  size_t pending_bytes_ = 0;
  // Who sleeps on which condition: a wake-up costs a system call, so each side only
  // signals the other when it is known to wait.
  bool writer_idle_ = false;
  int producers_waiting_ = 0;
  bool busy_ = false;
  bool stop_ = false;
  // Writer thread only: open files, most recently used first.
  static constexpr size_t kOpenFiles = 32;
  std::list<std::pair<std::string, int>> open_;
  std::thread thread_;
};

// One JSON-lines file: records are buffered and written in whole lines; after a failed
// write the file is truncated back to the end of the last complete line.
class JsonlFile {
 public:
  JsonlFile(OutputDir* dir, std::string name) : dir_(dir), name_(std::move(name)) {}
  ~JsonlFile();
  void Append(const nlohmann::json& record);
  void Flush();
  // Closes the file and renames it `rotated_name` (see OutputDir::Rename) when it holds
  // records; the next Flush starts `name` anew. Returns the name used, or "" when the
  // file held no records and was left as it is.
  std::string Rotate(absl::string_view rotated_name);
  uint64_t records() const { return records_; }
  const std::string& name() const { return name_; }

 private:
  OutputDir* dir_;
  std::string name_;
  int fd_ = -1;
  bool failed_open_ = false;
  std::string buffer_;
  uint64_t good_size_ = 0;  // bytes of complete lines on disk
  uint64_t records_ = 0;
  uint64_t records_in_file_ = 0;  // since the file was (re)created
};

// Turns a name taken from traffic (a URI, a MIME filename, a command argument) into a safe
// file name: the last path component only, bytes outside [A-Za-z0-9._+-] replaced by '_',
// no leading dots, at most 80 bytes. Never empty, never "." or "..".
std::string SanitizeFileName(absl::string_view name, absl::string_view fallback = "object");

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_OUTPUT_DIR_H_
