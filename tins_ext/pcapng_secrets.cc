// Decryption Secrets Block walk; see pcapng_secrets.h. pcapng: draft-ietf-opsawg-pcapng,
// sections 3.1 (block layout), 4.1 (Section Header Block), 4.7 (Decryption Secrets Block).
#include "tins_ext/pcapng_secrets.h"

#include <sys/stat.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace tcpfollow {

namespace {

constexpr uint32_t kSectionHeader = 0x0A0D0D0A;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr uint32_t kDecryptionSecrets = 0x0000000A;
constexpr uint32_t kTlsKeyLog = 0x544c534b;

uint32_t Load32(const uint8_t* p, bool swap) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return swap ? __builtin_bswap32(v) : v;
}

// A file read with fread/fseek.
class FileSource {
 public:
  explicit FileSource(FILE* f) : f_(f) {}
  bool Read(void* out, size_t n) { return std::fread(out, 1, n, f_) == n; }
  bool Skip(uint64_t n) { return std::fseek(f_, static_cast<long>(n), SEEK_CUR) == 0; }

 private:
  FILE* f_;
};

// Bytes in memory.
class MemorySource {
 public:
  explicit MemorySource(absl::string_view s) : s_(s) {}
  bool Read(void* out, size_t n) {
    if (s_.size() < n) return false;
    std::memcpy(out, s_.data(), n);
    s_.remove_prefix(n);
    return true;
  }
  bool Skip(uint64_t n) {
    if (s_.size() < n) return false;
    s_.remove_prefix(n);
    return true;
  }

 private:
  absl::string_view s_;
};

template <typename Source>
std::vector<std::string> Walk(Source& in) {
  std::vector<std::string> out;
  size_t total = 0;
  bool swap = false;
  uint8_t hdr[12];
  bool first = true;
  while (in.Read(hdr, 8)) {
    uint32_t type;
    std::memcpy(&type, hdr, 4);  // the SHB type reads the same in both byte orders
    if (type == kSectionHeader) {
      if (!in.Read(hdr + 8, 4)) break;
      uint32_t magic;
      std::memcpy(&magic, hdr + 8, 4);
      if (magic == kByteOrderMagic) {
        swap = false;
      } else if (magic == __builtin_bswap32(kByteOrderMagic)) {
        swap = true;
      } else {
        break;
      }
      uint32_t len = Load32(hdr + 4, swap);
      if (len < 28 || len % 4 != 0) break;
      if (!in.Skip(len - 12)) break;
      first = false;
      continue;
    }
    if (first) break;  // not a pcapng file
    type = Load32(hdr, swap);
    uint32_t len = Load32(hdr + 4, swap);
    if (len < 12 || len % 4 != 0) break;
    if (type == kDecryptionSecrets && len >= 20) {
      uint8_t dsb[8];
      if (!in.Read(dsb, 8)) break;
      uint32_t secrets_type = Load32(dsb, swap);
      uint32_t secrets_len = Load32(dsb + 4, swap);
      if (secrets_len > len - 20) break;  // header 16 + data + trailing length 4
      if (secrets_type == kTlsKeyLog && total + secrets_len <= kMaxPcapngSecretBytes) {
        std::string text(secrets_len, '\0');
        if (!in.Read(text.data(), secrets_len)) break;
        total += secrets_len;
        out.push_back(std::move(text));
        // Past the padding, options and trailing length (16 header bytes and the secrets
        // are read).
        if (!in.Skip(len - 16 - secrets_len)) break;
      } else if (!in.Skip(len - 16)) {
        break;
      }
      continue;
    }
    if (!in.Skip(len - 8)) break;
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> ExtractPcapngSecrets(const std::string& path) {
  // Only a regular file can be read twice: a FIFO's bytes read here would be lost to the
  // packet reader.
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return std::vector<std::string>();
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  FileSource in(f.get());
  return Walk(in);
}

std::vector<std::string> ExtractPcapngSecretsFromBytes(absl::string_view file) {
  MemorySource in(file);
  return Walk(in);
}

}  // namespace tcpfollow
