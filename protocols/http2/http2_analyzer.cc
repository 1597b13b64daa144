// Implementation notes: one Side per direction is the frame parser's visitor and owns that
// direction's HPACK decoder. Streams live in a map by id; a stream is written and erased
// once both of its directions ended (END_STREAM), it was reset, or at close. Side index 0
// is the request (client to server), 1 the response, matching HttpBody's request flag.
#include "protocols/http2/http2_analyzer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tcpfollow {

Http2Detection LooksLikeHttp2Preface(absl::string_view b) {
  size_t n = std::min(b.size(), kHttp2Preface.size());
  if (b.substr(0, n) != kHttp2Preface.substr(0, n)) return Http2Detection::kNo;
  return n == kHttp2Preface.size() ? Http2Detection::kYes : Http2Detection::kMaybe;
}

struct Http2Analyzer::Stream {
  uint32_t id = 0;
  HttpTransaction tx;
  HttpMessageHeaders headers[2];
  std::unique_ptr<HttpBody> body[2];
  bool headers_seen[2] = {false, false};  // request headers / final response headers
  bool headers_lost[2] = {false, false};
  bool ended[2] = {false, false};
  bool push = false;
  std::string reset;
  bool hpack_desync = false;
  uint64_t missed = 0;
};

namespace {

constexpr uint16_t kSettingsHeaderTableSize = 0x1;
constexpr uint16_t kSettingsMaxFrameSize = 0x5;

class FieldList : public HpackDecoder::Sink {
 public:
  void OnField(absl::string_view name, absl::string_view value) override {
    fields.emplace_back(std::string(name), std::string(value));
  }
  std::vector<std::pair<std::string, std::string>> fields;
};

}  // namespace

class Http2Analyzer::Side : public Http2FrameVisitor {
 public:
  Side(Http2Analyzer* a, Direction dir)
      : a_(a),
        dir_(dir),
        idx_(Index(dir)),
        parser_(dir == Direction::kClientToServer && a->options_.expect_preface &&
                    !a->options_.midstream,
                a->limits_.frames, this, &a->stats_->frames),
        hpack_(a->limits_.hpack, &a->stats_->hpack) {
    if (a->options_.midstream) {
      parser_.StartResync();
      hpack_.MarkDesync();
    }
  }

  Http2FrameParser& parser() { return parser_; }
  HpackDecoder& hpack() { return hpack_; }

  void OnData(uint32_t id, absl::string_view bytes) override {
    if (a_->options_.follow != nullptr) a_->options_.follow->OnStreamText(id, dir_, a_->ts_, bytes);
    Stream* s = a_->FindStream(id);
    if (s == nullptr || !s->headers_seen[idx_] || s->ended[idx_]) {
      a_->stats_->unattributed_data_bytes += bytes.size();
      return;
    }
    Body(s)->Write(bytes);
  }

  void OnDataGap(uint32_t id, uint64_t length) override {
    Stream* s = a_->FindStream(id);
    if (s == nullptr || s->ended[idx_]) return;
    s->missed += length;
    s->tx.partial = true;
    if (s->headers_seen[idx_]) Body(s)->Gap(length);
  }

  void OnDataEnd(uint32_t id, bool end_stream) override {
    if (!end_stream) return;
    Stream* s = a_->FindStream(id);
    if (s != nullptr && !s->ended[idx_]) a_->EndSide(s, idx_, false);
  }

