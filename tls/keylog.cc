// Key log parsing and the compact secret store; see keylog.h.
#include "tls/keylog.h"

#include <cstring>

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

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsHex(absl::string_view s) {
  if (s.empty() || s.size() % 2 != 0) return false;
  for (char c : s) {
    if (HexValue(c) < 0) return false;
  }
  return true;
}

// Decodes hex (already checked) into out[0, s.size() / 2).
void DecodeHex(absl::string_view s, uint8_t* out) {
  for (size_t i = 0; i + 1 < s.size(); i += 2) {
    out[i / 2] = static_cast<uint8_t>(HexValue(s[i]) << 4 | HexValue(s[i + 1]));
  }
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

// Splits on blanks into at most 4 fields; returns the number found (4 means "more than 3").
int Fields(absl::string_view line, absl::string_view f[4]) {
  int n = 0;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    if (i == line.size()) break;
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (n == 4) return 4;
    f[n++] = line.substr(start, i - start);
  }
  return n;
}

}  // namespace

const char* SecretLabelName(SecretLabel l) {
  switch (l) {
    case SecretLabel::kClientRandom: return "CLIENT_RANDOM";
    case SecretLabel::kClientEarlyTraffic: return "CLIENT_EARLY_TRAFFIC_SECRET";
    case SecretLabel::kClientHandshakeTraffic: return "CLIENT_HANDSHAKE_TRAFFIC_SECRET";
    case SecretLabel::kServerHandshakeTraffic: return "SERVER_HANDSHAKE_TRAFFIC_SECRET";
    case SecretLabel::kClientTraffic0: return "CLIENT_TRAFFIC_SECRET_0";
    case SecretLabel::kServerTraffic0: return "SERVER_TRAFFIC_SECRET_0";
  }
  return "?";
}

KeyLogStore::KeyLogStore(KeyLogLimits limits) : limits_(limits) {
  if (limits_.max_entries < 2) limits_.max_entries = 2;
}

KeyLogLine KeyLogStore::AddLine(absl::string_view line) {
  absl::MutexLock lock(&mu_);
  return AddLineLocked(line);
}

void KeyLogStore::CountLongLine() {
  absl::MutexLock lock(&mu_);
  ++stats_.lines;
  ++stats_.long_lines;
}

KeyLogLine KeyLogStore::AddLineLocked(absl::string_view line) {
  ++stats_.lines;
  size_t b = 0;
  while (b < line.size() && IsSpace(line[b])) ++b;
  if (b == line.size() || line[b] == '#') return KeyLogLine::kBlank;
  if (line.size() > limits_.max_line_length) {
    ++stats_.long_lines;
    return KeyLogLine::kTooLong;
  }
  absl::string_view f[4];
  if (Fields(line, f) != 3 || !IsHex(f[1]) || !IsHex(f[2])) {
    ++stats_.malformed;
    return KeyLogLine::kMalformed;
  }
  std::optional<SecretLabel> label = LabelOf(f[0]);
  if (!label) {
    ++stats_.ignored_labels;
    return KeyLogLine::kIgnored;
  }
  // Client randoms are 32 bytes; master secrets 48; traffic secrets a hash long (32 or 48).
  if (f[1].size() != 64 || f[2].size() > 96 ||
      (*label == SecretLabel::kClientRandom && f[2].size() != 96)) {
    ++stats_.malformed;
    return KeyLogLine::kMalformed;
  }
  Key key;
  key.label = static_cast<uint8_t>(*label);
  DecodeHex(f[1], key.random.data());
  if (filter_ && !filter_->contains(key.random)) {
    ++stats_.not_in_capture;
    return KeyLogLine::kFiltered;
  }
  Secret secret;
  secret.len = static_cast<uint8_t>(f[2].size() / 2);
  secret.bytes.fill(0);
  DecodeHex(f[2], secret.bytes.data());
  auto same = [&](const Secret& s) {
    return s.len == secret.len && std::memcmp(s.bytes.data(), secret.bytes.data(), s.len) == 0;
  };
  auto it = current_.find(key);
  if (it != current_.end()) {
    if (same(it->second)) return KeyLogLine::kDuplicate;
    it->second = secret;
  } else {
    auto old = previous_.find(key);
    if (old != previous_.end() && same(old->second)) return KeyLogLine::kDuplicate;
    if (current_.size() >= limits_.max_entries / 2) {
      stats_.evicted += previous_.size();
      previous_ = std::move(current_);
      current_ = Map();
    }
    current_.emplace(key, secret);
    ++stats_.entries;
  }
  ++generation_;
  return KeyLogLine::kStored;
}

