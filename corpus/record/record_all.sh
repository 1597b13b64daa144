#!/bin/bash
# Regenerates every capture this directory's scripts own (corpus/{tcp,http,smtp,ftp,session}):
# runs each corpus/<proto>/record_*.py in turn (each builds and tears down its own
# namespaces, records <name>.pcap and <name>.manifest.json next to the script).
# Needs root, iproute2, nftables, ethtool, tcpdump, tshark, tcpflow, curl and Debian's
# python3 with aiosmtpd and pyftpdlib. Packet layout differs on every run (random loss);
# the bytes each endpoint sends do not. Does not touch corpus/tls, defrag or fuzz.
# usage: corpus/record/record_all.sh [PROTO...]   (default: tcp http smtp ftp session)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpus=$(dirname "$here")
[ "$(id -u)" = 0 ] || { echo "record_all.sh: run as root (network namespaces)" >&2; exit 1; }
protos=("$@")
[ ${#protos[@]} -gt 0 ] || protos=(tcp http smtp ftp session)
for p in "${protos[@]}"; do
  for script in "$corpus/$p"/record_*.py; do
    echo "== $script"
    stamp=$(mktemp)
    /usr/bin/python3 "$script" | { grep -v '^listening$' || true; }
    # A script records <name>.pcap, or several captures (corpus/session/record_one_sided.py).
    made=$(find "$corpus/$p" -maxdepth 1 -name '*.manifest.json' -newer "$stamp")
    rm -f "$stamp"
    [ -n "$made" ] || { echo "no manifest from $script" >&2; exit 1; }
    for m in $made; do chmod 644 "${m%.manifest.json}.pcap"; done
  done
done
du -ch "$corpus"/{tcp,http,smtp,ftp,session}/*.pcap 2>/dev/null | tail -1
