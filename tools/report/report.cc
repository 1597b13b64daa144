// report.html from an output directory's records; see report.h for what it shows, what it
// escapes and what it caps.
#include "tools/report/report.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "nlohmann/json.hpp"
#include "tools/report/report_assets.h"

namespace tcpfollow {
namespace {

using json = nlohmann::json;

constexpr const char* kLogs[] = {"flows", "http", "smtp", "ftp", "tls", "files"};

// ---------------------------------------------------------------------------------------
// Small helpers.

std::string Dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Str(const json& rec, const char* key) {
  auto it = rec.find(key);
  if (it == rec.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_null()) return "";
  return Dump(*it);
}

double Num(const json& rec, const char* key) {
  auto it = rec.find(key);
  return it != rec.end() && it->is_number() ? it->get<double>() : 0;
}

uint64_t U64(const json& rec, const char* key) {
  auto it = rec.find(key);
  if (it == rec.end() || !it->is_number()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  double d = it->get<double>();
  return d > 0 ? static_cast<uint64_t>(d) : 0;
}

std::string Group(uint64_t n) {  // 1234567 -> "1,234,567"
  std::string s = absl::StrCat(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(i, ",");
  return s;
}

std::string HumanBytes(double b) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (b >= 1000 && u < 4) {
    b /= 1000;
    ++u;
  }
  return u == 0 ? absl::StrFormat("%.0f B", b) : absl::StrFormat("%.1f %s", b, units[u]);
}

std::string UtcTime(double ts, bool with_date = true) {
  if (!std::isfinite(ts) || ts <= 0) return "-";
  time_t secs = static_cast<time_t>(std::floor(ts));
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  strftime(buf, sizeof buf, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
  return absl::StrFormat("%s.%06d", buf, static_cast<int>((ts - std::floor(ts)) * 1e6));
}

// A path named by a record, relative to DIR: "streams/NAME" or "objects/NAME" and nothing
// else (no "..", no further '/'), so the report reads only inside DIR.
bool SafeRelative(const std::string& p) {
  size_t slash = p.find('/');
  if (slash == std::string::npos) return false;
  absl::string_view top(p.data(), slash);
  if (top != "streams" && top != "objects") return false;
  absl::string_view name = absl::string_view(p).substr(slash + 1);
  return !name.empty() && name.find('/') == absl::string_view::npos && name != "." &&
         name != "..";
}

// Reads at most `max` bytes at `offset` of DIR/rel (no symlinks followed).
bool ReadPart(const std::string& dir, const std::string& rel, uint64_t offset, size_t max,
              std::string* out) {
  if (!SafeRelative(rel)) return false;
  int fd = open((dir + "/" + rel).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  out->resize(max);
  size_t got = 0;
  while (got < max) {
    ssize_t n = pread(fd, &(*out)[got], max - got, static_cast<off_t>(offset + got));
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  close(fd);
  out->resize(got);
  return true;
}

// Wireshark's ASCII view: printable ASCII, newlines and tabs kept; CR dropped; others '.'.
void AppendPrintable(absl::string_view bytes, std::string* out) {
  for (unsigned char ch : bytes) {
    if (ch == '\r') continue;
    out->push_back((ch >= 0x20 && ch < 0x7f) || ch == '\n' || ch == '\t' ? static_cast<char>(ch)
                                                                          : '.');
  }
}

std::string ServiceColor(const std::string& service) {
  static const std::map<std::string, std::string> kFixed = {
      {"http", "#4e79a7"}, {"tls", "#f28e2b"}, {"smtp", "#59a14f"}, {"ftp", "#b07aa1"},
      {"ftp-data", "#76b7b2"}, {"", "#9aa0a6"}};
  auto it = kFixed.find(service);
  if (it != kFixed.end()) return it->second;
  static const char* kMore[] = {"#edc948", "#ff9da7", "#9c755f", "#8cd17d", "#86bcb6"};
  size_t h = std::hash<std::string>()(service);
  return kMore[h % 5];
}
constexpr const char* kGapColor = "#d62728";

std::string Sha256Base64(absl::string_view s) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  return absl::Base64Escape(absl::string_view(reinterpret_cast<char*>(md), sizeof md));
}

// ---------------------------------------------------------------------------------------
// Reading the records.

struct Logs {
  std::map<std::string, std::vector<json>> recs;  // log -> records in file order
  std::map<std::string, uint64_t> bad;            // log -> lines skipped
  json stats;                                     // stats.json, or null
};

void ReadLog(const std::string& dir, const std::string& log, const ReportLimits& limits,
             Logs* logs, ReportStats* stats) {
  std::vector<json>& out = logs->recs[log];
  std::ifstream in(dir + "/" + log + ".jsonl", std::ios::binary);
  if (!in) return;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++stats->lines_read;
    if (line.size() > limits.max_line_bytes) {
      ++stats->bad_lines;
      ++logs->bad[log];
      continue;
    }
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) {
      ++stats->bad_lines;
      ++logs->bad[log];
      continue;
    }
    out.push_back(std::move(j));
  }
}

// ---------------------------------------------------------------------------------------
// The embedded tables: compact rows (arrays in a fixed column order, repeated strings
// interned into one table) so that 100,000 connections stay a few MB.

enum class Kind { kValue, kIntern, kTime };
struct Column {
  const char* key;
  Kind kind;
};

const std::vector<Column>& ColumnsOf(const std::string& log) {
  static const std::map<std::string, std::vector<Column>> kCols = {
      {"flows",
       {{"uid", Kind::kValue}, {"ts", Kind::kTime}, {"duration", Kind::kValue},
        {"id.orig_h", Kind::kIntern}, {"id.orig_p", Kind::kValue}, {"id.resp_h", Kind::kIntern},
        {"id.resp_p", Kind::kValue}, {"service", Kind::kIntern}, {"orig_bytes", Kind::kValue},
        {"resp_bytes", Kind::kValue}, {"orig_missed_bytes", Kind::kValue},
        {"resp_missed_bytes", Kind::kValue}, {"orig_gaps", Kind::kValue},
        {"resp_gaps", Kind::kValue}, {"close_reason", Kind::kIntern},
        {"decrypted", Kind::kValue}}},
      {"http",
       {{"ts", Kind::kTime}, {"uid", Kind::kValue}, {"host", Kind::kIntern},
        {"method", Kind::kIntern}, {"uri", Kind::kValue}, {"version", Kind::kIntern},
        {"status_code", Kind::kValue}, {"status_msg", Kind::kIntern},
        {"request_body_len", Kind::kValue}, {"response_body_len", Kind::kValue},
        {"resp_mime_types", Kind::kValue}, {"user_agent", Kind::kIntern},
        {"orig_fuids", Kind::kValue}, {"resp_fuids", Kind::kValue}}},
      {"smtp",
       {{"ts", Kind::kTime}, {"uid", Kind::kValue}, {"mailfrom", Kind::kIntern},
        {"rcptto", Kind::kValue}, {"from", Kind::kIntern}, {"to", Kind::kValue},
        {"subject", Kind::kValue}, {"date", Kind::kValue}, {"msg_id", Kind::kValue},
        {"fuids", Kind::kValue}, {"tls", Kind::kValue}}},
      {"ftp",
       {{"ts", Kind::kTime}, {"uid", Kind::kValue}, {"user", Kind::kIntern},
        {"command", Kind::kIntern}, {"arg", Kind::kValue}, {"reply_code", Kind::kValue},
        {"reply_msg", Kind::kIntern}, {"fuid", Kind::kValue}, {"file_size", Kind::kValue},
        {"mime_type", Kind::kIntern}}},
      {"tls",
       {{"ts", Kind::kTime}, {"uid", Kind::kValue}, {"server_name", Kind::kIntern},
        {"version", Kind::kIntern}, {"cipher", Kind::kIntern}, {"alpn", Kind::kIntern},
        {"resumed", Kind::kValue}, {"decrypted", Kind::kValue}, {"reason", Kind::kIntern},
        {"subject", Kind::kIntern}}},
      {"files",
       {{"ts", Kind::kTime}, {"uid", Kind::kValue}, {"fuid", Kind::kValue},
        {"source", Kind::kIntern}, {"name", Kind::kValue}, {"mime_type", Kind::kIntern},
        {"size", Kind::kValue}, {"sha256", Kind::kValue}, {"path", Kind::kValue}}},
  };
  return kCols.at(log);
}

class Interner {
 public:
  size_t Id(const std::string& s) {
    auto [it, added] = ids_.emplace(s, strings_.size());
    if (added) strings_.push_back(s);
    return it->second;
  }
  json ToJson() const { return json(strings_); }

 private:
  std::unordered_map<std::string, size_t> ids_;
  std::vector<std::string> strings_;
};

double RoundMicros(double v) { return std::round(v * 1e6) / 1e6; }

json TableJson(const std::string& log, const std::vector<json>& recs, double t0,
               const ReportLimits& limits, Interner* strings, ReportStats* stats) {
  const std::vector<Column>& cols = ColumnsOf(log);
  json t;
  json names = json::array();
  for (const Column& c : cols) names.push_back(c.key);
  t["cols"] = std::move(names);
  json interned = json::array();
  for (const Column& c : cols) {
    if (c.kind == Kind::kIntern) interned.push_back(c.key);
  }
  t["interned"] = std::move(interned);
  t["n"] = recs.size();
  json rows = json::array();
  size_t n = std::min(recs.size(), limits.max_table_rows);
  for (size_t i = 0; i < n; ++i) {
    const json& r = recs[i];
    json row = json::array();
    for (const Column& c : cols) {
      auto it = r.find(c.key);
      if (it == r.end() || it->is_null()) {
        row.push_back(nullptr);
      } else if (c.kind == Kind::kTime && it->is_number()) {
        row.push_back(RoundMicros(it->get<double>() - t0));
      } else if (c.kind == Kind::kIntern && it->is_string()) {
        row.push_back(strings->Id(it->get<std::string>()));
      } else {
        row.push_back(*it);
      }
    }
    rows.push_back(std::move(row));
  }
  stats->rows_not_embedded += recs.size() - n;
  t["rows"] = std::move(rows);
  return t;
}

// ---------------------------------------------------------------------------------------
// Per-connection details: every record of the connection and the first part of its
// transcript, interleaved by the flows record's turns.

json Transcript(const std::string& dir, const json& flow, const ReportLimits& limits,
                ReportStats* stats) {
  auto files_it = flow.find("files");
  if (files_it == flow.end() || !files_it->is_object()) return nullptr;
  const json& files = *files_it;
  const bool plain = files.contains("client_plain") || files.contains("server_plain");
  const char* names[2] = {plain ? "client_plain" : "client", plain ? "server_plain" : "server"};
  std::string paths[2];
  for (int d = 0; d < 2; ++d) paths[d] = files.contains(names[d]) && files[names[d]].is_string()
                                             ? files[names[d]].get<std::string>()
                                             : "";
  if (paths[0].empty() && paths[1].empty()) return nullptr;
  // The order of the bytes: the record's turns, else each direction in one block.
  std::vector<std::pair<int, int64_t>> turns;
  bool ordered = false;
  auto t = flow.find(plain ? "plain_turns" : "turns");
  if (t != flow.end() && t->is_array()) {
    ordered = true;
    for (const json& e : *t) {
      if (e.is_array() && e.size() == 2 && e[0].is_number_integer() && e[1].is_number_integer()) {
        int d = e[0].get<int>();
        if (d == 0 || d == 1) turns.push_back({d, e[1].get<int64_t>()});
      }
    }
  } else {
    const size_t half = limits.transcript_bytes / 2;
    turns = {{0, static_cast<int64_t>(half)}, {1, static_cast<int64_t>(half)}};
  }
  // Each direction shows up to half the budget; the turns past it are counted, not shown,
  // so that a long first request does not hide the answer.
  json segs = json::array();
  uint64_t offset[2] = {0, 0}, shown = 0;
  size_t left[2] = {limits.transcript_bytes / 2, limits.transcript_bytes / 2};
  bool cut = false, read_error = false;
  for (const auto& [d, n] : turns) {
    if (n < 0) {
      segs.push_back({d + 2, -n});
      continue;
    }
    if (paths[d].empty()) continue;
    const uint64_t len = static_cast<uint64_t>(n);
    size_t take = std::min<uint64_t>(len, left[d]);
    std::string bytes;
    if (take > 0 && !ReadPart(dir, paths[d], offset[d], take, &bytes)) {
      read_error = true;
      continue;
    }
    offset[d] += len;
    left[d] -= bytes.size();
    shown += bytes.size();
    if (!bytes.empty()) {
      std::string text;
      AppendPrintable(bytes, &text);
      segs.push_back({d, std::move(text)});
    }
    if (bytes.size() < len) {
      cut = true;
      segs.push_back({d + 4, len - bytes.size()});  // bytes of this turn not shown
    }
  }
  if (read_error) ++stats->stream_read_errors;
  if (segs.empty()) return nullptr;
  uint64_t total = 0;
  for (int d = 0; d < 2; ++d) {
    struct stat st;
    if (!paths[d].empty() && SafeRelative(paths[d]) &&
        lstat((dir + "/" + paths[d]).c_str(), &st) == 0) {
      total += static_cast<uint64_t>(st.st_size);
    }
  }
  if (shown < total) cut = true;
  ++stats->transcripts;
  json tr;
  tr["segs"] = std::move(segs);
  tr["plain"] = plain;
  tr["ordered"] = ordered;
  tr["cut"] = cut;
  return tr;
}

// ---------------------------------------------------------------------------------------
// Server-rendered parts (escaped): summary, timeline, hosts and services.

class Html {
 public:
  Html& Raw(absl::string_view s) {
    absl::StrAppend(&out_, s);
    return *this;
  }
  Html& Text(absl::string_view s) {
    absl::StrAppend(&out_, HtmlEscape(s));
    return *this;
  }
  void Row(absl::string_view k, absl::string_view v) {
    Raw("<tr><th>").Text(k).Raw("</th><td>").Text(v).Raw("</td></tr>\n");
  }
  std::string& str() { return out_; }

 private:
  std::string out_;
};

struct Tally {
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t extra = 0;
};

template <typename M>
std::vector<std::pair<std::string, Tally>> Top(const M& m, size_t n, bool by_bytes) {
  std::vector<std::pair<std::string, Tally>> v(m.begin(), m.end());
  std::sort(v.begin(), v.end(), [&](const auto& a, const auto& b) {
    uint64_t ka = by_bytes ? a.second.bytes : a.second.count;
    uint64_t kb = by_bytes ? b.second.bytes : b.second.count;
    if (ka != kb) return ka > kb;
    return a.first < b.first;
  });
  if (v.size() > n) v.resize(n);
  return v;
}

void CountTable(Html* h, const std::string& title, const std::map<std::string, uint64_t>& m,
                const std::string& empty_name = "(none)") {
  h->Raw("<table class=kv><caption>").Text(title).Raw("</caption>\n");
  for (const auto& [k, v] : m) h->Row(k.empty() ? empty_name : k, Group(v));
  if (m.empty()) h->Raw("<tr><td>none</td></tr>");
  h->Raw("</table>\n");
}

void Flatten(const json& j, const std::string& prefix, std::vector<std::pair<std::string, std::string>>* out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      Flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    }
  } else {
    out->push_back({prefix, j.is_string() ? j.get<std::string>() : Dump(j)});
  }
}

void Summary(Html* h, const Logs& logs, const RunFigures& run, double first, double last) {
  const auto& flows = logs.recs.at("flows");
  h->Raw("<section id=summary><h2>Run summary</h2><div class=cards>\n");
  h->Raw("<table class=kv><caption>Run</caption>\n");
  if (!run.input.empty()) h->Row("input", run.input);
  if (!run.version.empty()) h->Row("tcpfollow", run.version);
  h->Row("capture period", flows.empty() ? "no connections"
                                         : UtcTime(first) + " to " + UtcTime(last, false) + " UTC");
  if (!flows.empty()) h->Row("duration", absl::StrFormat("%.3f s", last - first));
  for (const auto& [k, v] : run.counters) h->Row(k, Group(v));
  if (run.wall_seconds >= 0) h->Row("processing time", absl::StrFormat("%.2f s", run.wall_seconds));
  for (const std::string& n : run.notes) h->Row("note", n);
  h->Raw("</table>\n");

  // Connections, from flows.jsonl.
  std::map<std::string, uint64_t> by_close, by_service;
  uint64_t gaps = 0, missed = 0, with_gaps = 0, bytes = 0, decrypted = 0;
  for (const json& f : flows) {
    ++by_close[Str(f, "close_reason")];
    ++by_service[Str(f, "service")];
    uint64_t g = U64(f, "orig_gaps") + U64(f, "resp_gaps");
    uint64_t m = U64(f, "orig_missed_bytes") + U64(f, "resp_missed_bytes");
    gaps += g;
    missed += m;
    if (g + m > 0) ++with_gaps;
    bytes += U64(f, "orig_bytes") + U64(f, "resp_bytes");
    if (f.value("decrypted", false)) ++decrypted;
  }
  h->Raw("<table class=kv><caption>Connections</caption>\n");
  h->Row("connections", Group(flows.size()));
  h->Row("stream bytes", absl::StrCat(Group(bytes), " (", HumanBytes(bytes), ")"));
  h->Row("gaps", Group(gaps));
  h->Row("missed bytes", absl::StrCat(Group(missed), " (", HumanBytes(missed), ")"));
  h->Row("connections with gaps", Group(with_gaps));
  h->Row("decrypted connections", Group(decrypted));
  h->Raw("</table>\n");
  CountTable(h, "Connections by close reason", by_close);
  CountTable(h, "Connections by service", by_service, "(not detected)");

  // TLS.
  std::map<std::string, uint64_t> tls_by;
  for (const json& t : logs.recs.at("tls")) {
    if (t.value("decrypted", false)) {
      ++tls_by["decrypted"];
    } else {
      std::string r = Str(t, "reason");
      ++tls_by["not decrypted: " + (r.empty() ? std::string("(no reason given)") : r)];
    }
  }
  CountTable(h, "TLS sessions", tls_by);

  // Objects.
  std::map<std::string, uint64_t> by_type, by_source;
  uint64_t object_bytes = 0;
  for (const json& f : logs.recs.at("files")) {
    ++by_type[Str(f, "mime_type")];
    ++by_source[Str(f, "source")];
    object_bytes += U64(f, "size");
  }
  std::map<std::string, uint64_t> records;
  for (const char* log : kLogs) records[log] = logs.recs.at(log).size();
  records["object bytes"] = object_bytes;
  CountTable(h, "Records", records);
  CountTable(h, "Objects by source", by_source);
  CountTable(h, "Objects by type", by_type, "(unknown)");
  if (!logs.bad.empty()) {
    std::map<std::string, uint64_t> bad;
    for (const auto& [k, v] : logs.bad) bad[k + ".jsonl"] = v;
    CountTable(h, "Lines skipped (not JSON objects, or too long)", bad);
  }
  h->Raw("</div>\n");
  if (!logs.stats.is_null()) {
    std::vector<std::pair<std::string, std::string>> items;
    Flatten(logs.stats, "", &items);
    h->Raw("<details><summary>Every counter of the run (stats.json, ")
        .Text(Group(items.size()))
        .Raw(" values)</summary><table class=kv>\n");
    for (const auto& [k, v] : items) h->Row(k, v);
    h->Raw("</table></details>\n");
  }
  h->Raw("</section>\n");
}

void Timeline(Html* h, const std::vector<json>& flows, double first, double last,
              const ReportLimits& limits) {
  h->Raw("<section id=timeline><h2>Timeline</h2>\n");
  if (flows.empty()) {
    h->Raw("<p>No connections.</p></section>\n");
    return;
  }
  const double span = std::max(last - first, 1e-6);
  constexpr double kLeft = 70, kWidth = 900;
  auto x = [&](double t) { return kLeft + (t - first) / span * kWidth; };
  std::map<std::string, uint64_t> legend;
  for (const json& f : flows) ++legend[Str(f, "service")];
  h->Raw("<p class=legend>");
  for (const auto& [s, n] : legend) {
    h->Raw("<svg width=12 height=12><rect width=12 height=12 fill=\"")
        .Raw(ServiceColor(s))
        .Raw("\"/></svg> ")
        .Text(s.empty() ? "not detected" : s)
        .Raw(absl::StrCat(" (", Group(n), ") &nbsp; "));
  }
  h->Raw("<svg width=12 height=12><rect width=12 height=12 fill=none stroke=\"")
      .Raw(kGapColor)
      .Raw("\" stroke-width=3/></svg> with gaps (bytes missing from the capture)</p>\n");
  auto axis = [&](double y) {
    for (int i = 0; i <= 4; ++i) {
      double t = first + span * i / 4;
      h->Raw(absl::StrFormat(
          "<line x1=%.1f x2=%.1f y1=0 y2=%.1f class=grid /><text x=%.1f y=%.1f class=tick "
          "text-anchor=middle>+%.3f s</text>\n",
          x(t), x(t), y, x(t), y + 14, t - first));
    }
  };
  if (flows.size() <= limits.max_timeline_rows) {
    // One row per connection: a bar from its start to its end.
    constexpr double kRow = 12;
    const double height = flows.size() * kRow + 4;
    h->Raw(absl::StrFormat("<svg class=tl width=%.0f height=%.0f role=img>\n", kLeft + kWidth + 10,
                           height + 20));
    axis(height);
    for (size_t i = 0; i < flows.size(); ++i) {
      const json& f = flows[i];
      double ts = Num(f, "ts"), dur = Num(f, "duration");
      double x0 = x(ts), w = std::max(2.0, x(ts + dur) - x0);
      bool gap = U64(f, "orig_missed_bytes") + U64(f, "resp_missed_bytes") +
                     U64(f, "orig_gaps") + U64(f, "resp_gaps") > 0;
      std::string uid = Str(f, "uid");
      h->Raw("<a href=\"#c=").Text(uid).Raw("\"><g>");
      h->Raw(absl::StrFormat("<rect x=%.1f y=%.1f width=%.1f height=%.0f fill=\"%s\"", x0,
                             i * kRow + 2, w, kRow - 3, ServiceColor(Str(f, "service"))));
      if (gap) h->Raw(absl::StrCat(" stroke=\"", kGapColor, "\" stroke-width=2"));
      h->Raw("/><text x=2 y=").Raw(absl::StrFormat("%.1f", i * kRow + 11)).Raw(" class=lbl>")
          .Text(uid.substr(0, 9))
          .Raw("</text><title>")
          .Text(absl::StrFormat("%s  %s:%s -> %s:%s  %s\nstart %s, %.6f s, %s + %s, %s%s", uid,
                                Str(f, "id.orig_h"), Str(f, "id.orig_p"), Str(f, "id.resp_h"),
                                Str(f, "id.resp_p"),
                                Str(f, "service").empty() ? "(not detected)" : Str(f, "service"),
                                UtcTime(ts), dur, HumanBytes(U64(f, "orig_bytes")),
                                HumanBytes(U64(f, "resp_bytes")), Str(f, "close_reason"),
                                gap ? absl::StrCat(", ", U64(f, "orig_missed_bytes") +
                                                             U64(f, "resp_missed_bytes"),
                                                   " bytes missing")
                                    : ""))
          .Raw("</title></g></a>\n");
    }
    h->Raw("</svg>\n");
  } else {
    // Too many for rows: connections started per time bin, stacked by service.
    constexpr int kBins = 150;
    constexpr double kHeight = 160;
    std::vector<std::map<std::string, uint64_t>> bins(kBins);
    std::vector<uint64_t> gap_bins(kBins), totals(kBins);
    for (const json& f : flows) {
      int b = std::clamp(static_cast<int>((Num(f, "ts") - first) / span * kBins), 0, kBins - 1);
      ++bins[b][Str(f, "service")];
      ++totals[b];
      if (U64(f, "orig_missed_bytes") + U64(f, "resp_missed_bytes") + U64(f, "orig_gaps") +
              U64(f, "resp_gaps") > 0) {
        ++gap_bins[b];
      }
    }
    uint64_t peak = *std::max_element(totals.begin(), totals.end());
    h->Raw(absl::StrFormat("<p>%s connections: connections started per %.3f s, stacked by "
                           "service; red marks bins with connections that have gaps. "
                           "The Connections table lists each one.</p>\n",
                           Group(flows.size()), span / kBins));
    h->Raw(absl::StrFormat("<svg class=tl width=%.0f height=%.0f role=img>\n", kLeft + kWidth + 10,
                           kHeight + 24));
    axis(kHeight);
    h->Raw(absl::StrFormat("<text x=2 y=12 class=tick>%s</text>\n", Group(peak)));
    const double bw = kWidth / kBins;
    for (int b = 0; b < kBins; ++b) {
      if (totals[b] == 0) continue;
      double y = kHeight;
      std::string tip = absl::StrFormat("+%.3f s to +%.3f s: %s connections", span * b / kBins,
                                        span * (b + 1) / kBins, Group(totals[b]));
      for (const auto& [s, n] : bins[b]) {
        absl::StrAppend(&tip, "\n  ", s.empty() ? "not detected" : s, " ", Group(n));
      }
      if (gap_bins[b]) absl::StrAppend(&tip, "\n  with gaps ", Group(gap_bins[b]));
      h->Raw("<g>");
      for (const auto& [s, n] : bins[b]) {
        double hh = kHeight * n / peak;
        y -= hh;
        h->Raw(absl::StrFormat("<rect x=%.2f y=%.2f width=%.2f height=%.2f fill=\"%s\"/>",
                               kLeft + b * bw, y, std::max(bw - 0.5, 0.5), hh, ServiceColor(s)));
      }
      if (gap_bins[b]) {
        h->Raw(absl::StrFormat("<rect x=%.2f y=%.2f width=%.2f height=3 fill=\"%s\"/>",
                               kLeft + b * bw, y - 4, std::max(bw - 0.5, 0.5), kGapColor));
      }
      h->Raw("<title>").Text(tip).Raw("</title></g>\n");
    }
    h->Raw("</svg>\n");
  }
  h->Raw("</section>\n");
}

void Hosts(Html* h, const Logs& logs, const ReportLimits& limits) {
  std::map<std::string, Tally> hosts, ports, services, names;
  for (const json& f : logs.recs.at("flows")) {
    uint64_t b = U64(f, "orig_bytes") + U64(f, "resp_bytes");
    for (const char* k : {"id.orig_h", "id.resp_h"}) {
      Tally& t = hosts[Str(f, k)];
      ++t.count;
      t.bytes += b;
    }
    Tally& p = ports[Str(f, "id.resp_p")];
    ++p.count;
    p.bytes += b;
    Tally& s = services[Str(f, "service")];
    ++s.count;
    s.bytes += b;
  }
  for (const json& t : logs.recs.at("tls")) {
    Tally& n = names[Str(t, "server_name")];
    ++n.count;
    if (t.value("decrypted", false)) ++n.extra;
  }
  auto table = [&](const std::string& title, const std::string& key,
                   const std::map<std::string, Tally>& m, bool by_bytes, bool tls,
                   const std::string& empty_name) {
    h->Raw("<table class=grid><caption>").Text(title).Raw("</caption><tr><th>").Text(key);
    h->Raw(tls ? "</th><th>sessions</th><th>decrypted</th></tr>\n"
               : "</th><th>connections</th><th>bytes</th></tr>\n");
    for (const auto& [k, t] : Top(m, limits.top_n, by_bytes)) {
      h->Raw("<tr><td>").Text(k.empty() ? empty_name : k).Raw("</td><td class=n>");
      h->Text(Group(t.count)).Raw("</td><td class=n>");
      h->Text(tls ? Group(t.extra) : HumanBytes(t.bytes)).Raw("</td></tr>\n");
    }
    if (m.size() > limits.top_n) {
      h->Raw("<tr><td colspan=3 class=note>")
          .Text(absl::StrCat(Group(m.size() - limits.top_n), " more not shown"))
          .Raw("</td></tr>\n");
    }
    h->Raw("</table>\n");
  };
  h->Raw("<section id=hosts><h2>Hosts and services</h2><div class=cards>\n");
  table("Top talkers by bytes", "host", hosts, true, false, "");
  table("Top talkers by connections", "host", hosts, false, false, "");
  table("Services by server port", "port", ports, false, false, "");
  table("Services by detection", "service", services, false, false, "(not detected)");
  table("TLS server names", "server name", names, false, true, "(no SNI)");
  h->Raw("</div></section>\n");
}

}  // namespace

