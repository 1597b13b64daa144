// TLS handshake messages: reassembly of messages split across records or coalesced in one
// record (bounded), and parsers for the messages decryption needs: ClientHello (also the
// SSLv2-compatible form), ServerHello / HelloRetryRequest, Certificate (TLS 1.2 and 1.3),
// ClientKeyExchange (RSA), NewSessionTicket, EncryptedExtensions, KeyUpdate. Extensions
// parsed: SNI, ALPN, extended_master_secret, encrypt_then_mac, session_ticket,
// supported_versions, key_share, pre_shared_key, early_data, record_size_limit. Parsers
// check lengths and never read past their input; they do not validate semantics.
#ifndef TCPFOLLOW_TLS_HANDSHAKE_H_
#define TCPFOLLOW_TLS_HANDSHAKE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tcpfollow::tls {

enum HandshakeType : uint8_t {
  kHelloRequest = 0,
  kClientHello = 1,
  kServerHello = 2,
  kNewSessionTicket = 4,
  kEndOfEarlyData = 5,
  kEncryptedExtensions = 8,
  kCertificate = 11,
  kServerKeyExchange = 12,
  kCertificateRequest = 13,
  kServerHelloDone = 14,
  kCertificateVerify = 15,
  kClientKeyExchange = 16,
  kFinished = 20,
  kKeyUpdate = 24,
  kMessageHash = 254,
};

struct HandshakeLimits {
  size_t max_message_length = 256 * 1024;  // certificate chains can be large
};

struct HandshakeStats {
  uint64_t messages = 0;
  uint64_t oversized = 0;  // messages over the cap (dropped; the direction stops parsing)
};

// Reassembles handshake messages from the contents of handshake records.
class HandshakeAssembler {
 public:
  // type, body, and the whole message with its 4-byte header (for the transcript).
  using Callback = std::function<void(uint8_t type, absl::string_view body,
                                      absl::string_view whole)>;
  explicit HandshakeAssembler(HandshakeLimits limits = {}) : limits_(limits) {}
  // Returns false once a message exceeded the cap (sticky).
  bool Feed(absl::string_view record_content, const Callback& on_message);
  void Reset() { buf_.clear(); }
  bool failed() const { return failed_; }
  bool empty() const { return buf_.empty(); }
  const HandshakeStats& stats() const { return stats_; }

 private:
  HandshakeLimits limits_;
  std::string buf_;
  bool failed_ = false;
  HandshakeStats stats_;
};

struct ClientHello {
  uint16_t version = 0;
  std::string random;  // 32 bytes (SSLv2 challenges are left-padded with zeros)
  std::string session_id;
  std::vector<uint16_t> cipher_suites;
  std::string server_name;
  std::vector<std::string> alpn;
  bool extended_master_secret = false;
  bool encrypt_then_mac = false;
  bool has_session_ticket = false;
  std::string session_ticket;
  std::vector<uint16_t> supported_versions;
  bool key_share = false;
  bool pre_shared_key = false;
  bool early_data = false;
  uint16_t record_size_limit = 0;
};

struct ServerHello {
  uint16_t legacy_version = 0;
  uint16_t version = 0;  // selected: supported_versions if present, else legacy_version
  std::string random;
  std::string session_id;
  uint16_t cipher_suite = 0;
  uint8_t compression = 0;  // 1: DEFLATE (RFC 3749)
  bool hello_retry_request = false;
  std::string alpn;
  bool extended_master_secret = false;
  bool encrypt_then_mac = false;
  bool session_ticket = false;
  bool key_share = false;
  bool pre_shared_key = false;
  uint16_t record_size_limit = 0;
};

struct EncryptedExtensions {
  std::string alpn;
  bool early_data = false;
  uint16_t record_size_limit = 0;
};

absl::StatusOr<ClientHello> ParseClientHello(absl::string_view body);
absl::StatusOr<ClientHello> ParseSslv2ClientHello(absl::string_view record);
absl::StatusOr<ServerHello> ParseServerHello(absl::string_view body);
absl::StatusOr<EncryptedExtensions> ParseEncryptedExtensions(absl::string_view body);
// DER certificates, leaf first. `tls13` selects the TLS 1.3 layout (context, extensions).
absl::StatusOr<std::vector<std::string>> ParseCertificate(absl::string_view body, bool tls13);
// The RSA-encrypted pre-master secret (TLS: 2-byte length prefix; SSL 3.0: none).
absl::StatusOr<std::string> ParseRsaClientKeyExchange(absl::string_view body, bool ssl3);
// TLS 1.2 (RFC 5077) ticket.
absl::StatusOr<std::string> ParseNewSessionTicket12(absl::string_view body);

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_HANDSHAKE_H_
