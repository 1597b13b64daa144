#!/usr/bin/python3
"""Records https/keylog_www.pcap: curl and s_client fetch 4 files from openssl s_server -WWW over ECDHE TLS 1.2 / TLS 1.3, key log, 4% loss per hop.

The server is `openssl s_server -WWW` with this folder's RSA certificate and its
default settings (TLS 1.3 preferred, ECDHE for TLS 1.2: the RSA key cannot decrypt
any of it). -WWW answers each GET with "HTTP/1.0 200 ok" and no Content-Length,
then close_notify and close: every body is delimited by the end of the TLS stream.
Clients write their secrets to keylog_www.keylog (NSS key log): curl over IPv4,
TLS 1.3, /a12000.txt and /b30000.bin in one run (the second connection resumes with
a PSK from the first's NewSessionTicket); curl over IPv6, --tls-max 1.2 with
ECDHE-RSA-CHACHA20-POLY1305, /c8000.bin; `openssl s_client -keylogfile` over IPv4,
TLS 1.3 with TLS_AES_256_GCM_SHA384, sending "GET /d5000.txt HTTP/1.0" by hand.
Raw TCP stream hashes come from tls_relay.py (run under sockrec) in front of
s_server on port 443, copying bytes unchanged; objects are the served files,
checked against what the clients received. Decrypt with
`--keylog corpus/https/keylog_www.keylog` (keylog_www.args).
"""
import os
import subprocess
import sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import https_lab
from https_lab import lab

NAME = "keylog_www"
HERE = os.path.dirname(os.path.abspath(__file__))
FILES = ["a12000.txt", "b30000.bin", "c8000.bin", "d5000.txt"]


def main():
    https_lab.make_keys()
    pcap = os.path.join(HERE, NAME + ".pcap")
    keylog = os.path.join(HERE, NAME + ".keylog")
    if os.path.exists(keylog):
        os.remove(keylog)
    with lab.Lab(prefix="tfhttps", loss=4) as L:
        docroot = os.path.join(L.tmp, "www")
        objs = https_lab.write_docroot(docroot, FILES)
        L.popen_ns(L.sns, ["openssl", "s_server", "-accept", "127.0.0.1:4434", "-WWW", "-quiet",
                           "-cert", https_lab.CERT, "-key", https_lab.KEY],
                   cwd=docroot, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        L.wait_listen(L.sns, 4434)
        https_lab.start_relay(L, 443, "127.0.0.1:4434")
        L.start_capture(pcap)
        dl = os.path.join(L.tmp, "dl")
        os.makedirs(dl)
        env = dict(os.environ, SSLKEYLOGFILE=keylog)
        base4 = "https://%s" % lab.SERVER4
        L.run_ns(L.cns, ["curl", "-sS", "-k", "--tlsv1.3", "-o", dl + "/1", base4 + "/" + FILES[0],
                         "-o", dl + "/2", base4 + "/" + FILES[1]], env=env)
        L.run_ns(L.cns, ["curl", "-sS", "-k", "-g", "--tls-max", "1.2", "--ciphers",
                         "ECDHE-RSA-CHACHA20-POLY1305", "-o", dl + "/3",
                         "https://[%s]/%s" % (lab.SERVER6, FILES[2])], env=env)
        got = L.run_ns(L.cns, ["openssl", "s_client", "-connect", "%s:443" % lab.SERVER4, "-quiet",
                               "-ign_eof", "-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384",
                               "-keylogfile", keylog],
                       input=b"GET /%s HTTP/1.0\r\n\r\n" % FILES[3].encode(), capture_output=True).stdout
        with open(dl + "/4", "wb") as f:
            f.write(got.split(b"\r\n\r\n", 1)[1])
        L.stop_capture()
        L.stop_all()
        for i, name in enumerate(FILES):
            https_lab.check_download(dl + "/%d" % (i + 1), objs[name])
        notes = {"streams": "client_to_server/server_to_client are the raw TCP bytes (TLS records) "
                            "tls_relay.py exchanged with the clients, counted by sockrec; the relay "
                            "copies s_server's bytes unchanged",
                 "tls": https_lab.tls_summary(pcap, keylog)}
        lab.finish(L, pcap, os.path.join(HERE, NAME + ".manifest.json"),
                   __doc__.splitlines()[0], objects=[objs[n] for n in FILES], notes=notes)


if __name__ == "__main__":
    main()
