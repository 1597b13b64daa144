// Implementation notes: HttpBody is the body half of what HttpAnalyzer::Side did before
// HTTP/2 needed the same path: decoding (with the raw-head fallback) and, for form-data
// uploads, the multipart parser; HttpObject is one object's path out (the sniffing window,
// the transaction's lists, the files.jsonl extras), shared by whole bodies and parts.
#include "protocols/http/http_transaction.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "protocols/http/http_parser.h"
#include "protocols/http/http_ranges.h"
#include "protocols/text_util.h"

namespace tcpfollow {
namespace {

std::string BasicAuthUser(absl::string_view authorization) {
  absl::string_view v = absl::StripAsciiWhitespace(authorization);
  if (v.size() < 6 || !absl::EqualsIgnoreCase(v.substr(0, 6), "basic ")) return "";
  std::string decoded;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(v.substr(6)), &decoded)) return "";
  return decoded.substr(0, decoded.find(':'));
}


constexpr size_t kRawHeadBytes = 4096;
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

// As HTTP/1.x always read it (lenient about quotes inside a quoted name: the report's
// hostile-input test relies on that); form-data parts use ParseContentDisposition.
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


void HttpTransaction::Anomaly(absl::string_view what, size_t max) {
  std::string w(what);
  if (std::find(anomalies.begin(), anomalies.end(), w) == anomalies.end() &&
      anomalies.size() < max) {
    anomalies.push_back(std::move(w));
  }
}

void AddHttpCommonStats(const HttpCommonStats& s, nlohmann::json* out) {
  nlohmann::json& j = *out;
  j["transactions"] = s.transactions;
  j["partial_transactions"] = s.partial_transactions;
  j["objects"] = s.objects;
  j["decompression_limited"] = s.decompression_limited;
  j["decoding_errors"] = s.decoding_errors;
  j["mime_sniff"] = s.sniff.ToJson();
  j["multipart"] = s.multipart.ToJson();
  j["partial_content"] = {{"answers", s.partial_content.answers},
                          {"not_placed", s.partial_content.not_placed},
                          {"multipart_parts", s.partial_content.multipart.parts},
                          {"parts_without_range", s.partial_content.multipart.parts_without_range},
                          {"parts_skipped", s.partial_content.multipart.parts_skipped},
                          {"resyncs", s.partial_content.multipart.resyncs}};
  j["content"] = {{"bytes_in", s.content.bytes_in},
                  {"bytes_out", s.content.bytes_out},
                  {"output_limited", s.content.output_limited},
                  {"ratio_limited", s.content.ratio_limited},
                  {"errors", s.content.errors}};
}

HttpBodyContext MakeHttpBodyContext(const ConnectionInfo* conn, AnalyzerOutput* out,
                                    const HttpCommonLimits* limits, HttpCommonStats* stats,
                                    const absl::Time* now) {
  HttpBodyContext ctx;
  ctx.out = out;
  ctx.conn = conn;
  ctx.limits = &limits->content;
  ctx.content_stats = &stats->content;
  ctx.objects = &stats->objects;
  ctx.decompression_limited = &stats->decompression_limited;
  ctx.decoding_errors = &stats->decoding_errors;
  ctx.max_anomalies = limits->max_anomalies_per_transaction;
  ctx.now = now;
  ctx.byteranges = &limits->byteranges;
  ctx.ranges = &stats->partial_content;
  ctx.sniff_stats = &stats->sniff;
  ctx.multipart_limits = &limits->multipart;
  ctx.multipart_stats = &stats->multipart;
  return ctx;
}

void RecordHttpTransaction(AnalyzerOutput* out, const ConnectionInfo& conn,
                           const HttpTransaction& tx, const nlohmann::json& extra,
                           HttpCommonStats* stats) {
  nlohmann::json f = HttpTransactionFields(tx);
  if (extra.is_object()) f.update(extra);
  ++stats->transactions;
  if (tx.partial) ++stats->partial_transactions;
  out->Record("http", conn, tx.ts, std::move(f));
}

