#!/usr/bin/python3
"""End-to-end test of content detection where the session layer must cope without the
usual start of a connection (issue #11): tcpfollow runs over the captures in
corpus/session/ (recorded there between real peers, see the record_*.py scripts) and,
per capture, this checks the service of each connection in flows.jsonl, the protocol
records and their fields, and that every extracted object is byte for byte what the
peers sent (the sha256 the endpoints logged, from the capture's manifest):

  pipelined_connect   SMTP clients that speak before the 220 banner (EHLO alone; EHLO,
                      MAIL, RCPT and DATA in one segment)
  smtp_client_only    only the client's packets: the mails are still extracted, and the
                      records say server_not_seen
  http_client_only    only the client's packets: requests, the uploaded body
  http_server_only    only the server's packets: statuses, the downloaded bodies
  ftp_midstream       capture starts after login: TYPE, PASV, RETR; the data connection
                      tied to the control connection by the 227 reply
  http_midstream      keep-alive connection captured from its second request on
  greeting_lost       the SMTP and FTP greetings are missing (a gap before detection):
                      the mail, and FTP's commands paired with their replies
  http_mid_body       capture starts inside a download (76000 bytes of a body's tail,
                      more than detection holds): the next two GETs and their bodies
  smtp_midstream      capture starts after EHLO: two mails

usage: session_test.py TCPFOLLOW [CAPTURE...]   (paths relative to the working directory:
the Bazel runfiles tree, or a checkout's root). Exits 1 listing every failed check.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile

CORPUS = os.path.join("corpus", "session")
MAIL_FROM, RCPT_TO = "alice@client.session.test", ["bob@mx.session.test"]


def load_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


class Run:
    """One tcpfollow run over one capture, and the checks made on it."""

    def __init__(self, tool, name, work):
        self.name = name
        self.problems = []
        with open(os.path.join(CORPUS, name + ".manifest.json")) as f:
            self.manifest = json.load(f)
        self.out = os.path.join(work, name)
        run = subprocess.run([tool, "-q", "-r", os.path.join(CORPUS, name + ".pcap"), "-o",
                              self.out], capture_output=True, text=True)
        if run.returncode != 0:
            self.fail("tcpfollow exited %d: %s" % (run.returncode, run.stderr.strip()))
        self.flows = load_jsonl(os.path.join(self.out, "flows.jsonl"))
        self.files = {f["fuid"]: f for f in load_jsonl(os.path.join(self.out, "files.jsonl"))}

    def fail(self, what):
        self.problems.append("%s: %s" % (self.name, what))

    def log(self, name):
        return load_jsonl(os.path.join(self.out, name + ".jsonl"))

    def services(self, want):
        """want: server port -> service of that connection's flows.jsonl record."""
        got = {f["id.resp_p"]: f.get("service") for f in self.flows}
        for port, service in want.items():
            if got.get(port) != service:
                self.fail("connection to port %d: service %r, expected %r" %
                          (port, got.get(port), service))

    def obj(self, **match):
        """The manifest object (what the peers sent) whose fields equal `match`."""
        found = [o for o in self.manifest["objects"]
                 if all(o.get(k) == v for k, v in match.items())]
        assert len(found) == 1, "%s: %d manifest objects match %s" % (self.name, len(found), match)
        return found[0]

    def holds(self, label, fuids, objects):
        """Each of `objects` (manifest entries) is extracted under one of `fuids`: the
        object's file hashes to what the peers sent."""
        for o in objects:
            what = "%s: object %s (%d bytes)" % (label, o.get("name") or o.get("subject"),
                                               o["length"])
            hits = [self.files[f] for f in fuids if f in self.files and
                    self.files[f].get("sha256") == o["sha256"]]
            if not hits:
                self.fail("%s not among the record's objects %s" % (what, fuids))
                continue
            path = os.path.join(self.out, hits[0]["path"])
            data = open(path, "rb").read() if os.path.isfile(path) else b""
            if hashlib.sha256(data).hexdigest() != o["sha256"] or len(data) != o["length"]:
                self.fail("%s: %s does not hold it" % (what, hits[0]["path"]))

    def record(self, log, label, rec_filter, fields, absent=()):
        """The one record of `log` that `rec_filter` selects, with `fields` as given and
        none of `absent`."""
        recs = [r for r in self.log(log) if rec_filter(r)]
        if len(recs) != 1:
            self.fail("%s: %d %s records, expected 1" % (label, len(recs), log))
            return {}
        r = recs[0]
        for k, v in fields.items():
            if r.get(k) != v:
                self.fail("%s: %s = %r, expected %r" % (label, k, r.get(k), v))
        for k in absent:
            if k in r:
                self.fail("%s: %s = %r, expected no such field" % (label, k, r[k]))
        return r


