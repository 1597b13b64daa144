#!/usr/bin/env bash
# Bazel wrapper: runs suricata_tcp_test.py with the tcpfollow binary given as $1.
exec python3 "$(dirname "$0")/suricata_tcp_test.py" "$@"
