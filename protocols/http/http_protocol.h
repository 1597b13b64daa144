// The "http" protocol (HTTP/1.x) as the session layer sees it: detection by content on
// any port (a request line, or a status line in a capture that holds only the server's
// side), HttpAnalyzer per connection, and the worker's counters.
#ifndef TCPFOLLOW_PROTOCOLS_HTTP_HTTP_PROTOCOL_H_
#define TCPFOLLOW_PROTOCOLS_HTTP_HTTP_PROTOCOL_H_

#include "reassembly/protocol.h"

namespace tcpfollow {

ProtocolSpec HttpProtocol();

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_HTTP_HTTP_PROTOCOL_H_
