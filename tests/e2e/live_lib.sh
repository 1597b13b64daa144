#!/bin/bash
# Shared by the live end-to-end tests (sourced): finds the tool and the helpers, checks
# for root, and builds network namespaces named live<pid>-* with interfaces live<pid>*
# (198.18.0.0/15 and 2001:db8::/32 only, no route anywhere else). Everything made here
# (namespaces, processes in $pids, the temporary directory) is removed on exit.
# Ports: the live developer's range, 23000-23999.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)    # the checkout, or the runfiles tree under Bazel
tool=${1:-}
for cand in "$tool" "$root/tools/tcpfollow" "$root/bazel-bin/tools/tcpfollow"; do
  if [ -n "$cand" ] && [ -x "$cand" ]; then tool=$(cd "$(dirname "$cand")" && pwd)/$(basename "$cand"); break; fi
done
[ -x "$tool" ] || { echo "$(basename "$0"): tcpfollow binary not found (pass its path as \$1)"; exit 1; }
endpoints=$root/corpus/record/tcp_endpoints.py
checker=$root/corpus/check_streams.py
py=/usr/bin/python3
if [ "$(id -u)" != 0 ]; then echo "$(basename "$0"): needs root for network namespaces"; exit 1; fi

p=live$$
tmp=$(mktemp -d /tmp/tcpfollow-live.XXXXXX)
pids=()
namespaces=()
cleanup() {
  for pid in "${pids[@]}"; do { kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true; done
  for ns in "${namespaces[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

new_ns() { ip netns add "$1"; namespaces+=("$1"); ip -n "$1" link set lo up; }

# veth between two namespaces, MTU 1500, offloads off (the tap sees wire-sized frames).
link() {  # ns_a if_a ns_b if_b
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  local pair
  for pair in "$1 $2" "$3 $4"; do
    set -- $pair
    ip -n "$1" link set "$2" mtu 1500
    ip netns exec "$1" ethtool -K "$2" tx off rx off sg off tso off gso off gro off >/dev/null
  done
}

# Two namespaces $p-c (198.18.0.1, 2001:db8::1) and $p-s (.2, ::2) on one veth pair
# ($p-c0 / $p-s0); tcpfollow listens in $p-s on $p-s0.
pair_setup() {
  c=$p-c; s=$p-s
  new_ns $c; new_ns $s
  link $c $p-c0 $s $p-s0
  ip -n $c addr add 198.18.0.1/24 dev $p-c0; ip -n $c addr add 2001:db8::1/64 dev $p-c0 nodad
  ip -n $s addr add 198.18.0.2/24 dev $p-s0; ip -n $s addr add 2001:db8::2/64 dev $p-s0 nodad
  ip -n $c link set $p-c0 up; ip -n $s link set $p-s0 up
}

# start_server NS PORT: tcp_endpoints.py server, waits until it listens.
start_server() {
  ip netns exec "$1" $py "$endpoints" server --listen :: --port "$2" >"$tmp/server.$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0; sleep 0.05
  done
  echo "server on port $2 did not start"; cat "$tmp/server.$2.log"; exit 1
}

# start_tool NS ERRFILE ARGS...: tcpfollow in the background (pid in $tf), SIGINT-able;
# waits for its "listening on" line.
start_tool() {
  local ns=$1 err=$2; shift 2
  # Job control on while starting it: otherwise bash starts background commands with
  # SIGINT ignored, and SIGINT is how the tool is meant to be stopped.
  set -m
  ip netns exec "$ns" "$tool" "$@" >"$err.out" 2>"$err" &
  tf=$!
  set +m
  pids+=($tf)
  for _ in $(seq 100); do
    grep -q '^listening on ' "$err" 2>/dev/null && return 0
    kill -0 $tf 2>/dev/null || break
    sleep 0.05
  done
  echo "tcpfollow did not start:"; cat "$err"; exit 1
}

stop_tool() {  # SIGINT, exit status 0 required
  kill -INT $tf
  local rc=0; wait $tf || rc=$?
  if [ $rc != 0 ]; then echo "tcpfollow exited with status $rc after SIGINT:"; cat "$1"; exit 1; fi
}

# manifest OUT V4_SUMMARY [V6_SUMMARY] PORT: check_streams.py manifest from the clients' accounts.
manifest() {
  $py - "$@" <<'PY'
import json, sys
out, port, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
conns = []
for path in paths:
    for line in open(path):
        r = json.loads(line)
        server = "2001:db8::2" if ":" in r["local"][0] else "198.18.0.2"
        conns.append({"index": len(conns), "start": len(conns), "orig_h": r["local"][0],
                      "orig_p": r["local"][1], "resp_h": server, "resp_p": port,
                      "client_to_server": {"sha256": r["c2s_sha256"], "length": r["c2s_length"]},
                      "server_to_client": {"sha256": r["s2c_sha256"], "length": r["s2c_length"]}})
json.dump({"capture": "live", "connections": conns, "objects": []}, open(out, "w"))
PY
}

# stat_of OUT SECTION KEY: a number from OUT/stats.json.
stat_of() {
  $py -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]][sys.argv[3]])' \
    "$1/stats.json" "$2" "$3"
}
