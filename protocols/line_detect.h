// Content detection for line-based protocols whose server speaks first (SMTP, FTP), shared
// so that both read the first bytes the same way. A connection is claimed when
//  - the server's greeting and the client's first command agree (the usual case);
//  - the client speaks first (SMTP pipelined connect, or a capture holding only the client's
//    side) with two complete command lines of the protocol, or one once the other side is
//    known to have nothing;
//  - the start was not captured (after a gap) and a client line uses a verb only this
//    protocol has, next to server lines that are numeric replies.
#ifndef TCPFOLLOW_PROTOCOLS_LINE_DETECT_H_
#define TCPFOLLOW_PROTOCOLS_LINE_DETECT_H_

#include <initializer_list>

#include "absl/strings/string_view.h"
#include "reassembly/protocol.h"

namespace tcpfollow {

struct LineProtocolHints {
  // greeting + client test as the protocol always did it (LooksLikeSmtp, LooksLikeFtp)
  bool (*looks_like)(absl::string_view client, absl::string_view server);
  std::initializer_list<absl::string_view> opening_verbs;  // a client's first command
  std::initializer_list<absl::string_view> verbs;          // any command of the protocol
  std::initializer_list<absl::string_view> midstream_verbs;  // verbs no other protocol has
};

Detection DetectLineProtocol(const DetectInput& in, const LineProtocolHints& hints);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_LINE_DETECT_H_
