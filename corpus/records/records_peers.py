#!/usr/bin/python3
"""Peers for the corpus/records recordings (not a library), run under sockrec.py.

  records_peers.py http PORT LOG          HTTP/1.1 server (http.server), objects below
  records_peers.py mail HOST PORT LOG     smtplib: one mail with a text part, a PDF
                                          without a file name and an attached message
  records_peers.py tls-server KEY CERT LOG PORT:ALPN:BANNER...
                                          TLS servers (ssl over MemoryBIO on plain
                                          sockets, so sockrec sees the TLS records)
  records_peers.py tls-client HOST KEYLOG PORT:ALPN:SEND...
                                          one TLS session per argument; writes the key log

HTTP objects, fixed bytes: GET /notes (text/plain, no file name), / (text/html),
/report (application/pdf), /logo (image/png), /data.bin (application/octet-stream),
/chunked/N?size=S (N bytes of text as chunks of S bytes), POST /upload (any body, 201).
LOG gets one JSON line per body: direction, uri, sha256 and length (decoded bytes).
TLS: each server port answers with its ALPN (or none: "-"), sends BANNER (hex, may be
empty) after the handshake, then echoes what the client sends reversed (with ALPN
http/1.1 as the body of an HTTP response); the client sends SEND (hex) in one write,
reads the banner and the echo, and closes.
"""
import hashlib
import http.server
import json
import random
import select
import socket
import ssl
import sys
import threading

_lock = threading.Lock()


def log(path, **rec):
    with _lock, open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")


def text_bytes(n, seed):
    rnd = random.Random(seed)
    words = ["segment", "window", "follow", "stream", "gap", "ack", "object", "record"]
    out = []
    size = 0
    while size < n:
        w = rnd.choice(words)
        out.append(w)
        size += len(w) + 1
    return (" ".join(out) + "\n").encode()[:n]


