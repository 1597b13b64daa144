#!/usr/bin/python3
"""Records smtp/starttls.pcap: smtplib -> aiosmtpd with STARTTLS (required) and AUTH PLAIN, 3% loss per hop.

Connection 1 (IPv4, TLS 1.3): EHLO, STARTTLS, EHLO, AUTH PLAIN, a message with a base64
binary and a quoted-printable text attachment, a nested multipart message with an
inline image and a PDF attachment, QUIT. Connection 2 (IPv6, TLS 1.2 forced by the
client): EHLO, STARTTLS, EHLO, one message whose body lines start with dots, QUIT.
The server refuses MAIL before STARTTLS and AUTH outside TLS. The certificate is
self-signed, made by openssl at recording time (not kept); the client's SSL context
writes the NSS key log committed as starttls.keylog (tcpfollow --keylog, see
starttls.args). Objects are what the server logged: each message as received
(dot-unstuffed) and each attachment decoded.

Byte accounting: smtplib's STARTTLS normally hands the socket to OpenSSL, whose reads and
writes bypass socket.socket and so sockrec.py. Here the client's context.wrap_socket
returns a BioTlsSocket, which runs TLS in memory BIOs and moves the ciphertext through
the (recorded) socket's send/recv; aiosmtpd (asyncio) already does so. Both ends thus
record the raw bytes of the whole connection and build_manifest checks they agree.

  record_starttls.py                 record (root, Debian's /usr/bin/python3)
  record_starttls.py server ...      (internal) the aiosmtpd server, run in the server ns
  record_starttls.py client ...      (internal) the smtplib client, run in the client ns
"""
import json
import os
import select
import shutil
import socket
import ssl
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
RECORD = os.path.join(HERE, "..", "record")
sys.path.insert(0, RECORD)
import lab  # noqa: E402

NAME = "starttls"
PORT = 2525
USER, PASSWORD = "corpus", "corpus-secret"


class BioTlsSocket:
    """A client TLS socket whose ciphertext goes through the wrapped socket's send/recv.

    Enough of the ssl.SSLSocket surface for smtplib and ftplib: send, sendall, recv,
    recv_into, makefile, close, context manager; anything else goes to the plain socket.
    """

    def __init__(self, sock, context, server_hostname=None):
        self._sock = sock
        self._in, self._out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._in, self._out, server_side=False,
                                     server_hostname=server_hostname)
        self._io_refs = 0
        self._closed = False
        self._peer_closed = False
        self._run(self._tls.do_handshake)

    def _flush(self):
        data = self._out.read()
        if data:
            self._sock.sendall(data)

    def _run(self, op, *args):
        while True:
            try:
                result = op(*args)
                self._flush()
                return result
            except ssl.SSLWantReadError:
                self._flush()
                data = self._sock.recv(65536)
                if data:
                    self._in.write(data)
                else:
                    self._in.write_eof()

    def send(self, data, flags=0):
        return self._run(self._tls.write, data)

    def sendall(self, data, flags=0):
        view = memoryview(data).cast("B")
        while len(view):
            view = view[self._run(self._tls.write, view):]

    def recv(self, n, flags=0):
        try:
            data = self._run(self._tls.read, n)
            self._peer_closed = self._peer_closed or not data  # b"": close_notify
            return data
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            self._peer_closed = True
            return b""

    def recv_into(self, buf, nbytes=0, flags=0):
        data = self.recv(nbytes or len(buf))
        memoryview(buf)[:len(data)] = data
        return len(data)

    def makefile(self, *args, **kwargs):
        return socket.socket.makefile(self, *args, **kwargs)

    def _decref_socketios(self):
        self._io_refs -= 1

    def _await_peer_close(self, wait):
        """Reads (and drops) until the peer's close_notify or EOF, or `wait` s of silence."""
        while not self._peer_closed:
            try:
                if not self._tls.read(65536):  # b"": the peer's close_notify
                    self._peer_closed = True
            except ssl.SSLWantReadError:
                self._flush()
                if not select.select([self._sock], [], [], wait)[0]:
                    return
                data = self._sock.recv(65536)
                if data:
                    self._in.write(data)
                else:
                    self._in.write_eof()
            except (ssl.SSLError, OSError):
                self._peer_closed = True

    def close(self):
        """Closes like a careful peer: if the peer closes first (servers do after QUIT's
        reply), just closes the socket; else sends close_notify and waits for the peer's.
        Sending close_notify after the peer closed would race its close: the peer's RST
        can cut bytes this side counted as sent, and the recording would claim them."""
        if self._closed:
            return
        self._closed = True
        self._await_peer_close(2.0)
        if not self._peer_closed:
            try:
                self._run(self._tls.unwrap)
            except (ssl.SSLError, OSError):
                pass
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __getattr__(self, name):
        return getattr(self._sock, name)


