#!/usr/bin/python3
"""Records https/keepalive_tls.pcap: curl fetches 5 objects over one HTTP/1.1 keep-alive TLS 1.3 connection (Content-Length, gzip, chunked, 404), key log, 4% loss per hop.

The server is corpus/record/http_server.py wrapped in Python's ssl module
(tls_http_server.py, this folder's RSA certificate, TLS 1.3, session tickets sent
after the handshake). curl (-k, --http1.1, --compressed, SSLKEYLOGFILE) reuses one
connection for: GET /obj/a15000.bin (Content-Length), /gzip/g20000.txt
(Content-Encoding: gzip, Content-Length), /chunked/k6000.bin (chunked, chunk
extension, trailer), /missing/x.html (404 with an HTML body), /obj/t3000.txt. The
server sends close_notify when curl closes. Raw TCP stream hashes come from
tls_relay.py (under sockrec) in front of the server on port 8443; objects are the
decoded bodies the server logged, checked against what curl saved. Decrypt with
`--keylog corpus/https/keepalive_tls.keylog` (keepalive_tls.args).
"""
import os
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import https_lab
from https_lab import lab

NAME = "keepalive_tls"
HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "tls_http_server.py")


def main():
    https_lab.make_keys()
    pcap = os.path.join(HERE, NAME + ".pcap")
    keylog = os.path.join(HERE, NAME + ".keylog")
    if os.path.exists(keylog):
        os.remove(keylog)
    with lab.Lab(prefix="tfhttps", loss=4) as L:
        objects = os.path.join(L.tmp, "objects.jsonl")
        L.popen_ns(L.sns, [lab.PYTHON, SERVER, "--listen", "::1", "--port", "4435",
                           "--objects", objects, "--cert", https_lab.CERT, "--key", https_lab.KEY])
        L.wait_listen(L.sns, 4435)
        https_lab.start_relay(L, 8443, "::1:4435")
        L.start_capture(pcap)
        dl = os.path.join(L.tmp, "dl")
        os.makedirs(dl)
        base = "https://%s:8443" % lab.SERVER4
        L.run_ns(L.cns, ["curl", "-sS", "-k", "--http1.1", "--compressed",
                         "-o", dl + "/1", base + "/obj/a15000.bin",
                         "-o", dl + "/2", base + "/gzip/g20000.txt",
                         "-o", dl + "/3", base + "/chunked/k6000.bin",
                         "-o", dl + "/4", base + "/missing/x.html",
                         "-o", dl + "/5", base + "/obj/t3000.txt"],
                 env=dict(os.environ, SSLKEYLOGFILE=keylog))
        L.stop_capture()
        L.stop_all()
        objs = lab.read_objects(objects)
        lab.check_downloads(objs, [dl + "/%d" % i for i in range(1, 6)])
        notes = {"streams": "client_to_server/server_to_client are the raw TCP bytes (TLS records) "
                            "tls_relay.py exchanged with curl, counted by sockrec; the relay copies "
                            "the TLS server's bytes unchanged",
                 "tls": https_lab.tls_summary(pcap, keylog)}
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=objs, notes=notes)


if __name__ == "__main__":
    main()
