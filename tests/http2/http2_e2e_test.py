"""HTTP/2 through the whole tool: every capture of corpus/http2 run by tcpfollow (TLS ALPN h2
with the recorded key logs, prior knowledge, the h2c upgrade, push, upload, RST_STREAM).
Each object the peers served or received (corpus/http2/objects.json, written by
record_http2.py) must be among the stored objects, byte for byte, its http.jsonl record must say
version 2, and flows.jsonl must name the service the session layer chose."""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

KEYLOGS = {"tls12.pcap": "tls12.keylog", "tls13.pcap": "tls13.keylog"}
SERVICE = {"tls12.pcap": "tls", "tls13.pcap": "tls", "h2c.pcap": "http"}


def records(outdir, log):
    path = os.path.join(outdir, log + ".jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f]


def main():
    tool = os.path.realpath(sys.argv[1])
    corpus = os.path.join(os.path.dirname(os.path.realpath("WORKSPACE")), "corpus", "http2")
    with open(os.path.join(corpus, "objects.json")) as f:
        expected = json.load(f)
    failures = 0
    for pcap, objects in sorted(expected.items()):
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out")
            cmd = [tool, "-q", "-r", os.path.join(corpus, pcap), "-o", out]
            if pcap in KEYLOGS:
                cmd += ["--keylog", os.path.join(corpus, KEYLOGS[pcap])]
            subprocess.run(cmd, check=True)
            files = records(out, "files")
            stored = []
            for r in files:
                with open(os.path.join(out, r["path"]), "rb") as f:
                    stored.append(f.read())
            problems = []
            for o in objects:
                # By content: the recorder's file names are not always the protocol's (a
                # POST body has none).
                candidates = stored
                if "sha256" in o:
                    ok = any(hashlib.sha256(d).hexdigest() == o["sha256"] for d in candidates)
                else:  # an aborted download: a prefix of the file, at least min_length
                    ok = any(len(d) >= o["min_length"] and
                             hashlib.sha256(d[:30000]).hexdigest() == o["sha256_first_30000"]
                             for d in candidates)
                if not ok:
                    problems.append("object %s (%s) missing or different" % (o["name"], o["direction"]))
            versions = {r.get("version") for r in records(out, "http")}
            if "2" not in versions:
                problems.append("no http.jsonl record with version 2: %s" % versions)
            services = {r.get("service") for r in records(out, "flows")}
            want = SERVICE.get(pcap, "http2")
            if want not in services:
                problems.append("flows service %s, want %s" % (services, want))
            status = "ok  " if not problems else "FAIL"
            print("%s %s: %d objects, %d http records" % (status, pcap, len(files),
                                                          len(records(out, "http"))))
            for p in problems:
                print("     " + p)
            failures += bool(problems)
    if failures:
        print("%d captures failed" % failures)
        sys.exit(1)


if __name__ == "__main__":
    main()
