#!/usr/bin/python3
"""Runs tcpflow on a capture and writes its result as a tcpfollow-style flows.jsonl.

usage: tcpflow_as_flows.py CAPTURE OUTDIR

A cross-check for the manifests (and for check_streams.py) that does not depend on
tcpfollow: tcpflow writes one file per direction; report.xml names each with its
endpoints and start time. The two directions of a connection are paired in order of
appearance; the client is the side that sent a SYN (tshark), else the side whose
first packet came first. Only the fields
check_streams.py reads are written (ts, id.*, files, orig/resp_bytes); tcpflow
does not report missed bytes, so none are written and check with --streams-only.
"""
import calendar
import ipaddress
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET


def ts_of(s):
    base, frac = s.rstrip("Z").split(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + float("0." + frac)


def _tuple(d, reverse=False):
    t = (ipaddress.ip_address(d["src"]), d["sp"], ipaddress.ip_address(d["dst"]), d["dp"])
    return (t[2], t[3], t[0], t[1]) if reverse else t


def _flow(c, s, swap=False):
    """c: the client's direction; with swap, c is the server's and the client sent nothing."""
    k = _tuple(c, reverse=swap)
    files = {}
    if c:
        files["server" if swap else "client"] = c["path"]
    if s:
        files["server"] = s["path"]
    return {"ts": c["ts"], "id.orig_h": str(k[0]), "id.orig_p": k[1], "id.resp_h": str(k[2]),
            "id.resp_p": k[3], "orig_bytes": 0 if swap else c["size"],
            "resp_bytes": c["size"] if swap else (s["size"] if s else 0), "files": files}


def main():
    cap, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    subprocess.run(["tcpflow", "-r", os.path.abspath(cap), "-o", "raw"], cwd=out, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    syns = set()
    res = subprocess.run(["tshark", "-r", cap, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0",
                          "-T", "fields", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
                          "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport"],
                         capture_output=True, text=True)
    for line in res.stdout.splitlines():
        c = line.split("\t")
        if len(c) == 6:
            syns.add((ipaddress.ip_address(c[0] or c[1]), int(c[2]),
                      ipaddress.ip_address(c[3] or c[4]), int(c[5])))
    dirs = {}
    for fo in ET.parse(os.path.join(out, "raw", "report.xml")).iter("fileobject"):
        t = fo.find("tcpflow")
        if t is None or not fo.findtext("filename"):
            continue  # tcpflow names no file for a direction that carried no bytes
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
            if s is None and _tuple(c, reverse=True) in syns:
                c, s = None, c
            if c is None:  # only the responder sent bytes
                flows.append(_flow(s, None, swap=True))
                continue
            flows.append(_flow(c, s))
    flows.sort(key=lambda f: f["ts"])
    with open(os.path.join(out, "flows.jsonl"), "w") as f:
        for fl in flows:
            f.write(json.dumps(fl) + "\n")


if __name__ == "__main__":
    main()
