#!/bin/bash
# Generates the benchmark capture (>= 500 MB; not committed) by running bench/make_capture.py
# in network namespaces as root: 32 x 16 MB HTTP downloads, 2000 small HTTP connections and
# 1000 small raw TCP connections between 198.18.0.1 and 198.18.0.2 / 2001:db8::1 and ::2.
# usage: bench/make_capture.sh [OUT.pcap] [make_capture.py options]
#        (default OUT: /tmp/tcpfollow-bench/bench.pcap)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "make_capture.sh: run as root (network namespaces)" >&2; exit 1; }
out=${1:-/tmp/tcpfollow-bench/bench.pcap}
shift || true
exec /usr/bin/python3 "$here/make_capture.py" "$out" "$@"
