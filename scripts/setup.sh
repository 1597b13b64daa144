#!/usr/bin/env bash
# Installs the Debian packages tcpfollow needs, and nothing else. Idempotent: packages
# already installed are skipped, and apt is not touched when nothing is missing.
#   scripts/setup.sh          build and test: compilers, Bazel, libraries, test tools
#   scripts/setup.sh --all    also the peers and comparison tools used to record captures
#                             and run benchmarks (curl, openssl, tcpdump, tcpflow, tshark, ...)
set -euo pipefail

build_and_test=(
  bazel-bootstrap g++ clang libclang-rt-14-dev libfuzzer-14-dev
  libtins-dev libpcap-dev libssl-dev libabsl-dev catch2 nlohmann-json3-dev
  zlib1g-dev libbrotli-dev liblzma-dev libzstd-dev libgmime-3.0-dev libmagic-dev pkg-config
  python3 python3-scapy iproute2 nftables ethtool libnghttp2-dev
  chromium chromium-driver
  media-types
)
record_and_bench=(
  curl openssl tcpdump tcpflow tshark ssldump tcpick
  python3-aiosmtpd python3-pyftpdlib time nghttp2-server nghttp2-client python3-h2
)

packages=("${build_and_test[@]}")
if [[ "${1:-}" == "--all" ]]; then
  packages+=("${record_and_bench[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
