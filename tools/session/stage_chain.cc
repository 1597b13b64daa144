#include "tools/session/stage_chain.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tcpfollow {

StageChain::StageChain(const ConnectionInfo* conn, AnalyzerOutput* out, const ProtocolSet* set,
                       StageFacts facts, PlaintextTap* tap, StageChainStats* stats,
                       const std::string& start, int depth)
    : conn_(conn), out_(out), set_(set), facts_(std::move(facts)), tap_(tap),
      stats_(stats != nullptr ? stats : &own_stats_), depth_(depth) {
  const ProtocolSet::Entry* entry = nullptr;
  if (!start.empty()) {
    entry = set_->Find(start);
    if (entry == nullptr) {
      state_ = State::kIgnoring;
      unknown_start_ = start;
    }
  } else if ((entry = set_->FindByAlpn(facts_.alpn)) != nullptr) {
    ++stats_->alpn_selected;
  }
  if (entry != nullptr) {
    analyzer_ = Make(*entry, facts_, "");
    service_ = entry->spec->name;
    state_ = analyzer_ ? State::kRunning : State::kIgnoring;
  }
}

StageChain::StageChain(const ConnectionInfo* conn, AnalyzerOutput* out, const ProtocolSet* set,
                       std::unique_ptr<Analyzer> first, PlaintextTap* tap,
                       StageChainStats* stats)
    : conn_(conn), out_(out), set_(set), tap_(tap),
      stats_(stats != nullptr ? stats : &own_stats_), depth_(0) {
  service_ = first->service();
  analyzer_ = std::move(first);
  state_ = State::kRunning;
}

StageChain::~StageChain() = default;

std::unique_ptr<Analyzer> StageChain::Make(const ProtocolSet::Entry& entry,
                                           const StageFacts& facts, const std::string& inner) {
  NextStage next;
  if (entry.spec->name == kTlsStage) {
    // The plaintext: the successor a stage made, or a nested chain that starts with the
    // protocol the handoff named, the one ALPN names, or detection by content.
    next = [this, inner, facts](const StageFacts& learned) -> std::unique_ptr<Analyzer> {
      StageFacts f = facts;
      f.tls = true;
      f.alpn = learned.alpn;
      f.sni = learned.sni;
      f.tls_version = learned.tls_version;
      std::unique_ptr<Analyzer> stage =
          successor_ ? std::move(successor_)
                     : std::make_unique<StageChain>(conn_, out_, set_, f, nullptr, stats_,
                                                    inner, depth_ + 1);
      if (tap_ != nullptr) {
        PlaintextTap* tap = tap_;
        tap_ = nullptr;
        stage = tap->Tap(std::move(stage));
      }
      return stage;
    };
  }
  return entry.instance->NewAnalyzer(*conn_, out_, facts, std::move(next));
}

size_t StageChain::OnData(Direction dir, absl::Time ts, absl::string_view bytes) {
  saw_data_ |= !bytes.empty();
  switch (state_) {
    case State::kIgnoring:
      break;
    case State::kRunning:
      Forward(dir, ts, bytes);
      break;
    case State::kDetecting: {
      std::string& window = window_[Index(dir)];
      size_t room = kMaxDetectBytes - std::min(kMaxDetectBytes, window.size());
      window.append(bytes.data(), std::min(room, bytes.size()));
      pending_.push_back({Pending::Kind::kData, dir, ts, std::string(bytes), 0});
      pending_bytes_ += bytes.size();
      Detect(ts, /*final=*/false);
      break;
    }
  }
  return bytes.size();
}

