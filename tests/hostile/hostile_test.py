#!/usr/bin/python3
"""Hostile input: a table of cases, each writing its own input at test time and asserting
what tcpfollow does with it.

Outcomes (issue 7): unusable input -> exit 1 with a single line on standard error naming
the problem. Anything else -> exit 0, the summary or the records show the relevant count
(a limit hit, a decode error, a gap, a partial transaction), no crash, no hang (timeout),
peak RSS under a stated bound, and an output directory holding only the six .jsonl logs,
streams/ and objects/, every file a regular file inside it, every log line JSON. Cases with
hostile file names also check that nothing was created anywhere else in the case's
directory tree or at the absolute path named.

Each run is a fresh child reaped with os.wait4, so its ru_maxrss is that run's own peak.
A case that shows a real bug keeps its assertion and is marked `known` with the reason: it
prints KNOWN FAILURE (not failing the test) while it fails, and FAIL once it passes so the
mark gets removed. Does not test live capture, TLS decryption itself or the protocols'
ordinary behaviour (their own suites do).
"""
import gzip
import re
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), ".."))
from testlib import tool_logs  # noqa: E402
from pcapgen import (ACK, ETH_IPV6, FIN, PSH, RST, SYN, Conn, Pcap, eth, ipv4, ipv6,  # noqa: E402
                     tcp)

TIMEOUT_S = 60
# Every log (tcpfollow --list-logs, filled in main) and these.
TOP_ENTRIES = {"streams", "objects", "report.html", "stats.json"}
OBJECT_NAME_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._+-")
MB = 1 << 20
MAX_RECORD_BYTES = 256 * 1024  # one JSON line; values in records are capped far below this
# Peak RSS for ordinary small inputs; the tool idles at a few MB.
SMALL_RSS_KB = 64 * 1024
CHECK_RSS = True  # off for sanitizer builds, whose shadow memory and quarantine dominate


class Failure(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Failure(what)


class Result:
    def __init__(self, rc, stdout, stderr, maxrss_kb, secs, out, case_dir):
        self.rc, self.stdout, self.stderr = rc, stdout, stderr
        self.maxrss_kb, self.secs, self.out, self.case_dir = maxrss_kb, secs, out, case_dir

    def log(self, name):
        path = os.path.join(self.out, name)
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(l) for l in f if l.strip()]


# A small process started before any input is generated: it spawns each tcpfollow run and
# reaps it with wait4. Linux keeps ru_maxrss across fork and execve, so a child forked from
# this (by then large) test process would report the test's own RSS instead of its own.
LAUNCHER_CODE = r"""
import json, os, resource, signal, subprocess, sys, time
for line in sys.stdin:
    j = json.loads(line)
    def limits(fsize=j.get("fsize"), nofile=j.get("nofile")):
        if fsize:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
        if nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    with open(j["stdout"], "wb") as so, open(j["stderr"], "wb") as se:
        start = time.monotonic()
        p = subprocess.Popen(j["argv"], cwd=j["cwd"], stdin=subprocess.DEVNULL, stdout=so,
                             stderr=se, env=j["env"], preexec_fn=limits)
        hung = False
        term_at = j.get("term_after")
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if term_at is not None and time.monotonic() - start > term_at:
                os.kill(p.pid, signal.SIGTERM)
                term_at = None
            if time.monotonic() - start > j["timeout"]:
                hung = True
                os.kill(p.pid, signal.SIGKILL)
            time.sleep(0.01)
    print(json.dumps({"rc": os.waitstatus_to_exitcode(status), "maxrss_kb": ru.ru_maxrss,
                      "hung": hung, "secs": time.monotonic() - start}), flush=True)
"""
_launcher = None


def launcher():
    global _launcher
    if _launcher is None:
        _launcher = subprocess.Popen(["/usr/bin/python3", "-c", LAUNCHER_CODE],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return _launcher


def run_tool(tool, case_dir, args, out=True, fsize=None, term_after=None, nofile=None):
    """Runs tcpfollow in case_dir/cwd with `args` (+ -o case_dir/a/b/out); returns Result.
    fsize: RLIMIT_FSIZE in bytes (writes past it fail, as on a full disk); term_after:
    seconds after which the run is sent SIGTERM; nofile: RLIMIT_NOFILE (open files)."""
    cwd = os.path.join(case_dir, "cwd")
    os.makedirs(cwd, exist_ok=True)
    outdir = os.path.join(case_dir, "a", "b", "out")
    argv = [tool] + list(args) + (["-o", outdir] if out else [])
    env = {k: v for k, v in os.environ.items() if k != "SSLKEYLOGFILE"}
    so, se = os.path.join(case_dir, "stdout"), os.path.join(case_dir, "stderr")
    l = launcher()
    l.stdin.write(json.dumps({"argv": argv, "cwd": cwd, "stdout": so, "stderr": se, "env": env,
                              "timeout": TIMEOUT_S, "fsize": fsize,
                              "term_after": term_after, "nofile": nofile}) + "\n")
    l.stdin.flush()
    j = json.loads(l.stdout.readline())
    with open(so, "rb") as f:
        stdout = f.read().decode("utf-8", "replace")
    with open(se, "rb") as f:
        stderr = f.read().decode("utf-8", "replace")
    if j["hung"]:
        raise Failure("hang: killed after %d s" % TIMEOUT_S)
    if j["rc"] < 0:
        raise Failure("crashed with signal %d; stderr: %s" % (-j["rc"], stderr[-500:]))
    return Result(j["rc"], stdout, stderr, j["maxrss_kb"], j["secs"], outdir, case_dir)


def check_unusable(r, *words):
    """Exit 1, exactly one line on stderr, naming the problem (every word present)."""
    lines = r.stderr.splitlines()
    expect(r.rc == 1, "exit %d, want 1; stderr: %r" % (r.rc, r.stderr[-300:]))
    expect(len(lines) == 1, "stderr has %d lines, want 1: %r" % (len(lines), r.stderr[-500:]))
    expect(lines[0].startswith("tcpfollow: "), "message not prefixed: %r" % lines[0])
    for w in words:
        expect(w.lower() in lines[0].lower(), "message does not name %r: %r" % (w, lines[0]))
    expect(not os.path.exists(os.path.join(r.out, "flows.jsonl")),
           "output logs written for unusable input")
    return "exit 1, one line: %s" % lines[0].replace(r.case_dir, "CASE")[:110]


def check_outdir(r):
    """The output directory holds only what it should, and every record parses."""
    expect(os.path.isdir(r.out), "no output directory")
    top = set(os.listdir(r.out))
    expect(top == TOP_ENTRIES, "top-level entries %s, want %s" % (sorted(top), sorted(TOP_ENTRIES)))
    if "stats.json" in top:
        with open(os.path.join(r.out, "stats.json")) as f:
            stats = json.load(f)
        expect(isinstance(stats.get("packets"), dict), "stats.json has no packets section")
    real_out = os.path.realpath(r.out)
    for root, dirs, files in os.walk(r.out):
        for n in dirs + files:
            p = os.path.join(root, n)
            expect(not os.path.islink(p), "symlink in output: %s" % p)
            expect(os.path.realpath(p).startswith(real_out + os.sep), "escapes output: %s" % p)
        for d in dirs:
            expect(os.path.join(root, d) in (os.path.join(r.out, "streams"),
                                              os.path.join(r.out, "objects")),
                   "unexpected directory %s" % os.path.join(root, d))
    for n in os.listdir(os.path.join(r.out, "objects")):
        expect(set(n) <= OBJECT_NAME_CHARS and not n.startswith("."),
               "unsanitised object name %r" % n)
    for n in TOP_ENTRIES:
        if not n.endswith(".jsonl"):
            continue
        with open(os.path.join(r.out, n), "rb") as f:
            data = f.read()
        expect(not data or data.endswith(b"\n"), "%s does not end with a newline" % n)
        for i, line in enumerate(data.split(b"\n")[:-1]):
            expect(len(line) <= MAX_RECORD_BYTES, "%s line %d is %d bytes: hostile input copied "
                   "into a record unbounded" % (n, i + 1, len(line)))
            try:
                json.loads(line)
            except ValueError as e:
                raise Failure("%s line %d is not JSON: %s" % (n, i + 1, e))
    for rec in r.log("files.jsonl"):
        p = os.path.join(r.out, rec["path"])
        expect(os.path.isfile(p) and os.path.realpath(p).startswith(real_out + os.sep),
               "files.jsonl path %r not a file inside the output" % rec["path"])
    listed = set()
    for rec in r.log("flows.jsonl"):
        for k, v in rec.get("files", {}).items():
            expect(os.path.isfile(os.path.join(r.out, v)), "flows.jsonl names missing %s" % v)
            listed.add(v)
    orphans = [n for n in os.listdir(os.path.join(r.out, "streams"))
               if os.path.join("streams", n) not in listed]
    expect(not orphans, "%d stream files no flows.jsonl record names, e.g. %s"
           % (len(orphans), orphans[:2]))


def check_case_tree(r, allowed_extra=()):
    """Nothing was created in the case directory outside the output dir (path traversal)."""
    found = []
    for root, dirs, files in os.walk(r.case_dir):
        if os.path.realpath(root).startswith(os.path.realpath(r.out)):
            continue
        for n in files:
            rel = os.path.relpath(os.path.join(root, n), r.case_dir)
            if rel not in ("stdout", "stderr") and not rel.startswith("in") and rel not in allowed_extra:
                found.append(rel)
        for d in dirs:
            rel = os.path.relpath(os.path.join(root, d), r.case_dir)
            if rel not in ("cwd", "a", "a/b", "a/b/out") and not rel.startswith("in"):
                found.append(rel + "/")
    expect(not found, "files created outside the output directory: %s" % found)


def check_processed(r, rss_kb=SMALL_RSS_KB):
    expect(r.rc == 0, "exit %d, want 0; stderr: %s" % (r.rc, r.stderr[-600:]))
    expect("tcpfollow:" in r.stderr and "packets" in r.stderr, "no summary on stderr")
    expect(not CHECK_RSS or r.maxrss_kb <= rss_kb,
           "peak RSS %d KB over the bound %d KB" % (r.maxrss_kb, rss_kb))
    check_outdir(r)
    check_case_tree(r)


def summary_count(r, label, line_start=""):
    """The number after `label` in the summary (e.g. 'truncated_ip') on the first line
    starting with `line_start` (after indentation) that has it, or 0."""
    for line in r.stderr.splitlines():
        if not line.strip().startswith(line_start):
            continue
        m = re.search(r"\b" + re.escape(label) + r" (\d+)", line)
        if m:
            return int(m.group(1))
    return 0


def pcap_of(path, write, linktype=1, snaplen=262144):
    p = Pcap(path, linktype, snaplen)
    write(p)
    p.close()
    return path


def http_conn(p, cport, request, response, mss=60000):
    c = Conn(p, cport, 80, mss=mss).handshake()
    c.send("c", request)
    if response is not None:
        c.send("s", response)
    c.close()
    return c


# ---------------------------------------------------------------------------------------
# Capture files
# ---------------------------------------------------------------------------------------

def one_http(p):
    http_conn(p, 40000, b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
              b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")


def case_foreign_file(tool, d):
    path = os.path.join(d, "in.png")
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + os.urandom(4000))
    return check_unusable(run_tool(tool, d, ["-r", path]), path)


def case_text_file(tool, d):
    path = os.path.join(d, "in.txt")
    with open(path, "w") as f:
        f.write("this is not a capture\n" * 100)
    return check_unusable(run_tool(tool, d, ["-r", path]), path)


def case_empty_file(tool, d):
    path = os.path.join(d, "in.pcap")
    open(path, "wb").close()
    return check_unusable(run_tool(tool, d, ["-r", path]), path)


def case_truncated_global_header(tool, d):
    path = os.path.join(d, "in.pcap")
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHi", 0xA1B2C3D4, 2, 4, 0))  # 12 of 24 bytes
    return check_unusable(run_tool(tool, d, ["-r", path]), path)


def case_missing_input(tool, d):
    path = os.path.join(d, "in-does-not-exist.pcap")
    return check_unusable(run_tool(tool, d, ["-r", path]), path)


def case_directory_as_input(tool, d):
    path = os.path.join(d, "in-dir")
    os.makedirs(path)
    return check_unusable(run_tool(tool, d, ["-r", path]), path)


def case_truncated_last_packet(tool, d):
    path = pcap_of(os.path.join(d, "in.pcap"), one_http)
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size - 30)  # the final ACK's record loses its tail
    r = run_tool(tool, d, ["-r", path])
    check_processed(r)
    expect("truncated" in r.stderr, "summary does not say the file is truncated")
    expect(len(r.log("http.jsonl")) == 1, "the HTTP transaction before the cut is lost")
    return "exit 0, summary says truncated, 1 HTTP record kept"