  void OnHeaderBlock(uint8_t type, uint32_t id, uint32_t promised, bool end_stream,
                     absl::string_view block) override {
    FieldList list;
    HpackDecoder::Result r = hpack_.Decode(block, &list);
    bool desync = r.untrusted || r.malformed;
    if (a_->options_.follow != nullptr) {
      std::string text;
      for (const auto& [name, value] : list.fields) absl::StrAppend(&text, name, ": ", value, "\n");
      text += "\n";
      bool promise = type == kHttp2PushPromise;
      a_->options_.follow->OnStreamText(promise ? promised : id,
                                        promise ? Direction::kClientToServer : dir_, a_->ts_,
                                        text);
    }
    auto note = [&](Stream* s) {
      if (r.malformed) s->tx.Anomaly("hpack_malformed", a_->limits_.max_anomalies_per_transaction);
      if (r.list_limited) {
        s->tx.Anomaly("header_list_too_large", a_->limits_.max_anomalies_per_transaction);
      }
    };
    if (type == kHttp2PushPromise) {
      if (dir_ != Direction::kServerToClient || promised == 0) return;
      Stream* s = a_->NewStream(promised);
      if (s == nullptr) return;
      note(s);
      s->push = true;
      ++a_->stats_->pushes;
      s->tx.ts = a_->ts_;
      Request(s, list, desync);
      // The promised request has no body: its request side is over.
      a_->EndSide(s, 0, false);
      return;
    }
    Stream* s = a_->FindStream(id);
    if (dir_ == Direction::kClientToServer) {
      if (s == nullptr) s = a_->NewStream(id);
      if (s == nullptr) return;
      note(s);
      if (s->headers_seen[0] || s->ended[0]) {
        // Trailers.
        if (desync) MarkDesync(s);
      } else {
        Request(s, list, desync);
      }
      if (end_stream && !s->ended[0]) a_->EndSide(s, 0, false);
      return;
    }
    if (s == nullptr) {
      // A response to a request we did not see (joined mid-way, or refused by a limit).
      s = a_->NewStream(id);
      if (s == nullptr) return;
    }
    note(s);
    if (!s->headers_seen[1] && !s->ended[1]) {
      Response(s, list, desync);
    } else if (desync) {
      MarkDesync(s);
    }
    if (end_stream && !s->ended[1]) a_->EndSide(s, 1, false);
  }

  void OnHeaderBlockLost(uint8_t type, uint32_t id, uint32_t promised, bool end_stream,
                         const char* why) override {
    hpack_.MarkDesync();
    uint32_t target = type == kHttp2PushPromise ? promised : id;
    Stream* s = target ? a_->FindStream(target) : nullptr;
    if (s == nullptr && target != 0) {
      s = a_->NewStream(target);
      if (s != nullptr && type == kHttp2PushPromise) s->push = true;
    }
    if (s == nullptr) return;
    int side = type == kHttp2PushPromise ? 0 : idx_;
    if (!s->headers_seen[side]) s->headers_lost[side] = true;
    s->tx.partial = true;
    MarkDesync(s);
    s->tx.Anomaly(absl::StrCat("header_block_lost_", why), a_->limits_.max_anomalies_per_transaction);
    if (type == kHttp2PushPromise) {
      a_->EndSide(s, 0, true);
    } else if (end_stream && !s->ended[side]) {
      a_->EndSide(s, side, false);
    }
  }

  void OnRstStream(uint32_t id, uint32_t code) override {
    Stream* s = a_->FindStream(id);
    if (s != nullptr) a_->Reset(s, code);
  }

  void OnSettings(bool ack, const std::vector<std::pair<uint16_t, uint32_t>>& settings) override {
    if (ack) return;
    // A peer's settings govern what the other peer sends it.
    Side* other = a_->sides_[1 - idx_].get();
    for (const auto& [id, value] : settings) {
      if (id == kSettingsHeaderTableSize) other->hpack_.SetSettingsTableSize(value);
      if (id == kSettingsMaxFrameSize && value >= 16384 && value <= 16777215) {
        other->parser_.set_max_frame_size(value);
      }
    }
  }

  void OnGoAway(uint32_t last_stream, uint32_t code) override {
    // Streams the sender of GOAWAY never processed: initiated by the other peer, above
    // last_stream (client-initiated streams are odd).
    uint32_t parity = dir_ == Direction::kServerToClient ? 1 : 0;
    std::vector<Stream*> hit;
    for (auto& [id, s] : a_->streams_) {
      if (id > last_stream && (id & 1) == parity) hit.push_back(s.get());
    }
    for (Stream* s : hit) a_->Reset(s, code);
  }

