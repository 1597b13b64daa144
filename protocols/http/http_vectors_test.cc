// suricata-verify http-* vectors: every capture is replayed (testing/pcap_streams, one
// HttpAnalyzer per TCP connection) and the http and fileinfo checks of its test.yaml that
// name fields we produce are compared with our records and objects, mapped to Suricata's
// names (http.http_method=method, http.hostname=host without port, http.url=uri,
// http.status=status_code, http.protocol="HTTP/"+version, fileinfo.filename=object name,
// fileinfo.size=object size, fileinfo.state TRUNCATED=partial, fileinfo.gaps=missing
// bytes). Checks on other fields (alerts, headers, ranges, hashes) are skipped. The
// http-evader vectors also require the one eicar.txt object to hold the EICAR string
// (what their signatures look for in file_data). Known differences are listed with the
// reason, each checked to still differ.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "catch2/catch.hpp"
#include "protocols/http/http_analyzer.h"
#include "testing/memory_output.h"
#include "testing/paths.h"
#include "testing/pcap_streams.h"

namespace tcpfollow {
namespace {

namespace fs = std::filesystem;
using Flat = std::map<std::string, std::string>;

struct Filter {
  int count = -1;
  Flat match;
  bool usable = true;
};

std::string Unquote(absl::string_view v) {
  v = absl::StripAsciiWhitespace(v);
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
    v = v.substr(1, v.size() - 2);
  }
  return std::string(v);
}

// The subset of suricata-verify's YAML the checks use: "- filter:" blocks with count and a
// flat match map. Anything else in a filter (lists, nested maps, version bounds that
// exclude current Suricata) makes it unusable.
std::vector<Filter> ParseFilters(const std::string& yaml) {
  std::vector<Filter> out;
  bool in_checks = false, in_match = false;
  size_t match_indent = 0;
  for (absl::string_view raw : absl::StrSplit(yaml, '\n')) {
    absl::string_view line = absl::StripTrailingAsciiWhitespace(raw);
    absl::string_view body = absl::StripLeadingAsciiWhitespace(line);
    size_t indent = line.size() - body.size();
    if (body.empty() || body.front() == '#') continue;
    if (indent == 0) {
      in_checks = body == "checks:";
      in_match = false;
      continue;
    }
    if (!in_checks) continue;
    if (absl::StartsWith(body, "- ")) {
      in_match = false;
      if (absl::StartsWith(body, "- filter:")) {
        out.emplace_back();
      } else if (!out.empty() && indent > match_indent && match_indent > 0) {
        out.back().usable = false;  // a list inside a filter
      }
      continue;
    }
    if (out.empty()) continue;
    Filter& f = out.back();
    if (in_match && indent > match_indent) {
      size_t colon = body.find(':');
      if (colon == absl::string_view::npos) {
        f.usable = false;
        continue;
      }
      std::string key(body.substr(0, colon));
      std::string value = Unquote(body.substr(colon + 1));
      if (value.empty()) f.usable = false;  // nested map
      f.match[key] = value;
      continue;
    }
    in_match = false;
    if (absl::StartsWith(body, "count:")) {
      if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(body.substr(6)), &f.count)) f.usable = false;
    } else if (body == "match:") {
      in_match = true;
      match_indent = indent;
    } else if (absl::StartsWith(body, "lt-version:") || absl::StartsWith(body, "version:")) {
      f.usable = false;
    }
  }
  return out;
}

std::string HostWithoutPort(std::string host) {
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);  // "[::1]:8000" -> "[::1]"
  } else {
    host = host.substr(0, host.find(':'));
  }
  return absl::AsciiStrToLower(host);
}

struct VectorRun {
  std::vector<Flat> events;
  std::vector<testing::MemoryOutput::Object> objects;
};

class AnalyzerSink : public StreamSink {
 public:
  AnalyzerSink(const ConnectionInfo& info, AnalyzerOutput* out) : a_(info, out) {}
  void OnData(Direction dir, absl::Time ts, absl::string_view bytes) override {
    if (!a_.handed_off()) a_.OnData(dir, ts, bytes);
  }
  void OnGap(Direction dir, absl::Time ts, uint64_t length) override { a_.OnGap(dir, ts, length); }
  void OnEnd(Direction dir, absl::Time ts) override { a_.OnEnd(dir, ts); }
  void Close(absl::Time ts) { a_.OnClose(ts); }

 private:
  HttpAnalyzer a_;
};

