#!/usr/bin/env bash
# Bazel wrapper: runs corpus_test.py with the tcpfollow binary given as $1.
exec python3 "$(dirname "$0")/corpus_test.py" "$@"
