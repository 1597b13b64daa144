#!/usr/bin/env bash
# Makes ecdhe_tls12_gcm_dsb.pcapng: ecdhe_tls12_gcm.pcap with its key log embedded as a
# pcapng Decryption Secrets Block (Wireshark's editcap, package wireshark-common), so that
# tcpfollow decrypts it with no --keylog at all.
set -euo pipefail
cd "$(dirname "$0")"
editcap --inject-secrets tls,ecdhe_tls12_gcm.keylog -F pcapng ecdhe_tls12_gcm.pcap ecdhe_tls12_gcm_dsb.pcapng