VectorRun RunPcap(const std::string& pcap) {
  testing::MemoryOutput out;
  std::map<uint64_t, std::unique_ptr<AnalyzerSink>> sinks;
  testing::StreamEvents ev;
  ev.open = [&](const ConnectionInfo& info) {
    auto s = std::make_unique<AnalyzerSink>(info, &out);
    StreamSink* raw = s.get();
    sinks[info.id] = std::move(s);
    return raw;
  };
  ev.close = [&](const ConnectionInfo& info, absl::Time last) { sinks[info.id]->Close(last); };
  absl::Status st = testing::ReplayPcapStreams(pcap, ev);
  INFO(pcap << ": " << st.ToString());
  REQUIRE(st.ok());
  out.FinishRanges();  // stitched 206 objects still incomplete at the end of the capture

  VectorRun run;
  std::map<std::string, Flat> http_of_fuid;
  for (const nlohmann::json& r : out.records("http")) {
    Flat e;
    e["event_type"] = "http";
    if (r.contains("method")) e["http.http_method"] = r["method"];
    if (r.contains("host")) e["http.hostname"] = HostWithoutPort(r["host"]);
    if (r.contains("uri")) e["http.url"] = r["uri"];
    if (r.contains("status_code")) e["http.status"] = std::to_string(r["status_code"].get<int>());
    if (r.contains("version")) e["http.protocol"] = "HTTP/" + r["version"].get<std::string>();
    if (r.contains("user_agent")) e["http.http_user_agent"] = r["user_agent"];
    for (const char* k : {"orig_fuids", "resp_fuids"}) {
      if (r.contains(k)) {
        for (const auto& f : r[k]) http_of_fuid[f.get<std::string>()] = e;
      }
    }
    run.events.push_back(e);
  }
  for (const auto& o : out.objects()) {
    Flat e = http_of_fuid[o.fuid];
    e["event_type"] = "fileinfo";
    e["fileinfo.filename"] = o.meta.name;
    e["fileinfo.size"] = std::to_string(o.data.size());
    bool partial = o.extra.contains("partial") && o.extra["partial"].get<bool>();
    e["fileinfo.state"] = partial ? "TRUNCATED" : "CLOSED";
    e["fileinfo.gaps"] = o.extra.contains("missing_bytes") ? "true" : "false";
    run.events.push_back(e);
  }
  run.objects = out.objects();
  return run;
}

bool Mapped(const std::string& key) {
  static const std::set<std::string> kKeys = {
      "event_type", "http.http_method", "http.hostname", "http.url", "http.status",
      "http.protocol", "http.http_user_agent", "fileinfo.filename", "fileinfo.size",
      "fileinfo.state", "fileinfo.gaps"};
  return kKeys.count(key) > 0;
}

int CountMatches(const std::vector<Flat>& events, const Flat& match) {
  int n = 0;
  for (const Flat& e : events) {
    bool all = true;
    for (const auto& [k, v] : match) {
      auto it = e.find(k);
      if (it == e.end() || it->second != v) {
        all = false;
        break;
      }
    }
    n += all;
  }
  return n;
}

std::string PcapFor(const fs::path& dir) {
  if (fs::exists(dir / "input.pcap")) return (dir / "input.pcap").string();
  std::string found;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string ext = e.path().extension().string();
    if (ext == ".pcap" || ext == ".pcapng") {
      if (!found.empty()) return "";  // ambiguous
      found = e.path().string();
    }
  }
  return found;
}

// Vectors whose expectations we deliberately do not meet, with the reason. Each entry is
// checked to still differ, so a fix shows up as a failure to update this list.
const std::map<std::string, std::string>& KnownDifferences() {
  static const auto* kKnown = new std::map<std::string, std::string>{
      // Objects hold the bytes received: Suricata's file size counts bytes lost in gaps
      // (70 where we have 56) and, on HTTP/1.0, the CRLF sent after a 12-byte
      // Content-Length body (14); we follow Content-Length (RFC 9112 6.3).
      {"http-gap-simple", "size counts gap bytes / bytes past Content-Length"},
      {"http-gap-double", "size counts gap bytes / bytes past Content-Length"},
      {"http-gap-whole-body",
       "a body lost whole in a gap gives no object; size past Content-Length"},
      {"http-gap-beyond-body",
       "the gap swallows /1's body and /2's response head: we log no object for a body "
       "with no byte received, and pair the next response (to /3) with /2 by order"},
      {"http-pipeline-files-with-gap", "a body lost whole in a gap gives no object"},
      // (http-range-file and http-range-multiflows agree since 206 ranges are stitched into
      // one object, as Suricata joins them; http-multiple100 since form-data file parts are
      // objects of their own.)
  };
  return *kKnown;
}

