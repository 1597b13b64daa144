#!/bin/bash
# Records the HTTP/2 benchmark capture (not committed): curl --http2 downloads files from
# nghttpd over TLS (ALPN h2) on loopback inside a private network namespace (unshare -n, so
# nothing else on the host's lo is captured), tcpdump writing the pcap, curl writing the
# NSS key log (SSLKEYLOGFILE). Per connection, curl -Z fetches FILES files of SIZE_MB each
# concurrently (multiplexed streams); two connections, TLS 1.3 (TLS_AES_128_GCM_SHA256)
# and TLS 1.2 (ECDHE-RSA-AES128-GCM-SHA256). Default 2 x 4 x 40 MB = 320 MB of downloads,
# for the "at least 300 MB of HTTP/2 over TLS" whole-tool figure (--no-streams, objects
# hashed and written) once the session layer routes ALPN h2 to protocols/http2.
# Prints the number of packets tcpdump dropped (must be 0). Port 20500 (http2's range).
#
# usage: bench/make_h2_capture.sh [OUT.pcap] [SIZE_MB] [FILES]   (run as root)
#        default OUT /tmp/tcpfollow-bench/h2.pcap; the key log goes to OUT's name + .keys
set -euo pipefail
out=${1:-/tmp/tcpfollow-bench/h2.pcap}
size_mb=${2:-40}
files=${3:-4}
case $out in /*) ;; *) out=$PWD/$out ;; esac
keys=${out%.pcap}.keys
[ "$(id -u)" = 0 ] || { echo "make_h2_capture.sh: run as root (network namespace)" >&2; exit 1; }
for t in nghttpd curl tcpdump unshare openssl; do
  command -v $t >/dev/null || { echo "make_h2_capture.sh: needs $t" >&2; exit 1; }
done

if [ -z "${H2_CAPTURE_IN_NETNS:-}" ]; then
  export H2_CAPTURE_IN_NETNS=1
  exec unshare -n "$0" "$out" "$size_mb" "$files"
fi

ip link set lo up
work=$(mktemp -d /tmp/tcpfollow-h2.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$(dirname "$out")" "$work/www"
rm -f "$out" "$keys"
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 30 \
  -subj /CN=bench.test >/dev/null 2>&1
for i in $(seq "$files"); do head -c $((size_mb << 20)) /dev/urandom >"www/f$i.bin"; done
port=20500

tcpdump -i lo -s 0 -B 262144 -U -w "$out" "tcp port $port" 2>tcpdump.err &
dump=$!
sleep 1
nghttpd --htdocs="$work/www" -a 127.0.0.1 "$port" key.pem cert.pem >server.log 2>&1 &
server=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

get() {  # curl TLS options...
  local args=()
  for i in $(seq "$files"); do args+=(-o /dev/null "https://127.0.0.1:$port/f$i.bin"); done
  SSLKEYLOGFILE="$keys" curl -sSk --no-progress-meter --http2 -Z "$@" "${args[@]}"
}
get --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256
get --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256
sleep 1
kill "$server" 2>/dev/null || true
kill -INT "$dump"
wait "$dump" 2>/dev/null || true
grep -h "captured\|dropped" tcpdump.err >&2 || true
echo "make_h2_capture.sh: wrote $out ($(stat -c %s "$out") bytes) and $keys ($(wc -l <"$keys") lines)" >&2
