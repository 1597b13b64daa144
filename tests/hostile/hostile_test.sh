#!/usr/bin/env bash
# Runs the hostile-input table (hostile_test.py) with the system python3 (needs no scapy).
exec /usr/bin/python3 "$(dirname "$0")/hostile_test.py" "$@"
