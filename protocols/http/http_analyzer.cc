// Implementation notes: one Side per direction is both the HttpParser's visitor and the
// owner of that direction's body in progress. Transactions live in a deque of unique_ptr so
// a Side can keep a plain pointer to its current one while others are added or removed.
#include "protocols/http/http_analyzer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "protocols/text_util.h"

namespace tcpfollow {
namespace {

absl::string_view StripHttpPrefix(absl::string_view version) {
  absl::ConsumePrefix(&version, "HTTP/");
  return version;
}

}  // namespace

class HttpAnalyzer::Side : public HttpVisitor {
 public:
  Side(HttpAnalyzer* a, HttpRole role, HttpStats* stats)
      : a_(a), role_(role), parser_(role, this, a->limits_.parser, stats) {}

  HttpParser& parser() { return parser_; }
  void Forget(HttpTransaction* tx) {
    if (tx_ == tx) tx_ = nullptr;
  }
  // `tx` is being emitted early (close, handoff, too many pending): close its open body.
  void AbortIf(HttpTransaction* tx) {
    if (tx_ != tx || tx == nullptr) return;
    FinishBody(true);
    tx_ = nullptr;
  }

  void OnRequestLine(absl::string_view method, absl::string_view target,
                     absl::string_view version) override {
    NewRequest(method, target, version.empty() ? "0.9" : StripHttpPrefix(version));
  }

  void OnMalformedRequestLine(absl::string_view method, absl::string_view target,
                              absl::string_view version) override {
    NewRequest(method, target, StripHttpPrefix(version));
  }

  void NewRequest(absl::string_view method, absl::string_view target,
                  absl::string_view version) {
    if (a_->pending_.size() >= a_->limits_.max_pending_transactions) {
      ++a_->stats_->pending_overflow;
      HttpTransaction* oldest = a_->pending_.front().get();
      oldest->partial = true;
      a_->Retire(oldest);
    }
    auto tx = std::make_unique<HttpTransaction>();
    tx->ts = a_->ts_;
    tx->depth = ++a_->depth_;
    tx->has_request = true;
    tx->method = std::string(method);
    tx->uri = std::string(target);
    tx->version = std::string(version);
    tx_ = tx.get();
    a_->pending_.push_back(std::move(tx));
    StartMessage();
  }

  void OnStatusLine(absl::string_view version, int status, absl::string_view reason) override {
    tx_ = nullptr;
    for (auto& t : a_->pending_) {
      if (!t->response_done && t->has_request) {
        tx_ = t.get();
        break;
      }
    }
    if (tx_ == nullptr) {
      ++a_->stats_->unmatched_responses;
      auto tx = std::make_unique<HttpTransaction>();
      tx->ts = a_->ts_;
      tx->depth = ++a_->depth_;
      tx_ = tx.get();
      a_->pending_.push_back(std::move(tx));
    }
    tx_->has_response = true;
    interim_ = status / 100 == 1 && status != 101;
    tx_->reply_version = std::string(StripHttpPrefix(version));
    if (status / 100 == 1) {  // as Zeek: every 1xx, 101 too, is the informational reply
      tx_->info_code = status;
      tx_->info_msg = std::string(reason);
    }
    if (!interim_) {
      tx_->status_code = status;
      tx_->status_msg = std::string(reason);
    }
    StartMessage();
  }

  void OnHeader(absl::string_view name, absl::string_view value) override {
    if (tx_ == nullptr) return;
    CollectHttpHeader(role_ == HttpRole::kRequest, name, value, tx_, &headers_,
                      a_->limits_.max_anomalies_per_transaction);
  }