  void OnSyncLost(uint64_t length) override {
    hpack_.MarkDesync();
    for (auto& [id, s] : a_->streams_) {
      if (s->ended[idx_]) continue;
      s->missed += length;
      s->tx.partial = true;
      s->tx.Anomaly("gap_over_frame_boundary", a_->limits_.max_anomalies_per_transaction);
      if (s->headers_seen[idx_]) Body(s.get())->Gap(length);
    }
  }

  void OnResync(uint64_t) override {}

  void OnDirectionLost() override {
    std::string what = dir_ == Direction::kClientToServer ? "http2_client_direction_lost"
                                                          : "http2_server_direction_lost";
    lost_ = true;
    for (auto& [id, s] : a_->streams_) {
      if (!s->ended[idx_]) s->tx.Anomaly(what, a_->limits_.max_anomalies_per_transaction);
    }
  }

  void OnFrameError(const char* what) override { last_error_ = what; }

  bool PlausibleStream(uint8_t type, uint32_t id) override {
    Stream* s = a_->FindStream(id);
    bool client = dir_ == Direction::kClientToServer;
    switch (type) {
      case kHttp2Data:
        return s != nullptr && !s->ended[idx_];
      case kHttp2Headers: {
        if (s != nullptr) return !s->ended[idx_];
        // A new client stream (odd, above what we saw), or a response to a request we
        // did not see; not absurdly far from the ids seen.
        uint32_t top = std::max(a_->max_stream_[0], a_->max_stream_[1]);
        if (client) return (id & 1) == 1 && id > a_->max_stream_[0] && id <= top + 2000;
        return id <= top + 2000;
      }
      case kHttp2PushPromise:
        return !client && s != nullptr;
      default:
        return id <= std::max(a_->max_stream_[0], a_->max_stream_[1]) + 2000;
    }
  }

  bool lost() const { return lost_; }

 private:
  HttpBody* Body(Stream* s) {
    auto& b = s->body[idx_];
    if (!b) {
      b = std::make_unique<HttpBody>(&a_->body_ctx_, &s->tx, idx_ == 0);
      b->Prepare(s->headers[idx_]);
    }
    return b.get();
  }

  void MarkDesync(Stream* s) {
    if (!s->hpack_desync) ++a_->stats_->hpack_desync_streams;
    s->hpack_desync = true;
  }

  void Request(Stream* s, const FieldList& list, bool desync) {
    HttpTransaction& tx = s->tx;
    tx.has_request = true;
    for (const auto& [name, value] : list.fields) {
      if (!name.empty() && name[0] == ':') {
        if (name == ":method") {
          tx.method = value;
        } else if (name == ":path") {
          tx.uri = value;
        } else if (name == ":authority") {
          if (tx.host.empty()) tx.host = value;
        }
        continue;
      }
      CollectHttpHeader(true, name, value, &tx, &s->headers[0],
                        a_->limits_.max_anomalies_per_transaction);
    }
    if (desync) MarkDesync(s);
    s->headers_seen[0] = true;
    if (!s->push) Body(s);  // prepared now; the object opens with the first byte
  }

  void Response(Stream* s, const FieldList& list, bool desync) {
    HttpTransaction& tx = s->tx;
    tx.has_response = true;
    int status = 0;
    HttpMessageHeaders h;
    for (const auto& [name, value] : list.fields) {
      if (name == ":status") {
        if (!absl::SimpleAtoi(value, &status)) {
          tx.Anomaly("bad_status", a_->limits_.max_anomalies_per_transaction);
        }
        continue;
      }
      if (!name.empty() && name[0] == ':') continue;
      CollectHttpHeader(false, name, value, &tx, &h, a_->limits_.max_anomalies_per_transaction);
    }
    if (desync) MarkDesync(s);
    if (status >= 100 && status < 200) {
      tx.info_code = status;  // an interim answer; the final one follows
      return;
    }
    tx.status_code = status;
    s->headers[1] = std::move(h);
    s->headers_seen[1] = true;
    Body(s);
  }

