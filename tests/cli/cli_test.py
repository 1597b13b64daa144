#!/usr/bin/python3
"""The command line as users meet it: help and version, bad usage, standard input, BPF
filters, --json, --follow, -q, truncated files, exit statuses and one-line errors."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

failures = 0


def check(cond, msg):
    global failures
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        failures += 1


def main():
    tool = os.path.realpath(sys.argv[1])
    root = os.path.dirname(os.path.realpath("WORKSPACE"))
    work = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
    http = os.path.join(root, "corpus/http/keepalive.pcap")
    tcp = os.path.join(root, "corpus/tcp/concurrent_loss.pcap")

    def run(*args, stdin=None, **kw):
        return subprocess.run([tool, *args], capture_output=True, stdin=stdin, **kw)
    run.tool = tool

    r = run("--help")
    check(r.returncode == 0 and b"usage: tcpfollow" in r.stdout and b"--max-flows" in r.stdout,
          "--help: exit 0, usage and limits on stdout")
    r = run("--version")
    check(r.returncode == 0 and r.stdout.startswith(b"tcpfollow "), "--version")
    for args, what in [((), "no input"), (("-r", "a", "-i", "lo"), "two inputs"),
                       (("-r", http, "--tcp-policy", "nope"), "unknown policy"),
                       (("-r", http, "--bogus"), "unknown option"),
                       (("-r", os.path.join(work, "missing.pcap"), "-o", work + "/m"), "missing file"),
                       (("-r", http, "-o", work + "/b", "tcp", "and", "("), "bad BPF filter")]:
        r = run(*args)
        lines = r.stderr.decode().strip().splitlines()
        check(r.returncode == 1 and len(lines) == 1 and lines[0].startswith("tcpfollow: "),
              "%s: exit 1 with one line (%s)" % (what, lines[0] if lines else "nothing"))

    # Standard input gives the same records as the file.
    a, b = os.path.join(work, "file"), os.path.join(work, "stdin")
    run("-q", "-r", tcp, "-o", a)
    with open(tcp, "rb") as f:
        r = run("-q", "-r", "-", "-o", b, stdin=f)
    check(r.returncode == 0 and r.stderr == b"", "-r - reads standard input; -q prints nothing")
    check(open(a + "/flows.jsonl").read() == open(b + "/flows.jsonl").read(),
          "standard input and file give identical flows.jsonl")

    # A BPF filter keeps only matching connections.
    out = os.path.join(work, "bpf")
    run("-q", "-r", http, "-o", out, "ip6")
    flows = [json.loads(l) for l in open(out + "/flows.jsonl")]
    check(len(flows) == 1 and ":" in flows[0]["id.orig_h"], "BPF 'ip6' keeps only the IPv6 connection")

    # --json prints every record, tagged with its log, and the files still hold them.
    out = os.path.join(work, "json")
    r = run("-q", "--json", "-r", http, "-o", out)
    lines = [json.loads(l) for l in r.stdout.decode().splitlines()]
    logs = {}
    for rec in lines:
        logs[rec["_log"]] = logs.get(rec["_log"], 0) + 1
    on_disk = {log: sum(1 for _ in open(os.path.join(out, log + ".jsonl"))) for log in logs}
    check(logs == on_disk and logs.get("http", 0) == 7 and logs.get("flows") == 2,
          "--json: stdout has every record (%s), same counts as the files" % logs)

    # --follow prints the conversation: header, client lines, indented server lines.
    r = run("-q", "--follow", "-r", http, "-o", os.path.join(work, "follow"))
    text = r.stdout.decode()
    check(text.count("Follow: tcp ") == 2 and "GET /obj/a30000.bin HTTP/1.1" in text
          and ("\tHTTP/1.0 200 OK" in text or "\tHTTP/1.1 200 OK" in text),
          "--follow: two conversations, client request lines, indented server replies")
    check("client sent" in text and "missing)" in text, "--follow: per-connection byte totals")

    # The summary names what happened; a truncated file is processed, then reported.
    cut = os.path.join(work, "cut.pcap")
    data = open(tcp, "rb").read()
    open(cut, "wb").write(data[: len(data) - 37])
    r = run("-r", cut, "-o", os.path.join(work, "cut"))
    err = r.stderr.decode()
    check(r.returncode == 0 and "truncated" in err and "connections 8" in err,
          "truncated file: exit 0, 8 connections, summary says truncated")
    check(err.count("\n") >= 3 and "output: " in err, "summary lists packets, connections, output")

    # Runs never mix: a second run into the same directory is refused with one line naming
    # --force (replace) and --append (add, with ids that cannot collide).
    out = os.path.join(work, "again")
    run("-q", "-r", tcp, "-o", out)
    streams = sorted(os.listdir(out + "/streams"))
    r = subprocess.run([tool, "-q", "-r", tcp, "-o", out], capture_output=True)
    err = r.stderr.decode()
    check(r.returncode == 1 and err.count("\n") == 1 and "--force" in err and "--append" in err,
          "a second run into a used directory: exit 1, one line naming --force and --append")
    run("-q", "-r", tcp, "-o", out, "--force")
    check(sum(1 for _ in open(out + "/flows.jsonl")) == 8 and
          sorted(os.listdir(out + "/streams")) == streams,
          "--force: the earlier run replaced (8 records, the same stream files)")
    run("-q", "-r", http, "-o", out, "--append")
    uids = [json.loads(l)["uid"] for l in open(out + "/flows.jsonl")]
    check(len(uids) > 8 and len(set(uids)) == len(uids) and
          len(os.listdir(out + "/streams")) > len(streams),
          "--append: records of both runs, uids and stream files all distinct")

    # --no-streams writes records but no stream files.
    out = os.path.join(work, "nostreams")
    run("-q", "--no-streams", "-r", http, "-o", out)
    check(not os.path.exists(out + "/streams") and len(os.listdir(out + "/objects")) == 6,
          "--no-streams: no stream files (and no empty streams/), objects still extracted")

    # --no-objects: the same HTTP records and files.jsonl entries (ids, sizes, types), but
    # no object is stored or hashed.
    full = [json.loads(l) for l in open(out + "/files.jsonl")]
    out2 = os.path.join(work, "noobjects")
    run("-q", "--no-objects", "-r", http, "-o", out2)
    listed = [json.loads(l) for l in open(out2 + "/files.jsonl")]
    check(not os.path.exists(out2 + "/objects") and len(os.listdir(out2 + "/streams")) > 0,
          "--no-objects: no object files, streams still written")
    strip = lambda r: {k: v for k, v in r.items() if k not in ("path", "sha256")}
    check(len(listed) == 6 and [strip(r) for r in full] == listed,
          "--no-objects: files.jsonl lists the same 6 objects without path and sha256")
    check(open(out + "/http.jsonl").read() == open(out2 + "/http.jsonl").read(),
          "--no-objects: http.jsonl unchanged")

    # --rotate splits the logs into periods; report.html is the whole run's: every period's
    # records (periods.pcap: three connections 1.2 s apart, so one per second with
    # --rotate 1), not only those of the period still open when the run ends.
    out = os.path.join(work, "rotate")
    r = run("-q", "-r", os.path.join(root, "corpus/http/periods.pcap"), "--rotate", "1",
            "-o", out)
    stamp = r"\d{4}(-\d\d){5}"
    rotated = sorted(f for f in os.listdir(out) if re.fullmatch(r"http\.%s\.jsonl" % stamp, f))
    per_period = [[json.loads(l)["uri"] for l in open(os.path.join(out, f))] for f in rotated]
    want = ["/obj/period%d_300.txt" % i for i in (1, 2, 3)]
    check(r.returncode == 0 and per_period == [[u] for u in want],
          "--rotate 1: three periods, one transaction each (%s)" % per_period)
    page = open(os.path.join(out, "report.html")).read()
    block = lambda name: json.loads(re.search(
        r'<script type="application/json" id=%s>(.*?)</script>' % name, page, re.S).group(1))
    uri = block("data")["tables"]["http"]["cols"].index("uri")
    uris = [row[uri] for row in block("d-http")]
    check(uris == want and "id=t-http data-total=3>" in page and
          "id=t-flows data-total=3>" in page and "id=t-files data-total=3>" in page,
          "--rotate: report.html lists every period's transactions, connections and files (%s)"
          % uris)
    check(re.search(r"rotated periods \(--rotate\), all on this page</th><td>2: "
                    r"&lt;log&gt;\.%s\.jsonl to &lt;log&gt;\.%s\.jsonl" % (stamp, stamp), page)
          is not None, "--rotate: the report names the rotated periods it read")

    # Follow: the plaintext of a decrypted session (the wire bytes only when asked), one
    # connection by uid or endpoints, JSON lines with --json, and no output directory left.
    tls = os.path.join(root, "corpus/https/keepalive_tls.pcap")
    keys = ["--keylog", os.path.join(root, "corpus/https/keepalive_tls.keylog")]
    viewer = os.path.join(work, "viewer")
    os.makedirs(viewer)
    r = run("-q", "-r", tls, *keys, "--follow", cwd=viewer)
    text = r.stdout.decode(errors="replace")
    check(r.returncode == 0 and "Follow: tls (decrypted" in text and "GET /obj/" in text and
          "\tHTTP/1.1 200 OK" in text, "--follow prints the decrypted plaintext")
    check(os.listdir(viewer) == [], "--follow without -o writes no output directory")
    raw = run("-q", "-r", tls, *keys, "--follow-raw", cwd=viewer).stdout.decode(errors="replace")
    check("GET /obj/" not in raw and "raw bytes of a decrypted TLS session" in raw,
          "--follow-raw shows the bytes on the wire")
    out = os.path.join(work, "follow_tls")
    run("-q", "-r", tls, *keys, "-o", out)
    flows = [json.loads(l) for l in open(out + "/flows.jsonl")]
    one = flows[-1]
    ends = "%s:%d,%s:%d" % (one["id.resp_h"], one["id.resp_p"], one["id.orig_h"], one["id.orig_p"])
    for sel in (one["uid"], ends):
        text = run("-q", "-r", tls, *keys, "--follow-conn", sel).stdout.decode(errors="replace")
        check(text.count("Follow: ") == 1 and one["uid"] in text,
              "--follow-conn %s prints that connection only" % sel)
    lines = run("-q", "-r", tls, *keys, "--follow", "--json").stdout.decode().splitlines()
    parsed = [json.loads(l) for l in lines]  # raises if two formats were interleaved
    follows = [p for p in parsed if "follow" in p]
    check(len(follows) == len(flows) and all(p["turns"] for p in follows),
          "--follow --json: JSON lines only, one follow object per connection")
    h2 = os.path.join(root, "corpus/http2/tls13.pcap")
    h2keys = ["--keylog", os.path.join(root, "corpus/http2/tls13.keylog")]
    text = run("-q", "-r", h2, *h2keys, "--follow").stdout.decode(errors="replace")
    check(text.count("Follow: http2 stream ") == 3 and ":path: /one.bin\n" in text and
          "\t:status: 200\n" in text, "--follow shows an HTTP/2 connection per stream, decoded")
    # Everything counted is reported: every protocol's counters in stats.json, summed over
    # the workers, including those of analyzers that are gone (SMTP, FTP, MIME, TLS).
    smtp = os.path.join(root, "corpus/smtp/several.pcap")
    for threads in ("1", "2"):
        out = os.path.join(work, "stats" + threads)
        run("-q", "-r", smtp, "-o", out, "--threads", threads)
        stats = json.load(open(out + "/stats.json"))
        names = [l.split("\t")[0] for l in run("--list-protocols").stdout.decode().splitlines()]
        p = stats.get("protocols", {})
        check(names and all(n in p for n in names) and "keys" in p,
              "stats.json protocols: one section per protocol (%s) and keys" % names)
        check(p.get("smtp", {}).get("transactions") == 4 and p["smtp"]["mime"]["parsed"] == 4 and
              stats["sessions"]["detected"] == 2,
              "stats.json counts SMTP transactions and MIME parses (--threads %s)" % threads)
    # pcapng Decryption Secrets Blocks are used from a compressed file and from standard
    # input too (met by the reader, not by a scan of the file beforehand).
    import gzip
    dsb = os.path.join(root, "corpus/tls/ecdhe_tls12_gcm_dsb.pcapng")
    gz = os.path.join(work, "dsb.pcapng.gz")
    with open(dsb, "rb") as f, gzip.open(gz, "wb") as g:
        g.write(f.read())
    for label, args, stdin in (("gzip", ("-r", gz), None), ("stdin", ("-r", "-"), dsb)):
        out = os.path.join(work, "dsb_" + label)
        with open(stdin, "rb") if stdin else open(os.devnull, "rb") as inp:
            run("-q", *args, "-o", out, stdin=inp)
        tls_stats = json.load(open(out + "/stats.json"))["protocols"]["tls"]
        check(tls_stats.get("decrypted") == 1,
              "pcapng secrets block read from %s: the session is decrypted" % label)
    r = run("-r", tls, "-o")
    check(r.returncode == 1 and r.stderr.decode().strip() == "tcpfollow: -o needs a directory",
          "a missing option argument says what is missing")
    zeek_states(run, root, work)
    messages(run, root, work)
    cut_download(run, work)
    data_before_announcement(run, work)
    mime_and_uploads(run, root, work)
    shutil.rmtree(work, ignore_errors=True)
    print("%d failures" % failures)
    return 1 if failures else 0


def zeek_states(run, root, work):
    """flows.jsonl conn_state, history and handshake as Zeek's conn.log has them."""
    sys.path.insert(0, os.path.join(root, "tests/hostile"))
    import pcapgen
    from pcapgen import ACK, FIN, RST, SYN, PSH
    path = os.path.join(work, "states.pcap")
    p = pcapgen.Pcap(path)
    # 1: complete: handshake, a request and a reply, both FINs -> SF
    c = pcapgen.Conn(p, 40001, 80).handshake()
    c.send("c", b"GET / HTTP/1.0\r\n\r\n").send("s", b"HTTP/1.0 200 OK\r\n\r\n").close()
    # 2: a SYN alone -> S0, no handshake
    c = pcapgen.Conn(p, 40002, 80)
    p.packet(c._frame("c", SYN, b""))
    # 3: SYN answered by RST -> REJ
    c = pcapgen.Conn(p, 40003, 80)
    p.packet(c._frame("c", SYN, b""))
    c.seq["c"] += 1
    p.packet(c._frame("s", RST | ACK, b"", seq=0))
    # 4: handshake, data, the client resets -> RSTO
    c = pcapgen.Conn(p, 40004, 80).handshake().send("c", b"hello")
    p.packet(c._frame("c", RST | ACK, b""))
    # 5: SYN, SYN-ACK, no ACK, then the client's FIN -> not a handshake
    c = pcapgen.Conn(p, 40005, 80)
    p.packet(c._frame("c", SYN, b""))
    c.seq["c"] += 1
    p.packet(c._frame("s", SYN | ACK, b""))
    c.seq["s"] += 1
    # 6: picked up mid-stream, data both ways -> OTH
    c = pcapgen.Conn(p, 40006, 80)
    c.send("c", b"more").send("s", b"reply")
    # 7: handshake and data, never closed -> S1
    c = pcapgen.Conn(p, 40007, 80).handshake().send("c", b"x").send("s", b"y")
    p.close()
    out = os.path.join(work, "states")
    r = run("-q", "-r", path, "-o", out)
    flows = {f["id.orig_p"]: f for f in
             (json.loads(l) for l in open(os.path.join(out, "flows.jsonl")))}
    want = {40001: ("SF", "ShADdFf", True), 40002: ("S0", "S", False),
            40003: ("REJ", "Sr", False), 40004: ("RSTO", "ShADR", True),
            40005: (None, "Sh", False), 40006: ("OTH", "Dd", False),
            40007: ("S1", "ShADd", True)}
    for port, (state, history, hs) in want.items():
        f = flows.get(port, {})
        got = (f.get("conn_state") if state else None, f.get("history"), f.get("handshake"))
        check(got == (state, history, hs),
              "port %d: conn_state/history/handshake %s (want %s)" % (port, got,
                                                                     (state, history, hs)))


