// libFuzzer harness for SmtpAnalyzer. Input: [flags][len:2][bytes] records (fuzz_input.h);
// flags bit 0 = direction (1: server), bit 1 = a gap of `len` bytes instead of data,
// bit 2 = end of that direction. Small limits so the cap paths run. A STARTTLS handoff
// continues with a fresh after_starttls analyzer, as the owner would. Invariants: consumed
// <= size, records are valid JSON (testing::MemoryOutput dumps them), buffers bounded by the limits.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "fuzz/fuzz_input.h"
#include "testing/memory_output.h"
#include "protocols/smtp/smtp_analyzer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  SmtpLimits limits;
  limits.max_command_line_bytes = 64;
  limits.max_reply_line_bytes = 64;
  limits.max_pending_commands = 8;
  limits.max_held_bytes = 128;
  limits.max_recipients = 4;
  limits.mime.max_message_bytes = 4096;
  limits.mime.max_parts = 8;
  limits.mime.max_content_type_lines = 32;
  ConnectionInfo conn;
  conn.client = {IpAddress::FromString("10.0.0.1"), 1025};
  conn.server = {IpAddress::FromString("10.0.0.2"), 25};
  testing::MemoryOutput out;
  auto analyzer = std::make_unique<SmtpAnalyzer>(conn, &out, limits);
  absl::Time ts = absl::UnixEpoch();
  FuzzInput input(data, size);
  uint8_t flags = 0;
  const uint8_t* bytes = nullptr;
  size_t length = 0;
  while (input.Next(&flags, &bytes, &length)) {
    Direction dir = (flags & 1) ? Direction::kServerToClient : Direction::kClientToServer;
    ts += absl::Milliseconds(1);
    if (flags & 2) {
      analyzer->OnGap(dir, ts, length);
    } else {
      absl::string_view view(reinterpret_cast<const char*>(bytes), length);
      size_t used = analyzer->OnData(dir, ts, view);
      if (used > view.size()) __builtin_trap();
      if (analyzer->handoff() != nullptr && analyzer->handoff()->to == kTlsStage) {
        analyzer->OnClose(ts);
        analyzer = std::make_unique<SmtpAnalyzer>(conn, &out, limits, /*after_starttls=*/true);
        analyzer->OnData(dir, ts, view.substr(used));
      } else if (used != view.size()) {
        __builtin_trap();
      }
    }
    if (flags & 4) analyzer->OnEnd(dir, ts);
  }
  analyzer->OnClose(ts);
  for (const auto& o : out.objects()) {
    if (!o.finished) __builtin_trap();  // every object is closed by OnClose
  }
  return 0;
}
