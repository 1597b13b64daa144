#!/bin/bash
# Benchmarks tcpfollow against tcpflow, tshark and ssldump and prints one table per section,
# every figure measured in this run (GNU time -v: wall, CPU = user + sys, peak RSS), each
# project target stated with PASS or MISS. Sections (default all):
#   streams  tcpfollow --streams-only vs tcpflow on bench.pcap
#            targets: tcpfollow >= 2x faster (wall), peak RSS < 100 MB
#   http     tcpfollow full (HTTP + objects) vs --streams-only, and the same with --no-streams;
#            beside it tshark --export-objects http and tcpflow -e http. target: overhead <= 25%
#   defrag   bench.pcap re-fragmented by bench/refragment (3 fragments per datagram, shuffled)
#            vs the original; streams compared by sha256 per 4-tuple. target: time ratio <= 1.5
#   tls      bench/make_tls_capture.sh's 4 x 100 MB TLS 1.2/1.3 AES-GCM downloads: tcpfollow
#            --keylog vs tshark and ssldump with the key log. target: >= 1 GB/s plaintext per CPU s
#            doing what the peers do (decrypt and dissect, store nothing: --no-streams --no-objects);
#            the rows that also write streams, plaintext and hashed objects are shown beside it
#   compressed  bench.pcap gzip-compressed (gzip -1, made once): tcpfollow --streams-only on the
#            .gz vs the plain file, beside zcat > /dev/null (zlib's own decompression time).
#            target: the .gz run costs no more than zcat's time on top of the plain run (wall)
#   memory   peak RSS under floods made by bench/gen_floods (SYN/connection, out-of-order,
#            fragment, gzip bomb): tcpfollow vs tcpflow vs tshark -q. target: < 150 MB (default limits)
#   report   the full run with and without --no-report: report.html's cost. target: <= 5% (not in all)
#
# usage: bench/run.sh [--disk] [--repeat N] [streams|http|defrag|tls|memory|compressed|report|all ...]
#        bazel run --config=opt //bench:run -- [same arguments]
# Output goes to tmpfs /dev/shm/tcpfollow-bench-out (default: measures the tools, not the
# disk's writeback throttling) or with --disk to /tmp/tcpfollow-bench-out. Inputs live in
# $BENCH_DIR (default /tmp/tcpfollow-bench) and are generated when missing (bench.pcap and
# tls.pcap need root: network namespaces). tcpfollow is $TCPFOLLOW, else the opt binary in this
# target's runfiles, else `bazel build --config=opt`; it is copied to $BENCH_DIR/bin first
# (other builds may repoint bazel-bin). The page cache is warmed before each input is used.
# Fast runs are repeated N times (default 5, --repeat) and the fastest (wall) run is shown;
# slow peers (tshark, ssldump, tcpflow -e http) and the memory floods run once.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=${BUILD_WORKSPACE_DIRECTORY:-$(cd "$here/.." && pwd)}
# The capture recorders: under `bazel run`, $here is bazel-bin/bench (the script is copied
# there as "run"); the scripts themselves are in the checkout.
scripts=$repo/bench
[ -f "$scripts/make_capture.sh" ] || scripts=$here
bench=${BENCH_DIR:-/tmp/tcpfollow-bench}
out_root=/dev/shm/tcpfollow-bench-out
out_note="tmpfs (/dev/shm): output writes cost memory copies only; --disk measures /tmp"
repeat=${REPEAT:-5}
sections=()
while [ $# -gt 0 ]; do
  case $1 in
    --disk) out_root=/tmp/tcpfollow-bench-out
            out_note="disk (/tmp): includes the kernel's writeback throttling; noisier" ;;
    --repeat) repeat=$2; shift ;;
    streams|http|defrag|tls|memory|compressed|report) sections+=("$1") ;;
    all) sections+=(streams http defrag tls memory compressed) ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see --help)" >&2; exit 1 ;;
  esac
  shift