def client_context(keylog, max_version=None):
    """A client context that writes the key log and accepts the lab's self-signed cert."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.keylog_filename = keylog
    if max_version:
        ctx.maximum_version = max_version
    ctx.wrap_socket = lambda sock, server_hostname=None, **kw: BioTlsSocket(sock, ctx, server_hostname)
    return ctx


def make_cert(directory, cn):
    """A self-signed RSA certificate and key (PEM) in directory; returns (cert, key)."""
    cert, key = os.path.join(directory, "server.crt"), os.path.join(directory, "server.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                    "-subj", "/CN=" + cn, "-keyout", key, "-out", cert], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def run_server(objects, cert, key):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult
    import smtp_server  # corpus/record: logs messages and attachments

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        return AuthResult(success=ok)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    handler = smtp_server.Handler(objects)
    ctls = [Controller(handler, hostname=h, port=PORT, server_hostname="mx.corpus.test",
                       tls_context=ctx, require_starttls=True, auth_require_tls=True,
                       authenticator=authenticator, ready_timeout=10)
            for h in ("0.0.0.0", "::")]
    for c in ctls:
        c.start()
    print("listening", flush=True)
    try:
        threading.Event().wait()
    finally:
        for c in ctls:
            c.stop()


def run_client(host4, host6, keylog, out):
    import email.policy
    import hashlib
    import smtplib
    import smtp_client  # corpus/record: the messages of smtp/several

    log = []

    def send(conn, m, rcpts):
        raw = m.as_bytes(policy=email.policy.SMTP)
        conn.sendmail(str(m["From"]), rcpts, raw)
        log.append({"subject": str(m["Subject"]), "sha256": hashlib.sha256(raw).hexdigest(),
                    "length": len(raw)})

    with smtplib.SMTP(host4, PORT, local_hostname="client.corpus.test") as s:
        s.ehlo()
        s.starttls(context=client_context(keylog))
        s.ehlo()
        s.login(USER, PASSWORD)
        send(s, smtp_client.msg_attachments(5, 82), ["bob@mx.corpus.test"])
        send(s, smtp_client.msg_nested(6, 83), ["bob@mx.corpus.test", "dave@mx.corpus.test"])
    with smtplib.SMTP(host6, PORT, local_hostname="client6.corpus.test") as s:
        s.ehlo()
        s.starttls(context=client_context(keylog, ssl.TLSVersion.TLSv1_2))
        s.ehlo()
        send(s, smtp_client.msg_plain(7), ["erin@mx.corpus.test"])
    with open(out, "w") as f:
        json.dump(log, f)


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(prefix="tfstls", loss=3) as L:  # own namespaces: others record too
        os.chmod(L.tmp, 0o755)
        cert, key = make_cert(L.tmp, "mx.corpus.test")
        objects = os.path.join(L.tmp, "objects.jsonl")
        keylog = os.path.join(L.tmp, "keylog")
        me = os.path.abspath(__file__)
        L.python(L.sns, "server", [me, "server", objects, cert, key], background=True)
        L.wait_listen(L.sns, PORT)
        L.start_capture(pcap)
        sent = os.path.join(L.tmp, "sent.json")
        L.python(L.cns, "client", [me, "client", lab.SERVER4, lab.SERVER6, keylog, sent])
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(objects)
        got = [o for o in objs if o["kind"] == "message"]
        want = json.load(open(sent))
        if [(o["sha256"], o["length"]) for o in got] != [(w["sha256"], w["length"]) for w in want]:
            raise SystemExit("server's messages differ from what the client sent:\n%s\n%s" % (got, want))
        shutil.copyfile(keylog, os.path.join(HERE, NAME + ".keylog"))
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=objs)
    with open(os.path.join(HERE, NAME + ".args"), "w") as f:
        f.write("--keylog\ncorpus/smtp/%s.keylog\n" % NAME)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "server":
        run_server(*sys.argv[2:5])
    elif len(sys.argv) > 1 and sys.argv[1] == "client":
        run_client(*sys.argv[2:6])
    else:
        main()
