// Implementation notes: one ObjectWriter is open at a time (the single range, or the
// current part); it is finished when its part ends, so the assembler sees the piece done
// (and can write a now complete object) without waiting for the rest of the body.
#include "protocols/http/http_ranges.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "protocols/mime_sniffer.h"
#include "protocols/text_util.h"

namespace tcpfollow {
namespace {

}  // namespace

std::string HttpRangeKey(const HttpTransaction& tx, const HttpMessageHeaders& h) {
  if (tx.uri.empty()) return "";
  std::string validator;
  if (!h.etag.empty()) {
    validator = absl::StrCat("etag ", h.etag);
  } else if (!h.last_modified.empty()) {
    validator = absl::StrCat("last-modified ", h.last_modified);
  }
  return absl::StrCat("http ", absl::AsciiStrToLower(tx.host), " ", tx.uri, " ", validator);
}

std::unique_ptr<HttpRangeBody> HttpRangeBody::Make(const HttpBodyContext* ctx,
                                                   HttpTransaction* tx,
                                                   const HttpMessageHeaders& h,
                                                   const ObjectMeta& meta) {
  std::string key = HttpRangeKey(*tx, h);
  if (key.empty()) {
    if (ctx->ranges != nullptr) ++ctx->ranges->not_placed;
    return nullptr;
  }
  std::string boundary = ByteRangesBoundary(h.content_type);
  if (!boundary.empty()) {
    ObjectMeta m = meta;
    m.declared_mime_type.clear();  // each part says its own
    std::unique_ptr<HttpRangeBody> b(new HttpRangeBody(ctx, tx, std::move(key), std::move(m)));
    b->parser_ = std::make_unique<ByteRangesParser>(
        std::move(boundary), b.get(),
        ctx->byteranges != nullptr ? *ctx->byteranges : ByteRangesLimits(),
        ctx->ranges != nullptr ? &ctx->ranges->multipart : nullptr);
    if (ctx->ranges != nullptr) ++ctx->ranges->answers;
    return b;
  }
  std::optional<ContentRange> range;
  if (!h.content_range.empty()) range = ParseContentRange(h.content_range);
  if (!range) {
    tx->Anomaly(h.content_range.empty() ? "partial_content_without_range"
                                        : "invalid_content_range",
                ctx->max_anomalies);
    if (ctx->ranges != nullptr) ++ctx->ranges->not_placed;
    return nullptr;
  }
  if (ctx->ranges != nullptr) ++ctx->ranges->answers;
  std::unique_ptr<HttpRangeBody> b(new HttpRangeBody(ctx, tx, std::move(key), meta));
  b->single_ = range;
  return b;
}

// Normally Finish came first. If not, the transaction may be gone already: only the open
// piece is finished (a held start of one is dropped, as HttpObject drops its own), nothing
// reaches the transaction.
HttpRangeBody::~HttpRangeBody() {
  if (!finished_ && writer_) writer_->Finish(absl::InfinitePast());
}

absl::Time HttpRangeBody::Now() const {
  return ctx_->now != nullptr ? *ctx_->now : absl::InfinitePast();
}

void HttpRangeBody::Open(const ContentRange& range, absl::string_view first) {
  ObjectPiece piece;
  piece.key = key_;
  piece.offset = range.first;
  piece.length = range.length();
  piece.total = range.total;
  ObjectMeta meta = meta_;
  if (parser_ && !part_type_.empty()) meta.declared_mime_type = NormalizeMimeType(part_type_);
  // The piece at offset 0 shows the object's first bytes (protocols/mime_sniffer).
  meta.mime_type = range.first == 0 && !first.empty()
                       ? SniffMimeType(first, meta.declared_mime_type, ctx_->sniff_stats)
                       : meta.declared_mime_type;
  writer_ = ctx_->out->BeginObjectPiece(*ctx_->conn, meta, piece);
  const std::string& fuid = writer_->fuid();
  if (fuid.empty()) return;  // refused by the assembler's limits (counted there)
  if (std::find(tx_->resp_fuids.begin(), tx_->resp_fuids.end(), fuid) == tx_->resp_fuids.end()) {
    tx_->resp_fuids.push_back(fuid);
    tx_->resp_mime_types.push_back(meta.mime_type);
    tx_->resp_declared_mime_types.push_back(meta.declared_mime_type);
  }
}

void HttpRangeBody::PieceWrite(absl::string_view bytes) {
  if (!writer_ && Piece().first == 0) {  // its start shows the object's type
    if (!head_.Take(&bytes)) return;
    OpenHead();
  }
  if (bytes.empty()) return;
  if (!writer_) Open(Piece(), "");
  writer_->Write(bytes);
}

void HttpRangeBody::OpenHead() {
  Open(Piece(), head_.held());
  writer_->Write(head_.held());
  head_.Clear();
}

void HttpRangeBody::PieceGap(uint64_t length) {
  if (!writer_) OpenHead();
  writer_->Gap(length);
}

void HttpRangeBody::Close(absl::Time ts) {
  if (!writer_ && !head_.held().empty()) OpenHead();
  if (!writer_) return;
  writer_->Finish(ts);
  writer_.reset();
}

void HttpRangeBody::Write(absl::string_view bytes) {
  if (finished_ || bytes.empty()) return;
  if (parser_) {
    parser_->Feed(bytes);
    return;
  }
  PieceWrite(bytes);
}

void HttpRangeBody::Gap(uint64_t length) {
  if (finished_ || length == 0) return;
  if (parser_) {
    parser_->Gap(length);
    return;
  }
  PieceGap(length);
}

void HttpRangeBody::Finish(absl::Time ts) {
  if (finished_) return;
  if (parser_) parser_->End();
  Close(ts);
  finished_ = true;
}

void HttpRangeBody::OnPart(const std::optional<ContentRange>& range,
                           absl::string_view content_type) {
  Close(Now());
  part_ = range;
  part_type_ = std::string(content_type);
  if (!part_) tx_->Anomaly("byteranges_part_without_range", ctx_->max_anomalies);
}

void HttpRangeBody::OnPartData(absl::string_view bytes) {
  if (part_) PieceWrite(bytes);
}

void HttpRangeBody::OnPartGap(uint64_t length) {
  if (part_) PieceGap(length);
}

void HttpRangeBody::OnPartEnd(bool) {
  Close(Now());
  part_.reset();
}

void HttpRangeBody::OnAnomaly(absl::string_view what) {
  tx_->Anomaly(what, ctx_->max_anomalies);
}

}  // namespace tcpfollow
