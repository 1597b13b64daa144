#!/bin/bash
# Live capture benchmarks (issue 16), every figure measured in this run. Needs root
# (network namespaces live<pid>-*, 198.18.0.0/15, ports 23500-23599), tcpreplay, tcpdump,
# tcpflow, curl, openssl and Debian's python3. Sections (default: rate scaling):
#
#   rate     bench.pcap replayed by `tcpreplay` into one end of a veth pair (namespace
#            live<pid>-tx) while each tool listens on the other end (live<pid>-rx), at
#            --topspeed and at fixed rates (RATES, Mbit/s): packets sent, packets the tool
#            saw, kernel drops, CPU (user + sys) of the tool. Tools: tcpfollow (default
#            options: 128 MiB buffer), tcpfollow --threads 2, `tcpdump -w /dev/null` (its
#            default 2 MiB buffer), tcpflow (streams to a directory); and tcpfollow with
#            -B 2048 / 8192 / 32768 / 131072 and --immediate-mode at top speed, the
#            measurements behind the defaults.
#            Goal: tcpfollow drops nothing at the highest rate at which tcpdump drops nothing,
#            and fewer packets than tcpdump above it.
#   soak     SOAK_SECONDS (default 900) of continuous traffic through tcpfollow -i --rotate 60
#            with --keylog: new raw TCP connections all the time, HTTP downloads (python
#            http.server), TLS downloads (openssl s_server, curl appending to the key log).
#            Samples RSS and open descriptors every 10 s; at the end: RSS after the first
#            minute within +-10% of its mean, descriptors flat, every connection the
#            clients made in flows.*.jsonl / flows.jsonl, zero drops, TLS decrypted.
#   scaling  offline --threads 1 vs 2 on bench.pcap and on its IPv4 part alone (one host
#            pair), output on tmpfs and on disk; best of REPEAT (default 3) runs.
#
# usage: bench/live.sh [rate|soak|scaling ...]     bazel run --config=opt //bench:live -- ...
# Inputs: $BENCH_DIR (default /tmp/tcpfollow-bench)/bench.pcap, made by bench/make_capture.sh
# when missing. tcpfollow: $TCPFOLLOW, else the opt build in the runfiles / the checkout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=${BUILD_WORKSPACE_DIRECTORY:-$(cd "$here/.." && pwd)}
bench=${BENCH_DIR:-/tmp/tcpfollow-bench}
rates=${RATES:-"topspeed 2000 1000 500"}
repeat=${REPEAT:-3}
soak_seconds=${SOAK_SECONDS:-900}
py=/usr/bin/python3
sections=()
for a in "$@"; do
  case $a in
    rate|soak|scaling) sections+=("$a") ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "live.sh: unknown section $a" >&2; exit 1 ;;
  esac
