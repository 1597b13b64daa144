// TLS record framing; see record_layer.h.
#include "tls/record_layer.h"

namespace tcpfollow::tls {
namespace {

uint8_t B(absl::string_view s, size_t i) { return static_cast<uint8_t>(s[i]); }

}  // namespace

bool PlausibleRecordHeader(absl::string_view p, size_t max_length) {
  if (p.size() < 5) return false;
  uint8_t type = B(p, 0);
  if (type < kChangeCipherSpec || type > kHeartbeat) return false;
  if (B(p, 1) != 3 || B(p, 2) > 4) return false;
  size_t len = (size_t{B(p, 3)} << 8) | B(p, 4);
  return len > 0 && len <= max_length;
}

size_t TlsRecordReader::FindHeader(absl::string_view data) const {
  for (size_t i = 0; i + 5 <= data.size(); ++i) {
    if (!PlausibleRecordHeader(data.substr(i), limits_.max_record_length)) continue;
    uint16_t v = (uint16_t{B(data, i + 1)} << 8) | B(data, i + 2);
    if (resync_version_ != 0 && v != resync_version_) continue;
    return i;
  }
  return absl::string_view::npos;
}

size_t TlsRecordReader::NeededLength(absl::string_view data) const {
  if (first_ && allow_sslv2_ && !data.empty() && (B(data, 0) & 0x80)) {
    if (data.size() < 3) return 3;
    size_t len = ((size_t{B(data, 0)} & 0x7f) << 8) | B(data, 1);
    return len > limits_.max_record_length ? 3 : 2 + len;  // over the cap: fail on 3 bytes
  }
  if (data.size() < 5) return 5;
  size_t len = (size_t{B(data, 3)} << 8) | B(data, 4);
  return len > limits_.max_record_length ? 5 : 5 + len;
}

size_t TlsRecordReader::FrameRecords(absl::string_view data, const Callback& on_record) {
  size_t pos = 0;
  while (in_sync_) {
    absl::string_view rest = data.substr(pos);
    if (rest.empty()) break;
    if (first_ && allow_sslv2_ && (B(rest, 0) & 0x80)) {
      // SSLv2 record: 2-byte length with the high bit set, then msg type 1 (ClientHello).
      if (rest.size() < 3) break;
      size_t len = ((size_t{B(rest, 0)} & 0x7f) << 8) | B(rest, 1);
      if (B(rest, 2) != 1 || len < 9 || len > limits_.max_record_length) {
        ++stats_.bad_headers;
        in_sync_ = false;
        break;
      }
      if (rest.size() < 2 + len) break;
      first_ = false;
      ++stats_.records;
      stats_.bytes += 2 + len;
      pos += 2 + len;
      on_record(TlsRecord{kSslv2ClientHello, 0x0002, rest.substr(2, len)});
      continue;
    }
    if (rest.size() < 5) break;
    if (!PlausibleRecordHeader(rest, limits_.max_record_length)) {
      ++stats_.bad_headers;
      in_sync_ = false;
      break;
    }
    size_t len = (size_t{B(rest, 3)} << 8) | B(rest, 4);
    if (rest.size() < 5 + len) break;
    first_ = false;
    ++stats_.records;
    stats_.bytes += 5 + len;
    pos += 5 + len;
    on_record(TlsRecord{B(rest, 0), static_cast<uint16_t>((B(rest, 1) << 8) | B(rest, 2)),
                        rest.substr(5, len)});
  }
  return pos;
}

bool TlsRecordReader::Feed(absl::string_view bytes, const Callback& on_record) {
  if (hunting_) {
    buf_.append(bytes.data(), bytes.size());
    size_t at = FindHeader(buf_);
    if (at == absl::string_view::npos) {
      // Keep the last 4 bytes: a header may straddle the next chunk.
      size_t drop = buf_.size() > 4 ? buf_.size() - 4 : 0;
      stats_.skipped_bytes += drop;
      buf_.erase(0, drop);
      return true;
    }
    stats_.skipped_bytes += at;
    hunting_ = false;
    in_sync_ = true;
    ++stats_.resyncs;
    std::string data = buf_.substr(at);
    buf_.clear();
    size_t used = FrameRecords(data, on_record);
    if (in_sync_) buf_ = data.substr(used);
    return in_sync_;
  }
  if (!in_sync_) return false;
  // Complete the one buffered record first.
  while (!buf_.empty() && !bytes.empty()) {
    size_t need = NeededLength(buf_);
    if (buf_.size() >= need) break;
    size_t take = std::min(bytes.size(), need - buf_.size());
    buf_.append(bytes.data(), take);
    bytes.remove_prefix(take);
  }
  if (!buf_.empty()) {
    size_t used = FrameRecords(buf_, on_record);
    buf_.erase(0, used);
    if (!in_sync_) return false;
    if (!buf_.empty()) return true;  // still incomplete: `bytes` is used up
  }
  size_t used = FrameRecords(bytes, on_record);
  if (!in_sync_) return false;
  bytes.remove_prefix(used);
  buf_.assign(bytes.data(), bytes.size());
  return true;
}

void TlsRecordReader::OnGap() {
  buf_.clear();
  first_ = false;
  hunting_ = true;
  in_sync_ = false;
}

}  // namespace tcpfollow::tls