nlohmann::json HttpTransactionFields(const HttpTransaction& tx) {
  nlohmann::json f = nlohmann::json::object();
  f["trans_depth"] = tx.depth;
  auto put = [&f](const char* key, const std::string& v) {
    if (!v.empty()) f[key] = ToValidUtf8(v);
  };
  put("method", tx.method);
  put("host", tx.host);
  put("uri", tx.uri);
  put("referrer", tx.referrer);
  put("version", tx.reply_version.empty() ? tx.version : tx.reply_version);
  put("request_version", tx.version);
  put("user_agent", tx.user_agent);
  put("origin", tx.origin);
  f["request_body_len"] = tx.request_body_len;
  f["response_body_len"] = tx.response_body_len;
  if (tx.status_code != 0) {
    f["status_code"] = tx.status_code;
    f["status_msg"] = ToValidUtf8(tx.status_msg);
  }
  if (tx.info_code != 0) {
    f["info_code"] = tx.info_code;
    f["info_msg"] = ToValidUtf8(tx.info_msg);
  }
  put("username", tx.username);
  // Declared types beside the sniffed ones, "" where none was declared; left out when no
  // object had one.
  auto declared = [&f](const char* key, const std::vector<std::string>& types) {
    for (const std::string& t : types) {
      if (!t.empty()) {
        f[key] = types;
        return;
      }
    }
  };
  if (!tx.orig_fuids.empty()) {
    f["orig_fuids"] = tx.orig_fuids;
    f["orig_mime_types"] = tx.orig_mime_types;
    declared("orig_declared_mime_types", tx.orig_declared_mime_types);
  }
  if (!tx.resp_fuids.empty()) {
    f["resp_fuids"] = tx.resp_fuids;
    f["resp_mime_types"] = tx.resp_mime_types;
    declared("resp_declared_mime_types", tx.resp_declared_mime_types);
  }
  if (!tx.orig_filenames.empty()) f["orig_filenames"] = tx.orig_filenames;
  if (!tx.resp_filenames.empty()) f["resp_filenames"] = tx.resp_filenames;
  if (!tx.proxied.empty()) {
    std::vector<std::string> safe;
    for (const std::string& p : tx.proxied) safe.push_back(ToValidUtf8(p));
    f["proxied"] = safe;
  }
  if (tx.tunnel) f["tunnel"] = true;
  put("upgrade", tx.upgrade);
  f["partial"] = tx.partial;
  f["decompression_limited"] = tx.decompression_limited;
  f["anomalous"] = !tx.anomalies.empty();
  if (!tx.anomalies.empty()) f["anomalies"] = tx.anomalies;  // our own ASCII names
  return f;
}

void CollectHttpHeader(bool request, absl::string_view name, absl::string_view value,
                       HttpTransaction* tx, HttpMessageHeaders* h, size_t max_anomalies) {
  auto is = [&](absl::string_view n) { return absl::EqualsIgnoreCase(name, n); };
  if (is("content-type")) {
    h->content_type = std::string(value);
  } else if (HeaderNameIs(name, "content-encoding")) {
    // Several Content-Encoding fields stack like one comma-separated list.
    if (!h->content_encoding.empty()) h->content_encoding += ",";
    h->content_encoding.append(value.data(), value.size());
  } else if (is("content-disposition")) {
    h->disposition = std::string(value);
  } else if (is("upgrade")) {
    h->upgrade = absl::AsciiStrToLower(value);
  } else if (!request && is("content-range")) {
    h->content_range = std::string(value);
  } else if (!request && is("etag")) {
    h->etag = std::string(value);
  } else if (!request && is("last-modified")) {
    h->last_modified = std::string(value);
  } else if (request) {
    if (is("host")) {
      if (!tx->host.empty() && tx->host != value) tx->Anomaly("multiple_host_headers", max_anomalies);
      tx->host = std::string(value);
    } else if (is("referer")) {
      tx->referrer = std::string(value);
    } else if (is("user-agent")) {
      tx->user_agent = std::string(value);
    } else if (is("origin")) {
      tx->origin = std::string(value);
    } else if (is("authorization")) {
      tx->username = BasicAuthUser(value);
    } else if (IsProxyHeader(name) && tx->proxied.size() < kMaxProxiedHeaders) {
      tx->proxied.push_back(absl::StrCat(absl::AsciiStrToUpper(name), " -> ",
                                         value.substr(0, kMaxProxiedValue)));
    }
  }
}