def case_absurd_caplen(tool, d):
    def write(p):
        one_http(p)
        p.raw(struct.pack("<IIII", 1_700_000_100, 0, 0xFFFFFFF0, 0xFFFFFFF0) + b"\x00" * 64)
    path = pcap_of(os.path.join(d, "in.pcap"), write)
    r = run_tool(tool, d, ["-q", "-r", path])
    msg = check_unusable_mid_file(r)
    return msg


def check_unusable_mid_file(r):
    """A record header that cannot be followed: damaged input is counted, not fatal (the
    spec): exit 0 with one line (-q) naming the offset and the problem, and what came
    before it is still written out, complete and parseable."""
    lines = r.stderr.splitlines()
    expect(r.rc == 0, "exit %d, want 0; stderr %r" % (r.rc, r.stderr[-300:]))
    expect(len(lines) == 1 and lines[0].startswith("tcpfollow: ") and " at byte " in lines[0],
           "want one tcpfollow: line naming the offset, got %r" % r.stderr[-500:])
    expect(not CHECK_RSS or r.maxrss_kb <= SMALL_RSS_KB, "peak RSS %d KB" % r.maxrss_kb)
    check_outdir(r)
    expect(len(r.log("http.jsonl")) == 1, "packets before the bad record were not processed")
    return "exit 0, one line (%s), earlier HTTP record kept" % lines[0].replace(r.case_dir, "CASE")


def case_zero_length_flood(tool, d):
    # 400000 empty records: must be counted quickly, not hang.
    def write(p):
        p.raw(struct.pack("<IIII", 1_700_000_000, 0, 0, 0) * 400000)
        one_http(p)
    path = pcap_of(os.path.join(d, "in.pcap"), write)
    r = run_tool(tool, d, ["-r", path])
    check_processed(r)
    n = summary_count(r, "truncated_link")
    expect(n == 400000, "truncated_link %d, want 400000" % n)
    expect(r.secs < 20, "took %.1f s" % r.secs)
    return "exit 0, 400000 zero-length records counted in %.1f s" % r.secs


