#!/usr/bin/env bash
# Sets up the machine, builds tcpfollow and runs it on a capture bundled in corpus/
# (HTTP keep-alive with several objects, recorded here with loss), then shows where the
# results are, ending with the path of report.html. Usage: scripts/demo.sh [CAPTURE] [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
capture=${1:-corpus/http/keepalive.pcap}
out=${2:-tcpfollow-out}
scripts/setup.sh
bazel build --config=opt //tools:tcpfollow
rm -rf "$out"
bazel-bin/tools/tcpfollow -r "$capture" -o "$out"
echo
echo "Results in $out/:"
for f in "$out"/*.jsonl; do
  printf '  %-28s %s records\n' "$f" "$(wc -l < "$f")"
done
printf '  %-28s %s files\n' "$out/streams/" "$(ls "$out/streams" | wc -l)"
printf '  %-28s %s files\n' "$out/objects/" "$(ls "$out/objects" | wc -l)"
echo
echo "First connection record:"
head -n 1 "$out/flows.jsonl"
echo
echo "The report of this run (open it in a browser; it needs no network):"
echo "  $(cd "$out" && pwd)/report.html"