  Http2Analyzer* a_;
  Direction dir_;
  int idx_;
  Http2FrameParser parser_;
  HpackDecoder hpack_;
  bool lost_ = false;
  const char* last_error_ = "";
};

Http2Analyzer::Http2Analyzer(const ConnectionInfo& conn, AnalyzerOutput* out,
                             const Http2Limits& limits, Http2Stats* stats,
                             const Http2Options& options)
    : conn_(conn),
      out_(out),
      limits_(limits),
      stats_(stats ? stats : &own_stats_),
      options_(options) {
  ++stats_->connections;
  // 206 answers are stitched and counted (stats partial_content) as over HTTP/1.x.
  body_ctx_ = MakeHttpBodyContext(&conn_, out_, &limits_, stats_, &ts_);
  sides_[0] = std::make_unique<Side>(this, Direction::kClientToServer);
  sides_[1] = std::make_unique<Side>(this, Direction::kServerToClient);
  if (options_.upgrade != nullptr) StartUpgrade(*options_.upgrade);
  options_.upgrade = nullptr;
}

Http2Analyzer::~Http2Analyzer() = default;

Http2UpgradeRequest Http2UpgradeRequest::FromHttp1(const HttpTransaction& tx) {
  Http2UpgradeRequest r;
  r.method = tx.method;
  r.uri = tx.uri;
  r.version = tx.version;
  r.host = tx.host;
  r.ts = tx.ts;
  r.orig_fuids = tx.orig_fuids;
  r.orig_mime_types = tx.orig_mime_types;
  r.orig_declared_mime_types = tx.orig_declared_mime_types;
  r.http1 = std::make_unique<HttpTransaction>(tx);
  return r;
}

void Http2Analyzer::StartUpgrade(const Http2UpgradeRequest& req) {
  ts_ = req.ts;
  Stream* s = NewStream(1);
  HttpTransaction& tx = s->tx;
  if (req.http1 != nullptr) {
    // The request half as HTTP/1.x recorded it; its body objects are already stored.
    const HttpTransaction& h = *req.http1;
    tx.ts = h.ts;
    tx.has_request = true;
    tx.method = h.method;
    tx.uri = h.uri;
    tx.host = h.host;
    tx.referrer = h.referrer;
    tx.user_agent = h.user_agent;
    tx.username = h.username;
    tx.origin = h.origin;
    tx.proxied = h.proxied;
    tx.request_body_len = h.request_body_len;
    tx.orig_fuids = h.orig_fuids;
    tx.orig_mime_types = h.orig_mime_types;
    tx.orig_declared_mime_types = h.orig_declared_mime_types;
    tx.orig_filenames = h.orig_filenames;
    tx.request_upgrade = "h2c";
    tx.upgrade = "h2c";
    s->headers_seen[0] = true;
    EndSide(s, 0, !h.request_done);
    return;
  }
  tx.ts = req.ts;
  tx.has_request = true;
  tx.method = req.method;
  tx.uri = req.uri;
  tx.host = req.host;
  for (const auto& [name, value] : req.headers) {
    if (absl::EqualsIgnoreCase(name, "host") && value == tx.host) continue;
    CollectHttpHeader(true, name, value, &tx, &s->headers[0],
                      limits_.max_anomalies_per_transaction);
  }
  tx.request_upgrade = "h2c";
  tx.upgrade = "h2c";
  s->headers_seen[0] = true;
  auto body = std::make_unique<HttpBody>(&body_ctx_, &tx, true);
  body->Prepare(s->headers[0]);
  body->Write(req.body);
  s->body[0] = std::move(body);
  if (req.body.empty()) {
    // The HTTP/1.x analyzer already stored the body: name its objects.
    tx.orig_fuids = req.orig_fuids;
    tx.orig_mime_types = req.orig_mime_types;
    tx.orig_declared_mime_types = req.orig_declared_mime_types;
  }
  EndSide(s, 0, !req.body_complete);
}

