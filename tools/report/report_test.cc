// report.html built from hand-written records: escaping, caps and their counts, the turn
// log, a protocol's section made from its spec alone, and the registered protocols' views
// well formed. The page in a real browser is tested by //tests/report:report_browser_test.
#include "tools/report/report.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <string>

#include "catch2/catch.hpp"
#include "tools/report/turn_log.h"
#include "tools/session/registry.h"

namespace tcpfollow {
namespace {

std::string TempDir() {
  char tmpl[] = "/tmp/report_test_XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  std::string d = tmpl;
  mkdir((d + "/streams").c_str(), 0755);
  mkdir((d + "/objects").c_str(), 0755);
  return d;
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
}

// Markup the traffic chose, and what escaping makes of it.
const char kHostile[] = "<script>document.title='pwned'</script>\\\"><img src=x onerror=alert(1)>";

std::string Flow(const std::string& uid, double ts, const std::string& extra = "") {
  return "{\"uid\":\"" + uid + "\",\"ts\":" + std::to_string(ts) +
         ",\"duration\":0.5,\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":1234,\"id.resp_h\":"
         "\"10.0.0.2\",\"id.resp_p\":80,\"service\":\"http\",\"orig_bytes\":5,\"resp_bytes\":3,"
         "\"orig_missed_bytes\":0,\"resp_missed_bytes\":0,\"close_reason\":\"fin\"" +
         extra + "}\n";
}

TEST_CASE("HtmlEscape: markup characters and invalid UTF-8", "[report]") {
  CHECK(HtmlEscape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  CHECK(HtmlEscape("ok \xc3\xa9") == "ok \xc3\xa9");
  CHECK(HtmlEscape("bad \xff\xfe end") == "bad \xef\xbf\xbd\xef\xbf\xbd end");
}

TEST_CASE("ScriptSafeJson: nothing can end the script element", "[report]") {
  std::string j = ScriptSafeJson("[\"</script><script>alert(1)</script>\",\"a&b\",\"\xe2\x80\xa8\"]");
  CHECK(j.find('<') == std::string::npos);
  CHECK(j.find('>') == std::string::npos);
  CHECK(j.find('&') == std::string::npos);
  CHECK(j.find("\xe2\x80\xa8") == std::string::npos);
  CHECK(j == "[\"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e\","
             "\"a\\u0026b\",\"\\u2028\"]");
}

TEST_CASE("RasterImageType: raster formats only, never SVG", "[report]") {
  CHECK(RasterImageType("\x89PNG\r\n\x1a\n....") == "image/png");
  CHECK(RasterImageType("\xff\xd8\xff\xe0....") == "image/jpeg");
  CHECK(RasterImageType("GIF89a....") == "image/gif");
  CHECK(RasterImageType(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)) == "image/webp");
  CHECK(RasterImageType("<svg onload=alert(1)>").empty());
  CHECK(RasterImageType("").empty());
}

TEST_CASE("TurnLog: merges a direction's data, gaps negative, stops at its limits", "[report]") {
  TurnLog t(TurnLogLimits{4, 100});
  t.Data(0, 10);
  t.Data(0, 5);
  t.Data(1, 20);
  t.Gap(1, 7);
  t.Data(1, 3);
  CHECK(t.ToJson().dump() == "[[0,15],[1,20],[1,-7],[1,3]]");
  CHECK_FALSE(t.truncated());
  t.Data(0, 1);  // a fifth entry: over max_turns
  CHECK(t.truncated());
  CHECK(t.ToJson().size() == 4);

  TurnLog b(TurnLogLimits{64, 100});
  b.Data(0, 99);  // just under max_bytes: more is still added
  b.Data(1, 1);
  CHECK_FALSE(b.truncated());
  b.Data(0, 1);  // at max_bytes: nothing more
  CHECK(b.truncated());
  CHECK(b.ToJson().dump() == "[[0,99],[1,1]]");
}

TEST_CASE("BuildReport: text from the traffic never becomes markup", "[report]") {
  std::string d = TempDir();
  Write(d + "/flows.jsonl", Flow("C1", 1700000000.25, ",\"files\":{\"client\":\"streams/C1.client\"},"
                                 "\"turns\":[[0,5],[1,-3]]"));
  Write(d + "/streams/C1.client", std::string("<b>\xff!"));
  Write(d + "/http.jsonl", std::string("{\"uid\":\"C1\",\"ts\":1700000000.3,\"host\":\"") + kHostile +
                               "\",\"uri\":\"/" + kHostile + "\",\"user_agent\":\"" + kHostile +
                               "\",\"method\":\"GET\"}\n");
  Write(d + "/stats.json", "{\"run\":{\"input\":\"capture<script>x</script>.pcap\"},"
                           "\"packets\":{\"packets\":12345}}");
  ReportStats st;
  std::string page = BuildReport(d, RegisteredProtocols(), ReportLimits(), &st);
  // The only script elements are the page's own (one script, nine data blocks); no element
  // the traffic named.
  size_t scripts = 0, data = 0;
  for (size_t p = page.find("<script"); p != std::string::npos; p = page.find("<script", p + 1)) {
    ++scripts;
    if (page.compare(p, 35, "<script type=\"application/json\" id=") == 0) ++data;
  }
  CHECK(scripts == 10);
  CHECK(data == 9);
  CHECK(page.find("<img src=x") == std::string::npos);
  CHECK(page.find("<title>tcpfollow report: capture&lt;script&gt;x&lt;/script&gt;.pcap</title>") !=
        std::string::npos);
  CHECK(page.find("<tr><th>packets</th><td>12,345</td></tr>") != std::string::npos);
  CHECK(page.find("\\u003cimg src=x onerror=alert(1)\\u003e") != std::string::npos);
  // The transcript: printable bytes kept, others '.', the gap recorded.
  CHECK(page.find("[0,\"\\u003cb\\u003e.!\"],[3,3]") != std::string::npos);
  CHECK(page.find("Content-Security-Policy") != std::string::npos);
  CHECK(st.transcripts == 1);
  CHECK(st.lines_read == 2);
}

TEST_CASE("BuildReport: every period --rotate closed, oldest first, then the open one",
          "[report]") {
  std::string d = TempDir();
  // Periods in a directory listing's arbitrary order; a taken name got "-1" (after the
  // name it repeats); the open period's logs are <log>.jsonl.
  Write(d + "/flows.2026-12-01-10-00-02.jsonl", Flow("C3", 1796119202.5));
  Write(d + "/flows.2026-12-01-10-00-00-1.jsonl", Flow("C2", 1796119200.7));
  Write(d + "/flows.2026-12-01-10-00-00.jsonl", Flow("C1", 1796119200.2));
  Write(d + "/flows.jsonl", Flow("C4", 1796119203.1));
  auto http = [](const std::string& uid, const std::string& uri) {
    return "{\"uid\":\"" + uid + "\",\"ts\":1796119200,\"method\":\"GET\",\"uri\":\"" + uri +
           "\"}\n";
  };
  Write(d + "/http.2026-12-01-10-00-00.jsonl", http("C1", "/p1"));
  Write(d + "/http.2026-12-01-10-00-02.jsonl", http("C3", "/p3"));
  Write(d + "/http.jsonl", "");
  // Not http's: another log's ("http2"), not a stamp, a stamp cut short, a stray suffix.
  Write(d + "/http2.2026-12-01-10-00-00.jsonl", http("C1", "/not-http2"));
  Write(d + "/http.latest.jsonl", http("C1", "/not-latest"));
  Write(d + "/http.2026-12-01-10-00.jsonl", http("C1", "/not-short"));
  Write(d + "/http.2026-12-01-10-00-00-x.jsonl", http("C1", "/not-x"));
  Write(d + "/http.2026-12-01-10-00-00.jsonl.gz", http("C1", "/not-gz"));
  ReportStats st;
  std::string page = BuildReport(d, RegisteredProtocols(), ReportLimits(), &st);
  CHECK(page.find("id=t-flows data-total=4>") != std::string::npos);
  CHECK(page.find("id=t-http data-total=2>") != std::string::npos);
  const size_t c1 = page.find("\"C1\""), c2 = page.find("\"C2\""), c3 = page.find("\"C3\""),
               c4 = page.find("\"C4\"");
  REQUIRE(c4 != std::string::npos);
  CHECK(c1 < c2);
  CHECK(c2 < c3);
  CHECK(c3 < c4);
  CHECK(page.find("/p1") < page.find("/p3"));
  for (const char* other : {"/not-http2", "/not-latest", "/not-short", "/not-x", "/not-gz"}) {
    CHECK(page.find(other) == std::string::npos);
  }
  CHECK(st.periods == 3);  // 10:00:00, 10:00:00-1 (a name taken: another run's), 10:00:02
  CHECK(st.lines_read == 6);
  CHECK(page.find("3: &lt;log&gt;.2026-12-01-10-00-00.jsonl to &lt;log&gt;.2026-12-01-10-00-02"
                  ".jsonl") != std::string::npos);
}

TEST_CASE("BuildReport: past max_log_bytes the oldest periods are left out, counted",
          "[report]") {
  std::string d = TempDir();
  const std::string c1 = Flow("C1", 1796119200.2), c2 = Flow("C2", 1796119201.2),
                    c3 = Flow("C3", 1796119202.2), c4 = Flow("C4", 1796119203.1);
  Write(d + "/flows.2026-12-01-10-00-00.jsonl", c1);
  Write(d + "/flows.2026-12-01-10-00-01.jsonl", c2);
  Write(d + "/flows.2026-12-01-10-00-02.jsonl", c3);
  Write(d + "/flows.jsonl", c4);
  ReportLimits limits;
  limits.max_log_bytes = c2.size() + c3.size() + c4.size();  // just room for the newest three
  ReportStats st;
  std::string page = BuildReport(d, RegisteredProtocols(), limits, &st);
  CHECK(page.find("id=t-flows data-total=3>") != std::string::npos);
  CHECK(page.find("\"C1\"") == std::string::npos);
  CHECK(st.periods == 2);
  CHECK(st.periods_skipped == 1);
  CHECK(st.log_bytes_skipped == c1.size());
  CHECK(page.find("older periods not read") != std::string::npos);
  limits.max_log_bytes -= 1;  // one byte short: the next oldest goes too
  ReportStats st2;
  page = BuildReport(d, RegisteredProtocols(), limits, &st2);
  CHECK(page.find("id=t-flows data-total=2>") != std::string::npos);
  CHECK(st2.periods_skipped == 2);
  // Never the open period, however small the budget.
  limits.max_log_bytes = 1;
  ReportStats st3;
  page = BuildReport(d, RegisteredProtocols(), limits, &st3);
  CHECK(page.find("id=t-flows data-total=1>") != std::string::npos);
  CHECK(page.find("\"C4\"") != std::string::npos);
  CHECK(st3.periods == 0);
  CHECK(st3.periods_skipped == 3);
}

TEST_CASE("BuildReport: caps counted; paths outside streams/ and objects/ never read", "[report]") {
  std::string d = TempDir();
  std::string flows;
  for (int i = 0; i < 50; ++i) {
    flows += Flow("C" + std::to_string(i), 1700000000 + i,
                  ",\"files\":{\"client\":\"streams/../../etc/passwd\"}");
  }
  flows += "not json\n{\"truncated\":\n";
  Write(d + "/flows.jsonl", flows);
  Write(d + "/files.jsonl",
        "{\"uid\":\"C1\",\"fuid\":\"F1\",\"mime_type\":\"image/png\",\"size\":12,"
        "\"path\":\"objects/F1.png\"}\n{\"uid\":\"C1\",\"fuid\":\"F2\",\"mime_type\":\"image/"
        "svg+xml\",\"size\":21,\"path\":\"objects/F2.svg\"}\n");
  Write(d + "/objects/F1.png", std::string("\x89PNG\r\n\x1a\n1234", 12));
  Write(d + "/objects/F2.svg", "<svg onload=alert(1)>");
  ReportLimits limits;
  limits.max_table_rows = 20;
  limits.max_detail_bytes = 1000;  // a few connections' details
  limits.max_timeline_rows = 10;   // 50 connections: the histogram
  ReportStats st;
  std::string page = BuildReport(d, RegisteredProtocols(), limits, &st);
  CHECK(st.bad_lines == 2);
  CHECK(st.rows_not_embedded == 30);
  CHECK(st.details_included > 0);
  CHECK(st.details_included < 50);
  CHECK(st.details_included + st.details_omitted == 50);
  CHECK(st.transcripts == 0);  // the only stream path named is outside streams/
  CHECK(st.images_embedded == 1);
  CHECK(st.images_linked == 1);  // SVG is never embedded
  CHECK(page.find("data:image/png;base64,") != std::string::npos);
  CHECK(page.find("data:image/svg") == std::string::npos);
  CHECK(page.find("connections started per") != std::string::npos);
}


// A protocol the report has never heard of: its section, table, group, summary counts, top
// table and colour all come from its spec.
ProtocolSpec GopherSpec() {
  ProtocolSpec spec;
  spec.name = "gopher";
  spec.logs = {"gopher"};
  LogView v;
  v.log = "gopher";
  v.id = "burrows";
  v.title = "Gopher holes";
  v.fields = {{"ts", FieldKind::kTime}, {"uid"}, {"selector", FieldKind::kIntern},
              {"item_type"}, {"bytes"}, {"fuid"}, {"found"}};
  v.columns = {TimeColumn(), ConnectionColumn(), {"selector", {"selector"}},
               {"bytes", {"bytes"}, ColumnShow::kCount}, {"found", {"found"}, ColumnShow::kYesNo}};
  LogGroup g;
  g.title = "Burrows";
  g.noun = "burrow";
  g.key = ConnectionColumn();
  g.latest = {{"last selector", {"selector"}}};
  g.count_title = "requests";
  g.items_title = "fetched";
  g.items_if = "fuid";
  g.item = {{"", {"selector"}}, {"", {"fuid"}, ColumnShow::kObjects}};
  v.groups = {g};
  v.records_title = "Requests";
  v.counts = {{"Gopher requests by item type",
               [](const LogRecordFields& r) { return "type " + r.Str("item_type"); }}};
  v.tops = {{"Gopher selectors", "selector", "selector", "(empty)", "requests", "found",
             "found"}};
  spec.views = {v};
  spec.colors = {{"gopher", "#123456"}};
  return spec;
}

TEST_CASE("BuildReport: a protocol's section comes from its spec alone", "[report]") {
  std::string d = TempDir();
  std::string flows = Flow("G1", 1700000000.5);
  flows.replace(flows.find("\"service\":\"http\""), 16, "\"service\":\"gopher\"");
  Write(d + "/flows.jsonl", flows);
  Write(d + "/gopher.jsonl",
        "{\"uid\":\"G1\",\"ts\":1700000000.6,\"selector\":\"/docs\",\"item_type\":\"1\","
        "\"bytes\":1234,\"found\":true}\n"
        "{\"uid\":\"G1\",\"ts\":1700000000.7,\"selector\":\"/docs\",\"item_type\":\"0\","
        "\"bytes\":5,\"found\":false,\"fuid\":\"FG1\"}\n");
  ReportStats st;
  const std::string page = BuildReport(d, {GopherSpec()}, ReportLimits(), &st);
  CHECK(st.lines_read == 3);
  // The section and its menu link, the group's place, the table with the record count.
  CHECK(page.find("<a href=\"#burrows\">Gopher holes</a>") != std::string::npos);
  CHECK(page.find("<section id=burrows><h2>Gopher holes</h2><div id=burrows-groups></div>"
                  "<div class=tbl id=t-gopher data-total=2></div></section>") != std::string::npos);
  // The rows: the view's fields in its order, the selector interned, time relative to t0.
  CHECK(page.find("<script type=\"application/json\" id=d-gopher>[[0.6,\"G1\",") !=
        std::string::npos);
  // What the script draws from: the columns and the group as the spec says.
  CHECK(page.find("{\"f\":[\"bytes\"],\"s\":\"count\",\"t\":\"bytes\"}") != std::string::npos);
  CHECK(page.find("\"count\":\"requests\"") != std::string::npos);
  CHECK(page.find("\"sub\":\"Requests\"") != std::string::npos);
  // Summary counts and the top table.
  CHECK(page.find("<caption>Gopher requests by item type</caption>\n<tr><th>type 0</th><td>1</td>"
                  "</tr>\n<tr><th>type 1</th><td>1</td></tr>") != std::string::npos);
  CHECK(page.find("<caption>Gopher selectors</caption><tr><th>selector</th><th>requests</th>"
                  "<th>found</th></tr>\n<tr><td>/docs</td><td class=n>2</td><td class=n>1</td>") !=
        std::string::npos);
  // The service's colour in the timeline.
  CHECK(page.find("fill=\"#123456\"") != std::string::npos);
  // Without the spec, the log is neither read nor shown.
  ReportStats none;
  const std::string bare = BuildReport(d, {}, ReportLimits(), &none);
  CHECK(none.lines_read == 1);
  CHECK(bare.find("burrows") == std::string::npos);
  CHECK(bare.find("Gopher") == std::string::npos);
}

TEST_CASE("Registered protocols: report views are well formed", "[report]") {
  std::set<std::string> ids = {"summary", "timeline", "hosts", "gallery", "files",
                               "connections", "detail", "about"};
  std::set<std::string> logs = {"flows", "files", "details", "images"};
  std::set<std::string> listed;
  for (const ProtocolSpec& spec : RegisteredProtocols()) {
    for (const std::string& log : spec.logs) listed.insert(log);
  }
  int views = 0;
  for (const ProtocolSpec& spec : RegisteredProtocols()) {
    for (const LogView& v : spec.views) {
      INFO(spec.name << " view " << v.id);
      ++views;
      CHECK(ids.insert(v.id).second);    // one section per id, none of the report's own
      CHECK(logs.insert(v.log).second);  // one view per log, not a block name of the page
      CHECK(listed.count(v.log) == 1);   // a log the protocols write
      for (const std::string& s : {v.id, v.log}) {
        CHECK(!s.empty());
        CHECK(s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos);
      }
      std::set<std::string> fields;
      for (const LogField& f : v.fields) CHECK(fields.insert(f.name).second);
      std::vector<LogColumn> cols = v.columns;
      for (const LogGroup& g : v.groups) {
        cols.push_back(g.key);
        cols.insert(cols.end(), g.latest.begin(), g.latest.end());
        cols.insert(cols.end(), g.item.begin(), g.item.end());
        CHECK(fields.count(g.items_if) == 1);
      }
      for (const LogColumn& c : cols) {
        CHECK(!c.fields.empty());
        for (const std::string& f : c.fields) CHECK(fields.count(f) == 1);  // on the page
      }
      for (const LogTop& t : v.tops) CHECK(fields.count(t.field) == 1);
    }
  }
  // Every log a protocol writes has a section.
  for (const std::string& log : listed) CHECK(logs.count(log) == 1);
  CHECK(views >= 1);
}

}  // namespace
}  // namespace tcpfollow