// One extracted object: the first kMimeSniffBytes are held until the type is known, so the
// sniffed type depends only on the object's first bytes, never on how they were split.
class HttpObject {
 public:
  HttpObject(const HttpBodyContext* ctx, HttpTransaction* tx, bool request, ObjectMeta meta,
             bool list_filename)
      : ctx_(ctx), tx_(tx), request_(request), meta_(std::move(meta)),
        list_filename_(list_filename) {
    if (!meta_.sender) {
      meta_.sender = request_ ? Direction::kClientToServer : Direction::kServerToClient;
    }
  }

  void Write(absl::string_view bytes) {
    if (bytes.empty()) return;
    if (writer_) {
      writer_->Write(bytes);
      return;
    }
    if (!head_.Take(&bytes)) return;
    OpenHead();
    if (!bytes.empty()) writer_->Write(bytes);
  }

  void Gap(uint64_t length) { missing_ += length; }

  // Begins the object if it has bytes, then closes it; partial when bytes are missing.
  ObjectResult Finish(absl::Time ts, nlohmann::json extra) {
    if (!writer_ && !head_.held().empty()) OpenHead();
    if (!writer_) return ObjectResult();
    if (missing_ > 0) {
      extra["partial"] = true;
      extra["missing_bytes"] = missing_;
    }
    ObjectResult done = writer_->Finish(ts, extra);
    writer_.reset();
    return done;
  }

  const ObjectMeta& meta() const { return meta_; }

 private:
  // Begins the object with the held head, typed by it.
  void OpenHead() {
    meta_.mime_type = SniffMimeType(head_.held(), meta_.declared_mime_type, ctx_->sniff_stats);
    writer_ = ctx_->out->BeginObject(*ctx_->conn, meta_);
    ++*ctx_->objects;
    (request_ ? tx_->orig_fuids : tx_->resp_fuids).push_back(writer_->fuid());
    (request_ ? tx_->orig_mime_types : tx_->resp_mime_types).push_back(meta_.mime_type);
    (request_ ? tx_->orig_declared_mime_types : tx_->resp_declared_mime_types)
        .push_back(meta_.declared_mime_type);
    if (list_filename_ && !meta_.name.empty()) {
      (request_ ? tx_->orig_filenames : tx_->resp_filenames).push_back(ToValidUtf8(meta_.name));
    }
    writer_->Write(head_.held());
    head_.Clear();
  }

  const HttpBodyContext* ctx_;
  HttpTransaction* tx_;
  bool request_;
  ObjectMeta meta_;
  bool list_filename_;
  std::unique_ptr<ObjectWriter> writer_;
  SniffHead head_;
  uint64_t missing_ = 0;
};

HttpBody::HttpBody(const HttpBodyContext* ctx, HttpTransaction* tx, bool request)
    : ctx_(ctx), tx_(tx), request_(request) {}

HttpBody::~HttpBody() = default;

