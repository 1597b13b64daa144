#!/bin/bash
# corpus/check_streams.py can fail: on tcpfollow's output for corpus/tcp/port_reuse.pcap
# (three connections on one 4-tuple) it must pass, and it must exit 1 naming the problem
# when a stream file has one byte changed, is one byte short, when two reused-4-tuple
# records swap order, when a record is missing, and when orig_missed_bytes is not 0.
# usage: check_streams_test.sh PATH_TO_TCPFOLLOW
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
tool=${1:-$root/tools/tcpfollow}
py=/usr/bin/python3
check=$root/corpus/check_streams.py
manifest=$root/corpus/tcp/port_reuse.manifest.json
tmp=$(mktemp -d /tmp/check-streams-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0; failed=0

"$tool" -q -r "$root/corpus/tcp/port_reuse.pcap" -o "$tmp/good"

expect() {  # name, wanted exit status, pattern the output must hold, outdir
  local name=$1 want=$2 pattern=$3 dir=$4 rc=0
  "$py" "$check" "$manifest" "$dir" >"$tmp/$name.txt" 2>&1 || rc=$?
  if [ "$rc" = "$want" ] && grep -q -- "$pattern" "$tmp/$name.txt"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "FAIL $name: exit $rc (want $want), output:"; cat "$tmp/$name.txt"
  fi
}
variant() {  # name: copies the good output to $tmp/$name
  rm -rf "$tmp/$1"; cp -r "$tmp/good" "$tmp/$1"
}
first_file() {  # dir, which (client|server), n-th record (0-based)
  "$py" -c 'import json,sys; r=[json.loads(l) for l in open(sys.argv[1]+"/flows.jsonl")]; r.sort(key=lambda x: x["ts"]); print(sys.argv[1]+"/"+r[int(sys.argv[3])]["files"][sys.argv[2]])' "$1" "$2" "$3"
}
edit_flows() {  # dir, python expression over list `r` of records (sorted by ts) then rewritten
  "$py" -c 'import json,sys
p=sys.argv[1]+"/flows.jsonl"; r=[json.loads(l) for l in open(p)]; r.sort(key=lambda x: x["ts"])
exec(sys.argv[2])
open(p,"w").write("".join(json.dumps(x)+"\n" for x in r))' "$1" "$2"
}

expect good 0 "3 connections, 0 objects checked, 0 problems" "$tmp/good"

variant flipped; f=$(first_file "$tmp/flipped" server 1)
printf '\x00' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
expect flipped 1 "same length, different bytes" "$tmp/flipped"

variant short; f=$(first_file "$tmp/short" client 2); truncate -s -1 "$f"
expect short 1 "(shorter)" "$tmp/short"

variant swapped; edit_flows "$tmp/swapped" 'r[0]["ts"], r[1]["ts"] = r[1]["ts"], r[0]["ts"]'
expect swapped 1 "#2 on this 4-tuple" "$tmp/swapped"

variant missing; edit_flows "$tmp/missing" 'del r[2]'
expect missing 1 "no flows.jsonl record" "$tmp/missing"

variant missed; edit_flows "$tmp/missed" 'r[0]["orig_missed_bytes"] = 5'
expect missed 1 "orig_missed_bytes = 5" "$tmp/missed"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
