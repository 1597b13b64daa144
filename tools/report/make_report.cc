// make_report DIR: (re)builds DIR/report.html from the records in DIR, every period's logs
// after --rotate, as tcpfollow does at the end of a run (the run's figures come from
// DIR/stats.json, the protocols' sections from the registry). Prints the page's size and
// the counts of ReportStats. For reports of old runs and for measuring large ones.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "tools/output_dir.h"
#include "tools/report/report.h"
#include "tools/session/registry.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_report OUTPUT_DIR\n");
    return 1;
  }
  // Under `bazel run`, relative paths are the caller's.
  if (const char* wd = std::getenv("BUILD_WORKING_DIRECTORY")) {
    if (chdir(wd) != 0) std::perror("make_report: chdir");
  }
  // kAppend: the directory holds a run already; only report.html is (re)written.
  auto dir = tcpfollow::OutputDir::Open(argv[1], tcpfollow::OutputDir::Reuse::kAppend);
  if (!dir.ok()) {
    std::fprintf(stderr, "make_report: %s\n", std::string(dir.status().message()).c_str());
    return 1;
  }
  tcpfollow::ReportStats st;
  const absl::Time start = absl::Now();
  absl::Status s = tcpfollow::WriteReport(dir->get(), tcpfollow::RegisteredProtocols(),
                                         tcpfollow::ReportLimits(), &st);
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  if (!s.ok()) {
    std::fprintf(stderr, "make_report: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  std::printf("%s/report.html: %llu bytes in %.3f s; %llu log files, rotated periods %llu (%llu older "
              "ones not read); %llu records (%llu skipped), %llu rows not embedded, "
              "details %llu (omitted %llu), transcripts %llu, images %llu (linked %llu)\n",
              argv[1], (unsigned long long)st.report_bytes, secs, (unsigned long long)st.log_files,
              (unsigned long long)st.periods, (unsigned long long)st.periods_skipped,
              (unsigned long long)st.lines_read,
              (unsigned long long)st.bad_lines, (unsigned long long)st.rows_not_embedded,
              (unsigned long long)st.details_included, (unsigned long long)st.details_omitted,
              (unsigned long long)st.transcripts, (unsigned long long)st.images_embedded,
              (unsigned long long)st.images_linked);
  return 0;
}
