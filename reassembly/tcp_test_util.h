// Test helpers for the TCP reassembly tests: a StreamSink and a ConnectionHandler that
// turn every event into a line of text (so tests compare whole event logs), and a
// builder for TcpSegment values. Test-only; no assertions of its own.
#ifndef TCPFOLLOW_REASSEMBLY_TCP_TEST_UTIL_H_
#define TCPFOLLOW_REASSEMBLY_TCP_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "reassembly/stream_sink.h"
#include "tins_ext/ip_address.h"
#include "tins_ext/tcp_segment.h"

namespace tcpfollow::testing {

inline const char* DirName(Direction d) { return d == Direction::kClientToServer ? "C" : "S"; }

inline std::string Printable(absl::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    if (c >= 0x20 && c < 0x7f) {
      out += c;
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(static_cast<uint8_t>(c), absl::kZeroPad2));
    }
  }
  return out;
}

// Appends "<prefix>C data 'abc'", "<prefix>S gap 3", "<prefix>C end" to a shared log, and
// keeps each direction's content with gaps as NUL bytes.
class RecordingSink : public StreamSink {
 public:
  RecordingSink(std::vector<std::string>* log, std::string prefix)
      : log_(log), prefix_(std::move(prefix)) {}

  void OnData(Direction dir, absl::Time, absl::string_view bytes) override {
    log_->push_back(absl::StrCat(prefix_, DirName(dir), " data '", Printable(bytes), "'"));
    content[Index(dir)].append(bytes.data(), bytes.size());
    last_data = bytes.data();
  }
  void OnGap(Direction dir, absl::Time, uint64_t length) override {
    log_->push_back(absl::StrCat(prefix_, DirName(dir), " gap ", length));
    content[Index(dir)].append(length, '\0');
  }
  void OnEnd(Direction dir, absl::Time) override {
    log_->push_back(absl::StrCat(prefix_, DirName(dir), " end"));
  }

  std::string content[2];
  const char* last_data = nullptr;

 private:
  std::vector<std::string>* log_;
  std::string prefix_;
};

class RecordingHandler : public ConnectionHandler {
 public:
  std::unique_ptr<StreamSink> OnConnectionStart(const ConnectionInfo& info) override {
    log.push_back(absl::StrCat("start #", info.id, " ", info.client.ToString(), " -> ",
                               info.server.ToString(),
                               info.saw_handshake ? " handshake" : " midstream"));
    return std::make_unique<RecordingSink>(&log, absl::StrCat("#", info.id, " "));
  }
  void OnConnectionEnd(const ConnectionInfo& info, const ConnectionSummary& summary,
                       std::unique_ptr<StreamSink> sink) override {
    const DirectionSummary& c = summary.dir[0];
    const DirectionSummary& s = summary.dir[1];
    log.push_back(absl::StrCat("end #", info.id, " ", CloseReasonName(summary.reason),
                               " C ", c.bytes, "/", c.missed_bytes, " S ", s.bytes, "/",
                               s.missed_bytes));
    auto* rec = static_cast<RecordingSink*>(sink.get());
    contents.push_back({rec->content[0], rec->content[1]});
    summaries.push_back(summary);
  }

  std::vector<std::string> log;
  std::vector<std::vector<std::string>> contents;  // per ended connection: {client, server}
  std::vector<ConnectionSummary> summaries;
};

inline absl::Time T(double seconds) { return absl::FromUnixMicros(int64_t(seconds * 1e6)); }

inline Endpoint Ep(const char* ip, uint16_t port) {
  Endpoint e;
  e.addr = IpAddress::FromString(ip);
  e.port = port;
  return e;
}

inline TcpSegment Seg(const Endpoint& src, const Endpoint& dst, uint8_t flags, uint32_t seq,
                      uint32_t ack, absl::string_view payload = "", double ts = 1.0) {
  TcpSegment s;
  s.ts = T(ts);
  s.src = src;
  s.dst = dst;
  s.flags = flags;
  s.seq = seq;
  s.ack = ack;
  s.window = 65535;
  s.payload = payload;
  return s;
}

}  // namespace tcpfollow::testing

#endif  // TCPFOLLOW_REASSEMBLY_TCP_TEST_UTIL_H_
