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

}  // namespace

absl::StatusOr<std::vector<std::string>> ExtractPcapngSecrets(const std::string& path) {
  // Only a regular file can be read twice: a FIFO's bytes read here would be lost to the
  // packet reader.
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) return std::vector<std::string>();
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::vector<std::string> out;
  size_t total = 0;
  bool swap = false;
  uint8_t hdr[12];
  bool first = true;
  while (std::fread(hdr, 1, 8, f.get()) == 8) {
    uint32_t type;
    std::memcpy(&type, hdr, 4);  // the SHB type reads the same in both byte orders
    if (type == kSectionHeader) {
      if (std::fread(hdr + 8, 1, 4, f.get()) != 4) break;
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
      if (std::fseek(f.get(), static_cast<long>(len) - 12, SEEK_CUR) != 0) break;
      first = false;
      continue;
    }
    if (first) break;  // not a pcapng file
    type = Load32(hdr, swap);
    uint32_t len = Load32(hdr + 4, swap);
    if (len < 12 || len % 4 != 0) break;
    if (type == kDecryptionSecrets && len >= 20) {
      uint8_t dsb[8];
      if (std::fread(dsb, 1, 8, f.get()) != 8) break;
      uint32_t secrets_type = Load32(dsb, swap);
      uint32_t secrets_len = Load32(dsb + 4, swap);
      if (secrets_len > len - 20) break;
      if (secrets_type == kTlsKeyLog && total + secrets_len <= kMaxPcapngSecretBytes) {
        std::string text(secrets_len, '\0');
        if (std::fread(text.data(), 1, secrets_len, f.get()) != secrets_len) break;
        total += secrets_len;
        out.push_back(std::move(text));
        if (std::fseek(f.get(), static_cast<long>(len - 20 - secrets_len), SEEK_CUR) != 0) break;
      } else if (std::fseek(f.get(), static_cast<long>(len) - 16, SEEK_CUR) != 0) {
        break;
      }
      continue;
    }
    if (std::fseek(f.get(), static_cast<long>(len) - 8, SEEK_CUR) != 0) break;
  }
  return out;
}

}  // namespace tcpfollow
