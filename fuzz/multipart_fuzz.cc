// libFuzzer harness for MultipartParser (protocols/mime/multipart_parser), the streaming
// multipart parser HttpBody runs on multipart/form-data request bodies, and for
// ByteRangesParser (protocols/http/byte_ranges), the same parser in its strict syntax under
// 206 multipart/byteranges bodies; both get the same input. Input: a boundary line (up to
// LF, at most 80 bytes), then records [flags][length][bytes] (fuzz/fuzz_input.h): flag bit
// 0x80 makes the record a gap of `length` bytes. Small limits so the cap paths run.
// Invariants: part data never exceeds the body bytes fed; without gaps, the events are the
// same when the body is fed whole (the split must not matter); parts begun are ended.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "fuzz/fuzz_input.h"
#include "protocols/http/byte_ranges.h"
#include "protocols/mime/multipart_parser.h"

namespace tcpfollow {
namespace {

class Recorder : public MultipartVisitor {
 public:
  void OnPartBegin(const MultipartPart& p) override {
    if (open_) std::abort();  // a part begun before the last one ended
    open_ = true;
    log_ += p.whole_body ? "W|"
                         : "B" + p.disposition.name + "|" + p.disposition.filename + "|" +
                               p.content_type + "|";
  }
  void OnPartData(absl::string_view bytes) override {
    if (!open_) std::abort();
    data_bytes_ += bytes.size();
    log_.append(bytes.data(), bytes.size());
  }
  bool OnPartGap(uint64_t length) override {
    if (!open_) std::abort();
    log_ += "G" + std::to_string(length) + "|";
    return true;
  }
  void OnPartEnd(bool closed) override {
    if (!open_) std::abort();
    open_ = false;
    log_ += closed ? "E|" : "e|";
  }
  bool open() const { return open_; }
  const std::string& log() const { return log_; }
  size_t data_bytes() const { return data_bytes_; }

 private:
  bool open_ = false;
  std::string log_;
  size_t data_bytes_ = 0;
};

class RangesRecorder : public ByteRangesVisitor {
 public:
  void OnPart(const std::optional<ContentRange>& r, absl::string_view type) override {
    if (open_) std::abort();
    open_ = true;
    log_ += r ? "P" + std::to_string(r->first) + "-" + std::to_string(r->last) + "|" : "P|";
    log_.append(type.data(), type.size());
    log_ += "|";
  }
  void OnPartData(absl::string_view bytes) override {
    if (!open_) std::abort();
    data_bytes_ += bytes.size();
    log_.append(bytes.data(), bytes.size());
  }
  void OnPartGap(uint64_t length) override {
    if (!open_) std::abort();
    log_ += "G" + std::to_string(length) + "|";
  }
  void OnPartEnd(bool complete) override {
    if (!open_) std::abort();
    open_ = false;
    log_ += complete ? "E|" : "e|";
  }
  void OnAnomaly(absl::string_view what) override {
    log_ += "A";
    log_.append(what.data(), what.size());
    log_ += "|";
  }
  bool open() const { return open_; }
  const std::string& log() const { return log_; }
  size_t data_bytes() const { return data_bytes_; }

 private:
  bool open_ = false;
  std::string log_;
  size_t data_bytes_ = 0;
};

// The same input as a multipart/byteranges body.
void ByteRanges(const std::string& boundary, const uint8_t* data, size_t size) {
  ByteRangesLimits limits;
  limits.max_part_head_bytes = 128;
  limits.max_parts = 4;
  limits.max_delimiter_line = 32;
  RangesRecorder split;
  ByteRangesStats stats;
  std::string body;
  bool gaps = false;
  {
    ByteRangesParser p(boundary, &split, limits, &stats);
    FuzzInput in(data, size);
    uint8_t flags;
    const uint8_t* bytes;
    size_t length;
    while (in.Next(&flags, &bytes, &length)) {
      if (flags & 0x80) {
        p.Gap(length);
        gaps = gaps || length > 0;
        continue;
      }
      absl::string_view piece(reinterpret_cast<const char*>(bytes), length);
      body.append(piece.data(), piece.size());
      p.Feed(piece);
    }
    p.End();
    p.Feed("after the end");  // ignored
  }
  if (split.open()) std::abort();
  if (split.data_bytes() > body.size()) std::abort();
  if (stats.parts - stats.parts_skipped > limits.max_parts) std::abort();
  if (!gaps) {
    RangesRecorder whole;
    ByteRangesParser p(boundary, &whole, limits);
    p.Feed(body);
    p.End();
    if (whole.log() != split.log()) {
      std::fprintf(stderr, "byteranges split:\n%s\nwhole:\n%s\n", split.log().c_str(),
                   whole.log().c_str());
      std::abort();  // the events depend on how the body was split
    }
  }
}

}  // namespace
}  // namespace tcpfollow

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  size_t lf = 0;
  while (lf < size && lf < 80 && data[lf] != '\n') ++lf;
  std::string boundary(reinterpret_cast<const char*>(data), lf);
  if (boundary.empty()) boundary = "b";
  if (lf < size) ++lf;
  MultipartLimits limits;
  limits.max_header_bytes = 128;
  limits.max_parts = 4;
  limits.max_preamble_bytes = 64;
  limits.max_delimiter_line = 32;

  Recorder split;
  MultipartStats stats;
  std::string body;
  bool gaps = false;
  {
    MultipartParser p(boundary, limits, &split, &stats);
    FuzzInput in(data + lf, size - lf);
    uint8_t flags;
    const uint8_t* bytes;
    size_t length;
    while (in.Next(&flags, &bytes, &length)) {
      if (flags & 0x80) {
        p.Gap(length);
        gaps = gaps || length > 0;
        continue;
      }
      absl::string_view piece(reinterpret_cast<const char*>(bytes), length);
      body.append(piece.data(), piece.size());
      p.Feed(piece);
    }
    p.Finish();
    p.Feed("after the end");  // ignored
  }
  if (split.open()) std::abort();
  if (split.data_bytes() > body.size()) std::abort();
  if (stats.parts > limits.max_parts) std::abort();
  if (!gaps) {
    Recorder whole;
    MultipartParser p(boundary, limits, &whole);
    p.Feed(body);
    p.Finish();
    if (whole.log() != split.log()) {
      std::fprintf(stderr, "split:\n%s\nwhole:\n%s\n", split.log().c_str(), whole.log().c_str());
      std::abort();  // the events depend on how the body was split
    }
  }
  ByteRanges(boundary, data + lf, size - lf);
  return 0;
}
