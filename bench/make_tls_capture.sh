#!/bin/bash
# Records the TLS benchmark capture (not committed): curl downloads a large file from
# `openssl s_server -WWW` over loopback inside a private network namespace (unshare -n, so
# nothing else on the host's lo is captured), tcpdump writing the pcap, s_server writing the
# NSS key log. Four downloads of SIZE_MB each (default 100): TLS 1.2 ECDHE-RSA-AES128-GCM-SHA256,
# TLS 1.2 ECDHE-RSA-AES256-GCM-SHA384, TLS 1.3 TLS_AES_128_GCM_SHA256 and TLS 1.3
# TLS_AES_256_GCM_SHA384. Prints the number of packets tcpdump dropped (must be 0).
#
# usage: bench/make_tls_capture.sh [OUT.pcap] [SIZE_MB]   (run as root)
#        default OUT /tmp/tcpfollow-bench/tls.pcap; the key log goes to OUT's name + .keys
set -euo pipefail
out=${1:-/tmp/tcpfollow-bench/tls.pcap}
size_mb=${2:-100}
case $out in /*) ;; *) out=$PWD/$out ;; esac
keys=${out%.pcap}.keys
[ "$(id -u)" = 0 ] || { echo "make_tls_capture.sh: run as root (network namespace)" >&2; exit 1; }
for t in openssl curl tcpdump unshare; do
  command -v $t >/dev/null || { echo "make_tls_capture.sh: needs $t" >&2; exit 1; }
done

if [ -z "${TLS_CAPTURE_IN_NETNS:-}" ]; then
  export TLS_CAPTURE_IN_NETNS=1
  exec unshare -n "$0" "$out" "$size_mb"
fi

ip link set lo up
work=$(mktemp -d /tmp/tcpfollow-tls.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$(dirname "$out")"
rm -f "$out" "$keys"
cd "$work"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 30 \
  -subj /CN=bench.test >/dev/null 2>&1
head -c $((size_mb << 20)) /dev/urandom >big.bin
port=44330

tcpdump -i lo -s 0 -B 262144 -U -w "$out" "tcp port $port" 2>tcpdump.err &
dump=$!
sleep 1
openssl s_server -quiet -WWW -accept 127.0.0.1:$port -cert cert.pem -key key.pem \
  -keylogfile "$keys" </dev/null >server.log 2>&1 &
server=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done

get() {  # curl options...
  curl -sSk --http1.1 "$@" -o /dev/null "https://127.0.0.1:$port/big.bin"
}
get --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256
get --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES256-GCM-SHA384
get --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256
get --tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384
sleep 1
kill "$server" 2>/dev/null || true
kill -INT "$dump"
wait "$dump" 2>/dev/null || true
grep -h "captured\|dropped" tcpdump.err >&2 || true
echo "make_tls_capture.sh: wrote $out ($(stat -c %s "$out") bytes) and $keys ($(wc -l <"$keys") lines)" >&2
