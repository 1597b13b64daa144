// TLS key material of one run, loaded from the options through tls::KeyMaterial: key logs
// (--keylog, SSLKEYLOGFILE; tailed while capturing live), the Decryption Secrets Blocks of
// a pcapng input, RSA private keys (--rsa-key). This file is where those files are opened
// (the tls package opens none). Errors name the file at fault.
#ifndef TCPFOLLOW_TOOLS_SESSION_KEYS_H_
#define TCPFOLLOW_TOOLS_SESSION_KEYS_H_

#include <memory>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tls/key_material.h"
#include "tools/options.h"

namespace tcpfollow {

// Loads the key material the options name; warnings go to standard error once.
absl::StatusOr<std::unique_ptr<tls::KeyMaterial>> LoadKeyMaterial(const Options& o);
nlohmann::json KeyMaterialStats(const tls::KeyMaterial& keys);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_SESSION_KEYS_H_
