#!/usr/bin/python3
"""report.html at scale: builds a capture of N short connections (default 100,000: HTTP
with a small body, every 50th answer a PNG, every 100th connection missing 500 bytes, one
in ten on port 443 carrying opaque bytes), runs tcpfollow on it with and without
--no-report, and loads the report in headless Chromium. Prints the report's size, the
run's time with and without the report, and the page's time to interactive: from the
navigation's start to the end of the page's script (tables drawn, listeners attached),
as the page itself measures it (performance.now()), and the load event; then the time a
filter over every connection takes. Targets (issue 17): < 20 MB, interactive < 2 s.

usage: bazel run --config=opt //bench:report_bench -- [--conns N] [--repeat R] [--dir D]
"""
import argparse
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.realpath(__file__))


def find(rel):
    """A file of the checkout: beside this script (a checkout) or in the runfiles."""
    for base in (os.path.join(HERE, ".."), os.environ.get("BUILD_WORKSPACE_DIRECTORY", ""),
                 os.path.join(os.environ.get("RUNFILES_DIR", ""), "tcpfollow")):
        p = os.path.join(base, rel)
        if base and os.path.exists(p):
            return p
    raise SystemExit("report_bench: %s not found" % rel)


sys.path.insert(0, os.path.dirname(find("tests/report/webdriver.py")))
import webdriver  # noqa: E402


def png():
    def chunk(kind, data):
        c = kind + data
        return struct.pack("!I", len(data)) + c + struct.pack("!I", zlib.crc32(c) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes([30, 90, 200] * 8) for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack("!IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def write_capture(path, conns):
    """Ethernet/IPv4/TCP frames packed by hand (checksums zero: tcpfollow does not check)."""
    image = png()
    f = open(path, "wb")
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
    t = [1_800_000_000.0]

    def pkt(src, dst, sport, dport, seq, ack, flags, payload=b""):
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags,
                          65535, 0, 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, src, dst) + tcp
        frame = b"\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00" + ip
        t[0] += 0.00002
        sec = int(t[0])
        f.write(struct.pack("<IIII", sec, int((t[0] - sec) * 1e6), len(frame), len(frame)) + frame)

    for i in range(conns):
        c = bytes([198, 18, 1 + (i >> 16) % 200, (i >> 8) & 255])
        s = bytes([198, 19, 0, 1 + i % 40])
        cp, sp = 24000 + i % 1000, (443 if i % 10 == 9 else 24080)
        cs, ss = 1000, 5000
        pkt(c, s, cp, sp, cs, 0, 0x02)
        pkt(s, c, sp, cp, ss, cs + 1, 0x12)
        cs += 1
        ss += 1
        if sp == 443:
            req, resp = bytes(range(256)) * 2, bytes(range(255, -1, -1)) * 4
        else:
            req = (b"GET /obj/%d.%s HTTP/1.1\r\nHost: www%d.report.test\r\nUser-Agent: bench/%d\r\n\r\n"
                   % (i, b"png" if i % 50 == 0 else b"txt", i % 40, i % 7))
            body = image if i % 50 == 0 else b"x" * (100 + i % 300)
            resp = (b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n"
                    % (b"image/png" if i % 50 == 0 else b"text/plain", len(body)) + body)
        pkt(c, s, cp, sp, cs, ss, 0x18, req)
        cs += len(req)
        if i % 100 == 5:
            cs += 500  # 500 client bytes never captured
            pkt(c, s, cp, sp, cs, ss, 0x18, b"after the gap\r\n")
            cs += 15
        pkt(s, c, sp, cp, ss, cs, 0x18, resp)
        ss += len(resp)
        pkt(c, s, cp, sp, cs, ss, 0x11)
        pkt(s, c, sp, cp, ss, cs + 1, 0x11)
        pkt(c, s, cp, sp, cs + 1, ss + 1, 0x10)
    f.close()


def timed_run(tcpfollow, pcap, out, extra):
    shutil.rmtree(out, ignore_errors=True)
    t = time.monotonic()
    subprocess.run([tcpfollow, "-q", "-r", pcap, "-o", out] + extra, check=True)
    return time.monotonic() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conns", type=int, default=100000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default="/dev/shm/report-bench")
    ap.add_argument("--tcpfollow", default=None)
    a = ap.parse_args()
    tcpfollow = a.tcpfollow or find("tools/tcpfollow")
    os.makedirs(a.dir, exist_ok=True)
    pcap = os.path.join(a.dir, "conns%d.pcap" % a.conns)
    if not os.path.exists(pcap):
        t = time.monotonic()
        write_capture(pcap, a.conns)
        print("capture: %s, %.1f MB, %d connections (%.0f s to build)"
              % (pcap, os.path.getsize(pcap) / 1e6, a.conns, time.monotonic() - t))
    out = os.path.join(a.dir, "out")
    # The run with and without the report, alternating; best of --repeat each.
    with_r, without = [], []
    for _ in range(a.repeat):
        without.append(timed_run(tcpfollow, pcap, out + "-nr", ["--no-report"]))
        with_r.append(timed_run(tcpfollow, pcap, out, []))
    shutil.rmtree(out + "-nr", ignore_errors=True)
    report = os.path.join(out, "report.html")
    size = os.path.getsize(report)
    flows = sum(1 for _ in open(os.path.join(out, "flows.jsonl")))
    print("tcpfollow run (wall, best of %d): %.2f s with the report, %.2f s with --no-report "
          "(the report: +%.2f s)" % (a.repeat, min(with_r), min(without), min(with_r) - min(without)))
    print("report.html: %.1f MB (%d bytes) for %d connections  target < 20 MB: %s"
          % (size / 1e6, size, flows, "PASS" if size < 20e6 else "MISS"))
    ready, loads, filters, tables = [], [], [], []
    url = "file://" + urllib.parse.quote(report)
    with webdriver.Browser() as b:
        for _ in range(a.repeat):
            b.get("about:blank")
            b.get(url)
            if not b.wait("return document.body && document.body.getAttribute('data-ready') === '1'", 60):
                raise SystemExit("report_bench: the page never finished its script")
            ready.append(int(b.script("return document.body.getAttribute('data-ready-ms')")))
            loads.append(b.script("var n = performance.getEntriesByType('navigation')[0];"
                                  " return Math.round(n.loadEventEnd)"))
            # The connections table (parsed and drawn when its section comes into view).
            t0 = b.script("var t = performance.now(); location.hash = '#connections'; return t")
            b.wait("return document.getElementById('t-flows').getAttribute('data-rendered') === '1'", 60)
            tables.append(b.script("return performance.now()") - t0)
            filters.append(b.script("""var q = document.querySelector('#t-flows input');
                var t = performance.now(); q.value = '198.18.1.7';
                q.dispatchEvent(new Event('input')); return t;"""))
            b.wait("return /filtered/.test(document.querySelector('#t-flows .info').textContent)", 30)
            filters[-1] = b.script("return performance.now()") - filters[-1] - 150  # minus the debounce
        errors = [m for m in b.logs("browser") if m.get("level") == "SEVERE"]
    print("Chromium (headless, median of %d): script done (interactive) %d ms after navigation start,"
          " load event %d ms  target < 2000 ms: %s" % (a.repeat, statistics.median(ready),
                                                       statistics.median(loads),
                                                       "PASS" if statistics.median(ready) < 2000 else "MISS"))
    print("connections table drawn %d ms after #connections is opened (includes WebDriver polling)"
          % statistics.median(tables))
    print("filter over all %d connections: %d ms; console errors: %d"
          % (flows, statistics.median(filters), len(errors)))


if __name__ == "__main__":
    main()
