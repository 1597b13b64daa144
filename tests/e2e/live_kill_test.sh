#!/bin/bash
# Records reach the logs as connections end, and a crash loses at most the last second:
# tcpfollow -i --rotate 2 watches connections made one after another for about 6 s; each
# connection's flows.jsonl record must appear within 1.5 s of the client seeing it closed
# (what `tail -f` and log shippers see); then tcpfollow is killed with SIGKILL 2.5 s after
# the last connection closed, and every connection must be in the logs (the rotated
# flows.YYYY-MM-DD-HH-MM-SS.jsonl files and the current flows.jsonl), every line whole
# JSON, each rotated file named for the UTC time it was opened and holding records of
# that period only. Two namespaces on one veth pair (live_lib.sh), port 23200.
#
# usage: live_kill_test.sh [PATH_TO_TCPFOLLOW]   env THREADS (1)
source "$(dirname "${BASH_SOURCE[0]}")/live_lib.sh"
port=23200; threads=${THREADS:-1}
pair_setup
start_server $s $port
out=${TEST_UNDECLARED_OUTPUTS_DIR:-$tmp}/out
err=$tmp/tcpfollow.err
extra=()
[ "$threads" -gt 1 ] && extra=(--threads "$threads")
start_tool $s "$err" -i $p-s0 --rotate 2 -o "$out" "${extra[@]}"

: >"$tmp/conns.jsonl"
worst=0
for i in $(seq 12); do
  ip netns exec $c $py "$endpoints" client --connect 198.18.0.2 --port $port --conns 1 \
    --send 30000 --reply 30000 --seed $i --summary >"$tmp/one.jsonl"
  closed=$(date +%s.%N)
  cat "$tmp/one.jsonl" >>"$tmp/conns.jsonl"
  cport=$($py -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["local"][1])' "$tmp/one.jsonl")
  seen=""
  for _ in $(seq 60); do   # up to 3 s
    if cat "$out"/flows*.jsonl 2>/dev/null | grep -q "\"id.orig_p\":$cport,"; then seen=$(date +%s.%N); break; fi
    sleep 0.05
  done
  [ -n "$seen" ] || { echo "live_kill_test: connection from port $cport not logged within 3 s"; cat "$err"; exit 1; }
  lag=$(awk "BEGIN {printf \"%.2f\", $seen - $closed}")
  echo "connection $i (port $cport): record after ${lag} s"
  worst=$(awk "BEGIN {print ($lag > $worst) ? $lag : $worst}")
  sleep 0.3
done
sleep 2.5
kill -9 $tf
wait $tf 2>/dev/null || true
echo "slowest record: ${worst} s after its connection closed"
ls "$out"

$py - "$out" "$tmp/conns.jsonl" "$worst" <<'PY'
import calendar, glob, json, os, re, sys, time
out, conns, worst = sys.argv[1], sys.argv[2], float(sys.argv[3])
problems = []
if worst > 1.5:
    problems.append("a record appeared %.2f s after its connection closed (limit 1.5 s)" % worst)
ports = {json.loads(l)["local"][1] for l in open(conns)}
logged = {}
rotated = sorted(f for f in glob.glob(os.path.join(out, "flows.*.jsonl")))
pattern = re.compile(r"flows\.(\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)\.jsonl$")
stamps = []
for f in rotated + [os.path.join(out, "flows.jsonl")]:
    name = os.path.basename(f)
    if f in rotated:
        m = pattern.match(name)
        if not m:
            problems.append("rotated log with an unexpected name: " + name)
            continue
        stamps.append((calendar.timegm(time.strptime(m.group(1), "%Y-%m-%d-%H-%M-%S")), name))
    data = open(f).read()
    if data and not data.endswith("\n"):
        problems.append(name + ": last line incomplete")
    for line in data.splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            problems.append(name + ": not JSON: " + line[:80])
            continue
        logged.setdefault(r["id.orig_p"], []).append((name, r["ts"]))
missing = sorted(ports - set(logged))
if missing:
    problems.append("connections missing from the logs after kill -9: %s" % missing)
dups = sorted(p for p, where in logged.items() if len(where) > 1)
if dups:
    problems.append("connections logged twice: %s" % dups)
if len(stamps) < 2:
    problems.append("expected at least 2 rotated flows logs in a 6 s run with --rotate 2, got %d" % len(stamps))
# Each rotated file: named for its open time, holds connections that started before the
# next file was opened (records are written when the connection ends, stamped with its start).
stamps.sort()
for i, (t, name) in enumerate(stamps):
    nxt = stamps[i + 1][0] if i + 1 < len(stamps) else None
    for p, where in logged.items():
        for n, ts in where:
            if n == name and (ts < t - 1 or (nxt is not None and ts > nxt + 1)):
                problems.append("%s holds a connection of ts %.1f" % (name, ts))
for p in problems:
    print("live_kill_test: " + p)
print("%d connections, %d in %d rotated files, %d in flows.jsonl" % (
    len(ports), sum(1 for w in logged.values() for n, _ in w if n != "flows.jsonl"), len(stamps),
    sum(1 for w in logged.values() for n, _ in w if n == "flows.jsonl")))
sys.exit(1 if problems else 0)
PY
echo "1 passed, 0 failed"
