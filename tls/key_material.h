// Everything a run decrypts TLS with, loaded once from the command line's files: key logs
// (tailed while capturing live), the key log text of pcapng Decryption Secrets Blocks, RSA
// private keys, pre-shared keys (--psk), and the resumption cache shared by all sessions. The tool reads files
// through a ReadFileFn it supplies (this package opens no files); the loader streams key
// logs in chunks (never a whole file in memory) and, once a key log turns out big, scans
// the capture file's bytes for its ClientHello randoms (client_random_scan.h) and keeps
// only the secrets the capture can use. Errors name the file at fault; problems that do
// not stop the run (unparsable key log lines) become warnings, each said once.
#ifndef TCPFOLLOW_TLS_KEY_MATERIAL_H_
#define TCPFOLLOW_TLS_KEY_MATERIAL_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tls/keylog.h"
#include "tls/psk.h"
#include "tls/rsa_keys.h"
#include "tls/session_cache.h"
#include "tls/tls_decryptor.h"

namespace tcpfollow::tls {

struct KeyMaterialOptions {
  std::vector<std::string> keylogs;   // NSS key log files
  std::vector<std::string> rsa_keys;  // "[IP:PORT:]FILE"
  std::string rsa_key_password;
  std::vector<std::string> psks;      // "[IDENTITY:]HEX" (--psk)
  std::vector<std::string> secrets_blocks;  // key log texts from pcapng DSBs
  bool live = false;  // key logs may not exist yet; Refresh() picks up appended lines
  // A capture file that can be read again (not stdin, not a device), for the client
  // random scan; empty: no scan.
  std::string capture;
};

struct KeyMaterialLimits {
  KeyLogLimits keylog;
  // Once the key logs hold this many secrets (and a capture file is given), scan the
  // capture for its client randoms and keep only their secrets. Small key logs skip the
  // scan (it reads the whole capture once more).
  size_t scan_capture_after_entries = 64 * 1024;
};

// Reads `path` from byte `offset` on, calling `chunk` with the bytes in order; returns the
// offset after the last byte (the file's size). A missing file is NotFound.
using ReadFileFn = std::function<absl::StatusOr<uint64_t>(
    const std::string& path, uint64_t offset, const std::function<void(absl::string_view)>& chunk)>;

class KeyMaterial {
 public:
  static absl::StatusOr<std::unique_ptr<KeyMaterial>> Load(const KeyMaterialOptions& options,
                                                           ReadFileFn read,
                                                           KeyMaterialLimits limits = {});

  // The stores for a TlsDecryptor (shared by every session and worker; all locked).
  TlsDecryptorConfig Config();
  // A Decryption Secrets Block met while reading the capture (a compressed pcapng, or one
  // on standard input, which cannot be scanned for them beforehand).
  void AddSecretsBlock(absl::string_view key_log_text);
  size_t secrets_blocks() const { return secrets_blocks_; }
  // Live: reads what was appended to the key logs since the last look.
  void Refresh();
  // Problems worth one line each on standard error ("key log F: 3 lines could not be
  // parsed, the first is line 17").
  const std::vector<std::string>& warnings() const { return warnings_; }
  // "key log secrets 4 (...), from pcapng DSBs: 2; RSA keys 1" for the run summary.
  std::string Summary() const;
  bool empty() const { return keylog_.size() == 0 && rsa_.size() == 0 && psks_.size() == 0; }

  const KeyLogStore& keylog() const { return keylog_; }
  const RsaKeyStore& rsa_keys() const { return rsa_; }
  SessionCacheStats session_cache_stats() const { return sessions_.stats(); }
  const PskStore& psks() const { return psks_; }

 private:
  struct Tailed {
    std::string path;
    uint64_t offset = 0;
    std::unique_ptr<KeyLogFeed> feed;
  };

  KeyMaterial(ReadFileFn read, KeyMaterialLimits limits)
      : read_(std::move(read)), limits_(limits), keylog_(limits.keylog) {}
  absl::Status LoadKeyLog(const std::string& path, bool live);
  void MaybeScanCapture();
  void Warn(const std::string& source, const KeyLogFeed& feed);

  ReadFileFn read_;
  KeyMaterialLimits limits_;
  std::string capture_;
  bool scanned_ = false;
  KeyLogStore keylog_;
  RsaKeyStore rsa_;
  PskStore psks_;
  TlsSessionCache sessions_;
  std::vector<Tailed> tailed_;
  size_t secrets_blocks_ = 0;
  uint64_t capture_randoms_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_KEY_MATERIAL_H_
