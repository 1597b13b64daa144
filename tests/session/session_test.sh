#!/usr/bin/env bash
# Bazel wrapper: runs session_test.py with the tcpfollow binary given as $1.
exec python3 "$(dirname "$0")/session_test.py" "$@"