def check_mails(run, port, subjects, message_obj, attachment_obj, **fields):
    """SMTP: one record per mail on `port`, in order, with the envelope, the subject and the
    message and its attachment extracted."""
    recs = [r for r in run.log("smtp") if r.get("id.resp_p") == port]
    if len(recs) != len(subjects):
        run.fail("port %d: %d smtp records, expected %d" % (port, len(recs), len(subjects)))
        return
    for i, (r, subject) in enumerate(zip(recs, subjects)):
        label = "port %d mail %d" % (port, i + 1)
        want = dict(mailfrom=MAIL_FROM, rcptto=RCPT_TO, subject=subject, **fields)
        for k, v in want.items():
            if v is not None and r.get(k) != v:
                run.fail("%s: %s = %r, expected %r" % (label, k, r.get(k), v))
        if r.get("partial"):
            run.fail("%s: partial" % label)
        run.holds(label, r.get("fuids", []), [message_obj(i + 1), attachment_obj(i + 1)])


def pipelined_connect(run):
    run.services({26501: "smtp", 26502: "smtp"})
    for port, n in ((26501, 1), (26502, 2)):
        check_mails(run, port, ["pipelined connect %d" % n],
                    lambda i, n=n: run.obj(name="message %d" % n),
                    lambda i, n=n: run.obj(name="early%d.bin" % n),
                    helo="client.session.test", last_reply="250 queued as %d" % n)
    for r in run.log("smtp"):
        if "server_not_seen" in r:
            run.fail("port %d: server_not_seen in a capture of both sides" % r["id.resp_p"])


def smtp_client_only(run):
    run.services({26511: "smtp"})
    check_mails(run, 26511, ["session mail 1", "session mail 2"],
                lambda i: run.obj(kind="message", subject="session mail %d" % i),
                lambda i: run.obj(kind="attachment", name="attachment%d.bin" % i),
                helo="client.session.test", server_not_seen=True)


def smtp_midstream(run):
    run.services({26523: "smtp"})
    check_mails(run, 26523, ["session mail 1", "session mail 2"],
                lambda i: run.obj(kind="message", subject="session mail %d" % i),
                lambda i: run.obj(kind="attachment", name="attachment%d.bin" % i))
    for i, r in enumerate(run.log("smtp")):
        if r.get("last_reply") != "250 OK message %d accepted" % (i + 1):
            run.fail("mail %d: last_reply %r: replies paired wrongly" % (i + 1, r.get("last_reply")))
        if "server_not_seen" in r:
            run.fail("mail %d: server_not_seen, but the server's side is captured" % (i + 1))


def http_client_only(run):
    run.services({26512: "http"})
    run.record("http", "GET", lambda r: r.get("method") == "GET",
               {"uri": "/obj/dl20000.bin", "host": "198.18.0.2:26512"},
               absent=("status_code", "resp_fuids"))
    up = run.obj(method="POST", url="/upload/up5000.bin", direction="request")
    r = run.record("http", "POST", lambda r: r.get("method") == "POST",
                   {"uri": "/upload/up5000.bin", "request_body_len": up["length"]},
                   absent=("status_code",))
    run.holds("POST", r.get("orig_fuids", []), [up])


def http_server_only(run):
    run.services({26513: "http"})
    for url in ("/obj/a15000.bin", "/chunked/t7000.txt"):
        body = run.obj(url=url, direction="response")
        r = run.record("http", url, lambda r, n=body["length"]: r.get("response_body_len") == n,
                       {"status_code": 200, "status_msg": "OK"}, absent=("method", "uri"))
        run.holds(url, r.get("resp_fuids", []), [body])