  HeadersAction OnHeadersComplete(const HttpMessageInfo& info) override {
    if (tx_ == nullptr) return HeadersAction::kContinue;
    if (info.framing_conflict) Anomaly("conflicting_framing");
    if (role_ == HttpRole::kRequest) {
      tx_->request_upgrade = headers_.upgrade;
      // After CONNECT, or an Upgrade request without a body, the client may send the next
      // protocol's bytes before the answer (an h2c client sends its preface at once): they
      // are held until the answer decides what follows.
      bool upgrade_without_body =
          !headers_.upgrade.empty() && info.framing == BodyFraming::kNone;
      if (tx_->method == "CONNECT" || upgrade_without_body) {
        tx_->request_done = true;
        tx_ = nullptr;
        return HeadersAction::kStop;
      }
      PrepareBody(info);
      return HeadersAction::kContinue;
    }
    if (interim_) return HeadersAction::kContinue;
    if (tx_->method == "CONNECT") {
      if (info.status / 100 == 2) {
        tx_->tunnel = true;
        tx_->response_done = true;
        a_->SwitchTo(kDetectByContent, *tx_);  // TLS, or whatever the tunnel carries
        a_->FlushAll(a_->ts_);
        return HeadersAction::kStop;
      }
      a_->ResumeRequests();
    }
    if (info.status == 101) {
      tx_->upgrade = headers_.upgrade.empty() ? tx_->request_upgrade : headers_.upgrade;
      if (tx_->upgrade.empty()) tx_->upgrade = "unknown";
      tx_->response_done = true;
      a_->upgraded_ = std::make_unique<HttpTransaction>(*tx_);
      // "h2c" is HTTP/2; other names (websocket) are protocols nobody parses here.
      a_->SwitchTo(tx_->upgrade == "h2c" ? "http2" : tx_->upgrade, *tx_);
      a_->FlushAll(a_->ts_);
      return HeadersAction::kStop;
    }
    if (!tx_->request_upgrade.empty()) a_->ResumeRequests();  // the upgrade was refused
    if (tx_->method == "HEAD") return HeadersAction::kNoBody;
    if (tx_->method == "CONNECT") return HeadersAction::kContinue;
    PrepareBody(info);
    return HeadersAction::kContinue;
  }

  void OnBody(absl::string_view bytes) override {
    if (tx_ == nullptr || !body_) return;
    body_->Write(bytes);
  }

  void OnBodyGap(uint64_t length) override {
    if (tx_ == nullptr) return;
    tx_->partial = true;
    if (body_) body_->Gap(length);
  }

  void OnTrailer(absl::string_view, absl::string_view) override {}

  void OnMessageComplete() override {
    if (tx_ == nullptr) return;
    if (role_ == HttpRole::kResponse && interim_) {
      interim_ = false;
      return;  // the final answer is still to come
    }
    EndMessage(false);
  }

  void OnMessageIncomplete(absl::string_view why) override {
    if (tx_ == nullptr) return;
    Anomaly(absl::StrCat("incomplete_", why));
    interim_ = false;
    EndMessage(true);
  }

  // As browsers: an answer without a status line is HTTP/0.9 only as the first answer on
  // the connection (Chrome and Firefox refuse it on a reused one), also after interim 1xx
  // answers, or to an HTTP/0.9 request. Never to CONNECT: that needs a real 2xx.
  bool AcceptsHttp09Response() override {
    for (auto& t : a_->pending_) {
      if (t->has_request && !t->response_done) {
        return t->method != "CONNECT" &&
               ((t->depth == 1 && t->status_code == 0) || t->version == "0.9");
      }
    }
    return false;
  }

  bool AnswersHttp09Request() override {
    for (auto& t : a_->pending_) {
      if (t->has_request && !t->response_done) return t->version == "0.9";
    }
    return false;
  }

  void OnAnomaly(absl::string_view what) override { Anomaly(what); }
  void OnError(absl::string_view what) override { Anomaly(what); }

 private:
  void Anomaly(absl::string_view what) {
    HttpTransaction* tx = tx_;
    if (tx == nullptr) {
      early_anomalies_.emplace_back(what);
      if (early_anomalies_.size() > a_->limits_.max_anomalies_per_transaction) {
        early_anomalies_.erase(early_anomalies_.begin());
      }
      return;
    }
    tx->Anomaly(what, a_->limits_.max_anomalies_per_transaction);
  }

  void StartMessage() {
    headers_ = HttpMessageHeaders();
    body_ = std::make_unique<HttpBody>(&a_->body_ctx_, tx_, role_ == HttpRole::kRequest);
    std::vector<std::string> early = std::move(early_anomalies_);
    early_anomalies_.clear();
    for (const std::string& e : early) Anomaly(e);
  }

  void PrepareBody(const HttpMessageInfo&) {
    if (body_) body_->Prepare(headers_);
  }

  // Closes the body's decoder and object; `incomplete` marks the object partial.
  void FinishBody(bool incomplete) {
    if (!body_) return;
    // What the length said was sent and never came (the stream ended inside the body).
    if (incomplete) body_->Gap(parser_.unreceived_body());
    body_->Finish(incomplete, a_->ts_);
    body_.reset();
  }

  void EndMessage(bool incomplete) {
    HttpTransaction* tx = tx_;
    FinishBody(incomplete);
    if (incomplete) tx->partial = true;
    if (role_ == HttpRole::kRequest) {
      tx->request_done = true;
      if (tx->response_done) a_->Emit(tx);
    } else {
      tx->response_done = true;
      if (tx->request_done || !tx->has_request) a_->Emit(tx);
    }
    tx_ = nullptr;
  }

