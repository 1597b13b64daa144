#!/usr/bin/python3
"""Records that answer everyday questions without a join, on the corpus/records captures:

  everyday.pcap         files.jsonl: tx_hosts / rx_hosts / is_orig, the carrying record's
                        facts (HTTP and HTTP/2: method, host, uri; SMTP: mailfrom, rcptto,
                        subject; FTP: command, arg), and stored names taking an extension
                        from their type when they have none;
  not_parsed.pcap       decrypted TLS sessions no protocol parsed: the summary line and
                        stats.json sessions.decrypted_not_parsed, grouped by reason;
  short_transfers.pcap  missing_bytes and partial for an FTP transfer the 150 reply or
                        SIZE gave the length of, and a chunked body resynchronised after a
                        gap, as the recording computed them from what it cut;
  not_ip.pcap           frames that are not IP counted by kind, not as damage.

Expected values come from the manifests the recording scripts wrote (what the peers sent,
what was cut), never from an earlier tcpfollow run. A missing capture fails the test.
"""
import json
import os
import subprocess
import sys
import tempfile

failures = 0


def check(cond, msg):
    global failures
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        failures += 1


def run(tool, root, work, name, *extra):
    pcap = os.path.join(root, "corpus", "records", name + ".pcap")
    out = os.path.join(work, name)
    r = subprocess.run([tool, "-r", pcap, "-o", out] + list(extra), capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise SystemExit("tcpfollow failed on %s: %s" % (name, r.stderr))
    logs = {}
    for log in ("files", "http", "smtp", "ftp", "flows", "tls"):
        path = os.path.join(out, log + ".jsonl")
        logs[log] = [json.loads(l) for l in open(path)] if os.path.exists(path) else []
    stats = json.load(open(os.path.join(out, "stats.json")))
    manifest = json.load(open(os.path.join(root, "corpus", "records", name + ".manifest.json")))
    return logs, stats, r.stderr, manifest


# What a stored name's extension must be for the types these captures carry (written
# here, independently of tools/mime_extensions.cc).
EXTENSION = {"text/plain": "txt", "text/html": "html", "application/pdf": "pdf",
             "image/png": "png", "message/rfc822": "eml", "application/octet-stream": "bin"}
CLIENT, SERVER = "198.18.0.1", "198.18.0.2"


def everyday(tool, root, work):
    logs, _, _, manifest = run(tool, root, work, "everyday")
    files = logs["files"]
    check(len(files) >= 14, "everyday: %d objects" % len(files))
    # What the client sent, as the peers logged it: request bodies, uploads, mail.
    client_sent = {o["sha256"] for o in manifest["objects"]
                   if o.get("direction") in ("request", "upload") or o["source"] == "smtp"}
    for f in files:
        label = "%s object %s (%s)" % (f["source"], f.get("name") or f.get("uri") or "", f["fuid"])
        sent_by_client = f["source"] == "smtp" or f.get("sha256") in client_sent
        tx, rx = (CLIENT, SERVER) if sent_by_client else (SERVER, CLIENT)
        # FTP data connections are their own connections; passive: the client opened them.
        check(f.get("tx_hosts") == [tx] and f.get("rx_hosts") == [rx],
              "%s: tx_hosts %s rx_hosts %s (want [%s] [%s])" %
              (label, f.get("tx_hosts"), f.get("rx_hosts"), tx, rx))
        check(f.get("is_orig") is sent_by_client, "%s: is_orig %s" % (label, f.get("is_orig")))
        if f["source"] == "http":
            check(f.get("method") in ("GET", "POST") and f.get("uri", "").startswith("/") and
                  f.get("host"), "%s: carried by %s %s (host %s)" %
                  (label, f.get("method"), f.get("uri"), f.get("host")))
        elif f["source"] == "smtp":
            check(f.get("mailfrom") == "alice@client.records.test" and
                  f.get("rcptto") == ["bob@mx.records.test", "carol@mx.records.test"] and
                  f.get("subject") == "Quarterly numbers",
                  "%s: mail from %s to %s, subject %r" %
                  (label, f.get("mailfrom"), f.get("rcptto"), f.get("subject")))
        elif f["source"] == "ftp":
            check(f.get("command") in ("RETR", "STOR") and f.get("arg") in ("README", "upload.bin"),
                  "%s: carried by %s %s" % (label, f.get("command"), f.get("arg")))
        # The stored name: an extension from the type when the protocol's name has none.
        base = os.path.basename(f["path"])[len(f["fuid"]) + 1:]
        stem, dot, ext = base.rpartition(".")
        want = EXTENSION.get(f.get("mime_type", ""))
        name = f.get("name", "")
        if name and "." in name:
            check(base.endswith(name.rsplit(".", 1)[1]), "%s: stored as %s keeps its own name" %
                  (label, base))
        else:
            check(want is not None and dot and ext == want,
                  "%s: %s stored as %s (want .%s)" % (label, f.get("mime_type"), base, want))
    by_uri = {f.get("uri"): f for f in files if f["source"] == "http"}
    expect = {"/notes": "txt", "/": "html", "/report": "pdf", "/logo": "png", "/readme": "txt",
              "/upload": "txt", "/data.bin": "bin"}
    for uri, ext in expect.items():
        f = by_uri.get(uri)
        check(f is not None and f["path"].endswith("." + ext),
              "HTTP %s stored as %s" % (uri, f and f["path"]))
    # The FTP upload.bin is a byte ramp (00 01 02 ...): libmagic calls it a TGA image, a
    # weak signature (TGA has no magic number), so it is application/octet-stream.
    upload = [f for f in files if f.get("arg") == "upload.bin"]
    check(len(upload) == 1 and upload[0].get("mime_type") == "application/octet-stream",
          "FTP upload.bin (a byte ramp): application/octet-stream (%s)" %
          [f.get("mime_type") for f in upload])
    h2 = [f for f in files if f.get("uri") == "/readme"]
    check(len(h2) == 1 and h2[0].get("method") == "GET" and h2[0].get("host"),
          "HTTP/2 object carries its request (%s)" % h2)
    smtp = sorted(os.path.splitext(f["path"])[1].lstrip(".") for f in files if f["source"] == "smtp")
    check(smtp == ["eml", "eml", "pdf", "txt", "txt"],
          "SMTP: message .eml, text part .txt, unnamed PDF .pdf, attached message .eml and "
          "its own text part .txt (%s)" % smtp)
    # Every object the peers logged is there (sha256), and one jq filter finds a host's.
    shas = {f.get("sha256") for f in files}
    missing = [o for o in manifest["objects"] if o["sha256"] not in shas]
    check(not missing, "every object the peers logged is extracted (%s)" % missing)
    from_server = [f for f in files if f.get("tx_hosts") == [SERVER]]
    check(len(from_server) == len([f for f in files if f.get("rx_hosts") == [CLIENT]]) >= 8,
          "objects from host %s: %d, without a join" % (SERVER, len(from_server)))


def stitched(tool, root, work):
    """Objects stitched from 206 pieces (corpus/http/ranges.pcap) say the same: every host
    that sent a piece, every one that received one, and the request."""
    pcap = os.path.join(root, "corpus", "http", "ranges.pcap")
    out = os.path.join(work, "ranges")
    r = subprocess.run([tool, "-q", "-r", pcap, "-o", out], capture_output=True, text=True)
    check(r.returncode == 0, "ranges.pcap: %s" % r.stderr.strip())
    files = [json.loads(l) for l in open(os.path.join(out, "files.jsonl"))]
    stitched = [f for f in files if f.get("stitched")]
    check(len(stitched) >= 2, "ranges.pcap: %d stitched objects" % len(stitched))
    for f in files:
        ok = f.get("tx_hosts") and f.get("rx_hosts") and f.get("is_orig") is False and \
            f.get("method") == "GET" and f.get("uri", "").startswith("/files/") and f.get("host")
        check(ok, "%s object %s: tx %s rx %s, %s %s" % ("stitched" if f.get("stitched") else "whole",
                                                      f.get("name"), f.get("tx_hosts"),
                                                      f.get("rx_hosts"), f.get("method"),
                                                      f.get("uri")))


def not_parsed(tool, root, work):
    keylog = os.path.join(root, "corpus", "records", "not_parsed.keylog")
    logs, stats, err, _ = run(tool, root, work, "not_parsed", "--keylog", keylog)
    flows = logs["flows"]
    check(len(flows) == 4 and all(f.get("decrypted") for f in flows),
          "not_parsed: 4 sessions, all decrypted (%s)" % [f.get("decrypted") for f in flows])
    line = [l.strip() for l in err.splitlines() if "decrypted but not parsed" in l]
    want = "3 sessions decrypted but not parsed: ALPN spdy/3 (2), " \
           "no protocol detected in the plaintext (1)"
    check(line == [want], "summary: %s" % line)
    got = stats.get("sessions", {}).get("decrypted_not_parsed")
    check(got == {"ALPN spdy/3": 2, "no protocol detected in the plaintext": 1},
          "stats.json sessions.decrypted_not_parsed %s" % got)
    check(len(logs["http"]) == 1 and logs["http"][0].get("uri") == "/tls",
          "the http/1.1 session is parsed, and not counted (%s)" % logs["http"])


def short_transfers(tool, root, work):
    logs, _, _, manifest = run(tool, root, work, "short_transfers")
    files = logs["files"]
    expect = manifest.get("expect", [])
    check(len(expect) == 3, "short_transfers: the manifest expects 3 objects")
    for e in expect:
        key = "uri" if "uri" in e else "name"
        got = [f for f in files if f.get(key) == e[key]]
        fields = ("size", "missing_bytes", "partial")
        seen = tuple(got[0].get(k) for k in fields) if len(got) == 1 else None
        check(seen == tuple(e[k] for k in fields),
              "%s %s: size, missing_bytes, partial %s (want %s)" %
              (e["source"], e[key], seen, tuple(e[k] for k in fields)))
    ftp = {r.get("arg"): r for r in logs["ftp"] if r.get("command") == "RETR"}
    check(all(ftp.get(n, {}).get("partial") is True for n in ("announce.bin", "sized.bin")),
          "ftp.jsonl: both cut transfers are partial")


def not_ip(tool, root, work):
    logs, stats, err, manifest = run(tool, root, work, "not_ip")
    kinds = manifest["not_ip"]
    got = stats["packets"].get("not_ip")
    check(got == kinds, "stats.json packets.not_ip %s (want %s)" % (got, kinds))
    line = [l.strip() for l in err.splitlines() if l.strip().startswith("not IP")]
    parts = sorted("%s %d" % kv for kv in kinds.items())
    ok = len(line) == 1 and sorted(line[0][len("not IP: "):].split(" (")[0].split(", ")) == parts
    check(ok and "(%d packets skipped)" % sum(kinds.values()) in line[0],
          "summary: %s" % line)
    check("damaged" not in err, "frames that are not IP are not called damaged")
    check(len(logs["http"]) == 1, "the HTTP exchange among them is parsed")


def main():
    tool = os.path.realpath(sys.argv[1])
    root = os.path.dirname(os.path.realpath("WORKSPACE"))
    work = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    for name in ("everyday", "not_parsed", "short_transfers", "not_ip"):
        path = os.path.join(root, "corpus", "records", name + ".pcap")
        if not os.path.exists(path):
            check(False, "capture %s is missing" % path)
            continue
        globals()[name](tool, root, work)
    stitched(tool, root, work)
    print("%d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
