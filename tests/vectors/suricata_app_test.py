#!/usr/bin/python3
"""Replays the SMTP and FTP vectors of suricata-verify (../shared/vectors/suricata-verify:
smtp-*, ftp-*, bug-3616-smtp) through tcpfollow and compares the application records their
test.yaml states with tcpfollow's smtp.jsonl, ftp.jsonl and files.jsonl.

The checks come from each test.yaml: every `filter` whose event_type is smtp, ftp, ftp_data
or fileinfo becomes one check. Its match keys are translated through FIELDS (Suricata EVE
field -> how to read it from tcpfollow's records, with the normalization applied to both
sides); keys FIELDS does not list (flow tuple, tx_id, email.status, fileinfo.state...) are
not compared. The check holds when the number of tcpfollow records matching every compared
key equals the filter's `count` (at least one when no count). fileinfo.md5/sha1/sha256 are
computed from the object file tcpfollow wrote, so they check extracted content.

VECTORS holds one entry per folder, only for what the test.yaml does not say: a `skip`
(the vector checks nothing tcpfollow logs: detection keywords, alerts, anomalies, stats;
still run, exit 0 and logs required) or a `known` difference (the checks still run; a
failure is printed under KNOWN DIFFERENCES with which side is right and why, and does not
fail the test). Not validated: Suricata detection, app-layer events, frames, stats.
Vectors are found via $TCPFOLLOW_VECTORS or ../shared/vectors; without them: SKIPPED.
"""
import email.utils
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import yaml
sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), ".."))
from testlib import VectorTally, repo_root, vector_folders, vectors_dir, work_dir  # noqa: E402

SV = "suricata-verify"
FOLDER_GLOBS = ["smtp-*", "ftp-*", "bug-3616-smtp"]
EVENTS = {"smtp": "smtp", "ftp": "ftp", "ftp_data": "ftp_data", "fileinfo": "files"}


def addr(v):
    """An address as both tools can agree on it: the addr-spec, lower case, no <>."""
    if isinstance(v, list):
        return [addr(x) for x in v]
    return email.utils.parseaddr(str(v))[1].lower() if v is not None else None


def addrs(v):
    """A header listing addresses (To/Cc): the list of addr-specs."""
    if v is None:
        return None
    items = v if isinstance(v, list) else [v]
    return [a.lower() for _, a in email.utils.getaddresses([str(x) for x in items])]


def digest(algo):
    def get(rec, ctx):
        p = rec.get("path")
        if not p or not os.path.isfile(os.path.join(ctx["outdir"], p)):
            return None
        with open(os.path.join(ctx["outdir"], p), "rb") as f:
            return hashlib.new(algo, f.read()).hexdigest()
    return get


def smtp_of(rec, ctx):
    """The smtp record a files record belongs to (by fuid), or the record itself."""
    if "fuid" not in rec:
        return rec
    for s in ctx["smtp"]:
        if rec["fuid"] in s.get("fuids", []):
            return s
    return {}


def attachments(rec, ctx):
    s = smtp_of(rec, ctx)
    names = {f["fuid"]: f.get("name") for f in ctx["files"]}
    return [names[u] for u in s.get("fuids", []) if names.get(u)]


def ftp_of_file(rec, ctx):
    for r in ctx["ftp"]:
        if rec.get("fuid") and r.get("fuid") == rec["fuid"]:
            return r
    return {}


def smtp_field(name, norm=lambda v: v):
    return lambda rec, ctx: norm(smtp_of(rec, ctx).get(name))


