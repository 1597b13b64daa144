#!/usr/bin/python3
"""Checks a tcpfollow output directory against a corpus capture's manifest.

usage: check_streams.py MANIFEST.json OUTDIR [--objects] [--streams-only] [--quiet]

For every connection in the manifest (the sha256 and length of each byte stream as
the endpoints themselves sent it), finds the flows.jsonl record with the same
4-tuple (id.orig_h, id.orig_p, id.resp_h, id.resp_p); when a 4-tuple was reused,
the n-th record by `ts` (file order on ties) matches the n-th connection by start.
Checks files.client / files.server (relative to OUTDIR) hash to the recorded sha256
and length (an absent file is accepted only for an empty stream), and unless
--streams-only that orig_bytes/resp_bytes equal those lengths and
orig_missed_bytes/resp_missed_bytes are 0 (every corpus byte is in its capture), except
for connections whose manifest entry says what a deliberately cut capture holds
("captured": per direction sha256, length and missed bytes).
Flows that no endpoint recorded and that carry bytes are reported as unexpected.
With --objects, every manifest object's sha256 must also appear in files.jsonl with
the same size, and its file must hash to it. Prints one line per problem and a
summary; exits 1 on any mismatch, 2 on unusable input.
"""
import argparse
import hashlib
import ipaddress
import json
import os
import sys


def norm_ip(s):
    ip = ipaddress.ip_address(str(s).split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ip)


def key_of(h1, p1, h2, p2):
    return (norm_ip(h1), int(p1), norm_ip(h2), int(p2))


def fmt_key(k):
    def ep(h, p):
        return ("[%s]:%d" if ":" in h else "%s:%d") % (h, p)
    return "%s -> %s" % (ep(k[0], k[1]), ep(k[2], k[3]))


def file_digest(path):
    h = hashlib.sha256()
    n = 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
            n += len(chunk)
    return h.hexdigest(), n


def load_flows(outdir):
    path = os.path.join(outdir, "flows.jsonl")
    flows = []
    with open(path) as f:
        for lineno, line in enumerate(f):
            if not line.strip():
                continue
            rec = json.loads(line)
            rec["_line"] = lineno + 1
            flows.append(rec)
    return flows


def check_stream(outdir, flow, which, expect, problems, label):
    rel = (flow.get("files") or {}).get(which)
    if not rel:
        if expect["length"] == 0:
            return
        problems.append("%s: no files.%s, expected %d bytes sha256 %s" %
                        (label, which, expect["length"], expect["sha256"][:16]))
        return
    path = os.path.join(outdir, rel)
    if not os.path.isfile(path):
        problems.append("%s: files.%s = %s does not exist" % (label, which, rel))
        return
    digest, n = file_digest(path)
    if digest != expect["sha256"] or n != expect["length"]:
        how = "shorter" if n < expect["length"] else "longer" if n > expect["length"] else "same length, different bytes"
        problems.append("%s: %s (%s) is %d bytes sha256 %s; endpoints sent %d bytes sha256 %s (%s)" %
                        (label, which, rel, n, digest[:16], expect["length"], expect["sha256"][:16], how))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("manifest")
    ap.add_argument("outdir")
    ap.add_argument("--objects", action="store_true", help="also check files.jsonl objects")
    ap.add_argument("--streams-only", action="store_true", help="do not check byte counters")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    try:
        manifest = json.load(open(args.manifest))
        flows = load_flows(args.outdir)
    except (OSError, ValueError) as e:
        print("check_streams: %s" % e, file=sys.stderr)
        return 2

    by_key = {}
    for i, fl in enumerate(flows):
        try:
            k = key_of(fl["id.orig_h"], fl["id.orig_p"], fl["id.resp_h"], fl["id.resp_p"])
        except (KeyError, ValueError) as e:
            print("check_streams: flows.jsonl line %d: bad endpoint fields (%s)" % (fl["_line"], e),
                  file=sys.stderr)
            return 2
        by_key.setdefault(k, []).append((fl.get("ts", 0.0), i, fl))
    for k in by_key:
        by_key[k].sort(key=lambda t: (t[0], t[1]))

    conns = sorted(manifest["connections"], key=lambda c: c["start"])
    seen = {}
    problems = []
    for c in conns:
        k = key_of(c["orig_h"], c["orig_p"], c["resp_h"], c["resp_p"])
        n = seen.get(k, 0)
        seen[k] = n + 1
        label = "conn %d %s%s" % (c.get("index", -1), fmt_key(k), " (#%d on this 4-tuple)" % (n + 1) if n else "")
        cands = by_key.get(k, [])
        if n >= len(cands):
            rev = (k[2], k[3], k[0], k[1])
            hint = " (a flow exists with client and server swapped)" if rev in by_key else ""
            problems.append("%s: no flows.jsonl record%s" % (label, hint))
            continue
        fl = cands[n][2]
        # A capture cut on purpose holds less than the endpoints sent: "captured" says what.
        cap = c.get("captured", {})
        c2s = cap.get("client_to_server", c["client_to_server"])
        s2c = cap.get("server_to_client", c["server_to_client"])
        check_stream(args.outdir, fl, "client", c2s, problems, label)
        check_stream(args.outdir, fl, "server", s2c, problems, label)
        if not args.streams_only:
            for field, want in (("orig_bytes", c2s["length"]),
                                ("resp_bytes", s2c["length"]),
                                ("orig_missed_bytes", c2s.get("missed", 0)),
                                ("resp_missed_bytes", s2c.get("missed", 0))):
                if field in fl and fl[field] != want:
                    problems.append("%s: %s = %s, expected %d" % (label, field, fl[field], want))
                elif field not in fl:
                    problems.append("%s: flows.jsonl record has no %s" % (label, field))

    for k, cands in by_key.items():
        for _, _, fl in cands[seen.get(k, 0):]:
            if fl.get("orig_bytes", 1) or fl.get("resp_bytes", 1):
                problems.append("unexpected flow %s (flows.jsonl line %d, %s/%s bytes): no endpoint recorded it" %
                                (fmt_key(k), fl["_line"], fl.get("orig_bytes"), fl.get("resp_bytes")))

    n_objects = 0
    if args.objects and manifest.get("objects"):
        files = []
        fpath = os.path.join(args.outdir, "files.jsonl")
        if os.path.exists(fpath):
            files = [json.loads(l) for l in open(fpath) if l.strip()]
        by_sha = {}
        for f in files:
            by_sha.setdefault(f.get("sha256"), []).append(f)
        for o in manifest["objects"]:
            n_objects += 1
            what = "%s object %s" % (o["source"], o.get("name") or o.get("url") or o["sha256"][:16])
            got = by_sha.get(o["sha256"])
            if not got:
                problems.append("%s: not in files.jsonl (%d bytes sha256 %s)" % (what, o["length"], o["sha256"][:16]))
                continue
            f = got[0]
            if f.get("size") != o["length"]:
                problems.append("%s: files.jsonl size %s, expected %d" % (what, f.get("size"), o["length"]))
            p = os.path.join(args.outdir, f.get("path", ""))
            if not os.path.isfile(p) or file_digest(p)[0] != o["sha256"]:
                problems.append("%s: %s does not hold the object" % (what, f.get("path")))

    for p in problems:
        print("MISMATCH " + p)
    if not args.quiet or problems:
        print("%s: %d connections, %d objects checked, %d problems" %
              (manifest.get("capture", args.manifest), len(conns), n_objects, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
