#!/bin/bash
# Live capture end to end, with default options (no -B): tcpfollow -i on a lossy link must
# write every byte stream exactly, RUNS times in a row, and drop nothing.
#
# Builds four network namespaces  client --veth-- r1 (bridge) --veth-- r2 (bridge) --veth-- server
# (see live_lib.sh), each bridge dropping LOSS% of TCP frames at random with nftables
# (numgen random), so the tap between them sees holes later filled by retransmissions and
# duplicates. For each run: starts `tcpfollow -i <r1's port toward r2> -o OUT [--threads N]`
# in r1 and checks its "listening on" line; runs corpus/record/tcp_endpoints.py with CONNS
# concurrent connections over IPv4 and as many over IPv6 on port 23000, each sending BYTES
# bytes both ways at once as fast as TCP goes (the client checks the server's bytes and
# prints the sha256 of each direction); stops tcpfollow with SIGINT, requires exit status
# 0, checks every stream file named by OUT/flows.jsonl against those sha256s with
# corpus/check_streams.py, and requires stats.json to say that no packet was dropped.
# Needs root, iproute2, nftables, ethtool and Debian's python3.
#
# usage: live_test.sh [PATH_TO_TCPFOLLOW]   env LOSS (default 2), CONNS (4), BYTES (4000000),
#        RUNS (3), THREADS (1; more: --threads N, AF_PACKET fanout), TOOL_ARGS (more options,
#        for experiments: TOOL_ARGS="-B 2048" shows libpcap's old default dropping)
source "$(dirname "${BASH_SOURCE[0]}")/live_lib.sh"
loss=${LOSS:-2}; conns=${CONNS:-4}; bytes=${BYTES:-4000000}; runs=${RUNS:-3}; threads=${THREADS:-1}
port=23000

c=$p-c; r1=$p-r1; r2=$p-r2; s=$p-s
for ns in $c $r1 $r2 $s; do new_ns "$ns"; done
link $c $p-c0 $r1 $p-r1a
link $r1 $p-r1b $r2 $p-r2a
link $r2 $p-r2b $s $p-s0
for r in r1 r2; do
  ns=$p-$r
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  ip -n "$ns" link add br0 type bridge stp_state 0
  for side in a b; do ip -n "$ns" link set "$p-$r$side" master br0 up; done
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
start_server $s $port

extra=(${TOOL_ARGS:-})
[ "$threads" -gt 1 ] && extra+=(--threads "$threads")
for run in $(seq "$runs"); do
  out=${TEST_UNDECLARED_OUTPUTS_DIR:-$tmp}/out$run
  err=$tmp/tcpfollow.$run.err
  start_tool $r1 "$err" -i $p-r1b -o "$out" "${extra[@]}"
  want="listening on $p-r1b, link-type EN10MB, snapshot 262144, buffer ${BUFFER_KIB:-131072} KiB"
  grep -q "^$want" "$err" || { echo "run $run: no '$want' line:"; cat "$err"; exit 1; }

  start=$(date +%s.%N)
  ip netns exec $c $py "$endpoints" client --connect 198.18.0.2 --port $port --conns "$conns" \
    --send "$bytes" --reply "$bytes" --seed $((7 + run)) --summary >"$tmp/v4.jsonl" &
  v4=$!
  ip netns exec $c $py "$endpoints" client --connect 2001:db8::2 --port $port --conns "$conns" \
    --send "$bytes" --reply "$bytes" --seed $((90 + run)) --summary >"$tmp/v6.jsonl" &
  v6=$!
  wait $v4 || { echo "run $run: IPv4 client failed"; exit 1; }
  wait $v6 || { echo "run $run: IPv6 client failed"; exit 1; }
  echo "run $run: $((4 * conns * bytes / 1000000)) MB in $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $start}") s," \
       "$(ip netns exec $r1 nft list ruleset | grep -o 'packets [0-9]*' | awk '{n+=$2} END {print n}')" \
       "+ $(ip netns exec $r2 nft list ruleset | grep -o 'packets [0-9]*' | awk '{n+=$2} END {print n}') frames dropped by the links so far"
  sleep 1
  stop_tool "$err"
  manifest "$tmp/manifest.json" $port "$tmp/v4.jsonl" "$tmp/v6.jsonl"
  $py "$checker" "$tmp/manifest.json" "$out" || { echo "run $run: streams differ"; cat "$err"; exit 1; }
  drops=$(stat_of "$out" capture kernel_drops)
  sockets=$(stat_of "$out" capture sockets)
  grep "kernel drops" "$err" || true
  [ "$drops" = 0 ] || { echo "run $run: the kernel dropped $drops packets"; cat "$err"; exit 1; }
  [ "$sockets" = "$threads" ] || { echo "run $run: stats.json says $sockets sockets"; exit 1; }
  if grep -q WARNING "$err"; then echo "run $run: unexpected warning"; cat "$err"; exit 1; fi
done
echo "$runs passed, 0 failed"
