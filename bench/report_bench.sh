#!/usr/bin/env bash
# See report_bench.py (bazel run --config=opt //bench:report_bench -- [--conns N]).
for f in "${RUNFILES_DIR:-/nonexistent}/tcpfollow/bench/report_bench.py" "$PWD/bench/report_bench.py" \
         "$(dirname "$0")/report_bench.py"; do
  [ -f "$f" ] && exec python3 "$f" "$@"
done
echo "report_bench: report_bench.py not found" >&2
exit 1
