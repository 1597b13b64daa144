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

// "text/html; charset=utf-8" -> "text/html"
std::string MediaType(absl::string_view content_type) {
  absl::string_view t = content_type.substr(0, content_type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(t));
}

std::string BasicAuthUser(absl::string_view authorization) {
  absl::string_view v = absl::StripAsciiWhitespace(authorization);
  if (v.size() < 6 || !absl::EqualsIgnoreCase(v.substr(0, 6), "basic ")) return "";
  std::string decoded;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(v.substr(6)), &decoded)) return "";
  return decoded.substr(0, decoded.find(':'));
}

}  // namespace

absl::StatusOr<std::vector<ContentCoding>> LenientContentEncoding(absl::string_view value,
                                                                  const ContentLimits& limits) {
  std::vector<ContentCoding> out;
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    std::string t = HeaderTextForMatching(part);
    if (t.empty() || t == "identity") continue;
    if (absl::StrContains(t, "gzip")) {
      out.push_back(ContentCoding::kGzip);
    } else if (absl::StrContains(t, "deflate")) {
      out.push_back(ContentCoding::kDeflate);
    } else if (t == "br") {
      out.push_back(ContentCoding::kBrotli);
    } else if (t == "lzma") {
      out.push_back(ContentCoding::kLzma);
    } else {
      return absl::UnimplementedError(absl::StrCat("content coding ", t));
    }
    if (out.size() > limits.max_codings) {
      return absl::ResourceExhaustedError("too many stacked content codings");
    }
  }
  return out;
}

std::string JsonSafe(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    unsigned char c = in[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= in.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(in[i + k]) >> 6) == 2;
    if (ok && len == 2) ok = c >= 0xc2;  // no overlong 2-byte forms
    if (ok && len == 3) {
      unsigned char c1 = in[i + 1];
      ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);  // overlong, surrogates
    }
    if (ok && len == 4) {
      unsigned char c1 = in[i + 1];
      ok = c <= 0xf4 && !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90);
    }
    if (ok) {
      out.append(in.data() + i, len);
      i += len;
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
      ++i;
    }
  }
  return out;
}

std::string ContentDispositionFilename(absl::string_view value) {
  std::string plain, extended;
  size_t pos = 0;
  while (pos < value.size()) {
    size_t semi = value.find(';', pos);
    // A quoted value may hold ';': skip over quotes.
    size_t q = value.find('"', pos);
    if (q != absl::string_view::npos && q < semi) {
      size_t close = value.find('"', q + 1);
      semi = close == absl::string_view::npos ? absl::string_view::npos : value.find(';', close);
    }
    absl::string_view param = absl::StripAsciiWhitespace(
        value.substr(pos, semi == absl::string_view::npos ? absl::string_view::npos : semi - pos));
    pos = semi == absl::string_view::npos ? value.size() : semi + 1;
    size_t eq = param.find('=');
    if (eq == absl::string_view::npos) continue;
    std::string key = absl::AsciiStrToLower(absl::StripAsciiWhitespace(param.substr(0, eq)));
    absl::string_view v = absl::StripAsciiWhitespace(param.substr(eq + 1));
    if (key == "filename") {
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      plain = std::string(v);
    } else if (key == "filename*") {
      // charset'lang'percent-encoded
      size_t second = v.find('\'', v.find('\'') + 1);
      absl::string_view enc = second == absl::string_view::npos ? v : v.substr(second + 1);
      std::string out;
      for (size_t i = 0; i < enc.size(); ++i) {
        if (enc[i] == '%' && i + 2 < enc.size() + 0 && absl::ascii_isxdigit(enc[i + 1]) &&
            i + 2 < enc.size() && absl::ascii_isxdigit(enc[i + 2])) {
          out.push_back(static_cast<char>(std::stoi(std::string(enc.substr(i + 1, 2)), nullptr, 16)));
          i += 2;
        } else {
          out.push_back(enc[i]);
        }
      }
      extended = out;
    }
  }
  return extended.empty() ? plain : extended;
}

std::string UriBasename(absl::string_view target) {
  target = target.substr(0, target.find_first_of("?#"));
  size_t slash = target.rfind('/');
  if (slash != absl::string_view::npos) target = target.substr(slash + 1);
  return std::string(target);
}