void StageChain::Detect(absl::Time ts, bool final) {
  DetectInput in;
  in.client = window_[0];
  in.server = window_[1];
  in.server_port = conn_->server.port;
  // No handshake seen: the capture may have started inside the conversation.
  in.midstream = facts_.midstream || !conn_->saw_handshake;
  in.client_ended = ended_[0] || final;
  in.server_ended = ended_[1] || final;
  bool any_maybe = false;
  // Port hints only order the candidates: protocols that name this port are asked first.
  for (int pass = 0; pass < 2; ++pass) {
    for (const ProtocolSet::Entry& e : set_->entries()) {
      if (!e.spec->detect_by_content) continue;
      const auto& ports = e.spec->ports;
      bool hinted = std::find(ports.begin(), ports.end(), in.server_port) != ports.end();
      if (hinted != (pass == 0)) continue;
      if (e.spec->name == kTlsStage && depth_ >= kMaxDepth) continue;
      Detection d = e.instance->Detect(in);
      if (d == Detection::kYes) {
        ++stats_->detected;
        if (in.midstream) ++stats_->midstream_detected;
        StageFacts facts = facts_;
        facts.midstream = in.midstream;
        Start(Make(e, facts, ""), e.spec->name);
        return;
      }
      any_maybe |= d == Detection::kMaybe;
    }
  }
  bool full = window_[0].size() >= kMaxDetectBytes || window_[1].size() >= kMaxDetectBytes ||
              pending_bytes_ > kMaxPendingBytes;
  if (full && in.midstream && any_maybe && !final) {
    // Bytes from the middle of something nobody recognises: skip them, not the stream.
    bool within = true;
    for (Direction d : {Direction::kClientToServer, Direction::kServerToClient}) {
      if (window_[Index(d)].size() >= kMaxDetectBytes) within &= SkipHeld(d);
    }
    full = !within || pending_bytes_ > kMaxPendingBytes;
  }
  if (!any_maybe || full || final) {
    ++stats_->undetected;
    GiveUp();
  }
}

bool StageChain::SkipHeld(Direction dir) {
  std::vector<Pending> kept;
  kept.reserve(pending_.size());
  uint64_t skipped = 0;
  for (Pending& p : pending_) {
    if (p.dir != dir || p.kind == Pending::Kind::kEnd) {
      kept.push_back(std::move(p));
      continue;
    }
    uint64_t n = p.kind == Pending::Kind::kData ? p.bytes.size() : p.gap;
    if (p.kind == Pending::Kind::kData) {
      skipped += n;
      pending_bytes_ -= n;
    }
    // Consecutive gaps of one direction are one (the vector stays short).
    if (!kept.empty() && kept.back().kind == Pending::Kind::kGap && kept.back().dir == dir) {
      kept.back().gap += n;
    } else {
      kept.push_back({Pending::Kind::kGap, dir, p.ts, {}, n});
    }
  }
  pending_ = std::move(kept);
  window_[Index(dir)].clear();
  skipped_[Index(dir)] += skipped;
  stats_->midstream_skipped_bytes += skipped;
  return skipped_[Index(dir)] <= kMaxMidstreamSkipBytes;
}

void StageChain::Start(std::unique_ptr<Analyzer> analyzer, const std::string& name) {
  analyzer_ = std::move(analyzer);
  if (service_.empty()) service_ = name;
  state_ = analyzer_ ? State::kRunning : State::kIgnoring;
  std::vector<Pending> replay = std::move(pending_);
  pending_.clear();
  pending_bytes_ = 0;
  window_[0].clear();
  window_[1].clear();
  // Through the chain's own entry points: a switch during the replay (a STARTTLS in the
  // first bytes) sends the rest to the next stage.
  for (Pending& p : replay) {
    switch (p.kind) {
      case Pending::Kind::kData: OnData(p.dir, p.ts, p.bytes); break;
      case Pending::Kind::kGap: OnGap(p.dir, p.ts, p.gap); break;
      case Pending::Kind::kEnd: OnEnd(p.dir, p.ts); break;
    }
  }
}

void StageChain::Forward(Direction dir, absl::Time ts, absl::string_view bytes) {
  if (!analyzer_) return;
  size_t used = analyzer_->OnData(dir, ts, bytes);
  if (!analyzer_->handed_off()) return;
  std::unique_ptr<Handoff> h = analyzer_->TakeHandoff();
  if (h == nullptr) return;  // taken before: the analyzer consumes nothing more
  Switch(std::move(*h), dir, ts, bytes.substr(std::min(used, bytes.size())));
}