def messages(run, root, work):
    """ARP is not damage; --streams-only says once that the keys are unused."""
    import pcapgen
    path = os.path.join(work, "arp.pcap")
    p = pcapgen.Pcap(path)
    for _ in range(3):
        p.packet(pcapgen.eth(b"\x00\x01\x08\x00\x06\x04\x00\x01" + b"\x00" * 20, 0x0806))
    pcapgen.Conn(p, 40100, 80).handshake().send("c", b"hi").close()
    p.close()
    r = run("-r", path, "-o", os.path.join(work, "arp"))
    err = r.stderr.decode()
    check(r.returncode == 0 and "damaged" not in err and "not_ip" not in err and
          "not IP: arp 3 (3 packets skipped)" in err,
          "ARP frames are counted as not IP, not as damaged")
    tls = os.path.join(root, "corpus/https/keepalive_tls.pcap")
    keys = ["--keylog", os.path.join(root, "corpus/https/keepalive_tls.keylog")]
    r = run("-q", "-r", tls, *keys, "--streams-only", "-o", os.path.join(work, "so"))
    lines = [l for l in r.stderr.decode().splitlines() if "unused" in l]
    check(r.returncode == 0 and lines ==
          ["tcpfollow: warning: --streams-only decrypts nothing: --keylog is unused"],
          "--streams-only with --keylog warns once (%s)" % lines)
    # A live capture without the capabilities says how to get them.
    r = subprocess.run(["setpriv", "--bounding-set=-net_raw,-net_admin", "--inh-caps=-all",
                        run.tool, "-i", "lo", "-o", os.path.join(work, "noperm")],
                       capture_output=True)
    err = r.stderr.decode()
    check(r.returncode == 1 and "setcap cap_net_raw,cap_net_admin=eip" in err and "-Z USER" in err
          and len(err.strip().splitlines()) == 1, "-i without privileges names setcap and -Z (%s)"
          % err.strip())
    # More open connections than --max-flows: the summary names the option.
    path = os.path.join(work, "many.pcap")
    p = pcapgen.Pcap(path)
    for i in range(5):
        pcapgen.Conn(p, 40200 + i, 80).handshake()
    p.close()
    r = run("-r", path, "--max-flows", "2", "-o", os.path.join(work, "many"))
    err = r.stderr.decode()
    check(r.returncode == 0 and "evicted 3 (--max-flows 2 reached)" in err,
          "evictions name --max-flows (%s)" % [l for l in err.splitlines() if "evicted" in l])


