// Resumption cache; see session_cache.h.
#include "tls/session_cache.h"

#include "absl/strings/str_cat.h"

namespace tcpfollow::tls {

void TlsSessionCache::Store(std::string key, absl::string_view master) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = map_.insert_or_assign(key, std::string(master));
  ++stats_.stored;
  if (!inserted) return;
  order_.push_back(std::move(key));
  while (map_.size() > limits_.max_entries && !order_.empty()) {
    map_.erase(order_.front());
    order_.pop_front();
    ++stats_.evicted;
  }
}

std::optional<std::string> TlsSessionCache::Find(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = map_.find(key);
  if (it == map_.end()) return std::nullopt;
  ++stats_.hits;
  return it->second;
}

void TlsSessionCache::StoreBySessionId(absl::string_view id, absl::string_view master) {
  if (!id.empty()) Store(absl::StrCat("i", id), master);
}
void TlsSessionCache::StoreByTicket(absl::string_view ticket, absl::string_view master) {
  if (!ticket.empty()) Store(absl::StrCat("t", ticket), master);
}
std::optional<std::string> TlsSessionCache::FindBySessionId(absl::string_view id) {
  if (id.empty()) return std::nullopt;
  return Find(absl::StrCat("i", id));
}
std::optional<std::string> TlsSessionCache::FindByTicket(absl::string_view ticket) {
  if (ticket.empty()) return std::nullopt;
  return Find(absl::StrCat("t", ticket));
}

SessionCacheStats TlsSessionCache::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace tcpfollow::tls