void StageChain::Switch(Handoff h, Direction dir, absl::Time ts, absl::string_view rest) {
  h.facts.transcript = facts_.transcript;  // the session's, whatever the stage said
  // The old stage ends here: it writes what it has (the records before STARTTLS).
  std::unique_ptr<Analyzer> old = std::move(analyzer_);
  old->OnClose(ts);
  old.reset();
  if (++switches_ > kMaxSwitches) {
    ++stats_->switches_refused;
    GiveUp();
    return;
  }
  if (h.to == kDetectByContent) {
    Restart(h.facts);
  } else {
    const ProtocolSet::Entry* entry = set_->Find(h.to);
    if (entry == nullptr || (h.to == kTlsStage && depth_ >= kMaxDepth)) {
      // A protocol nobody parses here (websocket): the rest is left unparsed.
      ++stats_->switches_refused;
      GiveUp();
      return;
    }
    successor_ = std::move(h.successor);
    analyzer_ = Make(*entry, h.facts, h.inner);
    state_ = analyzer_ ? State::kRunning : State::kIgnoring;
  }
  ++stats_->switches;
  for (Direction d : {Direction::kClientToServer, Direction::kServerToClient}) {
    if (!h.held[Index(d)].empty()) OnData(d, ts, h.held[Index(d)]);
  }
  if (!rest.empty()) OnData(dir, ts, rest);
}

void StageChain::Restart(StageFacts facts) {
  facts.tls = facts.tls || facts_.tls;
  facts.transcript = facts_.transcript;
  facts_ = std::move(facts);
  state_ = State::kDetecting;
  pending_.clear();
  pending_bytes_ = 0;
  window_[0].clear();
  window_[1].clear();
}

void StageChain::GiveUp() {
  state_ = State::kIgnoring;
  analyzer_.reset();
  pending_.clear();
  pending_bytes_ = 0;
  window_[0].clear();
  window_[1].clear();
}

void StageChain::OnGap(Direction dir, absl::Time ts, uint64_t length) {
  switch (state_) {
    case State::kIgnoring:
      break;
    case State::kRunning:
      if (analyzer_) analyzer_->OnGap(dir, ts, length);
      break;
    case State::kDetecting:
      // The start of the stream is missing: detect from what follows the gap, and give
      // the analyzer the whole story (bytes, gap, bytes) once one claims it.
      facts_.midstream = true;
      window_[Index(dir)].clear();
      pending_.push_back({Pending::Kind::kGap, dir, ts, {}, length});
      break;
  }
}

void StageChain::OnEnd(Direction dir, absl::Time ts) {
  switch (state_) {
    case State::kIgnoring:
      break;
    case State::kRunning:
      if (analyzer_) analyzer_->OnEnd(dir, ts);
      break;
    case State::kDetecting:
      ended_[Index(dir)] = true;
      pending_.push_back({Pending::Kind::kEnd, dir, ts, {}, 0});
      Detect(ts, /*final=*/false);
      break;
  }
}

void StageChain::OnClose(absl::Time ts) {
  // Last chance for a short connection, or one whose other side was never seen.
  if (state_ == State::kDetecting) Detect(ts, /*final=*/true);
  if (analyzer_) analyzer_->OnClose(ts);
  CountNotParsed();
}

namespace {

// An ALPN from the traffic as the summary may print it: printable ASCII, other bytes as
// \xNN, at most 32 bytes.
std::string PrintableAlpn(absl::string_view alpn) {
  std::string out;
  for (unsigned char c : alpn.substr(0, 32)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&out, absl::StrFormat("\\x%02X", static_cast<int>(c)));
    }
  }
  if (alpn.size() > 32) out += "...";
  return out;
}

}  // namespace

void StageChain::CountNotParsed() {
  // Only the plaintext of a TLS session: a cleartext connection nobody parses is counted
  // as undetected, and a chain whose stage ran (then maybe switched) was parsed.
  if (counted_ || !facts_.tls || depth_ == 0 || !saw_data_ || !service_.empty()) return;
  counted_ = true;
  std::string reason;
  if (!unknown_start_.empty()) {
    reason = absl::StrCat("no parser for ", unknown_start_);
  } else if (!facts_.alpn.empty()) {
    reason = absl::StrCat("ALPN ", PrintableAlpn(facts_.alpn));
  } else {
    reason = "no protocol detected in the plaintext";
  }
  auto& reasons = stats_->decrypted_not_parsed;
  if (reasons.find(reason) == reasons.end() && reasons.size() >= kMaxNotParsedReasons) {
    reason = "ALPN (other)";
  }
  ++reasons[reason];
}

}  // namespace tcpfollow
