// libFuzzer harness for FtpAnalyzer and the data analyzers it announces. Input records
// (fuzz_input.h) with flags: bits 0-1 select the stream (0 client, 1 server of the control
// connection; 2 and 3 the two directions of the most recently announced data connection,
// created from its expectation on first use), bit 2 = gap instead of data, bit 3 = close the
// current data connection. Small limits so the cap paths run. Invariants: consumed <= size,
// valid JSON records, analyzers outliving each other in any order.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "protocols/ftp/ftp_analyzer.h"
#include "testing/memory_output.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tcpfollow;
  FtpLimits limits;
  limits.max_command_line_bytes = 64;
  limits.max_reply_line_bytes = 64;
  limits.max_pending_commands = 8;
  limits.max_channels = 4;
  limits.max_unbound_bytes = 64;
  ConnectionInfo conn;
  conn.id = 1;
  conn.client = {IpAddress::FromString("10.0.0.1"), 1025};
  conn.server = {IpAddress::FromString("10.0.0.2"), 21};
  testing::MemoryOutput out;
  auto control = std::make_unique<FtpAnalyzer>(conn, &out, limits);
  std::vector<std::unique_ptr<Analyzer>> data_conns;
  size_t used_expectations = 0;
  absl::Time ts = absl::UnixEpoch();
  FuzzInput input(data, size);
  uint8_t flags = 0;
  const uint8_t* bytes = nullptr;
  size_t length = 0;
  while (input.Next(&flags, &bytes, &length)) {
    ts += absl::Milliseconds(1);
    absl::string_view view(reinterpret_cast<const char*>(bytes), length);
    int stream = flags & 3;
    Direction dir = (stream & 1) ? Direction::kServerToClient : Direction::kClientToServer;
    if (flags & 8) {
      if (!data_conns.empty()) {
        data_conns.back()->OnClose(ts);
        data_conns.pop_back();
      }
      continue;
    }
    if (stream < 2) {
      if (!control) continue;
      if (flags & 4) {
        control->OnGap(dir, ts, length);
        continue;
      }
      size_t used = control->OnData(dir, ts, view);
      if (used > view.size()) __builtin_trap();
      if (control->handoff() != nullptr && control->handoff()->to == kTlsStage) {
        control = std::make_unique<FtpAnalyzer>(conn, &out, limits, /*after_tls=*/true);
        control->OnData(dir, ts, view.substr(used));
      }
      continue;
    }
    if (used_expectations < out.expectations().size()) {
      const auto& e = out.expectations()[used_expectations++];
      ConnectionInfo dc;
      dc.id = 100 + used_expectations;
      dc.client = {e.client, 20};
      dc.server = e.server;
      data_conns.push_back(e.factory(dc));
    }
    if (data_conns.empty()) continue;
    if (flags & 4) {
      data_conns.back()->OnGap(dir, ts, length);
      continue;
    }
    std::unique_ptr<Analyzer>& data_conn = data_conns.back();
    const size_t used = data_conn->OnData(dir, ts, view);
    if (used == view.size()) continue;
    // Less consumed only when a PROT P channel hands over to TLS: the successor stands in
    // for the decrypted stream and gets the rest as if it were plaintext.
    if (used > view.size() || data_conn->handoff() == nullptr ||
        data_conn->handoff()->to != kTlsStage) {
      __builtin_trap();
    }
    std::unique_ptr<Analyzer> plain = std::move(data_conn->TakeHandoff()->successor);
    if (plain == nullptr) __builtin_trap();
    data_conn->OnClose(ts);
    data_conn = std::move(plain);
    if (data_conn->OnData(dir, ts, view.substr(used)) != view.size() - used) __builtin_trap();
  }
  control->OnClose(ts);
  control.reset();  // data analyzers keep the session alive
  for (auto& d : data_conns) d->OnClose(ts);
  return 0;
}