void KeyLogStore::AddKeyLogText(absl::string_view text) {
  KeyLogFeed feed(this);
  feed.Append(text);
  feed.Finish();
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
        ++stats_.lines;
        ++stats_.long_lines;
      } else {
        partial_.append(piece.data(), piece.size());
      }
    }
    if (nl == absl::string_view::npos) return;
    if (!skipping_long_line_) AddLineLocked(partial_);
    partial_.clear();
    skipping_long_line_ = false;
    bytes.remove_prefix(nl + 1);
  }
}

void KeyLogStore::SetClientRandomFilter(ClientRandomSet randoms) {
  absl::MutexLock lock(&mu_);
  filter_ = std::move(randoms);
  for (Map* m : {&current_, &previous_}) {
    for (auto it = m->begin(); it != m->end();) {
      if (!filter_->contains(it->first.random)) {
        ++stats_.not_in_capture;
        m->erase(it++);
      } else {
        ++it;
      }
    }
  }
}

bool KeyLogStore::has_filter() const {
  absl::ReaderMutexLock lock(&mu_);
  return filter_.has_value();
}

const KeyLogStore::Secret* KeyLogStore::FindLocked(const Key& key) const {
  auto it = current_.find(key);
  if (it != current_.end()) return &it->second;
  it = previous_.find(key);
  if (it != previous_.end()) return &it->second;
  return nullptr;
}

std::optional<std::string> KeyLogStore::Find(SecretLabel label,
                                             absl::string_view client_random) const {
  if (client_random.size() != 32) return std::nullopt;
  Key key;
  key.label = static_cast<uint8_t>(label);
  std::memcpy(key.random.data(), client_random.data(), 32);
  absl::ReaderMutexLock lock(&mu_);
  const Secret* s = FindLocked(key);
  if (s == nullptr) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(s->bytes.data()), s->len);
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
  return current_.size() + previous_.size();
}

void KeyLogFeed::Line(absl::string_view line) {
  ++line_no_;
  KeyLogLine kind = store_->AddLine(line);
  if (kind == KeyLogLine::kMalformed || kind == KeyLogLine::kTooLong) {
    ++bad_lines_;
    if (first_bad_line_ == 0) first_bad_line_ = line_no_;
  }
}

void KeyLogFeed::Append(absl::string_view bytes) {
  size_t max = store_->limits().max_line_length;
  while (!bytes.empty()) {
    size_t nl = bytes.find('\n');
    absl::string_view piece = bytes.substr(0, nl);
    if (skipping_long_line_) {
      // dropped
    } else if (partial_.empty() && nl != absl::string_view::npos) {
      Line(piece);  // the common case: a whole line in this chunk, no copy
    } else if (partial_.size() + piece.size() > max + 2) {
      skipping_long_line_ = true;
      partial_.clear();
    } else {
      partial_.append(piece.data(), piece.size());
    }
    if (nl == absl::string_view::npos) return;
    EndLine();
    bytes.remove_prefix(nl + 1);
  }
}

void KeyLogFeed::Finish() { EndLine(); }

void KeyLogFeed::EndLine() {
  if (skipping_long_line_) {
    ++line_no_;
    ++bad_lines_;
    if (first_bad_line_ == 0) first_bad_line_ = line_no_;
    store_->CountLongLine();
  } else if (!partial_.empty()) {
    Line(partial_);
  }
  partial_.clear();
  skipping_long_line_ = false;
}

}  // namespace tcpfollow::tls