def http_midstream(run):
    run.services({26522: "http"})
    for method, url, status in (("GET", "/obj/second16000.bin", 200),
                                ("GET", "/chunked/third6000.txt", 200),
                                ("POST", "/upload/fourth4000.bin", 201)):
        r = run.record("http", url, lambda r, u=url: r.get("uri") == u,
                       {"method": method, "status_code": status})
        if method == "GET":
            run.holds(url, r.get("resp_fuids", []), [run.obj(url=url, direction="response")])
        else:
            run.holds(url, r.get("orig_fuids", []), [run.obj(url=url, direction="request")])
            run.holds(url, r.get("resp_fuids", []), [run.obj(url=url, direction="response")])
    if any(r.get("uri") == "/obj/first3000.bin" for r in run.log("http")):
        run.fail("a record of the transaction before the capture started")


def http_mid_body(run):
    run.services({26524: "http"})
    for url in ("/next12000.bin", "/last5000.bin"):
        body = run.obj(url=url)
        r = run.record("http", url, lambda r, u=url: r.get("uri") == u,
                       {"method": "GET", "status_code": 200, "partial": False,
                        "response_body_len": body["length"]})
        run.holds(url, r.get("resp_fuids", []), [body])
    if len(run.log("http")) != 2:
        run.fail("%d http records, expected 2 (the download under way is not a transaction)"
                 % len(run.log("http")))


def greeting_lost(run):
    run.services({26531: "smtp", 26532: "ftp"})
    check_mails(run, 26531, ["greeting lost"], lambda i: run.obj(name="message"),
                lambda i: run.obj(name="lost.bin"), helo="client.session.test",
                last_reply="250 queued as 7")
    for command, code in (("USER", 331), ("PASS", 230), ("PWD", 257), ("PASV", 227),
                          ("RETR", 226), ("QUIT", 221)):
        run.record("ftp", command, lambda r, c=command: r.get("command") == c,
                   {"reply_code": code, "user": "alice"})
    run.record("ftp", "RETR size", lambda r: r.get("command") == "RETR",
               {"arg": "report.pdf", "file_size": 8192})


def ftp_midstream(run):
    data_port = [c["resp_p"] for c in run.manifest["connections"] if c["resp_p"] != 26521]
    run.services({26521: "ftp", data_port[0]: "ftp-data"})
    run.record("ftp", "PASV", lambda r: r.get("command") == "PASV",
               {"reply_code": 227, "data_channel.resp_p": data_port[0]})
    f = run.obj(name="midstream24000.bin")
    r = run.record("ftp", "RETR", lambda r: r.get("command") == "RETR",
                   {"arg": "midstream24000.bin", "reply_code": 226, "file_size": f["length"],
                    "data_channel.resp_p": data_port[0]})
    run.holds("RETR", [r["fuid"]] if "fuid" in r else [], [f])
    # The login was before the capture: nothing may claim to know it.
    for r in run.log("ftp"):
        if r.get("command") in ("USER", "PASS") or "user" in r:
            run.fail("a record of the login before the capture: %s" % r)


CASES = {
    "pipelined_connect": pipelined_connect,
    "smtp_client_only": smtp_client_only,
    "http_client_only": http_client_only,
    "http_server_only": http_server_only,
    "ftp_midstream": ftp_midstream,
    "http_midstream": http_midstream,
    "smtp_midstream": smtp_midstream,
    "http_mid_body": http_mid_body,
    "greeting_lost": greeting_lost,
}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tool = os.path.realpath(sys.argv[1])
    names = sys.argv[2:] or list(CASES)
    tmp = os.environ.get("TEST_TMPDIR")
    work = tempfile.mkdtemp(prefix="session_test.", dir=tmp if tmp and os.path.isdir(tmp) else None)
    failed = 0
    for name in names:
        run = Run(tool, name, work)
        CASES[name](run)
        if run.problems:
            failed += 1
            print("FAIL %s" % name)
            for p in run.problems:
                print("    " + p)
        else:
            print("ok   %s" % name)
    print("%d captures, %d failed" % (len(names), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
