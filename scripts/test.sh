#!/usr/bin/env bash
# Sets up the machine (scripts/setup.sh), then builds and runs every test: unit tests,
# the pcap regression suite over corpus/, fuzz corpus replay, and the live end-to-end
# test in network namespaces (needs root; it skips with a message otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
bazel test //... "$@"