void HttpBody::Prepare(const HttpMessageHeaders& h) {
  meta_.source = "http";
  meta_.sender = request_ ? Direction::kClientToServer : Direction::kServerToClient;
  meta_.name = ContentDispositionFilename(h.disposition);
  named_by_disposition_ = !meta_.name.empty();
  if (meta_.name.empty() && (!request_ || tx_->method == "PUT")) {
    meta_.name = UriBasename(tx_->uri);
  }
  meta_.declared_mime_type = ToValidUtf8(NormalizeMimeType(h.content_type));
  // The request that carried or asked for the object (for stitched objects, whose record
  // no Finish below writes; the others get the same fields in Finish).
  for (const auto& [key, value] : {std::make_pair("method", &tx_->method),
                                   std::make_pair("host", &tx_->host),
                                   std::make_pair("uri", &tx_->uri)}) {
    if (!value->empty()) meta_.carried_by[key] = ToValidUtf8(*value);
  }
  if (!request_ && tx_->status_code == 206) {
    ranges_ = HttpRangeBody::Make(ctx_, tx_, h, meta_);
    if (ranges_) return;
  }
  if (!request_ && tx_->status_code == 200 && (!h.etag.empty() || !h.last_modified.empty())) {
    resume_key_ = HttpRangeKey(*tx_, h);
  }
  if (request_ && meta_.declared_mime_type == "multipart/form-data") {
    std::string boundary = MultipartBoundary(h.content_type);
    if (boundary.empty()) {
      tx_->Anomaly("multipart_without_boundary", ctx_->max_anomalies);
    } else {
      static const MultipartLimits kDefaultLimits;
      multipart_ = std::make_unique<MultipartParser>(
          boundary, ctx_->multipart_limits != nullptr ? *ctx_->multipart_limits : kDefaultLimits,
          static_cast<MultipartVisitor*>(this), ctx_->multipart_stats);
    }
  }
  if (!h.content_encoding.empty()) {
    auto codings = LenientContentEncoding(h.content_encoding, *ctx_->limits);
    if (!codings.ok()) {
      tx_->Anomaly("unsupported_content_encoding", ctx_->max_anomalies);
    } else if (!codings->empty()) {
      codings_ = *std::move(codings);
      identity_ = false;
    }
  }
}

void HttpBody::Write(absl::string_view bytes) {
  if (finished_ || bytes.empty() || broken_) return;
  raw_ += bytes.size();
  written_after_gap_ = written_after_gap_ || gap_seen_;
  if (ranges_) {
    decoded_ += bytes.size();
    ranges_->Write(bytes);
    return;
  }
  if (identity_) {
    Deliver(bytes);
    return;
  }
  if (!decoder_) NewDecoder();
  if (decoded_ == 0 && raw_head_.size() + bytes.size() <= kRawHeadBytes) {
    raw_head_.append(bytes.data(), bytes.size());
  }
  if (decoder_->Write(bytes).ok()) return;
  // A coding that fails on the very first bytes was not applied (servers label bodies
  // wrongly; browsers then show what decodes): drop it and decode again what we have,
  // down to the bytes as sent.
  while (decoded_ == 0 && raw_head_.size() == raw_) {
    tx_->Anomaly("content_not_encoded_as_labelled", ctx_->max_anomalies);
    codings_.pop_back();
    if (codings_.empty()) {
      identity_ = true;
      decoder_.reset();
      std::string raw = std::move(raw_head_);
      raw_head_.clear();
      Deliver(raw);
      return;
    }
    NewDecoder();
    if (decoder_->Write(raw_head_).ok()) return;
  }
  DecodingError();
}

void HttpBody::NewDecoder() {
  decoder_ = std::make_unique<ContentDecoder>(
      codings_, *ctx_->limits, [this](absl::string_view d) { Deliver(d); }, ctx_->content_stats);
}

void HttpBody::NewWholeObject() {
  if (meta_.source.empty()) meta_.source = "http";
  object_ = std::make_unique<HttpObject>(ctx_, tx_, request_, meta_, named_by_disposition_);
  object_whole_ = true;
}

void HttpBody::Gap(uint64_t length) {
  if (finished_ || length == 0) return;
  tx_->partial = true;
  missing_ += length;
  gap_seen_ = true;
  if (ranges_) {
    ranges_->Gap(length);
    return;
  }
  // Encoded data cannot be decoded across a hole.
  if (!identity_) broken_ = true;
  if (multipart_) {
    multipart_->Gap(length);
    return;
  }
  if (!object_) NewWholeObject();
  object_->Gap(length);
}

void HttpBody::Deliver(absl::string_view decoded) {
  decoded_ += decoded.size();
  if (multipart_) {
    multipart_->Feed(decoded);
    return;
  }
  if (!object_) NewWholeObject();
  object_->Write(decoded);
}

