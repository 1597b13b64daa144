#!/usr/bin/env bash
exec python3 "$(dirname "$0")/report_browser_test.py" "$@"
