#!/usr/bin/python3
"""Records ftp/auth_tls.pcap: ftplib FTP_TLS -> pyftpdlib TLS_FTPHandler (AUTH TLS), 3% loss per hop.

Session 1 (IPv4, TLS 1.3 control channel): AUTH TLS, USER/PASS, PBSZ 0, PROT C, then
in clear passive (PASV) data connections: LIST, RETR a 20 kB binary, STOR a 12 kB
binary into /upload; then PROT P and RETR an 8 kB binary whose data connection is
TLS too; QUIT. Session 2 (IPv6, TLS 1.2 forced by the client): AUTH TLS, login,
PROT C, active EPRT (the server opens the data connection): RETR a 6 kB text; QUIT.
The data ports are only announced inside the encrypted control channel, so a reader
needs the key log (auth_tls.keylog, committed; tcpfollow --keylog, see auth_tls.args)
to tie the data connections to FTP. The client's context writes the key log for
every TLS session, the PROT P data connection's included.
Objects: every file the server sent or received, the PROT P transfer included
(tcpfollow decrypts its data connection with the key log).

Byte accounting: only the client records (sockrec.py). Its context.wrap_socket
returns BioTlsSocket (see ../smtp/record_starttls.py), so the TLS records go through
the recorded socket; pyftpdlib's pyOpenSSL writes to the fd directly, which sockrec.py
cannot see, so the server is not recorded. The client checks every file it received
against the server's log.

  record_auth_tls.py                 record (root, Debian's /usr/bin/python3 with
                                     python3-pyftpdlib and python3-openssl)
  record_auth_tls.py server ...      (internal) the pyftpdlib server, server ns
  record_auth_tls.py client ...      (internal) the ftplib client, client ns
"""
import hashlib
import json
import os
import random
import ssl
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "record"))
sys.path.insert(0, os.path.join(HERE, "..", "smtp"))
import lab  # noqa: E402
from record_starttls import client_context, make_cert  # noqa: E402

NAME = "auth_tls"
PORT = 2121
USER, PASSWORD = "corpus", "corpus-secret"
FILES = {"tls_pasv20000.bin": 20000, "tls_prot_p8000.bin": 8000, "tls_eprt6000.txt": 6000}
UPLOAD = ("tls_up12000.bin", 12000)


def make_data(name, size):
    if name.endswith(".txt"):
        return "".join("line %04d of %s\r\n" % (i, name) for i in range(size // 20)).encode()[:size]
    return random.Random(name).randbytes(size)


def run_server(root, objects, cert, key):
    import logging
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import TLS_FTPHandler
    from pyftpdlib.servers import FTPServer

    def log_file(path, direction):
        data = open(path, "rb").read()
        with open(objects, "a") as f:
            f.write(json.dumps({"source": "ftp", "direction": direction,
                                "name": os.path.basename(path),
                                "sha256": hashlib.sha256(data).hexdigest(),
                                "length": len(data)}) + "\n")

    class Handler(TLS_FTPHandler):
        use_sendfile = False
        passive_ports = range(30000, 30100)
        banner = "tcpfollow corpus FTPS server ready."
        certfile, keyfile = cert, key
        tls_control_required = True
        tls_data_required = False

        def on_file_sent(self, file):
            log_file(file, "download")

        def on_file_received(self, file):
            log_file(file, "upload")

    logging.basicConfig(level=logging.WARNING)
    auth = DummyAuthorizer()
    auth.add_user(USER, PASSWORD, root, perm="elradfmwMT")
    Handler.authorizer = auth
    server = FTPServer(("::", PORT), Handler)  # dual-stack
    print("listening", flush=True)
    server.serve_forever()


def run_client(host4, host6, keylog, upload, out):
    import ftplib
    import faulthandler
    faulthandler.dump_traceback_later(120, exit=True)  # watchdog: a stuck peer fails the run
    got = {}

    def retr(ftp, name):
        chunks = []
        ftp.retrbinary("RETR " + name, chunks.append)
        got[name] = hashlib.sha256(b"".join(chunks)).hexdigest()

    ftp = ftplib.FTP_TLS(context=client_context(keylog), timeout=20)
    ftp.connect(host4, PORT)
    ftp.login(USER, PASSWORD)  # AUTH TLS first
    ftp.voidcmd("PBSZ 0")
    ftp.prot_c()
    ftp.retrlines("LIST", lambda line: None)
    retr(ftp, "tls_pasv20000.bin")
    with open(upload, "rb") as f:
        ftp.storbinary("STOR upload/" + os.path.basename(upload), f)
    ftp.prot_p()
    retr(ftp, "tls_prot_p8000.bin")
    ftp.quit()

    ftp = ftplib.FTP_TLS(context=client_context(keylog, ssl.TLSVersion.TLSv1_2), timeout=20)
    ftp.connect(host6, PORT)
    ftp.login(USER, PASSWORD)
    ftp.voidcmd("PBSZ 0")
    ftp.prot_c()
    ftp.set_pasv(False)  # EPRT over IPv6
    retr(ftp, "tls_eprt6000.txt")
    ftp.quit()
    with open(out, "w") as f:
        json.dump(got, f)


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(prefix="tfftls", loss=3) as L:  # own namespaces: others record too
        os.chmod(L.tmp, 0o755)
        root = os.path.join(L.tmp, "root")
        os.makedirs(os.path.join(root, "upload"))
        for name, size in FILES.items():
            open(os.path.join(root, name), "wb").write(make_data(name, size))
        upload = os.path.join(L.tmp, UPLOAD[0])
        open(upload, "wb").write(make_data(*UPLOAD))
        cert, key = make_cert(L.tmp, "ftp.corpus.test")
        objects = os.path.join(L.tmp, "objects.jsonl")
        keylog = os.path.join(L.tmp, "keylog")
        me = os.path.abspath(__file__)
        L.popen_ns(L.sns, [lab.PYTHON, me, "server", root, objects, cert, key])
        L.wait_listen(L.sns, PORT)
        L.start_capture(pcap)
        received = os.path.join(L.tmp, "received.json")
        L.python(L.cns, "client", [me, "client", lab.SERVER4, lab.SERVER6, keylog, upload,
                                   received])
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(objects)
        names = [o["name"] for o in objs]
        want = ["tls_pasv20000.bin", UPLOAD[0], "tls_prot_p8000.bin", "tls_eprt6000.txt"]
        if names != want:
            raise SystemExit("server transferred %s, expected %s" % (names, want))
        got = json.load(open(received))
        for o in objs:
            if o["direction"] == "download" and got.get(o["name"]) != o["sha256"]:
                raise SystemExit("%s differs between client and server" % o["name"])
        if objs[1]["sha256"] != lab.sha256_file(upload):
            raise SystemExit("upload differs between client and server")
        with open(keylog) as src, open(os.path.join(HERE, NAME + ".keylog"), "w") as dst:
            dst.write(src.read())
        m = lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=objs,
                   notes={"recorded_by": "client only (the server's pyOpenSSL I/O bypasses "
                                         "sockrec.py)"})
        # Only the sender counted each stream: a segment lost before the peer's RST would
        # be claimed but never on the wire. An independent reassembler must agree.
        if m["tcpflow_cross_check"] != "ok":
            raise SystemExit("tcpflow disagrees with the client's account: record again")
    with open(os.path.join(HERE, NAME + ".args"), "w") as f:
        f.write("--keylog\ncorpus/ftp/%s.keylog\n" % NAME)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "server":
        run_server(*sys.argv[2:6])
    elif len(sys.argv) > 1 and sys.argv[1] == "client":
        run_client(*sys.argv[2:7])
    else:
        main()
