// report.html from an output directory's records; see report.h for what it shows, what it
// escapes and what it caps.
#include "tools/report/report.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "nlohmann/json.hpp"
#include "reassembly/log_view.h"
#include "reassembly/protocol.h"
#include "tools/report/report_assets.h"

namespace tcpfollow {
namespace {

using json = nlohmann::json;

// The report's own logs: connections (the session layer's) and objects (the output
// layer's). Every other log, and how it is shown, comes from the protocols' specs.
constexpr const char kFlowsLog[] = "flows";
constexpr const char kFilesLog[] = "files";

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

// Wireshark's ASCII view as a JSON string: printable ASCII, newlines and tabs kept; CR
// dropped; other bytes '.'.
void AppendPrintableJson(absl::string_view bytes, std::string* out) {
  // Written into a buffer the thread keeps (sized once for the largest part seen), then
  // appended: sizing `out` for the worst case would zero-fill twice the bytes each time.
  static thread_local std::string scratch;
  if (scratch.size() < 2 * bytes.size() + 2) scratch.resize(2 * bytes.size() + 2);
  char* const begin = &scratch[0];
  char* p = begin;
  *p++ = '"';
  for (unsigned char ch : bytes) {
    if (ch >= 0x20 && ch < 0x7f) {
      if (ch == '"' || ch == '\\') *p++ = '\\';
      *p++ = static_cast<char>(ch);
    } else if (ch == '\n') {
      *p++ = '\\';
      *p++ = 'n';
    } else if (ch == '\t') {
      *p++ = '\\';
      *p++ = 't';
    } else if (ch != '\r') {
      *p++ = '.';
    }
  }
  *p++ = '"';
  out->append(begin, p - begin);
}

constexpr const char* kGapColor = "#d62728";

std::string Sha256Base64(absl::string_view s) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  return absl::Base64Escape(absl::string_view(reinterpret_cast<char*>(md), sizeof md));
}

// ---------------------------------------------------------------------------------------
// What the page shows: flows.jsonl and files.jsonl as the report describes them, and every
// other log as the registered protocols' LogViews describe it (reassembly/log_view.h).

LogView FlowsView() {
  LogView v;
  v.log = kFlowsLog;
  v.id = "connections";
  v.title = "Connections";
  v.fields = {{"uid"},
              {"ts", FieldKind::kTime},
              {"duration"},
              {"id.orig_h", FieldKind::kIntern},
              {"id.orig_p"},
              {"id.resp_h", FieldKind::kIntern},
              {"id.resp_p"},
              {"service", FieldKind::kIntern},
              {"orig_bytes"},
              {"resp_bytes"},
              {"orig_missed_bytes"},
              {"resp_missed_bytes"},
              {"orig_gaps"},
              {"resp_gaps"},
              {"close_reason", FieldKind::kIntern},
              {"decrypted"}};
  v.columns = {ConnectionColumn(),
               TimeColumn(),
               {"duration", {"duration"}, ColumnShow::kNumber},
               {"client", {"id.orig_h", "id.orig_p"}, ColumnShow::kJoin},
               {"server", {"id.resp_h", "id.resp_p"}, ColumnShow::kJoin},
               {"service", {"service"}},
               {"client bytes", {"orig_bytes"}, ColumnShow::kCount},
               {"server bytes", {"resp_bytes"}, ColumnShow::kCount},
               {"missed bytes", {"orig_missed_bytes", "resp_missed_bytes"}, ColumnShow::kSum},
               {"gaps", {"orig_gaps", "resp_gaps"}, ColumnShow::kSum},
               {"close", {"close_reason"}},
               {"decrypted", {"decrypted"}, ColumnShow::kYes}};
  return v;
}

LogView FilesView() {
  LogView v;
  v.log = kFilesLog;
  v.id = "files";
  v.title = "Files";
  v.fields = {{"ts", FieldKind::kTime}, {"uid"},  {"fuid"},
              {"source", FieldKind::kIntern}, {"name"}, {"mime_type", FieldKind::kIntern},
              {"size"},                 {"sha256"}, {"path"}};
  v.columns = {TimeColumn(),
               ConnectionColumn(),
               {"fuid", {"fuid"}},
               {"source", {"source"}},
               {"name", {"fuid"}, ColumnShow::kObjects},
               {"MIME type", {"mime_type"}},
               {"size", {"size"}, ColumnShow::kCount},
               {"sha256", {"sha256"}}};
  return v;
}

class Model {
 public:
  explicit Model(const std::vector<ProtocolSpec>& protocols)
      : flows_(FlowsView()), files_(FilesView()) {
    logs_.push_back(kFlowsLog);
    auto add_log = [&](const std::string& log) {
      if (std::find(logs_.begin(), logs_.end(), log) == logs_.end()) logs_.push_back(log);
    };
    for (const ProtocolSpec& spec : protocols) {
      for (const LogView& v : spec.views) {
        if (v.log == kFlowsLog || v.log == kFilesLog || view_of_.count(v.log)) continue;
        views_.push_back(v);
        view_of_[v.log] = views_.size() - 1;
      }
      for (const std::string& log : spec.logs) {
        if (log != kFlowsLog && log != kFilesLog) add_log(log);
      }
      for (const auto& [service, color] : spec.colors) colors_.emplace(service, color);
    }
    for (const LogView& v : views_) add_log(v.log);  // a view of a log no spec lists
    logs_.push_back(kFilesLog);
  }

  // Every log to read, flows first (it picks the connections with details), files last.
  const std::vector<std::string>& logs() const { return logs_; }
  // The protocols' views, in registry order.
  const std::vector<LogView>& views() const { return views_; }
  const LogView& flows() const { return flows_; }
  const LogView& files() const { return files_; }
  // The view of `log`, or null (its records are counted and shown with their connection).
  const LogView* ViewOf(const std::string& log) const {
    if (log == kFlowsLog) return &flows_;
    if (log == kFilesLog) return &files_;
    auto it = view_of_.find(log);
    return it == view_of_.end() ? nullptr : &views_[it->second];
  }

  std::string ServiceColor(const std::string& service) const {
    if (service.empty()) return "#9aa0a6";  // not detected
    auto it = colors_.find(service);
    if (it != colors_.end()) return it->second;
    static const char* kMore[] = {"#edc948", "#ff9da7", "#9c755f", "#8cd17d", "#86bcb6"};
    size_t h = std::hash<std::string>()(service);
    return kMore[h % 5];
  }

