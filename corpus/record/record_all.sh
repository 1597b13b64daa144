#!/bin/bash
# Regenerates every capture this directory's scripts own (corpus/{tcp,http,smtp,ftp}):
# runs each corpus/<proto>/record_*.py in turn (each builds and tears down its own
# namespaces, records <name>.pcap and <name>.manifest.json next to the script).
# Needs root, iproute2, nftables, ethtool, tcpdump, tshark, tcpflow, curl and Debian's
# python3 with aiosmtpd and pyftpdlib. Packet layout differs on every run (random loss);
# the bytes each endpoint sends do not. Does not touch corpus/tls, defrag or fuzz.
# usage: corpus/record/record_all.sh [PROTO...]   (default: tcp http smtp ftp)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpus=$(dirname "$here")
[ "$(id -u)" = 0 ] || { echo "record_all.sh: run as root (network namespaces)" >&2; exit 1; }
protos=("$@")
[ ${#protos[@]} -gt 0 ] || protos=(tcp http smtp ftp)
for p in "${protos[@]}"; do
  for script in "$corpus/$p"/record_*.py; do
    echo "== $script"
    /usr/bin/python3 "$script" | { grep -v '^listening$' || true; }
    name=$(basename "$script" .py); name=${name#record_}
    [ -s "$corpus/$p/$name.manifest.json" ] || { echo "no manifest from $script" >&2; exit 1; }
    chmod 644 "$corpus/$p/$name.pcap"
  done
done
du -ch "$corpus"/{tcp,http,smtp,ftp}/*.pcap 2>/dev/null | tail -1
