#!/usr/bin/python3
"""report.html in a real browser (Debian's headless Chromium, driven over WebDriver).

For corpus captures (HTTP, HTTPS with a key log, SMTP, FTP, TCP with loss) tcpfollow writes
the report, and the page is checked against the run's own .jsonl files:
  - it makes no network request (the only URL loaded is report.html itself) and logs no
    console message at warning level or above (a CSP violation would be one);
  - every table's record count equals the number of lines in its log; every connection
    uid, HTTP URI and extracted object (fuid, link to its path) appears;
  - each connection's view (#c=UID) shows all its records and, when it has stream files,
    the start of its transcript as the stream files hold it;
  - a screenshot of the page and of one connection view go to $TEST_UNDECLARED_OUTPUTS_DIR.
Then a hostile capture (make_hostile_capture.py): URI, Host, User-Agent, mail subject and
file names carrying <script>, "><img onerror=...> and invalid UTF-8. The report must show
them as text: title unchanged, window.__pwned never set, no alert, no element they name,
only the page's own two script elements, images only from data:image/ (never the SVG).

usage: report_browser_test.py TCPFOLLOW [MAKE_REPORT]
"""
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import webdriver  # noqa: E402
from testlib import repo_root  # noqa: E402

LOGS = []  # tcpfollow --list-logs, filled in main: every log has a table on the page
CAPTURES = [
    ("http_keepalive", "corpus/http/keepalive.pcap", []),
    ("http_chunked_gzip", "corpus/http/chunked_gzip.pcap", []),
    ("https_keylog_www", "corpus/https/keylog_www.pcap", ["--keylog", "corpus/https/keylog_www.keylog"]),
    ("smtp_several", "corpus/smtp/several.pcap", []),
    ("ftp_modes", "corpus/ftp/modes.pcap", []),
    ("tcp_heavy_loss", "corpus/tcp/heavy_loss.pcap", []),
]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)
    return cond


def records(out):
    got = {}
    for log in LOGS:
        path = os.path.join(out, log + ".jsonl")
        got[log] = [json.loads(l) for l in open(path)] if os.path.exists(path) else []
    return got


def printable(b):
    """The report's ASCII view of stream bytes (report.cc AppendPrintable)."""
    return "".join(chr(c) if 0x20 <= c < 0x7f or c in (9, 10) else "." for c in b if c != 13)


def outputs_dir():
    d = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR") or tempfile.mkdtemp(prefix="report-shots-")
    os.makedirs(d, exist_ok=True)
    return d


def load(b, out, fragment=""):
    """Opens out/report.html (after draining the logs) and waits for the script to finish."""
    b.logs("performance")
    b.logs("browser")
    url = "file://" + urllib.parse.quote(os.path.join(out, "report.html")) + fragment
    b.get(url)
    check(b.wait("return document.body && document.body.getAttribute('data-ready') === '1'"),
          "%s: the page's script did not finish" % out)
    return url


def sections(b):
    """(section id, the element it draws) for the page's drawn sections: the gallery and
    one per log table (the protocols' sections come from their specs, so they are read from
    the page), every log of --list-logs among them."""
    found = b.script("""return Array.prototype.map.call(
        document.querySelectorAll('main > section[id] > .tbl[id^="t-"]'),
        function (e) { return [e.parentNode.id, e.id]; });""")
    tables = [host for _, host in found]
    for log in LOGS:
        check("t-" + log in tables, "no table for %s.jsonl on the page" % log)
    return [("gallery", "g-images")] + [tuple(s) for s in found]


def render_all(b, name):
    """Sections draw when they come near the viewport: scroll to each, wait until drawn."""
    for sec, host in sections(b):
        b.script("document.getElementById(arguments[0]).scrollIntoView()", sec)
        check(b.wait("var e = document.getElementById(%s); return e && e.getAttribute('data-rendered') === '1'"
                     % json.dumps(host)), "%s: section %s not drawn when scrolled to" % (name, sec))
    b.script("window.scrollTo(0, 0)")


def no_network_no_errors(b, name, url, initial=True):
    base = url.split("#")[0]
    # chrome:// pages are the browser's own (its start page, loaded before ours); data:
    # URIs are the page's embedded images. Anything else would be a request.
    urls = [u for u in b.requested_urls() if not u.startswith(("chrome://", "data:"))]
    check(all(u.split("#")[0] == base for u in urls),
          "%s: requests other than report.html itself: %s" % (name, [u for u in urls if u.split("#")[0] != base][:5]))
    if initial:
        check(base in [u.split("#")[0] for u in urls], "%s: the network log lacks report.html itself" % name)
    msgs = [m for m in b.logs("browser") if m.get("level") in ("WARNING", "SEVERE")]
    check(not msgs, "%s: console messages: %s" % (name, msgs[:3]))


