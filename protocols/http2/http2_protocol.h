// The "http2" protocol as the session layer sees it: the 24-byte client preface on any port
// (prior knowledge, gRPC), ALPN "h2" after TLS, and the h2c upgrade (the HTTP/1.1 request
// handed over by the HTTP/1 analyzer becomes stream 1). One Http2Analyzer per connection,
// the worker's counters. Records go to http.jsonl with version "2".
#ifndef TCPFOLLOW_PROTOCOLS_HTTP2_HTTP2_PROTOCOL_H_
#define TCPFOLLOW_PROTOCOLS_HTTP2_HTTP2_PROTOCOL_H_

#include "reassembly/protocol.h"

namespace tcpfollow {

ProtocolSpec Http2Protocol();

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_HTTP2_HTTP2_PROTOCOL_H_
