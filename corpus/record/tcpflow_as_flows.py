#!/usr/bin/python3
"""Runs tcpflow on a capture and writes its result as a tcpfollow-style flows.jsonl.

usage: tcpflow_as_flows.py CAPTURE OUTDIR

A cross-check for the manifests (and for check_streams.py) that does not depend on
tcpfollow: tcpflow writes one file per direction; report.xml names each with its
endpoints and start time. The two directions of a connection are paired in order of
appearance; the client is the side whose first packet came first. Only the fields
check_streams.py reads are written (ts, id.*, files, orig/resp_bytes); tcpflow
does not report missed bytes, so none are written and check with --streams-only.
"""
import calendar
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET


def ts_of(s):
    base, frac = s.rstrip("Z").split(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + float("0." + frac)


def main():
    cap, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    subprocess.run(["tcpflow", "-r", os.path.abspath(cap), "-o", "raw"], cwd=out, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dirs = {}
    for fo in ET.parse(os.path.join(out, "raw", "report.xml")).iter("fileobject"):
        t = fo.find("tcpflow")
        if t is None:
            continue
        d = dict(src=t.get("src_ipn"), sp=int(t.get("srcport")), dst=t.get("dst_ipn"),
                 dp=int(t.get("dstport")), ts=ts_of(t.get("startime")),
                 path=fo.findtext("filename"), size=int(fo.findtext("filesize")))
        dirs.setdefault((d["src"], d["sp"], d["dst"], d["dp"]), []).append(d)
    for v in dirs.values():
        v.sort(key=lambda d: d["ts"])
    done = set()
    flows = []
    for k, ds in dirs.items():
        rk = (k[2], k[3], k[0], k[1])
        if k in done:
            continue
        done.update([k, rk])
        rs = dirs.get(rk, [])
        for i in range(max(len(ds), len(rs))):
            a = ds[i] if i < len(ds) else None
            b = rs[i] if i < len(rs) else None
            c, s = (a, b) if b is None or (a is not None and a["ts"] <= b["ts"]) else (b, a)
            ck = (c["src"], c["sp"], c["dst"], c["dp"])
            rel = lambda d: os.path.relpath(d["path"], ".") if d else None
            flows.append({"ts": c["ts"], "id.orig_h": ck[0], "id.orig_p": ck[1],
                          "id.resp_h": ck[2], "id.resp_p": ck[3],
                          "orig_bytes": c["size"], "resp_bytes": s["size"] if s else 0,
                          "files": {k2: v for k2, v in (("client", rel(c)), ("server", rel(s))) if v}})
    flows.sort(key=lambda f: f["ts"])
    with open(os.path.join(out, "flows.jsonl"), "w") as f:
        for fl in flows:
            f.write(json.dumps(fl) + "\n")


if __name__ == "__main__":
    main()