def check_run(b, name, out, shots):
    recs = records(out)
    url = load(b, out)
    render_all(b, name)
    # Counts: every table says how many records its log has.
    totals = b.script("""var o = {};
        arguments[0].forEach(function (k) {
          var e = document.getElementById('t-' + k); o[k] = e && e.getAttribute('data-total'); });
        return o;""", LOGS)
    for log in LOGS:
        check(totals.get(log) == str(len(recs[log])),
              "%s: %s table says %s records, the log has %d" % (name, log, totals.get(log), len(recs[log])))
    flows_text = b.script("return document.getElementById('t-flows').innerText")
    for f in recs["flows"]:
        check(f["uid"] in flows_text, "%s: connection %s not in the table" % (name, f["uid"]))
    rows = b.script("return document.querySelectorAll('#t-flows tbody tr').length")
    check(rows == min(100, len(recs["flows"])), "%s: %s connection rows shown" % (name, rows))
    http_text = b.script("return document.getElementById('t-http').innerText")
    for h in recs["http"]:
        check(h.get("uri", "") in http_text, "%s: HTTP URI %r missing" % (name, h.get("uri")))
    links = b.script("""var o = {}; document.querySelectorAll('#t-files a[href]').forEach(
        function (a) { o[a.getAttribute('href')] = a.textContent; }); return o;""")
    files_text = b.script("return document.getElementById('t-files').innerText")
    for f in recs["files"]:
        check(f["fuid"] in files_text, "%s: object %s missing" % (name, f["fuid"]))
        if "path" in f:
            href = "/".join(urllib.parse.quote(p, safe="") for p in f["path"].split("/"))
            check(href in links, "%s: no link to %s" % (name, f["path"]))
            check(os.path.exists(os.path.join(out, f["path"])), "%s: %s missing on disk" % (name, f["path"]))
    # The summary shows the counts of the records.
    summary = b.script("return document.getElementById('summary').innerText")
    check("connections\t%d" % len(recs["flows"]) in summary, "%s: summary connection count" % name)
    no_network_no_errors(b, name, url)
    b.set_size(1400, 2400)
    b.screenshot(os.path.join(shots, name + ".png"))
    b.set_size(1400, 1000)

    # Each connection's view.
    by_uid = {}
    for log in LOGS:
        for r in recs[log]:
            by_uid.setdefault(r.get("uid"), []).append(r)
    for i, f in enumerate(recs["flows"]):
        uid = f["uid"]
        b.script("location.hash = arguments[0]", "#c=" + uid)
        check(b.wait("var d = document.getElementById('detail'); return !d.hidden && "
                     "d.querySelector('h2').textContent === 'Connection ' + arguments[0]".replace(
                         "arguments[0]", json.dumps(uid))), "%s: view of %s not shown" % (name, uid))
        n = b.script("return document.querySelectorAll('#detail .recs table').length")
        check(n == len(by_uid[uid]), "%s: %s shows %s records, the logs have %d" % (name, uid, n, len(by_uid[uid])))
        files = f.get("files", {})
        side = "client_plain" if "client_plain" in files or "server_plain" in files else "client"
        turns = f.get("plain_turns" if side == "client_plain" else "turns", [])
        if files:
            spans = b.script("return Array.prototype.map.call(document.querySelectorAll('#detail pre.tr span'),"
                             " function (s) { return [s.className, s.textContent]; })")
            check(spans, "%s: %s has stream files but no transcript" % (name, uid))
            if turns and spans:
                d, length = turns[0]
                want = "s" if d else "c"
                stream = files.get(side if d == 0 else side.replace("client", "server"))
                with open(os.path.join(out, stream), "rb") as s:
                    head = printable(s.read(min(length, 200)))
                check(spans[0][0] == want and spans[0][1].startswith(head[:100]),
                      "%s: %s transcript starts %r, the stream file %r" % (name, uid, spans[0][1][:60], head[:60]))
        if i == 0:
            b.screenshot(os.path.join(shots, name + "_connection.png"))
    no_network_no_errors(b, name + " (connection views)", url, initial=False)


