// report.html: one self-contained page of a run, built from the output directory's records.
//
// WriteReport reads DIR/flows.jsonl, DIR/files.jsonl and the log of every protocol it is
// given, each with the files --rotate made of its earlier periods
// (<log>.<YYYY-MM-DD-HH-MM-SS>[-N].jsonl, oldest first): the page is the whole run's, as
// stats.json is. Also DIR/stats.json (the run's counters: input, packets, drops, limits
// hit; shown when present), the first bytes of each connection's stream files (the *_plain
// ones when the connection was decrypted) and small extracted images. It writes
// DIR/report.html: run
// summary, timeline (SVG), hosts and services, one section per log a protocol describes
// (reassembly/log_view.h: its table's columns, grouped records, summary counts and top
// tables), an image gallery, files, connections, and per-connection views with their
// records and the first part of their Follow transcript. It knows no protocol by name: what
// a protocol's section shows comes from its ProtocolSpec (the caller passes the registry's).
// Every value shown comes from the records or stats.json.
//
// Safety: text from the traffic never becomes markup. Server-rendered parts are HTML-escaped;
// the tables are embedded as JSON (with '<', '>' and '&' escaped, so no "</script>" can end
// the block) and drawn by the page's script with textContent only. A Content-Security-Policy
// allows no network access at all and only the page's own script (by its SHA-256), so even
// markup that slipped through could neither run nor fetch anything. Images are embedded as
// data: URIs only when their bytes are PNG, JPEG, GIF, WebP, BMP or ICO (never SVG).
//
// Size: everything that grows with the run is capped by ReportLimits (table rows, the
// per-connection details and transcripts, embedded images, timeline rows); what a cap left
// out is counted in ReportStats and said on the page, which points to the .jsonl files.
// It does not draw charts beyond the timeline, nor read objects other than small images.
#ifndef TCPFOLLOW_TOOLS_REPORT_REPORT_H_
#define TCPFOLLOW_TOOLS_REPORT_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "reassembly/protocol.h"
#include "tools/output_dir.h"

namespace tcpfollow {

struct ReportLimits {
  size_t max_table_rows = 200000;         // rows embedded per table; the rest are counted
  // All tables' rows together, shared in proportion to the logs' sizes (flows.jsonl
  // weighted x3: every connection should be listed); rows past a share are counted.
  size_t max_table_bytes = 13u << 20;
  size_t max_detail_bytes = 3u << 20;     // full records + transcripts, in flows.jsonl order
  size_t transcript_bytes = 4096;         // per connection, both directions together
  size_t max_image_bytes = 48u << 10;     // a larger image is linked, not embedded
  size_t max_embedded_image_bytes = 3u << 20;  // all embedded images together
  size_t max_timeline_rows = 300;         // more connections: a histogram over time
  size_t top_n = 25;                      // rows of the top talkers / services tables
  size_t max_line_bytes = 4u << 20;       // a longer .jsonl line is skipped (counted)
  // .jsonl bytes read in all: past it, the oldest --rotate periods are left out, whole (a
  // sensor rotating hourly for months); the open period is always read.
  uint64_t max_log_bytes = 4ull << 30;
};

struct ReportStats {
  uint64_t log_files = 0;             // .jsonl files read (every period's with --rotate)
  uint64_t periods = 0;               // rotated periods read (--rotate), the open one not counted
  uint64_t periods_skipped = 0;       // older rotated periods left out (max_log_bytes)
  uint64_t log_bytes_skipped = 0;     // the bytes of their logs
  uint64_t lines_read = 0;
  uint64_t bad_lines = 0;             // not JSON objects, or over max_line_bytes
  uint64_t rows_not_embedded = 0;     // past max_table_rows
  uint64_t details_included = 0;      // connections with records + transcript on the page
  uint64_t details_omitted = 0;       // past max_detail_bytes
  uint64_t detail_records_omitted = 0;  // records of included connections past the budget
  uint64_t transcripts = 0;           // connections whose transcript is shown
  uint64_t stream_read_errors = 0;    // stream files named by a record that could not be read
  uint64_t images_embedded = 0;
  uint64_t images_linked = 0;         // too large, over the budget, or not a raster format
  uint64_t report_bytes = 0;
};

// Builds `dir`/report.html from the records in `dir`, with a section for each log that
// `protocols` describe (their `views`, in their order; `colors` for the services). Returns an
// error only when the page could not be written; unreadable or malformed records are
// counted and shown.
absl::Status WriteReport(OutputDir* dir, const std::vector<ProtocolSpec>& protocols,
                         const ReportLimits& limits, ReportStats* stats);

// The page for the records in `dir_path` without writing it (tests, the standalone tool).
std::string BuildReport(const std::string& dir_path, const std::vector<ProtocolSpec>& protocols,
                        const ReportLimits& limits, ReportStats* stats);

// Helpers, exposed for tests.
std::string HtmlEscape(absl::string_view s);
// JSON text safe inside <script type="application/json">: '<', '>', '&', U+2028 and
// U+2029 as \uXXXX escapes; invalid UTF-8 replaced by U+FFFD.
std::string ScriptSafeJson(const std::string& json_text);
// "image/png" etc. from the bytes' magic number; empty for anything else (SVG included).
std::string RasterImageType(absl::string_view bytes);

}  // namespace tcpfollow

#endif  // TCPFOLLOW_TOOLS_REPORT_REPORT_H_
