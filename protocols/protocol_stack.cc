#include "protocols/protocol_stack.h"

namespace tcpfollow {

ProtocolStack::ProtocolStack(const ConnectionInfo* conn, AnalyzerOutput* out,
                             const ProtocolSet* set, bool allow_tls,
                             PlainWrapper wrap_plaintext)
    : conn_(conn), out_(out), set_(set), allow_tls_(allow_tls),
      wrap_plaintext_(std::move(wrap_plaintext)) {}

ProtocolStack::ProtocolStack(const ConnectionInfo* conn, AnalyzerOutput* out,
                             const ProtocolSet* set, std::unique_ptr<Analyzer> known,
                             PlainWrapper wrap_plaintext)
    : conn_(conn), out_(out), set_(set), allow_tls_(false),
      wrap_plaintext_(std::move(wrap_plaintext)) {
  service_ = known->service();
  analyzer_ = std::move(known);
  state_ = State::kRunning;
}

const char* ProtocolStack::service() const { return service_.c_str(); }

size_t ProtocolStack::OnData(Direction dir, absl::Time ts, absl::string_view bytes) {
  switch (state_) {
    case State::kIgnoring:
      break;
    case State::kRunning:
      Forward(dir, ts, bytes);
      break;
    case State::kDetecting: {
      std::string& first = first_[Index(dir)];
      size_t room = kMaxDetectBytes > first.size() ? kMaxDetectBytes - first.size() : 0;
      first.append(bytes.data(), std::min(room, bytes.size()));
      pending_.push_back({Pending::Kind::kData, dir, ts, std::string(bytes), 0});
      pending_bytes_ += bytes.size();
      Detect(ts);
      break;
    }
  }
  return bytes.size();
}

void ProtocolStack::Detect(absl::Time ts) {
  const absl::string_view client = first_[0], server = first_[1];
  bool any_maybe = false;
  if (allow_tls_ && set_->make_tls && set_->detect_tls) {
    Detection d = set_->detect_tls(client, server);
    if (d == Detection::kYes) {
      via_tls_ = true;
      service_ = "tls";
      const ProtocolSet* set = set_;
      const ConnectionInfo* conn = conn_;
      AnalyzerOutput* out = out_;
      PlainWrapper wrap = wrap_plaintext_;
      // The plaintext is detected afresh (HTTP inside TLS, usually).
      Start(set_->make_tls(*conn_, out_,
                           [set, conn, out, wrap]() -> std::unique_ptr<Analyzer> {
                             auto inner = std::make_unique<ProtocolStack>(conn, out, set,
                                                                          false, nullptr);
                             return wrap ? wrap(std::move(inner)) : std::move(inner);
                           }),
            nullptr);
      return;
    }
    any_maybe |= d == Detection::kMaybe;
  }
  for (const ProtocolSpec& spec : set_->protocols) {
    Detection d = spec.detect(client, server);
    if (d == Detection::kYes) {
      service_ = spec.name;
      Start(spec.make(*conn_, out_, false), &spec);
      return;
    }
    any_maybe |= d == Detection::kMaybe;
  }
  bool window_full = first_[0].size() >= kMaxDetectBytes || first_[1].size() >= kMaxDetectBytes;
  if (!any_maybe || window_full || pending_bytes_ > 4 * kMaxDetectBytes) GiveUp();
}

void ProtocolStack::Start(std::unique_ptr<Analyzer> analyzer, const ProtocolSpec* spec) {
  analyzer_ = std::move(analyzer);
  spec_ = spec;
  state_ = State::kRunning;
  std::vector<Pending> replay = std::move(pending_);
  pending_.clear();
  pending_bytes_ = 0;
  first_[0].clear();
  first_[1].clear();
  for (Pending& p : replay) {
    switch (p.kind) {
      case Pending::Kind::kData: Forward(p.dir, p.ts, p.bytes); break;
      case Pending::Kind::kGap: if (analyzer_) analyzer_->OnGap(p.dir, p.ts, p.gap); break;
      case Pending::Kind::kEnd: if (analyzer_) analyzer_->OnEnd(p.dir, p.ts); break;
    }
  }
}

void ProtocolStack::Forward(Direction dir, absl::Time ts, absl::string_view bytes) {
  if (!analyzer_) return;
  size_t used = analyzer_->OnData(dir, ts, bytes);
  if (used >= bytes.size()) return;
  Handoff h = analyzer_->handoff();
  if (h == Handoff::kTls && set_->make_tls && !via_tls_) {
    // STARTTLS / AUTH TLS / CONNECT / PROT P: the old analyzer stays alive to close its
    // records; the rest of the stream is TLS carrying the same protocol.
    const ConnectionInfo* conn = conn_;
    AnalyzerOutput* out = out_;
    PlainWrapper wrap = wrap_plaintext_;
    std::unique_ptr<Analyzer> cleartext = std::move(analyzer_);
    std::string held[2] = {cleartext->TakeHeldBytes(Direction::kClientToServer),
                           cleartext->TakeHeldBytes(Direction::kServerToClient)};
    // The plaintext analyzer: a fresh one of the detected protocol, or the successor a
    // known analyzer names (made now, while the old one is alive; used once).
    std::function<std::unique_ptr<Analyzer>()> make_inner;
    if (const ProtocolSpec* spec = spec_) {
      make_inner = [spec, conn, out]() { return spec->make(*conn, out, /*after_tls=*/true); };
    } else {
      auto successor = std::make_shared<std::unique_ptr<Analyzer>>(cleartext->MakeAfterTls());
      make_inner = [successor]() { return std::move(*successor); };
    }
    cleartext->OnClose(ts);
    via_tls_ = true;
    analyzer_ = set_->make_tls(*conn_, out_, [make_inner, wrap]() {
      std::unique_ptr<Analyzer> inner = make_inner();
      return wrap && inner ? wrap(std::move(inner)) : std::move(inner);
    });
    spec_ = nullptr;
    for (Direction d : {Direction::kClientToServer, Direction::kServerToClient}) {
      if (!held[Index(d)].empty()) analyzer_->OnData(d, ts, held[Index(d)]);
    }
    analyzer_->OnData(dir, ts, bytes.substr(used));
    return;
  }
  // kOpaque (websocket, h2c, unknown tunnel) or TLS unavailable: stop parsing.
  state_ = State::kIgnoring;
}

void ProtocolStack::GiveUp() {
  state_ = State::kIgnoring;
  pending_.clear();
  pending_bytes_ = 0;
  first_[0].clear();
  first_[1].clear();
}

void ProtocolStack::OnGap(Direction dir, absl::Time ts, uint64_t length) {
  if (state_ == State::kRunning && analyzer_) {
    analyzer_->OnGap(dir, ts, length);
  } else if (state_ == State::kDetecting && first_[Index(dir)].empty()) {
    // Nothing of this direction seen yet (TLS 0-RTT data no key decrypts): detect on what
    // follows; the analyzer gets the gap first and resynchronises.
    pending_.push_back({Pending::Kind::kGap, dir, ts, {}, length});
  } else if (state_ == State::kDetecting) {
    // The start of a stream is missing: detecting by content from the middle of a
    // message is guesswork, so the connection is left unparsed.
    GiveUp();
  }
}

void ProtocolStack::OnEnd(Direction dir, absl::Time ts) {
  if (state_ == State::kRunning && analyzer_) {
    analyzer_->OnEnd(dir, ts);
  } else if (state_ == State::kDetecting) {
    pending_.push_back({Pending::Kind::kEnd, dir, ts, {}, 0});
  }
}

void ProtocolStack::OnClose(absl::Time ts) {
  if (state_ == State::kDetecting) {
    // Last chance: a short connection whose protocol was still "maybe".
    GiveUp();
  }
  if (analyzer_) analyzer_->OnClose(ts);
}

}  // namespace tcpfollow