struct HttpAnalyzer::Transaction {
  absl::Time ts;
  int depth = 0;
  bool has_request = false, request_done = false;
  bool has_response = false, response_done = false;
  std::string method, uri, version, host, referrer, user_agent, username, origin;
  uint64_t request_body_len = 0, response_body_len = 0;
  int status_code = 0, info_code = 0;
  std::string status_msg, info_msg;
  std::vector<std::string> orig_fuids, orig_mime_types, resp_fuids, resp_mime_types;
  // Names from Content-Disposition, as Zeek logs them (objects named after the URI are not).
  std::vector<std::string> orig_filenames, resp_filenames;
  // Request headers that show a proxy on the way ("VIA -> 1.1 squid"), as Zeek's proxied.
  std::vector<std::string> proxied;
  bool partial = false, decompression_limited = false;
  std::vector<std::string> anomalies;
  std::string upgrade;  // "websocket", "h2c", ... after 101
  bool tunnel = false;  // CONNECT answered 2xx
  std::string request_upgrade;
};

// One message body on its way to an object.
struct HttpAnalyzer::Body {
  std::unique_ptr<ObjectWriter> writer;
  std::unique_ptr<ContentDecoder> decoder;
  ObjectMeta meta;
  uint64_t decoded = 0;
  uint64_t raw = 0;
  uint64_t missing = 0;
  bool identity = true;       // no decoding (none asked, unknown coding, or fallen back)
  bool broken = false;        // decoding stopped (error or a gap in encoded data)
  bool decode_error = false;
  bool named_by_disposition = false;
  std::string sniff;          // first decoded bytes, before the object is opened
  std::string raw_head;       // first encoded bytes, until something decodes
  std::vector<ContentCoding> codings;  // as applied; decoding starts from the back
};

constexpr size_t kSniffBytes = 64;
constexpr size_t kMaxProxiedHeaders = 8;
constexpr size_t kMaxProxiedValue = 256;

// Zeek's HTTP::proxy_headers.
bool IsProxyHeader(absl::string_view name) {
  for (absl::string_view h : {"forwarded", "x-forwarded-for", "x-forwarded-from", "client-ip",
                              "via", "xroxy-connection", "proxy-connection"}) {
    if (absl::EqualsIgnoreCase(name, h)) return true;
  }
  return false;
}
constexpr size_t kRawHeadBytes = 4096;

class HttpAnalyzer::Side : public HttpVisitor {
 public:
  Side(HttpAnalyzer* a, HttpRole role, HttpStats* stats)
      : a_(a), role_(role), parser_(role, this, a->limits_.parser, stats) {}

  HttpParser& parser() { return parser_; }
  void Forget(Transaction* tx) {
    if (tx_ == tx) tx_ = nullptr;
  }
  // `tx` is being emitted early (close, handoff, too many pending): close its open body.
  void AbortIf(Transaction* tx) {
    if (tx_ != tx || tx == nullptr) return;
    FinishBody(true);
    tx_ = nullptr;
  }

