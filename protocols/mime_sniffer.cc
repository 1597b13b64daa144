// Implementation notes: the compiled database (magic.mgc, 8 MB) is mapped once per process,
// read-only, and every thread's handles are loaded from that mapping with
// magic_load_buffers (libmagic uses the buffer in place when its byte order is the host's,
// which the header check below ensures), so pages are shared and only those the walks touch
// are resident. If the mapping fails, each handle falls back to magic_load.
#include "protocols/mime_sniffer.h"

#include <fcntl.h>
#include <magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace tcpfollow {
namespace {

constexpr int kNoCostlyTests = MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF | MAGIC_NO_CHECK_JSON |
                               MAGIC_NO_CHECK_CSV | MAGIC_NO_CHECK_APPTYPE | MAGIC_NO_CHECK_TOKENS;
// Stage 1: the charset of text, or "binary"; no database walk.
constexpr int kEncodingFlags = MAGIC_MIME_ENCODING | MAGIC_NO_CHECK_SOFT | MAGIC_NO_CHECK_TEXT |
                               MAGIC_NO_CHECK_TAR | MAGIC_NO_CHECK_CDF | kNoCostlyTests;
// Stage 3: the MIME type. Tar and CDF (old Office documents) stay: they reject other data
// after a few bytes.
constexpr int kTypeFlags = MAGIC_MIME_TYPE | kNoCostlyTests;

constexpr uint32_t kMgcMagic = 0xF11E041C;  // first word of a compiled database

// The compiled database, mapped once for the whole process (never unmapped).
struct Database {
  void* data = nullptr;
  size_t size = 0;
};

const Database& SharedDatabase() {
  static const Database db = [] {
    Database d;
    const char* path = magic_getpath(nullptr, 0);  // "/etc/magic:/usr/share/misc/magic"
    for (absl::string_view p : absl::StrSplit(path != nullptr ? path : "", ':')) {
      std::string file(p);
      if (!absl::EndsWith(file, ".mgc")) file += ".mgc";
      int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) continue;
      struct stat st;
      void* m = MAP_FAILED;
      if (fstat(fd, &st) == 0 && st.st_size >= 8) {
        m = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
      }
      close(fd);
      if (m == MAP_FAILED) continue;
      uint32_t magic;
      std::memcpy(&magic, m, sizeof(magic));
      if (magic != kMgcMagic) {  // other byte order: libmagic would swap it in place
        munmap(m, st.st_size);
        continue;
      }
      d.data = m;
      d.size = st.st_size;
      break;
    }
    return d;
  }();
  return db;
}

magic_t Open(int flags, std::string* error) {
  magic_t m = magic_open(flags);
  if (m == nullptr) {
    *error = "magic_open failed";
    return nullptr;
  }
  const Database& db = SharedDatabase();
  void* buffers[] = {db.data};
  size_t sizes[] = {db.size};
  int rc = db.data != nullptr ? magic_load_buffers(m, buffers, sizes, 1) : -1;
  if (rc != 0) rc = magic_load(m, nullptr);
  if (rc != 0) {
    const char* e = magic_error(m);
    *error = std::string("libmagic: ") + (e != nullptr ? e : "no database");
    magic_close(m);
    return nullptr;
  }
  size_t bytes = kMimeSniffBytes;
  magic_setparam(m, MAGIC_PARAM_BYTES_MAX, &bytes);
  return m;
}

class ThreadMagic {
 public:
  ThreadMagic() {
    encoding_ = Open(kEncodingFlags, &error_);
    if (encoding_ != nullptr) type_ = Open(kTypeFlags, &error_);
  }
  ~ThreadMagic() {
    if (encoding_ != nullptr) magic_close(encoding_);
    if (type_ != nullptr) magic_close(type_);
  }
  ThreadMagic(const ThreadMagic&) = delete;
  ThreadMagic& operator=(const ThreadMagic&) = delete;

  bool ok() const { return encoding_ != nullptr && type_ != nullptr; }
  magic_t encoding() const { return encoding_; }
  magic_t type() const { return type_; }
  const std::string& error() const { return error_; }

 private:
  magic_t encoding_ = nullptr;
  magic_t type_ = nullptr;
  std::string error_;
};

ThreadMagic& ForThisThread() {
  thread_local ThreadMagic magic;
  return magic;
}

bool IsTokenChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
}

// The token at the start of `s` without trailing dots ("html." -> "html").
absl::string_view Token(absl::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsTokenChar(s[n])) ++n;
  s = s.substr(0, n);
  while (!s.empty() && s.back() == '.') s.remove_suffix(1);
  return s;
}

}  // namespace

nlohmann::json MimeSniffStats::ToJson() const {
  return {{"sniffed", sniffed},
          {"text_declared", text_declared},
          {"failed", failed},
          {"nanoseconds", nanoseconds}};
}

bool IsTextualMimeType(absl::string_view t) {
  if (absl::StartsWith(t, "text/") || absl::StartsWith(t, "message/") ||
      absl::EndsWith(t, "+xml") || absl::EndsWith(t, "+json")) {
    return true;
  }
  for (absl::string_view known :
       {"application/json", "application/javascript", "application/x-javascript",
        "application/ecmascript", "application/xml", "application/x-www-form-urlencoded"}) {
    if (t == known) return true;
  }
  return false;
}

std::string SniffMimeType(absl::string_view head, absl::string_view declared,
                          MimeSniffStats* stats) {
  if (head.empty()) return "";
  const auto start = std::chrono::steady_clock::now();
  head = head.substr(0, kMimeSniffBytes);
  ThreadMagic& magic = ForThisThread();
  std::string out;
  uint64_t* counter = nullptr;
  if (!magic.ok()) {
    out = std::string(declared);
    if (stats != nullptr) counter = &stats->failed;
  } else {
    const char* charset = magic_buffer(magic.encoding(), head.data(), head.size());
    const bool text = charset != nullptr && std::strcmp(charset, "binary") != 0;
    if (text && IsTextualMimeType(declared)) {
      out = std::string(declared);
      if (stats != nullptr) counter = &stats->text_declared;
    } else {
      const char* type = magic_buffer(magic.type(), head.data(), head.size());
      out = type != nullptr ? NormalizeMimeType(type) : "";
      if (stats != nullptr) counter = &stats->sniffed;
      if (out.empty()) {
        out = std::string(declared);
        if (stats != nullptr) counter = &stats->failed;
      }
    }
  }
  if (stats != nullptr) {
    ++*counter;
    stats->nanoseconds +=
        static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now() - start)
                                  .count());
  }
  return out;
}

std::string NormalizeMimeType(absl::string_view declared) {
  absl::string_view s = absl::StripLeadingAsciiWhitespace(declared);
  absl::string_view type = Token(s);
  if (type.empty() || type.size() >= s.size()) return "";
  s.remove_prefix(type.size());
  if (s.empty() || s.front() != '/') return "";
  absl::string_view subtype = Token(s.substr(1));
  if (subtype.empty()) return "";
  std::string out(type);
  out.push_back('/');
  out.append(subtype.data(), subtype.size());
  absl::AsciiStrToLower(&out);
  return out;
}

std::string MimeSnifferError() { return ForThisThread().error(); }

}  // namespace tcpfollow
