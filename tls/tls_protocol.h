// TLS as a stage of the session layer: detection of a ClientHello on any port, one
// TlsDecryptor per session whose plaintext goes to the stage the session layer makes from
// what the handshake learned (ALPN, SNI, version), and the worker's counters, with the
// sessions not decrypted grouped by reason for the summary.
#ifndef TCPFOLLOW_TLS_TLS_PROTOCOL_H_
#define TCPFOLLOW_TLS_TLS_PROTOCOL_H_

#include "reassembly/protocol.h"
#include "tls/tls_decryptor.h"

namespace tcpfollow::tls {

// `base`: the key stores shared by every worker (tls::KeyMaterial::Config()), which must
// outlive the run; each worker's sessions add to that worker's counters.
ProtocolSpec TlsProtocol(TlsDecryptorConfig base);

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_TLS_PROTOCOL_H_
