// Throughput of HttpAnalyzer, for the speed budget (HTTP parsing + object writes at most
// +25% over stream reassembly). Feeds synthetic conversations in 1460-byte segments into an
// analyzer whose output copies object bytes into a reused buffer (what a file write costs
// in user space at least), and prints MB/s per workload. Run with
// `bazel run --config=opt //protocols/http:http_benchmark`. Uses the wall clock: a tool.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "protocols/content/test_encoders.h"
#include "protocols/http/http_analyzer.h"
#include "testing/bench_output.h"

namespace tcpfollow {
namespace {

using testing::CountingOutput;

void Run(const char* name, const std::string& requests, const std::string& responses, int reps) {
  constexpr size_t kSegment = 1460;
  auto start = std::chrono::steady_clock::now();
  CountingOutput out;
  for (int r = 0; r < reps; ++r) {
    HttpAnalyzer a(ConnectionInfo{}, &out);
    absl::Time t = absl::UnixEpoch();
    for (size_t at = 0; at < requests.size(); at += kSegment) {
      a.OnData(Direction::kClientToServer, t, absl::string_view(requests).substr(at, kSegment));
    }
    for (size_t at = 0; at < responses.size(); at += kSegment) {
      a.OnData(Direction::kServerToClient, t, absl::string_view(responses).substr(at, kSegment));
    }
    a.OnClose(t);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double bytes = static_cast<double>(requests.size() + responses.size()) * reps;
  std::printf("%-34s %8.0f MB/s  (%zu record fields)\n", name, bytes / secs / 1e6,
              out.record_fields);
}

}  // namespace
}  // namespace tcpfollow

int main(int argc, char** argv) {
  using namespace tcpfollow;
  // `small`: only the small-transaction workload (for profiling).
  bool only_small = argc > 1 && std::string(argv[1]) == "small";
  std::string body = testing::PatternBody(1 << 20);
  std::string req, resp;
  for (int i = 0; i < 16; ++i) {
    absl::StrAppend(&req, "GET /big/", i, ".bin HTTP/1.1\r\nHost: example.com\r\nUser-Agent: bench\r\n\r\n");
    absl::StrAppend(&resp, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ",
                    body.size(), "\r\n\r\n", body);
  }
  if (!only_small) Run("1 MiB bodies, Content-Length", req, resp, 20);

  std::string creq, cresp;
  for (int i = 0; i < 16; ++i) {
    absl::StrAppend(&creq, "GET /c/", i, " HTTP/1.1\r\nHost: example.com\r\n\r\n");
    absl::StrAppend(&cresp, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (size_t at = 0; at < body.size(); at += 8192) {
      absl::StrAppend(&cresp, absl::Hex(8192), "\r\n", body.substr(at, 8192), "\r\n");
    }
    absl::StrAppend(&cresp, "0\r\n\r\n");
  }
  if (!only_small) Run("1 MiB bodies, chunked 8 KiB", creq, cresp, 20);

  std::string sreq, sresp;
  std::string page(2000, 'p');
  for (int i = 0; i < 5000; ++i) {
    absl::StrAppend(&sreq, "GET /page/", i, "?q=1 HTTP/1.1\r\nHost: www.example.com\r\n"
                    "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: text/html\r\n"
                    "Accept-Language: en\r\nReferer: http://www.example.com/\r\nCookie: a=b; c=d\r\n\r\n");
    absl::StrAppend(&sresp, "HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 2026 00:00:00 GMT\r\nServer: x\r\n"
                    "Content-Type: text/html; charset=utf-8\r\nContent-Length: ", page.size(),
                    "\r\nCache-Control: no-cache\r\n\r\n", page);
  }
  Run("5000 small transactions (2 KB)", sreq, sresp, only_small ? 40 : 5);
  if (only_small) return 0;

  // Text-like data (words from a small vocabulary), about 3:1 under gzip.
  std::string text = testing::WordText(body.size());
  std::string gz = testing::GzipEncode(text);
  std::printf("gzip workload: %zu -> %zu bytes\n", text.size(), gz.size());
  std::string greq, gresp;
  for (int i = 0; i < 4; ++i) {
    absl::StrAppend(&greq, "GET /z HTTP/1.1\r\n\r\n");
    absl::StrAppend(&gresp, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: ",
                    gz.size(), "\r\n\r\n", gz);
  }
  Run("gzip bodies (encoded MB/s)", greq, gresp, 20);
  std::printf("%-34s (decoded = encoded x %.1f)\n", "", double(text.size()) / gz.size());

  // Baseline: copying the same bytes once, segment by segment.
  std::string scratch(1460, '\0');
  auto start = std::chrono::steady_clock::now();
  size_t sum = 0;
  for (int r = 0; r < 20; ++r) {
    for (size_t at = 0; at < resp.size(); at += 1460) {
      size_t n = std::min<size_t>(1460, resp.size() - at);
      std::memcpy(&scratch[0], resp.data() + at, n);
      sum += static_cast<unsigned char>(scratch[0]);
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%-34s %8.0f MB/s  (%zu)\n", "baseline: memcpy per segment", resp.size() * 20.0 / secs / 1e6, sum);
  return 0;
}
