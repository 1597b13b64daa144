#!/usr/bin/python3
"""Generates the benchmark capture (not committed): large HTTP downloads + thousands of small connections.

usage: make_capture.py OUT.pcap [--large N] [--large-mb M] [--small N] [--loss PCT]

Uses corpus/record/lab.py's namespaces (client - bridge - tap - bridge - server,
MTU 1500, offloads off) with tcpdump -s 0 and a 256 MiB kernel buffer on the tap.
Traffic: N large downloads (default 32 x 16 MB, curl from the corpus http.server,
4 at a time, each rate-limited so the capture keeps up), 2000 small HTTP requests
each on its own connection (Connection: close, 8 in parallel, 1-4 kB bodies) and
1000 short raw TCP connections with data both ways. Loss defaults to 0 (PCT per
bridge otherwise). Fails if tcpdump reports kernel drops. Prints size and counts.
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "corpus", "record"))
import lab  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default="/tmp/tcpfollow-bench/bench.pcap")
    ap.add_argument("--large", type=int, default=32)
    ap.add_argument("--large-mb", type=int, default=16)
    ap.add_argument("--small", type=int, default=2000)
    ap.add_argument("--tcp-small", type=int, default=1000)
    ap.add_argument("--loss", type=int, default=0)
    a = ap.parse_args()
    out = os.path.abspath(a.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    t0 = time.time()
    with lab.Lab(prefix="tfb", loss=a.loss, mtu=1500) as L:
        srv = L.popen_ns(L.sns, [lab.PYTHON, lab.HTTP_SERVER, "--objects", "/dev/null"],
                         stdout=subprocess.DEVNULL)
        L.popen_ns(L.sns, [lab.PYTHON, lab.TCP_ENDPOINTS, "server", "--listen", "::"],
                   stdout=subprocess.DEVNULL)
        L.wait_listen(L.sns, 8080)
        L.wait_listen(L.sns, 9000)
        L.start_capture(out, buffer_kib=262144)
        base = "http://%s:8080" % lab.SERVER4
        size = a.large_mb * 1000 * 1000
        large = []
        for i in range(a.large):
            # object_bytes() takes the size from the name's digits: the index is letters.
            tag = chr(97 + i // 26) + chr(97 + i % 26)
            large += ["-o", "/dev/null", "%s/obj/big%s%d.bin" % (base, tag, size)]
        # Large downloads, 4 parallel connections, each capped at 20 MB/s.
        big = L.popen_ns(L.cns, ["curl", "-sS", "--no-progress-meter", "--fail", "--parallel", "--parallel-max", "4",
                                 "--limit-rate", "20M"] + large)
        # Small objects, one connection each, alongside the large ones.
        dl = os.path.join(L.tmp, "small")
        os.makedirs(dl)
        small = L.popen_ns(L.cns, ["curl", "-sS", "--no-progress-meter", "--fail", "--parallel", "--parallel-max", "8",
                                   "-H", "Connection: close", "-o", dl + "/#1",
                                   "%s/obj/s[1000-%d].txt" % (base, 999 + a.small)])
        tcp = L.popen_ns(L.cns, [lab.PYTHON, lab.TCP_ENDPOINTS, "client", "--connect", lab.SERVER6,
                                 "--conns", str(a.tcp_small), "--sequential", "--send", "3000",
                                 "--reply", "5000", "--seed", "5"])
        for p in (big, small, tcp):
            if p.wait() != 0:
                raise SystemExit("traffic generator failed: %s" % p.args)
        err = L.stop_capture(settle=2.0)
        L.stop(srv)
    print(err.strip().splitlines()[-3:] if err.strip() else "")
    print("%s: %.1f MB, %d large downloads of %d MB, %d small HTTP + %d small TCP connections, "
          "loss %d%% per bridge, %.0f s" % (out, os.path.getsize(out) / 1e6, a.large, a.large_mb,
                                             a.small, a.tcp_small, a.loss, time.time() - t0))


if __name__ == "__main__":
    main()
