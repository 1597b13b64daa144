// NSS key log store (SSLKEYLOGFILE): parses lines "LABEL <client_random hex> <secret hex>",
// indexes secrets by (label, client random) for O(1) lookup per session, and accepts text
// incrementally: each source (a key log file, tailed while capturing; a pcapng Decryption
// Secrets Block) is fed through its own KeyLogFeed, which splits lines, numbers them and
// remembers the first one it could not parse. Labels used: CLIENT_RANDOM,
// CLIENT_EARLY_TRAFFIC_SECRET, CLIENT/SERVER_HANDSHAKE_TRAFFIC_SECRET,
// CLIENT/SERVER_TRAFFIC_SECRET_0; other labels (EXPORTER_SECRET, EARLY_EXPORTER_SECRET, RSA,
// ...) and comments are parsed and ignored.
//
// Memory: secrets are stored as fixed-size binary keys and values (83 bytes a slot, no
// strings), in two generations: when the newer one holds max_entries / 2 secrets the older
// one is dropped (counted), so a key log tailed for months stays bounded and keeps its most
// recent secrets. A client-random filter (the randoms of the capture's ClientHellos, see
// client_random_scan.h) makes the store keep only secrets the capture can use.
// Thread-safe: lookups may run while text is added. No file I/O.
#ifndef TCPFOLLOW_TLS_KEYLOG_H_
#define TCPFOLLOW_TLS_KEYLOG_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
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

const char* SecretLabelName(SecretLabel label);

// Where a session gets its secrets. KeyLogStore is the real one; fuzzers inject others.
class SecretSource {
 public:
  virtual ~SecretSource() = default;
  virtual std::optional<std::string> Find(SecretLabel label,
                                          absl::string_view client_random) const = 0;
  // Grows whenever secrets are added; a session waiting for a secret looks again only then.
  virtual uint64_t generation() const = 0;
};

using ClientRandom = std::array<uint8_t, 32>;
using ClientRandomSet = absl::flat_hash_set<ClientRandom>;

struct KeyLogLimits {
  size_t max_line_length = 1024;
  // Secrets kept: the newest max_entries / 2 to max_entries (two generations). 256 Ki
  // secrets take at most ~45 MB (~65 MB while a table grows); TLS 1.3 sessions log 4-5
  // secrets each. A key log scanned against the capture (key_material.h) keeps far fewer.
  size_t max_entries = 256 * 1024;
};

struct KeyLogStats {
  uint64_t lines = 0;
  uint64_t entries = 0;          // secrets stored (including ones later evicted)
  uint64_t ignored_labels = 0;   // well-formed lines with labels decryption does not use
  uint64_t malformed = 0;        // lines that are not "LABEL hex hex" of usable sizes
  uint64_t long_lines = 0;       // lines over max_line_length (dropped)
  uint64_t evicted = 0;          // secrets dropped with the older generation at max_entries
  uint64_t not_in_capture = 0;   // secrets whose client random the filter does not hold
};

// What one line was.
enum class KeyLogLine : uint8_t {
  kBlank,      // empty or a comment
  kStored,
  kDuplicate,  // the same secret again
  kIgnored,    // a label decryption does not use
  kMalformed,
  kTooLong,
  kFiltered,   // not a client random of the capture
};

class KeyLogStore : public SecretSource {
 public:
  explicit KeyLogStore(KeyLogLimits limits = {});

  // Parses complete key log text (a file's whole content, a pcapng DSB); a last line
  // without a newline counts.
  void AddKeyLogText(absl::string_view text);
  // Parses bytes appended to a tailed file: a trailing partial line waits for its newline.
  // (One implicit source; use a KeyLogFeed per file when there are several.)
  void AppendKeyLogBytes(absl::string_view bytes);

  // Parses one line (without its newline).
  KeyLogLine AddLine(absl::string_view line);
  // A line over max_line_length that a feed did not buffer.
  void CountLongLine();

  // From now on keep only secrets of these client randoms; drops stored ones that are not.
  void SetClientRandomFilter(ClientRandomSet randoms);
  bool has_filter() const;

  std::optional<std::string> Find(SecretLabel label,
                                  absl::string_view client_random) const override;
  uint64_t generation() const override;
  KeyLogStats stats() const;
  size_t size() const;
  const KeyLogLimits& limits() const { return limits_; }

 private:
  struct Key {
    uint8_t label;
    ClientRandom random;
    bool operator==(const Key& o) const { return label == o.label && random == o.random; }
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(H::combine_contiguous(std::move(h), k.random.data(), 32), k.label);
    }
  };
  struct Secret {
    uint8_t len;
    std::array<uint8_t, 48> bytes;
  };
  using Map = absl::flat_hash_map<Key, Secret>;

  KeyLogLine AddLineLocked(absl::string_view line);
  const Secret* FindLocked(const Key& key) const;

  KeyLogLimits limits_;
  mutable absl::Mutex mu_;
  Map current_, previous_;
  std::optional<ClientRandomSet> filter_;
  std::string partial_;  // AppendKeyLogBytes' implicit source
  bool skipping_long_line_ = false;
  uint64_t generation_ = 0;
  KeyLogStats stats_;
};

// One key log source: splits bytes into lines for a store, numbers them, and remembers the
// first line that could not be parsed (for one message naming it).
class KeyLogFeed {
 public:
  explicit KeyLogFeed(KeyLogStore* store) : store_(store) {}
  // Bytes as they arrive; a trailing partial line waits for its newline (or Finish).
  void Append(absl::string_view bytes);
  // The source is complete: a last line without a newline counts.
  void Finish();

  uint64_t lines() const { return line_no_; }
  uint64_t bad_lines() const { return bad_lines_; }  // malformed or too long
  uint64_t first_bad_line() const { return first_bad_line_; }  // 1-based; 0: none

 private:
  void Line(absl::string_view line);
  // The held line is complete (its newline came, or the source ended): counted as too long
  // if it was, else parsed; then the next line starts.
  void EndLine();

  KeyLogStore* store_;
  std::string partial_;
  bool skipping_long_line_ = false;
  uint64_t line_no_ = 0;
  uint64_t bad_lines_ = 0;
  uint64_t first_bad_line_ = 0;
};

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_KEYLOG_H_
