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

// The events both visitors log, and their invariants: a part begins only after the last one
// ended; data and holes come only inside a part.
class EventLog {
 public:
  void Begin(const std::string& what) {
    if (open_) std::abort();  // a part begun before the last one ended
    open_ = true;
    log_ += what + "|";
  }
  void Data(absl::string_view bytes) {
    if (!open_) std::abort();
    data_bytes_ += bytes.size();
    log_.append(bytes.data(), bytes.size());
  }
  void Hole(uint64_t length) {
    if (!open_) std::abort();
    log_ += "G" + std::to_string(length) + "|";
  }
  void End(bool closed) {
    if (!open_) std::abort();
    open_ = false;
    log_ += closed ? "E|" : "e|";
  }
  void Note(absl::string_view what) { log_ += "A" + std::string(what) + "|"; }
  // After the end: every part ended, no more data than the body had.
  void CheckDone(const std::string& body) const {
    if (open_ || data_bytes_ > body.size()) std::abort();
  }
  // The same body fed whole must give the same events.
  void CheckSame(const EventLog& whole) const {
    if (whole.log_ == log_) return;
    std::fprintf(stderr, "split:\n%s\nwhole:\n%s\n", log_.c_str(), whole.log_.c_str());
    std::abort();  // the events depend on how the body was split
  }

 private:
  bool open_ = false;
  std::string log_;
  size_t data_bytes_ = 0;
};

class Recorder : public MultipartVisitor, public EventLog {
 public:
  void OnPartBegin(const MultipartPart& p) override {
    Begin(p.whole_body ? "W"
                       : "B" + p.disposition.name + "|" + p.disposition.filename + "|" +
                             p.content_type);
  }
  void OnPartData(absl::string_view bytes) override { Data(bytes); }
  bool OnPartGap(uint64_t length) override {
    Hole(length);
    return true;
  }
  void OnPartEnd(bool closed) override { End(closed); }
};

class RangesRecorder : public ByteRangesVisitor, public EventLog {
 public:
  void OnPart(const std::optional<ContentRange>& r, absl::string_view type) override {
    Begin((r ? "P" + std::to_string(r->first) + "-" + std::to_string(r->last) : "P") + "|" +
          std::string(type));
  }
  void OnPartData(absl::string_view bytes) override { Data(bytes); }
  void OnPartGap(uint64_t length) override { Hole(length); }
  void OnPartEnd(bool complete) override { End(complete); }
  void OnAnomaly(absl::string_view what) override { Note(what); }
};

// Feeds the records of `data` to `p` (bytes, also appended to `body`, and gaps); true when
// some bytes were missing.
template <typename Parser>
bool FeedRecords(const uint8_t* data, size_t size, Parser* p, std::string* body) {
  bool gaps = false;
  FuzzInput in(data, size);
  uint8_t flags;
  const uint8_t* bytes;
  size_t length;
  while (in.Next(&flags, &bytes, &length)) {
    if (flags & 0x80) {
      p->Gap(length);
      gaps = gaps || length > 0;
      continue;
    }
    absl::string_view piece(reinterpret_cast<const char*>(bytes), length);
    body->append(piece.data(), piece.size());
    p->Feed(piece);
  }
  return gaps;
}

// The input as a multipart/form-data body.
void FormData(const std::string& boundary, const uint8_t* data, size_t size) {
  MultipartLimits limits;
  limits.max_header_bytes = 128;
  limits.max_parts = 4;
  limits.max_preamble_bytes = 64;
  limits.max_delimiter_line = 32;
  Recorder split;
  MultipartStats stats;
  std::string body;
  bool gaps;
  {
    MultipartParser p(boundary, limits, &split, &stats);
    gaps = FeedRecords(data, size, &p, &body);
    p.Finish();
    p.Feed("after the end");  // ignored
  }
  split.CheckDone(body);
  if (stats.parts > limits.max_parts) std::abort();
  if (gaps) return;
  Recorder whole;
  MultipartParser p(boundary, limits, &whole);
  p.Feed(body);
  p.Finish();
  split.CheckSame(whole);
}

// The same input as a multipart/byteranges body.
void ByteRanges(const std::string& boundary, const uint8_t* data, size_t size) {
  ByteRangesLimits limits;
  limits.max_part_head_bytes = 128;
  limits.max_parts = 4;
  limits.max_delimiter_line = 32;
  RangesRecorder split;
  ByteRangesStats stats;
  std::string body;
  bool gaps;
  {
    ByteRangesParser p(boundary, &split, limits, &stats);
    gaps = FeedRecords(data, size, &p, &body);
    p.End();
    p.Feed("after the end");  // ignored
  }
  split.CheckDone(body);
  if (stats.parts - stats.parts_skipped > limits.max_parts) std::abort();
  if (gaps) return;
  RangesRecorder whole;
  ByteRangesParser p(boundary, &whole, limits);
  p.Feed(body);
  p.End();
  split.CheckSame(whole);
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
  FormData(boundary, data + lf, size - lf);
  ByteRanges(boundary, data + lf, size - lf);
  return 0;
}