# Suricata EVE key (without [i]) -> (getter(record, ctx), normalize the Suricata value).
# Normalizations: addresses compare as addr-specs (Suricata logs header text with display
# names and <>, tcpfollow the decoded form); FTP reply codes as integers.
FIELDS = {
    "smtp.helo": (smtp_field("helo"), lambda v: v),
    "smtp.mail_from": (smtp_field("mailfrom", addr), addr),
    "smtp.rcpt_to": (smtp_field("rcptto", addr), addr),
    "email.from": (smtp_field("from", addr), addr),
    "email.to": (smtp_field("to", addrs), addrs),
    "email.cc": (smtp_field("cc", addrs), addrs),
    "email.subject": (smtp_field("subject"), lambda v: v),
    "email.attachment": (attachments, lambda v: v),
    "ftp.command": (lambda r, c: r.get("command"), lambda v: v),
    "ftp.command_data": (lambda r, c: r.get("arg"), lambda v: v),
    "ftp.completion_code": (lambda r, c: r.get("reply_code"), lambda v: int(v)),
    "ftp.dynamic_port": (lambda r, c: r.get("data_channel.resp_p"), lambda v: int(v)),
    "ftp.mode": (lambda r, c: None if "data_channel.passive" not in r else
                 ("passive" if r["data_channel.passive"] else "active"), lambda v: v),
    "ftp_data.filename": (lambda r, c: r.get("name"), lambda v: v),
    "ftp_data.command": (lambda r, c: ftp_of_file(r, c).get("command"), lambda v: v),
    "fileinfo.filename": (lambda r, c: r.get("name"), lambda v: v),
    "fileinfo.size": (lambda r, c: r.get("size"), lambda v: int(v)),
    "fileinfo.sha256": (lambda r, c: r.get("sha256"), lambda v: v),
    "fileinfo.md5": (digest("md5"), lambda v: v),
    "fileinfo.sha1": (digest("sha1"), lambda v: v),
}

ALERTS_ONLY = "test.yaml checks only alerts, anomaly events, stats or frames (detection, not logged records)"

# Per folder, only what test.yaml does not say. Folders absent from disk fail the test;
# folders on disk absent here run with their test.yaml checks and no annotation.
VECTORS = {
    "bug-3616-smtp": dict(skip=ALERTS_ONLY),
    "ftp-quit": dict(skip=ALERTS_ONLY),
    "ftp-retr-bypass-realserver": dict(skip=ALERTS_ONLY),
    "smtp-attachment-md5": dict(skip=ALERTS_ONLY),
    "smtp-bug-6053": dict(skip=ALERTS_ONLY),
    "smtp-errors": dict(skip=ALERTS_ONLY),
    "smtp-keywords": dict(skip=ALERTS_ONLY),
    "smtp-long-DATA-line-02-frames": dict(skip=ALERTS_ONLY),
    "smtp-long-DATA-line-03-frames-ips": dict(skip=ALERTS_ONLY),
    "smtp-no-helo-quit": dict(skip=ALERTS_ONLY),
    "smtp-no-helo-rset": dict(skip=ALERTS_ONLY),
    "smtp-no-helo-rset-helo-mail": dict(skip=ALERTS_ONLY),
    "smtp-quit": dict(skip=ALERTS_ONLY),
    "smtp-raw-extraction": dict(skip=ALERTS_ONLY),
    "smtp-rset": dict(skip=ALERTS_ONLY),
    "smtp-tls-protodetect": dict(skip=ALERTS_ONLY),
    "smtp-to-comma": dict(
        bad_capture="the vector's capture is damaged (3 bytes longer than smtp-data-rejected's, "
                    "from which it was copied; tcpdump stops at the same record): tcpfollow "
                    "processes it up to the damage, names the offset in the summary and exits 0 "
                    "(issue #15: damaged input is counted, not fatal)"),
    # Fixed: only an accepted HELO/EHLO resets the transaction (RFC 5321 4.1.4); one record
    # with helo, alice, bob and the message.
    "smtp-rejected-ehlo-preserves-envelope": dict(),
    # Fixed: `BDAT 5 X` (501) is not a chunk (RFC 3030 grammar), so `MAIL FROM` survives.
    "smtp-bdat-bad-tail-reply-queue": dict(),
    "smtp-bdat-bad-tail-next-mail": dict(
        known="policy: the invalid `BDAT 5 X` is now refused without a chunk (RFC 3030), and "
              "the BDAT LAST message is extracted. What remains: the second mail's DATA body "
              "is pipelined although DATA is not pipelinable and the server never sends 354 "
              "(it closes); Suricata inspects those bytes as a message, tcpfollow holds them "
              "until a 354 that never comes. A server did not accept that message."),
    "smtp-ehlo-reset-after-rejected-data": dict(
        known="policy: Suricata logs the DATA attempt rejected with 503 (no envelope) as its own "
              "transaction; tcpfollow logs only mail transactions (MAIL FROM or data seen). "
              "Both defensible; the complete message afterwards matches."),
    "smtp-long-command": dict(
        known="limits: Suricata cuts the 4 kB EHLO line at its line limit and logs that prefix "
              "as smtp.helo; tcpfollow keeps its own cap. The line is an over-long anomaly "
              "either way; the value logged differs by design."),
    "smtp-rset-starttls": dict(
        known="detection: an oss-fuzz reproducer on port 25: client `EHLO\\n rset\\n "
              "staRttLs\\n` (LF only), server `250\\n250\\n220\\n` with no greeting and no "
              "reply text. Suricata detects SMTP from the client's EHLO and logs one transaction; "
              "tcpfollow leaves the flow's service null and logs no smtp record. A capture this "
              "malformed proves little; an SMTP detector keyed on the client's EHLO on port 25 "
              "would agree with Suricata."),
    "ftp-retr-bypass-baseline": dict(
        known="record count: Suricata logs 7 ftp transactions (it counts the 220 greeting as "
              "one), tcpfollow 6 (one per command); all six commands and replies agree."),
}


