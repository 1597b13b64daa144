// Incremental TLS record framing over one reassembled direction: fed chunks of any size, it
// calls back once per complete record (type, version, fragment) and buffers at most one
// record. It validates the header (content type 20-24, version 3.x, length under the cap)
// and recognises an SSLv2-compatible ClientHello as the first record of a client stream.
// It does not decrypt or interpret fragments. After a framing error or a gap it is out of
// sync until Resync() finds a plausible header.
#ifndef TCPFOLLOW_TLS_RECORD_LAYER_H_
#define TCPFOLLOW_TLS_RECORD_LAYER_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/strings/string_view.h"

namespace tcpfollow::tls {

enum ContentType : uint8_t {
  kChangeCipherSpec = 20,
  kAlert = 21,
  kHandshake = 22,
  kApplicationData = 23,
  kHeartbeat = 24,
  kSslv2ClientHello = 0x80,  // pseudo type for an SSLv2-framed ClientHello
};

struct RecordLimits {
  // RFC 8446 5.2 / RFC 5246 6.2.3: 2^14 + 2048 is the largest legal ciphertext.
  size_t max_record_length = 16384 + 2048;
};

struct RecordStats {
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t bad_headers = 0;       // framing errors (not TLS, or over the length cap)
  uint64_t resyncs = 0;           // times Resync() found a header again
  uint64_t skipped_bytes = 0;     // bytes dropped while out of sync
};

struct TlsRecord {
  uint8_t type = 0;
  uint16_t version = 0;
  absl::string_view fragment;  // valid during the callback only
};

// True if `p` (at least 5 bytes) is a plausible TLS record header.
bool PlausibleRecordHeader(absl::string_view p, size_t max_length);

class TlsRecordReader {
 public:
  using Callback = std::function<void(const TlsRecord&)>;

  explicit TlsRecordReader(RecordLimits limits = {}, bool allow_sslv2_hello = false)
      : limits_(limits), allow_sslv2_(allow_sslv2_hello) {}

  // Frames `bytes`. Returns false once the stream is out of sync (sticky until Resync()).
  bool Feed(absl::string_view bytes, const Callback& on_record);
  // Bytes are missing before the next call: drop the partial record and look for a header.
  void OnGap();
  bool in_sync() const { return in_sync_; }
  // While out of sync, Feed looks for a plausible header of this version before framing again.
  void SetResyncVersion(uint16_t version) { resync_version_ = version; }
  size_t buffered() const { return buf_.size(); }
  const RecordStats& stats() const { return stats_; }

 private:
  // Frames complete records at the front of `data`; returns bytes consumed.
  size_t FrameRecords(absl::string_view data, const Callback& on_record);
  // Bytes needed to complete the record at the front of `data` (header size if unknown).
  size_t NeededLength(absl::string_view data) const;
  size_t FindHeader(absl::string_view data) const;

  RecordLimits limits_;
  bool allow_sslv2_;
  bool first_ = true;
  bool in_sync_ = true;
  bool hunting_ = false;  // after a gap: search for a header
  uint16_t resync_version_ = 0;
  std::string buf_;
  RecordStats stats_;
};

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_RECORD_LAYER_H_