def cut_download(run, work):
    """A download whose tail was never captured: missing_bytes counts what the length said."""
    import pcapgen
    path = os.path.join(work, "cut.pcap")
    p = pcapgen.Pcap(path)
    c = pcapgen.Conn(p, 40300, 80, mss=1000).handshake()
    c.send("c", b"GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n")
    c.send("s", b"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n"
                b"Content-Type: application/octet-stream\r\n\r\n")
    c.send("s", b"x" * 3000)
    c.seq["s"] += 2000  # two segments lost
    c.send("s", b"y" * 1000)
    p.close()  # the capture ends: 4000 bytes were never seen
    out = os.path.join(work, "cut_download")
    r = run("-q", "-r", path, "-o", out)
    check(r.returncode == 0, "cut download run: %s" % r.stderr.decode().strip())
    files = [json.loads(l) for l in open(os.path.join(out, "files.jsonl"))]
    got = [(f.get("size", f.get("seen_bytes")), f.get("missing_bytes"), f.get("partial"))
           for f in files]
    check(len(files) == 1 and files[0].get("missing_bytes") == 6000 and files[0].get("partial"),
          "a download cut short: missing_bytes 6000 of Content-Length 10000 (%s)" % got)


def data_before_announcement(run, work):
    """An FTP data connection whose SYN is handled before the 227 reply announcing it (what
    a live --threads worker can meet when the control connection's worker lags): it is
    still tied to its transfer, looked up again at its first byte."""
    import pcapgen
    path = os.path.join(work, "syn_before_227.pcap")
    p = pcapgen.Pcap(path)
    ctrl = pcapgen.Conn(p, 40400, 21, mss=1400).handshake()
    for d, line in (("s", b"220 ready\r\n"), ("c", b"USER a\r\n"), ("s", b"331 pass\r\n"),
                    ("c", b"PASS b\r\n"), ("s", b"230 in\r\n"), ("c", b"PASV\r\n")):
        ctrl.send(d, line)
    data = pcapgen.Conn(p, 40401, 50000, mss=1400).handshake()  # before the 227 reply
    ctrl.send("s", b"227 Entering Passive Mode (10,0,0,2,195,80)\r\n")  # port 50000
    ctrl.send("c", b"RETR f.bin\r\n")
    ctrl.send("s", b"150 Opening BINARY mode data connection for f.bin (3000 bytes)\r\n")
    data.send("s", bytes(range(256)) * 11 + bytes(184))
    data.close()
    ctrl.send("s", b"226 Transfer complete\r\n")
    ctrl.send("c", b"QUIT\r\n")
    ctrl.send("s", b"221 bye\r\n")
    ctrl.close()
    p.close()
    out = os.path.join(work, "syn_before_227")
    r = run("-q", "-r", path, "-o", out)
    check(r.returncode == 0, "data before announcement run: %s" % r.stderr.decode().strip())
    flows = {f["id.orig_p"]: f for f in map(json.loads, open(os.path.join(out, "flows.jsonl")))}
    files = [json.loads(l) for l in open(os.path.join(out, "files.jsonl"))]
    sessions = json.load(open(os.path.join(out, "stats.json")))["sessions"]
    check(flows.get(40401, {}).get("service") == "ftp-data" and len(files) == 1
          and files[0].get("size") == 3000 and sessions.get("expectations_matched_late") == 1,
          "an FTP data connection started before its 227 is still its transfer (service %s, "
          "files %s, late matches %s)" % (flows.get(40401, {}).get("service"),
                                          [(f.get("name"), f.get("size")) for f in files],
                                          sessions.get("expectations_matched_late")))


