#!/usr/bin/python3
"""Records session/{ftp_midstream,http_midstream,smtp_midstream}.pcap: captures that start in the middle of a connection (no SYN, no greeting), IPv4, no loss.

The client opens its connection and gets past its start before the capture begins: at
that point it calls sockrec.mark() (its record then says what moved after it) and waits
until tcpdump runs. The capture holds no handshake and none of the bytes before:
  ftp_midstream: ftplib -> pyftpdlib (port 26521, passive ports 26600-26649); the capture
    starts after USER/PASS; then TYPE I, PASV, RETR of a 24 kB file (its data connection,
    opened after the capture started, is captured whole), QUIT.
  http_midstream: http.client -> http.server (port 26522), one keep-alive connection; the
    capture starts after the first transaction (GET of a 3 kB binary); then GET of a 16 kB
    binary, GET of a 6 kB text (chunked), POST of a 4 kB body.
  smtp_midstream: smtplib -> aiosmtpd (port 26523); the capture starts after the banner
    and EHLO; then two mails with a binary attachment each, QUIT.
  http_mid_body: http.client -> a raw server (session_clients.py, port 26524) that pauses
    a 100000-byte download after 24000 body bytes; the capture starts there: it holds the
    last 76000 bytes of that body (more than an HTTP head may hold), then two more GETs
    (12000 and 5000 bytes) on the same connection.
Manifests: what the endpoints sent, and for each connection that started before the
capture what the capture holds ("captured": what moved after the mark). Objects: what was
transferred after the mark (the file; the bodies; the mails and attachments), as the
server logged them and the client saw them. Arguments: the names of the captures to record
(default: all).
"""
import json
import os
import random
import subprocess
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "record"))
import lab  # noqa: E402
import session_lab  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = os.path.join(HERE, "session_clients.py")


def record(name, server_argv, port, client_args, pick_objects, check, setup=None, go=False):
    if sys.argv[1:] and name not in sys.argv[1:]:
        return  # record_midstream.py NAME...: only those
    pcap = os.path.join(HERE, name + ".pcap")
    with lab.Lab(prefix="session") as L:
        objects = os.path.join(L.tmp, "objects.jsonl")
        extra = setup(L) if setup else []
        L.python(L.sns, "server", server_argv + extra +
                 ["--port", str(port), "--objects", objects], background=True)
        L.wait_listen(L.sns, port)
        sent = os.path.join(L.tmp, "client.json")
        client = L.python(L.cns, "client", [CLIENTS, client_args[0], lab.SERVER4, str(port),
                                            sent] + client_args[1:],
                          background=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          text=True)
        if client.stdout.readline().strip() != "ready":
            raise SystemExit("%s: the client did not get to its mark" % name)
        L.start_capture(pcap)
        if go:
            open(os.path.join(L.tmp, "go"), "w").close()  # the pausing server goes on
        client.stdin.write("go\n")
        client.stdin.flush()
        if client.wait(60) != 0:
            raise SystemExit("%s: client failed" % name)
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(objects)
        objs = pick_objects(objs)
        check(objs, json.load(open(sent)))
        path = os.path.join(HERE, name + ".manifest.json")
        m = lab.finish(L, pcap, path, __doc__.splitlines()[0] + " This one: " + name + ".",
                       objects=objs)
        if session_lab.after_mark(L, m) != 1:
            raise SystemExit("%s: expected one connection open at the mark" % name)
        lab.write_manifest(m, path)


def same(what, a, b):
    if a != b:
        raise SystemExit("%s: server and client disagree:\n%s\n%s" % (what, a, b))


def main():
    # FTP: the file is made here; pyftpdlib serves it from the lab's temporary root.
    def ftp_setup(L):
        root = os.path.join(L.tmp, "root")
        os.makedirs(root)
        os.chmod(L.tmp, 0o755)
        with open(os.path.join(root, "midstream24000.bin"), "wb") as f:
            f.write(random.Random("midstream24000.bin").randbytes(24000))
        return ["--root", root, "--passive-ports", "26600-26649"]

    def check_ftp(objs, sent):
        same("ftp", [(o["name"], o["sha256"]) for o in objs],
             [(s["name"], s["sha256"]) for s in sent])
    record("ftp_midstream", [os.path.join(lab.HERE, "ftp_server.py")], 26521,
           ["ftp", "midstream24000.bin", "--mark-after-login"], lambda objs: objs, check_ftp,
           setup=ftp_setup)

    # HTTP: the first transaction is before the capture; its body is not an object of it.
    def check_http(objs, sent):
        bodies = {(o["method"], o["url"], o["direction"]): o["sha256"] for o in objs}
        for s in sent[1:]:
            d = "request" if s["method"] == "POST" else "response"
            same(s["url"], bodies.get((s["method"], s["url"], d)), s["sha256"])
    record("http_midstream", [lab.HTTP_SERVER], 26522,
           ["http", "GET:/obj/first3000.bin", "GET:/obj/second16000.bin",
            "GET:/chunked/third6000.txt", "POST:/upload/fourth4000.bin:4000",
            "--mark-after", "1"],
           lambda objs: [o for o in objs if o["url"] != "/obj/first3000.bin"], check_http)

    def check_smtp(objs, sent):
        same("smtp", [(o["kind"], o["sha256"]) for o in objs],
             [(s["kind"], s["sha256"]) for s in sent])
    record("smtp_midstream", [os.path.join(lab.HERE, "smtp_server.py")], 26523,
           ["smtp", "--mark-after-ehlo"], lambda objs: objs, check_smtp)

    def pausing_server(L):
        return ["pausing-http-server", "--go", os.path.join(L.tmp, "go")]
    record("http_mid_body", [CLIENTS], 26524, ["http-mid-body"],
           lambda objs: [o for o in objs if o["url"] != "/first100000.bin"], check_http,
           setup=pausing_server, go=True)


if __name__ == "__main__":
    main()
