#!/usr/bin/python3
"""FTP server for the corpus (pyftpdlib), logging the sha256 of every file it sent or received.

  ftp_server.py --root DIR --port P --objects OUT.jsonl [--passive-ports LO-HI]
                [--announce-size]

Serves DIR to user "corpus" (password "corpus", full rights) and anonymous
(read-only) on :: (dual-stack, so IPv4 too), passive ports
30000-30099 (or --passive-ports), sendfile off (so sockrec.py sees the data bytes). On every completed
RETR/STOR it logs the file's name, direction, sha256 and length as JSON lines. With
--announce-size, the preliminary reply to a RETR of a file whose name contains "announce"
says its size as vsftpd does ("150 Opening BINARY mode data connection for f (N bytes).").
"""
import argparse
import hashlib
import json
import logging
import os
import threading

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

OBJECTS = None
_lock = threading.Lock()


def log_file(path, direction):
    data = open(path, "rb").read()
    with _lock, open(OBJECTS, "a") as f:
        f.write(json.dumps({"source": "ftp", "direction": direction,
                            "name": os.path.basename(path),
                            "sha256": hashlib.sha256(data).hexdigest(),
                            "length": len(data)}) + "\n")


class Handler(FTPHandler):
    use_sendfile = False
    passive_ports = range(30000, 30100)
    banner = "tcpfollow corpus FTP server ready."

    announce_size = False
    _announce = None

    def ftp_RETR(self, file):
        if self.announce_size and "announce" in os.path.basename(file):
            try:
                self._announce = (os.path.basename(file), os.path.getsize(file))
            except OSError:
                self._announce = None
        return super().ftp_RETR(file)

    def respond(self, resp, *args, **kw):
        if self._announce and resp[:4] in ("125 ", "150 "):
            resp = "150 Opening BINARY mode data connection for %s (%d bytes)." % self._announce
            self._announce = None
        return super().respond(resp, *args, **kw)

    def on_file_sent(self, file):
        log_file(file, "download")

    def on_file_received(self, file):
        log_file(file, "upload")


def main():
    global OBJECTS
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--port", type=int, default=2121)
    p.add_argument("--objects", required=True)
    p.add_argument("--passive-ports", default="30000-30099")
    p.add_argument("--announce-size", action="store_true")
    a = p.parse_args()
    Handler.announce_size = a.announce_size
    OBJECTS = a.objects
    lo, hi = (int(x) for x in a.passive_ports.split("-"))
    Handler.passive_ports = range(lo, hi + 1)
    logging.basicConfig(level=logging.WARNING)
    auth = DummyAuthorizer()
    auth.add_user("corpus", "corpus", a.root, perm="elradfmwMT")
    auth.add_anonymous(a.root)
    Handler.authorizer = auth
    server = FTPServer(("::", a.port), Handler)  # dual-stack: IPv4 arrives as ::ffff:a.b.c.d
    print("listening", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