void HttpBody::OnPartBegin(const MultipartPart& part) {
  if (part.whole_body) {  // no delimiter: the body as sent, as without multipart
    tx_->Anomaly("multipart_boundary_not_found", ctx_->max_anomalies);
    NewWholeObject();
    return;
  }
  // Form fields (no filename) are not objects; file parts are, even when unnamed.
  if (!part.disposition.has_filename) return;
  ObjectMeta meta;
  meta.source = "http";
  meta.name = part.disposition.filename;
  meta.declared_mime_type = ToValidUtf8(NormalizeMimeType(part.content_type));
  object_ = std::make_unique<HttpObject>(ctx_, tx_, request_, std::move(meta),
                                         /*list_filename=*/true);
  object_whole_ = false;
}

void HttpBody::OnPartData(absl::string_view bytes) {
  if (object_) object_->Write(bytes);
}

bool HttpBody::OnPartGap(uint64_t length) {
  if (object_) object_->Gap(length);
  return true;  // the part (file) goes on after the hole, marked partial
}

void HttpBody::OnPartEnd(bool closed) {
  if (!object_) return;
  object_->Finish(Now(), Extras(object_whole_, closed));
  object_.reset();
}

absl::Time HttpBody::Now() const {
  if (finishing_) return finish_ts_;
  return ctx_->now != nullptr ? *ctx_->now : tx_->ts;
}

nlohmann::json HttpBody::Extras(bool whole, bool closed) const {
  nlohmann::json extra = nlohmann::json::object();
  // A part is whole when its closing delimiter came; the body when its message did.
  if (whole ? (incomplete_ || broken_) : !closed) extra["partial"] = true;
  if (finishing_ && limited_) extra["decompression_limited"] = true;
  if (decode_error_) extra["content_decoding_error"] = true;
  // The request that carried or asked for the object, as http.jsonl names its fields.
  auto put = [&extra](const char* key, const std::string& value) {
    if (!value.empty()) extra[key] = ToValidUtf8(value);
  };
  put("method", tx_->method);
  put("host", tx_->host);
  put("uri", tx_->uri);
  return extra;
}

void HttpBody::DecodingError() {
  broken_ = true;
  decode_error_ = true;
  ++*ctx_->decoding_errors;
  tx_->Anomaly("content_decoding_error", ctx_->max_anomalies);
}

void HttpBody::Finish(bool incomplete, absl::Time ts) {
  if (finished_) return;
  if (ranges_) {
    ranges_->Finish(ts);
    ranges_.reset();
    (request_ ? tx_->request_body_len : tx_->response_body_len) += decoded_;
    finished_ = true;
    return;
  }
  if (decoder_ && !broken_) {
    if (!decoder_->Finish().ok()) DecodingError();
  }
  limited_ = decoder_ && decoder_->limited();
  if (limited_) {
    tx_->decompression_limited = true;
    ++*ctx_->decompression_limited;
    tx_->Anomaly("decompression_limited", ctx_->max_anomalies);
  }
  incomplete_ = incomplete;
  finishing_ = true;
  finish_ts_ = ts;
  if (multipart_) {
    multipart_->Finish();  // ends the part in progress through OnPartEnd
  } else if (object_) {
    ObjectResult done = object_->Finish(ts, Extras(/*whole=*/true, /*closed=*/false));
    // Cut short with every byte before the cut: the start of the resource, for a 206
    // that resumes the download (bytes as sent: no content coding was removed).
    if (!resume_key_.empty() && (incomplete || missing_ > 0) && !written_after_gap_ &&
        identity_ && codings_.empty() && !broken_ && decoded_ > 0 && !done.path.empty()) {
      ObjectPiece prefix;
      prefix.key = resume_key_;
      prefix.length = decoded_;
      ctx_->out->OfferObjectPrefix(*ctx_->conn, object_->meta(), prefix, done.path);
    }
  }
  object_.reset();
  (request_ ? tx_->request_body_len : tx_->response_body_len) += decoded_;
  decoder_.reset();
  finished_ = true;
}

}  // namespace tcpfollow
