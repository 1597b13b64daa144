// ClientHello pattern scan; see client_random_scan.h. RFC 5246 6.2.1 and 7.4.1.2 (record
// and ClientHello layout), E.2 (SSLv2-compatible ClientHello).
#include "tls/client_random_scan.h"

#include <cstring>

namespace tcpfollow::tls {
namespace {

// Bytes a match may need past its first byte: a TLS ClientHello 43; an SSLv2 one its
// header, cipher specs and session id (bounded here) and a 32-byte challenge.
constexpr size_t kMaxSslv2Specs = 3 * 256;
constexpr size_t kLookahead = 11 + kMaxSslv2Specs + 32 + 32;

bool CaptureMagic(const uint8_t* p) {
  uint32_t m;
  std::memcpy(&m, p, 4);
  switch (m) {
    case 0xa1b2c3d4: case 0xd4c3b2a1: case 0xa1b23c4d: case 0x4d3cb2a1:  // pcap (us, ns)
    case 0x0a0d0d0a:                                                      // pcapng
      return true;
    default:
      return false;
  }
}

}  // namespace

void ClientRandomScanner::Add(const uint8_t* random, size_t len) {
  ++stats_.hellos;
  ClientRandom r{};
  std::memcpy(r.data() + (32 - len), random, len);
  if (randoms_.size() >= limits_.max_randoms && !randoms_.contains(r)) {
    ++stats_.full;
    return;
  }
  randoms_.insert(r);
}

void ClientRandomScanner::Scan(size_t end) {
  const uint8_t* b = reinterpret_cast<const uint8_t*>(buf_.data());
  size_t n = buf_.size();
  for (size_t i = 0; i < end; ++i) {
    uint8_t c = b[i];
    if (c == 0x16) {
      // 16 03 0x LL LL | 01 LL LL LL | 03 0x | random[32]
      if (n - i < 43 || b[i + 1] != 3 || b[i + 2] > 4 || b[i + 5] != 1 || b[i + 9] != 3 ||
          b[i + 10] > 4) {
        continue;
      }
      size_t record_len = size_t{b[i + 3]} << 8 | b[i + 4];
      size_t hs_len = size_t{b[i + 6]} << 16 | size_t{b[i + 7]} << 8 | b[i + 8];
      if (record_len < 42 || record_len > 16384 + 2048 || hs_len < 38) continue;
      Add(b + i + 11, 32);
    } else if (c & 0x80) {
      // SSLv2 header: 1LLLLLLL LLLLLLLL | 01 | version(2) | specs_len(2) sid_len(2) ch_len(2)
      if (n - i < 11 || b[i + 2] != 1 || (b[i + 3] != 3 && b[i + 3] != 0)) continue;
      size_t len = size_t{static_cast<uint8_t>(c & 0x7f)} << 8 | b[i + 1];
      size_t specs = size_t{b[i + 5]} << 8 | b[i + 6];
      size_t sid = size_t{b[i + 7]} << 8 | b[i + 8];
      size_t ch = size_t{b[i + 9]} << 8 | b[i + 10];
      if (ch < 16 || ch > 32 || specs % 3 != 0 || specs > kMaxSslv2Specs || sid > 32 ||
          len != 9 + specs + sid + ch || n - i < 11 + specs + sid + ch) {
        continue;
      }
      Add(b + i + 11 + specs + sid, ch);
    }
  }
}

void ClientRandomScanner::Feed(absl::string_view chunk) {
  if (!plain_ || chunk.empty()) return;
  stats_.bytes += chunk.size();
  buf_.append(chunk.data(), chunk.size());
  if (!started_) {
    if (buf_.size() < 4) return;
    started_ = true;
    plain_ = CaptureMagic(reinterpret_cast<const uint8_t*>(buf_.data()));
    if (!plain_) {
      buf_.clear();
      return;
    }
  }
  if (buf_.size() <= kLookahead) return;
  size_t end = buf_.size() - kLookahead;
  Scan(end);
  buf_.erase(0, end);
}

void ClientRandomScanner::Finish() {
  if (!started_) plain_ = false;  // shorter than a file header
  if (plain_) Scan(buf_.size());
  buf_.clear();
}

}  // namespace tcpfollow::tls