// ---------------------------------------------------------------------------------------

std::string HtmlEscape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out.push_back(c);
    }
  }
  // Invalid UTF-8 becomes U+FFFD: re-encode through the JSON library's replacement.
  json j = out;
  std::string quoted = j.dump(-1, ' ', false, json::error_handler_t::replace);
  if (quoted.size() == out.size() + 2) return out;  // nothing was escaped or replaced
  return json::parse(quoted).get<std::string>();
}

std::string ScriptSafeJson(const std::string& json_text) {
  std::string out;
  out.reserve(json_text.size() + json_text.size() / 64);
  for (size_t i = 0; i < json_text.size(); ++i) {
    char c = json_text[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xe2' && i + 2 < json_text.size() && json_text[i + 1] == '\x80' &&
               (json_text[i + 2] == '\xa8' || json_text[i + 2] == '\xa9')) {
      out += json_text[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string RasterImageType(absl::string_view b) {
  auto starts = [&](absl::string_view m) { return b.substr(0, m.size()) == m; };
  if (starts("\x89PNG\r\n\x1a\n")) return "image/png";
  if (starts("\xff\xd8\xff")) return "image/jpeg";
  if (starts("GIF87a") || starts("GIF89a")) return "image/gif";
  if (starts("RIFF") && b.size() >= 12 && b.substr(8, 4) == "WEBP") return "image/webp";
  if (starts("BM") && b.size() >= 26) return "image/bmp";
  if (starts(absl::string_view("\0\0\1\0", 4)) && b.size() >= 22) return "image/x-icon";
  return "";
}

std::string BuildReport(const std::string& dir, const RunFigures& run,
                        const ReportLimits& limits, ReportStats* stats) {
  Logs logs;
  for (const char* log : kLogs) ReadLog(dir, log, limits, &logs, stats);
  {
    std::ifstream in(dir + "/stats.json", std::ios::binary);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      json s = json::parse(ss.str(), nullptr, false);
      if (s.is_object()) logs.stats = std::move(s);
    }
  }
  const std::vector<json>& flows = logs.recs["flows"];

  // Capture period: the first start to the last end of a connection.
  double first = 0, last = 0;
  for (const json& f : flows) {
    double ts = Num(f, "ts"), end = ts + Num(f, "duration");
    if (ts <= 0) continue;
    if (first == 0 || ts < first) first = ts;
    last = std::max(last, end);
  }
  double t0 = first;
  if (t0 == 0) {
    for (const char* log : kLogs) {
      for (const json& r : logs.recs[log]) {
        double ts = Num(r, "ts");
        if (ts > 0 && (t0 == 0 || ts < t0)) t0 = ts;
      }
    }
  }
  t0 = std::floor(t0);

  // The embedded data.
  Interner strings;
  json data;
  data["t0"] = t0;
  for (const char* log : kLogs) data[log] = TableJson(log, logs.recs[log], t0, limits, &strings, stats);

  // Details: every record of a connection and its transcript, in flows.jsonl order.
  std::unordered_map<std::string, std::vector<std::pair<const char*, const json*>>> by_uid;
  for (const char* log : kLogs) {
    for (const json& r : logs.recs[log]) {
      auto it = r.find("uid");
      if (it != r.end() && it->is_string()) by_uid[it->get<std::string>()].push_back({log, &r});
    }
  }
  json details = json::object();
  size_t detail_bytes = 0;
  for (const json& f : flows) {
    std::string uid = Str(f, "uid");
    if (uid.empty() || details.contains(uid)) continue;
    if (detail_bytes >= limits.max_detail_bytes) {
      ++stats->details_omitted;
      continue;
    }
    json d;
    json recs = json::array();
    for (const auto& [log, r] : by_uid[uid]) recs.push_back({log, *r});
    d["recs"] = std::move(recs);
    json tr = Transcript(dir, f, limits, stats);
    if (!tr.is_null()) d["tr"] = std::move(tr);
    detail_bytes += Dump(d).size();
    details[uid] = std::move(d);
    ++stats->details_included;
  }
  data["details"] = std::move(details);
  data["details_omitted"] = stats->details_omitted;

  // Small raster images, embedded.
  json images = json::object();
  size_t image_bytes = 0;
  for (const json& f : logs.recs["files"]) {
    std::string mime = Str(f, "mime_type"), path = Str(f, "path"), fuid = Str(f, "fuid");
    if (mime.rfind("image/", 0) != 0 || fuid.empty()) continue;
    uint64_t size = U64(f, "size");
    std::string bytes;
    if (size == 0 || size > limits.max_image_bytes ||
        image_bytes + size > limits.max_embedded_image_bytes ||
        !ReadPart(dir, path, 0, size, &bytes) || RasterImageType(bytes).empty()) {
      ++stats->images_linked;
      continue;
    }
    image_bytes += bytes.size();
    images[fuid] = absl::StrCat("data:", RasterImageType(bytes), ";base64,",
                                absl::Base64Escape(bytes));
    ++stats->images_embedded;
  }
  data["images"] = std::move(images);
  data["images_linked"] = stats->images_linked;
  data["S"] = strings.ToJson();
  data["limits"] = {{"max_table_rows", limits.max_table_rows},
                    {"max_detail_bytes", limits.max_detail_bytes},
                    {"transcript_bytes", limits.transcript_bytes},
                    {"max_image_bytes", limits.max_image_bytes}};

  // The page.
  Html body;
  Summary(&body, logs, run, first, last);
  Timeline(&body, flows, first, last, limits);
  Hosts(&body, logs, limits);
  Html about;
  about.Raw("<section id=about><h2>About this report</h2><table class=kv>\n");
  about.Row("records read", Group(stats->lines_read));
  about.Row("lines skipped", Group(stats->bad_lines));
  about.Row("table rows not embedded (over " + Group(limits.max_table_rows) + " per table)",
            Group(stats->rows_not_embedded));
  about.Row("connections with records and transcript on this page",
            Group(stats->details_included));
  about.Row("connections without (over the " + HumanBytes(limits.max_detail_bytes) + " budget)",
            Group(stats->details_omitted));
  about.Row("transcripts (first " + Group(limits.transcript_bytes) + " bytes each)",
            Group(stats->transcripts));
  about.Row("stream files that could not be read", Group(stats->stream_read_errors));
  about.Row("images embedded", Group(stats->images_embedded));
  about.Row("images linked, not embedded", Group(stats->images_linked));
  about.Raw("</table><p>The complete records are in the .jsonl files beside this page; "
            "stream files in streams/, objects in objects/.</p></section>\n");

  const std::string script = kReportScript;
  const std::string style = kReportStyle;
  std::string page;
  page.reserve(body.str().size() + 2 * 1024 * 1024);
  absl::StrAppend(
      &page, "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>\n",
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
      "style-src 'sha256-", Sha256Base64(style), "'; script-src 'sha256-", Sha256Base64(script),
      "'; base-uri 'none'; form-action 'none'\">\n",
      "<meta name=viewport content=\"width=device-width, initial-scale=1\">\n<title>tcpfollow report",
      run.input.empty() ? "" : ": ", HtmlEscape(run.input), "</title>\n<style>", style,
      "</style>\n</head><body>\n<header><h1>tcpfollow report</h1><nav>"
      "<a href=\"#summary\">Summary</a><a href=\"#timeline\">Timeline</a>"
      "<a href=\"#hosts\">Hosts</a><a href=\"#http\">HTTP</a><a href=\"#gallery\">Images</a>"
      "<a href=\"#mail\">Mail</a><a href=\"#ftp\">FTP</a><a href=\"#tls\">TLS</a>"
      "<a href=\"#files\">Files</a><a href=\"#connections\">Connections</a>"
      "<a href=\"#about\">About</a></nav></header>\n<main>\n");
  absl::StrAppend(&page, body.str());
  absl::StrAppend(
      &page,
      "<section id=http><h2>HTTP</h2><div class=tbl id=t-http></div></section>\n"
      "<section id=gallery><h2>Images</h2><div id=g-images class=gallery></div></section>\n"
      "<section id=mail><h2>Mail</h2><div class=tbl id=t-smtp></div></section>\n"
      "<section id=ftp><h2>FTP</h2><div id=ftp-sessions></div><div class=tbl id=t-ftp></div></section>\n"
      "<section id=tls><h2>TLS</h2><div class=tbl id=t-tls></div></section>\n"
      "<section id=files><h2>Files</h2><div class=tbl id=t-files></div></section>\n"
      "<section id=connections><h2>Connections</h2><div class=tbl id=t-flows></div></section>\n"
      "<section id=detail hidden></section>\n",
      about.str(), "</main>\n<noscript><p>The tables need JavaScript; the summary above does "
      "not.</p></noscript>\n<script type=\"application/json\" id=data>",
      ScriptSafeJson(Dump(data)), "</script>\n<script>", script, "</script>\n</body></html>\n");
  stats->report_bytes = page.size();
  return page;
}

absl::Status WriteReport(OutputDir* dir, const RunFigures& run, const ReportLimits& limits,
                         ReportStats* stats) {
  std::string page = BuildReport(dir->path(), run, limits, stats);
  absl::StatusOr<int> fd = dir->Create(OutputDir::Sub::kTop, "report.html");
  if (!fd.ok()) return fd.status();
  bool ok = dir->WriteAll(*fd, page, "report.html");
  close(*fd);
  if (!ok) return absl::InternalError("could not write report.html: " + dir->first_error());
  return absl::OkStatus();
}

}  // namespace tcpfollow