done
[ ${#sections[@]} -gt 0 ] || sections=(rate scaling)
[ "$(id -u)" = 0 ] || { echo "live.sh: needs root (network namespaces)" >&2; exit 1; }

tf=${TCPFOLLOW:-}
if [ -z "$tf" ]; then
  for f in "${RUNFILES_DIR:-/nonexistent}/tcpfollow/tools/tcpfollow" "$here/../tools/tcpfollow"; do
    [ -x "$f" ] && [ -n "${RUNFILES_DIR:-${BUILD_WORKSPACE_DIRECTORY:-}}" ] && { tf=$f; break; }
  done
fi
if [ -z "$tf" ]; then (cd "$repo" && bazel build --config=opt //tools:tcpfollow >&2); tf=$repo/bazel-bin/tools/tcpfollow; fi
mkdir -p "$bench/bin"
cp "$tf" "$bench/bin/tcpfollow-live"; tf=$bench/bin/tcpfollow-live
endpoints=$repo/corpus/record/tcp_endpoints.py
http_server=$repo/corpus/record/http_server.py
cap=$bench/bench.pcap
[ -f "$cap" ] || "$repo/bench/make_capture.sh" "$cap" >&2

p=live$$
tmp=$(mktemp -d /tmp/tcpfollow-livebench.XXXXXX)
shm=/dev/shm/tcpfollow-livebench.$$
mkdir -p "$shm"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do { kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true; done
  for ns in $p-tx $p-rx $p-c $p-s; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$tmp" "$shm"
}
trap cleanup EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
cpu_of() {  # pid -> user+sys seconds so far (from /proc, children included once reaped)
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

# ---------------------------------------------------------------------------------------
rate() {
  echo
  echo "== live rate: bench.pcap ($(du -m "$cap" | cut -f1) MB, $(tcpdump -r "$cap" -qn 2>/dev/null | wc -l) packets) replayed into a veth =="
  ip netns add $p-tx; ip netns add $p-rx
  ip link add $p-t netns $p-tx type veth peer name $p-r netns $p-rx
  for x in "tx t" "rx r"; do
    set -- $x
    ip -n $p-$1 link set $p-$2 mtu 1500 up
    ip netns exec $p-$1 ethtool -K $p-$2 tx off rx off sg off tso off gso off gro off >/dev/null
  done
  cat "$cap" >/dev/null  # page cache
  # What tcpflow writes for the whole file read offline: its "seen" figure without loss.
  rm -rf "$shm/ref"; mkdir -p "$shm/ref"
  (cd "$shm/ref" && tcpflow -r "$cap" -o "$shm/ref" >/dev/null 2>&1) || true
  echo "tcpflow -r bench.pcap writes $(du -sm "$shm/ref" | cut -f1) MB (its 'seen' figure when nothing is lost)"
  rm -rf "$shm/ref"
  printf "%-30s %-9s %9s %9s %9s %8s %7s %7s %s\n" "tool" "rate" "sent" "seen" "dropped" "drop%" "CPU s" "Mbit/s" "load"
  local r tool
  for r in $rates; do
    for tool in tcpfollow tcpfollow-t2 tcpdump tcpflow; do rate_run "$tool" "$r"; done
  done
  for b in 2048 8192 32768 131072; do rate_run "tcpfollow-B$b" topspeed "-B $b"; done
  rate_run tcpfollow-immediate-mode topspeed --immediate-mode
  ip netns del $p-tx; ip netns del $p-rx
}

rate_run() {  # tool rate [tcpfollow args]
  local tool=$1 r=$2 extra=${3:-} out=$shm/out err=$tmp/tool.err
  rm -rf "$out"; mkdir -p "$out"
  set -m
  case $tool in
    tcpfollow*)
      local args="-i $p-r -o $out $extra"
      [ "$tool" = tcpfollow-t2 ] && args="$args --threads 2"
      ip netns exec $p-rx "$tf" $args >/dev/null 2>"$err" & ;;
    tcpdump) ip netns exec $p-rx tcpdump -i $p-r -w /dev/null 2>"$err" & ;;
    tcpflow) (cd "$out" && exec ip netns exec $p-rx tcpflow -i $p-r -o "$out" >/dev/null 2>"$err") & ;;
  esac
  local pid=$!
  set +m
  pids+=($pid)
  sleep 2
  local speed="--topspeed"
  [ "$r" = topspeed ] || speed="--mbps=$r"
  local sent mbps
  ip netns exec $p-tx tcpreplay -i $p-t $speed "$cap" >"$tmp/replay" 2>&1 || true
  sent=$(awk '/Actual:/ { print $2 }' "$tmp/replay")
  mbps=$(awk '/Rated:/ { for (i = 1; i <= NF; i++) if ($(i) ~ /^Mbps/) print $(i-1) }' "$tmp/replay" | head -1)
  sleep 3
  # The tool's own process (ip netns exec execs it): its CPU before it is stopped.
  local cpu
  cpu=$(cpu_of $pid 2>/dev/null || echo 0)
  kill -INT $pid; wait $pid 2>/dev/null || true
  local seen="-" dropped="-"
  case $tool in
    tcpfollow*)
      seen=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["capture"]["packets"])' "$out/stats.json")
      dropped=$($py -c 'import json,sys; c=json.load(open(sys.argv[1]))["capture"]; print(c["kernel_drops"] + c["interface_drops"])' "$out/stats.json") ;;
    tcpdump)
      seen=$(awk '/packets captured/ { print $1 }' "$err")
      dropped=$(awk '/dropped by kernel/ { print $1 }' "$err") ;;
    tcpflow)
      # tcpflow reports no counters: the bytes it wrote, as a share of the streams'.
      seen="$(du -sm "$out" | cut -f1)MB" ;;
  esac
  local pct="-"
  [ "$dropped" != "-" ] && pct=$(awk -v d="$dropped" -v s="$sent" 'BEGIN { printf "%.2f", (s > 0 ? 100 * d / s : 0) }')
  printf "%-30s %-9s %9s %9s %9s %8s %7s %7s %s\n" "$tool" "$r" "$sent" "$seen" "$dropped" "$pct" "$cpu" "${mbps%%,*}" "$(load)"
  rm -rf "$out"
}

