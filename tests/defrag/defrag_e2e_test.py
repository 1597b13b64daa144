#!/usr/bin/python3
"""End-to-end IP defragmentation through tcpfollow.

1. corpus/defrag/keepalive_refragmented.pcap (IPv4, every packet cut into 3-5 shuffled
   fragments with duplicates) gives stream files byte-identical to those of the
   unfragmented keepalive_source.pcap, and the same HTTP objects.
2. The same for IPv6, re-fragmented at test time from corpus/tcp/ipv6.pcap with
   refragment.py (needs python3-scapy; skipped with a message when scapy is missing).
3. --write-defragmented writes every reassembled datagram; reading that pcap back gives
   the same streams again, so tools that cannot defragment can use it.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), ".."))
from testlib import repo_root, vectors_dir  # noqa: E402


def run(tool, pcap, out, *extra):
    r = subprocess.run([tool, "-q", "-r", pcap, "-o", out, *extra], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit("tcpfollow failed on %s: %s" % (pcap, r.stderr))


def streams(out):
    """{(4-tuple, direction): sha256} for every stream file, plus object hashes."""
    got = {}
    with open(os.path.join(out, "flows.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            key = (r["id.orig_h"], r["id.orig_p"], r["id.resp_h"], r["id.resp_p"])
            for d in ("client", "server"):
                if d in r["files"]:
                    with open(os.path.join(out, r["files"][d]), "rb") as s:
                        got[(key, d)] = hashlib.sha256(s.read()).hexdigest()
            got[(key, "missed")] = r["orig_missed_bytes"] + r["resp_missed_bytes"]
    objects = []
    with open(os.path.join(out, "files.jsonl")) as f:
        objects = sorted(json.loads(l)["sha256"] for l in f)
    return got, objects


def compare(label, a, b):
    if a != b:
        print("FAIL %s: streams differ\n  unfragmented: %s\n  fragmented:   %s" % (label, a, b))
        return 1
    print("ok   %s: %d stream files and %d objects identical" % (label, sum(1 for k in a[0] if k[1] != "missed"), len(a[1])))
    return 0


def main():
    tool = os.path.realpath(sys.argv[1])
    root = repo_root()
    work = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    failures = 0

    src = os.path.join(root, "corpus/defrag/keepalive_source.pcap")
    frag = os.path.join(root, "corpus/defrag/keepalive_refragmented.pcap")
    run(tool, src, work + "/v4-src")
    defrag_pcap = work + "/v4-defragmented.pcap"
    run(tool, frag, work + "/v4-frag", "--write-defragmented", defrag_pcap)
    base = streams(work + "/v4-src")
    if not base[0]:
        print("FAIL: no streams from the unfragmented capture")
        return 1
    failures += compare("IPv4 re-fragmented", base, streams(work + "/v4-frag"))
    run(tool, defrag_pcap, work + "/v4-rewritten")
    failures += compare("IPv4 --write-defragmented read back", base, streams(work + "/v4-rewritten"))

    have_scapy = subprocess.run(["/usr/bin/python3", "-c", "import scapy"], capture_output=True).returncode == 0
    if not have_scapy:
        print("SKIPPED IPv6: python3-scapy is not installed (scripts/setup.sh installs it)")
    else:
        v6 = os.path.join(root, "corpus/tcp/ipv6.pcap")
        v6frag = work + "/ipv6-frag.pcap"
        subprocess.run(["/usr/bin/python3", os.path.join(root, "corpus/defrag/refragment.py"), v6, v6frag,
                        "--seed", "3"], check=True, capture_output=True)
        run(tool, v6, work + "/v6-src")
        run(tool, v6frag, work + "/v6-frag")
        failures += compare("IPv6 re-fragmented", streams(work + "/v6-src"), streams(work + "/v6-frag"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