Http2Analyzer::Stream* Http2Analyzer::FindStream(uint32_t id) {
  auto it = streams_.find(id);
  return it == streams_.end() ? nullptr : it->second.get();
}

Http2Analyzer::Stream* Http2Analyzer::NewStream(uint32_t id) {
  // An id used again (a repeated PUSH_PROMISE, a client reusing an open stream's id):
  // the earlier stream is written as it stands.
  auto old = streams_.find(id);
  if (old != streams_.end()) Emit(old->second.get());
  if (streams_.size() >= limits_.max_concurrent_streams) {
    ++stats_->streams_limited;
    return nullptr;
  }
  auto s = std::make_unique<Stream>();
  s->id = id;
  s->tx.ts = ts_;
  s->tx.depth = ++depth_;
  s->tx.version = "2";
  Stream* p = s.get();
  streams_[id] = std::move(s);
  ++stats_->streams;
  int initiator = (id & 1) ? 0 : 1;
  max_stream_[initiator] = std::max(max_stream_[initiator], id);
  return p;
}

void Http2Analyzer::EndSide(Stream* s, int side, bool incomplete) {
  if (s->ended[side]) return;
  s->ended[side] = true;
  if (s->body[side]) s->body[side]->Finish(incomplete, ts_);
  if (incomplete) s->tx.partial = true;
  MaybeEmit(s);
}

void Http2Analyzer::Reset(Stream* s, uint32_t code) {
  s->reset = Http2ErrorName(code);
  ++stats_->resets;
  for (int side = 0; side < 2; ++side) {
    if (!s->ended[side]) {
      s->ended[side] = true;
      if (s->body[side]) s->body[side]->Finish(true, ts_);
      s->tx.partial = true;
    }
  }
  Emit(s);
}

void Http2Analyzer::MaybeEmit(Stream* s) {
  if (s->ended[0] && s->ended[1]) Emit(s);
}

void Http2Analyzer::Emit(Stream* s) {
  for (int side = 0; side < 2; ++side) {
    if (s->body[side]) s->body[side]->Finish(!s->ended[side], ts_);
    if (!s->ended[side]) s->tx.partial = true;
  }
  if (s->headers_lost[0] || s->headers_lost[1]) s->tx.partial = true;
  nlohmann::json f = {{"stream_id", s->id}, {"push", s->push}};
  if (!s->reset.empty()) f["reset"] = s->reset;
  if (s->hpack_desync) f["hpack_desync"] = true;
  if (s->missed > 0) f["missed_bytes"] = s->missed;
  if (options_.tls) f["tls"] = true;
  RecordHttpTransaction(out_, conn_, s->tx, f, stats_);
  streams_.erase(s->id);
}

size_t Http2Analyzer::OnData(Direction dir, absl::Time ts, absl::string_view bytes) {
  ts_ = ts;
  sides_[Index(dir)]->parser().Feed(bytes);
  return bytes.size();
}

void Http2Analyzer::OnGap(Direction dir, absl::Time ts, uint64_t length) {
  ts_ = ts;
  sides_[Index(dir)]->parser().OnGap(length);
}

void Http2Analyzer::OnEnd(Direction dir, absl::Time ts) {
  ts_ = ts;
  sides_[Index(dir)]->parser().OnEnd();
}

void Http2Analyzer::OnClose(absl::Time ts) {
  ts_ = ts;
  sides_[0]->parser().OnEnd();
  sides_[1]->parser().OnEnd();
  // In stream order (the map is by id; depth is creation order).
  std::vector<Stream*> left;
  for (auto& [id, s] : streams_) left.push_back(s.get());
  std::sort(left.begin(), left.end(),
            [](const Stream* a, const Stream* b) { return a->tx.depth < b->tx.depth; });
  for (Stream* s : left) Emit(s);
}

}  // namespace tcpfollow
