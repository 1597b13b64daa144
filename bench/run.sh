#!/bin/bash
# Benchmarks tcpfollow against tcpflow on the benchmark capture: wall time, CPU time
# (user + sys) and peak RSS of each (GNU time -v), and tcpfollow / tcpflow ratios, as a table.
#
# usage: bench/run.sh [CAPTURE]            (default /tmp/tcpfollow-bench/bench.pcap; made by
#                                           bench/make_capture.sh if missing)
#        bazel run --config=opt //bench:run [-- CAPTURE]
# The tcpfollow binary: $TCPFOLLOW if set, else the one in this target's runfiles
# (bazel run), else `bazel build --config=opt //tools:tcpfollow` in the checkout.
# Both tools write all their per-direction stream files; tcpfollow runs with -q.
# The page cache is warmed first so neither run pays for the first read of the file; each
# tool runs REPEAT times (default 3) and its fastest run is shown.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=${BUILD_WORKSPACE_DIRECTORY:-$(cd "$here/.." && pwd)}
cap=${1:-/tmp/tcpfollow-bench/bench.pcap}
case $cap in /*) ;; *) cap=$repo/$cap ;; esac
work=$(dirname "$cap")/run
[ -x /usr/bin/time ] || { echo "run.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
command -v tcpflow >/dev/null || { echo "run.sh: needs tcpflow (apt-get install tcpflow)" >&2; exit 1; }

tool=${TCPFOLLOW:-}
if [ -z "$tool" ] && [ -x "$here/../tools/tcpfollow" ] && [ -n "${RUNFILES_DIR:-${BUILD_WORKSPACE_DIRECTORY:-}}" ]; then
  tool=$(cd "$here/../tools" && pwd)/tcpfollow
fi
if [ -z "$tool" ]; then
  (cd "$repo" && bazel build --config=opt //tools:tcpfollow >&2)
  tool=$repo/bazel-bin/tools/tcpfollow
fi
if [ ! -f "$cap" ]; then
  echo "run.sh: $cap missing; generating it" >&2
  "$repo/bench/make_capture.sh" "$cap" >&2
fi

cat "$cap" >/dev/null  # warm the page cache
mkdir -p "$work"

measure() {  # name, then the command; fills wall/cpu/rss for $name
  local name=$1; shift
  rm -rf "$work/out-$name"
  local tv=$work/time-$name.txt
  if ! /usr/bin/time -v -o "$tv" "$@" >"$work/stdout-$name.txt" 2>"$work/stderr-$name.txt"; then
    echo "run.sh: $name failed; see $work/stderr-$name.txt" >&2
    tail -3 "$work/stderr-$name.txt" >&2
    exit 1
  fi
  awk -F': ' -v n="$name" '
    /Elapsed \(wall clock\)/ { k = split($2, t, ":"); w = 0; for (i = 1; i <= k; i++) w = w * 60 + t[i] }
    /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 }
    END { printf "%s %.2f %.2f %.1f", n, w, u + s, r / 1024 }' "$tv" >>"$work/results.txt"
  du -sm "$work/out-$name" | awk '{ print " " $1 }' >>"$work/results.txt"
}

: >"$work/results.txt"
# Each tool REPEAT times (default 3), alternating; the table keeps each tool's fastest run
# (file writes make single runs noisy: page cache and writeback of the previous run).
for _ in $(seq "${REPEAT:-3}"); do
  measure tcpfollow "$tool" -q -r "$cap" -o "$work/out-tcpfollow"
  measure tcpflow tcpflow -r "$cap" -o "$work/out-tcpflow"
done
sort -k1,1 -k2,2n "$work/results.txt" | awk '!seen[$1]++' | sort -r >"$work/best.txt"

size_mb=$(awk -v b="$(stat -c %s "$cap")" 'BEGIN { printf "%.1f", b / 1e6 }')
echo "capture: $cap ($size_mb MB)"
awk -v mb="$size_mb" '
  { n[NR] = $1; w[NR] = $2; c[NR] = $3; r[NR] = $4; o[NR] = $5 }
  END {
    printf "%-10s %10s %10s %10s %12s %10s\n", "tool", "wall s", "cpu s", "peak MB", "MB/s (wall)", "output MB"
    for (i = 1; i <= NR; i++)
      printf "%-10s %10.2f %10.2f %10.1f %12.1f %10d\n", n[i], w[i], c[i], r[i], (w[i] > 0 ? mb / w[i] : 0), o[i]
    if (NR == 2)
      printf "%-10s %10.2f %10.2f %10.2f\n", "ratio", (w[2] ? w[1] / w[2] : 0), (c[2] ? c[1] / c[2] : 0), (r[2] ? r[1] / r[2] : 0)
  }' "$work/best.txt"
echo "(ratio = tcpfollow / tcpflow; below 1 means tcpfollow uses less. tcpfollow's output also"
echo " holds extracted objects and JSON logs; tcpflow writes only the raw streams.)"
