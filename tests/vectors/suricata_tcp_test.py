#!/usr/bin/python3
"""Replays the TCP vectors of suricata-verify (../shared/vectors/suricata-verify:
eve-overlap-payload-*, tcp-*, *gap*, bug-3286-*, bug-6244-*) through tcpfollow and checks
the raw stream files and flow records against what each test.yaml states about the
reassembled stream (alert payloads of tcp-stream rules, which content matched or not,
gap sizes, HTTP bodies cut by a removed packet).

Every listed folder is run (exit status 0 and a flows.jsonl are required, even for the
vectors whose checks are skipped). VECTORS below holds one entry per folder: the capture,
tcpfollow arguments (the overlap policy matching the vector's suricata.yaml), the checks,
and a comment naming the test.yaml check it mirrors. An entry with `skip` has no content
checks, with the reason. An entry with `known` keeps its checks, but a failure is printed
as a KNOWN DIFFERENCE (an expectation we believe right that tcpfollow does not meet yet)
and does not fail the test.

Not validated here: Suricata's detection, IPS drop behaviour, app-layer events; only what
a stream reassembler must deliver. Vectors are found via $TCPFOLLOW_VECTORS or
../shared/vectors beside the repository; without them the test prints SKIPPED.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), ".."))
from testlib import VectorTally, repo_root, vector_folders, vectors_dir, work_dir  # noqa: E402

SV = "suricata-verify"
FOLDER_GLOBS = ["eve-overlap-payload-*", "tcp-*", "*gap*", "bug-3286-*", "bug-6244-*"]


def http_gap_chunks(vectors):
    """The request/response chunks http-gap-* pcaps were made from (htptopcap.py input):
    '>>>' starts a client chunk, '<<<' a server chunk, the newline before a marker belongs
    to the marker, and the text's '\\n' are sent as CRLF."""
    path = os.path.join(vectors, SV, "http-gap-simple-frames", "toaddgap.txt")
    with open(path) as f:
        text = f.read()
    parts = re.split(r"(?:^|\n)(<<<|>>>)\n", text)
    chunks = []
    for i in range(1, len(parts), 2):
        side = "client" if parts[i] == ">>>" else "server"
        chunks.append((side, parts[i + 1].replace("\n", "\r\n").encode()))
    return chunks


def http_gap_stream(vectors, side, missing_server_chunks=()):
    """One side of the http-gap conversation with the given server chunks (0-based index
    among the server chunks) removed, as the README of each vector says."""
    out = b""
    n = 0
    for s, data in http_gap_chunks(vectors):
        if s != side:
            continue
        if not (side == "server" and n in missing_server_chunks):
            out += data
        n += 1
    return out


GET3 = (b"GET /1 HTTP/1.0\r\nUser-Agent: Mozilla\r\n\r\n"
        b"GET /2 HTTP/1.0\r\nUser-Agent: Mozilla\r\n\r\n"
        b"GET /3 HTTP/1.0\r\nUser-Agent: Mozilla\r\n\r\n")

