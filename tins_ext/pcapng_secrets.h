// Reads the TLS key log text carried in a pcapng file's Decryption Secrets Blocks
// (block type 0x0000000A, secrets type 0x544c534b "TLSK"), which libpcap skips. Walks block
// headers only, seeking over everything else, so it costs a few reads even on a large
// file. A classic pcap file has none (empty result); a damaged block ends the walk. Files
// that are not regular (FIFOs, devices) are not read: empty result.
#ifndef TCPFOLLOW_TINS_EXT_PCAPNG_SECRETS_H_
#define TCPFOLLOW_TINS_EXT_PCAPNG_SECRETS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tcpfollow {

constexpr size_t kMaxPcapngSecretBytes = 64u << 20;

absl::StatusOr<std::vector<std::string>> ExtractPcapngSecrets(const std::string& path);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_PCAPNG_SECRETS_H_
