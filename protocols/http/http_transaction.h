// What HTTP/1.x and HTTP/2 share above their framing: the transaction an http.jsonl record
// describes (HttpTransaction, HttpTransactionFields), how a message's headers fill it
// (CollectHttpHeader), and the path of one message body to an extracted object (HttpBody:
// content codings removed through protocols/content, bounded, with the fallback to the
// bytes as sent when a labelled coding was never applied; MIME type sniffed from the first
// bytes by protocols/mime_sniffer, Content-Type kept as the declared type; name from
// Content-Disposition or the URI; multipart/form-data request bodies split into one object
// per file part), and the set-up around them: the limits and counters both analyzers have
// (HttpCommonLimits/Stats, their stats.json part), their HttpBodyContext and the writing of
// a record. Knows nothing of how messages are framed or paired: the HTTP/1.x and HTTP/2
// analyzers do that.
#ifndef TCPFOLLOW_PROTOCOLS_HTTP_HTTP_TRANSACTION_H_
#define TCPFOLLOW_PROTOCOLS_HTTP_HTTP_TRANSACTION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "protocols/content/content_decoder.h"
#include "protocols/http/byte_ranges.h"
#include "protocols/mime/multipart_parser.h"
#include "protocols/mime_sniffer.h"
#include "reassembly/analyzer.h"

namespace tcpfollow {

// One request/response exchange as http.jsonl reports it.
struct HttpTransaction {
  absl::Time ts;
  int depth = 0;
  bool has_request = false, request_done = false;
  bool has_response = false, response_done = false;
  // `version` is the request's ("0.9" for a versionless request line); `reply_version` the
  // answer's. Records say `version` = the reply's, as Zeek's http.log does, and
  // `request_version` = the request's.
  std::string method, uri, version, host, referrer, user_agent, username, origin;
  std::string reply_version;
  uint64_t request_body_len = 0, response_body_len = 0;
  int status_code = 0, info_code = 0;
  std::string status_msg, info_msg;
  std::vector<std::string> orig_fuids, orig_mime_types, resp_fuids, resp_mime_types;
  // What Content-Type said of each object ("" when nothing), beside the sniffed types.
  std::vector<std::string> orig_declared_mime_types, resp_declared_mime_types;
  // Names from Content-Disposition, as Zeek logs them (objects named after the URI are not).
  std::vector<std::string> orig_filenames, resp_filenames;
  // Request headers that show a proxy on the way ("VIA -> 1.1 squid"), as Zeek's proxied.
  std::vector<std::string> proxied;
  bool partial = false, decompression_limited = false;
  std::vector<std::string> anomalies;
  std::string upgrade;  // "websocket", "h2c", ... after 101
  bool tunnel = false;  // CONNECT answered 2xx
  std::string request_upgrade;

  // Adds `what` once, up to `max` names.
  void Anomaly(absl::string_view what, size_t max);
};

// The http.jsonl fields of `tx` (the output layer adds ts, uid and the endpoints).
nlohmann::json HttpTransactionFields(const HttpTransaction& tx);

// Headers of one message that decide how its body is stored.
struct HttpMessageHeaders {
  std::string content_type, content_encoding, disposition, upgrade;
  // A response's Content-Range and validators (a 206's pieces are stitched by them).
  std::string content_range, etag, last_modified;
};

// Files one header field of a request (`request`) or response: body-related ones into
// `h`, request metadata (host, referer, user-agent, origin, authorization's user, proxy
// headers) into `tx`.
void CollectHttpHeader(bool request, absl::string_view name, absl::string_view value,
                       HttpTransaction* tx, HttpMessageHeaders* h, size_t max_anomalies);

// 206 answers (protocols/http/http_ranges.h).
struct HttpRangeStats {
  uint64_t answers = 0;     // 206 bodies sent to the range assembler
  uint64_t not_placed = 0;  // 206 bodies without a usable Content-Range: whole objects
  ByteRangesStats multipart;
};

// What every HTTP version's analyzer is limited by (HttpAnalyzerLimits and Http2Limits add
// their framing's own).
struct HttpCommonLimits {
  ContentLimits content;  // decompression caps
  size_t max_anomalies_per_transaction = 16;
  ByteRangesLimits byteranges;  // multipart/byteranges bodies of 206 answers
  MultipartLimits multipart;    // multipart/form-data request bodies
};

// What every HTTP version's analyzer counts (HttpAnalyzerStats and Http2Stats add their
// framing's own).
struct HttpCommonStats {
  uint64_t transactions = 0;  // records written
  uint64_t partial_transactions = 0;
  uint64_t objects = 0;
  uint64_t decompression_limited = 0;
  uint64_t decoding_errors = 0;
  ContentStats content;
  MimeSniffStats sniff;      // objects' MIME types
  MultipartStats multipart;  // multipart/form-data request bodies
  HttpRangeStats partial_content;  // 206 answers
};

// Adds `s` to an analyzer's stats.json object.
void AddHttpCommonStats(const HttpCommonStats& s, nlohmann::json* out);

// Where HttpBody writes and counts; the pointers must outlive the bodies.
struct HttpBodyContext {
  AnalyzerOutput* out = nullptr;
  const ConnectionInfo* conn = nullptr;
  const ContentLimits* limits = nullptr;
  ContentStats* content_stats = nullptr;
  uint64_t* objects = nullptr;
  uint64_t* decompression_limited = nullptr;
  uint64_t* decoding_errors = nullptr;
  size_t max_anomalies = 16;
  const absl::Time* now = nullptr;  // the analyzer's packet time (pieces finished mid-body)
  const ByteRangesLimits* byteranges = nullptr;  // null: defaults
  HttpRangeStats* ranges = nullptr;
  MimeSniffStats* sniff_stats = nullptr;              // null: not counted
  const MultipartLimits* multipart_limits = nullptr;  // null: defaults
  MultipartStats* multipart_stats = nullptr;          // null: not counted
};

// The body context of an analyzer with these limits and counters, its packet time `now`, and
// (HTTP/1.x) the counters of 206 answers (null: not counted). All must outlive the bodies.
HttpBodyContext MakeHttpBodyContext(const ConnectionInfo* conn, AnalyzerOutput* out,
                                    const HttpCommonLimits* limits, HttpCommonStats* stats,
                                    const absl::Time* now);

// Writes `tx`'s http.jsonl record: HttpTransactionFields plus `extra` (the version's own
// fields), and counts it in `stats`.
void RecordHttpTransaction(AnalyzerOutput* out, const ConnectionInfo& conn,
                           const HttpTransaction& tx, const nlohmann::json& extra,
                           HttpCommonStats* stats);

class HttpRangeBody;
class HttpObject;

// One message body on its way to objects. Each object is begun once its first
// kMimeSniffBytes decoded bytes are known (or the body ended), so that its sniffed MIME type
// never depends on how the data was split; none for an empty body. A request body declared
// multipart/form-data with a boundary is parsed (protocols/mime/multipart_parser): each part
// with a filename is an object of its own, named after it, with its own type; form fields
// without one are not objects. Every object's fuid, sniffed type, declared type and
// Content-Disposition name go to the transaction's orig_* (request) or resp_* lists.
class HttpBody : private MultipartVisitor {
 public:
  HttpBody(const HttpBodyContext* ctx, HttpTransaction* tx, bool request);
  ~HttpBody() override;
  HttpBody(const HttpBody&) = delete;
  HttpBody& operator=(const HttpBody&) = delete;

