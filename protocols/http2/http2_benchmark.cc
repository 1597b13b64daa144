// Throughput of Http2Analyzer (frame parser + HPACK + streams + object bodies), no I/O:
// synthetic connections built with libnghttp2's HPACK encoder are fed in segments into an
// analyzer whose output copies object bytes into a reused buffer (what a file write costs
// in user space at least); prints MB/s of HTTP/2 plaintext per workload, best of 5 runs.
// Run with `bazel run --config=opt //protocols/http2:http2_benchmark`. Wall clock: a tool.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "protocols/content/test_encoders.h"
#include "protocols/http2/http2_analyzer.h"
#include "protocols/http2/http2_test_util.h"
#include "testing/bench_output.h"

namespace tcpfollow {
namespace {

using testing::CountingOutput;

// A connection as it goes: per group of concurrent streams, the requests, then the
// answers (so streams never pile up beyond what a server allows at once).
struct Conn {
  std::vector<std::pair<Direction, std::string>> parts;
  size_t size = 0;
  void Add(Direction d, std::string b) {
    size += b.size();
    parts.emplace_back(d, std::move(b));
  }
};

// `n` streams of `body` each, `concurrent` at a time with their DATA frames (16 KiB)
// interleaved; response headers as a web server sends them.
Conn Build(int n, const std::string& body, int concurrent, bool gzip) {
  h2test::Encoder ce, se;
  Conn c;
  c.Add(Direction::kClientToServer, std::string(kHttp2Preface) + h2test::Settings({{4, 1 << 30}}));
  c.Add(Direction::kServerToClient, h2test::Settings({{3, 100}}));
  for (int first = 0; first < n; first += concurrent) {
    int last = std::min(n, first + concurrent);
    std::string client, server;
    for (int i = first; i < last; ++i) {
      uint32_t id = 2 * i + 1;
      client += ce.Headers(id, {{":method", "GET"}, {":scheme", "https"},
                                  {":authority", "www.example.com"},
                                  {":path", absl::StrCat("/objects/", i, ".bin?v=1")},
                                  {"user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"},
                                  {"accept", "*/*"}, {"accept-encoding", "gzip, deflate, br"},
                                  {"cookie", "session=0123456789abcdef; theme=dark"}},
                             true);
      h2test::Fields h = {{":status", "200"}, {"server", "nginx"},
                          {"date", "Thu, 01 Jan 2026 00:00:00 GMT"},
                          {"content-type", "application/octet-stream"},
                          {"content-length", std::to_string(body.size())},
                          {"cache-control", "max-age=3600"}};
      if (gzip) h.emplace_back("content-encoding", "gzip");
      server += se.Headers(id, h, false);
    }
    for (size_t at = 0; at < body.size(); at += 16384) {
      for (int i = first; i < last; ++i) {
        bool end = at + 16384 >= body.size();
        server += h2test::Data(2 * i + 1, body.substr(at, 16384), end);
      }
    }
    c.Add(Direction::kClientToServer, std::move(client));
    c.Add(Direction::kServerToClient, std::move(server));
  }
  return c;
}

void Run(const char* name, const Conn& c, int reps, size_t segment) {
  double best = 0;
  CountingOutput out;
  for (int round = 0; round < 5; ++round) {
    auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) {
      Http2Analyzer a(ConnectionInfo{}, &out);
      absl::Time t = absl::UnixEpoch();
      for (const auto& [dir, bytes] : c.parts) {
        for (size_t at = 0; at < bytes.size(); at += segment) {
          a.OnData(dir, t, absl::string_view(bytes).substr(at, segment));
        }
      }
      a.OnClose(t);
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double bytes = static_cast<double>(c.size) * reps;
    best = std::max(best, bytes / secs / 1e6);
  }
  std::printf("%-44s %8.0f MB/s  (%zu record fields)\n", name, best, out.record_fields / 5);
}

}  // namespace
}  // namespace tcpfollow

int main() {
  using namespace tcpfollow;
  std::string body = testing::PatternBody(1 << 20);
  Conn big = Build(16, body, 4, false);
  Run("16 x 1 MiB, 4 concurrent, 1460-byte segments", big, 10, 1460);
  Run("16 x 1 MiB, 4 concurrent, 16 KiB (TLS records)", big, 10, 16384);

  std::string page(2000, 'p');
  Conn small = Build(5000, page, 10, false);
  Run("5000 x 2 KB, 10 concurrent, 1460-byte segments", small, 5, 1460);

  std::string text = testing::WordText(body.size());
  std::string gz = testing::GzipEncode(text);
  Conn z = Build(4, gz, 4, true);
  Run("gzip bodies (encoded MB/s)", z, 20, 1460);
  std::printf("%-44s (decoded = encoded x %.1f)\n", "", double(text.size()) / gz.size());
  return 0;
}
