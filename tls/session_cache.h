// Master secrets of finished TLS <= 1.2 handshakes in this run, so that a later connection
// resuming by session ID or session ticket can be decrypted (needed for RSA keys; key logs
// usually log resumed sessions too). Bounded, oldest entries evicted; thread-safe.
#ifndef TCPFOLLOW_TLS_SESSION_CACHE_H_
#define TCPFOLLOW_TLS_SESSION_CACHE_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace tcpfollow::tls {

struct SessionCacheLimits {
  size_t max_entries = 65536;
};

struct SessionCacheStats {
  uint64_t stored = 0;
  uint64_t evicted = 0;
  uint64_t hits = 0;
};

class TlsSessionCache {
 public:
  explicit TlsSessionCache(SessionCacheLimits limits = {}) : limits_(limits) {}
  void StoreBySessionId(absl::string_view session_id, absl::string_view master_secret);
  void StoreByTicket(absl::string_view ticket, absl::string_view master_secret);
  std::optional<std::string> FindBySessionId(absl::string_view session_id);
  std::optional<std::string> FindByTicket(absl::string_view ticket);
  SessionCacheStats stats() const;

 private:
  void Store(std::string key, absl::string_view master);
  std::optional<std::string> Find(const std::string& key);

  SessionCacheLimits limits_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::string> map_;
  std::deque<std::string> order_;
  SessionCacheStats stats_;
};

}  // namespace tcpfollow::tls

#endif  // TCPFOLLOW_TLS_SESSION_CACHE_H_
