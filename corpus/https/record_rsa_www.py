#!/usr/bin/python3
"""Records https/rsa_www.pcap: curl fetches 3 files from openssl s_server -WWW over TLS 1.2 with RSA key exchange, 3% loss per hop.

The server is `openssl s_server -WWW` (RSA-2048 certificate server.crt.pem, key
server.key.pem, -cipher AES128-GCM-SHA256 -no_tls1_3: the client encrypts the
premaster secret to the server's RSA key, so the key alone decrypts). -WWW answers
each GET with "HTTP/1.0 200 ok" and no Content-Length, then close_notify and close:
every body is delimited by the end of the TLS stream. curl (-k, --tls-max 1.2,
--ciphers AES128-GCM-SHA256, one connection per file since the server closes):
/a20000.txt and /b36000.bin in one run over IPv4 (the second connection resumes
the first's session by session ID: an abbreviated handshake, decryptable only
with the master secret of the first), /c3000.html in a second run over IPv6 (full
handshake). Raw TCP stream hashes come from tls_relay.py (run under sockrec) which
stands in front of s_server on port 443 and copies bytes unchanged; objects are
the served files, checked against what curl saved. Decrypt with
`--rsa-key corpus/https/server.key.pem` (rsa_www.args).
"""
import os
import subprocess
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import https_lab
from https_lab import lab

NAME = "rsa_www"
HERE = os.path.dirname(os.path.abspath(__file__))
FILES = ["a20000.txt", "b36000.bin", "c3000.html"]


def main():
    https_lab.make_keys()
    pcap = os.path.join(HERE, NAME + ".pcap")
    with lab.Lab(prefix="tfhttps", loss=3) as L:
        docroot = os.path.join(L.tmp, "www")
        objs = https_lab.write_docroot(docroot, FILES)
        L.popen_ns(L.sns, ["openssl", "s_server", "-accept", "127.0.0.1:4434", "-WWW", "-quiet",
                           "-cert", https_lab.CERT, "-key", https_lab.KEY,
                           "-cipher", "AES128-GCM-SHA256", "-no_tls1_3"],
                   cwd=docroot, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        L.wait_listen(L.sns, 4434)
        https_lab.start_relay(L, 443, "127.0.0.1:4434")
        L.start_capture(pcap)
        dl = os.path.join(L.tmp, "dl")
        os.makedirs(dl)
        curl = ["curl", "-sS", "-k", "--tls-max", "1.2", "--ciphers", "AES128-GCM-SHA256"]
        base4 = "https://%s" % lab.SERVER4
        L.run_ns(L.cns, curl + ["-o", dl + "/1", base4 + "/" + FILES[0],
                                "-o", dl + "/2", base4 + "/" + FILES[1]])
        L.run_ns(L.cns, curl + ["-g", "-o", dl + "/3", "https://[%s]/%s" % (lab.SERVER6, FILES[2])])
        L.stop_capture()
        L.stop_all()
        for i, name in enumerate(FILES):
            https_lab.check_download(dl + "/%d" % (i + 1), objs[name])
        notes = {"streams": "client_to_server/server_to_client are the raw TCP bytes (TLS records) "
                            "tls_relay.py exchanged with curl, counted by sockrec; the relay copies "
                            "s_server's bytes unchanged",
                 "tls": https_lab.tls_summary(pcap)}
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=[objs[n] for n in FILES], notes=notes)


if __name__ == "__main__":
    main()