def load_yaml(folder):
    path = os.path.join(folder, "test.yaml")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return yaml.safe_load(f) or {}


def capture_of(folder, test):
    if test.get("pcap"):
        return os.path.normpath(os.path.join(folder, test["pcap"]))
    found = sorted(glob.glob(os.path.join(folder, "*.pcap")))
    return found[0] if len(found) == 1 else None


def app_checks(test):
    """The filters of test.yaml about records tcpfollow writes: (event, match, count)."""
    out = []
    for ch in test.get("checks") or []:
        flt = ch.get("filter") if isinstance(ch, dict) else None
        if not flt:
            continue
        req = flt.get("requires") or {}
        if "lt-version" in req or "max-version" in req:
            continue  # an older Suricata's behaviour
        match = flt.get("match") or {}
        event = match.get("event_type")
        if event in EVENTS:
            out.append((event, match, flt.get("count"), bool(flt.get("not-has-key"))))
    return out


def load_log(outdir, name):
    path = os.path.join(outdir, name + ".jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


KEY = re.compile(r"^(.*?)(?:\[(\d+)\])?$")


def compared_keys(match):
    """[(eve key, field, index, expected)] for the keys FIELDS knows."""
    out = []
    for k, v in match.items():
        base, idx = KEY.match(k).groups()
        if base in FIELDS:
            out.append((k, base, None if idx is None else int(idx), v))
    return out


def record_matches(rec, keys, ctx):
    for _, base, idx, want in keys:
        get, norm = FIELDS[base]
        got = get(rec, ctx)
        want = norm(want)
        if idx is not None:
            if isinstance(want, list):  # a header normalized to a list: its first entry
                want = want[0] if want else None
            if not isinstance(got, list) or idx >= len(got):
                return False
            got = got[idx]
            if isinstance(got, list):
                got = got[0] if got else None
        if got != want:
            return False
    return True


def candidates(event, ctx):
    if event == "ftp_data":
        return [f for f in ctx["files"] if f.get("source") == "ftp"]
    if event == "fileinfo":
        return ctx["files"]
    return ctx[EVENTS[event]]


# Keys that only place the record (the flow, the transaction) and so do not narrow it.
# (tx_id, pcap_cnt, pkt_src do narrow: they pick one transaction of several.)
PLACING = {"event_type", "src_ip", "dest_ip", "src_port", "dest_port", "proto", "app_proto",
           "flow_id"}


def evaluate(event, match, count, ctx, not_has):
    """A filter with keys tcpfollow cannot be compared on (email.status, not-has-key...)
    matches a subset of the records FIELDS selects: its count is then a lower bound, and a
    count-0 filter says nothing here."""
    keys = compared_keys(match)
    partial = not_has or any(k not in PLACING and KEY.match(k).group(1) not in FIELDS
                             for k in match)
    if partial and count == 0:
        return None
    if event == "fileinfo" and match.get("app_proto"):
        source = {"smtp": "smtp", "ftp-data": "ftp", "ftp": "ftp", "http": "http"}.get(match["app_proto"])
        recs = [r for r in candidates(event, ctx) if r.get("source") == source]
    else:
        recs = candidates(event, ctx)
    n = sum(1 for r in recs if record_matches(r, keys, ctx))
    if count is None or partial:
        ok, want = n >= (count or 1), ">= %d" % (count or 1)
    else:
        ok, want = n == count, str(count)
    if ok:
        return None
    shown = ", ".join("%s=%s" % (k, short(v)) for k, _, _, v in keys) or "(no compared key)"
    return "%s %s: %d tcpfollow record(s) match, expected %s" % (event, shown, n, want)


def short(v):
    r = repr(v)
    return r if len(r) <= 60 else r[:50] + "...(%d chars)" % len(str(v))


def run_vector(tool, vectors, name, work):
    folder = os.path.join(vectors, SV, name)
    test = load_yaml(folder)
    pcap = capture_of(folder, test)
    if not pcap or not os.path.exists(pcap):
        return ["capture not found (%s)" % test.get("pcap", "no single *.pcap")], [], 0
    outdir = os.path.join(work, name)
    run = subprocess.run([tool, "-q", "-r", pcap, "-o", outdir], capture_output=True, text=True)
    if VECTORS.get(name, {}).get("bad_capture"):
        # -q hides the summary: run again without it to read the damage line.
        seen = subprocess.run([tool, "-r", pcap, "-o", outdir + ".summary"], capture_output=True,
                              text=True)
        ok = (run.returncode == 0 and seen.returncode == 0 and "damaged at byte" in seen.stderr
              and os.path.exists(os.path.join(outdir, "flows.jsonl")))
        return ([] if ok else ["damaged capture: expected exit 0, the records up to the damage "
                               "and its offset in the summary, got %d: %s"
                               % (run.returncode, seen.stderr.strip()[-200:])]), [], 0
    if run.returncode != 0:
        return ["tcpfollow exited %d: %s" % (run.returncode, run.stderr.strip()[:300])], [], 0
    if not os.path.exists(os.path.join(outdir, "flows.jsonl")):
        return ["no flows.jsonl written"], [], 0
    ctx = {"outdir": outdir, "smtp": load_log(outdir, "smtp"), "ftp": load_log(outdir, "ftp"),
           "files": load_log(outdir, "files")}
    checks = app_checks(test)
    diffs = [d for d in (evaluate(e, m, c, ctx, nh) for e, m, c, nh in checks) if d]
    return [], diffs, len(checks)


def main():
    tool = os.path.realpath(sys.argv[1])
    vectors = vectors_dir(SV)
    if not vectors:
        print("SKIPPED: suricata-verify vectors not found ($TCPFOLLOW_VECTORS or ../shared/vectors)")
        return 0
    on_disk = vector_folders(vectors, SV, FOLDER_GLOBS)
    tally = VectorTally()
    for missing in sorted(set(VECTORS) - on_disk):
        tally.failures.append("%s: listed but not in %s" % (missing, os.path.join(vectors, SV)))
    work = work_dir("suricata_app.")
    n_checks = 0
    for name in sorted(on_disk):
        entry = VECTORS.get(name, {})
        crashes, diffs, n = run_vector(tool, vectors, name, work)
        if crashes:
            tally.crashed(name, crashes)
        elif entry.get("skip") or entry.get("bad_capture"):
            tally.skipped(name, entry.get("skip") or entry["bad_capture"],
                          "ran, exit 0" if entry.get("skip") else "ran")
        elif n == 0:
            tally.failures.append("%s: test.yaml has no smtp/ftp/fileinfo check: add a skip with a reason" % name)
            print("FAIL  %s: nothing to compare and no skip reason" % name)
        elif tally.compared(name, entry, diffs, ": %d checks" % n):
            n_checks += n
    shutil.rmtree(work, ignore_errors=True)
    return tally.report(len(on_disk), "; %d test.yaml checks compared" % n_checks)

if __name__ == "__main__":
    sys.exit(main())