  HttpAnalyzer* a_;
  HttpRole role_;
  HttpParser parser_;
  HttpTransaction* tx_ = nullptr;
  bool interim_ = false;
  HttpMessageHeaders headers_;
  std::unique_ptr<HttpBody> body_;
  std::vector<std::string> early_anomalies_;  // reported before a message started
};

HttpAnalyzer::HttpAnalyzer(const ConnectionInfo& conn, AnalyzerOutput* out,
                           const HttpAnalyzerLimits& limits, HttpAnalyzerStats* stats)
    : conn_(conn), out_(out), limits_(limits), stats_(stats ? stats : &own_stats_) {
  body_ctx_ = MakeHttpBodyContext(&conn_, out_, &limits_, stats_, &ts_);
  request_ = std::make_unique<Side>(this, HttpRole::kRequest, &stats_->request);
  response_ = std::make_unique<Side>(this, HttpRole::kResponse, &stats_->response);
}

HttpAnalyzer::~HttpAnalyzer() = default;

void HttpAnalyzer::SwitchTo(absl::string_view protocol, const HttpTransaction& tx) {
  Handoff h;
  h.to = std::string(protocol);
  h.held[Index(Direction::kClientToServer)] = std::move(held_);
  held_.clear();
  h.facts.upgrade_request = {{":method", tx.method}, {":path", tx.uri},
                             {":authority", tx.host}, {":scheme", "http"}};
  if (!tx.user_agent.empty()) h.facts.upgrade_request.push_back({"user-agent", tx.user_agent});
  RequestHandoff(std::move(h));
}

size_t HttpAnalyzer::OnData(Direction dir, absl::Time ts, absl::string_view bytes) {
  if (handed_off()) return 0;
  ts_ = ts;
  if (dir == Direction::kClientToServer) {
    HttpParser& p = request_->parser();
    size_t used = p.stopped() ? 0 : p.Feed(bytes);
    if (used < bytes.size()) Hold(bytes.substr(used));
    return bytes.size();
  }
  size_t used = response_->parser().Feed(bytes);
  return handed_off() ? used : bytes.size();
}

void HttpAnalyzer::Hold(absl::string_view bytes) {
  size_t room = limits_.max_held_tunnel_bytes - std::min(limits_.max_held_tunnel_bytes, held_.size());
  if (bytes.size() > room) stats_->held_bytes_dropped += bytes.size() - room;
  held_.append(bytes.data(), std::min(room, bytes.size()));
}

void HttpAnalyzer::ResumeRequests() {
  HttpParser& p = request_->parser();
  if (!p.stopped()) return;
  p.Resume();
  std::string held = std::move(held_);
  held_.clear();
  size_t used = p.Feed(held);
  if (used < held.size()) Hold(absl::string_view(held).substr(used));
}

void HttpAnalyzer::OnGap(Direction dir, absl::Time ts, uint64_t length) {
  if (handed_off()) return;
  ts_ = ts;
  (dir == Direction::kClientToServer ? request_ : response_)->parser().OnGap(length);
}

void HttpAnalyzer::OnEnd(Direction dir, absl::Time ts) {
  if (handed_off()) return;
  ts_ = ts;
  (dir == Direction::kClientToServer ? request_ : response_)->parser().OnEnd();
}

void HttpAnalyzer::OnClose(absl::Time ts) {
  ts_ = ts;
  if (!handed_off()) {
    request_->parser().OnEnd();
    response_->parser().OnEnd();
  }
  FlushAll(ts);
}

void HttpAnalyzer::FlushAll(absl::Time ts) {
  while (!pending_.empty()) {
    HttpTransaction* tx = pending_.front().get();
    if ((tx->has_request && !tx->request_done) || (tx->has_response && !tx->response_done)) {
      tx->partial = true;
    }
    Retire(tx);
  }
}

void HttpAnalyzer::Retire(HttpTransaction* tx) {
  request_->AbortIf(tx);
  response_->AbortIf(tx);
  Emit(tx);
}

void HttpAnalyzer::Emit(HttpTransaction* tx) {
  request_->Forget(tx);
  response_->Forget(tx);
  RecordHttpTransaction(out_, conn_, *tx, nlohmann::json::object(), stats_);
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->get() == tx) {
      pending_.erase(it);
      break;
    }
  }
}

}  // namespace tcpfollow
