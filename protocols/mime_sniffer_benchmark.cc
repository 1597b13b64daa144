// Time per MIME sniff, before and after the tuning in mime_sniffer.cc, over objects like the
// ones HTTP and mail carry (images, documents, archives, HTML, text, JSON, random bytes):
//   bazel run --config=opt //protocols:mime_sniffer_benchmark [-- SECONDS_PER_CELL]
// Rows: libmagic opened per object; one handle with MAGIC_MIME_TYPE over the whole object
// (what a plain integration does); the same over the first kMimeSniffBytes; the costly tests
// off, over the whole object and over heads of 256 B to 4 KiB (still a full database walk);
// libmagic's encoding analysis alone (stage 1 of SniffMimeType); SniffMimeType() itself,
// with each sample's usual declared type and with none. The last column estimates the
// sniffing time of one run over bench.pcap: its 2,000 small text objects (declared
// text/plain) and 32 random ones (application/octet-stream).
#include <magic.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "protocols/mime_sniffer.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Sample {
  const char* name;
  std::string bytes;
};

std::string Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

// Text as bench/make_capture.py's small objects (corpus/record/http_server.py's words).
std::string Words(size_t n, uint32_t seed) {
  static const char* kWords[] = {"tcp",    "follow", "stream",     "segment",
                                 "window", "ack",    "reassembly", "gap"};
  std::mt19937 rng(seed);
  std::string s;
  while (s.size() < n) {
    if (!s.empty()) s.push_back(' ');
    s += kWords[rng() % 8];
  }
  s.resize(n - 1);
  s.push_back('\n');
  return s;
}

// What a server usually declares for each sample (bench.pcap's text is text/plain).
std::map<std::string, std::string>& Declared() {
  static std::map<std::string, std::string> m;
  return m;
}
const std::string& DeclaredFor(const std::string& bytes) { return Declared()[bytes]; }

