#include "tools/session/keys.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "tins_ext/pcapng_secrets.h"

namespace tcpfollow {
namespace {

// Reads a key material file from `offset` on in 1 MiB chunks (tls::ReadFileFn).
absl::StatusOr<uint64_t> ReadKeyFile(const std::string& path, uint64_t offset,
                                     const std::function<void(absl::string_view)>& chunk) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    return absl::Status(
        errno == ENOENT ? absl::StatusCode::kNotFound : absl::StatusCode::kUnavailable,
        absl::StrCat("cannot read ", path, ": ", std::strerror(errno)));
  }
  struct stat st;
  if (fstat(fileno(f.get()), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) < offset) {
    return static_cast<uint64_t>(st.st_size);  // truncated since the last look
  }
  if (offset > 0 && std::fseek(f.get(), static_cast<long>(offset), SEEK_SET) != 0) {
    return absl::UnavailableError(absl::StrCat("cannot seek in ", path));
  }
  std::string buf(1 << 20, '\0');
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) {
    chunk(absl::string_view(buf.data(), n));
    offset += n;
  }
  return offset;
}

}  // namespace

absl::StatusOr<std::unique_ptr<tls::KeyMaterial>> LoadKeyMaterial(const Options& o) {
  tls::KeyMaterialOptions k;
  k.keylogs = o.keylogs;
  k.rsa_keys = o.rsa_keys;
  k.rsa_key_password = o.rsa_key_password;
  k.psks = o.psks;
  k.live = !o.interface.empty();
  if (!o.read_file.empty() && o.read_file != "-") {
    k.capture = o.read_file;  // read again for its ClientHello randoms when a key log is big
    // pcapng Decryption Secrets Blocks carry key log text inside the capture.
    auto secrets = ExtractPcapngSecrets(o.read_file);
    if (secrets.ok()) k.secrets_blocks = std::move(*secrets);
  }
  auto keys = tls::KeyMaterial::Load(k, ReadKeyFile);
  if (!keys.ok()) return keys.status();
  for (const std::string& w : (*keys)->warnings()) {
    std::fprintf(stderr, "tcpfollow: %s\n", w.c_str());
  }
  return keys;
}

nlohmann::json KeyMaterialStats(const tls::KeyMaterial& keys) {
  tls::KeyLogStats k = keys.keylog().stats();
  return {{"keylog_lines", k.lines},
          {"keylog_secrets", keys.keylog().size()},
          {"keylog_ignored_labels", k.ignored_labels},
          {"keylog_malformed_lines", k.malformed},
          {"keylog_long_lines", k.long_lines},
          {"keylog_evicted", k.evicted},
          {"keylog_not_in_capture", k.not_in_capture},
          {"rsa_keys", keys.rsa_keys().size()},
          {"psks", keys.psks().size()},
          {"session_cache", {{"stored", keys.session_cache_stats().stored},
                             {"evicted", keys.session_cache_stats().evicted},
                             {"hits", keys.session_cache_stats().hits}}}};
}

}  // namespace tcpfollow
