// NSS key log store (SSLKEYLOGFILE): parses lines "LABEL <client_random hex> <secret hex>",
// indexes secrets by (label, client random) for O(1) lookup per session, and accepts text
// incrementally (a live capture's key log is tailed by the tool, pcapng Decryption Secrets
// Blocks are passed whole). Labels used: CLIENT_RANDOM, CLIENT_EARLY_TRAFFIC_SECRET,
// CLIENT/SERVER_HANDSHAKE_TRAFFIC_SECRET, CLIENT/SERVER_TRAFFIC_SECRET_0; other labels
// (EXPORTER_SECRET, EARLY_EXPORTER_SECRET, RSA, ...) and comments are parsed and ignored.
// Thread-safe: lookups may run while text is added. No file I/O.
#ifndef TCPFOLLOW_TLS_KEYLOG_H_
#define TCPFOLLOW_TLS_KEYLOG_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace tcpfollow::tls {

enum class SecretLabel : uint8_t {
  kClientRandom,  // TLS <= 1.2 master secret
  kClientEarlyTraffic,
  kClientHandshakeTraffic,
  kServerHandshakeTraffic,
  kClientTraffic0,
  kServerTraffic0,
};

// Where a session gets its secrets. KeyLogStore is the real one; fuzzers inject others.
class SecretSource {
 public:
  virtual ~SecretSource() = default;
  virtual std::optional<std::string> Find(SecretLabel label,
                                          absl::string_view client_random) const = 0;
  // Grows whenever secrets are added; a session waiting for a secret looks again only then.
  virtual uint64_t generation() const = 0;
};

struct KeyLogLimits {
  size_t max_line_length = 1024;
  size_t max_entries = 4 * 1024 * 1024;
};

struct KeyLogStats {
  uint64_t lines = 0;
  uint64_t entries = 0;         // secrets stored
  uint64_t ignored_labels = 0;  // well-formed lines with labels decryption does not use
  uint64_t malformed = 0;       // lines that are not "LABEL hex hex"
  uint64_t long_lines = 0;      // lines over max_line_length (dropped)
  uint64_t full = 0;            // entries dropped at max_entries
};

class KeyLogStore : public SecretSource {
 public:
  explicit KeyLogStore(KeyLogLimits limits = {}) : limits_(limits) {}

  // Parses complete key log text (a file's whole content, a pcapng DSB); a last line
  // without a newline counts.
  void AddKeyLogText(absl::string_view text);
  // Parses bytes appended to a tailed file: a trailing partial line waits for its newline.
  void AppendKeyLogBytes(absl::string_view bytes);

  std::optional<std::string> Find(SecretLabel label,
                                  absl::string_view client_random) const override;
  uint64_t generation() const override;
  KeyLogStats stats() const;
  size_t size() const;

 private:
  void ParseLineLocked(absl::string_view line);

  KeyLogLimits limits_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> secrets_;  // label byte + random -> secret
  std::string partial_;
  bool skipping_long_line_ = false;
  uint64_t generation_ = 0;
  KeyLogStats stats_;
};

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_KEYLOG_H_
