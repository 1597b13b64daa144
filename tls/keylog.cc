// Key log parsing; see keylog.h.
#include "tls/keylog.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"

namespace tcpfollow::tls {
namespace {

std::optional<SecretLabel> LabelOf(absl::string_view name) {
  if (name == "CLIENT_RANDOM") return SecretLabel::kClientRandom;
  if (name == "CLIENT_EARLY_TRAFFIC_SECRET") return SecretLabel::kClientEarlyTraffic;
  if (name == "CLIENT_HANDSHAKE_TRAFFIC_SECRET") return SecretLabel::kClientHandshakeTraffic;
  if (name == "SERVER_HANDSHAKE_TRAFFIC_SECRET") return SecretLabel::kServerHandshakeTraffic;
  if (name == "CLIENT_TRAFFIC_SECRET_0") return SecretLabel::kClientTraffic0;
  if (name == "SERVER_TRAFFIC_SECRET_0") return SecretLabel::kServerTraffic0;
  return std::nullopt;
}

bool IsHex(absl::string_view s) {
  if (s.empty() || s.size() % 2 != 0) return false;
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string IndexKey(SecretLabel label, absl::string_view client_random) {
  std::string key(1, static_cast<char>(label));
  key.append(client_random.data(), client_random.size());
  return key;
}

}  // namespace

void KeyLogStore::ParseLineLocked(absl::string_view line) {
  ++stats_.lines;
  line = absl::StripAsciiWhitespace(line);
  if (line.empty() || line[0] == '#') return;
  if (line.size() > limits_.max_line_length) {
    ++stats_.long_lines;
    return;
  }
  std::vector<absl::string_view> f =
      absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (f.size() != 3 || !IsHex(f[1]) || !IsHex(f[2])) {
    ++stats_.malformed;
    return;
  }
  std::optional<SecretLabel> label = LabelOf(f[0]);
  if (!label) {
    ++stats_.ignored_labels;
    return;
  }
  if (f[1].size() != 64) {
    ++stats_.malformed;
    return;
  }
  if (*label == SecretLabel::kClientRandom && f[2].size() != 96) {
    ++stats_.malformed;
    return;
  }
  std::string key = IndexKey(*label, absl::HexStringToBytes(f[1]));
  auto it = secrets_.find(key);
  if (it == secrets_.end() && secrets_.size() >= limits_.max_entries) {
    ++stats_.full;
    return;
  }
  std::string secret = absl::HexStringToBytes(f[2]);
  if (it != secrets_.end()) {
    if (it->second == secret) return;
    it->second = std::move(secret);
  } else {
    secrets_.emplace(std::move(key), std::move(secret));
    ++stats_.entries;
  }
  ++generation_;
}

void KeyLogStore::AddKeyLogText(absl::string_view text) {
  absl::MutexLock lock(&mu_);
  for (absl::string_view line : absl::StrSplit(text, '\n')) ParseLineLocked(line);
}

void KeyLogStore::AppendKeyLogBytes(absl::string_view bytes) {
  absl::MutexLock lock(&mu_);
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    absl::string_view piece = bytes.substr(0, nl);
    if (!skipping_long_line_) {
      if (partial_.size() + piece.size() > limits_.max_line_length) {
        skipping_long_line_ = true;
        partial_.clear();
        ++stats_.long_lines;
      } else {
        partial_.append(piece.data(), piece.size());
      }
    }
    if (nl == absl::string_view::npos) return;
    if (!skipping_long_line_) ParseLineLocked(partial_);
    partial_.clear();
    skipping_long_line_ = false;
    bytes.remove_prefix(nl + 1);
  }
}

std::optional<std::string> KeyLogStore::Find(SecretLabel label,
                                             absl::string_view client_random) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = secrets_.find(IndexKey(label, client_random));
  if (it == secrets_.end()) return std::nullopt;
  return it->second;
}

uint64_t KeyLogStore::generation() const {
  absl::ReaderMutexLock lock(&mu_);
  return generation_;
}

KeyLogStats KeyLogStore::stats() const {
  absl::ReaderMutexLock lock(&mu_);
  return stats_;
}

size_t KeyLogStore::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return secrets_.size();
}

}  // namespace tcpfollow::tls
