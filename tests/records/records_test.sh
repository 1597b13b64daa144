#!/usr/bin/env bash
exec python3 "$(dirname "$0")/records_test.py" "$@"
