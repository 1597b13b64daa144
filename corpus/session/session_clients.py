#!/usr/bin/python3
"""Clients for the session captures (run under corpus/record/sockrec.py in the lab).

  session_clients.py smtp HOST PORT OUT.json [--mark-after-ehlo]
  session_clients.py http HOST PORT OUT.json STEP... [--mark-after N]
  session_clients.py ftp  HOST PORT OUT.json FILE [--mark-after-login]

smtp: smtplib, EHLO, two mails with a binary attachment each, QUIT.
http: http.client over one keep-alive connection; STEP is "GET:/path" or
  "POST:/path:SIZE" (a seeded random body of SIZE bytes, Content-Length).
ftp: ftplib, login as corpus/corpus, then RETR FILE in binary mode (TYPE I, PASV), QUIT.

  session_clients.py http-mid-body HOST PORT OUT.json
  session_clients.py pausing-http-server --port P --objects OUT.jsonl --go FILE

A download that is under way when the capture starts: the server (raw sockets, one
connection) answers the first GET with a 100000-byte body (Content-Length), sends its
first 24000 bytes, and waits until FILE exists before it sends the rest; then it answers
each further GET /NAME with NAME's bytes (size from the digits in NAME). The client
(http.client) reads the first 24000 body bytes, marks and waits (as above), reads the
rest, then GETs /next12000.bin and /last5000.bin on the same connection.
With a --mark-* option the client, at that point, calls sockrec.mark() (the manifest then
knows what moved after it), prints "ready" and waits for a line on stdin before going
on: the recorder starts its capture in between, so the capture begins in the middle of
the connection. OUT.json gets what the client sent or received (sha256 and length of
each message, body or file) for the recorder to compare with the server's log.
"""
import email.message
import email.policy
import ftplib
import hashlib
import http.client
import json
import random
import smtplib
import sys


def pause():
    try:
        import sockrec  # the recording shim this process runs under
        sockrec.mark()
    except ImportError:
        pass
    print("ready", flush=True)
    sys.stdin.readline()


def digest(data):
    return {"sha256": hashlib.sha256(data).hexdigest(), "length": len(data)}


def smtp_message(i):
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"] = "alice@client.session.test"
    m["To"] = "bob@mx.session.test"
    m["Subject"] = "session mail %d" % i
    m["Message-ID"] = "<session-%d@client.session.test>" % i
    m["Date"] = "Thu, 01 Jan 2026 00:00:0%d +0000" % i
    m.set_content("Mail %d of the session captures.\n" % i)
    att = random.Random("session mail %d" % i).randbytes(4000 + 3000 * i)
    m.add_attachment(att, maintype="application", subtype="octet-stream",
                     filename="attachment%d.bin" % i)
    return m, att


def run_smtp(host, port, mark):
    log = []
    with smtplib.SMTP(host, port, local_hostname="client.session.test") as s:
        s.ehlo("client.session.test")
        if mark:
            pause()
        for i in (1, 2):
            m, att = smtp_message(i)
            raw = m.as_bytes(policy=email.policy.SMTP)
            s.sendmail(m["From"], ["bob@mx.session.test"], raw)
            log.append(dict(digest(raw), kind="message", subject=str(m["Subject"])))
            log.append(dict(digest(att), kind="attachment", name="attachment%d.bin" % i))
    return log


def run_http(host, port, steps, mark_after):
    log = []
    conn = http.client.HTTPConnection(host, port)
    for n, step in enumerate(steps):
        if n == mark_after:
            pause()
        parts = step.split(":")
        if parts[0] == "GET":
            conn.request("GET", parts[1])
            resp = conn.getresponse()
            body = resp.read()
            log.append(dict(digest(body), method="GET", url=parts[1], status=resp.status))
        else:
            body = random.Random(parts[1]).randbytes(int(parts[2]))
            conn.request("POST", parts[1], body=body,
                         headers={"Content-Type": "application/octet-stream"})
            resp = conn.getresponse()
            resp.read()
            log.append(dict(digest(body), method="POST", url=parts[1], status=resp.status))
    conn.close()
    return log


def run_ftp(host, port, name, mark):
    ftp = ftplib.FTP()
    ftp.connect(host, port)
    ftp.login("corpus", "corpus")
    if mark:
        pause()
    chunks = []
    ftp.retrbinary("RETR " + name, chunks.append)
    ftp.quit()
    return [dict(digest(b"".join(chunks)), name=name)]


def body_of(name):
    size = int("".join(ch for ch in name if ch.isdigit()))
    return random.Random(name).randbytes(size)


def run_pausing_server(argv):
    import argparse
    import os
    import socket
    import time
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--objects", required=True)
    p.add_argument("--go", required=True)
    a = p.parse_args(argv)
    ls = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    ls.bind(("::", a.port))
    ls.listen(1)
    print("listening", flush=True)
    c, _ = ls.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = c.makefile("rb")
    first = True
    while True:
        line = f.readline()
        if not line:
            break
        while f.readline() not in (b"\r\n", b"\n", b""):
            pass
        name = line.split()[1].decode().rsplit("/", 1)[-1]
        body = body_of(name)
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body))
        if first:
            c.sendall(head + body[:24000])
            while not os.path.exists(a.go):
                time.sleep(0.05)
            c.sendall(body[24000:])
            first = False
        else:
            c.sendall(head + body)
        with open(a.objects, "a") as out:
            out.write(json.dumps(dict(digest(body), source="http", direction="response",
                                      method="GET", url="/" + name, name=name)) + "\n")
    c.shutdown(socket.SHUT_WR)
    c.close()


def run_http_mid_body(host, port):
    conn = http.client.HTTPConnection(host, port)
    conn.request("GET", "/first100000.bin")
    resp = conn.getresponse()
    head = resp.read(24000)
    pause()
    body = head + resp.read()
    log = [dict(digest(body), method="GET", url="/first100000.bin", status=resp.status)]
    for url in ("/next12000.bin", "/last5000.bin"):
        conn.request("GET", url)
        resp = conn.getresponse()
        log.append(dict(digest(resp.read()), method="GET", url=url, status=resp.status))
    conn.close()
    return log


def main():
    args = sys.argv[1:]
    if args[0] == "pausing-http-server":
        run_pausing_server(args[1:])
        return
    kind, host, port, out = args[0], args[1], int(args[2]), args[3]
    rest = args[4:]
    if kind == "http-mid-body":
        log = run_http_mid_body(host, port)
    elif kind == "smtp":
        log = run_smtp(host, port, "--mark-after-ehlo" in rest)
    elif kind == "http":
        mark_after = -1
        if "--mark-after" in rest:
            i = rest.index("--mark-after")
            mark_after = int(rest[i + 1])
            del rest[i:i + 2]
        log = run_http(host, port, rest, mark_after)
    else:
        log = run_ftp(host, port, rest[0], "--mark-after-login" in rest)
    with open(out, "w") as f:
        json.dump(log, f)


if __name__ == "__main__":
    main()
