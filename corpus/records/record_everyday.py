#!/usr/bin/python3
"""Records records/everyday.pcap: objects of every source, most without a file name, no loss.

Between real peers in the lab (namespaces records-*, ports 24000-24999):
  HTTP/1.1  curl -> records_peers.py http (24080): GET /notes (text/plain), / (text/html),
            /report (application/pdf), /logo (image/png), /data.bin, and a POST /upload
            of a text body (Content-Type text/plain), on one keep-alive connection;
  HTTP/2    curl --http2-prior-knowledge -> corpus/http2/h2_peer.py (24082): GET /readme;
  SMTP      records_peers.py mail -> aiosmtpd (24025): one mail from alice to bob and carol,
            Subject "Quarterly numbers": a text/plain body, a PDF attached without a file
            name, and an attached message/rfc822;
  FTP       curl -> pyftpdlib (24021, passive 24030-24039): RETR README (text, no
            extension), then STOR of upload.bin.
tests/records/records_test.py checks files.jsonl against this: every object's tx_hosts,
rx_hosts and carrying record (uri/host/method, mailfrom/rcptto/subject, command/arg), and
the extension its stored name takes from its type.
"""
import os
import shutil
import subprocess
import sys
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "record"))
import lab  # noqa: E402

NAME = "everyday"
PEERS = os.path.join(HERE, "records_peers.py")
H2PEER = os.path.join(HERE, "..", "http2", "h2_peer.py")


def main():
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(prefix="records", loss=0) as L:
        log = os.path.join(L.tmp, "objects.jsonl")
        os.chmod(L.tmp, 0o755)
        # HTTP/1.1
        L.python(L.sns, "http", [PEERS, "http", "24080", log], background=True)
        L.wait_listen(L.sns, 24080)
        # HTTP/2 (prior knowledge)
        h2root = os.path.join(L.tmp, "h2root")
        os.makedirs(h2root)
        with open(os.path.join(h2root, "readme"), "w") as f:
            f.write("This file has no extension; HTTP/2 serves it as text.\n" * 40)
        h2log = os.path.join(L.tmp, "h2.jsonl")
        L.python(L.sns, "h2", [H2PEER, "serve", "24082", h2root, h2log], background=True)
        L.wait_listen(L.sns, 24082)
        # SMTP
        L.python(L.sns, "smtp", [os.path.join(lab.HERE, "smtp_server.py"), "--port", "24025",
                                 "--objects", log], background=True)
        L.wait_listen(L.sns, 24025)
        # FTP
        ftproot = os.path.join(L.tmp, "ftproot")
        os.makedirs(os.path.join(ftproot, "upload"))
        with open(os.path.join(ftproot, "README"), "w") as f:
            f.write("Read me first: a text file whose name has no extension.\r\n" * 60)
        L.python(L.sns, "ftp", [os.path.join(lab.HERE, "ftp_server.py"), "--root", ftproot,
                                "--port", "24021", "--passive-ports", "24030-24039",
                                "--objects", log], background=True)
        L.wait_listen(L.sns, 24021)
        dl = os.path.join(L.tmp, "dl")
        os.makedirs(dl)
        upload_txt = os.path.join(L.tmp, "upload.txt")
        with open(upload_txt, "w") as f:
            f.write("uploaded text body\n" * 50)
        upload_bin = os.path.join(L.tmp, "upload.bin")
        with open(upload_bin, "wb") as f:
            f.write(bytes(range(256)) * 20)

        L.start_capture(pcap)
        base = "http://%s:24080" % lab.SERVER4
        curl = ["curl", "-sS", "-H", "Host: www.records.test"]
        argv = list(curl)
        for i, path in enumerate(["/notes", "/", "/report", "/logo", "/data.bin"]):
            argv += ["-o", os.path.join(dl, "h%d" % i), base + path]
        L.run_ns(L.cns, argv)
        L.run_ns(L.cns, curl + ["-o", os.path.join(dl, "post"), "-H", "Content-Type: text/plain",
                                "--data-binary", "@" + upload_txt, base + "/upload"])
        L.run_ns(L.cns, ["curl", "-sS", "--http2-prior-knowledge", "-o",
                         os.path.join(dl, "h2readme"), "http://%s:24082/readme" % lab.SERVER4])
        L.python(L.cns, "mail", [PEERS, "mail", lab.SERVER4, "24025", log])
        ftp = "ftp://corpus:corpus@%s:24021/" % lab.SERVER4
        L.run_ns(L.cns, ["curl", "-sS", "-o", os.path.join(dl, "README"), ftp + "README"])
        L.run_ns(L.cns, ["curl", "-sS", "-T", upload_bin, ftp + "upload/upload.bin"])
        L.stop_capture()
        L.stop_all()
        objs = [o for o in lab.read_objects(log) if o.get("direction") != "mail"]
        for o in objs:
            o.setdefault("source", "http")
        for o in lab.read_objects(h2log):
            objs.append(dict(o, source="http", protocol="h2"))
        if len(objs) < 10:
            raise SystemExit("too few objects logged: %s" % objs)
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=objs)


if __name__ == "__main__":
    main()
