// Handshake reassembly and parsers; see handshake.h. RFC 5246 7.4, RFC 8446 4, RFC 6066,
// RFC 7301, RFC 7627, RFC 7366, RFC 5077, RFC 8449, SSLv2 compatibility per RFC 5246 E.2.
#include "tls/handshake.h"

#include "absl/status/status.h"

namespace tcpfollow::tls {
namespace {

// Bounds-checked big-endian reader; every failure is sticky.
class Reader {
 public:
  explicit Reader(absl::string_view s) : s_(s) {}
  bool ok() const { return ok_; }
  bool empty() const { return s_.empty(); }
  size_t size() const { return s_.size(); }
  uint32_t Uint(int n) {
    if (!ok_ || s_.size() < static_cast<size_t>(n)) return Fail(), 0;
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<uint8_t>(s_[i]);
    s_.remove_prefix(n);
    return v;
  }
  absl::string_view Bytes(size_t n) {
    if (!ok_ || s_.size() < n) return Fail(), absl::string_view();
    absl::string_view out = s_.substr(0, n);
    s_.remove_prefix(n);
    return out;
  }
  // A vector with an n-byte length prefix.
  absl::string_view Vec(int n) { return Bytes(Uint(n)); }
  absl::string_view Rest() {
    absl::string_view out = s_;
    s_ = {};
    return out;
  }

