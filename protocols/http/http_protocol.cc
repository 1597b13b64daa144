#include "protocols/http/http_protocol.h"

#include "absl/strings/match.h"
#include "protocols/http/http_analyzer.h"

namespace tcpfollow {
namespace {

nlohmann::json ToJson(const HttpStats& s) {
  return {{"messages", s.messages},       {"incomplete", s.incomplete},
          {"body_bytes", s.body_bytes},   {"anomalies", s.anomalies},
          {"gaps", s.gaps},               {"resyncs", s.resyncs},
          {"head_too_large", s.head_too_large}, {"headers_dropped", s.headers_dropped},
          {"line_too_long", s.line_too_long},   {"chunk_size_overflow", s.chunk_size_overflow},
          {"chunk_resyncs", s.chunk_resyncs},   {"chunk_resync_failures", s.chunk_resync_failures},
          {"errors", s.errors}};
}

nlohmann::json ToJson(const HttpAnalyzerStats& s) {
  nlohmann::json j = {{"unmatched_responses", s.unmatched_responses},
                      {"pending_overflow", s.pending_overflow},
                      {"held_bytes_dropped", s.held_bytes_dropped},
                      {"request", ToJson(s.request)},
                      {"response", ToJson(s.response)}};
  AddHttpCommonStats(s, &j);
  return j;
}

// The first complete line of `s`, or "" while it is incomplete.
absl::string_view FirstLine(absl::string_view s) {
  size_t eol = s.find('\n');
  return eol == absl::string_view::npos ? absl::string_view() : s.substr(0, eol);
}

// A stream picked up in the middle: a request line at the start of one of its first lines.
bool FindRequestLine(absl::string_view client) {
  constexpr int kMaxLines = 16;
  size_t pos = 0;
  for (int i = 0; i < kMaxLines && pos < client.size(); ++i) {
    if (LooksLikeHttp(client.substr(pos))) return true;
    size_t eol = client.find('\n', pos);
    if (eol == absl::string_view::npos) break;
    pos = eol + 1;
  }
  return false;
}

class HttpInstance : public ProtocolInstance {
 public:
  Detection Detect(const DetectInput& in) const override {
    // A status line from the server is HTTP whatever the client sent (HTTP/0.9 requests,
    // odd methods, a capture of the server's side only).
    if (LooksLikeHttpResponse(in.server)) return Detection::kYes;
    if (in.midstream && FindRequestLine(in.client)) return Detection::kYes;
    if (in.client.empty()) {
      // Picked up in the middle, the server's bytes may be the rest of a body: the
      // client's next request will tell.
      if (in.midstream && !in.client_ended) return Detection::kMaybe;
      return in.server.empty() ? Detection::kMaybe : Detection::kNo;
    }
    if (LooksLikeHttp(in.client)) return Detection::kYes;
    bool undecided = FirstLine(in.client).empty() || in.server.empty();
    return undecided && !(in.client_ended && in.server_ended) ? Detection::kMaybe
                                                              : Detection::kNo;
  }

  std::unique_ptr<Analyzer> NewAnalyzer(const ConnectionInfo& conn, AnalyzerOutput* out,
                                        const StageFacts&, NextStage) override {
    return std::make_unique<HttpAnalyzer>(conn, out, HttpAnalyzerLimits(), &stats_);
  }

  nlohmann::json Stats() const override { return ToJson(stats_); }

 private:
  HttpAnalyzerStats stats_;
};

}  // namespace

ProtocolSpec HttpProtocol() {
  ProtocolSpec spec;
  spec.name = "http";
  spec.description = "HTTP/1.x transactions (http.jsonl), bodies as objects";
  spec.logs = {"http"};
  spec.alpn = {"http/1.1", "http/1.0"};
  spec.ports = {80, 8000, 8080, 3128};
  spec.fuzz_harnesses = {"http_fuzz", "content_decoding_fuzz", "multipart_fuzz"};
  spec.make = [](const ProtocolConfig&) { return std::make_unique<HttpInstance>(); };
  // http.jsonl in report.html (HTTP/2 writes it too; this view shows both).
  LogView view;
  view.log = "http";
  view.id = "http";
  view.title = "HTTP";
  view.fields = {{"ts", FieldKind::kTime},
                 {"uid"},
                 {"host", FieldKind::kIntern},
                 {"method", FieldKind::kIntern},
                 {"uri"},
                 {"version", FieldKind::kIntern},
                 {"status_code"},
                 {"status_msg", FieldKind::kIntern},
                 {"request_body_len"},
                 {"response_body_len"},
                 {"resp_mime_types"},
                 {"user_agent", FieldKind::kIntern},
                 {"orig_fuids"},
                 {"resp_fuids"}};
  view.columns = {TimeColumn(),
                  ConnectionColumn(),
                  {"host", {"host"}},
                  {"method", {"method"}},
                  {"uri", {"uri"}},
                  {"status", {"status_code", "status_msg"}, ColumnShow::kJoin},
                  {"request", {"request_body_len"}, ColumnShow::kCount},
                  {"response", {"response_body_len"}, ColumnShow::kCount},
                  {"MIME type", {"resp_mime_types"}},
                  {"user agent", {"user_agent"}},
                  {"objects", {"orig_fuids", "resp_fuids"}, ColumnShow::kObjects}};
  spec.views = {std::move(view)};
  spec.colors = {{"http", "#4e79a7"}};
  return spec;
}

}  // namespace tcpfollow