# Check forms: (kind, side, value) with kind exact|contains|not_contains|startswith|
# endswith on side client|server; ("count", side, (needle, n)); ("field", name, value)
# on the flow record. "flow" selects the record (dict of record fields) when a capture
# holds several connections; default: the only record.
# Values that are callables get the vectors directory (derived expectations).
VECTORS = [
    # --- overlaps -------------------------------------------------------------------
    dict(folder="eve-overlap-payload-01", args=["--tcp-policy", "bsd"],
         # sid 2 (tcp-stream "GOOD") payload "R09PRA==" = GOOD, sid 1 (stream "EVIL") count 0:
         # EVIL retransmits GOOD's bytes; the stream keeps GOOD.
         checks=[("exact", "client", b"GOOD"), ("exact", "server", b""),
                 ("field", "overlaps", 1)]),
    dict(folder="eve-overlap-payload-02-policy-oldlinux", args=["--tcp-policy", "old-linux"],
         # DIFFERS from test.yaml on purpose: Suricata (old-linux for 2.2.2.2) alerts sid 1
         # stream payload "EVIL", because it applies the overlap policy to all data not yet
         # ACKed. GOOD arrived in order first: any real receiver, old Linux included, had
         # already accepted it, so EVIL is a retransmission of received bytes and is
         # discarded. tcpfollow reports what the receiver got: GOOD, whatever the policy.
         checks=[("exact", "client", b"GOOD"), ("field", "overlaps", 1)]),
    dict(folder="eve-overlap-payload-03-ips", args=["--tcp-policy", "bsd"],
         # sid 2 (stream GOOD) count 2 payload GOOD, sid 1 (stream EVIL) count 0.
         checks=[("exact", "client", b"GOOD"), ("field", "overlaps", 1)]),
    dict(folder="eve-overlap-payload-04-partial-overlap", args=["--tcp-policy", "bsd"],
         # "XXX" at seq 3 overlaps GOOD partially: sid 2 stream payload GOOD, sid 1 (stream
         # XXX) count 0.
         checks=[("exact", "client", b"GOOD"), ("not_contains", "client", b"XXX"),
                 ("field", "overlaps", 1)]),
    # --- gaps -----------------------------------------------------------------------
    dict(folder="eve-overlap-payload-05-gap", args=["--tcp-policy", "bsd"],
         # sid 1/3 stream payload "VERY[4 bytes missing]DATA", sid 7 VERYGOODDATA count 0.
         checks=[("exact", "client", b"VERYDATA"), ("field", "orig_gaps", 1),
                 ("field", "orig_missed_bytes", 4)]),
    dict(folder="eve-payload-05-tcp-data-gap",
         # same capture and checks as eve-overlap-payload-05-gap.
         checks=[("exact", "client", b"VERYDATA"), ("field", "orig_gaps", 1),
                 ("field", "orig_missed_bytes", 4)]),
    dict(folder="eve-payload-06-tcp-data-leading-gap",
         # sid 2/3 stream payload "[4 bytes missing]GOODDATA", sid 1 (VERY) count 0.
         checks=[("exact", "client", b"GOODDATA"), ("field", "orig_gaps", 1),
                 ("field", "orig_missed_bytes", 4)]),
    dict(folder="eve-payload-07-http-gap", pcap="../http-gap-beyond-body/input.pcap",
         # sid 1 payloads grow to the three GETs (payload_length 120); sid 2 payload is the
         # first response header (payload_length 136).
         checks=[("exact", "client", GET3),
                 ("startswith", "server",
                  b"HTTP/1.0 200 OK\r\nDate: Mon, 31 Aug 2009 20:25:50 GMT\r\nServer: Apache\r\n"
                  b"Connection: close\r\nContent-Type: text/html\r\nContent-Length: 12\r\n\r\n")]),
    dict(folder="http-gap-simple",
         # one 14-byte body packet of /2 removed (relative seq 264): http /1 /2 /3 logged,
         # /2's file TRUNCATED with gaps. Expected bytes: toaddgap.txt minus server chunk 4.
         checks=[("exact", "client", lambda v: http_gap_stream(v, "client")),
                 ("exact", "server", lambda v: http_gap_stream(v, "server", (4,))),
                 ("field", "resp_gaps", 1), ("field", "resp_missed_bytes", 14)]),
    dict(folder="http-gap-simple-frames", pcap="../http-gap-simple/input.pcap",
         # same capture as http-gap-simple (frames logging only differs).
         checks=[("exact", "server", lambda v: http_gap_stream(v, "server", (4,))),
                 ("field", "resp_gaps", 1)]),
    dict(folder="http-gap-simple-frames-ips", pcap="../http-gap-simple/input.pcap",
         checks=[("exact", "server", lambda v: http_gap_stream(v, "server", (4,))),
                 ("field", "resp_gaps", 1)]),
    dict(folder="http-gap-whole-body",
         # the whole 14-byte body of /1 removed (packet 9): server chunk 1 missing.
         checks=[("exact", "client", lambda v: http_gap_stream(v, "client")),
                 ("exact", "server", lambda v: http_gap_stream(v, "server", (1,))),
                 ("field", "resp_gaps", 1), ("field", "resp_missed_bytes", 14)]),
    dict(folder="http-gap-beyond-body",
         # README: packet 9 removed, i.e. /1's body, /2's header and first body packet
         # (127 bytes, one hole); /1 file TRUNCATED gaps true; /2 and /3 still logged.
         checks=[("exact", "client", lambda v: http_gap_stream(v, "client")),
                 ("exact", "server", lambda v: http_gap_stream(v, "server", (1, 2, 3))),
                 ("field", "resp_gaps", 1), ("field", "resp_missed_bytes", 127)]),
    dict(folder="http-gap-double",
         # README: packets 17 and 21 removed: two 14-byte holes in /2's 70-byte body
         # (fileinfo size 70 TRUNCATED gaps true; the two 14-byte files CLOSED).
         checks=[("exact", "client", lambda v: http_gap_stream(v, "client")),
                 ("exact", "server", lambda v: http_gap_stream(v, "server", (4, 6))),
                 ("field", "resp_gaps", 2), ("field", "resp_missed_bytes", 28)]),
    dict(folder="http-pipeline-files-with-gap",
         # one fileinfo TRUNCATED with gaps: one hole in the responses, requests complete.
         checks=[("startswith", "client", b"GET / HTTP/1.1\r\n"), ("field", "orig_gaps", 0),
                 ("startswith", "server", b"HTTP/1.1 200 OK\r\n"), ("field", "resp_gaps", 1)]),
    dict(folder="dns-tcp-ts-gap",
         # README: one packet missing to-server: 2 DNS requests logged of the 3 the original
         # capture holds (3 responses). The 3 queries are 34-byte messages (2-byte length
         # 0x0020); the middle one is missing. original.pcap_ is checked in "pcap2".
         checks=[("count", "client", (b"\x00\x20\x00", 2)), ("field", "orig_gaps", 1),
                 ("field", "orig_missed_bytes", 34), ("count", "server", (b"\x81\x80", 3)),
                 ("field", "resp_gaps", 0)],
         pcap2="original.pcap_",
         checks2=[("count", "client", (b"\x00\x20\x00", 3)), ("field", "orig_bytes", 102),
                  ("field", "orig_gaps", 0)]),
    dict(folder="smb2-frames-gap-payload-logging",
         # README: packet 191 (to-client) removed; one hole to-client, to-server complete.
         checks=[("field", "resp_gaps", 1), ("field", "orig_gaps", 0),
                 ("startswith", "client", b"\x00\x00\x00\x66\xfeSMB")]),
    dict(folder="smb2-frames-gap-payload-logging-02",
         # packets 191 and 192 removed: still one (longer) hole to-client.
         checks=[("field", "resp_gaps", 1), ("field", "orig_gaps", 0)]),
    dict(folder="quic-frag-middle-gap",
         skip="QUIC over UDP: no TCP stream to compare (only run for crashes)"),
    # --- RST ------------------------------------------------------------------------
    dict(folder="bug-6244-tcp-rst-with-data",
         # sid 4 ("Please Let Me In!") matches, sid 2 (only_stream "Access Denied") count 0:
         # the RST's payload is not stream data.
         checks=[("exact", "server", b"Please Let Me In!"), ("exact", "client", b""),
                 ("field", "close_reason", "rst")]),
    dict(folder="bug-6244-tcp-rst-with-data-02",
         # as above, plus sid 5 "Please Let Me In!Access Denied" count 0.
         checks=[("exact", "server", b"Please Let Me In!"), ("exact", "client", b""),
                 ("field", "close_reason", "rst")]),
    dict(folder="tcp-rst-unacked-stream-01-raw",
         # sid 1 "Let Me In" on stream at flow timeout: data after the last ACK, before the
         # RST, is still stream data; reassembly_gap 0.
         checks=[("exact", "server", b"Please Let Me In!"), ("field", "resp_gaps", 0)]),
    dict(folder="tcp-rst-unacked-stream-02-raw-ips",
         checks=[("exact", "server", b"Please Let Me In!"), ("field", "resp_gaps", 0)]),
    dict(folder="tcp-rst-unacked-stream-03-gap",
         # the "Let " packet is missing: sid 1 "Me In" matches the unacked data. Suricata's
         # stats.tcp.reassembly_gap is 0 (it does not count a hole flushed at RST); a hole is
         # a hole for tcpfollow: one gap of 4 bytes.
         checks=[("exact", "server", b"Please Me In!"), ("field", "resp_gaps", 1),
                 ("field", "resp_missed_bytes", 4)]),
    dict(folder="tcp-rst-unacked-stream-04-gap-ips",
         checks=[("exact", "server", b"Please Me In!"), ("field", "resp_gaps", 1),
                 ("field", "resp_missed_bytes", 4)]),
    dict(folder="tcp-rst-unacked-stream-05-http-nogap",
         # the full request (writepcap.py) precedes the RST: http logged, no gap.
         checks=[("exact", "client",
                  b"GET / HTTP/1.0\r\nCookie: abcdef\r\nUser-Agent: Mozilla\r\n\r\n"),
                 ("field", "orig_gaps", 0)]),
    dict(folder="tcp-rst-unacked-stream-06-http-nogap-ips",
         checks=[("exact", "client",
                  b"GET / HTTP/1.0\r\nCookie: abcdef\r\nUser-Agent: Mozilla\r\n\r\n"),
                 ("field", "orig_gaps", 0)]),
    dict(folder="tcp-rst-unacked-stream-07-http",
         # the "Cookie: abcdef\r\n" packet is missing: sid 1 "User-Agent: Mozilla" matches
         # (reassembly_gap 0 in Suricata, see 03); one 16-byte hole here.
         checks=[("exact", "client", b"GET / HTTP/1.0\r\nUser-Agent: Mozilla\r\n\r\n"),
                 ("field", "orig_gaps", 1), ("field", "orig_missed_bytes", 16)]),
    dict(folder="tcp-rst-unacked-stream-08-http-ips",
         checks=[("exact", "client", b"GET / HTTP/1.0\r\nUser-Agent: Mozilla\r\n\r\n"),
                 ("field", "orig_gaps", 1), ("field", "orig_missed_bytes", 16)]),
    dict(folder="tcp-rst-unacked-stream-09",
         # one HTTP transaction whose response is cut by RST (fileinfo sha256 of the body
         # needs HTTP parsing, not checked here).
         checks=[("startswith", "client", b"GET / HTTP/1.1\r\n"), ("field", "orig_gaps", 0),
                 ("field", "close_reason", "rst")]),
    dict(folder="tcp-rst-unacked-stream-10",
         checks=[("startswith", "client", b"GET / HTTP/1.1\r\n"), ("field", "orig_gaps", 0),
                 ("field", "close_reason", "rst")]),
    dict(folder="tcp-rst-unacked-stream-11",
         checks=[("startswith", "client", b"GET / HTTP/1.1\r\n"), ("field", "orig_gaps", 0),
                 ("field", "close_reason", "rst")]),
    dict(folder="tcp-rst-unacked-stream-12",
         checks=[("startswith", "client", b"GET / HTTP/1.1\r\n"), ("field", "orig_gaps", 0),
                 ("field", "close_reason", "rst")]),
    # --- evasions -------------------------------------------------------------------
    dict(folder="bug-3286-01-no-evasion",
         # http status 200 length 14, sid 1 "THIS_IS_A_TEST" in the response.
         checks=[("startswith", "client", b"GET / HTTP/1.1\r\n"),
                 ("endswith", "server", b"\r\n\r\nTHIS_IS_A_TEST"),
                 ("field", "resp_bytes", 79)]),
    dict(folder="bug-3286-02-linux-evasion",
         # an RST+ACK (ack = ISN+1) with a bogus timestamp echo (tsecr 100) and a FIN from
         # seq 0 precede the real SYN-ACK. Linux drops a SYN-SENT ACK whose tsecr is not a
         # timestamp it sent, so the RST never resets it; the handshake and the HTTP
         # exchange complete (later ACKs cover all data). Suricata flags the packets
         # (pkt_invalid_timestamp, pcap_cnt 2 and 3) and still logs http 200 length 14 and
         # sid 1 THIS_IS_A_TEST.
         # tcpfollow treats an in-window RST as provisional (TcpLimits::reset_grace): the
         # SYN-ACK and data that follow show it was discarded, so the connection goes on.
         checks=[("startswith", "client", b"GET / HTTP/1.1\r\n"),
                 ("endswith", "server", b"\r\n\r\nTHIS_IS_A_TEST"),
                 ("field", "resp_bytes", 79)]),
    dict(folder="bug-3286-03-windows-evasion",
         # as 02, against Windows: RST+ACK and FIN with tsecr 100, then the SYN-ACK.
         # tcpfollow treats an in-window RST as provisional (TcpLimits::reset_grace): the
         # SYN-ACK and data that follow show it was discarded, so the connection goes on.
         checks=[("startswith", "client", b"GET / HTTP/1.1\r\n"),
                 ("endswith", "server", b"\r\n\r\nTHIS_IS_A_TEST"),
                 ("field", "resp_bytes", 79)]),
    dict(folder="tcp-split-handshake-01-4whs",
         # SYN, SYN, SYN-ACK, ACK (split handshake): sid 1 and sid 2 (tcp-stream "EVIL").
         checks=[("contains", "client", b"EVIL"), ("field", "id.resp_p", 80)]),
    dict(folder="tcp-split-handshake-02-5whs",
         checks=[("contains", "client", b"EVIL"), ("field", "id.resp_p", 80)]),
    # --- roles, one-sided, odd sequence space ----------------------------------------
    dict(folder="tcp-stream-after-swap",
         # capture starts with a response (midstream): flow dest_port 80, and one response
         # has no request (anomaly UNABLE_TO_MATCH_RESPONSE_TO_REQUEST): 2 responses, 1 GET.
         checks=[("field", "id.resp_p", 80), ("count", "server", (b"HTTP/1.1 ", 2)),
                 ("count", "client", (b"GET ", 1)),
                 ("startswith", "client", b"GET /favicon.ico HTTP/1.1\r\n")]),
    dict(folder="tcp-async-01",
         # only the server side is captured (async-oneside): sid 1 matches to_client
         # "C6 OK ID completed|0d 0a|* 21 EXISTS|0d 0a|* 6 RECENT"; flow dest_port 143.
         checks=[("contains", "server", b"C6 OK ID completed\r\n* 21 EXISTS\r\n* 6 RECENT"),
                 ("field", "id.resp_p", 143), ("field", "resp_gaps", 0)]),
    dict(folder="tcp-5379",
         # a lone SYN carrying 60 x "A": sid 1 "AAA" endswith matches, sid 2 "DDD" not.
         checks=[("exact", "client", b"A" * 60)]),
    dict(folder="tcp-protodetect-bailout",
         # "111" (seq 1), "333333333" (seq 1048585), "22222" (seq 4): one 1 MiB hole
         # between 8 and 1048584; flow logged (count 1).
         checks=[("exact", "client", b"11122222333333333"), ("field", "orig_gaps", 1),
                 ("field", "orig_missed_bytes", 1048576)]),
    dict(folder="tcp-empty-sack",
         # SACK option with no blocks must not break the flow (TLS both ways, no gaps).
         checks=[("startswith", "client", b"\x16\x03\x01"), ("startswith", "server", b"\x16\x03\x03"),
                 ("field", "orig_gaps", 0), ("field", "resp_gaps", 0)]),
    # --- TCP fast open ----------------------------------------------------------------
    dict(folder="tcp-fastopen-01",
         # data on the SYN (accepted by the server) is stream data: the HTTP requests.
         flow={"id.orig_p": 55533},
         checks=[("exact", "client",
                  b"GET /index.php HTTP/1.0\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n"),
                 ("startswith", "server", b"HTTP/1.1 302 Moved Temporarily\r\n")]),
    dict(folder="tcp-fastopen-02", pcap="../tcp-fastopen-01/tfo.pcap",
         skip="TFO detection specifics on tcp-fastopen-01's capture (checked there)"),
    dict(folder="tcp-fastopen-03", skip="TCP fast open option/detection specifics"),
    dict(folder="tcp-fastopen-04", pcap="../tcp-fastopen-05/tfo.pcap",
         skip="TCP fast open detection specifics on tcp-fastopen-05's capture"),
    dict(folder="tcp-fastopen-05",
         # TFO over loopback: "Hi!" on the SYN, "Hello!" back.
         flow={"id.orig_p": 42856},
         checks=[("exact", "client", b"Hi!"), ("exact", "server", b"Hello!")]),
    dict(folder="tcp-fastopen-06", skip="TCP fast open specifics (one-sided TFO capture)"),
    dict(folder="tcp-fastopen-07", skip="TCP fast open segmentation specifics"),
    dict(folder="tcp-fastopen-08", skip="TCP fast open segmentation specifics"),
    dict(folder="tcp-fastopen-09", skip="invalid TFO option warning (decoder event only)"),
    dict(folder="tcp-fastopen-10-syn-data-ignore",
         skip="TFO data on SYN/ACK ignored: Suricata stream event in IPS simulation"),
    dict(folder="tcp-fastopen-11-reject-syn-data",
         # SYN data not acknowledged by the server and sent again after the handshake: the
         # ClientHello must appear once (the retransmission is an overlap, not new data).
         checks=[("count", "client", (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc", 1)),
                 ("startswith", "server", b"\x16\x03\x03"), ("field", "orig_gaps", 0)]),
    dict(folder="tcp-fastopen-12", pcap="../tcp-fastopen-05/tfo.pcap",
         skip="TCP fast open specifics (config variant on tcp-fastopen-05's capture)"),
    dict(folder="tcp-fastopen-13", skip="TCP fast open specifics"),
    # --- keywords, urgent data ----------------------------------------------------------
    dict(folder="tcp-hdr-keyword", skip="detection keyword tcp.hdr on a single packet"),
    dict(folder="tcp-mss-keyword", skip="detection keyword tcp.mss on a single packet"),
    dict(folder="tcp-urgp-01-oob", skip="urgent pointer OOB handling (not modelled)"),
    dict(folder="tcp-urgp-02-drop-ips", skip="urgent pointer handling, IPS drop"),
    dict(folder="tcp-urgp-03-inline", skip="urgent pointer inline handling (not modelled)"),
    dict(folder="tcp-urgp-04-2byte-XY", skip="urgent pointer OOB handling (not modelled)"),
    dict(folder="tcp-urgp-06-oob-within-limit", no_capture=True,
         skip="urgent pointer OOB limits (not modelled); its capture (stats.tcp.urg 64000) "
              "is not in the vectors, so nothing to run"),
    dict(folder="tcp-urgp-07-oob-exceed-limit", no_capture=True,
         skip="urgent pointer OOB limits (not modelled); its capture (stats.tcp.urg 64000) "
              "is not in the vectors, so nothing to run"),
    dict(folder="tcp-urgp-08-oob-exceed-limit-gap", no_capture=True,
         skip="urgent pointer OOB limits (not modelled); its capture (stats.tcp.urg 64000) "
              "is not in the vectors, so nothing to run"),
    dict(folder="tcp-urgp-09-oob-exceed-limit-inline", no_capture=True,
         skip="urgent pointer OOB limits (not modelled); its capture (stats.tcp.urg 64000) "
              "is not in the vectors, so nothing to run"),
]


def capture_of(vectors, entry, key="pcap"):
    """The capture a folder's test.yaml uses: `pcap` in the entry, else the folder's one."""
    folder = os.path.join(vectors, SV, entry["folder"])
    if entry.get(key):
        return os.path.normpath(os.path.join(folder, entry[key]))
    found = sorted(glob.glob(os.path.join(folder, "*.pcap")) + glob.glob(os.path.join(folder, "*.pcapng")))
    return found[0] if len(found) == 1 else None


def run_tool(tool, pcap, outdir, args):
    cmd = [tool, "-q", "-r", pcap, "-o", outdir] + list(args)
    run = subprocess.run(cmd, capture_output=True, text=True)
    problems = []
    if run.returncode != 0:
        problems.append("tcpfollow exited %d: %s" % (run.returncode, run.stderr.strip()[:300]))
    elif not os.path.exists(os.path.join(outdir, "flows.jsonl")):
        problems.append("no flows.jsonl written")
    return problems


def load_flows(outdir):
    with open(os.path.join(outdir, "flows.jsonl")) as f:
        return [json.loads(l) for l in f if l.strip()]


def pick_flow(flows, selector):
    if selector:
        flows = [r for r in flows if all(r.get(k) == v for k, v in selector.items())]
    return flows[0] if len(flows) == 1 else None


def stream_bytes(outdir, record, side):
    rel = record.get("files", {}).get(side)
    if not rel:
        return b""
    with open(os.path.join(outdir, rel), "rb") as f:
        return f.read()


def show(data):
    r = repr(data)
    return r if len(r) <= 120 else r[:100] + "...(%d bytes)" % len(data)


def evaluate(check, outdir, record, vectors):
    """Returns None when the check holds, else what differs."""
    kind, what, want = check
    if callable(want):
        want = want(vectors)
    if kind == "field":
        got = record.get(what)
        return None if got == want else "%s = %r, expected %r" % (what, got, want)
    got = stream_bytes(outdir, record, what)
    if kind == "exact":
        ok = got == want
    elif kind == "contains":
        ok = want in got
    elif kind == "not_contains":
        ok = want not in got
    elif kind == "startswith":
        ok = got.startswith(want)
    elif kind == "endswith":
        ok = got.endswith(want)
    elif kind == "count":
        needle, n = want
        ok = got.count(needle) == n
    else:
        return "unknown check kind %r" % kind
    if ok:
        return None
    return "%s stream %s %s: got %s" % (what, kind, show(want), show(got))


def check_run(vectors, entry, work, tool, pcap_key, checks_key):
    """Runs one capture of an entry; returns (crash problems, check differences)."""
    if entry.get("no_capture"):
        folder = os.path.join(vectors, SV, entry["folder"])
        present = glob.glob(os.path.join(folder, "*.pcap*"))
        return (["a capture is now present (%s): run it" % present] if present else []), []
    pcap = capture_of(vectors, entry, pcap_key)
    if not pcap or not os.path.exists(pcap):
        return ["capture not found (%s)" % entry.get(pcap_key, "no single *.pcap")], []
    outdir = os.path.join(work, entry["folder"], pcap_key)
    problems = run_tool(tool, pcap, outdir, entry.get("args", []))
    if problems or entry.get("skip"):
        return problems, []
    record = pick_flow(load_flows(outdir), entry.get("flow"))
    if record is None:
        return [], ["no single flow record matches %r" % entry.get("flow")]
    diffs = [d for d in (evaluate(c, outdir, record, vectors) for c in entry[checks_key]) if d]
    return [], diffs


def main():
    tool = os.path.realpath(sys.argv[1])
    vectors = vectors_dir(SV)
    if not vectors:
        print("SKIPPED: suricata-verify vectors not found ($TCPFOLLOW_VECTORS or ../shared/vectors)")
        return 0
    listed = {e["folder"] for e in VECTORS}
    on_disk = vector_folders(vectors, SV, FOLDER_GLOBS)
    tally = VectorTally()
    for missing in sorted(on_disk - listed):
        tally.failures.append("%s: vector folder not in the table (add an entry or a skip)" % missing)
    work = work_dir("suricata_tcp.")
    for entry in VECTORS:
        name = entry["folder"]
        if name not in on_disk:
            tally.failures.append("%s: listed but not in %s" % (name, os.path.join(vectors, SV)))
            continue
        runs = [("pcap", "checks")]
        if entry.get("pcap2"):
            runs.append(("pcap2", "checks2"))
        crashes, diffs = [], []
        for pcap_key, checks_key in runs:
            c, d = check_run(vectors, entry, work, tool, pcap_key, checks_key)
            crashes += c
            diffs += d
        if crashes:
            tally.crashed(name, crashes)
        elif entry.get("skip"):
            tally.skipped(name, entry["skip"], "not run" if entry.get("no_capture") else "ran, exit 0")
        else:
            tally.compared(name, entry, diffs)
    shutil.rmtree(work, ignore_errors=True)
    return tally.report(len(VECTORS))

if __name__ == "__main__":
    sys.exit(main())
