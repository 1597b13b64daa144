#!/bin/bash
# Drops are loud: with a tiny capture buffer (-B 1) and a burst of traffic the kernel must
# drop packets, and tcpfollow must say so while capturing (a line per 10 s on a
# non-terminal), in the summary, in stats.json, and in a warning at exit naming -B and
# --threads; the numbers must agree with each other and with the kernel's accounting
# (received = read + dropped + still queued), and the dropped packets must show as gaps.
# Two namespaces on one veth pair (live_lib.sh), port 23100.
#
# usage: live_drops_test.sh [PATH_TO_TCPFOLLOW]
source "$(dirname "${BASH_SOURCE[0]}")/live_lib.sh"
port=23100
pair_setup
start_server $s $port
out=${TEST_UNDECLARED_OUTPUTS_DIR:-$tmp}/out
err=$tmp/tcpfollow.err
start_tool $s "$err" -i $p-s0 -B 1 -o "$out"
# The clients write 4 KiB every 2 ms for about 1.5 s. The tool is stopped (SIGSTOP) for
# half a second in the middle, so the tiny buffer overflows while every connection is
# moving data and the drops land inside the streams (on a fast machine, a burst alone can
# be read in time until the final segments, which leaves a dropped tail and no gap).
ip netns exec $c $py "$endpoints" client --connect 198.18.0.2 --port $port --conns 4 \
  --send 3000000 --reply 100000 --write-pause-ms 2 --summary >"$tmp/v4.jsonl" &
client=$!
sleep 0.4; kill -STOP $tf; sleep 0.5; kill -CONT $tf
wait $client
sleep 2
stop_tool "$err"
cat "$err"

fail() { echo "live_drops_test: $*"; exit 1; }
drops=$(stat_of "$out" capture kernel_drops)
received=$(stat_of "$out" capture kernel_received)
packets=$(stat_of "$out" capture packets)
missed=$(stat_of "$out" streams missed_bytes)
echo "stats.json: received $received, read $packets, kernel drops $drops, missed bytes $missed"
[ "$drops" -gt 0 ] || fail "no drops counted with -B 1"
[ "$packets" -gt 0 ] || fail "no packets read"
[ "$received" -ge $((packets + drops)) ] || fail "received $received < read $packets + dropped $drops"
[ "$missed" -gt 0 ] || fail "drops did not show as missed bytes"
grep -q "^tcpfollow: the capture has dropped [0-9]* packets so far (kernel [0-9]*, interface [0-9]*): raise -B or use --threads$" "$err" \
  || fail "no drop report while capturing"
grep -q "^  kernel drops $drops (" "$err" || fail "summary does not say 'kernel drops $drops'"
grep -q "^tcpfollow: WARNING: $drops packets dropped before tcpfollow could read them (kernel $drops, interface 0)" "$err" \
  || fail "no warning at exit with $drops drops"
grep "WARNING" "$err" | grep -q -- "-B KIB (now 1 KiB per socket)" || fail "warning does not name -B"
grep "WARNING" "$err" | grep -q -- "--threads N" || fail "warning does not name --threads"
grep -q "the capture dropped packets: some or all of these gaps are drops at this host" "$err" \
  || fail "summary does not blame the gaps on the drops"
# -q keeps the warning: losing data is never quiet.
out2=$tmp/out2
start_tool $s "$err.q" -i $p-s0 -B 1 -q -o "$out2"
ip netns exec $c $py "$endpoints" client --connect 198.18.0.2 --port $port --conns 4 \
  --send 5000000 --reply 5000000 >/dev/null
sleep 0.5
stop_tool "$err.q"
grep -q "^tcpfollow: WARNING: [0-9]* packets dropped" "$err.q" || fail "-q hid the warning"
grep -q "^  kernel drops" "$err.q" && fail "-q printed the summary"
echo "1 passed, 0 failed"