done
[ ${#sections[@]} -gt 0 ] || sections=(streams http defrag tls memory compressed)
[ -x /usr/bin/time ] || { echo "run.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
mkdir -p "$bench/bin" "$out_root"
log=$out_root/logs
mkdir -p "$log"

# The opt binaries: runfiles (bazel run), $TCPFOLLOW, or a build in the checkout.
bin_of() {  # package/name
  local f
  for f in "${RUNFILES_DIR:-/nonexistent}/tcpfollow/$1" "$here/../$1"; do
    [ -x "$f" ] && [ -n "${RUNFILES_DIR:-${BUILD_WORKSPACE_DIRECTORY:-}}" ] && { echo "$f"; return; }
  done
  (cd "$repo" && bazel build --config=opt "//${1%/*}:${1##*/}" >&2)
  echo "$repo/bazel-bin/$1"
}
install_bin() {  # package/name -> $bench/bin/name
  local src=$2
  [ -n "$src" ] || src=$(bin_of "$1")
  rm -f "$bench/bin/${1##*/}"
  cp "$src" "$bench/bin/${1##*/}"
}
install_bin tools/tcpfollow "${TCPFOLLOW:-}"
install_bin bench/refragment ""
install_bin bench/gen_floods ""
tf=$bench/bin/tcpfollow

have() { command -v "$1" >/dev/null; }
mb_of() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f", b / 1e6 }'; }
warm() { cat "$@" >/dev/null; }
pf() { awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { if (op == "<=") print (a <= b ? "PASS" : "MISS"); else if (op == ">=") print (a >= b ? "PASS" : "MISS"); else print (a < b ? "PASS" : "MISS") }'; }

# measure LABEL TIMES cmd...: runs the command TIMES times (output dir $out_root/LABEL emptied
# before each run, substituted for the word OUT in the command) and keeps the fastest run in
# WALL[LABEL], CPU[LABEL], RSS[LABEL] (MB) and OUTMB[LABEL] (also across calls with the same
# LABEL); the fastest run's stdout/stderr stay in $log.
declare -A WALL CPU RSS OUTMB NFILES NOBJ
measure() {
  local label=$1 times=$2; shift 2
  local dir=$out_root/$label args=() a i
  for a in "$@"; do args+=("${a//OUT/$dir}"); done
  for ((i = 0; i < times; i++)); do
    rm -rf "$dir"
    local tv=$log/$label.time
    if ! /usr/bin/time -v -o "$tv" "${args[@]}" >"$log/$label.out.tmp" 2>"$log/$label.err.tmp"; then
      echo "run.sh: $label failed (exit status in $tv); stderr:" >&2
      tail -3 "$log/$label.err.tmp" >&2
    fi
    local row
    row=$(awk -F': ' '
      /Elapsed \(wall clock\)/ { k = split($2, t, ":"); w = 0; for (j = 1; j <= k; j++) w = w * 60 + t[j] }
      /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident/ { r = $2 }
      END { printf "%.3f %.3f %.1f", w, u + s, r / 1024 }' "$tv")
    set -- $row
    if [ -z "${WALL[$label]:-}" ] || awk -v a="$1" -v b="${WALL[$label]}" 'BEGIN { exit !(a < b) }'; then
      WALL[$label]=$1 CPU[$label]=$2 RSS[$label]=$3
      OUTMB[$label]=$( [ -d "$dir" ] && du -sm "$dir" | cut -f1 || echo 0)
      mv "$log/$label.out.tmp" "$log/$label.out"
      mv "$log/$label.err.tmp" "$log/$label.err"
    fi
  done
  rm -f "$log/$label.out.tmp" "$log/$label.err.tmp"
  # What later lines need from the output, then the output itself goes (a 500,000-connection
  # flood writes GBs of small files; tmpfs is shared memory).
  NFILES[$label]=$( { ls "$dir/streams" 2>/dev/null || ls "$dir" 2>/dev/null | grep -v report.xml || true; } | wc -l)
  NOBJ[$label]=$( { ls "$dir/objects" 2>/dev/null || find "$dir" -name '*HTTPBODY*' 2>/dev/null || true; } | wc -l)
  [ ! -f "$dir/tls.jsonl" ] || cp "$dir/tls.jsonl" "$log/$label.tls.jsonl"
  [ -n "${KEEP_OUT:-}" ] || rm -rf "$dir"
}

header() {  # title
  echo
  echo "== $1 =="
  echo "(load average before: $(cut -d' ' -f1-3 /proc/loadavg); other work on this machine inflates wall times)"
}
table_head() { printf "%-34s %8s %8s %9s %10s %9s\n" "run" "wall s" "CPU s" "peak MB" "MB/s wall" "out MB"; }
table_row() {  # label display-name input-MB
  printf "%-34s %8.2f %8.2f %9.1f %10.1f %9s\n" "$2" "${WALL[$1]}" "${CPU[$1]}" "${RSS[$1]}" \
    "$(awk -v m="$3" -v w="${WALL[$1]}" 'BEGIN { print (w > 0 ? m / w : 0) }')" "${OUTMB[$1]}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

ensure_bench_pcap() {
  cap=$bench/bench.pcap
  if [ ! -f "$cap" ]; then
    echo "run.sh: $cap missing; generating it (bench/make_capture.sh)" >&2
    "$scripts/make_capture.sh" "$cap" >&2
  fi
}

section_streams() {
  ensure_bench_pcap
  header "streams: reassembly + per-direction stream files (bench.pcap, $(mb_of "$cap") MB)"
  warm "$cap"
  have tcpflow || { echo "tcpflow not installed: section skipped"; return; }
  local r
  for ((r = 0; r < repeat; r++)); do  # alternate the two tools
    measure s_tcpfollow 1 "$tf" -q --streams-only -r "$cap" -o OUT
    measure s_tcpflow 1 tcpflow -r "$cap" -o OUT
  done
  local mb; mb=$(mb_of "$cap")
  table_head
  table_row s_tcpfollow "tcpfollow --streams-only" "$mb"
  table_row s_tcpflow "tcpflow" "$mb"
  local speed; speed=$(ratio "${WALL[s_tcpflow]}" "${WALL[s_tcpfollow]}")
  echo "stream files written: tcpfollow ${NFILES[s_tcpfollow]}, tcpflow ${NFILES[s_tcpflow]}"
  echo "target: tcpfollow >= 2x faster than tcpflow (wall): ${speed}x  $(pf "$speed" ">=" 2)"
  echo "target: tcpfollow peak RSS < 100 MB: ${RSS[s_tcpfollow]} MB  $(pf "${RSS[s_tcpfollow]}" "<" 100)"
  echo "(best of $repeat alternating runs each; CPU ratio tcpfollow/tcpflow $(ratio "${CPU[s_tcpfollow]}" "${CPU[s_tcpflow]}"))"
}

section_compressed() {
  ensure_bench_pcap
  local gz=$bench/bench.pcap.gz
  [ -f "$gz" ] && [ "$gz" -nt "$cap" ] || gzip -1 -c "$cap" > "$gz"
  header "compressed: gzip input (bench.pcap.gz, $(mb_of "$gz") MB of $(mb_of "$cap") MB)"
  warm "$cap" "$gz"
  local r
  for ((r = 0; r < repeat; r++)); do  # alternate
    measure c_plain 1 "$tf" -q --streams-only -r "$cap" -o OUT
    measure c_gz 1 "$tf" -q --streams-only -r "$gz" -o OUT
    measure c_zcat 1 sh -c "zcat '$gz' > /dev/null"
  done
  local mb; mb=$(mb_of "$cap")
  table_head
  table_row c_plain "tcpfollow --streams-only (plain)" "$mb"
  table_row c_gz "tcpfollow --streams-only (.gz)" "$mb"
  table_row c_zcat "zcat > /dev/null" "$mb"
  local extra; extra=$(awk -v a="${WALL[c_gz]}" -v b="${WALL[c_plain]}" 'BEGIN { printf "%.2f", a - b }')
  echo "target: .gz costs no more than zcat on top of plain (wall): +${extra} s vs zcat ${WALL[c_zcat]} s  $(pf "$extra" "<=" "${WALL[c_zcat]}")"
  echo "(best of $repeat alternating runs each)"
}

# report.html's cost: the full run with and without --no-report, alternating, best of each.
section_report() {
  ensure_bench_pcap
  local mb i; mb=$(mb_of "$cap")
  header "report: report.html's cost at the end of a full run (bench.pcap, $mb MB)"
  warm "$cap"
  for ((i = 0; i < repeat; i++)); do
    measure r_noreport 1 "$tf" -q --no-report -r "$cap" -o OUT
    # The last run's output stays for the report's size.
    KEEP_OUT=$([ "$i" -eq $((repeat - 1)) ] && echo 1) measure r_report 1 "$tf" -q -r "$cap" -o OUT
  done
  table_head
  table_row r_noreport "tcpfollow --no-report" "$mb"
  table_row r_report "tcpfollow (writes report.html)" "$mb"
  echo "report.html: $(mb_of "$out_root/r_report/report.html") MB"
  rm -rf "$out_root/r_report"
  local ov; ov=$(awk -v a="${WALL[r_report]}" -v b="${WALL[r_noreport]}" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')
  local ovc; ovc=$(awk -v a="${CPU[r_report]}" -v b="${CPU[r_noreport]}" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')
  echo "target: the report costs <= 5% of the run (wall): ${ov}% (CPU ${ovc}%)  $(pf "$ov" "<=" 5)"
}

section_http() {
  ensure_bench_pcap
  local mb; mb=$(mb_of "$cap")
  header "http: HTTP parsing + object extraction overhead (bench.pcap, $mb MB)"
  warm "$cap"
  measure h_full "$repeat" "$tf" -q -r "$cap" -o OUT
  measure h_streams "$repeat" "$tf" -q --streams-only -r "$cap" -o OUT
  measure h_full_nostreams "$repeat" "$tf" -q --no-streams -r "$cap" -o OUT
  local base_ns=""
  # Older builds refused this pair; probe with --help's text rather than an input.
  if "$tf" --help | grep -q -- "--streams-only" && \
     "$tf" -q --streams-only --no-streams -r "$cap" -o "$out_root/probe" 2>"$log/probe.err"; then
    measure h_streams_nostreams "$repeat" "$tf" -q --streams-only --no-streams -r "$cap" -o OUT
    base_ns=h_streams_nostreams
  fi
  rm -rf "$out_root/probe"
  if have tshark; then
    measure h_tshark 1 tshark -r "$cap" -q --export-objects http,OUT/objects
  fi
  local tcpflow_http=""
  if have tcpflow && grep -q "Scanner Name: http" <(tcpflow -H 2>&1); then
    measure h_tcpflow_http 1 tcpflow -e http -r "$cap" -o OUT
    tcpflow_http=1
  fi
  table_head
  table_row h_streams "tcpfollow --streams-only" "$mb"
  table_row h_full "tcpfollow (full: HTTP + objects)" "$mb"
  [ -z "$base_ns" ] || table_row h_streams_nostreams "tcpfollow --streams-only --no-streams" "$mb"
  table_row h_full_nostreams "tcpfollow --no-streams" "$mb"
  have tshark && table_row h_tshark "tshark --export-objects http" "$mb"
  [ -z "$tcpflow_http" ] || table_row h_tcpflow_http "tcpflow -e http" "$mb"
  echo "objects extracted: tcpfollow ${NOBJ[h_full]}$(have tshark && echo ", tshark ${NOBJ[h_tshark]}")$([ -z "$tcpflow_http" ] || echo ", tcpflow -e http ${NOBJ[h_tcpflow_http]} bodies")"
  local ov; ov=$(awk -v a="${WALL[h_full]}" -v b="${WALL[h_streams]}" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')
  local ovc; ovc=$(awk -v a="${CPU[h_full]}" -v b="${CPU[h_streams]}" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')
  echo "target: full vs --streams-only overhead <= 25% (wall): ${ov}% (CPU ${ovc}%)  $(pf "$ov" "<=" 25)"
  echo "  (full writes streams AND objects: ${OUTMB[h_full]} MB vs ${OUTMB[h_streams]} MB)"
  if [ -n "$base_ns" ]; then
    local ov2; ov2=$(awk -v a="${WALL[h_full_nostreams]}" -v b="${WALL[$base_ns]}" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')
    echo "target, both --no-streams (reassembly only vs reassembly + HTTP + objects): ${ov2}%  $(pf "$ov2" "<=" 25)"
  else
    local ov3; ov3=$(awk -v a="${WALL[h_full_nostreams]}" -v b="${WALL[h_streams]}" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')
    local ov3c; ov3c=$(awk -v a="${CPU[h_full_nostreams]}" -v b="${CPU[h_streams]}" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')
    echo "reassembly-only baseline unavailable: tcpfollow refuses --streams-only --no-streams ($(head -c 90 "$log/probe.err"))"
    echo "  nearest equal-output proxy, --no-streams (objects, ${OUTMB[h_full_nostreams]} MB) vs --streams-only (streams, ${OUTMB[h_streams]} MB):"
    echo "  ${ov3}% wall, ${ov3c}% CPU  $(pf "$ov3" "<=" 25) (proxy)"
  fi
}

# Prints "sha256(client) sha256(server) orig_bytes resp_bytes" per 4-tuple, sorted.
stream_digest() {  # out dir
  python3 - "$1" <<'EOF'
import hashlib, json, os, sys
d = sys.argv[1]
rows = []
for line in open(os.path.join(d, "flows.jsonl")):
    r = json.loads(line)
    def h(side):
        p = r.get("files", {}).get(side)
        if not p or not os.path.exists(os.path.join(d, p)):
            return "-"
        with open(os.path.join(d, p), "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    rows.append("%s %s %s %s %s %s %d %d" % (r["id.orig_h"], r["id.orig_p"], r["id.resp_h"], r["id.resp_p"],
                h("client"), h("server"), r["orig_bytes"], r["resp_bytes"]))
print("\n".join(sorted(rows)))
EOF
}

section_defrag() {
  ensure_bench_pcap
  local frag=$bench/bench_frag.pcap
  if [ ! -f "$frag" ] || [ "$frag" -ot "$cap" ] || [ ! -f "$bench/bench_frag.log" ]; then
    "$bench/bin/refragment" --shuffle "$cap" "$frag" 2>"$bench/bench_frag.log"
  fi
  header "defrag: bench.pcap vs every IP datagram > 200 B as 3 shuffled fragments ($(mb_of "$frag") MB)"
  warm "$cap" "$frag"
  KEEP_OUT=1 measure d_plain "$repeat" "$tf" -q --streams-only -r "$cap" -o OUT
  KEEP_OUT=1 measure d_frag "$repeat" "$tf" -q --streams-only -r "$frag" -o OUT
  table_head
  table_row d_plain "tcpfollow --streams-only (whole)" "$(mb_of "$cap")"
  table_row d_frag "tcpfollow --streams-only (fragmented)" "$(mb_of "$frag")"
  stream_digest "$out_root/d_plain" >"$log/digest-plain.txt"
  stream_digest "$out_root/d_frag" >"$log/digest-frag.txt"
  rm -rf "$out_root/d_plain" "$out_root/d_frag"
  echo "connections: whole $(wc -l <"$log/digest-plain.txt"), fragmented $(wc -l <"$log/digest-frag.txt");" \
    "flows.jsonl byte counts equal: $(cmp -s <(awk '{ print $1, $2, $3, $4, $7, $8 }' "$log/digest-plain.txt") \
      <(awk '{ print $1, $2, $3, $4, $7, $8 }' "$log/digest-frag.txt") && echo yes || echo no)"
  echo "streams identical: $(cmp -s "$log/digest-plain.txt" "$log/digest-frag.txt" && echo yes || echo no)" \
    "(sha256 of both stream files per 4-tuple; $(grep -c . "$log/digest-plain.txt") compared)"
  local r; r=$(ratio "${WALL[d_frag]}" "${WALL[d_plain]}")
  echo "fragments: $(cat "$bench/bench_frag.log" 2>/dev/null | sed 's/^refragment: //')"
  echo "target: fragmented / whole time <= 1.5 (wall): $r  $(pf "$r" "<=" 1.5) (CPU ratio $(ratio "${CPU[d_frag]}" "${CPU[d_plain]}"))"
}

section_tls() {
  local tls=$bench/tls.pcap keys=$bench/tls.keys
  if [ ! -f "$tls" ] || [ ! -f "$keys" ]; then
    echo "run.sh: $tls missing; recording it (bench/make_tls_capture.sh)" >&2
    "$scripts/make_tls_capture.sh" "$tls" >&2
  fi
  local mb; mb=$(mb_of "$tls")
  header "tls: decrypting 4 TLS 1.2/1.3 AES-GCM downloads with the key log (tls.pcap, $mb MB)"
  warm "$tls" "$keys"
  measure t_full "$repeat" "$tf" -q --keylog "$keys" -r "$tls" -o OUT
  measure t_nostreams "$repeat" "$tf" -q --no-streams --keylog "$keys" -r "$tls" -o OUT
  measure t_logs "$repeat" "$tf" -q --no-streams --no-objects --keylog "$keys" -r "$tls" -o OUT
  measure t_streams "$repeat" "$tf" -q --streams-only -r "$tls" -o OUT
  local port
  port=$(awk -F'"id.resp_p":' 'NR == 1 { split($2, a, /[,}]/); print a[1] }' "$log/t_full.tls.jsonl")
  have tshark && measure t_tshark 1 tshark -r "$tls" -d "tcp.port==$port,tls" -o "tls.keylog_file:$keys" -q -z io,phs
  local ssl=""
  if have ssldump && grep -q -- "-l sslkeylogfile" <(ssldump -h 2>&1); then
    measure t_ssldump 1 ssldump -r "$tls" -l "$keys" -d -n
    ssl=1
  fi
  local plain sessions
  plain=$(python3 -c 'import json,sys; print(sum(r.get("client_plain_bytes",0)+r.get("server_plain_bytes",0) for r in map(json.loads, open(sys.argv[1]))))' "$log/t_full.tls.jsonl")
  sessions=$(grep -c '"decrypted":true' "$log/t_full.tls.jsonl" || true)
  printf "%-34s %8s %8s %9s %10s %9s %11s\n" "run" "wall s" "CPU s" "peak MB" "MB/s wall" "out MB" "GB/s/CPU s"
  local l n
  for l in t_full t_nostreams t_logs t_streams t_tshark t_ssldump; do
    [ -n "${WALL[$l]:-}" ] || continue
    case $l in
      t_full) n="tcpfollow --keylog" ;; t_nostreams) n="tcpfollow --keylog --no-streams" ;;
      t_logs) n="tcpfollow ... --no-objects" ;;
      t_streams) n="tcpfollow --streams-only (no TLS)" ;;
      t_tshark) n="tshark keylog -z io,phs" ;; t_ssldump) n="ssldump -l keylog -d" ;;
    esac
    printf "%-34s %8.2f %8.2f %9.1f %10.1f %9s %11.2f\n" "$n" "${WALL[$l]}" "${CPU[$l]}" "${RSS[$l]}" \
      "$(awk -v m="$mb" -v w="${WALL[$l]}" 'BEGIN { print m / w }')" "${OUTMB[$l]}" \
      "$(awk -v p="$plain" -v c="${CPU[$l]}" 'BEGIN { print p / 1e9 / c }')"
  done
  echo "decrypted plaintext (tcpfollow tls.jsonl): $(awk -v p="$plain" 'BEGIN { printf "%.1f MB", p / 1e6 }') in $sessions decrypted sessions"
  echo "  ciphers: $(grep -o '"cipher":"[^"]*"' "$log/t_full.tls.jsonl" | cut -d'"' -f4 | paste -sd, -)"
  have tshark && echo "tshark evidence of decryption: $(grep -E '^ +http ' "$log/t_tshark.out" | sed 's/  */ /g') (HTTP inside TLS)"
  [ -n "$ssl" ] && echo "ssldump evidence: $(grep -c application_data "$log/t_ssldump.out") application_data records printed" \
    || echo "ssldump: not installed or its -l (key log) option is missing"
  local g; g=$(awk -v p="$plain" -v c="${CPU[t_full]}" 'BEGIN { printf "%.2f", p / 1e9 / c }')
  local g2; g2=$(awk -v p="$plain" -v c="${CPU[t_nostreams]}" 'BEGIN { printf "%.2f", p / 1e9 / c }')
  local g4; g4=$(awk -v p="$plain" -v c="${CPU[t_logs]}" 'BEGIN { printf "%.2f", p / 1e9 / c }')
  echo "target: tcpfollow >= 1 GB/s decrypted per CPU second, doing what tshark -z io,phs and ssldump -d do"
  echo "  (read, reassemble, decrypt, dissect; store nothing): --no-streams --no-objects $g4  $(pf "$g4" ">=" 1)"
  echo "  storing the output as well (not what the peers do): full $g, --no-streams (objects written and"
  echo "  sha256-hashed) $g2"
  local g3; g3=$(awk -v p="$plain" -v a="${CPU[t_nostreams]}" -v b="${CPU[t_streams]}" 'BEGIN { printf "%.2f", (a > b ? p / 1e9 / (a - b) : 0) }')
  echo "  marginal: decryption + HTTP + objects over --streams-only = $g3 GB/s per extra CPU s (--no-streams CPU minus --streams-only CPU)"
  echo "  (GB/s/CPU s = tcpfollow's decrypted plaintext bytes / the run's CPU s, for every row; the"
  echo "   --streams-only row decrypts nothing and is the reading + reassembly + writing baseline)"
}

section_memory() {
  local f=$bench/floods
  mkdir -p "$f"
  local kinds=(syn ooo frag bomb) k
  for k in "${kinds[@]}"; do
    [ -f "$f/$k.pcap" ] || "$bench/bin/gen_floods" "$k" "$f/$k.pcap" 2>>"$log/gen_floods.err"
  done
  header "memory: peak RSS under floods (default limits; each tool once)"
  printf "%-7s %-26s %8s %8s %9s %9s\n" "flood" "run" "wall s" "CPU s" "peak MB" "out MB"
  for k in "${kinds[@]}"; do
    warm "$f/$k.pcap"
    measure "m_${k}_tf" 1 "$tf" -r "$f/$k.pcap" -o OUT
    measure "m_${k}_tfns" 1 "$tf" --no-streams -r "$f/$k.pcap" -o OUT
    have tcpflow && measure "m_${k}_tcpflow" 1 tcpflow -r "$f/$k.pcap" -o OUT
    have tshark && measure "m_${k}_tshark" 1 timeout -s KILL "${PEER_TIMEOUT:-300}" tshark -r "$f/$k.pcap" -q -z io,phs
    local l n
    for l in tf tfns tcpflow tshark; do
      [ -n "${WALL[m_${k}_$l]:-}" ] || continue
      case $l in tf) n="tcpfollow" ;; tfns) n="tcpfollow --no-streams" ;; tshark) n="tshark -q -z io,phs" ;; *) n=$l ;; esac
      printf "%-7s %-26s %8.2f %8.2f %9.1f %9s\n" "$k" "$n" "${WALL[m_${k}_$l]}" "${CPU[m_${k}_$l]}" \
        "${RSS[m_${k}_$l]}" "${OUTMB[m_${k}_$l]}"
    done
  done
  echo
  echo "inputs and tcpfollow's limits that apply (defaults; tcpfollow --help):"
  echo "  syn   $(mb_of "$f/syn.pcap") MB: 500,000 connections (SYN, SYN-ACK, 64 B), never closed; --max-flows $("$tf" --help | sed -n 's/.*--max-flows N.*(default \([0-9]*\).*/\1/p')"
  echo "  ooo   $(mb_of "$f/ooo.pcap") MB: 100 connections, 1448 B hole then 2 MiB each; --max-flow-buffer 4m, --max-total-buffer 64m"
  echo "  frag  $(mb_of "$f/frag.pcap") MB: 200,000 first fragments of 2-fragment datagrams; --max-frag-datagrams 100000, --max-frag-bytes 64m"
  echo "  bomb  $(mb_of "$f/bomb.pcap") MB: 8 gzip responses each inflating to 1 GiB; decoded body <= 64 MiB and ratio <= 1000 (HTTP ContentLimits)"
  echo "tshark runs with -z io,phs: plain \`tshark -r X -q\` skips dissection (no tap needs it), so it"
  echo "  would measure only file reading; the tap makes it dissect and reassemble every packet."
  echo "  tshark is killed after \$PEER_TIMEOUT s (default 300; on the bomb it inflates every 1 GiB body)."
  echo "tcpfollow's own accounting (summary lines):"
  for k in "${kinds[@]}"; do
    grep -hE "connections|IP fragments|gaps|objects" "$log/m_${k}_tf.err" | sed "s/^ */  $k: /"
  done
  for k in "${kinds[@]}"; do
    local r=${RSS[m_${k}_tf]} r2=${RSS[m_${k}_tfns]}
    echo "target: $k flood, tcpfollow peak RSS < 150 MB: ${r} MB $(pf "$r" "<" 150); --no-streams ${r2} MB $(pf "$r2" "<" 150)"
  done
}

cpu_model=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
echo "tcpfollow benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs, $cpu_model"
echo "tcpfollow: $tf ($(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo unknown))"
echo "output: $out_root, $out_note"
echo "peers: tcpflow $(tcpflow -V 2>/dev/null | awk '{ print $2 }'), $(tshark -v 2>/dev/null | head -1 | cut -d' ' -f1-3), ssldump $(dpkg-query -W -f '${Version}' ssldump 2>/dev/null)"
for s in "${sections[@]}"; do "section_$s"; done