def case_absurd_timestamps(tool, d):
    # Timestamps at 0, at 2^32-1 s, microseconds over 10^6 and going backwards inside one
    # connection: idle timeouts and durations must not misbehave.
    def write(p):
        c = Conn(p, 40002, 80)
        for ts, (dr, fl, data) in zip(
                (1_700_000_000.0, 4294967295.5, 0.0, 1_700_000_000.2, 12.0, 4294967295.9),
                (("c", SYN, b""), ("s", SYN | ACK, b""), ("c", ACK, b""),
                 ("c", PSH | ACK, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
                 ("s", PSH | ACK, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
                 ("c", FIN | ACK, b""))):
            p.packet(c._frame(dr, fl, data), ts=ts)
            c.seq[dr] += len(data) + (1 if fl & (SYN | FIN) else 0)
        p.raw(struct.pack("<IIII", 100, 5_000_000, 0, 0))  # usec out of range, empty
    path = pcap_of(os.path.join(d, "in.pcap"), write)
    r = run_tool(tool, d, ["-r", path])
    check_processed(r)
    recs = r.log("flows.jsonl") + r.log("http.jsonl")
    expect(recs, "no records")
    for rec in recs:
        expect(isinstance(rec["ts"], (int, float)) and rec["ts"] >= 0, "ts %r" % rec["ts"])
    return "exit 0, timestamps 0 .. 2^32-1 and backwards: %d records with sane ts" % len(recs)


def case_caplen_over_snaplen(tool, d):
    # Header snaplen 128 while records carry full 1500-byte frames: libpcap reads them
    # (caplen is below its own maximum); tcpfollow must decode them normally.
    path = pcap_of(os.path.join(d, "in.pcap"), one_http, snaplen=128)
    r = run_tool(tool, d, ["-r", path])
    check_processed(r)
    expect(len(r.log("http.jsonl")) == 1, "HTTP transaction lost")
    return "exit 0, records above the header snaplen decoded (1 HTTP record)"


def case_origlen_lies(tool, d):
    # origlen smaller than caplen, and origlen huge: neither may change what is decoded.
    def write(p):
        c = Conn(p, 40001, 80).handshake()
        c.p.packet(c._frame("c", PSH | ACK, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), origlen=1)
        c.seq["c"] += 28
        c.p.packet(c._frame("s", PSH | ACK, b"HTTP/1.1 204 No Content\r\n\r\n"), origlen=0xFFFFFFFF)
        c.seq["s"] += 27
        c.close()
    path = pcap_of(os.path.join(d, "in.pcap"), write)
    r = run_tool(tool, d, ["-r", path])
    check_processed(r)
    expect(len(r.log("http.jsonl")) == 1, "HTTP transaction lost")
    return "exit 0, lying original lengths ignored (1 HTTP record)"


def case_pcapng_bad_block(tool, d):
    # A section header block whose length is absurd.
    path = os.path.join(d, "in.pcapng")
    with open(path, "wb") as f:
        f.write(struct.pack("<II", 0x0A0D0D0A, 0xFFFFFFF0) + struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    return check_unusable(run_tool(tool, d, ["-r", path]), path)


def case_unknown_linktype(tool, d):
    path = pcap_of(os.path.join(d, "in.pcap"), one_http, linktype=147)  # USER0
    r = run_tool(tool, d, ["-r", path])
    check_processed(r)
    n = summary_count(r, "unsupported_link")
    expect(n > 0, "no unsupported_link count in the summary")
    return "exit 0, unsupported_link %d counted" % n


# ---------------------------------------------------------------------------------------
# Packets: runts and lying headers
# ---------------------------------------------------------------------------------------

def case_zero_length_and_runts(tool, d):
    good = eth(ipv4("10.0.0.1", "10.0.0.2", tcp(1, 2, 0, 0, SYN)))
    def write(p):
        for n in range(0, len(good)):
            p.packet(good[:n])  # 0 .. 53 bytes: every prefix of a SYN
        for n in range(0, 20):  # consistent IP lengths around 0 .. 19 bytes of TCP header
            p.packet(eth(ipv4("10.0.0.1", "10.0.0.2", tcp(1, 2, 0, 0, SYN)[:n])))
        one_http(p)
    path = pcap_of(os.path.join(d, "in.pcap"), write)
    r = run_tool(tool, d, ["-r", path])
    check_processed(r)
    tl, ti, tt = (summary_count(r, k) for k in ("truncated_link", "truncated_ip", "truncated_tcp"))
    expect(tl == 14 and ti == 40 and tt == 20, "counts: truncated_link %d, truncated_ip %d, "
           "truncated_tcp %d" % (tl, ti, tt))
    expect(len(r.log("http.jsonl")) == 1, "the good connection after the runts was lost")
    return "exit 0, 54 prefixes + 20 short TCP counted (link %d, ip %d, tcp %d), good flow kept" % (
        tl, ti, tt)


def lying_ip(tool, d, frames, label, desc):
    def write(p):
        for f in frames:
            p.packet(f)
        one_http(p)
    path = pcap_of(os.path.join(d, "in.pcap"), write)
    r = run_tool(tool, d, ["-r", path])
    check_processed(r)
    n = summary_count(r, label)
    expect(n == len(frames), "%s %d in the summary, want %d" % (label, n, len(frames)))
    expect(len(r.log("http.jsonl")) == 1, "the good connection was lost")
    return "exit 0, %s: %s %d" % (desc, label, n)


def case_ipv4_total_length_too_big(tool, d):
    seg = tcp(1234, 80, 1, 0, PSH | ACK, b"x" * 100)
    frames = [eth(ipv4("10.0.0.9", "10.0.0.2", seg, total_len=tl)) for tl in (200, 1500, 65535)]
    return lying_ip(tool, d, frames, "truncated_ip", "total length beyond the bytes")


def case_ipv4_total_length_too_small(tool, d):
    seg = tcp(1234, 80, 1, 0, PSH | ACK, b"x" * 100)
    # (0 is not here: it means segmentation offload and is read as "to the end".)
    frames = [eth(ipv4("10.0.0.9", "10.0.0.2", seg, total_len=tl)) for tl in (1, 10, 19)]
    return lying_ip(tool, d, frames, "bad_ip_total_length", "total length 1..19")


def case_ipv4_ihl_too_small(tool, d):
    seg = tcp(1234, 80, 1, 0, PSH | ACK, b"x" * 10)
    frames = [eth(ipv4("10.0.0.9", "10.0.0.2", seg, ihl=i)) for i in (0, 1, 4)]
    return lying_ip(tool, d, frames, "bad_ip_header_length", "IHL < 5")


def case_tcp_data_offset_lies(tool, d):
    frames = [eth(ipv4("10.0.0.9", "10.0.0.2", tcp(1234, 80, 1, 0, PSH | ACK, b"abc",
                                                    data_offset=0)[:20] + b"abc")),
              eth(ipv4("10.0.0.9", "10.0.0.2", tcp(1234, 80, 1, 0, PSH | ACK)[:12] +
                       bytes([0xF0]) + tcp(1234, 80, 1, 0, PSH | ACK)[13:]))]
    return lying_ip(tool, d, frames, "bad_tcp_header_length", "data offset 0 and 15 on 20 bytes")


def case_ipv6_payload_length_lies(tool, d):
    seg = tcp(1234, 80, 1, 0, PSH | ACK, b"y" * 50)
    frames = [eth(ipv6(9, 2, seg, payload_len=pl), ETH_IPV6) for pl in (500, 65535)]
    return lying_ip(tool, d, frames, "truncated_ip", "IPv6 payload length beyond the bytes")


def case_ipv6_ext_chain_long(tool, d):
    # 1000 destination-options headers (8 bytes each) before TCP: the chain walk must stop.
    seg = tcp(1234, 80, 1, 0, PSH | ACK, b"z")
    chain = b""
    n = 1000
    for i in range(n):
        chain += bytes([60 if i + 1 < n else 6, 0]) + b"\x01\x04\x00\x00\x00\x00"
    frames = [eth(ipv6(9, 2, chain + seg, nh=60), ETH_IPV6)]
    return lying_ip(tool, d, frames, "ipv6_ext_header_chain", "1000 chained extension headers")


def case_ipv6_ext_past_end(tool, d):
    # Hop-by-hop header claiming 2048 bytes in a 40-byte payload, and a routing header cut.
    frames = [eth(ipv6(9, 2, bytes([6, 255]) + b"\x00" * 38, nh=0), ETH_IPV6),
              eth(ipv6(9, 2, bytes([43, 0, 0, 0]), nh=60), ETH_IPV6)]
    return lying_ip(tool, d, frames, "ipv6_ext_header_chain", "extension headers past the end")


# ---------------------------------------------------------------------------------------
# Fragments
# ---------------------------------------------------------------------------------------

def frag4(ident, off_bytes, mf, data, src="10.0.0.9"):
    ff = (0x2000 if mf else 0) | (off_bytes // 8)
    return eth(ipv4(src, "10.0.0.2", data, ident=ident, flags_frag=ff))


def run_frag_case(tool, d, frames, args, counters, rss_kb=SMALL_RSS_KB):
    def write(p):
        for f in frames:
            p.packet(f)
        one_http(p)
    path = pcap_of(os.path.join(d, "in.pcap"), write)
    r = run_tool(tool, d, ["-r", path] + args)
    check_processed(r, rss_kb)
    got = {k: summary_count(r, k, "IP fragments") for k in counters}
    for k, want in counters.items():
        expect(got[k] >= want, "%s %d in the summary, want >= %d" % (k, got[k], want))
    expect(len(r.log("http.jsonl")) == 1, "the good connection was lost")
    return got, r


def case_fragment_flood(tool, d):
    # 30000 first fragments of distinct datagrams, never completed, 1 KB each (30 MB).
    frames = [frag4(i, 0, True, b"\x00" * 1024, src="10.1.%d.%d" % (i >> 8 & 255, i & 255))
              for i in range(30000)]
    got, r = run_frag_case(tool, d, frames, ["--max-frag-datagrams", "1000",
                                             "--max-frag-bytes", "4m"], {"evicted": 25000})
    return "exit 0, 30000 open datagrams: evicted %d, peak RSS %d MB" % (got["evicted"],
                                                                        r.maxrss_kb // 1024)


def case_fragment_bytes_flood(tool, d):
    # Few datagrams, each with many large fragments: the byte cap must bite.
    frames = []
    for ident in range(40):
        for k in range(60):
            frames.append(frag4(ident, k * 1000, True, b"\x11" * 1000))
    got, r = run_frag_case(tool, d, frames, ["--max-frag-bytes", "1m"], {"evicted": 1})
    return "exit 0, 2.4 MB of fragments under --max-frag-bytes 1m: evicted %d" % got["evicted"]


def case_fragments_per_datagram(tool, d):
    frames = [frag4(7, k * 8, True, b"\x22" * 8) for k in range(5000)]
    got, r = run_frag_case(tool, d, frames, ["--max-frags-per-datagram", "16"],
                           {"too_many_fragments": 1})
    return "exit 0, 5000 fragments of one datagram: too_many_fragments %d" % got["too_many_fragments"]


def case_oversize_fragment(tool, d):
    # Last fragment at offset 65528 with 100 bytes: the datagram would exceed 65535.
    frames = [frag4(9, 0, True, b"\x33" * 64), frag4(9, 65528, False, b"\x33" * 100),
              frag4(10, 65000, False, b"\x44" * 1000)]
    got, r = run_frag_case(tool, d, frames, [], {"oversize": 2})
    return "exit 0, fragments past 65535 bytes: oversize %d" % got["oversize"]


def case_teardrop(tool, d):
    # Classic teardrop: the second fragment lies inside the first, ending before it.
    tcp_hdr = tcp(1234, 80, 1, 0, PSH | ACK, b"")
    frames = []
    for ident in range(100, 150):
        frames.append(frag4(ident, 0, True, tcp_hdr + b"A" * 36))
        frames.append(frag4(ident, 24, False, b"B" * 4))
        frames.append(frag4(ident, 8, True, b"C" * 16))
    got, r = run_frag_case(tool, d, frames, ["--frag-policy", "last"],
                           {"overlap_different_data": 50})
    return "exit 0, 50 teardrop datagrams: overlap_different_data %d" % got["overlap_different_data"]


def case_ipv6_fragment_flood(tool, d):
    frames = []
    for i in range(20000):
        fh = struct.pack("!BBHI", 6, 0, 1, i)  # offset 0, M=1
        frames.append(eth(ipv6(9, 2, fh + b"\x00" * 512, nh=44), ETH_IPV6))
    got, r = run_frag_case(tool, d, frames, ["--max-frag-datagrams", "500"], {"evicted": 19000})
    return "exit 0, 20000 open IPv6 datagrams: evicted %d" % got["evicted"]


# ---------------------------------------------------------------------------------------
# TCP
# ---------------------------------------------------------------------------------------

def case_syn_flood(tool, d):
    def write(p):
        for i in range(30000):
            src = "10.2.%d.%d" % (i >> 8 & 255, i & 255)
            p.packet(eth(ipv4(src, "10.0.0.2", tcp(1024 + i % 60000, 80, i * 7919, 0, SYN))),
                     step=0.0001)
        one_http(p)
    path = pcap_of(os.path.join(d, "in.pcap"), write)
    r = run_tool(tool, d, ["-r", path, "--max-flows", "1000"])
    check_processed(r)
    import re
    m = re.search(r"evicted (\d+)", r.stderr)
    ev = int(m.group(1)) if m else 0
    expect(ev >= 28000, "evicted %d connections, want >= 28000 under --max-flows 1000" % ev)
    flows = r.log("flows.jsonl")
    expect(len(flows) == 30001, "flows.jsonl has %d records, want 30001" % len(flows))
    expect(len(r.log("http.jsonl")) == 1, "the good connection was lost")
    return "exit 0, 30000 SYNs under --max-flows 1000: evicted %d, %d flow records" % (ev, len(flows))


def case_out_of_order_flood(tool, d):
    # The first 1000 bytes never arrive; 40 MB follow out of order. --max-flow-buffer 256k
    # forces a gap instead of holding everything.
    def write(p):
        c = Conn(p, 40100, 80).handshake()
        c.send("c", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        base = c.seq["c"] + 1000
        chunk = b"\x55" * 60000
        for k in range(700):
            c.segment_at("c", base + k * 60000, chunk)
        c.seq["c"] = base + 700 * 60000
        c.close()
    path = pcap_of(os.path.join(d, "in.pcap"), write)
    r = run_tool(tool, d, ["-r", path, "--max-flow-buffer", "256k", "--max-total-buffer", "1m"])
    check_processed(r, rss_kb=96 * 1024)
    flows = r.log("flows.jsonl")
    expect(len(flows) == 1, "want 1 flow, got %d" % len(flows))
    missed = flows[0]["orig_missed_bytes"]
    expect(missed == 1000, "orig_missed_bytes %d, want 1000" % missed)
    expect(flows[0]["orig_bytes"] == 27 + 700 * 60000, "orig_bytes %d: bytes after the gap lost"
           % flows[0]["orig_bytes"])
    expect(summary_count(r, "gaps") >= 1, "no gap in the summary")
    return "exit 0, 42 MB out of order under a 256 KB buffer: missed %d, peak RSS %d MB" % (
        missed, r.maxrss_kb // 1024)


def case_total_buffer_flood(tool, d):
    # 200 connections each holding 200 KB out of order: --max-total-buffer 2m must bite.
    def write(p):
        conns = [Conn(p, 41000 + i, 80, client="10.3.0.%d" % (i % 250 + 1)).handshake()
                 for i in range(200)]
        for c in conns:
            base = c.seq["c"] + 10
            for k in range(4):
                c.segment_at("c", base + k * 50000, b"\x66" * 50000)
        one_http(p)
    path = pcap_of(os.path.join(d, "in.pcap"), write)
    r = run_tool(tool, d, ["-r", path, "--max-total-buffer", "2m"])
    check_processed(r, rss_kb=96 * 1024)
    gaps = summary_count(r, "gaps")
    expect(gaps >= 150, "gaps %d, want most of 200 connections to declare one" % gaps)
    return "exit 0, 40 MB held across 200 flows under 2 MB total: gaps %d, RSS %d MB" % (
        gaps, r.maxrss_kb // 1024)


def case_huge_sequence_jump(tool, d):
    def write(p):
        c = Conn(p, 40200, 80).handshake()
        c.send("c", b"GET /1 HTTP/1.1\r\nHost: x\r\n\r\n")
        s = c.seq["c"]
        # Far ahead and far behind, none overlapping the next expected byte.
        for jump in (0x7FFFFFFF, 0x80000000, 0x40000000, 0xC0000000, 3_000_000_000):
            c.segment_at("c", s + jump, b"J" * 1000)
        c.send("s", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        c.send("c", b"GET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
        c.send("s", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        c.close()
    path = pcap_of(os.path.join(d, "in.pcap"), write)
    r = run_tool(tool, d, ["-r", path])
    check_processed(r)
    uris = [h.get("uri") for h in r.log("http.jsonl")]
    expect(uris == ["/1", "/2"], "HTTP requests %s, want ['/1', '/2']: the data after the "
           "jumps was lost" % uris)
    return "exit 0, sequence jumps of +-2^30..2^31: both requests parsed, RSS %d MB" % (
        r.maxrss_kb // 1024)


def case_rst_and_fin_storm(tool, d):
    # Data, then RSTs/FINs with wild sequence numbers and SYNs mid-connection.
    def write(p):
        c = Conn(p, 40300, 80).handshake()
        c.send("c", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        for k in range(2000):
            fl = (RST, FIN | ACK, SYN, SYN | ACK | FIN | RST)[k % 4]
            p.packet(c._frame("c" if k % 2 else "s", fl, b"", seq=k * 2654435761))
        c.send("s", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        c.close()
    path = pcap_of(os.path.join(d, "in.pcap"), write)
    r = run_tool(tool, d, ["-r", path])
    check_processed(r)
    flows = r.log("flows.jsonl")
    expect(len(flows) >= 1, "no flow record")
    expect([h.get("uri") for h in r.log("http.jsonl")][:1] == ["/"], "the request was lost")
    return "exit 0, 2000 control segments with wild sequence numbers: %d flow records" % len(flows)


# ---------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------

def http_run(tool, d, write, args=(), rss_kb=SMALL_RSS_KB):
    path = pcap_of(os.path.join(d, "in.pcap"), write)
    r = run_tool(tool, d, ["-r", path] + list(args))
    check_processed(r, rss_kb)
    return r


def anomalies(r):
    out = []
    for rec in r.log("http.jsonl"):
        out += rec.get("anomalies", [])
    return out


def case_http_20mb_header_line(tool, d):
    line = b"X-Big: " + b"a" * (20 * MB) + b"\r\n"
    r = http_run(tool, d, lambda p: http_conn(
        p, 40400, b"GET / HTTP/1.1\r\nHost: x\r\n" + line + b"\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), rss_kb=96 * 1024)
    a = anomalies(r)
    expect(any(x.endswith("head_too_large") for x in a), "no head_too_large anomaly: %s" % a)
    return "exit 0, 20 MB header line: head_too_large, peak RSS %d MB" % (r.maxrss_kb // 1024)


def case_http_20mb_request_line(tool, d):
    r = http_run(tool, d, lambda p: http_conn(
        p, 40401, b"GET /" + b"b" * (20 * MB) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        b"HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n"), rss_kb=96 * 1024)
    # A request line that never ends within the detection window is not taken for HTTP;
    # either way the bytes are kept in the stream and any record must flag the limit.
    a = anomalies(r)
    http = r.log("http.jsonl")
    expect(not http or any(x.endswith("head_too_large") for x in a),
           "HTTP record without a head_too_large anomaly: %s" % a)
    flows = r.log("flows.jsonl")
    expect(flows and flows[0]["orig_bytes"] > 20 * MB, "stream bytes lost")
    return "exit 0, 20 MB request line: %d HTTP records, %d MB in the stream, RSS %d MB" % (
        len(http), flows[0]["orig_bytes"] // MB, r.maxrss_kb // 1024)


def case_http_chunk_size_overflow(tool, d):
    resp = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"FFFFFFFFFFFFFFFFFFFFFFFF\r\n" + b"x" * 100 + b"\r\n0\r\n\r\n")
    r = http_run(tool, d, lambda p: http_conn(p, 40402, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", resp))
    a = anomalies(r)
    http = r.log("http.jsonl")
    expect(any(x.endswith("chunk_size_overflow") for x in a),
           "no chunk_size_overflow anomaly: %s" % a)
    expect(http and http[0]["partial"], "transaction not marked partial")
    return "exit 0, 24-digit chunk size: chunk_size_overflow, partial transaction"


def case_http_chunk_size_2_63(tool, d):
    # 15 hex digits is the cap; 0x7FFFFFFFFFFFFFF then an early end: must not allocate it.
    resp = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"7FFFFFFFFFFFFFF\r\n" + b"y" * 5000)
    r = http_run(tool, d, lambda p: http_conn(p, 40403, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", resp))
    http = r.log("http.jsonl")
    expect(http and http[0]["partial"], "transaction not marked partial")
    files = r.log("files.jsonl")
    expect(files and files[0]["size"] == 5000, "object size %s, want the 5000 bytes sent" %
           [f["size"] for f in files])
    return "exit 0, 2^59-byte chunk cut short: partial, object holds the 5000 bytes sent"


def gzip_bomb(size):
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\x00" * MB
    parts = [co.compress(block) for _ in range(size // MB)]
    parts.append(co.flush())
    return b"".join(parts)


def case_http_gzip_bomb(tool, d):
    body = gzip_bomb(256 * MB)  # ~250 KB
    resp = (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body)
            + body)
    r = http_run(tool, d, lambda p: http_conn(p, 40404, b"GET /bomb HTTP/1.1\r\nHost: x\r\n\r\n",
                                              resp), rss_kb=128 * 1024)
    http = r.log("http.jsonl")
    files = r.log("files.jsonl")
    expect(http and http[0]["decompression_limited"], "decompression_limited not set")
    expect(files and files[0]["size"] <= 64 * MB, "object of %s bytes" % [f["size"] for f in files])
    return "exit 0, 256 MB gzip bomb (%d KB): decompression_limited, object %d MB, RSS %d MB" % (
        len(body) // 1024, files[0]["size"] // MB, r.maxrss_kb // 1024)


def case_http_nested_gzip_bomb(tool, d):
    inner = gzip_bomb(1024 * MB)  # 1 GB of zeros -> ~1 MB
    body = gzip.compress(inner, 9)  # -> a few KB
    resp = (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
            + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
    r = http_run(tool, d, lambda p: http_conn(p, 40405, b"GET /bomb2 HTTP/1.1\r\nHost: x\r\n\r\n",
                                              resp), rss_kb=128 * 1024)
    http = r.log("http.jsonl")
    files = r.log("files.jsonl")
    expect(http and http[0]["decompression_limited"], "decompression_limited not set")
    expect(files and files[0]["size"] <= 64 * MB, "object too big")
    return "exit 0, gzip-in-gzip bomb (%d bytes for 1 GB): decompression_limited, RSS %d MB" % (
        len(body), r.maxrss_kb // 1024)


def case_http_brotli_bomb(tool, d):
    try:
        import brotli
    except ImportError:
        return "SKIP: python3 brotli module missing"
    body = brotli.compress(b"\x00" * (256 * MB), quality=5)
    resp = (b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: %d\r\n\r\n" % len(body)
            + body)
    r = http_run(tool, d, lambda p: http_conn(p, 40406, b"GET /br HTTP/1.1\r\nHost: x\r\n\r\n",
                                              resp), rss_kb=128 * 1024)
    http = r.log("http.jsonl")
    expect(http and http[0]["decompression_limited"], "decompression_limited not set")
    return "exit 0, brotli bomb (%d bytes for 256 MB): decompression_limited" % len(body)


def case_http_corrupt_gzip(tool, d):
    good = gzip.compress(os.urandom(3000) * 4)
    body = good[:200] + bytes(b ^ 0x5A for b in good[200:400]) + good[400:]
    resp = (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(body)
            + body)
    r = http_run(tool, d, lambda p: http_conn(p, 40407, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", resp))
    a = anomalies(r)
    expect(any(x.endswith("content_decoding_error") for x in a),
           "no content_decoding_error: %s" % a)
    return "exit 0, corrupt gzip body: content_decoding_error"


# Objects land in CASE/a/b/out/objects: "../../../../pwned_rel" would be CASE/pwned_rel and
# "%s" is replaced by CASE, so every escape lands where check_case_tree looks.
TRAVERSAL_NAMES = ["../../../../pwned_rel", "..", "%s/pwned_abs", "a\x00b/../../pwned_nul",
                   "..\\..\\pwned_win", "./.hidden", "x/" * 200 + "deep"]


def traversal_check(r, source, min_objects):
    check_case_tree(r)
    expect(not os.path.exists(os.path.join(r.case_dir, "pwned_abs")), "absolute path was used")
    files = [f for f in r.log("files.jsonl") if f["source"] == source]
    expect(len(files) >= min_objects, "%d %s objects, want >= %d" % (len(files), source, min_objects))
    for f in files:
        n = os.path.basename(f["path"])
        expect(f["path"] == "objects/" + n, "object path %r" % f["path"])
    # The hostile names must have reached the naming code, or this case proves nothing.
    hostile = [f for f in files if ".." in f.get("name", "") or f.get("name", "").startswith("/")]
    expect(len(hostile) >= 3, "only %d objects carry the hostile names: %s" % (
        len(hostile), [f.get("name") for f in files]))
    return len(files)


def case_http_range_flood(tool, d):
    """1500 resources in 206 pieces (more than the 1024 tracked at once), run with 256 open
    files allowed; a range at offset 10^12 and one naming another total."""
    n = 1500

    def write(p):
        c = Conn(p, 40420, 80).handshake()
        for i in range(n):
            c.send("c", b"GET /r%d HTTP/1.1\r\nHost: x\r\n\r\n" % i)
            c.send("s", b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-3/8\r\n"
                        b"Content-Length: 4\r\n\r\nabcd")
        c.send("c", b"GET /far HTTP/1.1\r\nHost: x\r\n\r\n")
        c.send("s", b"HTTP/1.1 206 Partial Content\r\n"
                    b"Content-Range: bytes 1000000000000-1000000000003/*\r\n"
                    b"Content-Length: 4\r\n\r\nfar!")
        c.send("c", b"GET /r%d HTTP/1.1\r\nHost: x\r\n\r\n" % (n - 1))  # still tracked
        c.send("s", b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 4-7/9\r\n"
                    b"Content-Length: 4\r\n\r\nefgh")
        c.close()

    path = pcap_of(os.path.join(d, "in.pcap"), write)
    r = run_tool(tool, d, ["-r", path], nofile=256)
    check_processed(r)
    with open(os.path.join(r.out, "stats.json")) as f:
        out = json.load(f)["output"]
    ranges = out["ranges"]
    files = r.log("files.jsonl")
    expect(out["write_errors"] == 0, "write errors: %d" % out["write_errors"])
    expect(ranges["resources"] == n + 1 and ranges["evicted"] == n + 1 - 1024,
           "resources/evicted: %s" % ranges)
    expect(ranges["dropped_bytes"] == 8 and ranges["total_mismatches"] == 1,
           "dropped/mismatch: %s" % ranges)
    expect(len(files) == n + 1 and all(f.get("stitched") and not f["complete"] for f in files),
           "%d records" % len(files))
    far = [f for f in files if f.get("name") == "far"]
    expect(far and far[0]["size"] == 0, "far range stored: %s" % far)
    expect(len(os.listdir(os.path.join(r.out, "objects"))) == n + 1, "object files")
    return ("exit 0, %d resources with 256 open files allowed: %d evicted, %d dropped bytes, "
            "no write errors, RSS %d MB" % (ranges["resources"], ranges["evicted"],
                                            ranges["dropped_bytes"], r.maxrss_kb // 1024))


def case_http_traversal_names(tool, d):
    names = [n.replace("%s", d) for n in TRAVERSAL_NAMES]

    def write(p):
        port = 40500
        for n in names:  # Content-Disposition filenames
            q = n.replace("\\", "\\\\").replace('"', '\\"').encode("latin-1")
            http_conn(p, port, b"GET /d HTTP/1.1\r\nHost: x\r\n\r\n",
                      b"HTTP/1.1 200 OK\r\nContent-Disposition: attachment; filename=\"" + q +
                      b"\"\r\nContent-Length: 3\r\n\r\nabc")
            port += 1
        for n in names:  # URI basenames, raw and percent-encoded
            for uri in (n.replace("\x00", "%00"), n.replace("/", "%2f").replace("\x00", "%00")):
                http_conn(p, port, b"GET /" + uri.encode("latin-1") + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                          b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nxyz")
                port += 1
    r = http_run(tool, d, write)
    n = traversal_check(r, "http", len(names))
    return "exit 0, %d HTTP objects with hostile names all in objects/, sanitised" % n


# ---------------------------------------------------------------------------------------
# SMTP
# ---------------------------------------------------------------------------------------

def smtp_session(p, cport, message, end_data=True, close=True):
    c = Conn(p, cport, 25).handshake()
    c.send("s", b"220 mx ESMTP\r\n")
    for cmd, rep in ((b"EHLO client\r\n", b"250 mx\r\n"), (b"MAIL FROM:<a@x>\r\n", b"250 ok\r\n"),
                     (b"RCPT TO:<b@y>\r\n", b"250 ok\r\n"), (b"DATA\r\n", b"354 go\r\n")):
        c.send("c", cmd)
        c.send("s", rep)
    c.send("c", message)
    if end_data:
        c.send("c", b"\r\n.\r\n")
        c.send("s", b"250 queued\r\n")
        c.send("c", b"QUIT\r\n")
        c.send("s", b"221 bye\r\n")
    if close:
        c.close()
    return c


def case_smtp_endless_command_line(tool, d):
    def write(p):
        c = Conn(p, 40600, 25).handshake()
        c.send("s", b"220 mx ESMTP\r\n")
        c.send("c", b"EHLO " + b"h" * (30 * MB))
        c.close()
    r = http_run(tool, d, write, rss_kb=96 * 1024)
    flows = r.log("flows.jsonl")
    expect(flows and flows[0]["orig_bytes"] == 5 + 30 * MB, "stream lost bytes")
    expect(flows[0].get("service") == "smtp", "not taken for SMTP")
    return "exit 0, 30 MB SMTP command line without newline, RSS %d MB" % (r.maxrss_kb // 1024)


def case_smtp_endless_reply_line(tool, d):
    def write(p):
        c = Conn(p, 40601, 25).handshake()
        c.send("s", b"220 " + b"r" * (20 * MB))
        c.send("c", b"EHLO x\r\n")
        c.close()
    r = http_run(tool, d, write, rss_kb=96 * 1024)
    flows = r.log("flows.jsonl")
    expect(flows and flows[0]["resp_bytes"] == 4 + 20 * MB, "stream lost bytes")
    return "exit 0, 20 MB SMTP reply line kept in the stream, RSS %d MB" % (r.maxrss_kb // 1024)


def case_smtp_unterminated_data(tool, d):
    msg = b"Subject: never ends\r\n\r\n" + b"line of mail\r\n" * 10000
    r = http_run(tool, d, lambda p: smtp_session(p, 40602, msg, end_data=False))
    smtp = r.log("smtp.jsonl")
    expect(len(smtp) == 1, "%d smtp records, want 1" % len(smtp))
    expect(smtp[0].get("partial") is True, "unterminated DATA not marked partial: %s" % smtp[0])
    return "exit 0, DATA without the final dot: 1 partial SMTP record"


def case_smtp_huge_data(tool, d):
    # A 48 MB message: above MIME's 32 MB cap, written as .eml but not parsed.
    msg = b"Subject: big\r\n\r\n" + (b"z" * 998 + b"\r\n") * (48 * 1024)
    r = http_run(tool, d, lambda p: smtp_session(p, 40603, msg), rss_kb=160 * 1024)
    smtp = r.log("smtp.jsonl")
    expect(len(smtp) == 1, "%d smtp records" % len(smtp))
    return "exit 0, 48 MB mail message: 1 record, peak RSS %d MB" % (r.maxrss_kb // 1024)


def concurrent_data(p, sessions, mb_each):
    """`sessions` SMTP connections in DATA at once, their message lines interleaved."""
    conns = []
    for i in range(sessions):
        c = Conn(p, 41000 + i, 25, client="10.4.0.%d" % (i + 1)).handshake()
        c.send("s", b"220 mx ESMTP\r\n")
        for cmd, rep in ((b"EHLO c\r\n", b"250 mx\r\n"), (b"MAIL FROM:<a@x>\r\n", b"250 ok\r\n"),
                         (b"RCPT TO:<b@y>\r\n", b"250 ok\r\n"), (b"DATA\r\n", b"354 go\r\n")):
            c.send("c", cmd)
            c.send("s", rep)
        c.send("c", b"Subject: s\r\n\r\n")
        conns.append(c)
    block = (b"z" * 998 + b"\r\n") * 60
    for _ in range(mb_each * 1024 // 60):
        for c in conns:
            c.send("c", block)
    for c in conns:
        c.send("c", b".\r\n")
        c.send("s", b"250 ok\r\n")
        c.close()


def case_smtp_concurrent_data(tool, d):
    # The same 16 MB message in 1 session, then in 8 sessions at once: memory held for
    # messages in DATA must have a total cap, not grow with the number of sessions.
    rss = {}
    for n in (1, 8):
        sub = os.path.join(d, "in-%d" % n)
        os.makedirs(sub)
        path = pcap_of(os.path.join(sub, "in.pcap"), lambda p: concurrent_data(p, n, 16))
        r = run_tool(tool, d, ["-r", path])
        check_processed(r, rss_kb=1 << 30)
        expect(len(r.log("smtp.jsonl")) == n, "%d smtp records, want %d" % (
            len(r.log("smtp.jsonl")), n))
        rss[n] = r.maxrss_kb // 1024
        os.remove(path)
        shutil.rmtree(r.out)
    expect(not CHECK_RSS or rss[8] - rss[1] <= 64, "peak RSS %d MB with 1 session, %d MB with 8: "
           "grows by %d MB" % (rss[1], rss[8], rss[8] - rss[1]))
    return "exit 0, 8 x 16 MB messages in DATA at once: RSS %d MB vs %d MB for one" % (
        rss[8], rss[1])


def case_smtp_traversal_names(tool, d):
    names = [n.replace("%s", d) for n in TRAVERSAL_NAMES]
    parts = []
    for i, n in enumerate(names):
        q = n.replace("\\", "\\\\").replace('"', '\\"').encode("latin-1")
        parts.append(b"--BOUND\r\nContent-Type: application/octet-stream\r\n"
                     b"Content-Disposition: attachment; filename=\"" + q + b"\"\r\n"
                     b"Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n")
    msg = (b"From: a@x\r\nTo: b@y\r\nSubject: names\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"BOUND\"\r\n\r\n" + b"".join(parts) +
           b"--BOUND--\r\n")
    r = http_run(tool, d, lambda p: smtp_session(p, 40604, msg))
    n = traversal_check(r, "smtp", len(names))
    return "exit 0, %d SMTP objects (message + attachments with hostile names), sanitised" % n


# ---------------------------------------------------------------------------------------
# FTP
# ---------------------------------------------------------------------------------------

def case_ftp_traversal_names(tool, d):
    names = [n.replace("%s", d) for n in TRAVERSAL_NAMES]

    def write(p):
        ctl = Conn(p, 40700, 21).handshake()
        ctl.send("s", b"220 ftp\r\n")
        for cmd, rep in ((b"USER u\r\n", b"331 pw\r\n"), (b"PASS p\r\n", b"230 in\r\n"),
                         (b"TYPE I\r\n", b"200 ok\r\n")):
            ctl.send("c", cmd)
            ctl.send("s", rep)
        for i, n in enumerate(names):
            dport = 50000 + i
            ctl.send("c", b"PASV\r\n")
            ctl.send("s", b"227 Entering Passive Mode (10,0,0,2,%d,%d)\r\n" % (dport >> 8, dport & 255))
            verb = b"RETR " if i % 2 == 0 else b"STOR "
            ctl.send("c", verb + n.encode("latin-1") + b"\r\n")
            ctl.send("s", b"150 opening\r\n")
            data = Conn(p, 45000 + i, dport).handshake()
            data.send("s" if i % 2 == 0 else "c", b"file %d contents\n" % i)
            data.close()
            ctl.send("s", b"226 done\r\n")
        ctl.send("c", b"QUIT\r\n")
        ctl.send("s", b"221 bye\r\n")
        ctl.close()
    r = http_run(tool, d, write)
    n = traversal_check(r, "ftp", len(names))
    return "exit 0, %d FTP transfers named with ../, /, NUL, absolute: objects sanitised" % n


def case_ftp_endless_line(tool, d):
    def write(p):
        c = Conn(p, 40701, 21).handshake()
        c.send("s", b"220 ftp\r\n")
        c.send("c", b"USER " + b"u" * (20 * MB))
        c.close()
    r = http_run(tool, d, write, rss_kb=96 * 1024)
    flows = r.log("flows.jsonl")
    expect(flows and flows[0]["orig_bytes"] == 5 + 20 * MB, "stream lost bytes")
    expect(flows[0].get("service") == "ftp", "not taken for FTP")
    return "exit 0, 20 MB FTP command line, service ftp, RSS %d MB" % (r.maxrss_kb // 1024)


# ---------------------------------------------------------------------------------------
# TLS and keys
# ---------------------------------------------------------------------------------------

def client_hello(record_len=None, hs_len=None, body_len=200):
    body = b"\x03\x03" + os.urandom(32) + b"\x00" + b"\x00\x02\x00\x2f" + b"\x01\x00"
    body += b"\x00" * (body_len - len(body))
    hs = b"\x01" + struct.pack("!I", len(body) if hs_len is None else hs_len)[1:] + body
    rl = len(hs) if record_len is None else record_len
    return b"\x16\x03\x01" + struct.pack("!H", rl) + hs


def tls_run(tool, d, client_bytes, server_bytes=b"", args=()):
    def write(p):
        c = Conn(p, 40800, 443).handshake()
        c.send("c", client_bytes)
        if server_bytes:
            c.send("s", server_bytes)
        c.close()
    return http_run(tool, d, write, args)


def tls_consistent(r, client_len, server_len):
    """Every byte kept in the streams, and the summary's TLS sessions all have a record."""
    flows = r.log("flows.jsonl")
    expect(len(flows) == 1, "%d flow records" % len(flows))
    expect(flows[0]["orig_bytes"] == client_len and flows[0]["resp_bytes"] == server_len,
           "stream bytes %d/%d, want %d/%d" % (flows[0]["orig_bytes"], flows[0]["resp_bytes"],
                                              client_len, server_len))
    sessions = summary_count(r, "TLS sessions")
    tls = r.log("tls.jsonl")
    expect(sessions == len(tls), "summary counts %d TLS sessions, tls.jsonl has %d records" % (
        sessions, len(tls)))
    return flows[0], tls


def case_tls_record_length_over_max(tool, d):
    # Record lengths 65535 (client) and 18433 (server): both above TLS's 2^14+2048.
    c, s = client_hello(record_len=0xFFFF), b"\x16\x03\x03\x48\x01" + b"\x02" * 0x4801
    r = tls_run(tool, d, c, s)
    flow, tls = tls_consistent(r, len(c), len(s))
    return "exit 0, TLS record lengths over the maximum: service %s, %d tls records" % (
        flow.get("service", "-"), len(tls))


def case_tls_record_length_short(tool, d):
    # A good ClientHello, then the server's record promises 16384 bytes and the
    # connection ends after 100; a zero-length handshake record before it.
    c = client_hello()
    s = b"\x16\x03\x03\x00\x00" + b"\x16\x03\x03\x40\x00" + b"\x02" * 100
    r = tls_run(tool, d, c, s)
    flow, tls = tls_consistent(r, len(c), len(s))
    expect(flow.get("service") == "tls" and len(tls) == 1, "service %s, %d tls records" % (
        flow.get("service"), len(tls)))
    return "exit 0, server record cut short at the end: 1 tls record, service tls"


def case_tls_handshake_length_lies(tool, d):
    # Handshake length 16 MB inside a 200-byte record, and an endless run of records
    # continuing that message (a 16 MB handshake message must not be buffered).
    first = client_hello(hs_len=0xFFFFFF)
    more = b"".join(b"\x16\x03\x01\x40\x00" + b"\x41" * 0x4000 for _ in range(1200))
    r = tls_run(tool, d, first + more)
    tls_consistent(r, len(first + more), 0)
    return "exit 0, handshake length 2^24-1 over 19 MB of records, RSS %d MB" % (
        r.maxrss_kb // 1024)


def case_garbage_keylog(tool, d):
    path = os.path.join(d, "in.keylog")
    with open(path, "wb") as f:
        f.write(os.urandom(200000))
        f.write(b"\nCLIENT_RANDOM zz qq\nCLIENT_RANDOM " + b"a" * 64 + b" " + b"b" * 5 * MB + b"\n")
        f.write(b"SERVER_HANDSHAKE_TRAFFIC_SECRET\n" * 1000)
    r = tls_run(tool, d, client_hello(), args=["--keylog", path])
    import re
    m = re.search(r"\((\d+) unusable key log lines\)", r.stderr)
    expect(m and int(m.group(1)) > 0, "summary does not count unusable key log lines: %r" %
           r.stderr[-400:])
    return "exit 0, garbage key log: %s unusable lines counted" % m.group(1)


def case_keylog_missing(tool, d):
    path = os.path.join(d, "in-no-such.keylog")
    pcap = pcap_of(os.path.join(d, "in.pcap"), one_http)
    return check_unusable(run_tool(tool, d, ["-r", pcap, "--keylog", path]), path)


def case_rsa_key_not_a_key(tool, d):
    path = os.path.join(d, "in.key")
    with open(path, "w") as f:
        f.write("-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n")
    pcap = pcap_of(os.path.join(d, "in.pcap"), one_http)
    return check_unusable(run_tool(tool, d, ["-r", pcap, "--rsa-key", path]), path)


def case_rsa_key_random_bytes(tool, d):
    path = os.path.join(d, "in.der")
    with open(path, "wb") as f:
        f.write(b"\x30\x82\xff\xff" + os.urandom(3000))
    pcap = pcap_of(os.path.join(d, "in.pcap"), one_http)
    return check_unusable(run_tool(tool, d, ["-r", pcap, "--rsa-key", "10.0.0.2:443:" + path]),
                          path)


def case_rsa_key_missing(tool, d):
    path = os.path.join(d, "in-no-such.pem")
    pcap = pcap_of(os.path.join(d, "in.pcap"), one_http)
    return check_unusable(run_tool(tool, d, ["-r", pcap, "--rsa-key", path]), path)


def case_output_dir_is_file(tool, d):
    pcap = pcap_of(os.path.join(d, "in.pcap"), one_http)
    target = os.path.join(d, "in-file")
    open(target, "w").close()
    r = run_tool(tool, d, ["-r", pcap, "-o", target], out=False)
    lines = r.stderr.splitlines()
    expect(r.rc == 1 and len(lines) == 1 and target in lines[0],
           "exit %d, stderr %r" % (r.rc, r.stderr[-300:]))
    return "exit 1, one line: %s" % lines[0].replace(d, "CASE")[:110]


def big_http(p, conns=4, body=300 * 1024):
    """Connections each downloading `body` bytes (objects and streams larger than a small
    file-size limit)."""
    for i in range(conns):
        http_conn(p, 41000 + i, b"GET /big%d.bin HTTP/1.1\r\nHost: x\r\n\r\n" % i,
                  b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % body + b"z" * body)


def case_output_write_error(tool, d):
    # Writes fail past 64 KiB per file (RLIMIT_FSIZE: EFBIG, as ENOSPC on a full disk):
    # exit 1 with a clear message, and every log still ends in a complete line.
    path = pcap_of(os.path.join(d, "in.pcap"), big_http)
    r = run_tool(tool, d, ["-q", "-r", path], fsize=64 * 1024)
    expect(r.rc == 1, "exit %d, want 1; stderr %r" % (r.rc, r.stderr[-300:]))
    lines = r.stderr.splitlines()
    expect(lines and all(l.startswith("tcpfollow: ") for l in lines) and len(lines) <= 2,
           "want one or two tcpfollow: lines, got %r" % r.stderr[-500:])
    expect("too large" in r.stderr.lower() or "write" in r.stderr.lower(),
           "the message does not say writing failed: %r" % r.stderr)
    check_outdir(r)
    expect(len(r.log("http.jsonl")) == 4, "HTTP records lost: %d" % len(r.log("http.jsonl")))
    return "exit 1 (%s), logs complete" % lines[0].replace(d, "CASE")[:90]


def case_sigterm_mid_input(tool, d):
    # The capture arrives through a FIFO that stays open, its connections still open; SIGTERM
    # after 1 s must end and flush every connection seen so far and exit 0.
    import threading
    def write(p):  # three downloads whose connections stay open
        for i in range(3):
            c = Conn(p, 42000 + i, 80).handshake()
            c.send("c", b"GET /open%d.bin HTTP/1.1\r\nHost: x\r\n\r\n" % i)
            c.send("s", b"HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n" + b"o" * 20000)
    path = pcap_of(os.path.join(d, "in.pcap"), write)
    fifo = os.path.join(d, "in.fifo")
    os.mkfifo(fifo)
    done = threading.Event()

    def feed():
        with open(fifo, "wb") as f, open(path, "rb") as src:
            f.write(src.read())
            f.flush()
            done.wait(TIMEOUT_S)
    t = threading.Thread(target=feed)
    t.start()
    try:
        r = run_tool(tool, d, ["-r", fifo], term_after=1.0)
    finally:
        done.set()
        t.join()
    check_processed(r)
    flows = r.log("flows.jsonl")
    expect(len(flows) == 3, "flows.jsonl has %d records, want 3" % len(flows))
    expect(all(f["resp_bytes"] > 20000 for f in flows), "streams not flushed: %r" % flows)
    expect(len(r.log("http.jsonl")) == 3 and len(r.log("files.jsonl")) == 3,
           "HTTP records or objects lost")
    return "exit 0 after SIGTERM, 3 connections flushed with their objects"


# (name, function, known failure reason or None)
CASES = [
    ("foreign_file", case_foreign_file, None),
    ("text_file", case_text_file, None),
    ("empty_file", case_empty_file, None),
    ("truncated_global_header", case_truncated_global_header, None),
    ("missing_input", case_missing_input, None),
    ("directory_as_input", case_directory_as_input, None),
    ("truncated_last_packet", case_truncated_last_packet, None),
    ("absurd_caplen", case_absurd_caplen, None),
    ("zero_length_flood", case_zero_length_flood, None),
    ("absurd_timestamps", case_absurd_timestamps, None),
    ("caplen_over_snaplen", case_caplen_over_snaplen, None),
    ("origlen_lies", case_origlen_lies, None),
    ("pcapng_bad_block", case_pcapng_bad_block, None),
    ("unknown_linktype", case_unknown_linktype, None),
    ("zero_length_and_runts", case_zero_length_and_runts, None),
    ("ipv4_total_length_too_big", case_ipv4_total_length_too_big, None),
    ("ipv4_total_length_too_small", case_ipv4_total_length_too_small, None),
    ("ipv4_ihl_too_small", case_ipv4_ihl_too_small, None),
    ("tcp_data_offset_lies", case_tcp_data_offset_lies, None),
    ("ipv6_payload_length_lies", case_ipv6_payload_length_lies, None),
    ("ipv6_ext_chain_long", case_ipv6_ext_chain_long, None),
    ("ipv6_ext_past_end", case_ipv6_ext_past_end, None),
    ("fragment_flood", case_fragment_flood, None),
    ("fragment_bytes_flood", case_fragment_bytes_flood, None),
    ("fragments_per_datagram", case_fragments_per_datagram, None),
    ("oversize_fragment", case_oversize_fragment, None),
    ("teardrop", case_teardrop, None),
    ("ipv6_fragment_flood", case_ipv6_fragment_flood, None),
    ("syn_flood", case_syn_flood, None),
    ("out_of_order_flood", case_out_of_order_flood, None),
    ("total_buffer_flood", case_total_buffer_flood, None),
    ("huge_sequence_jump", case_huge_sequence_jump, None),
    ("rst_and_fin_storm", case_rst_and_fin_storm, None),
    ("http_20mb_header_line", case_http_20mb_header_line, None),
    ("http_20mb_request_line", case_http_20mb_request_line, None),
    ("http_chunk_size_overflow", case_http_chunk_size_overflow, None),
    ("http_chunk_size_2_63", case_http_chunk_size_2_63, None),
    ("http_gzip_bomb", case_http_gzip_bomb, None),
    ("http_nested_gzip_bomb", case_http_nested_gzip_bomb, None),
    ("http_brotli_bomb", case_http_brotli_bomb, None),
    ("http_corrupt_gzip", case_http_corrupt_gzip, None),
    ("http_traversal_names", case_http_traversal_names, None),
    ("http_range_flood", case_http_range_flood, None),
    ("smtp_endless_command_line", case_smtp_endless_command_line, None),
    ("smtp_endless_reply_line", case_smtp_endless_reply_line, None),
    ("smtp_unterminated_data", case_smtp_unterminated_data, None),
    ("smtp_huge_data", case_smtp_huge_data, None),
    ("smtp_concurrent_data", case_smtp_concurrent_data, None),
    ("smtp_traversal_names", case_smtp_traversal_names, None),
    ("ftp_traversal_names", case_ftp_traversal_names, None),
    ("ftp_endless_line", case_ftp_endless_line, None),
    ("tls_record_length_over_max", case_tls_record_length_over_max, None),
    ("tls_record_length_short", case_tls_record_length_short, None),
    ("tls_handshake_length_lies", case_tls_handshake_length_lies, None),
    ("garbage_keylog", case_garbage_keylog, None),
    ("keylog_missing", case_keylog_missing, None),
    ("rsa_key_not_a_key", case_rsa_key_not_a_key, None),
    ("rsa_key_random_bytes", case_rsa_key_random_bytes, None),
    ("rsa_key_missing", case_rsa_key_missing, None),
    ("output_dir_is_file", case_output_dir_is_file, None),
    ("output_write_error", case_output_write_error, None),
    ("sigterm_mid_input", case_sigterm_mid_input, None),
]


def main():
    tool = os.path.realpath(sys.argv[1])
    TOP_ENTRIES.update(log + ".jsonl" for log in tool_logs(tool))
    launcher()  # while this process is still small
    only = set(sys.argv[2:])
    with open(tool, "rb") as f:
        data = f.read()
        if b"AddressSanitizer" in data or b"__asan_init" in data:  # clang static or gcc shared runtime
            global CHECK_RSS
            CHECK_RSS = False
            print("NOTE: sanitizer build: peak RSS bounds are not checked")
    work = tempfile.mkdtemp(prefix="hostile-", dir=os.environ.get("TEST_TMPDIR"))
    failures, known, started = 0, 0, time.monotonic()
    for name, fn, known_reason in CASES:
        if only and name not in only:
            continue
        d = os.path.join(work, name)
        os.makedirs(d)
        t0 = time.monotonic()
        try:
            msg = fn(tool, d)
            if known_reason:
                print("FAIL %s: marked as a known failure (%s) but passes: %s" %
                      (name, known_reason, msg))
                failures += 1
            else:
                print("ok   %s: %s (%.1f s)" % (name, msg, time.monotonic() - t0))
        except Failure as e:
            if known_reason:
                print("KNOWN FAILURE %s: %s [%s]" % (name, e, known_reason))
                known += 1
            else:
                print("FAIL %s: %s" % (name, e))
                failures += 1
        sys.stdout.flush()
        shutil.rmtree(d, ignore_errors=True)
    ran = len([c for c in CASES if not only or c[0] in only])
    print("%d cases, %d failed, %d known failures, %.0f s" % (ran, failures, known,
                                                              time.monotonic() - started))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
