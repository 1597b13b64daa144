#!/usr/bin/env bash
exec python3 "$(dirname "$0")/defrag_e2e_test.py" "$@"
