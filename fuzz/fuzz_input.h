// Splits a fuzzer's byte string into records for stream harnesses:
// [direction:1][length:2 big-endian][bytes], as DESIGN.md describes. A short tail is a
// final record of whatever is left.
#ifndef TCPFOLLOW_FUZZ_FUZZ_INPUT_H_
#define TCPFOLLOW_FUZZ_FUZZ_INPUT_H_

#include <cstddef>
#include <cstdint>

namespace tcpfollow {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}

  bool done() const { return p_ >= end_; }
  // Reads one record; returns false at the end.
  bool Next(uint8_t* direction, const uint8_t** bytes, size_t* length) {
    if (done()) return false;
    *direction = *p_++;
    size_t want = 0;
    if (end_ - p_ >= 2) {
      want = (size_t{p_[0]} << 8) | p_[1];
      p_ += 2;
    }
    size_t have = static_cast<size_t>(end_ - p_);
    *length = want < have ? want : have;
    *bytes = p_;
    p_ += *length;
    return true;
  }
  uint8_t Byte() { return done() ? 0 : *p_++; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | Byte();
    return v;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace tcpfollow

#endif  // TCPFOLLOW_FUZZ_FUZZ_INPUT_H_