 private:
  LogView flows_, files_;
  std::vector<LogView> views_;
  std::map<std::string, size_t> view_of_;
  std::vector<std::string> logs_;
  std::map<std::string, std::string> colors_;
};

const char* ShowName(ColumnShow s) {
  switch (s) {
    case ColumnShow::kText: return "text";
    case ColumnShow::kJoin: return "join";
    case ColumnShow::kSum: return "sum";
    case ColumnShow::kTime: return "time";
    case ColumnShow::kConnection: return "connection";
    case ColumnShow::kNumber: return "number";
    case ColumnShow::kCount: return "count";
    case ColumnShow::kYes: return "yes";
    case ColumnShow::kYesNo: return "yesno";
    case ColumnShow::kObjects: return "objects";
  }
  return "text";
}

json ColumnJson(const LogColumn& c) {
  return {{"t", c.title}, {"f", c.fields}, {"s", ShowName(c.show)}};
}

json ColumnsJson(const std::vector<LogColumn>& cols) {
  json out = json::array();
  for (const LogColumn& c : cols) out.push_back(ColumnJson(c));
  return out;
}

// A view as the page's script draws it (report_assets.h).
json ViewJson(const LogView& v) {
  json groups = json::array();
  for (const LogGroup& g : v.groups) {
    groups.push_back({{"title", g.title},
                      {"noun", g.noun},
                      {"key", ColumnJson(g.key)},
                      {"latest", ColumnsJson(g.latest)},
                      {"count", g.count_title},
                      {"items", g.items_title},
                      {"if", g.items_if},
                      {"item", ColumnsJson(g.item)}});
  }
  return {{"log", v.log},     {"id", v.id},     {"cols", ColumnsJson(v.columns)},
          {"groups", groups}, {"sub", v.records_title}};
}

// ---------------------------------------------------------------------------------------
// Reading the records.

// ---------------------------------------------------------------------------------------
// A record line split into its top-level fields without building a DOM: each value is a
// slice of the line, still JSON text (strings quoted and escaped), so that the tables can
// copy values into the page as they are. Parsing the logs with the JSON library cost more
// than the rest of the report together. Strict about the grammar: a line it refuses is
// parsed by the JSON library instead (and re-dumped), or counted as bad.

class FlatRecord {
 public:
  bool Parse(absl::string_view line) {
    s_ = line;
    i_ = 0;
    fields_.clear();
    Ws();
    if (!Eat('{')) return false;
    Ws();
    if (Eat('}')) return End();
    while (true) {
      size_t k = i_;
      if (!String()) return false;
      absl::string_view key = s_.substr(k + 1, i_ - k - 2);
      if (key.find('\\') != absl::string_view::npos) return false;  // never in our keys
      Ws();
      if (!Eat(':')) return false;
      Ws();
      size_t v = i_;
      if (!Value(0)) return false;
      fields_.push_back({key, s_.substr(v, i_ - v)});
      Ws();
      if (Eat(',')) {
        Ws();
        continue;
      }
      if (Eat('}')) return End();
      return false;
    }
  }

  // The value's JSON text, or "" when the field is missing.
  absl::string_view Raw(absl::string_view key) const {
    for (const auto& [k, v] : fields_) {
      if (k == key) return v;
    }
    return "";
  }

