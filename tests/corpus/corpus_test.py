#!/usr/bin/python3
"""The pcap regression suite: runs tcpfollow over every corpus capture that has a
manifest (corpus/<area>/<name>.manifest.json) and checks

  1. every stream file against the sha256s the endpoints recorded (check_streams.py),
     and every extracted object when the manifest lists objects;
  2. every record against the golden file corpus/golden/<area>/<name>.jsonl: all logs
     of the run, one record per line, keys sorted, logs in a fixed order.

Extra tcpfollow arguments for a capture (key logs, RSA keys) come from an optional
<name>.args file beside it: one argument per line, paths relative to the repository.

Regenerate the goldens after a reviewed change in output (then review `git diff`):
    bazel run //tests/corpus:corpus_test -- --update

With --threads N (corpus_threads_test) the same captures run sharded over N workers: the
stream and object checks are the same, and the records must equal the goldens once the
ids (uid, fuid and the file paths built from them, which depend on the shard count) are
set aside and the lines sorted (record order across workers depends on timing).
"""
import argparse
import base64
import glob
import hashlib
import ipaddress
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), ".."))
from testlib import repo_root, tool_logs, vectors_dir  # noqa: E402

LOGS = []  # tcpfollow --list-logs, filled in main


def normalized_records(outdir):
    lines = []
    for log in LOGS:
        path = os.path.join(outdir, log + ".jsonl")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    rec["_log"] = log
                    lines.append(json.dumps(rec, sort_keys=True))
    return lines


def community_id_v1(orig_h, orig_p, resp_h, resp_p, proto=6, seed=0):
    """Community ID v1, written from the spec independently of the C++ one."""
    a, b = ipaddress.ip_address(orig_h).packed, ipaddress.ip_address(resp_h).packed
    if (a, orig_p) > (b, resp_p):
        a, b, orig_p, resp_p = b, a, resp_p, orig_p
    data = struct.pack("!H", seed) + a + b + struct.pack("!BBHH", proto, 0, orig_p, resp_p)
    return "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


def community_id_problems(lines):
    """Every record that names a connection carries its Community ID, and the right one."""
    bad = []
    for line in lines:
        rec = json.loads(line)
        if "id.orig_h" not in rec:
            continue
        want = community_id_v1(rec["id.orig_h"], rec["id.orig_p"], rec["id.resp_h"], rec["id.resp_p"])
        if rec.get("community_id") != want:
            bad.append("%s record of %s: community_id %s, expected %s" %
                       (rec["_log"], rec.get("uid"), rec.get("community_id"), want))
    return bad


ID_FIELDS = {"uid", "fuid", "fuids", "orig_fuids", "resp_fuids", "path", "files"}


def without_ids(lines):
    out = []
    for line in lines:
        rec = {k: v for k, v in json.loads(line).items() if k not in ID_FIELDS}
        out.append(json.dumps(rec, sort_keys=True))
    return sorted(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tcpfollow")
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    tool = os.path.realpath(args.tcpfollow)
    LOGS[:] = tool_logs(tool)
    root = repo_root()
    manifests = sorted(glob.glob(os.path.join(root, "corpus", "*", "*.manifest.json")))
    if not manifests:
        print("no corpus captures with manifests found under", root)
        return 1
    failures = 0
    tmp = os.environ.get("TEST_TMPDIR")
    work = tempfile.mkdtemp(prefix="corpus_test.", dir=tmp if tmp and os.path.isdir(tmp) else None)
    for manifest in manifests:
        area = os.path.basename(os.path.dirname(manifest))
        name = os.path.basename(manifest)[: -len(".manifest.json")]
        with open(manifest) as f:
            capture = json.load(f).get("capture", name + ".pcap")
        pcap = os.path.join(os.path.dirname(manifest), os.path.basename(capture))
        extra = []
        args_file = os.path.join(os.path.dirname(manifest), name + ".args")
        if os.path.exists(args_file):
            with open(args_file) as f:
                for a in f.read().split("\n"):
                    a = a.strip()
                    if a:
                        extra.append(os.path.join(root, a) if os.path.exists(os.path.join(root, a)) else a)
        outdir = os.path.join(work, area, name)
        cmd = [tool, "-q", "-r", pcap, "-o", outdir, "--threads", str(args.threads)] + extra
        run = subprocess.run(cmd, capture_output=True, text=True)
        label = "%s/%s" % (area, name)
        if run.returncode != 0:
            print("FAIL %s: tcpfollow exited %d: %s" % (label, run.returncode, run.stderr.strip()))
            failures += 1
            continue
        with open(manifest) as f:
            has_objects = bool(json.load(f).get("objects"))
        check = [sys.executable, os.path.join(root, "corpus", "check_streams.py"), manifest, outdir]
        if has_objects:
            check.append("--objects")
        res = subprocess.run(check, capture_output=True, text=True)
        if res.returncode != 0:
            print("FAIL %s: streams differ from what the endpoints sent:\n%s" % (label, res.stdout + res.stderr))
            failures += 1
        golden = os.path.join(root, "corpus", "golden", area, name + ".jsonl")
        got = normalized_records(outdir)
        cid = community_id_problems(got)
        if cid:
            print("FAIL %s: %d records with a wrong community_id, e.g. %s" % (label, len(cid), cid[0]))
            failures += 1
        if args.update:
            os.makedirs(os.path.dirname(golden), exist_ok=True)
            with open(golden, "w") as f:
                f.write("\n".join(got) + "\n")
            print("updated", os.path.relpath(golden, root))
            continue
        if not os.path.exists(golden):
            print("FAIL %s: no golden file %s (run with --update and review)" % (label, golden))
            failures += 1
            continue
        with open(golden) as f:
            want = [l for l in f.read().split("\n") if l]
        if args.threads > 1:
            want, got = without_ids(want), without_ids(got)
        if want != got:
            print("FAIL %s: records differ from %s" % (label, os.path.relpath(golden, root)))
            import difflib
            for l in list(difflib.unified_diff(want, got, "golden", "now", lineterm="", n=0))[:20]:
                print("   ", l[:300])
            failures += 1
        else:
            print("ok   %s: %d records" % (label, len(got)))
    shutil.rmtree(work, ignore_errors=True)
    print("%d captures, %d failed" % (len(manifests), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