OBJECTS = {
    "/notes": ("text/plain; charset=utf-8", text_bytes(3000, "notes")),
    "/": ("text/html", b"<!doctype html>\n<html><head><title>records</title></head><body>\n"
                       + text_bytes(2000, "index") + b"</body></html>\n"),
    "/report": ("application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n"
                                   + random.Random("pdf").randbytes(4000) + b"\n%%EOF\n"),
    "/logo": ("image/png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
                           + random.Random("png").randbytes(2500)),
    "/data.bin": ("application/octet-stream", random.Random("bin").randbytes(5000)),
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "records/1"
    sys_version = ""
    LOG = None

    def log_message(self, *a):
        pass

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path.startswith("/chunked/"):
            n = int(path.rsplit("/", 1)[1])
            size = int(dict(q.split("=") for q in query.split("&") if q).get("size", "1000"))
            body = text_bytes(n, "chunked%d" % n)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            wire = b"".join(b"%x\r\n" % len(body[i:i + size]) + body[i:i + size] + b"\r\n"
                            for i in range(0, len(body), size)) + b"0\r\n\r\n"
            self.wfile.write(wire)
            log(self.LOG, direction="response", uri=self.path, content_type="text/plain",
                sha256=hashlib.sha256(body).hexdigest(), length=len(body), chunk_size=size,
                wire_length=len(wire))
            return
        if path not in OBJECTS:
            self.send_error(404)
            return
        ctype, body = OBJECTS[path]
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        log(self.LOG, direction="response", uri=self.path, content_type=ctype,
            sha256=hashlib.sha256(body).hexdigest(), length=len(body))

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        log(self.LOG, direction="request", uri=self.path,
            content_type=self.headers.get("Content-Type", ""),
            sha256=hashlib.sha256(body).hexdigest(), length=len(body))
        reply = b"stored\n"
        self.send_response(201)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


def serve_http(port, logfile):
    Handler.LOG = logfile

    class Server(http.server.ThreadingHTTPServer):
        address_family = socket.AF_INET6
        daemon_threads = True

        def server_bind(self):
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            super().server_bind()

    Server(("::", port), Handler).serve_forever()


def send_mail(host, port, logfile):
    import email.message
    import email.policy
    import smtplib
    m = email.message.EmailMessage(policy=email.policy.SMTP)
    m["From"] = "alice@client.records.test"
    m["To"] = "bob@mx.records.test, carol@mx.records.test"
    m["Subject"] = "Quarterly numbers"
    m["Message-ID"] = "<records-1@client.records.test>"
    m["Date"] = "Tue, 01 Dec 2026 00:00:00 +0000"
    m.set_content(text_bytes(1500, "mailbody").decode())
    pdf = b"%PDF-1.4\n" + random.Random("mailpdf").randbytes(3000) + b"\n%%EOF\n"
    m.add_attachment(pdf, maintype="application", subtype="pdf")  # no file name
    inner = email.message.EmailMessage(policy=email.policy.SMTP)
    inner["From"] = "dave@elsewhere.records.test"
    inner["To"] = "alice@client.records.test"
    inner["Subject"] = "the forwarded one"
    inner.set_content("forwarded text\n")
    m.add_attachment(inner)  # message/rfc822
    with smtplib.SMTP(host, port, local_hostname="client.records.test") as s:
        s.ehlo()
        s.send_message(m, from_addr="alice@client.records.test",
                       to_addrs=["bob@mx.records.test", "carol@mx.records.test"])
        s.quit()
    log(logfile, direction="mail", sha256=hashlib.sha256(pdf).hexdigest(), length=len(pdf),
        what="pdf attachment")


# ---- TLS over MemoryBIO: the TLS records go through ordinary socket calls.

def pump_handshake(sock, obj, inb, outb):
    while True:
        try:
            obj.do_handshake()
            flush(sock, outb)
            return
        except ssl.SSLWantReadError:
            flush(sock, outb)
            data = sock.recv(65536)
            if not data:
                raise SystemExit("peer closed during the handshake")
            inb.write(data)


def flush(sock, outb):
    data = outb.read()
    if data:
        sock.sendall(data)


def tls_write(sock, obj, outb, data):
    obj.write(data)
    flush(sock, outb)


def tls_read(sock, obj, inb, outb, n):
    got = b""
    while len(got) < n:
        try:
            got += obj.read(n - len(got))
        except ssl.SSLWantReadError:
            flush(sock, outb)
            data = sock.recv(65536)
            if not data:
                raise SystemExit("peer closed after %d of %d bytes" % (len(got), n))
            inb.write(data)
    return got


def tls_read_some(sock, obj, inb, outb):
    while True:
        try:
            return obj.read(65536)
        except ssl.SSLWantReadError:
            flush(sock, outb)
            data = sock.recv(65536)
            if not data:
                raise SystemExit("peer closed before sending")
            inb.write(data)


def tls_close(sock, obj, outb):
    try:
        obj.unwrap()
    except (ssl.SSLWantReadError, ssl.SSLError):
        pass
    flush(sock, outb)


def parse_specs(args):
    out = []
    for a in args:
        port, alpn, data = a.split(":", 2)
        out.append((int(port), None if alpn == "-" else alpn, bytes.fromhex(data)))
    return out


def tls_server(key, cert, logfile, specs):
    def serve_one(conn, alpn, banner):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        if alpn:
            ctx.set_alpn_protocols([alpn])
        inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(inb, outb, server_side=True)
        pump_handshake(conn, obj, inb, outb)
        if banner:
            tls_write(conn, obj, outb, banner)
        data = tls_read_some(conn, obj, inb, outb)  # the client's one write: one record
        reply = data[::-1]
        if alpn == "http/1.1":  # an HTTP answer whose body is the echo
            reply = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(reply) + reply
        tls_write(conn, obj, outb, reply)
        log(logfile, port=conn.getsockname()[1], alpn=obj.selected_alpn_protocol())
        tls_close(conn, obj, outb)
        conn.shutdown(socket.SHUT_WR)
        while conn.recv(65536):
            pass
        conn.close()

    listeners = {}
    for port, alpn, banner in specs:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", port))
        s.listen(8)
        listeners[s] = (alpn, banner)
    while True:
        ready, _, _ = select.select(list(listeners), [], [])
        for s in ready:
            conn, _ = s.accept()
            alpn, banner = listeners[s]
            threading.Thread(target=serve_one, args=(conn, alpn, banner), daemon=True).start()


def tls_client(host, keylog, specs):
    for port, alpn, data in specs:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.keylog_filename = keylog
        if alpn:
            ctx.set_alpn_protocols([alpn])
        sock = socket.create_connection((host, port))
        inb, outb = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(inb, outb, server_side=False)
        pump_handshake(sock, obj, inb, outb)
        if alpn and obj.selected_alpn_protocol() != alpn:
            raise SystemExit("port %d: ALPN %r, wanted %r" % (port, obj.selected_alpn_protocol(), alpn))
        tls_write(sock, obj, outb, data)
        # The banner and the reversed echo: read until the server closes TLS.
        got = b""
        while True:
            try:
                chunk = obj.read(65536)
                if not chunk:
                    break
                got += chunk
            except ssl.SSLWantReadError:
                flush(sock, outb)
                more = sock.recv(65536)
                if not more:
                    break
                inb.write(more)
            except ssl.SSLZeroReturnError:
                break
        if not got.endswith(data[::-1]):
            raise SystemExit("port %d: no echo (%r)" % (port, got[-40:]))
        tls_close(sock, obj, outb)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
        sock.close()


def main():
    mode = sys.argv[1]
    if mode == "http":
        serve_http(int(sys.argv[2]), sys.argv[3])
    elif mode == "mail":
        send_mail(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif mode == "tls-server":
        tls_server(sys.argv[2], sys.argv[3], sys.argv[4], parse_specs(sys.argv[5:]))
    elif mode == "tls-client":
        tls_client(sys.argv[2], sys.argv[3], parse_specs(sys.argv[4:]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
