#!/bin/bash
# Live capture end to end: tcpfollow -i on a lossy link must write every byte stream exactly.
#
# Builds four network namespaces  client --veth-- r1 (bridge) --veth-- r2 (bridge) --veth-- server
# (198.18.0.1/.2 and 2001:db8::1/::2 only, no route anywhere else), each bridge dropping
# LOSS% of TCP frames at random with nftables (numgen random), so the tap between them
# sees holes later filled by retransmissions and duplicates. Starts
# `tcpfollow -i <r1's port toward r2> -o OUT` in r1, runs corpus/record/tcp_endpoints.py:
# CONNS concurrent connections over IPv4 and as many over IPv6, each sending BYTES bytes
# both ways at once (the client checks the server's bytes and prints the sha256 of each
# direction), stops tcpfollow with SIGINT, requires exit status 0, then checks every
# stream file named by OUT/flows.jsonl (files.client / files.server) against those sha256s
# with corpus/check_streams.py. Namespaces and processes are removed on exit.
# Needs root, iproute2, nftables, ethtool and Debian's python3.
#
# usage: live_test.sh [PATH_TO_TCPFOLLOW]    (default: tools/tcpfollow from the runfiles,
#        then bazel-bin/tools/tcpfollow); env LOSS (default 2), CONNS (2), BYTES (2000000).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)    # the checkout, or the runfiles tree under Bazel
tool=${1:-}
for cand in "$tool" "$root/tools/tcpfollow" "$root/bazel-bin/tools/tcpfollow"; do
  if [ -n "$cand" ] && [ -x "$cand" ]; then tool=$(cd "$(dirname "$cand")" && pwd)/$(basename "$cand"); break; fi
done
[ -x "$tool" ] || { echo "live_test: tcpfollow binary not found (pass its path as \$1)"; exit 1; }
endpoints=$root/corpus/record/tcp_endpoints.py
checker=$root/corpus/check_streams.py
py=/usr/bin/python3
loss=${LOSS:-2}; conns=${CONNS:-2}; bytes=${BYTES:-2000000}

if [ "$(id -u)" != 0 ]; then echo "live_test: needs root for network namespaces"; exit 1; fi

p=tfl$$
c=$p-c; r1=$p-r1; r2=$p-r2; s=$p-s
tmp=$(mktemp -d /tmp/tcpfollow-live.XXXXXX)
out=${TEST_UNDECLARED_OUTPUTS_DIR:-$tmp}/out
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for ns in $c $r1 $r2 $s; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

for ns in $c $r1 $r2 $s; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
link() {  # ns_a if_a ns_b if_b
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  for pair in "$1 $2" "$3 $4"; do
    set -- $pair
    ip -n "$1" link set "$2" mtu 1500
    ip netns exec "$1" ethtool -K "$2" tx off rx off sg off tso off gso off gro off >/dev/null
  done
}
link $c $p-c0 $r1 $p-r1a
link $r1 $p-r1b $r2 $p-r2a
link $r2 $p-r2b $s $p-s0
for r in r1 r2; do
  ns=$p-$r
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip -n "$ns" link add br0 type bridge stp_state 0
  for port in a b; do ip -n "$ns" link set "$p-$r$port" master br0 up; done
  ip -n "$ns" link set br0 up
  ip netns exec "$ns" nft -f - <<NFT
table bridge tfloss {
  chain forward {
    type filter hook forward priority 0;
    meta l4proto tcp numgen random mod 100 < $loss counter drop
  }
}
NFT
done
ip -n $c addr add 198.18.0.1/24 dev $p-c0; ip -n $c addr add 2001:db8::1/64 dev $p-c0 nodad
ip -n $s addr add 198.18.0.2/24 dev $p-s0; ip -n $s addr add 2001:db8::2/64 dev $p-s0 nodad
ip -n $c link set $p-c0 up; ip -n $s link set $p-s0 up

ip netns exec $s $py "$endpoints" server --listen :: --port 9000 >"$tmp/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  ip netns exec $s ss -Hltn 'sport = :9000' | grep -q . && break; sleep 0.05
done

# Job control on while starting it: otherwise bash starts background commands with
# SIGINT ignored, and SIGINT is how the tool is meant to be stopped.
set -m
ip netns exec $r1 "$tool" -i $p-r1b -B 32768 -o "$out" -q >"$tmp/tcpfollow.out" 2>"$tmp/tcpfollow.err" &
tf=$!
set +m
pids+=($tf)
sleep 2
if ! kill -0 $tf 2>/dev/null; then
  echo "live_test: tcpfollow exited at start:"; cat "$tmp/tcpfollow.err"; exit 1
fi

# Paced (64 KiB writes, 40 ms apart, both ways: ~1.5 MB/s per direction) so that a
# capture with a 32 MiB kernel buffer keeps up: the test is about reassembly, not drops.
pace="--write-size 65536 --write-pause-ms 40 --chunk 64 --pause-ms 40"
start=$(date +%s.%N)
ip netns exec $c $py "$endpoints" client --connect 198.18.0.2 --conns "$conns" --send "$bytes" \
  --reply "$bytes" --seed 7 $pace --summary >"$tmp/v4.jsonl" &
v4=$!
ip netns exec $c $py "$endpoints" client --connect 2001:db8::2 --conns "$conns" --send "$bytes" \
  --reply "$bytes" --seed 9 $pace --summary >"$tmp/v6.jsonl" &
v6=$!
wait $v4 || { echo "live_test: IPv4 client failed"; exit 1; }
wait $v6 || { echo "live_test: IPv6 client failed"; exit 1; }
echo "traffic: $((4 * conns * bytes / 1000000)) MB in $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $start}") s," \
     "$(ip netns exec $r1 nft list ruleset | grep -o 'packets [0-9]*' | awk '{n+=$2} END {print n}')" \
     "+ $(ip netns exec $r2 nft list ruleset | grep -o 'packets [0-9]*' | awk '{n+=$2} END {print n}') frames dropped"

sleep 1
kill -INT $tf
rc=0; wait $tf || rc=$?
if [ $rc != 0 ]; then
  echo "live_test: tcpfollow exited with status $rc after SIGINT"; cat "$tmp/tcpfollow.err"; exit 1
fi

# Manifest from the clients' own accounts (address, port, sha256 of both directions).
$py - "$tmp/v4.jsonl" "$tmp/v6.jsonl" >"$tmp/manifest.json" <<'PY'
import json, sys
conns = []
for path, server in ((sys.argv[1], "198.18.0.2"), (sys.argv[2], "2001:db8::2")):
    for line in open(path):
        r = json.loads(line)
        conns.append({"index": len(conns), "start": len(conns), "orig_h": r["local"][0],
                      "orig_p": r["local"][1], "resp_h": server, "resp_p": 9000,
                      "client_to_server": {"sha256": r["c2s_sha256"], "length": r["c2s_length"]},
                      "server_to_client": {"sha256": r["s2c_sha256"], "length": r["s2c_length"]}})
json.dump({"capture": "live", "connections": conns, "objects": []}, sys.stdout)
PY
$py "$checker" "$tmp/manifest.json" "$out"
echo "1 passed, 0 failed"
