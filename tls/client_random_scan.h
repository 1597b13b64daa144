// Finds the client randoms of every TLS ClientHello in a capture file's raw bytes, without
// decoding packets: a ClientHello's first 43 bytes (record header, handshake header,
// version, random) almost always sit in one TCP segment, so matching that byte pattern
// anywhere in the file finds them, whatever the link type, tunnel or pcap/pcapng framing.
// SSLv2-compatible ClientHellos are matched too (their challenge, left-padded, is the
// random). Used to keep only the key log secrets a capture can use (a browser's key log
// holds months of sessions). A false match only adds an unused random; a ClientHello
// split inside its first 43 bytes (or inside IP fragments) is missed. Compressed files
// (gzip, zstd, xz) are not plain captures: the scan says so and finds nothing.
#ifndef TCPFOLLOW_TLS_CLIENT_RANDOM_SCAN_H_
#define TCPFOLLOW_TLS_CLIENT_RANDOM_SCAN_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "tls/keylog.h"

namespace tcpfollow::tls {

struct ClientRandomScanLimits {
  size_t max_randoms = 4 * 1024 * 1024;  // 32 bytes each (and the set's overhead)
};

struct ClientRandomScanStats {
  uint64_t bytes = 0;
  uint64_t hellos = 0;  // matches, duplicates included
  uint64_t full = 0;    // randoms dropped at max_randoms
};

class ClientRandomScanner {
 public:
  explicit ClientRandomScanner(ClientRandomScanLimits limits = {}) : limits_(limits) {}
  // The file's bytes in order, in chunks of any size.
  void Feed(absl::string_view chunk);
  // The end of the file.
  void Finish();
  // False if the file does not start like a pcap or pcapng file (compressed, or not a
  // capture): its randoms cannot be found this way.
  bool plain_capture() const { return plain_; }
  bool complete() const { return plain_ && stats_.full == 0; }
  const ClientRandomSet& randoms() const { return randoms_; }
  ClientRandomSet TakeRandoms() { return std::move(randoms_); }
  const ClientRandomScanStats& stats() const { return stats_; }

 private:
  // Matches at positions [0, end) of buf_.
  void Scan(size_t end);
  void Add(const uint8_t* random, size_t len);

  ClientRandomScanLimits limits_;
  std::string buf_;  // unscanned tail of the previous chunk + the current chunk
  bool started_ = false;
  bool plain_ = true;
  ClientRandomSet randoms_;
  ClientRandomScanStats stats_;
};

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_CLIENT_RANDOM_SCAN_H_
