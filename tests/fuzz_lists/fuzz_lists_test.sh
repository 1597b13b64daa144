#!/usr/bin/env bash
# Fails when a fuzz harness named by a protocol spec (reassembly/protocol.h fuzz_harnesses,
# printed by `tcpfollow --list-protocols`) is not a tcpfollow_fuzz_test in fuzz/BUILD.bazel,
# is not among the harnesses fuzz/run_all.sh runs, or has no seed in corpus/fuzz/<name>/
# (corpus/BUILD.bazel makes one filegroup per seed folder). Also: every harness run_all.sh
# runs has seeds, and the per-connection harness session_fuzz is among them.
set -euo pipefail
tcpfollow="$1"
fail=0
protocols=$("$tcpfollow" --list-protocols)
[[ -n "$protocols" ]] || { echo "tcpfollow --list-protocols printed nothing"; exit 1; }
run_all=$(fuzz/run_all.sh --list)
[[ -n "$run_all" ]] || { echo "fuzz/run_all.sh --list printed nothing"; exit 1; }
declare -A runs
for n in $run_all; do runs[$n]=1; done

check_harness() {  # name, who names it
  local h="$1" who="$2"
  if ! grep -q "^    name = \"$h\"," fuzz/BUILD.bazel; then
    echo "FAIL: $h ($who) is not a target in fuzz/BUILD.bazel"; fail=1
  fi
  if [[ -z "${runs[$h]:-}" ]]; then
    echo "FAIL: $h ($who) is not run by fuzz/run_all.sh"; fail=1
  fi
  if [[ -z "$(ls -A "corpus/fuzz/$h" 2>/dev/null)" ]]; then
    echo "FAIL: $h ($who) has no seeds in corpus/fuzz/$h/"; fail=1
  fi
}

count=0
while IFS=$'\t' read -r name logs harnesses; do
  [[ -n "$harnesses" ]] || { echo "FAIL: protocol $name names no fuzz harness"; fail=1; continue; }
  for h in ${harnesses//,/ }; do
    check_harness "$h" "protocol $name"
    count=$((count + 1))
  done
done <<<"$protocols"
for h in $run_all; do check_harness "$h" "fuzz/run_all.sh"; done
[[ -n "${runs[session_fuzz]:-}" ]] || { echo "FAIL: session_fuzz is not run"; fail=1; }
echo "$count harnesses named by $(wc -l <<<"$protocols") protocols; run_all.sh runs $(wc -w <<<"$run_all")"
exit $fail
