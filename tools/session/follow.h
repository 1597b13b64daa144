// Follow: a connection's conversation printed the way Wireshark's Follow TCP/TLS Stream
// shows it. A transcript keeps each direction's turns (bounded) with gaps marked; when the
// connection was decrypted, the plaintext transcript is the one shown (as tshark's
// follow,tls), unless the bytes on the wire are asked for. Formats: ASCII (client turns
// unindented, server turns indented), a hex dump, raw hex, YAML (as Wireshark saves it), and
// JSON lines (with --json, so that standard output holds one format only).
#ifndef TCPFOLLOW_TOOLS_SESSION_FOLLOW_H_
#define TCPFOLLOW_TOOLS_SESSION_FOLLOW_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "reassembly/stream_sink.h"

namespace tcpfollow {

enum class FollowFormat { kAscii, kHex, kRaw, kYaml, kJson };

absl::StatusOr<FollowFormat> ParseFollowFormat(absl::string_view name);

struct FollowOptions {
  bool enabled = false;
  bool wire = false;  // --follow-raw: the bytes on the wire even when decrypted
  FollowFormat format = FollowFormat::kAscii;
  // "" (every connection), a uid ("C..."), "IP:PORT,IP:PORT" (either order; IPv6 in
  // brackets), or the connection's index (0 for the first connection, as tcp.stream).
  std::string selector;
  FILE* out = stdout;
  size_t cap = 1u << 20;  // transcript bytes kept per connection and layer
};

// Whether `selector` names this connection.
bool FollowSelects(absl::string_view selector, const ConnectionInfo& info,
                   absl::string_view uid);

class FollowTranscript {
 public:
  explicit FollowTranscript(size_t cap) : cap_(cap) {}
  void Data(Direction dir, absl::Time ts, absl::string_view bytes);
  void Gap(Direction dir, absl::Time ts, uint64_t length);
  bool empty() const { return turns_.empty(); }

  struct Turn {
    Direction dir;
    absl::Time ts;
    std::string bytes;
    uint64_t missing = 0;  // a gap turn: bytes missing from the capture
  };
  const std::vector<Turn>& turns() const { return turns_; }
  bool truncated() const { return truncated_; }

 private:
  size_t cap_;
  size_t kept_ = 0;
  bool truncated_ = false;
  std::vector<Turn> turns_;
};

struct FollowHeader {
  std::string uid;
  Endpoint client, server;
  std::string close_reason;
  std::string layer;  // "tcp", or "tls (decrypted)" when the plaintext is shown
  uint64_t sent[2] = {0, 0};
  uint64_t missing[2] = {0, 0};
};

std::string RenderFollow(FollowFormat format, const FollowHeader& header,
                         const FollowTranscript& transcript);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_SESSION_FOLLOW_H_