  // From the message's headers, before any Write. Requests are named after the URI only
  // for PUT (as HTTP/1.x always did); responses always. A 206 answer's body goes to the
  // range assembler instead (protocols/http/http_ranges.h).
  void Prepare(const HttpMessageHeaders& h);
  void Write(absl::string_view bytes);
  // `length` bytes of the body are missing: the object (or form-data part) continues after
  // the hole, marked partial; encoded data stops decoding there.
  void Gap(uint64_t length);
  // Closes decoder and objects and adds the decoded length to the transaction;
  // `incomplete` marks the object partial. Further calls do nothing.
  void Finish(bool incomplete, absl::Time ts);

  uint64_t decoded() const { return decoded_; }

 private:
  void NewDecoder();
  void Deliver(absl::string_view decoded);
  void DecodingError();
  void NewWholeObject();
  // files.jsonl extras of the object ending now.
  nlohmann::json Extras(bool whole, bool closed) const;
  absl::Time Now() const;

  void OnPartBegin(const MultipartPart& part) override;
  void OnPartData(absl::string_view bytes) override;
  bool OnPartGap(uint64_t length) override;
  void OnPartEnd(bool closed) override;

  const HttpBodyContext* ctx_;
  HttpTransaction* tx_;
  bool request_;
  bool finished_ = false;
  std::unique_ptr<HttpRangeBody> ranges_;  // a 206's body: pieces of a stitched object
  std::unique_ptr<ContentDecoder> decoder_;
  std::unique_ptr<MultipartParser> multipart_;
  std::unique_ptr<HttpObject> object_;  // the body's, or the current form-data part's
  bool object_whole_ = false;           // object_ is the whole body
  ObjectMeta meta_;
  uint64_t decoded_ = 0;
  uint64_t raw_ = 0;
  bool identity_ = true;   // no decoding (none asked, unknown coding, or fallen back)
  bool broken_ = false;    // decoding stopped (error or a gap in encoded data)
  bool decode_error_ = false;
  bool named_by_disposition_ = false;
  bool incomplete_ = false;  // set by Finish for the objects it ends
  bool limited_ = false;
  absl::Time finish_ts_;
  bool finishing_ = false;
  // A 200 answer with a validator: if it is cut short, its bytes are offered as the start
  // of the resource (AnalyzerOutput::OfferObjectPrefix) for a 206 that resumes it.
  std::string resume_key_;
  bool gap_seen_ = false;
  bool written_after_gap_ = false;
  uint64_t missing_ = 0;  // bytes of the body lost in gaps
  std::string raw_head_;   // first encoded bytes, until something decodes
  std::vector<ContentCoding> codings_;  // as applied; decoding starts from the back
};

// Content-Encoding as browsers read it: tokens compared without invisible bytes, any token
// containing "gzip" or "deflate" taken as that coding (x-gzip, x-deflate, "gz\0ip"); also
// "br" and "lzma".
absl::StatusOr<std::vector<ContentCoding>> LenientContentEncoding(absl::string_view value,
                                                                  const ContentLimits& limits);
// The filename of a Content-Disposition value (filename* preferred), "" when none.
std::string ContentDispositionFilename(absl::string_view value);
// The last path segment of a request target, without query or fragment.
std::string UriBasename(absl::string_view target);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_HTTP_HTTP_TRANSACTION_H_
