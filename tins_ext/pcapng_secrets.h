// Reads the TLS key log text carried in a pcapng file's Decryption Secrets Blocks
// (block type 0x0000000A, secrets type 0x544c534b "TLSK"), which libpcap skips. Every block
// counts, wherever it sits: before the packets, between them, at the end, in any section of
// either byte order. Walks block headers only, seeking over everything else, so it costs a
// few reads even on a large file. A classic pcap file has none (empty result); a damaged
// block ends the walk (the blocks before it are kept). Files that are not regular (FIFOs,
// devices) are not read: empty result. Total secrets text is capped (kMaxPcapngSecretBytes).
#ifndef TCPFOLLOW_TINS_EXT_PCAPNG_SECRETS_H_
#define TCPFOLLOW_TINS_EXT_PCAPNG_SECRETS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tcpfollow {

constexpr size_t kMaxPcapngSecretBytes = 64u << 20;

absl::StatusOr<std::vector<std::string>> ExtractPcapngSecrets(const std::string& path);

// The same walk over a file already in memory (tests, fuzzing).
std::vector<std::string> ExtractPcapngSecretsFromBytes(absl::string_view file);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TINS_EXT_PCAPNG_SECRETS_H_
