#!/usr/bin/env bash
# Bazel wrapper: runs suricata_app_test.py with the tcpfollow binary given as $1 (Debian's
# python3: it has PyYAML for the vectors' test.yaml).
exec /usr/bin/python3 "$(dirname "$0")/suricata_app_test.py" "$@"
