// Key material loading; see key_material.h.
#include "tls/key_material.h"

#include "absl/strings/str_cat.h"
#include "tls/client_random_scan.h"

namespace tcpfollow::tls {

absl::StatusOr<std::unique_ptr<KeyMaterial>> KeyMaterial::Load(const KeyMaterialOptions& o,
                                                               ReadFileFn read,
                                                               KeyMaterialLimits limits) {
  std::unique_ptr<KeyMaterial> k(new KeyMaterial(std::move(read), limits));
  k->capture_ = o.capture;
  for (const std::string& path : o.keylogs) {
    absl::Status s = k->LoadKeyLog(path, o.live);
    if (!s.ok()) return s;
  }
  for (size_t i = 0; i < o.secrets_blocks.size(); ++i) {
    KeyLogFeed feed(&k->keylog_);
    feed.Append(o.secrets_blocks[i]);
    feed.Finish();
    k->Warn(absl::StrCat("pcapng Decryption Secrets Block ", i + 1), feed);
  }
  k->secrets_blocks_ = o.secrets_blocks.size();
  for (const std::string& psk : o.psks) {
    absl::Status s = k->psks_.Add(psk);
    if (!s.ok()) return s;
  }
  for (const std::string& arg : o.rsa_keys) {
    auto spec = ParseRsaKeySpec(arg);
    if (!spec.ok()) return spec.status();
    std::string bytes;
    auto size = k->read_(spec->path, 0, [&bytes](absl::string_view c) {
      bytes.append(c.data(), c.size());
    });
    if (!size.ok()) return size.status();
    absl::Status s = k->rsa_.AddKey(bytes, o.rsa_key_password, spec->server);
    if (!s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--rsa-key ", spec->path, ": ", s.message()));
    }
  }
  return k;
}

absl::Status KeyMaterial::LoadKeyLog(const std::string& path, bool live) {
  Tailed t;
  t.path = path;
  t.feed = std::make_unique<KeyLogFeed>(&keylog_);
  auto size = read_(path, 0, [this, &t](absl::string_view chunk) {
    t.feed->Append(chunk);
    MaybeScanCapture();
  });
  if (!size.ok()) {
    // Live: the key log may be created by the client after capture starts.
    if (live && absl::IsNotFound(size.status())) {
      tailed_.push_back(std::move(t));
      return absl::OkStatus();
    }
    return absl::Status(size.status().code(),
                        absl::StrCat("cannot read key log ", path, ": ", size.status().message()));
  }
  t.offset = *size;
  // Offline the file is complete: a last line without a newline counts. Live, a partial
  // last line may still be being written: it waits for its newline.
  if (!live) t.feed->Finish();
  Warn("key log " + path, *t.feed);
  if (live) tailed_.push_back(std::move(t));
  return absl::OkStatus();
}

void KeyMaterial::Warn(const std::string& source, const KeyLogFeed& feed) {
  if (feed.bad_lines() == 0) return;
  warnings_.push_back(absl::StrCat(source, ": ", feed.bad_lines(),
                                   feed.bad_lines() == 1 ? " line" : " lines",
                                   " could not be parsed (not \"LABEL <64 hex> <hex secret>\"), "
                                   "the first is line ", feed.first_bad_line()));
}

void KeyMaterial::MaybeScanCapture() {
  if (scanned_ || capture_.empty() || keylog_.size() < limits_.scan_capture_after_entries) return;
  scanned_ = true;
  ClientRandomScanner scan;
  auto size = read_(capture_, 0, [&scan](absl::string_view c) { scan.Feed(c); });
  scan.Finish();
  if (!size.ok() || !scan.complete()) return;  // keep everything (bounded by the store)
  capture_randoms_ = scan.randoms().size();
  keylog_.SetClientRandomFilter(scan.TakeRandoms());
}

TlsDecryptorConfig KeyMaterial::Config() {
  TlsDecryptorConfig config;
  config.secrets = &keylog_;
  config.rsa_keys = &rsa_;
  config.psks = &psks_;
  config.session_cache = &sessions_;
  return config;
}

void KeyMaterial::Refresh() {
  for (Tailed& t : tailed_) {
    uint64_t before = t.offset;
    auto size = read_(t.path, t.offset, [&t](absl::string_view c) {
      t.feed->Append(c);
      t.offset += c.size();
    });
    if (!size.ok()) continue;
    if (*size < before) {  // truncated and rewritten: start again
      t.offset = 0;
      t.feed = std::make_unique<KeyLogFeed>(&keylog_);
    }
  }
}

void KeyMaterial::AddSecretsBlock(absl::string_view key_log_text) {
  KeyLogFeed feed(&keylog_);
  feed.Append(key_log_text);
  feed.Finish();
  ++secrets_blocks_;
  Warn(absl::StrCat("pcapng Decryption Secrets Block ", secrets_blocks_), feed);
}

std::string KeyMaterial::Summary() const {
  KeyLogStats k = keylog_.stats();
  std::string line = absl::StrCat("key log secrets ", keylog_.size());
  if (k.malformed + k.long_lines > 0) {
    absl::StrAppend(&line, " (", k.malformed + k.long_lines, " unusable key log lines)");
  }
  if (keylog_.has_filter()) {
    absl::StrAppend(&line, " (", k.not_in_capture, " for sessions not in this capture skipped)");
  }
  if (k.evicted > 0) absl::StrAppend(&line, " (", k.evicted, " oldest dropped at the limit)");
  if (secrets_blocks_ > 0) absl::StrAppend(&line, ", from pcapng DSBs: ", secrets_blocks_);
  absl::StrAppend(&line, "; RSA keys ", rsa_.size());
  if (psks_.size() > 0) absl::StrAppend(&line, "; PSKs ", psks_.size());
  return line;
}

}  // namespace tcpfollow::tls
