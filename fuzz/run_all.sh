#!/usr/bin/env bash
# Builds every libFuzzer harness with --config=fuzz (clang, ASan, UBSan) and runs each for
# a bounded time, starting from its seed folder corpus/fuzz/<name>/. Prints executions per
# second and coverage per harness; exits 1 if any harness finds a crash, leak or timeout
# (the input is kept in $WORK/<name>/artifacts/ for minimising into the seed folder).
#
#   fuzz/run_all.sh                  20 s per harness (what CI runs)
#   fuzz/run_all.sh --seconds 3600   a longer local campaign
#   fuzz/run_all.sh --only http_fuzz     (or http2_fuzz, ... any name in fuzz/BUILD.bazel)
#   fuzz/run_all.sh --list           the harnesses it runs: every tcpfollow_fuzz_test in
#                                    fuzz/BUILD.bazel (tests/fuzz_lists checks that these
#                                    cover every harness a protocol spec names)
#
# A separate Bazel output base keeps the clang build from evicting the normal gcc one.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=20
only=""
list=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --list) list=1; shift ;;
    *) echo "usage: $0 [--seconds N] [--only NAME] [--list]" >&2; exit 2 ;;
  esac
done
# The harnesses are the tcpfollow_fuzz_test targets of fuzz/BUILD.bazel, nothing listed here.
names=$(sed -n '/^tcpfollow_fuzz_test(/,/)/s/^ *name = "\([a-z0-9_]*\)".*/\1/p' fuzz/BUILD.bazel)
if [[ $list -eq 1 ]]; then echo "$names"; exit 0; fi
WORK=${WORK:-/tmp/tcpfollow-fuzz}
BAZEL=(bazel --output_base="${HOME}/.cache/tcpfollow-fuzz-output")
mkdir -p "$WORK"

if [[ -n "$only" ]]; then names="$only"; fi
targets=()
for n in $names; do targets+=("//fuzz:$n"); done
"${BAZEL[@]}" build --config=fuzz --experimental_convenience_symlinks=ignore "${targets[@]}"
bin=$("${BAZEL[@]}" info --config=fuzz bazel-bin 2>/dev/null)

failed=0
printf '%-24s %10s %10s %8s %8s %s\n' harness runs exec/s cov ft result
for n in $names; do
  dir="$WORK/$n"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  dict=()
  base=${n%_fuzz}
  [[ -f "fuzz/$base.dict" ]] && dict=(-dict="fuzz/$base.dict")
  log="$dir/log.txt"
  set +e
  "$bin/fuzz/$n" -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 \
      -timeout=10 -artifact_prefix="$dir/artifacts/" "${dict[@]}" \
      "$dir/corpus" "corpus/fuzz/$n" >"$log" 2>&1 </dev/null
  rc=$?
  set -e
  # A harness that dies before printing coverage leaves these empty (hence || true: the
  # FAILED line must still be printed under set -e and pipefail).
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1 || true)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  result=ok
  if [[ $rc -ne 0 ]]; then
    result="FAILED (exit $rc; see $log)"
    failed=1
  fi
  printf '%-24s %10s %10s %8s %8s %s\n' "$n" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "$result"
done
exit $failed