TEST_CASE("HttpAnalyzer: suricata-verify http-* vectors", "[http][vectors]") {
  std::string vectors = testing::VectorsDir();
  if (vectors.empty()) {
    WARN("shared vectors not found (set TCPFOLLOW_VECTORS): suricata-verify http-* skipped");
    return;
  }
  fs::path root = fs::path(vectors) / "suricata-verify";
  std::vector<fs::path> tests;
  for (const auto& top : fs::directory_iterator(root)) {
    if (!absl::StartsWith(top.path().filename().string(), "http-")) continue;
    for (const auto& e : fs::recursive_directory_iterator(top.path())) {
      if (e.path().filename() == "test.yaml") tests.push_back(e.path().parent_path());
    }
  }
  std::sort(tests.begin(), tests.end());
  int checked = 0, passed_checks = 0, no_pcap = 0, evader_ok = 0, evader = 0;
  std::vector<std::string> failures;
  std::vector<std::string> dump;  // every event, for reading differences
  std::set<std::string> failing_tests;
  for (const fs::path& dir : tests) {
    std::string name = fs::relative(dir, root).string();
    std::string pcap = PcapFor(dir);
    if (pcap.empty()) {
      ++no_pcap;
      continue;
    }
    std::vector<Filter> filters = ParseFilters(testing::ReadFileOrEmpty((dir / "test.yaml").string()));
    VectorRun run = RunPcap(pcap);
    for (const Flat& e : run.events) {
      std::vector<std::string> kv;
      for (const auto& [k, v] : e) kv.push_back(k + "=" + v);
      dump.push_back(absl::StrCat(name, ": ", absl::StrJoin(kv, ", ")));
    }
    for (const Filter& f : filters) {
      auto type = f.match.find("event_type");
      if (!f.usable || f.count < 0 || type == f.match.end() ||
          (type->second != "http" && type->second != "fileinfo")) {
        continue;
      }
      bool all_mapped = std::all_of(f.match.begin(), f.match.end(),
                                    [](const auto& kv) { return Mapped(kv.first); });
      if (!all_mapped) continue;
      ++checked;
      int got = CountMatches(run.events, f.match);
      if (got == f.count) {
        ++passed_checks;
      } else {
        std::vector<std::string> kv;
        for (const auto& [k, v] : f.match) kv.push_back(k + "=" + v);
        failures.push_back(absl::StrCat(name, ": want ", f.count, " got ", got, " of {",
                                        absl::StrJoin(kv, ", "), "}"));
        failing_tests.insert(name);
      }
    }
    if (absl::StartsWith(name, "http-evader/")) {
      ++evader;
      int holding = 0;
      for (const auto& o : run.objects) {
        if (o.meta.name == "eicar.txt" &&
            absl::StrContains(o.data, "EICAR-STANDARD-ANTIVIRUS-TEST-FILE") &&
            absl::StrContains(o.data, "X5O!P%@AP[4")) {
          ++holding;
        }
      }
      if (holding == 1) {
        ++evader_ok;
      } else {
        failures.push_back(absl::StrCat(name, ": ", holding, " eicar.txt objects hold EICAR"));
        failing_tests.insert(name);
      }
    }
  }
  std::vector<std::string> unexpected, fixed;
  for (const std::string& t : failing_tests) {
    if (!KnownDifferences().count(t) && !absl::StartsWith(t, "http-evader/")) {
      unexpected.push_back(t);
    }
  }
  for (const auto& [t, why] : KnownDifferences()) {
    if (!failing_tests.count(t)) fixed.push_back(t);
  }
  WARN("suricata-verify http: " << tests.size() << " tests, " << no_pcap << " without a pcap, "
       << passed_checks << "/" << checked << " field checks agree, evader EICAR objects "
       << evader_ok << "/" << evader << ", known differences " << KnownDifferences().size());
  INFO(absl::StrJoin(failures, "\n"));
  if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    std::ofstream(fs::path(dir) / "differences.txt") << absl::StrJoin(failures, "\n") << "\n";
    std::ofstream(fs::path(dir) / "events.txt") << absl::StrJoin(dump, "\n") << "\n";
  }
  INFO("unexpected: " << absl::StrJoin(unexpected, ", ") << "; fixed: " << absl::StrJoin(fixed, ", "));
  CHECK(unexpected.empty());
  CHECK(fixed.empty());
  REQUIRE(checked > 100);
  // HTTP evader: 502 evasions a browser still decodes to the EICAR file. The ones that do
  // not give one eicar.txt object holding it, and why:
  // - 266, 447, 449: an answer with no status line (HTTP/0.9; in 447 and 449 after a 100
  //   or 102): the EICAR bytes are extracted, but named after the URI ("http09", "100",
  //   "102"): the interim answer's Content-Disposition is not the body's.
  // - 496, 497: extracted, named after the URI's last segment ("single"); Suricata names
  //   files by the whole URI.
  // - 268, 269, 274, 275: " Transfer-Encoding: chunked" after another field folds into
  //   that field (RFC 9112 5.2; Chrome and Firefox do the same), so the body stays chunked
  //   text. libhtp takes a folded "name:" as a field of its own.
  // - 307, 327, 347: "Transfer-Encoding:\n\0chunked": "\0chunked" is a line of its own,
  //   without a colon, as Chrome reads it; libhtp carries the value across the line break.
  // - 450, 453, 476 (bodies on 204 and 304) and 448 (on a 101 nobody asked for): these
  //   statuses have no body (RFC 9112 6.3, browsers too; the parser tests rely on it).
  // The floor guards against regressions.
  constexpr int kEvaderFloor = 486;
  CHECK(evader_ok >= kEvaderFloor);
}

}  // namespace
}  // namespace tcpfollow