def check_hostile(b, tcpfollow, tmp, shots):
    pcap = os.path.join(tmp, "hostile.pcap")
    markers = json.loads(subprocess.run([sys.executable, os.path.join(HERE, "make_hostile_capture.py"), pcap],
                                        check=True, capture_output=True).stdout)
    out = os.path.join(tmp, "hostile")
    subprocess.run([tcpfollow, "-q", "-r", pcap, "-o", out], check=True)
    recs = records(out)
    url = load(b, out)
    render_all(b, "hostile")
    title = b.title()
    check(title == "tcpfollow report: " + pcap, "hostile: title is %r" % title)
    check(b.script("return window.__pwned === undefined"), "hostile: a script from the traffic ran")
    check(b.alert_text() is None, "hostile: an alert is open")
    scripts = b.script("return Array.prototype.map.call(document.scripts, function (s) {"
                       " return [s.type, s.id]; })")
    check(len([s for s in scripts if s[0] != "application/json"]) == 1 and
          all(s[1] == "data" or s[1].startswith("d-") for s in scripts if s[0] == "application/json"),
          "hostile: script elements other than the page's own: %s" % scripts)
    check(b.script("return document.querySelectorAll('[onerror],[onload],iframe,object,embed').length") == 0,
          "hostile: an element with an event handler exists")
    srcs = b.script("return Array.prototype.map.call(document.images, function (i) { return i.getAttribute('src'); })")
    check(srcs and all(s.startswith("data:image/png;base64,") for s in srcs),
          "hostile: images other than embedded PNGs: %s" % [s[:40] for s in srcs])
    check(b.script("return document.querySelectorAll('#t-http img.thumb').length") == 1, "hostile: no thumbnail")
    check(b.script("return document.getElementById('g-images').getAttribute('data-total')") == "2",
          "hostile: gallery should hold the two PNGs (HTTP and the mail attachment)")
    text = b.script("return document.body.innerText")
    h = recs["http"][0]
    shown = []
    for what, value in [("URI", h["uri"]), ("Host", h["host"]), ("User-Agent", h["user_agent"]),
                        ("subject", recs["smtp"][0]["subject"]),
                        ("HTTP file name", recs["files"][0]["name"]),
                        ("FTP file name", [f for f in recs["files"] if f["source"] == "ftp"][0]["name"]),
                        ("FTP user", recs["ftp"][0]["user"])]:
        check(value in text, "hostile: %s %r not shown as text" % (what, value[:60]))
        shown.append(value)
        check(markers["script"] in value or markers["img"] in value or "pwned" in value,
              "hostile: %s carries no marker (capture changed?)" % what)
    # The invalid UTF-8 reached the logs (as \\xNN escapes or U+FFFD, as they write it) and
    # those values were shown as text above.
    check(any("\\xff" in v or "\ufffd" in v for v in shown), "hostile: no value carries the invalid UTF-8")
    # A mail attachment's name, as files.jsonl has it.
    names = [f.get("name", "") for f in recs["files"] if f["source"] == "smtp"]
    check(any("<script>" in n and n in text for n in names), "hostile: attachment name %r not shown" % names)
    # The connection with a gap: its transcript marks it, the timeline marks it red.
    gap_uid = [f["uid"] for f in recs["flows"] if f.get("orig_missed_bytes")][0]
    b.script("location.hash = arguments[0]", "#c=" + gap_uid)
    check(b.wait("return !document.getElementById('detail').hidden"), "hostile: gap connection view")
    gap = b.script("var g = document.querySelector('#detail pre.tr .gap'); return g && g.textContent")
    check(gap and "1,000 bytes missing" in gap, "hostile: gap not marked in the transcript: %r" % gap)
    check(b.script("return document.querySelectorAll('#timeline svg.tl rect[stroke]').length") == 1,
          "hostile: the timeline does not mark the connection with a gap")
    b.screenshot(os.path.join(shots, "hostile_gap_connection.png"))
    b.script("location.hash = '#http'")
    check(b.title() == title and b.script("return window.__pwned === undefined") and b.alert_text() is None,
          "hostile: something ran after navigating")
    no_network_no_errors(b, "hostile", url)
    b.set_size(1400, 2400)
    b.screenshot(os.path.join(shots, "hostile.png"))


def main():
    tcpfollow = os.path.abspath(sys.argv[1])
    make_report = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else None
    LOGS.extend(subprocess.run([tcpfollow, "--list-logs"], check=True, capture_output=True,
                               text=True).stdout.split())
    check(LOGS[:1] == ["flows"] and "files" in LOGS, "--list-logs: %s" % LOGS)
    os.chdir(repo_root())
    shots = outputs_dir()
    tmp = tempfile.mkdtemp(prefix="report-test-")
    with webdriver.Browser() as b:
        for name, pcap, args in CAPTURES:
            if not check(os.path.exists(pcap), "capture %s missing" % pcap):
                continue
            out = os.path.join(tmp, name)
            subprocess.run([tcpfollow, "-q", "-r", pcap, "-o", out] + args, check=True)
            check(os.path.exists(os.path.join(out, "report.html")), "%s: no report.html" % name)
            check_run(b, name, out, shots)
            print("ok: %s" % name)
        check_hostile(b, tcpfollow, tmp, shots)
        print("ok: hostile")
    # make_report rebuilds the page of a finished run: the same page, nothing else touched.
    if make_report:
        out = os.path.join(tmp, CAPTURES[0][0])
        page = os.path.join(out, "report.html")
        before = open(page, "rb").read()
        listing = sorted(os.listdir(out))
        os.remove(page)
        subprocess.run([make_report, out], check=True, stdout=subprocess.DEVNULL)
        check(open(page, "rb").read() == before, "make_report: a different page than the run's")
        check(sorted(os.listdir(out)) == listing, "make_report: the directory changed")
    # --no-report writes none.
    out = os.path.join(tmp, "no_report")
    subprocess.run([tcpfollow, "-q", "--no-report", "-r", CAPTURES[0][1], "-o", out], check=True)
    check(not os.path.exists(os.path.join(out, "report.html")), "--no-report wrote report.html")
    print("screenshots in %s" % shots)
    if failures:
        print("%d checks FAILED" % len(failures))
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