# ---------------------------------------------------------------------------------------
scaling() {
  echo
  echo "== offline scaling: --threads 1 vs 2 (best of $repeat; load before: $(load)) =="
  local v4=$bench/onepair-v4.pcap
  [ -f "$v4" ] || tcpdump -r "$cap" -w "$v4" ip 2>/dev/null
  printf "%-34s %-6s %8s %8s %8s %9s %s\n" "input" "out" "threads" "wall s" "CPU s" "stream MB" "syn_waits"
  local input where t i
  for input in "$cap" "$v4"; do
    cat "$input" >/dev/null
    for where in tmpfs disk; do
      local dir=$shm/scale
      [ $where = disk ] && dir=$tmp/scale
      for t in 1 2; do
        local best_w=999999 best_c=0 waits=- smb=-
        for ((i = 0; i < repeat; i++)); do
          rm -rf "$dir"
          /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$tf" -q -r "$input" --threads $t -o "$dir"
          [ $where = disk ] && sync
          read -r w u s <"$tmp/time"
          if awk -v a="$w" -v b="$best_w" 'BEGIN { exit !(a < b) }'; then
            best_w=$w; best_c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
            [ $t -gt 1 ] && waits=$($py -c 'import json,sys; print(json.load(open(sys.argv[1]))["threads"]["syn_waits"])' "$dir/stats.json")
            smb=$($py -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["streams"]["stream_bytes"] / 1e6))' "$dir/stats.json")
          fi
        done
        printf "%-34s %-6s %8s %8s %8s %9s %s\n" "$(basename "$input")" $where $t "$best_w" "$best_c" "$smb" "$waits"
        rm -rf "$dir"
      done
    done
  done
}