 private:
  void Fail() {
    ok_ = false;
    s_ = {};
  }
  absl::string_view s_;
  bool ok_ = true;
};

enum ExtensionType : uint16_t {
  kServerName = 0,
  kAlpn = 16,
  kEncryptThenMac = 22,
  kExtendedMasterSecret = 23,
  kRecordSizeLimit = 28,
  kSessionTicket = 35,
  kPreSharedKey = 41,
  kEarlyData = 42,
  kSupportedVersions = 43,
  kKeyShare = 51,
};

// SHA-256("HelloRetryRequest"), RFC 8446 4.1.3.
constexpr unsigned char kHrrRandom[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

absl::Status Malformed(absl::string_view what) {
  return absl::InvalidArgumentError(std::string("malformed ") + std::string(what));
}

// Calls fn(type, data) for each extension; false if the block is malformed.
template <typename Fn>
bool ForEachExtension(absl::string_view block, Fn fn) {
  Reader r(block);
  while (r.ok() && !r.empty()) {
    uint16_t type = r.Uint(2);
    absl::string_view data = r.Vec(2);
    if (!r.ok()) return false;
    if (!fn(type, data)) return false;
  }
  return r.ok();
}

bool ParseAlpnList(absl::string_view data, std::vector<std::string>* out) {
  Reader r(data);
  Reader list(r.Vec(2));
  while (r.ok() && list.ok() && !list.empty()) {
    absl::string_view name = list.Vec(1);
    if (list.ok()) out->emplace_back(name);
  }
  return r.ok() && list.ok();
}

}  // namespace

bool HandshakeAssembler::Feed(absl::string_view content, const Callback& on_message) {
  if (failed_) return false;
  absl::string_view data = content;
  if (!buf_.empty()) {
    buf_.append(content.data(), content.size());
    data = buf_;
  }
  size_t pos = 0;
  while (data.size() - pos >= 4) {
    size_t len = (size_t{static_cast<uint8_t>(data[pos + 1])} << 16) |
                 (size_t{static_cast<uint8_t>(data[pos + 2])} << 8) |
                 static_cast<uint8_t>(data[pos + 3]);
    if (len > limits_.max_message_length) {
      ++stats_.oversized;
      failed_ = true;
      buf_.clear();
      return false;
    }
    if (data.size() - pos < 4 + len) break;
    ++stats_.messages;
    absl::string_view whole = data.substr(pos, 4 + len);
    pos += 4 + len;
    on_message(static_cast<uint8_t>(whole[0]), whole.substr(4), whole);
  }
  if (buf_.empty()) {
    buf_.assign(data.data() + pos, data.size() - pos);
  } else {
    buf_.erase(0, pos);
  }
  return true;
}

absl::StatusOr<ClientHello> ParseClientHello(absl::string_view body) {
  ClientHello ch;
  Reader r(body);
  ch.version = r.Uint(2);
  ch.random = std::string(r.Bytes(32));
  ch.session_id = std::string(r.Vec(1));
  Reader suites(r.Vec(2));
  while (suites.ok() && suites.size() >= 2) ch.cipher_suites.push_back(suites.Uint(2));
  r.Vec(1);  // compression methods
  if (!r.ok()) return Malformed("ClientHello");
  if (r.empty()) return ch;
  absl::string_view ext_block = r.Vec(2);
  if (!r.ok()) return Malformed("ClientHello extensions");
  bool ok = ForEachExtension(ext_block, [&ch](uint16_t type, absl::string_view data) {
    Reader e(data);
    switch (type) {
      case kServerName: {
        Reader list(e.Vec(2));
        while (list.ok() && !list.empty()) {
          uint8_t name_type = list.Uint(1);
          absl::string_view name = list.Vec(2);
          if (list.ok() && name_type == 0 && ch.server_name.empty()) ch.server_name = std::string(name);
        }
        return e.ok() && list.ok();
      }
      case kAlpn: return ParseAlpnList(data, &ch.alpn);
      case kExtendedMasterSecret: ch.extended_master_secret = true; return true;
      case kEncryptThenMac: ch.encrypt_then_mac = true; return true;
      case kSessionTicket:
        ch.has_session_ticket = true;
        ch.session_ticket = std::string(data);
        return true;
      case kSupportedVersions: {
        Reader list(e.Vec(1));
        while (list.ok() && list.size() >= 2) ch.supported_versions.push_back(list.Uint(2));
        return e.ok();
      }
      case kKeyShare: ch.key_share = true; return true;
      case kPreSharedKey: ch.pre_shared_key = true; return true;
      case kEarlyData: ch.early_data = true; return true;
      case kRecordSizeLimit: ch.record_size_limit = e.Uint(2); return e.ok();
      default: return true;
    }
  });
  if (!ok) return Malformed("ClientHello extension");
  return ch;
}

absl::StatusOr<ClientHello> ParseSslv2ClientHello(absl::string_view record) {
  // msg_type(1)=1, version(2), cipher_specs_length(2), session_id_length(2),
  // challenge_length(2), cipher_specs (3 bytes each), session_id, challenge.
  Reader r(record);
  if (r.Uint(1) != 1) return Malformed("SSLv2 ClientHello");
  ClientHello ch;
  ch.version = r.Uint(2);
  size_t specs_len = r.Uint(2), sid_len = r.Uint(2), challenge_len = r.Uint(2);
  Reader specs(r.Bytes(specs_len));
  ch.session_id = std::string(r.Bytes(sid_len));
  absl::string_view challenge = r.Bytes(challenge_len);
  if (!r.ok() || challenge_len < 16 || challenge_len > 32 || specs_len % 3 != 0) {
    return Malformed("SSLv2 ClientHello");
  }
  while (specs.ok() && !specs.empty()) {
    uint32_t spec = specs.Uint(3);
    if (spec <= 0xffff) ch.cipher_suites.push_back(static_cast<uint16_t>(spec));
  }
  ch.random = std::string(32 - challenge_len, '\0') + std::string(challenge);
  return ch;
}

absl::StatusOr<ServerHello> ParseServerHello(absl::string_view body) {
  ServerHello sh;
  Reader r(body);
  sh.legacy_version = r.Uint(2);
  sh.random = std::string(r.Bytes(32));
  // TLS 1.3 drafts 18-21 (0x7F12-0x7F15) put their version here and had no session id or
  // compression method (draft-ietf-tls-tls13-21 4.1.3).
  bool early_draft = sh.legacy_version >= 0x7F00 && sh.legacy_version <= 0x7F15;
  if (!early_draft) sh.session_id = std::string(r.Vec(1));
  sh.cipher_suite = r.Uint(2);
  if (!early_draft) sh.compression = r.Uint(1);
  if (!r.ok()) return Malformed("ServerHello");
  sh.version = sh.legacy_version;
  sh.hello_retry_request =
      sh.random == absl::string_view(reinterpret_cast<const char*>(kHrrRandom), 32);
  if (r.empty()) return sh;
  absl::string_view ext_block = r.Vec(2);
  if (!r.ok()) return Malformed("ServerHello extensions");
  bool ok = ForEachExtension(ext_block, [&sh](uint16_t type, absl::string_view data) {
    Reader e(data);
    switch (type) {
      case kAlpn: {
        std::vector<std::string> names;
        if (!ParseAlpnList(data, &names)) return false;
        if (!names.empty()) sh.alpn = names[0];
        return true;
      }
      case kExtendedMasterSecret: sh.extended_master_secret = true; return true;
      case kEncryptThenMac: sh.encrypt_then_mac = true; return true;
      case kSessionTicket: sh.session_ticket = true; return true;
      case kSupportedVersions: sh.version = e.Uint(2); return e.ok();
      case kKeyShare: sh.key_share = true; return true;
      case kPreSharedKey: sh.pre_shared_key = true; return true;
      case kRecordSizeLimit: sh.record_size_limit = e.Uint(2); return e.ok();
      default: return true;
    }
  });
  if (!ok) return Malformed("ServerHello extension");
  return sh;
}

absl::StatusOr<EncryptedExtensions> ParseEncryptedExtensions(absl::string_view body) {
  EncryptedExtensions ee;
  Reader r(body);
  absl::string_view block = r.Vec(2);
  if (!r.ok()) return Malformed("EncryptedExtensions");
  bool ok = ForEachExtension(block, [&ee](uint16_t type, absl::string_view data) {
    Reader e(data);
    switch (type) {
      case kAlpn: {
        std::vector<std::string> names;
        if (!ParseAlpnList(data, &names)) return false;
        if (!names.empty()) ee.alpn = names[0];
        return true;
      }
      case kEarlyData: ee.early_data = true; return true;
      case kRecordSizeLimit: ee.record_size_limit = e.Uint(2); return e.ok();
      default: return true;
    }
  });
  if (!ok) return Malformed("EncryptedExtensions extension");
  return ee;
}

absl::StatusOr<std::vector<std::string>> ParseCertificate(absl::string_view body, bool tls13) {
  Reader r(body);
  if (tls13) r.Vec(1);  // certificate_request_context
  Reader list(r.Vec(3));
  if (!r.ok()) return Malformed("Certificate");
  std::vector<std::string> certs;
  while (list.ok() && !list.empty()) {
    absl::string_view der = list.Vec(3);
    if (tls13) list.Vec(2);  // per-entry extensions
    if (list.ok()) certs.emplace_back(der);
  }
  if (!list.ok()) return Malformed("Certificate list");
  return certs;
}

absl::StatusOr<std::string> ParseRsaClientKeyExchange(absl::string_view body, bool ssl3) {
  if (ssl3) return std::string(body);
  Reader r(body);
  absl::string_view pms = r.Vec(2);
  if (!r.ok() || !r.empty()) return Malformed("RSA ClientKeyExchange");
  return std::string(pms);
}

absl::StatusOr<std::string> ParseNewSessionTicket12(absl::string_view body) {
  Reader r(body);
  r.Uint(4);  // lifetime hint
  absl::string_view ticket = r.Vec(2);
  if (!r.ok()) return Malformed("NewSessionTicket");
  return std::string(ticket);
}

}  // namespace tcpfollow::tls
