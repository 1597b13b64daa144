#!/usr/bin/python3
"""Helpers shared by the corpus/https recorders (HTTP/1.x over TLS between real peers in the lab).

make_keys() generates this folder's test key and certificate once (committed: the
captures can only be decrypted with them); write_docroot() writes the files that
`openssl s_server -WWW` serves and returns their manifest objects; start_relay()
starts tls_relay.py under sockrec in the server namespace (so raw TCP stream hashes
come from an endpoint); check_download() compares what a client saved with an object.
Not a library: recording scripts only.
"""
import hashlib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "record"))
import lab  # noqa: E402
import http_server  # noqa: E402  (object_bytes: seeded deterministic contents)

RELAY = os.path.join(HERE, "tls_relay.py")
KEY = os.path.join(HERE, "server.key.pem")
CERT = os.path.join(HERE, "server.crt.pem")


def make_keys():
    """RSA-2048 key (PKCS#1 PEM) and a self-signed certificate; kept if they exist."""
    if os.path.exists(KEY) and os.path.exists(CERT):
        return
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", KEY, "2048"], check=True,
                   stderr=subprocess.DEVNULL)
    subprocess.run(["openssl", "req", "-new", "-x509", "-key", KEY, "-days", "7300", "-subj",
                    "/CN=www.tcpfollow.test/O=tcpfollow corpus", "-out", CERT], check=True)


def write_docroot(docroot, names):
    """Writes each NAME's seeded contents into docroot; returns {name: manifest object}."""
    os.makedirs(docroot, exist_ok=True)
    objs = {}
    for name in names:
        data = http_server.object_bytes(name)
        with open(os.path.join(docroot, name), "wb") as f:
            f.write(data)
        objs[name] = lab.obj("http", data, direction="response", method="GET", url="/" + name,
                             status=200, content_encoding=None, chunked=False, name=name,
                             delimited_by="connection close (s_server -WWW: HTTP/1.0, no Content-Length)")
    return objs


def start_relay(L, port, backend):
    L.python(L.sns, "relay", [RELAY, "--port", str(port), "--backend", backend], background=True)
    L.wait_listen(L.sns, port)


def check_download(path, o):
    with open(path, "rb") as f:
        data = f.read()
    if hashlib.sha256(data).hexdigest() != o["sha256"] or len(data) != o["length"]:
        raise SystemExit("client saved %s (%d bytes), server sent %s (%d bytes)" %
                         (path, len(data), o["url"], o["length"]))


def tls_summary(pcap, keylog=None):
    """Per TCP stream: TLS version and cipher suite chosen, and whether the session resumed
    (no Certificate message), as tshark sees the handshake (informative, for the manifest)."""
    cmd = ["tshark", "-r", pcap, "-Y", "tls.handshake.type == 2", "-T", "fields",
           "-e", "tcp.stream", "-e", "tls.handshake.version", "-e", "tls.handshake.ciphersuite",
           "-e", "tls.handshake.extensions.supported_version"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    certs = subprocess.run(["tshark", "-r", pcap, "-Y", "tls.handshake.type == 11", "-T", "fields",
                            "-e", "tcp.stream"] + (["-o", "tls.keylog_file:" + keylog] if keylog else []),
                           capture_output=True, text=True, check=True).stdout.split()
    rows = []
    for line in out.splitlines():
        c = line.split("\t")
        rows.append({"tcp_stream": int(c[0]), "server_hello_version": c[1], "cipher_suite": c[2],
                     "supported_version": c[3] or None,
                     "certificate_seen": c[0] in certs})
    return rows
