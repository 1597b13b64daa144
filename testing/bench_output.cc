// See bench_output.h.
#include "testing/bench_output.h"

#include <cstdint>
#include <cstring>

namespace tcpfollow::testing {
namespace {

class ScratchWriter : public ObjectWriter {
 public:
  explicit ScratchWriter(std::string* scratch) : scratch_(scratch) {}
  const std::string& fuid() const override { return fuid_; }
  void Write(absl::string_view b) override {
    if (scratch_->size() < b.size()) scratch_->resize(b.size());
    std::memcpy(&(*scratch_)[0], b.data(), b.size());
  }
  ObjectResult Finish(absl::Time, const nlohmann::json&) override { return {}; }

 private:
  std::string* scratch_;
  std::string fuid_ = "F";
};

}  // namespace

void CountingOutput::Record(absl::string_view, const ConnectionInfo&, absl::Time,
                            nlohmann::json fields) {
  record_fields += fields.size();
}

std::unique_ptr<ObjectWriter> CountingOutput::BeginObject(const ConnectionInfo&,
                                                          const ObjectMeta&) {
  return std::make_unique<ScratchWriter>(&scratch_);
}

std::string PatternBody(size_t size) {
  std::string body(size, 'x');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i * 7919 % 26);
  return body;
}

std::string WordText(size_t size) {
  std::string text;
  uint32_t seed = 12345;
  const char* words[] = {"the ", "http ", "parser ", "reads ", "bodies ", "of ", "<div> ",
                         "class=\"x\" ", "1234 ", "and\n"};
  while (text.size() < size) {
    seed = seed * 1103515245 + 12345;
    text += words[(seed >> 16) % 10];
    if ((seed >> 8) % 7 == 0) text += std::to_string(seed % 100000);
  }
  return text;
}

}  // namespace tcpfollow::testing
