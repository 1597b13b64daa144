// The "ftp" protocol as the session layer sees it: detection (a 220 greeting and FTP
// commands, a client that speaks first, a session whose start was not captured),
// FtpAnalyzer per control connection (its data connections are announced to the session
// layer as expected connections), and the worker's counters.
#ifndef TCPFOLLOW_PROTOCOLS_FTP_FTP_PROTOCOL_H_
#define TCPFOLLOW_PROTOCOLS_FTP_FTP_PROTOCOL_H_

#include "reassembly/protocol.h"

namespace tcpfollow {

ProtocolSpec FtpProtocol();

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_FTP_FTP_PROTOCOL_H_
