// The "smtp" protocol as the session layer sees it: detection (a 220 greeting and EHLO/HELO,
// a client that speaks first, a session whose start was not captured), SmtpAnalyzer per
// connection with a worker-wide MIME memory budget, and the worker's counters.
#ifndef TCPFOLLOW_PROTOCOLS_SMTP_SMTP_PROTOCOL_H_
#define TCPFOLLOW_PROTOCOLS_SMTP_SMTP_PROTOCOL_H_

#include "reassembly/protocol.h"

namespace tcpfollow {

ProtocolSpec SmtpProtocol();

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_SMTP_SMTP_PROTOCOL_H_