def mime_and_uploads(run, root, work):
    """MIME types from the bytes, declared types beside; form-data uploads split per file."""
    out = os.path.join(work, "mime_types")
    run("-q", "-r", os.path.join(root, "corpus/http/mime_types.pcap"), "-o", out)
    http = [json.loads(l) for l in open(os.path.join(out, "http.jsonl"))]
    got = [(h["uri"], h.get("resp_mime_types"), h.get("resp_declared_mime_types")) for h in http]
    check(got == [("/img/logo.png", ["image/png"], ["text/plain"]),
                  ("/img/anim.png", ["image/gif"], ["image/png"]),
                  ("/img/photo", ["image/jpeg"], None),
                  ("/page.html", ["text/html"], ["text/html"]),
                  ("/notes.txt", ["text/plain"], ["text/plain"])],
          "mime_types.pcap: sniffed types, declared types without parameters or dots (%s)" % got)
    files = [json.loads(l) for l in open(os.path.join(out, "files.jsonl"))]
    check([(f["mime_type"], f.get("declared_mime_type")) for f in files] ==
          [("image/png", "text/plain"), ("image/gif", "image/png"), ("image/jpeg", None),
           ("text/html", "text/html"), ("text/plain", "text/plain")],
          "mime_types.pcap: files.jsonl mime_type and declared_mime_type")
    sniff = json.load(open(os.path.join(out, "stats.json")))["protocols"]["http"]["mime_sniff"]
    # Three binary objects typed by libmagic; the HTML and the text declared textual.
    check(sniff["sniffed"] == 3 and sniff["text_declared"] == 2 and sniff["failed"] == 0,
          "stats.json counts the objects sniffed (%s)" % sniff)

    out = os.path.join(work, "form_upload")
    run("-q", "-r", os.path.join(root, "corpus/http/form_upload.pcap"), "-o", out)
    post = [json.loads(l) for l in open(os.path.join(out, "http.jsonl"))][0]
    files = {f["fuid"]: f for f in map(json.loads, open(os.path.join(out, "files.jsonl")))}
    parts = [files[f] for f in post.get("orig_fuids", [])]
    check(post.get("orig_filenames") == ["dot.png", "photo.jpg"] and
          post.get("orig_mime_types") == ["image/png", "image/jpeg"] and
          post.get("orig_declared_mime_types") == ["image/png", "text/plain"] and
          [p.get("name") for p in parts] == ["dot.png", "photo.jpg"],
          "form_upload.pcap: one object per file part, named and typed (%s)" %
          {k: post.get(k) for k in ("orig_fuids", "orig_filenames", "orig_mime_types")})

    out = os.path.join(work, "form_upload_gap")
    run("-q", "-r", os.path.join(root, "corpus/http/form_upload_gap.pcap"), "-o", out)
    post = [json.loads(l) for l in open(os.path.join(out, "http.jsonl"))][0]
    files = {f["fuid"]: f for f in map(json.loads, open(os.path.join(out, "files.jsonl")))}
    got = [(files[f].get("name"), files[f].get("mime_type"), files[f].get("partial"),
            files[f].get("missing_bytes")) for f in post.get("orig_fuids", [])]
    check(got == [("r\u00e9sum\u00e9.txt", "text/plain", None, None),
                  ("data.bin", "text/html", True, 500),
                  ("after.gif", "image/gif", None, None)],
          "form_upload_gap.pcap: RFC 5987 name, the cut part partial, the next whole (%s)" % got)


if __name__ == "__main__":
    sys.exit(main())
