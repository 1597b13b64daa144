#!/usr/bin/env bash
exec python3 "$(dirname "$0")/tls_e2e_test.py" "$@"