# ---------------------------------------------------------------------------------------
soak() {
  echo
  echo "== soak: $soak_seconds s of continuous traffic (load before: $(load)) =="
  local c=$p-c s=$p-s
  ip netns add $c; ip netns add $s
  ip -n $c link set lo up; ip -n $s link set lo up
  ip link add $p-c0 netns $c type veth peer name $p-s0 netns $s
  for x in "$c $p-c0 198.18.0.1" "$s $p-s0 198.18.0.2"; do
    set -- $x
    ip -n $1 addr add $3/24 dev $2
    ip -n $1 link set $2 mtu 1500 up
    ip netns exec $1 ethtool -K $2 tx off rx off sg off tso off gso off gro off >/dev/null
  done
  # Servers: raw TCP (23500), HTTP (23501), TLS (23502, openssl s_server -WWW).
  ip netns exec $s $py "$endpoints" server --listen 0.0.0.0 --port 23500 >/dev/null 2>&1 &
  pids+=($!)
  ip netns exec $s $py "$http_server" --listen :: --port 23501 --objects "$tmp/http_objects.jsonl" >/dev/null 2>&1 &
  pids+=($!)
  mkdir -p "$tmp/www"
  head -c 300000 /dev/urandom >"$tmp/www/f300000.bin"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
    -days 2 -subj /CN=soak.test >/dev/null 2>&1
  (cd "$tmp/www" && exec ip netns exec $s openssl s_server -accept 23502 -cert "$tmp/cert.pem" \
    -key "$tmp/key.pem" -WWW -quiet >/dev/null 2>&1) &
  pids+=($!)
  sleep 1
  local out=$tmp/soak-out err=$tmp/soak.err keylog=$tmp/keys.txt
  : >"$keylog"
  set -m
  ip netns exec $s "$tf" -i $p-s0 --rotate 60 --keylog "$keylog" -o "$out" >/dev/null 2>"$err" &
  local tpid=$!
  set +m
  pids+=($tpid)
  sleep 2
  local end=$(( $(date +%s) + soak_seconds ))
  # Clients, each a loop until the end: raw TCP connections (2 at a time, 20 kB each way),
  # HTTP downloads (300 kB), TLS downloads (300 kB) with the key log appended to.
  ( while [ "$(date +%s)" -lt $end ]; do
      ip netns exec $c $py "$endpoints" client --connect 198.18.0.2 --port 23500 --conns 2 \
        --send 20000 --reply 20000 --summary >>"$tmp/raw.jsonl" 2>/dev/null || echo fail >>"$tmp/fail"
      sleep 0.2
    done ) &
  local l1=$!
  ( while [ "$(date +%s)" -lt $end ]; do
      ip netns exec $c curl -s -o /dev/null -w '%{local_port}\n' http://198.18.0.2:23501/obj/f300000.bin \
        >>"$tmp/http.ports" || echo fail >>"$tmp/fail"
      sleep 0.5
    done ) &
  local l2=$!
  ( while [ "$(date +%s)" -lt $end ]; do
      SSLKEYLOGFILE=$keylog ip netns exec $c env SSLKEYLOGFILE=$keylog curl -sk -o /dev/null \
        -w '%{local_port}\n' https://198.18.0.2:23502/f300000.bin >>"$tmp/tls.ports" || echo fail >>"$tmp/fail"
      sleep 1
    done ) &
  local l3=$!
  echo "t_s  rss_MB  fds  flows_logged"
  : >"$tmp/samples"
  local t0
  t0=$(date +%s)
  while kill -0 $l1 2>/dev/null || kill -0 $l2 2>/dev/null || kill -0 $l3 2>/dev/null; do
    sleep 10
    local rss fds logged
    rss=$(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' /proc/$tpid/status)
    fds=$(ls /proc/$tpid/fd | wc -l)
    logged=$(cat "$out"/flows*.jsonl 2>/dev/null | wc -l)
    echo "$(( $(date +%s) - t0 )) $rss $fds $logged" | tee -a "$tmp/samples"
  done
  wait $l1 $l2 $l3 || true
  sleep 3
  kill -INT $tpid; wait $tpid || true
  tail -12 "$err"
  $py - "$out" "$tmp" "$soak_seconds" <<'PY'
import glob, json, os, sys
out, tmp, secs = sys.argv[1], sys.argv[2], int(sys.argv[3])
samples = [tuple(map(float, l.split())) for l in open(os.path.join(tmp, "samples"))]
later = [s for s in samples if s[0] > 60] or samples
rss = [s[1] for s in later]; fds = [s[2] for s in later]
mean = sum(rss) / len(rss)
spread = max(abs(r - mean) / mean for r in rss) * 100
flows = {}
records = 0
files = glob.glob(os.path.join(out, "flows*.jsonl"))
for f in files:
    for line in open(f):
        r = json.loads(line)
        records += 1
        flows[(r["id.orig_p"], r["id.resp_p"])] = r  # ports are reused over a long run
want = []
for line in open(os.path.join(tmp, "raw.jsonl")):
    want.append((json.loads(line)["local"][1], 23500))
for name, port in (("http.ports", 23501), ("tls.ports", 23502)):
    p = os.path.join(tmp, name)
    if os.path.exists(p):
        want += [(int(l), port) for l in open(p) if l.strip().isdigit() and int(l) > 0]
missing = [w for w in want if w not in flows]
stats = json.load(open(os.path.join(out, "stats.json")))
tls = [json.loads(l) for f in glob.glob(os.path.join(out, "tls*.jsonl")) for l in open(f)]
decrypted = sum(1 for r in tls if r.get("decrypted"))
fails = len(open(os.path.join(tmp, "fail")).read().split()) if os.path.exists(os.path.join(tmp, "fail")) else 0
print("soak %d s: %d connections made (%d client failures), %d flows records in %d files, %d missing"
      % (secs, len(want), fails, records, len(files), len(missing)))
print("RSS after the first minute: mean %.1f MB, min %.1f, max %.1f, max deviation %.1f%% (target +-10%%): %s"
      % (mean, min(rss), max(rss), spread, "PASS" if spread <= 10 else "MISS"))
print("open descriptors after the first minute: min %d, max %d: %s" % (min(fds), max(fds), "PASS" if max(fds) - min(fds) <= 4 else "MISS"))
print("kernel drops %d, interface drops %d: %s" % (stats["capture"]["kernel_drops"], stats["capture"]["interface_drops"],
      "PASS" if stats["capture"]["kernel_drops"] + stats["capture"]["interface_drops"] == 0 else "MISS"))
print("every connection in flows logs: %s; TLS sessions %d, decrypted %d" % ("PASS" if not missing else "MISS %s" % missing[:5], len(tls), decrypted))
PY
  if [ -n "${KEEP:-}" ]; then rm -rf "$bench/soak"; cp -r "$tmp" "$bench/soak"; echo "kept in $bench/soak"; fi
  ip netns del $c; ip netns del $s
}

for section in "${sections[@]}"; do "$section"; done
