// HttpRangeBody: the body of a 206 Partial Content answer (HTTP/1.x or HTTP/2) on its way
// to the range assembler through AnalyzerOutput::BeginObjectPiece: one piece for a
// single-range body (at its Content-Range), one per part of a multipart/byteranges body
// (at each part's Content-Range; protocols/http/byte_ranges.h). The pieces' key is the
// request's host and URI with the answer's validator (ETag, else Last-Modified), so the
// ranges of one file fetched by several requests on several connections become one object,
// and ranges of another version of it do not. The transaction's resp_fuids name that
// object (once). Bytes go on as sent: a content coding is not removed, since a range of a
// gzip stream cannot be decoded by itself. Not used for requests or other statuses; a 206
// without a usable Content-Range and not multipart/byteranges stays an object of its own.
#ifndef TCPFOLLOW_PROTOCOLS_HTTP_HTTP_RANGES_H_
#define TCPFOLLOW_PROTOCOLS_HTTP_HTTP_RANGES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "protocols/http/byte_ranges.h"
#include "protocols/http/http_transaction.h"
#include "protocols/mime_sniffer.h"
#include "reassembly/analyzer.h"

namespace tcpfollow {

// The key of the resource a 206 answer is part of ("" when the request named no URI).
std::string HttpRangeKey(const HttpTransaction& tx, const HttpMessageHeaders& h);

class HttpRangeBody : public ByteRangesVisitor {
 public:
  // Null when the answer's body cannot be placed (the caller stores it as a whole object).
  static std::unique_ptr<HttpRangeBody> Make(const HttpBodyContext* ctx, HttpTransaction* tx,
                                             const HttpMessageHeaders& h,
                                             const ObjectMeta& meta);
  ~HttpRangeBody() override;

  void Write(absl::string_view bytes);
  void Gap(uint64_t length);
  // The body is over (`ts`: packet time); every piece is finished.
  void Finish(absl::Time ts);

  // ByteRangesVisitor
  void OnPart(const std::optional<ContentRange>& range, absl::string_view content_type) override;
  void OnPartData(absl::string_view bytes) override;
  void OnPartGap(uint64_t length) override;
  void OnPartEnd(bool complete) override;
  void OnAnomaly(absl::string_view what) override;

 private:
  HttpRangeBody(const HttpBodyContext* ctx, HttpTransaction* tx, std::string key,
                ObjectMeta meta)
      : ctx_(ctx), tx_(tx), key_(std::move(key)), meta_(std::move(meta)) {}
  void Open(const ContentRange& range, absl::string_view first);
  // The range of the piece being written: the single range, or the current part's.
  const ContentRange& Piece() const { return single_ ? *single_ : *part_; }
  // The piece's bytes and holes; the piece at offset 0 is begun once its first
  // kMimeSniffBytes are known (or it ends, or has a hole), so that the type sniffed from
  // them does not depend on how the body was split.
  void PieceWrite(absl::string_view bytes);
  void PieceGap(uint64_t length);
  void OpenHead();
  void Close(absl::Time ts);
  absl::Time Now() const;

  const HttpBodyContext* ctx_;
  HttpTransaction* tx_;
  std::string key_;
  ObjectMeta meta_;
  std::optional<ContentRange> single_;        // a single-range body
  std::unique_ptr<ByteRangesParser> parser_;  // a multipart/byteranges body
  std::optional<ContentRange> part_;          // the current part's range
  std::string part_type_;
  std::unique_ptr<ObjectWriter> writer_;
  SniffHead head_;  // the start of the piece at offset 0, not yet begun
  bool finished_ = false;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_PROTOCOLS_HTTP_HTTP_RANGES_H_