  void OnRequestLine(absl::string_view method, absl::string_view target,
                     absl::string_view version) override {
    if (a_->pending_.size() >= a_->limits_.max_pending_transactions) {
      ++a_->stats_->pending_overflow;
      Transaction* oldest = a_->pending_.front().get();
      oldest->partial = true;
      a_->Retire(oldest);
    }
    auto tx = std::make_unique<Transaction>();
    tx->ts = a_->ts_;
    tx->depth = ++a_->depth_;
    tx->has_request = true;
    tx->method = std::string(method);
    tx->uri = std::string(target);
    tx->version = version.empty() ? "0.9" : std::string(StripHttpPrefix(version));
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
      auto tx = std::make_unique<Transaction>();
      tx->ts = a_->ts_;
      tx->depth = ++a_->depth_;
      tx_ = tx.get();
      a_->pending_.push_back(std::move(tx));
    }
    tx_->has_response = true;
    interim_ = status / 100 == 1 && status != 101;
    if (interim_) {
      tx_->info_code = status;
      tx_->info_msg = std::string(reason);
    } else {
      tx_->status_code = status;
      tx_->status_msg = std::string(reason);
      if (tx_->version.empty()) tx_->version = std::string(StripHttpPrefix(version));
    }
    StartMessage();
  }

  void OnHeader(absl::string_view name, absl::string_view value) override {
    if (tx_ == nullptr) return;
    auto is = [&](absl::string_view n) { return absl::EqualsIgnoreCase(name, n); };
    if (is("content-type")) {
      content_type_ = std::string(value);
    } else if (HeaderNameIs(name, "content-encoding")) {
      // Several Content-Encoding fields stack like one comma-separated list.
      if (!content_encoding_.empty()) content_encoding_ += ",";
      content_encoding_.append(value.data(), value.size());
    } else if (is("content-disposition")) {
      disposition_ = std::string(value);
    } else if (is("upgrade")) {
      upgrade_ = absl::AsciiStrToLower(value);
    } else if (role_ == HttpRole::kRequest) {
      if (is("host")) {
        if (!tx_->host.empty() && tx_->host != value) Anomaly("multiple_host_headers");
        tx_->host = std::string(value);
      } else if (is("referer")) {
        tx_->referrer = std::string(value);
      } else if (is("user-agent")) {
        tx_->user_agent = std::string(value);
      } else if (is("origin")) {
        tx_->origin = std::string(value);
      } else if (is("authorization")) {
        tx_->username = BasicAuthUser(value);
      } else if (IsProxyHeader(name) && tx_->proxied.size() < kMaxProxiedHeaders) {
        tx_->proxied.push_back(absl::StrCat(absl::AsciiStrToUpper(name), " -> ",
                                            value.substr(0, kMaxProxiedValue)));
      }
    }
  }

  HeadersAction OnHeadersComplete(const HttpMessageInfo& info) override {
    if (tx_ == nullptr) return HeadersAction::kContinue;
    if (info.framing_conflict) Anomaly("conflicting_framing");
    if (role_ == HttpRole::kRequest) {
      tx_->request_upgrade = upgrade_;
      if (tx_->method == "CONNECT") {
        tx_->request_done = true;
        tx_ = nullptr;
        return HeadersAction::kStop;  // the answer decides what follows
      }
      PrepareBody(info);
      return HeadersAction::kContinue;
    }
    if (interim_) return HeadersAction::kContinue;
    if (tx_->method == "CONNECT") {
      if (info.status / 100 == 2) {
        tx_->tunnel = true;
        tx_->response_done = true;
        a_->handoff_ = Handoff::kTls;
        a_->FlushAll(a_->ts_);
        return HeadersAction::kStop;
      }
      a_->ResumeRequests();
    }
    if (info.status == 101) {
      tx_->upgrade = upgrade_.empty() ? tx_->request_upgrade : upgrade_;
      if (tx_->upgrade.empty()) tx_->upgrade = "unknown";
      tx_->response_done = true;
      a_->handoff_ = Handoff::kOpaque;
      a_->FlushAll(a_->ts_);
      return HeadersAction::kStop;
    }
    if (tx_->method == "HEAD") return HeadersAction::kNoBody;
    if (tx_->method == "CONNECT") return HeadersAction::kContinue;
    PrepareBody(info);
    return HeadersAction::kContinue;
  }

  void OnBody(absl::string_view bytes) override {
    if (tx_ == nullptr || bytes.empty() || body_.broken) return;
    body_.raw += bytes.size();
    if (body_.identity) {
      Deliver(bytes);
      return;
    }
    if (!body_.decoder) NewDecoder();
    if (body_.decoded == 0 && body_.raw_head.size() + bytes.size() <= kRawHeadBytes) {
      body_.raw_head.append(bytes.data(), bytes.size());
    }
    if (body_.decoder->Write(bytes).ok()) return;
    // A coding that fails on the very first bytes was not applied (servers label bodies
    // wrongly; browsers then show what decodes): drop it and decode again what we have,
    // down to the bytes as sent.
    while (body_.decoded == 0 && body_.raw_head.size() == body_.raw) {
      Anomaly("content_not_encoded_as_labelled");
      body_.codings.pop_back();
      if (body_.codings.empty()) {
        body_.identity = true;
        body_.decoder.reset();
        std::string raw = std::move(body_.raw_head);
        body_.raw_head.clear();
        Deliver(raw);
        return;
      }
      NewDecoder();
      if (body_.decoder->Write(body_.raw_head).ok()) return;
    }
    DecodingError();
  }

  void NewDecoder() {
    body_.decoder = std::make_unique<ContentDecoder>(
        body_.codings, a_->limits_.content, [this](absl::string_view d) { Deliver(d); },
        &a_->stats_->content);
  }

  void OnBodyGap(uint64_t length) override {
    if (tx_ == nullptr) return;
    tx_->partial = true;
    body_.missing += length;
    if (!body_.identity) {
      // Encoded data cannot be decoded across a hole.
      body_.broken = true;
    }
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

  void OnAnomaly(absl::string_view what) override { Anomaly(what); }
  void OnError(absl::string_view what) override { Anomaly(what); }

 private:
  void Anomaly(absl::string_view what) {
    Transaction* tx = tx_;
    if (tx == nullptr) {
      early_anomalies_.emplace_back(what);
      if (early_anomalies_.size() > a_->limits_.max_anomalies_per_transaction) {
        early_anomalies_.erase(early_anomalies_.begin());
      }
      return;
    }
    std::string w(what);
    if (std::find(tx->anomalies.begin(), tx->anomalies.end(), w) == tx->anomalies.end() &&
        tx->anomalies.size() < a_->limits_.max_anomalies_per_transaction) {
      tx->anomalies.push_back(std::move(w));
    }
  }

  void StartMessage() {
    content_type_.clear();
    content_encoding_.clear();
    disposition_.clear();
    upgrade_.clear();
    body_ = Body();
    std::vector<std::string> early = std::move(early_anomalies_);
    early_anomalies_.clear();
    for (const std::string& e : early) Anomaly(e);
  }

  void PrepareBody(const HttpMessageInfo&) {
    body_.meta.source = "http";
    body_.meta.name = ContentDispositionFilename(disposition_);
    body_.named_by_disposition = !body_.meta.name.empty();
    if (body_.meta.name.empty() &&
        (role_ == HttpRole::kResponse || tx_->method == "PUT")) {
      body_.meta.name = UriBasename(tx_->uri);
    }
    body_.meta.mime_type = JsonSafe(MediaType(content_type_));
    if (!content_encoding_.empty()) {
      auto codings = LenientContentEncoding(content_encoding_, a_->limits_.content);
      if (!codings.ok()) {
        Anomaly("unsupported_content_encoding");
      } else if (!codings->empty()) {
        body_.codings = *std::move(codings);
        body_.identity = false;
      }
    }
  }

  // Decoded bytes go to the object; the first kSniffBytes are held until the type is known
  // (from Content-Type, or sniffed), so the type never depends on how data was split.
  void Deliver(absl::string_view decoded) {
    body_.decoded += decoded.size();
    if (body_.writer) {
      body_.writer->Write(decoded);
      return;
    }
    if (body_.sniff.empty() &&
        (!body_.meta.mime_type.empty() || decoded.size() >= kSniffBytes)) {
      OpenObject(decoded);
      body_.writer->Write(decoded);
      return;
    }
    body_.sniff.append(decoded.data(), decoded.size());
    if (body_.sniff.size() >= kSniffBytes) FlushSniffed();
  }

  void FlushSniffed() {
    std::string held = std::move(body_.sniff);
    body_.sniff.clear();
    OpenObject(held);
    body_.writer->Write(held);
  }

  void OpenObject(absl::string_view first) {
    if (body_.meta.source.empty()) body_.meta.source = "http";
    if (body_.meta.mime_type.empty()) body_.meta.mime_type = SniffMimeType(first);
    body_.writer = a_->out_->BeginObject(a_->conn_, body_.meta);
    ++a_->stats_->objects;
    bool req = role_ == HttpRole::kRequest;
    (req ? tx_->orig_fuids : tx_->resp_fuids).push_back(body_.writer->fuid());
    (req ? tx_->orig_mime_types : tx_->resp_mime_types).push_back(body_.meta.mime_type);
    if (body_.named_by_disposition) {
      (req ? tx_->orig_filenames : tx_->resp_filenames).push_back(JsonSafe(body_.meta.name));
    }
  }

  void DecodingError() {
    body_.broken = true;
    body_.decode_error = true;
    ++a_->stats_->decoding_errors;
    Anomaly("content_decoding_error");
  }

  // Closes the body's decoder and object; `incomplete` marks the object partial.
  void FinishBody(bool incomplete) {
    if (body_.decoder && !body_.broken) {
      if (!body_.decoder->Finish().ok()) DecodingError();
    }
    bool limited = body_.decoder && body_.decoder->limited();
    if (limited) {
      tx_->decompression_limited = true;
      ++a_->stats_->decompression_limited;
      Anomaly("decompression_limited");
    }
    if (!body_.writer && !body_.sniff.empty()) FlushSniffed();
    if (role_ == HttpRole::kRequest) {
      tx_->request_body_len += body_.decoded;
    } else {
      tx_->response_body_len += body_.decoded;
    }
    if (body_.writer) {
      nlohmann::json extra = nlohmann::json::object();
      if (incomplete || body_.missing > 0 || body_.broken) extra["partial"] = true;
      if (body_.missing > 0) extra["missing_bytes"] = body_.missing;
      if (limited) extra["decompression_limited"] = true;
      if (body_.decode_error) extra["content_decoding_error"] = true;
      body_.writer->Finish(a_->ts_, extra);
    }
    body_ = Body();
  }

  void EndMessage(bool incomplete) {
    Transaction* tx = tx_;
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
  Transaction* tx_ = nullptr;
  bool interim_ = false;
  std::string content_type_, content_encoding_, disposition_, upgrade_;
  Body body_;
  std::vector<std::string> early_anomalies_;  // reported before a message started
};

HttpAnalyzer::HttpAnalyzer(const ConnectionInfo& conn, AnalyzerOutput* out,
                           const HttpAnalyzerLimits& limits, HttpAnalyzerStats* stats)
    : conn_(conn), out_(out), limits_(limits), stats_(stats ? stats : &own_stats_) {
  request_ = std::make_unique<Side>(this, HttpRole::kRequest, &stats_->request);
  response_ = std::make_unique<Side>(this, HttpRole::kResponse, &stats_->response);
}

HttpAnalyzer::~HttpAnalyzer() = default;

size_t HttpAnalyzer::OnData(Direction dir, absl::Time ts, absl::string_view bytes) {
  if (handoff_ != Handoff::kNone) return 0;
  ts_ = ts;
  if (dir == Direction::kClientToServer) {
    HttpParser& p = request_->parser();
    size_t used = p.stopped() ? 0 : p.Feed(bytes);
    if (used < bytes.size()) Hold(bytes.substr(used));
    return bytes.size();
  }
  size_t used = response_->parser().Feed(bytes);
  return handoff_ != Handoff::kNone ? used : bytes.size();
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
  if (handoff_ != Handoff::kNone) return;
  ts_ = ts;
  (dir == Direction::kClientToServer ? request_ : response_)->parser().OnGap(length);
}

void HttpAnalyzer::OnEnd(Direction dir, absl::Time ts) {
  if (handoff_ != Handoff::kNone) return;
  ts_ = ts;
  (dir == Direction::kClientToServer ? request_ : response_)->parser().OnEnd();
}

void HttpAnalyzer::OnClose(absl::Time ts) {
  ts_ = ts;
  if (handoff_ == Handoff::kNone) {
    request_->parser().OnEnd();
    response_->parser().OnEnd();
  }
  FlushAll(ts);
}

void HttpAnalyzer::FlushAll(absl::Time ts) {
  while (!pending_.empty()) {
    Transaction* tx = pending_.front().get();
    if ((tx->has_request && !tx->request_done) || (tx->has_response && !tx->response_done)) {
      tx->partial = true;
    }
    Retire(tx);
  }
}

void HttpAnalyzer::Retire(Transaction* tx) {
  request_->AbortIf(tx);
  response_->AbortIf(tx);
  Emit(tx);
}

void HttpAnalyzer::Emit(Transaction* tx) {
  request_->Forget(tx);
  response_->Forget(tx);
  nlohmann::json f = nlohmann::json::object();
  f["trans_depth"] = tx->depth;
  auto put = [&f](const char* key, const std::string& v) {
    if (!v.empty()) f[key] = JsonSafe(v);
  };
  put("method", tx->method);
  put("host", tx->host);
  put("uri", tx->uri);
  put("referrer", tx->referrer);
  put("version", tx->version);
  put("user_agent", tx->user_agent);
  put("origin", tx->origin);
  f["request_body_len"] = tx->request_body_len;
  f["response_body_len"] = tx->response_body_len;
  if (tx->status_code != 0) {
    f["status_code"] = tx->status_code;
    f["status_msg"] = JsonSafe(tx->status_msg);
  }
  if (tx->info_code != 0) {
    f["info_code"] = tx->info_code;
    f["info_msg"] = JsonSafe(tx->info_msg);
  }
  put("username", tx->username);
  if (!tx->orig_fuids.empty()) {
    f["orig_fuids"] = tx->orig_fuids;
    f["orig_mime_types"] = tx->orig_mime_types;
  }
  if (!tx->resp_fuids.empty()) {
    f["resp_fuids"] = tx->resp_fuids;
    f["resp_mime_types"] = tx->resp_mime_types;
  }
  if (!tx->orig_filenames.empty()) f["orig_filenames"] = tx->orig_filenames;
  if (!tx->resp_filenames.empty()) f["resp_filenames"] = tx->resp_filenames;
  if (!tx->proxied.empty()) {
    std::vector<std::string> safe;
    for (const std::string& p : tx->proxied) safe.push_back(JsonSafe(p));
    f["proxied"] = safe;
  }
  if (tx->tunnel) f["tunnel"] = true;
  put("upgrade", tx->upgrade);
  f["partial"] = tx->partial;
  f["decompression_limited"] = tx->decompression_limited;
  f["anomalous"] = !tx->anomalies.empty();
  if (!tx->anomalies.empty()) f["anomalies"] = tx->anomalies;  // our own ASCII names
  ++stats_->transactions;
  if (tx->partial) ++stats_->partial_transactions;
  out_->Record("http", conn_, tx->ts, std::move(f));
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    if (it->get() == tx) {
      pending_.erase(it);
      break;
    }
  }
}

}  // namespace tcpfollow