 private:
  bool End() {
    Ws();
    return i_ == s_.size();
  }
  void Ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n')) ++i_;
  }
  bool Eat(char c) {
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool Literal(absl::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  bool String() {
    if (!Eat('"')) return false;
    while (i_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (i_ >= s_.size()) return false;
        char e = s_[i_++];
        if (e == 'u') {
          for (int k = 0; k < 4; ++k) {
            if (i_ >= s_.size() || !absl::ascii_isxdigit(static_cast<unsigned char>(s_[i_++]))) return false;
          }
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool Digits() {
    size_t start = i_;
    while (i_ < s_.size() && absl::ascii_isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    return i_ > start;
  }
  bool Number() {
    Eat('-');
    if (Eat('0')) {
      // no leading zeros
    } else if (!Digits()) {
      return false;
    }
    if (Eat('.') && !Digits()) return false;
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (!Eat('+')) Eat('-');
      if (!Digits()) return false;
    }
    return true;
  }
  bool Value(int depth) {
    if (i_ >= s_.size() || depth > 32) return false;
    switch (s_[i_]) {
      case '"': return String();
      case 't': return Literal("true");
      case 'f': return Literal("false");
      case 'n': return Literal("null");
      case '[':
      case '{': {
        const bool object = s_[i_++] == '{';
        const char close = object ? '}' : ']';
        Ws();
        if (Eat(close)) return true;
        while (true) {
          if (object) {
            if (!String()) return false;
            Ws();
            if (!Eat(':')) return false;
            Ws();
          }
          if (!Value(depth + 1)) return false;
          Ws();
          if (Eat(',')) {
            Ws();
            continue;
          }
          return Eat(close);
        }
      }
      default: return Number();
    }
  }

  absl::string_view s_;
  size_t i_ = 0;
  std::vector<std::pair<absl::string_view, absl::string_view>> fields_;
};

// Typed reads of a FlatRecord's fields (missing or of another type: empty, 0, false).
std::string Str(const FlatRecord& r, absl::string_view key) {
  absl::string_view v = r.Raw(key);
  if (v.empty() || v == "null") return "";
  if (v.front() != '"') return std::string(v);
  if (v.find('\\') == absl::string_view::npos) return std::string(v.substr(1, v.size() - 2));
  json j = json::parse(v, nullptr, false);
  return j.is_string() ? j.get<std::string>() : "";
}
double Num(const FlatRecord& r, absl::string_view key) {
  double d = 0;
  absl::string_view v = r.Raw(key);
  return !v.empty() && v.front() != '"' && absl::SimpleAtod(v, &d) ? d : 0;
}
uint64_t U64(const FlatRecord& r, absl::string_view key) {
  uint64_t n = 0;
  absl::string_view v = r.Raw(key);
  if (absl::SimpleAtoi(v, &n)) return n;
  double d = Num(r, key);
  return d > 0 ? static_cast<uint64_t>(d) : 0;
}
bool Bool(const FlatRecord& r, absl::string_view key) { return r.Raw(key) == "true"; }

// A record as a protocol's count tables read it (LogCount::key).
class FlatFields : public LogRecordFields {
 public:
  explicit FlatFields(const FlatRecord& r) : r_(r) {}
  std::string Str(absl::string_view field) const override { return tcpfollow::Str(r_, field); }
  bool Bool(absl::string_view field) const override { return tcpfollow::Bool(r_, field); }

 private:
  const FlatRecord& r_;
};

// A number as the JSON library writes it (shortest form that reads back the same).
std::string JsonNumber(double v) { return Dump(json(v)); }

// ---------------------------------------------------------------------------------------
// The embedded tables: compact rows (arrays in a fixed column order, repeated strings
// interned into one table) so that 100,000 connections stay a few MB.

// Repeated values (hosts, methods, MIME types, ...) as indexes into one table, kept as the
// values' JSON text.
class Interner {
 public:
  size_t Id(absl::string_view json_text) {
    auto [it, added] = ids_.emplace(std::string(json_text), strings_.size());
    if (added) strings_.push_back(it->first);
    return it->second;
  }
  std::string ToText() const { return "[" + absl::StrJoin(strings_, ",") + "]"; }

 private:
  std::unordered_map<std::string, size_t> ids_;
  std::vector<std::string> strings_;
};

double RoundMicros(double v) { return std::round(v * 1e6) / 1e6; }

// One compact row (a JSON array in the view's field order) appended to `out` as text: the
// record's values copied as they are, times relative to t0, repeated strings interned.
void AppendRow(const std::vector<LogField>& fields, const FlatRecord& r, double t0,
               Interner* strings, std::string* out) {
  if (!out->empty()) out->push_back(',');
  out->push_back('[');
  bool first = true;
  for (const LogField& c : fields) {
    if (!first) out->push_back(',');
    first = false;
    absl::string_view v = r.Raw(c.name);
    double d;
    if (v.empty() || v == "null") {
      out->append("null");
    } else if (c.kind == FieldKind::kTime && absl::SimpleAtod(v, &d)) {
      out->append(JsonNumber(RoundMicros(d - t0)));
    } else if (c.kind == FieldKind::kIntern && (v.front() == '"' || v.front() == '[')) {
      absl::StrAppend(out, strings->Id(v));
    } else {
      out->append(v.data(), v.size());
    }
  }
  out->push_back(']');
}

json TableHead(const std::vector<LogField>& fields, uint64_t n) {
  json t;
  json names = json::array(), interned = json::array();
  for (const LogField& c : fields) {
    names.push_back(c.name);
    if (c.kind == FieldKind::kIntern) interned.push_back(c.name);
  }
  t["cols"] = std::move(names);
  t["interned"] = std::move(interned);
  t["n"] = n;
  return t;
}

// ---------------------------------------------------------------------------------------
// Per-connection details: every record of the connection and the first part of its
// transcript, interleaved by the flows record's turns.

// The transcript as JSON text: {"segs":[[dir,"text"] | [dir+2,missing] | [dir+4,not shown],
// ...],"plain":..,"ordered":..,"cut":..}; empty when there is nothing to show.
std::string Transcript(const std::string& dir, const json& flow, const ReportLimits& limits,
                       ReportStats* stats) {
  auto files_it = flow.find("files");
  if (files_it == flow.end() || !files_it->is_object()) return "";
  const json& files = *files_it;
  const bool plain = files.contains("client_plain") || files.contains("server_plain");
  const char* names[2] = {plain ? "client_plain" : "client", plain ? "server_plain" : "server"};
  std::string paths[2];
  for (int d = 0; d < 2; ++d) paths[d] = files.contains(names[d]) && files[names[d]].is_string()
                                             ? files[names[d]].get<std::string>()
                                             : "";
  if (paths[0].empty() && paths[1].empty()) return "";
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
  std::string segs;
  auto seg = [&](int kind, uint64_t n) {
    absl::StrAppend(&segs, segs.empty() ? "" : ",", "[", kind, ",", n, "]");
  };
  uint64_t offset[2] = {0, 0}, shown = 0;
  size_t left[2] = {limits.transcript_bytes / 2, limits.transcript_bytes / 2};
  bool cut = false, read_error = false;
  for (const auto& [d, n] : turns) {
    if (n < 0) {
      seg(d + 2, static_cast<uint64_t>(-n));
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
      absl::StrAppend(&segs, segs.empty() ? "" : ",", "[", d, ",");
      AppendPrintableJson(bytes, &segs);
      segs.push_back(']');
    }
    if (bytes.size() < len) {
      cut = true;
      seg(d + 4, len - bytes.size());  // bytes of this turn not shown
    }
  }
  if (read_error) ++stats->stream_read_errors;
  if (segs.empty()) return "";
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
  return absl::StrCat("{\"segs\":[", segs, "],\"plain\":", plain ? "true" : "false",
                      ",\"ordered\":", ordered ? "true" : "false", ",\"cut\":",
                      cut ? "true" : "false", "}");
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

// ---------------------------------------------------------------------------------------
// A log's files. With --rotate a run's records are spread over the periods' files:
// <log>.<YYYY-MM-DD-HH-MM-SS>[-N].jsonl for each period closed (the stamp is the time it
// was opened; -N when that name was taken), then <log>.jsonl, the period still open (the
// whole run without --rotate). The report reads them all, oldest first: it is the run's.

// The stamp and suffix of `name` when it is a rotated file of `log`.
bool RotatedName(absl::string_view name, absl::string_view log, std::string* stamp, int* n) {
  if (!absl::ConsumePrefix(&name, log) || !absl::ConsumePrefix(&name, ".") ||
      !absl::ConsumeSuffix(&name, ".jsonl")) {
    return false;
  }
  constexpr absl::string_view kShape = "0000-00-00-00-00-00";  // digits where '0' is
  if (name.size() < kShape.size()) return false;
  for (size_t i = 0; i < kShape.size(); ++i) {
    const bool digit = absl::ascii_isdigit(static_cast<unsigned char>(name[i]));
    if (kShape[i] == '0' ? !digit : name[i] != '-') return false;
  }
  *stamp = std::string(name.substr(0, kShape.size()));
  name.remove_prefix(kShape.size());
  *n = 0;
  if (name.empty()) return true;
  return absl::ConsumePrefix(&name, "-") && !name.empty() &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); }) &&
         absl::SimpleAtoi(name, n);
}

struct LogFiles {
  std::map<std::string, std::vector<std::string>> of;  // log -> file names, oldest first
  std::set<std::pair<std::string, int>> periods;       // stamp, suffix of each rotation read
  std::set<std::pair<std::string, int>> skipped;       // the older ones past max_log_bytes
  uint64_t bytes_skipped = 0;
};

// Every log's files; when they hold more than `max_bytes` together, the oldest periods are
// left out, whole, until the rest fit (the open period is always read).
LogFiles FindLogFiles(const std::string& dir, const std::vector<std::string>& logs,
                      uint64_t max_bytes) {
  LogFiles out;
  auto size_of = [&](const std::string& name) -> uint64_t {
    struct stat st;
    return stat((dir + "/" + name).c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  };
  struct Rotated {
    std::pair<std::string, int> period;
    std::string name;
    uint64_t bytes;
    bool operator<(const Rotated& o) const { return std::tie(period, name) < std::tie(o.period, o.name); }
  };
  std::map<std::string, std::vector<Rotated>> rotated;
  std::map<std::pair<std::string, int>, uint64_t> period_bytes;
  uint64_t total = 0;
  if (DIR* d = opendir(dir.c_str())) {
    while (const dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      std::string stamp;
      int n = 0;
      for (const std::string& log : logs) {
        if (RotatedName(name, log, &stamp, &n)) {
          const uint64_t bytes = size_of(name);
          rotated[log].push_back({{stamp, n}, name, bytes});
          period_bytes[{stamp, n}] += bytes;
          total += bytes;
          break;
        }
      }
    }
    closedir(d);
  }
  for (const std::string& log : logs) total += size_of(log + ".jsonl");
  for (const auto& [period, bytes] : period_bytes) {  // oldest first
    if (total <= max_bytes) {
      out.periods.insert(period);
    } else {
      out.skipped.insert(period);
      out.bytes_skipped += bytes;
      total -= bytes;
    }
  }
  for (const std::string& log : logs) {
    std::vector<std::string>& files = out.of[log];
    std::vector<Rotated>& r = rotated[log];
    std::sort(r.begin(), r.end());
    for (const Rotated& f : r) {
      if (out.periods.count(f.period)) files.push_back(f.name);
    }
    files.push_back(log + ".jsonl");
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Reading the records, one line at a time: each record is turned into its compact table
// row and its share of the counts, then dropped, so memory follows the page's size, not
// the logs'. Only the connections whose details fit the budget keep their records.

struct FlowLite {  // what the timeline needs of each connection
  double ts;
  double dur;
  uint32_t service;  // index into Collector::service_names
  bool gap;
};

struct Detail {
  std::string recs;    // ["log",{record}],... as JSON text
  std::string tr;      // the transcript's JSON text, or empty
  uint64_t more = 0;   // records of this connection past the budget
};

class Collector {
 public:
  Collector(std::string dir, const Model& model, const ReportLimits& limits,
            ReportStats* stats)
      : dir_(std::move(dir)),
        model_(model),
        limits_(limits),
        stats_(stats),
        files_(FindLogFiles(dir_, model.logs(), limits.max_log_bytes)) {
    // The protocols' summary count tables and top tables, in registry order.
    for (const LogView& v : model_.views()) {
      for (const LogCount& c : v.counts) {
        extras_[v.log].counts.push_back(log_counts.size());
        log_counts.push_back({&c, {}});
      }
      for (const LogTop& t : v.tops) {
        extras_[v.log].tops.push_back(log_tops.size());
        log_tops.push_back({&t, {}});
      }
    }
  }

  void ReadAll() {
    // Each table's share of the table budget: in proportion to its log's size, what a log
    // leaves unused goes to the ones after it.
    const std::vector<std::string>& logs = model_.logs();
    std::vector<double> weights(logs.size());
    for (size_t i = 0; i < logs.size(); ++i) {
      if (model_.ViewOf(logs[i]) == nullptr) continue;
      for (const std::string& name : files_.of.at(logs[i])) {
        struct stat st;
        if (stat((dir_ + "/" + name).c_str(), &st) == 0) weights[i] += static_cast<double>(st.st_size);
      }
      if (i == 0) weights[i] *= 3;
    }
    stats_->periods = files_.periods.size();
    stats_->periods_skipped = files_.skipped.size();
    stats_->log_bytes_skipped = files_.bytes_skipped;
    double left = static_cast<double>(limits_.max_table_bytes);
    for (size_t i = 0; i < logs.size(); ++i) {
      double rest = 0;
      for (size_t j = i; j < logs.size(); ++j) rest += weights[j];
      share_ = rest > 0 ? left * weights[i] / rest : 0;
      Read(logs[i]);  // flows first: it picks the details
      left = std::max(0.0, left - static_cast<double>(rows[logs[i]].size()));
    }
    std::ifstream in(dir_ + "/stats.json", std::ios::binary);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      json s = json::parse(ss.str(), nullptr, false);
      if (s.is_object()) run_stats = std::move(s);
    }
  }

  const Model& model() const { return model_; }
  // The periods --rotate closed, oldest first (empty without --rotate): those read, and
  // the older ones left out (max_log_bytes).
  const std::set<std::pair<std::string, int>>& periods() const { return files_.periods; }
  const std::set<std::pair<std::string, int>>& skipped() const { return files_.skipped; }

  // Counts.
  std::map<std::string, uint64_t> records, bad, by_close, by_service, by_type, by_source;
  uint64_t gaps = 0, missed = 0, with_gaps = 0, stream_bytes = 0, decrypted = 0, object_bytes = 0;
  std::map<std::string, Tally> hosts, ports, services;
  struct CountTableData {
    const LogCount* spec;
    std::map<std::string, uint64_t> counts;
  };
  struct TopTableData {
    const LogTop* spec;
    std::map<std::string, Tally> tally;
  };
  std::vector<CountTableData> log_counts;  // the protocols' (LogView::counts)
  std::vector<TopTableData> log_tops;      // the protocols' (LogView::tops)
  std::vector<FlowLite> flows;
  std::vector<std::string> service_names;
  std::vector<json> first_flows;  // the first max_timeline_rows, for a timeline row each
  double first = 0, last = 0;     // the first start and last end of a connection
  json run_stats;                 // stats.json, or null

  // The page's data.
  double t0 = 0;
  Interner strings;
  std::map<std::string, std::string> rows;  // log -> compact rows as JSON text
  std::vector<std::pair<std::string, Detail>> details;
  std::string images;  // "fuid":"data:...",... as JSON text

 private:
  // Every period's file of `log`, oldest first.
  void Read(const std::string& log) {
    records[log];
    for (const std::string& name : files_.of.at(log)) ReadFile(log, name);
  }

  void ReadFile(const std::string& log, const std::string& name) {
    const LogView* view = model_.ViewOf(log);
    auto extras_it = extras_.find(log);
    const LogExtras* extras = extras_it == extras_.end() ? nullptr : &extras_it->second;
    int fd = open((dir_ + "/" + name).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return;
    ++stats_->log_files;
    // Lines out of 1 MiB reads (a line longer than max_line_bytes is skipped whole).
    std::string buf, line, normalized;
    FlatRecord r;
    size_t pos = 0;
    bool eof = false, skipping = false;
    while (true) {
      size_t nl = buf.find('\n', pos);
      if (nl == std::string::npos) {
        if (eof) {
          if (pos >= buf.size()) break;
          nl = buf.size();  // a last line without newline
        } else {
          buf.erase(0, pos);
          pos = 0;
          if (buf.size() > limits_.max_line_bytes) {  // too long: drop what we have of it
            buf.clear();
            skipping = true;
          }
          size_t have = buf.size();
          buf.resize(have + (1u << 20));
          ssize_t n = read(fd, &buf[have], 1u << 20);
          buf.resize(have + (n > 0 ? static_cast<size_t>(n) : 0));
          if (n <= 0) eof = true;
          continue;
        }
      }
      line.assign(buf, pos, nl - pos);
      pos = nl + 1;
      if (skipping) {  // the end of an over-long line
        skipping = false;
        ++stats_->lines_read;
        ++stats_->bad_lines;
        ++bad[log];
        continue;
      }
      if (line.empty()) continue;
      ++stats_->lines_read;
      const std::string* text = &line;
      bool ok = line.size() <= limits_.max_line_bytes && r.Parse(line);
      if (!ok && line.size() <= limits_.max_line_bytes) {
        // Not as tcpfollow writes records: the JSON library decides, and writes it our way.
        json j = json::parse(line, nullptr, false);
        if (j.is_object()) {
          normalized = Dump(j);
          text = &normalized;
          ok = r.Parse(normalized);
        }
      }
      if (!ok) {
        ++stats_->bad_lines;
        ++bad[log];
        continue;
      }
      uint64_t n = ++records[log];
      if (t0 == 0 && Num(r, "ts") > 0) t0 = std::floor(Num(r, "ts"));
      if (view != nullptr) {
        std::string& table = rows[log];
        if (n <= limits_.max_table_rows && table.size() < share_) {
          AppendRow(view->fields, r, t0, &strings, &table);
        } else {
          ++stats_->rows_not_embedded;
        }
      }
      if (log == kFlowsLog) {
        Flow(r, *text);
      } else {
        if (extras != nullptr) Extras(*extras, r);
        if (log == kFilesLog) File(r);
        AddToDetail(log, r, *text);
      }
    }
    close(fd);
  }

  void Flow(const FlatRecord& f, const std::string& line) {
    const std::string service = Str(f, "service");
    const uint64_t g = U64(f, "orig_gaps") + U64(f, "resp_gaps");
    const uint64_t m = U64(f, "orig_missed_bytes") + U64(f, "resp_missed_bytes");
    const uint64_t b = U64(f, "orig_bytes") + U64(f, "resp_bytes");
    ++by_close[Str(f, "close_reason")];
    ++by_service[service];
    gaps += g;
    missed += m;
    if (g + m > 0) ++with_gaps;
    stream_bytes += b;
    if (Bool(f, "decrypted")) ++decrypted;
    for (const char* k : {"id.orig_h", "id.resp_h"}) {
      Tally& t = hosts[Str(f, k)];
      ++t.count;
      t.bytes += b;
    }
    Tally& p = ports[Str(f, "id.resp_p")];
    ++p.count;
    p.bytes += b;
    Tally& s = services[service];
    ++s.count;
    s.bytes += b;

    const double ts = Num(f, "ts"), dur = Num(f, "duration");
    if (ts > 0) {
      if (first == 0 || ts < first) first = ts;
      last = std::max(last, ts + dur);
    }
    auto sid = service_ids_.emplace(service, service_names.size());
    if (sid.second) service_names.push_back(service);
    flows.push_back({ts, dur, static_cast<uint32_t>(sid.first->second), g + m > 0});
    if (first_flows.size() < limits_.max_timeline_rows) first_flows.push_back(json::parse(line));

    // Details: connections in flows.jsonl order while two thirds of the budget last; the
    // other logs' records of those connections fill the rest.
    std::string uid = Str(f, "uid");
    if (uid.empty() || detail_index_.count(uid)) return;
    if (detail_bytes_ >= limits_.max_detail_bytes * 2 / 3) {
      ++stats_->details_omitted;
      return;
    }
    Detail d;
    d.recs = absl::StrCat("[\"flows\",", line, "]");  // the line is compact JSON already
    d.tr = Transcript(dir_, json::parse(line), limits_, stats_);
    detail_bytes_ += d.recs.size() + d.tr.size();
    detail_index_[uid] = details.size();
    details.push_back({uid, std::move(d)});
    ++stats_->details_included;
  }

  void AddToDetail(const std::string& log, const FlatRecord& r, const std::string& line) {
    auto it = detail_index_.find(Str(r, "uid"));
    if (it == detail_index_.end()) return;
    Detail& d = details[it->second].second;
    std::string text = absl::StrCat("[", Dump(log), ",", line, "]");
    if (detail_bytes_ + text.size() > limits_.max_detail_bytes) {
      ++d.more;
      ++stats_->detail_records_omitted;
      return;
    }
    detail_bytes_ += text.size() + 1;
    d.recs += ",";
    d.recs += text;
  }

  struct LogExtras {  // indexes into log_counts and log_tops
    std::vector<size_t> counts, tops;
  };

  void Extras(const LogExtras& e, const FlatRecord& r) {
    for (size_t i : e.counts) {
      CountTableData& c = log_counts[i];
      if (c.spec->key) ++c.counts[c.spec->key(FlatFields(r))];
    }
    for (size_t i : e.tops) {
      TopTableData& t = log_tops[i];
      Tally& n = t.tally[Str(r, t.spec->field)];
      ++n.count;
      if (!t.spec->flag.empty() && Bool(r, t.spec->flag)) ++n.extra;
    }
  }

  void File(const FlatRecord& f) {
    ++by_type[Str(f, "mime_type")];
    ++by_source[Str(f, "source")];
    object_bytes += U64(f, "size");
    // Small raster images, embedded.
    std::string mime = Str(f, "mime_type"), fuid = Str(f, "fuid");
    if (mime.rfind("image/", 0) != 0 || fuid.empty()) return;
    uint64_t size = U64(f, "size");
    std::string bytes;
    if (size == 0 || size > limits_.max_image_bytes ||
        image_bytes_ + size > limits_.max_embedded_image_bytes ||
        !ReadPart(dir_, Str(f, "path"), 0, size, &bytes) || RasterImageType(bytes).empty()) {
      ++stats_->images_linked;
      return;
    }
    image_bytes_ += bytes.size();
    if (!images.empty()) images += ",";
    images += Dump(fuid) + ":" +
              Dump(absl::StrCat("data:", RasterImageType(bytes), ";base64,",
                                absl::Base64Escape(bytes)));
    ++stats_->images_embedded;
  }

  std::string dir_;
  const Model& model_;
  const ReportLimits& limits_;
  ReportStats* stats_;
  const LogFiles files_;
  std::map<std::string, LogExtras> extras_;
  std::unordered_map<std::string, size_t> service_ids_;
  std::unordered_map<std::string, size_t> detail_index_;
  size_t detail_bytes_ = 0;
  size_t image_bytes_ = 0;
  double share_ = 0;  // of max_table_bytes, for the log being read

};

// A value of stats.json by its path ("packets/bytes"), or null.
const json& StatAt(const json& stats, const char* path) {
  static const json kNull;
  const json* j = &stats;
  for (absl::string_view part : absl::StrSplit(path, '/')) {
    if (!j->is_object()) return kNull;
    auto it = j->find(std::string(part));
    if (it == j->end()) return kNull;
    j = &*it;
  }
  return *j;
}

std::string StatText(const json& v) {
  if (v.is_number_unsigned() || v.is_number_integer()) return Group(v.get<uint64_t>());
  if (v.is_string()) return v.get<std::string>();
  return Dump(v);
}

void Summary(Html* h, const Collector& c) {
  const json& st = c.run_stats;
  h->Raw("<section id=summary><h2>Run summary</h2><div class=cards>\n");
  h->Raw("<table class=kv><caption>Run</caption>\n");
  // The figures of the end-of-run summary, from stats.json; zero counts of trouble omitted.
  struct Item {
    const char* label;
    const char* path;
    bool only_nonzero;
  };
  static const Item kFirst[] = {{"input", "run/input", false}, {"filter", "run/filter", true},
                                {"tcpfollow", "run/version", false}};
  for (const Item& i : kFirst) {
    const json& v = StatAt(st, i.path);
    if (!v.is_null() && !(i.only_nonzero && StatText(v).empty())) h->Row(i.label, StatText(v));
  }
  h->Row("capture period", c.flows.empty() ? "no connections"
                                           : UtcTime(c.first) + " to " + UtcTime(c.last, false) + " UTC");
  if (!c.flows.empty()) h->Row("duration", absl::StrFormat("%.3f s", c.last - c.first));
  static const Item kCounts[] = {
      {"packets", "packets/packets", false},
      {"captured bytes", "packets/bytes", false},
      {"TCP segments", "packets/tcp_segments", false},
      {"UDP packets (not followed)", "packets/udp", true},
      {"other IP packets (not followed)", "packets/other_ip", true},
      {"kernel drops", "capture/kernel_drops", false},
      {"interface drops", "capture/interface_drops", false},
      {"IP fragments", "defrag/fragments", true},
      {"reassembled datagrams", "packets/reassembled_datagrams", true},
      {"TCP overlaps", "tcp/overlaps", false},
      {"TCP overlaps with different data", "tcp/overlap_conflicts", false},
      {"connections evicted (connection limit)", "tcp/evicted_connection_limit", true},
      {"out-of-order buffer limit hits", "tcp/buffer_limit_hits", true},
      {"segments out of window", "tcp/segments_out_of_window", true},
  };
  for (const Item& i : kCounts) {
    const json& v = StatAt(st, i.path);
    if (v.is_number() && !(i.only_nonzero && v.get<double>() == 0)) h->Row(i.label, StatText(v));
  }
  const json& errors = StatAt(st, "packets/decode_errors");
  if (errors.is_object()) {
    for (auto it = errors.begin(); it != errors.end(); ++it) {
      if (it->is_number() && it->get<double>() > 0) {
        h->Row("damaged packets: " + it.key(), StatText(*it));
      }
    }
  }
  if (StatAt(st, "capture/truncated") == true) {
    h->Row("note", "the capture file is truncated: its last packet is incomplete");
  }
  const json& wall = StatAt(st, "run/wall_seconds");
  if (wall.is_number()) h->Row("processing time", absl::StrFormat("%.2f s", wall.get<double>()));
  if (st.is_null()) h->Row("stats.json", "not in the directory: run figures unknown");
  h->Raw("</table>\n");

  h->Raw("<table class=kv><caption>Connections</caption>\n");
  h->Row("connections", Group(c.flows.size()));
  h->Row("stream bytes", absl::StrCat(Group(c.stream_bytes), " (", HumanBytes(c.stream_bytes), ")"));
  h->Row("gaps", Group(c.gaps));
  h->Row("missed bytes", absl::StrCat(Group(c.missed), " (", HumanBytes(c.missed), ")"));
  h->Row("connections with gaps", Group(c.with_gaps));
  h->Row("decrypted connections", Group(c.decrypted));
  h->Raw("</table>\n");
  CountTable(h, "Connections by close reason", c.by_close);
  CountTable(h, "Connections by service", c.by_service, "(not detected)");
  for (const Collector::CountTableData& t : c.log_counts) CountTable(h, t.spec->title, t.counts);
  std::map<std::string, uint64_t> records = c.records;
  records["object bytes"] = c.object_bytes;
  CountTable(h, "Records", records);
  CountTable(h, "Objects by source", c.by_source);
  CountTable(h, "Objects by type", c.by_type, "(unknown)");
  if (!c.bad.empty()) {
    std::map<std::string, uint64_t> bad;
    for (const auto& [k, v] : c.bad) bad[k + ".jsonl"] = v;
    CountTable(h, "Lines skipped (not JSON objects, or too long)", bad);
  }
  h->Raw("</div>\n");
  if (!c.run_stats.is_null()) {
    std::vector<std::pair<std::string, std::string>> items;
    Flatten(c.run_stats, "", &items);
    h->Raw("<details><summary>Every counter of the run (stats.json, ")
        .Text(Group(items.size()))
        .Raw(" values)</summary><table class=kv>\n");
    for (const auto& [k, v] : items) h->Row(k, v);
    h->Raw("</table></details>\n");
  }
  h->Raw("</section>\n");
}

void Timeline(Html* h, const Collector& c, const ReportLimits& limits) {
  const double first = c.first, last = c.last;
  h->Raw("<section id=timeline><h2>Timeline</h2>\n");
  if (c.flows.empty()) {
    h->Raw("<p>No connections.</p></section>\n");
    return;
  }
  const double span = std::max(last - first, 1e-6);
  constexpr double kLeft = 70, kWidth = 900;
  auto x = [&](double t) { return kLeft + (t - first) / span * kWidth; };
  std::map<std::string, uint64_t> legend;
  for (const FlowLite& f : c.flows) ++legend[c.service_names[f.service]];
  h->Raw("<p class=legend>");
  for (const auto& [s, n] : legend) {
    h->Raw("<svg width=12 height=12><rect width=12 height=12 fill=\"")
        .Raw(c.model().ServiceColor(s))
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
  if (c.flows.size() <= limits.max_timeline_rows) {
    const std::vector<json>& flows = c.first_flows;
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
                             i * kRow + 2, w, kRow - 3, c.model().ServiceColor(Str(f, "service"))));
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
    for (const FlowLite& f : c.flows) {
      int b = std::clamp(static_cast<int>((f.ts - first) / span * kBins), 0, kBins - 1);
      ++bins[b][c.service_names[f.service]];
      ++totals[b];
      if (f.gap) ++gap_bins[b];
    }
    uint64_t peak = *std::max_element(totals.begin(), totals.end());
    h->Raw(absl::StrFormat("<p>%s connections: connections started per %.3f s, stacked by "
                           "service; red marks bins with connections that have gaps. "
                           "The Connections table lists each one.</p>\n",
                           Group(c.flows.size()), span / kBins));
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
                               kLeft + b * bw, y, std::max(bw - 0.5, 0.5), hh, c.model().ServiceColor(s)));
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

void Hosts(Html* h, const Collector& c, const ReportLimits& limits) {
  // The third column: the connections' bytes, a second count (LogTop::flag), or none.
  enum class Third { kBytes, kFlag, kNone };
  auto table = [&](const std::string& title, const std::string& key,
                   const std::map<std::string, Tally>& m, bool by_bytes,
                   const std::string& count_title, Third third, const std::string& third_title,
                   const std::string& empty_name) {
    h->Raw("<table class=grid><caption>").Text(title).Raw("</caption><tr><th>").Text(key);
    h->Raw("</th><th>").Text(count_title);
    if (third != Third::kNone) h->Raw("</th><th>").Text(third_title);
    h->Raw("</th></tr>\n");
    for (const auto& [k, t] : Top(m, limits.top_n, by_bytes)) {
      h->Raw("<tr><td>").Text(k.empty() ? empty_name : k).Raw("</td><td class=n>");
      h->Text(Group(t.count));
      if (third != Third::kNone) {
        h->Raw("</td><td class=n>").Text(third == Third::kFlag ? Group(t.extra) : HumanBytes(t.bytes));
      }
      h->Raw("</td></tr>\n");
    }
    if (m.size() > limits.top_n) {
      h->Raw(third == Third::kNone ? "<tr><td colspan=2 class=note>" : "<tr><td colspan=3 class=note>")
          .Text(absl::StrCat(Group(m.size() - limits.top_n), " more not shown"))
          .Raw("</td></tr>\n");
    }
    h->Raw("</table>\n");
  };
  h->Raw("<section id=hosts><h2>Hosts and services</h2><div class=cards>\n");
  table("Top talkers by bytes", "host", c.hosts, true, "connections", Third::kBytes, "bytes", "");
  table("Top talkers by connections", "host", c.hosts, false, "connections", Third::kBytes, "bytes",
        "");
  table("Services by server port", "port", c.ports, false, "connections", Third::kBytes, "bytes",
        "");
  table("Services by detection", "service", c.services, false, "connections", Third::kBytes,
        "bytes", "(not detected)");
  for (const Collector::TopTableData& t : c.log_tops) {
    const LogTop& s = *t.spec;
    table(s.title, s.field_title, t.tally, false, s.count_title,
          s.flag.empty() ? Third::kNone : Third::kFlag, s.flag_title, s.empty);
  }
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
  out.reserve(json_text.size() + json_text.size() / 32);
  // The bytes that may need escaping, looked up in a table: find_first_of with a set
  // calls memchr over the set for every byte of the page's data.
  static const auto kSpecial = [] {
    std::array<bool, 256> t{};
    for (unsigned char c : {'<', '>', '&', '\xe2'}) t[c] = true;
    return t;
  }();
  const auto next = [&](size_t from) {
    for (size_t k = from; k < json_text.size(); ++k) {
      if (kSpecial[static_cast<unsigned char>(json_text[k])]) return k;
    }
    return std::string::npos;
  };
  size_t done = 0;
  for (size_t i = next(0); i != std::string::npos; i = next(i + 1)) {
    const char c = json_text[i];
    const char* esc = nullptr;
    size_t len = 1;
    if (c == '<') {
      esc = "\\u003c";
    } else if (c == '>') {
      esc = "\\u003e";
    } else if (c == '&') {
      esc = "\\u0026";
    } else if (i + 2 < json_text.size() && json_text[i + 1] == '\x80' &&
               (json_text[i + 2] == '\xa8' || json_text[i + 2] == '\xa9')) {
      esc = json_text[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      len = 3;
    }
    if (esc == nullptr) continue;
    out.append(json_text, done, i - done);
    out.append(esc);
    done = i + len;
    i += len - 1;
  }
  out.append(json_text, done, std::string::npos);
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

std::string BuildReport(const std::string& dir, const std::vector<ProtocolSpec>& protocols,
                        const ReportLimits& limits, ReportStats* stats) {
  const Model model(protocols);
  Collector c(dir, model, limits, stats);
  c.ReadAll();

  // The embedded data, assembled as text: the rows and details are JSON text already.
  // One block of metadata (parsed at once) and one per table, for the details and for the
  // images (parsed when a section needs them).
  std::string data = "{\"t0\":" + Dump(c.t0);
  std::string blocks;
  auto block = [&](const std::string& id, const std::string& text) {
    absl::StrAppend(&blocks, "<script type=\"application/json\" id=d-", id, ">",
                    ScriptSafeJson(text), "</script>\n");
  };
  // Per log with a view, its table's columns ("tables") and rows (block "d-LOG"); the views
  // in the order the page shows them ("views"), which the script draws.
  json tables = json::object();
  for (const std::string& log : model.logs()) {
    const LogView* view = model.ViewOf(log);
    if (view == nullptr) continue;
    tables[log] = TableHead(view->fields, c.records[log]);
    block(log, absl::StrCat("[", c.rows[log], "]"));
  }
  std::vector<const LogView*> shown;  // the protocols', then objects and connections
  for (const LogView& v : model.views()) shown.push_back(&v);
  shown.push_back(&model.files());
  shown.push_back(&model.flows());
  json views = json::array();
  for (const LogView* v : shown) views.push_back(ViewJson(*v));
  absl::StrAppend(&data, ",\"tables\":", Dump(tables), ",\"views\":", Dump(views));
  std::string details = "{";
  for (size_t i = 0; i < c.details.size(); ++i) {
    const auto& [uid, d] = c.details[i];
    absl::StrAppend(&details, i ? "," : "", Dump(uid), ":{\"recs\":[", d.recs, "]",
                    d.tr.empty() ? "" : ",\"tr\":", d.tr, d.more ? ",\"more\":" : "",
                    d.more ? absl::StrCat(d.more) : "", "}");
  }
  details += "}";
  block("details", details);
  block("images", "{" + c.images + "}");
  json limits_json = {{"max_table_rows", limits.max_table_rows},
                      {"max_table_bytes", limits.max_table_bytes},
                      {"max_detail_bytes", limits.max_detail_bytes},
                      {"transcript_bytes", limits.transcript_bytes},
                      {"max_image_bytes", limits.max_image_bytes}};
  absl::StrAppend(&data, ",\"details_omitted\":", stats->details_omitted,
                  ",\"images_linked\":", stats->images_linked,
                  ",\"S\":", c.strings.ToText(), ",\"limits\":", Dump(limits_json), "}");

  // The page.
  Html body;
  Summary(&body, c);
  Timeline(&body, c, limits);
  Hosts(&body, c, limits);
  Html about;
  about.Raw("<section id=about><h2>About this report</h2><table class=kv>\n");
  about.Row("records read", Group(stats->lines_read));
  about.Row("log files read", Group(stats->log_files));
  if (!c.periods().empty()) {
    // --rotate: every period's logs are on this page, the one still open included.
    about.Row(c.skipped().empty() ? "rotated periods (--rotate), all on this page"
                                  : "rotated periods (--rotate) on this page",
              absl::StrCat(Group(c.periods().size()), ": <log>.", c.periods().begin()->first,
                           ".jsonl to <log>.", c.periods().rbegin()->first,
                           ".jsonl (UTC, when each opened), then the <log>.jsonl files"));
  }
  if (!c.skipped().empty()) {
    about.Row("older periods not read (their logs over " + HumanBytes(limits.max_log_bytes) +
                  " with the newer ones)",
              absl::StrCat(Group(c.skipped().size()), ": <log>.", c.skipped().begin()->first,
                           ".jsonl to <log>.", c.skipped().rbegin()->first, ".jsonl, ",
                           HumanBytes(stats->log_bytes_skipped)));
  }
  about.Row("lines skipped", Group(stats->bad_lines));
  about.Row("table rows not embedded (over " + Group(limits.max_table_rows) + " per table or " +
                HumanBytes(limits.max_table_bytes) + " in all)",
            Group(stats->rows_not_embedded));
  about.Row("connections with records and transcript on this page",
            Group(stats->details_included));
  about.Row("connections without (over the " + HumanBytes(limits.max_detail_bytes) + " budget)",
            Group(stats->details_omitted));
  about.Row("records of those connections over the budget (not shown with them)",
            Group(stats->detail_records_omitted));
  about.Row("transcripts (first " + Group(limits.transcript_bytes) + " bytes each)",
            Group(stats->transcripts));
  about.Row("stream files that could not be read", Group(stats->stream_read_errors));
  about.Row("images embedded", Group(stats->images_embedded));
  about.Row("images linked, not embedded", Group(stats->images_linked));
  about.Raw("</table><p>The complete records are in the .jsonl files beside this page; "
            "stream files in streams/, objects in objects/.</p></section>\n");

  const json& input_json = StatAt(c.run_stats, "run/input");
  const std::string input = input_json.is_string() ? input_json.get<std::string>() : "";
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
      input.empty() ? "" : ": ", HtmlEscape(input), "</title>\n<style>", style,
      "</style>\n</head><body>\n<header><h1>tcpfollow report</h1><nav>"
      "<a href=\"#summary\">Summary</a><a href=\"#timeline\">Timeline</a>"
      "<a href=\"#hosts\">Hosts</a>");
  // One section per view: the protocols' in registry order, the image gallery (objects of
  // any protocol), then objects and connections.
  std::string sections;
  auto section = [&](const LogView& v) {
    absl::StrAppend(&page, "<a href=\"#", HtmlEscape(v.id), "\">", HtmlEscape(v.title), "</a>");
    absl::StrAppend(&sections, "<section id=", HtmlEscape(v.id), "><h2>", HtmlEscape(v.title),
                    "</h2>", v.groups.empty() ? "" : "<div id=" + HtmlEscape(v.id) + "-groups></div>",
                    "<div class=tbl id=t-", HtmlEscape(v.log), " data-total=", c.records[v.log],
                    "></div></section>\n");
  };
  for (const LogView& v : model.views()) section(v);
  absl::StrAppend(&page, "<a href=\"#gallery\">Images</a>");
  absl::StrAppend(&sections,
                  "<section id=gallery><h2>Images</h2><div id=g-images class=gallery></div>"
                  "</section>\n");
  section(model.files());
  section(model.flows());
  absl::StrAppend(&page, "<a href=\"#about\">About</a></nav></header>\n<main>\n", body.str(),
                  sections, "<section id=detail hidden></section>\n");
  absl::StrAppend(
      &page,
      about.str(), "</main>\n<noscript><p>The tables need JavaScript; the summary above does "
      "not.</p></noscript>\n<script type=\"application/json\" id=data>",
      ScriptSafeJson(data), "</script>\n", blocks, "<script>", script,
      "</script>\n</body></html>\n");
  stats->report_bytes = page.size();
  return page;
}

absl::Status WriteReport(OutputDir* dir, const std::vector<ProtocolSpec>& protocols,
                         const ReportLimits& limits, ReportStats* stats) {
  std::string page = BuildReport(dir->path(), protocols, limits, stats);
  absl::StatusOr<int> fd = dir->Create(OutputDir::Sub::kTop, "report.html");
  if (!fd.ok()) return fd.status();
  bool ok = dir->WriteAll(*fd, page, "report.html");
  close(*fd);
  if (!ok) return absl::InternalError("could not write report.html: " + dir->first_error());
  return absl::OkStatus();
}

}  // namespace tcpfollow