std::vector<Sample> Samples() {
  std::vector<Sample> v;
  v.push_back(
      {"png", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0", 29) +
                  Random(4000, 1)});
  v.push_back({"gif", std::string("GIF89a\x10\0\x10\0\x80\0\0", 13) + Random(2000, 2)});
  v.push_back({"jpeg", std::string("\xff\xd8\xff\xe0\0\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 20) +
                           Random(8000, 3)});
  v.push_back({"pdf", "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" +
                          Random(6000, 4)});
  v.push_back({"zip", std::string("PK\x03\x04\x14\0\0\0\x08\0", 10) + Random(6000, 5)});
  v.push_back({"gzip", std::string("\x1f\x8b\x08\0\0\0\0\0\0\x03", 10) + Random(6000, 6)});
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
      "<title>tcpfollow</title></head>\n<body>\n";
  while (html.size() < 6000) html += "<p>" + Words(200, html.size()) + "</p>\n";
  v.push_back({"html", html + "</body></html>\n"});
  v.push_back({"text 2 KB", Words(2500, 7)});
  std::string json = "{\"items\": [";
  while (json.size() < 3000) json += "{\"id\": 12345, \"name\": \"segment window\"}, ";
  v.push_back({"json", json + "{}]}\n"});
  v.push_back({"css", std::string("body { margin: 0; padding: 0; }\n") +
                          "h1, h2 { font-family: sans-serif; color: #333; }\n" + Words(1500, 8)});
  v.push_back({"random 16 KB", Random(16000, 9)});
  const char* declared[] = {"image/png",
                            "image/gif",
                            "image/jpeg",
                            "application/pdf",
                            "application/zip",
                            "application/gzip",
                            "text/html",
                            "text/plain",
                            "application/json",
                            "text/css",
                            "application/octet-stream"};
  for (size_t i = 0; i < v.size(); ++i) Declared()[v[i].bytes] = declared[i];
  return v;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Microseconds per call of `fn` on `s`, over at least `budget` seconds.
double MicrosPerCall(const std::function<void(const std::string&)>& fn, const std::string& s,
                     double budget) {
  fn(s);  // warm
  int n = 0;
  const Clock::time_point start = Clock::now();
  Clock::duration spent{};
  do {
    for (int i = 0; i < 16; ++i) fn(s);
    n += 16;
    spent = Clock::now() - start;
  } while (Seconds(spent) < budget);
  return Seconds(spent) * 1e6 / n;
}

magic_t Open(int flags) {
  magic_t m = magic_open(flags);
  if (m == nullptr || magic_load(m, nullptr) != 0) {
    std::fprintf(stderr, "libmagic: %s\n", m ? magic_error(m) : "magic_open failed");
    std::exit(1);
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const double budget = argc > 1 ? std::atof(argv[1]) : 0.3;
  const int kTuned = MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_NO_CHECK_ELF |
                     MAGIC_NO_CHECK_JSON | MAGIC_NO_CHECK_CSV | MAGIC_NO_CHECK_APPTYPE |
                     MAGIC_NO_CHECK_TOKENS;
  magic_t plain = Open(MAGIC_MIME_TYPE);
  magic_t tuned = Open(kTuned);
  auto buffer = [](magic_t m, size_t cap) {
    return [m, cap](const std::string& s) {
      volatile const char* r = magic_buffer(m, s.data(), std::min(cap, s.size()));
      (void)r;
    };
  };
  struct Row {
    std::string name;
    std::function<void(const std::string&)> fn;
  };
  std::vector<Row> rows;
  rows.push_back({"open+load+buffer per object (MIME_TYPE, whole)", [](const std::string& s) {
                    magic_t m = Open(MAGIC_MIME_TYPE);
                    volatile const char* r = magic_buffer(m, s.data(), s.size());
                    (void)r;
                    magic_close(m);
                  }});
  rows.push_back({"one handle, MIME_TYPE, whole object", buffer(plain, SIZE_MAX)});
  rows.push_back({"one handle, MIME_TYPE, first 1 KiB", buffer(plain, 1024)});
  rows.push_back({"tuned flags, whole object", buffer(tuned, SIZE_MAX)});
  for (size_t head : {256, 512, 1024, 2048, 4096}) {
    rows.push_back({"tuned flags, first " + std::to_string(head) + " B", buffer(tuned, head)});
  }
  const int kEncoding = MAGIC_MIME_ENCODING | MAGIC_NO_CHECK_SOFT | MAGIC_NO_CHECK_TEXT |
                        MAGIC_NO_CHECK_TAR | MAGIC_NO_CHECK_CDF | MAGIC_NO_CHECK_COMPRESS |
                        MAGIC_NO_CHECK_ELF | MAGIC_NO_CHECK_JSON | MAGIC_NO_CHECK_CSV |
                        MAGIC_NO_CHECK_APPTYPE | MAGIC_NO_CHECK_TOKENS;
  magic_t encoding = Open(kEncoding);
  rows.push_back({"encoding only (stage 1), first 1 KiB", buffer(encoding, 1024)});
  rows.push_back({"SniffMimeType(), as declared in HTTP", [](const std::string& s) {
                    tcpfollow::MimeSniffStats stats;
                    std::string r = tcpfollow::SniffMimeType(s, DeclaredFor(s), &stats);
                  }});
  rows.push_back({"SniffMimeType(), nothing declared", [](const std::string& s) {
                    tcpfollow::MimeSniffStats stats;
                    std::string r = tcpfollow::SniffMimeType(s, "", &stats);
                  }});

  const std::vector<Sample> samples = Samples();
  std::printf("libmagic %d, %.2f s per cell; microseconds per sniff\n", magic_version(), budget);
  std::printf("%-48s", "");
  for (const Sample& s : samples) std::printf(" %9.9s", s.name);
  std::printf(" %12s\n", "bench.pcap");
  for (const Row& row : rows) {
    std::printf("%-48s", row.name.c_str());
    double text = 0, random = 0;
    const double row_budget = row.name.rfind("open", 0) == 0 ? budget / 4 : budget;
    for (const Sample& s : samples) {
      double us = MicrosPerCall(row.fn, s.bytes, row_budget);
      if (std::string(s.name) == "text 2 KB") text = us;
      if (std::string(s.name) == "random 16 KB") random = us;
      std::printf(" %9.1f", us);
    }
    // bench.pcap: 2,000 small text objects and 32 x 16 MB random ones.
    std::printf(" %9.1f ms\n", (2000 * text + 32 * random) / 1000);
  }
  std::printf("\ntypes (SniffMimeType, as declared):");
  for (const Sample& s : samples) {
    std::printf(" %s=%s", s.name,
                tcpfollow::SniffMimeType(s.bytes, DeclaredFor(s.bytes), nullptr).c_str());
  }
  std::printf("\ntypes (SniffMimeType, nothing declared):");
  for (const Sample& s : samples) {
    std::printf(" %s=%s", s.name, tcpfollow::SniffMimeType(s.bytes, "", nullptr).c_str());
  }
  std::printf("\ntypes (MIME_TYPE, whole):");
  for (const Sample& s : samples) {
    std::printf(" %s=%s", s.name, magic_buffer(plain, s.bytes.data(), s.bytes.size()));
  }
  std::printf("\n");
  magic_close(plain);
  magic_close(tuned);
  magic_close(encoding);
  return 0;
}
